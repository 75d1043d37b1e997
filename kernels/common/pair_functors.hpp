#pragma once
// The pair functors of the exact engine (MODEL.md sec. 2): the pair operations of the sweeps,
// the sweep over one tile, and the per-neuron reduction over pairs.
//
// Pair sweeps. Every term of the soft Bellman operator, of the policy evaluation and of the
// adjoint (stationary) update belongs to one pair of states (c, c | 2^i) with bit i of c clear,
// and is computed once for the pair. A sweep is a sequence of passes; pass (a, g, L) handles the
// neurons [a, a + g) in tiles of 2^(L + g) states: the tile spans the vector bits [0, L) and the
// bits [a, a + g) of the network state, the other bits are fixed by the tile index. One work item
// owns a whole tile, so no two work items write the same state within a pass and nothing races.
// When a == L the tile is one contiguous block of 2^(a + g) states (the first pass has a = L = 0,
// and it initialises the output); otherwise the pairs are contiguous runs of 2^L states. The host
// plan uses few passes with large tiles (cache blocking, vectorised runs); the CUDA plan uses one
// pass per neuron with tiles of one pair (g = 1, L = 0), i.e. one thread per pair.
#include <cstdint>

#include "config.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

// ---------------------------------------------------------------------------------------------
// Pair operations. Each provides Ctx context(q), neuron(ctx, q, i), init(ctx, base, len) and
// pair(ctx, o0, o1, k) for the pair (o0, o1 = o0 + 2^i) of joint indices; k = pair_index(o0, i),
// o0 with its bit i removed, numbers neuron i's pairs over the batch (the policy table's order).

/// The index of neuron i's pair (o0, o0 + 2^i) among all its pairs: o0 with bit i removed.
NETRL_KERNEL_INLINE index_t pair_index(index_t o0, int i) {
  const index_t low = (index_t{1} << i) - 1;
  return ((o0 >> (i + 1)) << i) | (o0 & low);
}

/// The constants a pair operation reads: problem q's (from start) and neuron i's (from neuron).
template <class Real>
struct PairConstants {
  Real lambda, inv_temp, inv_nf, lp1, lp0, logit;
  NETRL_KERNEL_INLINE void start(const ProblemParams<Real>& p, int q) {
    lambda = p.lambda[q];
    inv_temp = p.inv_temp[q];
    inv_nf = Real(1) / static_cast<Real>(p.nf);
    lp1 = lp0 = logit = Real(0);
  }
  NETRL_KERNEL_INLINE void neuron(const ProblemParams<Real>& p, int q, int i) {
    const index_t k = static_cast<index_t>(q) * static_cast<index_t>(p.nf) + static_cast<index_t>(i);
    lp1 = p.log_p1[k];
    lp0 = p.log_p0[k];
    logit = p.logit[k];
  }
};

/// What a pair operation works on in problem q: its constants, problem q's buffers of its operand
/// `in` and of its second operand `other` (`in` again where it has none), and its output.
template <class Real>
struct PairCtx : PairConstants<Real> {
  const Real* in;
  const Real* other;
  Real* out;
};

/// A fixed policy's firing probabilities stored by pair: neuron i's at rho + i * per_neuron, in
/// pair_index order (per_neuron = batch * states / 2). PolicyTableOp fills it; the sweeps of the
/// fixed policy that need rho alone (the chain's matvecs, g + P v) then stream it instead of
/// computing a sigmoid per pair.
template <class Real>
struct PolicyTable {
  Real* rho = nullptr;
  index_t per_neuron = 0;
  NETRL_KERNEL_INLINE Real* neuron(int i) const { return rho + static_cast<index_t>(i) * per_neuron; }
};

/// The part every pair operation shares: the problems' constants, the context of problem q over
/// the operation's operands, and neuron(ctx, q, i).
template <class Real>
struct PairOperands {
  ProblemParams<Real> params;

