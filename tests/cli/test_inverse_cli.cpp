// `netrl infer`: from a `netrl solve` output directory, from a raster, bad data and usage errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "netrl/inverse.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/netrl.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"
#include "inverse_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::CliRun;

class InferCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("netrl_infer_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) { return test::run_cli_logged(NETRL_CLI, args, dir_ / "cli.log"); }
  /// `netrl solve` of the network `cfg` with the count reward of `targets` (at tolerances 1e-12 with
  /// `tight`) into sol/; a fatal failure unless it succeeds (callers: ASSERT_NO_FATAL_FAILURE).
  void solve_count(json cfg, const std::vector<int>& targets, bool tight = false) {
    cfg["reward"] = {{"kind", "count"}, {"targets", targets}};
    if (tight) cfg["solver"] = {{"tol", 1e-12}, {"prior_tol", 1e-12}};
    const CliRun s = run("solve " + write_json("solve.json", cfg) + " --out " + path("sol"));
    ASSERT_EQ(s.status, 0) << s.output;
  }
  std::string write_json(const std::string& name, const json& j) {
    const std::string path = (dir_ / name).string();
    io::write_file_atomic(path, j.dump(2));
    return path;
  }
  json read_json(const std::string& path) { return json::parse(io::read_file(path)); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// Population prior: with per-neuron priors this network freezes into one of several symmetric
// "trivial" fixed points, and which one a re-solve reaches is decided by rounding.
const json kNetwork = json::parse(R"({
  "model": "network", "n": 4, "lambda": 0.3,
  "input": {"T": [[0.9, 0.1], [0.2, 0.8]]}
})");

TEST_F(InferCli, NetworkWithInputFromSolutionIsExact) {
  ASSERT_NO_FATAL_FAILURE(solve_count(kNetwork, {1, 3}, /*tight=*/true));

  json cfg = kNetwork;
  cfg["data"] = {{"solution", "sol"}};
  cfg["true_reward"] = {{"kind", "count"}, {"targets", {1, 3}}};
  cfg["predict"] = json::array({{{"name", "slower input"}, {"input", {{"T", {{0.95, 0.05}, {0.1, 0.9}}}}}},
                                {{"name", "cell 2 removed"}, {"clamp", {{{"neuron", 2}, {"state", -1}}}}}});
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "policy");
  EXPECT_LT(res["comparison"]["max_abs_error"].get<double>(), 1e-8);
  EXPECT_NEAR(res["comparison"]["r2"].get<double>(), 1.0, test::rounding(4500));
  ASSERT_EQ(res["predictions"].size(), 2u);
  for (const auto& p : res["predictions"]) EXPECT_LT(p["kl_stationary"].get<double>(), 1e-10) << p["name"];
  const auto reward = npy::to_double(npy::load(path("out/reward.npy")), "reward.npy");
  ASSERT_EQ(reward.size(), 32u);
  for (double v : reward) EXPECT_TRUE(std::isfinite(v));
  EXPECT_TRUE(fs::exists(path("out/predict_1_stationary.npy")));
  // An error in one prediction names its index.
  cfg["predict"][1]["reference"] = "no_such_solution";
  const CliRun bad = run("infer " + write_json("infer_bad.json", cfg) + " --out " + path("out_bad"));
  EXPECT_EQ(bad.status, 1) << bad.output;
  EXPECT_NE(bad.output.find("netrl: error: predict[1].reference"), std::string::npos) << bad.output;
  // The unclamped solution is no reference for "cell 2 removed": it has mass where neuron 2 fires
  // (a finite KL of hundreds of nats was reported).
  cfg["predict"][1]["reference"] = "sol";
  const CliRun unclamped = run("infer " + write_json("infer_unclamped.json", cfg) + " --out " + path("out_unclamped"));
  EXPECT_EQ(unclamped.status, 1) << unclamped.output;
  EXPECT_NE(unclamped.output.find("netrl: error: predict[1].reference: "), std::string::npos) << unclamped.output;
  EXPECT_NE(unclamped.output.find("on states this prediction's clamps rule out"), std::string::npos) << unclamped.output;
  EXPECT_FALSE(fs::exists(path("out_unclamped")));
  // Data solved with the population prior, a config with per-neuron priors: refused (the
  // predictions would re-solve in another prior mode than the data's).
  cfg["predict"] = json::array();
  cfg["prior"] = "neuron";
  const CliRun mode = run("infer " + write_json("infer_mode.json", cfg) + " --out " + path("out_mode"));
  EXPECT_EQ(mode.status, 1) << mode.output;
  EXPECT_NE(mode.output.find("data.solution: "), std::string::npos) << mode.output;
  EXPECT_NE(mode.output.find("was solved with prior \"population\"; the config has prior \"neuron\""),
            std::string::npos)
      << mode.output;
}

