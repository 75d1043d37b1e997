#pragma once
// Helpers shared by the benchmarks of the exact network solver (bench_sweep, bench_policy,
// bench_cuda): the sweep floor (two-term log-sum-exps per second at this machine's rate, measured
// in the same run), the count-reward networks they solve, and policy vs value iteration on them.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "solve/exact_solver.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"

namespace netrl::bench {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Two-term log-sum-exps per second on all OpenMP threads, each on its own L1-resident arrays
/// (kernels::host::lse2_floor, compiled with the kernels' flags; best of three; measured next to
/// each benchmark, so both see the same machine load). `smoke`: a few repetitions only.
template <class Real>
double lse2_floor_rate(bool smoke) {
  constexpr std::uint64_t kCount = 2048;
  const int reps = smoke ? 10 : 2000;
  const int threads = omp_get_max_threads();
  double best = 0.0;
  for (int trial = 0; trial < 3; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      std::vector<Real> a(kCount), b(kCount), out(kCount);
      std::mt19937_64 rng(static_cast<std::uint64_t>(omp_get_thread_num()) + 1);
      std::uniform_real_distribution<double> u(-8.0, 8.0);
      for (std::uint64_t k = 0; k < kCount; ++k) {
        a[k] = static_cast<Real>(u(rng));
        b[k] = static_cast<Real>(u(rng));
      }
      for (int rep = 0; rep < reps; ++rep) {
        netrl::kernels::host::lse2_floor(a.data(), b.data(), out.data(), kCount);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
      }
    }
    const double dt = seconds_since(t0);
    best = std::max(best, static_cast<double>(threads) * static_cast<double>(kCount) * reps / dt);
  }
  return best;
}

/// An engine ("host" or "cuda" backend) over one network of nf free neurons (m = 1, lambda 0.1,
/// priors 0.3) with `reward` (empty: uniform random in [0, 1)), after `sweeps` value-iteration
/// steps from h = 0 (realistic values; the policy source for prepare_policy); `policy_table`:
/// EngineShape::policy_table (as the host solver runs where it fits).
template <class Real>
std::unique_ptr<netrl::kernels::ExactEngine<Real>> warm_engine(int nf, bool cuda, std::vector<Real> reward = {},
                                                               int sweeps = 3, bool policy_table = false) {
  netrl::kernels::EngineShape shape;
  shape.nf = nf;
  shape.m = 1;
  shape.batch = 1;
  shape.policy_table = policy_table;
  auto engine = cuda ? netrl::kernels::cuda::make_exact_engine<Real>(shape)
                     : netrl::kernels::host::make_exact_engine<Real>(shape);
  if (reward.empty()) {
    reward.resize(shape.states());
    std::mt19937_64 rng(static_cast<std::uint64_t>(nf));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (Real& r : reward) r = static_cast<Real>(u(rng));
  }
  engine->set_rewards(reward);
  engine->set_lambdas({0.1});
  engine->set_priors(std::vector<double>(static_cast<std::size_t>(nf), 0.3));
  const netrl::kernels::Mask one(1, 1);
  engine->reset_values(one);
  std::vector<netrl::kernels::SpanStats> stats;
  for (int k = 0; k < sweeps; ++k) {
    engine->value_step(one, &stats);
    engine->accept_values(one);
  }
  return engine;
}

/// Pair terms of one sweep over nf free neurons and m input values: nf 2^(nf - 1) m (each one
/// transcendental pair function, the unit of the floor).
inline double pair_terms(int nf, int m = 1) {
  return static_cast<double>(nf) * std::ldexp(1.0, nf - 1) * static_cast<double>(m);
}

/// A count-reward network: r = 1 iff the spike count equals the input's target (n/4 for m = 1),
/// lambda 0.1, population prior; an input stays with probability 0.9.
inline netrl::NetworkModel count_network(int n, int m) {
  netrl::NetworkModel model;
  model.n = n;
  std::vector<int> targets;
  for (int x = 0; x < m; ++x) targets.push_back(std::max(1, (n * (x + 1)) / (m + 3)));
  if (m == 1) {
    model.input = netrl::InputProcess::none();
  } else {
    // Stay with probability 0.9, else move to a uniformly random other value.
    model.input.m = m;
    model.input.T.assign(static_cast<std::size_t>(m) * static_cast<std::size_t>(m), 0.1 / (m - 1));
    for (int x = 0; x < m; ++x) model.input.T[static_cast<std::size_t>(x) * static_cast<std::size_t>(m) + static_cast<std::size_t>(x)] = 0.9;
  }
  model.reward = netrl::RewardSpec::count(targets);
  model.lambda = 0.1;
  model.prior_mode = netrl::PriorMode::population;
  return model;
}

/// The count network of n neurons (m = 1) solved to tol = prior_tol = 1e-10 by value iteration and
/// by policy iteration on `backend` (bench_policy, bench_cuda).
inline void policy_vs_value(int n, netrl::Backend backend, netrl::SolveResult* vi, netrl::SolveResult* pi) {
  const netrl::NetworkModel model = count_network(n, 1);
  netrl::SolverOptions opt;
  opt.backend = backend;
  opt.tol = 1e-10;
  opt.prior_tol = 1e-10;
  opt.method = netrl::Method::value_iteration;
  *vi = netrl::exact::solve(model, opt);
  opt.method = netrl::Method::policy_iteration;
  *pi = netrl::exact::solve(model, opt);
}

}  // namespace netrl::bench
