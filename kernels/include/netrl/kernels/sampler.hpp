#pragma once
// The chain sampler's runners behind one interface (no CUDA headers here): a run is a prepared
// request (host pointers to the chains' constants and the policy, all validated by the caller,
// netrl::sample in host/src/sampler.cpp) and an output of host arrays the counts are added into.
//
// The host backend (netrl::kernels::host) advances blocks of chains in lockstep on the OpenMP
// threads; the CUDA backend (netrl::kernels::cuda) runs one thread per chain. Both run the same
// step functors (kernels/common/sampler_step.hpp), so for a given request they produce the same
// counts and rasters bit for bit: the thresholds are computed without fused multiply-adds on
// either side, and every sum is an exact integer or an exact float64 sum. The reproducibility
// contract (random numbers, thresholds, input draws) is written down in
// kernels/common/sampler_math.hpp.
#include <cstdint>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// How the chains evaluate the spike thresholds, and so which policy arrays of the request they read.
enum class SamplerMethod {
  table,       // thresholds precomputed per (x, b, i): `table`
  exact,       // on the fly from W = V T^T: `w`, `logit_prior`, `scale`
  ising,       // on the fly from incrementally updated Ising fields: `J`, `h`, `logit_prior`, `scale`
  ising_gemm,  // Ising fields brought up to date by one GEMM per block of `gemm_block` steps
};

struct SampleRequest {
  // ---- the chains (MODEL.md sec. 2) ----------------------------------------------------------
  std::uint64_t seed = 0;  // the Philox key
  int n = 0;
  std::uint32_t nf = 0;  // free neurons
  std::uint32_t m = 1;   // input values
  const int* free_list = nullptr;            // nf neuron indices
  const std::uint64_t* input_cdf = nullptr;  // m * m, C[x][x'] = floor(2^32 running sum), see sampler_math.hpp
  std::uint64_t clamp_mask = 0, clamp_bits = 0;  // clamped neurons below 64 and their states
  const std::uint8_t* clamp_state = nullptr;     // n: 0 free, 1 clamped silent, 2 clamped active

  // ---- the policy ---------------------------------------------------------------------------
  SamplerMethod method = SamplerMethod::table;
  const std::uint32_t* table = nullptr;  // m * 2^n * n thresholds, thr[((x << n) | b) * n + i]
  std::uint64_t table_size = 0;
  const double* w = nullptr;  // m * 2^n input-averaged values w[(x << n) | b]
  std::uint64_t w_size = 0;
  const double* J = nullptr;            // n * n couplings (rounded, symmetric, zero diagonal)
  const double* h = nullptr;            // m * n fields h[x * n + i] (rounded)
  const double* logit_prior = nullptr;  // n
  double scale = 0.0;                   // 1 / (nf lambda) (exact), 2 / (nf lambda) (Ising)

  // ---- the run ------------------------------------------------------------------------------
  std::uint64_t first_chain = 0, chains = 0;
  std::uint64_t batch = 0;        // chains per batch (0: all); results do not depend on it
  std::uint64_t host_block = 64;  // host: chains advanced in lockstep by one thread (>= 1)
  std::uint64_t gemm_block = 64;  // ising_gemm: steps per GEMM
  std::uint64_t burn_in = 0, steps = 0, thin = 1;
  bool histogram = false, transitions = false, correlations = false;
  const std::uint64_t* raster_chains = nullptr;  // sorted, distinct
  std::uint64_t raster_count = 0;

  std::uint64_t samples_per_chain() const { return steps == 0 ? 0 : (steps + thin - 1) / thin; }
};

/// Host arrays the counts are added into (sizes as in netrl::SampleStats); null when not recorded.
struct SampleOutput {
  std::uint64_t* histogram = nullptr;    // m * 2^n
  std::uint64_t* transitions = nullptr;  // m * 2^n * (n + 1)
  std::uint64_t* spike_count = nullptr;  // (n + 1) * m (only without histogram)
  std::uint64_t* active = nullptr;       // n (only without histogram)
  std::uint64_t* coactive = nullptr;     // n * n (only without histogram, with correlations)
  std::uint8_t* const* raster_states = nullptr;     // raster_count arrays of samples * n (0/1), written
  std::uint32_t* const* raster_inputs = nullptr;    // raster_count arrays of samples, written
  std::uint64_t* flips = nullptr;                   // steps that changed a state
};

namespace host {
/// Rows of 0/1 samples each host thread buffers before a rank update of its pair counts (for the
/// caller's memory estimate).
constexpr int kPairBufferRows = 256;
/// Runs the chains on the OpenMP threads.
void run_sampler(const SampleRequest& request, const SampleOutput& output);
/// The threshold table of the request's exact or Ising policy (method exact or ising), at the
/// consistent states: table[((x << n) | b) * n + i] for every free i (other entries untouched).
void fill_threshold_table(const SampleRequest& request, std::uint32_t* table);
}  // namespace host

namespace cuda {
/// Runs the chains on the current device. Throws netrl::BackendError without a device or on any
/// CUDA failure, and netrl::InvalidInput when the device memory cannot hold one chain's batch.
void run_sampler(const SampleRequest& request, const SampleOutput& output);
}  // namespace cuda

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
