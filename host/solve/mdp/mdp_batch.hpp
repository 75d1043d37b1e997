#pragma once
// The general-MDP solver's driver (solve/mdp_solver.hpp describes the algorithm), private to the
// library. One MdpBatch runs B problems (one MDP, B lambdas) on one MdpEngine; its members are
// defined by job:
//   mdp_solver.cpp   the outer loop (run), memory check, uploads, the prior update
//   mdp_results.cpp  the unichain check of a greedy policy, the results, the entry point
// The inner iterations are those of solve/iterations.hpp.
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "solve/iterations.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace mdp::detail {

using kernels::ActionTotals;
using kernels::Mask;
using kernels::MdpEngine;
using kernels::MdpShape;

/// MDPs of at most this many states solve for the stationary distribution and the values of a
/// policy by dense LU (exact, whatever the mixing time of the chain; a few milliseconds at this
/// size), larger ones by power iteration and evaluation sweeps, or GMRES in policy iteration.
inline constexpr int kDenseStates = 256;

/// Policy iteration's stall window (soft::Iterations::policy_stall): the greedy policies of an
/// MDP at small lambda can pass through near-traps, during which the span rises for a few
/// improvements.
inline constexpr std::int64_t kPolicyStall = 50;

/// The prior loop's acceleration in the log-prior chart (prior_loop::Chart): Anderson's over
/// kAndersonDepth differences; where it does not apply (a residual that did not shrink), the
/// over-relaxation of steady steps up to kMaxRelaxation; either at most kMaxJump (in log p)
/// beyond the plain step. At large lambda the prior of an action no policy wants falls toward the
/// clip by a constant c / lambda in log p per plain step (tens of thousands of rounds at
/// lambda = 100); relaxed steps double until they cross the 20-30 nats to the clip in tens of
/// rounds. The bound 1024 rather than the networks' 16: measured on random MDPs and the maze
/// (docs/mdp.md), where 16 still left the rounds growing linearly with lambda.
inline constexpr int kAndersonDepth = 4;
inline constexpr double kMaxRelaxation = 1024.0;
inline constexpr double kMaxJump = 1.0;

/// Per-problem state: the shared iteration state, lambda and the clip flags of the last update.
struct MdpTrack : soft::IterationTrack {
  double lambda = 0.0;
  std::vector<char> clipped;  // per action: the last plain prior update hit the clip
};

template <class Real>
class MdpBatch {
 public:
  MdpBatch(const Mdp& mdp, const std::vector<double>& lambdas, const SolverOptions& options, bool cuda)
      : mdp_(mdp), lambdas_(lambdas), opt_(options), cuda_(cuda), policy_(options.method == Method::policy_iteration) {}

  std::vector<SolveResult> run();

 private:
  using Iterations = soft::Iterations<MdpEngine<Real>, MdpTrack>;

  double eps() const { return static_cast<double>(std::numeric_limits<Real>::epsilon()); }

  /// InvalidInput("mdp") when the engine, the results and (policy iteration) the Krylov vectors
  /// do not fit in the memory available (device memory for cuda).
  void check_memory() const;

  /// Transitions, rewards, lambdas and the aperiodicity transform into the engine.
  void upload();

  void upload_priors();

  /// The prior update of one problem after its evaluation at t.prior.
  void update(int q, const ActionTotals& totals, std::int64_t outer);

  /// NumericalError unless the chain of problem q's stored greedy policy is unichain. Only its
  /// zero entries can make it differ from the chain that takes every action (unichain by
  /// Mdp::validate), so the graph is checked only when some pi(a|s) underflowed to 0.
  void check_unichain(int q, std::uint64_t zero_actions) const;

  /// The dense chain P(s'|s) = sum_a pi(a|s) p(s'|s,a) of problem q's stored policy.
  void dense_chain(int q, std::vector<double>* P) const;

  /// The results of problem q (values normalised to sum mu v = 0).
  void finish(int q);

  const Mdp& mdp_;
  std::vector<double> probability_;  // mdp_.stochastic_probability() (rows summing to 1), from upload()
  const std::vector<double>& lambdas_;
  const SolverOptions& opt_;
  bool cuda_;
  bool policy_;
  MdpShape shape_;
  double noise_ = 0.0;
  std::unique_ptr<MdpEngine<Real>> engine_;
  std::vector<MdpTrack> tracks_;
  std::unique_ptr<Iterations> iterations_;
};

}  NETRL_NAMESPACE_END  // namespace netrl::mdp::detail