TEST_F(InferCli, NetworkFromRasterWithInputs) {
  Problem p = parse_problem(json::parse(R"({"model": "network", "n": 4, "lambda": 0.3,
      "input": {"T": [[0.95, 0.05], [0.05, 0.95]]}, "reward": {"kind": "count", "targets": [1, 3]}})"), "");
  const SolveResult exact = solve(p);
  const auto raster = test::sampled_raster(p.network, exact, 50000, 3);
  std::vector<std::uint8_t> inputs(raster.inputs.begin(), raster.inputs.end());
  io::write_file_atomic(path("raster.npy"), npy::serialize(raster.states, {raster.steps, 4}));
  io::write_file_atomic(path("inputs.npy"), npy::serialize(inputs, {raster.steps}));
  json cfg = json::parse(R"({"model": "network", "n": 4, "lambda": 0.3,
      "input": {"T": [[0.95, 0.05], [0.05, 0.95]]}, "true_reward": {"kind": "count", "targets": [1, 3]},
      "data": {"raster": "raster.npy", "inputs": "inputs.npy"}})");
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "ml");
  EXPECT_EQ(res["data"]["samples"], 50000);
  EXPECT_GT(res["comparison"]["r2"].get<double>(), 0.9);
}

TEST_F(InferCli, ParametricSparseFromRaster) {
  Problem p = parse_problem(json::parse(R"({"model": "network", "n": 5, "lambda": 0.3,
      "reward": {"kind": "ring_bump", "width": 2}})"), "");
  const SolveResult exact = solve(p);
  const auto raster = test::sampled_raster(p.network, exact, 20000, 5);
  io::write_file_atomic(path("raster.npy"), npy::serialize(raster.states, {raster.steps, 5}));
  json cfg = json::parse(R"({"model": "network", "n": 5, "lambda": 0.3, "method": "parametric",
      "reward_model": "sparse", "true_reward": {"kind": "ring_bump", "width": 2},
      "data": {"raster": "raster.npy"}})");
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "parametric");
  EXPECT_TRUE(fs::exists(path("out/J.npy")));
  EXPECT_TRUE(res["comparison"]["r2"].is_number());
}

// The parametric inverse with an input (transition likelihood): h.npy holds m x n fields.
TEST_F(InferCli, ParametricWithInputFromSolution) {
  ASSERT_NO_FATAL_FAILURE(solve_count(kNetwork, {1, 3}));
  json cfg = kNetwork;
  cfg["data"] = {{"solution", "sol"}};
  cfg["method"] = "parametric";
  cfg["reward_model"] = "global";
  cfg["true_reward"] = {{"kind", "count"}, {"targets", {1, 3}}};
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "parametric");
  EXPECT_EQ(npy::load(path("out/h.npy")).shape, (std::vector<std::uint64_t>{2, 4}));
  EXPECT_EQ(npy::load(path("out/J.npy")).shape, (std::vector<std::uint64_t>{4, 4}));
  EXPECT_TRUE(res["comparison"]["r2"].is_number());
}

TEST_F(InferCli, MazeFromSolution) {
  json solve_cfg = json::parse(R"({"model": "maze", "map": ["S..#", ".#..", "...R"], "lambda": 0.1,
      "solver": {"method": "policy_iteration", "tol": 1e-12, "prior_tol": 1e-12}})");
  ASSERT_EQ(run("solve " + write_json("solve.json", solve_cfg) + " --out " + path("sol")).status, 0);
  json cfg = json::parse(R"({"model": "maze", "map": ["S..#", ".#..", "...R"], "lambda": 0.1,
      "data": {"solution": "sol"}, "true_reward": "map",
      "predict": [{"name": "moved wall", "map": ["S...", ".#.#", "...R"]}, {"name": "costly", "lambda": 1.0}]})");
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "maze");
  // The reward comes back from log pi(a|s) of the solved policy, so its error follows the forward
  // solve's: on this map the reference backend's solution gives 2.0e-9, the host MDP solver's
  // (policy iteration, tol = prior_tol = 1e-12) 1.7e-8.
  EXPECT_LT(res["comparison"]["max_abs_error"].get<double>(), 5e-8);
  EXPECT_EQ(res["predictions"][0]["filled_states"], 1);
  for (const auto& p : res["predictions"]) EXPECT_LT(p["kl_stationary"].get<double>(), 1e-10) << p["name"];
}

