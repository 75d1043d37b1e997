// The stationary distribution of an input-free network in closed form (ExactEngine::
// gibbs_stationary): the greedy policy of any h is the random-scan Gibbs sampler of
// mu(b) ~ exp(h(b) / (nf lambda)) prod_i p_i^b_i (1 - p_i)^(1 - b_i), so that distribution must
// be a fixed point of the engine's own chain (its adjoint matvec and its power-iteration step),
// equal the formula evaluated here from the engine's h, leave inactive problems alone and report
// non-finite values; engines with an input have no closed form. On every backend built.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine_support.hpp"
#include "netrl/core/error.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using kernels::Mask;
using kernels::MuStats;

class GibbsStationary : public test::BackendTest {};

/// An engine of two problems without input (nf free neurons) with random rewards, per-neuron
/// priors and lambdas, h after `steps` value steps from 0, and a random mu; the parameters kept.
template <class Real>
struct Case {
  std::unique_ptr<kernels::ExactEngine<Real>> engine;
  std::vector<double> prior, lambda;
  int nf = 0;
  std::size_t states = 0;

  Case(int nf_, int steps, std::uint64_t seed, bool table = false) : nf(nf_) {
    kernels::EngineShape shape;
    shape.nf = nf;
    shape.m = 1;
    shape.batch = 2;
    shape.policy_table = table && test::kBackend == Backend::host;
    engine = test::exact_engine<Real>(shape);
    states = shape.states();
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Real> reward(2 * states);
    for (Real& r : reward) r = static_cast<Real>(2.0 * u(rng));
    prior.resize(2 * static_cast<std::size_t>(nf));
    for (double& p : prior) p = 0.05 + 0.9 * u(rng);
    lambda = {0.05 + 0.3 * u(rng), 0.05 + 0.3 * u(rng)};
    engine->set_rewards(reward);
    engine->set_lambdas(lambda);
    engine->set_priors(prior);
    const Mask all{1, 1};
    engine->reset_values(all);
    std::vector<kernels::SpanStats> stats;
    for (int k = 0; k < steps; ++k) {
      engine->value_step(all, &stats);
      engine->accept_values(all);
    }
    std::vector<double> mu(2 * states);
    for (double& x : mu) x = u(rng);
    engine->set_stationary(all, mu.data());
    engine->prepare_policy(all);
  }

  /// The closed form from the engine's h (float64), normalised.
  std::vector<double> formula(int q) const {
    std::vector<double> h;
    engine->download_values(q, &h);
    std::vector<double> w(states);
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t b = 0; b < states; ++b) {
      double lw = h[b] / (nf * lambda[static_cast<std::size_t>(q)]);
      for (int i = 0; i < nf; ++i) {
        const double p = prior[static_cast<std::size_t>(q * nf + i)];
        lw += ((b >> i) & 1u) != 0u ? std::log(p) : std::log1p(-p);
      }
      top = std::max(top, w[b] = lw);
    }
    double mass = 0.0;
    for (double& x : w) mass += (x = std::exp(x - top));
    for (double& x : w) x /= mass;
    return w;
  }
};

/// Problem q (of two) alone through gibbs_stationary: the other keeps its mu, q's equals the
/// formula and is a fixed point of the engine's chain, while the other's random start is not.
template <class Real>
void expect_closed_form_is_stationary(int nf, int steps, bool table, int q) {
  Case<Real> c(nf, steps, 11 + static_cast<std::uint64_t>(nf), table);
  kernels::ExactEngine<Real>& e = *c.engine;
  ASSERT_TRUE(e.has_gibbs_stationary());
  const int other = 1 - q;
  const auto Q = static_cast<std::size_t>(q), O = static_cast<std::size_t>(other);
  std::vector<double> other_before;
  e.download_stationary(other, &other_before);
  Mask active{0, 0}, inactive{0, 0};
  active[Q] = 1;
  inactive[O] = 1;
  std::vector<MuStats> stats;
  e.gibbs_stationary(active, &stats);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[Q].nonfinite, 0u);
  EXPECT_GE(stats[Q].mass, 1.0);  // the largest entry is 1
  const double gibbs_mass = stats[Q].mass;
  e.accept_stationary(active);
  std::vector<double> mu, other_after;
  e.download_stationary(q, &mu);
  e.download_stationary(other, &other_after);
  EXPECT_EQ(other_after, other_before);  // the inactive problem kept its mu
  // Sums of S positive terms in different orders: rounding of about sqrt(S) ulps.
  const double sum_ulps = 64.0 + 4.0 * std::sqrt(static_cast<double>(c.states));
  double mass = 0.0;
  for (double x : mu) mass += x;
  EXPECT_NEAR(mass, gibbs_mass, test::tolerance<Real>(sum_ulps) * mass);
  for (double& x : mu) x /= mass;

  // The formula, evaluated here from the engine's h.
  const std::vector<double> want = c.formula(q);
  const double top = *std::max_element(want.begin(), want.end());
  const double tol = test::tolerance<Real>(64) * top;
  for (std::size_t b = 0; b < c.states; ++b) ASSERT_NEAR(mu[b], want[b], tol) << b;

  // A fixed point of the engine's own chain: mu P = mu, by the Krylov matvec and by a step of
  // the power iteration from the normalised mu, whose change is then rounding.
  const std::size_t S = c.states;
  std::vector<double> x(2 * S, 0.0), y(2 * S, 0.0);
  std::copy(mu.begin(), mu.end(), x.begin() + static_cast<std::ptrdiff_t>(Q * S));
  e.apply_chain(active, true, x.data(), y.data());
  for (std::size_t b = 0; b < S; ++b) ASSERT_NEAR(y[Q * S + b], mu[b], tol) << b;
  e.set_stationary(active, x.data());
  e.stationary_step(active, {1.0, 1.0}, &stats);
  EXPECT_NEAR(stats[Q].mass, 1.0, test::tolerance<Real>(sum_ulps));
  EXPECT_LT(stats[Q].change, test::tolerance<Real>(sum_ulps));
  // The same checks fail for a distribution that is not stationary: the other problem's random
  // start, normalised.
  double start_mass = 0.0;
  for (double s : other_before) start_mass += s;
  std::fill(x.begin(), x.end(), 0.0);
  for (std::size_t b = 0; b < S; ++b) x[O * S + b] = other_before[b] / start_mass;
  e.apply_chain(inactive, true, x.data(), y.data());
  double worst = 0.0;
  for (std::size_t b = 0; b < S; ++b) worst = std::max(worst, std::abs(y[O * S + b] - x[O * S + b]));
  EXPECT_GT(worst, 100.0 * tol);
}

