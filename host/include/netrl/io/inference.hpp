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

}  NETRL_NAMESPACE_END  // namespace netrl::io
