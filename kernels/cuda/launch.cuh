#pragma once
// CUDA launch glue of the kernel bodies: the backend's tuning (BackendTraits), the executor, the
// for_each launcher, per-problem block reductions (CUB's BlockReduce), the input mixing and the
// Krylov vector products with cuBLAS. Included by kernels/common/exact_engine.cpp when it is
// compiled as CUDA (kernels/cuda/exact_engine.cu); kernels/host/launch.hpp provides the same names
// for the host. Everything runs on one stream, kStream (the legacy default stream), named in every
// launch and library call, so host copies order with the kernels.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cub/block/block_reduce.cuh>
#include <cub/device/device_for.cuh>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "../common/config.hpp"
#include "../common/functors.hpp"
#include "../common/vector_functors.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

/// The one stream of the module's kernels, copies and library calls: the legacy default stream
/// (blocking: it orders with every synchronous cudaMemcpy of Array).
inline const cudaStream_t kStream = cudaStreamLegacy;

/// How for_each_index launches: `grid` (the hand-written grid-stride kernel below) or `cub`
/// (cub::DeviceFor::Bulk). The grid kernel is the default: it keeps the sweeps at 0.73-0.78 of the
/// device's copy bandwidth (README, H100) with a grid capped at 32 blocks per SM, which keeps
/// every pass's tiles in flight without a block per item; NETRL_CUDA_FOR_EACH=cub selects CUB's
/// launcher instead, and bench/gpu_check.sh times the sweep with both (BM_CudaSweep, label
/// "cub") so that the device decides which stays.
enum class Launcher { grid, cub };

/// NETRL_CUDA_FOR_EACH ("grid", the default, or "cub"); anything else is an error.
inline Launcher launcher_from_environment() {
  const char* v = std::getenv("NETRL_CUDA_FOR_EACH");
  if (v == nullptr || *v == '\0' || std::string(v) == "grid") return Launcher::grid;
  if (std::string(v) == "cub") return Launcher::cub;
  throw InvalidInput("NETRL_CUDA_FOR_EACH", std::string("expected \"grid\" or \"cub\", got \"") + v + "\"");
}

/// How the engine lays its work out on a GPU (LayoutTraits; the host's values are in
/// kernels/host/launch.hpp): one pass per neuron with tiles of one pair (a thread per pair), one
/// state per work item of the element-wise steps and reductions, one neuron per reduction item.
using BackendTraits = LayoutTraits</*TileBits*/ 1, /*RunBits*/ 0, /*SpareBits*/ 0, /*ChunkBits*/ 0, /*Slots*/ 1>;

/// The CUDA executor: device properties, the cuBLAS handle and scratch memory (shared).
struct Resources {
  cublasHandle_t blas = nullptr;
  Array<unsigned char> scratch;   // reduction partials
  Array<void*> pointers;          // batched-GEMM pointer arrays
  ~Resources() {
    if (blas != nullptr) cublasDestroy(blas);
  }
};

struct Exec {
  int threads = 1;  // host threads (unused by the CUDA plan)
  unsigned max_blocks = 1024;
  Launcher launcher = Launcher::grid;
  std::string device_name;
  std::shared_ptr<Resources> res;

  /// Throws BackendError when no device answers.
  static Exec make() {
    std::string reason;
    if (!device_available(&reason)) throw BackendError("cuda backend: " + reason);
    Exec e;
    int device = 0;
    NETRL_CUDA_CHECK(cudaGetDevice(&device));
    cudaDeviceProp prop{};
    NETRL_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    e.device_name = prop.name;
    e.max_blocks = static_cast<unsigned>(std::max(1, prop.multiProcessorCount)) * 32u;
    e.launcher = launcher_from_environment();
    e.res = std::make_shared<Resources>();
    NETRL_CUBLAS_CHECK(cublasCreate(&e.res->blas));
    NETRL_CUBLAS_CHECK(cublasSetStream(e.res->blas, kStream));
    return e;
  }
  std::string description() const { return "cuda (" + device_name + ")"; }
};

template <class F>
__global__ void for_each_kernel(std::uint64_t count, F f) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count; k += stride) f(k);
}

