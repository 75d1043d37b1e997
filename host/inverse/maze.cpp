// The inverse of a general MDP (the maze, MODEL.md sec. 4 eq. 25-28): the reward from an observed
// soft policy by maximising a likelihood that is concave in the values.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "inverse/detail.hpp"
#include "solve/linear_solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

namespace {

/// q(s, a) = sum_s' p(s'|s,a) v(s') for all (s, a), row-major N x A.
std::vector<double> action_values(const Mdp& mdp, const double* v) {
  std::vector<double> q(static_cast<std::size_t>(mdp.num_states) * mdp.num_actions, 0.0);
  for (int s = 0; s < mdp.num_states; ++s)
    for (int a = 0; a < mdp.num_actions; ++a) {
      const std::int64_t r = mdp.row(s, a);
      double acc = 0.0;
      for (std::int64_t e = mdp.row_ptr[r]; e < mdp.row_ptr[r + 1]; ++e) acc += mdp.probability[e] * v[mdp.next_state[e]];
      q[static_cast<std::size_t>(s) * mdp.num_actions + a] = acc;
    }
  return q;
}

void check_mdp_inputs(const Mdp& mdp, const std::vector<double>& prior, double lambda) {
  if (prior.size() != static_cast<std::size_t>(mdp.num_actions)) {
    throw InvalidInput("prior", "expected " + std::to_string(mdp.num_actions) + " action probabilities, got " +
                                    std::to_string(prior.size()));
  }
  for (double p : prior)
    if (!(p > 0.0 && p <= 1.0)) throw InvalidInput("prior", "action probabilities must lie in (0, 1]");
  validate_lambda(lambda);
}

}  // namespace

std::vector<double> mdp_greedy_policy(const Mdp& mdp, const std::vector<double>& values, const std::vector<double>& prior,
                                      double lambda) {
  check_mdp_inputs(mdp, prior, lambda);
  if (values.size() != static_cast<std::size_t>(mdp.num_states)) {
    throw InvalidInput("values", "expected " + std::to_string(mdp.num_states) + " values, got " +
                                     std::to_string(values.size()));
  }
  const int A = mdp.num_actions;
  const auto q = action_values(mdp, values.data());
  std::vector<double> pi(q.size());
  std::vector<double> z(A);
  for (int s = 0; s < mdp.num_states; ++s) {
    double zmax = -std::numeric_limits<double>::infinity();
    for (int a = 0; a < A; ++a) {
      z[a] = std::log(prior[a]) + q[static_cast<std::size_t>(s) * A + a] / lambda;
      zmax = std::max(zmax, z[a]);
    }
    double sum = 0.0;
    for (int a = 0; a < A; ++a) sum += std::exp(z[a] - zmax);
    // Divided by the sum, not exp(z - (zmax + log sum)): at a tiny lambda z reaches 1e17 and more,
    // where zmax + log sum rounds to zmax and a row of ties summed to its count.
    for (int a = 0; a < A; ++a) pi[static_cast<std::size_t>(s) * A + a] = std::exp(z[a] - zmax) / sum;
  }
  return pi;
}

