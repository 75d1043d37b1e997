#pragma once
// Per-state functors of the general-MDP engine (docs/model.md, "General MDPs and the maze"),
// written once for the host (OpenMP) and CUDA builds. Every work item is a chunk of states
// (Chunking: 2^12 states on the host, one state on CUDA) of one problem; the element-wise steps
// (relative steps, the stationary update, weighted sums, fills) are those of chunk_functors.hpp.
//
// For problem q with values v, lambda and action prior p:
//   q(s, a)  = sum_{s'} p(s'|s,a) v(s')                                (row_value)
//   z(s, a)  = log p(a) + q(s, a) / lambda
//   (T v)(s) = r(s) + lambda log sum_a exp z(s, a)                      (MdpBellman)
//   pi(a|s)  = exp(z(s, a) - log sum_a' exp z(s, a'))                   (MdpPolicy)
//   c(s)     = sum_a pi(a|s) (q(s, a) / lambda - log sum_a' exp z(s, a'))  = KL[pi(.|s) || p]
//   (T_pi v)(s) = r(s) - lambda c(s) + sum_a pi(a|s) q(s, a)            (MdpFixedPolicy)
//   (mu P)(s') = sum over the rows r = s A + a leading to s' of mu(s) pi(a|s) p(s'|s,a)
//                                                                      (MdpFlow, then MdpGather)
// The log-sum-exp over actions is a running, stable one (Lse): every exponent is <= 0.
#include <cstdint>

#include "chunk_functors.hpp"
#include "config.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "pair_functors.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

/// The transition structure shared by the batch (the backend's memory): rows r = s A + a.
template <class Real>
struct MdpStructure {
  int actions = 1;
  const std::int64_t* row_ptr = nullptr;  // [S A + 1]
  const std::int32_t* next = nullptr;     // [entries] s'
  const Real* prob = nullptr;             // [entries] p(s'|s,a)
  const std::int64_t* in_ptr = nullptr;   // [S + 1] the entries leading to s', by target
  const std::int32_t* in_row = nullptr;   // [entries] their row r = s A + a (ascending per target)
  const Real* in_prob = nullptr;          // [entries] their probability
};

/// Per-problem constants (the backend's memory).
template <class Real>
struct MdpParams {
  const Real* lambda = nullptr;      // [B]
  const Real* inv_lambda = nullptr;  // [B]
  const Real* log_prior = nullptr;   // [B A] log p(a)
};

namespace mdp {

/// q(s, a) = sum_{s'} p(s'|s,a) v(s') for row r = s A + a; `v` is the problem's block.
template <class Real>
NETRL_KERNEL_INLINE Real row_value(const MdpStructure<Real>& m, index_t row, const Real* v) {
  Real acc = Real(0);
  const std::int64_t end = m.row_ptr[row + 1];
  for (std::int64_t e = m.row_ptr[row]; e < end; ++e) acc += m.prob[e] * v[m.next[e]];
  return acc;
}

/// log x for a finite x >= 1 (the sum of a log-sum-exp after its maximum is taken out): on the
/// host x = 2^k m with m in [1, 2), log x = k log 2 + log1p_unit(m - 1), branch-free like the
/// exact engine's maths (glibc's log is a scalar call); NaN propagates. On CUDA the device log.
#if defined(__CUDA_ARCH__)
NETRL_KERNEL_INLINE double log_value(double x) { return ::log(x); }
NETRL_KERNEL_INLINE float log_value(float x) { return ::logf(x); }
#else
template <class Real>
NETRL_KERNEL_INLINE Real log_value(Real x) {
  using B = math::FloatBits<Real>;
  const auto bits = math::bit_cast<typename B::UInt>(x);
  const auto k = static_cast<Real>(static_cast<typename B::Int>(bits >> B::kMantissa) - B::kBias);
  const Real m = math::bit_cast<Real>((bits & B::kMantissaMask) | B::kOne);
  return k * static_cast<Real>(0.69314718055994531) + math::log1p_unit(m - Real(1)) + (x - x);
}
#endif

/// A running, stable log sum_k exp(z_k) = hi + log(sum): each new term rescales by exp(-|z - hi|)
/// <= 1, so sum stays in [1, count]. NaN propagates.
template <class Real>
struct Lse {
  Real hi = -math::infinity<Real>();
  Real sum = Real(0);
  NETRL_KERNEL_INLINE void add(Real z) {
    const Real e = math::exp_neg(math::abs_value(z - hi));
    if (z > hi) {
      sum = sum * e + Real(1);
      hi = z;
    } else {
      sum += e;
    }
  }
  NETRL_KERNEL_INLINE Real value() const { return hi + log_value(sum); }
};

}  // namespace mdp

