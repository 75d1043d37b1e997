// `netrl solve`: the forward problem of a configuration or a scenario.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "progress.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/efficient_coding.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/policy.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"

namespace netrl::cli {

namespace {

std::string summary(const Problem& problem, const SolveResult& r) {
  std::ostringstream os;
  char buf[256];
  os << "netrl solve: " << problem.source << "\n";
  if (problem.kind == ModelKind::network && r.parametric) {
    const auto& net = problem.network;
    std::snprintf(buf, sizeof buf, "  network n = %d, m = %d, lambda = %g, prior %s, pairwise (Ising) value\n", net.n,
                  net.m(), net.lambda, to_string(net.prior_mode));
  } else if (problem.kind == ModelKind::network) {
    const auto& net = problem.network;
    std::snprintf(buf, sizeof buf, "  network n = %d, m = %d, lambda = %g, prior %s, %llu consistent states\n", net.n,
                  net.m(), net.lambda, to_string(net.prior_mode), static_cast<unsigned long long>(r.states));
  } else if (problem.kind == ModelKind::mdp) {
    std::snprintf(buf, sizeof buf, "  mdp, %d states, %d actions, %zu transitions, lambda = %g\n", problem.mdp.num_states,
                  problem.mdp.num_actions, problem.mdp.next_state.size(), problem.mdp_lambda);
  } else {
    std::snprintf(buf, sizeof buf, "  maze %dx%d, %d states, slip %g, lambda = %g\n", problem.maze.rows,
                  problem.maze.cols, problem.maze.num_states(), problem.maze.slip, problem.maze_lambda);
  }
  os << buf;
  if (r.parametric) {
    const ParametricSolution& p = *r.parametric;
    std::snprintf(buf, sizeof buf, "  gain L = %.6f +- %.6f (sampled, %lld batches of %llu samples)\n", r.gain, p.gain_se,
                  static_cast<long long>(p.batches), static_cast<unsigned long long>(problem.solver.parametric.batch));
    os << buf;
    if (p.has_exact) {
      std::snprintf(buf, sizeof buf, "  exact gain of the learned policy = %.6f (<r> = %.6f, <c> = %.6f)\n", p.exact_gain,
                    p.exact_mean_reward, p.exact_mean_coding_cost);
      os << buf;
    }
  } else {
    std::snprintf(buf, sizeof buf, "  gain L = %.12f  (bounds [%.12f, %.12f])\n", r.gain, r.gain_lo, r.gain_hi);
    os << buf;
  }
  std::snprintf(buf, sizeof buf, "  <r> = %.6f   <c> = %.6f\n", r.mean_reward, r.mean_coding_cost);
  os << buf;
  os << "  prior:";
  const std::size_t shown = std::min<std::size_t>(r.prior.size(), 16);
  for (std::size_t i = 0; i < shown; ++i) {
    if (std::isnan(r.prior[i])) os << " clamped";
    else os << " " << fmt(r.prior[i], "%.4f");
  }
  if (shown < r.prior.size()) os << " ... (" << r.prior.size() << " neurons)";
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
  if (args.write_policy && args.out.empty()) throw InvalidInput("--write-policy", "needs --out DIR");
  Problem problem = args.scenario.empty() ? load_problem(args.config) : scenario(args.scenario);
  if (problem.solver.method == Method::parametric) {
    // One line per target period on stderr, at most every 2 seconds.
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    problem.solver.parametric.progress = [last](const LearningCurvePoint& p) {
      const auto now = std::chrono::steady_clock::now();
      if (now - *last < std::chrono::seconds(2)) return;
      *last = now;
      char fields[48] = "";
      if (!std::isnan(p.field_error)) std::snprintf(fields, sizeof fields, ", field error %.3g", p.field_error);
      std::fprintf(stderr, "  batch %lld: gain %.6f +- %.6f, TD error %.3g%s, |dphi| %.3g, prior %.4f\n",
                   static_cast<long long>(p.batch), p.gain, p.gain_se, p.td_error, fields, p.phi_change, p.prior);
    };
  }
  const auto out = open_output(args.out);
  io::SolutionOutputs outputs;
  outputs.policy = args.write_policy;
  if (outputs.policy) under_field("--write-policy", [&] { check_policy_size(problem); });
  // An efficient-coding reward: the loop of solves, whose report goes with the solution.
  std::optional<EfficientCodingResult> coding;
  SolveResult result;
  if (problem.kind == ModelKind::network && !problem.network.reward.is_static()) {
    coding = efficient_coding(problem.network, problem.solver);
    outputs.efficient_coding = &*coding;
    result = coding->solution;
  } else {
    SolveHooks hooks;
    if (!problem.warm_start.empty()) hooks.warm_starts.push_back(io::read_warm_start(problem.warm_start, problem));
    if (args.progress) {
      hooks.progress = solve_progress_printer("netrl solve");
      hooks.progress_interval = args.progress_interval;
    }
    result = solve(problem, hooks);
  }
  std::cout << summary(problem, result);
  if (coding) {
    std::cout << "  efficient coding: " << coding->iterations << " solves, final reward change "
              << fmt(coding->final_change, "%.3e") << ", I(y; b) = " << fmt(coding->information, "%.6f")
              << " nats (independent neurons: " << fmt(coding->independent_information, "%.6f") << ")\n";
  }
  if (out) {
    io::write_solution(*out, problem, result, outputs);
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
