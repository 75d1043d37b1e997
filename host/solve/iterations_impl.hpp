#pragma once
// The bodies of the shared inner iterations (solve/iterations.hpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/iterations.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace soft {

template <class Engine, class Track>
template <class UploadPriors, class Update>
void Iterations<Engine, Track>::prior_loop(bool policy, const UploadPriors& upload_priors, const Update& update) {
  const std::size_t B = tracks_.size();
  for (outer_ = 1;; ++outer_) {
    Mask running(B, 0);
    bool any = false;
    for (std::size_t q = 0; q < B; ++q) {
      running[q] = tracks_[q].running ? 1 : 0;
      any = any || tracks_[q].running;
    }
    if (!any) break;
    set_round_tolerances(outer_);
    upload_priors();
    if (policy) {
      policy_iteration(running);
    } else {
      value_iteration(running);
    }
    // A problem whose inner solve stopped short reports this round: its mu must be final.
    for (Track& t : tracks_)
      if (t.running && !t.inner_converged) t.mu_tol = final_mu_tol();
    // The closed form reads h itself, and so does the prior update: no policy (table) to fix.
    if (policy || !engine_.has_gibbs_stationary()) engine_.prepare_policy(running);
    solve_chains(running, policy, false);
    update(running, outer_);
  }
}

template <class Engine, class Track>
template <class UploadPriors>
void Iterations<Engine, Track>::final_evaluation(bool policy, const UploadPriors& upload_priors) {
  const Mask all(tracks_.size(), 1);
  upload_priors();  // the finished problems' priors (unchanged since their last evaluation)
  engine_.prepare_policy(all);
  solve_chains(all, policy, true);
}

template <class Engine, class Track>
void Iterations<Engine, Track>::solve_chains(const Mask& which, bool policy, bool values) {
  if (dense()) {
    for_each(which, [&](int q) { dense_solve(q); });
  } else if (policy) {
    for_each(which, [&](int q) { krylov(q, values); });
  } else if (values) {
    evaluate(which);
  } else {
    stationary(which);
  }
}

template <class Engine, class Track>
template <class Step, class Judge, class Accept>
void Iterations<Engine, Track>::sweep_until_done(Mask active, const char* phase, bool inner, const Step& step,
                                                 const Judge& judge, const Accept& accept) {
  const std::size_t B = tracks_.size();
  while (!none(active)) {
    step(active);
    Mask advance(B, 0);
    for (std::size_t q = 0; q < B; ++q) {
      if (!active[q]) continue;
      const Sweep sweep = judge(q);
      advance[q] = sweep != Sweep::stop ? 1 : 0;
      if (sweep != Sweep::advance) active[q] = 0;
    }
    accept(advance);
    step_done(phase, inner);
  }
}

