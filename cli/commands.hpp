#pragma once
// The subcommands of the netrl tool. main.cpp parses argv into these structs; each command runs
// the library, prints a summary and returns the exit status (0 done, 3 finished without
// converging). Library errors propagate as netrl::Error (main.cpp reports them, exit status 1).
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/solver_options.hpp"

namespace netrl::cli {

struct SolveArgs {
  std::string config;
  std::string scenario;
  std::string out;
  /// Also write policy.npy and tuning.csv (networks) or action_prior.npy (mazes).
  bool write_policy = false;
};
int run_solve(const SolveArgs& args);

struct SampleArgs {
  std::string config;
  std::string out;
};
int run_sample(const SampleArgs& args);

struct InferArgs {
  std::string config;
  std::string scenario;
  std::string out;
  /// The count8-samples scenario.
  std::vector<std::uint64_t> sizes;
  int repeats = 20;
  std::uint64_t seed = 1;
  bool predictions = true;
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

/// printf-style formatting of one number.
std::string fmt(double v, const char* spec = "%.6g");

}  // namespace netrl::cli
