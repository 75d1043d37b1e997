// The prior update of the exact solver: the plain step, its Aitken extrapolation and the stopping
// test (batch_solver.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

template <class Real>
void BatchSolver<Real>::update(Track& t, const PairTotals& totals, std::int64_t outer) {
  SolveResult& res = t.result;
  const double mass = totals.mass;
  const double gain = (totals.reward - t.lambda * totals.cost) / mass;
  res.outer_iterations = outer;
  res.gain = gain;
  res.gain_lo = t.span.lo;
  res.gain_hi = t.span.hi;
  res.mean_reward = totals.reward / mass;
  res.mean_coding_cost = totals.cost / mass;
  res.gain_history.push_back(gain);
  res.converged = false;
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
  double change = 0.0;
  bool below = true;
  for (std::size_t k = 0; k < nf; ++k) {
    const double d = std::abs(next[k] - t.prior[k]);
    change = std::max(change, d);
    const double floor = 4.0 * z_noise * std::min(t.prior[k], 1.0 - t.prior[k]);
    below = below && d < std::max(opt_.prior_tol, floor);
  }
  t.residual = change;
  res.note.clear();
  if (!t.inner_converged) {
    t.running = false;  // like the reference: report this evaluation, not converged
    res.note = t.inner_note;
    return;
  }
  // Safeguard first: an extrapolated prior must not lower the gain, since a plain step never
  // does (MODEL.md sec. 1: each step is coordinate ascent). Such a point, even a fixed point of
  // the prior map, cannot be the plain loop's limit: go back to the plain step.
  const double slack = 10.0 * (t.inner_tol + t.accepted_tol) + 1e3 * eps() * std::abs(gain);
  if (t.extrapolated && t.have_accepted && gain < t.accepted_gain - slack) {
    t.hist_f.clear();
    t.prior = t.accepted_next;
    t.extrapolated = false;
    t.polish = false;
    if (outer >= opt_.max_outer_iterations) stop_at_outer_limit(t);
    return;
  }
  if (below) {
    if (t.final_tolerances) {
      res.converged = true;
      t.running = false;
      return;
    }
    if (outer >= opt_.max_outer_iterations) {
      stop_at_outer_limit(t);
      return;
    }
    t.polish = true;  // same prior again at final tolerances
    return;
  }
  t.polish = false;
  if (outer >= opt_.max_outer_iterations) {
    stop_at_outer_limit(t);
    return;
  }
  t.have_accepted = true;
  t.accepted_next = next;
  t.accepted_gain = gain;
  t.accepted_tol = t.inner_tol;
  const Eigen::Index dim = t.population ? 1 : static_cast<Eigen::Index>(nf);
  Eigen::VectorXd f(dim);
  for (Eigen::Index k = 0; k < dim; ++k)
    f(k) = next[static_cast<std::size_t>(k)] - t.prior[static_cast<std::size_t>(k)];
  t.hist_f.push_back(f);
  if (t.hist_f.size() > 3) t.hist_f.erase(t.hist_f.begin());
  const std::vector<double> current = t.prior;
  t.prior = next;
  t.extrapolated = false;
  if (t.hist_f.size() < 3) return;
  // Extrapolate only in the asymptotic regime of the plain loop: three consecutive plain
  // residuals along one direction with a stable contraction rate rho (|rho' - rho| <=
  // kRateStability (1 - rho)). Then the remaining steps sum to f_k / (1 - rho).
  const Eigen::VectorXd& f0 = t.hist_f[0];
  const Eigen::VectorXd& f1 = t.hist_f[1];
  const Eigen::VectorXd& f2 = t.hist_f[2];
  const double n0 = f0.norm(), n1 = f1.norm(), n2 = f2.norm();
  if (!(n0 > 0.0 && n1 > 0.0 && n2 > 0.0)) return;
  const double rate1 = n1 / n0, rate2 = n2 / n1;
  const double cos1 = f1.dot(f0) / (n1 * n0), cos2 = f2.dot(f1) / (n2 * n1);
  if (!(rate2 < 1.0 && rate1 < 1.0 && cos1 >= kDirectionCosine && cos2 >= kDirectionCosine &&
        std::abs(rate2 - rate1) <= kRateStability * (1.0 - rate2))) {
    return;
  }
  const double factor = 1.0 / (1.0 - rate2);
  if ((factor - 1.0) * f2.lpNorm<Eigen::Infinity>() > kMaxJump) return;
  std::vector<double> extrapolated(nf);
  for (std::size_t k = 0; k < nf; ++k) {
    const double step = f2(t.population ? 0 : static_cast<Eigen::Index>(k));
    extrapolated[k] = std::clamp(current[k] + factor * step, lo_clip, hi_clip);
  }
  t.hist_f.clear();
  if (extrapolated == next) return;
  t.prior = extrapolated;
  t.extrapolated = true;
}

template void BatchSolver<double>::update(Track& t, const PairTotals& totals, std::int64_t outer);
template void BatchSolver<float>::update(Track& t, const PairTotals& totals, std::int64_t outer);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
