// Computing a unit of a sweep: each point's command, its outputs in DIR/points/<id>/, synced to
// disk before the point is reported done (session.hpp).
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/infer.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/inference.hpp"
#include "netrl/io/journal.hpp"
#include "netrl/io/samples.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/sample.hpp"
#include "netrl/solve.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

std::string point_dir(const std::string& out, const Point& point) { return out + "/points/" + point.id; }

Executor::Executor(const Spec& spec, const std::vector<Point>& points, std::string out)
    : spec_(spec), points_(points), out_(std::move(out)) {}

Executor::~Executor() = default;

std::vector<Outcome> Executor::run(const Unit& unit, const SolveHooks& hooks) {
  // What an interrupted run may have left in these directories is not part of any result.
  for (std::size_t i : unit.points) io::remove_tree(point_dir(out_, points_[i]));
  if (spec_.kind == Kind::solve) return run_solves(unit, hooks);
  std::vector<Outcome> out;
  for (std::size_t i : unit.points) out.push_back(run_one(i));
  return out;
}

std::vector<Outcome> Executor::run_solves(const Unit& unit, const SolveHooks& progress) {
  std::vector<Problem> problems;
  SolveHooks hooks;
  hooks.progress = progress.progress;
  hooks.progress_interval = progress.progress_interval;
  bool warm = false;
  std::vector<Outcome> out;
  try {
    for (std::size_t i : unit.points) {
      const Point& point = points_[i];
      Problem p = parse_problem(point.config, spec_.base_source);
      p.source = spec_.base_source + " (sweep point " + point.id + ")";
      std::string from = p.warm_start;
      if (point.warm_from >= 0) from = point_dir(out_, points_[static_cast<std::size_t>(point.warm_from)]);
      hooks.warm_starts.push_back(from.empty() ? WarmStart{} : io::read_warm_start(from, p));
      warm = warm || !from.empty();
      problems.push_back(std::move(p));
    }
    if (!warm) hooks.warm_starts.clear();
    std::vector<SolveResult> results;
    if (problems.size() == 1) {
      results.push_back(solve(problems.front(), hooks));
    } else {
      std::vector<NetworkModel> models;
      for (const Problem& p : problems) models.push_back(p.network);
      results = solve_batch(models, problems.front().solver, hooks);
    }
    for (std::size_t k = 0; k < unit.points.size(); ++k) {
      const std::string dir = point_dir(out_, points_[unit.points[k]]);
      io::write_solution(dir, problems[k], results[k]);
      io::sync_tree(dir);
      out.push_back({unit.points[k], true, results[k].converged, ""});
    }
    return out;
  } catch (const Error& e) {
    if (unit.points.size() == 1) return {{unit.points.front(), false, true, e.what()}};
  }
  // A batch failed: find the point(s) by solving each alone.
  out.clear();
  for (std::size_t i : unit.points) {
    Unit one;
    one.points = {i};
    const std::vector<Outcome> r = run_solves(one, progress);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

const SampleSizeContext& Executor::context(Backend backend, bool predictions) {
  const std::string key = std::string(to_string(backend)) + (predictions ? "+predictions" : "");
  auto& slot = contexts_[key];
  if (!slot) slot = std::make_unique<SampleSizeContext>(count8_samples_context(backend, predictions));
  return *slot;
}

Outcome Executor::run_one(std::size_t index) {
  const Point& point = points_[index];
  const std::string dir = point_dir(out_, point);
  try {
    switch (spec_.kind) {
      case Kind::solve: break;  // run_solves
      case Kind::sample: {
        const SampleConfig c = parse_sample_config(point.config, spec_.base_source);
        io::write_samples(dir, c, sample(c.model, c.policy, c.options));
        break;
      }
      case Kind::infer: {
        const InferConfig c = parse_infer_config(point.config, spec_.base_source);
        const InferResult r = infer(c.settings, load_infer_data(c));
        io::write_inference(dir, r);
        io::sync_tree(dir);
        return {index, true, r.converged, ""};
      }
      case Kind::count8_samples: {
        const SampleSizePoint p = parse_sample_size_point(point.config);
        const SampleSizeContext& c = context(p.backend, p.predictions);
        io::write_sample_size_row(dir, c, count8_samples_row(c, p.T, p.seed));
        break;
      }
      case Kind::sampled: {
        const SampledPoint p = parse_sampled_point(point.config, spec_.base_source);
        io::Solution s = io::read_solution(p.solution);
        io::check_solution(s, p.problem);
        SolveResult& r = s.result;
        const ExactReference exact{std::move(r.values), std::move(r.stationary), std::move(r.prior), r.gain};
        io::write_sampled_accuracy(dir, p.options, sampled_accuracy(p.problem.network, exact, p.options));
        break;
      }
    }
    io::sync_tree(dir);
    return {index, true, true, ""};
  } catch (const Error& e) {
    return {index, false, true, e.what()};
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
