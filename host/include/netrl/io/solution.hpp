#pragma once
// The output directory of a forward solve (`netrl solve --out`, docs/outputs.md): result.json,
// values.npy, stationary.npy and, for networks, spike_count.csv. Written and read here only.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "netrl/efficient_coding.hpp"
#include "netrl/policy.hpp"
#include "netrl/problem.hpp"
#include "netrl/io/files.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The content of result.json.
nlohmann::json solution_json(const Problem& problem, const SolveResult& result);

/// Optional files of a solution directory.
struct SolutionOutputs {
  /// policy.npy (networks: rho_i(b, x) as (m, 2^n, n); mazes: pi(a|s) as (states, 4)) and
  /// tuning.csv (networks) or action_prior.npy (mazes); netrl/policy.hpp. InvalidInput ("policy")
  /// before anything is written when a network's table exceeds kMaxPolicyEntries.
  bool policy = false;
  /// An efficient-coding solve: reward.npy (the reward of the last solve), log_posterior.npy and
  /// "efficient_coding" in result.json (iterations, final change, information).
  const EfficientCodingResult* efficient_coding = nullptr;
};

/// Writes result.json (naming the model's size: n, m for networks, maze_states for mazes,
/// mdp_states and mdp_actions for MDPs), values.npy, stationary.npy, (networks) spike_count.csv
/// and the optional files into `out` and publishes it (OutputDir::commit).
void write_solution(OutputDir& out, const Problem& problem, const SolveResult& result,
                    const SolutionOutputs& outputs = {});
/// The same into a new OutputDir for `dir`.
void write_solution(const std::string& dir, const Problem& problem, const SolveResult& result,
                    const SolutionOutputs& outputs = {});

/// tuning.csv: header neuron,x,others_active,p_spike,mass; one row per neuron (then "all", the
/// population average), input value and number of other active neurons; 17 significant digits.
std::string tuning_csv(const TuningCurves& tuning);

/// A solution directory as read back: what the model was, and the result (gain, mean reward,
/// mean coding cost, prior, degenerate, converged, values and stationary distribution; the other
/// fields of SolveResult are not read).
struct Solution {
  std::string dir;
  ModelKind model = ModelKind::network;
  /// Networks: n and m; mazes: the number of states in `maze_states`; MDPs: their states and
  /// actions.
  int n = 0;
  int m = 1;
  int maze_states = 0;
  int mdp_states = 0;
  int mdp_actions = 0;
  double lambda = 0.0;
  /// Networks: "population" or "neuron" where result.json names it (every netrl solve does).
  std::string prior_mode;
  SolveResult result;
};

/// Reads result.json, values.npy and stationary.npy of `dir` and checks that they are the files of
/// one solve (keys present with their types, float64 arrays of the size result.json implies).
/// Errors are InvalidInput (field "solution") naming the file and the key, or IoError.
Solution read_solution(const std::string& dir);

/// Checks a solution against the model it is used with: the model kind, n and m (or the maze's
/// states), lambda (to a relative 1e-12, unless `check_lambda` is false), the clamps (a null prior
/// exactly at clamped neurons), finite values at the consistent states. InvalidInput (field
/// "solution") otherwise.
void check_solution(const Solution& solution, const Problem& problem, bool check_lambda = true);

/// The warm start of `problem` (a network) from the solution directory `dir`: its values, prior
/// and stationary distribution, checked against the network (n, m, clamps, finite values; lambda
/// may differ). Errors are InvalidInput naming "warm_start (DIR)", or IoError.
WarmStart read_warm_start(const std::string& dir, const Problem& problem);

}  NETRL_NAMESPACE_END  // namespace netrl::io
