// The exact network solver on the batched kernels, one test binary in three files:
//  - this file: the maths and the functors of kernels/common/ on tiny inputs checked by hand (host
//    build only), and which CUDA module the build finds;
//  - test_exact_solver.cpp: the solver against reference::solve (the oracle) for n = 1..10,
//    m = 1..3, random inputs and table rewards, clamps, both prior modes, float64 and float32, and
//    policy iteration with its chain operators and Krylov solves;
//  - test_exact_batches.cpp: batching and errors.
// The binary is built twice: test_exact_kernels (backend "host") and, with CUDA,
// test_exact_kernels_cuda (backend "cuda"; NETRL_TEST_BACKEND_CUDA), whose solver tests skip when
// no device answers and fail instead when NETRL_REQUIRE_GPU=1 (exact_suite.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "solve/exact_solver.hpp"
#include "test_support.hpp"

#if !defined(NETRL_TEST_BACKEND_CUDA)
#include "common/functors.hpp"
#include "common/math.hpp"
#endif

namespace netrl {
namespace {

// ---------------------------------------------------------------------------------------------
// Maths and functors (host build of kernels/common/).

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
