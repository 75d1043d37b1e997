#pragma once
// The per-chain, per-sample and per-coupling maths of the parametric (Ising-value) solver
// (docs/parametric.md), written once as NETRL_HD functors: the host's OpenMP
// launcher (kernels/host/parametric_host.cpp) and the CUDA launcher (kernels/cuda/parametric_engine.cu)
// run exactly these.
//
// The value is v(s, x) = c(x) + sum_i h_i(x) s_i + sum_{i<j} J_ij s_i s_j over the free neurons
// (J is zero on clamped rows and columns and on masked pairs). Every chain keeps its coupling
// fields u_i = sum_j J_ij s_j for the current parameters and ubar_i = sum_j Jbar_ij s_j for the
// target parameters up to date: one flip of neuron i adds +-2 J_ij to every u_j (and +-2 Jbar_ij
// to every ubar_j), n operations each. With u the policy is Glauber dynamics,
//   rho_i = sigmoid(coupling (ht_i(x) + u_i) + logit p_i),   coupling = 2 / (nf lambda),
// ht(x) = sum_x' T(x'|x) h(x') the fields of w = V T^T. A sample's target (eq. 41) is, with
// ubt_i = hbt_i(x) + ubar_i the local fields of the target's w and Temp = nf lambda,
//   vhat = r + wbar(s, x) - (1/nf) sum_i s_i ubt_i + lambda sum_i log(p_i e^{ubt_i/Temp}
//          + (1 - p_i) e^{-ubt_i/Temp}) - L,
// O(n) per sample from the fields (the soft-Bellman backup of a pairwise value, never a sum over
// states). The launcher adds r - L on the host; here each sample gets v, g = vhat - r + L and
// its coding cost, from per-neuron terms summed in neuron order.
//
// Exploration: besides the chains' samples, a batch may hold `explore` samples drawn uniformly over
// the consistent states (rows chains .. chains + explore - 1 of the chain arrays, drawn afresh for
// every batch, their fields from scratch). They enter the SGD step only: the regression then
// weighs every state at least a little, so the value cannot drift where the chains never go.
//
// Reproducibility: random numbers are the chain sampler's (Philox4x32-10, sampler_math.hpp: the
// chain's number and its own step counter give the words), and every sum runs in a fixed order
// (neurons, then samples) inside one work item, so results do not depend on the number of threads.
// The exponentials are the sampler's IEEE-only exp_nonpositive and the logarithms the shared
// log1p_unit of math.hpp (an IEEE-only series on the host; CUDA's log1p on a device, so a future
// CUDA launcher agrees with the host to rounding, not to the bit).
#include <cstdint>

#include "math.hpp"
#include "sampler_step.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// log(1 + e^z), stably (max(z, 0) + log(1 + e^{-|z|})).
NETRL_HD_INLINE double softplus(double z) {
  const double a = z >= 0.0 ? z : -z;
  return (z >= 0.0 ? z : 0.0) + NETRL_KERNELS_NS::math::log1p_unit(exp_nonpositive(-a));
}

/// log(e^a + e^b), stably.
NETRL_HD_INLINE double log_add_exp(double a, double b) {
  const double hi = a >= b ? a : b, lo = a >= b ? b : a;
  return hi + NETRL_KERNELS_NS::math::log1p_unit(exp_nonpositive(lo - hi));
}

/// Per-neuron terms of a sample (v, g, cost, rho, lag) and per-sample sums (v, g, cost, lag).
constexpr std::uint64_t kParametricTerms = 5;
constexpr std::uint64_t kParametricOutputs = 4;

