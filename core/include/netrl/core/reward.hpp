#pragma once
// State rewards of the network model (MODEL.md sec. 2, config "reward").
#include <cstdint>
#include <string>
#include <vector>
#include "netrl/core/enum_names.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class RewardKind { table, count, ring_bump, planted, efficient_coding };

struct RewardSpec {
  RewardKind kind = RewardKind::count;
  /// kind table: m * 2^n values in the order s = x * 2^n + b.
  std::vector<double> values;
  /// kind count: one target spike count per input value; r = 1 iff K(b) == targets[x].
  std::vector<int> targets;
  /// kind ring_bump: r = 1 iff exactly `width` neurons are active and contiguous on the ring.
  int width = 0;
  /// kind planted (no input, no clamps): the reward whose optimal value at coding-cost weight
  /// `planted_lambda` and the firing prior `planted_prior` (every neuron) is exactly the Ising value
  /// v = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j (docs/parametric.md, "Planted rewards"):
  ///   r(s) = (1/n) sum_i s_i u_i - lambda sum_i log(p e^{u_i/(n lambda)} + (1-p) e^{-u_i/(n lambda)}),
  /// u_i = h_i + sum_{j != i} J_ij s_j. A reward with a known answer at any n.
  std::vector<double> planted_J;  // n * n, symmetric, zero diagonal
  std::vector<double> planted_h;  // n
  double planted_prior = 0.5;
  double planted_lambda = 0.0;
  /// kind efficient_coding (docs/model.md, "Efficient coding"): the relevant feature y(x), one
  /// label per input value; the reward r(b, x) = log p(y(x) | b) is computed from the stationary
  /// distribution of the network's own solution and iterated to a fixed point (netrl::efficient_coding).
  /// The loop stops when max |r_new - r| < coding_tol, or fails after coding_max_iterations.
  std::vector<int> labels;
  double coding_tol = 1e-9;
  int coding_max_iterations = 1000;

  static RewardSpec table(std::vector<double> values);
  static RewardSpec count(std::vector<int> targets);
  static RewardSpec ring_bump(int width);
  static RewardSpec planted(std::vector<double> J, std::vector<double> h, double prior, double lambda);
  static RewardSpec efficient_coding(std::vector<int> labels);
  /// Labels y(x) = +1 if at least `threshold` bits of x are set (pixels on), else -1, for x < m.
  static std::vector<int> threshold_labels(int m, int threshold);

  /// False for efficient_coding, whose reward depends on the solution: evaluate() and tabulate()
  /// then throw InvalidInput ("reward.kind"), and the loop supplies a table at each iteration.
  bool is_static() const { return kind != RewardKind::efficient_coding; }

  /// Throws InvalidInput (field prefix "reward") for values that do not fit n neurons, m inputs.
  void validate(int n, int m) const;

  /// Reward of network state b under input x (n <= 64).
  double evaluate(int n, std::uint64_t b, int x) const;
  /// Reward of the state whose neuron i is active iff on[i] != 0, under input x (any n; a table
  /// reward needs n <= kMaxTableNeurons).
  double evaluate_spins(int n, const std::uint8_t* on, int x) const;

  /// The full table r(s), s = x * 2^n + b.
  std::vector<double> tabulate(int n, int m) const;

  /// Table rewards hold m * 2^n values.
  static constexpr int kMaxTableNeurons = 30;
};

template <>
struct EnumNames<RewardKind> {
  static constexpr EnumName<RewardKind> table[] = {{"table", "table", RewardKind::table},
                                                   {"count", "count", RewardKind::count},
                                                   {"ring_bump", "ring_bump", RewardKind::ring_bump},
                                                   {"planted", "planted", RewardKind::planted},
                                                   {"efficient_coding", "efficient_coding", RewardKind::efficient_coding}};
};
const char* to_string(RewardKind kind);

/// True iff the set bits of b (n-bit ring) are exactly `width` contiguous positions.
bool is_ring_bump(int n, std::uint64_t b, int width);

NETRL_NAMESPACE_END  // namespace netrl
