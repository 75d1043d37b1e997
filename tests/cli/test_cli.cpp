// The command-line tool: scenarios, configuration files, outputs and exit codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "cli_support.hpp"
#include "netrl/version.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;

using test::CliRun;

CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_cli_"));
}

fs::path fresh_dir(const std::string& name) { return test::fresh_dir("netrl_cli_", name, false); }

TEST(Cli, Count8ScenarioWritesDocumentedOutputs) {
  const fs::path out = fresh_dir("count8");
  const CliRun r = run_cli("solve --scenario count8 --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("gain L = 0.3605475721"), std::string::npos) << r.output;  // 1e-10; result.json to 1e-9 below
  const auto result = nlohmann::json::parse(io::read_file((out / "result.json").string()));
  EXPECT_NEAR(result["gain"].get<double>(), 0.360547572141, 1e-9);
  EXPECT_EQ(result["states"].get<int>(), 512);
  EXPECT_TRUE(result["converged"].get<bool>());
  EXPECT_EQ(result["backend"], "host");  // the default backend of network models
  EXPECT_EQ(result["precision"], "float64");
  for (const char* key : {"gain_bounds", "mean_reward", "mean_coding_cost", "prior", "degenerate",
                          "outer_iterations", "inner_iterations", "elapsed_seconds"}) {
    EXPECT_TRUE(result.contains(key)) << key;
  }
  const auto values = npy::to_double(npy::load((out / "values.npy").string()), "values.npy");
  const auto mu = npy::to_double(npy::load((out / "stationary.npy").string()), "stationary.npy");
  ASSERT_EQ(values.size(), 512u);
  ASSERT_EQ(mu.size(), 512u);
  double total = 0.0, mean_v = 0.0;
  for (std::size_t s = 0; s < mu.size(); ++s) {
    total += mu[s];
    mean_v += mu[s] * values[s];
  }
  EXPECT_NEAR(total, 1.0, test::rounding(4500));
  EXPECT_NEAR(mean_v, 0.0, test::rounding(4500));
  // spike_count.csv: header and one row per K = 0..8; P(K=2|x0) = P(K=6|x1) = 0.647.
  std::istringstream csv(io::read_file((out / "spike_count.csv").string()));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "K,x0,x1");
  std::vector<std::vector<double>> rows;
  while (std::getline(csv, line)) {
    std::vector<double> row;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  ASSERT_EQ(rows.size(), 9u);
  EXPECT_NEAR(rows[2][1], 0.647, 5e-4);
  EXPECT_NEAR(rows[6][2], 0.647, 5e-4);
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
  }
  fs::remove_all(out);
}

TEST(Cli, ConfigFileWithClampWritesNullPriorAndNanValues) {
  const fs::path dir = fresh_dir("clamp");
  fs::create_directories(dir);
  io::write_file_atomic((dir / "c.json").string(), R"({"model": "network", "n": 3,
      "reward": {"kind": "ring_bump", "width": 1}, "lambda": 0.5, "prior": "neuron",
      "clamp": [{"neuron": 2, "state": -1}], "solver": {"tol": 1e-12, "prior_tol": 1e-12}})");
  const CliRun r = run_cli("solve " + (dir / "c.json").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "out/result.json").string()));
  EXPECT_TRUE(result["prior"][2].is_null());
  EXPECT_EQ(result["states"].get<int>(), 4);
  const auto values = npy::to_double(npy::load((dir / "out/values.npy").string()), "values.npy");
  EXPECT_TRUE(std::isnan(values[4]));  // bit 2 set: inconsistent with the clamp
  EXPECT_FALSE(std::isnan(values[3]));
  fs::remove_all(dir);
}

TEST(Cli, ErrorsAndUsage) {
  const fs::path dir = fresh_dir("errors");
  fs::create_directories(dir);
  io::write_file_atomic((dir / "bad.json").string(), R"({"model": "network", "n": 2, "lambda": -1,
      "reward": {"kind": "count", "targets": [1]}})");
  CliRun r = run_cli("solve " + (dir / "bad.json").string() + " --out " + (dir / "out").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("lambda"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out")) << "nothing may be written for a rejected configuration";
  r = run_cli("solve --scenario nope");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("unknown scenario \"nope\""), std::string::npos) << r.output;
  r = run_cli("solve");
  EXPECT_EQ(r.status, 2);
  r = run_cli("frobnicate");
  EXPECT_EQ(r.status, 2);
  // An inner solve cut short by max_iterations is reported, never passed off as converged.
  io::write_file_atomic((dir / "short.json").string(), R"({"model": "network", "n": 3,
      "reward": {"kind": "count", "targets": [1]}, "lambda": 0.2, "solver": {"max_iterations": 2}})");
  r = run_cli("solve " + (dir / "short.json").string() + " --out " + (dir / "short").string());
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("NOT CONVERGED"), std::string::npos) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "short/result.json").string()));
  EXPECT_FALSE(result["converged"].get<bool>());
  fs::remove_all(dir);
}

