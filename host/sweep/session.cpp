// The sweep directory of one run: lock, sweep.json, journal, rows, tables, progress (session.hpp).
#include <chrono>
#include <filesystem>
#include <map>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "sweep/json_tree.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

using nlohmann::json;

namespace {

constexpr const char* kJournalHeader = "netrl-sweep-journal 1";
/// table.csv is rewritten at most this often while a sweep runs (and always at its end).
constexpr double kTableInterval = 10.0;

/// A temporary file of a durable replace that a killed run left in DIR ("table.csv.tmp.<pid>").
bool is_leftover(const std::string& name) {
  for (const char* file : {"sweep.json", "inputs.json", "journal", "table.csv", "summary.csv"}) {
    const std::string prefix = std::string(file) + ".tmp.";
    if (name.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

bool is_point_id(const std::string& s) {
  return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Where two sweeps first differ, as a JSON pointer with the two values.
std::string first_difference(const json& stored, const json& now) {
  const json patch = json::diff(stored, now);
  if (patch.empty()) return "";
  const std::string path = patch[0].value("path", "");
  std::string text = path.empty() ? "(the whole sweep)" : path;
  try {
    const json::json_pointer ptr(path);
    const std::string before = stored.contains(ptr) ? stored.at(ptr).dump() : "(absent)";
    const std::string after = now.contains(ptr) ? now.at(ptr).dump() : "(absent)";
    text += ": " + before.substr(0, 80) + " in the directory, " + after.substr(0, 80) + " now";
  } catch (const json::exception&) {
  }
  return text;
}

}  // namespace

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Session::Session(const Spec& spec, const Options& options, const std::vector<Point>& points, const Inputs& inputs)
    : spec_(spec), options_(options), points_(points) {
  start_ = now_seconds();
  const std::string& out = options.out;
  if (out.empty()) throw InvalidInput("out", "a sweep needs an output directory");
  io::ensure_directory(out);
  lock_ = std::make_unique<io::DirectoryLock>(out);
  for (const std::string& name : io::list_directory(out))
    if (is_leftover(name)) io::remove_tree(out + "/" + name);
  const std::string sweep_path = out + "/sweep.json";
  const std::string journal_path = out + "/journal";
  const std::string inputs_path = out + "/inputs.json";
  std::error_code ec;
  if (io::is_directory(out) && std::filesystem::exists(sweep_path, ec)) {
    const json stored = io::read_json_file(sweep_path);
    check_depth(stored, "out", kMaxDepth, sweep_path);  // before the recursive comparison
    const bool changed = stored != spec.canonical;
    if (changed && !options.extend) {
      throw InvalidInput("out", out + " holds another sweep (" + first_difference(stored, spec.canonical) +
                                    "); to add this sweep's points to it (finished points with the same "
                                    "configuration are kept), rerun with --extend; or choose another directory");
    }
    // The journal is read (and a damaged one refused) and the inputs checked against the points
    // it holds before sweep.json is replaced.
    journal_ = std::make_unique<io::Journal>(journal_path, kJournalHeader, is_point_id);
    bool inputs_changed = false;
    const json record = reconcile_inputs(out, inputs, points, journal_->records(), &inputs_changed);
    if (changed) io::write_file_durable(sweep_path, spec.canonical.dump(2) + "\n");
    if (inputs_changed) io::write_file_durable(inputs_path, record.dump(2) + "\n");
  } else {
    for (const std::string& name : io::list_directory(out))
      if (name != ".lock") {
        throw InvalidInput("out", out + " is not empty and holds no sweep.json (it is not a sweep directory); choose "
                                        "a new or empty directory");
      }
    bool inputs_changed = false;
    const json record = reconcile_inputs(out, inputs, points, {}, &inputs_changed);
    io::write_file_durable(sweep_path, spec.canonical.dump(2) + "\n");  // first: it marks a sweep directory
    io::write_file_durable(inputs_path, record.dump(2) + "\n");         // before any point is computed
    journal_ = std::make_unique<io::Journal>(journal_path, kJournalHeader, is_point_id);
  }
  io::ensure_directory(out + "/points");

  std::map<std::string, std::size_t> index;
  for (const Point& p : points_) index.emplace(p.id, p.index);
  finished_.assign(points_.size(), 0);
  rows_.assign(points_.size(), nlohmann::ordered_json());
  for (const std::string& id : journal_->records()) {
    const auto it = index.find(id);
    if (it == index.end() || finished_[it->second]) continue;  // another sweep's point (extended), or a duplicate
    const Point& p = points_[it->second];
    try {
      rows_[p.index] = table_row(p, io::read_json_file(point_dir(out, p) + "/result.json"));
      finished_[p.index] = 1;
      ++report_.resumed;
    } catch (const Error&) {
      // The journal says finished but the outputs are gone or damaged: compute the point again.
    }
  }
  report_.total = points_.size();
  progress_.total = report_.total;
  progress_.resumed = report_.resumed;
  next_report_ = start_;
  next_table_ = start_ + kTableInterval;
}

void Session::record(const Outcome& o) {
  const Point& p = points_[o.point];
  std::string error = o.error;
  if (o.ok) {
    try {
      rows_[p.index] = table_row(p, io::read_json_file(point_dir(options_.out, p) + "/result.json"));
    } catch (const Error& e) {
      error = std::string("its outputs cannot be read back: ") + e.what();  // not journalled: retried
    }
  }
  if (o.ok && error.empty()) {
    journal_->append(p.id);
    finished_[p.index] = 1;
    ++report_.done;
    if (!o.converged) ++report_.unconverged;
  } else {
    ++report_.failed;
    report_.failures.push_back(p.id + " " + shorten(json(p.params).dump(), 200) + ": " + error);
  }
  progress_.done = report_.done;
  progress_.failed = report_.failed;
  if (now_seconds() >= next_table_) {
    write_tables();
    next_table_ = now_seconds() + kTableInterval;
  }
}

void Session::set_current(std::string current, std::size_t running) {
  progress_.current = std::move(current);
  progress_.running = running;
  progress_.has_solve = false;
}

void Session::solve_progress(const SolveProgress& p) {
  if (std::string(p.phase) == "done") return;
  progress_.has_solve = true;
  progress_.solve = p;
  report(true);
}

void Session::report(bool force) {
  if (!options_.progress) return;
  const double now = now_seconds();
  if (!force && now < next_report_) return;
  next_report_ = now + options_.progress_interval;
  progress_.elapsed_seconds = now - start_;
  options_.progress(progress_);
}

void Session::write_tables() {
  std::vector<nlohmann::ordered_json> rows;
  std::vector<std::string> ids;
  for (const Point& p : points_)
    if (finished_[p.index]) {
      rows.push_back(rows_[p.index]);
      ids.push_back(p.id);
    }
  report_.table = options_.out + "/table.csv";
  io::write_file_durable(report_.table, table_csv(rows, ids));
  if (spec_.repeats.count > 0) {
    report_.summary = options_.out + "/summary.csv";
    io::write_file_durable(report_.summary, summary_csv(spec_, rows));
  }
}

Report Session::finish() {
  write_tables();
  report_.elapsed_seconds = now_seconds() - start_;
  progress_.running = 0;
  progress_.current.clear();
  progress_.has_solve = false;
  progress_.finished = true;
  report(true);
  return report_;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
