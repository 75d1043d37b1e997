// `netrl solve`: the forward problem of a configuration or a scenario.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"

namespace netrl::cli {

namespace {

std::string summary(const Problem& problem, const SolveResult& r) {
  std::ostringstream os;
  char buf[256];
  os << "netrl solve: " << problem.source << "\n";
  if (problem.kind == ModelKind::network) {
    const auto& net = problem.network;
    std::snprintf(buf, sizeof buf, "  network n = %d, m = %d, lambda = %g, prior %s, %llu consistent states\n", net.n,
                  net.m(), net.lambda, to_string(net.prior_mode), static_cast<unsigned long long>(r.states));
  } else {
    std::snprintf(buf, sizeof buf, "  maze %dx%d, %d states, slip %g, lambda = %g\n", problem.maze.rows,
                  problem.maze.cols, problem.maze.num_states(), problem.maze.slip, problem.maze_lambda);
  }
  os << buf;
  std::snprintf(buf, sizeof buf, "  gain L = %.12f  (bounds [%.12f, %.12f])\n", r.gain, r.gain_lo, r.gain_hi);
  os << buf;
  std::snprintf(buf, sizeof buf, "  <r> = %.6f   <c> = %.6f\n", r.mean_reward, r.mean_coding_cost);
  os << buf;
  os << "  prior:";
  for (double p : r.prior) {
    if (std::isnan(p)) os << " clamped";
    else os << " " << fmt(p, "%.4f");
  }
  os << "\n";
  if (!r.degenerate.empty()) {
    os << "  degenerate (prior hit the clip):";
    for (int d : r.degenerate) os << " " << d;
    os << "\n";
  }
  if (problem.kind == ModelKind::network) {
    const int cols = r.spike_count_cols;
    for (int x = 0; x < cols; ++x) {
      int best = 0;
      for (int k = 1; k < r.spike_count_rows; ++k)
        if (r.spike_count[k * cols + x] > r.spike_count[best * cols + x]) best = k;
      std::snprintf(buf, sizeof buf, "  input x%d: most likely spike count K = %d, P(K|x) = %.3f\n", x, best,
                    r.spike_count[best * cols + x]);
      os << buf;
    }
  }
  std::snprintf(buf, sizeof buf, "  %s, backend %s (%s): %lld outer / %lld inner iterations, %.3f s, %s\n",
                r.method.c_str(), r.backend.c_str(), r.precision.c_str(), static_cast<long long>(r.outer_iterations),
                static_cast<long long>(r.inner_iterations), r.elapsed_seconds,
                r.converged ? "converged" : "NOT CONVERGED");
  os << buf;
  if (!r.note.empty()) os << "  note: " << r.note << "\n";
  return os.str();
}

}  // namespace

int run_solve(const SolveArgs& args) {
  const Problem problem = args.scenario.empty() ? load_problem(args.config) : scenario(args.scenario);
  const auto out = open_output(args.out);
  const SolveResult result = solve(problem);
  std::cout << summary(problem, result);
  if (out) {
    io::write_solution(*out, problem, result);
    std::cout << "  wrote " << args.out << "/result.json\n";
  }
  if (!result.converged) {
    std::cerr << "netrl: the solver did not converge (" << result.note
              << "); results are marked \"converged\": false\n";
    return 3;
  }
  return 0;
}

std::unique_ptr<io::OutputDir> open_output(const std::string& dir) {
  if (dir.empty()) return nullptr;
  return under_field("--out", [&] { return std::make_unique<io::OutputDir>(dir); });
}

std::string fmt(double v, const char* spec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

}  // namespace netrl::cli
