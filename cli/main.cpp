// The netrl command-line tool: parses argv (CLI11), runs one command, maps errors to exit codes
// (0 done, 1 error, 2 usage error, 3 finished without converging).
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/runtime.hpp"
#include "netrl/version.hpp"

namespace {

using netrl::cli::FigureArgs;
using netrl::cli::BenchArgs;
using netrl::cli::InferArgs;
using netrl::cli::SampleArgs;
using netrl::cli::SolveArgs;
using netrl::cli::SweepArgs;

/// "1000,1e6" -> sample sizes (integers in [2, 2^53], exact in a double; the run's total is
/// bounded by the sample_steps limit); errors name `option`.
std::vector<std::uint64_t> parse_sizes(const std::string& text, const std::string& option) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(v >= 2.0) || v > 9007199254740992.0 || static_cast<double>(static_cast<std::uint64_t>(v)) != v) {
      throw CLI::ValidationError(option, "\"" + item + "\" is not a sample size (an integer >= 2, e.g. 1000 or 1e6)");
    }
    out.push_back(static_cast<std::uint64_t>(v));
  }
  if (out.empty()) throw CLI::ValidationError(option, "give at least one sample size (e.g. 1000,1e6)");
  return out;
}

/// Seconds in [0.01, 3600]. CLI::Range alone lets "nan" through (every comparison with NaN is false).
CLI::Validator seconds_range() {
  return CLI::Validator(
      [](std::string& text) {
        double v = 0.0;
        if (!CLI::detail::lexical_cast(text, v) || !(v >= 0.01 && v <= 3600.0)) {
          return "Value " + text + " not in range [0.01 - 3600] (seconds)";
        }
        return std::string();
      },
      "FLOAT in [0.01 - 3600]");
}

/// A seed: an integer in [0, 2^64 - 1]. CLI11 reads "-1" into a uint64 as 2^64 - 1.
CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) {
        std::uint64_t v = 0;
        if (text.empty() || text.front() == '-' || !CLI::detail::lexical_cast(text, v)) {
          return "Value " + text + " is not a seed (an integer in [0, 2^64 - 1])";
        }
        return std::string();
      },
      "");
}

/// --out DIR: a directory name, not empty.
CLI::Option* out_option(CLI::App* cmd, std::string* out, const std::string& what) {
  return cmd->add_option("--out", *out, what)->check(
      [](const std::string& v) { return v.empty() ? std::string("the directory name is empty") : std::string(); },
      "DIR");
}

