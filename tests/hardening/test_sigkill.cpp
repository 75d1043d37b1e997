// SIGKILL at random moments of a solve that writes over an earlier output directory: after every
// kill the directory must hold the complete outputs of the earlier run or of the new one, never a
// mixture and never a part; the next run must leave no temporaries. The kill moments are drawn
// (fixed seed) uniformly over the run's duration as measured here, so they fall in the solve, in
// the writing of the files and in the publication; the tally by outcome is printed.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"

extern char** environ;

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kKills = 55;

/// Starts `netrl solve config --out out` in `cwd`; returns its pid.
pid_t spawn_solve(const std::string& cwd, const std::string& config, const std::string& out) {
  const std::string cli = NETRL_CLI;
  std::vector<std::string> args = {cli, "solve", config, "--out", out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string old = fs::current_path().string();
  fs::current_path(cwd);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cli.c_str(), &actions, nullptr, argv.data(), environ);
  fs::current_path(old);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

/// What a complete output directory of one run holds, for comparison.
struct Outputs {
  double lambda = 0.0;
  std::vector<double> values, stationary;
  std::string csv;
};

/// The sorted names in `dir`.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Reads `dir` as a complete solve directory holding exactly the files `expected`; "" when it is
/// one, else what is wrong.
std::string read_outputs(const fs::path& dir, const std::vector<std::string>& expected, Outputs* out) {
  if (!fs::is_directory(dir)) return "the directory is missing";
  const std::vector<std::string> names = names_in(dir);
  if (names != expected) {
    std::string list;
    for (const auto& n : names) list += n + " ";
    return "unexpected files: " + list;
  }
  try {
    out->lambda = json::parse(io::read_file((dir / "result.json").string()))["lambda"].get<double>();
    out->values = npy::to_double(npy::load((dir / "values.npy").string()), "values");
    out->stationary = npy::to_double(npy::load((dir / "stationary.npy").string()), "stationary");
    out->csv = io::read_file((dir / "spike_count.csv").string());
  } catch (const std::exception& e) {
    return std::string("unreadable: ") + e.what();
  }
  return "";
}

/// True when every file of `got` belongs to the run `ref` (values to 1e-9: threads may reorder sums).
bool same_run(const Outputs& got, const Outputs& ref) {
  if (got.lambda != ref.lambda || got.values.size() != ref.values.size() || got.stationary.size() != ref.stationary.size())
    return false;
  for (std::size_t k = 0; k < ref.values.size(); ++k) {
    const bool both_nan = std::isnan(got.values[k]) && std::isnan(ref.values[k]);
    if (!both_nan && !(std::abs(got.values[k] - ref.values[k]) <= 1e-9)) return false;
    if (!(std::abs(got.stationary[k] - ref.stationary[k]) <= 1e-9)) return false;
  }
  return got.csv.substr(0, 40) == ref.csv.substr(0, 40);
}

TEST(SigkillDuringWrite, DirectoryIsAlwaysOldCompleteOrNewComplete) {
  test::Scratch s("netrl_sigkill_");
  // n = 10 with an input: 2048 states, values and stationary of 16 KiB each.
  auto config = [&](const std::string& name, double lambda) {
    const json j = {{"model", "network"},
                    {"n", 10},
                    {"input", {{"T", {{0.95, 0.05}, {0.05, 0.95}}}}},
                    {"lambda", lambda},
                    {"reward", {{"kind", "count"}, {"targets", {3, 7}}}},
                    {"solver", {{"threads", 1}}}};
    return s.write(name, j.dump());
  };
  config("old.json", 0.2);
  config("new.json", 0.4);
  const std::string cwd = s.dir().string();
  auto run_to_end = [&](const std::string& cfg, const std::string& out) {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = spawn_solve(cwd, cfg, out);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cfg;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // References: each configuration solved once into its own directory.
  run_to_end("old.json", "ref_old");
  std::vector<double> durations;
  for (int k = 0; k < 3; ++k) durations.push_back(run_to_end("new.json", "ref_new"));
  std::sort(durations.begin(), durations.end());
  const double median = durations[1];
  // The files of a complete directory, as the tool writes them.
  const std::vector<std::string> files = names_in(s.dir() / "ref_new");
  ASSERT_NE(std::find(files.begin(), files.end(), "result.json"), files.end());
  Outputs ref_old, ref_new;
  ASSERT_EQ(read_outputs(s.dir() / "ref_old", files, &ref_old), "");
  ASSERT_EQ(read_outputs(s.dir() / "ref_new", files, &ref_new), "");
  fs::remove_all(s.dir() / "ref_old");
  fs::remove_all(s.dir() / "ref_new");

  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> moment(0.0, 1.15 * median);
  int kills = 0, old_complete = 0, new_complete = 0, finished = 0, attempts = 0;
  std::vector<std::string> failures;
  while (kills < kKills && attempts < 4 * kKills) {
    ++attempts;
    // Each round starts from the old outputs, written to the end over what the last kill left;
    // that run must also remove the temporaries of the killed one.
    run_to_end("old.json", "out");
    const std::vector<std::string> top = names_in(s.dir());
    if (top != std::vector<std::string>{"new.json", "old.json", "out"}) {
      std::string list;
      for (const auto& n : top) list += n + " ";
      failures.push_back("attempt " + std::to_string(attempts) + ": after a complete run the scratch holds " + list);
    }
    Outputs start;
    if (read_outputs(s.dir() / "out", files, &start) != "" || !same_run(start, ref_old)) {
      failures.push_back("attempt " + std::to_string(attempts) + ": a complete run left an incomplete directory");
    }
    const pid_t pid = spawn_solve(cwd, "new.json", "out");
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(moment(rng)));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ++finished;  // ended before the kill: not counted as a kill
    } else {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++kills;
    }
    Outputs got;
    const std::string problem = read_outputs(s.dir() / "out", files, &got);
    if (!problem.empty()) {
      failures.push_back("attempt " + std::to_string(attempts) + ": " + problem);
    } else if (same_run(got, ref_old)) {
      ++old_complete;
    } else if (same_run(got, ref_new)) {
      ++new_complete;
    } else {
      failures.push_back("attempt " + std::to_string(attempts) + ": files of two runs mixed");
    }
  }
  std::printf("SIGKILL test: %d kills (median run %.3f s), %d runs finished before their kill; after the kills: "
              "%d old-complete, %d new-complete, %zu mixed or partial\n",
              kills, median, finished, old_complete, new_complete, failures.size());
  EXPECT_GE(kills, kKills);
  EXPECT_TRUE(failures.empty()) << failures.size() << " bad directories, first: " << (failures.empty() ? "" : failures.front());

  // The next complete run cleans up after the killed ones: only `out` and the inputs remain.
  run_to_end("new.json", "out");
  EXPECT_EQ(names_in(s.dir()), (std::vector<std::string>{"new.json", "old.json", "out"}));
  Outputs last;
  EXPECT_EQ(read_outputs(s.dir() / "out", files, &last), "");
  EXPECT_TRUE(same_run(last, ref_new));
}

}  // namespace
}  // namespace netrl
