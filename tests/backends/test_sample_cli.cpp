// `netrl sample` from the command line: an exact solution directory and an Ising policy from .npy
// files round trip, and bad configurations name the field. Host binary only. Part of
// test_sampler (test_sampler.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/sample.hpp"
#include "sampler_suite.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using namespace sampler_suite;  // NOLINT(google-build-using-namespace): the suite's helpers

// ---------------------------------------------------------------------------------------------
// The command line.

#if defined(NETRL_CLI) && !defined(NETRL_TEST_BACKEND_CUDA)

using test::CliRun;

CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_sample_cli_"));
}

fs::path fresh_dir(const std::string& name) { return test::fresh_dir("netrl_sample_", name, true); }

void write_text(const fs::path& path, const std::string& text) { io::write_file_atomic(path.string(), text); }

TEST(SampleCli, ExactSolutionDirectoryRoundTrip) {
  const fs::path dir = fresh_dir("exact");
  ASSERT_EQ(run_cli("solve --scenario count8 --out " + (dir / "solution").string()).status, 0);
  const std::string config = R"({ "model": "network", "n": 8, "input": {"T": [[0.98, 0.02], [0.02, 0.98]]},
    "reward": {"kind": "count", "targets": [2, 6]}, "lambda": 0.114,
    "policy": {"kind": "exact", "dir": "solution"},
    "sampling": {"chains": 2000, "steps": 400, "burn_in": 200, "thin": 2, "seed": 17,
                 "record": {"transitions": true, "raster_chains": [0, 5]}} })";
  write_text(dir / "sample.json", config);
  const CliRun r = run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "out" / "result.json").string()));
  EXPECT_EQ(result["seed"].get<std::uint64_t>(), 17u);
  EXPECT_EQ(result["samples"].get<std::uint64_t>(), 2000u * 200u);
  EXPECT_EQ(result["updates"].get<std::uint64_t>(), 2000u * 600u);
  EXPECT_TRUE(result.contains("elapsed_seconds"));
  EXPECT_NEAR(result["mean_reward"].get<double>(), 0.647, 0.02);
  for (const char* file : {"histogram.npy", "transitions.npy", "rates.npy", "coactivation.npy", "correlation.npy", "spike_count.csv",
                           "spike_count_counts.npy", "raster_chain0.npy", "inputs_chain5.npy"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  }
  const npy::Array raster = npy::load((dir / "out" / "raster_chain5.npy").string());
  EXPECT_EQ(raster.dtype, "|u1");
  EXPECT_EQ(raster.shape, (std::vector<std::uint64_t>{200, 8}));
  const auto hist = npy::to_double(npy::load((dir / "out" / "histogram.npy").string()), "histogram");
  ASSERT_EQ(hist.size(), 512u);
  // The same configuration again: bit-identical counts.
  ASSERT_EQ(run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "again").string()).status, 0);
  EXPECT_EQ(io::read_file((dir / "out" / "histogram.npy").string()), io::read_file((dir / "again" / "histogram.npy").string()));
  EXPECT_EQ(io::read_file((dir / "out" / "raster_chain0.npy").string()), io::read_file((dir / "again" / "raster_chain0.npy").string()));
  fs::remove_all(dir);
}

TEST(SampleCli, IsingPolicyFromNpyFiles) {
  const fs::path dir = fresh_dir("ising");
  const int n = 50;
  std::mt19937_64 rng(2);
  std::vector<double> J, h;
  random_ising(n, 1, 0.05, rng, &J, &h);
  npy::save((dir / "J.npy").string(), J, {50, 50});
  npy::save((dir / "h.npy").string(), h, {50});
  write_text(dir / "sample.json", R"({ "model": "network", "n": 50, "lambda": 0.5,
    "clamp": [{"neuron": 49, "state": 1}],
    "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": 0.3},
    "sampling": {"chains": 64, "steps": 500, "seed": 1, "record": {"raster_chains": [63]}} })");
  const CliRun r = run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "out" / "result.json").string()));
  EXPECT_EQ(result["n"].get<int>(), 50);
  EXPECT_FALSE(fs::exists(dir / "out" / "histogram.npy"));
  const auto rates = npy::to_double(npy::load((dir / "out" / "rates.npy").string()), "rates");
  EXPECT_EQ(rates[49], 1.0);
  fs::remove_all(dir);
}

TEST(SampleCli, BadConfigurationsNameTheField) {
  const fs::path dir = fresh_dir("bad");
  ASSERT_EQ(run_cli("solve --scenario count8 --out " + (dir / "solution").string()).status, 0);
  const std::string head = R"({ "model": "network", "n": 8, "input": {"T": [[0.98, 0.02], [0.02, 0.98]]}, )";
  struct Bad {
    std::string tail, field;
  };
  const std::vector<Bad> cases = {
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10, "bogus": 1}})",
       "sampling.bogus"},
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": -3, "steps": 10}})",
       "sampling.chains"},
      {R"("lambda": 0.2, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10}})",
       "policy.dir"},
      {R"("lambda": 0.114, "policy": {"kind": "magic"}, "sampling": {"chains": 10, "steps": 10}})", "policy.kind"},
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10, "record": {"histogram": "yes"}}})",
       "sampling.record.histogram"},
      {R"("lambda": -1, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10}})", "lambda"},
      {R"("lambda": 0.114, "reward": {"kind": "efficient_coding", "labels": [-1, 1]}, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10}})",
       "reward.kind"},
  };
  for (const Bad& c : cases) {
    write_text(dir / "bad.json", head + c.tail);
    const CliRun r = run_cli("sample " + (dir / "bad.json").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(r.status, 1) << c.tail << "\n" << r.output;
    EXPECT_NE(r.output.find(c.field + ":"), std::string::npos) << c.field << "\n" << r.output;
    EXPECT_FALSE(fs::exists(dir / "out" / "result.json"));
  }
  // The last case without --out: refused before the chains run (it used to sample, and to fail
  // only when result.json was written; without --out the reward was ignored).
  const CliRun no_out = run_cli("sample " + (dir / "bad.json").string());
  EXPECT_EQ(no_out.status, 1) << no_out.output;
  EXPECT_EQ(no_out.output.find("neuron updates"), std::string::npos) << no_out.output;
  EXPECT_EQ(run_cli("sample").status, 2);
  EXPECT_EQ(run_cli("sample a.json b.json").status, 2);
  fs::remove_all(dir);
}

#endif

}  // namespace
}  // namespace netrl
