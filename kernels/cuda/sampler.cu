// The CUDA chain sampler: one thread per chain, running the step functors of
// kernels/common/sampler_{step,blocked}.hpp (the host runs the same functors). Built with
// -fmad=false so that every threshold is computed exactly as on the host.
//
// Layout: per-chain arrays of a batch are "structure of arrays" with stride = batch (neuron i of
// chain c at [i * batch + c]), so that a warp's accesses coalesce and the fields form the
// column-major batch x n matrix F that cuBLAS updates: initial fields F = S J and, for the gemm
// kernel, F += D J once per block of steps. Fields are exact float64 sums (sampler_step.hpp), so
// these GEMMs give bit-identical fields to the host's incremental updates. Counts are integer
// atomics (order-independent); the pair counts of large Ising networks are a DSYRK of the 0/1
// state matrix at each recorded step (exact integers in float64). The kernels add their flip counts
// once per block (CUB's BlockReduce) and the word kernels count small histograms in shared memory.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "../common/sampler_request.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "netrl/core/error.hpp"
#include "module_abi.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "sampler_kernels.cuh"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

using namespace sampling;

class CublasHandle {
 public:
  CublasHandle() {
    NETRL_CUBLAS_CHECK(cublasCreate(&h_));
    // Plain IEEE float64 arithmetic: no emulation, no reduced-precision modes.
    NETRL_CUBLAS_CHECK(cublasSetMathMode(h_, CUBLAS_PEDANTIC_MATH));
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle() { cublasDestroy(h_); }
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

/// Steps per launch: enough work per launch, a bounded time per launch.
constexpr std::uint64_t kStepsPerLaunch = 256;

/// The next recorded time >= t (or `never`).
std::uint64_t next_record(std::uint64_t t, const SampleRequest& rq, std::uint64_t never) {
  if (t <= rq.burn_in) return rq.burn_in;
  const std::uint64_t k = (t - rq.burn_in + rq.thin - 1) / rq.thin;
  const std::uint64_t r = rq.burn_in + k * rq.thin;
  return r < rq.burn_in + rq.steps ? r : never;
}

struct Counts {
  Array<std::uint64_t> histogram, transitions, spike_count, active, coactive;
  Array<double> active_f, coactive_f;  // Ising pair counts through cuBLAS
  Array<std::uint8_t> raster;
  Array<std::uint32_t> raster_inputs;
  Array<std::uint64_t> flips;
};

std::uint64_t batch_size(const SampleRequest& rq, std::uint64_t bytes_per_chain, std::uint64_t fixed_bytes) {
  std::size_t free_bytes = 0, total_bytes = 0;
  NETRL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const double usable = 0.8 * static_cast<double>(free_bytes) - static_cast<double>(fixed_bytes);
  if (usable < static_cast<double>(bytes_per_chain)) {
    std::ostringstream os;
    os << "the device has " << free_bytes / (1 << 20) << " MiB free; the run needs " << fixed_bytes / (1 << 20)
       << " MiB of tables and counts plus " << bytes_per_chain << " bytes per chain";
    throw InvalidInput("sampling", os.str());
  }
  const auto fit = static_cast<std::uint64_t>(usable / static_cast<double>(bytes_per_chain));
  std::uint64_t batch = rq.batch == 0 ? rq.chains : std::min(rq.batch, rq.chains);
  return std::max<std::uint64_t>(1, std::min(batch, fit));
}

}  // namespace

void run_sampler(const SampleRequest& rq, const SampleOutput& out) {
  std::string reason;
  if (!device_available(&reason)) throw BackendError("cuda sampler: " + reason);
  const int n = rq.n;
  const std::uint32_t m = rq.m;
  const std::uint64_t states = static_cast<std::uint64_t>(m) << std::min(n, 62);
  const std::uint64_t samples = rq.samples_per_chain();
  const std::uint64_t total_steps = rq.burn_in + rq.steps;
  const bool ising = rq.method == SamplerMethod::ising || rq.method == SamplerMethod::ising_gemm;
  const bool ising_gemm = rq.method == SamplerMethod::ising_gemm;
  const bool pairs_by_blas = ising && !rq.histogram && rq.correlations;

  // Constants of the step, on the device.
  Array<int> free_list(rq.free_list, rq.nf);
  Array<std::uint64_t> cdf(rq.input_cdf, static_cast<std::uint64_t>(m) * m);
  Array<std::uint8_t> clamp_state(rq.clamp_state, static_cast<std::uint64_t>(n));
  ChainConstants k = chain_constants(rq);
  k.free_list = free_list.data();
  k.input_cdf = cdf.data();
  k.clamp_state = clamp_state.data();

  Array<std::uint32_t> table;
  Array<double> w, logit, J, h;
  std::uint64_t fixed = 0;
  if (rq.method == SamplerMethod::table) {
    table = Array<std::uint32_t>(rq.table, rq.table_size);
    fixed += rq.table_size * 4;
  } else if (rq.method == SamplerMethod::exact) {
    w = Array<double>(rq.w, rq.w_size);
    logit = Array<double>(rq.logit_prior, static_cast<std::uint64_t>(n));
    fixed += rq.w_size * 8;
  } else {
    J = Array<double>(rq.J, static_cast<std::uint64_t>(n) * n);
    h = Array<double>(rq.h, static_cast<std::uint64_t>(m) * n);
    logit = Array<double>(rq.logit_prior, static_cast<std::uint64_t>(n));
    fixed += static_cast<std::uint64_t>(n) * n * 8;
  }

  Counts c;
  if (rq.histogram) {
    c.histogram = Array<std::uint64_t>(states);
    c.histogram.zero();
    fixed += states * 8;
    if (rq.transitions) {
      c.transitions = Array<std::uint64_t>(states * static_cast<std::uint64_t>(n + 1));
      c.transitions.zero();
      fixed += states * (n + 1) * 8;
    }
  } else {
    c.spike_count = Array<std::uint64_t>(static_cast<std::uint64_t>(n + 1) * m);
    c.spike_count.zero();
    if (pairs_by_blas || (ising && !rq.correlations)) {
      c.active_f = Array<double>(static_cast<std::uint64_t>(n));
      c.active_f.zero();
      if (rq.correlations) {
        c.coactive_f = Array<double>(static_cast<std::uint64_t>(n) * n);
        c.coactive_f.zero();
      }
    } else {
      c.active = Array<std::uint64_t>(static_cast<std::uint64_t>(n));
      c.active.zero();
      if (rq.correlations) {
        c.coactive = Array<std::uint64_t>(static_cast<std::uint64_t>(n) * n);
        c.coactive.zero();
      }
    }
    fixed += static_cast<std::uint64_t>(n) * n * 8;
  }
  c.raster = Array<std::uint8_t>(rq.raster_count * samples * static_cast<std::uint64_t>(n));
  c.raster_inputs = Array<std::uint32_t>(rq.raster_count * samples);
  fixed += rq.raster_count * samples * (n + 4);
  c.flips = Array<std::uint64_t>(1);
  c.flips.zero();

  // Per-chain bytes of a batch.
  std::uint64_t per_chain = 8;  // raster slot and slack
  if (!ising) per_chain += sizeof(SmallChain);
  else per_chain += sizeof(IsingScalars) + static_cast<std::uint64_t>(n) * (1 + 8 + 8);  // sigma, field, S
  if (ising && ising_gemm) per_chain += static_cast<std::uint64_t>(n) * 8 + rq.gemm_block * 4 + 4;
  const std::uint64_t batch = batch_size(rq, per_chain, fixed);

  CublasHandle blas;
  const std::vector<std::uint64_t> raster_chains(rq.raster_chains, rq.raster_chains + rq.raster_count);
  Recorder rec;
  rec.burn_in = rq.burn_in;
  rec.thin = rq.thin;
  rec.n = n;
  rec.m = m;
  rec.histogram = c.histogram.data();
  rec.transitions = c.transitions.data();
  rec.spike_count = c.spike_count.data();
  rec.active = c.active.data();
  rec.coactive = c.coactive.data();
  rec.raster = c.raster.data();
  rec.raster_inputs = c.raster_inputs.data();
  rec.samples = samples;
  rec.flips = c.flips.data();
  // Small histograms recorded often enough are counted in shared memory (sampler_kernels.cuh):
  // cheaper atomics than the global ones of popular states, as long as a block records at least
  // one count per bin and launch on average (otherwise clearing and adding the bins costs more).
  const std::uint64_t recorded_per_block = kThreads * kStepsPerLaunch / rq.thin;
  if (!ising && rq.histogram && states <= kSharedBins && recorded_per_block >= states) rec.shared_bins = states;
  const std::size_t word_shared_bytes = rec.shared_bins * sizeof(std::uint32_t);

  Array<std::int32_t> slots(batch);
  std::vector<std::int32_t> host_slots(batch);
  Array<SmallChain> word_state(ising ? 0 : batch);
  Array<IsingScalars> scalars(ising ? batch : 0);
  Array<std::uint8_t> sigma(ising ? batch * n : 0);
  Array<double> field(ising ? batch * n : 0), spins(ising ? batch * n : 0);
  Array<double> delta(ising && ising_gemm ? batch * n : 0);
  Array<std::int32_t> flips(ising && ising_gemm ? batch * rq.gemm_block : 0);
  Array<std::int32_t> flip_count(ising && ising_gemm ? batch : 0);
  const std::uint64_t stride = batch;
  const std::vector<double> host_ones(ising ? batch : 0, 1.0);
  Array<double> ones(host_ones.data(), host_ones.size());
  const double one = 1.0, zero = 0.0;
  const int ni = n, si = static_cast<int>(stride);

  for (std::uint64_t done = 0; done < rq.chains; done += batch) {
    const std::uint64_t first = rq.first_chain + done;
    const std::uint64_t count = std::min(batch, rq.chains - done);
    for (std::uint64_t j = 0; j < batch; ++j) {
      const auto it = std::lower_bound(raster_chains.begin(), raster_chains.end(), first + j);
      host_slots[j] = (j < count && it != raster_chains.end() && *it == first + j)
                          ? static_cast<std::int32_t>(it - raster_chains.begin())
                          : -1;
    }
    NETRL_CUDA_CHECK(cudaMemcpy(slots.data(), host_slots.data(), batch * sizeof(std::int32_t), cudaMemcpyHostToDevice));
    rec.raster_slot = slots.data();

    if (!ising) {
      auto run_word = [&](auto policy) {
        const SmallStepper<decltype(policy)> step{k, policy};
        word_init<<<blocks_for(count), kThreads>>>(step, word_state.data(), first, count);
        NETRL_CUDA_AFTER_LAUNCH("word_init");
        for (std::uint64_t t = 0; t < total_steps; t += kStepsPerLaunch) {
          word_run<<<blocks_for(count), kThreads, word_shared_bytes>>>(step, word_state.data(), first, count, t,
                                                                       std::min(total_steps, t + kStepsPerLaunch), rec);
          NETRL_CUDA_AFTER_LAUNCH("word_run");
        }
      };
      if (rq.method == SamplerMethod::table) run_word(TablePolicy{table.data(), n});
      else run_word(ExactPolicy{w.data(), logit.data(), rq.scale, n});
      continue;
    }

    const int ci = static_cast<int>(count);  // rows of the batch's matrices (leading dimension: stride)
    const IsingPolicy policy{J.data(), h.data(), logit.data(), rq.scale, n};
    const IsingStepper step{k, policy};
    const IsingBlockedStepper blocked{k, policy};
    ising_init<<<blocks_for(count), kThreads>>>(step, scalars.data(), sigma.data(), spins.data(), first, count, stride);
    NETRL_CUDA_AFTER_LAUNCH("ising_init");
    // F = S J (S: the batch's +-1 states, column-major batch x n).
    NETRL_CUBLAS_CHECK(cublasDgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, ci, ni, ni, &one, spins.data(), si, J.data(), ni,
                                     &zero, field.data(), si));
    if (ising_gemm) {
      delta.zero();
      flip_count.zero();
    }
    const std::uint64_t never = ~std::uint64_t{0};
    std::uint64_t t = 0;
    while (t < total_steps) {
      std::uint64_t t_end = std::min(total_steps, t + kStepsPerLaunch);
      if (ising_gemm) t_end = std::min(t_end, (t / rq.gemm_block + 1) * rq.gemm_block);
      const std::uint64_t rec_t = next_record(t, rq, never);
      if (!rq.histogram && rec_t == t) {
        // Activity and pairs of the states before step t, through cuBLAS (exact integer sums).
        states_to_matrix<<<blocks_for(stride * n), kThreads>>>(sigma.data(), spins.data(), stride * n);
        NETRL_CUDA_AFTER_LAUNCH("states_to_matrix");
        NETRL_CUBLAS_CHECK(cublasDgemv(blas.get(), CUBLAS_OP_T, ci, ni, &one, spins.data(), si, ones.data(), 1, &one,
                                         c.active_f.data(), 1));
        if (rq.correlations) {
          NETRL_CUBLAS_CHECK(cublasDsyrk(blas.get(), CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, ni, ci, &one, spins.data(), si,
                                           &one, c.coactive_f.data(), ni));
        }
      }
      if (!rq.histogram) {
        // Stop before the next recorded step, whose pairs are counted between launches.
        const std::uint64_t upcoming = next_record(t + 1, rq, never);
        if (upcoming < t_end) t_end = upcoming;
      }
      if (ising_gemm) {
        ising_blocked_run<<<blocks_for(count), kThreads>>>(blocked, scalars.data(), sigma.data(), field.data(), flips.data(),
                                                          flip_count.data(), delta.data(), first, count, stride, t, t_end, rec);
        NETRL_CUDA_AFTER_LAUNCH("ising_blocked_run");
        if (t_end % rq.gemm_block == 0 || t_end == total_steps) {
          // F += D J, then a fresh block.
          NETRL_CUBLAS_CHECK(cublasDgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, ci, ni, ni, &one, delta.data(), si, J.data(), ni,
                                           &one, field.data(), si));
          delta.zero();
          flip_count.zero();
        }
      } else {
        ising_run<<<blocks_for(count), kThreads>>>(step, scalars.data(), sigma.data(), field.data(), first, count, stride, t,
                                                  t_end, rec);
        NETRL_CUDA_AFTER_LAUNCH("ising_run");
      }
      t = t_end;
    }
  }
  NETRL_CUDA_CHECK(cudaDeviceSynchronize());

  // Download and add. The cuBLAS counts (active_f, coactive_f) are exact integers held in doubles.
  auto add = [&](const auto& d, std::uint64_t* host) {
    if (!host || d.size() == 0) return;
    const auto v = d.download();
    for (std::uint64_t i = 0; i < v.size(); ++i) host[i] += static_cast<std::uint64_t>(v[i]);
  };
  // Pair counts held once per pair, at row-major (i, j) with i <= j: the word kernel's upper
  // triangle, and the same entries as the column-major lower triangle cuBLAS fills. Mirrored.
  const auto un = static_cast<std::uint64_t>(n);
  auto add_pairs = [&](const auto& d, std::uint64_t* host) {
    if (!host || d.size() == 0) return;
    const auto v = d.download();
    for (std::uint64_t i = 0; i < un; ++i)
      for (std::uint64_t j = i; j < un; ++j) {
        const auto value = static_cast<std::uint64_t>(v[i * un + j]);
        host[i * un + j] += value;
        if (i != j) host[j * un + i] += value;
      }
  };
  add(c.histogram, out.histogram);
  add(c.transitions, out.transitions);
  add(c.spike_count, out.spike_count);
  add(c.active, out.active);
  add(c.active_f, out.active);
  add_pairs(c.coactive, out.coactive);
  add_pairs(c.coactive_f, out.coactive);
  add(c.flips, out.flips);
  if (rq.raster_count > 0) {
    const std::vector<std::uint8_t> raster = c.raster.download();
    const std::vector<std::uint32_t> raster_inputs = c.raster_inputs.download();
    const std::uint64_t per = samples * static_cast<std::uint64_t>(n);
    for (std::uint64_t r = 0; r < rq.raster_count; ++r) {
      std::copy(raster.begin() + static_cast<std::ptrdiff_t>(r * per),
                raster.begin() + static_cast<std::ptrdiff_t>((r + 1) * per), out.raster_states[r]);
      std::copy(raster_inputs.begin() + static_cast<std::ptrdiff_t>(r * samples),
                raster_inputs.begin() + static_cast<std::ptrdiff_t>((r + 1) * samples), out.raster_inputs[r]);
    }
  }
}

