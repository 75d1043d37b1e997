// `netrl solve --write-policy` (docs/outputs.md, "Policy outputs"): the written policy is the
// policy whose stationary distribution netrl wrote, mu P = mu with P built from policy.npy alone
// (and the model's transition rules, docs/model.md), for a network and for a maze.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_support.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/scenarios.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;

test::CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_policy_"));
}

std::vector<double> load(const fs::path& path, std::vector<std::uint64_t>* shape = nullptr) {
  const npy::Array a = npy::load(path.string());
  if (shape != nullptr) *shape = a.shape;
  return npy::to_double(a, path.string());
}

TEST(PolicyOutputs, NetworkPolicyKeepsTheStationaryDistribution) {
  const fs::path out = test::fresh_dir("netrl_policy_", "count8", false);
  const test::CliRun r = run_cli("solve --scenario count8 --write-policy --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const NetworkModel model = scenario("count8").network;
  std::vector<std::uint64_t> shape;
  const std::vector<double> rho = load(out / "policy.npy", &shape);
  const std::vector<double> mu = load(out / "stationary.npy");
  const int n = model.n, m = model.m();
  const std::uint64_t nb = std::uint64_t{1} << n;
  ASSERT_EQ(shape, (std::vector<std::uint64_t>{static_cast<std::uint64_t>(m), nb, static_cast<std::uint64_t>(n)}));
  // One step: a neuron i picked with probability 1/n is set active with rho_i(b, x), silent
  // otherwise; then x -> x' with T(x'|x).
  std::vector<double> next(mu.size(), 0.0);
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      const double w = mu[x * nb + b];
      for (int i = 0; i < n; ++i) {
        const double p = rho[(x * nb + b) * n + i];
        ASSERT_TRUE(p >= 0.0 && p <= 1.0);
        for (int x2 = 0; x2 < m; ++x2) {
          const double t = model.input(x, x2) * w / n;
          next[x2 * nb + (b | (std::uint64_t{1} << i))] += t * p;
          next[x2 * nb + (b & ~(std::uint64_t{1} << i))] += t * (1.0 - p);
        }
      }
    }
  for (std::size_t s = 0; s < mu.size(); ++s) EXPECT_NEAR(next[s], mu[s], 1e-12) << "state " << s;

  // tuning.csv: the population row at x, k is the mass-weighted mean of rho over the states with k
  // other neurons active, recomputed here from the written policy.
  std::istringstream csv(io::read_file((out / "tuning.csv").string()));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "neuron,x,others_active,p_spike,mass");
  int checked = 0;
  while (std::getline(csv, line)) {
    if (line.rfind("all,", 0) != 0) continue;
    int x = 0, k = 0;
    double p_spike = 0.0, mass = 0.0;
    ASSERT_EQ(std::sscanf(line.c_str(), "all,%d,%d,%lf,%lf", &x, &k, &p_spike, &mass), 4) << line;
    double w = 0.0, s = 0.0;
    for (std::uint64_t b = 0; b < nb; ++b)
      for (int i = 0; i < n; ++i)
        if (__builtin_popcountll(b & ~(std::uint64_t{1} << i)) == k) {
          w += mu[x * nb + b];
          s += mu[x * nb + b] * rho[(x * nb + b) * n + i];
        }
    EXPECT_NEAR(mass, w, 1e-12);
    EXPECT_NEAR(p_spike, s / w, 1e-12);
    ++checked;
  }
  EXPECT_EQ(checked, m * n);
}

TEST(PolicyOutputs, MazePolicyKeepsTheStationaryDistribution) {
  // The built-in maze at the scenario's lambda, solved by policy iteration: at its end the greedy
  // policy of values.npy is the policy whose stationary distribution was computed. (Value iteration
  // stops within its tolerance, so the two then differ by about tol, 1e-10.)
  const fs::path dir = test::fresh_dir("netrl_policy_", "maze_cfg", true);
  const fs::path out = dir / "out";
  const Problem maze = scenario("maze");
  nlohmann::json cfg = {{"model", "maze"},
                        {"map", Maze::default_map()},
                        {"lambda", maze.maze_lambda},
                        {"solver", {{"method", "policy_iteration"}}}};
  io::write_file_atomic((dir / "maze.json").string(), cfg.dump());
  const test::CliRun r = run_cli("solve " + (dir / "maze.json").string() + " --write-policy --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const Mdp mdp = maze.maze.mdp();
  std::vector<std::uint64_t> shape;
  const std::vector<double> pi = load(out / "policy.npy", &shape);
  const std::vector<double> mu = load(out / "stationary.npy");
  const std::vector<double> prior = load(out / "action_prior.npy");
  const int S = mdp.num_states, A = mdp.num_actions;
  ASSERT_EQ(shape, (std::vector<std::uint64_t>{static_cast<std::uint64_t>(S), static_cast<std::uint64_t>(A)}));
  ASSERT_EQ(prior.size(), static_cast<std::size_t>(A));
  std::vector<double> next(S, 0.0), action_use(A, 0.0);
  for (int s = 0; s < S; ++s)
    for (int a = 0; a < A; ++a) {
      const std::int64_t row = mdp.row(s, a);
      action_use[a] += mu[s] * pi[s * A + a];
      for (std::int64_t e = mdp.row_ptr[row]; e < mdp.row_ptr[row + 1]; ++e)
        next[mdp.next_state[e]] += mu[s] * pi[s * A + a] * mdp.probability[e];
    }
  for (int s = 0; s < S; ++s) EXPECT_NEAR(next[s], mu[s], 1e-12) << "state " << s;
  // The action prior is the stationary use of each action (up to the prior loop's tolerance 1e-10).
  for (int a = 0; a < A; ++a) EXPECT_NEAR(prior[a], action_use[a], 1e-9) << "action " << a;
}

TEST(PolicyOutputs, WritePolicyNeedsOut) {
  const test::CliRun r = run_cli("solve --scenario count8 --write-policy");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--write-policy"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace netrl
