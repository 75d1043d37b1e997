// The general-MDP engine (kernels/common/mdp_functors.hpp, mdp_engine.cpp).
//
// Tiers: (1) the running log-sum-exp and the Bellman functor on a two-state MDP checked by hand
// (host build only); (2) every engine operation against the reference backend's explicit
// matrices (reference::greedy, reference::chain: the oracle) on random sparse MDPs, with batches
// whose problems differ in lambda and prior, in float64 and float32. Built twice like
// test_exact_kernels: test_mdp_kernels (host) and, with CUDA, test_mdp_kernels_cuda.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/mdp.hpp"
#include "engine_support.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

#if !defined(NETRL_TEST_BACKEND_CUDA)
#include "common/mdp_functors.hpp"
#endif

namespace netrl {
namespace {

using kernels::Mask;
using test::kBackend;
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_MDP_ENGINE_SUITE MdpEngineCuda
#else
#define NETRL_MDP_ENGINE_SUITE MdpEngine
#endif

// ---------------------------------------------------------------------------------------------
// Tier 1: functors by hand (host build of kernels/common/).

#if !defined(NETRL_TEST_BACKEND_CUDA)
namespace k = netrl::kernels::host;

TEST(MdpFunctors, RunningLogSumExpIsStable) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-700.0, 700.0);
  for (int trial = 0; trial < 200; ++trial) {
    const int count = 1 + trial % 9;
    std::vector<double> z(count);
    for (double& x : z) x = trial % 2 ? u(rng) : u(rng) * 1e-3;
    k::mdp::Lse<double> lse;
    long double hi = -INFINITY;
    for (double x : z) {
      lse.add(x);
      hi = std::max<long double>(hi, x);
    }
    long double sum = 0.0L;
    for (double x : z) sum += std::exp(static_cast<long double>(x) - hi);
    const long double want = hi + std::log(sum);
    EXPECT_NEAR(lse.value(), static_cast<double>(want), test::rounding(16) * std::max(1.0, std::abs(static_cast<double>(want))));
  }
  k::mdp::Lse<double> nan;
  nan.add(1.0);
  nan.add(std::numeric_limits<double>::quiet_NaN());
  nan.add(2.0);
  EXPECT_TRUE(std::isnan(nan.value()));
}

// Two states, two actions: from state 0, action 0 stays, action 1 moves to 1 with probability 0.75
// (0.25 stays); from state 1 both actions return to 0. With h = (0, 1), lambda = 0.5, p = (0.4,
// 0.6), r = (0.3, 0.1): q(0, .) = (0, 0.75), q(1, .) = (0, 0), so
// (T h)(0) = 0.3 + 0.5 log(0.4 + 0.6 e^1.5) and (T h)(1) = 0.1 + 0.5 log(1) = 0.1.
TEST(MdpFunctors, BellmanTwoStatesByHand) {
  const std::vector<std::int64_t> row_ptr{0, 1, 3, 4, 5};
  const std::vector<std::int32_t> next{0, 0, 1, 0, 0};
  const std::vector<double> prob{1.0, 0.25, 0.75, 1.0, 1.0};
  std::vector<double> h{0.0, 1.0}, reward{0.3, 0.1}, out(2, -1.0);
  const double lambda = 0.5, inv = 2.0, log_prior[2] = {std::log(0.4), std::log(0.6)};
  const std::uint8_t active = 1;
  k::MdpBellman<double> f;
  f.sweep.m.actions = 2;
  f.sweep.m.row_ptr = row_ptr.data();
  f.sweep.m.next = next.data();
  f.sweep.m.prob = prob.data();
  f.sweep.params.lambda = &lambda;
  f.sweep.params.inv_lambda = &inv;
  f.sweep.params.log_prior = log_prior;
  f.h = k::single(h.data());
  f.reward = reward.data();
  f.out = out.data();
  f.sweep.chunks.states = 2;
  f.sweep.chunks.chunk = 2;
  f.sweep.active = &active;
  f(0);
  EXPECT_NEAR(out[0], 0.3 + 0.5 * std::log(0.4 + 0.6 * std::exp(1.5)), test::rounding(8));
  EXPECT_NEAR(out[1], 0.1, test::rounding(8));
}

// Ragged chunks: 5 states in chunks of 2 are items of 2, 2 and 1 states, per problem.
TEST(MdpFunctors, RaggedChunksCoverEveryStateOnce) {
  k::Chunking c;
  c.states = 5;
  c.chunk = 2;
  ASSERT_EQ(c.per_problem(), 3u);
  std::vector<int> seen(10, 0);
  for (std::uint64_t item = 0; item < 2 * c.per_problem(); ++item)
    for (std::uint64_t j = 0; j < c.count(item); ++j) ++seen[c.begin(item) + j];
  for (int s = 0; s < 10; ++s) EXPECT_EQ(seen[s], 1) << s;
  EXPECT_EQ(c.problem(2), 0);
  EXPECT_EQ(c.problem(3), 1);
}
#endif

