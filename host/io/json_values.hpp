#pragma once
// Typed reads of the JSON files netrl itself writes (result.json of solution and sample
// directories), each error naming the file and the key. Private to the library.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// The type and (at most 40 characters of) the text of a JSON value, for error messages.
std::string describe_json(const nlohmann::json& j);

namespace io {

/// The members of one result.json. Errors are InvalidInput(`field`, "PATH: ...").
class JsonFile {
 public:
  /// `what` describes the expected file ("a `netrl solve --out` directory").
  JsonFile(const nlohmann::json& j, std::string path, std::string field, std::string what);

  bool has(const std::string& key) const { return j_.contains(key); }
  std::string string(const std::string& key) const;
  /// A finite number.
  double number(const std::string& key) const;
  /// An integer in [lo, hi].
  std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi) const;
  bool boolean(const std::string& key) const;
  /// An array of numbers, null read as NaN.
  std::vector<double> numbers_or_null(const std::string& key) const;

 private:
  const nlohmann::json& at(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  const nlohmann::json& j_;
  std::string path_, field_, what_;
};

}  // namespace io
NETRL_NAMESPACE_END  // namespace netrl
