#pragma once
// A general MDP read from arrays (docs/config-solve.md, "MDP model"): the transitions in the
// sparse layout (row pointers, next states and probabilities per (s, a) row) or as one dense
// array, and the state rewards. Each array is a .npy file or values given inline (a
// configuration's JSON array, flattened by the caller).
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// One array: a .npy file (`path`), or inline values in C order with their shape.
struct MdpArray {
  std::string path;
  std::vector<double> values;
  std::vector<std::uint64_t> shape;
  bool given() const { return !path.empty() || !shape.empty(); }
};

/// The arrays of an MDP with S states and A actions. Either `dense`, shape (A, S, S) with
/// dense[a, s, s'] = p(s'|s,a) (the layout of pymdptoolbox), or the sparse layout: `row_ptr`
/// (S A + 1 integers, row r = s A + a holds entries row_ptr[r] .. row_ptr[r + 1] - 1),
/// `next_state` and `probability` (one entry each per nonzero). `reward`: S numbers. Files hold
/// float64 numbers, and int32 or int64 indices.
struct MdpArrays {
  MdpArray dense;
  MdpArray row_ptr;
  MdpArray next_state;
  MdpArray probability;
  MdpArray reward;
};

/// The MDP of the arrays (S from the reward, A from the dense shape or from the row pointers).
/// Checks what the arrays' dtypes, shapes and sizes must satisfy; InvalidInput names the array
/// ("reward", "dense", "row_ptr", "next_state", "probability", with its file in parentheses) and
/// the bound; IoError for a file that cannot be read. The values (sums, signs, ranges) are then
/// checked by Mdp::validate.
Mdp read_mdp(const MdpArrays& arrays);

}  NETRL_NAMESPACE_END  // namespace netrl::io
