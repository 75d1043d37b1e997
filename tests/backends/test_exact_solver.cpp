// The exact network solver against reference::solve (the oracle): n = 1..10, m = 1..3, random
// inputs and table rewards, clamps, both prior modes, float64 and float32; and policy iteration,
// its chain operators and its Krylov solves. Part of test_exact_kernels (test_exact_kernels.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine_support.hpp"
#include "exact_suite.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/exact_solver.hpp"
#include "solve/linear_solve.hpp"
#include "solve/reference.hpp"

namespace netrl {
namespace {

using namespace exact_suite;  // NOLINT(google-build-using-namespace): the suite's helpers

// ---------------------------------------------------------------------------------------------
// The solver against the reference.

TEST_F(NETRL_EXACT_SUITE, Count8ReproducesThePaperGain) {
  SolverOptions o;
  o.backend = kBackend;
  const SolveResult r = exact::solve(count8_model(), o);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.gain, 0.360547572141, 1e-11);
  EXPECT_EQ(r.states, 512u);
  EXPECT_EQ(r.method, "value_iteration");
  EXPECT_TRUE(r.note.empty()) << r.note;
}

/// Full prior loop, n = 1..5 (the reference is slow beyond), both precisions per case.
TEST_F(NETRL_EXACT_SUITE, MatchesReferenceWithPriorLoop) {
  struct Case {
    int n, m, mode, clamp;  // clamp: 0 none, 1 one neuron silent, 2 one neuron active
  };
  std::vector<Case> cases;
  for (int n = 1; n <= 4; ++n)
    for (int m = 1; m <= 3; ++m)
      for (int mode = 0; mode < 2; ++mode) cases.push_back({n, m, mode, 0});
  for (int n = 2; n <= 4; ++n)
    for (int clamp = 1; clamp <= 2; ++clamp) cases.push_back({n, 1 + (n + clamp) % 3, clamp - 1, clamp});
  cases.push_back({5, 1, 0, 0});
  cases.push_back({5, 2, 1, 1});
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " mode " +
                              to_string(model.prior_mode) + " clamp " + std::to_string(c.clamp);
    const SolveResult ref = reference::solve(model, tight(Backend::reference));
    ASSERT_TRUE(ref.converged) << label;
    for (Precision precision : {Precision::float64, Precision::float32}) {
      const SolveResult got = exact::solve(model, tight(kBackend, precision));
      expect_matches(got, ref, precision, label + " " + to_string(precision));
      // The accelerated prior loop takes far fewer outer iterations than the plain one.
      if (precision == Precision::float64) {
        EXPECT_LE(got.outer_iterations, std::max<std::int64_t>(ref.outer_iterations, 40)) << label;
      }
    }
  }
}