/// What every sweep over values reads: the structure, the per-problem constants, the chunks of
/// states and the active mask.
template <class Real>
struct MdpSweep {
  MdpStructure<Real> m;
  MdpParams<Real> params;
  Chunking chunks;
  const std::uint8_t* active = nullptr;
};

namespace mdp {

/// Item k of a sweep over values, with its problem's block of them and its constants.
template <class Real>
struct Item {
  ChunkItem c;
  const Real* v = nullptr;      // the problem's block of the values
  const Real* log_p = nullptr;  // [A] log p(a)
  Real lambda = Real(1), inv = Real(1);

  /// false where the item's problem is not active (nothing to do).
  NETRL_KERNEL_INLINE bool start(const MdpSweep<Real>& sweep, const Buf<Real>& values, index_t k) {
    c = sweep.chunks.item(k);
    if (!sweep.active[c.q]) return false;
    v = values.at(c.q) + c.block;
    log_p = sweep.params.log_prior + static_cast<index_t>(c.q) * static_cast<index_t>(sweep.m.actions);
    lambda = sweep.params.lambda[c.q];
    inv = sweep.params.inv_lambda[c.q];
    return true;
  }
  /// z(s, a) = log p(a) + q(s, a) / lambda for the problem's state s.
  NETRL_KERNEL_INLINE Real exponent(const MdpStructure<Real>& m, index_t s, int a) const {
    return log_p[a] + inv * row_value(m, s * static_cast<index_t>(m.actions) + a, v);
  }
};

/// f(it, s, o) for each state of item k of a sweep over `values` whose problem is active: it the
/// item (its constants), s the problem's state, o its index in the batch's arrays.
template <class Real, class F>
NETRL_KERNEL_INLINE void for_each_state(const MdpSweep<Real>& sweep, const Buf<Real>& values, index_t k, const F& f) {
  Item<Real> it;
  if (!it.start(sweep, values, k)) return;
  for (index_t j = 0; j < it.c.count; ++j) f(it, it.c.base - it.c.block + j, it.c.base + j);
}

}  // namespace mdp

/// The soft Bellman sweep: out = T h (the exponents z(s, a) recomputed from h).
template <class Real>
struct MdpBellman {
  MdpSweep<Real> sweep;
  Buf<Real> h;
  const Real* reward = nullptr;
  Real* out = nullptr;

  NETRL_HD void operator()(index_t k) const {
    mdp::Item<Real> it;
    if (!it.start(sweep, h, k)) return;
    const int A = sweep.m.actions;
#if !defined(__CUDACC__)
    if (A <= kBlockActions) {
      for (index_t j0 = 0; j0 < it.c.count; j0 += kBlockStates) {
        const index_t n = it.c.count - j0 < kBlockStates ? it.c.count - j0 : kBlockStates;
        blocked(it, it.c.base - it.c.block + j0, n, it.c.base + j0);
      }
      return;
    }
#endif
    for (index_t j = 0; j < it.c.count; ++j) {
      const index_t s = it.c.base - it.c.block + j;
      mdp::Lse<Real> lse;
      for (int a = 0; a < A; ++a) lse.add(it.exponent(sweep.m, s, a));
      out[it.c.base + j] = reward[it.c.base + j] + it.lambda * lse.value();
    }
  }

