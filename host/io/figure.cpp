// The data directory of a figure: CSV tables, .npy arrays, figure.json.
#include "netrl/io/figure.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

std::string table_csv(const figures::Table& table) {
  std::ostringstream csv;
  for (std::size_t c = 0; c < table.columns.size(); ++c) csv << (c ? "," : "") << table.columns[c];
  csv << "\n";
  char buf[64];
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::snprintf(buf, sizeof buf, "%s%.17g", c ? "," : "", row[c]);
      csv << buf;
    }
    csv << "\n";
  }
  return csv.str();
}

void write_figure(const std::string& dir, const figures::FigureData& figure) {
  OutputDir out(dir);
  nlohmann::json files = nlohmann::json::array();
  for (const auto& t : figure.tables) {
    out.write_text(t.file, table_csv(t));
    files.push_back(t.file);
  }
  for (const auto& a : figure.arrays) {
    out.write_npy(a.file, a.values, a.shape);
    files.push_back(a.file);
  }
  nlohmann::json j;
  j["figure"] = figure.name;
  j["title"] = figure.title;
  j["numbers"] = nlohmann::json::object();
  for (const auto& [k, v] : figure.numbers) j["numbers"][k] = v;  // NaN is written as null
  j["settings"] = nlohmann::json::object();
  for (const auto& [k, v] : figure.settings) j["settings"][k] = v;
  j["notes"] = figure.notes;
  j["files"] = files;
  j["png"] = "fig" + figure.name + ".png";
  out.write_json("figure.json", j);
  out.commit();
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
