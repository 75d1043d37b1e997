// Inverse methods for networks (docs/model.md, "Inverse RL"): the closed form, the inversion of an
// exactly known policy, maximum likelihood of observed transitions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "inverse/detail.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

using detail::log_add_exp;
using detail::rewards_from_w;
using detail::log_sigmoid;
using detail::logit;
using detail::sigmoid;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Relative stationary mass below which an exact solution's state counts as unvisited.
constexpr double kExactMassFloor = 1e-12;
/// Below this many states the likelihood is evaluated serially.
constexpr std::int64_t kParallelStates = 4096;

/// log p_i(b_i) summed over free neurons.
double log_prior_of(std::uint64_t b, const std::vector<int>& free, const std::vector<double>& prior) {
  double s = 0.0;
  for (int i : free) s += ((b >> i) & 1) ? std::log(prior[i]) : std::log1p(-prior[i]);
  return s;
}

void check_prior(const NetworkModel& model, const std::vector<double>& prior) {
  if (prior.size() != static_cast<std::size_t>(model.n)) {
    throw InvalidInput("prior", "expected one firing prior per neuron (n = " + std::to_string(model.n) + "), got " +
                                    std::to_string(prior.size()));
  }
  for (int i : model.free_neurons()) {
    if (!(prior[i] > 0.0 && prior[i] < 1.0)) {
      std::ostringstream os;
      os << "prior of free neuron " << i << " is " << prior[i] << "; it must lie in (0, 1)";
      throw InvalidInput("prior", os.str());
    }
  }
}

void check_lambda(double lambda) {
  validate_lambda(lambda);
}

/// States reported from data: visited at least `min_visits` times and, with `neighbours` (the
/// closed form, which needs mu(b xor 2^i)), so are all their single-flip neighbours (same input).
std::vector<char> reportable(const NetworkModel& model, const NetworkData& data, double min_visits,
                             bool neighbours) {
  const std::uint64_t nb = model.num_network_states(), N = data.visits.size();
  const auto free = model.free_neurons();
  // Exact data: a stationary mass below 1e-12 (of the total) is numerically undetermined
  // (MODEL.md sec. 4), so such states and their neighbours count as unvisited.
  const double threshold = data.exact ? kExactMassFloor * data.total : min_visits;
  std::vector<char> ok(N, 0);
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb;
    if (!model.consistent(b) || data.visits[s] < threshold) continue;
    bool all = true;
    if (neighbours)
      for (int i : free) all = all && data.visits[s ^ (std::uint64_t{1} << i)] >= threshold;
    ok[s] = all;
  }
  return ok;
}

std::vector<double> normalised_weights(const NetworkData& data) {
  std::vector<double> w(data.visits);
  double total = 0.0;
  for (double v : w) total += v;
  if (!(total > 0.0)) throw InvalidInput("data", "no observations");
  for (double& v : w) v /= total;
  return w;
}