  /// The host's path for up to kBlockActions actions: the exponents of kBlockStates states are
  /// gathered first, then the log-sum-exp runs over actions in vectorised loops over the states
  /// (two passes: the maximum, then the sum of exp(z - max)). Same maths as Lse.
  static constexpr int kBlockActions = 16;
  static constexpr index_t kBlockStates = 32;
  NETRL_KERNEL_INLINE void blocked(const mdp::Item<Real>& it, index_t s0, index_t n, index_t o) const {
    const int A = sweep.m.actions;
    Real z[kBlockActions][kBlockStates];
    Real hi[kBlockStates], sum[kBlockStates];
    for (int a = 0; a < A; ++a)
      for (index_t j = 0; j < n; ++j) z[a][j] = it.exponent(sweep.m, s0 + j, a);
    NETRL_SIMD
    for (index_t j = 0; j < n; ++j) {
      hi[j] = z[0][j];
      sum[j] = Real(0);
    }
    for (int a = 1; a < A; ++a) {
      NETRL_SIMD
      for (index_t j = 0; j < n; ++j) hi[j] = z[a][j] > hi[j] ? z[a][j] : hi[j];
    }
    for (int a = 0; a < A; ++a) {
      NETRL_SIMD
      for (index_t j = 0; j < n; ++j) sum[j] += math::exp_neg(hi[j] - z[a][j]);
    }
    const Real* r = reward + o;
    const Real lambda = it.lambda;
    Real* NETRL_RESTRICT t = out + o;
    NETRL_SIMD
    for (index_t j = 0; j < n; ++j) t[j] = r[j] + lambda * (hi[j] + mdp::log_value(sum[j]));
  }
};

/// The greedy policy of h, stored: pi(a|s) at problem q's [q S A + s A + a], and its coding cost
/// c(s) = KL[pi(.|s) || p]. The exponents are staged in pi before they are normalised.
template <class Real>
struct MdpPolicy {
  MdpSweep<Real> sweep;
  Buf<Real> h;
  Real* pi = nullptr;
  Real* cost = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const int A = sweep.m.actions;
    mdp::for_each_state(sweep, h, k, [&](const mdp::Item<Real>& it, index_t s, index_t o) {
      Real* p = pi + o * static_cast<index_t>(A);
      mdp::Lse<Real> lse;
      for (int a = 0; a < A; ++a) {
        p[a] = it.exponent(sweep.m, s, a);
        lse.add(p[a]);
      }
      // pi = exp(z - hi) / sum, not exp(z - (hi + log sum)): at a tiny lambda the exponents reach
      // 1e17 and more, where hi + log sum rounds to hi and a row of ties summed to its count.
      const Real log_sum = mdp::log_value(lse.sum);
      const Real inv_sum = Real(1) / lse.sum;
      Real kl = Real(0);
      for (int a = 0; a < A; ++a) {
        const Real z = p[a];
        p[a] = math::exp_neg(lse.hi - z) * inv_sum;
        // log(pi / p(a)) = (z - hi) - log sum - log p(a), finite even where pi underflows.
        kl += p[a] * ((z - lse.hi) - log_sum - it.log_p[a]);
      }
      cost[o] = kl;
    });
  }
};

/// A sum of the terms of the stored policy (PolicyTerms, as FixedPolicyOp of the exact engine):
/// all three is policy evaluation T_pi v = r - lambda c + P v; kNextTerm alone is y = P v;
/// kRewardTerm | kCostTerm is the one-step reward g = r - lambda c.
template <class Real, int kTerms>
struct MdpFixedPolicy {
  MdpSweep<Real> sweep;
  Buf<Real> v;
  const Real* pi = nullptr;
  const Real* cost = nullptr;
  const Real* reward = nullptr;
  Real* out = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const int A = sweep.m.actions;
    mdp::for_each_state(sweep, v, k, [&](const mdp::Item<Real>& it, index_t s, index_t o) {
      Real acc = Real(0);
      if ((kTerms & kRewardTerm) != 0) acc += reward[o];
      if ((kTerms & kCostTerm) != 0) acc -= it.lambda * cost[o];
      if ((kTerms & kNextTerm) != 0) {
        const Real* p = pi + o * static_cast<index_t>(A);
        for (int a = 0; a < A; ++a) acc += p[a] * mdp::row_value(sweep.m, s * static_cast<index_t>(A) + a, it.v);
      }
      out[o] = acc;
    });
  }
};

