// Batched dense (I - P) solves on the host: problems per second for N = 256..4096, beside the
// floor: the LU's flops (2/3 (N+1)^3 for the factorisation plus 2 x 2 (N+1)^2 for the two
// triangular solve pairs) at this machine's GEMM rate, measured in the same run with both cores
// (Eigen's parallel GEMM on N = 1024 matrices). Where a CUDA device answers, BM_DenseBatchedCuda
// runs the same solves through cuSOLVER / cuBLAS batched LU, floor at the device's DGEMM rate.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <Eigen/Dense>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "solve/linear_solve.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"

namespace {

bool g_smoke = false;

double gemm_flops_per_second() {
  static const double rate = [] {
    const int n = g_smoke ? 128 : 1024;
    const Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n), b = Eigen::MatrixXd::Random(n, n);
    Eigen::MatrixXd c(n, n);
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      c.noalias() = a * b;
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    benchmark::DoNotOptimize(c.data());
    return 2.0 * n * n * static_cast<double>(n) / best;
  }();
  return rate;
}

/// A random row-stochastic matrix (dense, irreducible).
std::vector<double> random_chains(std::int64_t n, int batch, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> P(static_cast<std::size_t>(batch * n * n));
  for (std::int64_t r = 0; r < batch * n; ++r) {
    double sum = 0.0;
    for (std::int64_t c = 0; c < n; ++c) sum += (P[r * n + c] = u(rng));
    for (std::int64_t c = 0; c < n; ++c) P[r * n + c] /= sum;
  }
  return P;
}

/// Host (Eigen) or CUDA (cuSOLVER / cuBLAS batched) LUs; the floor is the LU flops at the GEMM
/// rate of the same place (Eigen on the host cores, cublasDgemm on the device).
void dense_batched(benchmark::State& state, netrl::linear::DenseBackend backend) {
  const std::int64_t n = state.range(0);
  const int batch = static_cast<int>(state.range(1));
  std::mt19937_64 rng(7);
  const auto P = random_chains(n, batch, rng);
  std::vector<double> g(static_cast<std::size_t>(batch * n));
  for (auto& x : g) x = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  double total = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto s = netrl::linear::solve_dense_batched(P.data(), g.data(), n, batch, backend);
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(s.data());
  }
  const double seconds = total / static_cast<double>(state.iterations());
  const double N = static_cast<double>(n + 1);
  const double flops = batch * (2.0 / 3.0 * N * N * N + 4.0 * N * N);
  const bool cuda = backend == netrl::linear::DenseBackend::cuda;
  const double gemm = cuda ? netrl::kernels::cuda::dgemm_rate(2048) : gemm_flops_per_second();
  if (cuda) state.SetLabel("cuda: wall time with the host assembly, checks and transfers");
  state.counters["problems_per_s"] = batch / seconds;
  state.counters["gflops"] = flops / seconds * 1e-9;
  state.counters["gemm_gflops"] = gemm * 1e-9;
  state.counters["floor_s"] = flops / gemm;
  state.counters["fraction_of_floor"] = flops / gemm / seconds;
}

void BM_DenseBatched(benchmark::State& state) { dense_batched(state, netrl::linear::DenseBackend::host); }
void BM_DenseBatchedCuda(benchmark::State& state) { dense_batched(state, netrl::linear::DenseBackend::cuda); }

void register_all() {
  using Sizes = std::vector<std::pair<std::int64_t, int>>;  // (states, problems)
  auto add = [](const char* name, void (*fn)(benchmark::State&), const Sizes& sizes) {
    for (auto [n, b] : sizes)
      benchmark::RegisterBenchmark(name, fn)->Args({n, b})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(g_smoke ? 0.001 : 0.5);
  };
  add("BM_DenseBatched", BM_DenseBatched,
      g_smoke ? Sizes{{64, 4}} : Sizes{{256, 32}, {512, 8}, {1024, 4}, {2048, 2}, {4096, 2}});
  // The device path where a device answers (CUDA builds): more and larger problems per call.
  std::string reason;
  if (!netrl::kernels::cuda::device_available(&reason)) return;
  add("BM_DenseBatchedCuda", BM_DenseBatchedCuda,
      g_smoke ? Sizes{{64, 4}} : Sizes{{64, 1024}, {256, 256}, {256, 1}, {1024, 8}, {2048, 4}, {4096, 2}});
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_all); }
