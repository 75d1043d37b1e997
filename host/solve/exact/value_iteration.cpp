// Relative value iteration, the stationary power iteration and the evaluation refinement of the
// exact solver (batch_solver.hpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

template <class Real>
void BatchSolver<Real>::value_iteration(const Mask& running) {
  const std::size_t B = tracks_.size();
  Mask active = running;
  for (std::size_t q = 0; q < B; ++q) {
    if (!running[q]) continue;
    tracks_[q].sweeps = 0;
    tracks_[q].inner_converged = false;
    tracks_[q].inner_note.clear();
    tracks_[q].best_span = std::numeric_limits<double>::infinity();
    tracks_[q].best_at = 0;
  }
  std::vector<SpanStats> stats;
  for (;;) {
    bool any = false;
    for (std::size_t q = 0; q < B; ++q) any = any || active[q];
    if (!any) break;
    engine_->value_step(active, &stats);
    Mask advance(B, 0);
    for (std::size_t q = 0; q < B; ++q) {
      if (!active[q]) continue;
      Track& t = tracks_[q];
      const SpanStats& s = stats[q];
      ++t.sweeps;
      if (s.nonfinite > 0) {
        throw NumericalError("value iteration: the values became non-finite (problem " +
                             std::to_string(q) + ", sweep " + std::to_string(t.sweeps) + ")" + kNonFiniteHint);
      }
      // Converged: keep h, the bounds and the policy belong to it.
      if (inner_test(t, s, kStallSweeps, "value iteration", "sweeps") != InnerState::go_on) {
        active[q] = 0;
        continue;
      }
      advance[q] = 1;
      if (t.sweeps >= opt_.max_iterations) {
        t.inner_note = "inner solve reached solver.max_iterations";
        active[q] = 0;
      }
    }
    engine_->accept_values(advance);
  }
  for (std::size_t q = 0; q < B; ++q) {
    if (!running[q]) continue;
    Track& t = tracks_[q];
    t.result.inner_iterations += t.sweeps;
    t.max_sweeps = std::max(t.max_sweeps, t.sweeps);
  }
}

template <class Real>
void BatchSolver<Real>::stationary(const Mask& running) {
  const std::size_t B = tracks_.size();
  Mask active = running;
  std::vector<double> previous(B, std::numeric_limits<double>::infinity());
  std::vector<std::int64_t> steps(B, 0);
  std::vector<double> scale(B, 1.0);
  std::vector<MuStats> stats;
  for (;;) {
    bool any = false;
    for (std::size_t q = 0; q < B; ++q) {
      any = any || active[q];
      scale[q] = 1.0 / tracks_[q].mass;
    }
    if (!any) break;
    engine_->stationary_step(active, scale, &stats);
    Mask advance(B, 0);
    for (std::size_t q = 0; q < B; ++q) {
      if (!active[q]) continue;
      Track& t = tracks_[q];
      const MuStats& s = stats[q];
      ++steps[q];
      if (s.nonfinite > 0 || !(s.mass > 0.0)) {
        throw NumericalError("stationary distribution: the power iteration became non-finite (problem " +
                             std::to_string(q) + ")");
      }
      advance[q] = 1;
      t.mass = s.mass;
      const double change = s.change / s.mass;
      const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? change / previous[q] : 1.0;
      previous[q] = change;
      const double remaining = rate < 1.0 ? change * rate / (1.0 - rate) : std::numeric_limits<double>::infinity();
      if (change < noise_ || (steps[q] >= 2 && remaining < t.mu_tol)) {
        active[q] = 0;
      } else if (steps[q] >= aux_bound(t)) {
        std::ostringstream os;
        os << "stationary distribution: the power iteration did not converge in " << steps[q]
           << " steps (problem " << q << ", change " << change << ", contraction " << rate
           << ", tolerance " << t.mu_tol
           << "); the chain under the policy mixes too slowly or is not unichain";
        throw NumericalError(os.str());
      }
    }
    engine_->accept_stationary(advance);
  }
}

template <class Real>
void BatchSolver<Real>::evaluate(const Mask& which) {
  const std::size_t B = tracks_.size();
  engine_->start_evaluation(which);
  Mask active = which;
  std::vector<double> previous(B, std::numeric_limits<double>::infinity());
  std::vector<std::int64_t> steps(B, 0);
  std::vector<SpanStats> stats;
  const double target = kEvaluationFactor * opt_.tol;
  for (;;) {
    bool any = false;
    for (std::size_t q = 0; q < B; ++q) any = any || active[q];
    if (!any) break;
    engine_->evaluation_step(active, &stats);
    Mask advance(B, 0);
    for (std::size_t q = 0; q < B; ++q) {
      if (!active[q]) continue;
      const SpanStats& s = stats[q];
      ++steps[q];
      if (s.nonfinite > 0) {
        throw NumericalError("policy evaluation: the values became non-finite (problem " +
                             std::to_string(q) + ")" + kNonFiniteHint);
      }
      advance[q] = 1;
      const double span = s.hi - s.lo;
      const double floor = noise_ * std::max(1.0, s.max_abs);
      const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? span / previous[q] : 1.0;
      previous[q] = span;
      const double remaining = rate < 1.0 ? span / (1.0 - rate) : std::numeric_limits<double>::infinity();
      if (span < floor || (steps[q] >= 2 && remaining < std::max(target, floor))) {
        active[q] = 0;
      } else if (steps[q] >= aux_bound(tracks_[q])) {
        std::ostringstream os;
        os << "policy evaluation: the values did not converge in " << steps[q] << " sweeps (problem "
           << q << ", span " << span << ", contraction " << rate << ")";
        throw NumericalError(os.str());
      }
    }
    engine_->accept_evaluation(advance);
  }
}

template void BatchSolver<double>::value_iteration(const Mask& running);
template void BatchSolver<float>::value_iteration(const Mask& running);
template void BatchSolver<double>::stationary(const Mask& running);
template void BatchSolver<float>::stationary(const Mask& running);
template void BatchSolver<double>::evaluate(const Mask& which);
template void BatchSolver<float>::evaluate(const Mask& which);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
