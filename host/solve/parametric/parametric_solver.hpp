#pragma once
// The parametric (Ising-value) solver (docs/parametric.md), private to the library:
//   driver.cpp            the SGD loop: batches from the chains, the target, the prior loop, the
//                         learning curve and the stopping rule
//   ising_evaluation.cpp  the exact gain of a learned policy (n <= 20), by the exact engine
// The kernels (chains, per-sample terms, coupling steps) are netrl/kernels/parametric.hpp.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

/// Learns the value within the pairwise family by SGD against the soft-Bellman target (eq. 41-43)
/// over batches drawn from chains of the current policy (options.parametric), on options.backend
/// (host or cuda) at options.precision. Throws InvalidInput for bad models or options and for
/// memory needs beyond the machine (before allocating), BackendError when cuda cannot run.
SolveResult solve(const NetworkModel& model, const SolverOptions& options);

/// The exact evaluation of the Glauber policy of v(s, x) = sum_i h_i(x) s_i + sum_{i<j} J_ij s_i
/// s_j (J: n * n, h: m * n) at `prior` (n entries, clamped ones ignored), for n <= 20.
struct PolicyEvaluation {
  double gain = 0.0;
  double mean_reward = 0.0;
  double mean_coding_cost = 0.0;
  std::vector<double> rates;        // n: sum mu rho_i (NaN at clamped neurons)
  std::vector<double> stationary;   // compact order s = x * 2^nf + c (bit k of c: free neuron k)
  std::vector<double> spike_count;  // P(K | x) at [K * m + x]
  int spike_count_rows = 0;
  int spike_count_cols = 0;
};
PolicyEvaluation evaluate_ising_policy(const NetworkModel& model, const std::vector<double>& J,
                                       const std::vector<double>& h, const std::vector<double>& prior);

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
