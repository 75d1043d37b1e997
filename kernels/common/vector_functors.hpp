#pragma once
// Per-chunk functors of the Krylov vector operations (netrl/kernels/vector_space.hpp), written once
// for the host (OpenMP) and CUDA builds. Work item k covers entries [k * chunk, min(n, (k + 1) *
// chunk)) of a vector of n entries (VectorChunks). The host runs every operation through these;
// the CUDA build runs the element-wise ones and the statistics through them too, and the dot
// products and the basis products (dots, combine) through cuBLAS (kernels/cuda/launch.cuh).
#include <cstdint>

#include "config.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

/// Chunks of a vector of n entries (the last one may be short).
struct VectorChunks {
  index_t n = 0;
  index_t chunk = 1;
  NETRL_KERNEL_INLINE index_t count() const { return (n + chunk - 1) / chunk; }
  NETRL_KERNEL_INLINE index_t lo(index_t k) const { return k * chunk; }
  NETRL_KERNEL_INLINE index_t hi(index_t k) const { return (k + 1) * chunk < n ? (k + 1) * chunk : n; }
};

/// y = value.
struct FillVector {
  double* y = nullptr;
  double value = 0.0;
  VectorChunks r;
  NETRL_HD void operator()(index_t k) const {
    const index_t hi = r.hi(k);
    NETRL_SIMD
    for (index_t j = r.lo(k); j < hi; ++j) y[j] = value;
  }
};

/// y = a x + b y + c; x null: no x term; `read_y` false: no y term (y may be unset memory).
struct Axpby {
  const double* x = nullptr;
  double* y = nullptr;
  double a = 0.0, b = 0.0, c = 0.0;
  bool read_y = true;
  VectorChunks r;
  NETRL_HD void operator()(index_t k) const {
    const index_t lo = r.lo(k), hi = r.hi(k);
    if (x != nullptr && read_y) {
      NETRL_SIMD
      for (index_t j = lo; j < hi; ++j) y[j] = a * x[j] + b * y[j] + c;
    } else if (x != nullptr) {
      NETRL_SIMD
      for (index_t j = lo; j < hi; ++j) y[j] = a * x[j] + c;
    } else if (read_y) {
      NETRL_SIMD
      for (index_t j = lo; j < hi; ++j) y[j] = b * y[j] + c;
    } else {
      NETRL_SIMD
      for (index_t j = lo; j < hi; ++j) y[j] = c;
    }
  }
};

/// y = x - t + s w + c; t null: no t term; w null: w = 1.
struct DeflateVector {
  const double* x = nullptr;
  const double* t = nullptr;
  const double* w = nullptr;
  double s = 0.0, c = 0.0;
  double* y = nullptr;
  VectorChunks r;
  NETRL_HD void operator()(index_t k) const {
    const index_t lo = r.lo(k), hi = r.hi(k);
    for (index_t j = lo; j < hi; ++j) {
      const double tj = t != nullptr ? t[j] : 0.0;
      const double wj = w != nullptr ? w[j] : 1.0;
      y[j] = x[j] - tj + s * wj + c;
    }
  }
};

/// y = max(y, 0) s.
struct ClampScale {
  double* y = nullptr;
  double s = 1.0;
  VectorChunks r;
  NETRL_HD void operator()(index_t k) const {
    const index_t hi = r.hi(k);
    NETRL_SIMD
    for (index_t j = r.lo(k); j < hi; ++j) y[j] = (y[j] > 0.0 ? y[j] : 0.0) * s;
  }
};

struct SumValue {
  double sum;
  NETRL_KERNEL_INLINE static SumValue identity() {
    SumValue v;
    v.sum = 0.0;
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const SumValue& o) { sum += o.sum; }
};

/// x . y over one chunk (the host's dot product; CUDA uses cublasDdot).
struct DotChunk {
  using value_type = SumValue;
  const double* x = nullptr;
  const double* y = nullptr;
  VectorChunks r;
  NETRL_HD value_type operator()(index_t k) const {
    const index_t lo = r.lo(k), hi = r.hi(k);
    double s = 0.0;
#if !defined(__CUDACC__) && defined(_OPENMP)
#pragma omp simd reduction(+ : s)
#endif
    for (index_t j = lo; j < hi; ++j) s += x[j] * y[j];
    value_type v;
    v.sum = s;
    return v;
  }
};

