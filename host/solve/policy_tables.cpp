// Policy tables of a solution: rho_i(b, x), pi(a|s) and tuning curves (netrl/policy.hpp).
#include "netrl/policy.hpp"

#include <cmath>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_network_result(const NetworkModel& model, const SolveResult& result) {
  if (result.values.size() != model.num_states() || result.stationary.size() != model.num_states()) {
    throw InvalidInput("solution", "values and stationary distribution need m * 2^n = " +
                                       std::to_string(model.num_states()) + " entries, got " +
                                       std::to_string(result.values.size()) + " and " +
                                       std::to_string(result.stationary.size()));
  }
  if (result.prior.size() != static_cast<std::size_t>(model.n)) {
    throw InvalidInput("solution", "the prior needs one entry per neuron (n = " + std::to_string(model.n) + "), got " +
                                       std::to_string(result.prior.size()));
  }
}

double logistic(double z) { return z >= 0.0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

void check_network_policy_size(const NetworkModel& model) {
  // m <= 2^16 and n <= 40: the product fits in 64 bits.
  const std::uint64_t entries = model.num_states() * static_cast<std::uint64_t>(model.n);
  if (entries > kMaxPolicyEntries) {
    throw InvalidInput("policy", "the policy table of n = " + std::to_string(model.n) + ", m = " +
                                     std::to_string(model.m()) + " has m * 2^n * n = " + std::to_string(entries) +
                                     " entries; at most " + std::to_string(kMaxPolicyEntries) + " (2^26) are written");
  }
}

}  // namespace

void check_policy_size(const Problem& problem) {
  if (problem.kind == ModelKind::network) check_network_policy_size(problem.network);
}

std::vector<double> network_policy(const NetworkModel& model, const SolveResult& result) {
  check_network_policy_size(model);
  check_network_result(model, result);
  std::vector<double> rho = inverse::policy_logits(model, result.values, result.prior, model.lambda);
  for (double& z : rho) z = std::isnan(z) ? kNaN : logistic(z);
  return rho;
}

std::vector<double> maze_policy(const Maze& maze, double lambda, const SolveResult& result) {
  if (result.values.size() != static_cast<std::size_t>(maze.num_states())) {
    throw InvalidInput("solution", "the maze has " + std::to_string(maze.num_states()) + " states; the solution has " +
                                       std::to_string(result.values.size()) + " values");
  }
  return inverse::mdp_greedy_policy(maze.mdp(), result.values, result.prior, lambda);
}

TuningCurves tuning_curves(const NetworkModel& model, const SolveResult& result) {
  const std::vector<double> rho = network_policy(model, result);
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  TuningCurves t;
  t.n = n;
  t.m = m;
  const std::size_t size = static_cast<std::size_t>(n + 1) * m * n;
  std::vector<double> spikes(size, 0.0);
  t.mass.assign(size, 0.0);
  const auto free = model.free_neurons();
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      const std::uint64_t s = x * nb + b;
      const double w = result.stationary[s];
      if (!model.consistent(b) || !(w > 0.0)) continue;
      const int K = popcount64(b);
      for (int i : free) {
        const int k = K - static_cast<int>((b >> i) & 1);
        const double r = rho[s * n + i];
        for (int row : {i, n}) {
          t.mass[t.index(row, x, k)] += w;
          spikes[t.index(row, x, k)] += w * r;
        }
      }
    }
  t.p_spike.assign(size, kNaN);
  for (std::size_t e = 0; e < size; ++e)
    if (t.mass[e] > 0.0) t.p_spike[e] = spikes[e] / t.mass[e];
  return t;
}

NETRL_NAMESPACE_END  // namespace netrl
