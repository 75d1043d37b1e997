#pragma once
// Per-element maths of the exact solver: the stable two-term log-sum-exp and the pair policy.
//
// On the host the transcendental functions are our own branch-free polynomials so that loops over
// contiguous states vectorise (glibc's exp/log1p are scalar calls unless -ffast-math, which the
// engine does not use: NaN must propagate and be detectable). On CUDA the device versions of
// exp/log1p are used. Every function propagates NaN.
//
// Accuracy (host, checked in tests/backends/test_exact_kernels.cpp against std::exp / std::log1p):
// exp_neg and log1p_unit are within a few ulp in double and float.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "config.hpp"
#include "horner.hpp"
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

/// The IEEE layout of Real (float or double): integers of its width, mantissa bits, exponent
/// bias, the mantissa mask and the bits of 1.
template <class Real>
struct FloatBits {
  using Int = std::conditional_t<sizeof(Real) == 8, std::int64_t, std::int32_t>;
  using UInt = std::make_unsigned_t<Int>;
  static constexpr int kMantissa = std::numeric_limits<Real>::digits - 1;
  static constexpr Int kBias = std::numeric_limits<Real>::max_exponent - 1;
  static constexpr UInt kMantissaMask = (UInt{1} << kMantissa) - 1;
  static constexpr UInt kOne = static_cast<UInt>(kBias) << kMantissa;
};

static_assert(FloatBits<double>::kOne == 0x3ff0000000000000ULL && FloatBits<float>::kOne == 0x3f800000u &&
                  FloatBits<float>::kMantissaMask == 0x007fffffu,
              "IEEE binary32 and binary64");

/// The per-precision constants and polynomials of the host's exp_neg and log1p_unit.
template <class Real>
struct HostMath;
template <>
struct HostMath<double> {
  static constexpr double kExpClip = 300.0;
  static constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  /// Taylor polynomial of exp(r), degree 13: truncation error below 4e-18 on |r| <= ln2 / 2.
  static NETRL_KERNEL_INLINE double exp_poly(double r) {
    return horner(r, 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                  1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0);
  }
  /// atanh(s) / s = sum_k s^2k / (2k + 1), 12 terms (|s| <= 0.1716).
  static NETRL_KERNEL_INLINE double atanh_series(double s2) {
    return horner(s2, 1.0 / 23.0, 1.0 / 21.0, 1.0 / 19.0, 1.0 / 17.0, 1.0 / 15.0, 1.0 / 13.0, 1.0 / 11.0, 1.0 / 9.0,
                  1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0);
  }
};
template <>
struct HostMath<float> {
  static constexpr float kExpClip = 40.0f;
  static constexpr float kShifter = 12582912.0f;  // 1.5 * 2^23
  static constexpr float kLn2Hi = 0.693145751953125f;
  static constexpr float kLn2Lo = 1.428606765330187e-06f;
  /// Degree 7: truncation error below 6e-9 on |r| <= ln2 / 2.
  static NETRL_KERNEL_INLINE float exp_poly(float r) {
    return horner(r, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f);
  }
  /// 6 terms.
  static NETRL_KERNEL_INLINE float atanh_series(float s2) {
    return horner(s2, 1.0f / 11.0f, 1.0f / 9.0f, 1.0f / 7.0f, 1.0f / 5.0f, 1.0f / 3.0f, 1.0f);
  }
};

#if defined(__CUDA_ARCH__)
NETRL_KERNEL_INLINE double exp_neg(double d) { return ::exp(-d); }
NETRL_KERNEL_INLINE float exp_neg(float d) { return ::expf(-d); }
NETRL_KERNEL_INLINE double log1p_unit(double e) { return ::log1p(e); }
NETRL_KERNEL_INLINE float log1p_unit(float e) { return ::log1pf(e); }
#else
/// exp(-d) for d >= 0. Results below exp(-300) (double) / exp(-40) (float) are returned as that
/// bound: they only ever enter log1p(exp(-d)) next to an O(1) term, and the bound keeps every
/// intermediate normal (no denormal slow paths).
template <class Real>
NETRL_KERNEL_INLINE Real exp_neg(Real d) {
  using C = HostMath<Real>;
  using B = FloatBits<Real>;
  d = d > C::kExpClip ? C::kExpClip : d;  // NaN stays NaN
  const Real x = -d;
  // x = k ln2 + r, |r| <= ln2 / 2; k is read from the mantissa of x / ln2 + 1.5 * 2^mantissa.
  const Real kd = x * static_cast<Real>(1.4426950408889634) + C::kShifter;
  const Real k = kd - C::kShifter;
  const Real r = (x - k * C::kLn2Hi) - k * C::kLn2Lo;
  const Real p = C::exp_poly(r);
  // 2^k from the low bits of kd (k in [-433, 0] in double).
  using Int = typename B::Int;
  using UInt = typename B::UInt;
  const Int bits = bit_cast<Int>(kd);
  const Real scale = bit_cast<Real>(static_cast<Int>(static_cast<UInt>(bits) << B::kMantissa) + (B::kBias << B::kMantissa));
  return p * scale;
}

/// log(1 + e) for e in [0, 1] (absolute accuracy, which is what a log-sum-exp needs):
/// log(1 + e) = 2 atanh(s), s = e / (2 + e); above sqrt(2) - 1 use log 2 + log((1 + e) / 2),
/// whose s = (e - 1) / (e + 3). Then |s| <= 0.1716.
template <class Real>
NETRL_KERNEL_INLINE Real log1p_unit(Real e) {
  const bool upper = e > static_cast<Real>(0.41421356237309503);
  const Real num = e - (upper ? Real(1) : Real(0));
  const Real den = e + (upper ? Real(3) : Real(2));
  const Real s = num / den;
  const Real p = HostMath<Real>::atanh_series(s * s);
  return (upper ? static_cast<Real>(0.69314718055994531) : Real(0)) + Real(2) * s * p;
}
#endif

/// Stable log(exp(a) + exp(b)) = max + log1p(exp(-|a - b|)).
template <class Real>
NETRL_KERNEL_INLINE Real lse2(Real a, Real b) {
  const Real hi = a > b ? a : b;
  return hi + log1p_unit(exp_neg(abs_value(a - b)));
}

/// lse2(a, b) and sigmoid(a - b) from one exponential (the fused value and stationary sweep).
/// On the host also from one division: log1p_unit's s = num / den and 1 / (1 + e) both from
/// 1 / ((1 + e) den) (a few ulp, like lse2 and sigmoid).
template <class Real>
struct LseSigmoid {
  Real lse;
  Real rho;
};
template <class Real>
NETRL_KERNEL_INLINE LseSigmoid<Real> lse2_sigmoid(Real a, Real b) {
  const Real hi = a > b ? a : b;
  const Real e = exp_neg(abs_value(a - b));
  LseSigmoid<Real> out;
#if defined(__CUDA_ARCH__)
  const Real inv = Real(1) / (Real(1) + e);
  out.lse = hi + log1p_unit(e);
#else
  const bool upper = e > static_cast<Real>(0.41421356237309503);
  const Real num = e - (upper ? Real(1) : Real(0));
  const Real den = e + (upper ? Real(3) : Real(2));
  const Real one_e = Real(1) + e;
  const Real r = Real(1) / (one_e * den);
  const Real inv = den * r;
  const Real s = num * one_e * r;
  const Real p = HostMath<Real>::atanh_series(s * s);
  out.lse = hi + ((upper ? static_cast<Real>(0.69314718055994531) : Real(0)) + Real(2) * s * p);
#endif
  out.rho = a >= b ? inv : e * inv;
  return out;
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
