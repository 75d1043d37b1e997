// The host backend on a shared machine: the n = 16 count solve (target 4, lambda 0.1, tol 1e-8,
// host backend, float64) alone and beside busy processes that spin on the cores, under OpenMP's
// passive wait policy (netrl's default) and its active (spinning) one.
//
// The floor of a loaded run is its fair share of the cores: with K busy processes and T solver
// threads on C cores, a solver thread gets min(1, C / (K + T)) of a core, so a solve whose T
// threads scale perfectly takes max(1, (K + T) / C) times its unloaded time. The table reports
// each run's slowdown and the fraction of that floor it achieves (floor / slowdown; 1 is perfect
// sharing). A solve that scales less than perfectly on the unloaded cores loses less when it has
// fewer of them, so the fraction can exceed 1.
//
// OpenMP reads OMP_WAIT_POLICY once at start-up, so every measurement runs in a child process
// (this program with --child) started with the policy in its environment. The
// runs go in rounds (every setting once per round, one solve each) so that a drift in the
// machine's speed (other tenants of a virtual machine) reaches unloaded and loaded runs alike;
// the table gives each run's median over the rounds.
//
//   bench_shared_cores [--n 16] [--repeats 3]      the table (minutes at n = 16)
//   bench_shared_cores --netrl_smoke               a tiny run (CTest)
#include <omp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_exact.hpp"
#include "netrl/runtime.hpp"
#include "netrl/solve.hpp"

namespace {

/// A process that spins on one core until killed.
pid_t start_busy_process() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    volatile std::uint64_t x = 0;
    for (;;) x = x + 1;
  }
  return pid;
}

/// The child: median seconds of `repeats` solves with `busy` spinning processes alongside.
int child(int n, int busy, int repeats) {
  std::vector<pid_t> spinners;
  for (int k = 0; k < busy; ++k) spinners.push_back(start_busy_process());
  netrl::SolverOptions options;
  options.backend = netrl::Backend::host;
  options.tol = 1e-8;
  options.prior_tol = 1e-8;
  const netrl::NetworkModel model = netrl::bench::count_network(n, 1);
  double gain = netrl::solve(model, options).gain;  // warm-up: page faults, thread start-up
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    gain = netrl::solve(model, options).gain;
    times.push_back(netrl::bench::seconds_since(t0));
  }
  for (pid_t pid : spinners) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::sort(times.begin(), times.end());
  std::printf("%.6f %.12f %d %s\n", times[times.size() / 2], gain, netrl::threads(), netrl::wait_policy());
  return 0;
}

struct Run {
  double seconds = 0.0;
  double gain = 0.0;
  int threads = 0;
  std::string policy;
};

/// Runs this program as a child with OMP_WAIT_POLICY=`policy`.
Run measure(const char* self, const char* policy, int n, int busy, int repeats) {
  const std::string cmd = std::string("OMP_WAIT_POLICY=") + policy + " " + self + " --child " + std::to_string(n) +
                          " " + std::to_string(busy) + " " + std::to_string(repeats);
  FILE* pipe = ::popen(cmd.c_str(), "r");
  Run run;
  char policy_read[32] = {0};
  if (pipe == nullptr || std::fscanf(pipe, "%lf %lf %d %31s", &run.seconds, &run.gain, &run.threads, policy_read) != 4) {
    std::fprintf(stderr, "bench_shared_cores: the child run failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  ::pclose(pipe);
  run.policy = policy_read;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "--child") {
    return child(std::stoi(args[1]), std::stoi(args[2]), std::stoi(args[3]));
  }
  int n = 16, repeats = 3;
  bool smoke = false;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--netrl_smoke") smoke = true;
    else if (args[k] == "--n" && k + 1 < args.size()) n = std::stoi(args[++k]);
    else if (args[k] == "--repeats" && k + 1 < args.size()) repeats = std::stoi(args[++k]);
    else {
      std::fprintf(stderr, "usage: bench_shared_cores [--n N] [--repeats R] [--netrl_smoke]\n");
      return 2;
    }
  }
  if (smoke) {
    n = 8;
    repeats = 1;
  }
  const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("count solve n = %d (target %d, lambda 0.1, tol 1e-8), host backend, %ld cores, median of %d rounds\n", n,
              std::max(1, n / 4), cores, repeats);
  const std::vector<int> busy_counts = smoke ? std::vector<int>{0, 1} : std::vector<int>{0, 1, static_cast<int>(cores)};
  const std::vector<const char*> settings = {"passive", "active"};
  std::vector<std::vector<std::vector<double>>> seconds(settings.size(),
                                                        std::vector<std::vector<double>>(busy_counts.size()));
  std::vector<std::vector<Run>> last(settings.size(), std::vector<Run>(busy_counts.size()));
  for (int round = 0; round < repeats; ++round) {
    for (std::size_t s = 0; s < settings.size(); ++s) {
      for (std::size_t b = 0; b < busy_counts.size(); ++b) {
        last[s][b] = measure(argv[0], settings[s], n, busy_counts[b], 1);
        seconds[s][b].push_back(last[s][b].seconds);
      }
    }
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%-8s %5s %8s %11s %9s %6s %9s\n", "policy", "busy", "threads", "seconds", "slowdown", "floor",
              "fraction");
  for (std::size_t s = 0; s < settings.size(); ++s) {
    const double alone = median(seconds[s][0]);
    for (std::size_t b = 0; b < busy_counts.size(); ++b) {
      const Run& r = last[s][b];
      const double t = median(seconds[s][b]);
      const double slowdown = t / alone;
      const double floor = std::max(1.0, static_cast<double>(busy_counts[b] + r.threads) / static_cast<double>(cores));
      std::printf("%-8s %5d %8d %11.4f %8.2fx %5.2fx %9.2f\n", r.policy.c_str(), busy_counts[b], r.threads, t,
                  slowdown, floor, floor / slowdown);
    }
  }
  return 0;
}