namespace {

/// The arithmetic of one chain step in registers (no memory traffic in the loop): one
/// Philox4x32-10 block, the neuron pick and, `on_the_fly`, the deterministic sigmoid of an argument
/// that varies with the draw; compiled like the sampler's kernels (-fmad=false).
__global__ void step_floor_kernel(std::uint32_t* out, int reps, bool on_the_fly) {
  const std::uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
  std::uint32_t acc = 0;
  const double base = -4.0 + 0.125 * static_cast<double>(k % 64u);
  for (int r = 0; r < reps; ++r) {
    const Philox4 p = philox4x32_10(k, static_cast<std::uint32_t>(r), 0u, 0u, 0x1234u, 0x5678u);
    const std::uint32_t i = scale_uniform(p.w[0], p.w[3], 16u);
    const std::uint32_t thr = on_the_fly ? sigmoid_threshold(base + 0.01 * static_cast<double>(i)) : p.w[2];
    acc += p.w[1] < thr ? 1u : 0u;
  }
  out[k] = acc;
}

}  // namespace

double sampler_step_rate(bool on_the_fly) {
  std::string reason;
  if (!device_available(&reason)) throw BackendError("cuda sampler: " + reason);
  int device = 0, sms = 0;
  NETRL_CUDA_CHECK(cudaGetDevice(&device));
  NETRL_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const unsigned blocks = static_cast<unsigned>(sms) * 16u;
  constexpr int kReps = 2048;
  constexpr unsigned kThreads = sampling::kThreads;
  Array<std::uint32_t> out(static_cast<std::uint64_t>(blocks) * kThreads);
  auto launch = [&] {
    step_floor_kernel<<<blocks, kThreads, 0, cudaStreamLegacy>>>(out.data(), kReps, on_the_fly);
    NETRL_CUDA_AFTER_LAUNCH("step_floor_kernel");
  };
  launch();  // warm-up
  double best = 1e300;
  for (int trial = 0; trial < 3; ++trial) best = std::min(best, time_events_ms([](void* f) {
    (*static_cast<decltype(launch)*>(f))();
    return true;
  }, &launch));
  return static_cast<double>(blocks) * kThreads * kReps / (best * 1e-3);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
