#include "io/json_values.hpp"

#include <cmath>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

using nlohmann::json;

std::string describe_json(const json& j) {
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(j.type_name()) + " " + text;
}

namespace io {

JsonFile::JsonFile(const json& j, std::string path, std::string field, std::string what)
    : j_(j), path_(std::move(path)), field_(std::move(field)), what_(std::move(what)) {
  if (!j_.is_object()) {
    throw InvalidInput(field_, path_ + " holds " + describe_json(j_) + ", not an object; is it " + what_ + "?");
  }
}

void JsonFile::fail(const std::string& key, const std::string& message) const {
  throw InvalidInput(field_, path_ + ": \"" + key + "\" " + message);
}

const json& JsonFile::at(const std::string& key) const {
  if (!j_.contains(key)) fail(key, "is missing; is it " + what_ + "?");
  return j_.at(key);
}

std::string JsonFile::string(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_string()) fail(key, "must be a string, got " + describe_json(v));
  return v.get<std::string>();
}

double JsonFile::number(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) fail(key, "must be a finite number, got " + describe_json(v));
  return v.get<double>();
}

std::int64_t JsonFile::integer(const std::string& key, std::int64_t lo, std::int64_t hi) const {
  const json& v = at(key);
  if (!v.is_number_integer()) fail(key, "must be an integer, got " + describe_json(v));
  const std::int64_t x = v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)
                             ? hi + (hi < std::numeric_limits<std::int64_t>::max() ? 1 : 0)
                             : v.get<std::int64_t>();
  if (x < lo || x > hi) {
    fail(key, "= " + describe_json(v) + " must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return x;
}

bool JsonFile::boolean(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_boolean()) fail(key, "must be true or false, got " + describe_json(v));
  return v.get<bool>();
}

std::vector<double> JsonFile::numbers_or_null(const std::string& key) const {
  const json& v = at(key);
  if (!v.is_array()) fail(key, "must be an array of numbers, got " + describe_json(v));
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k].is_null()) out.push_back(std::numeric_limits<double>::quiet_NaN());
    else if (v[k].is_number()) out.push_back(v[k].get<double>());
    else fail(key, "entry [" + std::to_string(k) + "] must be a number or null, got " + describe_json(v[k]));
  }
  return out;
}

}  // namespace io
NETRL_NAMESPACE_END  // namespace netrl