/// The parameters and arrays the functors read and write (host or device pointers). Chain and
/// sample arrays are row-major: entry (c, i) of a chain array at c * n + i.
template <class Real>
struct ParametricView {
  ChainConstants k;
  std::uint64_t first_chain = 0;  // chain c of the run is Philox chain first_chain + c
  std::uint64_t chains = 0;
  std::uint64_t batch = 0;    // the chains' samples of a batch (first in every sample array)
  std::uint64_t samples = 0;  // batch + explore
  std::uint64_t explore = 0;
  // Couplings (n * n, symmetric, zero diagonal): current and target; the kept pairs (null: all).
  Real* J = nullptr;
  Real* Jbar = nullptr;
  const std::uint8_t* mask = nullptr;
  // The chains, then the exploration rows ((chains + explore) rows).
  std::uint8_t* sigma = nullptr;  // rows * n, 0/1
  Real* u = nullptr;              // rows * n: sum_j J_ij s_j
  Real* ubar = nullptr;           // rows * n: sum_j Jbar_ij s_j
  std::uint32_t* x = nullptr;     // rows
  std::uint64_t* t = nullptr;     // chains: steps taken
  // Small parameters (m * n or m or n entries).
  const double* ht = nullptr;    // policy fields ht(x) = T h (current)
  const double* h = nullptr;     // value fields h(x) (current)
  const double* c = nullptr;     // value offsets c(x) (current)
  const double* hbt = nullptr;   // target: T hbar
  const double* cbt = nullptr;   // target: T cbar
  const double* logit_p = nullptr;
  const double* log_p = nullptr;
  const double* log_q = nullptr;  // log(1 - p)
  double coupling = 0.0;          // 2 / (nf lambda)
  double inv_temperature = 0.0;   // 1 / (nf lambda)
  double lambda = 0.0;
  double inv_nf = 0.0;
  // The samples of the batch (sample s = slot * chains + chain; exploration sample e is s =
  // batch + e). Arrays of `samples` entries (or rows).
  Real* spin = nullptr;              // samples * n, +-1
  std::uint32_t* sample_x = nullptr;  // samples
  std::uint8_t* sample_on = nullptr;  // samples * n, 0/1 (for the reward on the host)
  double* terms = nullptr;            // samples * n * kParametricTerms: per neuron v, g, cost, rho, lag terms
  double* sample_out = nullptr;       // samples * kParametricOutputs: v, g, cost, lag
  double* rho_sum = nullptr;          // n: sum over the chains' samples of rho_i
  // The SGD step: a[s] = -eta delta_s / samples, and the overlaps q[s * chains + c] =
  // sum_{j free} s_j^(s) s_j^(c) of the rank-`samples` field update.
  const double* a = nullptr;
  Real* overlap = nullptr;
  double* row_norms = nullptr;  // n * 2: per row, sum (J - Jbar)^2 and sum J^2

  NETRL_HD_INLINE std::uint64_t n() const { return static_cast<std::uint64_t>(k.n); }
  NETRL_HD_INLINE bool is_free(std::uint64_t i) const { return k.clamp_state[i] == 0; }
  NETRL_HD_INLINE bool kept(std::uint64_t i, std::uint64_t j) const {
    return i != j && is_free(i) && is_free(j) && (mask == nullptr || mask[i * n() + j] != 0);
  }
};

/// Initial state of chain c (the sampler's uniform start over the consistent states).
template <class Real>
struct InitChain {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t c) const {
    const std::uint64_t chain = v.first_chain + c;
    v.x[c] = v.k.initial_input(chain);
    v.t[c] = 0;
    for (int i = 0; i < v.k.n; ++i) v.sigma[c * v.n() + static_cast<std::uint64_t>(i)] = v.k.initial_bit(chain, i) ? 1 : 0;
  }
};

/// Exploration row e (row chains + e) for the batch numbered `draw`: a state uniform over the
/// consistent states and an input uniform over 0..m-1, from Philox counters {e, draw_lo,
/// draw_hi, 2 + block} (the chains use last words 0 and 1).
template <class Real>
struct ExploreState {
  ParametricView<Real> v;
  std::uint64_t draw = 0;
  NETRL_HD void operator()(std::uint64_t e) const {
    const std::uint64_t row = v.chains + e;
    const auto lo = static_cast<std::uint32_t>(draw), hi = static_cast<std::uint32_t>(draw >> 32);
    const Philox4 first = philox4x32_10(static_cast<std::uint32_t>(e), lo, hi, 2u, v.k.key0, v.k.key1);
    v.x[row] = scale_uniform(first.w[0], first.w[3], v.k.m);
    for (int i = 0; i < v.k.n; ++i) {
      const std::uint8_t clamp = v.k.clamp_state[i];
      if (clamp != 0) {
        v.sigma[row * v.n() + static_cast<std::uint64_t>(i)] = clamp == 2 ? 1 : 0;
        continue;
      }
      const Philox4 r = philox4x32_10(static_cast<std::uint32_t>(e), lo, hi, 3u + static_cast<std::uint32_t>(i / 128),
                                      v.k.key0, v.k.key1);
      v.sigma[row * v.n() + static_cast<std::uint64_t>(i)] = (r.w[(i / 32) % 4] >> (i % 32)) & 1u;
    }
  }
};

