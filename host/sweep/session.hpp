#pragma once
// The parts of a sweep run (netrl/sweep.hpp), shared by the single-process runner (run.cpp) and
// the MPI runner (mpi/sweep_mpi.cpp). Private to the library.
//   Scheduler (schedule.cpp)  which points are ready and how they are grouped into units of work
//   Executor  (execute.cpp)   computes one unit: solves, writes and syncs each point's directory
//   Session   (session.cpp)   the sweep directory: lock, sweep.json, journal, rows, table, progress
//   table.cpp                 rows from result.json, table.csv and summary.csv
//   inputs.cpp                DIR/inputs.json: digests of the input files the points name
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netrl/io/journal.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/sweep.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

/// Points computed together: one batched solve, or one point.
struct Unit {
  std::vector<std::size_t> points;
  /// "3 solves (n = 8, m = 2)", "point 0123abcd... (sample)".
  std::string label;
};

/// How one point of a unit ended.
struct Outcome {
  std::size_t point = 0;
  bool ok = false;
  /// Solves: the solver converged (ok points only).
  bool converged = true;
  std::string error;
};

/// DIR/points/<id>.
std::string point_dir(const std::string& out, const Point& point);

/// The files and directories that the points' configurations name (a table reward, a solution
/// directory, a raster, ...), as the Scheduler found them while checking the points.
struct Inputs {
  /// Absolute and normalised, sorted, each once.
  std::vector<std::string> paths;
  /// The distinct sets of inputs (indices into paths, sorted), and the set of each point.
  std::vector<std::vector<std::size_t>> sets;
  std::vector<std::size_t> set_of;
};

/// Compares the inputs' content digests with DIR/inputs.json, the record of the inputs that this
/// directory's points were computed from, and returns the record to keep (*changed: it differs
/// from the stored one, or there is none). InvalidInput ("out") naming the file when an input
/// changed that a journalled point may have been computed from (one of `points` whose id is in
/// `journalled`, or any journalled point of another sweep, whose inputs are unknown); an input
/// that changed under no finished point is recorded anew. inputs.cpp.
nlohmann::json reconcile_inputs(const std::string& out, const Inputs& inputs, const std::vector<Point>& points,
                                const std::vector<std::string>& journalled, bool* changed);

/// The ready points (not finished, not running, their warm-start source finished), grouped into
/// units: solves that share n, m, the clamps and the solver options (host or cuda backend) are
/// batched, at most Spec::batch points and kMaxBatchStates states per unit; every other point is
/// a unit of its own. Constructing it parses every point's configuration (InvalidInput naming the
/// point and the field, before anything runs).
class Scheduler {
 public:
  Scheduler(const Spec& spec, const std::vector<Point>& points);
  /// Points finished in earlier runs are not run again.
  void mark_finished(const std::vector<char>& finished);

  /// At most `max_units` units; a group of k ready points is split into units of at most
  /// ceil(k / workers) points so that `workers` processes share it. Points whose warm-start source
  /// failed are returned in `blocked` (failed outcomes), not in units.
  std::vector<Unit> take(std::size_t max_units, std::size_t workers, std::vector<Outcome>* blocked);
  /// Marks the points of a unit finished or failed (they stop running).
  void settle(const Outcome& outcome);
  /// No point pending or running.
  bool empty() const { return pending_ == 0 && running_ == 0; }
  /// The unit may run beside others, one thread each: host solves of at most kParallelStates
  /// states in all (the kernels run them on one thread anyway) and count8-samples points. Timed
  /// points (sample, sampled-vs-exact) and everything else run alone on every thread.
  bool runs_beside_others(const Unit& unit) const;
  std::size_t running() const { return running_; }
  /// The input files and directories the points name.
  const Inputs& inputs() const { return inputs_; }

  /// Total states (m 2^nf) of one unit at most.
  static constexpr std::uint64_t kMaxBatchStates = std::uint64_t{1} << 22;
  static constexpr std::uint64_t kParallelStates = std::uint64_t{1} << 16;

