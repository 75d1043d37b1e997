#include "config/json_fields.hpp"

#include <cmath>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

using nlohmann::json;

JsonFields::JsonFields(const json& j, std::string path) : j_(j), path_(std::move(path)) {
  if (!j_.is_object()) {
    throw InvalidInput(path_.empty() ? "config" : path_, "expected an object, got " + describe_json(j_));
  }
}

std::string JsonFields::field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

const json& JsonFields::at(const std::string& key) {
  if (!j_.contains(key)) throw InvalidInput(field(key), "is required");
  used_.insert(key);
  return j_.at(key);
}

std::string JsonFields::string(const std::string& key) {
  const json& v = at(key);
  if (!v.is_string()) throw InvalidInput(field(key), "expected a string, got " + describe_json(v));
  return v.get<std::string>();
}

bool JsonFields::boolean(const std::string& key) {
  const json& v = at(key);
  if (!v.is_boolean()) throw InvalidInput(field(key), "expected true or false, got " + describe_json(v));
  return v.get<bool>();
}

void JsonFields::finish(const std::vector<std::string>& known) const {
  for (const auto& item : j_.items()) {
    if (used_.count(item.key())) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw InvalidInput(field(item.key()), "unknown key (known keys here: " + list + ")");
  }
}

double JsonFields::as_number(const json& v, const std::string& field) {
  if (!v.is_number()) throw InvalidInput(field, "expected a number, got " + describe_json(v));
  return v.get<double>();
}

std::int64_t JsonFields::as_integer(const json& v, const std::string& field) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  throw InvalidInput(field, "expected an integer, got " + describe_json(v));
}

std::uint64_t JsonFields::as_unsigned(const json& v, const std::string& field, std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t value = 0;
  if (v.is_number_unsigned()) {
    value = v.get<std::uint64_t>();
  } else if (v.is_number_integer()) {
    // A signed integer (JSON built in code holds them even when non-negative).
    if (v.get<std::int64_t>() < 0) {
      throw InvalidInput(field, "value " + v.dump() + " must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    value = static_cast<std::uint64_t>(v.get<std::int64_t>());
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>() &&
             v.get<double>() >= 0.0 && v.get<double>() < 9.0e15) {
    value = static_cast<std::uint64_t>(v.get<double>());
  } else {
    throw InvalidInput(field, "expected a non-negative integer, got " + describe_json(v));
  }
  if (value < lo || value > hi) {
    throw InvalidInput(field, "value " + std::to_string(value) + " must lie in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
  }
  return value;
}

Backend parse_backend(const std::string& name, const std::string& field, std::initializer_list<Backend> allowed) {
  std::string known;
  for (Backend b : allowed) {
    if (name == to_string(b)) return b;
    known += (known.empty() ? "" : ", ") + std::string(to_string(b));
  }
  throw InvalidInput(field, "unknown backend \"" + name + "\" (known: " + known + ")");
}

NETRL_NAMESPACE_END  // namespace netrl
