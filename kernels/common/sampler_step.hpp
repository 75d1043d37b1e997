#pragma once
// One step of one chain of the network dynamics (MODEL.md sec. 2, eq. 29), written once as
// NETRL_HD functors: the host's OpenMP loops and the CUDA kernels call exactly these.
//
// Order inside a step (draw words as in sampler_math.hpp): the free neuron i is picked from
// (w0, w3); its spike threshold is evaluated at the current (b, x); b' = b with bit i set iff
// w1 < threshold; x' is drawn from row x of the input CDF with w2 (skipped when m = 1). The
// threshold uses x, not x'.
//
// Policies:
//   TablePolicy  thresholds precomputed per (x, b, i) by one of the policies below (small n);
//   ExactPolicy  rho_i = sigmoid(d_i / (nf lambda) + logit p_i), d_i = W[x][b|i] - W[x][b&~i], with
//                W = V T^T computed once on the host (an exact solution, evaluated on the fly);
//   IsingPolicy  rho_i = sigmoid((2 / (nf lambda)) (h_i(x) + F_i) + logit p_i), with the coupling
//                field F_i = sum_j J_ij sigma_j of each chain kept up to date incrementally. J and h
//                are multiples of 2^-30 with sum_j |J_ij| + |h_i(x)| <= 2^20 (the host rounds and
//                checks them), so every field, whatever the order of its additions, is exact in
//                float64: incremental updates, a fresh sum and a cuBLAS GEMM all agree bit for bit.
#include <cstdint>

#include "sampler_math.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// Everything a step needs besides the policy. Pointers are host or device pointers.
struct ChainConstants {
  std::uint32_t key0 = 0, key1 = 0;
  int n = 0;
  std::uint32_t nf = 0;  // free neurons
  std::uint32_t m = 1;
  const int* free_list = nullptr;         // nf neuron indices
  const std::uint64_t* input_cdf = nullptr;  // m * m
  std::uint64_t clamp_mask = 0, clamp_bits = 0;  // n <= 64 only
  const std::uint8_t* clamp_state = nullptr;     // n entries: 0 free, 1 clamped silent, 2 clamped active

  NETRL_HD_INLINE Philox4 step_draws(std::uint64_t chain, std::uint64_t t) const {
    return philox4x32_10(static_cast<std::uint32_t>(chain), static_cast<std::uint32_t>(t),
                         static_cast<std::uint32_t>(t >> 32), 0u, key0, key1);
  }
  NETRL_HD_INLINE Philox4 init_draws(std::uint64_t chain, std::uint32_t block) const {
    return philox4x32_10(static_cast<std::uint32_t>(chain), block, 0u, 1u, key0, key1);
  }
  NETRL_HD_INLINE int pick_neuron(const Philox4& r) const {
    const std::uint32_t idx = scale_uniform(r.w[0], r.w[3], nf);
    return nf == static_cast<std::uint32_t>(n) ? static_cast<int>(idx) : free_list[idx];  // no clamps: no lookup
  }
  NETRL_HD_INLINE std::uint32_t step_input(const Philox4& r, std::uint32_t x) const {
    return m == 1 ? 0u : next_input(r.w[2], input_cdf + static_cast<std::uint64_t>(x) * m, m);
  }
  NETRL_HD_INLINE std::uint32_t initial_input(std::uint64_t chain) const {
    const Philox4 r = init_draws(chain, 0u);
    return scale_uniform(r.w[0], r.w[3], m);
  }
  /// Initial state of neuron i (true: active), clamps applied.
  NETRL_HD_INLINE bool initial_bit(std::uint64_t chain, int i) const {
    if (clamp_state[i] != 0) return clamp_state[i] == 2;
    const Philox4 r = init_draws(chain, 1u + static_cast<std::uint32_t>(i / 128));
    return (r.w[(i / 32) % 4] >> (i % 32)) & 1u;
  }
};

/// Thresholds table: thr[((x << n) | b) * n + i] (n <= 24).
struct TablePolicy {
  const std::uint32_t* thr = nullptr;
  int n = 0;
  NETRL_HD_INLINE std::uint64_t index(std::uint64_t b, std::uint32_t x, int i) const {
    return (((static_cast<std::uint64_t>(x) << n) | b) * static_cast<std::uint64_t>(n)) + static_cast<std::uint64_t>(i);
  }
  NETRL_HD_INLINE std::uint32_t threshold(std::uint64_t b, std::uint32_t x, int i) const { return thr[index(b, x, i)]; }
};