/// Fields from scratch, item (c, i) = c * n + i (c a chain or exploration row): u_i = sum_j J_ij s_j (and ubar with Jbar), j in order.
template <class Real>
struct FieldsFromScratch {
  ParametricView<Real> v;
  bool current = true;
  bool target = true;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), c = item / n, i = item % n;
    const std::uint8_t* s = v.sigma + c * n;
    if (current) {
      const Real* row = v.J + i * n;
      double f = 0.0;
      for (std::uint64_t j = 0; j < n; ++j) f += s[j] ? static_cast<double>(row[j]) : -static_cast<double>(row[j]);
      v.u[item] = static_cast<Real>(f);
    }
    if (target) {
      const Real* row = v.Jbar + i * n;
      double f = 0.0;
      for (std::uint64_t j = 0; j < n; ++j) f += s[j] ? static_cast<double>(row[j]) : -static_cast<double>(row[j]);
      v.ubar[item] = static_cast<Real>(f);
    }
  }
};

/// One step of chain c under the current policy, split for the launchers: `decide` draws the
/// neuron and its new state and moves the input (returns the neuron that flipped, or -1);
/// `flip_field` then updates field j of the chain (every j, in any order: the updates are
/// independent).
template <class Real>
struct ChainStep {
  ParametricView<Real> v;

  NETRL_HD int decide(std::uint64_t c) const {
    const std::uint64_t n = v.n();
    const std::uint64_t step = v.t[c];
    const Philox4 r = v.k.step_draws(v.first_chain + c, step);
    const int i = v.k.pick_neuron(r);
    const std::uint32_t x = v.x[c];
    const double field = v.ht[static_cast<std::uint64_t>(x) * n + static_cast<std::uint64_t>(i)] +
                         static_cast<double>(v.u[c * n + static_cast<std::uint64_t>(i)]);
    const std::uint32_t threshold = sigmoid_threshold(v.coupling * field + v.logit_p[i]);
    const bool spike = r.w[1] < threshold;
    v.x[c] = v.k.step_input(r, x);
    v.t[c] = step + 1;
    std::uint8_t& bit = v.sigma[c * n + static_cast<std::uint64_t>(i)];
    if ((bit != 0) == spike) return -1;
    bit = spike ? 1 : 0;
    return i;
  }

  /// After neuron i of chain c flipped to `now_on`: u_j += +-2 J_ij, ubar_j += +-2 Jbar_ij.
  NETRL_HD void flip_field(std::uint64_t c, int i, bool now_on, std::uint64_t j) const {
    const std::uint64_t n = v.n(), row = static_cast<std::uint64_t>(i) * n;
    const Real two = static_cast<Real>(2);
    Real& u = v.u[c * n + j];
    Real& ub = v.ubar[c * n + j];
    if (now_on) {
      u += two * v.J[row + j];
      ub += two * v.Jbar[row + j];
    } else {
      u -= two * v.J[row + j];
      ub -= two * v.Jbar[row + j];
    }
  }

  /// `steps` steps of chain c (the host's loop; the CUDA launcher splits it across a block).
  NETRL_HD void run(std::uint64_t c, std::uint64_t steps) const {
    const std::uint64_t n = v.n();
    for (std::uint64_t k = 0; k < steps; ++k) {
      const int i = decide(c);
      if (i < 0) continue;
      const bool on = v.sigma[c * n + static_cast<std::uint64_t>(i)] != 0;
      for (std::uint64_t j = 0; j < n; ++j) flip_field(c, i, on, j);
    }
  }
};

