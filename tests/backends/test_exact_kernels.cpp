// The exact network solver on the batched kernels.
//
// Tiers: (1) the maths and the functors of kernels/common/ on tiny inputs checked by hand (host
// build only); (2) the solver against reference::solve (the oracle) for n = 1..10, m = 1..3,
// random inputs and table rewards, clamps, both prior modes, float64 and float32; (3) batching
// and errors. The same file is built twice: test_exact_kernels (backend "host") and, with CUDA,
// test_exact_kernels_cuda (backend "cuda"; NETRL_TEST_BACKEND_CUDA), which skips when no device
// answers and fails instead when NETRL_REQUIRE_GPU=1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "solve/exact_solver.hpp"
#include "solve/linear_solve.hpp"
#include "solve/reference.hpp"
#include "engine_support.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "test_support.hpp"

#if !defined(NETRL_TEST_BACKEND_CUDA)
#include "common/functors.hpp"
#include "common/math.hpp"
#endif

namespace netrl {
namespace {

// The solver tests run on kBackend; their suite is named after it (ExactSolver, ExactSolverCuda)
// so that CTest lists the two binaries' tests apart.
using test::kBackend;
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_EXACT_SUITE ExactSolverCuda
#else
#define NETRL_EXACT_SUITE ExactSolver
#endif

/// Agreement of a backend with the reference: 1e-10 at float64, 1e-4 at float32 (scaled values).
template <class T>
double agreement() {
  return test::tolerance<T>(std::is_same_v<T, double> ? 4.5e5 : 8.4e2);
}

double agreement(Precision p) {
  return p == Precision::float64 ? agreement<double>() : agreement<float>();
}

/// Skips (or fails under NETRL_REQUIRE_GPU=1) when the backend cannot run here.
class NETRL_EXACT_SUITE : public test::BackendTest {};

/// Tight options: both solvers then sit much closer to the fixed point than the tolerance.
SolverOptions tight(Backend backend, Precision precision = Precision::float64) {
  SolverOptions o;
  o.backend = backend;
  o.precision = precision;
  o.tol = 1e-12;
  o.prior_tol = 1e-13;
  return o;
}

/// A random network: table reward in [0, 1), random input (rows >= 0.05), lambda in [0.2, 0.8].
NetworkModel random_model(int n, int m, PriorMode mode, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.2, 0.8);
  const double lambda = u(rng);
  return test::random_network(n, m, mode, rng, lambda);
}

std::uint64_t case_seed(int n, int m, int mode, int clamp) {
  return 1000003ULL * static_cast<std::uint64_t>(n) + 10007ULL * static_cast<std::uint64_t>(m) +
         101ULL * static_cast<std::uint64_t>(mode) + static_cast<std::uint64_t>(clamp) + 17ULL;
}

double max_abs(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    if (!std::isnan(x)) s = std::max(s, std::abs(x));
  return s;
}

/// Element-wise |a - b| <= tol * scale, NaN exactly where the reference has NaN.
void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  double scale, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0.0;
  std::size_t at = 0;
  for (std::size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(std::isnan(got[k]), std::isnan(want[k])) << what << "[" << k << "]";
    if (std::isnan(want[k])) continue;
    const double d = std::abs(got[k] - want[k]);
    if (d > worst) {
      worst = d;
      at = k;
    }
  }
  EXPECT_LE(worst, tol * scale) << what << ": worst at [" << at << "] got " << got[at] << " want " << want[at];
}

/// Every output of a backend against the reference at the tolerance of `precision`.
void expect_matches(const SolveResult& got, const SolveResult& ref, Precision precision,
                    const std::string& label) {
  SCOPED_TRACE(label);
  const double tol = agreement(precision);
  const double value_scale = std::max(1.0, max_abs(ref.values));
  EXPECT_EQ(got.converged, ref.converged);
  EXPECT_EQ(got.states, ref.states);
  EXPECT_NEAR(got.gain, ref.gain, tol * std::max(1.0, std::abs(ref.gain)));
  EXPECT_NEAR(got.mean_reward, ref.mean_reward, tol * std::max(1.0, std::abs(ref.mean_reward)));
  EXPECT_NEAR(got.mean_coding_cost, ref.mean_coding_cost, tol * std::max(1.0, std::abs(ref.mean_coding_cost)));
  expect_close(got.prior, ref.prior, tol, 1.0, "prior");
  expect_close(got.values, ref.values, tol, value_scale, "values");
  expect_close(got.stationary, ref.stationary, tol, 1.0, "stationary");
  expect_close(got.spike_count, ref.spike_count, tol, 1.0, "spike_count");
  EXPECT_EQ(got.degenerate, ref.degenerate);
  // The gain of the final greedy policy lies within the reported bounds of its values.
  const double slack = 10.0 * tol;
  EXPECT_LE(got.gain_lo, got.gain + slack);
  EXPECT_GE(got.gain_hi, got.gain - slack);
  EXPECT_EQ(got.backend, to_string(kBackend));
  EXPECT_EQ(got.precision, to_string(precision));
  EXPECT_EQ(got.spike_count_rows, ref.spike_count_rows);
  EXPECT_EQ(got.spike_count_cols, ref.spike_count_cols);
}

// ---------------------------------------------------------------------------------------------
// Tier 1: maths and functors (host build of kernels/common/).

#if !defined(NETRL_TEST_BACKEND_CUDA)
namespace k = netrl::kernels::host;

TEST(KernelMath, ExpNegIsAccurate) {
  for (double d = 0.0; d <= 300.0; d += 0.01731) {
    const double want = std::exp(-d);
    EXPECT_NEAR(k::math::exp_neg(d), want, 4.0 * std::numeric_limits<double>::epsilon() * want) << d;
  }
  for (float d = 0.0f; d <= 40.0f; d += 0.01731f) {
    const double want = std::exp(-static_cast<double>(d));
    EXPECT_NEAR(static_cast<double>(k::math::exp_neg(d)), want,
                4.0 * std::numeric_limits<float>::epsilon() * want)
        << d;
  }
}

TEST(KernelMath, Log1pUnitIsAccurate) {
  for (double e = 0.0; e <= 1.0; e += 1.0 / 4099.0) {
    EXPECT_NEAR(k::math::log1p_unit(e), std::log1p(e), 2.0 * std::numeric_limits<double>::epsilon()) << e;
    EXPECT_NEAR(static_cast<double>(k::math::log1p_unit(static_cast<float>(e))),
                std::log1p(static_cast<double>(static_cast<float>(e))), 2.0 * std::numeric_limits<float>::epsilon())
        << e;
  }
}

