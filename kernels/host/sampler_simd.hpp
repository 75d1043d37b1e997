#pragma once
// Host only: SIMD evaluation of the sampler's per-step maths for a block of chains at once (AVX2
// when the CPU has it, else SSE2):
//   philox_block      Philox4x32-10 of the counters {c0 + lane, c1, c2, c3}, exactly the words of
//                     kernels::philox4x32_10;
//   threshold_block   kernels::sigmoid_threshold of a block of arguments, the same IEEE operations
//                     in the same order in every lane (no fused multiply-adds), so the same bits.
// tests/backends/test_sampler.cpp checks every path against the scalar functions (and Philox against
// librandom123): this only changes how fast the host computes them.
#include <cstdint>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NETRL_PHILOX_X86 1
#endif

#include "../common/sampler_math.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// Structure-of-arrays output: w[j][lane] is word j of chain c0 + lane.
struct DrawBlock {
  std::uint32_t* w[4];
};

inline void philox_block_scalar(std::uint32_t c0, std::uint32_t count, std::uint32_t c1, std::uint32_t c2,
                                std::uint32_t c3, std::uint32_t k0, std::uint32_t k1, const DrawBlock& out,
                                std::uint32_t from = 0) {
  for (std::uint32_t lane = from; lane < count; ++lane) {
    const Philox4 r = philox4x32_10(c0 + lane, c1, c2, c3, k0, k1);
    for (int j = 0; j < 4; ++j) out.w[j][lane] = r.w[j];
  }
}

inline void threshold_block_scalar(const double* z, std::uint32_t* thr, std::uint64_t count, std::uint64_t from = 0) {
  for (std::uint64_t k = from; k < count; ++k) thr[k] = sigmoid_threshold(z[k]);
}

#if defined(NETRL_PHILOX_X86)

namespace detail {

/// out.w[j][lane ..] = the lanes of xj, for one group of chains (V: __m128i or __m256i).
template <class V>
__attribute__((always_inline)) inline void store_words(const DrawBlock& out, std::uint32_t lane, const V& x0,
                                                       const V& x1, const V& x2, const V& x3) {
  std::memcpy(out.w[0] + lane, &x0, sizeof(V));
  std::memcpy(out.w[1] + lane, &x1, sizeof(V));
  std::memcpy(out.w[2] + lane, &x2, sizeof(V));
  std::memcpy(out.w[3] + lane, &x3, sizeof(V));
}

/// 32 x 32 -> 64-bit products of the four lanes: high and low halves.
inline void mulhilo_sse2(__m128i a, __m128i m, __m128i* hi, __m128i* lo) {
  const __m128i mask = _mm_set_epi32(0, -1, 0, -1);
  const __m128i even = _mm_mul_epu32(a, m);                     // lanes 0, 2 as 64-bit products
  const __m128i odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), m);  // lanes 1, 3
  *lo = _mm_or_si128(_mm_and_si128(even, mask), _mm_slli_epi64(odd, 32));
  *hi = _mm_or_si128(_mm_srli_epi64(even, 32), _mm_andnot_si128(mask, odd));
}

}  // namespace detail

inline void philox_block_sse2(std::uint32_t c0, std::uint32_t count, std::uint32_t c1, std::uint32_t c2,
                              std::uint32_t c3, std::uint32_t k0, std::uint32_t k1, const DrawBlock& out) {
  const __m128i m0 = _mm_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m128i m1 = _mm_set1_epi32(static_cast<int>(0xCD9E8D57u));
  std::uint32_t lane = 0;
  for (; lane + 4 <= count; lane += 4) {
    __m128i x0 = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(c0 + lane)), _mm_set_epi32(3, 2, 1, 0));
    __m128i x1 = _mm_set1_epi32(static_cast<int>(c1));
    __m128i x2 = _mm_set1_epi32(static_cast<int>(c2));
    __m128i x3 = _mm_set1_epi32(static_cast<int>(c3));
    std::uint32_t key0 = k0, key1 = k1;
    for (int round = 0; round < 10; ++round) {
      __m128i hi0, lo0, hi1, lo1;
      detail::mulhilo_sse2(x0, m0, &hi0, &lo0);
      detail::mulhilo_sse2(x2, m1, &hi1, &lo1);
      x0 = _mm_xor_si128(_mm_xor_si128(hi1, x1), _mm_set1_epi32(static_cast<int>(key0)));
      x1 = lo1;
      x2 = _mm_xor_si128(_mm_xor_si128(hi0, x3), _mm_set1_epi32(static_cast<int>(key1)));
      x3 = lo0;
      key0 += 0x9E3779B9u;
      key1 += 0xBB67AE85u;
    }
    detail::store_words(out, lane, x0, x1, x2, x3);
  }
  philox_block_scalar(c0, count, c1, c2, c3, k0, k1, out, lane);
}

