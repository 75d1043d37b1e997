#pragma once
// The inner iterations of the exact solvers on the kernels, shared by the network solver
// (solve/exact/, on an ExactEngine) and the general-MDP solver (solve/mdp/, on an MdpEngine),
// private to the library. Both engines have the same iteration interface (value_step,
// stationary_step, evaluation_step, apply_chain, ...), so one template drives either:
//  - relative value iteration of the running problems, each to its round's tolerance, stopped
//    on span(T h - h) or when the span sits on its rounding floor; where the engine fuses them
//    (BatchEngine::value_stationary_step: the host's exact engine without its policy table),
//    every sweep also advances mu by one adjoint step under the greedy policy of the same h;
//  - the stationary distribution: in closed form where the engine knows it (BatchEngine::
//    gibbs_stationary: a network without input), else the power iteration (adjoint sweeps),
//    stopped on an estimate of the remaining error from the observed contraction (after a fused
//    value iteration it starts next to its fixed point and takes a few steps);
//  - the evaluation refinement of the reported values (relative iteration of T_pi);
//  - policy iteration: the same span test, then GMRES solves (linear_solve.hpp) of the
//    stationary distribution (in closed form instead where the engine has it) and of the bias
//    with the engine's matvecs, and an iterative
//    refinement of the bias below GMRES's floor. On an engine with a chain space (ExactEngine::
//    chain_space: the network solver) the solves run on the VectorSpace of that engine, their
//    vectors in the engine's memory (on the device for the CUDA backend: no copy per matvec);
//    other engines (MdpEngine) run them on host vectors through apply_chain;
//  - the round tolerances of the accelerated prior loop (prior_acceleration.hpp).
// Each solver's per-problem track derives from IterationTrack; the solver keeps the model
// specifics (uploads, the prior update, the results).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "solve/linear_solve.hpp"
#include "solve/prior_acceleration.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace soft {

using kernels::Mask;
using kernels::MuStats;
using kernels::SpanStats;

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
/// The most rounding error of the policy's exponents (z_noise) that the prior loop's stopping test
/// allows for (its floor 4 z_noise min(p, 1 - p)); beyond, that floor would approach the prior
/// itself, so it is held there and a converged result says that ties were decided by rounding.
inline constexpr double kMaxPriorNoise = 1e-3;
/// The dense solve scales a row of the chain to sum 1 when it is off by at most this (a float32
/// policy's rows over up to 256 states, input rows within their 1e-9); rows further off are left
/// for the solve's checks to report.
inline constexpr double kDenseRowSlack = 1e-4;
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

/// The per-problem state of the prior loop and its inner iterations.
struct IterationTrack {
  std::vector<double> prior;       // the prior being evaluated
  prior_loop::Acceleration accel;  // its extrapolation and polish
  double residual = 1.0;           // last max |G(p) - p|
  double mass = 1.0;               // sum mu of the engine's current mu
  std::int64_t max_sweeps = 0;     // most sweeps of one inner solve so far
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
  // Policy iteration (float64 on the host): the last stationary distribution and bias of the
  // Krylov solves (warm starts, and the reported results). With a chain space the solves keep
  // them in the space and copy them here once per solve.
  std::vector<double> mu;
  std::vector<double> v;
  double mu_residual = 0.0;  // relative residuals of the last solves
  double v_residual = 0.0;
  // Results.
  bool running = true;
  SolveResult result;
};

/// Whether no problem of the mask is set.
inline bool none(const Mask& mask) {
  return std::none_of(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; });
}

/// Seconds on a monotonic clock.
double now_seconds();

/// Records the evaluation of t.prior at outer iteration `outer` in t.result: the gain (relative to
/// that prior) and its bounds from the last span, the means, the history; not converged (yet).
void record_evaluation(IterationTrack& t, double gain, double mean_reward, double mean_coding_cost,
                       std::int64_t outer);

/// The plain residual of a prior update: max |next - prior|, and whether every entry is below
/// prior_tol or its rounding floor 4 z_noise min(p, 1 - p), with z_noise the relative rounding
/// error of the policy's exponents, at most kMaxPriorNoise.
struct PriorResidual {
  double change = 0.0;
  bool below = false;
  double z_noise = 0.0;  // as given: beyond kMaxPriorNoise a converged result carries a note
};
PriorResidual prior_residual(const std::vector<double>& prior, const std::vector<double>& next, double prior_tol,
                             double z_noise);

