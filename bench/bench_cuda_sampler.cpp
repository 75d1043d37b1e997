// The CUDA chain sampler's kernels timed with CUDA events (part of bench_cuda):
//
//  BM_CudaSamplerExact/n     the exact-policy path (thresholds on the fly from W = V T^T, m = 2),
//                            10^5 chains, n = 8, 12, 16, the histogram recorded at every step.
//  BM_CudaSamplerIsing/n     dense Ising chains with incrementally updated fields (the direct
//                            kernel), n = 1024, 10^5 chains, recorded once per sweep (every n steps).
//
// The events enclose kernels::cuda::run_sampler on a prepared plan (sampling::make_plan, as
// netrl::sample does): the device allocations, the policy's upload and the counts' download with
// the kernels (small at these sizes); the median of 3, each after a warm-up run. Floors, whichever
// binds: the issue rate (every update at the device's rate of the step arithmetic in registers,
// kernels::cuda::sampler_step_rate: one Philox4x32-10 block, the neuron pick, the deterministic
// sigmoid) and, for the Ising chains, the memory traffic of their fields (each flip reads and
// writes the chain's n float64 fields: 16 n bytes at the measured copy bandwidth).
// fraction = floor / measured time.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench_cuda.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/sample.hpp"
#include "sample/sampler_plan.hpp"

namespace netrl::bench {
namespace {

struct SamplerCase {
  NetworkModel model;
  SamplerPolicy policy;
};

/// A binary input that flips with probability 0.02 and a random policy of the given kind (the
/// sampler's cost does not depend on where the policy came from).
SamplerCase sampler_case(SamplerPolicy::Kind kind, int n) {
  SamplerCase c;
  c.model.n = n;
  c.model.input = InputProcess::binary_flip(0.02);
  c.model.lambda = 0.114;
  std::mt19937_64 rng(static_cast<std::uint64_t>(n) * 7 + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  if (kind == SamplerPolicy::Kind::exact) {
    std::vector<double> v(static_cast<std::size_t>(2) << n);
    for (double& x : v) x = 0.05 * g(rng);
    c.policy = SamplerPolicy::exact(std::move(v), {0.5});
  } else {
    const auto un = static_cast<std::size_t>(n);
    std::vector<double> J(un * un, 0.0), h(un);
    for (std::size_t i = 0; i < un; ++i)
      for (std::size_t j = i + 1; j < un; ++j) J[i * un + j] = J[j * un + i] = 0.1 * g(rng) / std::sqrt(static_cast<double>(n));
    for (double& x : h) x = 0.01 * g(rng);
    c.policy = SamplerPolicy::ising(std::move(J), std::move(h), {0.5});
  }
  return c;
}

void run_sampler_case(benchmark::State& state, SamplerPolicy::Kind kind, std::uint64_t chains, std::uint64_t steps,
                      std::uint64_t thin) {
  const int n = static_cast<int>(state.range(0));
  const SamplerCase c = sampler_case(kind, n);
  SamplingOptions o;
  o.backend = Backend::cuda;
  o.kernel = SamplerKernel::direct;
  o.chains = chains;
  o.steps = steps;
  o.thin = thin;
  o.seed = 1;
  o.correlations = false;
  const sampling::Plan plan = sampling::make_plan(c.model, c.policy, o);
  kernels::SampleRequest rq = plan.request();
  rq.chains = chains;
  rq.steps = steps;
  rq.thin = thin;
  const auto un = static_cast<std::size_t>(n), states = static_cast<std::size_t>(plan.m) << n;
  std::vector<std::uint64_t> histogram(plan.histogram ? states : 0), spike_count((un + 1) * static_cast<std::size_t>(plan.m)),
      active(un);
  std::uint64_t flips = 0;
  kernels::SampleOutput out;
  out.histogram = histogram.empty() ? nullptr : histogram.data();
  out.spike_count = spike_count.data();
  out.active = active.data();
  out.flips = &flips;
  double ms = 0.0;
  for (auto _ : state) {
    ms = median_ms([&] { kernels::cuda::run_sampler(rq, out); }, 3);
    state.SetIterationTime(ms * 1e-3);
  }
  flips = 0;  // the counts of one more run (the timed runs added theirs)
  kernels::cuda::run_sampler(rq, out);
  const double flips_per_run = static_cast<double>(flips);
  const double updates = static_cast<double>(chains) * static_cast<double>(steps);
  const double issue_ms = 1e3 * updates / kernels::cuda::sampler_step_rate(true);
  const double memory_ms = kind == SamplerPolicy::Kind::ising ? 1e3 * flips_per_run * 16.0 * n / copy_bandwidth() : 0.0;
  const double floor_ms = std::max(issue_ms, memory_ms);
  state.counters["updates_per_s"] = updates / (ms * 1e-3);
  state.counters["flip_rate"] = flips_per_run / updates;
  state.counters["issue_floor_ms"] = issue_ms;
  state.counters["memory_floor_ms"] = memory_ms;
  state.counters["floor_ms"] = floor_ms;
  state.counters["fraction"] = floor_ms / ms;
  state.SetLabel(std::string(issue_ms >= memory_ms ? "issue-rate" : "memory") + "-bound floor, target fraction >= 0.5");
}

}  // namespace

void register_sampler_benchmarks(bool smoke) {
  using Kind = SamplerPolicy::Kind;
  const std::uint64_t chains = smoke ? 1000 : 100000;
  for (int n : smoke ? std::vector<int>{8} : env_sizes("NETRL_BENCH_SAMPLER_N", {8, 12, 16})) {
    benchmark::RegisterBenchmark("BM_CudaSamplerExact", [=](benchmark::State& s) {
      run_sampler_case(s, Kind::exact, chains, smoke ? 100 : 1000, 1);
    })->Arg(n)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
  }
  for (int n : smoke ? std::vector<int>{64} : env_sizes("NETRL_BENCH_ISING_N", {1024})) {
    const auto un = static_cast<std::uint64_t>(n);
    benchmark::RegisterBenchmark("BM_CudaSamplerIsing", [=](benchmark::State& s) {
      run_sampler_case(s, Kind::ising, chains, 2 * un, un);
    })->Arg(n)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
  }
}

}  // namespace netrl::bench
