#pragma once
// A problem as netrl solves it: a model (network or maze) plus solver options, from a JSON
// configuration (README "Config reference") or a built-in scenario.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "netrl/core/maze.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"

namespace netrl {

enum class ModelKind { network, maze };

struct Problem {
  ModelKind kind = ModelKind::network;
  NetworkModel network;  // kind == network
  Maze maze;             // kind == maze
  double maze_lambda = 0.0;
  SolverOptions solver;
  /// Scenario name or configuration path, for reports.
  std::string source;

  double lambda() const { return kind == ModelKind::network ? network.lambda : maze_lambda; }
};

/// Parses a configuration. Relative file names ("file", "map_file") are resolved against the
/// directory of `source_path`. Throws InvalidInput naming the field (e.g. "solver.tol") for
/// unknown keys, wrong types and values out of bounds; IoError for unreadable files.
Problem parse_problem(const nlohmann::json& config, const std::string& source_path);
/// Reads a JSON file; malformed JSON is an IoError naming the file, line and column.
nlohmann::json read_json_file(const std::string& path);
/// Reads and parses a configuration file; malformed JSON is an IoError with line and column.
Problem load_problem(const std::string& path);

/// Built-in scenarios (MODEL.md sec. 5): "count8", "maze" (lambda 0.013), "maze-high" (0.13).
Problem scenario(const std::string& name);
std::vector<std::string> scenario_names();

/// Runs the solver the options select; the backend defaults to the fastest built for the model.
SolveResult solve(const Problem& problem);

}  // namespace netrl
