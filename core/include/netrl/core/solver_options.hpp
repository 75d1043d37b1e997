#pragma once
// Solver options and results shared by every backend (config section "solver", result.json).
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>
#include "netrl/core/enum_names.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// value_iteration and policy_iteration solve the exact state space (m * 2^n states); parametric
/// optimises a pairwise (Ising) value by stochastic gradient descent over sampled chains
/// (docs/parametric.md; networks only).
enum class Method { value_iteration, policy_iteration, parametric };
enum class Precision { float32, float64 };
/// Where a solve or a sampling run computes. `automatic`: the model's default (host for networks,
/// reference for mazes; host for sampling). `reference`: the float64 oracle over explicit
/// matrices; `host`: the batched kernels with OpenMP; `cuda`: the same kernels on a GPU.
enum class Backend { automatic, reference, host, cuda };

template <>
struct EnumNames<Method> {
  static constexpr EnumName<Method> table[] = {{"value_iteration", "value_iteration", Method::value_iteration},
                                               {"policy_iteration", "policy_iteration", Method::policy_iteration},
                                               {"parametric", "parametric", Method::parametric}};
};
template <>
struct EnumNames<Precision> {
  static constexpr EnumName<Precision> table[] = {{"float32", "float32", Precision::float32},
                                                  {"float64", "float64", Precision::float64}};
};
template <>
struct EnumNames<Backend> {
  static constexpr EnumName<Backend> table[] = {
      {"automatic", "auto", Backend::automatic}, {"reference", "reference", Backend::reference},
      {"host", "host", Backend::host},           {"cuda", "cuda", Backend::cuda}};
};

/// What the parametric solver regresses onto its soft-Bellman target (docs/parametric.md):
/// `value`, the paper's v = vhat (one equation per sample); `fields`, the value's differences under
/// one flip, D_i = Dhat_i (nf equations per sample, what the policy depends on).
enum class ParametricRegression { value, fields };
template <>
struct EnumNames<ParametricRegression> {
  static constexpr EnumName<ParametricRegression> table[] = {{"value", "value", ParametricRegression::value},
                                                             {"fields", "fields", ParametricRegression::fields}};
};

const char* to_string(Method method);
const char* to_string(ParametricRegression regression);
const char* to_string(Precision precision);
/// "auto", "reference", "host", "cuda".
const char* to_string(Backend backend);

/// One target period of the parametric solver (the learning curve).
struct LearningCurvePoint {
  std::int64_t batch = 0;        // batches done at the end of the period
  double gain = 0.0;             // mean of r - lambda c over the period's samples
  double gain_se = 0.0;          // its standard error (from 10 blocks of batches)
  double mean_reward = 0.0;
  double mean_coding_cost = 0.0;
  double td_error = 0.0;         // root mean square of v_phi - vhat over the period
  /// Regression "fields": the root mean square over the period of the local-field equations'
  /// errors e_si = D_i - Dhat_i (what that regression fits); NaN for the value regression.
  double field_error = std::numeric_limits<double>::quiet_NaN();
  double phi_change = 0.0;       // |(J, h) - previous target| / |(J, h)|
  double learning_rate = 0.0;    // the normalised rate at the period's last batch
  double prior = 0.0;            // mean firing prior over free neurons after the period
};