TEST_F(GibbsStationary, IsTheChainsFixedPointFloat64) { expect_closed_form_is_stationary<double>(6, 4, false, 0); }

TEST_F(GibbsStationary, IsTheChainsFixedPointFloat32) { expect_closed_form_is_stationary<float>(6, 4, false, 1); }

TEST_F(GibbsStationary, IsTheChainsFixedPointOfTheSecondProblem) {
  expect_closed_form_is_stationary<double>(5, 3, false, 1);
}

/// States of one, two and three bytes (the prior's tables), and a run over several chunks.
TEST_F(GibbsStationary, IsTheChainsFixedPointOverSeveralBytes) {
  expect_closed_form_is_stationary<double>(8, 3, false, 0);
  expect_closed_form_is_stationary<double>(13, 3, false, 1);
  expect_closed_form_is_stationary<double>(16, 2, false, 0);
  expect_closed_form_is_stationary<double>(17, 2, false, 1);
}

TEST_F(GibbsStationary, IsTheChainsFixedPointWithThePolicyTable) {
  expect_closed_form_is_stationary<double>(7, 5, true, 0);
}

/// Values far apart (h / (nf lambda) spanning hundreds): the largest weight is 1, the smallest
/// underflow to 0 without overflow or NaN, as the formula says.
TEST_F(GibbsStationary, StaysFiniteWhenTheWeightsSpanHundredsOfDecades) {
  Case<double> c(5, 0, 3);
  std::vector<double> h(2 * c.states);
  for (std::size_t b = 0; b < c.states; ++b) h[b] = h[c.states + b] = 400.0 * static_cast<double>(b % 7);
  const Mask all{1, 1};
  c.engine->set_values(all, h.data());
  c.engine->prepare_policy(all);
  std::vector<MuStats> stats;
  c.engine->gibbs_stationary(all, &stats);
  c.engine->accept_stationary(all);
  std::vector<double> mu;
  c.engine->download_stationary(0, &mu);
  EXPECT_EQ(stats[0].nonfinite, 0u);
  const std::vector<double> want = c.formula(0);
  double mass = 0.0;
  for (double x : mu) mass += x;
  // Each weight is exp of a sum of size about 2400 / (nf lambda): rounding relative to that.
  const double size = 2400.0 / (5.0 * c.lambda[0]) + 5.0 * -std::log(0.05);
  for (std::size_t b = 0; b < c.states; ++b) EXPECT_NEAR(mu[b] / mass, want[b], test::rounding(16) * size) << b;
  EXPECT_EQ(*std::min_element(mu.begin(), mu.end()), 0.0);  // exp(-hundreds) is below the range
}

TEST_F(GibbsStationary, CountsNonFiniteValues) {
  Case<double> c(4, 0, 5);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> h(2 * c.states, 0.0);
  const Mask all{1, 1};
  std::vector<MuStats> stats;
  // NaN in problem 0, -inf in problem 1 (a weight of exp(-inf)), then +inf (every other weight 0).
  for (const double bad : {-inf, inf}) {
    h[3] = std::numeric_limits<double>::quiet_NaN();
    h[c.states + 6] = bad;
    c.engine->set_values(all, h.data());
    c.engine->gibbs_stationary(all, &stats);
    EXPECT_EQ(stats[0].nonfinite, 1u);
    EXPECT_GE(stats[1].nonfinite, 1u) << bad;
  }
  // None without them.
  h[3] = h[c.states + 6] = 0.0;
  c.engine->set_values(all, h.data());
  c.engine->gibbs_stationary(all, &stats);
  EXPECT_EQ(stats[0].nonfinite, 0u);
  EXPECT_EQ(stats[1].nonfinite, 0u);
}

TEST_F(GibbsStationary, EnginesWithAnInputHaveNone) {
  kernels::EngineShape shape;
  shape.nf = 3;
  shape.m = 2;
  shape.batch = 1;
  auto e = test::exact_engine<double>(shape);
  EXPECT_FALSE(e->has_gibbs_stationary());
  std::vector<MuStats> stats;
  EXPECT_THROW(e->gibbs_stationary(Mask{1}, &stats), BackendError);
}

}  // namespace
}  // namespace netrl