  NETRL_KERNEL_INLINE PairCtx<Real> make_context(int q, const Buf<Real>& in, const Buf<Real>& other, Real* out) const {
    PairCtx<Real> c;
    c.start(params, q);
    c.in = in.at(q);
    c.other = other.at(q);
    c.out = out;
    return c;
  }
  NETRL_KERNEL_INLINE void neuron(PairCtx<Real>& c, int q, int i) const { c.neuron(params, q, i); }

  /// make_context into a context C with a row of a policy table (`rho`), none yet.
  template <class C>
  NETRL_KERNEL_INLINE C table_context(int q, const Buf<Real>& in, const Buf<Real>& other, Real* out) const {
    C c;
    static_cast<PairCtx<Real>&>(c) = make_context(q, in, other, out);
    c.rho = nullptr;
    return c;
  }
  /// neuron(), and (kTable) the context's row of `table` for neuron i.
  template <bool kTable, class C>
  NETRL_KERNEL_INLINE void table_neuron(C& c, const PolicyTable<Real>& table, int q, int i) const {
    c.neuron(params, q, i);
    if constexpr (kTable) c.rho = table.neuron(i);
  }
};

/// Soft Bellman operator (eq. 36): out = r + lambda sum_i log[p_i e^{w1/(nf lambda)} +
/// (1 - p_i) e^{w0/(nf lambda)}], with w the input-averaged next values.
template <class Real>
struct BellmanOp : PairOperands<Real> {
  using Ctx = PairCtx<Real>;  // in = w
  Buf<Real> w;
  Real* out = nullptr;
  const Real* reward = nullptr;

  NETRL_KERNEL_INLINE Ctx context(int q) const { return this->make_context(q, w, w, out); }
  NETRL_KERNEL_INLINE void init(const Ctx& c, index_t base, index_t len) const {
    Real* NETRL_RESTRICT o = c.out + base;
    const Real* NETRL_RESTRICT r = reward + base;
    NETRL_SIMD
    for (index_t j = 0; j < len; ++j) o[j] = r[j];
  }
  NETRL_KERNEL_INLINE void pair(const Ctx& c, index_t o0, index_t o1, index_t /*k*/) const {
    const Real a1 = c.in[o1] * c.inv_temp + c.lp1;
    const Real a0 = c.in[o0] * c.inv_temp + c.lp0;
    const Real t = c.lambda * math::lse2(a1, a0);
    c.out[o0] += t;
    c.out[o1] += t;
  }
};

/// BellmanOp and AdjointOp in one pass, both under the greedy policy of w: out = T h as in
/// BellmanOp, and y = the adjoint sweep of mu (AdjointOp) with rho_i = sigmoid(a1 - a0) taken
/// from the exponential of the log-sum-exp (equal to AdjointOp's z up to rounding). Used by the
/// value iteration to advance mu alongside h for the price of one sweep.
template <class Real>
struct FusedCtx : PairCtx<Real> {  // in = w, other = mu, out = T h
  Real* y;
};
template <class Real>
struct BellmanAdjointOp : PairOperands<Real> {
  using Ctx = FusedCtx<Real>;
  Buf<Real> w;
  Buf<Real> mu;
  Buf<Real> y;  // per problem (the next buffer of mu, or one array)
  Real* out = nullptr;
  const Real* reward = nullptr;

  NETRL_KERNEL_INLINE Ctx context(int q) const {
    Ctx c;
    static_cast<PairCtx<Real>&>(c) = this->make_context(q, w, mu, out);
    c.y = y.at(q);
    return c;
  }
  NETRL_KERNEL_INLINE void init(const Ctx& c, index_t base, index_t len) const {
    Real* NETRL_RESTRICT o = c.out + base;
    Real* NETRL_RESTRICT yy = c.y + base;
    const Real* NETRL_RESTRICT r = reward + base;
    NETRL_SIMD
    for (index_t j = 0; j < len; ++j) {
      o[j] = r[j];
      yy[j] = Real(0);
    }
  }
  NETRL_KERNEL_INLINE void pair(const Ctx& c, index_t o0, index_t o1, index_t /*k*/) const {
    const Real a1 = c.in[o1] * c.inv_temp + c.lp1;
    const Real a0 = c.in[o0] * c.inv_temp + c.lp0;
    const math::LseSigmoid<Real> ls = math::lse2_sigmoid(a1, a0);
    const Real t = c.lambda * ls.lse;
    c.out[o0] += t;
    c.out[o1] += t;
    const Real s = (c.other[o0] + c.other[o1]) * c.inv_nf;
    const Real up = ls.rho * s;
    c.y[o1] += up;
    c.y[o0] += s - up;
  }
};

