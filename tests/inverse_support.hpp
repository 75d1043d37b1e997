#pragma once
// Helpers of the inverse-RL tests: recordings of the dynamics from the shared chain sampler.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/host/inverse.hpp"
#include "netrl/host/sampler.hpp"

namespace netrl::test {

/// Sampling options of one chain of T recorded steps after `burn_in` steps (seeded).
inline SamplingOptions one_chain(std::uint64_t T, std::uint64_t seed, std::uint64_t burn_in = 10000) {
  SamplingOptions o;
  o.chains = 1;
  o.steps = T;
  o.burn_in = burn_in;
  o.seed = seed;
  o.histogram = true;
  o.transitions = true;
  o.correlations = false;
  return o;
}

/// A recording of T steps of the dynamics under the exact solution's policy: chain 0 of
/// netrl::sample after a burn-in (its raster and input sequence).
inline inverse::Raster sampled_raster(const NetworkModel& model, const SolveResult& exact, std::uint64_t T,
                                      std::uint64_t seed) {
  SamplingOptions o = one_chain(T, seed);
  o.histogram = false;
  o.transitions = false;
  o.raster_chains = {0};
  const SampleResult r = sample(model, SamplerPolicy::exact(exact.values, exact.prior), o);
  inverse::Raster raster;
  raster.steps = r.stats.samples_per_chain;
  raster.n = model.n;
  raster.states = r.stats.rasters.at(0).states;
  if (model.m() > 1) raster.inputs.assign(r.stats.rasters[0].inputs.begin(), r.stats.rasters[0].inputs.end());
  return raster;
}

/// The histogram and transition counts of T recorded steps of one chain, as inverse data.
inline inverse::NetworkData sampled_data(const NetworkModel& model, const SolveResult& exact, std::uint64_t T,
                                         std::uint64_t seed) {
  const SampleResult r = sample(model, SamplerPolicy::exact(exact.values, exact.prior), one_chain(T, seed));
  return inverse::sampled_counts(model, std::vector<double>(r.stats.histogram.begin(), r.stats.histogram.end()),
                                 std::vector<double>(r.stats.transitions.begin(), r.stats.transitions.end()), "data");
}

}  // namespace netrl::test