namespace detail {

/// One Philox round on eight lanes; `key0`, `key1` are the round's keys in every lane.
__attribute__((target("avx2"))) inline void round_avx2(__m256i& x0, __m256i& x1, __m256i& x2, __m256i& x3, __m256i m0,
                                                       __m256i m1, __m256i key0, __m256i key1) {
  // Even lanes multiply in place; the odd lanes are moved down by a shuffle (not a shift), which
  // spreads the work over more of the core's vector ports.
  const __m256i e0 = _mm256_mul_epu32(x0, m0), o0 = _mm256_mul_epu32(_mm256_shuffle_epi32(x0, 0xF5), m0);
  const __m256i e1 = _mm256_mul_epu32(x2, m1), o1 = _mm256_mul_epu32(_mm256_shuffle_epi32(x2, 0xF5), m1);
  const __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
  const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
  const __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
  const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
  x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), key0);
  x1 = lo1;
  x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), key1);
  x3 = lo0;
}

}  // namespace detail

__attribute__((target("avx2"))) inline void philox_block_avx2(std::uint32_t c0, std::uint32_t count, std::uint32_t c1,
                                                              std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                                                              std::uint32_t k1, const DrawBlock& out) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
  const __m256i eight = _mm256_set1_epi32(8);
  // The round keys are the same for every chain: broadcast them once.
  __m256i key0[10], key1[10];
  for (int round = 0; round < 10; ++round) {
    key0[round] = _mm256_set1_epi32(static_cast<int>(k0 + static_cast<std::uint32_t>(round) * 0x9E3779B9u));
    key1[round] = _mm256_set1_epi32(static_cast<int>(k1 + static_cast<std::uint32_t>(round) * 0xBB67AE85u));
  }
  const __m256i x1_init = _mm256_set1_epi32(static_cast<int>(c1));
  const __m256i x2_init = _mm256_set1_epi32(static_cast<int>(c2));
  const __m256i x3_init = _mm256_set1_epi32(static_cast<int>(c3));
  std::uint32_t lane = 0;
  // Two groups of eight lanes per iteration: their rounds interleave, hiding the multiply latency.
  for (; lane + 16 <= count; lane += 16) {
    __m256i a0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(c0 + lane)), lanes);
    __m256i b0 = _mm256_add_epi32(a0, eight);
    __m256i a1 = x1_init, b1 = x1_init, a2 = x2_init, b2 = x2_init, a3 = x3_init, b3 = x3_init;
    for (int round = 0; round < 10; ++round) {
      detail::round_avx2(a0, a1, a2, a3, m0, m1, key0[round], key1[round]);
      detail::round_avx2(b0, b1, b2, b3, m0, m1, key0[round], key1[round]);
    }
    detail::store_words(out, lane, a0, a1, a2, a3);
    detail::store_words(out, lane + 8, b0, b1, b2, b3);
  }
  for (; lane + 8 <= count; lane += 8) {
    __m256i x0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(c0 + lane)), lanes);
    __m256i x1 = x1_init, x2 = x2_init, x3 = x3_init;
    for (int round = 0; round < 10; ++round) detail::round_avx2(x0, x1, x2, x3, m0, m1, key0[round], key1[round]);
    detail::store_words(out, lane, x0, x1, x2, x3);
  }
  philox_block_scalar(c0, count, c1, c2, c3, k0, k1, out, lane);
}

