#pragma once
// Predictions from an inferred reward (MODEL.md sec. 4, "Predictions"): re-solve the forward
// problem with the inferred reward in a changed setting, optionally re-tuning lambda so that the
// mean coding cost keeps its value in the original setting, and compare the response with a
// reference (the forward solve with the true reward, or a given `netrl solve` output) by KL
// divergence.
//
// KL conventions: both are KL(reference || predicted).
// - kl_stationary: over the joint stationary distribution mu(b, x) (maze: over the states);
// - kl_spike_count (networks): sum_x P_ref(x) KL(P_ref(K | x) || P_pred(K | x)), the response
//   distributions of the paper's figures (spike_count in SolveResult).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

/// A changed setting. Its reward (networks) is the true reward when one is known.
struct PredictionSpec {
  std::string name;
  Problem setting;
  bool keep_coding_cost = false;
  /// Relative tolerance of the re-tuned lambda.
  double lambda_rel_tol = 1e-11;
  /// Optional `netrl solve --out` directory of the changed setting, used as the reference.
  std::string reference_dir;
  /// Optional n x n 0/1 symmetric mask of the couplings kept (networks without input): the
  /// predicted and the reference responses are then solved within the Ising policy family with
  /// the masked couplings removed (solve_ising).
  std::vector<double> coupling_mask;
};

struct ForwardSolve {
  double lambda = 0.0;
  SolveResult result;
  int solves = 0;
};

/// The reward over the states of `changed` (networks: m * 2^n table, 0 at states that contradict
/// a clamp; mazes: one per free cell, matched by grid cell) from the inferred reward of
/// `original`. States without an inferred reward get the lowest inferred reward of their input
/// (unvisited states are taken as unrewarded); `filled` receives their number.
std::vector<double> transfer_reward(const Problem& original, const std::vector<double>& inferred,
                                    const Problem& changed, std::uint64_t* filled);

/// Forward solve of `setting` with the reward table `reward` (over its states) at `lambda`; with a
/// non-empty coupling mask, within the masked Ising family (solve_ising), else netrl::solve.
SolveResult solve_with_reward(const Problem& setting, const std::vector<double>& reward, double lambda,
                              const std::vector<double>& coupling_mask = {});
/// The same with the setting's own (true) reward.
SolveResult solve_true(const Problem& setting, double lambda, const std::vector<double>& coupling_mask = {});

/// lambda such that the mean coding cost equals `target_cost`: bracket by geometric steps from
/// lambda0, then Brent's method until the bracket is below rel_tol * lambda. NumericalError if no
/// bracket is found. `reward` empty: the setting's true reward.
ForwardSolve retune_lambda(const Problem& setting, const std::vector<double>& reward, double lambda0,
                           double target_cost, double rel_tol = 1e-11,
                           const std::vector<double>& coupling_mask = {});

/// Maximises the gain over Ising policies v_phi = sum h_i s_i + sum_{i<j} J_ij s_i s_j whose
/// couplings are zero where `mask` (n x n, symmetric, 0/1) is 0, inside the prior loop, for a
/// network without input (the Glauber stationary distribution is then the Gibbs distribution and
/// the gain and its gradient are exact sums over the 2^n states; LBFGS++). `J`, `h` (n x n, n):
/// the start if they have the right sizes, and the result. Backend "ising" in the SolveResult.
SolveResult solve_ising(const NetworkModel& model, const std::vector<double>& mask, const SolverOptions& options,
                        std::vector<double>* J, std::vector<double>* h);
/// InvalidInput ("mask") unless `mask` is n x n, symmetric, with entries 0 or 1.
void validate_coupling_mask(const std::vector<double>& mask, int n);

/// Mean coding costs of the original setting (computed once, shared by all predictions of one
/// inferred reward). It remembers what it was computed for (the inferred reward, lambda, whether
/// the truth was used): another original is computed anew, not given the first one's costs.
struct Baseline {
  bool computed = false;
  std::vector<double> inferred;
  double lambda = std::numeric_limits<double>::quiet_NaN();
  bool has_truth = false;
  double predicted_cost = std::numeric_limits<double>::quiet_NaN();
  double reference_cost = std::numeric_limits<double>::quiet_NaN();
};

struct PredictionResult {
  std::string name;
  ForwardSolve predicted;
  bool has_reference = false;
  ForwardSolve reference;
  std::uint64_t filled = 0;
  double target_coding_cost = std::numeric_limits<double>::quiet_NaN();
  double reference_target_coding_cost = std::numeric_limits<double>::quiet_NaN();
  double kl_stationary = std::numeric_limits<double>::quiet_NaN();
  double kl_spike_count = std::numeric_limits<double>::quiet_NaN();
};

/// One prediction. `has_truth`: the settings carry the true reward (networks: in the model's
/// reward; mazes: the map's reward cells), used as the reference unless spec.reference_dir is set.
/// An InvalidInput names the field within the prediction ("reference", the reference directory),
/// or none; the caller prefixes where the prediction came from (with_prefix).
PredictionResult predict(const Problem& original, const std::vector<double>& inferred, bool has_truth,
                         const PredictionSpec& spec, Baseline& baseline);

/// sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x)) from two network solutions.
double kl_spike_count(const SolveResult& reference, const SolveResult& predicted, int n, int m);

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
