#pragma once
// The data directory of a figure (`netrl figure NAME --out DIR`, docs/figures.md): one CSV per
// table, one .npy per array, and figure.json (written last). The PNG is drawn afterwards by
// figures::plot_figure.
#include <string>

#include "netrl/figures.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// Writes the figure's tables, arrays and figure.json (name, title, numbers, settings, notes, files)
/// into `dir`.
void write_figure(const std::string& dir, const figures::FigureData& figure);

/// A table as CSV text: the header, then one line per row, numbers with 17 significant digits.
std::string table_csv(const figures::Table& table);

}  NETRL_NAMESPACE_END  // namespace netrl::io
