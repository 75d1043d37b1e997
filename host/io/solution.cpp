#include "netrl/io/solution.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/json_values.hpp"
#include "io/parametric_output.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

using nlohmann::json;

nlohmann::json solution_json(const Problem& problem, const SolveResult& r) {
  json j;
  j["model"] = to_string(problem.kind);
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
  if (r.parametric) add_parametric_json(j, problem, r);
  if (problem.kind == ModelKind::network) {
    j["n"] = problem.network.n;
    j["m"] = problem.network.m();
    j["prior_mode"] = to_string(problem.network.prior_mode);
  } else if (problem.kind == ModelKind::mdp) {
    j["mdp_states"] = problem.mdp.num_states;
    j["mdp_actions"] = problem.mdp.num_actions;
  } else {
    j["maze_states"] = problem.maze.num_states();
    j["actions"] = {"up", "down", "left", "right"};
  }
  return j;
}

std::string spike_count_csv(const std::vector<double>& p, int rows, int cols) {
  std::ostringstream csv;
  csv << "K";
  for (int x = 0; x < cols; ++x) csv << ",x" << x;
  csv << "\n";
  char buf[64];
  for (int k = 0; k < rows; ++k) {
    csv << k;
    for (int x = 0; x < cols; ++x) {
      std::snprintf(buf, sizeof buf, ",%.17g", p[static_cast<std::size_t>(k) * cols + x]);
      csv << buf;
    }
    csv << "\n";
  }
  return csv.str();
}

std::string tuning_csv(const TuningCurves& t) {
  std::ostringstream csv;
  csv << "neuron,x,others_active,p_spike,mass\n";
  char buf[128];
  for (int i = 0; i <= t.n; ++i)
    for (int x = 0; x < t.m; ++x)
      for (int k = 0; k < t.n; ++k) {
        const std::size_t e = t.index(i, x, k);
        csv << (i < t.n ? std::to_string(i) : std::string("all"));
        std::snprintf(buf, sizeof buf, ",%d,%d,%.17g,%.17g\n", x, k, t.p_spike[e], t.mass[e]);
        csv << buf;
      }
  return csv.str();
}

void write_solution(const std::string& dir, const Problem& problem, const SolveResult& r,
                    const SolutionOutputs& outputs) {
  OutputDir out(dir);
  write_solution(out, problem, r, outputs);
}

void write_solution(OutputDir& out, const Problem& problem, const SolveResult& r, const SolutionOutputs& outputs) {
  // The policy tables are computed (and their size checked) before any file is written.
  std::vector<double> policy;
  std::vector<std::uint64_t> policy_shape;
  std::string tuning;
  if (outputs.policy && (r.parametric || problem.kind == ModelKind::mdp)) {
    throw InvalidInput("policy", "policy tables are written for exact solutions of networks and mazes");
  }
  if (outputs.policy && problem.kind == ModelKind::network) {
    const NetworkModel& net = problem.network;
    tuning = tuning_csv(tuning_curves(net, r));
    policy = network_policy(net, r);
    policy_shape = {static_cast<std::uint64_t>(net.m()), net.num_network_states(), static_cast<std::uint64_t>(net.n)};
  } else if (outputs.policy && problem.kind == ModelKind::maze) {
    policy = maze_policy(problem.maze, problem.maze_lambda, r);
    policy_shape = {static_cast<std::uint64_t>(problem.maze.num_states()), std::uint64_t{Maze::kNumActions}};
  }
  const std::uint64_t size = r.values.size();
  if (r.parametric) {
    write_parametric_files(out, r);
  } else {
    out.write_npy("values.npy", r.values, {size});
    out.write_npy("stationary.npy", r.stationary, {size});
  }
  json j = solution_json(problem, r);
  if (problem.kind == ModelKind::network) {
    out.write_text("spike_count.csv", spike_count_csv(r.spike_count, r.spike_count_rows, r.spike_count_cols));
  }
  if (outputs.policy) {
    out.write_npy("policy.npy", policy, policy_shape);
    if (problem.kind == ModelKind::network) {
      out.write_text("tuning.csv", tuning);
    } else {
      out.write_npy("action_prior.npy", r.prior, {static_cast<std::uint64_t>(r.prior.size())});
    }
  }
  if (outputs.efficient_coding != nullptr) {
    const EfficientCodingResult& e = *outputs.efficient_coding;
    out.write_npy("reward.npy", e.reward, {size});
    out.write_npy("log_posterior.npy", e.log_posterior, {size});
    j["efficient_coding"] = {{"iterations", e.iterations},
                             {"final_change", e.final_change},
                             {"change_history", e.change_history},
                             {"converged", e.converged},
                             {"information", e.information},
                             {"independent_information", e.independent_information}};
  }
  out.write_json("result.json", j);
  out.commit();
}

