#pragma once
// Portability macros and bit helpers shared by host code and CUDA device code.
#include <cstdint>
#include "netrl/version.hpp"

#if defined(__CUDACC__)
#define NETRL_HD __host__ __device__
#define NETRL_HD_INLINE __host__ __device__ __forceinline__
#else
#define NETRL_HD
#define NETRL_HD_INLINE inline
#endif

NETRL_NAMESPACE_BEGIN

using index_t = std::uint64_t;

NETRL_HD_INLINE int popcount64(std::uint64_t v) {
#if defined(__CUDA_ARCH__)
  return __popcll(v);
#else
  return __builtin_popcountll(v);
#endif
}

NETRL_NAMESPACE_END  // namespace netrl
