#pragma once
// What the exact solver's backend tests share (test_exact_solver.cpp, test_exact_batches.cpp; one
// binary, test_exact_kernels, with test_exact_kernels.cpp): the suite named after the backend
// under test, the tolerances of agreement with the reference solver, tight options, random
// models, and the element-wise comparison of two results. In a named namespace, so that every
// file's tests share one fixture type.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "test_support.hpp"

// The solver tests run on kBackend; their suite is named after it (ExactSolver, ExactSolverCuda)
// so that CTest lists the two binaries' tests apart.
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_EXACT_SUITE ExactSolverCuda
#else
#define NETRL_EXACT_SUITE ExactSolver
#endif

namespace netrl::exact_suite {

using test::kBackend;

/// Agreement of a backend with the reference: 1e-10 at float64, 1e-4 at float32 (scaled values).
template <class T>
double agreement() {
  return test::tolerance<T>(std::is_same_v<T, double> ? 4.5e5 : 8.4e2);
}

inline double agreement(Precision p) {
  return p == Precision::float64 ? agreement<double>() : agreement<float>();
}

/// Skips (or fails under NETRL_REQUIRE_GPU=1) when the backend cannot run here.
class NETRL_EXACT_SUITE : public test::BackendTest {};

/// Tight options: both solvers then sit much closer to the fixed point than the tolerance.
inline SolverOptions tight(Backend backend, Precision precision = Precision::float64) {
  SolverOptions o;
  o.backend = backend;
  o.precision = precision;
  o.tol = 1e-12;
  o.prior_tol = 1e-13;
  return o;
}

/// A random network: table reward in [0, 1), random input (rows >= 0.05), lambda in [0.2, 0.8].
inline NetworkModel random_model(int n, int m, PriorMode mode, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.2, 0.8);
  const double lambda = u(rng);
  return test::random_network(n, m, mode, rng, lambda);
}

inline std::uint64_t case_seed(int n, int m, int mode, int clamp) {
  return 1000003ULL * static_cast<std::uint64_t>(n) + 10007ULL * static_cast<std::uint64_t>(m) +
         101ULL * static_cast<std::uint64_t>(mode) + static_cast<std::uint64_t>(clamp) + 17ULL;
}

inline double max_abs(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    if (!std::isnan(x)) s = std::max(s, std::abs(x));
  return s;
}

/// Element-wise |a - b| <= tol * scale, NaN exactly where the reference has NaN.
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  double scale, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0.0;
  std::size_t at = 0;
  for (std::size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(std::isnan(got[k]), std::isnan(want[k])) << what << "[" << k << "]";
    if (std::isnan(want[k])) continue;
    const double d = std::abs(got[k] - want[k]);
    if (d > worst) {
      worst = d;
      at = k;
    }
  }
  EXPECT_LE(worst, tol * scale) << what << ": worst at [" << at << "] got " << got[at] << " want " << want[at];
}

/// Every output of a backend against the reference at the tolerance of `precision`.
inline void expect_matches(const SolveResult& got, const SolveResult& ref, Precision precision,
                    const std::string& label) {
  SCOPED_TRACE(label);
  const double tol = agreement(precision);
  const double value_scale = std::max(1.0, max_abs(ref.values));
  EXPECT_EQ(got.converged, ref.converged);
  EXPECT_EQ(got.states, ref.states);
  EXPECT_NEAR(got.gain, ref.gain, tol * std::max(1.0, std::abs(ref.gain)));
  EXPECT_NEAR(got.mean_reward, ref.mean_reward, tol * std::max(1.0, std::abs(ref.mean_reward)));
  EXPECT_NEAR(got.mean_coding_cost, ref.mean_coding_cost, tol * std::max(1.0, std::abs(ref.mean_coding_cost)));
  expect_close(got.prior, ref.prior, tol, 1.0, "prior");
  expect_close(got.values, ref.values, tol, value_scale, "values");
  expect_close(got.stationary, ref.stationary, tol, 1.0, "stationary");
  expect_close(got.spike_count, ref.spike_count, tol, 1.0, "spike_count");
  EXPECT_EQ(got.degenerate, ref.degenerate);
  // The gain of the final greedy policy lies within the reported bounds of its values.
  const double slack = 10.0 * tol;
  EXPECT_LE(got.gain_lo, got.gain + slack);
  EXPECT_GE(got.gain_hi, got.gain - slack);
  EXPECT_EQ(got.backend, to_string(kBackend));
  EXPECT_EQ(got.precision, to_string(precision));
  EXPECT_EQ(got.spike_count_rows, ref.spike_count_rows);
  EXPECT_EQ(got.spike_count_cols, ref.spike_count_cols);
}

inline SolverOptions with_method(SolverOptions o, Method method) {
  o.method = method;
  return o;
}

}  // namespace netrl::exact_suite
