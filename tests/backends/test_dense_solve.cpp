// Batched dense (I - P) solves (netrl/kernels/dense_lu.hpp through netrl::linear) on each backend,
// against an independent plain Eigen solve of the same systems, and the device against the host.
// Built twice (netrl_add_backend_test): test_dense_solve on the host backend, test_dense_solve_cuda
// on the device (skips without one, fails then under NETRL_REQUIRE_GPU=1). Sizes cover both device
// paths: cuBLAS's batched LU (several systems of order <= 512) and cuSOLVER's (one system, or
// orders above 512, several in flight).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/dense_functors.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/linear_solve.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using test::kBackend;
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_DENSE_SUITE DenseSolveCuda
constexpr linear::DenseBackend kDense = linear::DenseBackend::cuda;
#else
#define NETRL_DENSE_SUITE DenseSolve
constexpr linear::DenseBackend kDense = linear::DenseBackend::host;
#endif

class NETRL_DENSE_SUITE : public test::BackendTest {};

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// `batch` random row-stochastic n x n matrices (some entries zero) and rewards, problem-major.
void random_batch(std::int64_t n, int batch, std::uint64_t seed, std::vector<double>* P, std::vector<double>* g) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto N = static_cast<std::size_t>(n);
  P->assign(static_cast<std::size_t>(batch) * N * N, 0.0);
  g->assign(static_cast<std::size_t>(batch) * N, 0.0);
  for (std::size_t r = 0; r < static_cast<std::size_t>(batch) * N; ++r) {
    double sum = 0.0;
    for (std::size_t c = 0; c < N; ++c) {
      const double x = u(rng);
      (*P)[r * N + c] = x < 0.2 ? 0.0 : x;
      sum += (*P)[r * N + c];
    }
    if (sum == 0.0) (*P)[r * N + r % N] = sum = 1.0;
    for (std::size_t c = 0; c < N; ++c) (*P)[r * N + c] /= sum;
    (*g)[r] = u(rng);
  }
}

/// The independent answer of one problem: mu from (I - P)^T mu = 0 with its last equation replaced
/// by sum mu = 1, then v from (I - P + 1 mu^T) v = g - L with L = mu . g (so that mu . v = 0).
linear::DenseSolution plain_solve(const double* Pd, const double* gd, std::int64_t n) {
  const Eigen::Map<const RowMatrix> P(Pd, n, n);
  const Eigen::Map<const Eigen::VectorXd> g(gd, n);
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd A = (I - P).transpose();
  A.row(n - 1).setOnes();
  Eigen::VectorXd e = Eigen::VectorXd::Zero(n);
  e(n - 1) = 1.0;
  const Eigen::VectorXd mu = A.fullPivLu().solve(e);
  linear::DenseSolution s;
  s.gain = mu.dot(g);
  const Eigen::VectorXd v = (I - P + Eigen::VectorXd::Ones(n) * mu.transpose()).fullPivLu().solve(
      (g.array() - s.gain).matrix());
  s.values.assign(v.data(), v.data() + n);
  s.stationary.assign(mu.data(), mu.data() + n);
  return s;
}

/// The assembly functors on the host, checked by hand: the device's layout (BorderedElement, one
/// entry per item) and the host's (BorderedColumn, one column per item) both write A_b = M_b^T
/// column-major, i.e. M_b = [[I - P_b, 1], [e_0^T, 0]] row by row, and the right-hand sides.
TEST(DenseFunctors, AssemblyByHand) {
  namespace k = kernels::host;
  // Two problems of two states (P row-major, problem-major).
  const std::vector<double> P{0.25, 0.75, 0.5, 0.5, /* problem 1 */ 1.0, 0.0, 0.125, 0.875};
  const std::vector<double> g{2.0, -1.0, 3.0, 4.0};
  k::DenseShape s;
  s.n = 2;
  s.N = 3;
  s.batch = 2;
  s.rows.n = 2;
  s.rows.chunk = 2;
  const std::vector<double> want{
      0.75,  -0.75, 1.0, -0.5, 0.5,   1.0, 1.0, 0.0, 0.0,   // M_0 row by row
      0.0,   0.0,   1.0, -0.125, 0.125, 1.0, 1.0, 0.0, 0.0};  // M_1
  std::vector<double> by_element(want.size(), -9.0), by_column(want.size(), -9.0);
  const k::BorderedElement element{P.data(), by_element.data(), s};
  for (k::index_t i = 0; i < 2 * 3 * 3; ++i) element(i);
  const k::BorderedColumn column{P.data(), by_column.data(), s};
  for (k::index_t i = 0; i < 2 * 3; ++i) column(i);
  EXPECT_EQ(by_element, want);
  EXPECT_EQ(by_column, want);
  std::vector<double> rhs_n(6, -9.0), rhs_t(6, -9.0);
  const k::BorderedRhs rhs{g.data(), rhs_n.data(), rhs_t.data(), s};
  for (k::index_t i = 0; i < 6; ++i) rhs(i);
  EXPECT_EQ(rhs_n, (std::vector<double>{2.0, -1.0, 0.0, 3.0, 4.0, 0.0}));
  EXPECT_EQ(rhs_t, (std::vector<double>{0.0, 0.0, 1.0, 0.0, 0.0, 1.0}));
}

