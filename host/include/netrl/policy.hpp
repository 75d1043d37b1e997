#pragma once
// The policy of a solution as tables (docs/outputs.md, "Policy outputs"): rho_i(b, x) of a network,
// pi(a|s) of a maze, and a network's tuning curves P(spike | x, spike count of the others). netrl
// never stores a policy while it solves; these recompute it from the solution's values and prior.
#include <cstdint>
#include <vector>

#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Largest table a policy output may hold (m * 2^n * n for a network, states * 4 for a maze): 2^26
/// float64 entries, 512 MiB.
constexpr std::uint64_t kMaxPolicyEntries = std::uint64_t{1} << 26;

/// InvalidInput ("policy") when the policy table of the problem's model would exceed
/// kMaxPolicyEntries (networks: m * 2^n * n entries; mazes always fit).
void check_policy_size(const Problem& problem);

/// rho_i(b, x), the probability that neuron i, once picked, becomes active, in state s = x * 2^n + b:
/// entry [s * n + i]; NaN at states that contradict a clamp and for clamped neurons. From the
/// solution's values and prior (docs/model.md, "Policy"). InvalidInput ("policy") when m 2^n n
/// exceeds kMaxPolicyEntries, ("solution") when the result does not fit the model.
std::vector<double> network_policy(const NetworkModel& model, const SolveResult& result);

/// pi(a | s) of a maze solution, entry [s * 4 + a] (actions up, down, left, right).
std::vector<double> maze_policy(const Maze& maze, double lambda, const SolveResult& result);

/// The probability that neuron i, when picked, becomes active, given the input x and the number k
/// of the other neurons that are active, averaged over the stationary distribution:
/// p_spike(i, x, k) = sum_b mu(b, x) rho_i(b, x) [K(b) - b_i = k] / mass(i, x, k), with mass the
/// stationary mass of those states. Rows i = 0..n-1 are the neurons (NaN for clamped ones), row n the
/// population average over free neurons (weighted by mass). NaN where the mass is 0.
struct TuningCurves {
  int n = 0;
  int m = 1;
  /// Entry [(i * m + x) * n + k], i = 0..n (n: population), k = 0..n-1.
  std::vector<double> p_spike;
  std::vector<double> mass;
  std::size_t index(int i, int x, int k) const {
    return (static_cast<std::size_t>(i) * static_cast<std::size_t>(m) + static_cast<std::size_t>(x)) *
               static_cast<std::size_t>(n) + static_cast<std::size_t>(k);
  }
};
TuningCurves tuning_curves(const NetworkModel& model, const SolveResult& result);

NETRL_NAMESPACE_END  // namespace netrl
