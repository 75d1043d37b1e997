#pragma once
// The paper's built-in scenarios (docs/model.md and README "Built-in scenarios").
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "netrl/core/raster.hpp"

#include "netrl/core/solver_options.hpp"
#include "netrl/infer.hpp"
#include "netrl/problem.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Forward problems: "count8", "maze" (lambda 0.013), "maze-high" (lambda 0.13), "effcode"
/// (effcode_model()), and the ring attractor (ring12_scenario). InvalidInput ("scenario") for an
/// unknown name.
Problem scenario(const std::string& name);
std::vector<std::string> scenario_names();

/// The efficient-coding network of the paper's fig. 4 (docs/model.md, "Efficient coding"): an
/// input of 7 pixels with Glauber dynamics (coupling 1.5, the given bias J0; m = 128), feature
/// y(x) = +1 iff 4 or more pixels are on, n = 7 neurons, reward log p(y | b) iterated to its fixed
/// point, per-neuron priors, the given lambda (the scenario: 0.167).
NetworkModel effcode_model(double bias = 0.0, double lambda = 0.167);

/// Inference scenarios: "count8" (from the exact solution, with the paper's predictions: flip
/// probabilities 0.01 and 0.03, one cell removed, lambda re-tuned to keep the coding cost) and
/// "maze" (fig. 1F, with the predictions "moved walls" and "lambda 0.13"). The settings of the run;
/// `backend` selects the forward solver of count8 (automatic: the default).
InferSettings infer_scenario(const std::string& name, Backend backend = Backend::automatic);
/// The count8 predictions of the paper: flip probabilities 0.01 and 0.03 and cell 0 removed, each
/// with lambda re-tuned to keep the mean coding cost of `base`.
std::vector<inverse::PredictionSpec> count8_predictions(const Problem& base);
/// "count8", "count8-samples", "maze".
std::vector<std::string> infer_scenario_names();

// ---------------------------------------------------------------------------------------------
// The ring attractor (fig. 5) and its reward models (fig. 6); docs/parametric.md, "ring12"
// ---------------------------------------------------------------------------------------------

/// "ring12", "ring12-lambda0.1", "ring12-local", "ring12-clamped".
std::vector<std::string> ring12_scenario_names();
/// n = 12 on a ring, r = 1 iff exactly 4 contiguous neurons are active, population prior,
/// the parametric solver (batch 40, target every 100 batches): "ring12" at lambda 0.05; its fig.
/// 5B-D changes "ring12-lambda0.1" (lambda 0.1), "ring12-local" (couplings at ring distance >= 3
/// removed, lambda 0.01) and "ring12-clamped" (neurons 0 and 1 clamped active, lambda 0.1).
Problem ring12_scenario(const std::string& name);

/// Mean and sample standard deviation of the couplings J_ij over the pairs of free neurons at
/// each ring distance d (index d = 0 .. n/2; entry 0 and distances without kept pairs are NaN).
/// Pairs removed by `mask` (n * n, 0 = removed; empty: none) are left out.
struct RingProfile {
  std::vector<double> mean, sd;
  std::vector<int> pairs;
};
RingProfile coupling_profile(const std::vector<double>& J, const NetworkModel& model, const std::vector<double>& mask);

/// The bump's position: the angle of sum over active neurons of e^{2 pi i k / n}, in (-pi, pi];
/// NaN when no neuron is active or the activity has no direction.
double bump_position(const std::uint8_t* on, int n);
/// The bump's drift over recorded samples (rows of the rasters, one per sample): at each lag (in
/// samples: 0 .. 16, then steps of a quarter of the lag, up to max_lag), the circular
/// autocorrelation <cos(theta_{t+lag} - theta_t)> and the mean squared displacement of the
/// unwrapped position, over the pairs where both positions are defined.
struct BumpDrift {
  std::vector<std::uint64_t> lag;
  std::vector<double> autocorrelation;
  std::vector<double> mean_squared_displacement;
  std::vector<std::uint64_t> pairs;
};
BumpDrift bump_drift(const std::vector<Raster>& rasters, std::uint64_t max_lag);

/// Samples of a learned ring12 policy: `chains` chains, `sweeps` recorded sweeps (samples, one per
/// n steps) each.
struct LearnedSampling {
  std::uint64_t chains = 0;
  std::uint64_t sweeps = 0;
};

