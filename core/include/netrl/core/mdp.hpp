#pragma once
// A general finite MDP with a state reward (MODEL.md sec. 1).
#include <cstdint>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

struct Mdp {
  int num_states = 0;
  int num_actions = 0;
  /// Sparse rows of p(s'|s,a) in compressed form; row (s, a) is row index s * num_actions + a.
  std::vector<std::int64_t> row_ptr{0};
  std::vector<int> next_state;
  std::vector<double> probability;
  std::vector<double> reward;

  std::int64_t row(int s, int a) const { return static_cast<std::int64_t>(s) * num_actions + a; }

  /// Throws InvalidInput unless every row is a probability distribution over valid states, the
  /// rewards are finite, and the chain that can take every action is unichain.
  void validate(const std::string& field = "mdp") const;
};

NETRL_NAMESPACE_END  // namespace netrl