void check_data(const NetworkModel& model, const NetworkData& data) {
  detail::check_observations(model, data);
  if (!(data.total > 0.0)) throw InvalidInput("data", "no observations (the raster is empty)");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void OptimizerOptions::validate(const std::string& field) const {
  if (max_iterations < 1 || max_iterations > 10000000) {
    throw InvalidInput(field + ".max_iterations", "must lie in [1, 10^7], got " + std::to_string(max_iterations));
  }
  if (!(tolerance > 0.0) || !std::isfinite(tolerance)) {
    throw InvalidInput(field + ".tolerance", "must be finite and > 0, got " + number_text(tolerance));
  }
  if (!(ridge >= 0.0) || !std::isfinite(ridge)) {
    throw InvalidInput(field + ".ridge", "must be finite and >= 0, got " + number_text(ridge));
  }
  if (!(noise_fraction >= 0.0 && noise_fraction <= 1.0)) {
    throw InvalidInput(field + ".noise_fraction", "must lie in [0, 1], got " + number_text(noise_fraction));
  }
  if (!(min_visits > 0.0) || !std::isfinite(min_visits)) {
    throw InvalidInput(field + ".min_visits", "must be finite and > 0, got " + number_text(min_visits));
  }
}

namespace detail {

void check_observations(const NetworkModel& model, const NetworkData& data) {
  if (data.n != model.n || data.m != model.m() || data.visits.size() != model.num_states()) {
    throw InvalidInput("data", "the observations are for n = " + std::to_string(data.n) + ", m = " +
                                   std::to_string(data.m) + "; the model has n = " + std::to_string(model.n) +
                                   ", m = " + std::to_string(model.m()));
  }
}

void rewards_from_w(const NetworkModel& model, const std::vector<double>& w, const std::vector<double>& prior,
                    double lambda, const std::vector<char>& report, NetworkInverse& out) {
  const int m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * m;
  const auto free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * lambda;
  out.values.assign(N, kNaN);
  Eigen::MatrixXd T(m, m);
  for (int x = 0; x < m; ++x)
    for (int xp = 0; xp < m; ++xp) T(x, xp) = model.input(x, xp);
  Eigen::FullPivLU<Eigen::MatrixXd> lu(T);
  const bool invertible = lu.isInvertible();
  if (!invertible) {
    out.notes.push_back(
        "the input matrix T is singular: v is not identified from w = V T^T; the minimum-norm v is used, so the "
        "reward is reliable only up to a function in the null space of T");
  }
  Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(T);
  Eigen::VectorXd wb(m), vb(m);
  for (std::uint64_t b = 0; b < nb; ++b) {
    if (!model.consistent(b)) continue;
    for (int x = 0; x < m; ++x) wb(x) = w[x * nb + b];
    vb = invertible ? Eigen::VectorXd(lu.solve(wb)) : Eigen::VectorXd(cod.solve(wb));
    for (int x = 0; x < m; ++x) out.values[x * nb + b] = vb(x);
  }
  out.reward.assign(N, kNaN);
  out.missing = 0;
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb, base = s - b;
    if (!model.consistent(b)) continue;
    if (!report[s]) {
      ++out.missing;
      continue;
    }
    double acc = 0.0;
    for (int i : free) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      const double a1 = std::log(prior[i]) + w[base + (b | bit)] / temperature;
      const double a0 = std::log1p(-prior[i]) + w[base + (b & ~bit)] / temperature;
      acc += log_add_exp(a1, a0);
    }
    out.reward[s] = out.values[s] - lambda * acc;
  }
  center_per_block(out.reward, out.weights, nb);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------

NetworkInverse closed_form(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                           double lambda, const OptimizerOptions& options) {
  options.validate();
  check_data(model, data);
  check_prior(model, prior);
  check_lambda(lambda);
  if (model.m() != 1) {
    throw InvalidInput("method", "the closed form needs a network without input (m = 1); with an input (m = " +
                                     std::to_string(model.m()) + ") use \"ml\" (or \"policy\" for an exact solution)");
  }
  const std::uint64_t nb = model.num_network_states();
  const auto free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * lambda;
  NetworkInverse out;
  out.method = "closed_form";
  out.lambda = lambda;
  out.prior = prior;
  out.weights = normalised_weights(data);
  const auto report = reportable(model, data, options.min_visits, true);
  out.reward.assign(nb, kNaN);
  out.values.assign(nb, kNaN);
  for (std::uint64_t b = 0; b < nb; ++b) {
    if (!model.consistent(b)) continue;
    const double mu = data.visits[b];
    if (mu > 0.0) out.values[b] = temperature * (std::log(mu) - log_prior_of(b, free, prior));
    if (!report[b]) {
      ++out.missing;
      continue;
    }
    double r = 0.0;
    for (int i : free) {
      const double other = data.visits[b ^ (std::uint64_t{1} << i)];
      const bool on = (b >> i) & 1;
      // log mu(b_i | b_/i) - log p_i(b_i)
      r += std::log(mu) - std::log(mu + other) - (on ? std::log(prior[i]) : std::log1p(-prior[i]));
    }
    out.reward[b] = lambda * r;
  }
  center_per_block(out.reward, out.weights, nb);
  center_per_block(out.values, out.weights, nb);
  return out;
}

NetworkInverse invert_policy(const NetworkModel& model, const std::vector<double>& logits,
                             const std::vector<double>& prior, double lambda, const std::vector<double>& weights) {
  check_prior(model, prior);
  check_lambda(lambda);
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * m;
  if (logits.size() != N * n) throw InvalidInput("policy", "expected m * 2^n * n policy logits");
  if (weights.size() != N) {
    throw InvalidInput("weights", std::to_string(weights.size()) + " weights; the model has m * 2^n = " +
                                      std::to_string(N) + " states");
  }
  const auto free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * lambda;
  const std::uint64_t free_mask = model.free_mask();
  NetworkInverse out;
  out.method = "policy";
  out.lambda = lambda;
  out.prior = prior;
  out.weights = weights;
  // w(b, x) - w(b0, x) by summing d_i along the set free bits of b (b0 = the clamp bits).
  std::vector<double> w(N, kNaN);
  for (int x = 0; x < m; ++x) {
    const std::uint64_t base = static_cast<std::uint64_t>(x) * nb;
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      const std::uint64_t set = b & free_mask;
      if (set == 0) {
        w[base + b] = 0.0;
        continue;
      }
      const int i = __builtin_ctzll(set);
      const std::uint64_t lower = b & ~(std::uint64_t{1} << i);
      const double z = logits[(base + b) * n + i];
      if (!std::isfinite(z)) {
        throw InvalidInput("policy", "the policy logit of neuron " + std::to_string(i) + " at state " +
                                         std::to_string(base + b) + " is not finite");
      }
      w[base + b] = w[base + lower] + temperature * (z - logit(prior[i]));
    }
  }
  std::vector<char> report(N, 0);
  for (std::uint64_t s = 0; s < N; ++s) report[s] = model.consistent(s % nb);
  rewards_from_w(model, w, prior, lambda, report, out);
  return out;
}