TEST(KernelMath, Lse2IsStableAndPropagatesNaN) {
  EXPECT_NEAR(k::math::lse2(1000.0, 999.0), 1000.0 + std::log1p(std::exp(-1.0)), test::rounding(4500));
  EXPECT_NEAR(k::math::lse2(-1000.0, -1000.0), -1000.0 + std::log(2.0), test::rounding(4500));
  EXPECT_DOUBLE_EQ(k::math::lse2(5.0, -1e6), 5.0);
  EXPECT_NEAR(k::math::lse2(0.3, -0.2), std::log(std::exp(0.3) + std::exp(-0.2)), test::rounding(4.5));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(k::math::lse2(nan, 1.0)));
  EXPECT_TRUE(std::isnan(k::math::lse2(1.0, nan)));
  EXPECT_TRUE(std::isnan(k::math::lse2(std::numeric_limits<float>::quiet_NaN(), 1.0f)));
}

TEST(KernelMath, PairPolicyMatchesDefinition) {
  for (double z : {-40.0, -3.0, -0.1, 0.0, 0.2, 5.0, 40.0}) {
    const double p = 0.3, lp1 = std::log(p), lp0 = std::log1p(-p);
    const auto pol = k::math::pair_policy(z, lp1, lp0);
    const double rho = 1.0 / (1.0 + std::exp(-z));
    EXPECT_NEAR(pol.rho, rho, test::rounding(4.5)) << z;
    double kl = 0.0;
    if (rho > 0.0) kl += rho * std::log(rho / p);
    if (rho < 1.0) kl += (1.0 - rho) * std::log((1.0 - rho) / (1.0 - p));
    EXPECT_NEAR(pol.kl, kl, test::rounding(450)) << z;
    EXPECT_NEAR(k::math::sigmoid(z), rho, test::rounding(4.5)) << z;
  }
}

/// Parameters of a tiny problem set: B problems of nf free neurons and m inputs.
struct Tiny {
  k::SweepShape shape;
  std::vector<double> lambda, inv_temp, log_p1, log_p0, logit, prior;
  Tiny(int nf, int m, int batch, std::mt19937_64& rng) : shape(k::make_sweep_shape(nf, m, batch)) {
    std::uniform_real_distribution<double> u(0.15, 0.85);
    for (int q = 0; q < batch; ++q) {
      lambda.push_back(u(rng));
      inv_temp.push_back(1.0 / (nf * lambda.back()));
      for (int i = 0; i < nf; ++i) {
        const double p = u(rng);
        prior.push_back(p);
        log_p1.push_back(std::log(p));
        log_p0.push_back(std::log1p(-p));
        logit.push_back(std::log(p / (1.0 - p)));
      }
    }
  }
  /// The arrays as the functors take them (ProblemParams's members, in its order).
  k::ProblemParams<double> params() const {
    return {shape.nf, lambda.data(), inv_temp.data(), log_p1.data(), log_p0.data(), logit.data()};
  }
  double p(int q, int i) const { return prior[static_cast<std::size_t>(q * shape.nf + i)]; }
};