/// Per-neuron terms of a sample, item (k, i) = k * n + i: row = row_base + k of the chain arrays
/// gives sample s = sample_base + slot * stride + k (chains: row_base 0, sample_base 0, stride
/// chains; exploration: row_base chains, sample_base batch). Copies the row's spin and writes the
/// five terms of neuron i (zero for clamped neurons, whose terms are constant):
///   v: s_i (h_i(x) + u_i / 2)           (v = c(x) + sum of these)
///   g: s_i (hbt_i(x) + ubar_i / 2) - s_i ubt_i / nf + lambda log(p e^{ubt/Temp} + q e^{-ubt/Temp})
///   cost: KL(Bern(rho_i) || Bern(p_i)),   rho: rho_i,
///   lag: s_i (u_i - ubar_i) / 2           (sum: sum_{i<j} (J_ij - Jbar_ij) s_i s_j).
template <class Real>
struct SampleTerms {
  ParametricView<Real> v;
  std::uint64_t slot = 0;
  std::uint64_t row_base = 0, sample_base = 0, stride = 0;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), k = item / n, i = item % n;
    const std::uint64_t c = row_base + k;
    const std::uint64_t s = sample_base + slot * stride + k;
    const std::uint64_t at = c * n + i;
    const bool on = v.sigma[at] != 0;
    const double sg = on ? 1.0 : -1.0;
    v.spin[s * n + i] = static_cast<Real>(sg);
    v.sample_on[s * n + i] = on ? 1 : 0;
    const std::uint32_t x = v.x[c];
    if (i == 0) v.sample_x[s] = x;
    double* out = v.terms + (s * n + i) * kParametricTerms;
    if (!v.is_free(i)) {
      out[0] = out[1] = out[2] = out[3] = out[4] = 0.0;
      return;
    }
    const std::uint64_t xi = static_cast<std::uint64_t>(x) * n + i;
    const double u = static_cast<double>(v.u[at]);
    const double ub = static_cast<double>(v.ubar[at]);
    out[0] = sg * (v.h[xi] + 0.5 * u);
    const double field_bar = v.hbt[xi] + ub;
    const double z_bar = field_bar * v.inv_temperature;
    const double soft = log_add_exp(v.log_p[i] + z_bar, v.log_q[i] - z_bar);
    out[1] = sg * (v.hbt[xi] + 0.5 * ub) - sg * field_bar * v.inv_nf + v.lambda * soft;
    const double z = v.coupling * (v.ht[xi] + u) + v.logit_p[i];
    const double log_rho = -softplus(-z), log_not = -softplus(z);
    const double rho = exp_nonpositive(log_rho), not_rho = exp_nonpositive(log_not);
    out[2] = rho * (log_rho - v.log_p[i]) + not_rho * (log_not - v.log_q[i]);
    out[3] = rho;
    out[4] = sg * 0.5 * (u - ub);
  }
};

/// Sums of sample s's terms (any of the `samples`) in neuron order: sample_out[s] = (c(x) + sum v terms, cbt(x) + sum g
/// terms, sum cost terms, sum lag terms).
template <class Real>
struct SampleSums {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t s) const {
    const std::uint64_t n = v.n();
    const std::uint32_t x = v.sample_x[s];
    double val = v.c[x], g = v.cbt[x], cost = 0.0, lag = 0.0;
    const double* t = v.terms + s * n * kParametricTerms;
    for (std::uint64_t i = 0; i < n; ++i) {
      val += t[i * kParametricTerms + 0];
      g += t[i * kParametricTerms + 1];
      cost += t[i * kParametricTerms + 2];
      lag += t[i * kParametricTerms + 4];
    }
    double* out = v.sample_out + s * kParametricOutputs;
    out[0] = val;
    out[1] = g;
    out[2] = cost;
    out[3] = lag;
  }
};

/// rho_sum[i] = sum over the chains' samples of rho_i, in sample order.
template <class Real>
struct RhoSums {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t i) const {
    const std::uint64_t n = v.n();
    double sum = 0.0;
    for (std::uint64_t s = 0; s < v.batch; ++s) sum += v.terms[(s * n + i) * kParametricTerms + 3];
    v.rho_sum[i] = sum;
  }
};

