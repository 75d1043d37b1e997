#pragma once
// The chunk functors of the exact and MDP engines: the relative steps of value iteration, policy
// evaluation and the stationary distribution with their per-problem statistics, weighted sums,
// element-wise fills and copies, and the exact engine's input step on the host. Each work item is
// a chunk of contiguous states (Chunking) or, for the input step, a chunk of network states of one
// (problem, x) slice.
#include <cmath>
#include <cstdint>
#include <vector>

#include "config.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "netrl/kernels/batch_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

// ---------------------------------------------------------------------------------------------
// Reductions. A reduction functor has a value_type with identity() and combine(); the launcher
// combines the values of one problem's items (items are problem-major).

/// The engine's SpanStats (netrl/kernels/batch_engine.hpp) as a reduction value: the launcher's
/// result is the statistics themselves.
struct SpanValue : SpanStats {
  NETRL_KERNEL_INLINE static SpanValue identity() {
    SpanValue v;  // max_abs and nonfinite start at 0
    v.lo = math::infinity<double>();
    v.hi = -math::infinity<double>();
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const SpanValue& o) {
    lo = o.lo < lo ? o.lo : lo;
    hi = o.hi > hi ? o.hi : hi;
    max_abs = o.max_abs > max_abs ? o.max_abs : max_abs;
    nonfinite += o.nonfinite;
  }
};

/// A reduction over the chunks of the active problems (Chunking): item k's value is the identity
/// where its problem is not active, else what Derived::add(item, &value) adds to it.
template <class Derived, class Value>
struct ChunkReduction {
  using value_type = Value;
  Chunking chunks;
  const std::uint8_t* active = nullptr;

  NETRL_HD Value operator()(index_t k) const {
    Value v = Value::identity();
    const ChunkItem c = chunks.item(k);
    if (active[c.q]) static_cast<const Derived&>(*this).add(c, &v);
    return v;
  }
};

/// The relative step of value iteration (or of policy evaluation): with t = T h,
/// statistics of t - h, and h_next = theta (t - t(0)) + (1 - theta) h written to the other buffer
/// of h (h(0) = 0 always). theta < 1 (a periodic input) is the aperiodicity transform: the same
/// fixed point, and the span of the damped operator's step is theta span(t - h).
template <class Real>
struct RelativeStep : ChunkReduction<RelativeStep<Real>, SpanValue> {
  const Real* t = nullptr;
  Buf<Real> h;
  const Real* theta = nullptr;  // [B]

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, SpanValue* v) const {
    const Real ref = t[c.block];
    const Real th = theta[c.q], keep = Real(1) - theta[c.q];
    const index_t count = c.count;
    const Real* NETRL_RESTRICT tt = t + c.base;
    const Real* NETRL_RESTRICT hc = h.at(c.q) + c.base;
    Real* NETRL_RESTRICT hn = h.other(c.q) + c.base;
    Real lo = math::infinity<Real>();
    Real hi = -math::infinity<Real>();
    Real amax = Real(0);
    std::uint64_t bad = 0;
#if !defined(__CUDACC__) && defined(_OPENMP)
#pragma omp simd reduction(min : lo) reduction(max : hi, amax) reduction(+ : bad)
#endif
    for (index_t j = 0; j < count; ++j) {
      const Real d = tt[j] - hc[j];
      lo = d < lo ? d : lo;
      hi = d > hi ? d : hi;
      const Real a = math::abs_value(tt[j]);
      amax = a > amax ? a : amax;
      bad += (d - d != Real(0)) ? 1u : 0u;  // NaN or infinite
      hn[j] = th * (tt[j] - ref) + keep * hc[j];
    }
    v->lo = static_cast<double>(lo);
    v->hi = static_cast<double>(hi);
    v->max_abs = static_cast<double>(amax);
    v->nonfinite = bad;
  }
};

