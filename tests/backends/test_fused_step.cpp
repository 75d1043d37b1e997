// The fused value and stationary step of the host engine (ExactEngine::value_stationary_step):
// one sweep that computes T h and mu P under the greedy policy of the same h must equal
// value_step followed by stationary_step (the separate kernels, checked by hand in
// test_exact_kernels), leave inactive problems alone, and honour the aperiodicity transform and
// the input step. Host only: the CUDA engine does not fuse (it answers false). Also the
// evaluation step from the one-step reward computed once (g + P v, against policy_reward and the
// chain's matvec), and whole solves that fuse (a network with an input: without one the solver
// takes the closed-form stationary distribution instead, test_gibbs_stationary) and evaluate that
// way against the reference solver (no fused sweep, dense solves) at the default tolerances. And
// the policy table
// (EngineShape::policy_table): the steps that read it equal those that compute the policy, a
// table left stale by a write of h is not read, and whole solves with and without it reach the
// reference's fixed point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "common/math.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/exact_solver.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using kernels::EngineShape;
using kernels::Mask;
using kernels::MuStats;
using kernels::SpanStats;
namespace math = kernels::host::math;

TEST(FusedStep, Lse2SigmoidEqualsLse2AndSigmoid) {
  const double values[] = {-40.0, -3.5, -1e-9, 0.0, 2e-12, 0.7, 5.25, 33.0};
  for (double a : values) {
    for (double b : values) {
      const math::LseSigmoid<double> ls = math::lse2_sigmoid(a, b);
      EXPECT_NEAR(ls.lse, math::lse2(a, b), test::rounding(8) * std::max(1.0, std::abs(ls.lse))) << a << " " << b;
      EXPECT_NEAR(ls.rho, 1.0 / (1.0 + std::exp(b - a)), test::rounding(8)) << a << " " << b;
    }
  }
  EXPECT_TRUE(std::isnan(math::lse2_sigmoid(std::nan(""), 1.0).rho));
}

