#include "netrl/io/solution.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"

namespace netrl {

nlohmann::json result_json(const Problem& problem, const SolveResult& r) {
  nlohmann::json j;
  j["model"] = problem.kind == ModelKind::network ? "network" : "maze";
  j["source"] = problem.source;
  j["lambda"] = problem.lambda();
  j["gain"] = r.gain;
  j["gain_bounds"] = {r.gain_lo, r.gain_hi};
  j["mean_reward"] = r.mean_reward;
  j["mean_coding_cost"] = r.mean_coding_cost;
  j["prior"] = r.prior;  // NaN (clamped neurons) is written as null
  j["degenerate"] = r.degenerate;
  j["outer_iterations"] = r.outer_iterations;
  j["inner_iterations"] = r.inner_iterations;
  j["converged"] = r.converged;
  j["states"] = r.states;
  j["backend"] = r.backend;
  j["precision"] = r.precision;
  j["method"] = r.method;
  j["elapsed_seconds"] = r.elapsed_seconds;
  j["gain_history"] = r.gain_history;
  if (r.matvecs > 0) j["krylov"] = {{"matvecs", r.matvecs}, {"relative_residual", r.krylov_residual}};
  if (!r.note.empty()) j["note"] = r.note;
  if (problem.kind == ModelKind::network) {
    j["n"] = problem.network.n;
    j["m"] = problem.network.m();
    j["prior_mode"] = to_string(problem.network.prior_mode);
  } else {
    j["maze_states"] = problem.maze.num_states();
    j["actions"] = {"up", "down", "left", "right"};
  }
  return j;
}

void write_outputs(const std::string& dir, const Problem& problem, const SolveResult& r) {
  io::ensure_directory(dir);
  const std::uint64_t size = r.values.size();
  npy::save(dir + "/values.npy", r.values, {size});
  npy::save(dir + "/stationary.npy", r.stationary, {size});
  if (problem.kind == ModelKind::network) {
    std::ostringstream csv;
    csv << "K";
    for (int x = 0; x < r.spike_count_cols; ++x) csv << ",x" << x;
    csv << "\n";
    char buf[64];
    for (int k = 0; k < r.spike_count_rows; ++k) {
      csv << k;
      for (int x = 0; x < r.spike_count_cols; ++x) {
        std::snprintf(buf, sizeof buf, ",%.17g", r.spike_count[static_cast<std::size_t>(k) * r.spike_count_cols + x]);
        csv << buf;
      }
      csv << "\n";
    }
    io::write_file_atomic(dir + "/spike_count.csv", csv.str());
  }
  // result.json last: its presence marks a complete output directory.
  io::write_file_atomic(dir + "/result.json", result_json(problem, r).dump(2) + "\n");
}

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
    else {
      std::snprintf(buf, sizeof buf, " %.4f", p);
      os << buf;
    }
  }
  os << "\n";
  if (!r.degenerate.empty()) {
    os << "  degenerate (prior hit the clip):";
    for (int d : r.degenerate) os << " " << d;
    os << "\n";
  }
  if (problem.kind == ModelKind::network) {
    for (int x = 0; x < r.spike_count_cols; ++x) {
      int best = 0;
      for (int k = 1; k < r.spike_count_rows; ++k)
        if (r.spike_count[k * r.spike_count_cols + x] > r.spike_count[best * r.spike_count_cols + x]) best = k;
      std::snprintf(buf, sizeof buf, "  input x%d: most likely spike count K = %d, P(K|x) = %.3f\n", x, best,
                    r.spike_count[best * r.spike_count_cols + x]);
      os << buf;
    }
  }
  std::snprintf(buf, sizeof buf, "  %s, backend %s (%s): %lld outer / %lld inner iterations, %.3f s, %s\n",
                r.method.c_str(), r.backend.c_str(), r.precision.c_str(),
                static_cast<long long>(r.outer_iterations), static_cast<long long>(r.inner_iterations),
                r.elapsed_seconds, r.converged ? "converged" : "NOT CONVERGED");
  os << buf;
  if (!r.note.empty()) os << "  note: " << r.note << "\n";
  return os.str();
}

}  // namespace netrl
