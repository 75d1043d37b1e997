#pragma once
// CUDA glue of the batched dense solves (kernels/common/dense_solve.cpp; kernels/host/dense_glue.hpp
// has the same names): cuBLAS's batched LU for many small systems, cuSOLVER's getrf with several
// problems in flight on their own streams for large ones, cuBLAS's strided batched gemv for the
// residual products, transfers through pinned staging buffers, and CUDA events around the phases.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>
#include <thrust/execution_policy.h>
#include <thrust/system/cuda/vector.h>
#include <thrust/tabulate.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/dense_functors.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "launch.cuh"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

/// The device holds its own copies of P and g.
constexpr bool kDenseCopiesInput = true;

/// Events recorded on kStream at the marks of a solve; ms(a, b) after the stream has passed b.
class DenseClock {
 public:
  DenseClock() {
    for (cudaEvent_t& e : events_) NETRL_CUDA_CHECK(cudaEventCreate(&e));
  }
  DenseClock(const DenseClock&) = delete;
  DenseClock& operator=(const DenseClock&) = delete;
  ~DenseClock() {
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
  }
  void mark(int k) { NETRL_CUDA_CHECK(cudaEventRecord(events_[k], kStream)); }
  double ms(int a, int b) const {
    NETRL_CUDA_CHECK(cudaEventSynchronize(events_[b]));
    float out = 0.0f;
    NETRL_CUDA_CHECK(cudaEventElapsedTime(&out, events_[a], events_[b]));
    return static_cast<double>(out);
  }

 private:
  cudaEvent_t events_[4] = {};
};

/// Host <-> device copies through two pinned buffers: the host copy of one chunk overlaps the
/// DMA of the other (pageable memory cannot be copied asynchronously). The buffers are Thrust's
/// pinned host vectors (cudaMallocHost through Thrust's pinned memory resource).
class PinnedStage {
 public:
  static constexpr std::uint64_t kChunk = std::uint64_t{4} << 20;  // doubles per buffer (32 MiB)
  PinnedStage() = default;
  PinnedStage(const PinnedStage&) = delete;
  PinnedStage& operator=(const PinnedStage&) = delete;
  ~PinnedStage() {
    for (cudaEvent_t e : done_)
      if (e != nullptr) cudaEventDestroy(e);
  }

  void to_device(double* dst, const double* src, std::uint64_t count) {
    ready();
    for (std::uint64_t off = 0, i = 0; off < count; off += kChunk, ++i) {
      const int k = static_cast<int>(i % 2);
      const std::uint64_t len = std::min(kChunk, count - off);
      NETRL_CUDA_CHECK(cudaEventSynchronize(done_[k]));  // the buffer's previous DMA is over
      std::memcpy(buffer(k), src + off, len * sizeof(double));
      NETRL_CUDA_CHECK(cudaMemcpyAsync(dst + off, buffer(k), len * sizeof(double), cudaMemcpyHostToDevice, kStream));
      NETRL_CUDA_CHECK(cudaEventRecord(done_[k], kStream));
    }
  }

  void to_host(double* dst, const double* src, std::uint64_t count) {
    ready();
    const std::uint64_t chunks = (count + kChunk - 1) / kChunk;
    auto issue = [&](std::uint64_t i) {
      const int k = static_cast<int>(i % 2);
      const std::uint64_t off = i * kChunk, len = std::min(kChunk, count - off);
      NETRL_CUDA_CHECK(cudaMemcpyAsync(buffer(k), src + off, len * sizeof(double), cudaMemcpyDeviceToHost, kStream));
      NETRL_CUDA_CHECK(cudaEventRecord(done_[k], kStream));
    };
    if (chunks > 0) issue(0);
    for (std::uint64_t i = 0; i < chunks; ++i) {
      if (i + 1 < chunks) issue(i + 1);  // buffer (i + 1) % 2 was emptied by the host at step i - 1
      const int k = static_cast<int>(i % 2);
      const std::uint64_t off = i * kChunk, len = std::min(kChunk, count - off);
      NETRL_CUDA_CHECK(cudaEventSynchronize(done_[k]));
      std::memcpy(dst + off, buffer(k), len * sizeof(double));
    }
  }

