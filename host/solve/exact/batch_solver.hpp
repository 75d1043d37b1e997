#pragma once
// The exact network solver's driver (solve/exact_solver.hpp describes the algorithm), private to
// the library. One BatchSolver runs B problems of one shape on one engine; its members are defined
// by job:
//   batch_solver.cpp      the outer loop (run), memory check, uploads, round tolerances, the inner
//                         stopping test, the results over the full state space
//   value_iteration.cpp   relative value iteration, the stationary power iteration, the evaluation
//                         refinement of the reported values
//   policy_iteration.cpp  policy iteration with Krylov (GMRES) solves of the evaluation and the
//                         stationary distribution
//   prior_loop.cpp        the prior update with its extrapolation and stopping test
#include <Eigen/Dense>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/linear_solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

using kernels::EngineShape;
using kernels::ExactEngine;
using kernels::Mask;
using kernels::MuStats;
using kernels::PairTotals;
using kernels::SpanStats;

/// Extrapolation of the prior loop (see update()): consecutive residuals must point the same way
/// (cosine), contract at a stable rate, and the jump beyond the plain step must stay small (the
/// linearisation of the prior map only holds near its fixed point).
inline constexpr double kDirectionCosine = 0.9995;
inline constexpr double kRateStability = 0.1;
inline constexpr double kMaxJump = 0.05;
/// Loose inner tolerances (early outer iterations): this factor times the prior residual,
/// capped at kLooseCap; the final outer iterations use the requested tolerances.
inline constexpr double kLooseFactor = 1e-3;
inline constexpr double kLooseCap = 1e-4;
/// Value iteration that has not reached a new minimum span for this many sweeps sits on its
/// rounding floor above tol (the span never increases in exact arithmetic): stop, not converged.
inline constexpr std::int64_t kStallSweeps = 20000;
/// The values are refined to this fraction of tol (or the rounding floor).
inline constexpr double kEvaluationFactor = 1e-3;
/// The stationary distribution to this fraction of min(tol, prior_tol) (or the rounding floor).
inline constexpr double kStationaryFactor = 1e-2;
/// Power iteration and evaluation may take this many times the most value-iteration sweeps of
/// one inner solve, plus kAuxSlack, before NumericalError.
inline constexpr std::int64_t kAuxFactor = 20;
inline constexpr std::int64_t kAuxSlack = 2000;
/// Policy iteration: the Krylov solves stop at relative residual kKrylovFactor * the round's
/// inner tolerance, at most kKrylovCap and at least the attainable floor kKrylovUlps * eps *
/// sqrt(states) (restarted GMRES stagnates near a few ulp times sqrt(N): measured 2.5e-13 and
/// 1.3e-12 at 2^18 states, for mu and v). The span test on T h - h, computed by the Bellman
/// sweep, certifies convergence whatever the accuracy of the solves; improvements that have not
/// lowered the span for kPolicyStall rounds sit on the rounding floor.
inline constexpr double kKrylovFactor = 1e-3;
inline constexpr double kKrylovUlps = 64.0;
inline constexpr double kKrylovCap = 1e-8;
/// The bias is then refined (iterative refinement: z = (I - P)^# r for the residual r of the
/// equation itself, v += z) while max |r| > kRefineFactor * the inner tolerance, at most
/// kRefinements times: r, computed by one matvec, is accurate to the rounding of v, so the
/// refined bias is accurate below GMRES's floor relative to ||g - L||. Corrections are solved to
/// relative residual kRefineTolerance (or the floor).
inline constexpr double kRefineFactor = 1e-2;
inline constexpr int kRefinements = 3;
inline constexpr double kRefineTolerance = 1e-6;
inline constexpr std::int64_t kPolicyStall = 4;

/// Seconds on a monotonic clock.
double now_seconds();
/// "1.5 GiB".
std::string format_bytes(double bytes);
/// Period of the closed class of the input chain (1 = aperiodic).
int input_period(const InputProcess& in);

/// Full network state of compact state c (bit k of c is free neuron free[k]).
inline std::uint64_t expand(std::uint64_t c, const std::vector<int>& free, std::uint64_t clamp_bits) {
  std::uint64_t b = clamp_bits;
  for (std::size_t k = 0; k < free.size(); ++k)
    if ((c >> k) & 1u) b |= std::uint64_t{1} << free[k];
  return b;
}

/// Per-problem state of the prior loop and its results.
struct Track {
  const NetworkModel* model = nullptr;
  bool population = true;
  double lambda = 0.0;
  std::vector<double> prior;  // the prior being evaluated (per free neuron)
  // The last plain residuals G(p) - p (population mode: one entry), for the extrapolation.
  std::vector<Eigen::VectorXd> hist_f;
  bool have_accepted = false;
  std::vector<double> accepted_next;  // G of the last accepted prior (the plain step)
  double accepted_gain = 0.0;
  double accepted_tol = 0.0;
  bool extrapolated = false;  // the prior being evaluated came from an extrapolation
  bool polish = false;        // re-evaluate at final tolerances before declaring convergence
  double residual = 1.0;      // last max |G(p) - p|
  std::vector<char> clipped;  // the last prior update hit the clip (per free neuron)
  double mass = 1.0;          // sum mu of the engine's current mu
  std::int64_t max_sweeps = 0;  // most sweeps of one inner solve so far
  // This round.
  double inner_tol = 0.0;
  double mu_tol = 0.0;
  bool final_tolerances = false;
  std::int64_t sweeps = 0;
  bool inner_converged = false;
  std::string inner_note;  // why the inner solve stopped without converging
  double best_span = 0.0;
  std::int64_t best_at = 0;
  SpanStats span;
  // Policy iteration: the last stationary distribution and bias of the Krylov solves (warm
  // starts, and the reported results) are kept in the engine's chain space (krylov_slots()).
  bool krylov_started = false;
  double mu_residual = 0.0;  // relative residuals of the last solves
  double v_residual = 0.0;
  // Results.
  bool running = true;
  SolveResult result;
};

