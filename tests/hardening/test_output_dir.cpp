// Output directories (docs/outputs.md): a run replaces `--out` as a whole or not at all, refuses
// a second concurrent writer, never replaces a directory netrl did not write, and leaves no
// temporaries behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hardening_support.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::CliRun;

class OutputDirs : public ::testing::Test {
 protected:
  test::Scratch s_{"netrl_outdir_"};

  CliRun run(const std::string& args) { return test::run_limited(s_, args, 120); }

  /// A count8 sampling configuration (exact policy from `sol`) with the given seed and records.
  std::string sample_config(const std::string& name, int seed, const json& record) {
    const json j = {{"model", "network"},
                    {"n", 8},
                    {"input", {{"T", {{0.98, 0.02}, {0.02, 0.98}}}}},
                    {"lambda", 0.114},
                    {"policy", {{"kind", "exact"}, {"dir", "sol"}}},
                    {"sampling", {{"chains", 4}, {"steps", 2000}, {"seed", seed}, {"record", record}}}};
    return s_.write(name, j.dump());
  }

  /// Every file of `dir` and its bytes.
  std::map<std::string, std::string> snapshot(const std::string& dir) const {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(s_.path(dir))) files[e.path().filename().string()] = io::read_file(e.path().string());
    return files;
  }

  /// Names in the scratch directory other than the inputs the test wrote.
  std::vector<std::string> leftovers(const std::vector<std::string>& expected) const {
    std::vector<std::string> extra;
    for (const auto& e : fs::directory_iterator(s_.dir())) {
      const std::string name = e.path().filename().string();
      if (name == ".cli.log" || std::find(expected.begin(), expected.end(), name) != expected.end()) continue;
      extra.push_back(name);
    }
    return extra;
  }
};

TEST_F(OutputDirs, RewriteLeavesNoFileOfTheEarlierRun) {
  ASSERT_EQ(run("solve --scenario count8 --out sol").status, 0);
  ASSERT_EQ(run("sample " + sample_config("a.json", 1, {{"raster_chains", {0}}}) + " --out smp").status, 0);
  ASSERT_TRUE(fs::exists(s_.path("smp/raster_chain0.npy")));
  const CliRun r = run("sample " + sample_config("b.json", 2, json::object()) + " --out smp");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_FALSE(fs::exists(s_.path("smp/raster_chain0.npy"))) << "a file of the earlier run survived";
  EXPECT_FALSE(fs::exists(s_.path("smp/inputs_chain0.npy")));
  EXPECT_EQ(json::parse(io::read_file(s_.path("smp/result.json")))["seed"], 2);
}

TEST_F(OutputDirs, FailedWriteLeavesTheEarlierOutputsWhole) {
  ASSERT_EQ(run("solve --scenario count8 --out sol").status, 0);
  const json record = {{"transitions", true}};
  ASSERT_EQ(run("sample " + sample_config("a.json", 1, record) + " --out smp").status, 0);
  const auto before = snapshot("smp");
  sample_config("b.json", 2, record);
  // A 16 KiB file-size limit: histogram.npy (4 KiB) fits, transitions.npy (36 KiB) fails with EFBIG.
  const std::string cmd = "bash -c \"cd '" + s_.dir().string() + "' && trap '' XFSZ && ulimit -f 16 && " +
                          std::string(NETRL_CLI) + " sample b.json --out smp\"";
  const CliRun r = test::run_cli_logged(cmd, "", s_.dir() / ".cli.log");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  EXPECT_TRUE(snapshot("smp") == before) << "the failed run changed the earlier outputs";
  EXPECT_EQ(leftovers({"sol", "smp", "a.json", "b.json"}), std::vector<std::string>{});
}

TEST_F(OutputDirs, SecondConcurrentWriterIsRefused) {
  io::OutputDir first(s_.path("out"));
  try {
    io::OutputDir second(s_.path("out"));
    ADD_FAILURE() << "a second writer of the same directory was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another netrl run"), std::string::npos) << e.what();
  }
}

TEST_F(OutputDirs, UnrelatedDirectoryIsNeverReplaced) {
  fs::create_directories(s_.path("mine"));
  s_.write("mine/notes.txt", "my notes");
  const CliRun r = run("solve --scenario count8 --out mine");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("netrl: error: --out"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not a netrl output directory"), std::string::npos) << r.output;
  EXPECT_EQ(io::read_file(s_.path("mine/notes.txt")), "my notes");
  EXPECT_FALSE(fs::exists(s_.path("mine/result.json")));
}

}  // namespace
}  // namespace netrl