/// Runs f(k) for k in [0, count) on kStream: the grid-stride kernel or cub::DeviceFor::Bulk
/// (exec.launcher). `grain` is a host-only hint.
template <class F>
void for_each_index(const Exec& exec, std::uint64_t count, const F& f, std::uint64_t grain = 0) {
  (void)grain;
  if (count == 0) return;
  if (exec.launcher == Launcher::cub) {
    NETRL_CUDA_CHECK(cub::DeviceFor::Bulk(count, f, kStream));
    NETRL_CUDA_AFTER_LAUNCH("cub::DeviceFor::Bulk");
    return;
  }
  constexpr unsigned kThreads = 256;
  const std::uint64_t wanted = (count + kThreads - 1) / kThreads;
  const auto blocks = static_cast<unsigned>(std::min<std::uint64_t>(wanted, exec.max_blocks));
  for_each_kernel<<<blocks, kThreads, 0, kStream>>>(count, f);
  NETRL_CUDA_AFTER_LAUNCH("for_each_kernel");
}

/// V::combine as a binary operator (CUB's reductions take one).
template <class V>
struct CombineOp {
  __device__ V operator()(V a, const V& b) const {
    a.combine(b);
    return a;
  }
};

constexpr unsigned kReduceThreads = 128;

/// One block row per problem: each thread combines its grid-stride items, then CUB's BlockReduce
/// combines the block (in a fixed order: the result does not vary between runs).
template <class F>
__global__ void __launch_bounds__(kReduceThreads) reduce_kernel(std::uint64_t items, F f, typename F::value_type* partial) {
  using V = typename F::value_type;
  using BlockReduce = cub::BlockReduce<V, kReduceThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const std::uint64_t q = blockIdx.y;
  V acc = V::identity();
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < items; i += stride)
    acc.combine(f(q * items + i));
  const V total = BlockReduce(temp).Reduce(acc, CombineOp<V>());
  if (threadIdx.x == 0) partial[q * gridDim.x + blockIdx.x] = total;
}

/// out[q] = combination of f(k) over the `items` items of problem q (problem-major items): one
/// block row per problem, partial sums per block, combined on the host in block order.
template <class F>
void reduce_by_problem(const Exec& exec, int problems, std::uint64_t items, const F& f,
                       std::vector<typename F::value_type>* out, std::uint64_t grain = 0) {
  (void)grain;
  using V = typename F::value_type;
  if (problems > 65535) throw BackendError("cuda reduction: more than 65535 problems in one batch");
  constexpr unsigned kThreads = kReduceThreads;
  const std::uint64_t wanted = std::max<std::uint64_t>(1, (items + kThreads - 1) / kThreads);
  const unsigned per_problem = std::max(1u, exec.max_blocks / static_cast<unsigned>(problems));
  const auto blocks = static_cast<unsigned>(std::min<std::uint64_t>(wanted, per_problem));
  const std::uint64_t count = static_cast<std::uint64_t>(blocks) * static_cast<std::uint64_t>(problems);
  exec.res->scratch.reserve(count * sizeof(V));
  V* partial = reinterpret_cast<V*>(exec.res->scratch.data());
  const dim3 grid(blocks, static_cast<unsigned>(problems));
  reduce_kernel<<<grid, kThreads, 0, kStream>>>(items, f, partial);
  NETRL_CUDA_AFTER_LAUNCH("reduce_kernel");
  std::vector<V> host(count);
  NETRL_CUDA_CHECK(cudaMemcpy(host.data(), partial, count * sizeof(V), cudaMemcpyDeviceToHost));
  out->assign(static_cast<std::size_t>(problems), V::identity());
  for (int q = 0; q < problems; ++q)
    for (unsigned b = 0; b < blocks; ++b) (*out)[static_cast<std::size_t>(q)].combine(host[static_cast<std::size_t>(q) * blocks + b]);
}

inline cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t tb, int rows, int cols, int inner,
                                   const double* const* a, const double* const* b, double* const* c,
                                   int count) {
  const double one = 1.0, zero = 0.0;
  return cublasDgemmBatched(h, CUBLAS_OP_N, tb, rows, cols, inner, &one, a, rows, b, inner, &zero, c, rows, count);
}
inline cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t tb, int rows, int cols, int inner,
                                   const float* const* a, const float* const* b, float* const* c,
                                   int count) {
  const float one = 1.0f, zero = 0.0f;
  return cublasSgemmBatched(h, CUBLAS_OP_N, tb, rows, cols, inner, &one, a, rows, b, inner, &zero, c, rows, count);
}