/// The first half of the adjoint sweep: the probability flow w(s, a) = mu(s) pi(a|s) of every row
/// (problem q's block of w is laid out like pi).
template <class Real>
struct MdpFlow {
  int actions = 1;
  Buf<Real> mu;
  const Real* pi = nullptr;
  Real* flow = nullptr;
  Chunking chunks;
  const std::uint8_t* active = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const ChunkItem c = chunks.item(k);
    if (!active[c.q]) return;
    const Real* m = mu.at(c.q);
    const auto A = static_cast<index_t>(actions);
    for (index_t j = 0; j < c.count; ++j) {
      const Real weight = m[c.base + j];
      const index_t r0 = (c.base + j) * A;
      for (index_t a = 0; a < A; ++a) flow[r0 + a] = weight * pi[r0 + a];
    }
  }
};

/// The second half: y(s') = sum of w(r) p(s'|r) over the rows r leading to s' (a gather: one
/// writer per output, sums in a fixed order).
template <class Real>
struct MdpGather {
  MdpSweep<Real> sweep;
  const Real* flow = nullptr;
  Real* out = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const ChunkItem c = sweep.chunks.item(k);
    if (!sweep.active[c.q]) return;
    const MdpStructure<Real>& m = sweep.m;
    const Real* w = flow + c.block * static_cast<index_t>(m.actions);
    for (index_t j = 0; j < c.count; ++j) {
      const index_t target = c.base - c.block + j;
      Real acc = Real(0);
      const std::int64_t end = m.in_ptr[target + 1];
      for (std::int64_t e = m.in_ptr[target]; e < end; ++e) acc += w[m.in_row[e]] * m.in_prob[e];
      out[c.base + j] = acc;
    }
  }
};

/// Per-action stationary sums of one pass over actions [first, first + count) (count <= kSlots).
template <int kSlots>
struct ActionSums {
  double sum[kSlots];
  std::uint64_t zeros;
  NETRL_KERNEL_INLINE static ActionSums identity() {
    ActionSums v;
    for (int u = 0; u < kSlots; ++u) v.sum[u] = 0.0;
    v.zeros = 0;
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const ActionSums& o) {
    for (int u = 0; u < kSlots; ++u) sum[u] += o.sum[u];
    zeros += o.zeros;
  }
};

/// sum_s mu(s) pi(a|s) for the actions of one pass, and the count of pi(a|s) == 0 among them.
template <class Real, int kSlots>
struct MdpActionStats : ChunkReduction<MdpActionStats<Real, kSlots>, ActionSums<kSlots>> {
  int actions = 1;
  int first = 0;
  int count_actions = 1;
  Buf<Real> mu;
  const Real* pi = nullptr;

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, ActionSums<kSlots>* v) const {
    const Real* m = mu.at(c.q);
    const auto A = static_cast<index_t>(actions);
    for (int u = 0; u < count_actions && u < kSlots; ++u) {
      const index_t a = static_cast<index_t>(first + u);
      double sum = 0.0;
      std::uint64_t zeros = 0;
      for (index_t j = 0; j < c.count; ++j) {
        const Real p = pi[(c.base + j) * A + a];
        sum += static_cast<double>(m[c.base + j]) * static_cast<double>(p);
        zeros += p == Real(0) ? 1u : 0u;
      }
      v->sum[u] = sum;
      v->zeros += zeros;
    }
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