// ---------------------------------------------------------------------------------------------
// Tier 2: the engine against the reference's explicit matrices.

class NETRL_MDP_ENGINE_SUITE : public test::BackendTest {};

/// Two problems of one random MDP at different lambdas and priors, with random values h and a
/// random distribution mu; every engine output is compared with the reference's for each.
template <class Real>
void check_engine_against_reference(int states, int actions, int successors, std::uint64_t seed) {
  SCOPED_TRACE("states " + std::to_string(states) + ", actions " + std::to_string(actions));
  const Mdp mdp = random_sparse_mdp(states, actions, successors, seed);
  const std::vector<double> lambdas{0.3, 0.05};
  std::mt19937_64 rng(seed + 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto S = static_cast<std::size_t>(states), A = static_cast<std::size_t>(actions);
  std::vector<double> h(2 * S), mu(2 * S), prior(2 * A), x(2 * S);
  for (double& v : h) v = u(rng) - 0.5;
  for (double& v : x) v = u(rng) - 0.5;
  for (std::size_t q = 0; q < 2; ++q) {
    double sum = 0.0, msum = 0.0;
    for (std::size_t a = 0; a < A; ++a) sum += (prior[q * A + a] = 0.2 + u(rng));
    for (std::size_t a = 0; a < A; ++a) prior[q * A + a] /= sum;
    for (std::size_t s = 0; s < S; ++s) msum += (mu[q * S + s] = u(rng));
    for (std::size_t s = 0; s < S; ++s) mu[q * S + s] /= msum;
  }
  kernels::MdpShape shape;
  shape.states = states;
  shape.actions = actions;
  shape.entries = static_cast<std::int64_t>(mdp.next_state.size());
  shape.batch = 2;
  auto engine = test::mdp_engine<Real>(shape);
  engine->set_transitions(mdp.row_ptr, mdp.next_state, mdp.probability);
  std::vector<double> rewards(mdp.reward);
  rewards.insert(rewards.end(), mdp.reward.begin(), mdp.reward.end());
  engine->set_rewards(rewards);
  engine->set_lambdas(lambdas, {1.0, 1.0});
  engine->set_priors(prior);
  const Mask both(2, 1);
  engine->set_values(both, h.data());
  engine->set_stationary(both, mu.data());
  engine->prepare_policy(both);
  std::vector<double> g(2 * S), px(2 * S), xp(2 * S);
  engine->policy_reward(both, g.data());
  engine->apply_chain(both, false, x.data(), px.data());
  engine->apply_chain(both, true, x.data(), xp.data());
  std::vector<kernels::ActionTotals> totals;
  engine->action_totals(both, &totals);
  std::vector<kernels::SpanStats> span;
  engine->value_step(both, &span);
  engine->accept_values(both);
  std::vector<kernels::MuStats> mustats;
  engine->stationary_step(both, {1.0, 1.0}, &mustats);
  engine->accept_stationary(both);

  const double tol = std::is_same_v<Real, double> ? test::rounding(64) : test::tolerance<float>(64);
  for (int q = 0; q < 2; ++q) {
    SCOPED_TRACE("problem " + std::to_string(q));
    const auto off = static_cast<std::size_t>(q) * S;
    const auto pb = reference::make_problem(mdp, lambdas[static_cast<std::size_t>(q)]);
    Eigen::MatrixXd p(1, actions);
    for (int a = 0; a < actions; ++a) p(0, a) = prior[static_cast<std::size_t>(q) * A + static_cast<std::size_t>(a)];
    const Eigen::VectorXd hq = Eigen::Map<const Eigen::VectorXd>(h.data() + off, states);
    const Eigen::VectorXd muq = Eigen::Map<const Eigen::VectorXd>(mu.data() + off, states);
    const Eigen::VectorXd xq = Eigen::Map<const Eigen::VectorXd>(x.data() + off, states);
    const reference::Greedy want = reference::greedy(pb, hq, p);
    const reference::SparseMatrix P = reference::chain(pb, want);
    const Eigen::VectorXd want_px = P * xq;
    const Eigen::RowVectorXd want_xp = xq.transpose() * P;
    const Eigen::RowVectorXd want_mu = muq.transpose() * P;
    std::vector<double> pi, hn, mun;
    engine->download_policy(q, &pi);
    engine->download_values(q, &hn);
    engine->download_stationary(q, &mun);
    const double scale = std::max(1.0, want.backup.cwiseAbs().maxCoeff());
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < states; ++s) {
      const auto k = static_cast<std::size_t>(s);
      for (int a = 0; a < actions; ++a) {
        EXPECT_NEAR(pi[k * A + static_cast<std::size_t>(a)], want.policy[static_cast<std::size_t>(a)](s), tol) << s;
      }
      EXPECT_NEAR(g[off + k], pb.reward(s) - pb.lambda * want.cost(s), tol * scale) << s;
      EXPECT_NEAR(px[off + k], want_px(s), tol) << s;
      EXPECT_NEAR(xp[off + k], want_xp(s), tol) << s;
      EXPECT_NEAR(mun[k], want_mu(s), tol) << s;
      EXPECT_NEAR(hn[k], want.backup(s) - want.backup(0), tol * scale) << s;
      lo = std::min(lo, want.backup(s) - hq(s));
      hi = std::max(hi, want.backup(s) - hq(s));
    }
    const auto qs = static_cast<std::size_t>(q);
    EXPECT_NEAR(span[qs].lo, lo, tol * scale);
    EXPECT_NEAR(span[qs].hi, hi, tol * scale);
    EXPECT_EQ(span[qs].nonfinite, 0u);
    EXPECT_NEAR(mustats[qs].mass, 1.0, tol);
    EXPECT_NEAR(totals[qs].mass, 1.0, tol);
    EXPECT_NEAR(totals[qs].reward, muq.dot(pb.reward), tol);
    EXPECT_NEAR(totals[qs].cost, muq.dot(want.cost), tol * scale);
    EXPECT_EQ(totals[qs].zero_actions, 0u);
    for (int a = 0; a < actions; ++a) {
      EXPECT_NEAR(totals[qs].action[static_cast<std::size_t>(a)], muq.dot(want.policy[static_cast<std::size_t>(a)]), tol);
    }
  }
}

