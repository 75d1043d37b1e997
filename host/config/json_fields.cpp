#include "config/json_fields.hpp"

#include <algorithm>
#include <cmath>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

using nlohmann::json;

ObjectView::ObjectView(const json& base, const std::string& path) : base_(&base) {
  if (!base.is_object()) {
    throw InvalidInput(path.empty() ? "config" : path, "expected an object, got " + describe_json(base));
  }
}

const std::pair<std::string, const json*>* ObjectView::edit(const std::string& key) const {
  for (auto it = edits_.rbegin(); it != edits_.rend(); ++it)
    if (it->first == key) return &*it;
  return nullptr;
}

void ObjectView::hide(const std::string& key) { edits_.emplace_back(key, nullptr); }

void ObjectView::replace(const std::string& key, const json* value) { edits_.emplace_back(key, value); }

bool ObjectView::contains(const std::string& key) const {
  if (const auto* e = edit(key)) return e->second != nullptr;
  return base_->contains(key);
}

const json& ObjectView::at(const std::string& key) const {
  if (const auto* e = edit(key)) return *e->second;
  return base_->at(key);
}

std::vector<std::string> ObjectView::keys() const {
  std::vector<std::string> out;
  for (const auto& item : base_->items())
    if (contains(item.key())) out.push_back(item.key());
  for (const auto& e : edits_) {
    if (e.second == nullptr || base_->contains(e.first)) continue;
    if (std::find(out.begin(), out.end(), e.first) == out.end() && contains(e.first)) out.push_back(e.first);
  }
  return out;
}

JsonFields::JsonFields(const json& j, std::string path) : view_(j, path), path_(std::move(path)) {}

JsonFields::JsonFields(const ObjectView& view, std::string path) : view_(view), path_(std::move(path)) {}

std::string JsonFields::field(const std::string& key) const {
  const std::string k = shorten(key);
  return path_.empty() ? k : path_ + "." + k;
}

const json& JsonFields::at(const std::string& key) {
  if (!view_.contains(key)) throw InvalidInput(field(key), "is required");
  used_.insert(key);
  return view_.at(key);
}

std::string JsonFields::path_string(const std::string& key) {
  const std::string s = string(key);
  if (s.empty()) throw InvalidInput(field(key), "the file name is empty");
  if (s.size() > 4096) throw InvalidInput(field(key), "the file name has " + std::to_string(s.size()) + " bytes, more than 4096");
  if (s.find('\0') != std::string::npos) throw InvalidInput(field(key), "the file name contains a NUL character");
  return s;
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
  for (const auto& key : view_.keys()) {
    if (used_.count(key)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw InvalidInput(field(key), "unknown key (known keys here: " + list + ")");
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
  } else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    value = static_cast<std::uint64_t>(v.get<std::int64_t>());  // a JSON built in code, not parsed
  } else if (v.is_number_integer()) {
    // A signed integer (JSON built in code holds them even when non-negative).
    if (v.get<std::int64_t>() < 0) {
      throw InvalidInput(field, "value " + v.dump() + " must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    value = static_cast<std::uint64_t>(v.get<std::int64_t>());
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>() &&
             v.get<double>() >= 0.0 && v.get<double>() < 9.0e15) {
    value = static_cast<std::uint64_t>(v.get<double>());
  } else if (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>()) {
    // An integral float out of the exact range: below 0, or beyond 9e15 where floats skip integers.
    const double d = v.get<double>();
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    // Compared as integers: 2^64 - 1 rounds up to 2^64 as a double, so 2^64 (an integer too long
    // for uint64, which the parser keeps as a float) passed a comparison of doubles.
    const bool outside = d < 0.0 || d >= 18446744073709551616.0 || static_cast<std::uint64_t>(d) < lo ||
                         static_cast<std::uint64_t>(d) > hi;
    if (outside) {
      throw InvalidInput(field, "value " + v.dump() + " must lie in " + range);
    }
    throw InvalidInput(field, "value " + v.dump() + " lies in " + range +
                                  " but is written as a float, exact only below 9e15: write the integer's digits");
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
  throw InvalidInput(field, "unknown backend " + quote_value(name) + " (known: " + known + ")");
}

NETRL_NAMESPACE_END  // namespace netrl