template <class Engine, class Track>
typename Iterations<Engine, Track>::InnerState Iterations<Engine, Track>::inner_test(
    Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const {
  t.span = s;
  const double floor = noise_ * std::max(1.0, s.max_abs);
  const double span = s.hi - s.lo;
  if (span < std::max(t.inner_tol, floor)) {
    t.inner_converged = true;
    return InnerState::converged;
  }
  if (span < t.best_span) {
    t.best_span = span;
    t.best_at = t.sweeps;
  } else if (t.sweeps - t.best_at >= stall) {
    std::ostringstream os;
    os << method << " stalled at span " << t.best_span << " > tol " << t.inner_tol << " for " << stall << " "
       << unit << " (rounding floor); loosen solver.tol";
    t.inner_note = os.str();
    return InnerState::stalled;
  }
  return InnerState::go_on;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::value_iteration(const Mask& running) {
  for_each(running, [&](int q) { start_inner(tracks_[static_cast<std::size_t>(q)]); });
  std::vector<SpanStats> stats;
  std::vector<MuStats> mu_stats;
  std::vector<double> scale(tracks_.size(), 1.0);
  // Where the engine fuses them, every sweep also advances mu under the greedy policy of the
  // same h (the stationary power iteration after the solve then starts close to its fixed
  // point); the dense solves and the closed form (gibbs_stationary) compute mu whatever the start.
  bool fused = !dense() && !engine_.has_gibbs_stationary();
  const auto step = [&](const Mask& active) {
    if (fused) {
      for (std::size_t q = 0; q < tracks_.size(); ++q) scale[q] = 1.0 / tracks_[q].mass;
      fused = engine_.value_stationary_step(active, scale, &stats, &mu_stats);
      if (fused) {
        for_each(active, [&](int q) { tracks_[static_cast<std::size_t>(q)].mass = checked_mass(q, mu_stats); });
        engine_.accept_stationary(active);
        return;
      }
    }
    engine_.value_step(active, &stats);
  };
  sweep_until_done(
      running, "value iteration", true, step,
      [&](std::size_t q) {
        Track& t = tracks_[q];
        const SpanStats& s = stats[q];
        ++t.sweeps;
        if (s.nonfinite > 0) {
          throw NumericalError("value iteration: the values became non-finite (problem " + std::to_string(q) +
                               ", sweep " + std::to_string(t.sweeps) + ")" + kNonFiniteHint);
        }
        // Converged: keep h, the bounds and the policy belong to it.
        if (inner_test(t, s, kStallSweeps, "value iteration", "sweeps") != InnerState::go_on) return Sweep::stop;
        if (t.sweeps < opt_.max_iterations) return Sweep::advance;
        t.inner_note = "inner solve reached solver.max_iterations";
        return Sweep::advance_and_stop;
      },
      [&](const Mask& advance) { engine_.accept_values(advance); });
  for_each(running, [&](int q) { end_inner(tracks_[static_cast<std::size_t>(q)]); });
}

template <class Engine, class Track>
void Iterations<Engine, Track>::stationary(const Mask& running) {
  const std::size_t B = tracks_.size();
  if (engine_.has_gibbs_stationary()) {  // in closed form: exact to rounding, in two passes
    std::vector<MuStats> stats;
    engine_.gibbs_stationary(running, &stats);
    for_each(running, [&](int q) { tracks_[static_cast<std::size_t>(q)].mass = checked_mass(q, stats); });
    engine_.accept_stationary(running);
    step_done("stationary", false);
    return;
  }
  std::vector<double> previous(B, std::numeric_limits<double>::infinity());
  std::vector<std::int64_t> steps(B, 0);
  std::vector<double> scale(B, 1.0);
  std::vector<MuStats> stats;
  const auto step = [&](const Mask& active) {
    for (std::size_t q = 0; q < B; ++q) scale[q] = 1.0 / tracks_[q].mass;
    engine_.stationary_step(active, scale, &stats);
  };
  const auto judge = [&](std::size_t q) {
    Track& t = tracks_[q];
    const MuStats& s = stats[q];
    ++steps[q];
    t.mass = checked_mass(static_cast<int>(q), stats);
    const double change = s.change / s.mass;
    const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? change / previous[q] : 1.0;
    previous[q] = change;
    const double remaining = rate < 1.0 ? change * rate / (1.0 - rate) : std::numeric_limits<double>::infinity();
    if (change < noise_ || (steps[q] >= 2 && remaining < t.mu_tol)) return Sweep::advance_and_stop;
    if (steps[q] >= aux_bound(t)) {
      std::ostringstream os;
      os << "stationary distribution: the power iteration did not converge in " << steps[q] << " steps (problem "
         << q << ", change " << change << ", contraction " << rate << ", tolerance " << t.mu_tol
         << "); the chain under the policy mixes too slowly or is not unichain";
      throw NumericalError(os.str());
    }
    return Sweep::advance;
  };
  sweep_until_done(running, "stationary", false, step, judge,
                   [&](const Mask& advance) { engine_.accept_stationary(advance); });
}

template <class Engine, class Track>
void Iterations<Engine, Track>::evaluate(const Mask& which) {
  const std::size_t B = tracks_.size();
  engine_.start_evaluation(which);
  std::vector<double> previous(B, std::numeric_limits<double>::infinity());
  std::vector<std::int64_t> steps(B, 0);
  std::vector<SpanStats> stats;
  const double target = kEvaluationFactor * opt_.tol;
  const auto judge = [&](std::size_t q) {
    const SpanStats& s = stats[q];
    ++steps[q];
    if (s.nonfinite > 0) {
      throw NumericalError("policy evaluation: the values became non-finite (problem " + std::to_string(q) + ")" +
                           kNonFiniteHint);
    }
    const double span = s.hi - s.lo;
    const double floor = noise_ * std::max(1.0, s.max_abs);
    const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? span / previous[q] : 1.0;
    previous[q] = span;
    const double remaining = rate < 1.0 ? span / (1.0 - rate) : std::numeric_limits<double>::infinity();
    if (span < floor || (steps[q] >= 2 && remaining < std::max(target, floor))) return Sweep::advance_and_stop;
    if (steps[q] >= aux_bound(tracks_[q])) {
      std::ostringstream os;
      os << "policy evaluation: the values did not converge in " << steps[q] << " sweeps (problem " << q
         << ", span " << span << ", contraction " << rate << ")";
      throw NumericalError(os.str());
    }
    return Sweep::advance;
  };
  sweep_until_done(
      which, "evaluation", false, [&](const Mask& active) { engine_.evaluation_step(active, &stats); }, judge,
      [&](const Mask& advance) { engine_.accept_evaluation(advance); });
}

template <class Engine, class Track>
void Iterations<Engine, Track>::policy_iteration(const Mask& running) {
  std::vector<SpanStats> stats;
  for_each(running, [&](int q) {
    Track& t = tracks_[static_cast<std::size_t>(q)];
    const Mask one = only(q);
    start_inner(t);
    for (;;) {
      engine_.value_step(one, &stats);  // T h and its span; h_next is not used
      ++t.sweeps;
      const SpanStats& s = stats[static_cast<std::size_t>(q)];
      if (s.nonfinite > 0) {
        throw NumericalError("policy iteration: the values became non-finite (problem " + std::to_string(q) +
                             ", improvement " + std::to_string(t.sweeps) + ")" + kNonFiniteHint);
      }
      if (inner_test(t, s, policy_stall, "policy iteration", "improvements") != InnerState::go_on) break;
      engine_.prepare_policy(one);
      if (dense()) {
        dense_solve(q);
      } else {
        krylov(q, false);
        krylov(q, true);
      }
      if constexpr (kSpace) {
        if (dense()) {
          engine_.set_values(one, batch_block(q, t.v));
        } else {
          space().set_values(q, v_slot(q));  // from the engine's memory
        }
      } else {
        engine_.set_values(one, batch_block(q, t.v));
      }
      step_done("policy iteration", true);
      if (t.sweeps >= opt_.max_iterations) {
        t.inner_note = "inner solve reached solver.max_iterations";
        break;
      }
    }
    end_inner(t);
  });
}

template <class Engine, class Track>
const double* Iterations<Engine, Track>::batch_block(int q, const std::vector<double>& x) {
  if (tracks_.size() == 1) return x.data();
  stage_in_.resize(states_ * tracks_.size());
  std::copy(x.begin(), x.end(), stage_in_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(q) * states_));
  return stage_in_.data();
}

template <class Engine, class Track>
template <class Write>
void Iterations<Engine, Track>::read_block(int q, std::vector<double>& y, const Write& write) {
  if (tracks_.size() == 1) {
    write(y.data());
    return;
  }
  stage_out_.resize(states_ * tracks_.size());
  write(stage_out_.data());
  const auto begin = stage_out_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(q) * states_);
  std::copy(begin, begin + static_cast<std::ptrdiff_t>(states_), y.begin());
}

