// One point of the exact-vs-sampled benchmark: chains under the exact policy, and the errors of
// their estimates (P(K|x), the gain, the reward inferred from them) against the exact solution.
#include <chrono>
#include <cmath>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "netrl/sample.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// log(sigmoid(z)), stable for large |z|.
double log_sigmoid(double z) { return z >= 0.0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z)); }

/// The coding cost c(s) = sum_i KL[Bern(rho_i) || Bern(p_i)] of one state from its logits
/// z_i = logit rho_i (consistent states, free neurons).
double coding_cost(const double* z, const std::vector<int>& free, const std::vector<double>& prior) {
  double c = 0.0;
  for (int i : free) {
    const double rho = 1.0 / (1.0 + std::exp(-z[i]));
    const double p = prior[static_cast<std::size_t>(i)];
    c += rho * (log_sigmoid(z[i]) - std::log(p)) + (1.0 - rho) * (log_sigmoid(-z[i]) - std::log1p(-p));
  }
  return c;
}

/// P(K | x), row-major (n + 1) x m, from weights over the joint states.
std::vector<double> spike_count_given_x(const NetworkModel& model, const std::vector<double>& weights) {
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  std::vector<double> p(static_cast<std::size_t>(n + 1) * m, 0.0), total(static_cast<std::size_t>(m), 0.0);
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      const double w = weights[x * nb + b];
      p[static_cast<std::size_t>(popcount64(b)) * m + x] += w;
      total[static_cast<std::size_t>(x)] += w;
    }
  for (int K = 0; K <= n; ++K)
    for (int x = 0; x < m; ++x) p[static_cast<std::size_t>(K) * m + x] /= total[static_cast<std::size_t>(x)];
  return p;
}

}  // namespace

SamplingOptions sampled_accuracy_sampling(const SampledAccuracyOptions& options) {
  SamplingOptions so;
  so.chains = options.chains;
  so.steps = options.chains > 0 ? (options.samples + options.chains - 1) / options.chains : 0;
  so.burn_in = options.burn_in;
  so.seed = options.seed;
  so.backend = options.backend;
  so.histogram = true;
  so.transitions = options.infer;
  return so;
}

SampledAccuracy sampled_accuracy(const NetworkModel& model, const ExactReference& exact,
                                 const SampledAccuracyOptions& options) {
  model.validate();
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = model.num_states();
  if (exact.values.size() != N || exact.stationary.size() != N || exact.prior.size() != static_cast<std::size_t>(n)) {
    throw InvalidInput("solution", "the exact solution does not belong to this network (n = " + std::to_string(n) +
                                       ", m = " + std::to_string(m) + ")");
  }
  if (n > SamplingOptions::kMaxHistogramNeurons) {
    throw InvalidInput("n", "the accuracy of sampled estimates needs the visit histogram: n <= " +
                                std::to_string(SamplingOptions::kMaxHistogramNeurons));
  }
  if (options.chains < 1 || options.samples < options.chains) {
    throw InvalidInput("sampling.samples", "needs at least one sample per chain (" + std::to_string(options.chains) +
                                               " chains)");
  }
  const SamplingOptions so = sampled_accuracy_sampling(options);
  const SampleResult sampled = sample(model, SamplerPolicy::exact(exact.values, exact.prior), so);

  SampledAccuracy out;
  out.samples = sampled.stats.samples();
  out.sample_seconds = sampled.elapsed_seconds;
  std::vector<double> visits(sampled.stats.histogram.begin(), sampled.stats.histogram.end());
  // P(K|x): the largest total-variation distance over the input values.
  const auto p_exact = spike_count_given_x(model, exact.stationary);
  const auto p_sampled = spike_count_given_x(model, visits);
  out.tv_spike_count = 0.0;
  for (int x = 0; x < m; ++x) {
    double tv = 0.0;
    for (int K = 0; K <= n; ++K) tv += std::abs(p_sampled[static_cast<std::size_t>(K) * m + x] - p_exact[static_cast<std::size_t>(K) * m + x]);
    out.tv_spike_count = std::max(out.tv_spike_count, 0.5 * tv);
  }
  // The gain: the visit-weighted mean of r - lambda c, beside the same sum under the exact mu.
  const auto logits = inverse::policy_logits(model, exact.values, exact.prior, model.lambda);
  const auto free = model.free_neurons();
  double estimate = 0.0, exact_sum = 0.0;
  const auto total = static_cast<double>(out.samples);
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb;
    if (!model.consistent(b) || (visits[s] == 0.0 && exact.stationary[s] == 0.0)) continue;
    const double g = model.reward.evaluate(n, b, static_cast<int>(s / nb)) -
                     model.lambda * coding_cost(&logits[s * static_cast<std::uint64_t>(n)], free, exact.prior);
    estimate += visits[s] / total * g;
    exact_sum += exact.stationary[s] * g;
  }
  out.gain_estimate = estimate;
  out.gain_error = estimate - exact.gain;
  out.exact_gain_check = exact_sum;
  out.r2 = kNaN;
  out.infer_seconds = kNaN;
  if (options.infer) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> transitions(sampled.stats.transitions.begin(), sampled.stats.transitions.end());
    const inverse::NetworkData data = inverse::sampled_counts(model, visits, std::move(transitions));
    const auto prior = inverse::firing_prior(model, data);
    const inverse::NetworkInverse inv = inverse::maximum_likelihood(model, data, prior, model.lambda, {});
    out.r2 = inverse::compare_rewards(inv.reward, model.reward.tabulate(n, m), exact.stationary, nb).r2;
    out.missing_states = inv.missing;
    out.infer_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
