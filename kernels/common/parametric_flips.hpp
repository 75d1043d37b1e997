#pragma once
// The parametric solver's regression on local fields (ParametricOptions::regression "fields";
// docs/parametric.md, "Regression on local fields"), written once as NETRL_HD functors.
//
// The policy depends on the value only through its differences under one flip,
//   D_i(s, x) = v(s^{i+}, x) - v(s^{i-}, x) = 2 (h_i(x) + u_i),
// so each sample gives nf regression equations, D_i = Dhat_i with Dhat_i the same difference of the
// soft-Bellman target vhat (eq. 41), instead of the single equation v = vhat. With the target's
// local fields ubt_k = hbt_k(x) + ubar_k and the target policy's firing probability
// pi_k = sigmoid(2 ubt_k / Temp + logit p_k) at the sample (Temp = nf lambda),
//   Dhat_i = [r(s^{i+}) - r(s^{i-})] + 2 ubt_i - (2 / nf) (hbt_i + 2 ubar_i)
//            - s_i lambda sum_{k free, k != i} log(pi_k e^{-d_ki} + (1 - pi_k) e^{d_ki}),
//   d_ki = 2 s_i Jbar_ki / Temp:
// the soft term of neuron k at s^{i+} less the one at s^{i-}; one of the two states is the
// sample itself, so each pair costs one log-sum-exp (O(nf) per equation, never a sum over states).
// The reward's part is added on the host (host/solve/parametric/field_regression.cpp; a planted
// reward's differences use soft_flip_sum below, kernels/host/parametric_flips_host.cpp).
#include <cstdint>

#include "math.hpp"
#include "netrl/kernels/parametric.hpp"
#include "parametric_step.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

// kFlipTerms (netrl/kernels/parametric.hpp) entries per (sample, neuron) of the flip array: D_i,
// Dhat_i less the reward's part, and 2 (u_i - ubar_i) (the couplings' part of D_i less the target's).

/// sum_{k != i} log(pi_k e^{-d_k} + (1 - pi_k) e^{d_k}), d_k = scale * row[k], from
/// log_pi[k] = log pi_k and log_pi[n + k] = log(1 - pi_k), in the precision Real (float32
/// engines: float32 arithmetic, twice the vector lanes). Entries k with row[k] = 0 add
/// log(pi_k + 1 - pi_k) = 0 to rounding; the term k = i is removed exactly. On the host the loop
/// is vectorised (kernels/host/parametric_flips_host.cpp, the kernels' flags): a fixed order for a
/// given build, whatever the number of threads.
template <class Real, class Row>
NETRL_HD_INLINE double soft_flip_sum(const Row* NETRL_RESTRICT row, const Real* NETRL_RESTRICT log_pi, std::uint64_t n,
                                     std::uint64_t i, Real scale) {
  const Real* NETRL_RESTRICT log_not = log_pi + n;
  Real sum = 0;
  NETRL_SIMD_SUM1(sum)
  for (std::uint64_t k = 0; k < n; ++k) {
    const Real d = scale * static_cast<Real>(row[k]);
    sum += NETRL_KERNELS_NS::math::lse2<Real>(log_pi[k] - d, log_not[k] + d);
  }
  return static_cast<double>(sum) - static_cast<double>(NETRL_KERNELS_NS::math::lse2<Real>(log_pi[i], log_not[i]));
}

/// The first pass of a recorded row, item (k, i) = k * n + i, rows and samples as SampleTerms:
/// the target policy's log pi_i and log(1 - pi_i) at the sample (clamped neurons: 0 and -80, so
/// their soft terms vanish to rounding: exp(-80) is below float32's and float64's epsilon), and
/// the flip entries D_i, Dhat_i's linear part 2 ubt_i - (2 / nf) (hbt_i + 2 ubar_i), and
/// 2 (u_i - ubar_i) (zero for clamped neurons).
template <class Real>
struct FlipPolicy {
  ParametricView<Real> v;
  Real* log_pi = nullptr;  // samples * 2 n: per sample log pi (n), then log(1 - pi) (n)
  double* flip = nullptr;  // samples * n * kFlipTerms
  std::uint64_t slot = 0;
  std::uint64_t row_base = 0, sample_base = 0, stride = 0;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), k = item / n, i = item % n;
    const std::uint64_t c = row_base + k;
    const std::uint64_t s = sample_base + slot * stride + k;
    Real* lp = log_pi + s * 2 * n + i;
    double* out = flip + (s * n + i) * kFlipTerms;
    if (!v.is_free(i)) {
      lp[0] = 0;
      lp[n] = static_cast<Real>(-80);
      out[0] = out[1] = out[2] = 0.0;
      return;
    }
    const std::uint64_t xi = static_cast<std::uint64_t>(v.x[c]) * n + i;
    const double u = static_cast<double>(v.u[c * n + i]);
    const double ub = static_cast<double>(v.ubar[c * n + i]);
    const double field_bar = v.hbt[xi] + ub;
    const double z = v.coupling * field_bar + v.logit_p[i];
    lp[0] = static_cast<Real>(-softplus(-z));
    lp[n] = static_cast<Real>(-softplus(z));
    out[0] = 2.0 * (v.h[xi] + u);
    out[1] = 2.0 * field_bar - 2.0 * v.inv_nf * (v.hbt[xi] + 2.0 * ub);
    out[2] = 2.0 * (u - ub);
  }
};