/// Settings of the parametric solver (config "solver": {"method": "parametric", "parametric":
/// {...}}; docs/parametric.md, "Settings"). Defaults follow the paper where it gives a value.
struct ParametricOptions {
  /// Samples per SGD step (paper: 40).
  std::uint64_t batch = 40;
  /// Independent chains of the current policy; each gives batch / chains samples per batch.
  std::uint64_t chains = 40;
  /// Exploration samples added to every batch, drawn uniformly over the consistent states: they
  /// enter the SGD step (so the regression weighs every state a little and the value cannot drift
  /// where the chains never go) but not the gain, the prior or the spike counts. 0: the paper's
  /// purely on-policy batches.
  std::uint64_t explore = 4;
  /// Chain steps before each sample (0: nf, one step per free neuron on average).
  std::uint64_t sample_interval = 0;
  /// Chain steps before the first batch (0: 10 nf).
  std::uint64_t burn_in = 0;
  /// Batches between copies of the parameters into the target (paper: 100).
  std::uint64_t target_period = 100;
  /// The SGD step, normalised: each parameter moves by learning_rate / F times its gradient,
  /// F = 1 + nf + (kept pairs) the squared norm of the feature vector, so that one step moves the
  /// value at a lone sample by learning_rate times its TD error (stable below 2).
  double learning_rate = 0.5;
  /// Scale of a batch's step: true, the batch's curvature lambda_max(G) of the features' Gram
  /// matrix (each sample's value moves by up to learning_rate times its error; samples * F where a
  /// coupling mask makes G costly); false (the paper's step), samples * F, the bound of the
  /// curvature, reached when the samples coincide (each value moves by learning_rate / samples of
  /// its error: at large n, where samples are nearly orthogonal, `samples` times too little).
  bool curvature_step = true;
  /// Solve the linear part of the backup implicitly: the target's value enters its own backup as
  /// (1 - 2/nf) J and (1 - 1/nf) T h, so a regression onto a fixed target moves J by only 2/nf of
  /// the way to the Bellman fixed point per target copy (nf / 2 copies per e-fold). With
  /// horizon_step the regression fits v - Lin v to vhat - Lin vbar, and (J, h) step by the
  /// inverse of (I - Lin): nf / 2 times the step for J, (I - (1 - 1/nf) T)^{-1} for h.
  bool horizon_step = true;
  /// `value` (the paper's regression, eq. 43) or `fields`: every sample gives one equation per
  /// free neuron, the flip difference of the value 2 (h_i + sum_j J_ij s_j) against that of the
  /// target, at O(nf) per equation (docs/parametric.md, "Regression on local fields"). The value
  /// has ~nf^2 / 2 coefficients, so `value` needs ~nf times more samples: `fields` is what makes
  /// networks of a thousand neurons converge in minutes.
  ParametricRegression regression = ParametricRegression::value;
  /// Schedule: the rate is learning_rate / (1 + max(0, k - decay_start) / decay_batches) at batch k
  /// (decay_batches 0: constant). At a constant rate the SGD noise keeps |dphi| per period at a
  /// floor that may lie above `tol` (ring12 at lambda 0.1: about 0.025), so by default the rate
  /// decays as 1/k after 2000 batches and the stopping rule is eventually met.
  std::uint64_t decay_start = 2000;
  std::uint64_t decay_batches = 1000;
  std::uint64_t seed = 0;
  /// Batches during which the firing prior stays at the solver's p0 (the prior loop starts after
  /// them): at a small lambda the chains can fall silent before the value has learned where the
  /// reward is, and a prior that follows them to the clip makes silence free (ring12-local).
  std::uint64_t prior_warmup = 0;
  /// Stopping rule, checked at every target copy over a window of `window` target periods: the
  /// relative change of (J, h) over the window below `tol`, and the change of the gain estimate
  /// between this window and the previous one within gain_tol * |L| plus twice its standard error.
  double tol = 0.005;
  double gain_tol = 0.01;
  std::uint64_t window = 5;
  /// At least this many batches, at most max_batches (then "converged": false).
  std::uint64_t min_batches = 0;
  std::uint64_t max_batches = 1000000;
  /// Kept couplings: n * n, symmetric, 0 (removed) or 1 (kept); empty: every pair.
  std::vector<double> coupling_mask;
  /// For n <= kMaxExactCheckNeurons, evaluate the learned policy exactly (exact engine).
  bool exact_check = true;
  /// Called at the end of every target period (for progress reports), when set.
  std::function<void(const LearningCurvePoint&)> progress;

  static constexpr int kMaxExactCheckNeurons = 20;
  /// InvalidInput naming `field`.<key> for values out of bounds (n: the model's neurons).
  void validate(const std::string& field, int n) const;
};

/// Appended to the error of a solve whose values became non-finite.
inline constexpr const char* kNonFiniteHint =
    "; the values are scaled by 1 / lambda, so a small lambda, large rewards or float32 precision can overflow "
    "them (raise lambda, rescale the reward, or use float64)";

