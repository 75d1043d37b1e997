#pragma once
// The forward problem (docs/model.md, "Solvers"): the optimal information-constrained policy of a
// network, a maze or a general MDP, by soft relative value iteration or soft policy iteration inside the prior
// loop. One name, `solve`, for every model; the backend is chosen by SolverOptions::backend.
#include <string>
#include <vector>

#include "netrl/core/maze.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Solves a network. Backend automatic = host. Throws InvalidInput for bad models or options
/// (naming the field: "solver.tol", "n", ...), BackendError when the backend cannot run here
/// (e.g. cuda without a device), NumericalError when an iteration fails.
SolveResult solve(const NetworkModel& model, const SolverOptions& options);
/// Solves a general MDP (docs/model.md, "General MDPs and the maze") at coding-cost weight
/// `lambda`: its transitions, state rewards and action prior loop. Backend automatic = host (the
/// batched kernels; "reference" is the float64 oracle). Throws InvalidInput naming "mdp.*",
/// "lambda" or "solver.*", NumericalError when the greedy policy is not unichain. Results are
/// over the MDP's states; `prior` and `degenerate` are per action.
SolveResult solve(const Mdp& mdp, double lambda, const SolverOptions& options);
/// Solves a maze: the MDP of its map (backend automatic = host).
SolveResult solve(const Maze& maze, double lambda, const SolverOptions& options);
/// Solves the problem's model with its options.
SolveResult solve(const Problem& problem);

/// Solves B networks in one batch on the host or cuda backend: they must share n, m and the
/// clamps (lambda, T, rewards and prior mode may differ). Each problem converges and stops on its
/// own; results are in order and equal to solving each alone up to rounding.
std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options);

/// Solves one MDP at several lambdas in one batch (a lambda sweep: the problems share the
/// transitions and rewards). Each problem converges and stops on its own; results are in the
/// order of `lambdas` and equal to solving each alone up to rounding. Field "lambdas[k]" names a
/// bad lambda.
std::vector<SolveResult> solve_batch(const Mdp& mdp, const std::vector<double>& lambdas, const SolverOptions& options);

/// True iff `backend` can run here; otherwise `reason` (if given) says why.
bool backend_available(Backend backend, std::string* reason = nullptr);

NETRL_NAMESPACE_END  // namespace netrl
