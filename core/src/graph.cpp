#include "netrl/core/graph.hpp"

#include <algorithm>
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

std::int64_t count_closed_classes(const CsrGraph& g) {
  std::int64_t components = 0;
  const auto comp = strongly_connected_components(g, &components);
  std::vector<char> leaves(components, 0);
  for (std::int64_t u = 0; u < g.num_nodes(); ++u)
    for (std::int64_t e = g.row_ptr[u]; e < g.row_ptr[u + 1]; ++e)
      if (comp[g.col[e]] != comp[u]) leaves[comp[u]] = 1;
  return std::count(leaves.begin(), leaves.end(), 0);
}

NETRL_NAMESPACE_END  // namespace netrl
