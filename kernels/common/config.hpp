#pragma once
// Compilation context of the kernel bodies. Every file in kernels/common/ is compiled twice: as
// plain C++ with OpenMP (namespace netrl::kernels::host) and through kernels/cuda/*.cu as CUDA
// (namespace netrl::kernels::cuda). NETRL_KERNELS_NS names the namespace of the current build, so
// the two instantiations of the same functor never share a symbol.
#include <cstdint>
#include <cstring>

#include "netrl/core/hd.hpp"

#if defined(__CUDACC__)
#define NETRL_KERNELS_NS cuda
#define NETRL_KERNELS_CUDA 1
#else
#define NETRL_KERNELS_NS host
#define NETRL_KERNELS_CUDA 0
#endif

// `#pragma omp simd` on host loops (vectorise, the iterations are independent); nothing on CUDA.
#define NETRL_PRAGMA(x) _Pragma(#x)
#if !defined(__CUDACC__) && defined(_OPENMP)
#define NETRL_SIMD NETRL_PRAGMA(omp simd)
#define NETRL_SIMD_SUM1(a) NETRL_PRAGMA(omp simd reduction(+ : a))
#define NETRL_SIMD_SUM2(a, b) NETRL_PRAGMA(omp simd reduction(+ : a, b))
#define NETRL_SIMD_SUM3(a, b, c) NETRL_PRAGMA(omp simd reduction(+ : a, b, c))
#else
#define NETRL_SIMD
#define NETRL_SIMD_SUM1(a)
#define NETRL_SIMD_SUM2(a, b)
#define NETRL_SIMD_SUM3(a, b, c)
#endif

// Per-element functions of the kernels: always inlined into the vectorised loops (GCC may keep
// a large function such as a pair operation out of line, which makes its loop scalar).
#if defined(__CUDACC__)
#define NETRL_KERNEL_INLINE __host__ __device__ __forceinline__
#elif defined(__GNUC__)
#define NETRL_KERNEL_INLINE inline __attribute__((always_inline))
#else
#define NETRL_KERNEL_INLINE inline
#endif

#if defined(__CUDACC__) || defined(__GNUC__)
#define NETRL_RESTRICT __restrict__
#else
#define NETRL_RESTRICT
#endif
