#pragma once
// Shared helpers of the test suite: the backend under test, precision-scaled tolerances and
// seeded random models.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "netrl/core/error.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/solve.hpp"

namespace netrl::test {

/// The backend a test binary runs its backend tests on: cuda in the *_cuda binaries
/// (NETRL_TEST_BACKEND_CUDA, see netrl_add_backend_test), host otherwise.
#if defined(NETRL_TEST_BACKEND_CUDA)
inline constexpr Backend kBackend = Backend::cuda;
#else
inline constexpr Backend kBackend = Backend::host;
#endif

/// Why `backend` cannot run here ("" when it can).
inline std::string backend_unavailable(Backend backend) {
  std::string reason;
  return backend_available(backend, &reason) ? std::string() : reason;
}

/// True when NETRL_REQUIRE_GPU=1: a CUDA test must then fail, not skip, without a device.
inline bool gpu_required() {
  const char* v = std::getenv("NETRL_REQUIRE_GPU");
  return v != nullptr && std::string(v) == "1";
}

/// Tolerance for comparing results computed in precision T: `factor` ulps of 1 (scaled values).
template <class T>
double tolerance(double factor) {
  return factor * static_cast<double>(std::numeric_limits<T>::epsilon());
}

/// Agreement to rounding of float64 results computed two ways: `ulps` units of 2^-52 (for values
/// of order one). The suite writes its rounding-level tolerances with it (4.5 ulps ~ 1e-15).
inline double rounding(double ulps) { return tolerance<double>(ulps); }

/// A row-stochastic m x m matrix with every entry >= floor (so the input chain is irreducible).
inline InputProcess random_input(int m, std::mt19937_64& rng, double floor = 0.05) {
  InputProcess in;
  in.m = m;
  in.T.assign(static_cast<std::size_t>(m) * m, 0.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int x = 0; x < m; ++x) {
    double sum = 0.0;
    for (int y = 0; y < m; ++y) sum += (in.T[x * m + y] = u(rng));
    for (int y = 0; y < m; ++y) in.T[x * m + y] = floor + (1.0 - m * floor) * in.T[x * m + y] / sum;
  }
  return in;
}

/// A network with a random table reward in [0, 1) and a random input.
inline NetworkModel random_network(int n, int m, PriorMode mode, std::mt19937_64& rng,
                                   double lambda = 0.4) {
  NetworkModel model;
  model.n = n;
  model.input = random_input(m, rng);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> r((std::size_t{1} << n) * m);
  for (double& v : r) v = u(rng);
  model.reward = RewardSpec::table(std::move(r));
  model.lambda = lambda;
  model.prior_mode = mode;
  return model;
}

/// A network of n neurons without input whose reward is 1 when `target` of them are active.
inline NetworkModel count_network(int n, int target, double lambda) {
  NetworkModel model;
  model.n = n;
  model.reward = RewardSpec::count({target});
  model.lambda = lambda;
  return model;
}

/// The field and the message (without the field) of the InvalidInput that f() throws; a test
/// failure when it returns.
template <class F>
std::pair<std::string, std::string> invalid(F&& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return {e.field(), e.message()};
  }
  ADD_FAILURE() << "no InvalidInput";
  return {};
}

}  // namespace netrl::test

/// Skips the current test when `backend` cannot run here (a CUDA build without a device), or fails
/// it under NETRL_REQUIRE_GPU=1. The one place the test suite decides that.
#define NETRL_REQUIRE_BACKEND(backend)                                                            \
  do {                                                                                            \
    const std::string netrl_reason_ = ::netrl::test::backend_unavailable(backend);                \
    if (!netrl_reason_.empty()) {                                                                 \
      if (::netrl::test::gpu_required()) FAIL() << "NETRL_REQUIRE_GPU=1 but backend "             \
                                                << ::netrl::to_string(backend)                    \
                                                << " cannot run: " << netrl_reason_;              \
      GTEST_SKIP() << "backend " << ::netrl::to_string(backend) << " cannot run: " << netrl_reason_; \
    }                                                                                             \
  } while (0)

namespace netrl::test {

/// The fixture of tests that run on kBackend: they are skipped (or fail) where it cannot run.
class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override { NETRL_REQUIRE_BACKEND(kBackend); }
};

}  // namespace netrl::test