/// The engine's MuStats as a reduction value (all sums, starting at 0).
struct MuValue : MuStats {
  NETRL_KERNEL_INLINE static MuValue identity() { return MuValue(); }
  NETRL_KERNEL_INLINE void combine(const MuValue& o) {
    change += o.change;
    mass += o.mass;
    nonfinite += o.nonfinite;
  }
};

/// mu_next = scale (theta y + (1 - theta) mu), y = mu P (after the input step); statistics of
/// the change. `y` may be the next buffer of mu itself (each element is read before it is
/// written): the fused value and stationary step leaves mu P there.
template <class Real>
struct StationaryStep : ChunkReduction<StationaryStep<Real>, MuValue> {
  Buf<Real> y;
  Buf<Real> mu;
  const Real* theta = nullptr;  // [B]
  const Real* scale = nullptr;  // [B]

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, MuValue* v) const {
    const index_t count = c.count;
    const Real* yy = y.at(c.q) + c.base;
    const Real* mc = mu.at(c.q) + c.base;
    Real* mn = mu.other(c.q) + c.base;
    const Real th = theta[c.q], keep = Real(1) - theta[c.q], sc = scale[c.q];
    double change = 0.0, mass = 0.0;
    std::uint64_t bad = 0;
#if !defined(__CUDACC__) && defined(_OPENMP)
#pragma omp simd reduction(+ : change, mass, bad)
#endif
    for (index_t j = 0; j < count; ++j) {
      const Real next = sc * (th * yy[j] + keep * mc[j]);
      change += static_cast<double>(math::abs_value(next - mc[j]));
      mass += static_cast<double>(next);
      bad += (next - next != Real(0)) ? 1u : 0u;
      mn[j] = next;
    }
    v->change = change;
    v->mass = mass;
    v->nonfinite = bad;
  }
};

/// The largest of some numbers (NaN ignored), per problem.
struct MaxValue {
  double max;
  NETRL_KERNEL_INLINE static MaxValue identity() {
    MaxValue v;
    v.max = -math::infinity<double>();
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const MaxValue& o) { max = o.max > max ? o.max : max; }
};

/// The Gibbs distribution of an input-free network's greedy policy (MODEL.md sec. 2 with m = 1):
/// rho_i(b) = sigmoid((h(b|i=1) - h(b|i=0)) / (nf lambda) + logit p_i) is the conditional of
/// bit i under mu(b) ~ exp(h(b) / (nf lambda)) prod_i p_i^b_i (1 - p_i)^(1 - b_i), so the chain
/// (a free neuron chosen uniformly resamples its bit from rho_i: a random-scan Gibbs sampler) has
/// that mu as its stationary distribution, whatever h. log_weight is its logarithm (in float64)
/// at state b of problem q, whose value is hb; the prior's part, sum_i log p_i or log(1 - p_i) by
/// bit i of b, is read byte by byte from per-problem tables (GibbsTables).
template <class Real>
struct GibbsWeight {
  Buf<Real> h;
  const Real* inv_temp = nullptr;      // [B] 1 / (nf lambda)
  const double* byte_sums = nullptr;   // [B * GibbsTables::size]
  int bytes = 1;                       // GibbsTables::bytes
  int width = 2;                       // GibbsTables::width

  NETRL_KERNEL_INLINE double log_weight(int q, index_t b, Real hb) const {
    const double* t = byte_sums + static_cast<index_t>(q) * static_cast<index_t>(bytes * width);
    const auto low = static_cast<index_t>(width - 1);
    double w = static_cast<double>(hb) * static_cast<double>(inv_temp[q]);
    for (int k = 0; k < bytes; ++k) w += t[k * width + static_cast<int>((b >> (8 * k)) & low)];
    return w;
  }
};

/// The shape of GibbsWeight's tables for nf free neurons: one table per byte of the state, of
/// 2^min(8, nf) entries, per problem.
struct GibbsTables {
  int bytes, width;
  explicit GibbsTables(int nf) : bytes((nf + 7) / 8), width(1 << (nf < 8 ? nf : 8)) {}
  int size() const { return bytes * width; }

