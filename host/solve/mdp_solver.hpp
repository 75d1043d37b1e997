#pragma once
// The general-MDP solver on the batched kernels (backends "host" and "cuda"): soft relative value
// iteration or soft policy iteration inside the action-prior loop (docs/model.md, "General MDPs
// and the maze"), over the MDP's sparse rows, without dense matrices. It is the network solver's
// algorithm (solve/exact_solver.hpp) on an MdpEngine, with the same inner iterations
// (solve/iterations.hpp) and the same accelerated prior loop (solve/prior_acceleration.hpp):
//  - inner solve: h <- T h - (T h)(0) until span(T h - h) < tol (value iteration), or the greedy
//    policy of h evaluated exactly by GMRES until the same test holds (policy iteration);
//  - the stationary distribution of the greedy policy (power iteration with the adjoint sweep, or
//    GMRES), the prior update p'(a) = clip(sum_s mu(s) pi(a|s)) renormalised, stop when
//    max |p' - p| < prior_tol (or its rounding floor); the results are those of the last prior
//    evaluated, like reference::solve;
//  - warm starts across outer iterations, loose inner tolerances while the prior is far off,
//    Aitken extrapolation of the prior with the network solver's safeguards (an extrapolated
//    prior that lowers the gain is rejected), the plain loop's stopping test at final tolerances:
//    the same fixed point as the plain loop;
//  - a periodic chain (the support of every soft policy is the chain that takes every action) is
//    iterated as (P + I) / 2, with the same fixed points;
//  - a greedy policy whose chain has more than one closed class (possible only where pi(a|s)
//    underflows to 0) is a NumericalError, never averaged;
//  - `degenerate` lists the actions whose prior sits at the clip or whose next update hits it.
// Problems of a batch share the MDP (transitions and rewards) and differ in lambda.
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace mdp {

/// Solves `mdp` at every lambda of `lambdas` in one batch with options.backend host or cuda.
/// Throws InvalidInput for a bad MDP (fields "mdp.*"), lambda ("lambda", "lambdas[k]") or options
/// (policy_iteration with float32: "solver.precision"), and for problems that do not fit in memory
/// ("mdp"); BackendError when the backend cannot run; NumericalError when an iteration fails or a
/// greedy policy is not unichain. Results are in order, each over the MDP's states.
std::vector<SolveResult> solve_batch(const Mdp& mdp, const std::vector<double>& lambdas,
                                     const SolverOptions& options);

}  NETRL_NAMESPACE_END  // namespace netrl::mdp