template <class Real>class BatchSolver {
 public:
  BatchSolver(const std::vector<NetworkModel>& models, const SolverOptions& options, bool cuda)
      : models_(models), opt_(options), cuda_(cuda), policy_(options.method == Method::policy_iteration) {}

  std::vector<SolveResult> run();

 private:
  double eps() const { return static_cast<double>(std::numeric_limits<Real>::epsilon()); }

  void check_memory();

  void upload_problems();

  void upload_priors() {
    std::vector<double> all;
    for (const Track& t : tracks_) all.insert(all.end(), t.prior.begin(), t.prior.end());
    engine_->set_priors(all);
  }

  double final_mu_tol() const {
    return std::max(noise_, kStationaryFactor * std::min(opt_.tol, opt_.prior_tol));
  }

  void set_round_tolerances(std::int64_t outer);

  enum class InnerState { go_on, converged, stalled };

  /// The stopping test of an inner solve on the statistics of T h - h after its t.sweeps-th
  /// iteration: converged when the span is below the round's tolerance (or the rounding floor);
  /// stalled (with the note) when the span has not reached a new minimum for `stall` iterations
  /// (it never increases in exact arithmetic: it sits on the rounding floor above tol).
  InnerState inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const;

  /// Soft relative value iteration of the running problems, each to its inner tolerance.
  void value_iteration(const Mask& running);

  std::int64_t aux_bound(const Track& t) const { return kAuxFactor * t.max_sweeps + kAuxSlack; }

  template <class F>
  static void for_each(const Mask& mask, const F& f) {
    for (std::size_t q = 0; q < mask.size(); ++q)
      if (mask[q]) f(static_cast<int>(q));
  }

  Mask only(int q) const {
    Mask one(tracks_.size(), 0);
    one[static_cast<std::size_t>(q)] = 1;
    return one;
  }

  /// Soft policy iteration of the running problems (one after the other), each to its inner
  /// tolerance, like reference::solve: with the greedy policy of h, stop when span(T h - h) <
  /// tol, otherwise evaluate that policy exactly (Krylov) and set h to its bias. The count of
  /// inner iterations is that of greedy policies formed (improvements, plus the last test).
  void policy_iteration(const Mask& running);

  double krylov_floor() const {
    return kKrylovUlps * std::numeric_limits<double>::epsilon() * std::sqrt(static_cast<double>(shape_.states()));
  }

  linear::KrylovOptions krylov_options(const Track& t) const;

  /// The float64 vectors of policy iteration in the engine's memory (the device on CUDA; created
  /// on first use): per problem its mu and v, then shared ones and GMRES's work slots.
  kernels::ChainSpace& space();
  /// Slots of that space for `problems` problems: 2 per problem, 5 shared (g, g - L, the
  /// refinement's r, z and P v), and the Krylov solves' work slots.
  static int krylov_slots(std::size_t problems) {
    return 2 * static_cast<int>(problems) + 5 + linear::krylov_work_slots(linear::KrylovOptions{});
  }
  /// Problem q's mu and v in the space (uniform and zero before its first solve).
  void krylov_start(int q);
  /// Problem q's mu and v, downloaded from the space.
  void download_krylov(int q, std::vector<double>* v, std::vector<double>* mu);

  /// mu of problem q's fixed policy by GMRES on the deflated system (warm-started), into the
  /// engine (normalised) for pair_totals.
  void stationary_krylov(int q);

  /// The bias v (sum mu v = 0) of problem q's fixed policy by GMRES, given t.mu (warm-started).
  void evaluate_krylov(int q);

  /// Power iteration of mu (warm-started), stopped when the error estimated from the observed
  /// contraction, change * rate / (1 - rate), is below the round's tolerance.
  void stationary(const Mask& running);

  static void stop_at_outer_limit(Track& t) {
    t.running = false;
    t.result.note = "prior loop reached solver.max_outer_iterations";
  }

  /// The prior update of one problem after its evaluation at t.prior.
  void update(Track& t, const PairTotals& totals, std::int64_t outer);

  /// Refines the values of every problem's final greedy policy by relative iteration of the
  /// policy-evaluation sweep, to the rounding floor or kEvaluationFactor * tol.
  void evaluate(const Mask& which);

  /// Results over the full state space, like reference::solve(NetworkModel).
  void finish(int q);

  const std::vector<NetworkModel>& models_;
  const SolverOptions& opt_;
  bool cuda_;
  bool policy_;
  std::vector<int> free_;
  std::uint64_t clamp_bits_ = 0;
  EngineShape shape_;
  double noise_ = 0.0;
  std::unique_ptr<ExactEngine<Real>> engine_;
  std::vector<Track> tracks_;
  std::unique_ptr<kernels::ChainSpace> space_;  // policy iteration's vectors (space())
};

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
