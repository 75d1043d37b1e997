#pragma once
// The forward problem (docs/model.md, "Solvers"): the optimal information-constrained policy of a
// network, a maze or a general MDP, by soft relative value iteration or soft policy iteration inside the prior
// loop. One name, `solve`, for every model; the backend is chosen by SolverOptions::backend.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "netrl/core/maze.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// A starting point of the exact solver (backends host and cuda), usually an earlier solution of
/// the same network at a neighbouring parameter (e.g. lambda): the solve starts from these values
/// and this prior instead of v = 0 and p0. It converges to the same fixed point as a cold start,
/// to the solver's tolerances (not bit for bit: the iterations take another path).
struct WarmStart {
  /// The values v over the full state space (m * 2^n, s = x * 2^n + b); entries at states that
  /// contradict a clamp are ignored (NaN there, as in values.npy).
  std::vector<double> values;
  /// The firing prior, one entry per neuron (clamped entries ignored, NaN there); clipped to
  /// [prior_eps, 1 - prior_eps]. In population mode the mean over free neurons is used.
  std::vector<double> prior;
  /// Optional: the stationary distribution over the full state space (the power iteration starts
  /// there; empty: uniform).
  std::vector<double> stationary;
  bool empty() const { return values.empty(); }
};

/// What a long solve reports while it runs (SolveHooks::progress).
struct SolveProgress {
  /// "value iteration", "policy iteration", "stationary", "evaluation".
  const char* phase = "";
  /// Problems in the batch and those still iterating.
  int problems = 1;
  int running = 1;
  /// The outer (prior-loop) iteration in progress, and the inner iterations (sweeps or policy
  /// improvements) done so far by the busiest running problem, over all its outer iterations.
  std::int64_t outer_iterations = 0;
  std::int64_t inner_iterations = 0;
  /// The largest span(T h - h) of the running problems at their last inner iteration, and the
  /// inner tolerance of this outer iteration.
  double span = 0.0;
  double inner_tol = 0.0;
  /// The largest last prior residual max |p' - p| of the running problems (1 before the first).
  double prior_residual = 1.0;
  double elapsed_seconds = 0.0;
};

/// Optional behaviour of a solve beyond its options: a progress callback and warm starts.
struct SolveHooks {
  /// Called from the solving thread at most every `progress_interval` seconds (checked after
  /// every inner iteration, power-iteration step and evaluation sweep), and once when the solve
  /// ends. The reference backend does not report.
  std::function<void(const SolveProgress&)> progress;
  double progress_interval = 1.0;
  /// Empty (cold starts), or one entry per problem of the batch (an empty entry starts cold).
  /// Host and cuda backends only: the reference backend refuses warm starts (field "warm_start").
  std::vector<WarmStart> warm_starts;
};

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
/// The same with hooks (hooks.warm_starts: empty or one entry).
SolveResult solve(const NetworkModel& model, const SolverOptions& options, const SolveHooks& hooks);
SolveResult solve(const Problem& problem, const SolveHooks& hooks);

/// Solves B networks in one batch on the host or cuda backend: they must share n, m and the
/// clamps (lambda, T, rewards and prior mode may differ). Each problem converges and stops on its
/// own; results are in order and equal to solving each alone up to rounding.
std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options);
/// The same with hooks (hooks.warm_starts: empty or one entry per model).
std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options,
                                     const SolveHooks& hooks);

/// Solves one MDP at several lambdas in one batch (a lambda sweep: the problems share the
/// transitions and rewards). Each problem converges and stops on its own; results are in the
/// order of `lambdas` and equal to solving each alone up to rounding. Field "lambdas[k]" names a
/// bad lambda.
std::vector<SolveResult> solve_batch(const Mdp& mdp, const std::vector<double>& lambdas, const SolverOptions& options);

/// True iff `backend` can run here; otherwise `reason` (if given) says why.
bool backend_available(Backend backend, std::string* reason = nullptr);

NETRL_NAMESPACE_END  // namespace netrl
