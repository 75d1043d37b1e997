#pragma once
// The per-step maths of the chain sampler (MODEL.md sec. 2), shared by the host (OpenMP) loops and
// the CUDA kernels. Everything here is integer arithmetic or a fixed sequence of IEEE float64
// additions, multiplications and divisions, so both backends compute bit-identical results.
//
// Reproducibility contract:
//
// * Random numbers: Philox4x32-10 (Salmon et al., SC11; the Random123 algorithm, checked against
//   librandom123 and its known-answer vectors in tests/backends/test_sampler.cpp). key = {seed_lo, seed_hi}.
//   Step t of chain c uses the counter {c, t_lo, t_hi, 0} and its four output words as
//     w0, w3  -> the free neuron:  idx = floor(((w3 << 32) | w0) * nf / 2^64)  (multiply-high; each
//               neuron has probability within nf / 2^64 of 1/nf),
//     w1      -> the Bernoulli:    spike iff w1 < threshold(rho),
//     w2      -> the input:        x' = smallest x' with w2 < C[x][x'] (integer inverse CDF).
//   The initial state of chain c uses counters with last word 1: {c, 0, 0, 1} gives x_0 =
//   floor(((w3 << 32) | w0) * m / 2^64) (uniform over inputs); {c, 1 + q, 0, 1} gives bits
//   128 q .. 128 q + 127 of b_0 (bit i is bit i % 32 of word (i / 32) % 4), so b_0 is uniform over
//   the consistent states once the clamped bits are forced. Chains are numbered globally: a
//   chain's trajectory depends only on its number and the seed, never on how many chains run at
//   once, on the thread or block that runs it, or on the backend.
// * Thresholds: threshold(rho) = min(floor(rho * 2^32), 2^32 - 1) as a uint32, with rho computed in
//   float64 by `sigmoid_threshold` below from z = logit rho: exp is our own polynomial (no libm,
//   no CUDA intrinsics), so P(spike) = threshold / 2^32 lies within 2^-32 (+ 1e-15) of rho on
//   every backend. The host builds with -ffp-contract=off and nvcc with -fmad=false, so no
//   multiply-add is fused differently on the two. The sigmoid's argument z is computed from
//   policy data prepared once on the host (W = V T^T, logit p, the rounded J and h) and copied
//   as is to the device, with the same operations in the same order (sampler_step.hpp).
// * Input: C[x][x'] = floor(2^32 * sum_{y <= x'} T(y|x)) with the running sum in float64, left to
//   right, computed once on the host; the last column with T > 0 is set to 2^32. P(x'|x) is then
//   within 2^-32 of T(x'|x).
#include <cstdint>

#include "horner.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

struct Philox4 {
  std::uint32_t w[4];
};

/// Philox4x32-10 of counter {c0, c1, c2, c3} under key {k0, k1}.
NETRL_HD_INLINE Philox4 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                                      std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

/// floor(u * count / 2^64) for u = (hi << 32) | lo and count < 2^32, exactly, in 64-bit integers.
NETRL_HD_INLINE std::uint32_t scale_uniform(std::uint32_t lo, std::uint32_t hi, std::uint32_t count) {
  const std::uint64_t low = (static_cast<std::uint64_t>(lo) * count) >> 32;
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(hi) * count + low) >> 32);
}

NETRL_HD_INLINE double bits_to_double(std::uint64_t bits) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(bits));
#else
  double d;
  __builtin_memcpy(&d, &bits, sizeof d);
  return d;
#endif
}

NETRL_HD_INLINE std::uint64_t double_to_bits(double d) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(d));
#else
  std::uint64_t bits;
  __builtin_memcpy(&bits, &d, sizeof bits);
  return bits;
#endif
}

/// Constants of exp_nonpositive, shared with the host's SIMD evaluation (kernels/host/sampler_simd.hpp).
struct ExpConstants {
  static constexpr double kLog2e = 1.4426950408889634;
  static constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: k * kLn2Hi is exact
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  static constexpr double kLowest = -708.0;
  // Taylor coefficients 1/12!, 1/11!, ..., 1/1!, 1/0! (Horner order).
  static constexpr double kC12 = 2.08767569878680989792e-09;
  static constexpr double kC11 = 2.50521083854417187751e-08;
  static constexpr double kC10 = 2.75573192239858906526e-07;
  static constexpr double kC9 = 2.75573192239858906526e-06;
  static constexpr double kC8 = 2.48015873015873015873e-05;
  static constexpr double kC7 = 1.98412698412698412698e-04;
  static constexpr double kC6 = 1.38888888888888888889e-03;
  static constexpr double kC5 = 8.33333333333333333333e-03;
  static constexpr double kC4 = 4.16666666666666666667e-02;
  static constexpr double kC3 = 1.66666666666666666667e-01;
  static constexpr double kC2 = 0.5;
  static constexpr double kC1 = 1.0;
  static constexpr double kC0 = 1.0;
  static constexpr double kTwo32 = 4294967296.0;
  static constexpr double kTwo52 = 4503599627370496.0;
  static constexpr double kMaxThreshold = 4294967295.0;
};