template <class Engine, class Track>
linear::LinearOperator Iterations<Engine, Track>::chain_operator(int q, bool adjoint) {
  return [this, q, adjoint](const std::vector<double>& x, std::vector<double>& y) {
    const Mask one = only(q);
    const double* in = batch_block(q, x);
    read_block(q, y, [&](double* out) { engine_.apply_chain(one, adjoint, in, out); });
  };
}

template <class Engine, class Track>
void Iterations<Engine, Track>::stationary_host(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  if (t.mu.size() != states_) t.mu.assign(states_, 1.0 / static_cast<double>(states_));
  const linear::KrylovReport rep = linear::stationary_krylov(chain_operator(q, true), t.mu, krylov_options(t));
  t.result.matvecs += rep.matvecs;
  t.mu_residual = rep.relative_residual;
  engine_.set_stationary(only(q), batch_block(q, t.mu));
  t.mass = 1.0;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::gibbs_mu(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  const Mask one = only(q);
  std::vector<MuStats> stats;
  engine_.gibbs_distribution(one, q, &t.mu, &stats);
  checked_mass(q, stats);
  engine_.set_stationary(one, batch_block(q, t.mu));
  t.mass = 1.0;
  // stationary_krylov's residual ||b - A mu|| / ||b|| with A = I - P^T + u 1^T, b = u 1 (u = 1 / S):
  // for mu of mass 1, ||mu P - mu|| sqrt(S).
  std::vector<double> y(states_);
  chain_operator(q, true)(t.mu, y);
  ++t.result.matvecs;
  double r2 = 0.0;
  for (std::size_t s = 0; s < states_; ++s) r2 += (y[s] - t.mu[s]) * (y[s] - t.mu[s]);
  t.mu_residual = std::sqrt(r2 * static_cast<double>(states_));
  if constexpr (kSpace) {
    space_start(q);
    space().upload(mu_slot(q), t.mu.data());
  }
}

template <class Engine, class Track>
void Iterations<Engine, Track>::dense_solve(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  std::vector<double> P(states_ * states_), g(states_);
  dense_chain(q, &P);
  // Rows summing to 1 only within their rounding (a float32 policy: about 1e-7; an input MDP's
  // rows: within 1e-9) made the dense solve's float64 residual checks fail: each row is scaled to
  // sum 1 in float64 first. A row further off is left for those checks to report.
  for (std::size_t s = 0; s < states_; ++s) {
    double* row = P.data() + s * states_;
    double sum = 0.0;
    for (std::size_t k = 0; k < states_; ++k) sum += row[k];
    if (std::abs(sum - 1.0) <= kDenseRowSlack && sum != 1.0) {
      for (std::size_t k = 0; k < states_; ++k) row[k] /= sum;
    }
  }
  read_block(q, g, [&](double* out) { engine_.policy_reward(only(q), out); });
  linear::DenseSolution d = linear::solve_dense(P.data(), g.data(), static_cast<std::int64_t>(states_));
  t.mu = std::move(d.stationary);
  t.v = std::move(d.values);
  t.mu_residual = t.v_residual = d.residual;
  if (q < static_cast<int>(resident_.size())) resident_[static_cast<std::size_t>(q)] = 0;  // t.mu, t.v are newer
  engine_.set_stationary(only(q), batch_block(q, t.mu));
  t.mass = 1.0;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::evaluate_host(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  std::vector<double> g(states_);
  read_block(q, g, [&](double* out) { engine_.policy_reward(only(q), out); });
  if (t.v.size() != states_) t.v.assign(states_, 0.0);
  double gain = 0.0;
  const linear::LinearOperator apply_P = chain_operator(q, false);
  t.result.matvecs += linear::evaluate_krylov(apply_P, g, t.mu, t.v, &gain, krylov_options(t)).matvecs;
  linear::KrylovOptions refine;
  refine.relative_tolerance = std::max(krylov_floor(), kRefineTolerance);
  std::vector<double> pv(states_), r(states_), z;
  for (int k = 0;; ++k) {
    apply_P(t.v, pv);
    ++t.result.matvecs;
    double worst = 0.0, r2 = 0.0, b2 = 0.0;
    for (std::size_t s = 0; s < states_; ++s) {
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
    z.assign(states_, 0.0);
    t.result.matvecs += linear::apply_group_inverse(apply_P, t.mu, r, z, refine).matvecs;
    for (std::size_t s = 0; s < states_; ++s) t.v[s] += z[s];
  }
}

template <class Engine, class Track>
kernels::ChainSpace& Iterations<Engine, Track>::space() {
  if (!space_) {
    space_ = engine_.chain_space(krylov_slots(tracks_.size()));
    resident_.assign(tracks_.size(), 0);
  }
  return *space_;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::space_start(int q) {
  kernels::ChainSpace& S = space();
  const auto Q = static_cast<std::size_t>(q);
  if (resident_[Q]) return;
  const Track& t = tracks_[Q];
  if (t.mu.size() == states_) {
    S.upload(mu_slot(q), t.mu.data());
  } else {
    S.fill(mu_slot(q), 1.0 / static_cast<double>(states_));
  }
  if (t.v.size() == states_) {
    S.upload(v_slot(q), t.v.data());
  } else {
    S.fill(v_slot(q), 0.0);
  }
  resident_[Q] = 1;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::stationary_space(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  kernels::ChainSpace& S = space();
  space_start(q);
  const auto apply_PT = [&S, q](int x, int y) { S.apply_chain(q, true, x, y); };
  const linear::KrylovReport rep = linear::stationary_krylov(S, apply_PT, mu_slot(q), work_slot(), krylov_options(t));
  t.result.matvecs += rep.matvecs;
  t.mu_residual = rep.relative_residual;
  S.set_stationary(q, mu_slot(q));
  t.mu.resize(states_);
  S.download(mu_slot(q), t.mu.data());  // the reported result (one copy per solve)
  t.mass = 1.0;
}

template <class Engine, class Track>
void Iterations<Engine, Track>::evaluate_space(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  kernels::ChainSpace& S = space();
  const int g = shared_slot(0), gl = shared_slot(1), r = shared_slot(2), z = shared_slot(3), pv = shared_slot(4);
  const int mu = mu_slot(q), v = v_slot(q);
  space_start(q);
  S.policy_reward(q, g);
  double gain = 0.0;
  const auto apply_P = [&S, q](int x, int y) { S.apply_chain(q, false, x, y); };
  t.result.matvecs += linear::evaluate_krylov(S, apply_P, g, mu, v, &gain, work_slot(), krylov_options(t)).matvecs;
  linear::KrylovOptions refine;
  refine.relative_tolerance = std::max(krylov_floor(), kRefineTolerance);
  S.axpby(1.0, g, 0.0, gl, -gain);  // g - L
  const double b2 = S.dot(gl, gl);
  for (int k = 0;; ++k) {
    apply_P(v, pv);
    ++t.result.matvecs;
    S.deflate(gl, v, pv, 1.0, 0.0, r);  // r = g - L - (v - P v)
    const double worst = S.stats(r).max_abs;
    if (k == kRefinements || !(worst > kRefineFactor * t.inner_tol)) {
      // The residual of the bias itself, ||g - L - (I - P) v|| / ||g - L||.
      t.v_residual = b2 > 0.0 ? std::sqrt(S.dot(r, r) / b2) : 0.0;
      break;
    }
    S.fill(z, 0.0);
    t.result.matvecs += linear::apply_group_inverse(S, apply_P, mu, r, z, work_slot(), refine).matvecs;
    S.axpby(1.0, z, 1.0, v, 0.0);
  }
  t.v.resize(states_);
  S.download(v, t.v.data());  // the reported result (one copy per solve)
}

}  NETRL_NAMESPACE_END  // namespace netrl::soft
