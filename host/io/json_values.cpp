#include "io/json_values.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

using nlohmann::json;

namespace {

/// A scalar as JSON text, strings shortened; containers as [...] / {...} (not descended into).
std::string scalar_text(const json& j) {
  if (j.is_string()) return quote_value(j.get_ref<const std::string&>());
  if (j.is_array()) return j.empty() ? "[]" : "[...]";
  if (j.is_object()) return j.empty() ? "{}" : "{...}";
  return j.dump();  // number, boolean, null: short
}

}  // namespace

std::string describe_json(const json& j) {
  std::string text;
  if (j.is_array() || j.is_object()) {
    // The first members only, one level deep: bounded whatever the value's size or depth.
    text = j.is_array() ? "[" : "{";
    std::size_t shown = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++shown) {
      if (text.size() > 40) {
        text += "...";
        break;
      }
      if (shown) text += ",";
      if (j.is_object()) text += quote_value(it.key()) + ":";
      text += scalar_text(*it);
    }
    text += j.is_array() ? "]" : "}";
    text += " (" + std::to_string(j.size()) + (j.is_array() ? " entries)" : " keys)");
  } else if (j.is_null()) {
    return "null";
  } else {
    text = scalar_text(j);
  }
  return std::string(j.type_name()) + " " + text;
}

std::string fmt17(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string shorten_quotes(const std::string& message) {
  // nlohmann ends its messages with the token it stopped at: "...; last read: 'TOKEN'".
  const std::string marker = "last read: '";
  const std::size_t at = message.find(marker);
  if (at == std::string::npos) return shorten(message, 400);
  std::string token = message.substr(at + marker.size());
  if (!token.empty() && token.back() == '\'') token.pop_back();
  return shorten(message.substr(0, at), 400) + marker + shorten(token) + "'";
}

namespace io {

JsonFile::JsonFile(const json& j, std::string path, std::string field, std::string what)
    : j_(j), path_(std::move(path)), field_(std::move(field)), what_(std::move(what)) {
  if (!j_.is_object()) {
    throw InvalidInput(field_, path_ + " holds " + describe_json(j_) + ", not an object; is it " + what_ + "?");
  }
}

void JsonFile::fail(const std::string& key, const std::string& message) const {
  throw InvalidInput(field_, path_ + ": " + quote_value(key) + " " + message);
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

std::vector<std::int64_t> JsonFile::integers(const std::string& key, std::int64_t lo, std::int64_t hi) const {
  const json& v = at(key);
  if (!v.is_array()) fail(key, "must be an array of integers, got " + describe_json(v));
  std::vector<std::int64_t> out;
  out.reserve(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const json& e = v[k];
    bool in_range = false;
    if (e.is_number_unsigned()) {
      const std::uint64_t u = e.get<std::uint64_t>();
      in_range = hi >= 0 && u <= static_cast<std::uint64_t>(hi) && (lo <= 0 || u >= static_cast<std::uint64_t>(lo));
    } else if (e.is_number_integer()) {
      const std::int64_t i = e.get<std::int64_t>();
      in_range = i >= lo && i <= hi;
    }
    if (!in_range) {
      fail(key, "entry [" + std::to_string(k) + "] must be an integer in [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "], got " + describe_json(e));
    }
    out.push_back(e.get<std::int64_t>());
  }
  return out;
}

}  // namespace io
NETRL_NAMESPACE_END  // namespace netrl
