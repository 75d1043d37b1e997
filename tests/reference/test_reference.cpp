// The reference backend: tiny cases derived by hand, identities of MODEL.md, solver agreement.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "netrl/core/maze.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

SolverOptions tight(Method method = Method::value_iteration) {
  SolverOptions o;
  o.method = method;
  o.tol = 1e-12;
  o.prior_tol = 1e-12;
  return o;
}

/// Options that solve the inner problem for the initial prior only (no prior update).
SolverOptions fixed_prior(double p0) {
  SolverOptions o = tight();
  o.p0 = p0;
  o.max_outer_iterations = 1;
  return o;
}

// One neuron, no input, r(0) = 0, r(1) = 1, fixed prior p. The policy cannot depend on the
// neuron's own bit, so rho is one number and the next state is 1 with probability rho:
// mu(1) = rho, c = KL(rho || p) in both states, L = rho - lambda KL(rho || p). Maximising over
// rho: logit rho = logit p + 1/lambda, and L = lambda log(1 - p + p e^{1/lambda}). The bias has
// v(1) - v(0) = r(1) - r(0) = 1 (from T v(1) - T v(0)), and sum mu v = 0 gives v(0) = -rho.
TEST(ReferenceTiny, OneNeuronFixedPriorMatchesClosedForm) {
  for (double lambda : {0.25, 1.0, 3.0}) {
    for (double p : {0.5, 0.2}) {
      NetworkModel model;
      model.n = 1;
      model.reward = RewardSpec::table({0.0, 1.0});
      model.lambda = lambda;
      const SolveResult r = reference::solve(model, fixed_prior(p));
      const double expected_gain = lambda * std::log(1.0 - p + p * std::exp(1.0 / lambda));
      const double rho = 1.0 / (1.0 + std::exp(-(std::log(p / (1.0 - p)) + 1.0 / lambda)));
      EXPECT_NEAR(r.gain, expected_gain, 1e-11) << "lambda " << lambda << " p " << p;
      EXPECT_NEAR(r.stationary[1], rho, 1e-11);
      EXPECT_NEAR(r.values[0], -rho, 1e-10);
      EXPECT_NEAR(r.values[1], 1.0 - rho, 1e-10);
      EXPECT_LE(r.gain_lo, r.gain + 1e-12);
      EXPECT_GE(r.gain_hi, r.gain - 1e-12);
    }
  }
}

// The same neuron under the prior loop: p' = sum mu rho = rho > p whenever r(1) > r(0), so the
// prior climbs (logit p grows by 1/lambda per outer step) until it hits the clip 1 - eps. The
// neuron must be reported degenerate, with p = 1 - eps, and L -> lambda log(1 - p + p e^{1/lambda}).
TEST(ReferenceTiny, OneNeuronPriorLoopDegeneratesAtClip) {
  NetworkModel model;
  model.n = 1;
  model.reward = RewardSpec::table({0.0, 1.0});
  model.lambda = 0.5;
  model.prior_mode = PriorMode::neuron;
  SolverOptions o = tight();
  const SolveResult r = reference::solve(model, o);
  ASSERT_TRUE(r.converged);
  ASSERT_EQ(r.degenerate.size(), 1u);
  EXPECT_EQ(r.degenerate[0], 0);
  EXPECT_DOUBLE_EQ(r.prior[0], 1.0 - o.prior_eps);
  const double p = 1.0 - o.prior_eps;
  EXPECT_NEAR(r.gain, model.lambda * std::log(1.0 - p + p * std::exp(1.0 / model.lambda)), 1e-10);
}

// Two neurons, no input, additive reward r(b) = r0 [bit 0] + r1 [bit 1], fixed prior p. Try
// v(b) = u0 [bit 0] + u1 [bit 1]: the log-sum-exp term of neuron i is
// (other neuron's part)/(2 lambda) + log(1 - p + p e^{u_i/(2 lambda)}), so
// T v(b) = r(b) + (1/2) v(b) + const, giving u_i = 2 r_i, rho_i = sigmoid(r_i/lambda + logit p)
// independent of the state, and L = lambda sum_i log(1 - p + p e^{r_i/lambda}). Each neuron is
// then an independent two-state chain: mu(b) = prod_i rho_i^{bit} (1 - rho_i)^{1 - bit}.
TEST(ReferenceTiny, TwoNeuronsAdditiveRewardFactorise) {
  const double r0 = 1.0, r1 = -0.5, lambda = 0.5, p = 0.5;
  NetworkModel model;
  model.n = 2;
  model.reward = RewardSpec::table({0.0, r0, r1, r0 + r1});
  model.lambda = lambda;
  const SolveResult r = reference::solve(model, fixed_prior(p));
  const double g = lambda * (std::log(1 - p + p * std::exp(r0 / lambda)) + std::log(1 - p + p * std::exp(r1 / lambda)));
  EXPECT_NEAR(r.gain, g, 1e-11);
  const double rho0 = 1.0 / (1.0 + std::exp(-r0 / lambda)), rho1 = 1.0 / (1.0 + std::exp(-r1 / lambda));
  EXPECT_NEAR(r.stationary[0], (1 - rho0) * (1 - rho1), 1e-11);
  EXPECT_NEAR(r.stationary[1], rho0 * (1 - rho1), 1e-11);
  EXPECT_NEAR(r.stationary[2], (1 - rho0) * rho1, 1e-11);
  EXPECT_NEAR(r.stationary[3], rho0 * rho1, 1e-11);
  // Differences of the bias: v(b) = 2 r0 [bit 0] + 2 r1 [bit 1] + const.
  EXPECT_NEAR(r.values[1] - r.values[0], 2 * r0, 1e-10);
  EXPECT_NEAR(r.values[2] - r.values[0], 2 * r1, 1e-10);
  EXPECT_NEAR(r.values[3] - r.values[0], 2 * (r0 + r1), 1e-10);
}

