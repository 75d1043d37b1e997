// The one entry point of the forward problem: picks the solver for the model and the backend.
#include "netrl/solve.hpp"

#include <cmath>

#include "netrl/core/error.hpp"
#include "netrl/efficient_coding.hpp"
#include "netrl/runtime.hpp"
#include "solve/exact_solver.hpp"
#include "solve/parametric/parametric_solver.hpp"
#include "solve/mdp_solver.hpp"
#include "solve/reference.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

void require_float64(const SolverOptions& options) {
  if (options.precision != Precision::float64) {
    throw InvalidInput("solver.precision", "the reference backend computes in float64 only");
  }
}

/// Networks and MDPs: automatic means host.
SolverOptions kernel_options(const SolverOptions& options) {
  SolverOptions o = options;
  o.validate("solver");
  if (o.backend == Backend::automatic) o.backend = Backend::host;
  return o;
}

/// The reference backend starts from v = 0 and p0 only.
void require_cold(const SolveHooks& hooks) {
  for (const WarmStart& w : hooks.warm_starts)
    if (!w.empty()) {
      throw InvalidInput("warm_start", "the reference backend starts from v = 0; warm starts need the \"host\" or "
                                       "\"cuda\" backend");
    }
}

/// The batch entry points' path: the options checked (automatic means host) and the parametric
/// method refused (`no_parametric` says why), the run's threads, then the `count` problems solved
/// one by one by the reference backend (float64, cold starts only) or together on the kernels.
template <class Reference, class Kernels>
std::vector<SolveResult> solve_batch_on(const SolverOptions& options, const char* no_parametric,
                                        const SolveHooks& hooks, std::size_t count, const Reference& reference,
                                        const Kernels& kernels) {
  const SolverOptions o = kernel_options(options);
  if (o.method == Method::parametric) throw InvalidInput("solver.method", no_parametric);
  const ThreadScope thread_scope(o.threads);
  std::vector<SolveResult> out;
  if (o.backend != Backend::reference) {
    out = kernels(o);
  } else {
    require_float64(o);
    require_cold(hooks);
    for (std::size_t k = 0; k < count; ++k) out.push_back(reference(k, o));
  }
  // A gain, mean reward or coding cost that overflowed (rewards near the largest double) is no
  // answer, whatever the loops' tests said.
  for (SolveResult& r : out) {
    if (std::isfinite(r.gain) && std::isfinite(r.mean_reward) && std::isfinite(r.mean_coding_cost)) continue;
    r.converged = false;
    r.note = "the gain, mean reward or coding cost is not finite (an overflow: the rewards' magnitude or lambda is "
             "too close to the largest double, about 1.8e308)" + (r.note.empty() ? std::string() : "; " + r.note);
  }
  return out;
}

}  // namespace

const char* to_string(ModelKind kind) { return name_of(kind); }

double Problem::lambda() const {
  switch (kind) {
    case ModelKind::network: return network.lambda;
    case ModelKind::maze: return maze_lambda;
    case ModelKind::mdp: return mdp_lambda;
  }
  return 0.0;
}

std::uint64_t Problem::num_states() const {
  switch (kind) {
    case ModelKind::network: return network.num_states();
    case ModelKind::maze: return static_cast<std::uint64_t>(maze.num_states());
    case ModelKind::mdp: return static_cast<std::uint64_t>(mdp.num_states);
  }
  return 0;
}

bool backend_available(Backend backend, std::string* reason) {
  if (backend == Backend::cuda) return kernels::cuda::device_available(reason);
  if (reason != nullptr) reason->clear();
  return true;
}

SolveResult solve(const NetworkModel& model, const SolverOptions& options) { return solve(model, options, SolveHooks{}); }

SolveResult solve(const NetworkModel& model, const SolverOptions& options, const SolveHooks& hooks) {
  // A reward defined by the solution itself: the loop of solves (efficient_coding.cpp).
  if (!model.reward.is_static()) return efficient_coding(model, options).solution;
  if (hooks.warm_starts.size() > 1) {
    throw InvalidInput("warm_starts", "a single solve takes at most one warm start, got " +
                                          std::to_string(hooks.warm_starts.size()));
  }
  if (options.method == Method::parametric) {
    if (!hooks.warm_starts.empty()) {
      throw InvalidInput("warm_starts", "the parametric solver starts from J = 0, h = 0; warm starts are for the exact solvers");
    }
    const SolverOptions o = kernel_options(options);
    const ThreadScope thread_scope(o.threads);
    return parametric::solve(model, o);
  }
  return std::move(solve_batch({model}, options, hooks).front());
}

SolveResult solve(const Mdp& mdp, double lambda, const SolverOptions& options) {
  return std::move(solve_batch(mdp, std::vector<double>{lambda}, options).front());
}

std::vector<SolveResult> solve_batch(const Mdp& mdp, const std::vector<double>& lambdas, const SolverOptions& options) {
  return solve_batch_on(
      options, "the parametric solver is for networks, not mazes or general MDPs", SolveHooks{}, lambdas.size(),
      [&](std::size_t k, const SolverOptions& o) { return reference::solve(mdp, lambdas[k], o); },
      [&](const SolverOptions& o) { return mdp::solve_batch(mdp, lambdas, o); });
}

SolveResult solve(const Maze& maze, double lambda, const SolverOptions& options) {
  return solve(maze.mdp(), lambda, options);
}

SolveResult solve(const Problem& problem) { return solve(problem, SolveHooks{}); }

SolveResult solve(const Problem& problem, const SolveHooks& hooks) {
  if (problem.kind == ModelKind::maze) {
    require_cold(hooks);
    return solve(problem.maze, problem.maze_lambda, problem.solver);
  }
  if (problem.kind == ModelKind::mdp) {
    require_cold(hooks);
    return solve(problem.mdp, problem.mdp_lambda, problem.solver);
  }
  return solve(problem.network, problem.solver, hooks);
}

std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options) {
  return solve_batch(models, options, SolveHooks{});
}

std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options,
                                     const SolveHooks& hooks) {
  for (std::size_t q = 0; q < models.size(); ++q)
    if (!models[q].reward.is_static()) {
      throw InvalidInput("models[" + std::to_string(q) + "].reward.kind",
                         "solve_batch needs rewards known in advance; solve an efficient_coding model with solve()");
    }
  return solve_batch_on(
      options, "solve_batch runs the exact solvers; solve parametric problems one by one", hooks, models.size(),
      [&](std::size_t k, const SolverOptions& o) { return reference::solve(models[k], o); },
      [&](const SolverOptions& o) { return exact::solve_batch(models, o, hooks); });
}

NETRL_NAMESPACE_END  // namespace netrl
