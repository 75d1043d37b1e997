#pragma once
// Functors of the batched dense (I - P) solves (netrl/kernels/dense_lu.hpp), written once for the
// host (OpenMP) and CUDA builds: the assembly of the bordered systems, the bias shift, and the
// residual checks. The LU and the matrix-vector products are the backends' libraries (Eigen on
// the host, cuBLAS/cuSOLVER on the device; kernels/{host,cuda}/dense_glue.*).
//
// Problem b has P_b (n x n, row-major, problem-major in P) and g_b. The bordered matrix of order
// N = n + 1 is M = [[I - P, 1], [e_0^T, 0]]; the batch stores A_b = M_b^T column-major, which is
// M_b row-major: element (c, r) of A_b's column-major storage (column c, row r) is M_b(c, r), so
// the assembly reads P row by row and writes A column by column, both contiguous. The
// evaluation system M x = [g; 0] is then a transposed solve with A, the stationary system
// M^T z = [0; 1] a plain one.
#include <cstdint>

#include "config.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "vector_functors.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

/// Sizes of a batch: n states, N = n + 1, and the chunks of one problem's n states.
struct DenseShape {
  index_t n = 1;
  index_t N = 2;
  int batch = 1;
  VectorChunks rows;  // chunks of [0, n)
};

/// Element (column c, row r) of A_b = M_b^T (column-major), i.e. M_b(c, r).
NETRL_KERNEL_INLINE double bordered_entry(const double* P, const DenseShape& s, index_t b, index_t c, index_t r) {
  if (c < s.n) return r < s.n ? (r == c ? 1.0 : 0.0) - P[(b * s.n + c) * s.n + r] : 1.0;
  return r == 0 ? 1.0 : 0.0;
}

/// The assembly of A, one column of one problem per item (k = b N + c): the host's layout.
struct BorderedColumn {
  const double* P = nullptr;
  double* A = nullptr;
  DenseShape s;
  NETRL_HD void operator()(index_t k) const {
    const index_t b = k / s.N, c = k % s.N;
    for (index_t r = 0; r < s.N; ++r) A[k * s.N + r] = bordered_entry(P, s, b, c, r);
  }
};

/// The same assembly one element per item (k = (b N + c) N + r): the device's layout, where
/// consecutive threads read consecutive entries of P's rows and write consecutive entries of A.
struct BorderedElement {
  const double* P = nullptr;
  double* A = nullptr;
  DenseShape s;
  NETRL_HD void operator()(index_t k) const {
    const index_t col = k / s.N;
    A[k] = bordered_entry(P, s, col / s.N, col % s.N, k % s.N);
  }
};

/// The right-hand sides [g_b; 0] and [0; 1] (item k = b N + r).
struct BorderedRhs {
  const double* g = nullptr;
  double* rhs_n = nullptr;
  double* rhs_t = nullptr;
  DenseShape s;
  NETRL_HD void operator()(index_t k) const {
    const index_t b = k / s.N, r = k % s.N;
    rhs_n[k] = r < s.n ? g[b * s.n + r] : 0.0;
    rhs_t[k] = r < s.n ? 0.0 : 1.0;
  }
};

/// mu_b . v'_b over one chunk of problem b's states (item k = b chunks + chunk), from the
/// solutions x (v' = x[0, n), gain x[n]) and z (mu = z[0, n)).
struct BiasShiftChunk {
  using value_type = SumValue;
  const double* x = nullptr;
  const double* z = nullptr;
  DenseShape s;
  NETRL_HD value_type operator()(index_t k) const {
    const index_t per = s.rows.count(), b = k / per, c = k % per;
    const double* xb = x + b * s.N;
    const double* zb = z + b * s.N;
    double sum = 0.0;
    for (index_t r = s.rows.lo(c); r < s.rows.hi(c); ++r) sum += zb[r] * xb[r];
    value_type v;
    v.sum = sum;
    return v;
  }
};

/// v_b = x_b[0, n) - shift_b, mu_b = z_b[0, n) (compact, problem-major), gain_b = x_b[n]
/// (item k = b chunks + chunk).
struct BiasOut {
  const double* x = nullptr;
  const double* z = nullptr;
  const double* shift = nullptr;  // [batch]
  double* v = nullptr;
  double* mu = nullptr;
  double* gain = nullptr;  // [batch]
  DenseShape s;
  NETRL_HD void operator()(index_t k) const {
    const index_t per = s.rows.count(), b = k / per, c = k % per;
    const double* xb = x + b * s.N;
    const double* zb = z + b * s.N;
    const double sh = shift[b];
    for (index_t r = s.rows.lo(c); r < s.rows.hi(c); ++r) {
      v[b * s.n + r] = xb[r] - sh;
      mu[b * s.n + r] = zb[r];
    }
    if (c == 0) gain[b] = xb[s.n];
  }
};

struct DenseCheckValue {
  double eval, stationary, min_mu, max_g;
  std::uint64_t nonfinite;
  NETRL_KERNEL_INLINE static DenseCheckValue identity() {
    DenseCheckValue v;
    v.eval = v.stationary = v.max_g = 0.0;
    v.min_mu = math::infinity<double>();
    v.nonfinite = 0;
    return v;
  }
  NETRL_KERNEL_INLINE void combine(const DenseCheckValue& o) {
    eval = o.eval > eval ? o.eval : eval;
    stationary = o.stationary > stationary ? o.stationary : stationary;
    min_mu = o.min_mu < min_mu ? o.min_mu : min_mu;
    max_g = o.max_g > max_g ? o.max_g : max_g;
    nonfinite += o.nonfinite;
  }
};

/// The residuals of one chunk of problem b: max |(I - P) v + L - g| and max |mu (I - P)| from the
/// products pv = P v and mup = mu P, min mu, max |g|, and non-finite entries of v and mu.
struct DenseCheckChunk {
  using value_type = DenseCheckValue;
  const double* v = nullptr;
  const double* mu = nullptr;
  const double* pv = nullptr;
  const double* mup = nullptr;
  const double* g = nullptr;
  const double* gain = nullptr;
  DenseShape s;
  NETRL_HD value_type operator()(index_t k) const {
    const index_t per = s.rows.count(), b = k / per, c = k % per;
    value_type out = value_type::identity();
    const double L = gain[b];
    for (index_t r = s.rows.lo(c); r < s.rows.hi(c); ++r) {
      const index_t i = b * s.n + r;
      const double e = math::abs_value(v[i] - pv[i] + L - g[i]);
      const double m = math::abs_value(mu[i] - mup[i]);
      out.eval = e > out.eval ? e : out.eval;
      out.stationary = m > out.stationary ? m : out.stationary;
      out.min_mu = mu[i] < out.min_mu ? mu[i] : out.min_mu;
      const double ag = math::abs_value(g[i]);
      out.max_g = ag > out.max_g ? ag : out.max_g;
      out.nonfinite += (v[i] - v[i] != 0.0 || mu[i] - mu[i] != 0.0) ? 1u : 0u;
    }
    return out;
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