TEST_F(NETRL_DENSE_SUITE, MatchesAnIndependentSolve) {
  struct Case {
    std::int64_t n;
    int batch;
  };
  for (const Case& k : {Case{1, 1}, Case{2, 3}, Case{5, 5}, Case{64, 1}, Case{300, 3}, Case{600, 2}}) {
    std::vector<double> P, g;
    random_batch(k.n, k.batch, 100 + static_cast<std::uint64_t>(k.n), &P, &g);
    const auto got = linear::solve_dense_batched(P.data(), g.data(), k.n, k.batch, kDense);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(k.batch));
    for (int b = 0; b < k.batch; ++b) {
      const std::string label = "n " + std::to_string(k.n) + " problem " + std::to_string(b);
      const auto off = static_cast<std::size_t>(b) * static_cast<std::size_t>(k.n);
      const linear::DenseSolution want = plain_solve(P.data() + off * static_cast<std::size_t>(k.n), g.data() + off, k.n);
      EXPECT_NEAR(got[b].gain, want.gain, 1e-10) << label;
      EXPECT_LE(got[b].residual, 1e-10) << label;
      double mass = 0.0, weighted = 0.0;
      for (std::int64_t s = 0; s < k.n; ++s) {
        ASSERT_NEAR(got[b].stationary[s], want.stationary[s], 1e-12) << label << " state " << s;
        ASSERT_NEAR(got[b].values[s], want.values[s], 1e-9) << label << " state " << s;
        mass += got[b].stationary[s];
        weighted += got[b].stationary[s] * got[b].values[s];
      }
      EXPECT_NEAR(mass, 1.0, 1e-12) << label;
      EXPECT_NEAR(weighted, 0.0, 1e-12) << label;
    }
  }
}

TEST_F(NETRL_DENSE_SUITE, RejectsReducibleAndNonStochasticChains) {
  // The identity is reducible: its bordered matrix is singular.
  const std::vector<double> I{1.0, 0.0, 0.0, 1.0}, g{1.0, 0.0};
  EXPECT_THROW(linear::solve_dense_batched(I.data(), g.data(), 2, 1, kDense), NumericalError);
  // Problem 1 of a batch reducible: the error names it.
  std::vector<double> P2{0.5, 0.5, 0.5, 0.5, 1.0, 0.0, 0.0, 1.0}, g2{1.0, 0.0, 1.0, 0.0};
  try {
    linear::solve_dense_batched(P2.data(), g2.data(), 2, 2, kDense);
    ADD_FAILURE() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("batch problem 1"), std::string::npos) << e.what();
  }
  // Rows summing to 1.5: mu (I - P) = 0 has no solution with sum mu = 1.
  const std::vector<double> big{0.75, 0.75, 0.75, 0.75};
  EXPECT_THROW(linear::solve_dense_batched(big.data(), g.data(), 2, 1, kDense), NumericalError);
}

TEST_F(NETRL_DENSE_SUITE, BatchArgumentsAreCheckedBeforeAllocating) {
  auto make = [](std::int64_t n, int batch) {
    return kBackend == Backend::cuda ? kernels::cuda::make_dense_batch(n, batch) : kernels::host::make_dense_batch(n, batch);
  };
  auto field_of = [&](std::int64_t n, int batch) -> std::string {
    try {
      make(n, batch);
    } catch (const InvalidInput& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field_of(0, 1), "states");
  EXPECT_EQ(field_of(4, 0), "batch");
  EXPECT_EQ(field_of(8192, 1 << 24), "batch");  // about 9 PB: refused by the memory check
  auto dense = make(3, 2);
  kernels::DenseResults r;
  EXPECT_THROW(dense->solve(), InvalidInput);
  EXPECT_THROW(dense->download(&r), InvalidInput);
  std::vector<double> P, g;
  random_batch(3, 2, 7, &P, &g);
  dense->upload(P.data(), g.data());
  dense->solve();
  dense->download(&r);
  EXPECT_EQ(r.values.size(), 6u);
  EXPECT_EQ(r.info, (std::vector<int>{0, 0}));
  const kernels::DenseTimings t = dense->timings();
  EXPECT_GE(t.assemble_ms, 0.0);
  EXPECT_GE(t.factor_ms, 0.0);
  EXPECT_GE(t.check_ms, 0.0);
}

#if !defined(NETRL_TEST_BACKEND_CUDA)
/// Without a device (or a CUDA build) the device path is a BackendError, not a host fallback.
TEST(DenseBackends, CudaWithoutADeviceIsABackendError) {
  std::string reason;
  if (kernels::cuda::device_available(&reason)) GTEST_SKIP() << "a device answers here";
  const std::vector<double> P{0.5, 0.5, 0.5, 0.5}, g{1.0, 0.0};
  EXPECT_THROW(linear::solve_dense_batched(P.data(), g.data(), 2, 1, linear::DenseBackend::cuda), BackendError);
  EXPECT_THROW(kernels::cuda::make_dense_batch(2, 1), BackendError);
}
#else
/// The device's answers against the host's for the same systems (both paths of the device),
/// within rounding of the LUs.
TEST_F(NETRL_DENSE_SUITE, DeviceMatchesHost) {
  struct Case {
    std::int64_t n;
    int batch;
  };
  for (const Case& k : {Case{40, 7}, Case{96, 1}, Case{700, 3}}) {
    std::vector<double> P, g;
    random_batch(k.n, k.batch, 900 + static_cast<std::uint64_t>(k.n), &P, &g);
    const auto host = linear::solve_dense_batched(P.data(), g.data(), k.n, k.batch, linear::DenseBackend::host);
    const auto cuda = linear::solve_dense_batched(P.data(), g.data(), k.n, k.batch, linear::DenseBackend::cuda);
    for (int b = 0; b < k.batch; ++b) {
      EXPECT_NEAR(cuda[b].gain, host[b].gain, 1e-12) << "n " << k.n << " problem " << b;
      for (std::int64_t s = 0; s < k.n; ++s) {
        ASSERT_NEAR(cuda[b].values[s], host[b].values[s], 1e-10);
        ASSERT_NEAR(cuda[b].stationary[s], host[b].stationary[s], 1e-13);
      }
    }
  }
}
#endif

}  // namespace
}  // namespace netrl