std::vector<double> random_vector(std::size_t n, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

constexpr std::uint8_t kOneActive = 1;

/// Runs op over every pass of `plan`, for the problems flagged in `active` (default: the one
/// problem of a batch of one).
template <class Op>
void run_plan(const Op& op, const k::SweepShape& shape, const std::vector<k::TilePass>& plan,
              const std::uint8_t* active = &kOneActive) {
  k::PairSweep<Op> sweep;
  sweep.op = op;
  sweep.shape = shape;
  sweep.active = active;
  for (const auto& pass : plan) {
    sweep.pass = pass;
    for (std::uint64_t item = 0; item < k::pass_items(shape, pass); ++item) sweep(item);
  }
}

/// The Bellman operator of the problems of `t` on the values w (one buffer) with reward r, into out.
k::BellmanOp<double> bellman(const Tiny& t, const std::vector<double>& w, const std::vector<double>& r,
                             std::vector<double>& out) {
  k::BellmanOp<double> op;
  op.w = k::single(const_cast<double*>(w.data()));
  op.out = out.data();
  op.reward = r.data();
  op.params = t.params();
  return op;
}

/// Valid plans for nf neurons: one contiguous pass, one pass per neuron (the CUDA plan), and a
/// blocked plan (contiguous low block, then runs of 2^L states with groups of high bits).
std::vector<std::vector<k::TilePass>> plans(int nf) {
  std::vector<std::vector<k::TilePass>> out;
  out.push_back({k::TilePass{0, nf, 0, true}});
  std::vector<k::TilePass> per_neuron;
  for (int i = 0; i < nf; ++i) per_neuron.push_back(k::TilePass{i, 1, 0, i == 0});
  out.push_back(per_neuron);
  if (nf >= 3) {
    const int g0 = nf / 2;
    std::vector<k::TilePass> blocked{k::TilePass{0, g0, 0, true}};
    for (int a = g0; a < nf;) {
      const int g = std::min(2, nf - a);
      blocked.push_back(k::TilePass{a, g, std::min(a, 2), false});
      a += g;
    }
    out.push_back(blocked);
  }
  return out;
}

TEST(KernelFunctors, BellmanOneNeuronByHand) {
  // One neuron, no input: both states get r(b) + lambda log[p e^{w1/lambda} + (1-p) e^{w0/lambda}].
  std::mt19937_64 rng(1);
  Tiny t(1, 1, 1, rng);
  std::vector<double> w{0.3, -0.4}, r{0.25, 1.0}, out(2, -7.0);
  run_plan(bellman(t, w, r, out), t.shape, {k::TilePass{0, 1, 0, true}});
  const double lam = t.lambda[0], p = t.p(0, 0);
  const double term = lam * std::log(p * std::exp(w[1] / lam) + (1.0 - p) * std::exp(w[0] / lam));
  EXPECT_NEAR(out[0], r[0] + term, test::rounding(4.5));
  EXPECT_NEAR(out[1], r[1] + term, test::rounding(4.5));
}

TEST(KernelFunctors, BellmanTwoNeuronsEveryPlan) {
  // Two neurons: T w(b) = r(b) + lambda sum_i log[p_i e^{w(b|i=1)/(2 lambda)} + (1-p_i) e^{w(b|i=0)/(2 lambda)}].
  std::mt19937_64 rng(2);
  Tiny t(2, 1, 1, rng);
  const auto w = random_vector(4, rng), r = random_vector(4, rng, 0.0, 1.0);
  const double lam = t.lambda[0];
  for (const auto& plan : plans(2)) {
    std::vector<double> out(4, 0.0);
    run_plan(bellman(t, w, r, out), t.shape, plan);
    for (unsigned b = 0; b < 4; ++b) {
      double want = r[b];
      for (int i = 0; i < 2; ++i) {
        const double w1 = w[b | (1u << i)], w0 = w[b & ~(1u << i)], p = t.p(0, i);
        want += lam * std::log(p * std::exp(w1 / (2 * lam)) + (1 - p) * std::exp(w0 / (2 * lam)));
      }
      EXPECT_NEAR(out[b], want, test::rounding(45)) << "b " << b << " plan passes " << plan.size();
    }
  }
}

/// Naive Bellman over a batch (problem, x, b), for plan coverage.
std::vector<double> naive_bellman(const Tiny& t, const std::vector<double>& w, const std::vector<double>& r) {
  const auto& s = t.shape;
  std::vector<double> out(r);
  for (int q = 0; q < s.batch; ++q)
    for (int x = 0; x < s.m; ++x)
      for (std::uint64_t b = 0; b < s.nb; ++b) {
        const std::uint64_t base = static_cast<std::uint64_t>(q) * s.states + static_cast<std::uint64_t>(x) * s.nb;
        for (int i = 0; i < s.nf; ++i) {
          const double lam = t.lambda[static_cast<std::size_t>(q)], p = t.p(q, i);
          const double w1 = w[base + (b | (1ULL << i))], w0 = w[base + (b & ~(1ULL << i))];
          out[base + b] += lam * std::log(p * std::exp(w1 / (s.nf * lam)) + (1 - p) * std::exp(w0 / (s.nf * lam)));
        }
      }
  return out;
}

TEST(KernelFunctors, EveryPlanVisitsEveryPairOnce) {
  std::mt19937_64 rng(3);
  for (int nf = 1; nf <= 8; ++nf) {
    Tiny t(nf, 2, 3, rng);
    const std::size_t total = static_cast<std::size_t>(t.shape.states) * 3;
    const auto w = random_vector(total, rng), r = random_vector(total, rng);
    const auto want = naive_bellman(t, w, r);
    const std::vector<std::uint8_t> active{1, 1, 1};
    for (const auto& plan : plans(nf)) {
      std::vector<double> out(total, std::numeric_limits<double>::quiet_NaN());
      run_plan(bellman(t, w, r, out), t.shape, plan, active.data());
      for (std::size_t s = 0; s < total; ++s) ASSERT_NEAR(out[s], want[s], test::rounding(450)) << "nf " << nf << " state " << s;
    }
  }
}

TEST(KernelFunctors, InactiveProblemsAreUntouched) {
  std::mt19937_64 rng(4);
  Tiny t(3, 2, 2, rng);
  const std::size_t total = static_cast<std::size_t>(t.shape.states) * 2;
  const auto w = random_vector(total, rng), r = random_vector(total, rng);
  std::vector<double> out(total, 42.0);
  const std::vector<std::uint8_t> active{0, 1};
  run_plan(bellman(t, w, r, out), t.shape, plans(3)[1], active.data());
  const auto want = naive_bellman(t, w, r);
  for (std::size_t s = 0; s < total; ++s) {
    if (s < t.shape.states) {
      EXPECT_EQ(out[s], 42.0);
    } else {
      EXPECT_NEAR(out[s], want[s], test::rounding(450));
    }
  }
}

TEST(KernelFunctors, PolicyEvaluationOneNeuronByHand) {
  // (T_rho v)(b) = r(b) - lambda KL(rho || p) + rho v(1) + (1 - rho) v(0),
  // rho = sigmoid((h(1) - h(0)) / lambda + logit p).
  std::mt19937_64 rng(5);
  Tiny t(1, 1, 1, rng);
  std::vector<double> h{0.1, 0.9}, v{-0.3, 0.5}, r{0.2, 0.7}, out(2);
  k::PolicyEvalOp<double> op;
  op.wh = k::single(h.data());
  op.wv = k::single(v.data());
  op.out = out.data();
  op.reward = k::single(r.data());
  op.params = t.params();
  run_plan(op, t.shape, {k::TilePass{0, 1, 0, true}});
  const double lam = t.lambda[0], p = t.p(0, 0);
  const double rho = 1.0 / (1.0 + std::exp(-((h[1] - h[0]) / lam + std::log(p / (1 - p)))));
  const double kl = rho * std::log(rho / p) + (1 - rho) * std::log((1 - rho) / (1 - p));
  for (int b = 0; b < 2; ++b) EXPECT_NEAR(out[b], r[b] - lam * kl + rho * v[1] + (1 - rho) * v[0], test::rounding(45));
}

TEST(KernelFunctors, AdjointTwoNeuronsByHand) {
  // y(b) = (1/2) sum_i q_i(b) [mu(b) + mu(b ^ 2^i)], q_i = rho_i if bit i of b is set else 1 - rho_i.
  std::mt19937_64 rng(6);
  Tiny t(2, 1, 1, rng);
  const auto h = random_vector(4, rng);
  const auto mu = random_vector(4, rng, 0.0, 1.0);
  const double lam = t.lambda[0];
  for (const auto& plan : plans(2)) {
    std::vector<double> y(4, 9.0);
    k::AdjointOp<double> op;
    op.wh = k::single(const_cast<double*>(h.data()));
    op.mu = k::single(const_cast<double*>(mu.data()));
    op.y = y.data();
    op.params = t.params();
    run_plan(op, t.shape, plan);
    double mass = 0.0;
    for (unsigned b = 0; b < 4; ++b) {
      double want = 0.0;
      for (int i = 0; i < 2; ++i) {
        const double p = t.p(0, i);
        const double z = (h[b | (1u << i)] - h[b & ~(1u << i)]) / (2 * lam) + std::log(p / (1 - p));
        const double rho = 1.0 / (1.0 + std::exp(-z));
        const double q = (b >> i) & 1u ? rho : 1 - rho;
        want += 0.5 * q * (mu[b] + mu[b ^ (1u << i)]);
      }
      EXPECT_NEAR(y[b], want, test::rounding(4.5)) << b;
      mass += y[b];
    }
    EXPECT_NEAR(mass, mu[0] + mu[1] + mu[2] + mu[3], test::rounding(4.5));  // the step keeps the mass
  }
}

TEST(KernelFunctors, MixInputsForwardAndAdjoint) {
  // W(b, x) = sum_x' T(x'|x) V(b, x'); adjoint: mu'(b, x') = sum_x T(x'|x) y(b, x).
  k::SweepShape s = k::make_sweep_shape(1, 2, 1);
  std::vector<double> T{0.9, 0.1, 0.3, 0.7}, V{1.0, 2.0, 10.0, 20.0}, out(4);
  const std::uint8_t active = 1;
  k::MixInputs<double> f;
  f.in = k::single(V.data());
  f.out = out.data();
  f.transition = T.data();
  f.shape = s;
  f.chunk = 2;
  f.active = &active;
  f(0);
  f(1);
  EXPECT_DOUBLE_EQ(out[0], 0.9 * 1.0 + 0.1 * 10.0);
  EXPECT_DOUBLE_EQ(out[1], 0.9 * 2.0 + 0.1 * 20.0);
  EXPECT_DOUBLE_EQ(out[2], 0.3 * 1.0 + 0.7 * 10.0);
  EXPECT_DOUBLE_EQ(out[3], 0.3 * 2.0 + 0.7 * 20.0);
  f.adjoint = true;
  f(0);
  f(1);
  EXPECT_DOUBLE_EQ(out[0], 0.9 * 1.0 + 0.3 * 10.0);
  EXPECT_DOUBLE_EQ(out[2], 0.1 * 1.0 + 0.7 * 10.0);
  EXPECT_DOUBLE_EQ(out[3], 0.1 * 2.0 + 0.7 * 20.0);
}

/// Double buffers of one problem: current values in `current` (parity 0), the next in `next`.
k::Buf<double> buffers(std::vector<double>* current, std::vector<double>* next) {
  static const std::uint8_t parity = 0;
  k::Buf<double> b;
  b.a = current->data();
  b.b = next->data();
  b.parity = &parity;
  return b;
}

/// One active problem of `states` states in one chunk, for a chunk reduction f.
template <class F>
void one_chunk(F* f, std::uint64_t states) {
  f->chunks.states = states;
  f->chunks.chunk = states;
  f->active = &kOneActive;
}

TEST(KernelFunctors, RelativeStepReportsSpanAndNaN) {
  std::vector<double> th{1.0, 3.5, -2.0, 0.5}, h0{0.0, 1.0, -1.0, 0.5}, h1(4, 0.0), theta{1.0};
  k::RelativeStep<double> f;
  f.t = th.data();
  f.h = buffers(&h0, &h1);
  f.theta = theta.data();
  one_chunk(&f, 4);
  auto v = f(0);
  EXPECT_DOUBLE_EQ(v.lo, -1.0);
  EXPECT_DOUBLE_EQ(v.hi, 2.5);
  EXPECT_DOUBLE_EQ(v.max_abs, 3.5);
  EXPECT_EQ(v.nonfinite, 0u);
  EXPECT_EQ(h1, (std::vector<double>{0.0, 2.5, -3.0, -0.5}));
  theta[0] = 0.5;  // lazy: h1 = (t - t(0)) / 2 + h0 / 2
  f(0);
  EXPECT_EQ(h1, (std::vector<double>{0.0, 1.75, -2.0, -0.0}));
  th[2] = std::numeric_limits<double>::quiet_NaN();
  v = f(0);
  EXPECT_EQ(v.nonfinite, 1u);
  th[2] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(f(0).nonfinite, 1u);
}

TEST(KernelFunctors, PairStatsOneNeuronByHand) {
  std::mt19937_64 rng(7);
  Tiny t(1, 1, 1, rng);
  std::vector<double> h{0.2, -0.6}, mu{0.3, 0.7};
  const std::uint8_t active = 1;
  k::PairStats<double, 4> f;
  f.wh = k::single(h.data());
  f.mu = k::single(mu.data());
  f.params = t.params();
  f.shape = t.shape;
  f.pass = k::TilePass{0, 1, 0, true};
  f.active = &active;
  const auto sums = f(0);
  const double lam = t.lambda[0], p = t.p(0, 0);
  const double rho = 1.0 / (1.0 + std::exp(-((h[1] - h[0]) / lam + std::log(p / (1 - p)))));
  const double kl = rho * std::log(rho / p) + (1 - rho) * std::log((1 - rho) / (1 - p));
  EXPECT_NEAR(sums.spike[0], rho, test::rounding(4.5));
  EXPECT_NEAR(sums.silent[0], 1.0 - rho, test::rounding(4.5));
  EXPECT_NEAR(sums.cost[0], kl, test::rounding(4.5));
  EXPECT_EQ(sums.spike[1], 0.0);
}

TEST(KernelFunctors, StationaryStepIsLazyAndScaled) {
  std::vector<double> y{0.6, 0.6}, mu0{0.2, 0.8}, mu1(2), theta{0.5}, scale{0.5};
  k::StationaryStep<double> f;
  f.y = k::single(y.data());
  f.mu = buffers(&mu0, &mu1);
  f.theta = theta.data();
  f.scale = scale.data();
  one_chunk(&f, 2);
  const auto v = f(0);
  EXPECT_DOUBLE_EQ(mu1[0], 0.5 * (0.5 * 0.6 + 0.5 * 0.2));
  EXPECT_DOUBLE_EQ(mu1[1], 0.5 * (0.5 * 0.6 + 0.5 * 0.8));
  EXPECT_DOUBLE_EQ(v.mass, mu1[0] + mu1[1]);
  EXPECT_DOUBLE_EQ(v.change, std::abs(mu1[0] - 0.2) + std::abs(mu1[1] - 0.8));
  // y in the next buffer of mu itself (the fused value and stationary step): the same update.
  std::vector<double> next = y;
  f.y = k::single(next.data());
  f.mu = buffers(&mu0, &next);
  f(0);
  EXPECT_EQ(next, mu1);
}
#endif  // !NETRL_TEST_BACKEND_CUDA

// ---------------------------------------------------------------------------------------------
// Tier 2: the solver against the reference.

TEST_F(NETRL_EXACT_SUITE, Count8ReproducesThePaperGain) {
  SolverOptions o;
  o.backend = kBackend;
  const SolveResult r = exact::solve(count8_model(), o);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.gain, 0.360547572141, 1e-11);
  EXPECT_EQ(r.states, 512u);
  EXPECT_EQ(r.method, "value_iteration");
  EXPECT_TRUE(r.note.empty()) << r.note;
}