/// The terms of a fixed-policy operator (FixedPolicyOp): the reward r (or, without the cost term,
/// any per-state term read the same way: the policy's one-step reward g computed once), the coding
/// cost -lambda c_rho, and the expected next value (1/nf) sum_i [rho_i wv1 + (1 - rho_i) wv0] (with
/// wv the input-averaged operand, this last term alone is the chain's forward matvec P v).
/// kTableRho reads rho from the policy table (PolicyTableOp) instead of computing it from wh.
enum PolicyTerms : int { kRewardTerm = 1, kCostTerm = 2, kNextTerm = 4, kTableRho = 8 };

/// The logit of the policy's firing probability for a pair whose policy source (the
/// input-averaged values) is w1 with the neuron firing and w0 silent: rho_i = sigmoid of it. The
/// one expression of every sweep and reduction that computes the policy from its source.
template <class Real>
NETRL_KERNEL_INLINE Real policy_logit(Real w1, Real w0, Real inv_temp, Real logit) {
  return (w1 - w0) * inv_temp + logit;
}
/// policy_logit of the pair (o0, o1) of neuron i, the policy source in c.in.
template <class Real>
NETRL_KERNEL_INLINE Real policy_logit(const PairCtx<Real>& c, index_t o0, index_t o1) {
  return policy_logit(c.in[o1], c.in[o0], c.inv_temp, c.logit);
}

/// A pair context with the current neuron's row of a policy table (nullptr without one).
template <class Real>
struct TableCtx : PairCtx<Real> {
  const Real* rho;
};

/// The fixed policy's rho of the pair: read from the table (kTable) or the sigmoid of its logit.
template <bool kTable, class Real>
NETRL_KERNEL_INLINE Real fixed_rho(const TableCtx<Real>& c, index_t o0, index_t o1, index_t k) {
  if constexpr (kTable) {
    return c.rho[k];
  } else {
    return math::sigmoid(policy_logit(c, o0, o1));
  }
}

/// Fills a PolicyTable with rho_i = sigmoid(policy_logit) of the policy source wh (the expression
/// AdjointOp and FixedPolicyOp compute without a table, so either way gives the same rho).
template <class Real>
struct PolicyTableOp : PairOperands<Real> {
  struct Ctx : PairCtx<Real> {
    Real* rho;
  };
  Buf<Real> wh;
  PolicyTable<Real> table;

  NETRL_KERNEL_INLINE Ctx context(int q) const { return this->template table_context<Ctx>(q, wh, wh, nullptr); }
  NETRL_KERNEL_INLINE void neuron(Ctx& c, int q, int i) const { this->template table_neuron<true>(c, table, q, i); }
  NETRL_KERNEL_INLINE void init(const Ctx& /*c*/, index_t /*base*/, index_t /*len*/) const {}
  NETRL_KERNEL_INLINE void pair(const Ctx& c, index_t o0, index_t o1, index_t k) const {
    c.rho[k] = math::sigmoid(policy_logit(c, o0, o1));
  }
};