TEST_F(NETRL_MDP_ENGINE_SUITE, OperationsMatchReferenceMatrices) {
  check_engine_against_reference<double>(7, 3, 2, 11);
  check_engine_against_reference<double>(300, 4, 4, 12);
  check_engine_against_reference<double>(5000, 2, 3, 13);
  check_engine_against_reference<double>(40, 1, 5, 14);
}

TEST_F(NETRL_MDP_ENGINE_SUITE, OperationsMatchReferenceMatricesInFloat32) {
  check_engine_against_reference<float>(300, 4, 4, 21);
}

TEST_F(NETRL_MDP_ENGINE_SUITE, InactiveProblemsAreUntouched) {
  const Mdp mdp = random_sparse_mdp(50, 3, 3, 5);
  kernels::MdpShape shape{50, 3, static_cast<std::int64_t>(mdp.next_state.size()), 2};
  auto engine = test::mdp_engine<double>(shape);
  engine->set_transitions(mdp.row_ptr, mdp.next_state, mdp.probability);
  std::vector<double> r(mdp.reward);
  r.insert(r.end(), mdp.reward.begin(), mdp.reward.end());
  engine->set_rewards(r);
  std::vector<double> h(100, 0.25);
  engine->set_values(Mask{1, 1}, h.data());
  std::vector<kernels::SpanStats> stats;
  engine->value_step(Mask{1, 0}, &stats);
  engine->accept_values(Mask{1, 0});
  std::vector<double> h0, h1;
  engine->download_values(0, &h0);
  engine->download_values(1, &h1);
  EXPECT_NE(h0, std::vector<double>(50, 0.25));
  EXPECT_EQ(h1, std::vector<double>(50, 0.25));
}

TEST_F(NETRL_MDP_ENGINE_SUITE, RejectsBadShapesAndStructures) {
  EXPECT_THROW(test::mdp_engine<double>(kernels::MdpShape{0, 1, 1, 1}), InvalidInput);
  EXPECT_THROW(test::mdp_engine<double>(kernels::MdpShape{2, 2, 3, 1}), InvalidInput);  // fewer entries than rows
  auto engine = test::mdp_engine<double>(kernels::MdpShape{2, 1, 2, 1});
  EXPECT_THROW(engine->set_transitions({0, 1, 2}, {0, 2}, {1.0, 1.0}), InvalidInput);   // next state 2
  EXPECT_THROW(engine->set_transitions({0, 2, 1}, {0, 1}, {1.0, 1.0}), InvalidInput);   // decreasing
  EXPECT_THROW(engine->set_transitions({0, 1}, {0, 1}, {1.0, 1.0}), InvalidInput);      // sizes
  EXPECT_THROW(engine->set_priors({0.0}), InvalidInput);
  EXPECT_THROW(engine->set_lambdas({-1.0}, {1.0}), InvalidInput);
}

}  // namespace
}  // namespace netrl
