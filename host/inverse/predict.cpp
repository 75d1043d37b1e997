// Predictions from an inferred reward: forward re-solves in changed settings, lambda re-tuning to
// a fixed mean coding cost, and KL divergences to a reference.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

SolveResult solve_maze(const Problem& setting, const std::vector<double>* reward, double lambda) {
  Mdp mdp = setting.maze.mdp();
  if (reward) mdp.reward = *reward;
  return solve(mdp, lambda, setting.solver);
}

/// Spike-count distribution P(K | x) from a joint stationary distribution.
std::vector<double> spike_counts(const std::vector<double>& mu, int n, int m) {
  const std::uint64_t nb = std::uint64_t{1} << n;
  std::vector<double> pk(static_cast<std::size_t>(n + 1) * m, 0.0);
  for (int x = 0; x < m; ++x) {
    double mass = 0.0;
    for (std::uint64_t b = 0; b < nb; ++b) {
      pk[popcount64(b) * m + x] += mu[x * nb + b];
      mass += mu[x * nb + b];
    }
    for (int k = 0; k <= n; ++k) pk[k * m + x] = mass > 0.0 ? pk[k * m + x] / mass : kNaN;
  }
  return pk;
}

}  // namespace

std::vector<double> transfer_reward(const Problem& original, const std::vector<double>& inferred,
                                    const Problem& changed, std::uint64_t* filled) {
  std::uint64_t fill_count = 0;
  std::vector<double> out;
  if (original.kind != changed.kind) throw InvalidInput("", "a prediction cannot change the model kind");
  if (original.kind == ModelKind::network) {
    const NetworkModel& a = original.network;
    const NetworkModel& b = changed.network;
    if (a.n != b.n) {
      throw InvalidInput("n", "a prediction keeps n = " + std::to_string(a.n) +
                                  " (remove a cell with a silent clamp instead)");
    }
    if (a.m() != b.m()) {
      throw InvalidInput("input.T", "a prediction changes the number of input values from m = " +
                                        std::to_string(a.m()) + " to " + std::to_string(b.m()) +
                                        "; the inferred reward is defined per input value");
    }
    const std::uint64_t nb = a.num_network_states();
    if (inferred.size() != nb * a.m()) throw InvalidInput("reward", "inferred reward of the wrong size");
    double global_min = std::numeric_limits<double>::infinity();
    std::vector<double> lowest(a.m(), std::numeric_limits<double>::infinity());
    for (std::uint64_t s = 0; s < inferred.size(); ++s)
      if (std::isfinite(inferred[s])) {
        lowest[s / nb] = std::min(lowest[s / nb], inferred[s]);
        global_min = std::min(global_min, inferred[s]);
      }
    if (!std::isfinite(global_min)) throw InvalidInput("reward", "no state has an inferred reward");
    out.assign(inferred.size(), 0.0);
    for (std::uint64_t s = 0; s < inferred.size(); ++s) {
      if (!b.consistent(s % nb)) continue;
      if (std::isfinite(inferred[s])) {
        out[s] = inferred[s];
      } else {
        out[s] = std::isfinite(lowest[s / nb]) ? lowest[s / nb] : global_min;
        ++fill_count;
      }
    }
  } else {
    const Maze& a = original.maze;
    const Maze& b = changed.maze;
    if (inferred.size() != static_cast<std::size_t>(a.num_states())) {
      throw InvalidInput("reward", "inferred reward of the wrong size");
    }
    double lowest = std::numeric_limits<double>::infinity();
    for (double r : inferred)
      if (std::isfinite(r)) lowest = std::min(lowest, r);
    if (!std::isfinite(lowest)) throw InvalidInput("reward", "no state has an inferred reward");
    std::vector<int> state_of_cell(static_cast<std::size_t>(a.rows) * a.cols, -1);
    for (int s = 0; s < a.num_states(); ++s) state_of_cell[a.cell_of_state[s]] = s;
    out.resize(b.num_states());
    for (int s = 0; s < b.num_states(); ++s) {
      const int r = b.cell_of_state[s] / b.cols, c = b.cell_of_state[s] % b.cols;
      const int t = (r < a.rows && c < a.cols) ? state_of_cell[r * a.cols + c] : -1;
      if (t >= 0 && std::isfinite(inferred[t])) {
        out[s] = inferred[t];
      } else {
        out[s] = lowest;
        ++fill_count;
      }
    }
  }
  if (filled) *filled = fill_count;
  return out;
}

