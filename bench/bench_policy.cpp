// Soft policy iteration against soft value iteration on the host backend (float64).
//
//  BM_PolicyVsValue/n     a count-reward network (m = 1, r = 1 iff K = n/4, lambda 0.1,
//                         population prior) solved to tol = prior_tol = 1e-10 by both methods
//                         (full prior loop): outer and inner iterations, matvecs (value iteration:
//                         its sweeps; policy iteration: its Bellman sweeps plus the chain
//                         matvecs of its Krylov solves), seconds, the gain difference, and each
//                         method's fraction of its floor: the sweeps and matvecs it did, each
//                         costing nf 2^(nf-1) pair terms at the measured two-term log-sum-exp
//                         rate (bench_exact.hpp, as in bench_sweep), over its time. Policy
//                         iteration's gap to its floor is GMRES's orthogonalisation (classical
//                         Gram-Schmidt over a basis of up to 61 vectors per product: two passes
//                         over the basis, four when reorthogonalised).
//                         On a 2-core host n = 20 takes about 2.5 min (both methods); n = 22 did
//                         not finish in 19 min there (run it alone: --benchmark_filter=.../22).
//  BM_KrylovEvaluation/n  the Krylov stationary distribution and policy evaluation (GMRES(60),
//                         relative tolerance 1e-10, on the engine's chain space) of the greedy policy of a count network's
//                         values after 5 value-iteration sweeps: matvecs, the achieved relative
//                         residuals (recomputed by the solver), seconds, fraction of the floor.
//
// --netrl_smoke runs tiny sizes only (the CTest smoke test).
#include <benchmark/benchmark.h>

#include "bench_exact.hpp"
#include "bench_main.hpp"

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "netrl/core/hd.hpp"
#include "solve/exact_solver.hpp"
#include "solve/linear_solve.hpp"
#include "netrl/kernels/exact_engine.hpp"

namespace {

bool g_smoke = false;

/// Seconds of one sweep (or chain matvec) of nf free neurons at the floor rate.
double floor_seconds(int nf) { return netrl::bench::pair_terms(nf) / netrl::bench::lse2_floor_rate<double>(g_smoke); }

void BM_PolicyVsValue(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  netrl::SolveResult vi, pi;
  for (auto _ : state) netrl::bench::policy_vs_value(n, netrl::Backend::host, &vi, &pi);
  const double floor = floor_seconds(n);
  const double vi_products = static_cast<double>(vi.inner_iterations);
  const double pi_products = static_cast<double>(pi.inner_iterations + pi.matvecs);
  state.counters["vi_outer"] = static_cast<double>(vi.outer_iterations);
  state.counters["vi_sweeps"] = vi_products;
  state.counters["vi_s"] = vi.elapsed_seconds;
  state.counters["vi_fraction"] = vi_products * floor / vi.elapsed_seconds;
  state.counters["pi_outer"] = static_cast<double>(pi.outer_iterations);
  state.counters["pi_improvements"] = static_cast<double>(pi.inner_iterations);
  state.counters["pi_matvecs"] = static_cast<double>(pi.matvecs);
  state.counters["pi_residual"] = pi.krylov_residual;
  state.counters["pi_s"] = pi.elapsed_seconds;
  state.counters["pi_fraction"] = pi_products * floor / pi.elapsed_seconds;
  state.counters["converged"] = vi.converged && pi.converged ? 1.0 : 0.0;
  state.counters["gain_diff"] = std::abs(vi.gain - pi.gain);
  double prior_diff = 0.0;
  for (std::size_t k = 0; k < vi.prior.size(); ++k) prior_diff = std::max(prior_diff, std::abs(vi.prior[k] - pi.prior[k]));
  state.counters["prior_diff"] = prior_diff;
}

void BM_KrylovEvaluation(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::size_t N = std::size_t{1} << n;
  std::vector<double> reward(N);
  for (std::size_t b = 0; b < N; ++b) reward[b] = netrl::popcount64(b) == n / 4 ? 1.0 : 0.0;
  auto engine = netrl::bench::warm_engine<double>(n, false, reward, 5);
  const netrl::kernels::Mask one(1, 1);
  engine->prepare_policy(one);
  netrl::linear::KrylovOptions opt;
  opt.relative_tolerance = 1e-10;
  // The engine's chain space, as policy iteration uses it: mu, v, g, then the solves' work slots.
  const auto space = engine->chain_space(3 + netrl::linear::krylov_work_slots(opt));
  const auto op = [&space](bool adjoint) {
    return [&space, adjoint](int x, int y) { space->apply_chain(0, adjoint, x, y); };
  };
  netrl::linear::KrylovReport rep_mu, rep_v;
  double seconds = 0.0, gain = 0.0;
  for (auto _ : state) {
    space->fill(0, 1.0 / static_cast<double>(N));
    space->fill(1, 0.0);
    const auto t0 = std::chrono::steady_clock::now();
    rep_mu = netrl::linear::stationary_krylov(*space, op(true), 0, 3, opt);
    space->policy_reward(0, 2);
    rep_v = netrl::linear::evaluate_krylov(*space, op(false), 2, 0, 1, &gain, 3, opt);
    seconds += netrl::bench::seconds_since(t0);
  }
  seconds /= static_cast<double>(state.iterations());
  const double matvecs = static_cast<double>(rep_mu.matvecs + rep_v.matvecs);
  state.counters["stationary_matvecs"] = static_cast<double>(rep_mu.matvecs);
  state.counters["evaluation_matvecs"] = static_cast<double>(rep_v.matvecs);
  state.counters["stationary_residual"] = rep_mu.relative_residual;
  state.counters["evaluation_residual"] = rep_v.relative_residual;
  state.counters["gain"] = gain;
  state.counters["solve_s"] = seconds;
  state.counters["fraction"] = matvecs * floor_seconds(n) / seconds;
}

void register_benchmarks() {
  const std::vector<int> sizes = g_smoke ? std::vector<int>{6} : std::vector<int>{8, 10, 12, 14, 16, 18, 20, 22};
  for (int n : sizes) {
    benchmark::RegisterBenchmark("BM_PolicyVsValue", BM_PolicyVsValue)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_KrylovEvaluation", BM_KrylovEvaluation)
      ->Arg(g_smoke ? 6 : 20)
      ->Iterations(1)
      ->Unit(benchmark::kSecond)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks); }
