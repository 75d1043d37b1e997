#pragma once
// Sweeps (docs/sweeps.md): one base configuration of `netrl solve`, `sample` or `infer` (or a
// point of the count8-samples experiment) and axes over its key paths. Every point is the base
// with the axis values written at their key paths; its id is a hash of its full configuration, its
// outputs go to DIR/points/<id>/, a journal records the finished points durably, and DIR/table.csv
// (one row per point) is rebuilt from the points' outputs. A rerun resumes; points that share a
// network shape are solved together (solve_batch); solves along a lambda axis may warm-start from
// their neighbour.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

/// What one point runs: `netrl solve`, `sample` or `infer` on its configuration; a repeat of the
/// count8-samples experiment; or the accuracy of chains under an exact solution (the
/// exact-vs-sampled benchmark).
enum class Kind { solve, sample, infer, count8_samples, sampled };
/// "solve", "sample", "infer", "count8-samples", "sampled-vs-exact".
const char* to_string(Kind kind);

/// One axis: a key path and its values, or several key paths whose values are zipped (they vary
/// together, equal lengths). Key paths are dotted object keys with optional array indices:
/// "lambda", "input.T", "sampling.seed", "predict[0].input.T".
struct Axis {
  std::vector<std::string> keys;
  /// values[k][i]: the value of keys[k] at step i.
  std::vector<std::vector<nlohmann::json>> values;
  std::size_t size() const { return values.empty() ? 0 : values.front().size(); }
};

/// Repeats of every point of the axes with derived seeds: repeat r gets the seed
/// derive_seed(seed, params, r) written at `seed_key` (params: the point's axis values).
struct Repeats {
  int count = 0;
  std::string seed_key;
  std::uint64_t seed = 0;
};

struct Spec {
  Kind kind = Kind::solve;
  /// The base configuration, and the file its relative paths resolve against (the base file when
  /// the sweep names one, else the sweep file).
  nlohmann::json base;
  std::string base_source;
  /// Cartesian product, the first axis varying slowest.
  std::vector<Axis> axes;
  Repeats repeats;
  /// Solves only: chain the points along the axis that holds this key (e.g. "lambda"); each point
  /// starts from the solution of the point before it on that axis. Empty: cold starts.
  std::string warm_start_key;
  /// Most points solved in one batch (solve_batch).
  int batch = 64;
  /// The sweep as it determines the points (command, base, axes, repeats, warm_start): a rerun
  /// with a different one is refused unless extended.
  nlohmann::json canonical;
};

/// One point of a sweep.
struct Point {
  std::size_t index = 0;
  /// 16 hex digits: a hash of the command, the full configuration and the warm-start source.
  std::string id;
  /// The axis values (and "repeat" and the seed key with repeats), in axis order.
  nlohmann::ordered_json params;
  /// The full configuration of the point.
  nlohmann::json config;
  /// Index of the point whose solution warm-starts this one (-1: none).
  std::ptrdiff_t warm_from = -1;
};

/// The points of a sweep in order. InvalidInput ("axes[1]", "repeats.seed_key", "warm_start")
/// for key paths that do not fit the base, duplicate points, and a warm_start key on no axis.
std::vector<Point> expand(const Spec& spec);

/// Writes `value` at the dotted key path `path` of `config`, creating missing object keys; array
/// indices must exist. InvalidInput naming `field` otherwise.
void set_key_path(nlohmann::json& config, const std::string& path, const nlohmann::json& value,
                  const std::string& field);

/// 16 hex digits of the 64-bit FNV-1a hash of the canonical (sorted, compact) JSON of `material`.
std::string hash_id(const nlohmann::json& material);

/// The seed of repeat `repeat`: the FNV-1a hash of (seed, params, repeat) reduced to 53 bits (exact
/// in JSON readers that use doubles).
std::uint64_t derive_seed(std::uint64_t seed, const nlohmann::json& params, int repeat);

/// Where a sweep stands (Options::progress).
struct Progress {
  std::size_t total = 0;
  /// Finished in earlier runs (resumed), finished in this run, failed in this run.
  std::size_t resumed = 0;
  std::size_t done = 0;
  std::size_t failed = 0;
  /// Points being computed now.
  std::size_t running = 0;
  double elapsed_seconds = 0.0;
  /// What is running ("batch of 30 solves, n = 8"), and the progress of its solve when it reports.
  std::string current;
  bool has_solve = false;
  SolveProgress solve;
  /// The sweep has ended (the last report).
  bool finished = false;
};