Solution read_solution(const std::string& dir) {
  const std::string result_path = dir + "/result.json";
  const json result = read_json_file(result_path);
  const JsonFile f(result, result_path, "solution", "a `netrl solve --out` directory");
  Solution s;
  s.dir = dir;
  const std::string model = f.string("model");
  if (result.contains("method") && result["method"] == "parametric") {
    throw InvalidInput("solution", result_path + " is the output of the parametric solver (J.npy, h_policy.npy), "
                                   "not an exact solution with values.npy; sample it as an Ising policy instead");
  }
  if (model == "network") {
    s.model = ModelKind::network;
    s.n = static_cast<int>(f.integer("n", 1, 64));
    s.m = static_cast<int>(f.integer("m", 1, std::int64_t{1} << 30));
    if (f.has("prior_mode")) s.prior_mode = f.string("prior_mode");
  } else if (model == "maze") {
    s.model = ModelKind::maze;
    s.maze_states = static_cast<int>(f.integer("maze_states", 1, std::int64_t{1} << 30));
  } else if (model == "mdp") {
    s.model = ModelKind::mdp;
    s.mdp_states = static_cast<int>(f.integer("mdp_states", 1, std::numeric_limits<int>::max()));
    s.mdp_actions = static_cast<int>(f.integer("mdp_actions", 1, std::numeric_limits<int>::max()));
  } else {
    throw InvalidInput("solution", result_path + ": \"model\" is " + quote_value(model) +
                                       ", expected \"network\", \"maze\" or \"mdp\"");
  }
  s.lambda = f.number("lambda");
  SolveResult& r = s.result;
  r.gain = f.number("gain");
  r.mean_reward = f.number("mean_reward");
  r.mean_coding_cost = f.number("mean_coding_cost");
  r.converged = f.boolean("converged");
  r.prior = f.numbers_or_null("prior");
  for (std::size_t k = 0; k < r.prior.size(); ++k) {
    if (!std::isnan(r.prior[k]) && !(r.prior[k] >= 0.0 && r.prior[k] <= 1.0)) {
      throw InvalidInput("solution", result_path + ": \"prior\" entry [" + std::to_string(k) + "] = " +
                                         fmt17(r.prior[k]) + " is not a probability in [0, 1] (or null)");
    }
  }
  if (f.has("degenerate")) {
    // Neurons (networks) or actions (mazes).
    const std::int64_t most = s.model == ModelKind::network ? s.n - 1 : Maze::kNumActions - 1;
    for (std::int64_t d : f.integers("degenerate", 0, most)) r.degenerate.push_back(static_cast<int>(d));
  }
  auto load = [&](const char* name) {
    const std::string path = dir + "/" + name;
    const npy::Array a = under_field("solution", [&] { return npy::load(path); });
    if (a.dtype != "<f8") throw InvalidInput("solution", path + " holds dtype '" + a.dtype + "'; expected float64");
    if (a.shape.size() != 1) {
      throw InvalidInput("solution", path + " has shape " + npy::shape_text(a.shape) + "; expected one dimension");
    }
    return npy::to_double(a, path);
  };
  r.values = load("values.npy");
  r.stationary = load("stationary.npy");
  return s;
}