struct Ring12Options {
  std::uint64_t seed = 1;
  /// Backend of the parametric solves (reference: host, which the parametric solver uses instead).
  Backend backend = Backend::automatic;
  /// Bound on the parametric solves' batches.
  std::uint64_t max_batches = 1000000;
  /// The drift: samples of each learned policy, and the lags up to.
  LearnedSampling drift{8, 20000};
  std::uint64_t max_lag = 2000;
  /// The inverse: samples of the learned ring12 policy.
  LearnedSampling inverse{100, 10000};
  bool predict = true;
  /// The settings solved, from ring12_scenario_names(); empty: all four. The inverse needs "ring12".
  std::vector<std::string> settings;
  /// Run the inverse with the three reward models and their predictions (fig. 6).
  bool with_inverse = true;
  /// Samples (sweeps) of the first drift chain kept per setting as a raster excerpt (fig. 5).
  std::uint64_t raster_sweeps = 300;
  /// Called with a line at every stage, when set.
  std::function<void(const std::string&)> progress;
};

/// The smaller settings of `netrl infer --scenario ring12 --quick` and `netrl figure 5|6 --quick`
/// (docs/parametric.md): 25000 batches per solve (the ring12 bump is learned by about 20000), 4
/// drift chains of 4000 sweeps with lags up to 400, and 20 inverse chains of 5000 sweeps.
Ring12Options ring12_quick_options();

/// One setting of fig. 5: the parametric solve, its coupling profile and drift, and beside it the
/// best policy of the pairwise family (inverse::solve_ising: exact gain maximised over (J, h)) and
/// the exact unconstrained optimum.
struct Ring12Setting {
  std::string name;
  Problem problem;
  SolveResult result;
  RingProfile profile;
  BumpDrift drift;
  /// The first drift chain's first Ring12Options::raster_sweeps samples (one per sweep of n steps).
  Raster raster;
  double best_quadratic_gain = 0.0;
  double optimum_gain = 0.0;
};

struct Ring12Result {
  Ring12Options options;
  std::vector<Ring12Setting> settings;  // ring12 first, then its three changes
  /// The predictions of each reward model: the changed settings (exact solves; the local one
  /// within the masked pairwise family).
  std::vector<std::string> prediction_names;
  std::vector<inverse::PredictionSpec> predictions;
  /// Inverse RL from samples of the learned ring12 policy: sparse, pairwise, global.
  std::vector<InferResult> models;
  double elapsed_seconds = 0.0;
};

/// Figs. 5 and 6: the four parametric solves, their profiles and drifts, the gaps to the best
/// pairwise policy and to the optimum, and the three reward models with r^2 and prediction KLs.
Ring12Result ring12_experiment(const Ring12Options& options);

/// Chain steps before each recording of the count8 inference from T samples: the input's
/// correlation decays as 0.96^t and the network relaxes within a few hundred steps, so after 10^4
/// steps the start state is forgotten to far below any sampling error.
inline constexpr std::uint64_t kCount8SamplesBurnIn = 10000;

/// The count8 inference from T samples (fig. 3A, 3C-D).
struct SampleSizeOptions {
  std::vector<std::uint64_t> sizes{1000, 10000, 100000, 1000000};
  int repeats = 20;
  std::uint64_t seed = 1;
  bool predictions = true;
  /// Forward solver backend of the exact solution and the predictions.
  Backend backend = Backend::automatic;
  /// One line per finished repeat on stderr.
  bool progress = false;
};

struct SampleSizeRow {
  std::uint64_t T = 0;
  int repeat = 0;
  std::uint64_t seed = 0;
  double r2 = 0.0;
  std::uint64_t missing = 0;
  int iterations = 0;
  bool converged = true;
  /// Per prediction: KL of the spike-count response and of the stationary distribution (NaN when
  /// the prediction failed).
  std::vector<double> kl_spike_count, kl_stationary;
};

struct SampleSizeResult {
  SampleSizeOptions options;
  std::uint64_t burn_in = 0;
  std::vector<std::string> prediction_names;
  std::vector<SampleSizeRow> rows;
  double elapsed_seconds = 0.0;
};

