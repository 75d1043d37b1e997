// (I - P) solves: dense bordered LU (single and batched) and GMRES against the reference backend.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <random>

#include "netrl/core/error.hpp"
#include "solve/linear_solve.hpp"
#include "solve/reference.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The chain and reward-minus-cost of a random network's greedy policy at random values.
struct Chain {
  reference::SparseMatrix P;
  VectorXd g;
};

Chain random_chain(int n, int m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const NetworkModel model = test::random_network(n, m, PriorMode::neuron, rng, 0.3);
  std::vector<std::uint64_t> states;
  const auto pb = reference::make_problem(model, &states);
  std::srand(static_cast<unsigned>(seed));
  const VectorXd h = VectorXd::Random(pb.num_states);
  MatrixXd prior(pb.num_agents, 2);
  prior.col(1).setConstant(0.4);
  prior.col(0).setConstant(0.6);
  const auto gr = reference::greedy(pb, h, prior);
  return {reference::chain(pb, gr), pb.reward - pb.lambda * gr.cost};
}

std::vector<double> to_std(const VectorXd& v) { return {v.data(), v.data() + v.size()}; }

linear::LinearOperator apply(const reference::SparseMatrix& P) {
  return [&P](const std::vector<double>& x, std::vector<double>& y) {
    Eigen::Map<VectorXd>(y.data(), P.rows()) = P * Eigen::Map<const VectorXd>(x.data(), P.cols());
  };
}

linear::LinearOperator apply_transpose(const reference::SparseMatrix& P) {
  return [&P](const std::vector<double>& x, std::vector<double>& y) {
    Eigen::Map<VectorXd>(y.data(), P.cols()) = P.transpose() * Eigen::Map<const VectorXd>(x.data(), P.rows());
  };
}

TEST(DenseSolve, MatchesReferenceOnRandomNetworks) {
  for (int n = 1; n <= 7; ++n) {
    for (int m : {1, 3}) {
      const Chain c = random_chain(n, m, 100 + n * 7 + m);
      const RowMatrix P = MatrixXd(c.P);
      const auto s = linear::solve_dense(P.data(), c.g.data(), P.rows());
      const VectorXd mu = reference::stationary(c.P);
      const auto ev = reference::evaluate(c.P, c.g, mu);
      EXPECT_NEAR(s.gain, ev.gain, 1e-11) << "n " << n << " m " << m;
      for (Eigen::Index k = 0; k < mu.size(); ++k) {
        EXPECT_NEAR(s.stationary[k], mu(k), test::rounding(4500));
        EXPECT_NEAR(s.values[k], ev.values(k), 1e-9);
      }
    }
  }
}

TEST(DenseSolve, BatchedEqualsOneByOne) {
  const int batch = 5, n = 5, m = 2;
  std::vector<double> P, g;
  std::vector<linear::DenseSolution> single;
  for (int b = 0; b < batch; ++b) {
    const Chain c = random_chain(n, m, 500 + b);
    const RowMatrix Pb = MatrixXd(c.P);
    P.insert(P.end(), Pb.data(), Pb.data() + Pb.size());
    g.insert(g.end(), c.g.data(), c.g.data() + c.g.size());
    single.push_back(linear::solve_dense(Pb.data(), c.g.data(), Pb.rows()));
  }
  const std::int64_t N = std::int64_t{m} << n;
  const auto batched = linear::solve_dense_batched(P.data(), g.data(), N, batch);
  ASSERT_EQ(batched.size(), static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b) {
    EXPECT_EQ(batched[b].gain, single[b].gain);
    EXPECT_EQ(batched[b].values, single[b].values);
    EXPECT_EQ(batched[b].stationary, single[b].stationary);
  }
}

TEST(KrylovSolve, MatchesDenseOnRandomNetworks) {
  for (int n : {3, 6, 9}) {
    const Chain c = random_chain(n, 2, 900 + n);
    const VectorXd mu_ref = reference::stationary(c.P);
    const auto ev = reference::evaluate(c.P, c.g, mu_ref);
    linear::KrylovOptions opt;
    std::vector<double> mu(c.P.rows(), 1.0 / static_cast<double>(c.P.rows()));
    const auto rep_mu = linear::stationary_krylov(apply_transpose(c.P), mu, opt);
    EXPECT_LT(rep_mu.relative_residual, 1e-12);
    std::vector<double> v;
    double gain = 0.0;
    const auto rep_v = linear::evaluate_krylov(apply(c.P), to_std(c.g), mu, v, &gain, opt);
    EXPECT_LT(rep_v.relative_residual, 1e-12);
    EXPECT_NEAR(gain, ev.gain, 1e-11);
    for (Eigen::Index k = 0; k < mu_ref.size(); ++k) {
      EXPECT_NEAR(mu[k], mu_ref(k), 1e-11) << "n " << n;
      EXPECT_NEAR(v[k], ev.values(k), 1e-9) << "n " << n;
    }
  }
}

