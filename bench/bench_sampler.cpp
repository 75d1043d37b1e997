// Neuron updates per second of the host chain sampler against n (8 .. 4096) and the number of chains
// (1 .. 10^5), for the three formulations: thresholds from a table (small n), thresholds on the
// fly from an exact solution's W = V T^T, and Ising chains with incrementally updated fields
// (and their GEMM variant).
//
// Floor: every update needs one Philox4x32-10 block (4 words), and the on-the-fly kernels one
// deterministic sigmoid. Both rates are measured in this process on the same code paths (the
// host's SIMD block draws and SIMD thresholds), best of 5: compute floor = updates x (t_philox
// [+ t_sigmoid]) / threads. Ising chains also read one row of J (n doubles) per flip: field floor
// = flips x 8 n bytes / (parallel read bandwidth measured on a working set of J's size), which
// dominates for large n. floor_s = max of the two; fraction_of_floor = floor_s / measured time.
//
// Timing: each case runs a few iterations; the counters come from the fastest. Besides wall-clock
// rates, the process CPU time of the run is reported (updates per CPU-second): on a machine shared
// with other jobs, wall-clock rates understate what the cores deliver. Run with
// --netrl_smoke (CTest) for a tiny configuration of each family.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "bench_memory.hpp"
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "host/sampler_simd.hpp"
#include "netrl/sample.hpp"

namespace {

using netrl::bench::read_bandwidth;

bool g_smoke = false;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Seconds per chain-step of the block draws (one thread), best of 5.
double philox_seconds() {
  static const double value = [] {
    constexpr std::uint32_t kBlock = 64;
    std::vector<std::uint32_t> w(4 * kBlock);
    const netrl::kernels::host::DrawBlock out{{&w[0], &w[kBlock], &w[2 * kBlock], &w[3 * kBlock]}};
    const auto path = netrl::kernels::host::best_simd_path();
    double best = 1e9;
    std::uint64_t sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (std::uint32_t t = 0; t < 20000; ++t) {
        netrl::kernels::host::philox_block(path, 0, kBlock, t, 0, 0, 1, 2, out);
        sink += w[t % (4 * kBlock)];
      }
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, dt / (20000.0 * kBlock));
    }
    benchmark::DoNotOptimize(sink);
    return best;
  }();
  return value;
}

/// Seconds per deterministic sigmoid threshold (independent evaluations), best of 5.
double sigmoid_seconds() {
  static const double value = [] {
    // Blocks of 64 arguments through the host's SIMD path, as the sampler evaluates them.
    std::vector<double> z(64);
    std::vector<std::uint32_t> thr(64);
    for (std::size_t k = 0; k < z.size(); ++k) z[k] = -8.0 + 16.0 * static_cast<double>(k) / static_cast<double>(z.size());
    const auto path = netrl::kernels::host::best_simd_path();
    double best = 1e9;
    std::uint64_t sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < 20000; ++r) {
        netrl::kernels::host::threshold_block(path, z.data(), thr.data(), z.size());
        sink += thr[static_cast<std::size_t>(r) % z.size()];
      }
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, dt / (20000.0 * static_cast<double>(z.size())));
    }
    benchmark::DoNotOptimize(sink);
    return best;
  }();
  return value;
}

struct Case {
  netrl::NetworkModel model;
  netrl::SamplerPolicy policy;
};

