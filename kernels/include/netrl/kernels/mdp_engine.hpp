#pragma once
// The batched kernels of the general-MDP solver behind one interface (no CUDA headers here).
//
// An engine holds B problems that share one transition structure p(s'|s,a): S states, A actions,
// compressed rows r = s * A + a (row_ptr, next_state, probability). The problems may differ in
// their rewards, lambda and action prior (a lambda sweep is the usual batch). Problem q owns the
// block [q S, (q + 1) S) of every state array and [q S A, (q + 1) S A) of the policy. State 0 is
// the reference state of relative value iteration.
//
// The engine keeps the transposed structure too (for every target s', the rows that lead to it),
// so the adjoint (stationary) sweep is a gather: every output is written by one work item and the
// sums do not depend on the number of threads. The greedy policy pi(a|s) is stored (S A numbers
// per problem, small next to the transitions) by prepare_policy; the Bellman sweep recomputes it.
//
// Every step acts on the problems flagged in `active` and leaves the others untouched, so problems
// of a batch converge and stop independently. The host backend (netrl::kernels::host) runs the
// functors of kernels/common/mdp_functors.hpp with OpenMP; the CUDA backend (netrl::kernels::cuda,
// in the CUDA module like the exact engine) runs the same functors as CUDA kernels.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netrl/kernels/batch_engine.hpp"
#include "netrl/kernels/engine_factory.hpp"
#include "netrl/kernels/exact_engine.hpp"  // device_available
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

struct MdpShape {
  std::int64_t states = 1;   // S
  int actions = 1;           // A
  std::int64_t entries = 1;  // nonzero transitions (all rows)
  int batch = 1;             // problems
  std::int64_t rows() const { return states * static_cast<std::int64_t>(actions); }
};

/// The largest S * A an engine takes (rows and next states are indexed with 32 bits).
constexpr std::int64_t kMaxMdpRows = (std::int64_t{1} << 31) - 1;

/// Bytes an engine of this shape allocates for the transition structure (both directions, shared
/// by the batch) and per problem, with `real_bytes` = sizeof(Real); for memory checks.
struct MdpFootprint {
  double shared = 0.0;
  double per_problem = 0.0;
};
MdpFootprint mdp_engine_footprint(const MdpShape& shape, int real_bytes);

/// Stationary averages under the stored policy (prepare_policy) and distribution mu.
struct ActionTotals {
  std::vector<double> action;  // per action: sum_s mu(s) pi(a|s) (the unnormalised prior update)
  double cost = 0.0;           // sum mu c, c(s) = KL[pi(.|s) || p]
  double reward = 0.0;         // sum mu r
  double mass = 0.0;           // sum mu
  std::uint64_t zero_actions = 0;  // pairs (s, a) whose pi(a|s) underflowed to 0
};

/// The general-MDP engine: the steps of BatchEngine on the states of p(s'|s,a), the greedy policy
/// pi(a|s) stored by prepare_policy (with its coding cost c(s) = KL[pi(.|s) || p]).
template <class Real>
class MdpEngine : public BatchEngine {
 public:
  virtual const MdpShape& shape() const = 0;

  // ---- problem data ----------------------------------------------------------------------
  /// The shared structure: row_ptr (S A + 1 offsets), next_state and probability (entries each),
  /// validated by the caller (Mdp::validate); InvalidInput("engine") for sizes that do not match.
  virtual void set_transitions(const std::vector<std::int64_t>& row_ptr, const std::vector<int>& next_state,
                               const std::vector<double>& probability) = 0;
  /// batch * S rewards.
  virtual void set_rewards(const std::vector<double>& reward) = 0;
  /// batch lambdas (> 0) and aperiodicity factors theta (1, or 0.5 for a periodic chain: every
  /// iteration then uses theta P + (1 - theta) I, with the same fixed points).
  virtual void set_lambdas(const std::vector<double>& lambda, const std::vector<double>& theta) = 0;
  /// batch * A action priors p(a) in (0, 1).
  virtual void set_priors(const std::vector<double>& prior) = 0;

  /// Stationary averages of the stored policy and cost.
  virtual void action_totals(const Mask& active, std::vector<ActionTotals>* totals) = 0;
  /// The stored policy, S * A entries pi(a|s) at s * A + a.
  virtual void download_policy(int problem, std::vector<double>* pi) const = 0;
};

/// host::make_mdp_engine<Real>(shape), cuda::make_mdp_engine<Real>(shape).
NETRL_DECLARE_ENGINE_FACTORY(make_mdp_engine, MdpEngine, MdpShape)

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
