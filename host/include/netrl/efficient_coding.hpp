#pragma once
// Efficient coding (docs/model.md, "Efficient coding"; the paper's fig. 4): a network whose reward
// is the log-posterior r(b, x) = log p(y(x) | b) of a relevant feature y of its input, computed
// from the network's own stationary distribution and iterated to a fixed point. Also the measures
// of the code: I(y; b), the same for independent neurons with the same p(b_i | x), and how fast
// an input chain mixes.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// The result of the efficient-coding loop.
struct EfficientCodingResult {
  /// The last forward solve: the optimal network for `reward` below.
  SolveResult solution;
  /// The reward the last solve used, over the joint states s = x * 2^n + b (0 at states that
  /// contradict a clamp).
  std::vector<double> reward;
  /// log p(y(x) | b) under solution.stationary (NaN at states that contradict a clamp).
  std::vector<double> log_posterior;
  /// Forward solves (loop iterations), and max |log_posterior - reward| over the consistent states
  /// after each of them.
  int iterations = 0;
  double final_change = 0.0;
  std::vector<double> change_history;
  bool converged = false;
  /// I(y; b) in nats under solution.stationary, and for independent neurons with the same
  /// p(b_i | x) (independent_information below).
  double information = 0.0;
  double independent_information = 0.0;
};

/// Runs the loop for a model whose reward kind is efficient_coding (labels y(x) = +-1):
/// r_0(b, x) = y(x) * (2 K(b) - n) / n (neurons voting for y), then repeatedly solve with r_k and set
/// r_{k+1} = log p(y(x) | b) from the solution's stationary distribution, until
/// max |r_{k+1} - r_k| < reward.coding_tol over the consistent states. InvalidInput for another reward
/// kind; NumericalError when a solve fails. Without convergence after reward.coding_max_iterations
/// solves the result says so (converged false, solution.converged false, a note).
EfficientCodingResult efficient_coding(const NetworkModel& model, const SolverOptions& options);

/// log p(y(x) | b) over the joint states from a joint distribution `stationary` (NaN at states that
/// contradict a clamp, and at network states of zero mass). Labels are +-1, one per input value.
std::vector<double> label_log_posterior(const NetworkModel& model, const std::vector<double>& stationary,
                                        const std::vector<int>& labels);

/// I(y; b) = sum_{b, y} p(b, y) log(p(b, y) / (p(b) p(y))) in nats, from the joint distribution.
double label_information(const NetworkModel& model, const std::vector<double>& stationary,
                         const std::vector<int>& labels);

/// I(y; b) for independent neurons with the same single-neuron responses: p_ind(b | x) =
/// prod_i p(b_i | x), with p(b_i = 1 | x) and p(x) the marginals of `stationary`.
double independent_information(const NetworkModel& model, const std::vector<double>& stationary,
                               const std::vector<int>& labels);

/// How fast an input chain forgets its state: the eigenvalues of T other than 1 have moduli at most
/// `second_modulus`; spectral gap 1 - second_modulus; relaxation time 1 / gap (steps over which
/// correlations fall by e). `stationary` is the input's stationary distribution. Dense
/// eigendecomposition: InvalidInput ("input") for m > kMaxMixingInputs.
struct InputMixing {
  double second_modulus = 0.0;
  double spectral_gap = 0.0;
  double relaxation_time = 0.0;
  std::vector<double> stationary;
};
InputMixing input_mixing(const InputProcess& input);
constexpr int kMaxMixingInputs = 2048;

NETRL_NAMESPACE_END  // namespace netrl
