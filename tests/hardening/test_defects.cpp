// The defects of issue 13, each reproduced through the tool: malformed .npy headers, deep and
// duplicate JSON, special files, unbounded work, bad solution directories, unclear errors. Every
// case must end with exit status 1, a message that names the field, no "internal error", within a
// wall-clock limit and without a large allocation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hardening_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::CliRun;
using test::npy_bytes;
using test::npy_header;

class Defects : public ::testing::Test {
 protected:
  test::Scratch s_{"netrl_defects_"};

  std::string write_json(const std::string& name, const json& j) { return s_.write(name, j.dump()); }

  /// `netrl args` must fail with status 1 and a message starting with `field`, with no internal
  /// error and at most `max_chars` of output.
  void expect_refused(const std::string& args, const std::string& field, int seconds = 60,
                      std::size_t max_chars = 4000) {
    const CliRun r = test::run_limited(s_, args, seconds);
    EXPECT_EQ(r.status, 1) << args << "\n" << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("netrl: error: " + field), std::string::npos)
        << args << ": expected the field " << field << "\n" << r.output.substr(0, 2000);
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << args << "\n" << r.output.substr(0, 2000);
    EXPECT_LE(r.output.size(), max_chars) << args << ": the message is " << r.output.size() << " characters long";
  }

  /// A network solve configuration whose table reward is read from `file` (n = 1: two values).
  std::string table_config(const std::string& file) {
    return write_json("table.json", {{"model", "network"},
                                     {"n", 1},
                                     {"lambda", 0.5},
                                     {"reward", {{"kind", "table"}, {"file", file}}}});
  }
  /// An infer configuration over a raster of n = 2 neurons.
  std::string raster_config(const std::string& file) {
    return write_json("raster.json", {{"model", "network"}, {"n", 2}, {"lambda", 0.5}, {"data", {{"raster", file}}}});
  }
  /// A count8 solution directory `sol` and the infer configuration that reads it.
  std::string solution_and_infer_config() {
    const CliRun r = test::run_limited(s_, "solve --scenario count8 --out sol");
    EXPECT_EQ(r.status, 0) << r.output;
    return write_json("infer.json", {{"model", "network"},
                                     {"n", 8},
                                     {"input", {{"T", {{0.98, 0.02}, {0.02, 0.98}}}}},
                                     {"lambda", 0.114},
                                     {"data", {{"solution", "sol"}}}});
  }
};

// --- .npy: checked shape arithmetic and a strict, bounded header parser -------------------------

TEST_F(Defects, NpyShapeWhoseProductWrapsIsRefused) {
  // 2^63 x 2 entries wrap to 0 in 64 bits: the header must not pass as an empty array.
  s_.write("wrap.npy", npy_bytes(npy_header("|u1", "(9223372036854775808, 2)"), ""));
  expect_refused("infer " + raster_config("wrap.npy"), "data.raster");
  s_.write("wrap8.npy", npy_bytes(npy_header("<f8", "(2305843009213693952,)"), ""));  // 2^61 * 8 bytes
  expect_refused("solve " + table_config("wrap8.npy"), "reward.file");
}

TEST_F(Defects, IsingHeaderOfFourBillionSquaredIsRefusedBeforeAllocating) {
  s_.write("J.npy", npy_bytes(npy_header("<f8", "(4294967296, 4294967296)"), ""));
  const std::string config =
      write_json("ising.json", {{"model", "network"},
                                {"n", 4},
                                {"lambda", 0.5},
                                {"policy", {{"kind", "ising"}, {"J", "J.npy"}}},
                                {"sampling", {{"chains", 2}, {"steps", 10}}}});
  expect_refused("sample " + config, "policy.J");
}

TEST_F(Defects, NpyShapeBeyond64BitsIsRefused) {
  s_.write("big.npy", npy_bytes(npy_header("<f8", "(99999999999999999999999,)"), std::string(16, '\0')));
  expect_refused("solve " + table_config("big.npy"), "reward.file");
}