/// One outer iteration (the inner solve at a fixed prior) from a random prior, n = 6..10 (no full loop: the reference is
/// slow there), with silent and active clamps.
TEST_F(NETRL_EXACT_SUITE, MatchesReferenceAtFixedPrior) {
  struct Case {
    int n, m, clamp, outer;
  };
  const std::vector<Case> cases{{6, 3, 0, 1}, {7, 2, 2, 1}, {8, 3, 1, 1}, {9, 2, 0, 1}, {10, 1, 1, 1}};
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, 7, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.n % 2 ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    std::mt19937_64 rng(seed);
    SolverOptions ref_opt = tight(Backend::reference);
    ref_opt.max_outer_iterations = c.outer;
    ref_opt.p0 = std::uniform_real_distribution<double>(0.1, 0.9)(rng);
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " clamp " +
                              std::to_string(c.clamp) + " outer " + std::to_string(c.outer);
    const SolveResult ref = reference::solve(model, ref_opt);
    for (Precision precision : {Precision::float64, Precision::float32}) {
      SolverOptions o = tight(kBackend, precision);
      o.max_outer_iterations = c.outer;
      o.p0 = ref_opt.p0;
      const SolveResult got = exact::solve(model, o);
      expect_matches(got, ref, precision, label + " " + to_string(precision));
      EXPECT_EQ(got.outer_iterations, ref.outer_iterations) << label;
      EXPECT_EQ(got.note, ref.note) << label;
      if (precision == Precision::float64) {
        EXPECT_EQ(got.inner_iterations, ref.inner_iterations) << label;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, AcceleratesASlowPriorLoopToTheSameFixedPoint) {
  // A population prior at lambda = 0.1 whose plain loop crawls (hundreds of outer iterations).
  std::mt19937_64 rng(3);
  const NetworkModel model = test::random_network(3, 2, PriorMode::population, rng, 0.1);
  const SolveResult ref = reference::solve(model, tight(Backend::reference));
  ASSERT_TRUE(ref.converged);
  EXPECT_GT(ref.outer_iterations, 400);
  const SolveResult got = exact::solve(model, tight(kBackend));
  expect_matches(got, ref, Precision::float64, "slow prior loop");
  EXPECT_LT(got.outer_iterations * 5, ref.outer_iterations);
  // The gain does not decrease along the accepted path: the last is the best seen (up to the
  // loose tolerances of the early outer iterations).
  EXPECT_GE(got.gain + 1e-6, *std::max_element(got.gain_history.begin(), got.gain_history.end()));
}

TEST_F(NETRL_EXACT_SUITE, PeriodicInputMatchesReference) {
  // x alternates deterministically: the joint chain is periodic, mu needs the lazy power step.
  for (int mode = 0; mode < 2; ++mode) {
    NetworkModel model = random_model(4, 2, mode ? PriorMode::neuron : PriorMode::population, 99 + mode);
    model.input.T = {0.0, 1.0, 1.0, 0.0};
    // Plain value iteration does not converge on a periodic chain: the reference's policy
    // iteration (exact evaluations) finds the same fixed point.
    const SolveResult ref = reference::solve(model, tight(Backend::reference));
    EXPECT_FALSE(ref.converged);
    SolverOptions pi = tight(Backend::reference);
    pi.method = Method::policy_iteration;
    const SolveResult ref_pi = reference::solve(model, pi);
    ASSERT_TRUE(ref_pi.converged);
    const SolveResult got = exact::solve(model, tight(kBackend));
    expect_matches(got, ref_pi, Precision::float64, "periodic input");
  }
}

TEST_F(NETRL_EXACT_SUITE, StopsLikeReferenceWhenInnerSolveIsCut) {
  const NetworkModel model = random_model(5, 2, PriorMode::population, 1234);
  SolverOptions o = tight(Backend::reference);
  o.max_iterations = 4;
  const SolveResult ref = reference::solve(model, o);
  o.backend = kBackend;
  const SolveResult got = exact::solve(model, o);
  EXPECT_FALSE(ref.converged);
  expect_matches(got, ref, Precision::float64, "inner solve cut at 4 sweeps");
  EXPECT_EQ(got.note, ref.note);
  EXPECT_EQ(got.inner_iterations, 4);
}

TEST_F(NETRL_EXACT_SUITE, SilentClampEqualsNetworkWithoutTheNeuron) {
  // Clamping neuron 1 silent in a 4-neuron network is the 3-neuron network on neurons {0, 2, 3}.
  const int n = 4, m = 2;
  NetworkModel big = random_model(n, m, PriorMode::neuron, 77);
  big.clamps.push_back({1, -1});
  NetworkModel small = big;
  small.n = n - 1;
  small.clamps.clear();
  std::vector<double> r;
  for (int x = 0; x < m; ++x)
    for (unsigned c = 0; c < 8; ++c) {
      const unsigned b = (c & 1u) | ((c >> 1) << 2);  // insert a silent bit 1
      r.push_back(big.reward.values[static_cast<std::size_t>(x) * 16 + b]);
    }
  small.reward = RewardSpec::table(r);
  const SolveResult a = exact::solve(big, tight(kBackend));
  const SolveResult b = exact::solve(small, tight(kBackend));
  EXPECT_NEAR(a.gain, b.gain, agreement<double>());
  EXPECT_TRUE(std::isnan(a.prior[1]));
  EXPECT_NEAR(a.prior[0], b.prior[0], agreement<double>());
  EXPECT_NEAR(a.prior[2], b.prior[1], agreement<double>());
  EXPECT_NEAR(a.prior[3], b.prior[2], agreement<double>());
  EXPECT_EQ(a.states, b.states);
}

// ---------------------------------------------------------------------------------------------
// Policy iteration: the chain operators of the engine, Krylov solves, and the solver.

/// The greedy policy rho_i(b, x) of a result's values and prior (MODEL.md sec. 2), one entry
/// per free neuron and consistent state, in state-major order.
std::vector<double> policy_table(const NetworkModel& model, const SolveResult& r) {
  const int m = model.m();
  const std::uint64_t nb = model.num_network_states();
  const std::vector<int> free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * model.lambda;
  auto w = [&](std::uint64_t b, int x) {
    double sum = 0.0;
    for (int y = 0; y < m; ++y) sum += model.input(x, y) * r.values[static_cast<std::uint64_t>(y) * nb + b];
    return sum;
  };
  std::vector<double> rho;
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      for (int i : free) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        const double p = r.prior[static_cast<std::size_t>(i)];
        const double z = (w(b | bit, x) - w(b & ~bit, x)) / temperature + std::log(p / (1.0 - p));
        rho.push_back(1.0 / (1.0 + std::exp(-z)));
      }
    }
  return rho;
}

