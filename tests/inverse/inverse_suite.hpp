#pragma once
// What the inverse-RL test files share (test_inverse.cpp, test_inverse_parametric.cpp,
// test_inverse_data.cpp; one binary, test_inverse): the exact-recovery tolerance, tight solver
// options and the largest error of an inferred reward.
#include <cstdint>
#include <vector>

#include "netrl/core/solver_options.hpp"
#include "netrl/inverse.hpp"

namespace netrl::inverse_suite {


/// Exact recovery tolerance of the acceptance criteria.
inline constexpr double kExact = 1e-8;

inline SolverOptions tight() {
  SolverOptions o;
  o.tol = 1e-12;
  o.prior_tol = 1e-12;
  return o;
}

inline double max_error(const std::vector<double>& inferred, const std::vector<double>& truth,
                        const std::vector<double>& w, std::uint64_t block) {
  return inverse::compare_rewards(inferred, truth, w, block).max_abs_error;
}

}  // namespace netrl::inverse_suite
