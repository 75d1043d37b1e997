// The CUDA backend timed with CUDA events, each beside a floor measured on the same device in the
// same run. Runs only where a device answers: without one it prints the reason and exits with 77
// (CTest: skipped), or fails under NETRL_REQUIRE_GPU=1. bench/gpu_check.sh runs it on a device.
//
//  BM_CudaSweep<Real>/n   the soft Bellman sweep T h (all free neurons, m = 1), device time per
//                         sweep (median of 5, each after a warm-up), in pair terms per second.
//                         Floors: arithmetic (the kernels' own lse2 in a register-resident loop,
//                         one per pair term) and memory (one pass per neuron, each reading the
//                         values and the partial result and writing the result: (3 nf + 1) arrays
//                         of 2^nf values at the measured device-to-device copy bandwidth). floor_ms
//                         is the larger; fraction = floor_ms / measured ms. The label names the
//                         for_each launcher (NETRL_CUDA_FOR_EACH: grid or cub).
//  BM_CudaCountSolve/n    time to solution of the count-reward network (m = 1, tol 1e-8), with the
//                         gain and the sweep count to compare with the host's BM_CountSolve;
//                         fraction = its sweeps at the sweep's memory floor over the time.
//  BM_CudaPolicyVsValue/n the count network to tol = prior_tol = 1e-10 by value and by policy
//                         iteration on the device (GMRES on the device's chain space): seconds of
//                         each, their ratio (target: policy within 2x of value iteration at n =
//                         20), the gain difference, and each method's fraction of its floor (its
//                         sweeps and chain products at the sweep's memory floor).
//  BM_CudaDenseBatched/n/batch  batched dense (I - P) solves with P on the device: device time of
//                         the assembly, LUs, solves and checks (median of 5, events), beside the
//                         floor of the LU flops (2/3 N^3 + 4 N^2, N = n + 1) at the device's DGEMM
//                         rate; the upload of P through pinned buffers beside the pinned
//                         host-to-device bandwidth.
//  BM_CudaSampler*        bench_cuda_sampler.cpp.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "bench_cuda.hpp"
#include "bench_exact.hpp"
#include "bench_main.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "solve/exact_solver.hpp"

