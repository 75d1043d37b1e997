#pragma once
// Sampled dynamics (MODEL.md sec. 2 and 3, "Sampled"): many independent chains of the network
// dynamics under a given policy, with statistics accumulated on the fly, exactly reproducible from
// a seed on every backend and for every partition of the chains into batches. The contract of the
// random numbers and thresholds is written down in kernels/common/sampler_math.hpp; the
// configuration and outputs of `netrl sample` in docs/config-sample.md and docs/outputs.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/core/raster.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// The policy the chains follow.
struct SamplerPolicy {
  enum class Kind { exact, ising };
  Kind kind = Kind::exact;
  /// exact: the values v over m * 2^n states (s = x * 2^n + b), NaN allowed at states that
  /// contradict a clamp. The policy is rho_i = sigmoid(d_i / (nf lambda) + logit p_i).
  std::vector<double> values;
  /// ising: n * n couplings (row-major, symmetric; the diagonal is ignored) and fields h, either n
  /// entries (the same for every input) or m * n (h[x * n + i]). The policy is
  /// rho_i = sigmoid((2 / (nf lambda)) (h_i(x) + sum_{j != i} J_ij sigma_j) + logit p_i).
  /// J and h are rounded to multiples of 2^-30 (see sampler_step.hpp).
  std::vector<double> J;
  std::vector<double> h;
  /// Firing prior: n entries (entries of clamped neurons are ignored and may be NaN) or one
  /// shared entry.
  std::vector<double> prior;

  static SamplerPolicy exact(std::vector<double> values, std::vector<double> prior);
  static SamplerPolicy ising(std::vector<double> J, std::vector<double> h, std::vector<double> prior);
};

/// Which formulation runs the chains. `table`: thresholds precomputed for every (x, b, i) (small
/// n); `direct`: thresholds evaluated on the fly (exact policy from W = V T^T; Ising policy with
/// incrementally updated fields); `gemm`: Ising fields brought up to date by one GEMM per block of
/// steps (sampler_blocked.hpp); `automatic`: table when it fits in 64 MiB, else direct (on CUDA,
/// Ising chains with n >= 1024 use gemm).
enum class SamplerKernel { automatic, table, direct, gemm };
template <>
struct EnumNames<SamplerKernel> {
  static constexpr EnumName<SamplerKernel> table[] = {
      {"automatic", "auto", SamplerKernel::automatic}, {"table", "table", SamplerKernel::table},
      {"direct", "direct", SamplerKernel::direct},     {"gemm", "gemm", SamplerKernel::gemm}};
};
const char* to_string(SamplerKernel kernel);

struct SamplingOptions {
  std::uint64_t chains = 1000;
  /// The chains are numbered first_chain .. first_chain + chains - 1 (< 2^32); a chain's
  /// trajectory depends only on its number and the seed.
  std::uint64_t first_chain = 0;
  /// Recorded phase: after `burn_in` steps, `steps` more steps; the state before step t is
  /// recorded when (t - burn_in) is a multiple of `thin`, i.e. ceil(steps / thin) samples per chain.
  std::uint64_t steps = 1000;
  std::uint64_t burn_in = 0;
  std::uint64_t thin = 1;
  std::uint64_t seed = 0;
  /// host (OpenMP) or cuda; automatic means host.
  Backend backend = Backend::host;
  SamplerKernel kernel = SamplerKernel::automatic;
  /// Host backend: OpenMP threads of this run (0: the process default). Results do not depend on it.
  int threads = 0;
  /// Chains per batch (0: all at once). Results do not depend on it.
  std::uint64_t batch = 0;
  /// Host only: chains advanced in lockstep by one thread (0: chosen from n). Results do not depend on it.
  std::uint64_t host_block = 0;
  /// Steps per GEMM of the gemm kernel.
  std::uint64_t gemm_block = 64;
  /// Histogram over the m * 2^n states (default: on iff n <= kMaxHistogramNeurons).
  std::optional<bool> histogram;
  /// Transition counts (needs the histogram): for each recorded state s and its successor b',
  /// column i < n if b' = b xor 2^i, column n if b' = b.
  bool transitions = false;
  /// Pairwise co-activation counts (default on iff n <= kMaxCorrelationNeurons).
  std::optional<bool> correlations;
  /// Chains whose recorded states are kept (a raster).
  std::vector<std::uint64_t> raster_chains;

  static constexpr int kMaxHistogramNeurons = 24;
  static constexpr int kMaxTableNeurons = 24;
  static constexpr int kMaxCorrelationNeurons = 4096;
};

/// Counts over all recorded samples of all chains. Order-independent integer sums.
struct SampleStats {
  int n = 0;
  int m = 1;
  std::uint64_t chains = 0;
  std::uint64_t samples_per_chain = 0;
  std::uint64_t samples() const { return chains * samples_per_chain; }
  /// Steps that changed a neuron's state, over all steps (burn-in included).
  std::uint64_t flips = 0;
  /// histogram[x * 2^n + b] (empty when not recorded).
  std::vector<std::uint64_t> histogram;
  /// transitions[(x * 2^n + b) * (n + 1) + j] (empty when not recorded).
  std::vector<std::uint64_t> transitions;
  /// spike_count[K * m + x]: samples with K active neurons under input x.
  std::vector<std::uint64_t> spike_count;
  /// active[i]: samples with neuron i active.
  std::vector<std::uint64_t> active;
  /// coactive[i * n + j]: samples with neurons i and j both active (empty when not recorded).
  std::vector<std::uint64_t> coactive;
  /// The recorded states of the chains in SamplingOptions::raster_chains (samples_per_chain
  /// steps each, with their inputs).
  std::vector<Raster> rasters;
};

struct SampleResult {
  SampleStats stats;
  Backend backend = Backend::host;
  std::string kernel;
  std::uint64_t seed = 0;
  std::uint64_t updates = 0;  // chains * (burn_in + steps) neuron updates
  double elapsed_seconds = 0.0;
};

/// The network part of a sampling problem: n (up to kMaxSamplerNeurons for Ising policies, the
/// model's own limit otherwise), the input, lambda and clamps. The reward is not used.
constexpr int kMaxSamplerNeurons = 16384;

/// Runs the chains. Throws InvalidInput (naming the field: "sampling.chains", "policy.J", ...)
/// for inconsistent inputs and for memory needs beyond the machine, before allocating.
SampleResult sample(const NetworkModel& model, const SamplerPolicy& policy, const SamplingOptions& options);

/// InvalidInput ("sampling.steps") unless chains x (burn_in + steps) lies within the sample_steps
/// limit. sample() checks it; a caller that reads large inputs first (a policy's files) checks it
/// before.
void check_sample_work(const SamplingOptions& options);

NETRL_NAMESPACE_END  // namespace netrl
