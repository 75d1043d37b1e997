#pragma once
// The JSON configurations of `netrl solve`, `netrl sample` and `netrl infer` (docs/config-*.md).
// This layer is the only one that knows configuration field paths: every InvalidInput it throws,
// including those of the library functions it calls, names the field as written in the file
// ("solver.tol", "sampling.chains", "data.raster (x.npy)", "predict[1].input.T").
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "netrl/infer.hpp"
#include "netrl/io/files.hpp"
#include "netrl/problem.hpp"
#include "netrl/sample.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/sweep.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN




/// A `netrl solve` configuration. Relative file names ("file", "map_file") are resolved against
/// the directory of `source_path`. Throws InvalidInput naming the field for unknown keys, wrong
/// types and values out of bounds; IoError for unreadable files.
Problem parse_problem(const nlohmann::json& config, const std::string& source_path);
Problem load_problem(const std::string& path);

/// A `netrl sample` configuration: the network, the policy the chains follow, the sampling options.
struct SampleConfig {
  NetworkModel model;
  /// The configuration gave a reward (then the mean reward is reported).
  bool has_reward = false;
  SamplerPolicy policy;
  /// The "policy" object as written (reported with the results).
  std::string policy_json;
  SamplingOptions options;
  std::string source;
};
SampleConfig parse_sample_config(const nlohmann::json& config, const std::string& source_path);
SampleConfig load_sample_config(const std::string& path);

/// A `netrl infer` configuration: the settings of the run and where its data are.
struct InferConfig {
  InferSettings settings;
  /// Exactly one source of data.
  std::string solution_dir;
  std::string samples_dir;
  std::string raster_path;
  std::string inputs_path;
};
InferConfig parse_infer_config(const nlohmann::json& config, const std::string& source_path);
InferConfig load_infer_config(const std::string& path);
/// Reads the data the configuration names and checks them against its model (errors name
/// "data.solution", "data.samples", "data.raster", "data.inputs").
InferData load_infer_data(const InferConfig& config);

/// A `netrl sweep` file (docs/sweeps.md): "command", "base" (an object, or a configuration file
/// resolved against `source_path`), "axes", "repeats", "warm_start", "batch". The points'
/// configurations are checked when the sweep runs (sweep::run).
sweep::Spec parse_sweep(const nlohmann::json& config, const std::string& source_path);
sweep::Spec load_sweep(const std::string& path);

/// The configuration of one point of the count8-samples experiment in a sweep:
/// {"T": steps >= 2, "seed": 0, "predictions": true, "backend": "auto"}.
struct SampleSizePoint {
  std::uint64_t T = 0;
  std::uint64_t seed = 0;
  bool predictions = true;
  Backend backend = Backend::automatic;
};
SampleSizePoint parse_sample_size_point(const nlohmann::json& config);

/// A point of the exact-vs-sampled benchmark (sweep command "sampled-vs-exact"): the keys of a
/// `netrl solve` network configuration, plus "solution" (the exact solution directory of that
/// network, resolved against `source_path`), "sampling" {"samples", "chains", "burn_in", "seed",
/// "backend"} and "infer" (false).
struct SampledPoint {
  Problem problem;
  std::string solution;
  SampledAccuracyOptions options;
};
SampledPoint parse_sampled_point(const nlohmann::json& config, const std::string& source_path);

NETRL_NAMESPACE_END  // namespace netrl
