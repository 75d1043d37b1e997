// The figure registry: names, dispatch, and the table helpers (netrl/figures.hpp).
#include "netrl/figures.hpp"

#include <algorithm>
#include <cmath>

#include "figures/figure_support.hpp"
#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

void Table::add(std::vector<double> row) {
  if (row.size() != columns.size()) {
    throw InvalidInput("row", file + ": a row of " + std::to_string(row.size()) + " values for " +
                                  std::to_string(columns.size()) + " columns");
  }
  rows.push_back(std::move(row));
}

std::size_t Table::column(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return c;
  throw InvalidInput("column", file + " has no column \"" + name + "\"");
}

const Table& FigureData::table(const std::string& file) const {
  for (const Table& t : tables)
    if (t.file == file) return t;
  throw InvalidInput("file", "figure " + name + " has no table " + file);
}

double FigureData::number(const std::string& key) const {
  for (const auto& [k, v] : numbers)
    if (k == key) return v;
  throw InvalidInput("key", "figure " + name + " has no number \"" + key + "\"");
}

std::vector<std::string> figure_names() { return {"1", "2", "3", "4", "5", "6"}; }

FigureData figure_data(const std::string& name, const FigureOptions& options) {
  if (name == "1") return maze_figure(options);
  if (name == "2") return count8_figure(options);
  if (name == "3") return sample_size_figure(options);
  if (name == "4") return efficient_coding_figure(options);
  if (name == "5") return ring_figure(options);
  if (name == "6") return reward_models_figure(options);
  throw InvalidInput("figure", "unknown figure \"" + name + "\" (known: 1, 2, 3, 4, 5, 6)");
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures

NETRL_NAMESPACE_BEGIN namespace figures::detail {

std::vector<double> align_reward(const std::vector<double>& inferred, const std::vector<double>& target,
                                 const std::vector<double>& weights, std::uint64_t block, double scale) {
  std::vector<double> out(inferred.size());
  for (std::uint64_t start = 0; start < inferred.size(); start += block) {
    const std::uint64_t end = std::min<std::uint64_t>(start + block, inferred.size());
    double w = 0.0, t = 0.0, r = 0.0;
    for (std::uint64_t s = start; s < end; ++s)
      if (weights[s] > 0.0 && std::isfinite(inferred[s]) && std::isfinite(target[s])) {
        w += weights[s];
        t += weights[s] * target[s];
        r += weights[s] * inferred[s];
      }
    const double offset = w > 0.0 ? (t - scale * r) / w : 0.0;
    for (std::uint64_t s = start; s < end; ++s) out[s] = scale * inferred[s] + offset;
  }
  return out;
}

void add_spike_counts(Table& table, std::vector<double> lead, const SolveResult& r) {
  for (int x = 0; x < r.spike_count_cols; ++x)
    for (int K = 0; K < r.spike_count_rows; ++K) {
      std::vector<double> row = lead;
      row.insert(row.end(), {double(x), double(K), r.spike_count[static_cast<std::size_t>(K) * r.spike_count_cols + x]});
      table.add(std::move(row));
    }
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures::detail
