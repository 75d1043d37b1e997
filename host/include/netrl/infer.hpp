#pragma once
// One inference run (docs/model.md, "Inverse RL"): the reward a network or a maze optimises,
// inferred from observed dynamics by one of the inverse methods, compared with the true reward
// when it is known, and carried into changed settings (predictions). Library types only: the
// configuration that describes a run is in netrl/config.hpp, its files in netrl/io/inference.hpp.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "netrl/core/raster.hpp"
#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class InferMethod { automatic, closed_form, policy, ml, maze, parametric };
template <>
struct EnumNames<InferMethod> {
  static constexpr EnumName<InferMethod> table[] = {
      {"automatic", "auto", InferMethod::automatic}, {"closed_form", "closed_form", InferMethod::closed_form},
      {"policy", "policy", InferMethod::policy},     {"ml", "ml", InferMethod::ml},
      {"maze", "maze", InferMethod::maze},           {"parametric", "parametric", InferMethod::parametric}};
};
/// "auto", "closed_form", "policy", "ml", "maze", "parametric".
const char* to_string(InferMethod method);
/// The method named `name`; InvalidInput ("method") lists the known names otherwise.
InferMethod parse_infer_method(const std::string& name);

/// Where the parametric inverse reports its reward: over all m * 2^n joint states (n <= 20), or
/// over the visited states only (any n). automatic: all for n <= kAllStatesNeurons, else visited.
enum class StateReport { automatic, all, visited };
template <>
struct EnumNames<StateReport> {
  static constexpr EnumName<StateReport> table[] = {{"auto", "auto", StateReport::automatic},
                                                    {"all", "all", StateReport::all},
                                                    {"visited", "visited", StateReport::visited}};
};
/// "auto", "all", "visited".
const char* to_string(StateReport states);
/// The largest n whose parametric inverse reports on all states by default.
constexpr int kAllStatesNeurons = 16;

/// What to infer and how.
struct InferSettings {
  /// The system the data come from. Networks: its reward is the true reward when `has_truth`
  /// (otherwise unused). Mazes: the map's reward cells are the truth.
  Problem problem;
  bool has_truth = false;
  /// automatic: maze -> maze; m = 1 -> closed_form; a solution -> policy; samples or a raster -> ml.
  InferMethod method = InferMethod::automatic;
  inverse::RewardModel reward_model = inverse::RewardModel::table;
  /// Parametric only: the states the reward is reported on.
  StateReport states = StateReport::automatic;
  inverse::OptimizerOptions optimizer;
  std::vector<inverse::PredictionSpec> predictions;
  /// For reports (a configuration path or a scenario name).
  std::string source;
};

/// The observations an inference runs on.
struct InferData {
  enum class Kind { solution, samples, raster } kind = Kind::solution;
  /// solution: values, stationary distribution, prior (network: per neuron, NaN at clamped
  /// neurons; maze: per action) and lambda of an exact solve.
  std::vector<double> values;
  std::vector<double> stationary;
  std::vector<double> prior;
  double lambda = 0.0;
  /// samples: the counts of a sampling run (transitions empty when not recorded).
  inverse::NetworkData counts;
  /// raster: a recording.
  Raster raster;
  std::string description;
  /// Warnings carried into the result's notes (e.g. a degenerate prior in the solution).
  std::vector<std::string> notes;

  /// The data of an exact solve of `problem`.
  static InferData from_solution(const Problem& problem, const SolveResult& result);
  /// Counts of a sampling run (as from inverse::sampled_counts), described by `description`.
  static InferData from_counts(inverse::NetworkData counts, std::string description);
  /// A recording (as from inverse::make_raster), described by `description`.
  static InferData from_raster(Raster raster, std::string description);
};

/// One prediction of an inference run: the forward solves and their comparison, or the error
/// that stopped it (a setting the inferred reward cannot be carried into).
struct InferPrediction {
  inverse::PredictionSpec spec;
  bool failed = false;
  std::string error;
  inverse::PredictionResult result;
};

struct InferResult {
  std::string source;
  ModelKind model = ModelKind::network;
  /// The method that ran (never automatic).
  InferMethod method = InferMethod::closed_form;
  double lambda = 0.0;
  InferData::Kind data_kind = InferData::Kind::solution;
  std::string data_description;
  /// Samples or raster data: recorded samples, states visited, steps that changed more than one neuron.
  std::uint64_t samples = 0;
  std::uint64_t visited_states = 0;
  std::uint64_t multi_flip_steps = 0;

  /// The parametric inverse on visited states: the states (reward, weights, values and target are
  /// then indexed like them; reward_shape is {states}). Empty otherwise.
  bool on_visited = false;
  inverse::VisitedStates visited;

  /// The inferred reward (per-input weighted mean removed; NaN where missing) and the weights of
  /// comparisons (stationary distribution or visit histogram).
  std::vector<double> reward;
  std::vector<double> weights;
  /// Networks: (m, 2^n); mazes: (states,).
  std::vector<std::uint64_t> reward_shape;
  /// The prior the data were produced with (per neuron, NaN at clamped neurons; or per action).
  std::vector<double> prior;
  /// Networks: n and m, and the method's output (values, optimiser statistics, the parametric
  /// Ising value J, h and target).
  int n = 0;
  int m = 1;
  inverse::NetworkInverse network;
  /// Mazes: the number of states and the maze inverse's output.
  int maze_states = 0;
  inverse::MdpInverse maze;

  /// The values that go with `reward` (network.values or maze.values).
  const std::vector<double>& values() const { return model == ModelKind::network ? network.values : maze.values; }

  bool has_comparison = false;
  inverse::RewardComparison comparison;

  std::vector<InferPrediction> predictions;
  std::vector<std::string> notes;
  bool converged = true;
  double elapsed_seconds = 0.0;
};

/// Runs the inference and the predictions. Throws InvalidInput for data the method cannot use
/// (naming the field of the settings, e.g. "method"), NumericalError when a method fails.
InferResult infer(const InferSettings& settings, const InferData& data);

NETRL_NAMESPACE_END  // namespace netrl