/// The step of the prior loop after the evaluation of t.prior, whose plain step is `next`
/// (projected) with residual `r`: stops t when its inner solve stopped short (reporting this
/// evaluation, like the reference), else takes the accelerated step (prior_loop::step) and stops
/// t when it converged or reached solver.max_outer_iterations.
void advance_prior(IterationTrack& t, const std::vector<double>& next, const PriorResidual& r, std::int64_t outer,
                   const SolverOptions& options, double eps, const prior_loop::Chart& chart);

/// The result's backend ("cuda" or "host"), precision and method.
void stamp_result(SolveResult& res, bool cuda, const SolverOptions& options);

/// Whether a prior entry p is degenerate: at the clip (prior_eps or 1 - prior_eps), or its last
/// plain update hit the clip.
bool degenerate_prior(double p, bool clipped, double prior_eps);

/// A problem's final bias and stationary distribution, as the engine holds them or (from_track:
/// policy iteration, dense solves) as the track's last exact solves left them; `mass` is the sum
/// of mu and `shift` the mu-weighted mean of v (the results report v - shift and mu / mass).
struct FinalSolution {
  std::vector<double> v, mu;
  double mass = 0.0;
  double shift = 0.0;
};
template <class Engine>
FinalSolution final_solution(Engine& engine, int q, const IterationTrack& t, bool from_track) {
  FinalSolution f;
  if (from_track) {
    f.v = t.v;
    f.mu = t.mu;
  } else {
    engine.download_evaluation(q, &f.v);
    engine.download_stationary(q, &f.mu);
  }
  double weighted = 0.0;
  for (std::size_t s = 0; s < f.v.size(); ++s) {
    f.mass += f.mu[s];
    weighted += f.mu[s] * f.v[s];
  }
  f.shift = weighted / f.mass;
  return f;
}

/// InvalidInput("solver.backend") unless options.backend is host or cuda, the backends of the
/// solvers on the kernels (`solver` names the solver in the message).
void require_kernels_backend(const SolverOptions& options, const char* solver);

/// Runs Batch<float> or Batch<double> (options.precision), constructed from `args` and whether it
/// runs on CUDA; BackendError for backend cuda where no device answers.
template <template <class> class Batch, class... Args>
std::vector<SolveResult> run_batch(const SolverOptions& options, const Args&... args) {
  const bool cuda = options.backend == Backend::cuda;
  if (cuda) {
    std::string reason;
    if (!kernels::cuda::device_available(&reason)) throw BackendError("solver.backend \"cuda\": " + reason);
  }
  if (options.precision == Precision::float32) return Batch<float>(args..., cuda).run();
  return Batch<double>(args..., cuda).run();
}

/// Called after every step of an iteration with its phase ("value iteration", "policy
/// iteration", "stationary", "evaluation") and whether it is an inner iteration (progress).
using StepHook = std::function<void(const char* phase, bool inner)>;

/// Whether Engine has a chain space (ExactEngine::chain_space) for its Krylov solves.
template <class E, class = void>
struct HasChainSpace : std::false_type {};
template <class E>
struct HasChainSpace<E, std::void_t<decltype(std::declval<E&>().chain_space(0))>> : std::true_type {};

/// Runs f(q) for every problem flagged in `mask`.
template <class F>
void for_each(const Mask& mask, const F& f) {
  for (std::size_t q = 0; q < mask.size(); ++q)
    if (mask[q]) f(static_cast<int>(q));
}

/// The iterations of B problems of `states` states each on `engine` (ExactEngine<Real> or
/// MdpEngine<Real>); Track derives from IterationTrack. `noise` is the relative rounding noise of
/// one sweep (the floor of the span and power-iteration tests).
template <class Engine, class Track>
class Iterations {
 public:
  Iterations(Engine& engine, std::vector<Track>& tracks, const SolverOptions& options, std::uint64_t states,
             double noise)
      : engine_(engine), tracks_(tracks), opt_(options), states_(states), noise_(noise) {}

  /// Called after every step (empty: nothing).
  StepHook on_step;

  /// Optional, for small state spaces: writes the dense chain matrix P (row-major, states x
  /// states) of problem q's stored policy (prepare_policy). When set, the stationary distribution,
  /// policy iteration's evaluations and the final values are dense LU solves of that chain
  /// (linear::solve_dense: exact, whatever the chain's mixing time) instead of the power
  /// iteration, the evaluation sweeps and GMRES; the results are then in t.mu and t.v.
  std::function<void(int q, std::vector<double>* P)> dense_chain;
  bool dense() const { return static_cast<bool>(dense_chain); }