MdpInverse invert_mdp_policy(const Mdp& mdp, const std::vector<double>& policy, const std::vector<double>& prior,
                             double lambda, const std::vector<double>& weights, const OptimizerOptions& options) {
  options.validate();
  check_mdp_inputs(mdp, prior, lambda);
  const int N = mdp.num_states, A = mdp.num_actions;
  if (policy.size() != static_cast<std::size_t>(N) * A) {
    throw InvalidInput("policy", "expected N x A = " + std::to_string(N) + " x " + std::to_string(A) + " entries");
  }
  if (weights.size() != static_cast<std::size_t>(N)) throw InvalidInput("weights", "expected one weight per state");
  double wsum = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0) || !std::isfinite(w)) throw InvalidInput("weights", "weights must be finite and >= 0");
    wsum += w;
  }
  if (!(wsum > 0.0)) throw InvalidInput("weights", "all weights are zero");
  std::vector<double> log_prior(A);
  for (int a = 0; a < A; ++a) log_prior[a] = std::log(prior[a]);

  // Negative weighted mean log-likelihood and its gradient; optionally the per-state pi*.
  auto evaluate = [&](const Eigen::VectorXd& v, Eigen::VectorXd& grad, std::vector<double>* pistar) {
    const auto q = action_values(mdp, v.data());
    grad.setZero(N);
    double f = 0.0;
    std::vector<double> z(A);
    if (pistar) pistar->resize(q.size());
    for (int s = 0; s < N; ++s) {
      const double ws = weights[s] / wsum;
      double zmax = -std::numeric_limits<double>::infinity();
      for (int a = 0; a < A; ++a) {
        z[a] = log_prior[a] + q[static_cast<std::size_t>(s) * A + a] / lambda;
        zmax = std::max(zmax, z[a]);
      }
      double sum = 0.0;
      for (int a = 0; a < A; ++a) sum += std::exp(z[a] - zmax);
      const double log_sum = std::log(sum);  // relative to zmax, as in mdp_greedy_policy
      for (int a = 0; a < A; ++a) {
        const double obs = policy[static_cast<std::size_t>(s) * A + a];
        const double model = std::exp(z[a] - zmax) / sum;
        if (pistar) (*pistar)[static_cast<std::size_t>(s) * A + a] = model;
        if (ws == 0.0) continue;
        if (obs > 0.0) f -= ws * obs * ((z[a] - zmax) - log_sum);
        // d(-loglik)/dq(s,a) = -ws (obs - model) / lambda
        const double gq = -ws * (obs - model) / lambda;
        if (gq == 0.0) continue;
        const std::int64_t r = mdp.row(s, a);
        for (std::int64_t e = mdp.row_ptr[r]; e < mdp.row_ptr[r + 1]; ++e) grad(mdp.next_state[e]) += gq * mdp.probability[e];
      }
    }
    return f;
  };

  Eigen::VectorXd v = Eigen::VectorXd::Zero(N);
  const detail::Objective objective = [&](const Eigen::VectorXd& x, Eigen::VectorXd& g) { return evaluate(x, g, nullptr); };
  // With Newton steps to follow, LBFGS only needs to get close (the Hessian is ill-conditioned at
  // small lambda, where LBFGS alone converges slowly).
  const double lbfgs_tol = N <= kMaxNewtonStates ? std::max(options.tolerance, 1e-8) : options.tolerance;
  const detail::MinimizeReport rep = detail::minimize(objective, v, options.max_iterations, lbfgs_tol);
  MdpInverse out;
  out.iterations = rep.iterations;
  out.objective = rep.value;
  out.gradient_norm = rep.gradient_norm;

  // Newton steps on the dense Hessian: H = sum_s w_s / lambda^2 Q_s^T (diag pi* - pi* pi*^T) Q_s,
  // with the gauge direction (constant v) fixed by adding 1 1^T / N (H 1 = 0).
  if (N <= kMaxNewtonStates) {
    Eigen::VectorXd g(N);
    std::vector<double> pistar;
    double f = evaluate(v, g, &pistar);
    for (int step = 0; step < 30; ++step) {
      Eigen::MatrixXd H = Eigen::MatrixXd::Constant(N, N, 1.0 / N);
      Eigen::VectorXd mean_row(N);
      for (int s = 0; s < N; ++s) {
        const double ws = weights[s] / wsum;
        if (ws == 0.0) continue;
        const double c = ws / (lambda * lambda);
        // sum_a pi*_a q_a q_a^T - (sum_a pi*_a q_a)(...)^T, with q_a the sparse rows.
        for (int a = 0; a < A; ++a) {
          const double pa = pistar[static_cast<std::size_t>(s) * A + a];
          const std::int64_t r = mdp.row(s, a);
          for (std::int64_t e1 = mdp.row_ptr[r]; e1 < mdp.row_ptr[r + 1]; ++e1)
            for (std::int64_t e2 = mdp.row_ptr[r]; e2 < mdp.row_ptr[r + 1]; ++e2)
              H(mdp.next_state[e1], mdp.next_state[e2]) += c * pa * mdp.probability[e1] * mdp.probability[e2];
        }
        std::vector<std::pair<int, double>> mrow;
        for (int a = 0; a < A; ++a) {
          const double pa = pistar[static_cast<std::size_t>(s) * A + a];
          const std::int64_t r = mdp.row(s, a);
          for (std::int64_t e = mdp.row_ptr[r]; e < mdp.row_ptr[r + 1]; ++e)
            mrow.emplace_back(mdp.next_state[e], pa * mdp.probability[e]);
        }
        for (const auto& [i, x] : mrow)
          for (const auto& [j, y] : mrow) H(i, j) -= c * x * y;
      }
      Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
      const Eigen::VectorXd delta = -ldlt.solve(g);
      if (!delta.allFinite()) break;
      // Backtracking on the objective (concave likelihood: the full step is usually accepted).
      double t = 1.0;
      bool accepted = false;
      Eigen::VectorXd g_new(N);
      std::vector<double> pi_new;
      for (int k = 0; k < 30; ++k) {
        const Eigen::VectorXd trial = v + t * delta;
        const double f_new = evaluate(trial, g_new, &pi_new);
        if (f_new <= f + 1e-14 * std::abs(f) || g_new.norm() < g.norm()) {
          v = trial;
          f = f_new;
          g = g_new;
          pistar.swap(pi_new);
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      if (!accepted) break;
      ++out.newton_steps;
      if (t * delta.cwiseAbs().maxCoeff() <= 1e-14 * (1.0 + v.cwiseAbs().maxCoeff())) break;
    }
    out.objective = f;
    out.gradient_norm = g.norm();
  }
  out.converged = out.gradient_norm <= std::max(1e3 * options.tolerance, 1e-12);

  // r = v - lambda log sum_a p(a) exp(q(s,a)/lambda)  (+ L, dropped).
  const auto q = action_values(mdp, v.data());
  out.values.assign(v.data(), v.data() + N);
  out.reward.resize(N);
  for (int s = 0; s < N; ++s) {
    double zmax = -std::numeric_limits<double>::infinity();
    for (int a = 0; a < A; ++a) zmax = std::max(zmax, log_prior[a] + q[static_cast<std::size_t>(s) * A + a] / lambda);
    double sum = 0.0;
    for (int a = 0; a < A; ++a) sum += std::exp(log_prior[a] + q[static_cast<std::size_t>(s) * A + a] / lambda - zmax);
    out.reward[s] = v(s) - lambda * (zmax + std::log(sum));
  }
  center_per_block(out.reward, weights, static_cast<std::uint64_t>(N));

  // Check with eq. 27-28: under the observed policy (chain P, cost c), v = A (r - lambda c) + const
  // with A the group inverse of I - P.
  {
    std::vector<double> cost(N, 0.0);
    for (int s = 0; s < N; ++s)
      for (int a = 0; a < A; ++a) {
        const double pa = policy[static_cast<std::size_t>(s) * A + a];
        if (pa > 0.0) cost[s] += pa * (std::log(pa) - log_prior[a]);
      }
    // Every transition s -> t of the policy's chain with its probability w.
    auto for_each_transition = [&](auto&& f) {
      for (int s = 0; s < N; ++s)
        for (int a = 0; a < A; ++a) {
          const double pa = policy[static_cast<std::size_t>(s) * A + a];
          if (pa == 0.0) continue;
          const std::int64_t r = mdp.row(s, a);
          for (std::int64_t e = mdp.row_ptr[r]; e < mdp.row_ptr[r + 1]; ++e) f(s, mdp.next_state[e], pa * mdp.probability[e]);
        }
    };
    const linear::LinearOperator apply_P = [&](const std::vector<double>& x, std::vector<double>& y) {
      std::fill(y.begin(), y.end(), 0.0);
      for_each_transition([&](int s, auto t, double w) { y[s] += w * x[t]; });
    };
    const linear::LinearOperator apply_PT = [&](const std::vector<double>& x, std::vector<double>& y) {
      std::fill(y.begin(), y.end(), 0.0);
      for_each_transition([&](int s, auto t, double w) { y[t] += w * x[s]; });
    };
    try {
      linear::KrylovOptions ko;
      std::vector<double> mu(N, 1.0 / N);
      linear::stationary_krylov(apply_PT, mu, ko);
      std::vector<double> y(N), z(N, 0.0);
      for (int s = 0; s < N; ++s) y[s] = out.reward[s] - lambda * cost[s];
      linear::apply_group_inverse(apply_P, mu, y, z, ko);
      double mv = 0.0, scale = 0.0, worst = 0.0;
      for (int s = 0; s < N; ++s) mv += mu[s] * v(s);
      for (int s = 0; s < N; ++s) {
        scale = std::max(scale, std::abs(v(s) - mv));
        worst = std::max(worst, std::abs(v(s) - mv - z[s]));
      }
      out.group_inverse_residual = scale > 0.0 ? worst / scale : worst;
    } catch (const NumericalError&) {
      out.group_inverse_residual = std::numeric_limits<double>::infinity();
    }
  }
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
