// Forward solve within the Ising policy family with some couplings removed (the predictions of
// MODEL.md sec. 4 "removed couplings", figs. 5B-D): the network's value is v_phi = sum_i h_i s_i +
// sum_{i<j} J_ij s_i s_j with J_ij = 0 for the masked pairs, and phi maximises the gain.
//
// Without input and with symmetric J, the Glauber dynamics rho_i = sigmoid((2/(nf l))(h_i +
// sum_j J_ij s_j) + logit p_i) have the stationary Gibbs distribution
//   mu(s) ~ exp(v_phi(s) / (nf l)) prod_i p_i(s_i),
// so the gain L(phi) = sum_s mu(s) [r(s) - l c(s)] and its gradient are exact sums over the states:
//   dL/dphi_k = Cov_mu(F_k, r - l c) / (nf l) - l sum_s mu(s) sum_i (z_i - logit p_i) rho_i (1 - rho_i) dz_i/dphi_k
// (F_k the feature of phi_k in v_phi; dKL(rho||p)/dz = (z - logit p) rho (1 - rho)). LBFGS++
// maximises L at a fixed prior, then the prior loop sets p_i = sum_s mu(s) rho_i(s) (population:
// the mean over free neurons), accelerated like the exact solvers' (solve/prior_acceleration.hpp),
// until it moves less than solver.prior_tol.
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "inverse/detail.hpp"
#include "netrl/predict.hpp"
#include "netrl/version.hpp"
#include "solve/prior_acceleration.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

using detail::logit;
using detail::Sigmoids;
using detail::sigmoids;

namespace {
constexpr int kMaxIsingNeurons = 20;
inline double spin(std::uint64_t b, int i) { return ((b >> i) & 1) ? 1.0 : -1.0; }
}  // namespace

void validate_coupling_mask(const std::vector<double>& mask, int n) {
  const std::string field = "mask";
  if (mask.size() != static_cast<std::size_t>(n) * n) {
    throw InvalidInput(field, "a coupling mask is n x n = " + std::to_string(n) + " x " + std::to_string(n) +
                                  ", got " + std::to_string(mask.size()) + " entries");
  }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double v = mask[static_cast<std::size_t>(i) * n + j];
      if (v != 0.0 && v != 1.0) {
        throw InvalidInput(field, "entry [" + std::to_string(i) + "][" + std::to_string(j) +
                                      "] is not 0 (removed) or 1 (kept)");
      }
      if (v != mask[static_cast<std::size_t>(j) * n + i]) {
        throw InvalidInput(field, "the mask must be symmetric (entries [" + std::to_string(i) + "][" +
                                      std::to_string(j) + "] and [" + std::to_string(j) + "][" + std::to_string(i) +
                                      "] differ)");
      }
    }
}

