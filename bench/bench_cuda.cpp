// The exact solver's kernels on the CUDA backend, timed with CUDA events. Runs only where a device
// answers: without one it prints the reason and exits with 77 (CTest: skipped), or fails under
// NETRL_REQUIRE_GPU=1.
//
//  BM_CudaSweep<Real>/n  the soft Bellman sweep T h (all free neurons, m = 1), device time per
//                        sweep from events, in pair terms per second. Two floors measured in the
//                        same run on the same device: arithmetic (the kernels' own lse2 in a
//                        register-resident loop, one per pair term) and memory (the CUDA plan
//                        makes one pass per neuron, each reading the values and the partial
//                        result and writing the result: (3 nf + 1) arrays of 2^nf values moved,
//                        at the measured device-to-device copy bandwidth). floor_ms is the larger
//                        of the two times; fraction = floor_ms / measured ms.
//  BM_CudaCountSolve/n   time to solution of the count-reward network of bench_sweep (m = 1,
//                        tol 1e-8) on the device, with the gain and the sweep count to compare
//                        with the host's BM_CountSolve.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_exact.hpp"
#include "bench_main.hpp"
#include "solve/exact_solver.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"

namespace {

bool g_smoke = false;

template <class Real>
std::unique_ptr<netrl::kernels::ExactEngine<Real>> warm_engine(int nf) {
  return netrl::bench::warm_engine<Real>(nf, true);
}

template <class Real>
void BM_CudaSweep(benchmark::State& state) {
  const int nf = static_cast<int>(state.range(0));
  auto engine = warm_engine<Real>(nf);
  const netrl::kernels::Mask one(1, 1);
  constexpr int kSweeps = 5;
  double best_ms = 1e300;
  for (auto _ : state) {
    const double ms = netrl::kernels::cuda::time_engine_ms([&] {
                        for (int k = 0; k < kSweeps; ++k) engine->bellman(one);
                      }) / kSweeps;
    state.SetIterationTime(ms * 1e-3);
    best_ms = std::min(best_ms, ms);
  }
  const bool single = sizeof(Real) == 4;
  const double states = std::ldexp(1.0, nf);
  const double terms = static_cast<double>(nf) * states / 2.0;
  const double bytes = (3.0 * nf + 1.0) * states * sizeof(Real);
  const double lse_rate = netrl::kernels::cuda::lse2_rate(single);
  const double bandwidth = netrl::kernels::cuda::copy_bandwidth();
  const double arithmetic_ms = 1e3 * terms / lse_rate, memory_ms = 1e3 * bytes / bandwidth;
  const double floor_ms = std::max(arithmetic_ms, memory_ms);
  state.counters["pair_terms_per_s"] = terms / (best_ms * 1e-3);
  state.counters["sweep_ms"] = best_ms;
  state.counters["lse2_floor_per_s"] = lse_rate;
  state.counters["copy_GBps"] = bandwidth * 1e-9;
  state.counters["achieved_GBps"] = bytes / (best_ms * 1e-3) * 1e-9;
  state.counters["floor_ms"] = floor_ms;
  state.counters["fraction"] = floor_ms / best_ms;
  state.SetLabel(arithmetic_ms > memory_ms ? "arithmetic-bound floor" : "memory-bound floor");
}

netrl::NetworkModel count_network(int n) {
  netrl::NetworkModel model;
  model.n = n;
  model.input = netrl::InputProcess::none();
  model.reward = netrl::RewardSpec::count({std::max(1, n / 4)});
  model.lambda = 0.1;
  model.prior_mode = netrl::PriorMode::population;
  return model;
}

void BM_CudaCountSolve(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  netrl::SolverOptions opt;
  opt.backend = netrl::Backend::cuda;
  opt.tol = 1e-8;
  opt.prior_tol = 1e-8;
  netrl::SolveResult r;
  for (auto _ : state) r = netrl::exact::solve(count_network(n), opt);
  state.counters["gain"] = r.gain;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["sweeps"] = static_cast<double>(r.inner_iterations);
  state.counters["converged"] = r.converged ? 1.0 : 0.0;
  state.counters["solve_s"] = r.elapsed_seconds;
}

void register_benchmarks() {
  const std::vector<int> sweep_n = g_smoke ? std::vector<int>{10} : std::vector<int>{16, 20, 24, 26, 28};
  for (int n : sweep_n) {
    benchmark::RegisterBenchmark("BM_CudaSweep<double>", BM_CudaSweep<double>)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
    benchmark::RegisterBenchmark("BM_CudaSweep<float>", BM_CudaSweep<float>)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
  }
  const std::vector<int> solve_n = g_smoke ? std::vector<int>{6} : std::vector<int>{16, 20, 24, 26};
  for (int n : solve_n)
    benchmark::RegisterBenchmark("BM_CudaCountSolve", BM_CudaCountSolve)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  std::string reason;
  if (!netrl::kernels::cuda::device_available(&reason)) {
    const char* require = std::getenv("NETRL_REQUIRE_GPU");
    if (require != nullptr && std::string(require) == "1") {
      std::fprintf(stderr, "bench_cuda: NETRL_REQUIRE_GPU=1 but %s\n", reason.c_str());
      return 1;
    }
    std::printf("bench_cuda: skipped: %s\n", reason.c_str());
    return 77;
  }
  return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks);
}
