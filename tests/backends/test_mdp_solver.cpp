// The general-MDP solver on the batched kernels (solve/mdp_solver.hpp) against the reference
// backend (the oracle): random sparse MDPs from 10 to 10^4 states with both methods, the maze at
// the paper's two lambdas, lambda batches, float32, periodic chains, a greedy policy that is not
// unichain, and the option checks. Built twice like test_exact_kernels: test_mdp_solver (host)
// and, with CUDA, test_mdp_solver_cuda.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/maze.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/policy.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using test::kBackend;
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_MDP_SUITE MdpSolverCuda
#else
#define NETRL_MDP_SUITE MdpSolver
#endif

class NETRL_MDP_SUITE : public test::BackendTest {};

/// Tight tolerances: both solvers then sit much closer to the fixed point than the comparison.
SolverOptions tight(Backend backend, Method method, Precision precision = Precision::float64) {
  SolverOptions o;
  o.backend = backend;
  o.method = method;
  o.precision = precision;
  o.tol = 1e-12;
  o.prior_tol = 1e-12;
  return o;
}

/// The acceptance of issue 16: gain, prior and values (both normalised to sum mu v = 0) to 1e-9;
/// also the stationary distribution and the means. Values are compared relative to their scale.
void expect_matches(const SolveResult& got, const SolveResult& ref, double tol, const std::string& label) {
  SCOPED_TRACE(label);
  EXPECT_TRUE(got.converged) << got.note;
  EXPECT_EQ(got.converged, ref.converged);
  ASSERT_EQ(got.values.size(), ref.values.size());
  ASSERT_EQ(got.prior.size(), ref.prior.size());
  EXPECT_NEAR(got.gain, ref.gain, tol);
  EXPECT_NEAR(got.mean_reward, ref.mean_reward, tol);
  EXPECT_NEAR(got.mean_coding_cost, ref.mean_coding_cost, tol / 0.01);
  for (std::size_t a = 0; a < ref.prior.size(); ++a) EXPECT_NEAR(got.prior[a], ref.prior[a], tol) << "prior " << a;
  double scale = 1.0, worst_v = 0.0, worst_mu = 0.0;
  for (double v : ref.values) scale = std::max(scale, std::abs(v));
  for (std::size_t s = 0; s < ref.values.size(); ++s) {
    worst_v = std::max(worst_v, std::abs(got.values[s] - ref.values[s]));
    worst_mu = std::max(worst_mu, std::abs(got.stationary[s] - ref.stationary[s]));
  }
  EXPECT_LE(worst_v, tol * scale);
  EXPECT_LE(worst_mu, tol);
  EXPECT_EQ(got.degenerate, ref.degenerate);
  EXPECT_LE(got.gain_lo, got.gain + 1e-9);
  EXPECT_GE(got.gain_hi, got.gain - 1e-9);
  EXPECT_EQ(got.backend, to_string(kBackend));
}

/// A random MDP whose reference LU stays sparse at 10^4 states and whose chains still mix in a
/// few steps: random_sparse_mdp with three successors per row, whose two random successors are
/// replaced, outside the first `hubs` states, by one of the hubs and by s + 2 (weights and rewards
/// as drawn there). The hubs make the chain mix fast, and eliminating the ring first leaves
/// fill-in only among them (random successors everywhere fill the LU factors in at this size).
Mdp hub_mdp(int states, int actions, int hubs, std::uint64_t seed) {
  Mdp mdp = random_sparse_mdp(states, actions, 3, seed);
  std::mt19937_64 rng(seed);
  for (int s = hubs; s < states; ++s) {
    for (int a = 0; a < actions; ++a) {
      int* next = &mdp.next_state[static_cast<std::size_t>(mdp.row_ptr[static_cast<std::size_t>(mdp.row(s, a))])];
      // next[0] = s + 1 (mod S); a hub other than it, then s + 2 or s + 3 (mod S), all distinct.
      do next[1] = static_cast<int>(rng() % static_cast<std::uint64_t>(hubs));
      while (next[1] == next[0]);
      next[2] = (s + 2) % states == next[1] ? (s + 3) % states : (s + 2) % states;
    }
  }
  mdp.validate();
  return mdp;
}

