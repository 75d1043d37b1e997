#pragma once
// Helpers of the inverse-RL tests: recordings of the dynamics from the shared chain sampler.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/inverse.hpp"
#include "netrl/sample.hpp"

namespace netrl::test {

/// A recording of T steps of the dynamics under the exact solution's policy: chain 0 of
/// netrl::sample after a burn-in (its raster and input sequence).
inline Raster sampled_raster(const NetworkModel& model, const SolveResult& exact, std::uint64_t T,
                                      std::uint64_t seed) {
  SamplingOptions o;
  o.chains = 1;
  o.steps = T;
  o.burn_in = 10000;
  o.seed = seed;
  o.raster_chains = {0};
  const SampleResult r = sample(model, SamplerPolicy::exact(exact.values, exact.prior), o);
  Raster raster = r.stats.rasters.at(0);
  if (model.m() == 1) raster.inputs.clear();
  return raster;
}

}  // namespace netrl::test
