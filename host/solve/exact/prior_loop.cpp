// The prior update of the exact solver: the plain step G(p) of the network's priors; its stopping
// test, extrapolation and safeguards are those shared with the MDP solver (solve/iterations.hpp,
// solve/prior_acceleration.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

template <class Real>
void BatchSolver<Real>::update(Track& t, const PairTotals& totals, std::int64_t outer) {
  const double mass = totals.mass;
  soft::record_evaluation(t, (totals.reward - t.lambda * totals.cost) / mass, totals.reward / mass,
                          totals.cost / mass, outer);
  const double lo_clip = opt_.prior_eps, hi_clip = 1.0 - opt_.prior_eps;
  // The plain prior map G(p) = clip(sum mu rho), shared in population mode; from the sum of
  // 1 - rho where the prior is above 1/2 (accurate close to 1).
  const std::size_t nf = free_.size();
  std::vector<double> next(nf);
  for (std::size_t k = 0; k < nf; ++k) {
    const double spike = totals.spike[k] / mass, silent = totals.silent[k] / mass;
    next[k] = spike <= silent ? spike : 1.0 - silent;
  }
  if (t.population) {
    const double spike = std::accumulate(totals.spike.begin(), totals.spike.end(), 0.0) / (mass * static_cast<double>(nf));
    const double silent = std::accumulate(totals.silent.begin(), totals.silent.end(), 0.0) / (mass * static_cast<double>(nf));
    std::fill(next.begin(), next.end(), spike <= silent ? spike : 1.0 - silent);
  }
  t.clipped.assign(nf, 0);
  for (std::size_t k = 0; k < nf; ++k) {
    t.clipped[k] = next[k] < lo_clip || next[k] > hi_clip ? 1 : 0;
    next[k] = std::clamp(next[k], lo_clip, hi_clip);
  }
  // Converged when every |G_i - p_i| < prior_tol, or below its rounding floor: the relative
  // error of rho from rounding in z = d / (nf lambda) + logit p, times min(p, 1 - p).
  const double z_noise = noise_ + 4.0 * eps() * std::max(1.0, t.span.max_abs) / (static_cast<double>(nf) * t.lambda);
  // The extrapolation runs on the priors themselves, clipped back.
  soft::advance_prior(t, next, soft::prior_residual(t.prior, next, opt_.prior_tol, z_noise), outer, opt_, eps(),
                      prior_loop::clipped_chart(lo_clip, hi_clip));
}

template void BatchSolver<double>::update(Track& t, const PairTotals& totals, std::int64_t outer);
template void BatchSolver<float>::update(Track& t, const PairTotals& totals, std::int64_t outer);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