NetworkInverse maximum_likelihood(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                                  double lambda, const OptimizerOptions& options) {
  options.validate();
  check_data(model, data);
  check_prior(model, prior);
  check_lambda(lambda);
  if (data.transitions.size() != data.visits.size() * (model.n + 1)) {
    throw InvalidInput("data", "maximum likelihood needs transition counts (a raster, or an exact solution)");
  }
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * m;
  const auto free = model.free_neurons();
  const double nf = static_cast<double>(free.size());
  const double log_nf = std::log(nf);
  // Parameters: u = w / (nf lambda) over the consistent joint states.
  std::vector<std::uint64_t> states;
  std::vector<std::int64_t> index(N, -1);
  for (std::uint64_t s = 0; s < N; ++s)
    if (model.consistent(s % nb)) {
      index[s] = static_cast<std::int64_t>(states.size());
      states.push_back(s);
    }
  const Eigen::Index P = static_cast<Eigen::Index>(states.size());
  std::vector<double> logit_p(n, 0.0);
  for (int i : free) logit_p[i] = logit(prior[i]);

  // Start: the closed form per input value, u(b, x) = log mu(b | x) - sum_i log p_i(b_i) (the
  // Gibbs distribution of a static input), with a pseudo-count of 1/2 for unvisited states.
  Eigen::VectorXd u0(P);
  {
    std::vector<double> mass(m, 0.0);
    for (std::uint64_t s = 0; s < N; ++s) mass[s / nb] += data.visits[s];
    const double pseudo = data.exact ? 0.0 : 0.5;
    for (Eigen::Index k = 0; k < P; ++k) {
      const std::uint64_t s = states[k];
      const double c = data.visits[s] + pseudo;
      const double total = mass[s / nb] + pseudo * std::ldexp(1.0, static_cast<int>(free.size()));
      const double mu = c > 0.0 && total > 0.0 ? c / total : 1e-300;
      u0(k) = std::log(std::max(mu, 1e-300)) - log_prior_of(s % nb, free, prior);
    }
  }
  double observations = 0.0;
  for (double c : data.transitions) observations += c;
  if (!(observations > 0.0)) {
    throw InvalidInput("data", "no transitions observed (a raster needs at least 2 rows)");
  }
  const double scale = 1.0 / observations;
  const double ridge = data.exact ? 0.0 : options.ridge;
  // Visited states with any transitions.
  std::vector<std::uint64_t> active;
  for (std::uint64_t s : states) {
    double c = 0.0;
    for (int j = 0; j <= n; ++j) c += data.transitions[s * (n + 1) + j];
    if (c > 0.0) active.push_back(s);
  }
  std::vector<double> gz(N * n, 0.0);  // dNLL/dz_i at each state
  std::vector<double> nll_state(active.size(), 0.0);

  const detail::Objective objective = [&](const Eigen::VectorXd& u, Eigen::VectorXd& grad) {
    // Per-state terms summed serially afterwards: a deterministic objective (an OpenMP reduction
    // combines partial sums in a varying order, and LBFGS line searches trip over that noise).
    const std::int64_t A = static_cast<std::int64_t>(active.size());
#pragma omp parallel for schedule(static) if (A > kParallelStates)
    for (std::int64_t k = 0; k < A; ++k) {
      const std::uint64_t s = active[k];
      const std::uint64_t b = s % nb, base = s - b;
      double zs[64];
      for (int i : free) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        zs[i] = u(index[base + (b | bit)]) - u(index[base + (b & ~bit)]) + logit_p[i];
      }
      nll_state[k] = detail::transition_nll(&data.transitions[s * (n + 1)], b, free, n, zs, log_nf, &gz[s * n]);
    }
    double nll = 0.0;
    for (double t : nll_state) nll += t;
    // Gather: u(b', x) enters z_i at b' and at b' xor 2^i, with sign + if bit i of b' is set.
#pragma omp parallel for schedule(static) if (P > kParallelStates)
    for (Eigen::Index k = 0; k < P; ++k) {
      const std::uint64_t s = states[k];
      const std::uint64_t b = s % nb;
      double g = 0.0;
      for (int i : free) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        const double sg = ((b >> i) & 1) ? 1.0 : -1.0;
        g += sg * (gz[s * n + i] + gz[(s ^ bit) * n + i]);
      }
      grad(k) = scale * (g + ridge * (u(k) - u0(k)));
    }
    const double penalty = ridge > 0.0 ? 0.5 * ridge * (u - u0).squaredNorm() : 0.0;
    return scale * (nll + penalty);
  };
  // gz entries of inactive states stay 0 (no observations there).
  //
  // Diagonal preconditioning: the curvature of the likelihood spans many orders of magnitude (it
  // scales with the visits of each state), so LBFGS runs in x = D u with D^2 the diagonal of the
  // Fisher information at the start, F_ii = N_s a_i^2 q_i / nf (1 + q_i / S) for z_i at state s
  // (a_i = 1 - q_i, S = sum_j a_j), added to both u's that z_i depends on. The gradient norm in x
  // is then the Newton decrement, a scale-free stopping criterion.
  Eigen::VectorXd D = Eigen::VectorXd::Zero(P);
  for (std::uint64_t s : active) {
    const std::uint64_t b = s % nb, base = s - b;
    double N_s = 0.0;
    for (int j = 0; j <= n; ++j) N_s += data.transitions[s * (n + 1) + j];
    double S = 0.0;
    std::vector<double> q(n, 0.0);
    for (int i : free) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      const double z = u0(index[base + (b | bit)]) - u0(index[base + (b & ~bit)]) + logit_p[i];
      q[i] = sigmoid(((b >> i) & 1) ? -z : z);
      S += 1.0 - q[i];
    }
    for (int i : free) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      const double a = 1.0 - q[i];
      const double f = N_s * a * a * q[i] / nf * (1.0 + (S > 0.0 ? q[i] / S : 0.0));
      D(index[base + (b | bit)]) += f;
      D(index[base + (b & ~bit)]) += f;
    }
  }
  D = (scale * (D.array() + ridge)).matrix();
  const double floor = std::max(1e-12 * D.maxCoeff(), std::numeric_limits<double>::min());
  D = D.cwiseMax(floor).cwiseSqrt();
  const detail::Objective preconditioned = [&](const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    const Eigen::VectorXd u = x.cwiseQuotient(D);
    const double f = objective(u, grad);
    grad = grad.cwiseQuotient(D);
    return f;
  };
  Eigen::VectorXd x = u0.cwiseProduct(D);
  const detail::MinimizeReport rep = detail::minimize(preconditioned, x, options.max_iterations, options.tolerance);
  const Eigen::VectorXd u = x.cwiseQuotient(D);

  NetworkInverse out;
  out.method = "ml";
  out.lambda = lambda;
  out.prior = prior;
  out.weights = normalised_weights(data);
  out.iterations = rep.iterations;
  out.evaluations = rep.evaluations;
  out.objective = rep.value;
  out.gradient_norm = rep.gradient_norm;
  out.converged = rep.converged;
  if (!rep.converged) out.notes.push_back("maximum likelihood: " + rep.stop);
  std::vector<double> w(N, kNaN);
  for (Eigen::Index k = 0; k < P; ++k) w[states[k]] = nf * lambda * u(k);
  // The transitions out of a visited state give its whole policy (rho_i for every i): its reward
  // needs no visited neighbours.
  rewards_from_w(model, w, prior, lambda, reportable(model, data, options.min_visits, false), out);
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
