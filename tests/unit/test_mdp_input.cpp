// General MDPs as input: Mdp::validate, the array reader (io::read_mdp), the "mdp" model of a
// solve configuration and its solution directory. Every error names the field (and the file) and
// the bound.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/io/mdp.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/solve.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// Two states, two actions: action 0 stays, action 1 moves to the other state.
Mdp two_state_mdp() {
  Mdp m;
  m.num_states = 2;
  m.num_actions = 2;
  m.row_ptr = {0, 1, 2, 3, 4};
  m.next_state = {0, 1, 1, 0};
  m.probability = {1.0, 1.0, 1.0, 1.0};
  m.reward = {1.0, 0.0};
  return m;
}

using test::invalid;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(MdpValidate, NamesTheFieldAndTheBound) {
  Mdp m = two_state_mdp();
  m.validate();
  m.probability[1] = 0.7;
  auto [field, message] = invalid([&] { m.validate(); });
  EXPECT_EQ(field, "mdp.transitions");
  EXPECT_TRUE(contains(message, "p(.|s = 0, a = 1) sums to 0.7, expected 1")) << message;
  m = two_state_mdp();
  m.probability[2] = -1.0;
  std::tie(field, message) = invalid([&] { m.validate(""); });
  EXPECT_EQ(field, "transitions");
  EXPECT_TRUE(contains(message, "p(s' = 1 | s = 1, a = 0) = -1")) << message;
  m = two_state_mdp();
  m.next_state[3] = 2;
  std::tie(field, message) = invalid([&] { m.validate(); });
  EXPECT_TRUE(contains(message, "leads to state 2, outside [0, 1]")) << message;
  m = two_state_mdp();
  m.reward[1] = std::nan("");
  std::tie(field, message) = invalid([&] { m.validate(); });
  EXPECT_EQ(field, "mdp.reward[1]");
}

TEST(MdpValidate, RejectsAbsorbingClasses) {
  Mdp m = two_state_mdp();
  m.next_state = {0, 0, 1, 1};  // every action stays: two closed classes
  const auto [field, message] = invalid([&] { m.validate(); });
  EXPECT_EQ(field, "mdp.transitions");
  EXPECT_TRUE(contains(message, "2 closed classes")) << message;
}

TEST(MdpValidate, FindsTransientStates) {
  Mdp m;
  m.num_states = 3;
  m.num_actions = 1;
  m.row_ptr = {0, 1, 2, 3};
  m.next_state = {1, 0, 0};  // 0 <-> 1, and 2 -> 0 with nothing leading to 2
  m.probability = {1.0, 1.0, 1.0};
  m.reward = {0.0, 1.0, 0.0};
  m.validate();
  EXPECT_EQ(m.transient_states(), std::vector<std::int64_t>{2});
  EXPECT_TRUE(two_state_mdp().transient_states().empty());
}

TEST(RandomSparseMdp, IsValidAndReproducible) {
  const Mdp a = random_sparse_mdp(100, 3, 4, 42), b = random_sparse_mdp(100, 3, 4, 42);
  a.validate();
  EXPECT_EQ(a.next_state, b.next_state);
  EXPECT_EQ(a.probability, b.probability);
  EXPECT_EQ(a.next_state.size(), 100u * 3u * 4u);
  EXPECT_TRUE(a.transient_states().empty());
  EXPECT_NE(random_sparse_mdp(100, 3, 4, 43).probability, a.probability);
}

class MdpConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("netrl_mdp_config_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  Problem parse(const json& config) const { return parse_problem(config, path("config.json")); }
  fs::path dir_;
};

