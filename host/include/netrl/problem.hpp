#pragma once
// A problem as netrl solves it: a model (network, maze or general MDP) plus solver options. Built in code, read
// from a JSON configuration (netrl/config.hpp) or taken from a built-in scenario
// (netrl/scenarios.hpp).
#include <string>

#include "netrl/core/maze.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class ModelKind { network, maze, mdp };
template <>
struct EnumNames<ModelKind> {
  static constexpr EnumName<ModelKind> table[] = {
      {"network", "network", ModelKind::network}, {"maze", "maze", ModelKind::maze}, {"mdp", "mdp", ModelKind::mdp}};
};
/// "network", "maze" or "mdp".
const char* to_string(ModelKind kind);

struct Problem {
  ModelKind kind = ModelKind::network;
  NetworkModel network;  // kind == network
  Maze maze;             // kind == maze
  double maze_lambda = 0.0;
  Mdp mdp;               // kind == mdp (transitions and rewards from files, docs/config-solve.md)
  double mdp_lambda = 0.0;
  SolverOptions solver;
  /// Scenario name or configuration path, for reports.
  std::string source;
  /// A solution directory to warm-start from (config key "warm_start", resolved against the
  /// configuration's directory); empty: cold start. See io::read_warm_start.
  std::string warm_start;

  double lambda() const;
  /// Number of states of the value and stationary arrays: m * 2^n (networks), the maze's or the
  /// MDP's states.
  std::uint64_t num_states() const;
};

NETRL_NAMESPACE_END  // namespace netrl