/// The implicit policy of an exact solution, from W = V T^T over the m * 2^n states.
struct ExactPolicy {
  const double* w = nullptr;            // w[(x << n) | b]
  const double* logit_prior = nullptr;  // n entries
  double scale = 0.0;                   // 1 / (nf lambda)
  int n = 0;
  NETRL_HD_INLINE double argument(std::uint64_t b, std::uint32_t x, int i) const {
    const std::uint64_t base = static_cast<std::uint64_t>(x) << n;
    const std::uint64_t bit = std::uint64_t{1} << i;
    const double d = w[base | b | bit] - w[base | (b & ~bit)];
    return scale * d + logit_prior[i];
  }
  NETRL_HD_INLINE std::uint32_t threshold(std::uint64_t b, std::uint32_t x, int i) const {
    return sigmoid_threshold(argument(b, x, i));
  }
};

/// The Ising-form policy. `field` is F_i = sum_j J_ij sigma_j of the chain's current state.
struct IsingPolicy {
  const double* J = nullptr;  // n * n, symmetric, zero diagonal, row-major
  const double* h = nullptr;  // m * n: h[x * n + i]
  const double* logit_prior = nullptr;
  double scale = 0.0;  // 2 / (nf lambda)
  int n = 0;
  NETRL_HD_INLINE double argument(double field, std::uint32_t x, int i) const {
    return scale * (h[static_cast<std::uint64_t>(x) * n + i] + field) + logit_prior[i];
  }
  NETRL_HD_INLINE std::uint32_t threshold(double field, std::uint32_t x, int i) const {
    return sigmoid_threshold(argument(field, x, i));
  }
  /// The field of neuron i from scratch: sum_j J_ij sigma_j (exact, see above).
  template <class Bit>
  NETRL_HD_INLINE double field_of(int i, const Bit& bit) const {
    double f = 0.0;
    const double* row = J + static_cast<std::uint64_t>(i) * n;
    for (int j = 0; j < n; ++j) f += bit(j) ? row[j] : -row[j];
    return f;
  }
};

/// The state of a chain whose network state fits one word (n <= 64).
struct SmallChain {
  std::uint64_t b = 0;
  std::uint32_t x = 0;
};

/// Step functor for the word-state kernels (TablePolicy, ExactPolicy).
template <class Policy>
struct SmallStepper {
  ChainConstants k;
  Policy policy;

  NETRL_HD_INLINE SmallChain initial(std::uint64_t chain) const {
    SmallChain s;
    s.x = k.initial_input(chain);
    // Whole words of 32 bits at a time: bit i is bit i % 32 of word (i / 32) % 4 of block i / 128.
    std::uint64_t b = 0;
    for (int q = 0; q * 128 < k.n; ++q) {
      const Philox4 r = k.init_draws(chain, 1u + static_cast<std::uint32_t>(q));
      for (int w = 0; w < 4 && q * 128 + w * 32 < k.n && q * 128 + w * 32 < 64; ++w)
        b |= static_cast<std::uint64_t>(r.w[w]) << (q * 128 + w * 32);
    }
    if (k.n < 64) b &= (std::uint64_t{1} << k.n) - 1;
    s.b = (b & ~k.clamp_mask) | k.clamp_bits;
    return s;
  }

  NETRL_HD_INLINE SmallChain operator()(std::uint64_t chain, std::uint64_t t, SmallChain s) const {
    return apply(k.step_draws(chain, t), s);
  }

  /// The step given its draws (the host computes a block's draws first, then applies them).
  NETRL_HD_INLINE SmallChain apply(const Philox4& r, SmallChain s) const {
    const int i = k.pick_neuron(r);
    return decide(r, s, i, policy.threshold(s.b, s.x, i));
  }