/// An engine of `batch` problems (nf free neurons, m inputs, theta per problem) with random
/// rewards, priors, lambdas and input chain, h after three value steps and a random mu of mass 1;
/// with a policy table if `table`.
std::unique_ptr<kernels::ExactEngine<double>> engine(int nf, int m, int batch, double theta, std::uint64_t seed,
                                                     bool table = false) {
  EngineShape shape;
  shape.nf = nf;
  shape.m = m;
  shape.batch = batch;
  shape.policy_table = table;
  auto e = kernels::host::make_exact_engine<double>(shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t S = shape.states(), B = static_cast<std::size_t>(batch);
  std::vector<double> reward(S * B), prior(static_cast<std::size_t>(nf) * B), lambda(B), T, mu(S * B);
  for (double& r : reward) r = u(rng);
  for (double& p : prior) p = 0.1 + 0.8 * u(rng);
  for (double& l : lambda) l = 0.05 + 0.5 * u(rng);
  for (std::size_t q = 0; q < B; ++q) {
    for (int x = 0; x < m; ++x) {
      std::vector<double> row(static_cast<std::size_t>(m));
      double sum = 0.0;
      for (double& t : row) sum += (t = 0.1 + u(rng));
      for (double t : row) T.push_back(t / sum);
    }
  }
  e->set_rewards(reward);
  e->set_inputs(T, std::vector<double>(B, theta));
  e->set_lambdas(lambda);
  e->set_priors(prior);
  const Mask all(B, 1);
  e->reset_values(all);
  std::vector<SpanStats> stats;
  for (int k = 0; k < 3; ++k) {
    e->value_step(all, &stats);
    e->accept_values(all);
  }
  for (std::size_t q = 0; q < B; ++q) {
    double mass = 0.0;
    for (std::size_t s = 0; s < S; ++s) mass += (mu[q * S + s] = u(rng));
    for (std::size_t s = 0; s < S; ++s) mu[q * S + s] /= mass;
  }
  e->set_stationary(all, mu.data());
  return e;
}

/// value_stationary_step on `active` against value_step + stationary_step on a twin engine.
void expect_fused_equals_separate(int nf, int m, double theta) {
  const int B = 2;
  const Mask active{1, 0};
  auto fused = engine(nf, m, B, theta, 7);
  auto separate = engine(nf, m, B, theta, 7);
  std::vector<double> h_before, mu_before;
  fused->download_values(1, &h_before);
  fused->download_stationary(1, &mu_before);
  const std::vector<double> scale{1.25, 1.0};  // mu_next is scaled too
  std::vector<SpanStats> span_f, span_s;
  std::vector<MuStats> mu_f, mu_s;
  ASSERT_TRUE(fused->value_stationary_step(active, scale, &span_f, &mu_f));
  separate->value_step(active, &span_s);
  separate->stationary_step(active, scale, &mu_s);
  // T h and rho differ by rounding (one shared division; sigmoid of a1 - a0 or of the policy's
  // z): h to a few ulp of its scale, mu to a few ulp of its own.
  EXPECT_NEAR(span_f[0].lo, span_s[0].lo, test::rounding(256));
  EXPECT_NEAR(span_f[0].hi, span_s[0].hi, test::rounding(256));
  EXPECT_NEAR(mu_f[0].mass, mu_s[0].mass, test::rounding(64));
  EXPECT_NEAR(mu_f[0].change, mu_s[0].change, test::rounding(64));
  EXPECT_EQ(mu_f[0].nonfinite, 0u);
  fused->accept_values(active);
  fused->accept_stationary(active);
  separate->accept_values(active);
  separate->accept_stationary(active);
  std::vector<double> hf, hs, mf, ms;
  fused->download_values(0, &hf);
  separate->download_values(0, &hs);
  fused->download_stationary(0, &mf);
  separate->download_stationary(0, &ms);
  ASSERT_EQ(hf.size(), hs.size());
  const double mu_scale = 1.0 / static_cast<double>(mf.size());
  for (std::size_t s = 0; s < hf.size(); ++s) {
    EXPECT_NEAR(hf[s], hs[s], test::rounding(256) * std::max(1.0, std::abs(hs[s]))) << s;
    EXPECT_NEAR(mf[s], ms[s], test::rounding(64) * mu_scale) << s;
  }
  // The inactive problem kept its h and mu.
  std::vector<double> h_after, mu_after;
  fused->download_values(1, &h_after);
  fused->download_stationary(1, &mu_after);
  EXPECT_EQ(h_after, h_before);
  EXPECT_EQ(mu_after, mu_before);
}

TEST(FusedStep, EqualsSeparateStepsWithoutInput) { expect_fused_equals_separate(6, 1, 1.0); }

TEST(FusedStep, EqualsSeparateStepsWithInputAndAperiodicity) { expect_fused_equals_separate(5, 3, 0.5); }

TEST(FusedStep, TiledPlanOfManyNeurons) { expect_fused_equals_separate(13, 1, 1.0); }

/// evaluation_step of problem 0 (problem 1 inactive) against its definition from the engine's
/// other operations: v_next = theta (T v - (T v)(0)) + (1 - theta) v with T v = g + P v, g the
/// policy's one-step reward (policy_reward) and P v the chain's matvec (apply_chain), for the
/// policy of h (prepare_policy) and v = h (start_evaluation), then once more from v_next.
void expect_evaluation_is_reward_plus_chain(int nf, int m, double theta) {
  auto e = engine(nf, m, 2, theta, 11);
  const Mask all{1, 1}, first{1, 0};
  e->prepare_policy(all);
  std::vector<double> h0, h1;
  e->download_values(0, &h0);
  e->download_values(1, &h1);
  const std::size_t S = h0.size();
  std::vector<double> g(2 * S), pv(2 * S), x(2 * S);
  e->policy_reward(first, g.data());
  e->start_evaluation(all);
  std::vector<double> v = h0;
  for (int step = 0; step < 2; ++step) {
    std::copy(v.begin(), v.end(), x.begin());
    e->apply_chain(first, false, x.data(), pv.data());
    std::vector<SpanStats> stats;
    e->evaluation_step(first, &stats);
    e->accept_evaluation(first);
    std::vector<double> got;
    e->download_evaluation(0, &got);
    const double t0 = g[0] + pv[0];
    double lo = 1e300, hi = -1e300;
    for (std::size_t s = 0; s < S; ++s) {
      const double t = g[s] + pv[s];
      lo = std::min(lo, t - v[s]);
      hi = std::max(hi, t - v[s]);
      const double want = theta * (t - t0) + (1.0 - theta) * v[s];
      EXPECT_NEAR(got[s], want, test::rounding(256) * std::max(1.0, std::abs(want))) << "step " << step << " s " << s;
      v[s] = want;
    }
    EXPECT_NEAR(stats[0].lo, lo, test::rounding(256));
    EXPECT_NEAR(stats[0].hi, hi, test::rounding(256));
  }
  // h (whose spare buffer holds g) is unchanged, and so is the inactive problem.
  for (int q = 0; q < 2; ++q) {
    std::vector<double> after;
    e->download_values(q, &after);
    EXPECT_EQ(after, q == 0 ? h0 : h1) << q;
  }
}

TEST(EvaluationStep, IsRewardPlusChainWithoutInput) { expect_evaluation_is_reward_plus_chain(6, 1, 1.0); }

TEST(EvaluationStep, IsRewardPlusChainWithInputAndAperiodicity) {
  expect_evaluation_is_reward_plus_chain(5, 3, 0.5);
}

/// Everything an engine's fixed policy gives for problem 0 (problem 1 inactive): P x and x P for a
/// random x, one stationary step and two evaluation steps (g + P v).
struct PolicyOutputs {
  std::vector<double> forward, adjoint, mu, v;
};
PolicyOutputs policy_outputs(kernels::ExactEngine<double>& e, std::uint64_t seed) {
  const std::size_t S = e.shape().states();
  const Mask first{1, 0};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> x(2 * S), y(2 * S);
  for (double& a : x) a = u(rng);
  PolicyOutputs out;
  e.apply_chain(first, false, x.data(), y.data());
  out.forward.assign(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(S));
  e.apply_chain(first, true, x.data(), y.data());
  out.adjoint.assign(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(S));
  std::vector<MuStats> mu_stats;
  e.stationary_step(first, {1.0, 1.0}, &mu_stats);
  e.accept_stationary(first);
  e.download_stationary(0, &out.mu);
  e.start_evaluation(first);
  std::vector<SpanStats> stats;
  for (int step = 0; step < 2; ++step) {
    e.evaluation_step(first, &stats);
    e.accept_evaluation(first);
  }
  e.download_evaluation(0, &out.v);
  return out;
}

/// The same outputs, each entry within a few ulp of its scale (the table holds the sigmoid the
/// sweeps compute, perhaps contracted differently).
void expect_same_outputs(const PolicyOutputs& a, const PolicyOutputs& b) {
  const auto close = [](const std::vector<double>& x, const std::vector<double>& y, const char* what) {
    ASSERT_EQ(x.size(), y.size()) << what;
    double scale = 0.0;
    for (double v : y) scale = std::max(scale, std::abs(v));
    for (std::size_t s = 0; s < x.size(); ++s) EXPECT_NEAR(x[s], y[s], test::rounding(64) * scale) << what << " " << s;
  };
  close(a.forward, b.forward, "P x");
  close(a.adjoint, b.adjoint, "x P");
  close(a.mu, b.mu, "stationary step");
  close(a.v, b.v, "evaluation");
}

/// An engine with the policy table against one without: the steps of the fixed policy agree, and
/// the table engine does not fuse.
void expect_table_equals_computed(int nf, int m, double theta) {
  auto table = engine(nf, m, 2, theta, 13, true);
  auto plain = engine(nf, m, 2, theta, 13, false);
  const Mask all{1, 1};
  table->prepare_policy(all);
  plain->prepare_policy(all);
  expect_same_outputs(policy_outputs(*table, 5), policy_outputs(*plain, 5));
  std::vector<SpanStats> span;
  std::vector<MuStats> mu;
  EXPECT_FALSE(table->value_stationary_step(all, {1.0, 1.0}, &span, &mu));
  EXPECT_TRUE(plain->value_stationary_step(all, {1.0, 1.0}, &span, &mu));
}

TEST(PolicyTable, EqualsComputedPolicyWithoutInput) { expect_table_equals_computed(6, 1, 1.0); }

TEST(PolicyTable, EqualsComputedPolicyWithInputAndAperiodicity) { expect_table_equals_computed(5, 3, 0.5); }

TEST(PolicyTable, TiledPlanOfManyNeurons) { expect_table_equals_computed(13, 1, 1.0); }

/// A write of h after prepare_policy (set_values; a value step accepted) leaves the table stale:
/// the engine then computes the policy of the current h as an engine without a table does (the
/// stale table would give the earlier policy's outputs, checked to differ).
TEST(PolicyTable, StaleTableIsNotRead) {
  const int nf = 7;
  auto table = engine(nf, 1, 2, 1.0, 17, true);
  auto plain = engine(nf, 1, 2, 1.0, 17, false);
  auto earlier = engine(nf, 1, 2, 1.0, 17, false);  // (the policy before the write)
  const Mask all{1, 1};
  table->prepare_policy(all);
  plain->prepare_policy(all);
  earlier->prepare_policy(all);
  const PolicyOutputs before = policy_outputs(*earlier, 3);
  std::vector<double> h(2 * table->shape().states());
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  for (double& x : h) x = u(rng);
  table->set_values(all, h.data());
  plain->set_values(all, h.data());
  const PolicyOutputs after_set = policy_outputs(*table, 3);
  expect_same_outputs(after_set, policy_outputs(*plain, 3));
  EXPECT_GT(std::abs(after_set.forward[1] - before.forward[1]), 1e-6);  // (a different policy)
  std::vector<SpanStats> span;
  table->value_step(all, &span);
  table->accept_values(all);
  plain->value_step(all, &span);
  plain->accept_values(all);
  expect_same_outputs(policy_outputs(*table, 9), policy_outputs(*plain, 9));
}

/// A whole solve on the host (the value-iteration sweeps fused where the network has an input, the
/// stationary distribution in closed form where it has none, the values evaluated from g)
/// against reference::solve (no fused sweeps; dense stationary and evaluation solves) at the
/// default tolerances, tol = prior_tol = 1e-10: the same fixed point to that tolerance (the values
/// relative to their scale, whose differences follow those of the prior).
void expect_reference_fixed_point(const NetworkModel& model, bool policy_table) {
  SolverOptions host;
  host.backend = Backend::host;
  host.policy_table = policy_table;
  SolverOptions ref = host;
  ref.backend = Backend::reference;
  const SolveResult got = exact::solve(model, host);
  const SolveResult want = reference::solve(model, ref);
  ASSERT_TRUE(got.converged);
  ASSERT_TRUE(want.converged);
  const double tol = host.tol;
  EXPECT_NEAR(got.gain, want.gain, tol);
  ASSERT_EQ(got.prior.size(), want.prior.size());
  for (std::size_t i = 0; i < got.prior.size(); ++i) EXPECT_NEAR(got.prior[i], want.prior[i], tol) << i;
  ASSERT_EQ(got.values.size(), want.values.size());
  double scale = 1.0;
  for (double v : want.values) scale = std::max(scale, std::abs(v));
  for (std::size_t s = 0; s < got.values.size(); ++s) {
    EXPECT_NEAR(got.values[s], want.values[s], tol * scale) << s;
    EXPECT_NEAR(got.stationary[s], want.stationary[s], tol) << s;
  }
}

TEST(GibbsSolve, CountNetworkWithoutTableReachesTheReferenceFixedPoint) {
  expect_reference_fixed_point(test::count_network(10, 3, 0.1), false);
}

TEST(FusedSolve, NetworkWithInputReachesTheReferenceFixedPoint) {
  std::mt19937_64 rng(29);
  expect_reference_fixed_point(test::random_network(7, 3, PriorMode::neuron, rng, 0.2), false);
}

TEST(PolicyTableSolve, CountNetworkReachesTheReferenceFixedPoint) {
  expect_reference_fixed_point(test::count_network(10, 3, 0.1), true);
}

TEST(PolicyTableSolve, NetworkWithInputReachesTheReferenceFixedPoint) {
  std::mt19937_64 rng(29);
  expect_reference_fixed_point(test::random_network(7, 3, PriorMode::neuron, rng, 0.2), true);
}

}  // namespace
}  // namespace netrl
