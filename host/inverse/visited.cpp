// The visited states of a recording or of counts (VisitedStates), for the parametric inverse at
// any n: a hash of the packed states instead of a table over 2^n.
#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "inverse/detail.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

namespace {

/// Successor counts of one state while they are gathered: (neuron or n, count).
using Successors = std::vector<std::pair<int, double>>;

void add_successor(Successors& s, int j, double count) {
  for (auto& e : s)
    if (e.first == j) {
      e.second += count;
      return;
    }
  s.emplace_back(j, count);
}

/// Flattens per-state successor lists into the CSR arrays of VisitedStates.
void store_successors(std::vector<Successors>& succ, VisitedStates& d) {
  d.successor_start.assign(succ.size() + 1, 0);
  for (std::size_t k = 0; k < succ.size(); ++k) {
    std::sort(succ[k].begin(), succ[k].end());
    d.successor_start[k + 1] = d.successor_start[k] + succ[k].size();
    for (const auto& e : succ[k]) {
      d.successor_neuron.push_back(e.first);
      d.successor_count.push_back(e.second);
    }
  }
}

}  // namespace

VisitedStates visited_states(const Raster& raster, const NetworkModel& model, bool transitions,
                             bool require_single_flips) {
  detail::check_raster(raster, model);
  const int n = model.n;
  const std::size_t words = (static_cast<std::size_t>(n) + 63) / 64;
  VisitedStates d;
  d.n = n;
  d.m = model.m();
  std::unordered_map<std::string, std::uint64_t> index;
  std::vector<Successors> succ;
  std::string key(words * 8 + 4, '\0');
  std::vector<std::uint64_t> packed(words);
  std::uint64_t prev = 0;
  for (std::uint64_t t = 0; t < raster.steps; ++t) {
    const std::uint8_t* row = raster.states.data() + t * static_cast<std::uint64_t>(n);
    if (!model.clamps.empty()) detail::check_clamps(row, t, model);
    const std::uint32_t x = raster.inputs.empty() ? 0u : raster.inputs[t];
    std::fill(packed.begin(), packed.end(), 0);
    for (int i = 0; i < n; ++i)
      if (row[i]) packed[static_cast<std::size_t>(i) / 64] |= std::uint64_t{1} << (i % 64);
    std::memcpy(&key[0], packed.data(), words * 8);
    std::memcpy(&key[words * 8], &x, 4);
    const auto found = index.emplace(key, d.visits.size());
    const std::uint64_t k = found.first->second;
    if (found.second) {
      d.spins.insert(d.spins.end(), row, row + n);
      d.inputs.push_back(x);
      d.visits.push_back(0.0);
      if (transitions) succ.emplace_back();
    }
    d.visits[k] += 1.0;
    if (t > 0) {
      const std::uint8_t* before = d.state(prev);
      int flips = 0, j = n;
      for (int i = 0; i < n && flips < 2; ++i)
        if (before[i] != row[i]) {
          ++flips;
          j = i;
        }
      if (flips > 1) {
        if (require_single_flips) {
          throw InvalidInput("raster", "rows " + std::to_string(t - 1) + " -> " + std::to_string(t) +
                                           " change more than one neuron; the model's dynamics change at most one "
                                           "neuron per step (docs/model.md), so this method cannot use the "
                                           "transitions");
        }
        ++d.multi_flips;
      } else if (transitions) {
        add_successor(succ[prev], j, 1.0);
      }
    }
    prev = k;
  }
  d.total = static_cast<double>(raster.steps);
  if (transitions) store_successors(succ, d);
  return d;
}

VisitedStates visited_states(const NetworkData& data, const NetworkModel& model, bool all) {
  const int n = model.n, m = model.m();
  if (n > kMaxTabularNeurons) {
    throw InvalidInput("n", "counts over the m * 2^n states exist only for n <= " + std::to_string(kMaxTabularNeurons));
  }
  const std::uint64_t nb = model.num_network_states(), N = nb * static_cast<std::uint64_t>(m);
  if (data.visits.size() != N) throw InvalidInput("data", "observations do not match the model");
  const bool transitions = !data.transitions.empty();
  VisitedStates d;
  d.n = n;
  d.m = m;
  d.total = data.total;
  d.exact = data.exact;
  d.multi_flips = data.multi_flips;
  std::vector<Successors> succ;
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb;
    if (!model.consistent(b) || (!all && !(data.visits[s] > 0.0))) continue;
    for (int i = 0; i < n; ++i) d.spins.push_back(static_cast<std::uint8_t>((b >> i) & 1));
    d.inputs.push_back(static_cast<std::uint32_t>(s / nb));
    d.visits.push_back(data.visits[s]);
    if (transitions) {
      succ.emplace_back();
      for (int j = 0; j <= n; ++j) {
        const double c = data.transitions[s * (n + 1) + j];
        if (c > 0.0) succ.back().emplace_back(j, c);
      }
    }
  }
  if (transitions) store_successors(succ, d);
  return d;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
