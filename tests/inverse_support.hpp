#pragma once
// Helpers of the inverse-RL tests: recordings of the dynamics from the shared chain sampler.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/host/inverse.hpp"
#include "netrl/host/sampler.hpp"

namespace netrl::test {

/// A recording of T steps of the dynamics under the exact solution's policy: chain 0 of
/// netrl::sample after a burn-in (its raster and input sequence).
inline inverse::Raster sampled_raster(const NetworkModel& model, const SolveResult& exact, std::uint64_t T,
                                      std::uint64_t seed) {
  SamplingOptions o;
  o.chains = 1;
  o.steps = T;
  o.burn_in = 10000;
  o.seed = seed;
  o.raster_chains = {0};
  const SampleResult r = sample(model, SamplerPolicy::exact(exact.values, exact.prior), o);
  inverse::Raster raster;
  raster.steps = r.stats.samples_per_chain;
  raster.n = model.n;
  raster.states = r.stats.rasters.at(0).states;
  if (model.m() > 1) raster.inputs.assign(r.stats.rasters[0].inputs.begin(), r.stats.rasters[0].inputs.end());
  return raster;
}

}  // namespace netrl::test