 private:
  enum class State : std::uint8_t { pending, running, finished, failed };
  const Spec& spec_;
  const std::vector<Point>& points_;
  std::vector<State> state_;
  /// Batching key ("" = alone) and states of each point.
  std::vector<std::string> key_;
  std::vector<std::uint64_t> states_;
  std::vector<char> host_;  // a network solve on the host backend
  std::vector<char> exact_;  // a network solve whose outputs hold values (a warm-start source)
  std::vector<std::string> describe_;
  std::size_t pending_ = 0, running_ = 0;
  Inputs inputs_;
};

/// Computes units: writes each point's outputs into DIR/points/<id>/ (removing what an interrupted
/// run left there first) and syncs them to disk before reporting the point done. Failures are
/// reported per point (a failed batch is retried point by point).
class Executor {
 public:
  Executor(const Spec& spec, const std::vector<Point>& points, std::string out);
  ~Executor();
  std::vector<Outcome> run(const Unit& unit, const SolveHooks& hooks);

 private:
  std::vector<Outcome> run_solves(const Unit& unit, const SolveHooks& hooks);
  Outcome run_one(std::size_t point);
  const SampleSizeContext& context(Backend backend, bool predictions);
  const Spec& spec_;
  const std::vector<Point>& points_;
  std::string out_;
  std::map<std::string, std::unique_ptr<SampleSizeContext>> contexts_;
};

/// The table row of a point: its parameters, then the scalars of its result.json (nested objects
/// flattened with dots; arrays left out, except "gain_bounds" as gain_lo and gain_hi and "prior"
/// as prior_mean, the mean over free neurons).
nlohmann::ordered_json table_row(const Point& point, const nlohmann::json& result);
/// table.csv: an "id" column, then the union of the rows' columns in order of appearance.
std::string table_csv(const std::vector<nlohmann::ordered_json>& rows, const std::vector<std::string>& ids);
/// summary.csv of a sweep with repeats: rows grouped by their parameters without "repeat" and the
/// seed key, with the mean and standard error of every numeric result column.
std::string summary_csv(const Spec& spec, const std::vector<nlohmann::ordered_json>& rows);

/// The sweep directory of one run: locked for the run; sweep.json compared with the spec (or
/// written); the journal of finished points; their rows; table.csv; progress reports.
class Session {
 public:
  /// Opens options.out for the points of `spec` (expand(spec)) that name `inputs`. InvalidInput
  /// ("out") for a directory that holds another sweep (unless options.extend) or other files, or
  /// whose finished points were computed from an input that has changed since (reconcile_inputs);
  /// IoError when another process works in it or its journal is damaged. A refused directory is
  /// left as it was.
  Session(const Spec& spec, const Options& options, const std::vector<Point>& points, const Inputs& inputs);
  const std::vector<Point>& points() const { return points_; }
  /// Points finished before this run (their journal record and result.json are present).
  const std::vector<char>& finished() const { return finished_; }

  /// Records a point's outcome: ok points are journalled (durably) and their rows read.
  void record(const Outcome& outcome);
  /// What runs now, for progress reports.
  void set_current(std::string current, std::size_t running);
  /// The progress of the solve in progress.
  void solve_progress(const SolveProgress& p);
  /// Reports progress if the interval has passed (or `force`).
  void report(bool force);
  /// Writes table.csv (and summary.csv) and returns the report.
  Report finish();

 private:
  void write_tables();
  const Spec& spec_;
  const Options& options_;
  std::unique_ptr<io::DirectoryLock> lock_;
  std::unique_ptr<io::Journal> journal_;
  const std::vector<Point>& points_;
  std::vector<char> finished_;
  std::vector<nlohmann::ordered_json> rows_;  // null: not finished
  Report report_;
  Progress progress_;
  double start_ = 0.0, next_report_ = 0.0, next_table_ = 0.0;
};

/// Seconds on a monotonic clock.
double now_seconds();

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
