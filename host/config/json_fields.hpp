#pragma once
// The strict reader of JSON configuration objects shared by every command (`netrl solve`,
// `sample`, `infer`): typed getters whose errors are InvalidInput naming the field
// ("solver.tol", "sampling.chains", "data.samples") and the expected type or bound, and
// `finish`, which rejects every key that was never read.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "io/json_values.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN


/// A JSON object seen with some members hidden or replaced, without copying it (a configuration
/// can be large): `netrl sample` and `netrl infer` read the model keys of a configuration that
/// also holds their own sections, and a prediction patches some model keys. The replacement
/// values must outlive the view.
class ObjectView {
 public:
  /// InvalidInput naming `path` ("config" when empty) unless `base` is an object.
  ObjectView(const nlohmann::json& base, const std::string& path);
  /// The member `key` is absent from the view.
  void hide(const std::string& key);
  /// The member `key` is `*value` in the view.
  void replace(const std::string& key, const nlohmann::json* value);
  bool contains(const std::string& key) const;
  /// The member (which must be contained).
  const nlohmann::json& at(const std::string& key) const;
  /// The visible keys: the base's in its order, then added ones.
  std::vector<std::string> keys() const;

 private:
  const nlohmann::json* base_;
  std::vector<std::pair<std::string, const nlohmann::json*>> edits_;  // nullptr: hidden
  const std::pair<std::string, const nlohmann::json*>* edit(const std::string& key) const;
};

/// Reads the members of one JSON object, checking types; `finish()` rejects unknown keys.
class JsonFields {
 public:
  /// `path` is the object's field name ("" for the configuration itself, reported as "config").
  JsonFields(const nlohmann::json& j, std::string path);
  JsonFields(const ObjectView& view, std::string path);

  bool has(const std::string& key) const { return view_.contains(key); }
  /// "path.key" (or "key" at the top level).
  std::string field(const std::string& key) const;
  /// The member, marked as read; InvalidInput "is required" when absent.
  const nlohmann::json& at(const std::string& key);

  double number(const std::string& key) { return as_number(at(key), field(key)); }
  double number_or(const std::string& key, double fallback) { return has(key) ? number(key) : fallback; }
  std::int64_t integer(const std::string& key) { return as_integer(at(key), field(key)); }
  std::int64_t integer_or(const std::string& key, std::int64_t fallback) { return has(key) ? integer(key) : fallback; }
  /// A non-negative integer in [lo, hi].
  std::uint64_t unsigned_integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) {
    return as_unsigned(at(key), field(key), lo, hi);
  }
  std::uint64_t unsigned_or(const std::string& key, std::uint64_t fallback, std::uint64_t lo, std::uint64_t hi) {
    return has(key) ? unsigned_integer(key, lo, hi) : fallback;
  }
  std::string string(const std::string& key);
  std::string string_or(const std::string& key, const std::string& fallback) {
    return has(key) ? string(key) : fallback;
  }
  bool boolean(const std::string& key);
  /// A file name (a string of at most 4096 bytes without NUL characters).
  std::string path_string(const std::string& key);

  /// Throws InvalidInput for the first key never read, listing `known`.
  void finish(const std::vector<std::string>& known) const;

  static double as_number(const nlohmann::json& v, const std::string& field);
  /// Integers, or floats that hold an integer below 9e15 in magnitude.
  static std::int64_t as_integer(const nlohmann::json& v, const std::string& field);
  static std::uint64_t as_unsigned(const nlohmann::json& v, const std::string& field, std::uint64_t lo,
                                   std::uint64_t hi);

 private:
  ObjectView view_;
  std::string path_;
  std::set<std::string> used_;
};

/// The backend named `name` among `allowed` (by to_string); InvalidInput naming `field` and the
/// known names otherwise.
Backend parse_backend(const std::string& name, const std::string& field, std::initializer_list<Backend> allowed);

NETRL_NAMESPACE_END  // namespace netrl