// Random sparse MDPs of 10 to 10^4 states (two to four actions, three or four successors per
// row): both methods agree with the reference to 1e-9 in gain, prior and values. At 10 .. 256
// states the solver's stationary distributions and evaluations are dense LU solves, above that
// power iterations, evaluation sweeps and GMRES.
//
// Up to 300 states the reference solves from the uniform prior, as the solver does. Its plain
// prior loop takes tens of outer iterations of LU solves (2 minutes at 10^3 states), so from 10^3
// states on it starts at policy iteration's prior instead and must confirm it as its own fixed
// point within two outer iterations, computing the values, gain and stationary distribution
// itself; both methods are then compared with that.
// At 10^4 states the MDP has hub_mdp's structure, whose LU factors stay sparse.
TEST_F(NETRL_MDP_SUITE, RandomSparseMdpsMatchReference) {
  struct Case {
    int states, actions, successors;
    double lambda;
    int hubs;  // 0: random_sparse_mdp; else hub_mdp
  };
  const std::vector<Case> cases{{10, 2, 3, 0.2, 0},  {100, 3, 4, 0.1, 0},       {300, 4, 4, 0.05, 0},
                                {1000, 3, 3, 0.1, 0}, {10000, 3, 3, 0.1, 32}};
  std::uint64_t seed = 100;
  for (const Case& c : cases) {
    ++seed;
    const Mdp mdp = c.hubs > 0 ? hub_mdp(c.states, c.actions, c.hubs, seed)
                               : random_sparse_mdp(c.states, c.actions, c.successors, seed);
    const SolveResult vi = solve(mdp, c.lambda, tight(kBackend, Method::value_iteration));
    const SolveResult pi = solve(mdp, c.lambda, tight(kBackend, Method::policy_iteration));
    const SolverOptions ref_options = tight(Backend::reference, Method::policy_iteration);
    SolveResult ref;
    if (c.states <= 300) {
      ref = reference::solve(mdp, c.lambda, ref_options);
    } else {
      const Eigen::MatrixXd start = Eigen::Map<const Eigen::MatrixXd>(pi.prior.data(), 1, mdp.num_actions);
      ref = reference::solve(reference::make_problem(mdp, c.lambda), start, ref_options);
      EXPECT_LE(ref.outer_iterations, 2) << c.states << " states: the solver's prior is not the reference's fixed point";
    }
    ASSERT_TRUE(ref.converged);
    expect_matches(vi, ref, 1e-9, std::to_string(c.states) + " states, value iteration");
    expect_matches(pi, ref, 1e-9, std::to_string(c.states) + " states, policy iteration");
  }
}

// The paper's maze (the built-in map) at lambda 0.013 and 0.13, the maze of `netrl solve
// --scenario maze` / maze-high: the host default reaches the reference's fixed point.
TEST_F(NETRL_MDP_SUITE, MazeAtBothLambdasMatchesReference) {
  for (const char* name : {"maze", "maze-high"}) {
    const Problem p = scenario(name);
    const Mdp mdp = p.maze.mdp();
    const SolveResult ref = reference::solve(mdp, p.maze_lambda, tight(Backend::reference, Method::policy_iteration));
    ASSERT_TRUE(ref.converged);
    for (Method method : {Method::value_iteration, Method::policy_iteration}) {
      expect_matches(solve(p.maze, p.maze_lambda, tight(kBackend, method)), ref, 1e-9,
                     std::string(name) + ", " + to_string(method));
    }
  }
}