// The same two-state MDP three ways: sparse inline, dense inline, dense from a .npy file.
TEST_F(MdpConfig, ReadsTheSparseAndDenseLayouts) {
  const json sparse = json::parse(R"({"model": "mdp", "lambda": 0.2,
      "transitions": {"row_ptr": [0, 1, 2, 3, 4], "next_state": [0, 1, 1, 0], "probability": [1, 1, 1, 1]},
      "reward": [1, 0]})");
  // dense[a][s][s']
  const json dense = json::parse(R"({"model": "mdp", "lambda": 0.2,
      "transitions": {"dense": [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]}, "reward": [1, 0]})");
  npy::save(path("P.npy"), {1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
  npy::save(path("r.npy"), {1, 0}, {2});
  const json from_files = json::parse(R"({"model": "mdp", "lambda": 0.2, "transitions": {"dense": "P.npy"},
      "reward": "r.npy", "solver": {"method": "policy_iteration"}})");
  const Mdp want = two_state_mdp();
  for (const json& c : {sparse, dense, from_files}) {
    const Problem p = parse(c);
    EXPECT_EQ(p.kind, ModelKind::mdp);
    EXPECT_EQ(p.lambda(), 0.2);
    EXPECT_EQ(p.num_states(), 2u);
    EXPECT_EQ(p.mdp.num_actions, 2);
    EXPECT_EQ(p.mdp.row_ptr, want.row_ptr);
    EXPECT_EQ(p.mdp.next_state, want.next_state);
    EXPECT_EQ(p.mdp.probability, want.probability);
    EXPECT_EQ(p.mdp.reward, want.reward);
  }
  EXPECT_EQ(parse(from_files).solver.method, Method::policy_iteration);
}

TEST_F(MdpConfig, ErrorsNameTheFieldAndTheFile) {
  const auto field_of = [&](const std::string& text) { return invalid([&] { parse(json::parse(text)); }); };
  auto [field, message] = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"row_ptr": [0, 1, 2, 3], "next_state": [0, 1, 1], "probability": [1, 1, 1]}})");
  EXPECT_EQ(field, "transitions.row_ptr");
  EXPECT_TRUE(contains(message, "expected S A + 1 with S = 2")) << message;
  // A row pointer beyond the entries, before a later one decreases: found by fuzz_config under
  // ASan (a read past next_state; without ASan the row "summed to 2").
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [0, 1],
      "transitions": {"row_ptr": [0, 72, 3, 4, 6], "next_state": [0, 1, 1, 0, 0, 1],
                      "probability": [0.5, 0.5, 1, 1, 0.3, 0.7]}})");
  EXPECT_EQ(field, "transitions");
  EXPECT_TRUE(contains(message, "row pointer 1 = 72 must lie in [row pointer 0 = 0, 6 entries]")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [0, 1],
      "transitions": {"row_ptr": [0, 3, 2, 4, 6], "next_state": [0, 1, 1, 0, 0, 1],
                      "probability": [0.5, 0.5, 1, 1, 0.3, 0.7]}})");
  EXPECT_TRUE(contains(message, "row pointer 2 = 2 must lie in [row pointer 1 = 3, 6 entries]")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"row_ptr": [0, 1, 2, 3, 4], "next_state": [0, 1, 5, 0], "probability": [1, 1, 1, 1]}})");
  EXPECT_EQ(field, "transitions.next_state");
  EXPECT_TRUE(contains(message, "entry 2 is state 5, outside [0, 1]")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"row_ptr": [0, 1, 2, 3, 4], "next_state": [0, 1, 1, 0], "probability": [1, 0.5, 1, 1]}})");
  EXPECT_EQ(field, "transitions");
  EXPECT_TRUE(contains(message, "sums to 0.5")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, null],
      "transitions": {"dense": [[[1, 0], [0, 1]]]}})");
  EXPECT_EQ(field, "reward");
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0, "reward": [1, 0],
      "transitions": {"dense": [[[1, 0], [0, 1]]]}})");
  EXPECT_EQ(field, "lambda");
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"dense": [[[1, 0], [0, 1]]], "row_ptr": [0, 1, 2]}})");
  EXPECT_EQ(field, "transitions");
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"dense": [[[1, 0], [0, 1, 0]]]}})");
  EXPECT_EQ(field, "transitions.dense");
  EXPECT_TRUE(contains(message, "ragged")) << message;
  // Two closed classes (an action that stays everywhere is the only action).
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"dense": [[[1, 0], [0, 1]]]}})");
  EXPECT_EQ(field, "transitions");
  EXPECT_TRUE(contains(message, "closed classes")) << message;
  // A file of the wrong dtype: indices stored as floats.
  npy::save(path("rows.npy"), {0, 1, 2, 3, 4}, {5});
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"row_ptr": "rows.npy", "next_state": [0, 1, 1, 0], "probability": [1, 1, 1, 1]}})");
  EXPECT_EQ(field, "transitions.row_ptr (" + path("rows.npy") + ")");
  EXPECT_TRUE(contains(message, "expected int32 or int64")) << message;
  npy::save(path("P3.npy"), {1, 0, 0, 1}, {1, 2, 2});
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0, 1],
      "transitions": {"dense": "P3.npy"}})");
  EXPECT_EQ(field, "transitions.dense (" + path("P3.npy") + ")");
  EXPECT_TRUE(contains(message, "expected (A, S, S) = (actions, 3, 3)")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"dense": [[[0, 1], [1, 0]]]}, "extra": 1})");
  EXPECT_EQ(field, "extra");
  // A file that cannot be read is reported under its field too, not as a bare path.
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": "missing.npy",
      "transitions": {"dense": [[[0, 1], [1, 0]]]}})");
  EXPECT_EQ(field, "reward (" + path("missing.npy") + ")");
  EXPECT_TRUE(contains(message, "cannot open for reading")) << message;
  std::tie(field, message) = field_of(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"dense": "."}})");
  EXPECT_EQ(field, "transitions.dense (" + path(".") + ")");
  EXPECT_TRUE(contains(message, "is a directory")) << message;
  std::tie(field, message) = field_of(R"({"model": "network", "n": 3, "lambda": 0.2,
      "reward": {"kind": "planted", "J": "missing.npy", "h": "missing.npy", "prior": 0.5, "lambda": 0.2}})");
  EXPECT_EQ(field, "reward.J");
  EXPECT_TRUE(contains(message, "cannot open for reading")) << message;
}

