// The reference backend on the paper's count8 scenario and the default maze. The reference is
// written to be read, not to be fast: its floor is the transcendental work of its sweeps (one
// exp per action and one log per agent and state) at this machine's measured exp/log rate.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <chrono>
#include <cmath>
#include <vector>

#include "netrl/core/maze.hpp"
#include "solve/reference.hpp"

namespace {

bool g_smoke = false;

/// Seconds per (exp + log) pair in a tight loop on this machine (best of a few runs).
double exp_log_seconds() {
  static const double value = [] {
    std::vector<double> x(1 << 16);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = -1.0 + 1e-5 * static_cast<double>(k);
    double best = 1e9, sink = 0.0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      for (double v : x) sink += std::log(1.0 + std::exp(v));
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, dt / static_cast<double>(x.size()));
    }
    benchmark::DoNotOptimize(sink);
    return best;
  }();
  return value;
}

void report(benchmark::State& state, const netrl::SolveResult& r, double transcendental_pairs,
            double seconds) {
  const double floor = transcendental_pairs * exp_log_seconds();
  state.counters["gain"] = r.gain;
  state.counters["sweeps"] = static_cast<double>(r.inner_iterations);
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["solve_s"] = seconds;
  state.counters["floor_s"] = floor;
  state.counters["fraction_of_floor"] = floor / seconds;
}

void BM_ReferenceCount8(benchmark::State& state) {
  const netrl::NetworkModel model = netrl::count8_model();
  netrl::SolveResult r;
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    r = netrl::reference::solve(model, netrl::SolverOptions{});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  // Per sweep: N states x nf agents x (2 exps + 1 log) ~ 1.5 exp/log pairs per agent and state.
  const double pairs = static_cast<double>(r.inner_iterations) * static_cast<double>(r.states) * model.n * 1.5;
  report(state, r, pairs, seconds);
}
BENCHMARK(BM_ReferenceCount8)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ReferenceMaze(benchmark::State& state) {
  if (g_smoke) {
    state.SkipWithError("skipped in smoke mode");
    return;
  }
  const netrl::Maze maze = netrl::Maze::parse(netrl::Maze::default_map(), 0.05);
  const netrl::Mdp mdp = maze.mdp();
  netrl::SolveResult r;
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    r = netrl::reference::solve(mdp, 0.013, netrl::SolverOptions{});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  // Per sweep: N states x (4 exps + 1 log).
  const double pairs = static_cast<double>(r.inner_iterations) * static_cast<double>(r.states) * 2.5;
  report(state, r, pairs, seconds);
}
BENCHMARK(BM_ReferenceMaze)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, nullptr); }