// Every command prints its own help and exits 0; options of one scenario are refused elsewhere.
TEST(Cli, HelpVersionAndScenarioOptions) {
  for (const char* cmd : {"--help", "solve --help", "sample --help", "infer --help"}) {
    const CliRun r = run_cli(cmd);
    EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find("Usage:"), std::string::npos) << cmd << "\n" << r.output;
  }
  const CliRun v = run_cli("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.output, std::string("netrl ") + NETRL_VERSION + "\n");
  CliRun r = run_cli("infer --scenario count8 --repeats 3");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--repeats: belongs to --scenario count8-samples"), std::string::npos) << r.output;
  r = run_cli("infer --scenario maze --backend host");
  EXPECT_EQ(r.status, 2) << r.output;
  r = run_cli("infer --scenario count8 --quick");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--quick: belongs to --scenario ring12"), std::string::npos) << r.output;
  r = run_cli("infer --scenario maze --seed 3");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--seed: belongs to --scenario count8-samples or ring12"), std::string::npos) << r.output;
  r = run_cli("--threads 0 solve --scenario count8");
  EXPECT_EQ(r.status, 2) << r.output;
  // A seed is an integer >= 0 (CLI11 alone would read -1 as 2^64 - 1).
  r = run_cli("infer --scenario count8-samples --seed -1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--seed: Value -1 is not a seed (an integer in [0, 2^64 - 1])"), std::string::npos) << r.output;
  // Seconds between progress lines lie in [0.01, 3600]; NaN passes no comparison, so it is no number in range.
  for (const char* cmd : {"solve --scenario count8 --progress --progress-interval nan",
                          "sweep --preset count8-grid --out x --progress-interval nan",
                          "solve --scenario count8 --progress --progress-interval 0"}) {
    r = run_cli(cmd);
    EXPECT_EQ(r.status, 2) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find("--progress-interval: Value "), std::string::npos) << cmd << "\n" << r.output;
    EXPECT_NE(r.output.find(" not in range [0.01 - 3600]"), std::string::npos) << cmd << "\n" << r.output;
  }
}

TEST(Cli, OptionErrorsNameTheOptionTheUserWrote) {
  // These blamed fields of built-in configurations ("n", "input.T", "solver.backend"), or ran
  // anyway ("8--9" read as 8..-9, an empty --sizes as the default sizes).
  const std::string out = (fs::temp_directory_path() / "netrl_cli_option_errors").string();
  struct Case {
    const char* args;
    int status;
    const char* text;
  };
  for (const Case& c : {Case{"figure 4 --quick --backend reference", 1,
                             "netrl: error: --backend: figure 4 cannot run on backend reference (input.T: m = 128"},
                        Case{"bench exact-vs-sampled --n 21-20", 1, "netrl: error: --n: the sizes n = 21..20"},
                        Case{"bench exact-vs-sampled --n 8--9", 1, "netrl: error: --n: \"8--9\" is not a size"},
                        Case{"bench exact-vs-sampled --samples \"\"", 2, "--samples: give at least one"},
                        Case{"infer --scenario count8-samples --sizes \"\"", 2, "--sizes: give at least one"},
                        Case{"--limit foo=3 solve --scenario count8", 2, "netrl: error: --limit: unknown limit \"foo\""},
                        Case{"--limit maze_cells solve --scenario count8", 2, "netrl: error: --limit: "},
                        Case{"figure 1 --seed 5", 2, "--seed: belongs to figures 3, 5 and 6"},
                        Case{"figure 1 --backend reference", 2, "--backend: belongs to the figures with network"}}) {
    const CliRun r = run_cli(std::string(c.args) + " --out " + out);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.text), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.args;
  }
}

TEST(Cli, MazeScenario) {
  const CliRun r = run_cli("solve --scenario maze");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("maze 15x15"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace netrl