// States that no policy visits in the long run are an error unless allowed.
TEST_F(MdpConfig, TransientStatesNeedToBeAllowed) {
  json c = json::parse(R"({"model": "mdp", "lambda": 0.2, "reward": [0, 1, 0],
      "transitions": {"dense": [[[0, 1, 0], [1, 0, 0], [1, 0, 0]]]}})");
  const auto [field, message] = invalid([&] { parse(c); });
  EXPECT_EQ(field, "transitions");
  EXPECT_TRUE(contains(message, "1 of 3 states (the first: 2)")) << message;
  c["allow_transient"] = true;
  const Problem p = parse(c);
  const SolveResult r = solve(p);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.stationary[2], 0.0);
  EXPECT_NEAR(r.gain, 0.5, 1e-12);  // one action: the chain alternates between 0 and 1
}

TEST_F(MdpConfig, SolutionDirectoryRoundTrips) {
  const Problem p = parse(json::parse(R"({"model": "mdp", "lambda": 0.2, "reward": [1, 0],
      "transitions": {"row_ptr": [0, 1, 2, 3, 4], "next_state": [0, 1, 1, 0], "probability": [1, 1, 1, 1]}})"));
  const SolveResult r = solve(p);
  ASSERT_TRUE(r.converged);
  EXPECT_EQ(r.backend, "host");
  io::write_solution(path("out"), p, r);
  const json result = json::parse(std::ifstream(path("out/result.json")));
  EXPECT_EQ(result["model"], "mdp");
  EXPECT_EQ(result["mdp_states"], 2);
  EXPECT_EQ(result["mdp_actions"], 2);
  const io::Solution s = io::read_solution(path("out"));
  EXPECT_EQ(s.model, ModelKind::mdp);
  EXPECT_EQ(s.result.values, r.values);
  EXPECT_EQ(s.result.prior, r.prior);
  io::check_solution(s, p);
  Problem other = p;
  other.mdp = random_sparse_mdp(3, 2, 2, 1);
  EXPECT_THROW(io::check_solution(s, other), InvalidInput);
}

}  // namespace
}  // namespace netrl