/// Full prior loop, n = 1..5 (the reference is slow beyond), both precisions per case.
TEST_F(NETRL_EXACT_SUITE, MatchesReferenceWithPriorLoop) {
  struct Case {
    int n, m, mode, clamp;  // clamp: 0 none, 1 one neuron silent, 2 one neuron active
  };
  std::vector<Case> cases;
  for (int n = 1; n <= 4; ++n)
    for (int m = 1; m <= 3; ++m)
      for (int mode = 0; mode < 2; ++mode) cases.push_back({n, m, mode, 0});
  for (int n = 2; n <= 4; ++n)
    for (int clamp = 1; clamp <= 2; ++clamp) cases.push_back({n, 1 + (n + clamp) % 3, clamp - 1, clamp});
  cases.push_back({5, 1, 0, 0});
  cases.push_back({5, 2, 1, 1});
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " mode " +
                              to_string(model.prior_mode) + " clamp " + std::to_string(c.clamp);
    const SolveResult ref = reference::solve(model, tight(Backend::reference));
    ASSERT_TRUE(ref.converged) << label;
    for (Precision precision : {Precision::float64, Precision::float32}) {
      const SolveResult got = exact::solve(model, tight(kBackend, precision));
      expect_matches(got, ref, precision, label + " " + to_string(precision));
      // The accelerated prior loop takes far fewer outer iterations than the plain one.
      if (precision == Precision::float64) {
        EXPECT_LE(got.outer_iterations, std::max<std::int64_t>(ref.outer_iterations, 40)) << label;
      }
    }
  }
}