struct StatsValue {
  double sum, min, max_abs;
  std::uint64_t nonfinite;
  NETRL_KERNEL_INLINE static StatsValue identity() {
    StatsValue v;
    v.sum = 0.0;
    v.min = math::infinity<double>();
    v.max_abs = 0.0;
    v.nonfinite = 0;
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const StatsValue& o) {
    sum += o.sum;
    min = o.min < min ? o.min : min;
    max_abs = o.max_abs > max_abs ? o.max_abs : max_abs;
    nonfinite += o.nonfinite;
  }
};

/// Sum, minimum, maximum modulus and non-finite count of x over one chunk.
struct StatsChunk {
  using value_type = StatsValue;
  const double* x = nullptr;
  VectorChunks r;
  NETRL_HD value_type operator()(index_t k) const {
    const index_t lo = r.lo(k), hi = r.hi(k);
    double sum = 0.0, lowest = math::infinity<double>(), amax = 0.0;
    std::uint64_t bad = 0;
#if !defined(__CUDACC__) && defined(_OPENMP)
#pragma omp simd reduction(+ : sum, bad) reduction(min : lowest) reduction(max : amax)
#endif
    for (index_t j = lo; j < hi; ++j) {
      const double v = x[j];
      sum += v;
      lowest = v < lowest ? v : lowest;
      const double a = math::abs_value(v);
      amax = a > amax ? a : amax;
      bad += (v - v != 0.0) ? 1u : 0u;
    }
    value_type out;
    out.sum = sum;
    out.min = lowest;
    out.max_abs = amax;
    out.nonfinite = bad;
    return out;
  }
};

/// The basis of the host's basis operations, V_i = V + i * ld for i < count, over the chunks r.
struct BasisChunks {
  const double* V = nullptr;
  index_t ld = 0;
  int count = 0;
  VectorChunks r;
  NETRL_KERNEL_INLINE const double* vector(int i) const { return V + static_cast<index_t>(i) * ld; }
};

/// The host's basis dot products, one chunk: partial[k * count + i] = sum over the chunk of
/// V_i w. The launcher sums the chunks in order (CUDA: one cublasDgemv).
struct BasisDotsChunk {
  BasisChunks basis;
  const double* w = nullptr;
  double* partial = nullptr;
  NETRL_HD void operator()(index_t k) const {
    const index_t lo = basis.r.lo(k), hi = basis.r.hi(k);
    for (int i = 0; i < basis.count; ++i) {
      const double* v = basis.vector(i);
      double s = 0.0;
#if !defined(__CUDACC__) && defined(_OPENMP)
#pragma omp simd reduction(+ : s)
#endif
      for (index_t j = lo; j < hi; ++j) s += v[j] * w[j];
      partial[k * static_cast<index_t>(basis.count) + static_cast<index_t>(i)] = s;
    }
  }
};

/// The host's basis combination, one chunk: w += sum_i c[i] V_i (CUDA: one cublasDgemv).
struct BasisCombineChunk {
  BasisChunks basis;
  const double* c = nullptr;
  double* w = nullptr;
  NETRL_HD void operator()(index_t k) const {
    const index_t lo = basis.r.lo(k), hi = basis.r.hi(k);
    for (int i = 0; i < basis.count; ++i) {
      const double* v = basis.vector(i);
      const double ci = c[i];
      NETRL_SIMD
      for (index_t j = lo; j < hi; ++j) w[j] += ci * v[j];
    }
  }
};

/// dst[offset + j] = To(src[j]) over chunks of one problem's block (float64 vectors <-> the
/// engine's Real arrays, both in the backend's memory).
template <class From, class To>
struct ConvertBlock {
  const From* src = nullptr;
  To* dst = nullptr;
  VectorChunks r;
  NETRL_HD void operator()(index_t k) const {
    const index_t hi = r.hi(k);
    NETRL_SIMD
    for (index_t j = r.lo(k); j < hi; ++j) dst[j] = static_cast<To>(src[j]);
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
