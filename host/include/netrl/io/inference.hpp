#pragma once
// The output directory of an inference run (`netrl infer --out`, docs/outputs.md) and of the
// sample-size experiment.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "netrl/infer.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The content of result.json; `files`: the output files are listed (a directory is written).
nlohmann::json inference_json(const InferResult& result, bool files);
/// reward.npy, values.npy, the parametric J.npy, h.npy, target.npy, predict_<k>_stationary.npy
/// and result.json, written into `out` and published (a string: a new OutputDir for it).
void write_inference(OutputDir& out, const InferResult& result);
void write_inference(const std::string& dir, const InferResult& result);

/// The content of result.json of the sample-size experiment.
nlohmann::json sample_size_json(const SampleSizeResult& result);
/// samples.csv (mean and s.e.m. per T), samples_raw.csv (every repeat) and result.json, written
/// into `out` and published (a string: a new OutputDir for it).
void write_sample_size(OutputDir& out, const SampleSizeResult& result);
void write_sample_size(const std::string& dir, const SampleSizeResult& result);

/// One repeat of the count8-samples experiment (a sweep point): result.json with "T", "seed",
/// "r2", "missing_states", "ml_iterations", "ml_converged", "burn_in" and, per prediction (by
/// name), "kl_spike_count" and "kl_stationary" (null where the prediction failed).
nlohmann::json sample_size_row_json(const SampleSizeContext& context, const SampleSizeRow& row);
void write_sample_size_row(const std::string& dir, const SampleSizeContext& context, const SampleSizeRow& row);

/// A point of the exact-vs-sampled benchmark: result.json with "samples" (recorded), "sample_seconds", "tv_spike_count", "gain_estimate", "gain_error", "abs_gain_error",
/// "exact_gain_check" and, when the reward was inferred, "r2", "missing_states", "infer_seconds".
void write_sampled_accuracy(const std::string& dir, const SampledAccuracyOptions& options,
                            const SampledAccuracy& result);

}  NETRL_NAMESPACE_END  // namespace netrl::io
