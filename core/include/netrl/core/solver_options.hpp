#pragma once
// Solver options and results shared by every backend (config section "solver", result.json).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class Method { value_iteration, policy_iteration };
enum class Precision { float32, float64 };
/// Where a solve or a sampling run computes. `automatic`: the model's default (host for networks,
/// reference for mazes; host for sampling). `reference`: the float64 oracle over explicit
/// matrices; `host`: the batched kernels with OpenMP; `cuda`: the same kernels on a GPU.
enum class Backend { automatic, reference, host, cuda };

const char* to_string(Method method);
const char* to_string(Precision precision);
/// "auto", "reference", "host", "cuda".
const char* to_string(Backend backend);

/// Appended to the error of a solve whose values became non-finite.
inline constexpr const char* kNonFiniteHint =
    "; the values are scaled by 1 / lambda, so a small lambda, large rewards or float32 precision can overflow "
    "them (raise lambda, rescale the reward, or use float64)";

struct SolverOptions {
  Method method = Method::value_iteration;
  Backend backend = Backend::automatic;
  Precision precision = Precision::float64;
  /// Inner solve: stop when span(T h - h) < tol.
  double tol = 1e-10;
  /// Prior loop: stop when max |p' - p| < prior_tol.
  double prior_tol = 1e-10;
  /// Bound on inner iterations (sweeps or policy improvements) per inner solve.
  std::int64_t max_iterations = 1000000;
  /// Bound on prior-loop (outer) iterations.
  std::int64_t max_outer_iterations = 100000;
  /// Initial firing prior of every free neuron (network models).
  double p0 = 0.5;
  /// Priors are clipped to [prior_eps, 1 - prior_eps].
  double prior_eps = 1e-9;
  /// Host backend: OpenMP threads of this solve (0: the process default, see netrl/runtime.hpp).
  int threads = 0;

  void validate(const std::string& field = "solver") const;

  static constexpr int kMaxThreads = 4096;
};

struct SolveResult {
  double gain = 0.0;
  double gain_lo = 0.0;
  double gain_hi = 0.0;
  double mean_reward = 0.0;
  double mean_coding_cost = 0.0;
  /// Network: one entry per neuron (NaN for clamped neurons). Maze: one per action.
  std::vector<double> prior;
  /// Neurons (network) or actions (maze) whose prior hit the clip.
  std::vector<int> degenerate;
  std::int64_t outer_iterations = 0;
  std::int64_t inner_iterations = 0;
  bool converged = false;
  std::uint64_t states = 0;
  std::string backend;
  std::string precision;
  std::string method;
  double elapsed_seconds = 0.0;
  /// Why the solve stopped without converging (empty when converged).
  std::string note;
  /// Policy iteration on the host/cuda backends: matrix-vector products of the chain in its
  /// Krylov solves, and the relative residual ||b - A x|| / ||b|| of the reported solution (the
  /// larger of the stationary solve's and the bias equation's, recomputed). Every solve must
  /// reach its tolerance or the solver throws. Zero otherwise.
  std::int64_t matvecs = 0;
  double krylov_residual = 0.0;
  /// Gain after each outer iteration, relative to that iteration's prior.
  std::vector<double> gain_history;
  /// Over the full state space: v (NaN at inconsistent states) and mu (0 there).
  std::vector<double> values;
  std::vector<double> stationary;
  /// Network only: P(K | x), row-major (n + 1) x m.
  std::vector<double> spike_count;
  int spike_count_rows = 0;
  int spike_count_cols = 0;
};

NETRL_NAMESPACE_END  // namespace netrl
