#pragma once
// State rewards of the network model (MODEL.md sec. 2, config "reward").
#include <cstdint>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class RewardKind { table, count, ring_bump };

struct RewardSpec {
  RewardKind kind = RewardKind::count;
  /// kind table: m * 2^n values in the order s = x * 2^n + b.
  std::vector<double> values;
  /// kind count: one target spike count per input value; r = 1 iff K(b) == targets[x].
  std::vector<int> targets;
  /// kind ring_bump: r = 1 iff exactly `width` neurons are active and contiguous on the ring.
  int width = 0;

  static RewardSpec table(std::vector<double> values);
  static RewardSpec count(std::vector<int> targets);
  static RewardSpec ring_bump(int width);

  /// Throws InvalidInput (field prefix "reward") for values that do not fit n neurons, m inputs.
  void validate(int n, int m) const;

  /// Reward of network state b under input x.
  double evaluate(int n, std::uint64_t b, int x) const;

  /// The full table r(s), s = x * 2^n + b.
  std::vector<double> tabulate(int n, int m) const;
};

const char* to_string(RewardKind kind);

/// True iff the set bits of b (n-bit ring) are exactly `width` contiguous positions.
bool is_ring_bump(int n, std::uint64_t b, int width);

NETRL_NAMESPACE_END  // namespace netrl
