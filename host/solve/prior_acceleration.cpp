// The accelerated prior loop shared by the exact solvers (prior_acceleration.hpp).
#include "solve/prior_acceleration.hpp"

#include <algorithm>
#include <cmath>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace prior_loop {

namespace {

/// The point of the chart `point` as a prior to evaluate next, unless it is the plain step.
void take(Acceleration& acc, const std::vector<double>& point, const std::vector<double>& next, const Chart& chart,
          std::vector<double>* prior) {
  std::vector<double> candidate = chart.from(point);
  if (candidate == next) return;
  *prior = std::move(candidate);
  acc.extrapolated = true;
}

/// The point y + f + beyond (f the plain residual, `beyond` the step past the plain one, cut to
/// the chart's max_jump in the infinity norm) as the prior to evaluate next. Returns the factor
/// `beyond` was cut by (1: not cut).
double take_beyond(Acceleration& acc, const std::vector<double>& y, const Eigen::VectorXd& f, Eigen::VectorXd beyond,
                   const std::vector<double>& next, const Chart& chart, std::vector<double>* prior) {
  const double reach = beyond.lpNorm<Eigen::Infinity>();
  const double cut = reach > chart.max_jump ? chart.max_jump / reach : 1.0;
  beyond *= cut;
  std::vector<double> point(y.size());
  for (std::size_t k = 0; k < y.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    point[k] = y[k] + f(i) + beyond(i);
  }
  take(acc, point, next, chart, prior);
  return cut;
}

/// Aitken's extrapolation, only in the asymptotic regime of the plain loop: three consecutive
/// plain residuals along one direction with a stable contraction rate rho (|rho' - rho| <=
/// kRateStability (1 - rho)). Then the remaining steps sum to f_k / (1 - rho). True if it applied.
bool aitken(Acceleration& acc, const std::vector<double>& y, const std::vector<double>& next, const Chart& chart,
            std::vector<double>* prior) {
  if (acc.hist_f.size() < 3) return false;
  const Eigen::VectorXd& f0 = acc.hist_f[0];
  const Eigen::VectorXd& f1 = acc.hist_f[1];
  const Eigen::VectorXd& f2 = acc.hist_f[2];
  const double n0 = f0.norm(), n1 = f1.norm(), n2 = f2.norm();
  if (!(n0 > 0.0 && n1 > 0.0 && n2 > 0.0)) return false;
  const double rate1 = n1 / n0, rate2 = n2 / n1;
  const double cos1 = f1.dot(f0) / (n1 * n0), cos2 = f2.dot(f1) / (n2 * n1);
  if (!(rate2 < 1.0 && rate1 < 1.0 && cos1 >= kDirectionCosine && cos2 >= kDirectionCosine &&
        std::abs(rate2 - rate1) <= kRateStability * (1.0 - rate2))) {
    return false;
  }
  const double factor = 1.0 / (1.0 - rate2);
  if ((factor - 1.0) * f2.lpNorm<Eigen::Infinity>() > kMaxJump) return false;
  std::vector<double> point(y.size());
  for (std::size_t k = 0; k < y.size(); ++k) point[k] = y[k] + factor * f2(static_cast<Eigen::Index>(k));
  acc.hist_f.clear();
  take(acc, point, next, chart, prior);
  return true;
}

/// Over-relaxation of a steady plain loop (Chart::max_relaxation > 1), where Aitken's does not
/// apply: the last two residuals f0, f1 point the same way (cosine kDirectionCosine). The plain
/// rate along that direction, from the step omega that led from f0's prior to f1's (|f1| / |f0| =
/// |1 - omega (1 - rho)| for a linear map), is rho = 1 - (1 - |f1| / |f0|) / omega; the next step is
/// y + omega' f1 with omega' = 2 omega, at most max_relaxation and, where rho < 1, at most
/// 1 / (1 - rho) (the whole remaining geometric series), and at most max_jump beyond the plain
/// step. Any other round takes the plain step and restarts at omega = 1.
/// `omega`: the step that led to the prior just evaluated; acc.relaxation is the one taken now.
void relax(Acceleration& acc, double omega, const std::vector<double>& y, const std::vector<double>& next,
           const Chart& chart, std::vector<double>* prior) {
  if (!(chart.max_relaxation > 1.0) || acc.hist_f.size() < 2) return;
  const Eigen::VectorXd& f0 = acc.hist_f[acc.hist_f.size() - 2];
  const Eigen::VectorXd& f1 = acc.hist_f.back();
  const double n0 = f0.norm(), n1 = f1.norm();
  if (!(n0 > 0.0 && n1 > 0.0) || f1.dot(f0) / (n0 * n1) < kDirectionCosine) return;
  const double rho = 1.0 - (1.0 - n1 / n0) / omega;
  double next_omega = std::min(2.0 * omega, chart.max_relaxation);
  if (rho < 1.0) next_omega = std::min(next_omega, 1.0 / (1.0 - rho));
  if (!(next_omega > 1.0)) return;
  const double cut = take_beyond(acc, y, f1, (next_omega - 1.0) * f1, next, chart, prior);
  // The omega of the step taken; 1 (as set by step) where the chart clipped it back onto the
  // plain step.
  if (acc.extrapolated) acc.relaxation = cut < 1.0 ? 1.0 + (next_omega - 1.0) * cut : next_omega;
}

/// Anderson acceleration (charts with anderson_depth > 0): from the last m + 1 evaluated points
/// y_i and their plain residuals f_i (in the chart), gamma minimises |f_k - dF gamma| over the
/// differences dF of consecutive residuals, and the next point is y_k + f_k - (dY + dF) gamma
/// (exact in one step for an affine prior map once m differences span its dimension). The step
/// beyond the plain one is cut to the chart's max_jump.
void anderson(Acceleration& acc, const std::vector<double>& y, const std::vector<double>& next, const Chart& chart,
              std::vector<double>* prior) {
  const auto d = static_cast<Eigen::Index>(y.size());
  Eigen::VectorXd yk(d);
  for (Eigen::Index k = 0; k < d; ++k) yk(k) = y[static_cast<std::size_t>(k)];
  // Safeguard: a plain residual that did not shrink (the affine model broke down, e.g. where a
  // prior reaches the clip) restarts the history, and this round takes the plain step. Without
  // it the extrapolations can cycle around the fixed point.
  if (!acc.hist_g.empty() && !(acc.hist_f.back().norm() < acc.hist_g.back().norm())) {
    acc.hist_y.clear();
    acc.hist_g.clear();
  }
  acc.hist_y.push_back(yk);
  acc.hist_g.push_back(acc.hist_f.back());
  const auto depth = static_cast<std::size_t>(chart.anderson_depth);
  while (acc.hist_y.size() > depth + 1) {
    acc.hist_y.erase(acc.hist_y.begin());
    acc.hist_g.erase(acc.hist_g.begin());
  }
  const auto m = static_cast<Eigen::Index>(acc.hist_y.size()) - 1;
  if (m < 1) return;
  Eigen::MatrixXd dF(d, m), dY(d, m);
  for (Eigen::Index j = 0; j < m; ++j) {
    dF.col(j) = acc.hist_g[static_cast<std::size_t>(j + 1)] - acc.hist_g[static_cast<std::size_t>(j)];
    dY.col(j) = acc.hist_y[static_cast<std::size_t>(j + 1)] - acc.hist_y[static_cast<std::size_t>(j)];
  }
  const Eigen::VectorXd& fk = acc.hist_g.back();
  const Eigen::VectorXd gamma = dF.colPivHouseholderQr().solve(fk);
  if (!gamma.allFinite()) return;
  const Eigen::VectorXd beyond = -(dY + dF) * gamma;  // the step beyond the plain one
  if (!(beyond.lpNorm<Eigen::Infinity>() > 0.0)) return;
  take_beyond(acc, y, fk, beyond, next, chart, prior);
}
}  // namespace

