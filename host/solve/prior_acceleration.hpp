#pragma once
// The acceleration of the prior loop shared by the exact solvers on the kernels (the network
// solver in solve/exact/ and the general-MDP solver in solve/mdp/), private to the library.
//
// The plain prior loop evaluates a prior p (inner solve, stationary distribution) and moves to
// its plain step G(p) (the clipped stationary marginal of the greedy policy); it stops when
// max |G(p) - p| is below prior_tol (or its rounding floor). Both solvers accelerate it the same
// way without leaving its path:
//  - loose inner tolerances while the prior residual is large (the caller sets them from its
//    residual and `polish`);
//  - once three consecutive plain residuals point the same way with a stable contraction rate
//    rho (the asymptotic regime), the prior jumps to p + f / (1 - rho) (Aitken's extrapolation of
//    the remaining geometric steps). The residuals and the jump are taken in the caller's chart
//    (coordinates in which the plain loop converges geometrically: the priors themselves for a
//    network, their logarithms for the actions of an MDP, whose small priors shrink by a factor
//    per step), and the jump is mapped back onto the admissible priors by the chart (a clip, or a
//    clip and renormalisation);
//  - where the residuals keep their direction but do not contract at a stable rate (a drift:
//    the prior map is close to neutral, or expanding, along that direction, as for networks with
//    an input, whose plain loop crawls for tens of rounds in steps of 1e-2), a chart with
//    max_relaxation > 1 over-relaxes the plain step: y + omega f, omega doubling while the
//    direction holds (at most 1 / (1 - rho) where the plain rate rho is below 1, and at most
//    max_jump beyond the plain step): the same fixed points as the plain step;
//  - charts with anderson_depth > 0 (the log priors of an MDP) use Anderson's extrapolation
//    instead of both;
//  - an extrapolated or over-relaxed prior that lowers the gain is rejected for the last accepted
//    plain step (a plain step never lowers it: each is coordinate ascent);
//  - convergence is declared only for a prior evaluated at the final tolerances (`polish`: the
//    same prior once more), so the answer is the plain loop's fixed point.
#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <vector>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace prior_loop {

/// Extrapolation only when consecutive residuals point the same way (cosine), contract at a
/// stable rate, and the jump beyond the plain step stays small (the linearisation of the prior map
/// only holds near its fixed point).
inline constexpr double kDirectionCosine = 0.9995;
inline constexpr double kRateStability = 0.1;
inline constexpr double kMaxJump = 0.05;

/// The history of one problem's accelerated prior loop.
struct Acceleration {
  bool polish = false;        // re-evaluate at final tolerances before declaring convergence
  bool extrapolated = false;  // the prior being evaluated came from an extrapolation
  bool have_accepted = false;
  std::vector<double> accepted_next;  // G of the last accepted prior (the plain step)
  double accepted_gain = 0.0;
  double accepted_tol = 0.0;
  std::vector<Eigen::VectorXd> hist_f;  // the last plain residuals G(p) - p, in the chart
  double relaxation = 1.0;              // omega of the step to the prior being evaluated
  std::vector<Eigen::VectorXd> hist_y, hist_g;  // Anderson: the last points and their residuals
};

/// The evaluation of `prior` that the step decides on.
struct Round {
  double gain = 0.0;         // at the evaluated prior
  double inner_tol = 0.0;    // this round's inner tolerance
  bool final_tolerances = false;
  bool below = false;        // every |G_i - p_i| below prior_tol or its rounding floor
  bool last_outer = false;   // solver.max_outer_iterations reached
  double eps = 0.0;          // unit roundoff of the precision
};

enum class Verdict {
  evaluate,     // evaluate `prior` next (the same prior at final tolerances, or a new one)
  converged,    // `prior` is the plain loop's fixed point
  outer_limit,  // stop: solver.max_outer_iterations reached
};

/// The coordinates of the extrapolation: `to` maps a prior into them, `from` maps a point back
/// onto the admissible priors. With anderson_depth > 0, Anderson's extrapolation over that many
/// differences; else Aitken's, and with max_relaxation > 1 the over-relaxation of steady plain
/// steps up to that factor. Either moves at most max_jump beyond the plain step (in the chart's
/// infinity norm).
struct Chart {
  std::function<std::vector<double>(const std::vector<double>&)> to;
  std::function<std::vector<double>(const std::vector<double>&)> from;
  int anderson_depth = 0;
  double max_relaxation = 1.0;
  double max_jump = 0.0;
};

/// The chart of the network priors: the priors themselves, a point mapped back by clipping every
/// coordinate to [lo, hi]; steady steps over-relaxed up to kMaxRelaxation, kMaxJump beyond the
/// plain step.
inline constexpr double kMaxRelaxation = 16.0;
Chart clipped_chart(double lo, double hi);

/// Decides after the evaluation of `prior`, whose plain step is `next` (already admissible), and
/// sets `prior` to the prior to evaluate next.
Verdict step(Acceleration& acc, std::vector<double>& prior, const std::vector<double>& next, const Round& round,
             const Chart& chart);

}  NETRL_NAMESPACE_END  // namespace netrl::prior_loop