// The same network at lambda 1e-20: each neuron's policy is deterministic (rho0 = 1, rho1 = 0), so
// the coding cost is KL(1 || 1/2) + KL(0 || 1/2) = 2 ln 2 in every state. The softmax was taken
// as exp(z - (zmax + log sum)) with exponents near 1e20, where the log sum is lost: the cost came
// out 0 (and 1.53 for 3 ln 2 at lambda 1e-16 in a 3-neuron network).
TEST(ReferenceTiny, TinyLambdaGivesTheDeterministicCodingCost) {
  NetworkModel model;
  model.n = 2;
  model.reward = RewardSpec::table({0.0, 1.0, -0.5, 0.5});
  for (double lambda : {1e-16, 1e-20}) {
    model.lambda = lambda;
    const SolveResult r = reference::solve(model, fixed_prior(0.5));
    EXPECT_NEAR(r.mean_coding_cost, 2.0 * std::log(2.0), 1e-12) << lambda;
    EXPECT_NEAR(r.gain, 1.0, 1e-12) << lambda;
  }
}

// The maze "SR" (one row): from S, action right reaches R with probability
// alpha = 1 - slip + slip/4, the other three with beta = slip/4 (else stay); from R, back to S.
// With d = v(R) - v(S): from R, L = 1 - d; from S, L = lambda log[(1/4) e^{alpha d/lambda} +
// (3/4) e^{beta d/lambda}] (uniform prior). Solve 1 - d = that by bisection.
TEST(ReferenceTiny, TwoCellMazeMatchesScalarEquation) {
  for (double slip : {0.0, 0.05, 0.5}) {
    const double lambda = 0.2, alpha = 1 - slip + slip / 4, beta = slip / 4;
    auto f = [&](double d) {
      return 1 - d - lambda * std::log(0.25 * std::exp(alpha * d / lambda) + 0.75 * std::exp(beta * d / lambda));
    };
    double lo = 0.0, hi = 1.0;  // f(0) = 1 > 0, f(1) < 0
    for (int k = 0; k < 200; ++k) (f(0.5 * (lo + hi)) > 0 ? lo : hi) = 0.5 * (lo + hi);
    const double d = 0.5 * (lo + hi);
    const Maze maze = Maze::parse({"SR"}, slip);
    SolverOptions o = tight();
    o.max_outer_iterations = 1;
    const SolveResult r = reference::solve(maze.mdp(), lambda, o);
    EXPECT_NEAR(r.gain, 1 - d, 1e-11) << "slip " << slip;
    EXPECT_NEAR(r.values[1] - r.values[0], d, 1e-10);
  }
}

// The count8 scenario (issue acceptance): gain 0.360547572141, P(K=2|x=-1) = P(K=6|x=+1) = 0.647.
TEST(ReferenceScenario, Count8GainAndSpikeCounts) {
  SolverOptions o;  // defaults: value iteration, tol 1e-10, p0 0.5
  const SolveResult r = reference::solve(count8_model(), o);
  ASSERT_TRUE(r.converged);
  EXPECT_NEAR(r.gain, 0.360547572141, 1e-9);
  EXPECT_NEAR(r.spike_count[2 * 2 + 0], 0.647, 5e-4);
  EXPECT_NEAR(r.spike_count[6 * 2 + 1], 0.647, 5e-4);
  EXPECT_TRUE(r.degenerate.empty());
}

struct Case {
  int n, m;
  PriorMode mode;
};

class ReferenceIdentities : public ::testing::TestWithParam<Case> {};