// A nearly periodic two-state chain (flip with probability 1 - eps) and a slowly mixing lazy
// ring walk: the normalisation must still come out right. Closed forms: the flip chain has
// mu = (1/2, 1/2), and for g = (1, 0): L = 1/2, v = (1/4, -1/4) / (1 - eps) ... derived from
// (I - P) v = g - L with v0 = -v1: v0 (1 - eps) * 2 = 1/2.
TEST(KrylovSolve, NearlyPeriodicAndSlowChains) {
  const double eps = 1e-4;
  reference::SparseMatrix P(2, 2);
  P.insert(0, 0) = eps;
  P.insert(0, 1) = 1 - eps;
  P.insert(1, 0) = 1 - eps;
  P.insert(1, 1) = eps;
  std::vector<double> mu = {0.9, 0.1}, v;
  linear::KrylovOptions opt;
  linear::stationary_krylov(apply_transpose(P), mu, opt);
  EXPECT_NEAR(mu[0], 0.5, test::rounding(45));
  double gain = 0.0;
  linear::evaluate_krylov(apply(P), {1.0, 0.0}, mu, v, &gain, opt);
  EXPECT_NEAR(gain, 0.5, test::rounding(45));
  EXPECT_NEAR(v[0], 0.25 / (1 - eps), test::rounding(4500));
  EXPECT_NEAR(v[1], -0.25 / (1 - eps), test::rounding(4500));
  const RowMatrix dense = MatrixXd(P);
  const auto d = linear::solve_dense(dense.data(), std::vector<double>{1.0, 0.0}.data(), 2);
  EXPECT_NEAR(d.values[0], v[0], test::rounding(4500));

  // Lazy walk on a ring of 200 states (mixing time ~ 200^2): uniform mu; compare with dense.
  const int N = 200;
  reference::SparseMatrix R(N, N);
  for (int s = 0; s < N; ++s) {
    R.insert(s, s) = 0.5;
    R.insert(s, (s + 1) % N) = 0.3;
    R.insert(s, (s + N - 1) % N) = 0.2;
  }
  std::vector<double> g(N);
  for (int s = 0; s < N; ++s) g[s] = std::sin(0.1 * s) + (s == 7 ? 1.0 : 0.0);
  std::vector<double> mu_r(N, 0.0);
  mu_r[0] = 1.0;
  linear::stationary_krylov(apply_transpose(R), mu_r, opt);
  // The error bound is the relative residual (1e-12) times the condition number, which grows
  // like the mixing time (~N^2 / 2 = 2e4 steps): 1e-8 relative leaves a margin of 2x... 50x.
  for (int s = 0; s < N; ++s) EXPECT_NEAR(mu_r[s], 1.0 / N, 1e-8 / N);
  std::vector<double> vr;
  linear::evaluate_krylov(apply(R), g, mu_r, vr, &gain, opt);
  const RowMatrix Rd = MatrixXd(R);
  const auto dr = linear::solve_dense(Rd.data(), g.data(), N);
  EXPECT_NEAR(gain, dr.gain, 1e-9);  // mu carries the same conditioning as above
  for (int s = 0; s < N; ++s) EXPECT_NEAR(vr[s], dr.values[s], 1e-8 * (1 + std::abs(dr.values[s])));
}

// The group inverse A = (I - P)^#: (I - P) A y = y - (mu . y) 1, mu . A y = 0, and A^T likewise.
TEST(KrylovSolve, GroupInverseActions) {
  const Chain c = random_chain(5, 2, 4242);
  const VectorXd mu_ref = reference::stationary(c.P);
  const std::vector<double> mu = to_std(mu_ref);
  std::vector<double> y(c.P.rows());
  for (std::size_t k = 0; k < y.size(); ++k) y[k] = std::cos(0.3 * static_cast<double>(k));
  std::vector<double> z, zt;
  linear::KrylovOptions opt;
  linear::apply_group_inverse(apply(c.P), mu, y, z, opt);
  linear::apply_group_inverse_transpose(apply_transpose(c.P), mu, y, zt, opt);
  // Dense group inverse (I - P + 1 mu^T)^{-1} - 1 mu^T.
  const Eigen::Index N = c.P.rows();
  const MatrixXd Pd = MatrixXd(c.P);
  const MatrixXd A = (MatrixXd::Identity(N, N) - Pd + VectorXd::Ones(N) * mu_ref.transpose()).inverse() -
                     VectorXd::Ones(N) * mu_ref.transpose();
  const VectorXd Y = Eigen::Map<const VectorXd>(y.data(), N);
  const VectorXd expect = A * Y, expect_t = A.transpose() * Y;
  for (Eigen::Index k = 0; k < N; ++k) {
    EXPECT_NEAR(z[k], expect(k), 1e-9);
    EXPECT_NEAR(zt[k], expect_t(k), 1e-9);
  }
}

TEST(LinearSolveErrors, ReducibleChainAndNonConvergence) {
  // Two closed classes: identity chain.
  const std::vector<double> I = {1, 0, 0, 1}, g = {1, 0};
  EXPECT_THROW(linear::solve_dense(I.data(), g.data(), 2), NumericalError);
  EXPECT_THROW(linear::solve_dense(I.data(), g.data(), linear::kMaxDenseStates + 1), InvalidInput);
  EXPECT_THROW(linear::solve_dense_batched(I.data(), g.data(), 2, 0), InvalidInput);
  const Chain c = random_chain(8, 2, 77);
  linear::KrylovOptions opt;
  opt.max_matvecs = 3;
  opt.restart = 2;
  std::vector<double> mu(c.P.rows(), 1.0 / static_cast<double>(c.P.rows()));
  try {
    linear::stationary_krylov(apply_transpose(c.P), mu, opt);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("did not converge"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace netrl
