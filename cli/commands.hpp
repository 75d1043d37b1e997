#pragma once
// The subcommands of the netrl tool. main.cpp parses argv into these structs; each command runs
// the library, prints a summary and returns the exit status (0 done, 3 finished without
// converging). Library errors propagate as netrl::Error (main.cpp reports them, exit status 1).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netrl/core/solver_options.hpp"
#include "netrl/io/files.hpp"

namespace netrl::cli {

/// What the commands that run one configuration (solve, sample, infer) share: the configuration
/// file and the output directory (--out; empty: a summary only).
struct RunArgs {
  std::string config;
  std::string out;
};

/// Solve and infer run a configuration file or a built-in scenario (--scenario), one of the two.
struct ConfigOrScenarioArgs : RunArgs {
  std::string scenario;
};

struct SolveArgs : ConfigOrScenarioArgs {
  /// Also write policy.npy and tuning.csv (networks) or action_prior.npy (mazes).
  bool write_policy = false;
  /// Progress lines on stderr, every `progress_interval` seconds.
  bool progress = false;
  double progress_interval = 2.0;
};
int run_solve(const SolveArgs& args);

struct SampleArgs : RunArgs {};
int run_sample(const SampleArgs& args);

struct InferArgs : ConfigOrScenarioArgs {
  /// The count8-samples scenario.
  std::vector<std::uint64_t> sizes;
  int repeats = 20;
  std::uint64_t seed = 1;
  bool predictions = true;
  /// The ring12 scenario: ring12_quick_options().
  bool quick = false;
  /// Forward solver backend of the count8 scenarios ("" = default).
  std::string backend;
};
int run_infer(const InferArgs& args);

struct FigureArgs {
  std::string name;
  std::string out;
  bool quick = false;
  bool plot = true;
  bool progress = false;
  std::uint64_t seed = 1;
  std::string backend;
};
int run_figure(const FigureArgs& args);

/// The backend named on the command line ("" = automatic); InvalidInput naming `option` otherwise.
Backend parse_backend_option(const std::string& name, const std::string& option);
/// The output directory `dir` of a run, opened (checked and locked) before the run starts so that
/// a bad --out is reported before any work; nullptr when `dir` is empty (no --out). Errors name
/// "--out".
std::unique_ptr<io::OutputDir> open_output(const std::string& dir);
struct SweepArgs {
  std::string config;
  std::string preset;
  std::string out;
  bool extend = false;
  /// Print the preset's sweep file and exit.
  bool print = false;
  bool quiet = false;
  /// Seconds between progress reports (0: 0.2 on a terminal, 10 otherwise).
  double progress_interval = 0.0;
  /// Run distributed over MPI (also when an MPI launcher's environment is detected).
  bool mpi = false;
};
int run_sweep(const SweepArgs& args);

struct BenchArgs {
  std::string name;
  std::string out;
  /// "8-20" or "12".
  std::string sizes = "8-20";
  std::vector<std::uint64_t> samples;
  int repeats = 3;
  std::uint64_t seed = 1;
  std::uint64_t chains = 16;
  int infer_max_n = 14;
  bool quiet = false;
  bool extend = false;
};
int run_bench(const BenchArgs& args);

/// printf-style formatting of one number.
std::string fmt(double v, const char* spec = "%.6g");

}  // namespace netrl::cli