namespace {

bool g_smoke = false;

/// Milliseconds of one sweep of nf free neurons at the memory floor ((3 nf + 1) arrays of 2^nf
/// values at the copy bandwidth).
double sweep_floor_ms(int nf, std::size_t real_bytes) {
  const double bytes = (3.0 * nf + 1.0) * std::ldexp(1.0, nf) * static_cast<double>(real_bytes);
  return 1e3 * bytes / netrl::bench::copy_bandwidth();
}

template <class Real>
void BM_CudaSweep(benchmark::State& state) {
  const int nf = static_cast<int>(state.range(0));
  auto engine = netrl::bench::warm_engine<Real>(nf, true);
  const netrl::kernels::Mask one(1, 1);
  double ms = 0.0;
  for (auto _ : state) {
    ms = netrl::bench::median_ms([&] { engine->bellman(one); }, 5);
    state.SetIterationTime(ms * 1e-3);
  }
  const bool single = sizeof(Real) == 4;
  const double terms = netrl::bench::pair_terms(nf);
  const double lse_rate = netrl::kernels::cuda::lse2_rate(single);
  const double arithmetic_ms = 1e3 * terms / lse_rate, memory_ms = sweep_floor_ms(nf, sizeof(Real));
  const double floor_ms = std::max(arithmetic_ms, memory_ms);
  state.counters["pair_terms_per_s"] = terms / (ms * 1e-3);
  state.counters["sweep_ms"] = ms;
  state.counters["lse2_floor_per_s"] = lse_rate;
  state.counters["copy_GBps"] = netrl::bench::copy_bandwidth() * 1e-9;
  state.counters["floor_ms"] = floor_ms;
  state.counters["fraction"] = floor_ms / ms;
  const char* launcher = std::getenv("NETRL_CUDA_FOR_EACH");
  state.SetLabel(std::string(arithmetic_ms > memory_ms ? "arithmetic" : "memory") + "-bound floor, launcher " +
                 (launcher != nullptr && *launcher != '\0' ? launcher : "grid"));
}

void BM_CudaCountSolve(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  netrl::SolverOptions opt;
  opt.backend = netrl::Backend::cuda;
  opt.tol = 1e-8;
  opt.prior_tol = 1e-8;
  netrl::SolveResult r;
  for (auto _ : state) r = netrl::exact::solve(netrl::bench::count_network(n, 1), opt);
  const double floor_s = static_cast<double>(r.inner_iterations) * sweep_floor_ms(n, sizeof(double)) * 1e-3;
  state.counters["gain"] = r.gain;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["sweeps"] = static_cast<double>(r.inner_iterations);
  state.counters["converged"] = r.converged ? 1.0 : 0.0;
  state.counters["solve_s"] = r.elapsed_seconds;
  state.counters["floor_s"] = floor_s;
  state.counters["fraction"] = floor_s / r.elapsed_seconds;
  state.SetLabel("floor: its sweeps at the sweep's memory floor");
}

void BM_CudaPolicyVsValue(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  netrl::SolveResult vi, pi;
  for (auto _ : state) netrl::bench::policy_vs_value(n, netrl::Backend::cuda, &vi, &pi);
  const double product_s = sweep_floor_ms(n, sizeof(double)) * 1e-3;
  const double pi_products = static_cast<double>(pi.inner_iterations + pi.matvecs);
  state.counters["vi_s"] = vi.elapsed_seconds;
  state.counters["vi_sweeps"] = static_cast<double>(vi.inner_iterations);
  state.counters["vi_fraction"] = static_cast<double>(vi.inner_iterations) * product_s / vi.elapsed_seconds;
  state.counters["pi_s"] = pi.elapsed_seconds;
  state.counters["pi_improvements"] = static_cast<double>(pi.inner_iterations);
  state.counters["pi_matvecs"] = static_cast<double>(pi.matvecs);
  state.counters["pi_residual"] = pi.krylov_residual;
  state.counters["pi_fraction"] = pi_products * product_s / pi.elapsed_seconds;
  state.counters["pi_over_vi"] = pi.elapsed_seconds / vi.elapsed_seconds;
  state.counters["gain_diff"] = std::abs(vi.gain - pi.gain);
  state.counters["converged"] = vi.converged && pi.converged ? 1.0 : 0.0;
  // The summary columns of gpu_check.sh: policy iteration's time and fraction.
  state.counters["fraction"] = state.counters["pi_fraction"];
  state.SetLabel("target pi_over_vi <= 2 at n = 20; floor: sweeps and matvecs at the sweep's memory floor");
}

/// A random row-stochastic matrix per problem.
std::vector<double> random_chains(std::int64_t n, int batch) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> P(static_cast<std::size_t>(batch * n * n));
  for (std::int64_t r = 0; r < batch * n; ++r) {
    double sum = 0.0;
    for (std::int64_t c = 0; c < n; ++c) sum += (P[static_cast<std::size_t>(r * n + c)] = u(rng));
    for (std::int64_t c = 0; c < n; ++c) P[static_cast<std::size_t>(r * n + c)] /= sum;
  }
  return P;
}

