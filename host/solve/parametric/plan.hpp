#pragma once
// The parametric solver's plan of one run (driver.cpp): the settings checked against the model,
// the chain steps against the limit sample_steps and the memory against what the host (and the
// device) have, all before anything large is allocated.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

/// Everything fixed for one run.
struct Plan {
  int n = 0, m = 1, nf = 0;
  std::vector<int> free;
  std::vector<char> is_free;
  std::uint64_t batch = 0, chains = 0, per_chain = 0, interval = 0, burn_in = 0, explore = 0;
  std::uint64_t samples() const { return batch + explore; }
  double lambda = 0.0;
  bool cuda = false, single = false;
  bool fields = false;  // the regression on local fields
};

/// The plan of a run; InvalidInput naming the setting, or BackendError, where it cannot run.
Plan make_plan(const NetworkModel& model, const SolverOptions& options);

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
