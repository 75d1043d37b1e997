// The rows of a sweep and its CSV tables (session.hpp).
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/statistics.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

/// Keys of result.json that describe the run, not its result.
const std::set<std::string> kSkipped = {"source", "model", "command", "scenario"};

/// How deep flatten() follows objects, and the longest column name it makes. netrl's result.json
/// nests 3 levels with names of a few tens of bytes; a file beyond these bounds was not written
/// by netrl (and, read under a raised --limit json_depth, would recurse as deep as it nests and
/// make column names as long as the file for each of its values).
constexpr int kRowDepth = 8;
constexpr std::size_t kRowNameBytes = 256;

void flatten(const json& j, const std::string& prefix, int depth, ordered_json* row) {
  if (depth > kRowDepth) {
    throw IoError("result.json nests objects deeper than " + std::to_string(kRowDepth) +
                  " levels: not a result netrl wrote");
  }
  for (const auto& item : j.items()) {
    if (prefix.size() + item.key().size() > kRowNameBytes) {
      throw IoError("result.json holds a key path longer than " + std::to_string(kRowNameBytes) +
                    " bytes: not a result netrl wrote");
    }
    const std::string name = prefix + item.key();
    const json& v = item.value();
    if (prefix.empty() && kSkipped.count(item.key()) != 0) continue;
    if (v.is_object()) {
      flatten(v, name + ".", depth + 1, row);
    } else if (v.is_array()) {
      if (name == "gain_bounds" && v.size() == 2 && v[0].is_number() && v[1].is_number()) {
        (*row)["gain_lo"] = v[0];
        (*row)["gain_hi"] = v[1];
      } else if (name == "prior") {
        double sum = 0.0;
        int count = 0;
        for (const json& p : v)
          if (p.is_number()) {
            sum += p.get<double>();
            ++count;
          }
        (*row)["prior_mean"] = count > 0 ? json(sum / count) : json(nullptr);
      }
    } else {
      (*row)[name] = v;
    }
  }
}

/// A CSV cell: numbers in the shortest form that reads back to the same double (JSON's), NaN as
/// "nan", strings quoted when needed, other JSON values as compact JSON (quoted), null as empty.
std::string cell(const json& v) {
  std::string text;
  if (v.is_null()) return "";
  if (v.is_number_float() && !std::isfinite(v.get<double>())) {
    const double x = v.get<double>();
    return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  }
  if (v.is_number() || v.is_boolean()) return v.dump();
  text = v.is_string() ? v.get<std::string>() : v.dump();
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

/// The union of the rows' columns in order of first appearance.
std::vector<std::string> columns_of(const std::vector<ordered_json>& rows) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& row : rows)
    for (const auto& item : row.items())
      if (seen.insert(item.key()).second) columns.push_back(item.key());
  return columns;
}

}  // namespace

ordered_json table_row(const Point& point, const json& result) {
  ordered_json row = point.params;
  ordered_json results = ordered_json::object();
  flatten(result, "", 1, &results);
  for (const auto& item : results.items())
    if (!row.contains(item.key())) row[item.key()] = item.value();
  return row;
}

std::string table_csv(const std::vector<ordered_json>& rows, const std::vector<std::string>& ids) {
  const std::vector<std::string> columns = columns_of(rows);
  std::ostringstream csv;
  csv << "id";
  for (const auto& c : columns) csv << "," << cell(c);
  csv << "\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    csv << ids[r];
    for (const auto& c : columns) csv << "," << (rows[r].contains(c) ? cell(rows[r][c]) : "");
    csv << "\n";
  }
  return csv.str();
}

std::string summary_csv(const Spec& spec, const std::vector<ordered_json>& rows) {
  // Group keys: the axis keys (the parameters without "repeat" and the seed key).
  std::vector<std::string> keys;
  for (const Axis& a : spec.axes) keys.insert(keys.end(), a.keys.begin(), a.keys.end());
  std::set<std::string> params(keys.begin(), keys.end());
  params.insert("repeat");
  params.insert(spec.repeats.seed_key);
  std::vector<std::string> measured;
  for (const auto& c : columns_of(rows)) {
    if (params.count(c) != 0) continue;
    bool numeric = false;
    for (const auto& row : rows)
      if (row.contains(c) && row[c].is_number()) numeric = true;
    if (numeric) measured.push_back(c);
  }
  // Groups in order of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const ordered_json*>> groups;
  for (const auto& row : rows) {
    ordered_json key = ordered_json::object();
    for (const auto& k : keys) key[k] = row.contains(k) ? row[k] : ordered_json(nullptr);
    const std::string text = key.dump();
    auto& members = groups[text];
    if (members.empty()) order.push_back(text);
    members.push_back(&row);
  }
  std::ostringstream csv;
  for (std::size_t k = 0; k < keys.size(); ++k) csv << (k ? "," : "") << cell(keys[k]);
  csv << (keys.empty() ? "" : ",") << "repeats";
  for (const auto& m : measured) csv << "," << cell(m + "_mean") << "," << cell(m + "_sem") << "," << cell(m + "_count");
  csv << "\n";
  for (const auto& text : order) {
    const auto& members = groups[text];
    const ordered_json key = ordered_json::parse(text);
    std::size_t k = 0;
    for (const auto& item : key.items()) csv << (k++ ? "," : "") << cell(item.value());
    csv << (keys.empty() ? "" : ",") << members.size();
    for (const auto& m : measured) {
      std::vector<double> values;
      for (const ordered_json* row : members) {
        const bool number = row->contains(m) && (*row)[m].is_number();
        values.push_back(number ? (*row)[m].get<double>() : std::nan(""));
      }
      const MeanSem s = mean_sem(values);
      csv << "," << cell(s.mean) << "," << cell(s.sem) << "," << s.count;
    }
    csv << "\n";
  }
  return csv.str();
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