/// CONFIG.json or --scenario NAME (`scenarios`: the names), one of the two, and --out DIR
/// (`writes`: what is written there).
void config_or_scenario(CLI::App* cmd, netrl::cli::ConfigOrScenarioArgs& args, const std::string& scenarios,
                        const std::string& writes) {
  CLI::Option* config = cmd->add_option("config", args.config, "configuration file (JSON)");
  CLI::Option* scenario = cmd->add_option("--scenario", args.scenario, "built-in scenario: " + scenarios);
  out_option(cmd, &args.out, writes);
  config->excludes(scenario);
  cmd->callback([cmd, config, scenario] {
    if (config->count() == 0 && scenario->count() == 0) {
      throw CLI::RequiredError(cmd->get_name() + ": give CONFIG.json or --scenario NAME");
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netrl " NETRL_VERSION ": information-constrained average-reward RL on networks of binary neurons.\n"
               "Configuration and output references: docs/ in the netrl repository.",
               "netrl"};
  app.set_version_flag("--version", "netrl " NETRL_VERSION);
  app.require_subcommand(1, 1);
  app.fallthrough();
  int threads = 0;
  app.add_option("--threads", threads, "OpenMP threads of the host backend (default: all cores)")
      ->check(CLI::Range(1, 4096));
  std::vector<std::string> limits;
  app.add_option("--limit", limits,
                 "NAME=VALUE: raise (or lower) one of the bounds on inputs and work, e.g. maze_cells=1000000 "
                 "(repeatable; the names, defaults and meanings are in docs/limits.md)")
      ->type_name("NAME=VALUE");

  SolveArgs solve;
  CLI::App* solve_cmd = app.add_subcommand("solve", "forward problem of a network or maze (docs/config-solve.md)");
  config_or_scenario(solve_cmd, solve,
                     "count8, maze, maze-high, effcode, ring12, ring12-lambda0.1, ring12-local, ring12-clamped",
                     "write result.json, values.npy, stationary.npy, spike_count.csv into DIR");
  solve_cmd->add_flag("--write-policy", solve.write_policy,
                      "with --out: also write policy.npy and tuning.csv (networks) or action_prior.npy (mazes)");
  solve_cmd->add_flag("--progress", solve.progress,
                      "report outer/inner iterations and the span on stderr while solving (host and cuda)");
  solve_cmd->add_option("--progress-interval", solve.progress_interval, "seconds between progress lines (default 2)")
      ->check(seconds_range());

  SampleArgs sample;
  CLI::App* sample_cmd =
      app.add_subcommand("sample", "chains of the network dynamics under a policy (docs/config-sample.md)");
  sample_cmd->add_option("config", sample.config, "configuration file (JSON)")->required();
  out_option(sample_cmd, &sample.out, "write the statistics into DIR");

  InferArgs infer;
  std::string sizes;
  CLI::App* infer_cmd = app.add_subcommand("infer", "inverse RL: the reward from dynamics (docs/config-infer.md)");
  config_or_scenario(infer_cmd, infer, "count8, count8-samples, maze, ring12 (figs. 5-6)",
                     "write reward.npy, values.npy, result.json into DIR");
  infer_cmd->add_option("--sizes", sizes, "count8-samples: sample sizes T1,T2,... (default 1e3,1e4,1e5,1e6)");
  infer_cmd->add_option("--repeats", infer.repeats, "count8-samples: repeats per size (default 20)")
      ->check(CLI::Range(1, 100000));
  infer_cmd->add_option("--seed", infer.seed, "count8-samples, ring12: seed (default 1)")
      ->check(seed_value());
  infer_cmd->add_flag("--no-predict", [&infer](std::int64_t) { infer.predictions = false; },
                      "count8-samples, ring12: skip the predictions");
  infer_cmd->add_flag("--quick", infer.quick, "ring12: smaller settings, about a minute (docs/parametric.md)");
  infer_cmd->add_option("--backend", infer.backend, "count8 scenarios: forward solver backend (host, cuda, reference)");

  FigureArgs figure;
  CLI::App* figure_cmd =
      app.add_subcommand("figure", "a figure of the paper: its data (CSV, NPY) and a PNG (docs/figures.md)");
  figure_cmd->add_option("name", figure.name, "figure number: 1 maze, 2 count8, 3 limited data, 4 efficient coding, "
                                              "5 ring attractor, 6 reward models")
      ->required();
  figure_cmd->add_option("--out", figure.out, "write the data, figure.json and figNAME.png into DIR")->required();
  figure_cmd->add_flag("--quick", figure.quick, "small settings (about a minute each on two cores; docs/figures.md)");
  figure_cmd->add_flag("--no-plot", [&figure](std::int64_t) { figure.plot = false; },
                       "write the data only (no python3/matplotlib needed)");
  figure_cmd->add_flag("--progress", figure.progress, "progress lines on stderr");
  figure_cmd->add_option("--seed", figure.seed, "figures 3, 5, 6: seed of the recordings and chains (default 1)")
      ->check(seed_value());
  figure_cmd->add_option("--backend", figure.backend, "network solves: host, cuda or reference");
  SweepArgs sweep;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "a grid of solve, sample or infer runs: batched, resumable, over MPI (docs/sweeps.md)");
  auto* sweep_config = sweep_cmd->add_option("sweep", sweep.config, "sweep file (JSON)");
  auto* sweep_preset = sweep_cmd->add_option("--preset", sweep.preset, "built-in sweep: fig3, count8-grid");
  auto* sweep_out = sweep_cmd->add_option("--out", sweep.out, "the sweep directory (created; a rerun resumes)");
  auto* sweep_print =
      sweep_cmd->add_flag("--print", sweep.print, "print the preset's sweep file (to edit it) and exit");
  sweep_cmd->add_flag("--extend", sweep.extend,
                      "accept a sweep file that differs from the one DIR was started with (adds its points)");
  sweep_cmd->add_flag("--quiet", sweep.quiet, "no progress reports");
  sweep_cmd->add_option("--progress-interval", sweep.progress_interval,
                        "seconds between progress reports (default 0.2 on a terminal, 10 otherwise)")
      ->check(seconds_range());
  sweep_cmd->add_flag("--mpi", sweep.mpi,
                      "distribute over MPI ranks (automatic under mpirun): rank 0 schedules, the others compute");
  sweep_config->excludes(sweep_preset);
  sweep_print->needs(sweep_preset);
  sweep_cmd->callback([&] {
    if (sweep.print) return;
    if (sweep_config->count() == 0 && sweep_preset->count() == 0) {
      throw CLI::RequiredError("sweep: give SWEEP.json or --preset NAME");
    }
    if (sweep_out->count() == 0) throw CLI::RequiredError("sweep: --out DIR");
  });

  BenchArgs bench;
  std::string bench_samples;
  CLI::App* bench_cmd = app.add_subcommand("bench", "built-in benchmarks through the sweep machinery (docs/sweeps.md)");
  bench_cmd->add_option("name", bench.name, "exact-vs-sampled")->required()->check(CLI::IsMember({"exact-vs-sampled"}));
  bench_cmd->add_option("--out", bench.out, "the benchmark directory (a rerun resumes)")->required();
  bench_cmd->add_option("--n", bench.sizes, "network sizes: N or N1-N2 (default 8-20)");
  bench_cmd->add_option("--samples", bench_samples, "numbers of samples S1,S2,... (default 1e3,3e3,...,1e8)");
  bench_cmd->add_option("--repeats", bench.repeats, "repeats per number of samples (default 3)")->check(CLI::Range(1, 1000));
  bench_cmd->add_option("--seed", bench.seed, "seed of the repeats (default 1)")
      ->check(seed_value());
  bench_cmd->add_option("--chains", bench.chains, "chains per sampler run (default 16)")->check(CLI::Range(1, 1 << 20));
  bench_cmd->add_option("--infer-max-n", bench.infer_max_n, "infer the reward (r^2) for n up to this (default 14)")
      ->check(CLI::Range(0, 20));
  bench_cmd->add_flag("--quiet", bench.quiet, "no progress reports");
  bench_cmd->add_flag("--extend", bench.extend,
                      "accept other options than DIR was started with (adds their points to its sweeps)");

  try {
    app.parse(argc, argv);
    if (infer_cmd->count("--sizes") > 0) infer.sizes = parse_sizes(sizes, "--sizes");
    if (bench_cmd->count("--samples") > 0) bench.samples = parse_sizes(bench_samples, "--samples");
    if (infer_cmd->parsed()) {
      const bool samples = infer.scenario == "count8-samples", ring = infer.scenario == "ring12";
      for (const char* option : {"--sizes", "--repeats"}) {
        if (infer_cmd->count(option) > 0 && !samples) {
          throw CLI::ValidationError(option, "belongs to --scenario count8-samples");
        }
      }
      for (const char* option : {"--seed", "--no-predict"}) {
        if (infer_cmd->count(option) > 0 && !samples && !ring) {
          throw CLI::ValidationError(option, "belongs to --scenario count8-samples or ring12");
        }
      }
      if (infer_cmd->count("--quick") > 0 && !ring) throw CLI::ValidationError("--quick", "belongs to --scenario ring12");
      if (infer_cmd->count("--backend") > 0 && infer.scenario != "count8") {
        throw CLI::ValidationError("--backend", "belongs to the count8 scenarios (the configuration's "
                                                "\"solver\": {\"backend\"} otherwise)");
      }
    }
    if (figure_cmd->parsed()) {  // options that do not apply are usage errors, as for infer
      const std::string& f = figure.name;
      if (figure_cmd->count("--seed") > 0 && f != "3" && f != "5" && f != "6") {
        throw CLI::ValidationError("--seed", "belongs to figures 3, 5 and 6 (docs/figures.md)");
      }
      if (figure_cmd->count("--backend") > 0 && f == "1") {
        throw CLI::ValidationError("--backend", "belongs to the figures with network solves (2 to 6)");
      }
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const auto& l : limits) netrl::set_limit_from_text(l);
  } catch (const netrl::InvalidInput& e) {  // a malformed option: a usage error, like the others
    std::cerr << "netrl: error: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  }
  try {
    if (threads > 0) netrl::set_threads(threads);
    if (solve_cmd->parsed()) return netrl::cli::run_solve(solve);
    if (sample_cmd->parsed()) return netrl::cli::run_sample(sample);
    if (figure_cmd->parsed()) return netrl::cli::run_figure(figure);
    if (sweep_cmd->parsed()) return netrl::cli::run_sweep(sweep);
    if (bench_cmd->parsed()) return netrl::cli::run_bench(bench);
    return netrl::cli::run_infer(infer);
  } catch (const netrl::Error& e) {
    std::cerr << "netrl: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "netrl: error: out of memory: the run needs more memory than this machine can give it "
                 "(docs/limits.md lists the bounds netrl checks before it allocates)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "netrl: internal error: " << e.what() << "\n";
    return 1;
  }
}