SolveResult solve_ising(const NetworkModel& model, const std::vector<double>& mask, const SolverOptions& options,
                        std::vector<double>* J_out, std::vector<double>* h_out) {
  const auto start = std::chrono::steady_clock::now();
  model.validate();
  options.validate("solver");
  if (model.m() != 1) {
    throw InvalidInput("mask", "coupling masks use the Ising policy family, which netrl solves "
                                                "for networks without input (m = 1)");
  }
  if (model.n > kMaxIsingNeurons) {
    throw InvalidInput("n", "the masked Ising forward solve sums over 2^n states; n = " + std::to_string(model.n) +
                                " exceeds its limit " + std::to_string(kMaxIsingNeurons));
  }
  validate_coupling_mask(mask, model.n);
  const int n = model.n;
  const std::uint64_t nb = model.num_network_states();
  const auto free = model.free_neurons();
  const int nf = static_cast<int>(free.size());
  const double lambda = model.lambda, temperature = nf * lambda, coupling = 2.0 / temperature;
  const auto reward = model.reward.tabulate(n, 1);
  std::vector<std::uint64_t> states;
  for (std::uint64_t b = 0; b < nb; ++b)
    if (model.consistent(b)) states.push_back(b);
  const std::size_t S = states.size();

  // Parameters: h over free neurons, then the kept pairs (a < c over free neurons).
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < nf; ++a)
    for (int c = a + 1; c < nf; ++c)
      if (mask[static_cast<std::size_t>(free[a]) * n + free[c]] != 0.0) pairs.emplace_back(a, c);
  const Eigen::Index P = nf + static_cast<Eigen::Index>(pairs.size());
  std::vector<std::vector<int>> pairs_of(nf);  // parameter indices of the pairs touching a
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    pairs_of[pairs[k].first].push_back(nf + static_cast<int>(k));
    pairs_of[pairs[k].second].push_back(nf + static_cast<int>(k));
  }
  std::vector<double> sg(S * nf);
  for (std::size_t k = 0; k < S; ++k)
    for (int a = 0; a < nf; ++a) sg[k * nf + a] = spin(states[k], free[a]);

  std::vector<double> p(nf, options.p0);
  // log p, log(1 - p) and logit p of the current prior (set by `evaluate`, used by the gradient).
  std::vector<double> log_p(nf), log_q(nf), logit_p(nf);
  std::vector<double> mu(S), z(S * nf), rho_of(S * nf), cost(S);
  // Evaluates mu, z, rho, c at theta; returns the gain.
  auto evaluate = [&](const Eigen::VectorXd& th) {
    for (int a = 0; a < nf; ++a) {
      log_p[a] = std::log(p[a]);
      log_q[a] = std::log1p(-p[a]);
      logit_p[a] = logit(p[a]);
    }
    double lmax = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < S; ++k) {
      const double* s = &sg[k * nf];
      double v = 0.0, lp = 0.0;
      for (int a = 0; a < nf; ++a) {
        v += th(a) * s[a];
        lp += s[a] > 0.0 ? log_p[a] : log_q[a];
      }
      for (std::size_t q = 0; q < pairs.size(); ++q) v += th(nf + static_cast<Eigen::Index>(q)) * s[pairs[q].first] * s[pairs[q].second];
      mu[k] = v / temperature + lp;
      lmax = std::max(lmax, mu[k]);
      double c = 0.0;
      for (int a = 0; a < nf; ++a) {
        double field = th(a);
        for (int idx : pairs_of[a]) {
          const auto& pr = pairs[static_cast<std::size_t>(idx - nf)];
          field += th(idx) * s[pr.first == a ? pr.second : pr.first];
        }
        const double za = coupling * field + logit_p[a];
        z[k * nf + a] = za;
        const Sigmoids sz = sigmoids(za);
        rho_of[k * nf + a] = sz.rho;
        c += sz.rho * (sz.log_rho - log_p[a]) + (1.0 - sz.rho) * (sz.log_one_minus_rho - log_q[a]);
      }
      cost[k] = c;
    }
    double total = 0.0;
    for (std::size_t k = 0; k < S; ++k) total += (mu[k] = std::exp(mu[k] - lmax));
    double gain = 0.0;
    for (std::size_t k = 0; k < S; ++k) {
      mu[k] /= total;
      gain += mu[k] * (reward[states[k]] - lambda * cost[k]);
    }
    return gain;
  };
  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    const double gain = evaluate(th);
    grad.setZero(P);
    // Covariance part: sum mu (F - <F>) (g - L) / (nf l); since sum mu (g - L) = 0 the mean of F drops.
    for (std::size_t k = 0; k < S; ++k) {
      const double* s = &sg[k * nf];
      const double w = mu[k] * (reward[states[k]] - lambda * cost[k] - gain) / temperature;
      for (int a = 0; a < nf; ++a) grad(a) += w * s[a];
      for (std::size_t q = 0; q < pairs.size(); ++q) grad(nf + static_cast<Eigen::Index>(q)) += w * s[pairs[q].first] * s[pairs[q].second];
      // Cost part.
      for (int a = 0; a < nf; ++a) {
        const double za = z[k * nf + a];
        const double rho = rho_of[k * nf + a];
        const double dc = -lambda * mu[k] * (za - logit_p[a]) * rho * (1.0 - rho) * coupling;
        grad(a) += dc;
        for (int idx : pairs_of[a]) {
          const auto& pr = pairs[static_cast<std::size_t>(idx - nf)];
          grad(idx) += dc * s[pr.first == a ? pr.second : pr.first];
        }
      }
    }
    grad = -grad;  // minimise -L
    return -gain;
  };

  SolveResult res;
  res.backend = "ising";
  res.precision = "float64";
  res.method = "ising_gradient";
  res.states = S;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(P);
  if (J_out && h_out && J_out->size() == static_cast<std::size_t>(n) * n && h_out->size() == static_cast<std::size_t>(n)) {
    for (int a = 0; a < nf; ++a) theta(a) = (*h_out)[free[a]];
    for (std::size_t q = 0; q < pairs.size(); ++q)
      theta(nf + static_cast<Eigen::Index>(q)) = (*J_out)[static_cast<std::size_t>(free[pairs[q].first]) * n + free[pairs[q].second]];
  }
  prior_loop::Acceleration acceleration;
  const prior_loop::Chart chart = prior_loop::clipped_chart(options.prior_eps, 1.0 - options.prior_eps);
  for (std::int64_t outer = 1; outer <= options.max_outer_iterations; ++outer) {
    const auto rep = detail::minimize(objective, theta, static_cast<int>(std::min<std::int64_t>(options.max_iterations, 100000)), 1e-10);
    res.inner_iterations += rep.evaluations;
    res.outer_iterations = outer;
    const double gain = evaluate(theta);
    res.gain_history.push_back(gain);
    // Prior update p_a = sum mu rho_a.
    std::vector<double> next(nf, 0.0);
    for (std::size_t k = 0; k < S; ++k)
      for (int a = 0; a < nf; ++a) next[a] += mu[k] * rho_of[k * nf + a];
    if (model.prior_mode == PriorMode::population) {
      double mean = 0.0;
      for (double v : next) mean += v;
      mean /= nf;
      std::fill(next.begin(), next.end(), mean);
    }
    res.degenerate.clear();
    double change = 0.0;
    for (int a = 0; a < nf; ++a) {
      const double clipped = std::clamp(next[a], options.prior_eps, 1.0 - options.prior_eps);
      if (clipped != next[a]) res.degenerate.push_back(free[a]);
      change = std::max(change, std::abs(clipped - p[a]));
      next[a] = clipped;
    }
    // Report the results of the prior they belong to (like the other solvers).
    res.gain = gain;
    res.prior.assign(n, std::numeric_limits<double>::quiet_NaN());
    for (int a = 0; a < nf; ++a) res.prior[free[a]] = p[a];
    res.mean_reward = 0.0;
    res.mean_coding_cost = 0.0;
    for (std::size_t k = 0; k < S; ++k) {
      res.mean_reward += mu[k] * reward[states[k]];
      res.mean_coding_cost += mu[k] * cost[k];
    }
    res.stationary.assign(nb, 0.0);
    res.values.assign(nb, std::numeric_limits<double>::quiet_NaN());
    double mean_v = 0.0;
    for (std::size_t k = 0; k < S; ++k) {
      const double* s = &sg[k * nf];
      double v = 0.0;
      for (int a = 0; a < nf; ++a) v += theta(a) * s[a];
      for (std::size_t q = 0; q < pairs.size(); ++q) v += theta(nf + static_cast<Eigen::Index>(q)) * s[pairs[q].first] * s[pairs[q].second];
      res.stationary[states[k]] = mu[k];
      res.values[states[k]] = v;
      mean_v += mu[k] * v;
    }
    for (std::size_t k = 0; k < S; ++k) res.values[states[k]] -= mean_v;
    // The next prior: the plain step, or an extrapolation of the plain loop's geometric tail (the
    // acceleration the exact solvers share; the loop contracts slowly where the couplings are weak).
    prior_loop::Round round;
    round.gain = gain;
    round.final_tolerances = true;  // every LBFGS run goes to its final tolerance
    round.below = change < options.prior_tol;
    round.last_outer = outer >= options.max_outer_iterations;
    round.eps = std::numeric_limits<double>::epsilon();
    const prior_loop::Verdict verdict = prior_loop::step(acceleration, p, next, round, chart);
    if (verdict == prior_loop::Verdict::converged) res.converged = true;
    if (verdict != prior_loop::Verdict::evaluate) break;
  }
  res.spike_count_rows = n + 1;
  res.spike_count_cols = 1;
  res.spike_count.assign(static_cast<std::size_t>(n) + 1, 0.0);
  for (std::size_t k = 0; k < S; ++k) res.spike_count[popcount64(states[k])] += mu[k];
  if (J_out && h_out) {
    J_out->assign(static_cast<std::size_t>(n) * n, 0.0);
    h_out->assign(n, 0.0);
    for (int a = 0; a < nf; ++a) (*h_out)[free[a]] = theta(a);
    for (std::size_t q = 0; q < pairs.size(); ++q) {
      const int i = free[pairs[q].first], j = free[pairs[q].second];
      (*J_out)[static_cast<std::size_t>(i) * n + j] = (*J_out)[static_cast<std::size_t>(j) * n + i] =
          theta(nf + static_cast<Eigen::Index>(q));
    }
  }
  res.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