  /// One problem's tables from its priors (nf entries in (0, 1)): entry k * width + v is the sum
  /// over the bits i of v (neuron 8 k + i < nf) of log p or log(1 - p).
  std::vector<double> sums(const double* prior, int nf) const {
    std::vector<double> l1(static_cast<std::size_t>(nf)), l0(static_cast<std::size_t>(nf));
    for (int i = 0; i < nf; ++i) {
      l1[static_cast<std::size_t>(i)] = std::log(prior[i]);
      l0[static_cast<std::size_t>(i)] = std::log1p(-prior[i]);
    }
    std::vector<double> t(static_cast<std::size_t>(size()), 0.0);
    for (int k = 0; k < bytes; ++k) {
      for (int v = 0; v < width; ++v) {
        double sum = 0.0;
        for (int i = 0; i < 8 && 8 * k + i < nf; ++i) {
          const auto n = static_cast<std::size_t>(8 * k + i);
          sum += ((v >> i) & 1) != 0 ? l1[n] : l0[n];
        }
        t[static_cast<std::size_t>(k * width + v)] = sum;
      }
    }
    return t;
  }
};

/// The largest log weight of each problem (GibbsWeight).
template <class Real>
struct GibbsTop : ChunkReduction<GibbsTop<Real>, MaxValue> {
  GibbsWeight<Real> weight;

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, MaxValue* v) const {
    const Real* hc = weight.h.at(c.q) + c.base;
    const index_t first = c.base - c.block, count = c.count;
    double top = -math::infinity<double>();
    for (index_t j = 0; j < count; ++j) {
      const double w = weight.log_weight(c.q, first + j, hc[j]);
      top = w > top ? w : top;
    }
    v->max = top;
  }
};

/// Log weights this far below the largest give 0 in GibbsStationary: exp_neg's floor in double,
/// the least normal float in float (no subnormal slow paths).
template <class Real>
struct GibbsCut {
  static constexpr double kValue = 300.0;
};
template <>
struct GibbsCut<float> {
  static constexpr double kValue = 87.0;
};

/// mu_next(b) = exp(log weight(b) - top), top the problem's largest log weight (GibbsTop): the
/// Gibbs distribution up to a factor (its largest entry is 1), and its mass.
template <class Real>
struct GibbsStationary : ChunkReduction<GibbsStationary<Real>, MuValue> {
  GibbsWeight<Real> weight;
  Buf<Real> mu;
  const double* top = nullptr;  // [B]

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, MuValue* v) const {
    const Real* hc = weight.h.at(c.q) + c.base;
    Real* mn = mu.other(c.q) + c.base;
    const index_t first = c.base - c.block, count = c.count;
    const double t = top[c.q];
    double mass = 0.0;
    std::uint64_t bad = 0;
    for (index_t j = 0; j < count; ++j) {
      const double d = t - weight.log_weight(c.q, first + j, hc[j]);  // >= 0, NaN where h is
      // exp_neg's floor (exp(-300)) is not a weight: beyond the cut, 0 (as exp(-d) is to 1e-130
      // in double, and below float's normal range in float).
      const Real next = d < GibbsCut<Real>::kValue ? static_cast<Real>(math::exp_neg(d)) : Real(0);
      mass += static_cast<double>(next);
      bad += (d - d != 0.0) ? 1u : 0u;
      mn[j] = next;
    }
    v->change = 0.0;
    v->mass = mass;
    v->nonfinite = bad;
  }
};

struct DotValue {
  double dot, mass;
  NETRL_KERNEL_INLINE static DotValue identity() {
    DotValue v;
    v.dot = v.mass = 0.0;
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const DotValue& o) {
    dot += o.dot;
    mass += o.mass;
  }
};

/// sum_s mu(s) x(s) and sum_s mu(s) per problem.
template <class Real>
struct WeightedSum : ChunkReduction<WeightedSum<Real>, DotValue> {
  Buf<Real> mu;
  const Real* x = nullptr;

