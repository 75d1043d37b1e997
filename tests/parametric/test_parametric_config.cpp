// The parametric solver's configuration and command line: the exact solver's state-space bound
// points to it, errors name the field and the bound, memory is checked before allocating, and
// `netrl solve` writes the learned value, the learning curve and the exact gain.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/solve.hpp"
#include "solve/parametric/batch_curvature.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;

test::CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_parametric_"));
}

nlohmann::json ring_config(int n) {
  return {{"model", "network"}, {"n", n}, {"reward", {{"kind", "ring_bump"}, {"width", 3}}}, {"lambda", 0.1},
          {"solver", {{"method", "parametric"}, {"parametric", {{"max_batches", 200}}}}}};
}

TEST(ParametricConfig, BeyondTheExactStateSpaceNeedsTheParametricSolver) {
  nlohmann::json c = ring_config(100);
  c["solver"] = {{"method", "value_iteration"}};
  try {
    parse_problem(c, "");
    FAIL() << "n = 100 parsed for the exact solver";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "n");
    EXPECT_NE(std::string(e.what()).find("parametric"), std::string::npos) << e.what();
  }
  const Problem p = parse_problem(ring_config(100), "");
  EXPECT_EQ(p.network.n, 100);
  EXPECT_EQ(p.solver.parametric.max_batches, 200u);
}