/// e^a for a <= 0, deterministic across backends: Cody-Waite reduction a = k ln2 + r, |r| <= ln2/2,
/// a degree-12 Taylor polynomial (truncation below 2e-16 relative) and an exact scaling by 2^k.
/// Returns 0 below -708 and for NaN (the result only ever enters 1 + e^a).
NETRL_HD_INLINE double exp_nonpositive(double a) {
  using C = ExpConstants;
  const bool tiny = !(a >= C::kLowest);
  const double c = tiny ? 0.0 : a;
  const double shifted = c * C::kLog2e + C::kShift;
  const double k = shifted - C::kShift;  // integer in [-1022, 0]
  double r = c - k * C::kLn2Hi;
  r = r - k * C::kLn2Lo;
  const double p = horner(r, C::kC12, C::kC11, C::kC10, C::kC9, C::kC8, C::kC7, C::kC6, C::kC5, C::kC4, C::kC3,
                          C::kC2, C::kC1, C::kC0);
  // shifted and kShift lie in one binade, so their representations differ by exactly k.
  const std::uint64_t biased = double_to_bits(shifted) - double_to_bits(C::kShift) + 1023u;  // in [1, 1023]
  const double result = p * bits_to_double(biased << 52);
  return tiny ? 0.0 : result;
}

/// rho = sigmoid(z) in float64, evaluated stably on either side of 0 (1 / (1 + e^-z) for z >= 0,
/// e^z / (1 + e^z) below), without branches.
NETRL_HD_INLINE double sigmoid(double z) {
  const double e = exp_nonpositive(z >= 0.0 ? -z : z);
  return (z >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/// min(floor(sigmoid(z) * 2^32), 2^32 - 1); the neuron spikes iff its Bernoulli word w1 < this.
/// z = NaN (never produced from validated inputs) gives 0.
NETRL_HD_INLINE std::uint32_t sigmoid_threshold(double z) {
  // v = rho * 2^32 is exact (a power-of-two scaling) and lies in [0, 2^32]. Adding and subtracting
  // 2^52 rounds it to an integer (exactly: the sum lies in [2^52, 2^53), where the spacing is 1);
  // one step down where that rounded up gives floor(v). The integer is then read from the low
  // mantissa bits of f + 2^52. Only IEEE additions, comparisons and selects: the same on every
  // backend, and the same in SIMD lanes (the host evaluates blocks of thresholds that way).
  using C = ExpConstants;
  const double rho = z == z ? sigmoid(z) : 0.0;
  const double v = rho * C::kTwo32;
  double f = (v + C::kTwo52) - C::kTwo52;
  f = f - (f > v ? 1.0 : 0.0);
  f = f < C::kMaxThreshold ? f : C::kMaxThreshold;
  return static_cast<std::uint32_t>(double_to_bits(f + C::kTwo52));
}

/// The next input: the smallest x' with u < cdf[x'] (cdf = the row C[x][.], non-decreasing, last
/// positive entry 2^32). A branch-free lower bound (its loop depends on m only); m >= 1.
NETRL_HD_INLINE std::uint32_t next_input(std::uint32_t u, const std::uint64_t* cdf, std::uint32_t m) {
  if (m == 2) return u >= cdf[0] ? 1u : 0u;  // the common binary input, without the loop
  std::uint32_t lo = 0, len = m;
  while (len > 1) {
    const std::uint32_t half = len / 2;
    lo = (u >= cdf[lo + half - 1]) ? lo + half : lo;
    len -= half;
  }
  return lo;
}

/// Index of the lowest set bit of a non-zero word.
NETRL_HD_INLINE int lowest_bit(std::uint64_t v) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(v)) - 1;
#else
  return __builtin_ctzll(v);
#endif
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
