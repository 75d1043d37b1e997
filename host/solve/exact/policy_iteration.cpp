// Policy iteration of the exact solver: GMRES solves of the evaluation and of the stationary
// distribution on the engine's chain (batch_solver.hpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

template <class Real>
void BatchSolver<Real>::policy_iteration(const Mask& running) {
  std::vector<SpanStats> stats;
  for_each(running, [&](int q) {
    Track& t = tracks_[static_cast<std::size_t>(q)];
    const Mask one = only(q);
    t.sweeps = 0;
    t.inner_converged = false;
    t.inner_note.clear();
    t.best_span = std::numeric_limits<double>::infinity();
    t.best_at = 0;
    for (;;) {
      engine_->value_step(one, &stats);  // T h and its span; h_next is not used
      ++t.sweeps;
      const SpanStats& s = stats[static_cast<std::size_t>(q)];
      if (s.nonfinite > 0) {
        throw NumericalError("policy iteration: the values became non-finite (problem " + std::to_string(q) +
                             ", improvement " + std::to_string(t.sweeps) + ")" + kNonFiniteHint);
      }
      if (inner_test(t, s, kPolicyStall, "policy iteration", "improvements") != InnerState::go_on) break;
      engine_->prepare_policy(one);
      stationary_krylov(q);
      evaluate_krylov(q);
      engine_->set_values(one, batch_block(q, t.v));
      report("policy iteration", true);
      if (t.sweeps >= opt_.max_iterations) {
        t.inner_note = "inner solve reached solver.max_iterations";
        break;
      }
    }
    t.result.inner_iterations += t.sweeps;
    t.max_sweeps = std::max(t.max_sweeps, t.sweeps);
  });
}

template <class Real>
linear::KrylovOptions BatchSolver<Real>::krylov_options(const Track& t) const {
  linear::KrylovOptions o;
  o.relative_tolerance = std::max(krylov_floor(), std::min(kKrylovCap, kKrylovFactor * t.inner_tol));
  return o;
}

template <class Real>
const double* BatchSolver<Real>::batch_block(int q, const std::vector<double>& x) {
  if (tracks_.size() == 1) return x.data();
  const std::size_t states = shape_.states();
  stage_in_.resize(states * tracks_.size());
  std::copy(x.begin(), x.end(), stage_in_.begin() + static_cast<std::ptrdiff_t>(q * states));
  return stage_in_.data();
}

template <class Real>
linear::LinearOperator BatchSolver<Real>::chain_operator(int q, bool adjoint) {
  return [this, q, adjoint](const std::vector<double>& x, std::vector<double>& y) {
    const Mask one = only(q);
    if (tracks_.size() == 1) {
      engine_->apply_chain(one, adjoint, x.data(), y.data());
      return;
    }
    const std::size_t states = shape_.states();
    stage_out_.resize(states * tracks_.size());
    engine_->apply_chain(one, adjoint, batch_block(q, x), stage_out_.data());
    const auto begin = stage_out_.begin() + static_cast<std::ptrdiff_t>(q * states);
    std::copy(begin, begin + static_cast<std::ptrdiff_t>(states), y.begin());
  };
}

template <class Real>
void BatchSolver<Real>::stationary_krylov(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  const std::size_t states = shape_.states();
  if (t.mu.size() != states) t.mu.assign(states, 1.0 / static_cast<double>(states));
  const linear::KrylovReport rep = linear::stationary_krylov(chain_operator(q, true), t.mu, krylov_options(t));
  t.result.matvecs += rep.matvecs;
  t.mu_residual = rep.relative_residual;
  engine_->set_stationary(only(q), batch_block(q, t.mu));
  t.mass = 1.0;
}

template <class Real>
void BatchSolver<Real>::evaluate_krylov(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  const std::size_t states = shape_.states();
  std::vector<double> g(states);
  if (tracks_.size() == 1) {
    engine_->policy_reward(only(q), g.data());
  } else {
    stage_out_.resize(states * tracks_.size());
    engine_->policy_reward(only(q), stage_out_.data());
    const auto begin = stage_out_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(q) * states);
    std::copy(begin, begin + static_cast<std::ptrdiff_t>(states), g.begin());
  }
  if (t.v.size() != states) t.v.assign(states, 0.0);
  double gain = 0.0;
  const linear::LinearOperator apply_P = chain_operator(q, false);
  t.result.matvecs += linear::evaluate_krylov(apply_P, g, t.mu, t.v, &gain, krylov_options(t)).matvecs;
  linear::KrylovOptions refine;
  refine.relative_tolerance = std::max(krylov_floor(), kRefineTolerance);
  std::vector<double> pv(states), r(states), z;
  for (int k = 0;; ++k) {
    apply_P(t.v, pv);
    ++t.result.matvecs;
    double worst = 0.0, r2 = 0.0, b2 = 0.0;
    for (std::size_t s = 0; s < states; ++s) {
      r[s] = g[s] - gain - (t.v[s] - pv[s]);
      worst = std::max(worst, std::abs(r[s]));
      r2 += r[s] * r[s];
      b2 += (g[s] - gain) * (g[s] - gain);
    }
    if (k == kRefinements || !(worst > kRefineFactor * t.inner_tol)) {
      // The residual of the bias itself, ||g - L - (I - P) v|| / ||g - L||.
      t.v_residual = b2 > 0.0 ? std::sqrt(r2 / b2) : 0.0;
      break;
    }
    z.assign(states, 0.0);
    t.result.matvecs += linear::apply_group_inverse(apply_P, t.mu, r, z, refine).matvecs;
    for (std::size_t s = 0; s < states; ++s) t.v[s] += z[s];
  }
}

template void BatchSolver<double>::policy_iteration(const Mask& running);
template void BatchSolver<float>::policy_iteration(const Mask& running);
template linear::KrylovOptions BatchSolver<double>::krylov_options(const Track& t) const;
template linear::KrylovOptions BatchSolver<float>::krylov_options(const Track& t) const;
template const double* BatchSolver<double>::batch_block(int q, const std::vector<double>& x);
template const double* BatchSolver<float>::batch_block(int q, const std::vector<double>& x);
template linear::LinearOperator BatchSolver<double>::chain_operator(int q, bool adjoint);
template linear::LinearOperator BatchSolver<float>::chain_operator(int q, bool adjoint);
template void BatchSolver<double>::stationary_krylov(int q);
template void BatchSolver<float>::stationary_krylov(int q);
template void BatchSolver<double>::evaluate_krylov(int q);
template void BatchSolver<float>::evaluate_krylov(int q);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