  /// Policy iteration stops as stalled (on its rounding floor) after this many improvements
  /// without a new minimum of span(T h - h). The span of soft policy iteration is not monotone:
  /// after a policy with near-traps (likely at small lambda in a maze) it can rise for a while.
  std::int64_t policy_stall = kPolicyStall;

  /// Whether the Krylov solves run on the engine's chain space.
  static constexpr bool kSpace = HasChainSpace<Engine>::value;
  /// Slots of that space for `problems` problems: 2 per problem (mu, v), 5 shared (g, g - L, the
  /// refinement's r, z and P v), and the Krylov solves' work slots.
  static int krylov_slots(std::size_t problems) {
    return 2 * static_cast<int>(problems) + 5 + linear::krylov_work_slots(linear::KrylovOptions{});
  }

  double final_mu_tol() const { return std::max(noise_, kStationaryFactor * std::min(opt_.tol, opt_.prior_tol)); }

  /// The tolerances of outer iteration `outer` for the running problems: loose while the prior
  /// residual is large, final at the last outer iteration or when polishing.
  void set_round_tolerances(std::int64_t outer) {
    for (Track& t : tracks_) {
      if (!t.running) continue;
      const bool last = outer >= opt_.max_outer_iterations || t.accel.polish;
      const double loose = std::min(kLooseCap, kLooseFactor * t.residual);
      t.inner_tol = last ? opt_.tol : std::max(opt_.tol, loose);
      t.mu_tol = last ? final_mu_tol() : std::max(final_mu_tol(), loose);
      t.final_tolerances = t.inner_tol <= opt_.tol && t.mu_tol <= final_mu_tol();
    }
  }

  /// The prior loop, round after round while a problem runs: the round tolerances,
  /// `upload_priors()`, the inner solve (policy or value iteration), the stationary distribution
  /// of the greedy policy (Krylov or power iteration), then `update(running, outer)`: the
  /// solver's prior update of the running problems, which stops them.
  template <class UploadPriors, class Update>
  void prior_loop(bool policy, const UploadPriors& upload_priors, const Update& update);
  /// The values of every problem's last prior: its greedy policy evaluated exactly (Krylov) or
  /// refined by the evaluation sweep.
  template <class UploadPriors>
  void final_evaluation(bool policy, const UploadPriors& upload_priors);
  /// The outer iteration in progress (0 before the first).
  std::int64_t outer() const { return outer_; }

  /// Soft relative value iteration of the running problems, each to its inner tolerance.
  void value_iteration(const Mask& running);
  /// Soft policy iteration of the running problems (one after the other), each to its inner
  /// tolerance, like reference::solve: with the greedy policy of h, stop when span(T h - h) <
  /// tol, otherwise evaluate that policy exactly (Krylov) and set h to its bias. The count of
  /// inner iterations is that of greedy policies formed (improvements, plus the last test).
  void policy_iteration(const Mask& running);
  /// mu in closed form where the engine has it (has_gibbs_stationary), else by power iteration
  /// (warm-started), stopped when the error estimated from the observed contraction,
  /// change * rate / (1 - rate), is below the round's tolerance.
  void stationary(const Mask& running);
  /// GMRES on problem q's fixed policy (warm-started): its mu, by the deflated system, into the
  /// engine (normalised); or (`values`) its bias v (sum mu v = 0), given t.mu. On the engine's
  /// chain space where it has one (kSpace), else on host copies of the vectors. Where the engine
  /// has mu in closed form (has_gibbs_stationary), mu comes from there instead (gibbs_mu).
  void krylov(int q, bool values) {
    if (!values && engine_.has_gibbs_stationary()) return gibbs_mu(q);
    if constexpr (kSpace) {
      values ? evaluate_space(q) : stationary_space(q);
    } else {
      values ? evaluate_host(q) : stationary_host(q);
    }
  }
  /// mu and the bias v of problem q's fixed policy by one dense LU (dense_chain), mu into the
  /// engine (normalised).
  void dense_solve(int q);
  /// Refines the values of every problem's final greedy policy by relative iteration of the
  /// policy-evaluation sweep, to the rounding floor or kEvaluationFactor * tol.
  void evaluate(const Mask& which);

 private:
  enum class InnerState { go_on, converged, stalled };

  /// The stopping test of an inner solve on the statistics of T h - h after its t.sweeps-th
  /// iteration: converged when the span is below the round's tolerance (or the rounding floor);
  /// stalled (with the note) when the span has not reached a new minimum for `stall` iterations.
  InnerState inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const;

