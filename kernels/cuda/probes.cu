// Benchmark floors measured on the current device (netrl/kernels/probes.hpp): the rate of the
// kernels' own lse2, the copy bandwidth, the DGEMM rate, and CUDA-event timing of engine calls.
// Part of the CUDA module (libnetrl_cuda.so, see module_abi.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../common/math.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "launch.cuh"
#include "module_abi.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

/// Four independent chains x <- lse2(x, y_k) per thread, register-resident (no memory traffic in
/// the loop): the device's rate of the sweep's per-pair arithmetic.
template <class Real>
__global__ void lse2_floor_kernel(Real* out, int reps) {
  const std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Real base = static_cast<Real>(k % 64) * static_cast<Real>(0.125);
  Real x0 = base, x1 = base + 1, x2 = base - 1, x3 = base + 2;
  const Real y0 = static_cast<Real>(0.5), y1 = static_cast<Real>(-0.25), y2 = static_cast<Real>(1.5),
             y3 = static_cast<Real>(0.75);
  for (int r = 0; r < reps; ++r) {
    // Subtract a constant so the values stay O(1) (lse2(x, y) - 0.7 has a fixed point near y).
    x0 = math::lse2(x0, y0) - static_cast<Real>(0.7);
    x1 = math::lse2(x1, y1) - static_cast<Real>(0.7);
    x2 = math::lse2(x2, y2) - static_cast<Real>(0.7);
    x3 = math::lse2(x3, y3) - static_cast<Real>(0.7);
  }
  out[k] = x0 + x1 + x2 + x3;
}

/// Milliseconds between two events around `launch()`, after one warm-up call.
template <class F>
double time_ms(const F& launch) {
  launch();
  NETRL_CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start = nullptr, stop = nullptr;
  NETRL_CUDA_CHECK(cudaEventCreate(&start));
  NETRL_CUDA_CHECK(cudaEventCreate(&stop));
  NETRL_CUDA_CHECK(cudaEventRecord(start));
  launch();
  NETRL_CUDA_CHECK(cudaEventRecord(stop));
  NETRL_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  NETRL_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  NETRL_CUDA_CHECK(cudaEventDestroy(start));
  NETRL_CUDA_CHECK(cudaEventDestroy(stop));
  return static_cast<double>(ms);
}

template <class Real>
double lse2_rate_of() {
  int device = 0, sms = 0;
  NETRL_CUDA_CHECK(cudaGetDevice(&device));
  NETRL_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  constexpr unsigned kThreads = 256;
  const unsigned blocks = static_cast<unsigned>(sms) * 16u;
  constexpr int kReps = 4096;
  Array<Real> out(static_cast<std::uint64_t>(blocks) * kThreads);
  const double ms = time_ms([&] {
    lse2_floor_kernel<Real><<<blocks, kThreads>>>(out.data(), kReps);
    NETRL_CUDA_AFTER_LAUNCH("lse2_floor_kernel");
  });
  return 4.0 * kReps * static_cast<double>(blocks) * kThreads / (ms * 1e-3);
}

}  // namespace

double lse2_rate(bool single_precision) {
  return single_precision ? lse2_rate_of<float>() : lse2_rate_of<double>();
}

double copy_bandwidth() {
  constexpr std::uint64_t kBytes = std::uint64_t{1} << 30;
  Array<unsigned char> a(kBytes), b(kBytes);
  NETRL_CUDA_CHECK(cudaMemset(a.data(), 1, kBytes));
  double best = 1e300;
  for (int trial = 0; trial < 3; ++trial) {
    best = std::min(best, time_ms([&] {
      NETRL_CUDA_CHECK(cudaMemcpy(b.data(), a.data(), kBytes, cudaMemcpyDeviceToDevice));
    }));
  }
  return 2.0 * static_cast<double>(kBytes) / (best * 1e-3);  // bytes read + written
}

double pinned_bandwidth() {
  std::string reason;
  if (!device_available(&reason)) throw BackendError("cuda backend: " + reason);
  constexpr std::uint64_t kBytes = std::uint64_t{256} << 20;
  void* host = nullptr;
  NETRL_CUDA_CHECK(cudaMallocHost(&host, kBytes));
  std::memset(host, 1, kBytes);
  double best = 1e300;
  try {
    Array<unsigned char> device(kBytes);
    for (int trial = 0; trial < 3; ++trial) {
      best = std::min(best, time_ms([&] {
        NETRL_CUDA_CHECK(cudaMemcpyAsync(device.data(), host, kBytes, cudaMemcpyHostToDevice, kStream));
      }));
    }
  } catch (...) {
    cudaFreeHost(host);
    throw;
  }
  cudaFreeHost(host);
  return static_cast<double>(kBytes) / (best * 1e-3);
}

double time_events_ms(bool (*work)(void* context), void* context) {
  return time_ms([&] {
    if (!work(context)) throw BackendError("cuda timing: the timed work failed");
  });
}

double dgemm_rate(int N) {
  const Exec exec = Exec::make();  // the device check and its cuBLAS handle
  const auto nn = static_cast<std::uint64_t>(N) * static_cast<std::uint64_t>(N);
  Array<double> a(nn), b(nn), c(nn);
  a.upload(std::vector<double>(nn, 0.5));
  b.upload(std::vector<double>(nn, 0.25));
  const double one = 1.0, zero = 0.0;
  double best = 1e300;
  for (int trial = 0; trial < 3; ++trial) {
    best = std::min(best, time_ms([&] {
      NETRL_CUBLAS_CHECK(cublasDgemm(exec.res->blas, CUBLAS_OP_N, CUBLAS_OP_N, N, N, N, &one, a.data(), N, b.data(), N,
                                     &zero, c.data(), N));
    }));
  }
  return 2.0 * static_cast<double>(N) * N * N / (best * 1e-3);
}


}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
