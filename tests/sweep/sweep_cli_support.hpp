#pragma once
// Helpers of the `netrl sweep` command-line tests (test_sweep_cli*.cpp): running the tool, reading
// its table.csv and journal, writing sweep files.
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "netrl/io/files.hpp"

namespace netrl::sweep_test {

namespace fs = std::filesystem;
using nlohmann::json;
using Table = std::vector<std::map<std::string, std::string>>;

inline test::CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_sweep_cli_"));
}

/// A CSV file with quoted fields ("" inside quotes is a quote) as rows of column -> text.
inline Table read_csv(const fs::path& path) {
  const std::string text = io::read_file(path.string());
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      lines.push_back(row);
      row.clear();
    } else {
      field += c;
    }
  }
  Table t;
  for (std::size_t r = 1; r < lines.size(); ++r) {
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < lines[0].size() && c < lines[r].size(); ++c) m[lines[0][c]] = lines[r][c];
    t.push_back(m);
  }
  return t;
}

/// A table without its timing columns (they differ between runs).
inline Table without_timings(Table t) {
  for (auto& row : t)
    for (auto it = row.begin(); it != row.end();)
      it = it->first.find("seconds") != std::string::npos ? row.erase(it) : std::next(it);
  return t;
}

inline fs::path write_json(const fs::path& path, const json& j) {
  std::ofstream(path) << j.dump(2);
  return path;
}

/// The journal's records (the lines after its header).
inline std::vector<std::string> journal_ids(const fs::path& dir) {
  std::istringstream in(io::read_file((dir / "journal").string()));
  std::vector<std::string> ids;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) ids.push_back(line);
  return ids;
}

}  // namespace netrl::sweep_test
