#pragma once
// What the chain sampler's test files share (test_sampler.cpp, test_sampler_laws.cpp,
// test_sample_cli.cpp; one binary, test_sampler, and its CUDA twin test_sampler_cuda): sampling
// options on the backend under test, the comparison of two samplers' counts and rasters, and
// random Ising policies on the sampler's grid, and a small network with both kinds of policy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "netrl/sample.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl::sampler_suite {

using test::kBackend;

inline SamplingOptions options(std::uint64_t chains, std::uint64_t steps, std::uint64_t burn_in,
                               std::uint64_t seed) {
  SamplingOptions o;
  o.chains = chains;
  o.steps = steps;
  o.burn_in = burn_in;
  o.seed = seed;
  o.backend = kBackend;
  return o;
}

/// options() with every sample recorded: thinned by `thin`, with transition counts and the rasters
/// of `raster_chains`.
inline SamplingOptions recorded_options(std::uint64_t chains, std::uint64_t steps, std::uint64_t burn_in,
                                        std::uint64_t seed, std::uint64_t thin,
                                        std::vector<std::uint64_t> raster_chains) {
  SamplingOptions o = options(chains, steps, burn_in, seed);
  o.thin = thin;
  o.transitions = true;
  o.raster_chains = std::move(raster_chains);
  return o;
}

/// The count vectors of SampleStats, by name.
inline const std::pair<const char*, std::vector<std::uint64_t> SampleStats::*> kCounts[] = {
    {"histogram", &SampleStats::histogram}, {"transitions", &SampleStats::transitions},
    {"spike_count", &SampleStats::spike_count}, {"active", &SampleStats::active},
    {"coactive", &SampleStats::coactive}};

inline void expect_same_stats(const SampleStats& a, const SampleStats& b) {
  EXPECT_EQ(a.flips, b.flips);
  for (const auto& [name, counts] : kCounts) EXPECT_EQ(a.*counts, b.*counts) << name;
  ASSERT_EQ(a.rasters.size(), b.rasters.size());
  for (std::size_t r = 0; r < a.rasters.size(); ++r) {
    EXPECT_EQ(a.rasters[r].chain, b.rasters[r].chain);
    EXPECT_EQ(a.rasters[r].states, b.rasters[r].states);
    EXPECT_EQ(a.rasters[r].inputs, b.rasters[r].inputs);
  }
}

/// A symmetric J with zero diagonal and an m x n field, all multiples of 2^-10 (so on the
/// sampler's 2^-30 grid: no rounding).
inline void random_ising(int n, int m, double scale, std::mt19937_64& rng, std::vector<double>* J,
                         std::vector<double>* h) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  J->assign(static_cast<std::size_t>(n) * n, 0.0);
  h->assign(static_cast<std::size_t>(m) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      (*J)[i * n + j] = (*J)[j * n + i] = std::round(u(rng) * scale * 1024.0) / 1024.0;
    }
  for (double& v : *h) v = std::round(u(rng) * scale * 1024.0) / 1024.0;
}

/// A small network with an input and a clamp, its exact policy and an Ising policy.
struct Fixture {
  NetworkModel model;
  SamplerPolicy exact, ising;
  /// check(policy, the run of `policy` under `o`) for the exact and the Ising policy.
  template <class Check>
  void for_each_policy(const SamplingOptions& o, const Check& check) const {
    for (const SamplerPolicy* policy : {&exact, &ising}) check(*policy, sample(model, *policy, o));
  }
};

inline Fixture small_fixture() {
  std::mt19937_64 rng(8);
  Fixture f;
  f.model = test::random_network(6, 3, PriorMode::neuron, rng, 0.5);
  f.model.clamps.push_back(Clamp{4, -1});
  const SolveResult s = reference::solve(f.model, SolverOptions{});
  f.exact = SamplerPolicy::exact(s.values, s.prior);
  std::vector<double> J, h;
  random_ising(6, 3, 0.3, rng, &J, &h);
  f.ising = SamplerPolicy::ising(J, h, {0.4});
  return f;
}

}  // namespace netrl::sampler_suite
