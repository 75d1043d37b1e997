#pragma once
// The interface between the host sampler (host/src/sampler.cpp) and the CUDA sampler
// (kernels/cuda/sampler.cu). Plain C++: no CUDA headers. All pointers are host pointers; the CUDA
// side uploads what it needs and adds its counts into the output arrays.
#include <cstdint>
#include <string>

#include "sampler_step.hpp"

namespace netrl::kernels::cuda {

enum class PolicyKind { table, exact, ising };

struct SampleRequest {
  ChainConstants k;  // host pointers: free_list (nf), input_cdf (m * m), clamp_state (n)
  PolicyKind kind = PolicyKind::table;
  TablePolicy table;    // host pointer, table_size entries
  std::uint64_t table_size = 0;
  ExactPolicy exact;    // host pointers, w_size entries of w, n of logit_prior
  std::uint64_t w_size = 0;
  IsingPolicy ising;    // host pointers: J (n * n), h (m * n), logit_prior (n)
  bool ising_gemm = false;        // blocked formulation with cuBLAS
  std::uint64_t gemm_block = 64;  // steps per GEMM
  std::uint64_t first_chain = 0, chains = 0, batch = 0;  // batch: chains per launch (0 = all)
  std::uint64_t burn_in = 0, steps = 0, thin = 1;
  bool histogram = false, transitions = false, correlations = false;
  const std::uint64_t* raster_chains = nullptr;  // sorted, distinct
  std::uint64_t raster_count = 0;
};

struct SampleOutput {
  // Counts are added into these (sizes as in netrl::SampleStats); null when not recorded.
  std::uint64_t* histogram = nullptr;    // m * 2^n
  std::uint64_t* transitions = nullptr;  // m * 2^n * (n + 1)
  std::uint64_t* spike_count = nullptr;  // (n + 1) * m
  std::uint64_t* active = nullptr;       // n (only without histogram)
  std::uint64_t* coactive = nullptr;     // n * n (only without histogram, with correlations)
  std::uint8_t* raster = nullptr;        // raster_count * samples * n
  std::uint32_t* raster_inputs = nullptr;  // raster_count * samples
  std::uint64_t* flips = nullptr;          // steps that changed a state
};

/// Runs the chains on the current device. Throws netrl::BackendError on any CUDA failure and
/// netrl::InvalidInput when the device memory cannot hold the batch.
void run(const SampleRequest& request, const SampleOutput& output);

}  // namespace netrl::kernels::cuda