  NETRL_KERNEL_INLINE void add(const ChunkItem& c, DotValue* v) const {
    const index_t count = c.count;
    const Real* m = mu.at(c.q) + c.base;
    const Real* xx = x + c.base;
    double dot = 0.0, mass = 0.0;
    NETRL_SIMD_SUM2(dot, mass)
    for (index_t j = 0; j < count; ++j) {
      dot += static_cast<double>(m[j]) * static_cast<double>(xx[j]);
      mass += static_cast<double>(m[j]);
    }
    v->dot = dot;
    v->mass = mass;
  }
};

// ---------------------------------------------------------------------------------------------
// Element-wise helpers.

/// dst.at(q) = value over the chunk (where `which`).
template <class Real>
struct FillChunks {
  Buf<Real> dst;
  const Real* value = nullptr;  // [B]
  Chunking chunks;
  const std::uint8_t* which = nullptr;
  NETRL_HD void operator()(index_t k) const {
    const ChunkItem c = chunks.item(k);
    if (!which[c.q]) return;
    Real* d = dst.at(c.q) + c.base;
    const index_t count = c.count;
    const Real v = value[c.q];
    NETRL_SIMD
    for (index_t j = 0; j < count; ++j) d[j] = v;
  }
};

/// dst.at(q) = src.at(q) over the chunk (where `which`).
template <class Real>
struct CopyChunks {
  Buf<Real> dst;
  Buf<Real> src;
  Chunking chunks;
  const std::uint8_t* which = nullptr;
  NETRL_HD void operator()(index_t k) const {
    const ChunkItem c = chunks.item(k);
    if (!which[c.q]) return;
    const index_t count = c.count;
    Real* NETRL_RESTRICT d = dst.at(c.q) + c.base;
    const Real* NETRL_RESTRICT s = src.at(c.q) + c.base;
    NETRL_SIMD
    for (index_t j = 0; j < count; ++j) d[j] = s[j];
  }
};

/// Input step on the host: out(b, x) = sum_y M(x, y) in(b, y) with M(x, y) = T(y|x) (forward:
/// W = V T^T, the input-averaged next values) or M(x, y) = T(x|y) (adjoint: mu' = Y T).
/// Item k covers one chunk of network states of one (problem, x) slice. (CUDA uses cuBLAS.)
template <class Real>
struct MixInputs {
  Buf<Real> in;
  Real* out = nullptr;
  const Real* transition = nullptr;  // [B * m * m], row-major T[x * m + x'] = T(x'|x)
  SweepShape shape;
  index_t chunk = 1;  // divides 2^nf
  bool adjoint = false;
  const std::uint8_t* active = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const index_t per_slice = shape.nb / chunk;
    const index_t slice = k / per_slice;
    const index_t c0 = (k % per_slice) * chunk;
    const int m = shape.m;
    const int q = static_cast<int>(slice / static_cast<index_t>(m));
    if (!active[q]) return;
    const int x = static_cast<int>(slice % static_cast<index_t>(m));
    const Real* tq = transition + static_cast<index_t>(q) * static_cast<index_t>(m) * static_cast<index_t>(m);
    const Real* src = in.at(q) + static_cast<index_t>(q) * shape.states + c0;
    Real* NETRL_RESTRICT dst = out + slice * shape.nb + c0;
    for (int y = 0; y < m; ++y) {
      const Real c = adjoint ? tq[y * m + x] : tq[x * m + y];
      const Real* NETRL_RESTRICT s = src + static_cast<index_t>(y) * shape.nb;
      if (y == 0) {
        NETRL_SIMD
        for (index_t j = 0; j < chunk; ++j) dst[j] = c * s[j];
      } else {
        NETRL_SIMD
        for (index_t j = 0; j < chunk; ++j) dst[j] += c * s[j];
      }
    }
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
