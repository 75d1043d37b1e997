// `netrl bench exact-vs-sampled`: the exact-vs-sampled benchmark through the sweep machinery
// (docs/sweeps.md), printed as a Markdown crossover table.
#include <cstdio>
#include <map>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "progress.hpp"
#include "netrl/core/error.hpp"
#include "netrl/sweep.hpp"

namespace netrl::cli {

namespace {

/// "8-20" or "12" -> [lo, hi].
void parse_range(const std::string& text, int* lo, int* hi) {
  const std::size_t dash = text.find('-');
  try {
    // Digits only: "8--9" read as 8..-9, and std::stoi takes signs and leading spaces.
    if (text.empty() || text.find_first_not_of("0123456789-") != std::string::npos ||
        text.find('-', dash == std::string::npos ? 0 : dash + 1) != std::string::npos) {
      throw std::invalid_argument(text);
    }
    std::size_t used = 0;
    *lo = std::stoi(text.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? text.size() : dash)) throw std::invalid_argument(text);
    *hi = *lo;
    if (dash != std::string::npos) {
      const std::string rest = text.substr(dash + 1);
      *hi = std::stoi(rest, &used);
      if (used != rest.size()) throw std::invalid_argument(text);
    }
  } catch (const std::exception&) {
    throw InvalidInput("--n", "\"" + text + "\" is not a size N or a range N1-N2");
  }
}

std::string cell(const sweep::CrossoverRow::Hit& h, bool applies) {
  if (!applies) return "| - | - ";
  if (h.samples == 0) return "| not reached | ";
  char buf[80];
  std::snprintf(buf, sizeof buf, "| %.3g | %.3g ", static_cast<double>(h.samples), h.seconds);
  return buf;
}

}  // namespace

int run_bench(const BenchArgs& args) {
  sweep::ExactVsSampledOptions b;
  parse_range(args.sizes, &b.n_min, &b.n_max);
  if (!args.samples.empty()) b.samples = args.samples;
  b.repeats = args.repeats;
  b.seed = args.seed;
  b.chains = args.chains;
  b.infer_max_n = args.infer_max_n;
  sweep::Options options;
  options.out = args.out;
  options.extend = args.extend;
  if (!args.quiet) {
    const bool terminal = stderr_is_terminal();
    options.progress = sweep_progress_printer(terminal);
    options.progress_interval = terminal ? 0.2 : 10.0;
  }
  sweep::ExactVsSampledResult r;
  try {
    r = sweep::exact_vs_sampled(b, options);
  } catch (const InvalidInput& e) {
    // The options' fields by the names the user wrote.
    static const std::map<std::string, std::string> kOptions = {
        {"n", "--n"}, {"samples", "--samples"}, {"repeats", "--repeats"}, {"chains", "--chains"},
        {"infer_max_n", "--infer-max-n"}};
    const auto it = kOptions.find(e.field());
    if (it != kOptions.end()) throw InvalidInput(it->second, e.message());
    throw;
  }
  std::printf("netrl bench exact-vs-sampled: count network, lambda %g, flip %g, %d repeats, %llu chains\n", b.lambda,
              b.flip, b.repeats, static_cast<unsigned long long>(b.chains));
  std::printf("targets: max_x TV of P(K|x) <= %g, |gain error| / gain <= %g, r^2 >= %g (mean over the repeats, at\n"
              "this and every larger number of samples)\n\n",
              b.tv_target, b.gain_target, b.r2_target);
  std::printf("| n | states | exact solve (s) | samples: TV | s | samples: gain | s | samples: r^2 | s (with inference) |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& row : r.rows) {
    std::printf("| %d | %llu | %.3g %s%s%s|\n", row.n, static_cast<unsigned long long>(row.states), row.exact_seconds,
                cell(row.tv, true).c_str(), cell(row.gain, true).c_str(), cell(row.r2, row.inferred).c_str());
  }
  std::printf("\nwrote %s (points: %s, %s)\n", r.crossover.c_str(), r.exact.table.c_str(), r.sampled.table.c_str());
  const std::size_t failed = r.exact.failed + r.sampled.failed;
  for (const auto& f : r.exact.failures) std::cerr << "netrl bench: exact point " << f << "\n";
  for (const auto& f : r.sampled.failures) std::cerr << "netrl bench: sampled point " << f << "\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace netrl::cli