TEST(ParametricConfig, ErrorsNameTheFieldAndTheBound) {
  auto field_of = [](nlohmann::json c) {
    try {
      parse_problem(c, "");
    } catch (const InvalidInput& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  nlohmann::json c = ring_config(10);
  c["solver"]["parametric"]["chains"] = 3;
  EXPECT_EQ(field_of(c), "solver.parametric.chains");
  c = ring_config(10);
  c["solver"]["parametric"]["learning_rate"] = 2.0;
  EXPECT_EQ(field_of(c), "solver.parametric.learning_rate");
  c = ring_config(10);
  c["solver"]["parametric"]["bogus"] = 1;
  EXPECT_EQ(field_of(c), "solver.parametric.bogus");
  c = ring_config(10);
  c["solver"]["parametric"]["regression"] = "field";
  EXPECT_EQ(field_of(c), "solver.parametric.regression");
  c["solver"]["parametric"]["regression"] = "fields";
  EXPECT_EQ(field_of(c), "(accepted)");
  c = ring_config(10);
  c["solver"]["parametric"]["coupling_mask"] = {{"ring_max_distance", 9}};
  EXPECT_EQ(field_of(c), "solver.parametric.coupling_mask.ring_max_distance");
  c = ring_config(10);
  c["solver"] = {{"method", "value_iteration"}, {"parametric", {{"batch", 8}}}};
  EXPECT_EQ(field_of(c), "solver.parametric");
  c = ring_config(20000);
  EXPECT_EQ(field_of(c), "n");
}

TEST(ParametricConfig, MemoryIsCheckedBeforeAllocating) {
  SolverOptions o;
  o.method = Method::parametric;
  o.parametric.batch = 1 << 20;
  o.parametric.chains = 1 << 20;
  o.parametric.max_batches = 1;  // within the limit sample_steps
  // A batch of 2^20 states of 16384 neurons.
  const auto [field, message] = test::invalid([&] { solve(test::count_network(16384, 100, 0.1), o); });
  EXPECT_EQ(field, "n");
  EXPECT_NE(message.find("memory"), std::string::npos) << message;
}

// The chain steps are bounded before the run, as a sampling run's (limit sample_steps), and a
// batch beyond BatchCurvature::kMaxExactSamples takes the curvature's bound instead of an
// eigenvalue of a samples x samples matrix (a batch of 2^20: 8 TiB).
TEST(ParametricConfig, ChainStepsAndTheCurvatureAreBoundedBeforeTheRun) {
  SolverOptions o;
  o.method = Method::parametric;
  o.parametric.max_batches = 1;
  o.parametric.sample_interval = (std::uint64_t{1} << 40) - 1;
  const NetworkModel model = test::count_network(6, 1, 0.1);
  auto [field, message] = test::invalid([&] { solve(model, o); });
  EXPECT_EQ(field, "solver.parametric.sample_interval");
  EXPECT_NE(message.find("limit sample_steps"), std::string::npos) << message;
  o.parametric.sample_interval = 0;
  o.parametric.burn_in = (std::uint64_t{1} << 40) - 1;
  std::tie(field, message) = test::invalid([&] { solve(model, o); });
  EXPECT_EQ(field, "solver.parametric.burn_in");
  o.parametric.burn_in = std::uint64_t{1} << 40;  // "below 2^40"
  EXPECT_EQ(test::invalid([&] { o.parametric.validate("solver.parametric", 6); }).first, "solver.parametric.burn_in");

  const std::vector<int> free{0, 1, 2, 3, 4, 5};
  const std::uint64_t cap = parametric::BatchCurvature::kMaxExactSamples;
  EXPECT_TRUE(parametric::BatchCurvature(6, free, {}, cap).exact());
  EXPECT_EQ(parametric::BatchCurvature::bytes(cap), 24.0 * static_cast<double>(cap * cap));
  parametric::BatchCurvature large(6, free, {}, cap + 1);
  EXPECT_FALSE(large.exact());
  EXPECT_EQ(parametric::BatchCurvature::bytes(cap + 1), 0.0);
  const std::vector<std::uint8_t> on((cap + 1) * 6, 1);
  const std::vector<std::uint32_t> x(cap + 1, 0);
  EXPECT_EQ(large.largest(on, x), static_cast<double>(cap + 1) * 22.0);  // F = 1 + 6 + 15
  EXPECT_EQ(large.largest_overlap(on, x), static_cast<double>(cap + 1) * 7.0);
}

// Without a device the parametric solver says the backend is missing, as the other solvers do.
TEST(ParametricConfig, TheCudaBackendWithoutADeviceIsABackendError) {
  std::string reason;
  if (backend_available(Backend::cuda, &reason)) GTEST_SKIP() << "a CUDA device answers";
  SolverOptions o;
  o.method = Method::parametric;
  o.backend = Backend::cuda;
  try {
    solve(test::count_network(6, 1, 0.1), o);
    FAIL() << "solved on an unavailable backend";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("solver.backend: the CUDA backend is not available"), std::string::npos)
        << e.what();
  }
}

// A reward the chains never see vary (a bump of 3 among 64 neurons: probability 64 / 2^64 under
// the prior 1/2) leaves the value flat; the result says so instead of passing a gain of 0 as learned.
TEST(ParametricSolver, SaysWhenNoSampleSawTheRewardVary) {
  for (const char* regression : {"value", "fields"}) {
    nlohmann::json c = ring_config(64);
    c["solver"]["parametric"]["regression"] = regression;
    const SolveResult r = solve(parse_problem(c, ""));
    // 200 batches of 40 chain samples and 4 uniform (exploration) ones.
    EXPECT_NE(r.note.find("every sampled state had the reward r = 0 (8800 samples"), std::string::npos)
        << regression << ": " << r.note;
    EXPECT_EQ(r.parametric->J, std::vector<double>(64 * 64, 0.0)) << regression;
  }
  // At n = 8 the bump (8 of the 256 states) is sampled and learned: no such note.
  const SolveResult learned = solve(parse_problem(ring_config(8), ""));
  EXPECT_EQ(learned.note.find("every sampled state"), std::string::npos) << learned.note;
  EXPECT_GT(learned.gain, 0.0);
}

TEST(ParametricCli, WritesTheValueTheCurveAndTheExactGain) {
  const fs::path dir = test::fresh_dir("netrl_parametric_", "cli", true);
  nlohmann::json c = ring_config(8);
  c["solver"]["parametric"]["target_period"] = 20;
  io::write_file_atomic((dir / "ring.json").string(), c.dump());
  const test::CliRun run = run_cli("solve " + (dir / "ring.json").string() + " --out " + (dir / "out").string());
  ASSERT_TRUE(run.status == 0 || run.status == 3) << run.output;
  const auto result = io::read_json_file((dir / "out" / "result.json").string());
  EXPECT_EQ(result["method"], "parametric");
  EXPECT_EQ(result["batches"], 200);
  EXPECT_TRUE(result["exact"].is_object());
  EXPECT_TRUE(result.contains("gain_se"));
  const npy::Array J = npy::load((dir / "out" / "J.npy").string());
  EXPECT_EQ(J.shape, (std::vector<std::uint64_t>{8, 8}));
  const npy::Array h = npy::load((dir / "out" / "h.npy").string());
  EXPECT_EQ(h.shape, (std::vector<std::uint64_t>{1, 8}));
  const std::string curve = io::read_file((dir / "out" / "learning_curve.csv").string());
  EXPECT_EQ(std::count(curve.begin(), curve.end(), '\n'), 11);  // header + 10 periods
  EXPECT_EQ(curve.substr(0, curve.find('\n')),
            "period,batch,gain,gain_se,mean_reward,mean_coding_cost,td_error,phi_change,learning_rate,prior,field_error");
  EXPECT_NE(curve.find(",nan\n"), std::string::npos);  // field_error: the value regression has none
  // The learned policy is an Ising policy `netrl sample` takes.
  nlohmann::json s = {{"model", "network"}, {"n", 8}, {"lambda", 0.1},
                      {"policy", {{"kind", "ising"}, {"J", (dir / "out" / "J.npy").string()},
                                  {"h", (dir / "out" / "h_policy.npy").string()}, {"prior", result["prior"]}}},
                      {"sampling", {{"chains", 4}, {"steps", 100}}}};
  io::write_file_atomic((dir / "sample.json").string(), s.dump());
  const test::CliRun sampled = run_cli("sample " + (dir / "sample.json").string());
  EXPECT_EQ(sampled.status, 0) << sampled.output;
}

}  // namespace
}  // namespace netrl