// At the greedy policy, T v = r - lambda c + P v exactly, for any v.
TEST_P(ReferenceIdentities, SoftBellmanEqualsEvaluationAtGreedyPolicy) {
  const Case c = GetParam();
  std::mt19937_64 rng(1000 + c.n * 10 + c.m);
  NetworkModel model = test::random_network(c.n, c.m, c.mode, rng);
  if (c.n >= 3) model.clamps = {{1, 1}};
  std::vector<std::uint64_t> states;
  const auto pb = reference::make_problem(model, &states);
  VectorXd h = VectorXd::Random(pb.num_states);
  MatrixXd prior(pb.num_agents, 2);
  for (int g = 0; g < pb.num_agents; ++g) prior(g, 1) = 0.2 + 0.6 * g / std::max(1, pb.num_agents);
  prior.col(0) = 1.0 - prior.col(1).array();
  const auto gr = reference::greedy(pb, h, prior);
  const auto P = reference::chain(pb, gr);
  const VectorXd rhs = pb.reward - pb.lambda * gr.cost + P * h;
  EXPECT_LT((gr.backup - rhs).cwiseAbs().maxCoeff(), 1e-12);
  // P is row-stochastic.
  EXPECT_LT((P * VectorXd::Ones(pb.num_states) - VectorXd::Ones(pb.num_states)).cwiseAbs().maxCoeff(), 1e-13);
}

// mu P = mu, sum mu = 1, and the reported bias satisfies (I - P) v = r - lambda c - L.
TEST_P(ReferenceIdentities, StationaryAndBiasEquations) {
  const Case c = GetParam();
  std::mt19937_64 rng(2000 + c.n * 10 + c.m);
  const NetworkModel model = test::random_network(c.n, c.m, c.mode, rng);
  const SolveResult r = reference::solve(model, tight());
  ASSERT_TRUE(r.converged);
  std::vector<std::uint64_t> states;
  const auto pb = reference::make_problem(model, &states);
  MatrixXd prior(pb.num_agents, 2);
  for (int g = 0; g < pb.num_agents; ++g) prior(g, 1) = r.prior[g];
  prior.col(0) = 1.0 - prior.col(1).array();
  const VectorXd v = Eigen::Map<const VectorXd>(r.values.data(), pb.num_states);
  const VectorXd mu = Eigen::Map<const VectorXd>(r.stationary.data(), pb.num_states);
  const auto gr = reference::greedy(pb, v, prior);
  const auto P = reference::chain(pb, gr);
  EXPECT_NEAR(mu.sum(), 1.0, test::rounding(450));
  EXPECT_LT((VectorXd(P.transpose() * mu) - mu).cwiseAbs().maxCoeff(), 1e-13);
  const VectorXd residual = v - P * v - (pb.reward - pb.lambda * gr.cost) + VectorXd::Constant(pb.num_states, r.gain);
  EXPECT_LT(residual.cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_NEAR(mu.dot(v), 0.0, test::rounding(4500));
  EXPECT_NEAR(r.gain, r.mean_reward - model.lambda * r.mean_coding_cost, test::rounding(4500));
}

// Value iteration and policy iteration reach the same fixed point.
TEST_P(ReferenceIdentities, ValueAndPolicyIterationAgree) {
  const Case c = GetParam();
  std::mt19937_64 rng(3000 + c.n * 10 + c.m);
  const NetworkModel model = test::random_network(c.n, c.m, c.mode, rng, 0.3);
  const SolveResult vi = reference::solve(model, tight(Method::value_iteration));
  const SolveResult pi = reference::solve(model, tight(Method::policy_iteration));
  ASSERT_TRUE(vi.converged && pi.converged);
  EXPECT_NEAR(vi.gain, pi.gain, 1e-10);
  for (std::size_t k = 0; k < vi.prior.size(); ++k) EXPECT_NEAR(vi.prior[k], pi.prior[k], 1e-9);
  for (std::size_t s = 0; s < vi.values.size(); ++s) EXPECT_NEAR(vi.values[s], pi.values[s], 1e-8);
  EXPECT_LE(pi.inner_iterations, vi.inner_iterations);  // equal when VI converges in 2 sweeps (n = 1)
}

// The prior loop is coordinate ascent: L after each outer step never decreases.
TEST_P(ReferenceIdentities, GainNeverDecreasesOverPriorLoop) {
  const Case c = GetParam();
  std::mt19937_64 rng(4000 + c.n * 10 + c.m);
  NetworkModel model = test::random_network(c.n, c.m, c.mode, rng, 0.2);
  SolverOptions o = tight();
  o.p0 = 0.3;  // start away from any symmetric fixed point so the loop has work to do
  const SolveResult r = reference::solve(model, o);
  ASSERT_GE(r.gain_history.size(), 2u);
  for (std::size_t k = 1; k < r.gain_history.size(); ++k) {
    EXPECT_GE(r.gain_history[k], r.gain_history[k - 1] - 1e-10) << "outer step " << k;
  }
  EXPECT_GT(r.gain_history.back(), r.gain_history.front());
}

INSTANTIATE_TEST_SUITE_P(SmallNetworks, ReferenceIdentities,
                         ::testing::Values(Case{1, 1, PriorMode::neuron}, Case{2, 2, PriorMode::population},
                                           Case{3, 1, PriorMode::neuron}, Case{4, 3, PriorMode::population},
                                           Case{5, 2, PriorMode::neuron}),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return "n" + std::to_string(param_info.param.n) + "m" + std::to_string(param_info.param.m) +
                                  to_string(param_info.param.mode);
                         });

