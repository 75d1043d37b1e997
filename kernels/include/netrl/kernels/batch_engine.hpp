#pragma once
// The steps every batched engine shares (the exact engine, ExactEngine, and the general-MDP
// engine, MdpEngine), behind one interface (no CUDA headers here).
//
// An engine holds B problems of S states each; problem q owns the block [q S, (q + 1) S) of every
// state array, and state 0 of a block is the reference state of relative value iteration. Every
// step acts on the problems flagged in `active` and leaves the others untouched, so problems of a
// batch converge and stop independently. Each iteration keeps two buffers per problem (the
// current one and the next), and an `accept_*` call makes the next one current where `advance` is
// set. theta is the aperiodicity factor of the problem (1, or 0.5 for a periodic chain): every
// iteration uses theta P + (1 - theta) I, with the same fixed points.
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// Statistics of d = T h - h over one problem's states (span bounds of value iteration).
struct SpanStats {
  double lo = 0.0;
  double hi = 0.0;
  double max_abs = 0.0;  // max |T h|, the scale of rounding noise
  std::uint64_t nonfinite = 0;
};

/// One power-iteration step of the stationary distribution.
struct MuStats {
  double change = 0.0;  // sum |mu' - mu|
  double mass = 0.0;    // sum mu'
  std::uint64_t nonfinite = 0;
};

using Mask = std::vector<std::uint8_t>;

class BatchEngine {
 public:
  virtual ~BatchEngine() = default;
  /// "host (-march=x86-64-v3, 2 OpenMP threads)", "cuda (NVIDIA H100 ...)".
  virtual std::string description() const = 0;

  // ---- relative value iteration on h ----------------------------------------------------
  /// h = 0 where `which` is set.
  virtual void reset_values(const Mask& which) = 0;
  /// T h, the statistics of T h - h, and h_next = theta (T h - (T h)(0)) + (1 - theta) h (not
  /// yet accepted).
  virtual void value_step(const Mask& active, std::vector<SpanStats>* stats) = 0;
  /// The soft Bellman sweep T h alone (the first half of value_step; for benchmarks).
  virtual void bellman(const Mask& active) = 0;
  /// h <- h_next where `advance` is set.
  virtual void accept_values(const Mask& advance) = 0;
  /// value_step and, in the same sweep, stationary_step under the greedy policy of the same h
  /// (before the step): mu_next with its statistics (accept it with accept_stationary). False,
  /// with nothing done, where the engine has no fused sweep (then value_step alone).
  virtual bool value_stationary_step(const Mask& /*active*/, const std::vector<double>& /*scale*/,
                                     std::vector<SpanStats>* /*stats*/, std::vector<MuStats>* /*mu_stats*/) {
    return false;
  }

  // ---- the greedy policy of h and its stationary distribution ------------------------------
  /// mu = uniform where `which` is set.
  virtual void reset_stationary(const Mask& which) = 0;
  /// Fixes the policy of the current h for every step below.
  virtual void prepare_policy(const Mask& active) = 0;
  /// mu_next = scale * (theta mu P + (1 - theta) mu) (the adjoint sweep), with its statistics.
  virtual void stationary_step(const Mask& active, const std::vector<double>& scale,
                               std::vector<MuStats>* stats) = 0;
  virtual void accept_stationary(const Mask& advance) = 0;
  /// Whether the stationary distribution of the fixed policy is known in closed form: an
  /// input-free network (m = 1), whose greedy policy of h is the random-scan Gibbs sampler of
  /// mu(b) ~ exp(h(b) / (nf lambda)) prod_i p_i^b_i (1 - p_i)^(1 - b_i). Then no power iteration
  /// is needed (gibbs_stationary), and value iteration need not advance mu alongside.
  virtual bool has_gibbs_stationary() const { return false; }
  /// With has_gibbs_stationary: mu_next = that distribution, up to a factor, for the policy
  /// prepared from the current h and priors, with its mass (accept it with accept_stationary).
  virtual void gibbs_stationary(const Mask& /*active*/, std::vector<MuStats>* /*stats*/) {
    throw BackendError("this engine has no closed-form stationary distribution");
  }
  /// gibbs_stationary for problem q alone (`one` flags q), accepted, and downloaded into *mu
  /// divided by its mass, with the statistics of gibbs_stationary. The engine keeps the undivided
  /// distribution as its current mu (set_stationary puts *mu back). Check the statistics: *mu
  /// holds no distribution where the mass is not finite and positive or entries are not finite.
  void gibbs_distribution(const Mask& one, int q, std::vector<double>* mu, std::vector<MuStats>* stats) {
    gibbs_stationary(one, stats);
    accept_stationary(one);
    download_stationary(q, mu);
    const double mass = (*stats)[static_cast<std::size_t>(q)].mass;
    for (double& x : *mu) x /= mass;
  }

  // ---- evaluation of the fixed policy (prepare_policy) on values v ------------------------
  /// v = h where `which` is set. The evaluation steps that follow are those of this policy and h:
  /// a value step (or set_values) in between may invalidate them (the exact engine keeps the
  /// policy's one-step reward in h's spare buffer).
  virtual void start_evaluation(const Mask& which) = 0;
  /// T_pi v = r - lambda c + P v, the statistics of T_pi v - v, and the relative v_next.
  virtual void evaluation_step(const Mask& active, std::vector<SpanStats>* stats) = 0;
  virtual void accept_evaluation(const Mask& advance) = 0;

  // ---- the chain of the fixed policy (prepare_policy), for Krylov solves --------------------
  // Vectors in these calls are float64 over the whole batch (batch * S); only the blocks of the
  // problems flagged in `active`/`which` are read or written. They are plain P, not the
  // aperiodicity transform of the iterations: a Krylov solve of (I - P) needs no aperiodicity
  // (and with the transform, I - P_theta = theta (I - P) would scale the bias by 1 / theta).
  // Transfers: each call copies the active blocks of x in and of y out (memcpy on the host; on
  // CUDA one host-device copy each way). The operand is staged in the scratch buffer of
  // evaluation_step's v_next: a pending (not accepted) evaluation step is overwritten.
  /// y = P x (`adjoint` false: y(s) = sum_s' P(s'|s) x(s')) or y = x P (`adjoint` true).
  virtual void apply_chain(const Mask& active, bool adjoint, const double* x, double* y) = 0;
  /// g = r - lambda c, the one-step reward of the fixed policy.
  virtual void policy_reward(const Mask& active, double* g) = 0;
  /// h = values (the policy source of the next prepare_policy) where `which` is set.
  virtual void set_values(const Mask& which, const double* values) = 0;
  /// mu = values where `which` is set (the distribution of the stationary totals; mass as given).
  virtual void set_stationary(const Mask& which, const double* values) = 0;

  // ---- results (one problem, S entries) ------------------------------------------------------
  virtual void download_values(int problem, std::vector<double>* h) const = 0;
  virtual void download_evaluation(int problem, std::vector<double>* v) const = 0;
  virtual void download_stationary(int problem, std::vector<double>* mu) const = 0;
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