TEST_F(NETRL_MDP_SUITE, LargeLambdaDriftTowardTheClipTakesFewRounds) {
  // At lambda 10 the priors of the two actions no state wants fall toward the clip by about
  // 0.3 / lambda in log p per plain round: the reference's plain loop takes 1390 rounds to 1e-12.
  // Over-relaxed steps cross the drift in tens of rounds (147 in all with the contracting tail; a
  // plain host loop took as many as the reference), to the same fixed point.
  const Maze maze = Maze::parse({"S....", "..#..", "....R"}, 0.05);
  const Mdp mdp = maze.mdp();
  const SolveResult ref = reference::solve(mdp, 10.0, tight(Backend::reference, Method::policy_iteration));
  ASSERT_TRUE(ref.converged);
  ASSERT_GT(ref.outer_iterations, 1000);
  for (Method method : {Method::value_iteration, Method::policy_iteration}) {
    const SolveResult got = solve(maze, 10.0, tight(kBackend, method));
    expect_matches(got, ref, 1e-9, to_string(method));
    EXPECT_LT(got.outer_iterations, ref.outer_iterations / 5) << to_string(method);  // 147 of 1390
  }
}

TEST_F(NETRL_MDP_SUITE, TinyLambdaGivesTheDeterministicLimitWithANote) {
  // At lambda 1e-16 the exponents q / lambda carry rounding errors of order 1 (4 eps max|v| /
  // lambda): the prior loop's rounding floor exceeded every residual and the first prior (1/4 per
  // action) was reported converged; the policy's rows were exp(z - (zmax + log sum)) with zmax
  // near 1e16, where the log sum is lost: rows summed to up to 4. Now the prior is that of the
  // (already deterministic) policy at lambda 1e-10, the rows sum to 1, and a note says that ties
  // are decided by rounding.
  const Maze maze = Maze::parse({"S...", "...R"}, 0.05);
  const SolveResult limit = solve(maze, 1e-10, tight(kBackend, Method::value_iteration));
  const SolveResult got = solve(maze, 1e-16, tight(kBackend, Method::value_iteration));
  ASSERT_TRUE(got.converged) << got.note;
  EXPECT_NE(got.note.find("decided by rounding"), std::string::npos) << got.note;
  EXPECT_TRUE(limit.note.empty()) << limit.note;
  for (std::size_t a = 0; a < 4; ++a) EXPECT_NEAR(got.prior[a], limit.prior[a], 1e-6) << a;
  EXPECT_NEAR(got.mean_reward, limit.mean_reward, 1e-9);
  const std::vector<double> pi = maze_policy(maze, 1e-18, got);
  for (std::size_t s = 0; s < pi.size() / 4; ++s) {
    EXPECT_NEAR(pi[4 * s] + pi[4 * s + 1] + pi[4 * s + 2] + pi[4 * s + 3], 1.0, 1e-15) << "state " << s;
  }
}

TEST_F(NETRL_MDP_SUITE, MazeDefaultBackendIsHost) {
  if (kBackend != Backend::host) GTEST_SKIP() << "the default is the host backend";
  const Maze maze = Maze::parse({"S..", ".#.", "..R"}, 0.05);
  const SolveResult r = solve(maze, 0.2, SolverOptions{});
  EXPECT_EQ(r.backend, "host");
  EXPECT_TRUE(r.converged);
}

TEST_F(NETRL_MDP_SUITE, LambdaBatchEqualsSolvingEachAlone) {
  const Mdp mdp = random_sparse_mdp(400, 3, 4, 7);
  const std::vector<double> lambdas{0.5, 0.1, 0.02};
  for (Method method : {Method::value_iteration, Method::policy_iteration}) {
    const auto batch = solve_batch(mdp, lambdas, tight(kBackend, method));
    ASSERT_EQ(batch.size(), lambdas.size());
    for (std::size_t q = 0; q < lambdas.size(); ++q) {
      const SolveResult alone = solve(mdp, lambdas[q], tight(kBackend, method));
      expect_matches(batch[q], alone, 1e-10, "lambda " + std::to_string(lambdas[q]) + ", " + to_string(method));
      EXPECT_EQ(batch[q].outer_iterations, alone.outer_iterations);
    }
  }
}

