// The general-MDP solver on the host backend (issue 16): random sparse MDPs with 4 actions and 4
// successors per action (netrl::random_sparse_mdp), and the paper's maze.
//
//  BM_MdpSweep<Real>/S  one soft Bellman sweep T h over S states (MdpEngine::bellman), in sweeps
//                       per second, beside its memory floor: the bytes a sweep must read (row
//                       offsets, next states and probabilities of every (s, a) row, h at every
//                       transition's target, the rewards) and write (T h), at the parallel read
//                       bandwidth of a working set of the same size measured in the same run.
//                       fraction = floor time / sweep time (1 = at the bandwidth floor).
//  BM_MdpSolve/S        time to solution (value_iteration, float64, tol = prior_tol = 1e-8) and
//                       its inner sweeps; fraction = sweeps x the sweep's floor / time (the share
//                       of the run spent at the sweep's bandwidth floor; the stationary and
//                       evaluation sweeps are extra work it does not count). peak_rss_MiB: the
//                       process's high-water mark so far (getrusage; run one S per process with
//                       --benchmark_filter=BM_MdpSolve/1000000 for its own).
//  BM_Maze/k            the built-in maze (k = 0: lambda 0.013, scenario "maze"; k = 1: lambda 0.13,
//                       "maze-high") with the default options on the host backend, beside the
//                       reference backend (ref_s, run once; not in the smoke run) and the largest
//                       differences of the answers. solve_s: the solver's own elapsed_seconds.
//
// Sizes 10^3 .. 10^7 states (10^7 needs about 4 GiB); --netrl_smoke runs 10^3 only.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <vector>

#include "bench_exact.hpp"
#include "bench_main.hpp"
#include "bench_memory.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"

namespace {

using netrl::bench::read_bandwidth;

bool g_smoke = false;

using netrl::bench::seconds_since;

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// One random MDP per size, built once (the 10^7 one takes seconds).
const netrl::Mdp& random_mdp(int states) {
  static std::map<int, netrl::Mdp> cache;
  auto it = cache.find(states);
  if (it == cache.end()) it = cache.emplace(states, netrl::random_sparse_mdp(states, 4, 4, 16)).first;
  return it->second;
}

/// Bytes one Bellman sweep must move in precision Real (see the header comment).
double sweep_bytes(const netrl::Mdp& mdp, double real_bytes) {
  const auto rows = static_cast<double>(mdp.row_ptr.size() - 1);
  const auto entries = static_cast<double>(mdp.next_state.size());
  const auto states = static_cast<double>(mdp.num_states);
  return rows * 8.0 + entries * (4.0 + 2.0 * real_bytes) + states * 3.0 * real_bytes;
}

template <class Real>
void BM_MdpSweep(benchmark::State& state) {
  const netrl::Mdp& mdp = random_mdp(static_cast<int>(state.range(0)));
  netrl::kernels::MdpShape shape;
  shape.states = mdp.num_states;
  shape.actions = mdp.num_actions;
  shape.entries = static_cast<std::int64_t>(mdp.next_state.size());
  shape.batch = 1;
  auto engine = netrl::kernels::host::make_mdp_engine<Real>(shape);
  engine->set_transitions(mdp.row_ptr, mdp.next_state, mdp.probability);
  engine->set_rewards(mdp.reward);
  engine->set_lambdas({0.1}, {1.0});
  engine->set_priors(std::vector<double>(4, 0.25));
  const netrl::kernels::Mask all(1, 1);
  engine->reset_values(all);
  std::vector<netrl::kernels::SpanStats> stats;
  for (int k = 0; k < 3; ++k) {  // realistic values
    engine->value_step(all, &stats);
    engine->accept_values(all);
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) engine->bellman(all);
  const double sweep_s = seconds_since(t0) / static_cast<double>(state.iterations());
  const double bytes = sweep_bytes(mdp, sizeof(Real));
  const double bandwidth = read_bandwidth(bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["sweeps_per_s"] = 1.0 / sweep_s;
  state.counters["fraction"] = bytes / bandwidth / sweep_s;
  state.counters["floor_GBps"] = bandwidth * 1e-9;
  state.counters["threads"] = omp_get_max_threads();
}

void BM_MdpSolve(benchmark::State& state) {
  const netrl::Mdp& mdp = random_mdp(static_cast<int>(state.range(0)));
  netrl::SolverOptions o;
  o.backend = netrl::Backend::host;
  o.tol = 1e-8;
  o.prior_tol = 1e-8;
  netrl::SolveResult r;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) r = netrl::solve(mdp, 0.1, o);
  const double solve_s = seconds_since(t0) / static_cast<double>(state.iterations());
  const double bytes = sweep_bytes(mdp, 8.0);
  const double floor_s = static_cast<double>(r.inner_iterations) * bytes / read_bandwidth(bytes);
  state.counters["converged"] = r.converged ? 1 : 0;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["sweeps"] = static_cast<double>(r.inner_iterations);
  state.counters["fraction"] = floor_s / solve_s;
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_Maze(benchmark::State& state) {
  const netrl::Problem p = netrl::scenario(state.range(0) == 0 ? "maze" : "maze-high");
  netrl::SolverOptions o = p.solver;
  o.backend = netrl::Backend::host;
  netrl::SolveResult r;
  for (auto _ : state) r = netrl::solve(p.maze, p.maze_lambda, o);
  state.counters["lambda"] = p.maze_lambda;
  state.counters["outer"] = static_cast<double>(r.outer_iterations);
  state.counters["solve_s"] = r.elapsed_seconds;
  if (g_smoke) return;  // the reference takes seconds to minutes
  o.backend = netrl::Backend::reference;
  const auto t0 = std::chrono::steady_clock::now();
  const netrl::SolveResult ref = netrl::solve(p.maze, p.maze_lambda, o);
  const double ref_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double dv = 0.0;
  for (std::size_t s = 0; s < r.values.size(); ++s) dv = std::max(dv, std::abs(r.values[s] - ref.values[s]));
  state.counters["ref_s"] = ref_s;
  state.counters["gain_diff"] = std::abs(r.gain - ref.gain);
  state.counters["values_diff"] = dv;
}

void register_all() {
  const std::vector<int> sizes = g_smoke ? std::vector<int>{1000} : std::vector<int>{1000, 10000, 100000, 1000000, 10000000};
  for (int s : sizes) {
    benchmark::RegisterBenchmark("BM_MdpSweep<double>", BM_MdpSweep<double>)->Arg(s)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("BM_MdpSweep<float>", BM_MdpSweep<float>)->Arg(s)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  for (int s : sizes) {
    if (s > 1000000) continue;  // minutes per solve
    benchmark::RegisterBenchmark("BM_MdpSolve", BM_MdpSolve)->Arg(s)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
  }
  for (int k : {0, 1}) {
    benchmark::RegisterBenchmark("BM_Maze", BM_Maze)->Arg(k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(g_smoke ? 1 : 5);
  }
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_all); }
