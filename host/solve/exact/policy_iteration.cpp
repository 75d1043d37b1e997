// Policy iteration of the exact solver: GMRES solves of the evaluation and of the stationary
// distribution on the engine's chain (batch_solver.hpp), with every vector in the engine's chain
// space (on the device for the CUDA backend: no host copies per product).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {
namespace {

/// Slots of the chain space (BatchSolver::krylov_slots): problem q's mu and v, then the shared ones.
int mu_slot(int q) { return 2 * q; }
int v_slot(int q) { return 2 * q + 1; }
struct Shared {
  int g, gl, r, z, pv, work;
  explicit Shared(std::size_t problems) {
    g = 2 * static_cast<int>(problems);
    gl = g + 1;
    r = g + 2;
    z = g + 3;
    pv = g + 4;
    work = g + 5;
  }
};

}  // namespace

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
      space().set_values(q, v_slot(q));
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
kernels::ChainSpace& BatchSolver<Real>::space() {
  if (!space_) space_ = engine_->chain_space(krylov_slots(tracks_.size()));
  return *space_;
}

template <class Real>
void BatchSolver<Real>::krylov_start(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  if (t.krylov_started) return;
  space().fill(mu_slot(q), 1.0 / static_cast<double>(shape_.states()));
  space().fill(v_slot(q), 0.0);
  t.krylov_started = true;
}

template <class Real>
void BatchSolver<Real>::download_krylov(int q, std::vector<double>* v, std::vector<double>* mu) {
  krylov_start(q);
  v->resize(shape_.states());
  mu->resize(shape_.states());
  space().download(v_slot(q), v->data());
  space().download(mu_slot(q), mu->data());
}

template <class Real>
void BatchSolver<Real>::stationary_krylov(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  kernels::ChainSpace& S = space();
  krylov_start(q);
  const auto apply_PT = [&S, q](int x, int y) { S.apply_chain(q, true, x, y); };
  const linear::KrylovReport rep =
      linear::stationary_krylov(S, apply_PT, mu_slot(q), Shared(tracks_.size()).work, krylov_options(t));
  t.result.matvecs += rep.matvecs;
  t.mu_residual = rep.relative_residual;
  S.set_stationary(q, mu_slot(q));
  t.mass = 1.0;
}

template <class Real>
void BatchSolver<Real>::evaluate_krylov(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  kernels::ChainSpace& S = space();
  const Shared at(tracks_.size());
  const int mu = mu_slot(q), v = v_slot(q);
  krylov_start(q);
  S.policy_reward(q, at.g);
  double gain = 0.0;
  const auto apply_P = [&S, q](int x, int y) { S.apply_chain(q, false, x, y); };
  t.result.matvecs += linear::evaluate_krylov(S, apply_P, at.g, mu, v, &gain, at.work, krylov_options(t)).matvecs;
  linear::KrylovOptions refine;
  refine.relative_tolerance = std::max(krylov_floor(), kRefineTolerance);
  S.axpby(1.0, at.g, 0.0, at.gl, -gain);  // g - L
  const double b2 = S.dot(at.gl, at.gl);
  for (int k = 0;; ++k) {
    apply_P(v, at.pv);
    ++t.result.matvecs;
    S.deflate(at.gl, v, at.pv, 1.0, 0.0, at.r);  // r = g - L - (v - P v)
    const double worst = S.stats(at.r).max_abs;
    if (k == kRefinements || !(worst > kRefineFactor * t.inner_tol)) {
      // The residual of the bias itself, ||g - L - (I - P) v|| / ||g - L||.
      t.v_residual = b2 > 0.0 ? std::sqrt(S.dot(at.r, at.r) / b2) : 0.0;
      break;
    }
    S.fill(at.z, 0.0);
    t.result.matvecs += linear::apply_group_inverse(S, apply_P, mu, at.r, at.z, at.work, refine).matvecs;
    S.axpby(1.0, at.z, 1.0, v, 0.0);
  }
}

template void BatchSolver<double>::policy_iteration(const Mask& running);
template void BatchSolver<float>::policy_iteration(const Mask& running);
template linear::KrylovOptions BatchSolver<double>::krylov_options(const Track& t) const;
template linear::KrylovOptions BatchSolver<float>::krylov_options(const Track& t) const;
template kernels::ChainSpace& BatchSolver<double>::space();
template kernels::ChainSpace& BatchSolver<float>::space();
template void BatchSolver<double>::krylov_start(int q);
template void BatchSolver<float>::krylov_start(int q);
template void BatchSolver<double>::download_krylov(int q, std::vector<double>* v, std::vector<double>* mu);
template void BatchSolver<float>::download_krylov(int q, std::vector<double>* v, std::vector<double>* mu);
template void BatchSolver<double>::stationary_krylov(int q);
template void BatchSolver<float>::stationary_krylov(int q);
template void BatchSolver<double>::evaluate_krylov(int q);
template void BatchSolver<float>::evaluate_krylov(int q);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
