#include "netrl/core/error.hpp"
#include "netrl/host/problem.hpp"
#include "netrl/host/reference.hpp"

namespace netrl {

SolveResult solve(const Problem& problem) {
  SolverOptions options = problem.solver;
  options.validate("solver");
  if (problem.kind == ModelKind::maze) {
    if (options.backend.empty()) options.backend = "reference";
    if (options.backend != "reference") {
      throw InvalidInput("solver.backend", "backend \"" + options.backend +
                                               "\" does not solve mazes; the maze solver is \"reference\"");
    }
    if (options.precision != Precision::float64) {
      throw InvalidInput("solver.precision", "the reference backend computes in float64 only");
    }
    return reference::solve(problem.maze.mdp(), problem.maze_lambda, options);
  }
  if (options.backend.empty()) options.backend = "reference";
  if (options.backend == "reference") {
    if (options.precision != Precision::float64) {
      throw InvalidInput("solver.precision", "the reference backend computes in float64 only");
    }
    return reference::solve(problem.network, options);
  }
  throw InvalidInput("solver.backend", "unknown backend \"" + options.backend + "\" (known: reference)");
}

}  // namespace netrl