/// One outer iteration (the inner solve at a fixed prior) from a random prior, n = 6..10 (no full loop: the reference is
/// slow there), with silent and active clamps.
TEST_F(NETRL_EXACT_SUITE, MatchesReferenceAtFixedPrior) {
  struct Case {
    int n, m, clamp, outer;
  };
  const std::vector<Case> cases{{6, 3, 0, 1}, {7, 2, 2, 1}, {8, 3, 1, 1}, {9, 2, 0, 1}, {10, 1, 1, 1}};
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, 7, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.n % 2 ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    std::mt19937_64 rng(seed);
    SolverOptions ref_opt = tight(Backend::reference);
    ref_opt.max_outer_iterations = c.outer;
    ref_opt.p0 = std::uniform_real_distribution<double>(0.1, 0.9)(rng);
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " clamp " +
                              std::to_string(c.clamp) + " outer " + std::to_string(c.outer);
    const SolveResult ref = reference::solve(model, ref_opt);
    for (Precision precision : {Precision::float64, Precision::float32}) {
      SolverOptions o = tight(kBackend, precision);
      o.max_outer_iterations = c.outer;
      o.p0 = ref_opt.p0;
      const SolveResult got = exact::solve(model, o);
      expect_matches(got, ref, precision, label + " " + to_string(precision));
      EXPECT_EQ(got.outer_iterations, ref.outer_iterations) << label;
      EXPECT_EQ(got.note, ref.note) << label;
      if (precision == Precision::float64) {
        EXPECT_EQ(got.inner_iterations, ref.inner_iterations) << label;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, AcceleratesASlowPriorLoopToTheSameFixedPoint) {
  // A population prior at lambda = 0.1 whose plain loop crawls (hundreds of outer iterations).
  std::mt19937_64 rng(3);
  const NetworkModel model = test::random_network(3, 2, PriorMode::population, rng, 0.1);
  const SolveResult ref = reference::solve(model, tight(Backend::reference));
  ASSERT_TRUE(ref.converged);
  EXPECT_GT(ref.outer_iterations, 400);
  const SolveResult got = exact::solve(model, tight(kBackend));
  expect_matches(got, ref, Precision::float64, "slow prior loop");
  EXPECT_LT(got.outer_iterations * 5, ref.outer_iterations);
  // The gain does not decrease along the accepted path: the last is the best seen (up to the
  // loose tolerances of the early outer iterations).
  EXPECT_GE(got.gain + 1e-6, *std::max_element(got.gain_history.begin(), got.gain_history.end()));
}

TEST_F(NETRL_EXACT_SUITE, PeriodicInputMatchesReference) {
  // x alternates deterministically: the joint chain is periodic, mu needs the lazy power step.
  for (int mode = 0; mode < 2; ++mode) {
    NetworkModel model = random_model(4, 2, mode ? PriorMode::neuron : PriorMode::population, 99 + mode);
    model.input.T = {0.0, 1.0, 1.0, 0.0};
    // Plain value iteration does not converge on a periodic chain: the reference's policy
    // iteration (exact evaluations) finds the same fixed point.
    const SolveResult ref = reference::solve(model, tight(Backend::reference));
    EXPECT_FALSE(ref.converged);
    SolverOptions pi = tight(Backend::reference);
    pi.method = Method::policy_iteration;
    const SolveResult ref_pi = reference::solve(model, pi);
    ASSERT_TRUE(ref_pi.converged);
    const SolveResult got = exact::solve(model, tight(kBackend));
    expect_matches(got, ref_pi, Precision::float64, "periodic input");
  }
}

TEST_F(NETRL_EXACT_SUITE, StopsLikeReferenceWhenInnerSolveIsCut) {
  const NetworkModel model = random_model(5, 2, PriorMode::population, 1234);
  SolverOptions o = tight(Backend::reference);
  o.max_iterations = 4;
  const SolveResult ref = reference::solve(model, o);
  o.backend = kBackend;
  const SolveResult got = exact::solve(model, o);
  EXPECT_FALSE(ref.converged);
  expect_matches(got, ref, Precision::float64, "inner solve cut at 4 sweeps");
  EXPECT_EQ(got.note, ref.note);
  EXPECT_EQ(got.inner_iterations, 4);
}

TEST_F(NETRL_EXACT_SUITE, SilentClampEqualsNetworkWithoutTheNeuron) {
  // Clamping neuron 1 silent in a 4-neuron network is the 3-neuron network on neurons {0, 2, 3}.
  const int n = 4, m = 2;
  NetworkModel big = random_model(n, m, PriorMode::neuron, 77);
  big.clamps.push_back({1, -1});
  NetworkModel small = big;
  small.n = n - 1;
  small.clamps.clear();
  std::vector<double> r;
  for (int x = 0; x < m; ++x)
    for (unsigned c = 0; c < 8; ++c) {
      const unsigned b = (c & 1u) | ((c >> 1) << 2);  // insert a silent bit 1
      r.push_back(big.reward.values[static_cast<std::size_t>(x) * 16 + b]);
    }
  small.reward = RewardSpec::table(r);
  const SolveResult a = exact::solve(big, tight(kBackend));
  const SolveResult b = exact::solve(small, tight(kBackend));
  EXPECT_NEAR(a.gain, b.gain, agreement<double>());
  EXPECT_TRUE(std::isnan(a.prior[1]));
  EXPECT_NEAR(a.prior[0], b.prior[0], agreement<double>());
  EXPECT_NEAR(a.prior[2], b.prior[1], agreement<double>());
  EXPECT_NEAR(a.prior[3], b.prior[2], agreement<double>());
  EXPECT_EQ(a.states, b.states);
}

// ---------------------------------------------------------------------------------------------
// Policy iteration: the chain operators of the engine, Krylov solves, and the solver.

/// The greedy policy rho_i(b, x) of a result's values and prior (MODEL.md sec. 2), one entry
/// per free neuron and consistent state, in state-major order.
std::vector<double> policy_table(const NetworkModel& model, const SolveResult& r) {
  const int m = model.m();
  const std::uint64_t nb = model.num_network_states();
  const std::vector<int> free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * model.lambda;
  auto w = [&](std::uint64_t b, int x) {
    double sum = 0.0;
    for (int y = 0; y < m; ++y) sum += model.input(x, y) * r.values[static_cast<std::uint64_t>(y) * nb + b];
    return sum;
  };
  std::vector<double> rho;
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      for (int i : free) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        const double p = r.prior[static_cast<std::size_t>(i)];
        const double z = (w(b | bit, x) - w(b & ~bit, x)) / temperature + std::log(p / (1.0 - p));
        rho.push_back(1.0 / (1.0 + std::exp(-z)));
      }
    }
  return rho;
}

SolverOptions with_method(SolverOptions o, Method method) {
  o.method = method;
  return o;
}

/// An engine of kBackend over one unclamped network (float64), with its reference problem: the
/// greedy policy of random values at random priors.
struct ChainCase {
  NetworkModel model;
  reference::SoftProblem pb;
  reference::Greedy greedy;
  reference::SparseMatrix P;
  std::unique_ptr<kernels::ExactEngine<double>> engine;
};