namespace detail {

/// GCC/Clang vector types of two (SSE2) and four (AVX2) float64 lanes.
struct Lanes2 {
  static constexpr int kLanes = 2;
  typedef double Double __attribute__((vector_size(16)));
  typedef std::int64_t Int __attribute__((vector_size(16)));
  typedef std::uint32_t Words __attribute__((vector_size(16)));
};
struct Lanes4 {
  static constexpr int kLanes = 4;
  typedef double Double __attribute__((vector_size(32)));
  typedef std::int64_t Int __attribute__((vector_size(32)));
  typedef std::uint32_t Words __attribute__((vector_size(32)));
};

/// sigmoid_threshold of the lanes of L at once: the scalar definition's operations in the same
/// order (selects lane by lane), so the same bits in every lane. Written once for both
/// instruction sets: inlined into threshold_block_avx2 (Lanes4) it compiles to AVX2, into
/// threshold_block_sse2 (Lanes2) to SSE2. No function here takes or returns the vector types
/// (their ABI would need AVX): constants are broadcast by adding them to a zero vector.
template <class L>
__attribute__((always_inline)) inline void threshold_lanes(const double* zs, std::uint32_t* thr) {
  using D = typename L::Double;
  using W = typename L::Words;
  using C = ExpConstants;
  const D zero{}, one = zero + 1.0, largest = zero + C::kMaxThreshold;
  D z;
  std::memcpy(&z, zs, sizeof z);
  const auto positive = z >= 0.0;
  const D a = positive ? -z : z;
  // exp_nonpositive(a)
  const auto in_range = a >= C::kLowest;
  const D c = in_range ? a : zero;
  const D shift = zero + C::kShift;
  const D shifted = c * C::kLog2e + shift;
  const D k = shifted - shift;
  D r = c - k * C::kLn2Hi;
  r = r - k * C::kLn2Lo;
  D p = zero + C::kC12;
  for (const double coefficient : {C::kC11, C::kC10, C::kC9, C::kC8, C::kC7, C::kC6, C::kC5, C::kC4, C::kC3, C::kC2,
                                   C::kC1, C::kC0}) {
    p = p * r + coefficient;
  }
  using I = typename L::Int;
  const I biased = ((I)shifted - (I)shift) + 1023;
  const D e = in_range ? p * (D)(biased << 52) : zero;
  // sigmoid
  const D rho = z == z ? (positive ? one : e) / (one + e) : zero;
  // floor(rho 2^32), saturated, read from the mantissa of f + 2^52
  const D two52 = zero + C::kTwo52;
  const D v = rho * C::kTwo32;
  D f = (v + two52) - two52;
  f = f - (f > v ? one : zero);
  f = f < largest ? f : largest;
  // The low 32-bit word of each 64-bit lane, moved to the front (__builtin_shufflevector: GCC >= 12
  // and Clang alike).
  const W all = (W)(f + two52);
  W words;
  if constexpr (L::kLanes == 4) {
    words = __builtin_shufflevector(all, all, 0, 2, 4, 6, 1, 3, 5, 7);
  } else {
    words = __builtin_shufflevector(all, all, 0, 2, 1, 3);
  }
  std::memcpy(thr, &words, sizeof(std::uint32_t) * L::kLanes);
}

}  // namespace detail

__attribute__((target("avx2"))) inline void threshold_block_avx2(const double* z, std::uint32_t* thr, std::uint64_t count) {
  std::uint64_t k = 0;
  for (; k + 8 <= count; k += 8) {  // two independent groups per iteration
    detail::threshold_lanes<detail::Lanes4>(z + k, thr + k);
    detail::threshold_lanes<detail::Lanes4>(z + k + 4, thr + k + 4);
  }
  for (; k + 4 <= count; k += 4) detail::threshold_lanes<detail::Lanes4>(z + k, thr + k);
  threshold_block_scalar(z, thr, count, k);
}

inline void threshold_block_sse2(const double* z, std::uint32_t* thr, std::uint64_t count) {
  std::uint64_t k = 0;
  for (; k + 2 <= count; k += 2) detail::threshold_lanes<detail::Lanes2>(z + k, thr + k);
  threshold_block_scalar(z, thr, count, k);
}

#endif

enum class SimdPath { scalar, sse2, avx2 };

inline SimdPath best_simd_path() {
#if defined(NETRL_PHILOX_X86)
  static const SimdPath path = __builtin_cpu_supports("avx2") ? SimdPath::avx2 : SimdPath::sse2;
  return path;
#else
  return SimdPath::scalar;
#endif
}

/// Draws of chains c0 .. c0 + count - 1 for the counter words c1, c2, c3.
inline void philox_block(SimdPath path, std::uint32_t c0, std::uint32_t count, std::uint32_t c1, std::uint32_t c2,
                         std::uint32_t c3, std::uint32_t k0, std::uint32_t k1, const DrawBlock& out) {
#if defined(NETRL_PHILOX_X86)
  if (path == SimdPath::avx2) return philox_block_avx2(c0, count, c1, c2, c3, k0, k1, out);
  if (path == SimdPath::sse2) return philox_block_sse2(c0, count, c1, c2, c3, k0, k1, out);
#else
  (void)path;
#endif
  philox_block_scalar(c0, count, c1, c2, c3, k0, k1, out);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// thr[k] = sigmoid_threshold(z[k]) for k < count.
inline void threshold_block(SimdPath path, const double* z, std::uint32_t* thr, std::uint64_t count) {
#if defined(NETRL_PHILOX_X86)
  if (path == SimdPath::avx2) return threshold_block_avx2(z, thr, count);
  if (path == SimdPath::sse2) return threshold_block_sse2(z, thr, count);
#else
  (void)path;
#endif
  threshold_block_scalar(z, thr, count);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
