#pragma once
// A general finite MDP with a state reward (MODEL.md sec. 1).
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/graph.hpp"
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
  /// rewards are finite, and the chain that can take every action is unichain (one closed class:
  /// several would be absorbing classes between which no policy moves). Fields are `prefix`
  /// followed by ".num_states", ".num_actions", ".transitions" or ".reward[s]" (no prefix: the
  /// bare names).
  void validate(const std::string& prefix = "mdp") const;

  /// `probability` with every row scaled to sum 1 in float64 (validate accepts rows within 1e-9
  /// of it): what the solvers use, so that every policy's chain is stochastic to rounding.
  std::vector<double> stochastic_probability() const;

  /// The graph of the chain that takes every action: an edge s -> s' wherever p(s'|s,a) > 0 for
  /// some a. Every soft policy (all pi(a|s) > 0) has this chain's support.
  CsrGraph support_graph() const;

  /// The states outside the closed class of support_graph() (after validate: the only one): no
  /// policy visits them in the long run (stationary probability 0 under every soft policy).
  std::vector<std::int64_t> transient_states() const;
};

/// A random sparse MDP (tests and benchmarks): every row (s, a) has `successors` distinct next
/// states, s + 1 (mod S: every policy's chain is irreducible) and others drawn uniformly, with
/// probabilities proportional to weights drawn uniformly in [0.1, 1); rewards uniform in [0, 1).
/// The same arguments give the same MDP on every platform (the draws are made from the raw
/// output of std::mt19937_64). InvalidInput for states < 2, actions < 1, or successors outside
/// [1, states].
Mdp random_sparse_mdp(int states, int actions, int successors, std::uint64_t seed);

NETRL_NAMESPACE_END  // namespace netrl
