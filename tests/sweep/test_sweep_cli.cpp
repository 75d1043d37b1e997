// `netrl sweep` end to end: the 10 x 3 count8 grid against 30 separate `netrl solve` runs, resume
// after SIGKILL at random moments, refusing a changed sweep unless extended, MPI (skipped with the
// reason where mpirun or the MPI build is missing), and `netrl solve --progress` / "warm_start".
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "netrl/config.hpp"
#include "netrl/io/files.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/sweep.hpp"
#include "cli_support.hpp"
#include "sweep_cli_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace sweep_test;

TEST(SweepCli, Count8GridEqualsSeparateSolves) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "grid", true);
  const fs::path file = write_json(dir / "grid.json", sweep::preset("count8-grid"));
  const test::CliRun r = run_cli("sweep " + file.string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const Table table = read_csv(dir / "out" / "table.csv");
  ASSERT_EQ(table.size(), 30u);
  const auto points = sweep::expand(load_sweep(file.string()));
  for (std::size_t k = 0; k < points.size(); ++k) {
    const auto& row = table[k];
    EXPECT_EQ(row.at("id"), points[k].id);
    const fs::path config = write_json(dir / ("p" + std::to_string(k) + ".json"), points[k].config);
    const fs::path out = dir / ("p" + std::to_string(k));
    const test::CliRun s = run_cli("solve " + config.string() + " --out " + out.string());
    ASSERT_EQ(s.status, 0) << s.output;
    const json alone = io::read_json_file((out / "result.json").string());
    const std::string label = "point " + std::to_string(k) + " " + json(points[k].params).dump();
    for (const char* key : {"gain", "mean_reward", "mean_coding_cost"}) {
      EXPECT_NEAR(std::stod(row.at(key)), alone[key].get<double>(), 1e-12) << label << " " << key;
    }
    EXPECT_NEAR(std::stod(row.at("gain_lo")), alone["gain_bounds"][0].get<double>(), 1e-12) << label;
    EXPECT_NEAR(std::stod(row.at("gain_hi")), alone["gain_bounds"][1].get<double>(), 1e-12) << label;
    EXPECT_NEAR(std::stod(row.at("prior_mean")), alone["prior"][0].get<double>(), 1e-12) << label;
    EXPECT_EQ(std::stoll(row.at("outer_iterations")), alone["outer_iterations"].get<long long>()) << label;
    EXPECT_EQ(std::stoll(row.at("inner_iterations")), alone["inner_iterations"].get<long long>()) << label;
    EXPECT_EQ(row.at("converged"), "true") << label;
    // The point's directory holds what `netrl solve --out` writes.
    for (const char* f : {"values.npy", "stationary.npy", "spike_count.csv"}) {
      EXPECT_EQ(io::read_file((dir / "out" / "points" / points[k].id / f).string()), io::read_file((out / f).string()))
          << label << " " << f;
    }
  }
  fs::remove_all(dir);
}

/// Starts `netrl args` in the background (output discarded); returns its pid.
pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string cli = NETRL_CLI;
    argv.push_back(cli.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Every journalled point has complete outputs; no id is journalled twice.
void expect_consistent(const fs::path& out, const std::string& when) {
  const auto ids = journal_ids(out);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << when << ": an id journalled twice";
  for (const auto& id : ids) {
    const fs::path p = out / "points" / id;
    for (const char* f : {"result.json", "values.npy", "stationary.npy", "spike_count.csv"})
      EXPECT_TRUE(fs::exists(p / f)) << when << ": journalled point " << id << " lacks " << f;
    EXPECT_NO_THROW(io::read_json_file((p / "result.json").string())) << when;
  }
}

TEST(SweepCli, ResumesAfterSigkillAtRandomMoments) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "kill", true);
  json grid = sweep::preset("count8-grid");
  grid["batch"] = 3;  // 10 units: kills land in solves, writes, syncs, the journal and the table
  const fs::path file = write_json(dir / "grid.json", grid);
  // The uninterrupted run, timed.
  const auto t0 = std::chrono::steady_clock::now();
  const test::CliRun ref = run_cli("sweep " + file.string() + " --quiet --out " + (dir / "ref").string());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(ref.status, 0) << ref.output;
  const Table expected = without_timings(read_csv(dir / "ref" / "table.csv"));
  ASSERT_EQ(expected.size(), 30u);

  const fs::path out = dir / "out";
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> delay(0.0, wall);
  int kills = 0, completions = 0;
  for (int attempt = 0; attempt < 400 && kills < 20; ++attempt) {
    const pid_t pid = spawn({"sweep", file.string(), "--quiet", "--out", out.string()});
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(rng)));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      // It finished before the kill: the table must equal the uninterrupted run's. Start over,
      // more kills are needed.
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "attempt " << attempt;
      EXPECT_EQ(without_timings(read_csv(out / "table.csv")), expected) << "after " << kills << " kills";
      expect_consistent(out, "finished");
      ++completions;
      fs::remove_all(out);
      continue;
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ++kills;
    if (fs::exists(out / "journal")) expect_consistent(out, "after kill " + std::to_string(kills));
  }
  // Resume after the last kill, to the end.
  const test::CliRun last = run_cli("sweep " + file.string() + " --quiet --out " + out.string());
  ASSERT_EQ(last.status, 0) << last.output;
  EXPECT_GE(kills, 20);
  RecordProperty("kills", kills);
  RecordProperty("completions_between_kills", completions);
  // The last run resumed from kills: the table equals the uninterrupted run's, every point
  // exactly once.
  const Table got = without_timings(read_csv(out / "table.csv"));
  EXPECT_EQ(got, expected);
  std::set<std::string> ids;
  for (const auto& row : got) ids.insert(row.at("id"));
  EXPECT_EQ(ids.size(), 30u);
  EXPECT_EQ(journal_ids(out).size(), 30u);
  fs::remove_all(dir);
}