/// An engine of kBackend over one unclamped network (float64), with its reference problem: the
/// greedy policy of random values at random priors.
struct ChainCase {
  NetworkModel model;
  reference::SoftProblem pb;
  reference::Greedy greedy;
  reference::SparseMatrix P;
  std::unique_ptr<kernels::ExactEngine<double>> engine;
};

ChainCase chain_case(int n, int m, std::uint64_t seed) {
  ChainCase c;
  std::mt19937_64 rng(seed);
  c.model = random_model(n, m, PriorMode::neuron, seed);
  std::vector<std::uint64_t> states;
  c.pb = reference::make_problem(c.model, &states);
  const auto N = static_cast<std::size_t>(c.pb.num_states);
  std::uniform_real_distribution<double> u(-1.0, 1.0), up(0.1, 0.9);
  std::vector<double> h(N), prior(static_cast<std::size_t>(n));
  for (double& x : h) x = u(rng);
  for (double& p : prior) p = up(rng);
  Eigen::MatrixXd pr(n, 2);
  for (int i = 0; i < n; ++i) {
    pr(i, 0) = 1.0 - prior[static_cast<std::size_t>(i)];
    pr(i, 1) = prior[static_cast<std::size_t>(i)];
  }
  c.greedy = reference::greedy(c.pb, Eigen::Map<const Eigen::VectorXd>(h.data(), c.pb.num_states), pr);
  c.P = reference::chain(c.pb, c.greedy);
  kernels::EngineShape shape;
  shape.nf = n;
  shape.m = m;
  c.engine = test::exact_engine<double>(shape);
  std::vector<double> reward(c.pb.reward.data(), c.pb.reward.data() + c.pb.num_states);
  c.engine->set_rewards(reward);
  c.engine->set_inputs(c.model.input.T, {1.0});
  c.engine->set_lambdas({c.model.lambda});
  c.engine->set_priors(prior);
  const kernels::Mask one(1, 1);
  c.engine->set_values(one, h.data());
  c.engine->prepare_policy(one);
  return c;
}

