// The parametric inverse at scale: pseudo-likelihood fits of Ising rasters (n = 40 .. 1000, T =
// 1e4 and 1e5 samples) on their visited states, without any table over the 2^n states.
//
// Floor: every objective evaluation of the fit costs two dense products over the V visited states
// (the fields Z = S J and the coupling gradient S^T G, V nf^2 multiply-adds each) and one
// sigmoid with its log per (state, neuron). floor_s = evaluations x (2 V nf^2 / the measured
// dense-product rate in multiply-adds per second + V nf x the measured seconds of one exp-and-log
// / threads), both rates
// measured in this process (the product: the same dense_product on a V x nf by nf x nf problem
// of this case's shape, best of 3). fraction_of_floor = floor_s / the fit's measured seconds; the
// rest is the hash of the raster's states, the target and the reward model (one pass each) and
// the optimiser's own vector work.
//
// Data: a symmetric coupling matrix with entries ~ N(0, 0.25 / n) and fields ~ N(0, 0.09) in
// logit units, lambda 0.05, prior 0.5, sampled by netrl::sample (one chain, burn-in 10 n,
// thinned by n so that samples are about one sweep apart, seed 1). Counters report the rms error
// of the fitted couplings against the truth (logit units). --netrl_smoke runs n = 40, T = 2000.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "bench_main.hpp"
#include "inverse/ising_fit.hpp"
#include "netrl/inverse.hpp"
#include "netrl/sample.hpp"

namespace {

bool g_smoke = false;
constexpr double kLambda = 0.05;

struct Case {
  netrl::NetworkModel model;
  std::vector<double> J;  // logit units
  netrl::Raster raster;
};

Case make_case(int n, std::uint64_t T) {
  Case c;
  c.model.n = n;
  c.model.lambda = kLambda;
  c.model.reward = netrl::RewardSpec::count({0});
  const double coupling = 2.0 / (n * kLambda);
  std::mt19937_64 rng(7 + static_cast<std::uint64_t>(n));
  std::normal_distribution<double> gj(0.0, 0.5 / std::sqrt(static_cast<double>(n))), gh(0.0, 0.3);
  c.J.assign(static_cast<std::size_t>(n) * n, 0.0);
  std::vector<double> J(c.J.size()), h(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) c.J[i * n + j] = c.J[j * n + i] = gj(rng);
  for (std::size_t k = 0; k < J.size(); ++k) J[k] = c.J[k] / coupling;
  for (double& v : h) v = gh(rng) / coupling;
  netrl::SamplingOptions o;
  o.chains = 1;
  o.thin = static_cast<std::uint64_t>(n);
  o.steps = T * o.thin;
  o.burn_in = 10 * static_cast<std::uint64_t>(n);
  o.seed = 1;
  o.raster_chains = {0};
  o.histogram = false;
  o.correlations = false;
  const auto r = netrl::sample(c.model, netrl::SamplerPolicy::ising(J, h, std::vector<double>(n, 0.5)), o);
  c.raster = r.stats.rasters.at(0);
  return c;
}

/// Seconds of one exp and one log (one thread, tight loop, best of 5).
double exp_log_seconds() {
  static const double value = [] {
    std::vector<double> x(1 << 16);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = -4.0 + 8.0 * static_cast<double>(k) / static_cast<double>(x.size());
    double best = 1e30, sink = 0.0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (double v : x) sink += std::log(1.0 + std::exp(-std::abs(v)));
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    benchmark::DoNotOptimize(sink);
    return best / static_cast<double>(x.size());
  }();
  return value;
}

/// Multiply-adds per second of dense_product on a rows x nf by nf x nf problem (best of 3).
double product_rate(std::int64_t rows, std::int64_t nf) {
  std::vector<double> A(static_cast<std::size_t>(rows * nf), 1.0), B(static_cast<std::size_t>(nf * nf), 0.5),
      C(static_cast<std::size_t>(rows * nf));
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    netrl::inverse::detail::dense_product(A.data(), B.data(), C.data(), rows, nf, nf, false);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  benchmark::DoNotOptimize(C.data());
  const double r = static_cast<double>(rows), k = static_cast<double>(nf);
  return r * k * k / best;
}

void BM_PseudoLikelihoodRaster(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto T = static_cast<std::uint64_t>(state.range(1));
  const Case c = make_case(n, T);
  netrl::inverse::NetworkInverse inv;
  netrl::inverse::VisitedStates visited;
  double best = 1e30;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    visited = netrl::inverse::visited_states(c.raster, c.model, false, false);
    const auto prior = netrl::inverse::firing_prior(c.model, visited);
    inv = netrl::inverse::parametric(c.model, visited, prior, kLambda, netrl::inverse::RewardModel::table);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(s);
    best = std::min(best, s);
  }
  const double V = static_cast<double>(visited.size()), threads = std::max(1, omp_get_max_threads());
  const double per_eval =
      2.0 * V * n * n / product_rate(static_cast<std::int64_t>(V), n) + V * n * exp_log_seconds() / threads;
  const double floor_s = inv.evaluations * per_eval;
  const double coupling = 2.0 / (n * kLambda);
  double se = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) se += std::pow(inv.J[i * n + j] * coupling - c.J[i * n + j], 2);
  state.counters["n"] = n;
  state.counters["T"] = static_cast<double>(T);
  state.counters["visited"] = V;
  state.counters["evaluations"] = inv.evaluations;
  state.counters["iterations"] = inv.iterations;
  state.counters["converged"] = inv.converged ? 1.0 : 0.0;
  state.counters["seconds"] = best;
  state.counters["floor_s"] = floor_s;
  state.counters["fraction_of_floor"] = floor_s / best;
  state.counters["J_rms_error_logit"] = std::sqrt(se / (static_cast<double>(n) * (n - 1)));
}

void register_benchmarks() {
  auto* b = benchmark::RegisterBenchmark("PseudoLikelihoodRaster", BM_PseudoLikelihoodRaster);
  b->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
  if (g_smoke) {
    b->Args({40, 2000});
    return;
  }
  for (const auto& a : std::vector<std::vector<std::int64_t>>{
           {40, 10000}, {40, 100000}, {200, 10000}, {200, 100000}, {1000, 10000}})
    b->Args(a);
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks); }