/// The input step with cuBLAS, one GEMM per active problem in one batched call: the 2^nf x m
/// column-major block V of a problem times the m x m matrix whose column-major storage is the
/// row-major T (that matrix is T^T, so W = V T^T), or its transpose (adjoint: mu' = Y T).
/// This is the engine's mix_inputs (kernels/host/launch.hpp has the same): `parity` and `active`
/// are the host copies (the device copy `device_active` and `grain` are not used).
template <class Real>
void mix_inputs(const Exec& exec, const SweepShape& s, const Buf<Real>& in, const Mask* parity, Real* out,
                const Real* transition, bool adjoint, const Mask& active, const std::uint8_t* device_active,
                std::uint64_t grain) {
  (void)device_active;
  (void)grain;
  if (s.nb > 0x7fffffffULL) throw BackendError("cuda input mixing: 2^nf exceeds cuBLAS's int dimensions");
  std::vector<void*> a, b, c;
  for (int q = 0; q < s.batch; ++q) {
    if (!active[static_cast<std::size_t>(q)]) continue;
    const bool odd = parity != nullptr && (*parity)[static_cast<std::size_t>(q)];
    const std::uint64_t off = static_cast<std::uint64_t>(q) * s.states;
    a.push_back((odd ? in.b : in.a) + off);
    b.push_back(const_cast<Real*>(transition) +
                static_cast<std::uint64_t>(q) * static_cast<std::uint64_t>(s.m) * static_cast<std::uint64_t>(s.m));
    c.push_back(out + off);
  }
  const auto count = static_cast<int>(a.size());
  if (count == 0) return;
  std::vector<void*> ptrs(a);
  ptrs.insert(ptrs.end(), b.begin(), b.end());
  ptrs.insert(ptrs.end(), c.begin(), c.end());
  exec.res->pointers.reserve(ptrs.size());
  exec.res->pointers.upload_prefix(ptrs);
  void** dev = exec.res->pointers.data();
  NETRL_CUBLAS_CHECK(gemm_batched(exec.res->blas, adjoint ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(s.nb), s.m,
                                  s.m, reinterpret_cast<const Real* const*>(dev),
                                  reinterpret_cast<const Real* const*>(dev + count),
                                  reinterpret_cast<Real* const*>(dev + 2 * count), count));
}

// ---- Krylov vector products (kernels/host/launch.hpp has the same names) ----------------------
// Dot products and the basis products of GMRES's orthogonalisation through cuBLAS (tuned
// reductions and a single pass over the basis); host pointer mode, results copied to the host.

/// x . y (cublasDdot).
inline double vector_dot(const Exec& exec, const VectorChunks& r, const double* x, const double* y,
                         std::uint64_t grain) {
  (void)grain;
  double out = 0.0;
  NETRL_CUBLAS_CHECK(cublasDdot_64(exec.res->blas, static_cast<std::int64_t>(r.n), x, 1, y, 1, &out));
  return out;
}

/// h = V^T w for the n x count column-major basis V (leading dimension ld): one cublasDgemv into
/// `scratch`, then copied to the host array h.
inline void basis_dots(const Exec& exec, const VectorChunks& r, const double* V, std::uint64_t ld, int count,
                       const double* w, double* h, Array<double>* scratch, std::uint64_t grain) {
  (void)grain;
  if (count <= 0) return;
  scratch->reserve(static_cast<std::uint64_t>(count));
  const double one = 1.0, zero = 0.0;
  NETRL_CUBLAS_CHECK(cublasDgemv_64(exec.res->blas, CUBLAS_OP_T, static_cast<std::int64_t>(r.n), count, &one, V,
                                    static_cast<std::int64_t>(ld), w, 1, &zero, scratch->data(), 1));
  scratch->download(0, static_cast<std::uint64_t>(count), h);
}

/// w += V c (c: host memory, copied to `scratch` first): one cublasDgemv.
inline void basis_combine(const Exec& exec, const VectorChunks& r, const double* V, std::uint64_t ld, int count,
                          const double* c, double* w, Array<double>* scratch, std::uint64_t grain) {
  (void)grain;
  if (count <= 0) return;
  scratch->reserve(static_cast<std::uint64_t>(count));
  scratch->upload(0, static_cast<std::uint64_t>(count), c);
  const double one = 1.0;
  NETRL_CUBLAS_CHECK(cublasDgemv_64(exec.res->blas, CUBLAS_OP_N, static_cast<std::int64_t>(r.n), count, &one, V,
                                    static_cast<std::int64_t>(ld), scratch->data(), 1, &one, w, 1));
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
