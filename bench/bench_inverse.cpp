// Inverse RL on networks (MODEL.md sec. 4): the closed form (no input) and maximum likelihood (with
// an input) against n, and maximum likelihood on count8 against the number of samples T.
//
// Floors, each measured in this process (best of 5) and divided by the number of OpenMP threads
// (the inverse's per-state loops run in parallel for large state spaces; for small ones the floor
// is optimistic by that factor):
// - closed form: one log per (state, free neuron) (log mu(b_i | b_/i)), at the measured rate of
//   std::log in a tight loop; and one read of the visit counts at the measured read bandwidth.
//   floor_s = the larger of the two.
// - maximum likelihood: per objective evaluation, one exp and one log per (visited state, free
//   neuron) (the sigmoid q_i and log q_i; everything else can be derived from them), at the
//   measured rate of log(1 + exp(z)); and one read of the transition counts ((n + 1) doubles per
//   state) at the measured read bandwidth. floor_s = evaluations x the larger of the two.
// fraction_of_floor = floor_s / measured seconds (1 = at the floor).
//
// Data: n <= 16 networks with a random pairwise value v (fields and couplings ~ N(0, 0.3)), the
// counts of T = 100 m 2^n samples expected under its greedy policy and the Gibbs distribution of
// the policy (rounded to integers); count8: its exact solution sampled by netrl::sample (one
// chain, 10^4 burn-in steps, seed 1). Only the inverse is timed. --netrl_smoke runs tiny cases.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "bench_main.hpp"
#include "netrl/inverse.hpp"
#include "netrl/netrl.hpp"

namespace {

bool g_smoke = false;

template <class F>
double best_seconds_per_item(F&& body, double items) {
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / items);
  }
  return best;
}

/// Seconds per call of f over 2^16 arguments lo + step k (one thread, tight loop, best of 5).
template <class F>
double seconds_per_call(F f, double lo, double step) {
  std::vector<double> x(1 << 16);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = lo + step * static_cast<double>(k);
  double sink = 0.0;
  const double t = best_seconds_per_item(
      [&] {
        for (double v : x) sink += f(v);
      },
      static_cast<double>(x.size()));
  benchmark::DoNotOptimize(sink);
  return t;
}

/// Seconds per std::log.
double log_seconds() {
  static const double value = seconds_per_call([](double v) { return std::log(v); }, 0.5, 1e-5);
  return value;
}

/// Seconds per log(1 + exp(z)) (one exp and one log).
double exp_log_seconds() {
  static const double value = seconds_per_call([](double v) { return std::log1p(std::exp(v)); }, -2.0, 6e-5);
  return value;
}

/// Bytes per second of a parallel read of 64 MiB (all threads).
double read_bandwidth() {
  static const double value = [] {
    std::vector<double> a(std::size_t{8} << 20, 1.0);
    const auto count = static_cast<std::int64_t>(a.size());
    double sink = 0.0;
    const double t = best_seconds_per_item(
        [&] {
          double s = 0.0;
#pragma omp parallel for reduction(+ : s) schedule(static)
          for (std::int64_t k = 0; k < count; ++k) s += a[static_cast<std::size_t>(k)];
          sink += s;
        },
        static_cast<double>(a.size()) * 8.0);
    benchmark::DoNotOptimize(sink);
    return 1.0 / t;
  }();
  return value;
}

double threads() { return static_cast<double>(std::max(1, omp_get_max_threads())); }

struct Case {
  netrl::NetworkModel model;
  netrl::inverse::NetworkData data;
  std::vector<double> prior;
};

/// A network with a random pairwise value and the rounded expected counts of T samples.
Case synthetic_case(int n, int m, double samples_per_state, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 0.3);
  Case c;
  c.model.n = n;
  c.model.lambda = 0.2;
  c.model.input = m == 1 ? netrl::InputProcess{} : netrl::InputProcess::binary_flip(0.02);
  c.model.reward = netrl::RewardSpec::count(std::vector<int>(static_cast<std::size_t>(m), 0));
  const std::uint64_t nb = c.model.num_network_states(), N = nb * static_cast<std::uint64_t>(m);
  std::vector<double> h(static_cast<std::size_t>(m) * n), J(static_cast<std::size_t>(n) * n);
  for (double& v : h) v = g(rng);
  for (double& v : J) v = g(rng) / std::sqrt(static_cast<double>(n));
  std::vector<double> values(N), gibbs(N);
  const double temperature = n * c.model.lambda;
  double z = 0.0;
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb, x = s / nb;
    double v = 0.0;
    for (int i = 0; i < n; ++i) {
      const double si = ((b >> i) & 1) ? 1.0 : -1.0;
      v += h[x * n + i] * si;
      for (int j = i + 1; j < n; ++j) v += J[i * n + j] * si * (((b >> j) & 1) ? 1.0 : -1.0);
    }
    values[s] = v;
    gibbs[s] = std::exp(v / temperature);
    z += gibbs[s];
  }
  for (double& p : gibbs) p /= z;
  c.prior.assign(static_cast<std::size_t>(n), 0.5);
  const double total = samples_per_state * static_cast<double>(N);
  c.data = netrl::inverse::expected_data(c.model, values, gibbs, c.prior, total);
  c.data.exact = false;
  c.data.total = 0.0;
  for (double& v : c.data.visits) c.data.total += (v = std::round(v));
  for (double& v : c.data.transitions) v = std::round(v);
  return c;
}

