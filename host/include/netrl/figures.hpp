#pragma once
// The paper's figures (docs/figures.md): each figure's data are computed here, by the library, as
// tables and arrays; io::write_figure puts them on disk and plot_figure draws the PNG with the
// plotting script that ships with netrl (figures/figN.py, matplotlib).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "netrl/core/solver_options.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

/// A table of numbers, written as CSV (a header line of column names, then one line per row,
/// 17 significant digits; NaN written as "nan").
struct Table {
  std::string file;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  /// Appends a row; InvalidInput ("row") when its length is not the number of columns.
  void add(std::vector<double> row);
  /// The column's index; InvalidInput ("column") when absent.
  std::size_t column(const std::string& name) const;
};

/// An array written as .npy (float64, C order).
struct Array {
  std::string file;
  std::vector<double> values;
  std::vector<std::uint64_t> shape;
};

struct FigureData {
  std::string name;
  std::string title;
  std::vector<Table> tables;
  std::vector<Array> arrays;
  /// Scalars of figure.json's "numbers" (e.g. r^2, iterations), in order.
  std::vector<std::pair<std::string, double>> numbers;
  /// Settings of figure.json's "settings" (e.g. "quick": "true", the lambdas), in order.
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::string> notes;

  /// The table written as `file`; InvalidInput ("file") when absent.
  const Table& table(const std::string& file) const;
  /// The number named `key`; InvalidInput ("key") when absent.
  double number(const std::string& key) const;
};

struct FigureOptions {
  /// Smaller settings that keep every figure within about a minute on two cores (docs/figures.md).
  bool quick = false;
  /// Forward solves of the network figures.
  Backend backend = Backend::automatic;
  /// Figure 3: the seed of the recordings.
  std::uint64_t seed = 1;
  /// Progress lines on stderr for the long parts.
  bool progress = false;
};

/// "1" ... "6".
std::vector<std::string> figure_names();
/// The data of figure `name`. InvalidInput ("figure") for a name that is not a figure.
FigureData figure_data(const std::string& name, const FigureOptions& options);

// The figures one by one (host/figures/figN.cpp).
FigureData maze_figure(const FigureOptions& options);              // 1
FigureData count8_figure(const FigureOptions& options);            // 2
FigureData sample_size_figure(const FigureOptions& options);       // 3
FigureData efficient_coding_figure(const FigureOptions& options);  // 4
FigureData ring_figure(const FigureOptions& options);              // 5
FigureData reward_models_figure(const FigureOptions& options);     // 6
/// The experiment of figure 3: sizes 1e3, 1e4, 1e5, 1e6 with 20 repeats (quick: 1e3 and 1e4, 3 repeats).
SampleSizeOptions sample_size_options(const FigureOptions& options);

/// The ring12 experiment of figure 5 (inverse false: the four settings, no inverse) or 6 (inverse
/// true: the ring12 setting, the three reward models and their predictions); quick: ring12_quick_options().
Ring12Options ring12_options(const FigureOptions& options, bool inverse);
/// Where the plotting scripts are: $NETRL_FIGURE_SCRIPTS if set, else the source tree's figures/
/// (a build tree), else the installed share/netrl/figures.
std::string scripts_dir();
/// The Python interpreter the scripts run with: $NETRL_PYTHON if set, else /usr/bin/python3.
std::string python();

/// Draws `dir`/figN.png from the data in `dir` with figures/figN.py. BackendError, saying what to
/// install, when the interpreter or matplotlib is missing; Error when the script fails.
void plot_figure(const std::string& name, const std::string& dir);

}  NETRL_NAMESPACE_END  // namespace netrl::figures