void BM_CudaDenseBatched(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const int batch = static_cast<int>(state.range(1));
  const std::vector<double> P = random_chains(n, batch);
  const std::vector<double> g(static_cast<std::size_t>(batch * n), 0.5);
  auto dense = netrl::kernels::cuda::make_dense_batch(n, batch);
  double ms = 0.0, upload_s = 0.0;
  netrl::kernels::DenseTimings phases;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    dense->upload(P.data(), g.data());
    dense->solve();  // also the synchronisation that ends the upload
    upload_s = netrl::bench::seconds_since(t0);
    ms = netrl::bench::median_ms([&] { dense->solve(); }, 5);
    phases = dense->timings();
    state.SetIterationTime(ms * 1e-3);
  }
  netrl::kernels::DenseResults r;
  dense->download(&r);
  double worst = 0.0;
  for (int b = 0; b < batch; ++b) worst = std::max(worst, std::max(r.eval_residual[b], r.stationary_residual[b]));
  const double N = static_cast<double>(n + 1);
  const double flops = batch * (2.0 / 3.0 * N * N * N + 4.0 * N * N);
  const double gemm = netrl::kernels::cuda::dgemm_rate(2048);
  const double floor_ms = 1e3 * flops / gemm;
  const double bytes = 8.0 * static_cast<double>(batch) * static_cast<double>(n) * static_cast<double>(n + 1);
  const double pinned = netrl::kernels::cuda::pinned_bandwidth();
  state.counters["solve_ms"] = ms;
  state.counters["assemble_ms"] = phases.assemble_ms;
  state.counters["factor_ms"] = phases.factor_ms;
  state.counters["check_ms"] = phases.check_ms;
  state.counters["gflops"] = flops / (ms * 1e-3) * 1e-9;
  state.counters["dgemm_gflops"] = gemm * 1e-9;
  state.counters["floor_ms"] = floor_ms;
  state.counters["fraction"] = floor_ms / ms;
  state.counters["factor_fraction"] = floor_ms / std::max(phases.factor_ms, 1e-9);
  state.counters["upload_and_solve_ms"] = upload_s * 1e3;
  state.counters["upload_floor_ms"] = 1e3 * bytes / pinned;
  state.counters["pinned_GBps"] = pinned * 1e-9;
  state.counters["max_residual"] = worst;
  state.SetLabel(std::string(n + 1 <= netrl::kernels::kBatchedLuMaxOrder && batch > 1 ? "cuBLAS batched LU"
                                                                                      : "cuSOLVER getrf, streams") +
                 "; target fraction >= 0.3");
}

void register_benchmarks() {
  const std::vector<int> sweep_n = g_smoke ? std::vector<int>{10} : netrl::bench::env_sizes("NETRL_BENCH_SWEEP_N", {16, 20, 24, 26, 28});
  for (int n : sweep_n) {
    benchmark::RegisterBenchmark("BM_CudaSweep<double>", BM_CudaSweep<double>)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
    benchmark::RegisterBenchmark("BM_CudaSweep<float>", BM_CudaSweep<float>)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
  }
  const std::vector<int> solve_n = g_smoke ? std::vector<int>{6} : netrl::bench::env_sizes("NETRL_BENCH_SOLVE_N", {16, 20, 24, 26});
  for (int n : solve_n)
    benchmark::RegisterBenchmark("BM_CudaCountSolve", BM_CudaCountSolve)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  const std::vector<int> policy_n = g_smoke ? std::vector<int>{6} : netrl::bench::env_sizes("NETRL_BENCH_POLICY_N", {16, 20});
  for (int n : policy_n)
    benchmark::RegisterBenchmark("BM_CudaPolicyVsValue", BM_CudaPolicyVsValue)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  using Sizes = std::vector<std::pair<int, int>>;  // (states, problems)
  const Sizes dense = g_smoke ? Sizes{{63, 4}} : Sizes{{255, 1024}, {1023, 8}, {1023, 64}, {4095, 2}};
  for (const auto& [n, b] : dense)
    benchmark::RegisterBenchmark("BM_CudaDenseBatched", BM_CudaDenseBatched)->Args({n, b})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
  netrl::bench::register_sampler_benchmarks(g_smoke);
}

}  // namespace

int main(int argc, char** argv) {
  try {  // bad sizes are reported with or without a device
    for (const char* name : {"NETRL_BENCH_SWEEP_N", "NETRL_BENCH_SOLVE_N", "NETRL_BENCH_POLICY_N", "NETRL_BENCH_SAMPLER_N",
                             "NETRL_BENCH_ISING_N"})
      netrl::bench::env_sizes(name, {});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda: %s\n", e.what());
    return 2;
  }
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
  try {
    return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks);
  } catch (const std::exception& e) {  // a bad NETRL_BENCH_*_N, a failed device call
    std::fprintf(stderr, "bench_cuda: %s\n", e.what());
    return 2;
  }
}