Chart clipped_chart(double lo, double hi) {
  Chart chart;
  chart.to = [](const std::vector<double>& p) { return p; };
  chart.from = [lo, hi](const std::vector<double>& point) {
    std::vector<double> p(point.size());
    for (std::size_t k = 0; k < p.size(); ++k) p[k] = std::clamp(point[k], lo, hi);
    return p;
  };
  chart.max_relaxation = kMaxRelaxation;
  chart.max_jump = kMaxJump;
  return chart;
}

Verdict step(Acceleration& acc, std::vector<double>& prior, const std::vector<double>& next, const Round& round,
             const Chart& chart) {
  // Safeguard first: an extrapolated prior must not lower the gain, since a plain step never
  // does. Such a point, even a fixed point of the prior map, cannot be the plain loop's limit:
  // go back to the plain step.
  const double slack = 10.0 * (round.inner_tol + acc.accepted_tol) + 1e3 * round.eps * std::abs(round.gain);
  if (acc.extrapolated && acc.have_accepted && round.gain < acc.accepted_gain - slack) {
    acc.hist_f.clear();
    prior = acc.accepted_next;
    acc.extrapolated = false;
    acc.relaxation = 1.0;
    acc.polish = false;
    acc.hist_y.clear();
    acc.hist_g.clear();
    return round.last_outer ? Verdict::outer_limit : Verdict::evaluate;
  }
  if (round.below) {
    if (round.final_tolerances) return Verdict::converged;
    if (round.last_outer) return Verdict::outer_limit;
    acc.polish = true;  // the same prior again at final tolerances
    acc.relaxation = 1.0;
    return Verdict::evaluate;
  }
  acc.polish = false;
  if (round.last_outer) return Verdict::outer_limit;
  acc.have_accepted = true;
  acc.accepted_next = next;
  acc.accepted_gain = round.gain;
  acc.accepted_tol = round.inner_tol;
  const std::vector<double> y_next = chart.to(next), y = chart.to(prior);
  const auto dim = static_cast<Eigen::Index>(next.size());
  Eigen::VectorXd f(dim);
  for (Eigen::Index k = 0; k < dim; ++k) f(k) = y_next[static_cast<std::size_t>(k)] - y[static_cast<std::size_t>(k)];
  acc.hist_f.push_back(f);
  if (acc.hist_f.size() > 3) acc.hist_f.erase(acc.hist_f.begin());
  prior = next;
  acc.extrapolated = false;
  const double omega = acc.relaxation;  // of the step to the prior just evaluated
  acc.relaxation = 1.0;                 // unless relax() over-relaxes the next one
  if (chart.anderson_depth > 0) {
    // Where Anderson's does not apply (a residual that did not shrink: the prior drifts, e.g. a
    // log prior falling at a steady rate toward the clip), the over-relaxation of steady steps.
    anderson(acc, y, next, chart, &prior);
    if (!acc.extrapolated) relax(acc, omega, y, next, chart, &prior);
  } else if (!aitken(acc, y, next, chart, &prior)) {
    relax(acc, omega, y, next, chart, &prior);
  }
  return Verdict::evaluate;
}

}  NETRL_NAMESPACE_END  // namespace netrl::prior_loop
