#pragma once
// The exact network solver on the batched kernels (backends "host" and "cuda"): soft relative
// value iteration inside the prior loop (MODEL.md sec. 3), over the full state space of the
// consistent states, without dense matrices. Agrees with reference::solve to 1e-10 at float64.
//
// Algorithm, per problem:
//  - inner solve: h <- T h - (T h)(s_ref) (s_ref = the first consistent state) until
//    span(T h - h) < tol; the gain bounds are [min, max] of the last T h - h;
//  - stationary distribution mu of the greedy policy of h: without input (m = 1) in closed form,
//    the Gibbs distribution mu(b) ~ exp(h(b) / (nf lambda)) prod_i p_i^b_i (1 - p_i)^(1 - b_i)
//    of which that policy is the random-scan Gibbs sampler (ExactEngine::gibbs_stationary, two
//    passes over h); with an input by power iteration with the adjoint sweep (lazy,
//    mu' = (mu + mu P) / 2, when the input chain is periodic), warm-started from the last mu; on
//    the host it reads the policy stored as a table (solver.policy_table, where it fits), and
//    without the table every value-iteration sweep advances mu under the policy of its h (one
//    fused sweep, the power iteration then only finishes it: its warm start changes, not its
//    test); stopped on an estimate of the remaining error from the observed contraction rate;
//    NumericalError when it does not converge within a bound tied to the observed
//    value-iteration rate;
//  - prior update p' = clip(sum mu rho) (mean over free neurons in population mode), stop when
//    max |p' - p| < prior_tol (the results are those of the last p evaluated, like the reference);
//  - the prior loop is accelerated without leaving the plain loop's path: h and mu are
//    warm-started across outer iterations, inner tolerances are loose while the prior residual is
//    large, and once three consecutive plain residuals point the same way with a stable
//    contraction rate rho (the asymptotic regime) the prior jumps to p + f / (1 - rho) (Aitken's
//    extrapolation of the remaining geometric steps). An extrapolated prior that lowers the gain
//    is rejected for the plain step (a plain step never lowers it). The stopping test is the
//    plain loop's, evaluated at final tolerances, so the fixed point is the plain loop's;
//  - the reported values are those of the final greedy policy, refined by iterating the
//    policy-evaluation sweep to its rounding floor and normalised so that sum mu v = 0;
//  - `degenerate` lists the neurons whose reported prior sits at the clip or whose next prior
//    update hits it.
// Policy iteration (solver.method "policy_iteration", float64 only) replaces the inner value
// iteration and the power iteration, inside the same prior loop (same tolerances, extrapolation
// and stopping test): with the greedy policy of h, stop when span(T h - h) < tol (the Bellman
// sweep, as in value iteration), otherwise evaluate that policy exactly and set h to its bias.
// Evaluation and (with an input; without, mu is in closed form as above, its residual checked by
// one matvec) the stationary distribution are GMRES solves (linear_solve.hpp, deflated
// systems) on the host in float64, with the engine's implicit matvecs of P and of its adjoint
// (ExactEngine::apply_chain; on CUDA each matvec copies its operand to the device and the result
// back). GMRES stalls near a relative residual of a few ulp times sqrt(states), so the bias is
// then refined (iterative refinement on the residual of (I - P) v + L = g, recomputed by one
// matvec) to a per-state residual below 1e-2 tol. The reported values and stationary
// distribution are those of the Krylov solves for the final greedy policy; SolveResult::matvecs
// and krylov_residual report the products and their relative residual. A solve that does not
// converge is a NumericalError.
//
// A periodic input chain would make every iteration oscillate: the iterations then use the
// aperiodicity transform P -> (P + I) / 2 (same fixed points).
//
// Precision float32 runs the kernels in float (reductions in double); tolerances below the
// rounding floor of the precision (a few (nf + m) ulp of the values) are raised to that floor.
#include <string>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact {

/// Solves B networks in one batch with options.backend host or cuda: they must share n, m and
/// the clamps (lambda, T, rewards and prior mode may differ). Each problem converges and stops on
/// its own; results are in order and equal to solving each alone (elapsed_seconds is the batch's
/// time). Warm starts (hooks.warm_starts) replace v = 0, p0 and the uniform mu of their problems;
/// progress is reported through hooks.progress. Throws InvalidInput for bad models or options
/// (policy_iteration with float32: field solver.precision), for warm starts that do not fit their
/// model (field "warm_start"), for state spaces that do not fit in memory (field "n"),
/// BackendError when the backend cannot run, NumericalError when an iteration fails (non-finite
/// values, a stationary distribution that does not converge).
std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options,
                                     const SolveHooks& hooks = {});

/// One network (a batch of one).
SolveResult solve(const NetworkModel& model, const SolverOptions& options, const SolveHooks& hooks = {});

}  NETRL_NAMESPACE_END  // namespace netrl::exact
