// The exact network solver in batches (a batch equals its problems solved alone) and its errors
// (refused options and shapes, memory checked before allocating, the outer limit). Part of
// test_exact_kernels (test_exact_kernels.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "exact_suite.hpp"
#include "netrl/core/error.hpp"
#include "solve/exact_solver.hpp"

namespace netrl {
namespace {

using namespace exact_suite;  // NOLINT(google-build-using-namespace): the suite's helpers

// ---------------------------------------------------------------------------------------------
// Batching and errors.

TEST_F(NETRL_EXACT_SUITE, BatchedEqualsUnbatched) {
  // Different lambdas, inputs, rewards and prior modes, shared n, m and clamp; with an input (power
  // iteration) and without (the closed-form stationary distribution).
  for (int m : {2, 1}) {
    std::vector<NetworkModel> models;
    for (int q = 0; q < 4; ++q) {
      NetworkModel model = random_model(5, m, q % 2 ? PriorMode::neuron : PriorMode::population, 500 + q);
      model.clamps.push_back({3, 1});
      models.push_back(model);
    }
    for (Precision precision : {Precision::float64, Precision::float32}) {
      const SolverOptions o = tight(kBackend, precision);
      const std::vector<SolveResult> batch = exact::solve_batch(models, o);
      ASSERT_EQ(batch.size(), models.size());
      for (std::size_t q = 0; q < models.size(); ++q) {
        const SolveResult alone = exact::solve(models[q], o);
        const std::string label =
            "problem " + std::to_string(q) + " m " + std::to_string(m) + " " + to_string(precision);
        // The host backend computes a problem the same way alone and in a batch (same plan, sums
        // combined in item order): identical results. Elsewhere only the order of partial sums
        // may differ.
        const bool host = kBackend == Backend::host;
        const double tol =
            host ? 0.0 : (precision == Precision::float64 ? 1e-3 * agreement<double>() : 1e-2 * agreement<float>());
        EXPECT_EQ(batch[q].converged, alone.converged) << label;
        EXPECT_NEAR(batch[q].gain, alone.gain, tol) << label;
        expect_close(batch[q].prior, alone.prior, tol, 1.0, label + " prior");
        expect_close(batch[q].values, alone.values, tol, std::max(1.0, max_abs(alone.values)), label + " values");
        expect_close(batch[q].stationary, alone.stationary, tol, 1.0, label + " stationary");
        EXPECT_EQ(batch[q].outer_iterations, alone.outer_iterations) << label;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, BatchedPolicyIterationEqualsUnbatched) {
  for (int m : {2, 1}) {  // the stationary distribution by GMRES, or in closed form
    std::vector<NetworkModel> models;
    for (int q = 0; q < 3; ++q) {
      models.push_back(random_model(4, m, q % 2 ? PriorMode::neuron : PriorMode::population, 600 + q));
    }
    const SolverOptions o = with_method(tight(kBackend), Method::policy_iteration);
    const std::vector<SolveResult> batch = exact::solve_batch(models, o);
    ASSERT_EQ(batch.size(), models.size());
    for (std::size_t q = 0; q < models.size(); ++q) {
      const SolveResult alone = exact::solve(models[q], o);
      const std::string label = "problem " + std::to_string(q) + " m " + std::to_string(m);
      EXPECT_TRUE(batch[q].converged) << label;
      EXPECT_NEAR(batch[q].gain, alone.gain, 1e-3 * agreement<double>()) << label;
      expect_close(batch[q].values, alone.values, 1e-3 * agreement<double>(), std::max(1.0, max_abs(alone.values)),
                   label + " values");
      EXPECT_EQ(batch[q].outer_iterations, alone.outer_iterations) << label;
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, RejectsFloat32PolicyIteration) {
  SolverOptions o;
  o.backend = kBackend;
  o.method = Method::policy_iteration;
  o.precision = Precision::float32;
  EXPECT_EQ(test::invalid([&] { exact::solve(count8_model(), o); }).first, "solver.precision");
}

TEST_F(NETRL_EXACT_SUITE, RefusesStateSpacesBeyondMemoryBeforeAllocating) {
  SolverOptions o;
  o.backend = kBackend;
  const auto [field, message] = test::invalid([&] { exact::solve(test::count_network(40, 20, 0.1), o); });
  EXPECT_EQ(field, "n");
  EXPECT_NE(message.find("n <= "), std::string::npos) << message;
}

TEST_F(NETRL_EXACT_SUITE, RejectsBatchesOfDifferentShapes) {
  std::vector<NetworkModel> models{random_model(3, 2, PriorMode::neuron, 1), random_model(4, 2, PriorMode::neuron, 2)};
  SolverOptions o;
  o.backend = kBackend;
  EXPECT_THROW(exact::solve_batch(models, o), InvalidInput);
  models[1] = random_model(3, 2, PriorMode::neuron, 3);
  models[1].clamps.push_back({0, 1});
  EXPECT_THROW(exact::solve_batch(models, o), InvalidInput);
}

TEST_F(NETRL_EXACT_SUITE, ValidatesModelAndOptions) {
  NetworkModel model = random_model(3, 1, PriorMode::neuron, 5);
  model.lambda = -1.0;
  SolverOptions o;
  o.backend = kBackend;
  EXPECT_THROW(exact::solve(model, o), InvalidInput);
  model.lambda = 0.5;
  o.tol = 0.0;
  EXPECT_THROW(exact::solve(model, o), InvalidInput);
  o = SolverOptions{};
  o.backend = Backend::reference;  // not a backend of the batched kernels
  EXPECT_EQ(test::invalid([&] { exact::solve(model, o); }).first, "solver.backend");
}

TEST_F(NETRL_EXACT_SUITE, ReportsTheOuterLimit) {
  const NetworkModel model = random_model(4, 2, PriorMode::neuron, 8);
  SolverOptions o = tight(kBackend);
  o.max_outer_iterations = 3;
  const SolveResult r = exact::solve(model, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.outer_iterations, 3);
  EXPECT_EQ(r.gain_history.size(), 3u);
  EXPECT_EQ(r.note, "prior loop reached solver.max_outer_iterations");
}

}  // namespace
}  // namespace netrl