SolveResult solve_with_reward(const Problem& setting, const std::vector<double>& reward, double lambda,
                              const std::vector<double>& coupling_mask) {
  if (setting.kind == ModelKind::maze) return solve_maze(setting, &reward, lambda);
  Problem p = setting;
  p.network.reward = RewardSpec::table(reward);
  p.network.lambda = lambda;
  if (!coupling_mask.empty()) return solve_ising(p.network, coupling_mask, p.solver, nullptr, nullptr);
  return solve(p);
}

SolveResult solve_true(const Problem& setting, double lambda, const std::vector<double>& coupling_mask) {
  if (setting.kind == ModelKind::maze) return solve_maze(setting, nullptr, lambda);
  Problem p = setting;
  p.network.lambda = lambda;
  if (!coupling_mask.empty()) return solve_ising(p.network, coupling_mask, p.solver, nullptr, nullptr);
  return solve(p);
}

ForwardSolve retune_lambda(const Problem& setting, const std::vector<double>& reward, double lambda0,
                           double target_cost, double rel_tol, const std::vector<double>& coupling_mask) {
  if (!(rel_tol > 0.0 && rel_tol < 1.0)) {
    throw InvalidInput("lambda_rel_tol", "the relative tolerance " + number_text(rel_tol) + " must lie in (0, 1)");
  }
  if (!(lambda0 > 0.0) || !std::isfinite(lambda0)) {
    throw InvalidInput("lambda", "the starting lambda " + number_text(lambda0) + " must be finite and > 0");
  }
  ForwardSolve best;
  // Warm start: in population mode the prior loop starts each solve from the previous solve's
  // shared prior (solver.p0), which saves most of its outer iterations.
  Problem current = setting;
  const bool warm = setting.kind == ModelKind::network && setting.network.prior_mode == PriorMode::population;
  auto run = [&](double lambda) {
    ++best.solves;
    SolveResult r = reward.empty() ? solve_true(current, lambda, coupling_mask)
                                   : solve_with_reward(current, reward, lambda, coupling_mask);
    if (!r.converged) {
      std::ostringstream os;
      os << "lambda re-tuning: the forward solve at lambda = " << lambda << " did not converge";
      throw NumericalError(os.str());
    }
    if (warm) {
      for (double p : r.prior)
        if (std::isfinite(p)) {
          current.solver.p0 = std::clamp(p, current.solver.prior_eps, 1.0 - current.solver.prior_eps);
          break;
        }
    }
    return r;
  };
  if (!(std::isfinite(target_cost) && target_cost > 0.0)) {
    std::ostringstream os;
    os << "lambda re-tuning: the target mean coding cost " << target_cost << " must be finite and > 0";
    throw NumericalError(os.str());
  }
  // f(lambda) = <c>(lambda) - target, decreasing in lambda.
  double a = lambda0;
  SolveResult ra = run(a);
  double fa = ra.mean_coding_cost - target_cost;
  if (fa == 0.0) {
    best.lambda = a;
    best.result = std::move(ra);
    return best;
  }
  // Bracket: geometric steps away from lambda0 (factors 1.05, 1.1025, 1.22, ... capped at 4).
  const bool up = fa > 0.0;
  double step = 1.05;
  double b = a, fb = fa;
  SolveResult rb = ra;
  // Search lambda within [lambda0 / kRange, lambda0 * kRange]: the coding cost is bounded (it
  // saturates as lambda -> 0 and vanishes as lambda -> inf), so a target beyond its range has no root.
  constexpr double kRange = 1e6;
  for (int k = 0; k < 60; ++k) {
    if (k > 0 && ((fb > 0.0) != (fa > 0.0) || fb == 0.0)) break;
    if (k > 0 && (b > lambda0 * kRange || b < lambda0 / kRange)) break;
    a = b;
    fa = fb;
    ra = rb;
    b = up ? a * step : a / step;
    step = std::min(step * step, 4.0);
    rb = run(b);
    fb = rb.mean_coding_cost - target_cost;
  }
  if ((fb > 0.0) == (fa > 0.0) && fb != 0.0) {
    std::ostringstream os;
    os << "lambda re-tuning: no lambda in [" << std::min(lambda0, b) << ", " << std::max(lambda0, b)
       << "] gives the mean coding cost " << target_cost << " (the cost there is " << rb.mean_coding_cost << ")";
    throw NumericalError(os.str());
  }
  // Brent's method on [a, b] (f(a), f(b) of opposite signs); keep the solve at the best point.
  SolveResult rc = ra;
  double c = a, fc = fa, d = b - a, e = d;
  for (int it = 0; it < 200; ++it) {
    if ((fb > 0.0) == (fc > 0.0)) {
      c = a;
      fc = fa;
      rc = ra;
      d = e = b - a;
    }
    if (std::abs(fc) < std::abs(fb)) {
      a = b;
      fa = fb;
      ra = rb;
      b = c;
      fb = fc;
      rb = rc;
      c = a;
      fc = fa;
      rc = ra;
    }
    const double tol = 0.5 * rel_tol * std::abs(b);
    const double mid = 0.5 * (c - b);
    if (std::abs(mid) <= tol || fb == 0.0) break;
    if (std::abs(e) >= tol && std::abs(fa) > std::abs(fb)) {
      double p, q;
      const double s = fb / fa;
      if (a == c) {
        p = 2.0 * mid * s;
        q = 1.0 - s;
      } else {
        const double qq = fa / fc, r = fb / fc;
        p = s * (2.0 * mid * qq * (qq - r) - (b - a) * (r - 1.0));
        q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
      }
      if (p > 0.0) q = -q;
      p = std::abs(p);
      if (2.0 * p < std::min(3.0 * mid * q - std::abs(tol * q), std::abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = mid;
        e = d;
      }
    } else {
      d = mid;
      e = d;
    }
    a = b;
    fa = fb;
    ra = rb;
    b += std::abs(d) > tol ? d : (mid > 0.0 ? tol : -tol);
    rb = run(b);
    fb = rb.mean_coding_cost - target_cost;
  }
  best.lambda = b;
  best.result = std::move(rb);
  return best;
}

double kl_spike_count(const SolveResult& reference, const SolveResult& predicted, int n, int m) {
  if (n < 1 || n > NetworkModel::kMaxNeurons || m < 1) {
    throw InvalidInput("n", "n = " + std::to_string(n) + ", m = " + std::to_string(m) + ": expected 1 <= n <= " +
                                std::to_string(NetworkModel::kMaxNeurons) + " and m >= 1");
  }
  const std::uint64_t states = static_cast<std::uint64_t>(m) << n;
  if (reference.stationary.size() != states || predicted.stationary.size() != states) {
    throw InvalidInput("stationary", "the distributions have " + std::to_string(reference.stationary.size()) + " and " +
                                         std::to_string(predicted.stationary.size()) + " entries; n = " +
                                         std::to_string(n) + ", m = " + std::to_string(m) + " has " +
                                         std::to_string(states) + " states");
  }
  const auto pr = spike_counts(reference.stationary, n, m);
  const auto pp = spike_counts(predicted.stationary, n, m);
  const std::uint64_t nb = std::uint64_t{1} << n;
  double kl = 0.0;
  for (int x = 0; x < m; ++x) {
    double px = 0.0;
    for (std::uint64_t b = 0; b < nb; ++b) px += reference.stationary[x * nb + b];
    if (!(px > 0.0)) continue;
    std::vector<double> p(n + 1), q(n + 1);
    for (int k = 0; k <= n; ++k) {
      p[k] = pr[k * m + x];
      q[k] = pp[k * m + x];
    }
    kl += px * kl_divergence(p, q);
  }
  return kl;
}

PredictionResult predict(const Problem& original, const std::vector<double>& inferred, bool has_truth,
                         const PredictionSpec& spec, Baseline& baseline) {
  PredictionResult out;
  out.name = spec.name;
  const std::vector<double> reward = transfer_reward(original, inferred, spec.setting, &out.filled);
  const bool use_truth = has_truth && spec.reference_dir.empty();
  // NaN (a missing state) equals NaN here: the same inferred reward, not a new one each time.
  const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  const bool same_original = baseline.computed && baseline.inferred.size() == inferred.size() &&
                             std::equal(inferred.begin(), inferred.end(), baseline.inferred.begin(), same) &&
                             baseline.lambda == original.lambda() && baseline.has_truth == has_truth;
  if (spec.keep_coding_cost && !same_original) {
    baseline = Baseline{};
    baseline.inferred = inferred;
    baseline.lambda = original.lambda();
    baseline.has_truth = has_truth;
    std::uint64_t ignored = 0;
    baseline.predicted_cost =
        solve_with_reward(original, transfer_reward(original, inferred, original, &ignored), original.lambda())
            .mean_coding_cost;
    if (has_truth) baseline.reference_cost = solve_true(original, original.lambda()).mean_coding_cost;
    baseline.computed = true;
  }
  const double lambda = spec.setting.lambda();
  const auto& mask = spec.coupling_mask;
  if (spec.keep_coding_cost) {
    out.target_coding_cost = baseline.predicted_cost;
    out.predicted = retune_lambda(spec.setting, reward, lambda, baseline.predicted_cost, spec.lambda_rel_tol, mask);
  } else {
    out.predicted.lambda = lambda;
    out.predicted.result = solve_with_reward(spec.setting, reward, lambda, mask);
    out.predicted.solves = 1;
  }
  if (use_truth) {
    out.has_reference = true;
    if (spec.keep_coding_cost) {
      out.reference_target_coding_cost = baseline.reference_cost;
      out.reference = retune_lambda(spec.setting, {}, lambda, baseline.reference_cost, spec.lambda_rel_tol, mask);
    } else {
      out.reference.lambda = lambda;
      out.reference.result = solve_true(spec.setting, lambda, mask);
      out.reference.solves = 1;
    }
  } else if (!spec.reference_dir.empty()) {
    out.has_reference = true;
    const std::string path = spec.reference_dir + "/stationary.npy";
    out.reference.result.stationary = under_field("reference", [&] { return npy::to_double(npy::load(path), path); });
    out.reference.lambda = kNaN;
    if (out.reference.result.stationary.size() != out.predicted.result.stationary.size()) {
      throw InvalidInput("reference", path + " holds " + std::to_string(out.reference.result.stationary.size()) +
                                                  " entries; the changed setting has " +
                                                  std::to_string(out.predicted.result.stationary.size()) + " states");
    }
    // A distribution of the changed setting: no mass where its clamps rule a state out (a solution
    // of the unclamped network gave a finite, meaningless KL against the clamped prediction).
    const std::vector<double>& ref = out.reference.result.stationary;
    double mass = 0.0, ruled_out = 0.0;
    for (std::size_t s = 0; s < ref.size(); ++s) {
      if (!(ref[s] >= 0.0) || !std::isfinite(ref[s])) {
        throw InvalidInput("reference", path + " entry " + std::to_string(s) + " = " + number_text(ref[s]) +
                                            " is not a probability");
      }
      mass += ref[s];
      if (spec.setting.kind == ModelKind::network && ref[s] > 0.0 &&
          !spec.setting.network.consistent(s & (spec.setting.network.num_network_states() - 1))) {
        ruled_out += ref[s];
      }
    }
    if (std::abs(mass - 1.0) > 1e-6) {
      throw InvalidInput("reference", path + " sums to " + number_text(mass) + ", not 1: not a stationary distribution");
    }
    if (ruled_out > 0.0) {
      throw InvalidInput("reference", path + " puts mass " + number_text(ruled_out) +
                                          " on states this prediction's clamps rule out: it is not a solution of "
                                          "the changed setting");
    }
  }
  if (out.has_reference) {
    out.kl_stationary = kl_divergence(out.reference.result.stationary, out.predicted.result.stationary);
    if (spec.setting.kind == ModelKind::network) {
      out.kl_spike_count =
          kl_spike_count(out.reference.result, out.predicted.result, spec.setting.network.n, spec.setting.network.m());
    }
  }
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
