#include "netrl/core/error.hpp"
#include "solve/exact_solver.hpp"
#include "netrl/problem.hpp"
#include "solve/reference.hpp"

namespace netrl {
namespace {

void require_float64(const SolverOptions& options) {
  if (options.precision != Precision::float64) {
    throw InvalidInput("solver.precision", "the reference backend computes in float64 only");
  }
}

}  // namespace

SolveResult solve(const Problem& problem) {
  SolverOptions options = problem.solver;
  options.validate("solver");
  if (problem.kind == ModelKind::maze) {
    // Mazes are small general MDPs: only the reference backend solves them.
    if (options.backend.empty()) options.backend = "reference";
    if (options.backend != "reference") {
      throw InvalidInput("solver.backend", "backend \"" + options.backend +
                                               "\" does not solve mazes; the maze solver is \"reference\"");
    }
    require_float64(options);
    return reference::solve(problem.maze.mdp(), problem.maze_lambda, options);
  }
  if (options.backend.empty()) options.backend = "host";
  if (options.backend == "reference") {
    require_float64(options);
    return reference::solve(problem.network, options);
  }
  if (options.backend == "host" || options.backend == "cuda") return exact::solve(problem.network, options);
  throw InvalidInput("solver.backend",
                     "unknown backend \"" + options.backend + "\" (known: host, cuda, reference)");
}

}  // namespace netrl
