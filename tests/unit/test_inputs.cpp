// Bad input gets a clear error naming the field and the bound; good input parses as documented.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "netrl/core/error.hpp"
#include "netrl/core/maze.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/config.hpp"
#include "netrl/problem.hpp"
#include "netrl/solve.hpp"
#include "solve/reference.hpp"
#include "cli_support.hpp"

namespace netrl {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json count8_json() {
  return json::parse(R"({"model": "network", "n": 8,
    "input": {"T": [[0.98, 0.02], [0.02, 0.98]]},
    "reward": {"kind": "count", "targets": [2, 6]},
    "lambda": 0.114, "prior": "population",
    "solver": {"method": "value_iteration", "backend": "reference", "tol": 1e-10, "prior_tol": 1e-10,
               "max_iterations": 1000000, "p0": 0.5}})");
}

/// Expects `fn` to throw an exception of type E whose message contains every fragment.
template <class E, class Fn>
void expect_error(Fn fn, std::initializer_list<const char*> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected " << (fragments.size() ? *fragments.begin() : "one");
  } catch (const E& e) {
    const std::string what = e.what();
    for (const char* f : fragments) EXPECT_NE(what.find(f), std::string::npos) << "message: " << what << "\nmissing: " << f;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void expect_config_error(const json& j, std::initializer_list<const char*> fragments) {
  expect_error<InvalidInput>([&] { (void)solve(parse_problem(j, "")); }, fragments);
}

class TempDir {
 public:
  // Named by the process id: gtest's random seed, used before, is the same for test processes
  // started in the same millisecond, and two of them then shared (and removed) one directory.
  TempDir() : path_(test::fresh_dir("netrl_test_", std::to_string(counter_++), true)) {}
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(Config, Count8ContractParses) {
  const Problem p = parse_problem(count8_json(), "");
  ASSERT_EQ(p.kind, ModelKind::network);
  EXPECT_EQ(p.network.n, 8);
  EXPECT_EQ(p.network.m(), 2);
  EXPECT_EQ(p.network.reward.kind, RewardKind::count);
  EXPECT_DOUBLE_EQ(p.network.lambda, 0.114);
  EXPECT_EQ(p.solver.backend, Backend::reference);
  EXPECT_EQ(p.solver.max_iterations, 1000000);
}

TEST(Config, NonStochasticInputMatrix) {
  json j = count8_json();
  j["input"]["T"] = {{0.9, 0.2}, {0.02, 0.98}};
  expect_config_error(j, {"input.T", "row 0 sums to 1.1", "row-stochastic"});
  j["input"]["T"] = {{1.0, 0.0}, {0.0, 1.0}};
  expect_config_error(j, {"input.T", "2 closed classes", "unichain"});
  j["input"]["T"] = {{0.5, 0.5}, {0.5}};
  expect_config_error(j, {"input.T[1]", "m x m"});
}

TEST(Config, PixelInputOfNeverLeftPatternsBlamesTheCoupling) {
  // Two pixels, bias 0: from both pixels on, a picked pixel turns off with probability
  // sigmoid(-2 J); at J = 400, exp(-800) is below the least double, so "both on" (and "both off")
  // never leave: two closed classes, a fault of the coupling, not of a T the user never wrote.
  json j = count8_json();
  j["input"] = {{"pixels", 2}, {"coupling", 400.0}};
  j["reward"] = {{"kind", "count"}, {"targets", {1, 1, 1, 1}}};
  expect_config_error(j, {"input.coupling", "coupling 400", "2 closed classes", "smaller |coupling|"});
  j["input"]["coupling"] = -400.0;  // anti-aligned patterns (01 and 10) never leave
  expect_config_error(j, {"input.coupling", "2 closed classes"});
  j["input"]["coupling"] = 300.0;  // exp(-600) is a double: every pattern is left, slowly
  EXPECT_NO_THROW((void)parse_problem(j, ""));
}

TEST(Config, ThresholdLabelsMustSplitTheInput) {
  json j = count8_json();
  j["input"] = {{"pixels", 2}, {"coupling", 1.5}};
  j["reward"] = {{"kind", "efficient_coding"}, {"threshold", 3}};  // x < 4 has at most 2 bits set
  expect_config_error(j, {"reward.threshold", "threshold 3", "label -1", "0..2 bits", "1..2"});
  j["reward"]["threshold"] = 0;
  expect_config_error(j, {"reward.threshold", "label +1"});
  j["reward"]["threshold"] = 2;
  EXPECT_NO_THROW((void)parse_problem(j, ""));
  j.erase("input");
  j["reward"]["threshold"] = 1;
  expect_config_error(j, {"reward.threshold", "none (m = 1)"});
}

TEST(Config, LambdaMustBePositive) {
  for (double bad : {0.0, -0.1, 1e-320, 9e-101}) {
    json j = count8_json();
    j["lambda"] = bad;
    expect_config_error(j, {"lambda", "must be finite and at least 1e-100"});
  }
}

TEST(Config, NanRewardRejected) {
  json j = count8_json();
  j["n"] = 1;
  j["reward"] = {{"kind", "table"}, {"values", {0.0, nullptr, 1.0, 0.0}}};
  expect_config_error(j, {"reward.values[1]", "NaN"});
  RewardSpec r = RewardSpec::table({0.0, std::nan(""), 1.0, 0.0});
  expect_error<InvalidInput>([&] { r.validate(1, 2); }, {"reward.values[1]", "not finite"});
}

TEST(Config, WrongTableLength) {
  json j = count8_json();
  j["n"] = 2;
  j["reward"] = {{"kind", "table"}, {"values", {0.0, 1.0, 2.0}}};
  expect_config_error(j, {"reward.values", "m * 2^n = 2 * 2^2 = 8", "got 3"});
}

TEST(Config, NetworkTooLargeForReference) {
  json j = count8_json();
  j["n"] = 13;
  expect_config_error(j, {"n = 13", "limit of 12", "\"host\""});
  j["n"] = 41;
  expect_config_error(j, {"n", "must lie in [1, 40]"});
}

TEST(Config, UnknownKeysAndWrongTypes) {
  json j = count8_json();
  j["solver"]["tolerance"] = 1e-8;
  expect_config_error(j, {"solver.tolerance", "unknown key"});
  j = count8_json();
  j["lamda"] = 0.1;
  expect_config_error(j, {"lamda", "unknown key"});
  j = count8_json();
  j["n"] = "8";
  expect_config_error(j, {"n", "expected an integer", "string"});
  j = count8_json();
  j["n"] = 8.5;
  expect_config_error(j, {"n", "expected an integer"});
  j = count8_json();
  j["solver"]["tol"] = "small";
  expect_config_error(j, {"solver.tol", "expected a number"});
  j = count8_json();
  j["reward"]["kind"] = "ring";
  expect_config_error(j, {"reward.kind", "unknown reward kind", "ring_bump"});
  j = count8_json();
  j["clamp"] = {{{"neuron", 9}, {"state", -1}}};
  expect_config_error(j, {"clamp[0].neuron", "[0, 7]"});
  j = count8_json();
  j["clamp"] = {{{"neuron", 1}, {"state", 0}}};
  expect_config_error(j, {"clamp[0].state", "-1 (silent) or +1 (active)"});
  j = count8_json();
  j["solver"]["method"] = "newton";
  expect_config_error(j, {"solver.method", "policy_iteration"});
  j = count8_json();
  j["solver"]["tol"] = -1;
  expect_config_error(j, {"solver.tol", "> 0"});
  j = count8_json();
  j["reward"]["targets"] = {2, 9};
  expect_config_error(j, {"reward.targets[1]", "[0, n = 8]"});
  j = count8_json();
  j["solver"]["precision"] = "float32";
  expect_config_error(j, {"solver.precision", "float64 only"});
  expect_config_error(json::array(), {"config", "expected an object"});
}

// The strict reader every command's parser shares (netrl/host/json_fields.hpp).
TEST(JsonFields, ErrorsNameTheFieldAndTheBound) {
  const json j = json::parse(R"({"a": 1.5, "b": "x", "c": -2, "d": 7, "e": 3.0, "extra": null})");
  JsonFields f(j, "section");
  EXPECT_EQ(f.field("a"), "section.a");
  EXPECT_DOUBLE_EQ(f.number("a"), 1.5);
  EXPECT_EQ(f.string("b"), "x");
  EXPECT_EQ(f.integer("e"), 3);
  EXPECT_EQ(f.unsigned_integer("d", 1, 10), 7u);
  EXPECT_EQ(f.string_or("missing", "fallback"), "fallback");
  expect_error<InvalidInput>([&] { f.integer("a"); }, {"section.a", "expected an integer, got number 1.5"});
  expect_error<InvalidInput>([&] { f.number("b"); }, {"section.b", "expected a number, got string \"x\""});
  expect_error<InvalidInput>([&] { f.boolean("b"); }, {"section.b", "expected true or false"});
  expect_error<InvalidInput>([&] { f.unsigned_integer("c", 0, 5); }, {"section.c", "value -2 must lie in [0, 5]"});
  expect_error<InvalidInput>([&] { f.unsigned_integer("d", 0, 5); }, {"section.d", "value 7 must lie in [0, 5]"});
  // Numbers in messages keep the digits that tell them apart from the bound.
  EXPECT_EQ(number_text(1.0 + 1e-10), "1.0000000001");
  EXPECT_EQ(number_text(1.0 - 1e-9), "0.999999999");
  EXPECT_EQ(number_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(number_text(2.0), "2");
  // Integral floats beyond the exact range name the bound, not "not an integer".
  const json big = json::parse(R"({"f": 1e18, "g": -3.0, "h": 1e16})");
  JsonFields b(big, "s");
  expect_error<InvalidInput>([&] { b.unsigned_integer("f", 1, 1000); }, {"s.f", "value 1e+18 must lie in [1, 1000]"});
  expect_error<InvalidInput>([&] { b.unsigned_integer("g", 0, 5); }, {"s.g", "value -3.0 must lie in [0, 5]"});
  expect_error<InvalidInput>([&] { b.unsigned_integer("h", 0, std::uint64_t{1} << 60); },
                             {"s.h", "is written as a float, exact only below 9e15"});
  // 2^64 is an integer too long for uint64 (the parser keeps it as a float), beyond every bound; as
  // doubles, 2^64 - 1 rounds to it, and the message said it lay in the range.
  const json edge = json::parse(R"({"s": 18446744073709551616})");
  JsonFields e(edge, "x");
  expect_error<InvalidInput>([&] { e.unsigned_integer("s", 0, std::numeric_limits<std::uint64_t>::max()); },
                             {"x.s", "must lie in [0, 18446744073709551615]"});
  expect_error<InvalidInput>([&] { f.at("missing"); }, {"section.missing", "is required"});
  expect_error<InvalidInput>([&] { f.finish({"a", "b", "c", "d", "e"}); },
                             {"section.extra", "unknown key (known keys here: a, b, c, d, e)"});
  expect_error<InvalidInput>([&] { JsonFields top(json::array(), ""); }, {"config", "expected an object, got array"});
  const json top_level = json::parse(R"({"k": 1})");
  JsonFields top(top_level, "");
  EXPECT_EQ(top.field("k"), "k");
}

TEST(Config, MalformedJsonNamesFileAndPosition) {
  TempDir dir;
  const std::string path = dir.file("bad.json");
  io::write_file_atomic(path, "{\"model\": \"network\",\n \"n\": 8,,\n}");
  expect_error<IoError>([&] { (void)load_problem(path); }, {"bad.json", "malformed JSON", "line 2"});
  expect_error<IoError>([&] { (void)load_problem(dir.file("missing.json")); }, {"missing.json", "cannot open"});
}

TEST(Npy, RoundTripAndTableRewardFromFile) {
  TempDir dir;
  std::vector<double> r = {0.0, 1.0, 0.5, -2.0};
  npy::save(dir.file("r.npy"), r, {4});
  const npy::Array a = npy::load(dir.file("r.npy"));
  EXPECT_EQ(a.dtype, "<f8");
  ASSERT_EQ(a.shape, std::vector<std::uint64_t>{4});
  EXPECT_EQ(npy::to_double(a, "r.npy"), r);
  json j = count8_json();
  j["n"] = 1;
  j["reward"] = {{"kind", "table"}, {"file", "r.npy"}};
  const Problem p = parse_problem(j, dir.file("config.json"));  // relative to the config's directory
  EXPECT_EQ(p.network.reward.values, r);
  // No temporary files left behind.
  for (const auto& entry : fs::directory_iterator(dir.file(""))) EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
}

TEST(Npy, TruncatedAndUnreadableFiles) {
  TempDir dir;
  std::string bytes = npy::serialize(std::vector<double>(8, 1.0), {8});
  io::write_file_atomic(dir.file("short.npy"), bytes.substr(0, bytes.size() - 20));
  expect_error<IoError>([&] { (void)npy::load(dir.file("short.npy")); }, {"short.npy", "truncated", "8 values"});
  io::write_file_atomic(dir.file("junk.npy"), "this is not numpy");
  expect_error<IoError>([&] { (void)npy::load(dir.file("junk.npy")); }, {"junk.npy", "magic"});
  expect_error<IoError>([&] { (void)npy::load(dir.file("absent.npy")); }, {"absent.npy", "cannot open"});
  io::write_file_atomic(dir.file("header.npy"), bytes.substr(0, 30));
  expect_error<IoError>([&] { (void)npy::load(dir.file("header.npy")); }, {"header.npy", "truncated .npy header"});
  json j = count8_json();
  j["n"] = 2;
  j["reward"] = {{"kind", "table"}, {"file", dir.file("short.npy")}};
  // A file named by a configuration field: the error names the field and the file.
  expect_error<InvalidInput>([&] { (void)parse_problem(j, ""); }, {"reward.file", "short.npy", "truncated"});
}

TEST(Npy, Float32TableRejectedWithDtype) {
  TempDir dir;
  std::string bytes = npy::serialize(std::vector<double>(4, 1.0), {4});
  // Rewrite the descr to <f4 with matching data length (16 bytes).
  std::string h = bytes.substr(0, bytes.size() - 32);
  h.replace(h.find("<f8"), 3, "<f4");
  io::write_file_atomic(dir.file("f4.npy"), h + std::string(16, '\0'));
  json j = count8_json();
  j["n"] = 1;
  j["reward"] = {{"kind", "table"}, {"file", dir.file("f4.npy")}};
  expect_error<InvalidInput>([&] { (void)parse_problem(j, ""); }, {"reward.file", "<f4", "float64"});
}

TEST(Maze, DefaultMapIsValidAndDocumented) {
  const Maze maze = Maze::parse(Maze::default_map(), 0.05);
  EXPECT_EQ(maze.rows, 15);
  EXPECT_EQ(maze.cols, 15);
  EXPECT_EQ(maze.cell_of_state[maze.start_state], 0);            // top left
  ASSERT_EQ(maze.reward_states.size(), 1u);
  EXPECT_EQ(maze.cell_of_state[maze.reward_states[0]], 15 * 15 - 1);  // bottom right
  const Mdp mdp = maze.mdp();
  EXPECT_NO_THROW(mdp.validate());
}

TEST(Maze, TransitionProbabilities) {
  // ".S." / "#R#": from S (state 1), action right: 1 - slip + slip/4 to the right cell, slip/4
  // each for left and down(R); up is the border, so S keeps slip/4.
  const Maze maze = Maze::parse({".S.", "#R#"}, 0.2);
  const Mdp mdp = maze.mdp();
  std::map<int, double> row;
  for (auto e = mdp.row_ptr[mdp.row(1, 3)]; e < mdp.row_ptr[mdp.row(1, 3) + 1]; ++e) row[mdp.next_state[e]] = mdp.probability[e];
  EXPECT_DOUBLE_EQ(row[2], 0.8 + 0.05);
  EXPECT_DOUBLE_EQ(row[0], 0.05);
  EXPECT_DOUBLE_EQ(row[3], 0.05);
  EXPECT_DOUBLE_EQ(row[1], 0.05);
  // From R every action returns to S.
  for (int a = 0; a < 4; ++a) {
    ASSERT_EQ(mdp.row_ptr[mdp.row(3, a) + 1] - mdp.row_ptr[mdp.row(3, a)], 1);
    EXPECT_EQ(mdp.next_state[mdp.row_ptr[mdp.row(3, a)]], 1);
  }
}

TEST(Maze, UnreachableStartAndBadMaps) {
  expect_error<InvalidInput>([] { (void)Maze::parse({"S#.", "##.", "..R"}, 0.05, "map"); },
                             {"map", "reward cell R at (row 2, column 2) cannot be reached from the start S"});
  expect_error<InvalidInput>([] { (void)Maze::parse({"S.R", "###", "..."}, 0.05, "map"); },
                             {"free cell (row 2, column 0) cannot be reached from the start"});
  expect_error<InvalidInput>([] { (void)Maze::parse({"..R"}, 0.05, "map"); }, {"no start cell"});
  expect_error<InvalidInput>([] { (void)Maze::parse({"S..", "..R."}, 0.05, "map"); }, {"map[1]", "rectangular"});
  expect_error<InvalidInput>([] { (void)Maze::parse({"S.x", "..R"}, 0.05, "map"); }, {"map[0]", "'x'"});
  expect_error<InvalidInput>([] { (void)Maze::parse({"S.R"}, 1.5, "map"); }, {"slip", "[0, 1]"});
  json j = json::parse(R"({"model": "maze", "map": ["S#.", "##.", "..R"], "lambda": 0.1})");
  expect_config_error(j, {"map", "cannot be reached from the start"});
  // The reference backend (the oracle) runs in float64 only, for mazes as for networks.
  j = json::parse(R"({"model": "maze", "map": ["S.R"], "lambda": 0.1,
                      "solver": {"backend": "reference", "precision": "float32"}})");
  expect_config_error(j, {"solver.precision", "float64"});
}

TEST(Maze, MapFileRelativeToConfig) {
  TempDir dir;
  io::write_file_atomic(dir.file("m.txt"), "S..\n.#.\n..R\n");
  const json j = json::parse(R"({"model": "maze", "map_file": "m.txt", "lambda": 0.13, "slip": 0.1})");
  const Problem p = parse_problem(j, dir.file("c.json"));
  EXPECT_EQ(p.maze.num_states(), 8);
  EXPECT_DOUBLE_EQ(p.maze.slip, 0.1);
}

}  // namespace
}  // namespace netrl
