// The exact solver's kernels on the host backend.
//
//  BM_Sweep<Real>/n     the soft Bellman sweep T h (all free neurons, m = 1; n = 12 .. 26) in pair
//                       terms per second, beside its floor: the same stable two-term log-sum-exp
//                       (kernels::host::lse2_floor, compiled with the kernels' flags) in a tight
//                       vectorised loop over L1-resident arrays on every thread, measured in the
//                       same run. fraction = sweep rate / floor rate. peak_rss_MiB: the process's
//                       high-water mark so far (n = 26 double: 8 arrays of 2^26 values, 4 GiB).
//  BM_ValueStep<Real>/n one full value-iteration step (sweep + span reduction + relative update).
//  BM_CountSolve/n      time to solution of a count-reward network (m = 1, tol 1e-8) and the
//                       process's peak resident memory (getrusage ru_maxrss, a high-water mark:
//                       run one n per process, --benchmark_filter=BM_CountSolve/24, for its own).
//  BM_HostVsReference   a count-reward network with a 4-valued input (n = 10, m = 4): the host
//                       backend against the reference (dense-matrix) backend, same options
//                       (tol = prior_tol = 1e-12); reports the speedup and the largest
//                       differences of the answers.
//
// --netrl_smoke runs tiny sizes only (the CTest smoke test).
#include <benchmark/benchmark.h>

#include "bench_exact.hpp"
#include "bench_main.hpp"
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "solve/exact_solver.hpp"
#include "solve/reference.hpp"
#include "netrl/kernels/exact_engine.hpp"

namespace {

using netrl::bench::count_network;
using netrl::bench::seconds_since;

bool g_smoke = false;

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// An engine over one network of nf free neurons (m = 1) with a random reward, after a few value
/// iteration steps (realistic values).
template <class Real>
std::unique_ptr<netrl::kernels::ExactEngine<Real>> warm_engine(int nf) {
  return netrl::bench::warm_engine<Real>(nf, false);
}

/// Pair terms (pairs x free neurons) per second of `state`'s loop, its floor and the fraction.
template <class Real>
void report_rate(benchmark::State& state, int nf, double seconds) {
  const double terms = netrl::bench::pair_terms(nf) * static_cast<double>(state.iterations());
  const double rate = terms / seconds, floor = netrl::bench::lse2_floor_rate<Real>(g_smoke);
  state.counters["pair_terms_per_s"] = rate;
  state.counters["floor_per_s"] = floor;
  state.counters["fraction"] = rate / floor;
}

template <class Real>
void BM_Sweep(benchmark::State& state) {
  const int nf = static_cast<int>(state.range(0));
  auto engine = warm_engine<Real>(nf);
  const netrl::kernels::Mask one(1, 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) engine->bellman(one);
  report_rate<Real>(state, nf, seconds_since(t0));
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

template <class Real>
void BM_ValueStep(benchmark::State& state) {
  const int nf = static_cast<int>(state.range(0));
  auto engine = warm_engine<Real>(nf);
  const netrl::kernels::Mask one(1, 1);
  std::vector<netrl::kernels::SpanStats> stats;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) engine->value_step(one, &stats);
  report_rate<Real>(state, nf, seconds_since(t0));
}

void BM_CountSolve(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const netrl::NetworkModel model = count_network(n, 1);
  netrl::SolverOptions opt;
  opt.backend = netrl::Backend::host;
  opt.tol = 1e-8;
  opt.prior_tol = 1e-8;
  netrl::SolveResult r;
  for (auto _ : state) r = netrl::exact::solve(model, opt);
  state.counters["gain"] = r.gain;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["sweeps"] = static_cast<double>(r.inner_iterations);
  state.counters["converged"] = r.converged ? 1.0 : 0.0;
  state.counters["solve_s"] = r.elapsed_seconds;
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_HostVsReference(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0)), m = static_cast<int>(state.range(1));
  const netrl::NetworkModel model = count_network(n, m);
  netrl::SolverOptions opt;
  opt.tol = 1e-12;
  opt.prior_tol = 1e-12;
  double ref_s = 0.0, host_s = 0.0;
  netrl::SolveResult ref, host;
  for (auto _ : state) {
    opt.backend = netrl::Backend::reference;
    auto t0 = std::chrono::steady_clock::now();
    ref = netrl::reference::solve(model, opt);
    ref_s = seconds_since(t0);
    opt.backend = netrl::Backend::host;
    // The host solve is short: time the best of a few runs.
    host_s = 1e300;
    for (int k = 0; k < 5; ++k) {
      t0 = std::chrono::steady_clock::now();
      host = netrl::exact::solve(model, opt);
      host_s = std::min(host_s, seconds_since(t0));
    }
  }
  auto max_diff = [](const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0.0;
    for (std::size_t k = 0; k < a.size() && k < b.size(); ++k)
      if (!std::isnan(a[k])) d = std::max(d, std::abs(a[k] - b[k]));
    return d;
  };
  state.counters["reference_s"] = ref_s;
  state.counters["host_s"] = host_s;
  state.counters["speedup"] = ref_s / host_s;
  state.counters["gain_diff"] = std::abs(ref.gain - host.gain);
  state.counters["prior_diff"] = max_diff(ref.prior, host.prior);
  state.counters["values_diff"] = max_diff(ref.values, host.values);
  state.counters["stationary_diff"] = max_diff(ref.stationary, host.stationary);
  state.counters["ref_outer"] = static_cast<double>(ref.outer_iterations);
  state.counters["host_outer"] = static_cast<double>(host.outer_iterations);
}

void register_benchmarks() {
  const std::vector<int> sweep_n = g_smoke ? std::vector<int>{8} : std::vector<int>{12, 14, 16, 18, 20, 22, 24, 26};
  for (int n : sweep_n) {
    benchmark::RegisterBenchmark("BM_Sweep<double>", BM_Sweep<double>)->Arg(n)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("BM_Sweep<float>", BM_Sweep<float>)->Arg(n)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  for (int n : sweep_n) {
    benchmark::RegisterBenchmark("BM_ValueStep<double>", BM_ValueStep<double>)->Arg(n)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  const std::vector<int> solve_n = g_smoke ? std::vector<int>{6} : std::vector<int>{12, 16, 20, 24};
  for (int n : solve_n) {
    benchmark::RegisterBenchmark("BM_CountSolve", BM_CountSolve)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  }
  if (g_smoke) {
    benchmark::RegisterBenchmark("BM_HostVsReference", BM_HostVsReference)->Args({4, 2})->Iterations(1)->UseRealTime();
  } else {
    benchmark::RegisterBenchmark("BM_HostVsReference", BM_HostVsReference)->Args({10, 4})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks); }
