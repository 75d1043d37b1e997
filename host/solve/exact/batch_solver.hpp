#pragma once
// The exact network solver's driver (solve/exact_solver.hpp describes the algorithm), private to
// the library. One BatchSolver runs B problems of one shape on one engine; its members are defined
// by job:
//   batch_solver.cpp      the outer loop (run), memory check, uploads, the results over the full
//                         state space
//   prior_loop.cpp        the prior update and its stopping test
// The inner iterations (value iteration, the stationary power iteration, the evaluation
// refinement, policy iteration with Krylov solves) and the round tolerances are those shared with
// the MDP solver (solve/iterations.hpp), the extrapolation of the prior loop is
// solve/prior_acceleration.hpp.
//   hooks.cpp             warm starts (values, prior and mu of an earlier solution) and progress
//                         (reported at inner steps, at most once per interval)
#include <Eigen/Dense>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/iterations.hpp"
#include "netrl/solve.hpp"
#include "solve/linear_solve.hpp"
#include "solve/prior_acceleration.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

using kernels::EngineShape;
using kernels::ExactEngine;
using kernels::Mask;
using kernels::MuStats;
using kernels::PairTotals;
using kernels::SpanStats;

using soft::now_seconds;
/// Period of the closed class of the input chain (1 = aperiodic).
int input_period(const InputProcess& in);

/// Full network state of compact state c (bit k of c is free neuron free[k]).
inline std::uint64_t expand(std::uint64_t c, const std::vector<int>& free, std::uint64_t clamp_bits) {
  std::uint64_t b = clamp_bits;
  for (std::size_t k = 0; k < free.size(); ++k)
    if ((c >> k) & 1u) b |= std::uint64_t{1} << free[k];
  return b;
}

/// Per-problem state of the prior loop and its results (the iteration state is the shared one).
struct Track : soft::IterationTrack {
  const NetworkModel* model = nullptr;
  bool population = true;
  double lambda = 0.0;
  std::vector<char> clipped;  // the last prior update hit the clip (per free neuron)
};

template <class Real>class BatchSolver {
 public:
  BatchSolver(const std::vector<NetworkModel>& models, const SolverOptions& options, const SolveHooks& hooks,
              bool cuda)
      : models_(models), opt_(options), hooks_(hooks), cuda_(cuda),
        policy_(options.method == Method::policy_iteration) {}

  std::vector<SolveResult> run();

 private:
  double eps() const { return static_cast<double>(std::numeric_limits<Real>::epsilon()); }

  void check_memory();

  void upload_problems();

  /// Replaces v = 0, p0 and the uniform mu of the problems with a warm start (hooks.cpp).
  void apply_warm_starts();

  /// Calls hooks_.progress when its interval has passed since the last report (or `force`).
  /// `in_inner` counts the inner iterations of the round in progress (t.sweeps).
  void report(const char* phase, bool in_inner, bool force = false);

  void upload_priors() {
    std::vector<double> all;
    for (const Track& t : tracks_) all.insert(all.end(), t.prior.begin(), t.prior.end());
    engine_->set_priors(all);
  }

  /// The prior loop and its inner iterations (solve/iterations.hpp), on engine_ and tracks_.
  using Iterations = soft::Iterations<ExactEngine<Real>, Track>;

  /// The prior update of one problem after its evaluation at t.prior.
  void update(Track& t, const PairTotals& totals, std::int64_t outer);

  /// Results over the full state space, like reference::solve(NetworkModel).
  void finish(int q);

  const std::vector<NetworkModel>& models_;
  const SolverOptions& opt_;
  const SolveHooks& hooks_;
  double start_ = 0.0;
  double next_report_ = 0.0;
  std::int64_t outer_ = 0;
  bool cuda_;
  bool policy_;
  std::vector<int> free_;
  std::uint64_t clamp_bits_ = 0;
  EngineShape shape_;
  double noise_ = 0.0;
  std::unique_ptr<ExactEngine<Real>> engine_;
  std::vector<Track> tracks_;
  std::unique_ptr<Iterations> iterations_;
};

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
