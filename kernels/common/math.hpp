#pragma once
// Per-element maths of the exact solver: the stable two-term log-sum-exp and the pair policy.
//
// On the host the transcendental functions are our own branch-free polynomials so that loops over
// contiguous states vectorise (glibc's exp/log1p are scalar calls unless -ffast-math, which the
// engine does not use: NaN must propagate and be detectable). On CUDA the device versions of
// exp/log1p are used. Every function propagates NaN.
//
// Accuracy (host, checked in tests/test_exact_kernels.cpp against std::exp / std::log1p):
// exp_neg and log1p_unit are within a few ulp in double and float.
#include <cmath>

#include "config.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {
namespace math {

template <class To, class From>
NETRL_KERNEL_INLINE To bit_cast(From from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

/// +infinity (std::numeric_limits is not callable from device code without relaxed constexpr).
template <class Real>
NETRL_KERNEL_INLINE Real infinity();
template <>
NETRL_KERNEL_INLINE double infinity<double>() {
  return HUGE_VAL;
}
template <>
NETRL_KERNEL_INLINE float infinity<float>() {
  return HUGE_VALF;
}

#if defined(__CUDA_ARCH__)
NETRL_KERNEL_INLINE double abs_value(double x) { return ::fabs(x); }
NETRL_KERNEL_INLINE float abs_value(float x) { return ::fabsf(x); }
#else
NETRL_KERNEL_INLINE double abs_value(double x) { return std::fabs(x); }
NETRL_KERNEL_INLINE float abs_value(float x) { return std::fabs(x); }
#endif

/// exp(-d) for d >= 0. Results below exp(-300) (double) / exp(-40) (float) are returned as that
/// bound: they only ever enter log1p(exp(-d)) next to an O(1) term, and the bound keeps every
/// intermediate normal (no denormal slow paths).
NETRL_KERNEL_INLINE double exp_neg(double d) {
#if defined(__CUDA_ARCH__)
  return ::exp(-d);
#else
  d = d > 300.0 ? 300.0 : d;  // NaN stays NaN
  const double x = -d;
  // x = k ln2 + r, |r| <= ln2 / 2; k is read from the mantissa of x / ln2 + 1.5 * 2^52.
  const double shifter = 6755399441055744.0;
  const double kd = x * 1.4426950408889634 + shifter;
  const double k = kd - shifter;
  const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  // Taylor polynomial of exp(r), degree 13: truncation error below 4e-18 on |r| <= ln2 / 2.
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k from the low bits of kd (k in [-433, 0] here).
  const std::int64_t bits = bit_cast<std::int64_t>(kd);
  const double scale =
      bit_cast<double>(static_cast<std::int64_t>(static_cast<std::uint64_t>(bits) << 52) +
                       (std::int64_t{1023} << 52));
  return p * scale;
#endif
}

NETRL_KERNEL_INLINE float exp_neg(float d) {
#if defined(__CUDA_ARCH__)
  return ::expf(-d);
#else
  d = d > 40.0f ? 40.0f : d;
  const float x = -d;
  const float shifter = 12582912.0f;  // 1.5 * 2^23
  const float kd = x * 1.44269504f + shifter;
  const float k = kd - shifter;
  const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
  // Degree 7: truncation error below 6e-9 on |r| <= ln2 / 2.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = bit_cast<std::int32_t>(kd);
  const float scale =
      bit_cast<float>(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits) << 23) +
                      (std::int32_t{127} << 23));
  return p * scale;
#endif
}

/// log(1 + e) for e in [0, 1] (absolute accuracy, which is what a log-sum-exp needs).
NETRL_KERNEL_INLINE double log1p_unit(double e) {
#if defined(__CUDA_ARCH__)
  return ::log1p(e);
#else
  // log(1 + e) = 2 atanh(s), s = e / (2 + e); above sqrt(2) - 1 use log 2 + log((1 + e) / 2),
  // whose s = (e - 1) / (e + 3). Then |s| <= 0.1716 and the odd series needs 12 terms.
  const bool upper = e > 0.41421356237309503;
  const double num = e - (upper ? 1.0 : 0.0);
  const double den = e + (upper ? 3.0 : 2.0);
  const double s = num / den;
  const double s2 = s * s;
  double p = 1.0 / 23.0;
  p = p * s2 + 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  return (upper ? 0.69314718055994531 : 0.0) + 2.0 * s * p;
#endif
}

NETRL_KERNEL_INLINE float log1p_unit(float e) {
#if defined(__CUDA_ARCH__)
  return ::log1pf(e);
#else
  const bool upper = e > 0.41421356f;
  const float num = e - (upper ? 1.0f : 0.0f);
  const float den = e + (upper ? 3.0f : 2.0f);
  const float s = num / den;
  const float s2 = s * s;
  float p = 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return (upper ? 0.693147181f : 0.0f) + 2.0f * s * p;
#endif
}

/// Stable log(exp(a) + exp(b)) = max + log1p(exp(-|a - b|)).
template <class Real>
NETRL_KERNEL_INLINE Real lse2(Real a, Real b) {
  const Real hi = a > b ? a : b;
  return hi + log1p_unit(exp_neg(abs_value(a - b)));
}

/// The policy of one pair (MODEL.md sec. 2): rho = sigmoid(z), z = d / (nf lambda) + logit p,
/// and KL[Bern(rho) || Bern(p)] from log rho = min(z, 0) - log1p(e^-|z|),
/// log(1 - rho) = min(-z, 0) - log1p(e^-|z|).
template <class Real>
struct PairPolicy {
  Real rho;
  Real not_rho;  // 1 - rho, accurate where rho is close to 1
  Real kl;
};

template <class Real>
NETRL_KERNEL_INLINE Real sigmoid(Real z) {
  const Real e = exp_neg(abs_value(z));
  const Real inv = Real(1) / (Real(1) + e);
  return z >= Real(0) ? inv : e * inv;
}

template <class Real>
NETRL_KERNEL_INLINE PairPolicy<Real> pair_policy(Real z, Real log_p1, Real log_p0) {
  const Real e = exp_neg(abs_value(z));
  const Real inv = Real(1) / (Real(1) + e);
  const Real rho = z >= Real(0) ? inv : e * inv;
  const Real l = log1p_unit(e);
  const Real log_rho = (z < Real(0) ? z : Real(0)) - l;
  const Real log_not = (z > Real(0) ? -z : Real(0)) - l;
  PairPolicy<Real> out;
  out.rho = rho;
  out.not_rho = z >= Real(0) ? e * inv : inv;
  out.kl = rho * (log_rho - log_p1) + (Real(1) - rho) * (log_not - log_p0);
  return out;
}

}  // namespace math
}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