 private:
  double* buffer(int k) { return thrust::raw_pointer_cast(buffers_[k].data()); }
  void ready() {
    for (int k = 0; k < 2; ++k) {
      if (done_[k] != nullptr) continue;
      buffers_[k].resize(kChunk);
      NETRL_CUDA_CHECK(cudaEventCreateWithFlags(&done_[k], cudaEventDisableTiming));
      NETRL_CUDA_CHECK(cudaEventRecord(done_[k], kStream));
    }
  }
  thrust::cuda::universal_host_pinned_vector<double> buffers_[2];
  cudaEvent_t done_[2] = {nullptr, nullptr};
};

/// A cuSOLVER handle on its own (blocking) stream, with its workspace and pivots.
struct SolverLane {
  cudaStream_t stream = nullptr;
  cusolverDnHandle_t handle = nullptr;
  Array<double> work;
  Array<int> pivots, arg_info;
  SolverLane() = default;
  SolverLane(const SolverLane&) = delete;
  SolverLane& operator=(const SolverLane&) = delete;
  ~SolverLane() {
    if (handle != nullptr) cusolverDnDestroy(handle);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

struct DenseWork {
  DenseClock clock;
  PinnedStage stage;
  Array<double*> pointers;  // cuBLAS batched LU: the A, rhs_n and rhs_t pointer arrays
  Array<int> pivots;
  std::vector<std::unique_ptr<SolverLane>> lanes;  // cuSOLVER path
};

/// InvalidInput("batch") when `bytes` exceed 90% of the device's free memory.
inline void require_dense_memory(double bytes) {
  std::size_t free_bytes = 0, total_bytes = 0;
  NETRL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const double available = 0.9 * static_cast<double>(free_bytes);
  if (bytes > available) {
    throw InvalidInput("batch", "the dense solves need " + std::to_string(bytes / (1 << 20)) + " MiB of device memory, " +
                                    std::to_string(available / (1 << 20)) + " MiB are free");
  }
}

inline const double* stage_in(DenseWork* w, Array<double>* dst, const double* src, std::uint64_t count) {
  w->stage.to_device(dst->data(), src, count);
  return dst->data();
}
inline void stage_out(DenseWork* w, const Array<double>& src, double* dst, std::uint64_t count) {
  w->stage.to_host(dst, src.data(), count);
}

/// ptr[b] = base + b * stride (the pointer arrays of cuBLAS's batched calls, built on the device).
struct StridedPointer {
  double* base;
  std::uint64_t stride;
  __host__ __device__ double* operator()(std::ptrdiff_t b) const { return base + static_cast<std::uint64_t>(b) * stride; }
};

/// See kernels/host/dense_glue.hpp. Many small systems: cuBLAS getrfBatched and two getrsBatched;
/// one system or orders above kBatchedLuMaxOrder: cuSOLVER getrf/getrs, up to kLanes problems in
/// flight on blocking streams (they order with kStream, the legacy default stream, both ways).
inline void dense_factor_solve(const Exec& exec, int N, int batch, double* A, double* rhs_n, double* rhs_t, int* info,
                               DenseWork* w) {
  const auto nn = static_cast<std::uint64_t>(N) * static_cast<std::uint64_t>(N);
  const auto B = static_cast<std::uint64_t>(batch);
  if (batch > 1 && N <= kBatchedLuMaxOrder) {
    w->pointers.reserve(3 * B);
    w->pivots.reserve(B * static_cast<std::uint64_t>(N));
    double** p = w->pointers.data();
    const auto policy = thrust::cuda::par.on(kStream);
    thrust::tabulate(policy, p, p + B, StridedPointer{A, nn});
    thrust::tabulate(policy, p + B, p + 2 * B, StridedPointer{rhs_n, static_cast<std::uint64_t>(N)});
    thrust::tabulate(policy, p + 2 * B, p + 3 * B, StridedPointer{rhs_t, static_cast<std::uint64_t>(N)});
    NETRL_CUBLAS_CHECK(cublasDgetrfBatched(exec.res->blas, N, p, N, w->pivots.data(), info, batch));
    int arg = 0;
    NETRL_CUBLAS_CHECK(cublasDgetrsBatched(exec.res->blas, CUBLAS_OP_T, N, 1, p, N, w->pivots.data(), p + B, N, &arg, batch));
    if (arg != 0) throw BackendError("cublasDgetrsBatched: argument " + std::to_string(-arg) + " is invalid");
    NETRL_CUBLAS_CHECK(cublasDgetrsBatched(exec.res->blas, CUBLAS_OP_N, N, 1, p, N, w->pivots.data(), p + 2 * B, N, &arg, batch));
    if (arg != 0) throw BackendError("cublasDgetrsBatched: argument " + std::to_string(-arg) + " is invalid");
    return;
  }
  constexpr int kLanes = 4;
  const int lanes = std::min(batch, kLanes);
  while (static_cast<int>(w->lanes.size()) < lanes) {
    auto lane = std::make_unique<SolverLane>();
    NETRL_CUDA_CHECK(cudaStreamCreate(&lane->stream));
    NETRL_CUSOLVER_CHECK(cusolverDnCreate(&lane->handle));
    NETRL_CUSOLVER_CHECK(cusolverDnSetStream(lane->handle, lane->stream));
    w->lanes.push_back(std::move(lane));
  }
  int lwork = 0;
  NETRL_CUSOLVER_CHECK(cusolverDnDgetrf_bufferSize(w->lanes[0]->handle, N, N, A, N, &lwork));
  for (int k = 0; k < lanes; ++k) {
    SolverLane& lane = *w->lanes[static_cast<std::size_t>(k)];
    lane.work.reserve(static_cast<std::uint64_t>(std::max(1, lwork)));
    lane.pivots.reserve(static_cast<std::uint64_t>(N));
    lane.arg_info.reserve(1);
  }
  // The lanes' streams wait for the assembly on kStream (blocking streams do so implicitly).
  for (int b = 0; b < batch; ++b) {
    SolverLane& lane = *w->lanes[static_cast<std::size_t>(b % lanes)];
    double* Ab = A + static_cast<std::uint64_t>(b) * nn;
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrf(lane.handle, N, N, Ab, N, lane.work.data(), lane.pivots.data(), info + b));
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrs(lane.handle, CUBLAS_OP_T, N, 1, Ab, N, lane.pivots.data(),
                                          rhs_n + static_cast<std::uint64_t>(b) * N, N, lane.arg_info.data()));
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrs(lane.handle, CUBLAS_OP_N, N, 1, Ab, N, lane.pivots.data(),
                                          rhs_t + static_cast<std::uint64_t>(b) * N, N, lane.arg_info.data()));
  }
}

/// pv_b = P_b v_b and mup_b = (mu_b^T P_b)^T: row-major P_b is the column-major P_b^T, so two
/// strided batched gemvs (transposed and plain).
inline void dense_products(const Exec& exec, const DenseShape& s, const double* P, const double* v, const double* mu,
                           double* pv, double* mup, DenseWork*) {
  const auto n = static_cast<int>(s.n);
  const auto nn = static_cast<long long>(s.n * s.n), ni = static_cast<long long>(s.n);
  const double one = 1.0, zero = 0.0;
  NETRL_CUBLAS_CHECK(cublasDgemvStridedBatched(exec.res->blas, CUBLAS_OP_T, n, n, &one, P, n, nn, v, 1, ni, &zero, pv,
                                               1, ni, s.batch));
  NETRL_CUBLAS_CHECK(cublasDgemvStridedBatched(exec.res->blas, CUBLAS_OP_N, n, n, &one, P, n, nn, mu, 1, ni, &zero,
                                               mup, 1, ni, s.batch));
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
