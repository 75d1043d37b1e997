#pragma once
// A recording of a network: the state of every neuron at consecutive time steps, with the input
// value of each step. Produced by the sampler (one per recorded chain) and read by the inverse
// methods.
#include <cstdint>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

struct Raster {
  /// The sampler's chain number (0 for a recording read from a file).
  std::uint64_t chain = 0;
  std::uint64_t steps = 0;
  int n = 0;
  /// steps x n, C order, 1 = active, 0 = silent.
  std::vector<std::uint8_t> states;
  /// Input index of each step (the sampler always records them), or empty for a recording of a
  /// network without input (m = 1).
  std::vector<std::uint32_t> inputs;
};

NETRL_NAMESPACE_END  // namespace netrl