TEST(SweepCli, RefusesAChangedSweepUnlessExtended) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "extend", true);
  json s = {{"command", "solve"},
            {"base", sweep::preset("count8-grid")["base"]},
            {"axes", {{{"key", "lambda"}, {"values", {0.1, 0.2}}}}}};
  const fs::path file = write_json(dir / "s.json", s);
  const std::string out = (dir / "out").string();
  test::CliRun r = run_cli("sweep " + file.string() + " --quiet --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string first = io::read_file(out + "/points/" + sweep::expand(load_sweep(file.string()))[0].id + "/result.json");
  // The same sweep again: everything resumed, nothing recomputed.
  r = run_cli("sweep " + file.string() + " --quiet --out " + out);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 0 computed"), std::string::npos) << r.output;
  // A changed sweep is refused, naming the difference and the way out; nothing is written.
  s["axes"][0]["values"] = {0.1, 0.2, 0.3};
  write_json(file, s);
  r = run_cli("sweep " + file.string() + " --quiet --out " + out);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("holds another sweep"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/axes/0/values"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--extend"), std::string::npos) << r.output;
  EXPECT_EQ(read_csv(out + "/table.csv").size(), 2u);
  // Extended: the new point is computed, the finished ones kept as they were.
  r = run_cli("sweep " + file.string() + " --quiet --extend --out " + out);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 resumed, 1 computed"), std::string::npos) << r.output;
  EXPECT_EQ(read_csv(out + "/table.csv").size(), 3u);
  EXPECT_EQ(io::read_file(out + "/points/" + sweep::expand(load_sweep(file.string()))[0].id + "/result.json"), first);
  // A directory that is not a sweep's is refused too.
  fs::create_directories(dir / "other");
  std::ofstream(dir / "other" / "notes.txt") << "mine";
  r = run_cli("sweep " + file.string() + " --quiet --out " + (dir / "other").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("not a sweep directory"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(SweepCli, InvalidPointsAreRefusedBeforeAnythingRuns) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "invalid", true);
  const json s = {{"command", "solve"},
                  {"base", sweep::preset("count8-grid")["base"]},
                  {"axes", {{{"key", "lambda"}, {"values", {0.1, -0.2}}}}}};
  const fs::path file = write_json(dir / "s.json", s);
  const test::CliRun r = run_cli("sweep " + file.string() + " --quiet --out " + (dir / "out").string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("lambda"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sweep point 1"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "sweep.json"));  // nothing written: a fixed file is not "changed"
  fs::remove_all(dir);
}

/// mpirun, or "" when it is not installed.
std::string find_mpirun() {
  for (const char* p : {"/usr/bin/mpirun", "/usr/local/bin/mpirun"})
    if (fs::exists(p)) return p;
  return "";
}

/// mpirun with the options this machine needs: oversubscription (more ranks than cores) and, as
/// root (CI containers), OpenMPI's explicit permission. Under AddressSanitizer (preset asan) the
/// ranks' leak check is off: OpenMPI's components, loaded and unloaded by MPI_Init/MPI_Finalize,
/// leave allocations behind whose stacks LeakSanitizer can neither attribute nor suppress (their
/// modules are gone at exit). The sweep code the ranks run is leak-checked by the single-process
/// sweep tests; elsewhere the setting is inert.
std::string mpirun_command(int ranks) {
  std::string cmd = "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 "
                    "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" " +
                    find_mpirun() + " --oversubscribe -np " + std::to_string(ranks) + " ";
  return cmd;
}

#define NETRL_REQUIRE_MPI()                                                                        \
  do {                                                                                             \
    if (find_mpirun().empty()) GTEST_SKIP() << "mpirun is not installed (cmake/install_deps.sh installs OpenMPI)"; \
    if (!kMpiBuilt) GTEST_SKIP() << "this netrl was built without MPI (NETRL_MPI=OFF)";            \
  } while (0)

#ifdef NETRL_TEST_MPI
constexpr bool kMpiBuilt = true;
#else
constexpr bool kMpiBuilt = false;
#endif

TEST(SweepMpi, ThreeRanksGiveTheSingleProcessTable) {
  NETRL_REQUIRE_MPI();
  const fs::path dir = test::fresh_dir("netrl_sweep_", "mpi", true);
  json grid = sweep::preset("count8-grid");
  grid["batch"] = 4;
  const fs::path file = write_json(dir / "grid.json", grid);
  const test::CliRun single = run_cli("sweep " + file.string() + " --quiet --out " + (dir / "single").string());
  ASSERT_EQ(single.status, 0) << single.output;
  const std::string cmd = mpirun_command(3) + NETRL_CLI + " sweep " + file.string() + " --quiet --out " +
                          (dir / "mpi").string() + " > " + (dir / "mpi.log").string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << io::read_file((dir / "mpi.log").string());
  EXPECT_EQ(without_timings(read_csv(dir / "mpi" / "table.csv")), without_timings(read_csv(dir / "single" / "table.csv")));
  EXPECT_EQ(journal_ids(dir / "mpi").size(), 30u);
  fs::remove_all(dir);
}

/// The pids of mpirun's children whose MPI rank is `rank`.
std::vector<pid_t> ranks_of(pid_t mpirun, int rank) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    long ppid = 0;
    fields >> state >> ppid;
    if (ppid != mpirun) continue;
    std::ifstream env(e.path() / "environ");
    std::string vars((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
    if (vars.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos)
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

TEST(SweepMpi, AWorkerKilledMidPointLeavesThePointForResume) {
  NETRL_REQUIRE_MPI();
  const fs::path dir = test::fresh_dir("netrl_sweep_", "mpikill", true);
  // Points of 0.1 s or more each (one thread), one per unit, so that the workers are always
  // inside one.
  json base = sweep::preset("count8-grid")["base"];
  base["n"] = 12;
  base["reward"]["targets"] = {3, 9};
  const json s = {{"command", "solve"}, {"base", base}, {"batch", 1},
                  {"axes", {{{"key", "lambda"}, {"linspace", {0.1, 0.3, 12}}}}}};
  const fs::path file = write_json(dir / "s.json", s);
  const test::CliRun single = run_cli("sweep " + file.string() + " --quiet --out " + (dir / "single").string());
  ASSERT_EQ(single.status, 0) << single.output;
  const fs::path out = dir / "mpi";
  const pid_t mpirun = ::fork();
  if (mpirun == 0) {
    std::freopen((dir / "mpi.log").string().c_str(), "w", stdout);
    std::freopen((dir / "mpi.log").string().c_str(), "a", stderr);
    ::execl("/bin/sh", "sh", "-c", ("exec " + mpirun_command(3) + NETRL_CLI + " sweep " + file.string() + " --quiet --out " + out.string()).c_str(), nullptr);
    ::_exit(127);
  }
  // Wait until some points are journalled and some are not, then kill rank 1 (busy with a point).
  bool killed = false;
  for (int wait = 0; wait < 3000 && !killed; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!fs::exists(out / "journal")) continue;
    const std::size_t done = journal_ids(out).size();
    if (done >= 1 && done <= 9) {
      for (pid_t p : ranks_of(mpirun, 1)) {
        ::kill(p, SIGKILL);
        killed = true;
      }
    }
  }
  int status = 0;
  ::waitpid(mpirun, &status, 0);
  ASSERT_TRUE(killed) << "no worker rank found in time: " << io::read_file((dir / "mpi.log").string());
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "mpirun should report the killed rank";
  const auto journalled = journal_ids(out);
  EXPECT_LT(journalled.size(), 12u);
  expect_consistent(out, "after the worker was killed");
  // Resume (one process): the unfinished points, among them the killed worker's, are computed.
  const test::CliRun resumed = run_cli("sweep " + file.string() + " --quiet --out " + out.string());
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(std::to_string(journalled.size()) + " resumed, " +
                                std::to_string(12 - journalled.size()) + " computed"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(without_timings(read_csv(out / "table.csv")), without_timings(read_csv(dir / "single" / "table.csv")));
  fs::remove_all(dir);
}

TEST(BenchCli, ExactVsSampledSmoke) {
  // The benchmark's smallest form: two sizes, two numbers of samples, two repeats.
  const fs::path dir = test::fresh_dir("netrl_bench_", "evs", true);
  const std::string out = (dir / "out").string();
  const test::CliRun r = run_cli("bench exact-vs-sampled --quiet --n 6-7 --samples 1000,100000 --repeats 2 --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("| n | states | exact solve (s) |"), std::string::npos) << r.output;
  const Table crossover = read_csv(dir / "out" / "crossover.csv");
  ASSERT_EQ(crossover.size(), 2u);
  EXPECT_EQ(crossover[0].at("n"), "6");
  EXPECT_EQ(crossover[1].at("states"), "256");
  const Table exact = read_csv(dir / "out" / "exact" / "table.csv");
  const Table sampled = read_csv(dir / "out" / "sampled" / "table.csv");
  ASSERT_EQ(exact.size(), 2u);
  ASSERT_EQ(sampled.size(), 2u * 2u * 2u);
  for (const auto& row : sampled) {
    const auto& ex = exact[row.at("n") == "6" ? 0 : 1];
    // The estimator's objective under the exact mu is the solver's gain.
    EXPECT_NEAR(std::stod(row.at("exact_gain_check")), std::stod(ex.at("gain")), 1e-10) << row.at("id");
    EXPECT_NEAR(std::stod(row.at("gain_estimate")) - std::stod(ex.at("gain")), std::stod(row.at("gain_error")), 1e-15);
    // TV of P(K|x) from N correlated samples: E[TV] <= 0.5 sqrt((n + 1) tau / N) (Cauchy-Schwarz over the
    // n + 1 bins), with an autocorrelation time tau below 200 steps here: 0.06 at N = 1e5 (n = 7).
    if (row.at("sampling.samples") == "100000") {
      EXPECT_LT(std::stod(row.at("tv_spike_count")), 0.1) << row.at("id");
    }
    EXPECT_GT(std::stod(row.at("r2")), 0.0);
    EXPECT_LE(std::stod(row.at("r2")), 1.0);
  }
  // A rerun resumes both sweeps.
  const test::CliRun again = run_cli("bench exact-vs-sampled --quiet --n 6-7 --samples 1000,100000 --repeats 2 --out " + out);
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(io::read_file(out + "/crossover.csv"), io::read_file((dir / "out" / "crossover.csv").string()));
  fs::remove_all(dir);
}

TEST(SolveCli, ProgressAndWarmStart) {
  const fs::path dir = test::fresh_dir("netrl_sweep_", "solve", true);
  json c = sweep::preset("count8-grid")["base"];
  c["reward"]["targets"] = {3, 8};
  // Progress lines: n = 12 takes half a second of value iteration, dozens of lines at the 0.01 s
  // interval (n = 11 solves in 0.02 s: its one or two lines may all fall in other phases).
  c["n"] = 12;
  const fs::path p = write_json(dir / "p.json", c);
  test::CliRun r = run_cli("solve " + p.string() + " --progress --progress-interval 0.01");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("netrl solve: "), std::string::npos);
  EXPECT_NE(r.output.find(", outer 1, inner "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(value iteration), span "), std::string::npos) << r.output;
  // Warm starts (n = 11, where the warm start from the neighbouring lambda saves sweeps).
  c["n"] = 11;
  const fs::path a = write_json(dir / "a.json", c);
  r = run_cli("solve " + a.string() + " --out " + (dir / "a").string());
  ASSERT_EQ(r.status, 0) << r.output;
  // lambda 0.13 cold and warm-started from lambda 0.114: the same fixed point.
  c["lambda"] = 0.13;
  const fs::path b = write_json(dir / "b.json", c);
  c["warm_start"] = "a";  // relative to the configuration's directory
  const fs::path w = write_json(dir / "w.json", c);
  ASSERT_EQ(run_cli("solve " + b.string() + " --out " + (dir / "b").string()).status, 0);
  r = run_cli("solve " + w.string() + " --out " + (dir / "w").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const json cold = io::read_json_file((dir / "b" / "result.json").string());
  const json warm = io::read_json_file((dir / "w" / "result.json").string());
  EXPECT_NEAR(warm["gain"].get<double>(), cold["gain"].get<double>(), 1e-11);
  EXPECT_LT(warm["inner_iterations"].get<int>(), cold["inner_iterations"].get<int>());
  c["warm_start"] = "missing";
  write_json(w, c);
  r = run_cli("solve " + w.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("warm_start"), std::string::npos) << r.output;
  c["warm_start"] = "a";
  c["n"] = 10;
  c["reward"]["targets"] = {3, 7};
  write_json(w, c);
  r = run_cli("solve " + w.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("warm_start"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace netrl