TEST_F(NETRL_MDP_SUITE, Float32AgreesToItsPrecision) {
  const Mdp mdp = random_sparse_mdp(2000, 4, 4, 9);
  const SolveResult ref = solve(mdp, 0.1, tight(kBackend, Method::value_iteration));
  const SolveResult got = solve(mdp, 0.1, tight(kBackend, Method::value_iteration, Precision::float32));
  EXPECT_EQ(got.precision, "float32");
  // Tolerances below float32's rounding floor are raised to it; the answer is good to ~1e-5.
  // The prior loop stops at its rounding floor, a few ulp per term of a row and of the
  // log-sum-exp (2 (4 + 4) eps ~ 2e-6 per update); the prior map amplifies that by 1 / (1 - rho),
  // rho its contraction: 1e3 ulp.
  expect_matches(got, ref, test::tolerance<float>(1000), "float32");
  // Up to 256 states the final evaluation is one dense float64 LU of the float32 policy's chain,
  // whose rows sum to 1 only within float32 rounding: its float64 residual checks refused every
  // such solve ("the chain is not unichain") until the rows were scaled to sum 1.
  for (const Mdp& small : {random_sparse_mdp(200, 3, 4, 9), Maze::parse({"S...", "...R"}, 0.05).mdp()}) {
    const SolveResult small_ref = solve(small, 0.1, tight(kBackend, Method::value_iteration));
    expect_matches(solve(small, 0.1, tight(kBackend, Method::value_iteration, Precision::float32)), small_ref,
                   test::tolerance<float>(1000), "float32, " + std::to_string(small.num_states) + " states");
  }
}

// Six states in three phases (s mod 3); action 0 moves to s + 1, action 1 to s + 4 (mod 6): both
// advance the phase, so every policy's chain has period 3. Relative value iteration oscillates on
// it; the solver iterates (P + I) / 2 instead, with the same fixed point as the reference's policy
// iteration. Each phase is visited a third of the time whatever the policy.
TEST_F(NETRL_MDP_SUITE, PeriodicChainMatchesReference) {
  Mdp mdp;
  mdp.num_states = 6;
  mdp.num_actions = 2;
  for (int s = 0; s < 6; ++s) {
    for (int step : {1, 4}) {
      mdp.next_state.push_back((s + step) % 6);
      mdp.probability.push_back(1.0);
      mdp.row_ptr.push_back(static_cast<std::int64_t>(mdp.next_state.size()));
    }
  }
  // Rewards for which both actions keep an interior prior (about 0.66 / 0.34 at lambda 0.3): a
  // prior at the clip would leave states of stationary probability 0 whose values are
  // ill-conditioned at the 1e-9 level.
  mdp.reward = {1.0, 0.8, 0.3, 0.0, 0.2, 0.6};
  const SolveResult ref = reference::solve(mdp, 0.3, tight(Backend::reference, Method::policy_iteration));
  ASSERT_TRUE(ref.converged);
  for (Method method : {Method::value_iteration, Method::policy_iteration}) {
    const SolveResult got = solve(mdp, 0.3, tight(kBackend, method));
    expect_matches(got, ref, 1e-9, to_string(method));
    // An independent numpy computation (exact policy iteration inside the plain prior loop).
    EXPECT_NEAR(got.gain, 0.6526712925955614, 1e-9);
    EXPECT_NEAR(got.prior[0], 0.6582598172956634, 1e-9);
    for (int phase = 0; phase < 3; ++phase) {
      EXPECT_NEAR(got.stationary[static_cast<std::size_t>(phase)] + got.stationary[static_cast<std::size_t>(phase + 3)],
                  1.0 / 3.0, 1e-12);
    }
  }
}

// One action: no choice, no coding cost; the gain is the stationary mean reward of the chain.
TEST_F(NETRL_MDP_SUITE, SingleActionIsAMarkovChain) {
  const Mdp mdp = random_sparse_mdp(50, 1, 3, 4);
  const SolveResult ref = reference::solve(mdp, 0.7, tight(Backend::reference, Method::policy_iteration));
  const SolveResult got = solve(mdp, 0.7, tight(kBackend, Method::value_iteration));
  expect_matches(got, ref, 1e-9, "one action");
  EXPECT_EQ(got.prior, std::vector<double>{1.0});
  EXPECT_NEAR(got.mean_coding_cost, 0.0, 1e-15);
  EXPECT_NEAR(got.gain, got.mean_reward, 1e-15);
}