ChainCase chain_case(int n, int m, std::uint64_t seed) {
  ChainCase c;
  std::mt19937_64 rng(seed);
  c.model = random_model(n, m, PriorMode::neuron, seed);
  std::vector<std::uint64_t> states;
  c.pb = reference::make_problem(c.model, &states);
  const auto N = static_cast<std::size_t>(c.pb.num_states);
  std::uniform_real_distribution<double> u(-1.0, 1.0), up(0.1, 0.9);
  std::vector<double> h(N), prior(static_cast<std::size_t>(n));
  for (double& x : h) x = u(rng);
  for (double& p : prior) p = up(rng);
  Eigen::MatrixXd pr(n, 2);
  for (int i = 0; i < n; ++i) {
    pr(i, 0) = 1.0 - prior[static_cast<std::size_t>(i)];
    pr(i, 1) = prior[static_cast<std::size_t>(i)];
  }
  c.greedy = reference::greedy(c.pb, Eigen::Map<const Eigen::VectorXd>(h.data(), c.pb.num_states), pr);
  c.P = reference::chain(c.pb, c.greedy);
  kernels::EngineShape shape;
  shape.nf = n;
  shape.m = m;
  c.engine = test::exact_engine<double>(shape);
  std::vector<double> reward(c.pb.reward.data(), c.pb.reward.data() + c.pb.num_states);
  c.engine->set_rewards(reward);
  c.engine->set_inputs(c.model.input.T, {1.0});
  c.engine->set_lambdas({c.model.lambda});
  c.engine->set_priors(prior);
  const kernels::Mask one(1, 1);
  c.engine->set_values(one, h.data());
  c.engine->prepare_policy(one);
  return c;
}

linear::LinearOperator engine_operator(kernels::ExactEngine<double>* engine, bool adjoint) {
  return [engine, adjoint](const std::vector<double>& x, std::vector<double>& y) {
    engine->apply_chain(kernels::Mask(1, 1), adjoint, x.data(), y.data());
  };
}