linear::LinearOperator engine_operator(kernels::ExactEngine<double>* engine, bool adjoint) {
  return [engine, adjoint](const std::vector<double>& x, std::vector<double>& y) {
    engine->apply_chain(kernels::Mask(1, 1), adjoint, x.data(), y.data());
  };
}

TEST_F(NETRL_EXACT_SUITE, ChainOperatorsMatchTheReferenceChain) {
  for (int n = 1; n <= 6; ++n) {
    for (int m = 1; m <= 3; ++m) {
      ChainCase c = chain_case(n, m, case_seed(n, m, 11, 0));
      const auto N = static_cast<std::size_t>(c.pb.num_states);
      std::mt19937_64 rng(case_seed(n, m, 12, 0));
      std::uniform_real_distribution<double> u(-1.0, 1.0);
      std::vector<double> x(N), y(N), yt(N), g(N);
      for (double& e : x) e = u(rng);
      const Eigen::Map<const Eigen::VectorXd> X(x.data(), c.pb.num_states);
      const Eigen::VectorXd want = c.P * X, want_t = c.P.transpose() * X;
      const Eigen::VectorXd want_g = c.pb.reward - c.pb.lambda * c.greedy.cost;
      const kernels::Mask one(1, 1);
      c.engine->apply_chain(one, false, x.data(), y.data());
      c.engine->apply_chain(one, true, x.data(), yt.data());
      c.engine->policy_reward(one, g.data());
      const double tol = agreement<double>();
      for (std::size_t s = 0; s < N; ++s) {
        const auto k = static_cast<Eigen::Index>(s);
        ASSERT_NEAR(y[s], want(k), tol) << "P x, n " << n << " m " << m << " state " << s;
        ASSERT_NEAR(yt[s], want_t(k), tol) << "x P, n " << n << " m " << m << " state " << s;
        ASSERT_NEAR(g[s], want_g(k), tol) << "r - lambda c, n " << n << " m " << m << " state " << s;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, KrylovEvaluationMatchesDenseSolve) {
  struct Case {
    int n, m;
  };
  for (const Case& k : {Case{2, 3}, Case{4, 3}, Case{7, 2}, Case{10, 1}}) {
    ChainCase c = chain_case(k.n, k.m, case_seed(k.n, k.m, 13, 0));
    const auto N = static_cast<std::size_t>(c.pb.num_states);
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> P = Eigen::MatrixXd(c.P);
    const Eigen::VectorXd g = c.pb.reward - c.pb.lambda * c.greedy.cost;
    const linear::DenseSolution dense = linear::solve_dense(P.data(), g.data(), c.pb.num_states);
    linear::KrylovOptions opt;
    std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v, gk(N);
    const auto rep_mu = linear::stationary_krylov(engine_operator(c.engine.get(), true), mu, opt);
    c.engine->policy_reward(kernels::Mask(1, 1), gk.data());
    double gain = 0.0;
    const auto rep_v = linear::evaluate_krylov(engine_operator(c.engine.get(), false), gk, mu, v, &gain, opt);
    const std::string label = "n " + std::to_string(k.n) + " m " + std::to_string(k.m);
    EXPECT_LE(rep_mu.relative_residual, opt.relative_tolerance) << label;
    EXPECT_LE(rep_v.relative_residual, opt.relative_tolerance) << label;
    EXPECT_NEAR(gain, dense.gain, agreement<double>()) << label;
    expect_close(mu, dense.stationary, agreement<double>(), 1.0, label + " stationary");
    expect_close(v, dense.values, agreement<double>(), std::max(1.0, max_abs(dense.values)), label + " values");
  }
}

/// A count-reward network (r = 1 iff K = n/4, m = 1, lambda 0.1) after a few value-iteration
/// sweeps from 0 at prior 0.3: the greedy policy of those values.
std::unique_ptr<kernels::ExactEngine<double>> count_engine(int n) {
  kernels::EngineShape shape;
  shape.nf = n;
  auto engine = test::exact_engine<double>(shape);
  std::vector<double> reward(shape.states());
  for (std::uint64_t b = 0; b < reward.size(); ++b) reward[b] = popcount64(b) == n / 4 ? 1.0 : 0.0;
  engine->set_rewards(reward);
  engine->set_lambdas({0.1});
  engine->set_priors(std::vector<double>(static_cast<std::size_t>(n), 0.3));
  const kernels::Mask one(1, 1);
  engine->reset_values(one);
  std::vector<kernels::SpanStats> stats;
  for (int k = 0; k < 5; ++k) {
    engine->value_step(one, &stats);
    engine->accept_values(one);
  }
  engine->prepare_policy(one);
  return engine;
}

TEST_F(NETRL_EXACT_SUITE, KrylovEvaluationReachesTightResidualAtLargeN) {
  // The acceptance case of policy iteration's Krylov evaluation: n = 20, m = 1 (about 5 s on
  // two cores; bench_policy's BM_KrylovEvaluation/20 times it).
  const int n = 20;
  auto engine = count_engine(n);
  const std::size_t N = std::size_t{1} << n;
  linear::KrylovOptions opt;
  opt.relative_tolerance = 1e-10;
  std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v, g(N), pv(N);
  linear::stationary_krylov(engine_operator(engine.get(), true), mu, opt);
  engine->policy_reward(kernels::Mask(1, 1), g.data());
  double gain = 0.0;
  const auto rep = linear::evaluate_krylov(engine_operator(engine.get(), false), g, mu, v, &gain, opt);
  EXPECT_LE(rep.relative_residual, 1e-10);
  // The residual of the unnormalised equation (I - P) v + L = g, recomputed here.
  engine->apply_chain(kernels::Mask(1, 1), false, v.data(), pv.data());
  double r2 = 0.0, b2 = 0.0;
  for (std::size_t s = 0; s < N; ++s) {
    const double r = v[s] - pv[s] + gain - g[s];
    r2 += r * r;
    b2 += (g[s] - gain) * (g[s] - gain);
  }
  EXPECT_LE(std::sqrt(r2 / b2), 1e-10);
  EXPECT_GT(gain, 0.0);
}

TEST_F(NETRL_EXACT_SUITE, KrylovNonConvergenceIsAnError) {
  ChainCase c = chain_case(6, 2, 4321);
  linear::KrylovOptions opt;
  opt.max_matvecs = 3;
  opt.restart = 2;
  const auto N = static_cast<std::size_t>(c.pb.num_states);
  std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v;
  EXPECT_THROW(linear::stationary_krylov(engine_operator(c.engine.get(), true), mu, opt), NumericalError);
  std::vector<double> g(N, 0.0);
  g[0] = 1.0;
  mu.assign(N, 1.0 / static_cast<double>(N));
  double gain = 0.0;
  try {
    linear::evaluate_krylov(engine_operator(c.engine.get(), false), g, mu, v, &gain, opt);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("did not converge"), std::string::npos) << e.what();
  }
}

/// Policy iteration against value iteration on the same backend, full prior loop: n = 1..8,
/// m = 1..3, both prior modes, and silent/active clamps.
TEST_F(NETRL_EXACT_SUITE, PolicyIterationMatchesValueIteration) {
  struct Case {
    int n, m, mode, clamp;
  };
  std::vector<Case> cases;
  for (int n = 1; n <= 8; ++n)
    for (int m = 1; m <= 3; ++m)
      for (int mode = 0; mode < 2; ++mode) cases.push_back({n, m, mode, 0});
  for (int n = 2; n <= 8; n += 3)
    for (int clamp = 1; clamp <= 2; ++clamp) cases.push_back({n, 1 + (n + clamp) % 3, clamp - 1, clamp});
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode + 20, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " mode " +
                              to_string(model.prior_mode) + " clamp " + std::to_string(c.clamp);
    SCOPED_TRACE(label);
    const SolveResult vi = exact::solve(model, tight(kBackend));
    const SolveResult pi = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
    ASSERT_TRUE(vi.converged) << vi.note;
    ASSERT_TRUE(pi.converged) << pi.note;
    EXPECT_EQ(pi.method, "policy_iteration");
    EXPECT_NEAR(pi.gain, vi.gain, 1e-10);
    expect_close(pi.prior, vi.prior, 1e-8, 1.0, "prior");
    expect_close(policy_table(model, pi), policy_table(model, vi), 1e-8, 1.0, "policy");
    expect_close(pi.stationary, vi.stationary, 1e-8, 1.0, "stationary");
    EXPECT_EQ(pi.degenerate, vi.degenerate);
    EXPECT_GT(pi.matvecs, 0);
    EXPECT_LE(pi.krylov_residual, 1e-10);
    // Exact evaluations: far fewer inner iterations than value iteration's sweeps.
    EXPECT_LE(pi.inner_iterations, vi.inner_iterations);
  }
}

/// Policy iteration against the reference backend's policy iteration, full prior loop.
TEST_F(NETRL_EXACT_SUITE, PolicyIterationMatchesReference) {
  struct Case {
    int n, m, mode, clamp;
  };
  const std::vector<Case> cases{{1, 2, 0, 0}, {2, 1, 1, 0}, {3, 3, 0, 0}, {4, 2, 1, 0},
                                {4, 1, 0, 1}, {5, 2, 1, 2}, {5, 3, 0, 0}};
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode + 30, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " clamp " +
                              std::to_string(c.clamp);
    const SolveResult ref = reference::solve(model, with_method(tight(Backend::reference), Method::policy_iteration));
    ASSERT_TRUE(ref.converged) << label;
    const SolveResult got = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
    expect_matches(got, ref, Precision::float64, label);
    EXPECT_EQ(got.method, "policy_iteration");
  }
}