TEST_F(NETRL_MDP_SUITE, RowsSummingToOneWithinTheInputToleranceAreSolved) {
  // Input rows may sum to 1 within 1e-9 (Mdp::validate); the dense evaluation's float64 residual
  // checks refused such a chain ("not unichain") on the host, where the reference solves it.
  Mdp mdp;
  mdp.num_states = 2;
  mdp.num_actions = 2;
  mdp.row_ptr = {0, 2, 3, 5, 6};
  mdp.next_state = {0, 1, 0, 0, 1, 1};
  mdp.probability = {0.5, 0.5 + 9e-10, 1.0, 0.5, 0.5 - 9e-10, 1.0};
  mdp.reward = {0.0, 1.0};
  mdp.validate();
  const SolveResult ref = reference::solve(mdp, 0.1, tight(Backend::reference, Method::policy_iteration));
  for (Method method : {Method::value_iteration, Method::policy_iteration}) {
    // The chains differ by 9e-10 in a probability: so may the answers.
    expect_matches(solve(mdp, 0.1, tight(kBackend, method)), ref, 1e-8, to_string(method));
  }
}

// Two rewarding states, each with an action that stays (and earns) and an action that wanders
// through a zero-reward state to the other. At lambda = 1e-4 the greedy policy never wanders:
// its probability underflows to 0 and the chain splits into two closed classes. That must be an
// error, not an average over one of them.
TEST_F(NETRL_MDP_SUITE, GreedyPolicyThatIsNotUnichainIsAnError) {
  Mdp mdp;
  mdp.num_states = 3;
  mdp.num_actions = 2;
  const auto row = [&](std::vector<std::pair<int, double>> entries) {
    for (const auto& [t, p] : entries) {
      mdp.next_state.push_back(t);
      mdp.probability.push_back(p);
    }
    mdp.row_ptr.push_back(static_cast<std::int64_t>(mdp.next_state.size()));
  };
  row({{0, 1.0}});            // state 0, stay
  row({{2, 1.0}});            // state 0, wander
  row({{1, 1.0}});            // state 1, stay
  row({{2, 1.0}});            // state 1, wander
  row({{0, 0.5}, {1, 0.5}});  // state 2, either action
  row({{0, 0.5}, {1, 0.5}});
  mdp.reward = {1.0, 1.0, 0.0};
  mdp.validate();
  try {
    solve(mdp, 1e-4, tight(kBackend, Method::value_iteration));
    FAIL() << "a multichain greedy policy was accepted";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("not unichain"), std::string::npos) << e.what();
  }
}

TEST_F(NETRL_MDP_SUITE, ValidatesOptionsAndLambdas) {
  const Mdp mdp = random_sparse_mdp(20, 2, 2, 3);
  SolverOptions o = tight(kBackend, Method::policy_iteration, Precision::float32);
  try {
    solve(mdp, 0.1, o);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "solver.precision");
  }
  o.precision = Precision::float64;
  try {
    solve_batch(mdp, {0.1, -1.0}, o);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "lambdas[1]");
  }
  try {
    solve(mdp, std::nan(""), o);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "lambda");
  }
  Mdp bad = mdp;
  bad.probability[0] += 0.5;
  try {
    solve(bad, 0.1, o);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "mdp.transitions");
  }
}

TEST_F(NETRL_MDP_SUITE, ReportsTheOuterLimit) {
  const Mdp mdp = random_sparse_mdp(30, 3, 3, 8);
  SolverOptions o = tight(kBackend, Method::value_iteration);
  o.max_outer_iterations = 1;
  const SolveResult r = solve(mdp, 0.05, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.outer_iterations, 1);
  EXPECT_EQ(r.note, "prior loop reached solver.max_outer_iterations");
}

}  // namespace
}  // namespace netrl