struct SolverOptions {
  Method method = Method::value_iteration;
  Backend backend = Backend::automatic;
  Precision precision = Precision::float64;
  /// Inner solve: stop when span(T h - h) < tol.
  double tol = 1e-10;
  /// Prior loop: stop when max |p' - p| < prior_tol.
  double prior_tol = 1e-10;
  /// Bound on inner iterations (sweeps or policy improvements) per inner solve.
  std::int64_t max_iterations = 1000000;
  /// Bound on prior-loop (outer) iterations.
  std::int64_t max_outer_iterations = 100000;
  /// Initial firing prior of every free neuron (network models).
  double p0 = 0.5;
  /// Priors are clipped to [prior_eps, 1 - prior_eps].
  double prior_eps = 1e-9;
  /// Host backend: OpenMP threads of this solve (0: the process default, see netrl/runtime.hpp).
  int threads = 0;
  /// Host backend, exact methods: keep each fixed policy as a table of firing probabilities (nf / 2
  /// more arrays of m 2^nf states per problem) where it fits in memory, so that the stationary
  /// power iteration (with an input; without, mu is in closed form), the evaluation and the Krylov
  /// matvecs read it instead of recomputing it (docs/whole-solve.md). false, or where it does not
  /// fit: no table, and (with an input) the stationary distribution advances with the
  /// value-iteration sweeps instead. Same fixed point either way.
  bool policy_table = true;
  /// Method parametric only.
  ParametricOptions parametric;

  void validate(const std::string& field = "solver") const;

  static constexpr int kMaxThreads = 4096;
};


/// What the parametric solver learned, beside SolveResult's summary.
struct ParametricSolution {
  int n = 0;
  int m = 1;
  /// n * n couplings (symmetric, zero diagonal, zero on clamped neurons and removed pairs).
  std::vector<double> J;
  /// m * n fields of the value v(s, x) (h[x * n + i]) and the policy's fields T h (what
  /// `netrl sample` takes as an Ising policy's h); m offsets c(x).
  std::vector<double> h;
  std::vector<double> h_policy;
  std::vector<double> offset;
  std::int64_t batches = 0;
  std::uint64_t samples = 0;
  std::uint64_t chain_steps = 0;
  double gain_se = 0.0;
  std::vector<LearningCurvePoint> curve;
  /// n <= ParametricOptions::kMaxExactCheckNeurons: the learned policy (its J, h and prior)
  /// evaluated exactly.
  bool has_exact = false;
  double exact_gain = 0.0;
  double exact_mean_reward = 0.0;
  double exact_mean_coding_cost = 0.0;
  /// Per neuron, the exact stationary firing rate sum mu rho_i (NaN at clamped neurons).
  std::vector<double> exact_rates;
};

struct SolveResult {
  double gain = 0.0;
  double gain_lo = 0.0;
  double gain_hi = 0.0;
  double mean_reward = 0.0;
  double mean_coding_cost = 0.0;
  /// Network: one entry per neuron (NaN for clamped neurons). Maze: one per action.
  std::vector<double> prior;
  /// Neurons (network) or actions (maze) whose prior hit the clip.
  std::vector<int> degenerate;
  std::int64_t outer_iterations = 0;
  std::int64_t inner_iterations = 0;
  bool converged = false;
  std::uint64_t states = 0;
  std::string backend;
  std::string precision;
  std::string method;
  double elapsed_seconds = 0.0;
  /// Why the solve stopped without converging (empty when converged).
  std::string note;
  /// Policy iteration on the host/cuda backends: matrix-vector products of the chain in its
  /// Krylov solves, and the relative residual ||b - A x|| / ||b|| of the reported solution (the
  /// larger of the stationary solve's and the bias equation's, recomputed). Every solve must
  /// reach its tolerance or the solver throws. Zero otherwise.
  std::int64_t matvecs = 0;
  double krylov_residual = 0.0;
  /// Gain after each outer iteration, relative to that iteration's prior.
  std::vector<double> gain_history;
  /// Over the full state space: v (NaN at inconsistent states) and mu (0 there).
  std::vector<double> values;
  std::vector<double> stationary;
  /// Network only: P(K | x), row-major (n + 1) x m.
  std::vector<double> spike_count;
  int spike_count_rows = 0;
  int spike_count_cols = 0;
  /// Method parametric: the learned value (absent otherwise). Its gain is a sampled estimate,
  /// gain_lo / gain_hi = gain -+ 2 standard errors; values and stationary are empty; spike_count
  /// comes from the samples of the last window.
  std::optional<ParametricSolution> parametric;
};

NETRL_NAMESPACE_END  // namespace netrl