void check_solution(const Solution& s, const Problem& problem, bool check_lambda) {
  const SolveResult& r = s.result;
  const std::string result_path = s.dir + "/result.json";
  if (s.model != problem.kind) {
    throw InvalidInput("solution", result_path + " is not the solution of a " + to_string(problem.kind) + " model");
  }
  if (check_lambda && std::abs(s.lambda - problem.lambda()) > 1e-12 * std::abs(problem.lambda())) {
    char buf[160];
    std::snprintf(buf, sizeof buf, " was solved at lambda = %.17g; the config has lambda = %.17g", s.lambda,
                  problem.lambda());
    throw InvalidInput("solution", result_path + buf);
  }
  std::uint64_t states = 0;
  if (problem.kind == ModelKind::network) {
    const NetworkModel& net = problem.network;
    if (s.n != net.n || s.m != net.m()) {
      throw InvalidInput("solution", result_path + " has n = " + std::to_string(s.n) + ", m = " + std::to_string(s.m) +
                                         "; the config has n = " + std::to_string(net.n) + ", m = " +
                                         std::to_string(net.m()));
    }
    if (r.prior.size() != static_cast<std::size_t>(net.n)) {
      throw InvalidInput("solution", result_path + ": \"prior\" has " + std::to_string(r.prior.size()) +
                                         " entries, expected n = " + std::to_string(net.n));
    }
    const std::uint64_t mask = net.clamp_mask();
    for (int i = 0; i < net.n; ++i) {
      const bool clamped = (mask >> i) & 1;
      if (clamped != std::isnan(r.prior[i])) {
        throw InvalidInput("solution", result_path + ": neuron " + std::to_string(i) + " is " +
                                           (clamped ? "clamped in the config but has a prior"
                                                    : "free in the config but has a null prior (clamped there)"));
      }
    }
    states = net.num_states();
  } else if (problem.kind == ModelKind::mdp) {
    const Mdp& mdp = problem.mdp;
    if (s.mdp_states != mdp.num_states || s.mdp_actions != mdp.num_actions ||
        r.prior.size() != static_cast<std::size_t>(mdp.num_actions)) {
      throw InvalidInput("solution", result_path + " has " + std::to_string(s.mdp_states) + " states, " +
                                         std::to_string(s.mdp_actions) + " actions and " +
                                         std::to_string(r.prior.size()) + " prior entries; the config's MDP has " +
                                         std::to_string(mdp.num_states) + " states and " +
                                         std::to_string(mdp.num_actions) + " actions");
    }
    states = static_cast<std::uint64_t>(mdp.num_states);
  } else {
    if (r.prior.size() != static_cast<std::size_t>(Maze::kNumActions)) {
      throw InvalidInput("solution", result_path + ": \"prior\" needs one entry per action (4)");
    }
    if (s.maze_states != problem.maze.num_states()) {
      throw InvalidInput("solution", result_path + " has " + std::to_string(s.maze_states) +
                                         " maze states; the config's maze has " +
                                         std::to_string(problem.maze.num_states()));
    }
    states = static_cast<std::uint64_t>(problem.maze.num_states());
  }
  if (r.values.size() != states || r.stationary.size() != states) {
    throw InvalidInput("solution", s.dir + ": values.npy / stationary.npy hold " + std::to_string(r.values.size()) +
                                       " / " + std::to_string(r.stationary.size()) + " entries; the model has " +
                                       std::to_string(states) + " states");
  }
  const std::uint64_t nb = problem.kind == ModelKind::network ? problem.network.num_network_states() : states;
  for (std::uint64_t k = 0; k < states; ++k) {
    const bool consistent = problem.kind != ModelKind::network || problem.network.consistent(k % nb);
    if (consistent && !std::isfinite(r.values[k])) {
      throw InvalidInput("solution", s.dir + "/values.npy: value at state " + std::to_string(k) + " is not finite");
    }
  }
  // A distribution: finite, non-negative, summing to 1 (written by the solver to rounding).
  double total = 0.0;
  for (std::uint64_t k = 0; k < states; ++k) {
    if (!(std::isfinite(r.stationary[k]) && r.stationary[k] >= 0.0)) {
      throw InvalidInput("solution", s.dir + "/stationary.npy: entry [" + std::to_string(k) + "] = " +
                                         fmt17(r.stationary[k]) + " is not a probability (finite and >= 0)");
    }
    total += r.stationary[k];
  }
  if (!(std::abs(total - 1.0) <= 1e-6)) {
    throw InvalidInput("solution", s.dir + "/stationary.npy: the entries sum to " + fmt17(total) +
                                       ", not 1 (a stationary distribution; tolerance 1e-6)");
  }
}

WarmStart read_warm_start(const std::string& dir, const Problem& problem) {
  const std::string field = "warm_start (" + dir + ")";
  if (problem.kind != ModelKind::network) throw InvalidInput(field, "warm starts apply to network models only");
  return under_field(field, [&] {
    Solution s;
    try {
      s = read_solution(dir);
    } catch (const IoError& e) {
      throw IoError(field + ": " + e.what());
    }
    check_solution(s, problem, false);
    WarmStart w;
    w.values = std::move(s.result.values);
    w.prior = std::move(s.result.prior);
    w.stationary = std::move(s.result.stationary);
    return w;
  });
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
