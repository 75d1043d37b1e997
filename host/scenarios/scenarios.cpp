// The forward and inference scenarios of the paper (count8, the maze).
#include "netrl/scenarios.hpp"

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
  return list;
}

inverse::PredictionSpec network_spec(const std::string& name, const Problem& base, double flip, int removed) {
  inverse::PredictionSpec s;
  s.name = name;
  s.setting = base;
  if (flip > 0.0) s.setting.network.input = InputProcess::binary_flip(flip);
  if (removed >= 0) s.setting.network.clamps.push_back(Clamp{removed, -1});
  s.keep_coding_cost = true;
  return s;
}

/// The default maze with walls moved: the wall at (row 0, column 7) opened, one at (row 4,
/// column 14) added (the shortest path changes; every free cell stays reachable).
std::vector<std::string> moved_walls_map() {
  auto map = Maze::default_map();
  map[0][7] = '.';
  map[4][14] = '#';
  return map;
}

}  // namespace

std::vector<std::string> scenario_names() {
  std::vector<std::string> names{"count8", "maze", "maze-high", "effcode"};
  for (const auto& r : ring12_scenario_names()) names.push_back(r);
  return names;
}
NetworkModel effcode_model(double bias, double lambda) {
  constexpr int kPixels = 7, kThreshold = 4;
  constexpr double kCoupling = 1.5;
  NetworkModel model;
  model.n = 7;
  model.input = InputProcess::glauber_pixels(kPixels, kCoupling, bias);
  model.reward = RewardSpec::efficient_coding(RewardSpec::threshold_labels(model.input.m, kThreshold));
  model.lambda = lambda;
  model.prior_mode = PriorMode::neuron;
  return model;
}

Problem scenario(const std::string& name) {
  Problem p;
  p.source = "scenario " + name;
  if (name == "count8") {
    p.kind = ModelKind::network;
    p.network = count8_model();
    return p;
  }
  for (const auto& r : ring12_scenario_names())
    if (name == r) return ring12_scenario(name);
  if (name == "effcode") {
    p.kind = ModelKind::network;
    p.network = effcode_model();
    // Each loop iteration is a full solve; policy iteration takes a few seconds where value
    // iteration takes about ten times longer (m = 128, 2^7 network states).
    p.solver.method = Method::policy_iteration;
    return p;
  }
  if (name == "maze" || name == "maze-high") {
    p.kind = ModelKind::maze;
    p.maze = Maze::parse(Maze::default_map(), 0.05, "default map");
    p.maze_lambda = name == "maze" ? 0.013 : 0.13;
    // Policy iteration reaches the fixed point in 0.03-0.14 s (13 and 32 prior-loop iterations at
    // tol = prior_tol = 1e-12) where value iteration takes 0.2-0.5 s (`netrl solve` on this
    // project's 2-core machine at load 2-3; docs/mdp.md).
    p.solver.method = Method::policy_iteration;
    return p;
  }
  throw InvalidInput("scenario", "unknown scenario " + quote_value(name) + " (known: " + join(scenario_names()) + ")");
}

std::vector<inverse::PredictionSpec> count8_predictions(const Problem& base) {
  return {network_spec("flip 0.01", base, 0.01, -1), network_spec("flip 0.03", base, 0.03, -1),
          network_spec("cell 0 removed", base, 0.0, 0)};
}

std::vector<std::string> infer_scenario_names() { return {"count8", "count8-samples", "maze", "ring12"}; }

InferSettings infer_scenario(const std::string& name, Backend backend) {
  InferSettings c;
  c.has_truth = true;
  c.source = "scenario " + name;
  if (name == "count8") {
    c.problem = scenario("count8");
    c.problem.solver.backend = backend;
    c.predictions = count8_predictions(c.problem);
  } else if (name == "maze") {
    c.problem = scenario("maze");
    c.problem.solver.method = Method::policy_iteration;
    inverse::PredictionSpec walls;
    walls.name = "moved walls";
    walls.setting = c.problem;
    walls.setting.maze = Maze::parse(moved_walls_map(), c.problem.maze.slip, "moved walls map");
    inverse::PredictionSpec cost;
    cost.name = "lambda 0.13";
    cost.setting = c.problem;
    cost.setting.maze_lambda = 0.13;
    c.predictions = {walls, cost};
  } else {
    throw InvalidInput("scenario", "unknown scenario " + quote_value(name) + " (known: count8, maze; count8-samples and ring12 "
                                   "are experiments of their own)");
  }
  c.optimizer.tolerance = 1e-12;
  return c;
}

NETRL_NAMESPACE_END  // namespace netrl
