// `netrl figure NAME --out DIR`: a paper figure's data (computed by the library) and its PNG.
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "netrl/core/error.hpp"
#include "netrl/figures.hpp"
#include "netrl/io/figure.hpp"

namespace netrl::cli {

int run_figure(const FigureArgs& args) {
  figures::FigureOptions options;
  options.quick = args.quick;
  options.seed = args.seed;
  options.progress = args.progress;
  options.backend = parse_backend_option(args.backend, "--backend");
  figures::FigureData data;
  try {
    data = figures::figure_data(args.name, options);
  } catch (const InvalidInput& e) {
    // A figure's settings are built in: what the user chose is --backend, not a solver field.
    if (e.field() == "solver.backend") throw InvalidInput("--backend", e.message());
    if (!args.backend.empty()) {
      throw InvalidInput("--backend", "figure " + args.name + " cannot run on backend " + args.backend + " (" +
                                          e.field() + ": " + e.message() + ")");
    }
    throw;
  } catch (const BackendError& e) {
    const std::string what = e.what(), solver = "solver.backend ";
    if (what.rfind(solver, 0) == 0) throw BackendError("--backend " + what.substr(solver.size()));
    throw;
  }
  io::write_figure(args.out, data);
  std::cout << "netrl figure " << data.name << ": " << data.title << (args.quick ? " (quick)" : "") << "\n";
  for (const auto& [key, value] : data.numbers) std::cout << "  " << key << " = " << fmt(value, "%.10g") << "\n";
  for (const auto& note : data.notes) std::cout << "  note: " << note << "\n";
  std::cout << "  wrote the data to " << args.out << " (figure.json)\n";
  if (args.plot) {
    figures::plot_figure(data.name, args.out);
    std::cout << "  drew " << args.out << "/fig" << data.name << ".png\n";
  }
  return 0;
}

}  // namespace netrl::cli
