// `netrl sweep` on hostile inputs: values nested far beyond any configuration, floats that hold
// integers, a damaged journal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "netrl/io/files.hpp"
#include "sweep_cli_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using namespace sweep_test;

const char* kBase = R"({"model": "network", "n": 8, "lambda": 0.1, "reward": {"kind": "count", "targets": [2]}})";

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(SweepCliInputs, DeepValuesAreRefusedNotACrash) {
  // 10^5 nested arrays, accepted by the parser under a raised json_depth, used to overflow the
  // stack (exit 139) when the sweep copied, hashed and compared its points.
  const fs::path dir = test::fresh_dir("netrl_sweep_", "deep", true);
  std::ofstream(dir / "base.json") << kBase;
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "x", "values": [)"
                                << nested(100000) << "]}]}";
  test::CliRun r = run_cli("--limit json_depth=10000000 sweep " + (dir / "s.json").string() + " --quiet --out " +
                           (dir / "out").string());
  EXPECT_EQ(r.status, 1) << r.output.substr(0, 400);
  EXPECT_NE(r.output.find("netrl: error: axes[0].values[0]: the sweep file " + (dir / "s.json").string() +
                          " nests arrays and objects deeper than 256 levels"),
            std::string::npos)
      << r.output.substr(0, 400);
  EXPECT_FALSE(fs::exists(dir / "out"));
  // The same in the base file.
  std::string base = kBase;
  base.insert(base.size() - 1, ", \"x\": " + nested(100000));
  std::ofstream(dir / "deep.json") << base;
  std::ofstream(dir / "s2.json") << R"({"command": "solve", "base": "deep.json", "axes": [{"key": "lambda", "values": [0.1, 0.2]}]})";
  r = run_cli("--limit json_depth=10000000 sweep " + (dir / "s2.json").string() + " --quiet --out " + (dir / "out").string());
  EXPECT_EQ(r.status, 1) << r.output.substr(0, 400);
  EXPECT_NE(r.output.find("netrl: error: base.x[0][0][0]: the base file " + (dir / "deep.json").string() +
                          " nests arrays and objects deeper than 256 levels"),
            std::string::npos)
      << r.output.substr(0, 400);
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

TEST(SweepCliInputs, IntegralFloatsAreOnePointAndPrintAsIntegers) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "floats", true);
  std::ofstream(dir / "base.json") << kBase;
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "n", "values": [8, 8.0]}]})";
  const std::string out = (dir / "out").string();
  test::CliRun r = run_cli("sweep " + (dir / "s.json").string() + " --quiet --out " + out);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("axes: points 0 and 1 have the same configuration {\"n\":8}"), std::string::npos) << r.output;
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "n", "values": [6.0, 8]}]})";
  r = run_cli("sweep " + (dir / "s.json").string() + " --quiet --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const Table t = read_csv(dir / "out" / "table.csv");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].at("n"), "6");
  EXPECT_EQ(t[1].at("n"), "8");
  // The same points written as integers: the same sweep, resumed.
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "n", "values": [6, 8.0]}]})";
  r = run_cli("sweep " + (dir / "s.json").string() + " --quiet --out " + out);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 0 computed"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(SweepCliInputs, ACorruptJournalLineIsAnErrorNotASilentRecompute) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "journal", true);
  std::ofstream(dir / "base.json") << kBase;
  const fs::path file = dir / "s.json";
  std::ofstream(file) << R"({"command": "solve", "base": "base.json", "axes": [{"key": "lambda", "values": [0.1, 0.2, 0.3]}]})";
  const fs::path out = dir / "out";
  const std::string cmd = "sweep " + file.string() + " --quiet --out " + out.string();
  test::CliRun r = run_cli(cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string journal = io::read_file((out / "journal").string());
  const std::vector<std::string> ids = journal_ids(out);
  ASSERT_EQ(ids.size(), 3u);
  const std::string table = io::read_file((out / "table.csv").string());
  // The second record damaged: the run stops, naming the file and the line; nothing changes.
  std::string damaged = journal;
  damaged.replace(damaged.find(ids[1]), 4, "zzzz");
  std::ofstream(out / "journal", std::ios::binary | std::ios::trunc) << damaged;
  for (const std::string extra : {"", " --extend"}) {
    r = run_cli(cmd + extra);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("netrl: error: " + (out / "journal").string() + ": line 3 is not a valid record (\"zzzz" +
                            ids[1].substr(4) + "\") and 1 line(s) follow it"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(io::read_file((out / "journal").string()), damaged);
    EXPECT_EQ(io::read_file((out / "table.csv").string()), table);
  }
  // A torn last line (a crash while appending) is dropped and its point computed again.
  std::ofstream(out / "journal", std::ios::binary | std::ios::trunc) << journal.substr(0, journal.size() - 7);
  r = run_cli(cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 1 computed"), std::string::npos) << r.output;
  EXPECT_EQ(journal_ids(out), ids);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace netrl
