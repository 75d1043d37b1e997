#pragma once
// The batched kernels of the exact network solver behind one interface (no CUDA headers here).
//
// An engine holds B problems that share the number of free neurons nf and of input values m. Every
// problem lives in the compact state space of its consistent states: network state c in
// [0, 2^nf) (bit k of c is the k-th free neuron) and joint index s = x * 2^nf + c; problem q owns
// the contiguous block [q * m 2^nf, (q + 1) * m 2^nf) of every array. Clamped neurons never
// appear: the caller maps compact states to the model's full state space. State s = 0 of a block
// (x = 0, every free neuron silent) is the reference state of relative value iteration.
//
// Every step acts on the problems flagged in `active` and leaves the others untouched, so problems
// of a batch converge and stop independently. The policy is never stored: each sweep recomputes
// rho_i(b, x) = sigmoid(d_i(b, x) / (nf lambda) + logit p_i) from the values that define it.
//
// The host backend (netrl::kernels::host) runs the kernel bodies of kernels/common/ with OpenMP;
// the CUDA backend (netrl::kernels::cuda, built with NETRL_HAVE_CUDA) runs the same bodies as
// CUDA kernels and the input mixing with cuBLAS. The CUDA backend lives in a module,
// libnetrl_cuda.so, that the first call of a netrl::kernels::cuda function loads (only then are
// the CUDA libraries loaded); the CUDA engine's calls forward into it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netrl/kernels/batch_engine.hpp"
#include "netrl/kernels/engine_factory.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

struct EngineShape {
  int nf = 1;     // free neurons
  int m = 1;      // input values
  int batch = 1;  // problems
  /// Store the fixed policy (prepare_policy) as a table of nf 2^(nf-1) firing probabilities per
  /// input value and problem (nf / 2 more state-sized arrays): the power iteration (m > 1), the
  /// evaluation and the chain's matvecs then stream it instead of computing a sigmoid per pair,
  /// and the value iteration no longer advances mu alongside (value_stationary_step answers
  /// false; without input the solver needs no mu alongside either: has_gibbs_stationary). For
  /// the host, where the sweeps are bound by arithmetic; the caller checks that it fits.
  bool policy_table = false;
  std::uint64_t network_states() const { return std::uint64_t{1} << nf; }
  /// Joint states of one problem, m * 2^nf.
  std::uint64_t states() const { return network_states() * static_cast<std::uint64_t>(m); }
};

/// Number of state-sized arrays an engine allocates (per problem), for memory checks (the policy
/// table adds nf / 2).
double engine_arrays(const EngineShape& shape);

/// Stationary averages under the policy of the current values.
struct PairTotals {
  std::vector<double> spike;   // per free neuron: sum mu rho_i (the unnormalised prior update)
  std::vector<double> silent;  // per free neuron: sum mu (1 - rho_i), accurate near rho = 1
  double cost = 0.0;          // sum mu c
  double reward = 0.0;        // sum mu r
  double mass = 0.0;          // sum mu
};

/// The exact engine: the steps of BatchEngine on the compact state space above (S = m 2^nf), the
/// policy recomputed from h (prepare_policy fixes its source, the input-averaged h).
template <class Real>
class ExactEngine : public BatchEngine {
 public:
  virtual const EngineShape& shape() const = 0;

  // ---- problem data ----------------------------------------------------------------------
  /// batch * states rewards, compact order.
  virtual void set_rewards(const std::vector<Real>& reward) = 0;
  /// batch * m * m, row-major T[x * m + x'] = T(x'|x); `theta` (batch): the aperiodicity
  /// transform of every iteration, P -> theta P + (1 - theta) I (theta = 1, or 0.5 for a
  /// periodic input): the same fixed points, and the iterations converge.
  virtual void set_inputs(const std::vector<double>& transition, const std::vector<double>& theta) = 0;
  virtual void set_lambdas(const std::vector<double>& lambda) = 0;
  /// batch * nf firing priors p_i in (0, 1).
  virtual void set_priors(const std::vector<double>& prior) = 0;

  /// Stationary averages of the policy and cost (per-neuron reductions over pairs).
  virtual void pair_totals(const Mask& active, std::vector<PairTotals>* totals) = 0;

  /// The chain operations of BatchEngine on float64 vectors kept in the engine's memory (the
  /// device on CUDA, where apply_chain would copy 2 * 8 * states bytes over PCIe per matvec): a
  /// space of `slots` vectors of shape().states() entries (one problem's block), whose chain
  /// operations act on the engine's problems. GMRES runs on it without host copies. The space
  /// must not outlive the engine.
  virtual std::unique_ptr<ChainSpace> chain_space(int slots) = 0;
};

/// host::make_exact_engine<Real>(shape), cuda::make_exact_engine<Real>(shape).
NETRL_DECLARE_ENGINE_FACTORY(make_exact_engine, ExactEngine, EngineShape)

namespace host {
/// Bytes of memory the host backend may use (MemAvailable), for the caller's size check.
std::uint64_t available_memory();
}  // namespace host

namespace cuda {
/// True iff the CUDA backend is built, its module (libnetrl_cuda.so, loaded on first use) loads
/// and a device answers; otherwise `reason` says why. The one device check of every CUDA path
/// (exact engine, dense LU, sampler).
bool device_available(std::string* reason);
/// Free device memory in bytes (0 without a device, or where the CUDA module cannot be loaded).
std::uint64_t available_memory();
}  // namespace cuda

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