/// A sum of the terms of the fixed policy rho (from the policy source wh, the input-averaged
/// values that define it): kRewardTerm | kCostTerm | kNextTerm is policy evaluation (MODEL.md
/// sec. 2) out = r - lambda c_rho + (1/nf) sum_i [rho_i wv1 + (1 - rho_i) wv0]; kNextTerm alone is
/// y = P v; kRewardTerm | kCostTerm is the one-step reward g = r - lambda c_rho, and kRewardTerm |
/// kNextTerm with g in `reward` is policy evaluation again, as g + P v. Without the cost term rho
/// is the plain sigmoid of AdjointOp, so the forward and adjoint matvecs are exact transposes of
/// each other; with kTableRho it is read from `table` (filled from the same wh).
template <class Real>
struct PolicyCtx : TableCtx<Real> {  // in = wh, other = wv
  const Real* reward;                // problem q's buffer of the first term
};
template <class Real, int kTerms>
struct FixedPolicyOp : PairOperands<Real> {
  static constexpr bool kTable = (kTerms & kTableRho) != 0;
  static_assert(!kTable || (kTerms & kCostTerm) == 0, "the coding cost needs the policy's logit, not a table");
  using Ctx = PolicyCtx<Real>;
  Buf<Real> wh;
  Buf<Real> wv;      // read with kNextTerm only
  Real* out = nullptr;
  Buf<Real> reward;  // read with kRewardTerm only: r, or (without kCostTerm) a policy's g
  PolicyTable<Real> table;  // read with kTableRho only

  NETRL_KERNEL_INLINE Ctx context(int q) const {
    Ctx c = this->template table_context<Ctx>(q, wh, wv, out);
    c.reward = reward.at(q);
    return c;
  }
  NETRL_KERNEL_INLINE void neuron(Ctx& c, int q, int i) const { this->template table_neuron<kTable>(c, table, q, i); }
  NETRL_KERNEL_INLINE void init(const Ctx& c, index_t base, index_t len) const {
    Real* NETRL_RESTRICT o = c.out + base;
    if constexpr ((kTerms & kRewardTerm) != 0) {
      const Real* NETRL_RESTRICT r = c.reward + base;
      NETRL_SIMD
      for (index_t j = 0; j < len; ++j) o[j] = r[j];
    } else {
      NETRL_SIMD
      for (index_t j = 0; j < len; ++j) o[j] = Real(0);
    }
  }
  NETRL_KERNEL_INLINE void pair(const Ctx& c, index_t o0, index_t o1, index_t k) const {
    Real rho, t;
    if constexpr ((kTerms & kCostTerm) != 0) {
      const math::PairPolicy<Real> pol = math::pair_policy(policy_logit(c, o0, o1), c.lp1, c.lp0);
      rho = pol.rho;
      t = -c.lambda * pol.kl;
    } else {
      rho = fixed_rho<kTable>(c, o0, o1, k);
      t = Real(0);
    }
    if constexpr ((kTerms & kNextTerm) != 0) t += c.inv_nf * (rho * c.other[o1] + (Real(1) - rho) * c.other[o0]);
    c.out[o0] += t;
    c.out[o1] += t;
  }
};

/// Policy evaluation: T_rho v = r - lambda c_rho + P v.
template <class Real>
using PolicyEvalOp = FixedPolicyOp<Real, kRewardTerm | kCostTerm | kNextTerm>;

/// Adjoint sweep before the input step: y(b, x) = (1/nf) sum_i q_i(b, x) [mu(b, x) + mu(b^i, x)],
/// q_i = rho_i if bit i of b is set, else 1 - rho_i. Then mu'(b, x') = sum_x T(x'|x) y(b, x).
/// rho from the policy source wh, or (kTable) from the policy table.
template <class Real, bool kTable = false>
struct AdjointOp : PairOperands<Real> {
  using Ctx = TableCtx<Real>;  // in = wh, other = mu, out = y
  Buf<Real> wh;
  Buf<Real> mu;
  Real* y = nullptr;
  PolicyTable<Real> table;  // read with kTable only

  NETRL_KERNEL_INLINE Ctx context(int q) const { return this->template table_context<Ctx>(q, wh, mu, y); }
  NETRL_KERNEL_INLINE void neuron(Ctx& c, int q, int i) const { this->template table_neuron<kTable>(c, table, q, i); }
  NETRL_KERNEL_INLINE void init(const Ctx& c, index_t base, index_t len) const {
    Real* NETRL_RESTRICT o = c.out + base;
    NETRL_SIMD
    for (index_t j = 0; j < len; ++j) o[j] = Real(0);
  }
  NETRL_KERNEL_INLINE void pair(const Ctx& c, index_t o0, index_t o1, index_t k) const {
    const Real rho = fixed_rho<kTable>(c, o0, o1, k);
    const Real s = (c.other[o0] + c.other[o1]) * c.inv_nf;
    const Real up = rho * s;
    c.out[o1] += up;
    c.out[o0] += s - up;
  }
};

