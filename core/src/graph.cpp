#include "netrl/core/graph.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

std::vector<std::int64_t> strongly_connected_components(const CsrGraph& g, std::int64_t* count) {
  const std::int64_t n = g.num_nodes();
  constexpr std::int64_t kUnvisited = -1;
  std::vector<std::int64_t> index(n, kUnvisited), low(n, 0), comp(n, -1), next_edge(n, 0);
  std::vector<std::int64_t> stack, call;
  std::vector<char> on_stack(n, 0);
  std::int64_t counter = 0, components = 0;
  for (std::int64_t root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    call.push_back(root);
    index[root] = low[root] = counter++;
    next_edge[root] = g.row_ptr[root];
    stack.push_back(root);
    on_stack[root] = 1;
    while (!call.empty()) {
      const std::int64_t u = call.back();
      if (next_edge[u] < g.row_ptr[u + 1]) {
        const std::int64_t w = g.col[next_edge[u]++];
        if (index[w] == kUnvisited) {
          index[w] = low[w] = counter++;
          next_edge[w] = g.row_ptr[w];
          stack.push_back(w);
          on_stack[w] = 1;
          call.push_back(w);
        } else if (on_stack[w]) {
          low[u] = std::min(low[u], index[w]);
        }
        continue;
      }
      call.pop_back();
      if (!call.empty()) low[call.back()] = std::min(low[call.back()], low[u]);
      if (low[u] == index[u]) {
        std::int64_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          comp[w] = components;
        } while (w != u);
        ++components;
      }
    }
  }
  if (count) *count = components;
  return comp;
}

namespace {

/// closed[c] = 1 iff component c has no edge leaving it.
std::vector<char> closed_components(const CsrGraph& g, const std::vector<std::int64_t>& comp, std::int64_t count) {
  std::vector<char> closed(static_cast<std::size_t>(count), 1);
  for (std::int64_t u = 0; u < g.num_nodes(); ++u)
    for (std::int64_t e = g.row_ptr[u]; e < g.row_ptr[u + 1]; ++e)
      if (comp[g.col[e]] != comp[u]) closed[comp[u]] = 0;
  return closed;
}

}  // namespace

std::int64_t count_closed_classes(const CsrGraph& g) {
  std::int64_t components = 0;
  const auto comp = strongly_connected_components(g, &components);
  const auto closed = closed_components(g, comp, components);
  return std::count(closed.begin(), closed.end(), 1);
}

std::int64_t closed_class_period(const CsrGraph& g) {
  const std::int64_t n = g.num_nodes();
  std::int64_t components = 0;
  const auto comp = strongly_connected_components(g, &components);
  const auto closed = closed_components(g, comp, components);
  std::int64_t root = -1;
  for (std::int64_t u = 0; u < n && root < 0; ++u)
    if (closed[comp[u]]) root = u;
  if (root < 0) return 1;
  // Breadth-first levels from the root; within a strongly connected class the period is the gcd
  // of level[u] + 1 - level[v] over its edges u -> v.
  std::vector<std::int64_t> level(static_cast<std::size_t>(n), -1), queue{root};
  level[root] = 0;
  std::int64_t period = 0;
  for (std::size_t k = 0; k < queue.size(); ++k) {
    const std::int64_t u = queue[k];
    for (std::int64_t e = g.row_ptr[u]; e < g.row_ptr[u + 1]; ++e) {
      const std::int64_t v = g.col[e];
      if (level[v] < 0) {
        level[v] = level[u] + 1;
        queue.push_back(v);
      } else {
        period = std::gcd(period, std::abs(level[u] + 1 - level[v]));
      }
    }
  }
  return period == 0 ? 1 : period;
}

std::vector<std::int64_t> transient_nodes(const CsrGraph& g) {
  std::int64_t components = 0;
  const auto comp = strongly_connected_components(g, &components);
  const auto closed = closed_components(g, comp, components);
  std::vector<std::int64_t> out;
  for (std::int64_t u = 0; u < g.num_nodes(); ++u)
    if (!closed[comp[u]]) out.push_back(u);
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