/// J_ij += acc[j] for the kept pairs j > i of row i, written to J_ij and J_ji (the same number):
/// the end of every host row step.
template <class Real>
void add_upper_row(const ParametricView<Real>& v, std::uint64_t i, const double* acc) {
  const std::uint64_t n = v.n();
  Real* row = v.J + i * n;
  for (std::uint64_t j = i + 1; j < n; ++j) {
    if (!v.kept(i, j)) continue;
    const Real next = static_cast<Real>(static_cast<double>(row[j]) + acc[j]);
    row[j] = next;
    v.J[j * n + i] = next;
  }
}

/// The SGD step of one coupling, item (i, j) = i * n + j: J_ij += sum_s a_s s_i^(s) s_j^(s) over
/// all `samples` in order, for kept pairs (the step of J_ji is the same number: the products are
/// exact, +-a_s).
template <class Real>
struct CouplingStep {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), i = item / n, j = item % n;
    if (!v.kept(i, j)) return;
    double step = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      const double si = static_cast<double>(v.spin[s * n + i]), sj = static_cast<double>(v.spin[s * n + j]);
      step += (v.a[s] * si) * sj;
    }
    v.J[item] = static_cast<Real>(static_cast<double>(v.J[item]) + step);
  }

  /// Row i's upper part at once (the host's loop order): the same sums for j > i, each over the
  /// samples in order, with the rows of the samples read contiguously, written to J_ij and to
  /// J_ji (the same number). Half the multiply-adds of all n * n items. `acc` has n entries of
  /// scratch; rows may run concurrently (row i writes only J_ij and J_ji for j > i).
  void upper_row(std::uint64_t i, double* acc) const {
    const std::uint64_t n = v.n();
    if (!v.is_free(i)) return;
    for (std::uint64_t j = i + 1; j < n; ++j) acc[j] = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      const double b = v.a[s] * static_cast<double>(v.spin[s * n + i]);
      const Real* sj = v.spin + s * n;
      for (std::uint64_t j = i + 1; j < n; ++j) acc[j] += b * static_cast<double>(sj[j]);
    }
    add_upper_row(v, i, acc);
  }
};

/// Row i's squared change since the target copy and squared norm: row_norms[2 i] =
/// sum_j (J_ij - Jbar_ij)^2, row_norms[2 i + 1] = sum_j J_ij^2 (j in order).
template <class Real>
struct CouplingNorms {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t i) const {
    const std::uint64_t n = v.n();
    double change = 0.0, norm = 0.0;
    for (std::uint64_t j = 0; j < n; ++j) {
      const double now = static_cast<double>(v.J[i * n + j]);
      const double d = now - static_cast<double>(v.Jbar[i * n + j]);
      change += d * d;
      norm += now * now;
    }
    v.row_norms[2 * i] = change;
    v.row_norms[2 * i + 1] = norm;
  }
};

/// Overlap of sample s with chain c over the free neurons, item s * chains + c (an integer).
template <class Real>
struct SampleOverlap {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), s = item / v.chains, c = item % v.chains;
    std::int64_t q = 0;
    for (std::uint64_t j = 0; j < n; ++j) {
      if (!v.is_free(j)) continue;
      const bool a = v.spin[s * n + j] > static_cast<Real>(0);
      q += (a == (v.sigma[c * n + j] != 0)) ? 1 : -1;
    }
    v.overlap[item] = static_cast<Real>(q);
  }
};

/// The current fields after CouplingStep without a mask, item (c, i) for the chains: u_i +=
/// sum_s a_s s_i^(s) (q_sc - s_i^(s) s_i^(c)), the change of sum_j J_ij s_j^(c) (rank `samples`,
/// O(samples) per field).
template <class Real>
struct FieldStep {
  ParametricView<Real> v;
  NETRL_HD void operator()(std::uint64_t item) const {
    const std::uint64_t n = v.n(), c = item / n, i = item % n;
    if (!v.is_free(i)) return;
    const double own = v.sigma[item] ? 1.0 : -1.0;
    double step = 0.0;
    for (std::uint64_t s = 0; s < v.samples; ++s) {
      const double si = static_cast<double>(v.spin[s * n + i]);
      step += (v.a[s] * si) * (static_cast<double>(v.overlap[s * v.chains + c]) - si * own);
    }
    v.u[item] = static_cast<Real>(static_cast<double>(v.u[item]) + step);
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
