// A sweep in one process (netrl/sweep.hpp): small units side by side, one per thread, the others
// one after the other on every thread; each recorded as it ends.
#include <algorithm>
#include <memory>

#include "netrl/core/error.hpp"
#include "netrl/runtime.hpp"
#include "netrl/sweep.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

Report run(const Spec& spec, const Options& options) {
  const std::vector<Point> points = expand(spec);
  detail::Scheduler scheduler(spec, points);  // checks every point before the directory is touched
  detail::Session session(spec, options, points, scheduler.inputs());
  scheduler.mark_finished(session.finished());
  const int slots = std::max(1, options.parallel > 0 ? options.parallel : threads());
  std::vector<std::unique_ptr<detail::Executor>> executors;
  for (int k = 0; k < slots; ++k) executors.push_back(std::make_unique<detail::Executor>(spec, points, options.out));
  SolveHooks hooks;
  if (options.progress) {
    hooks.progress = [&session](const SolveProgress& p) { session.solve_progress(p); };
    hooks.progress_interval = options.progress_interval;
  }
  auto record = [&](const std::vector<detail::Outcome>& outcomes) {
    for (const detail::Outcome& o : outcomes) {
      scheduler.settle(o);
      session.record(o);
    }
  };
  session.report(true);
  while (!scheduler.empty()) {
    std::vector<detail::Outcome> blocked;
    const std::vector<detail::Unit> units =
        scheduler.take(static_cast<std::size_t>(slots), static_cast<std::size_t>(slots), &blocked);
    record(blocked);
    if (units.empty()) {
      if (blocked.empty()) throw Error("sweep: no point is ready but some are pending (internal error)");
      continue;
    }
    bool beside = units.size() > 1;
    for (const auto& u : units) beside = beside && scheduler.runs_beside_others(u);
    if (!beside) {
      for (const detail::Unit& unit : units) {
        session.set_current(unit.label, unit.points.size());
        session.report(false);
        record(executors.front()->run(unit, hooks));
      }
    } else {
      // One thread per unit, the solves inside on that thread; host results do not depend on it.
      std::size_t running = 0;
      for (const auto& u : units) running += u.points.size();
      session.set_current(std::to_string(units.size()) + " units side by side (" + units.front().label + ", ...)", running);
      session.report(false);
      std::vector<std::vector<detail::Outcome>> outcomes(units.size());
      const auto U = static_cast<std::int64_t>(units.size());
#pragma omp parallel for num_threads(static_cast<int>(units.size())) schedule(dynamic, 1)
      for (std::int64_t u = 0; u < U; ++u) {
        const detail::Unit& unit = units[static_cast<std::size_t>(u)];
        const ThreadScope one(1);
        try {
          outcomes[static_cast<std::size_t>(u)] = executors[static_cast<std::size_t>(u)]->run(unit, SolveHooks{});
        } catch (const std::exception& e) {
          for (std::size_t i : unit.points) outcomes[static_cast<std::size_t>(u)].push_back({i, false, true, e.what()});
        }
      }
      for (const auto& o : outcomes) record(o);
    }
    session.set_current("", 0);
    session.report(false);
  }
  return session.finish();
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
