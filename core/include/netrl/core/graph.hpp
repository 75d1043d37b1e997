#pragma once
// Closed communicating classes of a directed graph: a Markov chain is unichain iff its transition
// graph has exactly one closed class.
#include <cstdint>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Graph in compressed-row form: the successors of node u are col[row_ptr[u] .. row_ptr[u+1]).
struct CsrGraph {
  std::vector<std::int64_t> row_ptr{0};
  std::vector<std::int64_t> col;
  std::int64_t num_nodes() const { return static_cast<std::int64_t>(row_ptr.size()) - 1; }
};

/// Strongly connected component of every node (Tarjan, iterative) and the number of components.
std::vector<std::int64_t> strongly_connected_components(const CsrGraph& g, std::int64_t* count);

/// Number of closed classes: components with no edge leaving them.
std::int64_t count_closed_classes(const CsrGraph& g);

/// Period of the first closed class (of the lowest-numbered node in one): the gcd of the cycle
/// lengths through it; 1 = aperiodic (also for a graph without edges).
std::int64_t closed_class_period(const CsrGraph& g);

/// Nodes outside every closed class (the transient states of a chain), in increasing order.
std::vector<std::int64_t> transient_nodes(const CsrGraph& g);

NETRL_NAMESPACE_END  // namespace netrl
