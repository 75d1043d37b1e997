// Solve, sample and infer count8 with the netrl C++ API: the exact gain, 2 x 10^5 steps of the
// dynamics under the optimal policy, and the reward inferred back from those steps.
#include <cstdio>

#include "netrl/netrl.hpp"

int main() {
  // The forward problem: the optimal policy of the count8 network (host backend).
  const netrl::Problem count8 = netrl::scenario("count8");
  const netrl::SolveResult exact = netrl::solve(count8);
  std::printf("count8 gain %.12f (%s)\n", exact.gain, exact.converged ? "converged" : "NOT converged");

  // Sampling: 20 chains of 10^4 steps under that policy, with their transitions.
  netrl::SamplingOptions options;
  options.chains = 20;
  options.steps = 10000;
  options.burn_in = 2000;
  options.seed = 7;
  options.transitions = true;
  const netrl::SampleResult run =
      netrl::sample(count8.network, netrl::SamplerPolicy::exact(exact.values, exact.prior), options);

  // The inverse problem: the reward from the sampled counts, compared with the true one.
  netrl::InferData data;
  data.kind = netrl::InferData::Kind::samples;
  data.counts = netrl::inverse::sampled_counts(
      count8.network, {run.stats.histogram.begin(), run.stats.histogram.end()},
      {run.stats.transitions.begin(), run.stats.transitions.end()});
  netrl::InferSettings settings;
  settings.problem = count8;
  settings.has_truth = true;
  const netrl::InferResult inferred = netrl::infer(settings, data);
  std::printf("reward from %llu samples: r^2 = %.4f (netrl %s)\n",
              static_cast<unsigned long long>(run.stats.samples()), inferred.comparison.r2, NETRL_VERSION);
  return exact.converged ? 0 : 1;
}