TEST_F(Defects, NpyNegativeAndMalformedShapesAreRefused) {
  for (const char* shape : {"(-2,)", "(2x,)", "(2.0,)", "(2 2)", "(,)", "(2,,)", "[2]", "(0x2,)", "(+2,)", "2"}) {
    s_.write("shape.npy", npy_bytes(npy_header("<f8", shape), std::string(16, '\0')));
    SCOPED_TRACE(shape);
    expect_refused("solve " + table_config("shape.npy"), "reward.file");
  }
}

TEST_F(Defects, NpyMegabyteHeaderIsRefusedWithoutCrashing) {
  // numpy's format 2.0 allows headers up to 4 GiB; a regex over 2 MB of header overflowed the stack.
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2," + std::string(2 << 20, ' ') + "), }";
  s_.write("wide.npy", npy_bytes(header, std::string(16, '\0'), 2));
  expect_refused("solve " + table_config("wide.npy"), "reward.file");
}

// --- JSON: depth, duplicate keys, bounded messages ----------------------------------------------

TEST_F(Defects, DeeplyNestedJsonIsRefusedBySolveSampleAndInfer) {
  const std::string deep = "{\"model\": \"network\", \"n\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  s_.write("deep.json", deep);
  for (const char* command : {"solve", "sample", "infer"}) {
    SCOPED_TRACE(command);
    expect_refused(std::string(command) + " deep.json", "n");
  }
}