/// The runs of pairs of neuron a + u in a tile of non-contiguous groups (pass.a > pass.L):
/// f(o0, o0 + 2^(a + u), 2^L) for every group of the tile whose bit u is clear.
template <class F>
NETRL_KERNEL_INLINE void for_each_group_run(const TilePass& pass, const TileCoord& tc, int u, const F& f) {
  const index_t stride = index_t{1} << (pass.a + u);
  const index_t len = index_t{1} << pass.L;
  const index_t groups = index_t{1} << pass.g;
  for (index_t jg = 0; jg < groups; ++jg) {
    if ((jg >> u) & 1u) continue;
    const index_t o0 = tc.base + (jg << pass.a);
    f(o0, o0 + stride, len);
  }
}

/// Runs a pair operation over one tile of a pass (see the file comment).
template <class Op>
struct PairSweep {
  Op op;
  SweepShape shape;
  TilePass pass;
  const std::uint8_t* active = nullptr;

  NETRL_HD void operator()(index_t k) const {
    const TileCoord tc = tile_coord(shape, pass, k);
    if (!active[tc.problem]) return;
    typename Op::Ctx ctx = op.context(tc.problem);
    const index_t tile = index_t{1} << (pass.g + pass.L);
    if (pass.first) op.init(ctx, tc.base, tile);
    for (int u = 0; u < pass.g; ++u) {
      const int i = pass.a + u;
      op.neuron(ctx, tc.problem, i);
      const index_t stride = index_t{1} << i;
      if (pass.a == pass.L) {
        // Contiguous tile: pairs at stride 2^i. Short strides get loops over groups of
        // 2 * stride states with the stride a compile-time constant (vectorised across groups).
        switch (i) {
          case 0: run_fixed<1>(ctx, tc.base, tile); break;
          case 1: run_fixed<2>(ctx, tc.base, tile); break;
          case 2: run_fixed<4>(ctx, tc.base, tile); break;
          case 3: run_fixed<8>(ctx, tc.base, tile); break;
          default:
            for (index_t j0 = 0; j0 < tile; j0 += 2 * stride)
              run(ctx, tc.base + j0, tc.base + j0 + stride, pair_index(tc.base + j0, i), stride);
        }
      } else {
        for_each_group_run(pass, tc, u,
                           [&](index_t o0, index_t o1, index_t len) { run(ctx, o0, o1, pair_index(o0, i), len); });
      }
    }
  }

  /// The pairs (o0 + j, o1 + j), j < len (within one run of neuron i's pairs, their pair
  /// indices are k0 + j: len <= 2^i).
  NETRL_KERNEL_INLINE void run(const typename Op::Ctx& ctx, index_t o0, index_t o1, index_t k0, index_t len) const {
    NETRL_SIMD
    for (index_t j = 0; j < len; ++j) op.pair(ctx, o0 + j, o1 + j, k0 + j);
  }