  /// The step once the neuron i = k.pick_neuron(r) and its threshold at (s.b, s.x) are known (the
  /// host evaluates a block's thresholds in a pass of their own).
  NETRL_HD_INLINE SmallChain decide(const Philox4& r, SmallChain s, int i, std::uint32_t threshold) const {
    const std::uint64_t bit = std::uint64_t{1} << i;
    const std::uint64_t spike = r.w[1] < threshold ? 1u : 0u;
    SmallChain next;
    next.b = (s.b & ~bit) | (bit & (std::uint64_t{0} - spike));  // branch-free: the decision is random
    next.x = k.step_input(r, s.x);
    return next;
  }
};

/// Scalars of an Ising chain; sigma (0/1 bytes) and field live in arrays with a stride (host:
/// 1, one chain's arrays contiguous; CUDA: the batch size, so that a warp's accesses coalesce).
struct IsingScalars {
  std::uint64_t b = 0;  // the state word, maintained when n <= 64
  std::uint32_t x = 0;
  std::int32_t spikes = 0;  // K(b)
};

/// The step of neuron i = k.pick_neuron(r) of an Ising chain once its threshold is known: the input
/// steps, and where the neuron changes (its new state in `spike`) so do sigma, the spike count and
/// the word b. Returns whether the neuron changed.
NETRL_HD_INLINE bool change_neuron(const ChainConstants& k, const Philox4& r, int i, std::uint32_t threshold,
                                   IsingScalars& s, std::uint8_t* sigma, std::uint64_t stride, bool& spike) {
  spike = r.w[1] < threshold;
  s.x = k.step_input(r, s.x);
  const bool was = sigma[i * stride] != 0;
  if (spike == was) return false;
  sigma[i * stride] = spike ? 1 : 0;
  s.spikes += spike ? 1 : -1;
  if (i < 64) s.b ^= std::uint64_t{1} << i;
  return true;
}

struct IsingStepper {
  ChainConstants k;
  IsingPolicy policy;

  /// Initial state of a chain (its fields are set by `initial_fields` or, batched, by a GEMM).
  NETRL_HD_INLINE IsingScalars initial(std::uint64_t chain, std::uint8_t* sigma, std::uint64_t stride) const {
    IsingScalars s;
    s.x = k.initial_input(chain);
    for (int i = 0; i < k.n; ++i) {
      const bool on = k.initial_bit(chain, i);
      sigma[i * stride] = on ? 1 : 0;
      s.spikes += on ? 1 : 0;
      if (on && i < 64) s.b |= std::uint64_t{1} << i;
    }
    return s;
  }

  /// F_i = sum_j J_ij sigma_j from scratch, O(n^2).
  NETRL_HD_INLINE void initial_fields(const std::uint8_t* sigma, double* field, std::uint64_t stride) const {
    for (int i = 0; i < k.n; ++i) {
      field[i * stride] = policy.field_of(i, [&](int j) { return sigma[j * stride] != 0; });
    }
  }

  /// One step; returns the neuron that flipped, or -1.
  NETRL_HD_INLINE int operator()(std::uint64_t chain, std::uint64_t t, IsingScalars& s, std::uint8_t* sigma,
                                 double* field, std::uint64_t stride) const {
    const Philox4 r = k.step_draws(chain, t);
    const int i = k.pick_neuron(r);
    return decide(r, i, policy.threshold(field[i * stride], s.x, i), s, sigma, field, stride);
  }

  /// The step once the neuron i = k.pick_neuron(r) and its threshold are known.
  NETRL_HD_INLINE int decide(const Philox4& r, int i, std::uint32_t threshold, IsingScalars& s, std::uint8_t* sigma,
                             double* field, std::uint64_t stride) const {
    bool spike = false;
    if (!change_neuron(k, r, i, threshold, s, sigma, stride, spike)) return -1;
    flip_fields(i, spike, field, stride);
    return i;
  }

  /// F_j += 2 sigma_i' J_ji for every j (J_ii = 0).
  NETRL_HD_INLINE void flip_fields(int i, bool now_on, double* field, std::uint64_t stride) const {
    const double* row = policy.J + static_cast<std::uint64_t>(i) * k.n;
    if (now_on) {
      for (int j = 0; j < k.n; ++j) field[j * stride] += 2.0 * row[j];
    } else {
      for (int j = 0; j < k.n; ++j) field[j * stride] -= 2.0 * row[j];
    }
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
