// Numerically meaningless solves are reported, never passed off as converged: a lambda so large
// that the coding cost's rounding (lambda x eps per state) swamps solver.tol, and rewards so large
// that the gain overflows. Part of test_hardening.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/solve.hpp"

namespace netrl {
namespace {

using nlohmann::json;

SolveResult solve_config(const json& config) { return solve(parse_problem(config, "")); }

json network(double lambda, const std::string& backend) {
  return {{"model", "network"},
          {"n", 4},
          {"lambda", lambda},
          {"reward", {{"kind", "count"}, {"targets", {1, 3}}}},
          {"input", {{"T", {{0.9, 0.1}, {0.1, 0.9}}}}},
          {"solver", {{"backend", backend}}}};
}

json mdp(double lambda) {
  json config = json::parse(R"({"model": "mdp", "reward": [0, 1], "solver": {"backend": "host"},
      "transitions": {"dense": [[[0.5, 0.5], [0.5, 0.5]], [[1, 0], [0, 1]]]}})");
  config["lambda"] = lambda;
  return config;
}

// The greedy policy's gain must lie within the span bounds of its values. Measured on the host:
// at lambda 1e6 it lies 2e-11 outside (within the tolerance), at 1e9 5e-8, at 1e15 0.14 (the
// mean reward is 0.25 and the gain came out 0.139, "converged").
TEST(NumericEdges, ALambdaWhoseRoundingSwampsTheToleranceIsNotConverged) {
  const SolveResult fine = solve_config(network(1e6, "host"));
  EXPECT_TRUE(fine.converged) << fine.note;
  EXPECT_NEAR(fine.gain, 0.25, 1e-6);
  for (double lambda : {1e9, 1e15}) {
    const SolveResult r = solve_config(network(lambda, "host"));
    EXPECT_FALSE(r.converged) << lambda;
    EXPECT_NE(r.note.find("the result is not accurate to solver.tol"), std::string::npos) << lambda << ": " << r.note;
  }
  const SolveResult m = solve_config(mdp(1e15));
  EXPECT_FALSE(m.converged);
  EXPECT_NE(m.note.find("the result is not accurate to solver.tol"), std::string::npos) << m.note;
}

json table(double value, const std::string& backend) {
  return {{"model", "network"},
          {"n", 2},
          {"lambda", 0.1},
          {"reward", {{"kind", "table"}, {"values", {value, value, value, value}}}},
          {"solver", {{"backend", backend}}}};
}

// Rewards of 1e308: the host's gain overflows (it was written as null, "converged"); the
// reference's exact policy evaluation stops with a NumericalError. A thousandth of that is an
// ordinary solve on both: gain 1e305, no coding cost.
TEST(NumericEdges, AGainThatOverflowsIsNotConverged) {
  const SolveResult r = solve_config(table(1e308, "host"));
  EXPECT_FALSE(r.converged);
  EXPECT_NE(r.note.find("is not finite (an overflow"), std::string::npos) << r.note;
  EXPECT_THROW(solve_config(table(1e308, "reference")), NumericalError);
  for (const char* backend : {"reference", "host"}) {
    const SolveResult ok = solve_config(table(1e305, backend));
    EXPECT_TRUE(ok.converged) << backend << ": " << ok.note;
    EXPECT_NEAR(ok.gain, 1e305, 1e292) << backend;
  }
}

}  // namespace
}  // namespace netrl