TEST_F(InferCli, BadDataAndConfigAreClearErrors) {
  io::write_file_atomic(path("bad.npy"), npy::serialize(std::vector<std::uint8_t>{0, 1, 3, 0}, {2, 2}));
  json cfg = json::parse(R"({"model": "network", "n": 2, "lambda": 0.3, "data": {"raster": "bad.npy"}})");
  CliRun r = run("infer " + write_json("bad.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("is not binary"), std::string::npos) << r.output;

  // A raster that never moves determines no reward (the closed form needs each state's one-neuron
  // flips visited): an error naming the data, not a result of NaNs marked converged.
  io::write_file_atomic(path("still.npy"), npy::serialize(std::vector<std::uint8_t>(100 * 2, 0), {100, 2}));
  cfg["data"] = {{"raster", "still.npy"}};
  r = run("infer " + write_json("still.json", cfg) + " --out " + path("still_out"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("data: the data do not determine the reward of any state (4 states, all missing): 100 "
                          "samples visit 1 state(s); method closed_form needs a state and each of its one-neuron flips"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(path("still_out")));

  cfg["data"] = {{"raster", "bad.npy"}, {"extra", 1}};
  r = run("infer " + write_json("bad2.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("data.extra: unknown key"), std::string::npos) << r.output;

  cfg = json::parse(R"({"model": "network", "n": 2, "lambda": 0.3, "data": {"solution": "missing-dir"}})");
  r = run("infer " + write_json("bad3.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("result.json"), std::string::npos) << r.output;
}

// A 60-neuron raster (beyond the exact state space): only the parametric method takes it, on the
// visited states, without predictions; each refusal names its key.
TEST_F(InferCli, LargeRasterOnlyParametricOnVisitedStates) {
  std::vector<std::uint8_t> states(3 * 60, 0);
  states[60 + 5] = 1;  // rows: all silent, neuron 5 active, all silent again
  io::write_file_atomic(path("big.npy"), npy::serialize(states, {3, 60}));
  json cfg = json::parse(R"({"model": "network", "n": 60, "lambda": 0.05, "data": {"raster": "big.npy"}})");
  CliRun r = run("infer " + write_json("big1.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("n: n = 60 is beyond the exact state space"), std::string::npos) << r.output;
  cfg["method"] = "parametric";
  cfg["states"] = "all";
  r = run("infer " + write_json("big2.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("states: \"all\" reports over the m * 2^n states"), std::string::npos) << r.output;
  cfg.erase("states");
  cfg["predict"] = json::parse(R"([{"name": "half", "lambda": 0.025}])");
  r = run("infer " + write_json("big3.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("predict: predictions re-solve the network"), std::string::npos) << r.output;
  cfg.erase("predict");
  r = run("infer " + write_json("big4.json", cfg) + " --out " + path("big"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = json::parse(std::ifstream(path("big") + "/result.json"));
  EXPECT_EQ(res["states"], "visited");
  EXPECT_EQ(res["reward_shape"], json::array({2}));
  const npy::Array v = npy::load(path("big") + "/visited_states.npy");
  EXPECT_EQ(v.shape, (std::vector<std::uint64_t>{2, 60}));
  const npy::Array visits = npy::load(path("big") + "/visits.npy");
  EXPECT_EQ(npy::to_double(visits, "visits"), (std::vector<double>{2.0, 1.0}));
}

// count8 (MODEL.md sec. 5) at the solver's tight tolerances.
const json kCount8 = json::parse(R"({
  "model": "network", "n": 8, "lambda": 0.114, "prior": "population",
  "input": {"T": [[0.98, 0.02], [0.02, 0.98]]}
})");

// End to end: netrl solve -> netrl sample (with transitions) -> netrl infer from the sample
// directory. The bound on r^2: the maximum-likelihood error variance of each state's reward falls
// as 1 / (its visits), so 1 - r^2 ~ C / T. The count8-samples scenario measures
// 1 - r^2 = 0.0018 at T = 10^6 single-chain samples, C ~ 1.8e3; these T = 2 * 10^5 samples (20 chains
// of 10^4 steps) should give 1 - r^2 ~ 0.009. The bound 0.95 leaves a factor > 5 for this seed's
// fluctuation (the error variance is a sum over ~500 states, relative spread ~ sqrt(2 / 500)) and
// is far above what a wrong reward scores (r^2 ~ 0); the upper bound checks that the answer
// does come from noisy samples, not from the exact solution.
TEST_F(InferCli, SolveSampleInferRecoversCount8) {
  ASSERT_NO_FATAL_FAILURE(solve_count(kCount8, {2, 6}, /*tight=*/true));

  json sample_cfg = kCount8;
  sample_cfg["policy"] = {{"kind", "exact"}, {"dir", "sol"}};
  sample_cfg["sampling"] = {{"chains", 20},  {"steps", 10000}, {"burn_in", 2000},
                            {"seed", 7},     {"record", {{"transitions", true}}}};
  const CliRun sm = run("sample " + write_json("sample.json", sample_cfg) + " --out " + path("smp"));
  ASSERT_EQ(sm.status, 0) << sm.output;
  ASSERT_TRUE(fs::exists(path("smp/transitions.npy")));

  json cfg = kCount8;
  cfg["data"] = {{"samples", "smp"}};
  cfg["true_reward"] = {{"kind", "count"}, {"targets", {2, 6}}};
  const CliRun r = run("infer " + write_json("infer.json", cfg) + " --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const json res = read_json(path("out/result.json"));
  EXPECT_EQ(res["method"], "ml");
  EXPECT_EQ(res["data"]["kind"], "samples");
  EXPECT_EQ(res["data"]["samples"], 200000);
  const double r2 = res["comparison"]["r2"].get<double>();
  EXPECT_GT(r2, 0.95);
  EXPECT_LT(r2, 1.0 - 1e-6);
  const auto reward = npy::to_double(npy::load(path("out/reward.npy")), "reward.npy");
  EXPECT_EQ(reward.size(), 512u);
}

// Bad sample directories: each a clear error naming data.samples and what is wrong.
TEST_F(InferCli, BadSampleDirectoriesAreClearErrors) {
  ASSERT_NO_FATAL_FAILURE(solve_count(kNetwork, {1, 3}));
  json sample_cfg = kNetwork;
  sample_cfg["policy"] = {{"kind", "exact"}, {"dir", "sol"}};
  sample_cfg["sampling"] = {{"chains", 4}, {"steps", 500}, {"burn_in", 100}};
  ASSERT_EQ(run("sample " + write_json("sample.json", sample_cfg) + " --out " + path("smp")).status, 0);

  // No transitions.npy (record.transitions false) with an input: the default method needs them.
  json cfg = kNetwork;
  cfg["data"] = {{"samples", "smp"}};
  CliRun r = run("infer " + write_json("a.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("data.samples"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"sampling.record.transitions\" false"), std::string::npos) << r.output;

  // n of the samples differs from the model's.
  cfg["n"] = 5;
  r = run("infer " + write_json("b.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("has n = 4, m = 2; the config has n = 5"), std::string::npos) << r.output;

  // A transitions file of the wrong shape.
  cfg["n"] = 4;
  io::write_file_atomic(path("smp/transitions.npy"), npy::serialize(std::vector<double>(32 * 4, 0.0), {32, 4}));
  r = run("infer " + write_json("c.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("has shape (32, 4)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("needs (32, 5)"), std::string::npos) << r.output;

  // A solve directory is not a sample directory.
  cfg["data"] = {{"samples", "sol"}};
  r = run("infer " + write_json("d.json", cfg));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("is not the result of `netrl sample --out`"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("out")));
}

TEST_F(InferCli, UsageErrors) {
  EXPECT_EQ(run("infer").status, 2);
  EXPECT_EQ(run("infer --scenario count8 extra.json").status, 2);
  EXPECT_EQ(run("infer --bogus").status, 2);
  EXPECT_EQ(run("infer --scenario count8-samples --repeats 0").status, 2);
  EXPECT_EQ(run("infer --scenario count8-samples --sizes 1e17").status, 2);  // beyond 2^53: not exact
  // 10^11 fits the bound of one size but not the run's chain steps: refused before any work.
  const CliRun big = run("infer --scenario count8-samples --sizes 1e11 --repeats 20 --out " + path("big"));
  EXPECT_EQ(big.status, 1);
  EXPECT_NE(big.output.find("sizes: 20 repeats of the sample sizes"), std::string::npos) << big.output;
  EXPECT_FALSE(fs::exists(path("big")));
  const CliRun r = run("infer --scenario nope");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("unknown scenario"), std::string::npos);
}

TEST_F(InferCli, SampleScenarioSmall) {
  const CliRun r = run("infer --scenario count8-samples --sizes 3000,100000 --repeats 2 --no-predict --out " + path("out"));
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string csv = io::read_file(path("out/samples.csv"));
  EXPECT_EQ(csv.rfind("T,repeats,r2_mean,r2_sem", 0), 0u) << csv;
  const json res = read_json(path("out/result.json"));
  ASSERT_EQ(res["summary"].size(), 2u);
  EXPECT_LT(res["summary"][0]["r2_mean"].get<double>(), res["summary"][1]["r2_mean"].get<double>());
}

}  // namespace
}  // namespace netrl
