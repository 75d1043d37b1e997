// SGD batches per second and chain updates per second of the parametric (Ising-value) solver on
// the host against n (12 .. 4096), float64 and float32, both regressions (value, fields), a
// ring-bump reward (width n / 3).
//
// Floor of the regression on the value: every batch applies the rank-`samples` SGD step to the couplings (n (n - 1) / 2
// multiply-adds per sample: each pair once, CouplingStep::upper_row) and to the chains' fields (n
// multiply-adds per sample and chain, FieldStep); both are arithmetic on cache-resident rows.
// floor_s = batches x (n (n - 1) / 2 + chains n) x samples / (multiply-add rate), the rate
// measured in this process with a vectorised in-cache multiply-add loop on every thread (best of
// 5). The chains' own field updates (2 n additions per flip, current and target fields) and the
// batch's curvature come on top and are not in the floor (the number of flips is not counted), so
// the floor is a lower bound and fraction_of_floor = floor_s / measured time at most 1.
//
// Run with --netrl_smoke (CTest) for n = 12 and 64 with a few batches.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/solve.hpp"

namespace {

bool g_smoke = false;

/// Multiply-adds per second of all threads on 512-double rows that stay in L1 (best of 5).
double multiply_add_rate() {
  static const double value = [] {
    constexpr int kLen = 512, kRepeats = 20000;
    double best = 0.0, sink = 0.0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      int threads = 1;
#pragma omp parallel reduction(+ : sink)
      {
#pragma omp single
        threads = omp_get_num_threads();
        std::vector<double> acc(kLen, 0.0), row(kLen);
        for (int j = 0; j < kLen; ++j) row[static_cast<std::size_t>(j)] = 1e-3 * j;
        for (int r = 0; r < kRepeats; ++r) {
          const double b = r % 2 == 0 ? 1e-9 : -1e-9;
          for (int j = 0; j < kLen; ++j) acc[static_cast<std::size_t>(j)] += b * row[static_cast<std::size_t>(j)];
          benchmark::ClobberMemory();
        }
        sink += acc[kLen - 1];
      }
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, static_cast<double>(threads) * kLen * kRepeats / dt);
    }
    benchmark::DoNotOptimize(sink);
    return best;
  }();
  return value;
}

void run_case(benchmark::State& state, int n, std::uint64_t batches, netrl::Precision precision,
              netrl::ParametricRegression regression) {
  netrl::NetworkModel model;
  model.n = n;
  model.reward = netrl::RewardSpec::ring_bump(std::max(1, n / 3));
  model.lambda = 0.05;
  netrl::SolverOptions o;
  o.method = netrl::Method::parametric;
  o.backend = netrl::Backend::host;
  o.precision = precision;
  o.parametric.max_batches = batches;
  o.parametric.min_batches = batches;
  o.parametric.burn_in = 1;  // the timed work is the batches
  o.parametric.exact_check = false;
  o.parametric.regression = regression;
  netrl::SolveResult r;
  double best = 1e30;
  for (auto _ : state) {
    r = netrl::solve(model, o);
    state.SetIterationTime(r.elapsed_seconds);
    best = std::min(best, r.elapsed_seconds);
  }
  const auto& p = o.parametric;
  const double samples = static_cast<double>(p.batch + p.explore);
  const double nn = static_cast<double>(n);
  const bool fields = regression == netrl::ParametricRegression::fields;
  const double lse_rate = fields ? netrl::kernels::host::soft_sum_rate(precision == netrl::Precision::float32) : 0.0;
  const double per_batch_s = fields ? samples * nn * (nn - 1.0) * (1.0 / lse_rate + 1.0 / multiply_add_rate())
                                    : (0.5 * nn * (nn - 1.0) + static_cast<double>(p.chains) * nn) * samples /
                                          multiply_add_rate();
  const double floor = static_cast<double>(r.parametric->batches) * per_batch_s;
  state.counters["n"] = n;
  state.counters["batches"] = static_cast<double>(r.parametric->batches);
  state.counters["batches_per_s"] = static_cast<double>(r.parametric->batches) / best;
  state.counters["chain_updates_per_s"] = static_cast<double>(r.parametric->chain_steps) / best;
  state.counters["multiply_adds_per_s"] = multiply_add_rate();
  if (fields) state.counters["log_sum_exps_per_s"] = lse_rate;
  state.counters["floor_s"] = floor;
  state.counters["fraction_of_floor"] = floor / best;
  state.counters["threads"] = omp_get_max_threads();
  state.SetLabel(r.precision + (fields ? " fields" : " value"));
}

void register_all() {
  auto add = [](int n, std::uint64_t batches, netrl::Precision precision,
                netrl::ParametricRegression regression = netrl::ParametricRegression::value) {
    const std::string name = std::string("Parametric/") + netrl::to_string(precision) + "/" +
                             netrl::to_string(regression) + "/n:" + std::to_string(n);
    benchmark::RegisterBenchmark(name.c_str(),
                                 [=](benchmark::State& s) { run_case(s, n, batches, precision, regression); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  };
  if (g_smoke) {
    add(12, 20, netrl::Precision::float64);
    add(64, 5, netrl::Precision::float32);
    add(64, 5, netrl::Precision::float32, netrl::ParametricRegression::fields);
    return;
  }
  for (netrl::Precision precision : {netrl::Precision::float64, netrl::Precision::float32}) {
    add(12, 5000, precision);
    add(64, 2000, precision);
    add(256, 200, precision);
    add(1024, 20, precision);
    add(4096, 3, precision);
    add(64, 200, precision, netrl::ParametricRegression::fields);
    add(256, 50, precision, netrl::ParametricRegression::fields);
    add(1024, 10, precision, netrl::ParametricRegression::fields);
  }
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_all); }
