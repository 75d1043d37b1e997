// `netrl sweep` on hostile inputs: values nested far beyond any configuration, floats that hold
// integers, a damaged journal, tampered results, input files that change under finished points.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "netrl/io/digest.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "sweep_cli_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using namespace sweep_test;

const char* kBase = R"({"model": "network", "n": 8, "lambda": 0.1, "reward": {"kind": "count", "targets": [2]}})";

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

/// A sweep of kBase over lambda in a fresh directory, run once: its command line (quiet, --out
/// DIR/out) and the ids its journal holds.
struct LambdaSweep {
  fs::path dir, out;
  std::string cmd;
  std::vector<std::string> ids;
};

LambdaSweep lambda_sweep(const std::string& name, const std::string& values) {
  LambdaSweep s;
  s.dir = test::fresh_dir("netrl_sweep_", name, true);
  std::ofstream(s.dir / "base.json") << kBase;
  std::ofstream(s.dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "lambda", "values": )"
                                  << values << "}]}";
  s.out = s.dir / "out";
  s.cmd = "sweep " + (s.dir / "s.json").string() + " --quiet --out " + s.out.string();
  const test::CliRun r = run_cli(s.cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  s.ids = journal_ids(s.out);
  return s;
}

TEST(SweepCliInputs, DeepValuesAreRefusedNotACrash) {
  // 10^5 nested arrays, accepted by the parser under a raised json_depth, used to overflow the
  // stack (exit 139) when the sweep copied, hashed and compared its points.
  const fs::path dir = test::fresh_dir("netrl_sweep_", "deep", true);
  std::ofstream(dir / "base.json") << kBase;
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "x", "values": [)"
                                << nested(100000) << "]}]}";
  // Refused before anything is written, with the field and the file named.
  const auto expect_refused = [&](const std::string& sweep, const std::string& message) {
    const test::CliRun r = run_cli("--limit json_depth=10000000 sweep " + (dir / sweep).string() + " --quiet --out " +
                                   (dir / "out").string());
    EXPECT_EQ(r.status, 1) << r.output.substr(0, 400);
    EXPECT_NE(r.output.find("netrl: error: " + message + " nests arrays and objects deeper than 256 levels"),
              std::string::npos)
        << r.output.substr(0, 400);
    EXPECT_FALSE(fs::exists(dir / "out"));
  };
  expect_refused("s.json", "axes[0].values[0]: the sweep file " + (dir / "s.json").string());
  // The same in the base file.
  std::string base = kBase;
  base.insert(base.size() - 1, ", \"x\": " + nested(100000));
  std::ofstream(dir / "deep.json") << base;
  std::ofstream(dir / "s2.json") << R"({"command": "solve", "base": "deep.json", "axes": [{"key": "lambda", "values": [0.1, 0.2]}]})";
  expect_refused("s2.json", "base.x[0][0][0]: the base file " + (dir / "deep.json").string());
  fs::remove_all(dir);
}

// A point quoted in a message is cut to 200 bytes: an axis value of 100000 targets made a 400 KB
// error line.
TEST(SweepCliInputs, AHugePointIsShortenedInMessages) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "huge", true);
  std::ofstream(dir / "base.json") << kBase;
  std::string targets;
  for (int k = 0; k < 100000; ++k) targets += (k ? "," : "") + std::to_string(k);
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "reward.targets", "values": [[)"
                                << targets << "]]}]}";
  const test::CliRun r = run_cli("sweep " + (dir / "s.json").string() + " --quiet --out " + (dir / "out").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_LT(r.output.size(), 1000u) << r.output.substr(0, 1000);
  EXPECT_NE(r.output.find("netrl: error: reward.targets[16385]: value 16385 must lie in [0, 16384] (sweep point 0"),
            std::string::npos)
      << r.output.substr(0, 1000);
  EXPECT_NE(r.output.find(" bytes))"), std::string::npos) << r.output.substr(0, 1000);
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
  const LambdaSweep sweep = lambda_sweep("journal", "[0.1, 0.2, 0.3]");
  const fs::path& out = sweep.out;
  const std::vector<std::string>& ids = sweep.ids;
  ASSERT_EQ(ids.size(), 3u);
  const std::string journal = io::read_file((out / "journal").string());
  test::CliRun r;
  const std::string table = io::read_file((out / "table.csv").string());
  // The second record damaged: the run stops, naming the file and the line; nothing changes.
  std::string damaged = journal;
  damaged.replace(damaged.find(ids[1]), 4, "zzzz");
  std::ofstream(out / "journal", std::ios::binary | std::ios::trunc) << damaged;
  for (const std::string extra : {"", " --extend"}) {
    r = run_cli(sweep.cmd + extra);
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
  r = run_cli(sweep.cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 1 computed"), std::string::npos) << r.output;
  EXPECT_EQ(journal_ids(out), ids);
  fs::remove_all(sweep.dir);
}

TEST(SweepCliInputs, ATamperedResultIsComputedAgainNotFlattenedWithoutBound) {
  // The table flattens result.json's objects into dotted columns. A file nested 10^5 deep (read
  // under a raised --limit json_depth) recursed as deep; long keys over many values made column
  // names as long as the file for each value. netrl writes 3 levels and short names: beyond 8
  // levels or 256 bytes the outputs count as damaged and the point is computed again.
  const LambdaSweep sweep = lambda_sweep("tampered", "[0.1, 0.2]");
  const fs::path& out = sweep.out;
  ASSERT_EQ(sweep.ids.size(), 2u);
  test::CliRun r;
  const Table table = read_csv(out / "table.csv");
  const fs::path result = out / "points" / sweep.ids[0] / "result.json";
  const std::string original = io::read_file(result.string());
  std::string deep = "1";
  for (int k = 0; k < 9; ++k) deep = "{\"a\": " + deep + "}";  // 9 levels below the top
  for (const std::string& extra : {"\"x\": " + deep, "\"" + std::string(257, 'k') + "\": 1"}) {
    std::ofstream(result, std::ios::trunc) << "{" << extra << ", " << original.substr(original.find('{') + 1);
    r = run_cli(sweep.cmd);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("1 resumed, 1 computed"), std::string::npos) << r.output;
    EXPECT_EQ(io::read_file(result.string()).find(extra.substr(0, 8)), std::string::npos);  // written anew
    const Table again = read_csv(out / "table.csv");
    ASSERT_EQ(again.size(), table.size());
    for (std::size_t k = 0; k < table.size(); ++k) {
      EXPECT_EQ(again[k].size(), table[k].size());  // no column from the tampered file
      for (const char* c : {"id", "gain", "inner_iterations", "prior_mean"}) EXPECT_EQ(again[k].at(c), table[k].at(c));
    }
  }
  // Within the bounds (8 levels, a 256-byte column name) a hand-edited file is read as it is.
  deep = "1";
  for (int k = 0; k < 7; ++k) deep = "{\"a\": " + deep + "}";
  std::ofstream(result, std::ios::trunc) << "{\"x\": " << deep << ", \"" << std::string(256, 'k') << "\": 1, "
                                         << original.substr(original.find('{') + 1);
  r = run_cli(sweep.cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 0 computed"), std::string::npos) << r.output;
  const std::string edited = io::read_file((out / "table.csv").string());
  EXPECT_NE(edited.find("x.a.a.a.a.a.a.a"), std::string::npos) << edited;
  EXPECT_NE(edited.find(std::string(256, 'k')), std::string::npos);
  fs::remove_all(sweep.dir);
}

TEST(SweepCliInputs, AWarmStartFromParametricSolvesIsRefusedBeforeAnythingRuns) {
  // The parametric solver writes J and h, no values: point 0 ran, and point 1 failed reading it.
  const fs::path dir = test::fresh_dir("netrl_sweep_", "warm_parametric", true);
  std::ofstream(dir / "base.json") << R"({"model": "network", "n": 8, "lambda": 0.1,
    "reward": {"kind": "count", "targets": [2]}, "solver": {"method": "parametric", "backend": "host"}})";
  std::ofstream(dir / "s.json") << R"({"command": "solve", "base": "base.json", "warm_start": "lambda",
    "axes": [{"key": "lambda", "values": [0.1, 0.2]}]})";
  const fs::path out = dir / "out";
  const test::CliRun r = run_cli("sweep " + (dir / "s.json").string() + " --quiet --out " + out.string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("netrl: error: warm_start: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("warm starts need exact network solves"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

/// A reward table for n = 4 without input: 1 where `active` neurons fire.
void write_table(const fs::path& path, int active) {
  std::vector<double> r(16);
  for (int s = 0; s < 16; ++s) r[static_cast<std::size_t>(s)] = __builtin_popcount(static_cast<unsigned>(s)) == active ? 1.0 : 0.0;
  npy::save(path.string(), r, {16});
}

TEST(SweepCliInputs, AnInputFileThatChangedUnderFinishedPointsIsRefused) {
  // A rerun after r.npy changed used to resume ("2 resumed, 0 computed") and --extend to mix rows
  // computed from the old and the new table.
  const fs::path dir = test::fresh_dir("netrl_sweep_", "inputs", true);
  write_table(dir / "r.npy", 2);
  std::ofstream(dir / "base.json") << R"({"model": "network", "n": 4, "lambda": 0.1, "reward": {"kind": "table", "file": "r.npy"}})";
  const fs::path file = dir / "s.json";
  std::ofstream(file) << R"({"command": "solve", "base": "base.json", "axes": [{"key": "lambda", "values": [0.1, 0.2]}]})";
  const fs::path out = dir / "out";
  const std::string cmd = "sweep " + file.string() + " --quiet --out " + out.string();
  test::CliRun r = run_cli(cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string npy_path = fs::absolute(dir / "r.npy").lexically_normal().string();
  const json record = io::read_json_file((out / "inputs.json").string());
  ASSERT_TRUE(record["files"].contains(npy_path)) << record.dump();
  EXPECT_EQ(record["files"][npy_path]["kind"], "file");
  EXPECT_EQ(record["files"][npy_path]["bytes"], fs::file_size(dir / "r.npy"));
  auto snapshot = [&] {
    std::string all;
    for (const char* f : {"sweep.json", "inputs.json", "journal", "table.csv"}) all += io::read_file((out / f).string());
    return all;
  };
  const std::string before = snapshot();
  // Another table in r.npy, same size: refused on resume and on --extend, naming the file.
  write_table(dir / "r.npy", 3);
  std::ofstream(dir / "s2.json") << R"({"command": "solve", "base": "base.json", "axes": [{"key": "lambda", "values": [0.1, 0.2, 0.3]}]})";
  for (const std::string& c : {cmd, "sweep " + (dir / "s2.json").string() + " --quiet --extend --out " + out.string()}) {
    r = run_cli(c);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("netrl: error: out: " + npy_path + " changed since " + out.string() +
                            " computed points from it (a file of 256 bytes, content hash "),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("Restore the file, or run the sweep in a new directory"), std::string::npos) << r.output;
    EXPECT_EQ(snapshot(), before) << c;
  }
  // Restored: resumed as before.
  write_table(dir / "r.npy", 2);
  r = run_cli(cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 0 computed"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(SweepCliInputs, AnInputNoFinishedPointUsedMayChange) {
  // Two points on two files; the second not journalled (as if it had failed): its file may change.
  const fs::path dir = test::fresh_dir("netrl_sweep_", "inputs2", true);
  write_table(dir / "a.npy", 2);
  write_table(dir / "b.npy", 2);
  std::ofstream(dir / "base.json") << R"({"model": "network", "n": 4, "lambda": 0.1, "reward": {"kind": "table", "file": "a.npy"}})";
  const fs::path file = dir / "s.json";
  std::ofstream(file) << R"({"command": "solve", "base": "base.json", "axes": [{"key": "reward.file", "values": ["a.npy", "b.npy"]}]})";
  const fs::path out = dir / "out";
  const std::string cmd = "sweep " + file.string() + " --quiet --out " + out.string();
  test::CliRun r = run_cli(cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  const Table t = read_csv(out / "table.csv");
  ASSERT_EQ(t.size(), 2u);
  const std::string b_id = t[1].at("id");
  std::string journal = io::read_file((out / "journal").string());
  journal.erase(journal.find(b_id + "\n"), b_id.size() + 1);
  std::ofstream(out / "journal", std::ios::binary | std::ios::trunc) << journal;
  write_table(dir / "b.npy", 3);
  r = run_cli(cmd);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("1 resumed, 1 computed"), std::string::npos) << r.output;
  const std::string b_path = fs::absolute(dir / "b.npy").lexically_normal().string();
  EXPECT_EQ(io::read_json_file((out / "inputs.json").string())["files"][b_path]["hash"],
            io::content_digest(b_path)->hash);
  // a.npy is under a finished point.
  write_table(dir / "a.npy", 1);
  r = run_cli(cmd);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(fs::absolute(dir / "a.npy").lexically_normal().string() + " changed since"), std::string::npos)
      << r.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace netrl