struct Options {
  std::string out;
  /// Accept a sweep that differs from the one DIR was started with (its points are added; the
  /// finished points it shares are kept).
  bool extend = false;
  std::function<void(const Progress&)> progress;
  double progress_interval = 1.0;
  /// Units computed at the same time by sweep::run, one thread each (0: one per OpenMP thread of
  /// the process). Only small host solves and count8-samples points run side by side; timed
  /// points (sample, sampled-vs-exact) and large solves run one at a time on every thread.
  int parallel = 0;
};

/// The outcome of a run.
struct Report {
  std::size_t total = 0, resumed = 0, done = 0, failed = 0;
  /// "<id>: <message>" of each point that failed (and of points whose warm start failed).
  std::vector<std::string> failures;
  /// Points whose solve did not converge (their outputs are written with converged = false).
  std::size_t unconverged = 0;
  double elapsed_seconds = 0.0;
  std::string table;    // DIR/table.csv
  std::string summary;  // DIR/summary.csv (repeats only), else empty
};

/// Runs the sweep in this process. IoError for a directory that cannot be used (another sweep in
/// it without `extend`, another process working in it), InvalidInput for points whose
/// configuration is invalid (checked before anything runs, naming the point and the field).
Report run(const Spec& spec, const Options& options);

/// Built-in sweep files of `netrl sweep --preset NAME`: "fig3" (count8-samples over T = 10^3 ..
/// 10^6, 20 repeats with derived seeds) and "count8-grid" (the count8 network over 10 values of
/// lambda x 3 input flip probabilities). InvalidInput ("preset") otherwise.
nlohmann::json preset(const std::string& name);
std::vector<std::string> preset_names();

/// The exact-vs-sampled benchmark (`netrl bench exact-vs-sampled`, docs/sweeps.md): the count
/// network (targets round(n/4) and n - round(n/4), input flipping with probability `flip`) for
/// n = n_min..n_max solved exactly (one sweep, DIR/exact), then sampled under its exact policy for
/// each number of samples with `repeats` derived seeds (another sweep, DIR/sampled, over the
/// exact points), and the crossover: per target, the fewest samples from which on the mean error over
/// the repeats meets it at every larger number of samples tried, and their seconds.
struct ExactVsSampledOptions {
  int n_min = 8;
  int n_max = 20;
  std::vector<std::uint64_t> samples{1000,    3000,    10000,    30000,    100000,   300000,
                                     1000000, 3000000, 10000000, 30000000, 100000000};
  int repeats = 3;
  std::uint64_t seed = 1;
  std::uint64_t chains = 16;
  /// Burn-in steps per chain per neuron (burn_in = this * n).
  std::uint64_t burn_in_per_neuron = 2000;
  /// Infer the reward (r^2) for n <= infer_max_n (maximum likelihood over m 2^n states).
  int infer_max_n = 14;
  double lambda = 0.114;
  double flip = 0.02;
  Backend backend = Backend::host;
  /// Accuracy targets: max_x TV of P(K|x), |gain error| / |exact gain|, r^2.
  double tv_target = 0.01;
  double gain_target = 0.01;
  double r2_target = 0.99;
};

struct CrossoverRow {
  int n = 0;
  std::uint64_t states = 0;
  double exact_seconds = 0.0;
  /// The fewest samples from which on the mean error meets the target (0: not even the largest
  /// number tried) and the mean seconds of those runs (sampler; for r2 sampler plus inference).
  struct Hit {
    std::uint64_t samples = 0;
    double seconds = 0.0;
  };
  Hit tv, gain, r2;
  bool inferred = false;
};

struct ExactVsSampledResult {
  std::vector<CrossoverRow> rows;
  Report exact, sampled;
  /// DIR/crossover.csv.
  std::string crossover;
};

/// Runs (or resumes) both sweeps under options.out and writes DIR/crossover.csv.
ExactVsSampledResult exact_vs_sampled(const ExactVsSampledOptions& bench, const Options& options);

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
