// A sweep in one process (netrl/sweep.hpp): units one after the other, each recorded as it ends.
#include "netrl/core/error.hpp"
#include "netrl/sweep.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

Report run(const Spec& spec, const Options& options) {
  const std::vector<Point> points = expand(spec);
  detail::Scheduler scheduler(spec, points);  // checks every point before the directory is touched
  detail::Session session(spec, options, points);
  scheduler.mark_finished(session.finished());
  detail::Executor executor(spec, points, options.out);
  SolveHooks hooks;
  if (options.progress) {
    hooks.progress = [&session](const SolveProgress& p) { session.solve_progress(p); };
    hooks.progress_interval = options.progress_interval;
  }
  session.report(true);
  while (!scheduler.empty()) {
    std::vector<detail::Outcome> blocked;
    const std::vector<detail::Unit> units = scheduler.take(1, 1, &blocked);
    for (const auto& o : blocked) {
      scheduler.settle(o);
      session.record(o);
    }
    if (units.empty()) {
      if (blocked.empty()) throw Error("sweep: no point is ready but some are pending (internal error)");
      continue;
    }
    const detail::Unit& unit = units.front();
    session.set_current(unit.label, unit.points.size());
    session.report(false);
    for (const detail::Outcome& o : executor.run(unit, hooks)) {
      scheduler.settle(o);
      session.record(o);
    }
    session.set_current("", 0);
    session.report(false);
  }
  return session.finish();
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