/// Mean and standard error of the mean over the repeats of one sample size (failed predictions,
/// NaN, left out and counted).
struct SampleSizeSummary {
  std::uint64_t T = 0;
  std::size_t repeats = 0;
  double r2_mean = 0.0, r2_sem = 0.0;
  struct Prediction {
    double kl_spike_count_mean = 0.0, kl_spike_count_sem = 0.0;
    double kl_stationary_mean = 0.0, kl_stationary_sem = 0.0;
    std::size_t failed = 0;
  };
  std::vector<Prediction> predictions;
};
std::vector<SampleSizeSummary> summarize(const SampleSizeResult& result);

/// The parts of the count8 sample-size experiment that do not depend on the samples: the exact
/// solution (forward solver `backend`), the true reward, and the predictions (none unless
/// `predictions`) with their references (the true reward, lambda re-tuned).
struct SampleSizeContext {
  Problem base;
  SolveResult exact;
  std::vector<double> truth;
  std::uint64_t burn_in = 0;
  std::vector<inverse::PredictionSpec> specs;
  std::vector<SolveResult> references;
  std::vector<std::string> prediction_names;
};
SampleSizeContext count8_samples_context(Backend backend, bool predictions);

/// One repeat of the experiment: a recording of T steps keyed by `seed` (see count8_from_samples),
/// the reward by maximum likelihood, r^2 and the predictions' KLs (NaN where a prediction failed).
/// `repeat` is left 0. InvalidInput ("T") for T < 2.
SampleSizeRow count8_samples_row(const SampleSizeContext& context, std::uint64_t T, std::uint64_t seed);

/// The seed of repeat `repeat` of the t-th sample size in count8_from_samples:
/// seed * 1000003 + t * 1009 + repeat.
std::uint64_t count8_samples_seed(std::uint64_t seed, std::size_t t, int repeat);

/// Each repeat draws one recording of T steps (chain 0 of the shared sampler, host backend,
/// keyed by the row's seed; uniform start, 10^4 burn-in steps), infers the reward by maximum
/// likelihood, compares it with the truth (r^2 weighted by the exact stationary distribution) and
/// runs the predictions.
SampleSizeResult count8_from_samples(const SampleSizeOptions& options);

/// One point of the exact-vs-sampled benchmark (docs/sweeps.md): how well chains under the exact
/// policy estimate what the exact solution gives.
struct ExactReference {
  /// The exact solution: values, stationary distribution (m * 2^n), prior (n), gain.
  std::vector<double> values, stationary, prior;
  double gain = 0.0;
};
struct SampledAccuracyOptions {
  /// Recorded samples in all (chains x ceil(samples / chains) steps), after `burn_in` steps per chain.
  std::uint64_t samples = 100000;
  std::uint64_t chains = 16;
  std::uint64_t burn_in = 0;
  std::uint64_t seed = 0;
  Backend backend = Backend::host;
  /// Also infer the reward from the samples (maximum likelihood of the transitions).
  bool infer = true;
};
struct SampledAccuracy {
  std::uint64_t samples = 0;
  /// Wall time of the sampler (burn-in included) and of the inference.
  double sample_seconds = 0.0;
  double infer_seconds = 0.0;
  /// max over x of the total-variation distance between the sampled and the exact P(K | x).
  double tv_spike_count = 0.0;
  /// The visit-weighted mean of r - lambda c and its error against the exact gain.
  double gain_estimate = 0.0;
  double gain_error = 0.0;
  /// The same mean under the exact stationary distribution: equals the exact gain to rounding (a
  /// check that the estimator computes the solver's objective).
  double exact_gain_check = 0.0;
  /// r^2 of the inferred reward against the true one (weighted by the exact mu; NaN unless infer),
  /// and the consistent states without an inferred reward.
  double r2 = 0.0;
  std::uint64_t missing_states = 0;
};
/// Runs the chains (netrl::sample, histogram and, with infer, transitions) and compares. n <= 24
/// (the histogram); with infer n <= 20 (the tabular inverse). InvalidInput for a solution of
/// another shape ("solution") or too few samples ("sampling.samples").
/// The sampler's options of a sampled-accuracy run: `chains` chains of ceil(samples / chains)
/// recorded steps after `burn_in`, with the histogram (and the transitions to infer).
SamplingOptions sampled_accuracy_sampling(const SampledAccuracyOptions& options);

SampledAccuracy sampled_accuracy(const NetworkModel& model, const ExactReference& exact,
                                 const SampledAccuracyOptions& options);

NETRL_NAMESPACE_END  // namespace netrl