TEST_F(NETRL_EXACT_SUITE, ChainOperatorsMatchTheReferenceChain) {
  for (int n = 1; n <= 6; ++n) {
    for (int m = 1; m <= 3; ++m) {
      ChainCase c = chain_case(n, m, case_seed(n, m, 11, 0));
      const auto N = static_cast<std::size_t>(c.pb.num_states);
      std::mt19937_64 rng(case_seed(n, m, 12, 0));
      std::uniform_real_distribution<double> u(-1.0, 1.0);
      std::vector<double> x(N), y(N), yt(N), g(N);
      for (double& e : x) e = u(rng);
      const Eigen::Map<const Eigen::VectorXd> X(x.data(), c.pb.num_states);
      const Eigen::VectorXd want = c.P * X, want_t = c.P.transpose() * X;
      const Eigen::VectorXd want_g = c.pb.reward - c.pb.lambda * c.greedy.cost;
      const kernels::Mask one(1, 1);
      c.engine->apply_chain(one, false, x.data(), y.data());
      c.engine->apply_chain(one, true, x.data(), yt.data());
      c.engine->policy_reward(one, g.data());
      const double tol = agreement<double>();
      for (std::size_t s = 0; s < N; ++s) {
        const auto k = static_cast<Eigen::Index>(s);
        ASSERT_NEAR(y[s], want(k), tol) << "P x, n " << n << " m " << m << " state " << s;
        ASSERT_NEAR(yt[s], want_t(k), tol) << "x P, n " << n << " m " << m << " state " << s;
        ASSERT_NEAR(g[s], want_g(k), tol) << "r - lambda c, n " << n << " m " << m << " state " << s;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, KrylovEvaluationMatchesDenseSolve) {
  struct Case {
    int n, m;
  };
  for (const Case& k : {Case{2, 3}, Case{4, 3}, Case{7, 2}, Case{10, 1}}) {
    ChainCase c = chain_case(k.n, k.m, case_seed(k.n, k.m, 13, 0));
    const auto N = static_cast<std::size_t>(c.pb.num_states);
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> P = Eigen::MatrixXd(c.P);
    const Eigen::VectorXd g = c.pb.reward - c.pb.lambda * c.greedy.cost;
    const linear::DenseSolution dense = linear::solve_dense(P.data(), g.data(), c.pb.num_states);
    linear::KrylovOptions opt;
    std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v, gk(N);
    const auto rep_mu = linear::stationary_krylov(engine_operator(c.engine.get(), true), mu, opt);
    c.engine->policy_reward(kernels::Mask(1, 1), gk.data());
    double gain = 0.0;
    const auto rep_v = linear::evaluate_krylov(engine_operator(c.engine.get(), false), gk, mu, v, &gain, opt);
    const std::string label = "n " + std::to_string(k.n) + " m " + std::to_string(k.m);
    EXPECT_LE(rep_mu.relative_residual, opt.relative_tolerance) << label;
    EXPECT_LE(rep_v.relative_residual, opt.relative_tolerance) << label;
    EXPECT_NEAR(gain, dense.gain, agreement<double>()) << label;
    expect_close(mu, dense.stationary, agreement<double>(), 1.0, label + " stationary");
    expect_close(v, dense.values, agreement<double>(), std::max(1.0, max_abs(dense.values)), label + " values");
  }
}

/// A count-reward network (r = 1 iff K = n/4, m = 1, lambda 0.1) after a few value-iteration
/// sweeps from 0 at prior 0.3: the greedy policy of those values.
std::unique_ptr<kernels::ExactEngine<double>> count_engine(int n) {
  kernels::EngineShape shape;
  shape.nf = n;
  auto engine = test::exact_engine<double>(shape);
  std::vector<double> reward(shape.states());
  for (std::uint64_t b = 0; b < reward.size(); ++b) reward[b] = popcount64(b) == n / 4 ? 1.0 : 0.0;
  engine->set_rewards(reward);
  engine->set_lambdas({0.1});
  engine->set_priors(std::vector<double>(static_cast<std::size_t>(n), 0.3));
  const kernels::Mask one(1, 1);
  engine->reset_values(one);
  std::vector<kernels::SpanStats> stats;
  for (int k = 0; k < 5; ++k) {
    engine->value_step(one, &stats);
    engine->accept_values(one);
  }
  engine->prepare_policy(one);
  return engine;
}

TEST_F(NETRL_EXACT_SUITE, KrylovEvaluationReachesTightResidualAtLargeN) {
  // The acceptance case of policy iteration's Krylov evaluation: n = 20, m = 1 (about 5 s on
  // two cores; bench_policy's BM_KrylovEvaluation/20 times it).
  const int n = 20;
  auto engine = count_engine(n);
  const std::size_t N = std::size_t{1} << n;
  linear::KrylovOptions opt;
  opt.relative_tolerance = 1e-10;
  std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v, g(N), pv(N);
  linear::stationary_krylov(engine_operator(engine.get(), true), mu, opt);
  engine->policy_reward(kernels::Mask(1, 1), g.data());
  double gain = 0.0;
  const auto rep = linear::evaluate_krylov(engine_operator(engine.get(), false), g, mu, v, &gain, opt);
  EXPECT_LE(rep.relative_residual, 1e-10);
  // The residual of the unnormalised equation (I - P) v + L = g, recomputed here.
  engine->apply_chain(kernels::Mask(1, 1), false, v.data(), pv.data());
  double r2 = 0.0, b2 = 0.0;
  for (std::size_t s = 0; s < N; ++s) {
    const double r = v[s] - pv[s] + gain - g[s];
    r2 += r * r;
    b2 += (g[s] - gain) * (g[s] - gain);
  }
  EXPECT_LE(std::sqrt(r2 / b2), 1e-10);
  EXPECT_GT(gain, 0.0);
}

TEST_F(NETRL_EXACT_SUITE, KrylovNonConvergenceIsAnError) {
  ChainCase c = chain_case(6, 2, 4321);
  linear::KrylovOptions opt;
  opt.max_matvecs = 3;
  opt.restart = 2;
  const auto N = static_cast<std::size_t>(c.pb.num_states);
  std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v;
  EXPECT_THROW(linear::stationary_krylov(engine_operator(c.engine.get(), true), mu, opt), NumericalError);
  std::vector<double> g(N, 0.0);
  g[0] = 1.0;
  mu.assign(N, 1.0 / static_cast<double>(N));
  double gain = 0.0;
  try {
    linear::evaluate_krylov(engine_operator(c.engine.get(), false), g, mu, v, &gain, opt);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("did not converge"), std::string::npos) << e.what();
  }
}

/// Policy iteration against value iteration on the same backend, full prior loop: n = 1..8,
/// m = 1..3, both prior modes, and silent/active clamps.
TEST_F(NETRL_EXACT_SUITE, PolicyIterationMatchesValueIteration) {
  struct Case {
    int n, m, mode, clamp;
  };
  std::vector<Case> cases;
  for (int n = 1; n <= 8; ++n)
    for (int m = 1; m <= 3; ++m)
      for (int mode = 0; mode < 2; ++mode) cases.push_back({n, m, mode, 0});
  for (int n = 2; n <= 8; n += 3)
    for (int clamp = 1; clamp <= 2; ++clamp) cases.push_back({n, 1 + (n + clamp) % 3, clamp - 1, clamp});
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode + 20, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " mode " +
                              to_string(model.prior_mode) + " clamp " + std::to_string(c.clamp);
    SCOPED_TRACE(label);
    const SolveResult vi = exact::solve(model, tight(kBackend));
    const SolveResult pi = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
    ASSERT_TRUE(vi.converged) << vi.note;
    ASSERT_TRUE(pi.converged) << pi.note;
    EXPECT_EQ(pi.method, "policy_iteration");
    EXPECT_NEAR(pi.gain, vi.gain, 1e-10);
    expect_close(pi.prior, vi.prior, 1e-8, 1.0, "prior");
    expect_close(policy_table(model, pi), policy_table(model, vi), 1e-8, 1.0, "policy");
    expect_close(pi.stationary, vi.stationary, 1e-8, 1.0, "stationary");
    EXPECT_EQ(pi.degenerate, vi.degenerate);
    EXPECT_GT(pi.matvecs, 0);
    EXPECT_LE(pi.krylov_residual, 1e-10);
    // Exact evaluations: far fewer inner iterations than value iteration's sweeps.
    EXPECT_LE(pi.inner_iterations, vi.inner_iterations);
  }
}

/// Policy iteration against the reference backend's policy iteration, full prior loop.
TEST_F(NETRL_EXACT_SUITE, PolicyIterationMatchesReference) {
  struct Case {
    int n, m, mode, clamp;
  };
  const std::vector<Case> cases{{1, 2, 0, 0}, {2, 1, 1, 0}, {3, 3, 0, 0}, {4, 2, 1, 0},
                                {4, 1, 0, 1}, {5, 2, 1, 2}, {5, 3, 0, 0}};
  for (const Case& c : cases) {
    const std::uint64_t seed = case_seed(c.n, c.m, c.mode + 30, c.clamp);
    NetworkModel model = random_model(c.n, c.m, c.mode ? PriorMode::neuron : PriorMode::population, seed);
    if (c.clamp > 0) model.clamps.push_back({static_cast<int>(seed % static_cast<std::uint64_t>(c.n)), c.clamp == 1 ? -1 : 1});
    const std::string label = "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " clamp " +
                              std::to_string(c.clamp);
    const SolveResult ref = reference::solve(model, with_method(tight(Backend::reference), Method::policy_iteration));
    ASSERT_TRUE(ref.converged) << label;
    const SolveResult got = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
    expect_matches(got, ref, Precision::float64, label);
    EXPECT_EQ(got.method, "policy_iteration");
  }
}

TEST_F(NETRL_EXACT_SUITE, PolicyIterationAtFixedPriorCountsImprovementsLikeReference) {
  // One outer iteration from a random prior: the same sequence of greedy policies as the
  // reference's policy iteration (both from h = 0), so the same number of improvements.
  for (int n : {6, 8}) {
    const std::uint64_t seed = case_seed(n, 2, 40, 0);
    const NetworkModel model = random_model(n, 2, PriorMode::neuron, seed);
    SolverOptions o = with_method(tight(Backend::reference), Method::policy_iteration);
    o.max_outer_iterations = 1;
    o.p0 = 0.35;
    const SolveResult ref = reference::solve(model, o);
    o.backend = kBackend;
    const SolveResult got = exact::solve(model, o);
    expect_matches(got, ref, Precision::float64, "n " + std::to_string(n));
    EXPECT_EQ(got.inner_iterations, ref.inner_iterations) << n;
    EXPECT_EQ(got.note, ref.note) << n;
  }
}

TEST_F(NETRL_EXACT_SUITE, PolicyIterationReproducesCount8AndPeriodicInput) {
  SolverOptions o;
  o.backend = kBackend;
  o.method = Method::policy_iteration;
  const SolveResult r = exact::solve(count8_model(), o);
  EXPECT_TRUE(r.converged) << r.note;
  EXPECT_NEAR(r.gain, 0.360547572141, 1e-11);
  // A periodic input (x alternates): the Krylov solves need no aperiodicity transform.
  NetworkModel model = random_model(4, 2, PriorMode::neuron, 99);
  model.input.T = {0.0, 1.0, 1.0, 0.0};
  const SolveResult ref = reference::solve(model, with_method(tight(Backend::reference), Method::policy_iteration));
  ASSERT_TRUE(ref.converged);
  const SolveResult got = exact::solve(model, with_method(tight(kBackend), Method::policy_iteration));
  expect_matches(got, ref, Precision::float64, "periodic input");
}

// ---------------------------------------------------------------------------------------------
// Tier 3: batching and errors.

TEST_F(NETRL_EXACT_SUITE, BatchedEqualsUnbatched) {
  // Different lambdas, inputs, rewards and prior modes, shared n, m and clamp; with an input (power
  // iteration) and without (the closed-form stationary distribution).
  for (int m : {2, 1}) {
    std::vector<NetworkModel> models;
    for (int q = 0; q < 4; ++q) {
      NetworkModel model = random_model(5, m, q % 2 ? PriorMode::neuron : PriorMode::population, 500 + q);
      model.clamps.push_back({3, 1});
      models.push_back(model);
    }
    for (Precision precision : {Precision::float64, Precision::float32}) {
      const SolverOptions o = tight(kBackend, precision);
      const std::vector<SolveResult> batch = exact::solve_batch(models, o);
      ASSERT_EQ(batch.size(), models.size());
      for (std::size_t q = 0; q < models.size(); ++q) {
        const SolveResult alone = exact::solve(models[q], o);
        const std::string label =
            "problem " + std::to_string(q) + " m " + std::to_string(m) + " " + to_string(precision);
        // The host backend computes a problem the same way alone and in a batch (same plan, sums
        // combined in item order): identical results. Elsewhere only the order of partial sums
        // may differ.
        const bool host = kBackend == Backend::host;
        const double tol =
            host ? 0.0 : (precision == Precision::float64 ? 1e-3 * agreement<double>() : 1e-2 * agreement<float>());
        EXPECT_EQ(batch[q].converged, alone.converged) << label;
        EXPECT_NEAR(batch[q].gain, alone.gain, tol) << label;
        expect_close(batch[q].prior, alone.prior, tol, 1.0, label + " prior");
        expect_close(batch[q].values, alone.values, tol, std::max(1.0, max_abs(alone.values)), label + " values");
        expect_close(batch[q].stationary, alone.stationary, tol, 1.0, label + " stationary");
        EXPECT_EQ(batch[q].outer_iterations, alone.outer_iterations) << label;
      }
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, BatchedPolicyIterationEqualsUnbatched) {
  for (int m : {2, 1}) {  // the stationary distribution by GMRES, or in closed form
    std::vector<NetworkModel> models;
    for (int q = 0; q < 3; ++q) {
      models.push_back(random_model(4, m, q % 2 ? PriorMode::neuron : PriorMode::population, 600 + q));
    }
    const SolverOptions o = with_method(tight(kBackend), Method::policy_iteration);
    const std::vector<SolveResult> batch = exact::solve_batch(models, o);
    ASSERT_EQ(batch.size(), models.size());
    for (std::size_t q = 0; q < models.size(); ++q) {
      const SolveResult alone = exact::solve(models[q], o);
      const std::string label = "problem " + std::to_string(q) + " m " + std::to_string(m);
      EXPECT_TRUE(batch[q].converged) << label;
      EXPECT_NEAR(batch[q].gain, alone.gain, 1e-3 * agreement<double>()) << label;
      expect_close(batch[q].values, alone.values, 1e-3 * agreement<double>(), std::max(1.0, max_abs(alone.values)),
                   label + " values");
      EXPECT_EQ(batch[q].outer_iterations, alone.outer_iterations) << label;
    }
  }
}

TEST_F(NETRL_EXACT_SUITE, RejectsFloat32PolicyIteration) {
  SolverOptions o;
  o.backend = kBackend;
  o.method = Method::policy_iteration;
  o.precision = Precision::float32;
  EXPECT_EQ(test::invalid([&] { exact::solve(count8_model(), o); }).first, "solver.precision");
}

TEST_F(NETRL_EXACT_SUITE, RefusesStateSpacesBeyondMemoryBeforeAllocating) {
  SolverOptions o;
  o.backend = kBackend;
  const auto [field, message] = test::invalid([&] { exact::solve(test::count_network(40, 20, 0.1), o); });
  EXPECT_EQ(field, "n");
  EXPECT_NE(message.find("n <= "), std::string::npos) << message;
}

TEST_F(NETRL_EXACT_SUITE, RejectsBatchesOfDifferentShapes) {
  std::vector<NetworkModel> models{random_model(3, 2, PriorMode::neuron, 1), random_model(4, 2, PriorMode::neuron, 2)};
  SolverOptions o;
  o.backend = kBackend;
  EXPECT_THROW(exact::solve_batch(models, o), InvalidInput);
  models[1] = random_model(3, 2, PriorMode::neuron, 3);
  models[1].clamps.push_back({0, 1});
  EXPECT_THROW(exact::solve_batch(models, o), InvalidInput);
}

TEST_F(NETRL_EXACT_SUITE, ValidatesModelAndOptions) {
  NetworkModel model = random_model(3, 1, PriorMode::neuron, 5);
  model.lambda = -1.0;
  SolverOptions o;
  o.backend = kBackend;
  EXPECT_THROW(exact::solve(model, o), InvalidInput);
  model.lambda = 0.5;
  o.tol = 0.0;
  EXPECT_THROW(exact::solve(model, o), InvalidInput);
  o = SolverOptions{};
  o.backend = Backend::reference;  // not a backend of the batched kernels
  EXPECT_EQ(test::invalid([&] { exact::solve(model, o); }).first, "solver.backend");
}

TEST_F(NETRL_EXACT_SUITE, ReportsTheOuterLimit) {
  const NetworkModel model = random_model(4, 2, PriorMode::neuron, 8);
  SolverOptions o = tight(kBackend);
  o.max_outer_iterations = 3;
  const SolveResult r = exact::solve(model, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.outer_iterations, 3);
  EXPECT_EQ(r.gain_history.size(), 3u);
  EXPECT_EQ(r.note, "prior loop reached solver.max_outer_iterations");
}

#if !defined(NETRL_TEST_BACKEND_CUDA) && !defined(NETRL_HAVE_CUDA)
TEST(ExactBackends, CudaWithoutCudaBuildIsABackendError) {
  std::string reason;
  EXPECT_FALSE(backend_available(Backend::cuda, &reason));
  EXPECT_NE(reason.find("not built"), std::string::npos) << reason;
  SolverOptions o;
  o.backend = Backend::cuda;
  EXPECT_THROW(exact::solve(count8_model(), o), BackendError);
}
#endif

#if !defined(NETRL_TEST_BACKEND_CUDA) && defined(NETRL_HAVE_CUDA)
// The CUDA module of this build (libnetrl_cuda.so, found in the build tree) loads and matches:
// either a device answers or the module itself says why not.
TEST(ExactBackends, CudaModuleOfThisBuildLoads) {
  if (std::getenv("NETRL_CUDA_MODULE") != nullptr) GTEST_SKIP() << "NETRL_CUDA_MODULE names another module";
  std::string reason;
  if (backend_available(Backend::cuda, &reason)) return;
  EXPECT_EQ(reason.find("cannot be loaded"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no CUDA device answers"), std::string::npos) << reason;
}
#endif

}  // namespace
}  // namespace netrl
