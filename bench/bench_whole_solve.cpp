// A whole exact solve on the host against the sweeps it counts.
//
//  BM_WholeSolve/n  the count network of n neurons (m = 1, reward 1 iff the spike count is 6,
//                   lambda 0.1, population prior) solved by value iteration on the host
//                   (float64, tol = prior_tol = 1e-8), timed as a whole: value iteration, the
//                   stationary distribution, the prior loop and the evaluation of the reported
//                   values. Beside it, in the same process, one soft Bellman sweep of n free
//                   neurons (the best of a few; as BM_Sweep in bench_sweep) and the floor of
//                   bench_sweep (two-term log-sum-exps per second on all threads). Counters:
//                     sweeps         the solve's value-iteration sweeps (inner iterations)
//                     sweep_s        one Bellman sweep alone (the best of at least five, over
//                                    at least two seconds)
//                     table_ratio    storing the fixed policy's table (prepare_policy) over
//                                    sweep_s
//                     gibbs_ratio    the stationary distribution in closed form (gibbs_stationary,
//                                    once per outer iteration: what the solve runs) over sweep_s
//                     stationary_step_ratio  one power-iteration step (reading the table) over
//                                    sweep_s: what a network with an input runs instead
//                     evaluation_step_ratio  one step of the final evaluation (g + P v, reading
//                                    the table) over sweep_s
//                     fused_step_ratio  without the table (where it does not fit, with an input):
//                                    one value step fused with a stationary step, over sweep_s
//                                    (timed on the same input-free engine)
//                     solve_s        the whole solve
//                     ratio          solve_s / (sweeps * sweep_s): the cost of everything that
//                                    is not a sweep, as a factor on the sweeps
//                     sweep_fraction the sweep alone against the floor (BM_Sweep's fraction)
//                     fraction       the whole solve against the floor counted over its sweeps:
//                                    sweeps * pair terms of a sweep / floor rate / solve_s
//                   n = 16 .. 24 (24: about ten minutes on two cores; run it alone with
//                   --benchmark_filter=BM_WholeSolve/24). docs/whole-solve.md.
//
// --netrl_smoke runs n = 8 (target 2) only (the CTest smoke test).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "bench_exact.hpp"
#include "bench_main.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/exact_solver.hpp"

namespace {

using netrl::bench::seconds_since;

bool g_smoke = false;

struct SweepTimes {
  double bellman = 1e300;     // one Bellman sweep
  double table = 1e300;       // prepare_policy storing the policy table
  double gibbs = 1e300;       // the stationary distribution in closed form
  double stationary = 1e300;  // one power-iteration step, reading the table
  double evaluation = 1e300;  // one evaluation step (g + P v), reading the table
  double fused = 1e300;       // without the table: a value step fused with a stationary step
};

/// The best times of Bellman sweeps and of the other steps of a solve over nf free neurons
/// (m = 1; warm values): with the policy table, as the host solver runs where it fits, the
/// closed-form stationary distribution, and the fused step of an engine without the table (the
/// solver's fallback for networks with an input). Interleaved so that all see the
/// same machine load: at least `reps` rounds, and rounds until `seconds` have passed (a best of
/// five millisecond sweeps is not yet stable).
SweepTimes sweep_seconds(int nf, int reps, double seconds) {
  auto engine = netrl::bench::warm_engine<double>(nf, false, {}, 3, true);
  auto fallback = netrl::bench::warm_engine<double>(nf, false);
  const netrl::kernels::Mask one(1, 1);
  engine->reset_stationary(one);
  fallback->reset_stationary(one);
  std::vector<netrl::kernels::SpanStats> span;
  std::vector<netrl::kernels::MuStats> mu;
  SweepTimes t;
  const auto best = [](double* slot, const auto& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    *slot = std::min(*slot, seconds_since(t0));
  };
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < reps || seconds_since(start) < seconds; ++k) {
    best(&t.bellman, [&] { engine->bellman(one); });
    best(&t.table, [&] { engine->prepare_policy(one); });
    best(&t.gibbs, [&] { engine->gibbs_stationary(one, &mu); });
    best(&t.stationary, [&] { engine->stationary_step(one, {1.0}, &mu); });
    engine->start_evaluation(one);
    best(&t.evaluation, [&] { engine->evaluation_step(one, &span); });
    best(&t.fused, [&] {
      if (!fallback->value_stationary_step(one, {1.0}, &span, &mu)) t.fused = 0.0;
    });
  }
  return t;
}

void BM_WholeSolve(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  netrl::NetworkModel model = netrl::bench::count_network(n, 1);
  model.reward = netrl::RewardSpec::count({g_smoke ? 2 : 6});
  netrl::SolverOptions opt;
  opt.backend = netrl::Backend::host;
  opt.tol = 1e-8;
  opt.prior_tol = 1e-8;
  netrl::SolveResult r;
  double solve_s = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    r = netrl::exact::solve(model, opt);
    solve_s = seconds_since(t0);
  }
  const SweepTimes times = sweep_seconds(n, g_smoke ? 3 : 5, g_smoke ? 0.0 : 2.0);
  const double sweep_s = times.bellman;
  const double floor_rate = netrl::bench::lse2_floor_rate<double>(g_smoke);
  const double terms = netrl::bench::pair_terms(n);
  const auto sweeps = static_cast<double>(r.inner_iterations);
  state.counters["sweeps"] = sweeps;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["converged"] = r.converged ? 1.0 : 0.0;
  state.counters["sweep_s"] = sweep_s;
  state.counters["table_ratio"] = times.table / sweep_s;
  state.counters["gibbs_ratio"] = times.gibbs / sweep_s;
  state.counters["stationary_step_ratio"] = times.stationary / sweep_s;
  state.counters["evaluation_step_ratio"] = times.evaluation / sweep_s;
  state.counters["fused_step_ratio"] = times.fused / sweep_s;
  state.counters["solve_s"] = solve_s;
  state.counters["ratio"] = solve_s / (sweeps * sweep_s);
  state.counters["sweep_fraction"] = terms / floor_rate / sweep_s;
  state.counters["fraction"] = sweeps * terms / floor_rate / solve_s;
}

void register_benchmarks() {
  const std::vector<int> sizes = g_smoke ? std::vector<int>{8} : std::vector<int>{16, 18, 20, 22, 24};
  for (int n : sizes) {
    benchmark::RegisterBenchmark("BM_WholeSolve", BM_WholeSolve)->Arg(n)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks); }
