#pragma once
// `netrl infer`: the inverse-RL configuration, its data, the run that writes an output directory,
// and the built-in scenarios (count8, count8-samples, maze).
//
// Configuration (JSON object). The model keys are those of a `netrl solve` config, without
// "reward" (network: model, n, input, lambda, prior, clamp, solver; maze: model, map | map_file,
// slip, lambda, solver); they describe the system the data come from. Own keys:
//   "data":        {"solution": DIR}  a `netrl solve --out` directory (result.json, values.npy,
//                                     stationary.npy; checked against the model), or
//                  {"samples": DIR, "min_visits": 1}  a `netrl sample --out` directory: its
//                                     histogram.npy (m * 2^n counts) and, if recorded,
//                                     transitions.npy ((m * 2^n) x (n + 1) counts; the methods "ml"
//                                     and the default with an input need it: sample with
//                                     "record": {"transitions": true}); result.json's "n", "m" and
//                                     "lambda" must match the model, or
//                  {"raster": FILE.npy, "inputs": FILE.npy, "min_visits": 1}  a recording: T x n
//                                     uint8/bool 0/1 (rows = time steps), input indices of length T
//                                     (required iff m > 1).
//   "method":      "auto" (default) | "closed_form" (m = 1) | "policy" (exact solution) | "ml" |
//                  "maze" | "parametric" (with an input it needs transitions: a raster with
//                  inputs, samples with transitions.npy, or a solution). auto: maze -> maze; m = 1 -> closed_form;
//                  solution -> policy; samples or raster -> ml.
//   "reward_model": parametric only: "table" (rhat_phi) | "pairwise" | "global" | "sparse".
//   "true_reward": network: a reward object as in solve configs ({"kind": "count", ...}) or a
//                  float64 .npy of m * 2^n values; maze: "map" (the map's reward cells). Enables
//                  "comparison" in result.json and the reference solves of the predictions.
//   "optimizer":   {"max_iterations", "tolerance", "ridge"} (OptimizerOptions).
//   "predict":     [{"name", "input" | "clamp" | "lambda" (network), "map" | "map_file" | "slip" |
//                   "lambda" (maze), "keep_coding_cost": bool, "coupling_mask": n x n 0/1 array or
//                   .npy (m = 1), "reference": DIR (a `netrl solve --out` of the changed setting)}]:
//                  each entry patches the model keys it names.
// Outputs (--out DIR): reward.npy (float64, m * 2^n or one per maze state; NaN where missing),
// values.npy, J.npy (n x n) / h.npy (n, or m x n with an input) / target.npy (parametric),
// predict_K_stationary.npy, result.json (last).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/problem.hpp"

namespace netrl {

struct InferConfig {
  /// The model (the config minus the infer keys). Networks: its reward is the true reward when
  /// `has_truth`, otherwise a placeholder. Mazes: the map's reward cells are the truth.
  Problem problem;
  bool has_truth = false;
  /// Exactly one source of data.
  std::string solution_dir;
  std::string samples_dir;
  std::string raster_path;
  std::string inputs_path;
  /// "auto", "closed_form", "policy", "ml", "maze", "parametric".
  std::string method = "auto";
  inverse::RewardModel reward_model = inverse::RewardModel::table;
  inverse::OptimizerOptions optimizer;
  std::vector<inverse::PredictionSpec> predictions;
  std::string source;
};

/// Parses an infer configuration strictly: unknown keys and wrong types are InvalidInput naming
/// the field. The model keys are those of `netrl solve` configs (parsed by parse_problem), except
/// "reward" (give the true reward, if known, as "true_reward").
InferConfig parse_infer_config(const nlohmann::json& config, const std::string& source_path);
InferConfig load_infer_config(const std::string& path);

/// The observations an inference runs on.
struct InferData {
  enum class Kind { solution, samples, raster } kind = Kind::solution;
  /// solution: values, stationary distribution, prior (network: per neuron, NaN at clamped
  /// neurons; maze: per action) and lambda of an exact solve.
  std::vector<double> values;
  std::vector<double> stationary;
  std::vector<double> prior;
  double lambda = 0.0;
  /// samples: the counts of a `netrl sample` run (transitions empty when not recorded).
  inverse::NetworkData counts;
  /// raster
  inverse::Raster raster;
  std::string description;
  /// Warnings carried into result.json "notes" (e.g. a degenerate prior in the solution).
  std::vector<std::string> notes;
};

/// Reads `result.json`, `values.npy` and `stationary.npy` of a `netrl solve --out` directory and
/// checks them against the model (kind, n, m or the number of maze states, lambda, clamps).
InferData load_solution(const std::string& dir, const Problem& problem, const std::string& field);
/// Reads `result.json`, `histogram.npy` and (if present) `transitions.npy` of a `netrl sample --out`
/// directory and checks them against the model (n, m, lambda, clamps, shapes, counts).
InferData load_samples(const std::string& dir, const Problem& problem, const std::string& field);
/// Loads the data a configuration names.
InferData load_data(const InferConfig& config);

/// Runs the inference and the predictions; with a non-empty `out_dir` writes reward.npy,
/// values.npy, result.json (last) and the predictions' stationary distributions. Returns the
/// content of result.json.
nlohmann::json run_infer(const InferConfig& config, const InferData& data, const std::string& out_dir);

/// Options of the sample-size scenario.
struct SampleScenarioOptions {
  std::vector<std::uint64_t> sizes{1000, 10000, 100000, 1000000};
  int repeats = 20;
  std::uint64_t seed = 1;
  bool predictions = true;
  /// Forward solver backend of the predictions (empty: netrl::solve's default).
  std::string backend;
  /// One line per finished repeat on stderr.
  bool progress = false;
};

/// count8 from T samples (fig. 3A, 3C-D): r^2 and prediction KL vs T, mean and s.e.m. over the
/// repeats; writes samples.csv (summary) and samples_raw.csv (every repeat) when `out_dir` is set.
nlohmann::json run_count8_samples(const SampleScenarioOptions& options, const std::string& out_dir);

/// Built-in scenarios: "count8" (from the exact solution), "count8-samples", "maze" (fig. 1F).
std::vector<std::string> infer_scenario_names();

/// `netrl infer CONFIG.json [--out DIR]` or `netrl infer --scenario NAME [--out DIR] [--repeats R]
/// [--sizes T1,T2,...] [--seed S] [--no-predict] [--backend B]`. Returns the exit status (0 done, 2 usage error, 3 finished but
/// an optimiser or forward solve did not converge); throws netrl::Error for bad input.
int run_infer_command(const std::vector<std::string>& args);

}  // namespace netrl
