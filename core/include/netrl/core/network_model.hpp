#pragma once
// The network of n binary neurons with a Markov input (MODEL.md sec. 2).
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/input_process.hpp"
#include "netrl/core/reward.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class PriorMode { population, neuron };
template <>
struct EnumNames<PriorMode> {
  static constexpr EnumName<PriorMode> table[] = {{"population", "population", PriorMode::population},
                                                  {"neuron", "neuron", PriorMode::neuron}};
};
const char* to_string(PriorMode mode);

/// A neuron forced silent (state -1, "cell death") or active (state +1, "stimulation").
struct Clamp {
  int neuron = 0;
  int state = -1;
};

struct NetworkModel {
  int n = 0;
  InputProcess input;
  RewardSpec reward;
  double lambda = 0.0;
  PriorMode prior_mode = PriorMode::population;
  std::vector<Clamp> clamps;

  /// Throws InvalidInput naming the field and bound for every inconsistency. `validate` is the
  /// check of the exact state space (n <= kMaxNeurons); `validate_parametric` that of the
  /// parametric (Ising-value) solver, whose memory grows as n^2 (n <= kMaxParametricNeurons; no
  /// table rewards beyond kMaxTableRewardNeurons).
  void validate() const;
  void validate_parametric() const;

  int m() const { return input.m; }
  std::uint64_t num_network_states() const { return std::uint64_t{1} << n; }
  /// Size of the joint state space m * 2^n (consistent and inconsistent states).
  std::uint64_t num_states() const { return num_network_states() * static_cast<std::uint64_t>(m()); }
  /// Bits of clamped neurons, and the values they are clamped to.
  std::uint64_t clamp_mask() const;
  std::uint64_t clamp_bits() const;
  std::uint64_t free_mask() const { return (num_network_states() - 1) & ~clamp_mask(); }
  std::vector<int> free_neurons() const;
  int num_free() const { return static_cast<int>(free_neurons().size()); }
  bool consistent(std::uint64_t b) const { return (b & clamp_mask()) == clamp_bits(); }
  /// Number of consistent joint states m * 2^nf.
  std::uint64_t num_consistent_states() const;

  /// The exact state space (m * 2^n states) and everything that indexes it by a 64-bit word.
  static constexpr int kMaxNeurons = 40;
  /// Parametric models (the Ising-value solver, the chain sampler's Ising policies).
  static constexpr int kMaxParametricNeurons = 16384;

 private:
  void validate_with_bound(int max_neurons) const;
};

/// The smallest coding-cost weight: the solvers scale values by 1 / lambda, and below 1e-100
/// (subnormal numbers included, where 1 / lambda overflows) the scaled values leave float64.
inline constexpr double kMinLambda = 1e-100;

/// InvalidInput("lambda") unless kMinLambda <= lambda < infinity. Every model kind and every
/// solver, sampler and inverse method checks its lambda with this.
void validate_lambda(double lambda);

/// Distance of neurons i and j on a ring of n: min(|i - j|, n - |i - j|).
int ring_distance(int n, int i, int j);
/// The n x n coupling mask (1 kept, 0 removed) that keeps the pairs at ring distance 1 ..
/// max_distance (docs/parametric.md, "Settings").
std::vector<double> ring_coupling_mask(int n, int max_distance);

/// The paper's count8 scenario (MODEL.md sec. 5): n = 8, binary input flipping with probability
/// 0.02, r = 1 iff (x = -1 and K = 2) or (x = +1 and K = 6), population prior, lambda 0.114.
NetworkModel count8_model();

NETRL_NAMESPACE_END  // namespace netrl