  /// Starts a round's inner solve of track t.
  static void start_inner(Track& t) {
    t.sweeps = 0;
    t.inner_converged = false;
    t.inner_note.clear();
    t.best_span = std::numeric_limits<double>::infinity();
    t.best_at = 0;
  }
  /// Ends it: the iteration counts.
  static void end_inner(Track& t) {
    t.result.inner_iterations += t.sweeps;
    t.max_sweeps = std::max(t.max_sweeps, t.sweeps);
  }

  void step_done(const char* phase, bool inner) const {
    if (on_step) on_step(phase, inner);
  }

  /// What one sweep did to a problem: its result kept (advance), kept and the problem done, or
  /// the problem done without it.
  enum class Sweep { advance, advance_and_stop, stop };
  /// The sweeps of an iterative solve over the batch: while a problem of `active` is left,
  /// step(active) sweeps them all, judge(q) says what the sweep did to each active q,
  /// accept(advance) keeps the results of those that advance, and step_done(phase, inner).
  template <class Step, class Judge, class Accept>
  void sweep_until_done(Mask active, const char* phase, bool inner, const Step& step, const Judge& judge,
                        const Accept& accept);

  /// With the policies of `which` prepared: their stationary distributions, or (`values`) their
  /// values, by dense LU (both at once), GMRES (policy iteration) or the power iteration and the
  /// evaluation sweeps.
  void solve_chains(const Mask& which, bool policy, bool values);

  std::int64_t aux_bound(const Track& t) const { return kAuxFactor * t.max_sweeps + kAuxSlack; }

  /// The mass of problem q's mu after a stationary step; NumericalError when it is not finite.
  static double checked_mass(int q, const std::vector<MuStats>& stats) {
    const MuStats& s = stats[static_cast<std::size_t>(q)];
    if (s.nonfinite > 0 || !(s.mass > 0.0)) {
      throw NumericalError("stationary distribution: non-finite entries (problem " +
                           std::to_string(q) + ")");
    }
    return s.mass;
  }

  Mask only(int q) const {
    Mask one(tracks_.size(), 0);
    one[static_cast<std::size_t>(q)] = 1;
    return one;
  }

  double krylov_floor() const {
    return kKrylovUlps * std::numeric_limits<double>::epsilon() * std::sqrt(static_cast<double>(states_));
  }
  linear::KrylovOptions krylov_options(const Track& t) const {
    linear::KrylovOptions o;
    o.relative_tolerance = std::max(krylov_floor(), std::min(kKrylovCap, kKrylovFactor * t.inner_tol));
    return o;
  }

  /// The chain space's slots: problem q's mu and v, then the shared ones (krylov_slots).
  static int mu_slot(int q) { return 2 * q; }
  static int v_slot(int q) { return 2 * q + 1; }
  int shared_slot(int k) const { return 2 * static_cast<int>(tracks_.size()) + k; }  // g, g - L, r, z, P v
  int work_slot() const { return shared_slot(5); }
  /// The engine's chain space (kSpace; created on first use).
  kernels::ChainSpace& space();
  /// Problem q's mu and v in the space: uploaded from t.mu and t.v (uniform and zero when empty)
  /// unless the space holds the latest ones.
  void space_start(int q);
  /// The Krylov solves (krylov) on the chain space (kSpace) and on host copies.
  void stationary_space(int q);
  void evaluate_space(int q);
  void stationary_host(int q);
  void evaluate_host(int q);
  /// Problem q's mu in closed form (gibbs_stationary), normalised, into the engine, t.mu and (kSpace)
  /// the space; t.mu_residual is its relative residual as the Krylov solve defines it, from one
  /// matvec.
  void gibbs_mu(int q);

  /// Problem q's block of a batch-sized vector: `x` itself for a batch of one, else staged.
  const double* batch_block(int q, const std::vector<double>& x);
  /// Problem q's block of the engine's batch-sized output `write` into y.
  template <class Write>
  void read_block(int q, std::vector<double>& y, const Write& write);
  /// The chain operator of problem q's fixed policy (prepare_policy) for GMRES: y = P x or x P.
  linear::LinearOperator chain_operator(int q, bool adjoint);

  Engine& engine_;
  std::vector<Track>& tracks_;
  const SolverOptions& opt_;
  std::uint64_t states_;
  double noise_;
  std::int64_t outer_ = 0;
  std::vector<double> stage_in_, stage_out_;  // batch-sized staging of the Krylov vectors (B > 1)
  std::unique_ptr<kernels::ChainSpace> space_;  // the Krylov vectors (kSpace)
  std::vector<char> resident_;                  // per problem: the space holds its latest mu and v
};

}  NETRL_NAMESPACE_END  // namespace netrl::soft

#include "solve/iterations_impl.hpp"
