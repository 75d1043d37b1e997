#pragma once
// The output directory of a forward solve (`netrl solve --out`, docs/outputs.md): result.json,
// values.npy, stationary.npy and, for networks, spike_count.csv. Written and read here only.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "netrl/problem.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The content of result.json.
nlohmann::json solution_json(const Problem& problem, const SolveResult& result);

/// Writes result.json, values.npy, stationary.npy and (networks) spike_count.csv into `out` and
/// publishes it (OutputDir::commit).
void write_solution(OutputDir& out, const Problem& problem, const SolveResult& result);
/// The same into a new OutputDir for `dir`.
void write_solution(const std::string& dir, const Problem& problem, const SolveResult& result);

/// A solution directory as read back: what the model was, and the result (gain, mean reward,
/// mean coding cost, prior, degenerate, converged, values and stationary distribution; the other
/// fields of SolveResult are not read).
struct Solution {
  std::string dir;
  ModelKind model = ModelKind::network;
  /// Networks: n and m; mazes: the number of states in `maze_states`.
  int n = 0;
  int m = 1;
  int maze_states = 0;
  double lambda = 0.0;
  SolveResult result;
};

/// Reads result.json, values.npy and stationary.npy of `dir` and checks that they are the files of
/// one solve (keys present with their types, float64 arrays of the size result.json implies).
/// Errors are InvalidInput (field "solution") naming the file and the key, or IoError.
Solution read_solution(const std::string& dir);

/// Checks a solution against the model it is used with: the model kind, n and m (or the maze's
/// states), lambda (to a relative 1e-12), the clamps (a null prior exactly at clamped neurons),
/// finite values at the consistent states. InvalidInput (field "solution") otherwise.
void check_solution(const Solution& solution, const Problem& problem);

}  NETRL_NAMESPACE_END  // namespace netrl::io