// Clamping neuron k silent gives exactly the network without it: same gain and prior, and the
// same values on the consistent states.
TEST(ReferenceClamp, SilentNeuronEqualsNetworkWithoutIt) {
  std::mt19937_64 rng(77);
  for (PriorMode mode : {PriorMode::population, PriorMode::neuron}) {
    const int n = 4, m = 2, k = 2;
    NetworkModel big = test::random_network(n, m, mode, rng);
    big.clamps = {{k, -1}};
    NetworkModel small = big;
    small.n = n - 1;
    small.clamps.clear();
    std::vector<double> r_small;
    auto big_index = [&](int x, std::uint64_t b_small) {
      const std::uint64_t low = b_small & ((1u << k) - 1), high = b_small >> k;
      return (static_cast<std::uint64_t>(x) << n) + (high << (k + 1)) + low;  // bit k cleared
    };
    for (int x = 0; x < m; ++x)
      for (std::uint64_t b = 0; b < (1u << (n - 1)); ++b) r_small.push_back(big.reward.values[big_index(x, b)]);
    small.reward = RewardSpec::table(r_small);
    const SolveResult rb = reference::solve(big, tight());
    const SolveResult rs = reference::solve(small, tight());
    EXPECT_NEAR(rb.gain, rs.gain, 1e-11);
    EXPECT_TRUE(std::isnan(rb.prior[k]));
    for (int i = 0, j = 0; i < n; ++i) {
      if (i == k) continue;
      EXPECT_NEAR(rb.prior[i], rs.prior[j++], 1e-10);
    }
    for (int x = 0; x < m; ++x)
      for (std::uint64_t b = 0; b < (1u << (n - 1)); ++b) {
        const std::uint64_t s_small = (static_cast<std::uint64_t>(x) << (n - 1)) + b;
        EXPECT_NEAR(rb.values[big_index(x, b)], rs.values[s_small], 1e-9);
        EXPECT_NEAR(rb.stationary[big_index(x, b)], rs.stationary[s_small], test::rounding(4500));
      }
    // Inconsistent states (bit k set) carry NaN values and no mass.
    EXPECT_TRUE(std::isnan(rb.values[1u << k]));
    EXPECT_EQ(rb.stationary[1u << k], 0.0);
  }
}

// Clamping a neuron active shifts the count reward: count target K in the clamped network equals
// target K - 1 in the network without the neuron.
TEST(ReferenceClamp, ActiveNeuronShiftsCountTarget) {
  NetworkModel big = test::count_network(4, 2, 0.3);
  big.clamps = {{0, 1}};
  const NetworkModel small = test::count_network(3, 1, 0.3);
  EXPECT_NEAR(reference::solve(big, tight()).gain, reference::solve(small, tight()).gain, 1e-11);
}

// The maze through both solvers, and the prior loop's monotone gain on it.
TEST(ReferenceMaze, ValueAndPolicyIterationAgreeAndGainIncreases) {
  const Maze maze = Maze::parse({"S..#", ".#..", "...R"}, 0.05);
  const SolveResult vi = reference::solve(maze.mdp(), 0.13, tight(Method::value_iteration));
  const SolveResult pi = reference::solve(maze.mdp(), 0.13, tight(Method::policy_iteration));
  ASSERT_TRUE(vi.converged && pi.converged);
  EXPECT_NEAR(vi.gain, pi.gain, 1e-10);
  for (int a = 0; a < 4; ++a) EXPECT_NEAR(vi.prior[a], pi.prior[a], 1e-9);
  for (std::size_t s = 0; s < vi.values.size(); ++s) EXPECT_NEAR(vi.values[s], pi.values[s], 1e-8);
  for (std::size_t k = 1; k < vi.gain_history.size(); ++k) EXPECT_GE(vi.gain_history[k], vi.gain_history[k - 1] - 1e-10);
  double sum = 0.0;
  for (double p : vi.prior) sum += p;
  EXPECT_NEAR(sum, 1.0, test::rounding(4500));
}

}  // namespace
}  // namespace netrl