/// The second pass, item (s, i) = s * n + i over samples [sample_base, sample_base + count):
/// Dhat_i's soft terms, from the sample's spin and log pi (FlipPolicy) and row i of Jbar.
template <class Real>
struct FlipTerms {
  ParametricView<Real> v;
  const Real* log_pi = nullptr;
  double* flip = nullptr;
  std::uint64_t sample_base = 0;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), s = sample_base + item / n, i = item % n;
    if (!v.is_free(i)) return;
    const double si = static_cast<double>(v.spin[s * n + i]);
    const double sum = soft_flip_sum(v.Jbar + i * n, log_pi + s * 2 * n, n, i, static_cast<Real>(2.0 * si * v.inv_temperature));
    flip[(s * n + i) * kFlipTerms + 1] -= si * v.lambda * sum;
  }
};

/// The couplings' step of the regression on local fields: J_ij += sum_s (a_si s_j^(s) +
/// s_i^(s) a_sj) over kept pairs, a = samples * n (the gradient of both equations i and j that
/// hold J_ij), samples in order.
template <class Real>
struct FlipCouplingStep {
  ParametricView<Real> v;
  const double* a = nullptr;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), i = item / n, j = item % n;
    if (!v.kept(i, j)) return;
    double step = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      step += a[s * n + i] * static_cast<double>(v.spin[s * n + j]) + static_cast<double>(v.spin[s * n + i]) * a[s * n + j];
    }
    v.J[item] = static_cast<Real>(static_cast<double>(v.J[item]) + step);
  }

  /// Row i's upper part at once (the host's order): the same sums for j > i, samples in order,
  /// written to J_ij and J_ji. `acc` has n entries of scratch.
  void upper_row(std::uint64_t i, double* acc) const {
    const std::uint64_t n = v.n();
    if (!v.is_free(i)) return;
    for (std::uint64_t j = i + 1; j < n; ++j) acc[j] = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      const double ai = a[s * n + i], si = static_cast<double>(v.spin[s * n + i]);
      const Real* sj = v.spin + s * n;
      const double* aj = a + s * n;
      for (std::uint64_t j = i + 1; j < n; ++j) acc[j] += ai * static_cast<double>(sj[j]) + si * aj[j];
    }
    add_upper_row(v, i, acc);
  }
};

/// r[s * chains + c] = sum_{j free} a_sj s_j^(c) for chain c, item s * chains + c: with the
/// overlaps q of SampleOverlap, what FlipFieldStep needs.
template <class Real>
struct FlipOverlap {
  ParametricView<Real> v;
  const double* a = nullptr;
  double* r = nullptr;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), s = item / v.chains, c = item % v.chains;
    double sum = 0.0;
    for (std::uint64_t j = 0; j < n; ++j) {
      if (v.is_free(j)) sum += v.sigma[c * n + j] ? a[s * n + j] : -a[s * n + j];
    }
    r[item] = sum;
  }
};

/// The chains' current fields after FlipCouplingStep without a mask, item (c, i): u_i += sum_s
/// (a_si q_sc + s_i^(s) r_sc - 2 a_si s_i^(s) s_i^(c)), the change of sum_{j != i} J_ij s_j^(c)
/// (O(samples) per field instead of O(n)).
template <class Real>
struct FlipFieldStep {
  ParametricView<Real> v;
  const double* a = nullptr;
  const double* r = nullptr;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), c = item / n, i = item % n;
    if (!v.is_free(i)) return;
    const double own = v.sigma[item] ? 1.0 : -1.0;
    double step = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      const double ai = a[s * n + i], si = static_cast<double>(v.spin[s * n + i]);
      const std::uint64_t sc = s * v.chains + c;
      step += ai * static_cast<double>(v.overlap[sc]) + si * r[sc] - 2.0 * ai * si * own;
    }
    v.u[item] = static_cast<Real>(static_cast<double>(v.u[item]) + step);
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
