#pragma once
// The CUDA chain sampler's kernels: one thread per chain, running the step functors of
// kernels/common/sampler_{step,blocked}.hpp (the host runs the same functors), and the recorder of
// the counts and rasters. Included by sampler.cu only, which is built with -fmad=false so that
// every threshold is computed exactly as on the host.
#include <cuda_runtime.h>

#include <cstdint>
#include <cub/block/block_reduce.cuh>

#include "../common/sampler_blocked.hpp"
#include "../common/sampler_step.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda::sampling {

using ull = unsigned long long;

__device__ __forceinline__ void add_one(std::uint64_t* counter) {
  atomicAdd(reinterpret_cast<ull*>(counter), 1ull);
}

/// Threads per block of the sampler's kernels.
constexpr unsigned kThreads = 128;
inline unsigned blocks_for(std::uint64_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

/// Adds the block's per-thread flip counts to the one global counter: one atomic per block
/// instead of one per thread (every thread of the block must call it).
__device__ __forceinline__ void add_block_flips(std::uint64_t* flips, ull changed) {
  using BlockReduce = cub::BlockReduce<ull, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const ull total = BlockReduce(temp).Sum(changed);
  if (threadIdx.x == 0 && total != 0) atomicAdd(reinterpret_cast<ull*>(flips), total);
}

/// Histograms of at most this many states are counted in shared memory by the word kernels (32 KiB
/// of 32-bit counts), then added to the global one per block and launch.
constexpr std::uint64_t kSharedBins = 8192;

/// Device pointers of the counts and of the raster of one batch.
struct Recorder {
  std::uint64_t burn_in = 0, thin = 1;
  int n = 0;
  std::uint32_t m = 1;
  std::uint64_t* histogram = nullptr;
  std::uint64_t* transitions = nullptr;
  std::uint64_t* spike_count = nullptr;
  std::uint64_t* active = nullptr;    // word kernels without histogram
  std::uint64_t* coactive = nullptr;  // word kernels without histogram, with correlations
  const std::int32_t* raster_slot = nullptr;  // per chain of the batch, -1 if none
  std::uint8_t* raster = nullptr;             // [slot][sample][n]
  std::uint32_t* raster_inputs = nullptr;     // [slot][sample]
  std::uint64_t samples = 0;
  std::uint64_t* flips = nullptr;  // one counter
  std::uint64_t shared_bins = 0;   // > 0: the word kernels count the histogram in shared memory
  std::uint32_t* local = nullptr;  // that block-local histogram (set inside the kernel)

  __device__ bool recorded(std::uint64_t t) const { return t >= burn_in && (t - burn_in) % thin == 0; }

  /// A recorded word state (b, x) and its successor b'.
  __device__ void word(std::uint64_t k, std::uint64_t t, std::uint64_t b, std::uint32_t x, std::uint64_t next_b) const {
    const std::uint64_t s = (static_cast<std::uint64_t>(x) << n) | b;
    if (histogram) {
      if (local != nullptr) {
        atomicAdd(local + s, 1u);
      } else {
        add_one(histogram + s);
      }
      if (transitions) {
        const std::uint64_t diff = b ^ next_b;
        add_one(transitions + s * static_cast<std::uint64_t>(n + 1) + static_cast<std::uint64_t>(diff ? lowest_bit(diff) : n));
      }
    } else {
      add_one(spike_count + static_cast<std::uint64_t>(popcount64(b)) * m + x);
      for (std::uint64_t r = b; r; r &= r - 1) {
        const int i = lowest_bit(r);
        add_one(active + i);
        if (coactive)
          for (std::uint64_t q = r; q; q &= q - 1) add_one(coactive + static_cast<std::uint64_t>(i) * n + lowest_bit(q));
      }
    }
    if (raster_slot[k] >= 0) {
      const std::uint64_t sample = (t - burn_in) / thin;
      const std::uint64_t base = static_cast<std::uint64_t>(raster_slot[k]) * samples + sample;
      for (int i = 0; i < n; ++i) raster[base * n + i] = static_cast<std::uint8_t>((b >> i) & 1u);
      raster_inputs[base] = x;
    }
  }

  /// A recorded Ising state without histogram: spike count and raster (pairs go through cuBLAS).
  __device__ void ising(std::uint64_t k, std::uint64_t t, const IsingScalars& s, const std::uint8_t* sigma,
                        std::uint64_t stride) const {
    add_one(spike_count + static_cast<std::uint64_t>(s.spikes) * m + s.x);
    if (raster_slot[k] >= 0) {
      const std::uint64_t sample = (t - burn_in) / thin;
      const std::uint64_t base = static_cast<std::uint64_t>(raster_slot[k]) * samples + sample;
      for (int i = 0; i < n; ++i) raster[base * n + i] = sigma[i * stride];
      raster_inputs[base] = s.x;
    }
  }
};

template <class Policy>
__global__ void word_init(SmallStepper<Policy> step, SmallChain* state, std::uint64_t first, std::uint64_t count) {
  const std::uint64_t k = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (k < count) state[k] = step.initial(first + k);
}

/// The word kernels' steps t0 .. t1 - 1. With rec.shared_bins, the histogram is counted in
/// dynamic shared memory (rec.shared_bins 32-bit counts) and added to the global one at the end;
/// counts are integers, so the result is the same whatever the order of the additions.
template <class Policy>
__global__ void __launch_bounds__(kThreads) word_run(SmallStepper<Policy> step, SmallChain* state, std::uint64_t first,
                                                     std::uint64_t count, std::uint64_t t0, std::uint64_t t1, Recorder rec) {
  extern __shared__ std::uint32_t netrl_local_bins[];
  const std::uint64_t k = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (rec.shared_bins > 0) {
    for (std::uint64_t j = threadIdx.x; j < rec.shared_bins; j += blockDim.x) netrl_local_bins[j] = 0;
    __syncthreads();
    rec.local = netrl_local_bins;
  }
  ull changed = 0;
  if (k < count) {  // no early return: the whole block takes part in the reductions below
    const std::uint64_t chain = first + k;
    SmallChain s = state[k];
    for (std::uint64_t t = t0; t < t1; ++t) {
      const SmallChain next = step(chain, t, s);
      if (rec.recorded(t)) rec.word(k, t, s.b, s.x, next.b);
      changed += next.b != s.b ? 1u : 0u;
      s = next;
    }
    state[k] = s;
  }
  if (rec.shared_bins > 0) {
    __syncthreads();
    for (std::uint64_t j = threadIdx.x; j < rec.shared_bins; j += blockDim.x) {
      const std::uint32_t c = netrl_local_bins[j];
      if (c != 0) atomicAdd(reinterpret_cast<ull*>(rec.histogram + j), static_cast<ull>(c));
    }
  }
  add_block_flips(rec.flips, changed);
}

__global__ void ising_init(IsingStepper step, IsingScalars* scalars, std::uint8_t* sigma, double* spins,
                           std::uint64_t first, std::uint64_t count, std::uint64_t stride) {
  const std::uint64_t k = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (k >= count) return;  // rows count .. stride - 1 of the batch are not used
  scalars[k] = step.initial(first + k, sigma + k, stride);
  for (int i = 0; i < step.k.n; ++i) spins[i * stride + k] = sigma[i * stride + k] ? 1.0 : -1.0;
}

/// Steps t0 .. t1 - 1 of Ising chain k (state s, sigma_k its column of sigma), each by step(t)
/// (the flipped neuron or -1) and recorded by rec. Returns the number of flips.
template <class Step>
__device__ ull ising_steps(const Recorder& rec, std::uint64_t k, std::uint64_t t0, std::uint64_t t1, IsingScalars& s,
                           const std::uint8_t* sigma_k, std::uint64_t stride, const Step& step) {
  ull changed = 0;
  for (std::uint64_t t = t0; t < t1; ++t) {
    const bool record = rec.recorded(t);
    if (record && !rec.histogram) rec.ising(k, t, s, sigma_k, stride);
    const std::uint64_t b = s.b;
    const std::uint32_t x = s.x;
    changed += step(t) >= 0 ? 1u : 0u;
    if (record && rec.histogram) rec.word(k, t, b, x, s.b);
  }
  return changed;
}

/// The Ising kernels' body: this thread's chain k (if k < count) with its scalars s loaded, run by
/// run(k, chain, s) (which returns its flips, and may change s), s stored back, and the block's
/// flips counted.
template <class Run>
__device__ void ising_chain(const Recorder& rec, IsingScalars* scalars, std::uint64_t first, std::uint64_t count,
                            const Run& run) {
  const std::uint64_t k = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  ull changed = 0;
  if (k < count) {  // no early return: the whole block takes part in add_block_flips
    IsingScalars s = scalars[k];
    changed = run(k, first + k, s);
    scalars[k] = s;
  }
  add_block_flips(rec.flips, changed);
}

__global__ void __launch_bounds__(kThreads) ising_run(IsingStepper step, IsingScalars* scalars, std::uint8_t* sigma,
                                                     double* field, std::uint64_t first, std::uint64_t count,
                                                     std::uint64_t stride, std::uint64_t t0, std::uint64_t t1,
                                                     Recorder rec) {
  ising_chain(rec, scalars, first, count, [&](std::uint64_t k, std::uint64_t chain, IsingScalars& s) {
    return ising_steps(rec, k, t0, t1, s, sigma + k, stride,
                       [&](std::uint64_t t) { return step(chain, t, s, sigma + k, field + k, stride); });
  });
}

__global__ void __launch_bounds__(kThreads) ising_blocked_run(IsingBlockedStepper step, IsingScalars* scalars,
                                                             std::uint8_t* sigma, const double* stale_field,
                                                             std::int32_t* flips, std::int32_t* flip_count, double* delta,
                                                             std::uint64_t first, std::uint64_t count,
                                                             std::uint64_t stride, std::uint64_t t0, std::uint64_t t1,
                                                             Recorder rec) {
  ising_chain(rec, scalars, first, count, [&](std::uint64_t k, std::uint64_t chain, IsingScalars& s) {
    std::int32_t nflips = flip_count[k];
    const ull changed = ising_steps(rec, k, t0, t1, s, sigma + k, stride, [&](std::uint64_t t) {
      return step(chain, t, s, sigma + k, stale_field + k, flips + k, nflips, delta + k, stride);
    });
    flip_count[k] = nflips;
    return changed;
  });
}

/// The 0/1 state matrix (batch x n, column-major) of the current states, for the pair counts.
__global__ void states_to_matrix(const std::uint8_t* sigma, double* S, std::uint64_t total) {
  const std::uint64_t k = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (k < total) S[k] = sigma[k] ? 1.0 : 0.0;
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda::sampling
