#pragma once
// The output directory of a sampling run (`netrl sample --out`, docs/outputs.md): result.json,
// histogram.npy, transitions.npy, spike counts, rates, correlations and rasters.
#include <string>

#include "netrl/config.hpp"
#include "netrl/inverse.hpp"
#include "netrl/sample.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// Writes the statistics of `result` and result.json into `out` and publishes it.
void write_samples(OutputDir& out, const SampleConfig& config, const SampleResult& result);
/// The same into a new OutputDir for `dir`.
void write_samples(const std::string& dir, const SampleConfig& config, const SampleResult& result);

/// The counts of a sampling directory as data for the inverse methods: result.json (its "n", "m"
/// and "lambda" must match the model), histogram.npy and, if present, transitions.npy. `notes`
/// receives warnings (e.g. no burn-in). InvalidInput (field "samples") naming the file otherwise.
inverse::NetworkData read_samples(const std::string& dir, const NetworkModel& model, std::vector<std::string>* notes);

}  NETRL_NAMESPACE_END  // namespace netrl::io
