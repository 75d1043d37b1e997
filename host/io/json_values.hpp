#pragma once
// Typed reads of the JSON files netrl itself writes (result.json of solution and sample
// directories), each error naming the file and the key. Private to the library.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// The type and a short text of a JSON value for error messages: strings cut to 80 bytes, arrays
/// and objects by their first members (not descended into) and their size.
std::string describe_json(const nlohmann::json& j);

/// A number with 17 significant digits (round-trips a double), for messages.
std::string fmt17(double v);

/// A message of nlohmann's parser with the token it quotes ("last read: '...'") cut to 80 bytes
/// and the rest to 400.
std::string shorten_quotes(const std::string& message);

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
  /// An array of integers, each in [lo, hi].
  std::vector<std::int64_t> integers(const std::string& key, std::int64_t lo, std::int64_t hi) const;

 private:
  const nlohmann::json& at(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  const nlohmann::json& j_;
  std::string path_, field_, what_;
};

}  // namespace io
NETRL_NAMESPACE_END  // namespace netrl
