#pragma once
// Helpers shared by the figures' data code (private to host/figures/).
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "netrl/figures.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures::detail {

/// An inferred reward shown against a target: scale * inferred + offset(block), with `scale` the
/// slope of the affine fit (inverse::compare_rewards) and the offset of each block of `block` states
/// (one input value) chosen so that the weighted means agree. A reward is identified only up to such
/// offsets (a function of the input) and, from data, a positive factor. NaN stays NaN.
std::vector<double> align_reward(const std::vector<double>& inferred, const std::vector<double>& target,
                                 const std::vector<double>& weights, std::uint64_t block, double scale);

/// P(K | x) of a network solution as rows (lead..., x, K, p).
void add_spike_counts(Table& table, std::vector<double> lead, const SolveResult& r);

/// The ring12 experiment's options as figure.json settings (figures 5 and 6).
void ring12_settings(const Ring12Options& options, FigureData& fig);

/// One progress line on stderr when options.progress.
inline void progress(const FigureOptions& options, const std::string& figure, const std::string& line) {
  if (options.progress) std::cerr << "figure " << figure << ": " << line << "\n";
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures::detail