TEST_F(Defects, DuplicateKeysAreRefusedWithBothLocations) {
  s_.write("dup.json", "{\"model\": \"network\", \"n\": 2, \"lambda\": 0.1,\n"
                       " \"reward\": {\"kind\": \"count\", \"targets\": [1]},\n"
                       " \"solver\": {\"tol\": -1,\n             \"tol\": 1e-10}}\n");
  const CliRun r = test::run_limited(s_, "solve dup.json");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("netrl: error: solver.tol"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("duplicate"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 4"), std::string::npos) << r.output;
}

TEST_F(Defects, ErrorMessagesQuoteAtMost80CharactersOfAValue) {
  const std::string huge(50 << 20, 'x');
  s_.write("long.json", "{\"model\": \"" + huge + "\"}");
  expect_refused("solve long.json", "model", 60, 600);
  s_.write("longkey.json", "{\"model\": \"network\", \"n\": 1, \"lambda\": 0.5, \"reward\": {\"kind\": \"count\", "
                           "\"targets\": [0]}, \"" + huge + "\": 1}");
  expect_refused("solve longkey.json", "x", 60, 600);
  s_.write("longnum.json", "{\"model\": \"network\", \"n\": 1" + std::string(1 << 20, '0') + "e}");
  expect_refused("solve longnum.json", "longnum.json", 60, 600);
}

// --- Files: regular files only -------------------------------------------------------------------

TEST_F(Defects, FifoConfigAndDataFilesAreRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(s_.path("fifo").c_str(), 0600), 0);
  expect_refused("solve fifo", "fifo", 20);
  expect_refused("solve " + table_config("fifo"), "reward.file", 20);
  expect_refused("infer " + raster_config("fifo"), "data.raster", 20);
}

TEST_F(Defects, DevicesAndDirectoriesAreRefusedByName) {
  expect_refused("solve " + table_config("/dev/zero"), "reward.file", 20);
  expect_refused("solve /dev/zero", "/dev/zero", 20);
  fs::create_directories(s_.path("adir"));
  expect_refused("solve " + table_config("adir"), "reward.file", 20);
}

// --- Bounded work ---------------------------------------------------------------------------------

TEST_F(Defects, HugeMazeIsRefusedBeforeSolving) {
  std::vector<std::string> rows(2000, std::string(2000, '.'));
  rows.front()[0] = 'S';
  rows.back()[1999] = 'R';
  const std::string config = write_json("maze.json", {{"model", "maze"}, {"map", rows}, {"lambda", 0.1}});
  expect_refused("solve " + config, "map", 30);
}

TEST_F(Defects, SamplingStepsTimesChainsIsBounded) {
  ASSERT_EQ(test::run_limited(s_, "solve --scenario count8 --out sol").status, 0);
  const std::string config = write_json(
      "sample.json", {{"model", "network"},
                      {"n", 8},
                      {"input", {{"T", {{0.98, 0.02}, {0.02, 0.98}}}}},
                      {"lambda", 0.114},
                      {"policy", {{"kind", "exact"}, {"dir", "sol"}}},
                      {"sampling", {{"chains", 1}, {"steps", 1000000000000000ULL}, {"record", {{"histogram", false}}}}}});
  expect_refused("sample " + config, "sampling.steps", 30);
}

// --- Silently accepted bad input ------------------------------------------------------------------

TEST_F(Defects, NegativeNanOrZeroStationaryDistributionIsRefused) {
  const std::string config = solution_and_infer_config();
  const std::string original = io::read_file(s_.path("sol/stationary.npy"));
  const std::string header = original.substr(0, original.size() - 512 * 8);
  auto with_entries = [&](double first, double rest) {
    std::string data;
    for (int k = 0; k < 512; ++k) {
      const double v = k == 0 ? first : rest;
      data.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    s_.write("sol/stationary.npy", header + data);
  };
  with_entries(-0.5, 1.5 / 511.0);  // sums to 1, one negative entry
  expect_refused("infer " + config, "data.solution");
  with_entries(std::nan(""), 1.0 / 511.0);
  expect_refused("infer " + config, "data.solution");
  with_entries(0.0, 0.0);
  expect_refused("infer " + config, "data.solution");
}

TEST_F(Defects, EmptyOutIsAnError) {
  const CliRun r = test::run_limited(s_, "solve --scenario count8 --out ''");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--out"), std::string::npos) << r.output;
}

// --- Unclear errors -------------------------------------------------------------------------------

TEST_F(Defects, BadValuesInAResultJsonNameTheFileAndTheKey) {
  const std::string config = solution_and_infer_config();
  const json original = json::parse(io::read_file(s_.path("sol/result.json")));
  const std::vector<std::pair<std::string, json>> cases = {
      {"degenerate", json::array({1e300})}, {"degenerate", json::array({-1})}, {"degenerate", json::array({0.5})},
      {"prior", json::array({2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5})}, {"n", "8"}, {"lambda", json::array()},
      {"model", 7},
  };
  for (const auto& [key, value] : cases) {
    json j = original;
    j[key] = value;
    s_.write("sol/result.json", j.dump());
    SCOPED_TRACE(key + " = " + value.dump());
    const CliRun r = test::run_limited(s_, "infer " + config);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("netrl: error: data.solution"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("result.json"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\"" + key + "\""), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
}

TEST_F(Defects, SubnormalLambdaIsRefusedNamingLambda) {
  const std::string config = write_json("tiny.json", {{"model", "network"},
                                                      {"n", 2},
                                                      {"lambda", 1e-320},
                                                      {"reward", {{"kind", "count"}, {"targets", {1}}}}});
  expect_refused("solve " + config, "lambda");
  const std::string maze = write_json("tinymaze.json", {{"model", "maze"}, {"map", {"S.R"}}, {"lambda", 1e-320}});
  expect_refused("solve " + maze, "lambda");
}

TEST_F(Defects, IsingCouplingsOfTheWrongSizeBlameJ) {
  // The config has n = 3; J is 4 x 4 and h has the config's 3 entries: J is the wrong file.
  std::string j_data(16 * 8, '\0'), h_data(3 * 8, '\0');
  s_.write("J.npy", npy_bytes(npy_header("<f8", "(4, 4)"), j_data));
  s_.write("h.npy", npy_bytes(npy_header("<f8", "(3,)"), h_data));
  const std::string config = write_json("ising.json", {{"model", "network"},
                                                       {"n", 3},
                                                       {"lambda", 0.5},
                                                       {"policy", {{"kind", "ising"}, {"J", "J.npy"}, {"h", "h.npy"}}},
                                                       {"sampling", {{"chains", 2}, {"steps", 10}}}});
  expect_refused("sample " + config, "policy.J");
}

}  // namespace
}  // namespace netrl