/// Runs the benchmark's iterations of `inverse` (returning a NetworkInverse) into `inv`; the
/// fastest iteration's seconds.
template <class F>
double fastest(benchmark::State& state, netrl::inverse::NetworkInverse& inv, F inverse) {
  double best = 1e30;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    inv = inverse();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

/// Floor of one maximum-likelihood run: per evaluation, one exp/log pair per (visited state, free
/// neuron) over all threads, or one read of the transition counts, whichever is larger.
double likelihood_floor(const netrl::inverse::NetworkData& data, int n, int evaluations) {
  std::uint64_t active = 0;
  for (double v : data.visits) active += v > 0.0;
  const double per_eval = std::max(static_cast<double>(active) * n * exp_log_seconds() / threads(),
                                   static_cast<double>(data.transitions.size()) * 8.0 / read_bandwidth());
  return evaluations * per_eval;
}

void report(benchmark::State& state, double seconds, double floor_s, const netrl::inverse::NetworkInverse& inv) {
  state.counters["inverse_s"] = seconds;
  state.counters["floor_s"] = floor_s;
  state.counters["fraction_of_floor"] = floor_s / seconds;
  state.counters["evaluations"] = inv.evaluations;
  state.counters["missing"] = static_cast<double>(inv.missing);
}

/// A method timed on a synthetic case (run_synthetic).
struct SyntheticRun {
  int n = 0;
  Case c;
  netrl::inverse::NetworkInverse inv;
  double seconds = 0.0;
};

/// The benchmark's iterations of method(model, data, prior, lambda) (closed_form or
/// maximum_likelihood) on the synthetic case of state.range(0) neurons and m input values (seed:
/// `seed` + n, 100 samples per state): the case, the result and the fastest iteration's seconds.
template <class Method>
SyntheticRun run_synthetic(benchmark::State& state, int m, std::uint64_t seed, Method method) {
  SyntheticRun r;
  r.n = static_cast<int>(state.range(0));
  r.c = synthetic_case(r.n, m, 100.0, seed + static_cast<std::uint64_t>(r.n));
  const Case& c = r.c;
  r.seconds = fastest(state, r.inv, [&] { return method(c.model, c.data, c.prior, c.model.lambda, {}); });
  return r;
}

void BM_ClosedForm(benchmark::State& state) {
  const SyntheticRun r = run_synthetic(state, 1, 11, netrl::inverse::closed_form);
  const double N = static_cast<double>(r.c.data.visits.size());
  const double compute = N * r.n * log_seconds() / threads();
  const double memory = N * 8.0 / read_bandwidth();
  report(state, r.seconds, std::max(compute, memory), r.inv);
  state.counters["states"] = N;
}

void BM_MaximumLikelihood(benchmark::State& state) {
  const SyntheticRun r = run_synthetic(state, 2, 17, netrl::inverse::maximum_likelihood);
  report(state, r.seconds, likelihood_floor(r.c.data, r.n, r.inv.evaluations), r.inv);
  state.counters["states"] = static_cast<double>(r.c.data.visits.size());
  state.counters["iterations"] = r.inv.iterations;
  state.counters["converged"] = r.inv.converged ? 1.0 : 0.0;
}

/// count8's exact solution, solved once.
const netrl::SolveResult& count8_solution() {
  static const netrl::SolveResult r = netrl::solve(netrl::scenario("count8"));
  return r;
}

void BM_MaximumLikelihoodCount8VsSamples(benchmark::State& state) {
  const auto T = static_cast<std::uint64_t>(state.range(0));
  const netrl::Problem p = netrl::scenario("count8");
  const netrl::NetworkModel& model = p.network;
  const netrl::SolveResult& exact = count8_solution();
  const auto data = netrl::inverse::sample_recording(model, exact.values, exact.prior, T, 1, 10000);
  const auto prior = netrl::inverse::firing_prior(model, data);
  netrl::inverse::NetworkInverse inv;
  const double best =
      fastest(state, inv, [&] { return netrl::inverse::maximum_likelihood(model, data, prior, model.lambda); });
  report(state, best, likelihood_floor(data, model.n, inv.evaluations), inv);
  const auto truth = model.reward.tabulate(model.n, model.m());
  state.counters["r2"] = netrl::inverse::compare_rewards(inv.reward, truth, exact.stationary, 256).r2;
  state.counters["visited"] = static_cast<double>(
      std::count_if(data.visits.begin(), data.visits.end(), [](double v) { return v > 0.0; }));
}

void register_benchmarks() {
  auto* cf = benchmark::RegisterBenchmark("BM_ClosedForm", BM_ClosedForm)->Unit(benchmark::kMillisecond);
  auto* ml = benchmark::RegisterBenchmark("BM_MaximumLikelihood", BM_MaximumLikelihood)->Unit(benchmark::kMillisecond);
  auto* mt = benchmark::RegisterBenchmark("BM_MaximumLikelihoodCount8VsSamples", BM_MaximumLikelihoodCount8VsSamples)
                 ->Unit(benchmark::kMillisecond);
  if (g_smoke) {
    cf->Arg(6)->Iterations(1);
    ml->Arg(5)->Iterations(1);
    mt->Arg(2000)->Iterations(1);
    return;
  }
  // Iterations apply to a whole family; the counters come from the fastest iteration.
  for (int n = 8; n <= 16; n += 2) cf->Arg(n);
  cf->Iterations(3);
  for (int n = 8; n <= 14; n += 2) ml->Arg(n);
  ml->Iterations(1);
  for (std::int64_t T : {1000, 10000, 100000, 1000000}) mt->Arg(T);
  mt->Iterations(3);
}

}  // namespace

int main(int argc, char** argv) { return netrl::bench::run(argc, argv, &g_smoke, register_benchmarks); }