/// count8-like input (binary, flip 0.02), a random policy of the given kind (the sampler's cost
/// does not depend on where the policy came from).
Case make_case(netrl::SamplerPolicy::Kind kind, int n) {
  Case c;
  c.model.n = n;
  c.model.input = netrl::InputProcess::binary_flip(0.02);
  c.model.lambda = 0.114;
  std::mt19937_64 rng(static_cast<std::uint64_t>(n) * 7 + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  if (kind == netrl::SamplerPolicy::Kind::exact) {
    std::vector<double> v(static_cast<std::size_t>(2) << n);
    for (double& x : v) x = 0.05 * g(rng);
    c.policy = netrl::SamplerPolicy::exact(std::move(v), {0.5});
  } else {
    std::vector<double> J(static_cast<std::size_t>(n) * n, 0.0), h(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) J[i * n + j] = J[j * n + i] = 0.1 * g(rng) / std::sqrt(static_cast<double>(n));
    for (double& x : h) x = 0.01 * g(rng);
    c.policy = netrl::SamplerPolicy::ising(std::move(J), std::move(h), {0.5});
  }
  return c;
}

void run_case(benchmark::State& state, netrl::SamplerPolicy::Kind kind, netrl::SamplerKernel kernel, int n,
              std::uint64_t chains, std::uint64_t target_updates, std::uint64_t thin) {
  const Case c = make_case(kind, n);
  netrl::SamplingOptions o;
  o.chains = chains;
  o.steps = std::max<std::uint64_t>(1, target_updates / chains);
  o.thin = thin;
  o.seed = 1;
  o.kernel = kernel;
  o.correlations = false;
  double best_wall = 1e30, best_cpu = 1e30;
  netrl::SampleResult r;
  for (auto _ : state) {
    const double c0 = cpu_seconds();
    r = netrl::sample(c.model, c.policy, o);
    const double cpu = cpu_seconds() - c0;
    state.SetIterationTime(r.elapsed_seconds);
    best_wall = std::min(best_wall, r.elapsed_seconds);
    best_cpu = std::min(best_cpu, cpu);
  }
  const double updates = static_cast<double>(r.updates);
  const int threads = omp_get_max_threads();
  const bool on_the_fly = r.kernel != "table";
  const double compute_floor = updates * (philox_seconds() + (on_the_fly ? sigmoid_seconds() : 0.0)) / threads;
  // Ising fields: each flip reads a row of J (n doubles); beyond the caches that is memory traffic.
  const double field_floor = kind == netrl::SamplerPolicy::Kind::ising && r.kernel == "direct"
                                 ? static_cast<double>(r.stats.flips) * n * 8.0 / read_bandwidth(8.0 * n * n)
                                 : 0.0;
  const double floor = std::max(compute_floor, field_floor);
  state.counters["flip_rate"] = static_cast<double>(r.stats.flips) / updates;
  state.counters["field_floor_s"] = field_floor;
  state.counters["n"] = n;
  state.counters["chains"] = static_cast<double>(chains);
  state.counters["updates_per_s"] = updates / best_wall;
  state.counters["updates_per_cpu_s"] = updates / best_cpu;
  state.counters["floor_s"] = floor;
  state.counters["fraction_of_floor"] = floor / best_wall;
  state.counters["threads"] = threads;
  state.SetLabel(r.kernel);
}

void register_all() {
  using Kind = netrl::SamplerPolicy::Kind;
  using netrl::SamplerKernel;
  auto add = [](const std::string& name, Kind kind, SamplerKernel kernel, int n, std::uint64_t chains,
                std::uint64_t updates, std::uint64_t thin) {
    benchmark::RegisterBenchmark(name.c_str(),
                                 [=](benchmark::State& s) { run_case(s, kind, kernel, n, chains, updates, thin); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(g_smoke || n >= 1024 ? 1 : 3);
  };
  if (g_smoke) {
    add("Table/n:8/chains:100", Kind::exact, SamplerKernel::table, 8, 100, 10000, 1);
    add("ExactDirect/n:8/chains:100", Kind::exact, SamplerKernel::direct, 8, 100, 10000, 1);
    add("IsingDirect/n:64/chains:100", Kind::ising, SamplerKernel::direct, 64, 100, 10000, 10);
    add("IsingGemm/n:64/chains:100", Kind::ising, SamplerKernel::gemm, 64, 100, 10000, 10);
    return;
  }
  // Thresholds from a table (histogram recorded at every step).
  for (int n : {8, 12, 16})
    for (std::uint64_t chains : {1ull, 100ull, 10000ull, 100000ull})
      add("Table/n:" + std::to_string(n) + "/chains:" + std::to_string(chains), Kind::exact, SamplerKernel::table, n,
          chains, chains == 1 ? 20000000 : 100000000, 1);
  // An exact solution's policy evaluated on the fly.
  for (int n : {8, 16, 20})
    add("ExactDirect/n:" + std::to_string(n) + "/chains:10000", Kind::exact, SamplerKernel::direct, n, 10000, 50000000, 1);
  // Ising chains with incremental fields, n = 8 .. 4096, recorded once per sweep (every n steps).
  // Every chain runs at least 20 sweeps, so that the initial fields (a chains x n x n GEMM) are a
  // small part of the run; the largest cases run fewer chains to bound the time.
  for (int n : {8, 16, 64, 256, 1024, 4096}) {
    const auto un = static_cast<std::uint64_t>(n);
    const std::uint64_t updates = std::clamp<std::uint64_t>(4000000000ull / un, 2000000, 50000000);
    for (std::uint64_t chains : {1ull, 100ull, 1000ull, 10000ull, 100000ull}) {
      if (chains == 1000 && n < 1024) continue;
      if (chains * 20 * un * un > 40000000000ull) continue;  // ~20 s of field updates at most
      add("IsingDirect/n:" + std::to_string(n) + "/chains:" + std::to_string(chains), Kind::ising, SamplerKernel::direct,
          n, chains, std::max(chains == 1 ? updates / 10 : updates, chains * 20 * un), un);
    }
  }
  for (int n : {256, 1024})
    add("IsingGemm/n:" + std::to_string(n) + "/chains:1000", Kind::ising, SamplerKernel::gemm, n, 1000,
        1000ull * 20 * static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(n));
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_all); }