TEST_F(NETRL_EXACT_SUITE, PolicyIterationAtFixedPriorCountsImprovementsLikeReference) {
  // One outer iteration from a random prior: the same sequence of greedy policies as the
  // reference's policy iteration (both from h = 0), so the same number of improvements.
  for (int n : {6, 8}) {
    const std::uint64_t seed = case_seed(n, 2, 40, 0);
    const NetworkModel model = random_model(n, 2, PriorMode::neuron, seed);
    SolverOptions o = with_method(tight(Backend::reference), Method::policy_iteration);
    o.max_outer_iterations = 1;
    o.p0 = 0.35;
    const SolveResult ref = reference::solve(model, o);
    o.backend = kBackend;
    const SolveResult got = exact::solve(model, o);
    expect_matches(got, ref, Precision::float64, "n " + std::to_string(n));
    EXPECT_EQ(got.inner_iterations, ref.inner_iterations) << n;
    EXPECT_EQ(got.note, ref.note) << n;
  }
}

TEST_F(NETRL_EXACT_SUITE, PolicyIterationReproducesCount8AndPeriodicInput) {
  SolverOptions o;
  o.backend = kBackend;
  o.method = Method::policy_iteration;
  const SolveResult r = exact::solve(count8_model(), o);
  EXPECT_TRUE(r.converged) << r.note;
  EXPECT_NEAR(r.gain, 0.360547572141, 1e-11);
  // A periodic input (x alternates): the Krylov solves need no aperiodicity transform.
  NetworkModel model = random_model(4, 2, PriorMode::neuron, 99);
  model.input.T = {0.0, 1.0, 1.0, 0.0};
  const SolveResult ref = reference::solve(model, with_method(tight(Backend::reference), Method::policy_iteration));
  ASSERT_TRUE(ref.converged);
  const SolveResult got = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
  expect_matches(got, ref, Precision::float64, "periodic input");
}

}  // namespace
}  // namespace netrl