  /// All pairs (g + j, g + j + S), j < S, of the groups g = base + 2 S q covering `len` states
  /// (base is aligned to the tile, so their pair indices are base / 2 + S q + j).
  template <int S>
  NETRL_KERNEL_INLINE void run_fixed(const typename Op::Ctx& ctx, index_t base, index_t len) const {
    const index_t groups = len / (2 * S);
    const index_t k0 = base >> 1;
    NETRL_SIMD
    for (index_t q = 0; q < groups; ++q) {
      for (int j = 0; j < S; ++j) {
        const index_t o0 = base + 2 * S * q + static_cast<index_t>(j);
        op.pair(ctx, o0, o0 + S, k0 + S * q + static_cast<index_t>(j));
      }
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Reductions. A reduction functor has a value_type with identity() and combine(); the launcher
// combines the values of one problem's items (items are problem-major).

/// Per-neuron sums of one pass: spike[u] = sum over pairs of neuron a + u of (mu0 + mu1) rho,
/// silent[u] the same with 1 - rho (accurate when the prior is close to 1), cost[u] with
/// KL[Bern(rho) || Bern(p)].
template <int kSlots>
struct NeuronSums {
  double spike[kSlots];
  double silent[kSlots];
  double cost[kSlots];
  NETRL_KERNEL_INLINE static NeuronSums identity() {
    NeuronSums s;
    for (int u = 0; u < kSlots; ++u) s.spike[u] = s.silent[u] = s.cost[u] = 0.0;
    return s;
  }
  NETRL_KERNEL_INLINE void combine(const NeuronSums& o) {
    for (int u = 0; u < kSlots; ++u) {
      spike[u] += o.spike[u];
      silent[u] += o.silent[u];
      cost[u] += o.cost[u];
    }
  }
};

/// Stationary averages of the policy per tile: for neuron i, sum_s mu(s) rho_i(s) and
/// sum_s mu(s) KL_i(s), both pair-local (rho_i and KL_i are the same for both states of a pair).
template <class Real, int kSlots>
struct PairStats {
  using value_type = NeuronSums<kSlots>;
  Buf<Real> wh;
  Buf<Real> mu;
  ProblemParams<Real> params;
  SweepShape shape;
  TilePass pass;
  const std::uint8_t* active = nullptr;

  NETRL_HD value_type operator()(index_t k) const {
    value_type out = value_type::identity();
    const TileCoord tc = tile_coord(shape, pass, k);
    if (!active[tc.problem]) return out;
    const Real* w = wh.at(tc.problem);
    const Real* m = mu.at(tc.problem);
    const Real inv_temp = params.inv_temp[tc.problem];
    const index_t tile = index_t{1} << (pass.g + pass.L);
    for (int u = 0; u < pass.g && u < kSlots; ++u) {
      const int i = pass.a + u;
      const index_t pk = static_cast<index_t>(tc.problem) * static_cast<index_t>(params.nf) + static_cast<index_t>(i);
      const Real logit = params.logit[pk], lp1 = params.log_p1[pk], lp0 = params.log_p0[pk];
      const index_t stride = index_t{1} << i;
      double sums[3] = {0.0, 0.0, 0.0};  // spike, silent, cost
      if (pass.a == pass.L) {
        for (index_t j0 = 0; j0 < tile; j0 += 2 * stride)
          run(w, m, inv_temp, logit, lp1, lp0, tc.base + j0, tc.base + j0 + stride, stride, sums);
      } else {
        for_each_group_run(pass, tc, u, [&](index_t o0, index_t o1, index_t len) {
          run(w, m, inv_temp, logit, lp1, lp0, o0, o1, len, sums);
        });
      }
      out.spike[u] = sums[0];
      out.silent[u] = sums[1];
      out.cost[u] = sums[2];
    }
    return out;
  }

  NETRL_KERNEL_INLINE static void run(const Real* w, const Real* m, Real inv_temp, Real logit, Real lp1,
                                  Real lp0, index_t o0, index_t o1, index_t len, double* sums) {
    double sp = 0.0, si = 0.0, co = 0.0;
    NETRL_SIMD_SUM3(sp, si, co)
    for (index_t j = 0; j < len; ++j) {
      const Real z = policy_logit(w[o1 + j], w[o0 + j], inv_temp, logit);
      const math::PairPolicy<Real> pol = math::pair_policy(z, lp1, lp0);
      const double s = static_cast<double>(m[o0 + j]) + static_cast<double>(m[o1 + j]);
      sp += s * static_cast<double>(pol.rho);
      si += s * static_cast<double>(pol.not_rho);
      co += s * static_cast<double>(pol.kl);
    }
    sums[0] += sp;
    sums[1] += si;
    sums[2] += co;
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
