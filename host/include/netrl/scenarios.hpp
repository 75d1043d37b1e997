#pragma once
// The paper's built-in scenarios (docs/model.md and README "Built-in scenarios").
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/solver_options.hpp"
#include "netrl/infer.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Forward problems: "count8", "maze" (lambda 0.013), "maze-high" (lambda 0.13), "effcode"
/// (effcode_model()). InvalidInput ("scenario") for an unknown name.
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

/// Each repeat draws one recording of T steps (chain 0 of the shared sampler, host backend,
/// keyed by the row's seed; uniform start, 10^4 burn-in steps), infers the reward by maximum
/// likelihood, compares it with the truth (r^2 weighted by the exact stationary distribution) and
/// runs the predictions.
SampleSizeResult count8_from_samples(const SampleSizeOptions& options);

NETRL_NAMESPACE_END  // namespace netrl
