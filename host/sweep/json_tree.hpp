#pragma once
// Walks over JSON trees for sweeps, without recursion (netrl/sweep.hpp). A sweep copies, compares,
// hashes and merges its base and axis values recursively (nlohmann's copies, dumps, comparisons
// and diffs recurse), so it bounds their nesting first: a value nested 10^5 deep, accepted by the
// parser under a raised --limit json_depth, would otherwise overflow the stack. Private to the
// library.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

/// Levels of nested arrays and objects a sweep takes: in the sweep file, in its base and in each
/// point's configuration (the key path's steps plus its value's nesting). Real configurations nest
/// a few levels; the bound is fixed (not --limit json_depth) because it protects the stack.
inline constexpr std::size_t kMaxDepth = 256;

/// Levels of nested arrays and objects in `j`: 0 for a scalar, 1 for [] or [1, 2], 2 for [[1]].
std::size_t json_depth(const nlohmann::json& j);

/// InvalidInput when `j` nests deeper than `max` levels. Its field is `field` followed by the
/// first steps of the path to the value that goes too deep ("axes[0].values[0]"); its message says
/// `what` ("the sweep file") and the bound.
void check_depth(const nlohmann::json& j, const std::string& field, std::size_t max, const std::string& what);

/// Writes every float of `j` that holds an integer exactly (8.0, 1e3, -0.0) as that integer
/// (unsigned when >= 0, as the parser reads "8"), so that the same configuration written as 8 or
/// 8.0 has one id, one seed and one table cell. Floats beyond 64-bit integers stay floats.
void canonical_numbers(nlohmann::json& j);

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
