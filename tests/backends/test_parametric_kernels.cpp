// The parametric solver's kernels (kernels/common/parametric_step.hpp, run by
// kernels/host/parametric_host.cpp and kernels/cuda/parametric_engine.cu): the IEEE-only logarithms, the
// incremental fields against fresh sums, the per-sample terms against a brute-force soft-Bellman
// backup, the SGD step of the couplings, and reproducibility of whole solves.
//
// Host only; the CUDA engine is compared with the host engine call by call in
// tests/backends/test_parametric_engine.cpp (test_parametric_engine_cuda, skipped without a device).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "common/parametric_step.hpp"
#include "netrl/core/error.hpp"
#include "netrl/solve.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using kernels::ParametricView;

TEST(ParametricMath, SoftplusAndLogAddExpAreStable) {
  for (double z : {-800.0, -40.0, -3.5, -1e-9, 0.0, 1e-9, 2.25, 40.0, 800.0}) {
    const double expect = z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
    EXPECT_NEAR(kernels::softplus(z), expect, test::rounding(8.0) * std::max(1.0, std::abs(expect))) << z;
  }
  EXPECT_NEAR(kernels::log_add_exp(1000.0, 999.0), 1000.0 + std::log1p(std::exp(-1.0)), test::rounding(8.0) * 1000.0);
  EXPECT_NEAR(kernels::log_add_exp(-3.0, 2.0), std::log(std::exp(-3.0) + std::exp(2.0)), test::rounding(8.0) * 2.0);
}

/// Host arrays behind a ParametricView of `chains` chains and `samples` sample slots.
struct Arrays {
  int n = 0, m = 1;
  std::vector<double> J, Jbar, u, ubar, spin, ht, h, c, hbt, cbt, logit_p, log_p, log_q, terms, out, rho, a, overlap;
  std::vector<std::uint8_t> sigma, on, clamp;
  std::vector<std::uint32_t> x, sx;
  std::vector<std::uint64_t> t, cdf;
  std::vector<int> free;
  ParametricView<double> view;

  Arrays(int n_, std::uint64_t chains, std::uint64_t samples, std::mt19937_64& rng) : n(n_) {
    const auto un = static_cast<std::size_t>(n);
    std::uniform_real_distribution<double> U(-0.6, 0.6);
    J.assign(un * un, 0.0);
    Jbar.assign(un * un, 0.0);
    for (std::size_t i = 0; i < un; ++i)
      for (std::size_t j = i + 1; j < un; ++j) {
        J[i * un + j] = J[j * un + i] = U(rng);
        Jbar[i * un + j] = Jbar[j * un + i] = U(rng);
      }
    for (std::size_t i = 0; i < un; ++i) {
      ht.push_back(U(rng));
      h.push_back(U(rng));
      hbt.push_back(U(rng));
      const double p = 0.2 + 0.5 * (U(rng) + 0.6);
      log_p.push_back(std::log(p));
      log_q.push_back(std::log1p(-p));
      logit_p.push_back(log_p.back() - log_q.back());
      free.push_back(static_cast<int>(i));
    }
    c = {0.3};
    cbt = {-0.2};
    sigma.assign(chains * un, 0);
    u.assign(chains * un, 0.0);
    ubar.assign(chains * un, 0.0);
    x.assign(chains, 0);
    t.assign(chains, 0);
    spin.assign(samples * un, 0.0);
    on.assign(samples * un, 0);
    sx.assign(samples, 0);
    terms.assign(samples * un * kernels::kParametricTerms, 0.0);
    out.assign(samples * kernels::kParametricOutputs, 0.0);
    rho.assign(un, 0.0);
    a.assign(samples, 0.0);
    overlap.assign(samples * chains, 0.0);
    clamp.assign(un, 0);
    cdf = {std::uint64_t{1} << 32};
    ParametricView<double>& v = view;
    v.k.key0 = 7;
    v.k.key1 = 11;
    v.k.n = n;
    v.k.nf = static_cast<std::uint32_t>(n);
    v.k.m = 1;
    v.k.free_list = free.data();
    v.k.input_cdf = cdf.data();
    v.k.clamp_state = clamp.data();
    v.chains = chains;
    v.batch = samples;
    v.samples = samples;
    v.J = J.data();
    v.Jbar = Jbar.data();
    v.sigma = sigma.data();
    v.u = u.data();
    v.ubar = ubar.data();
    v.x = x.data();
    v.t = t.data();
    v.ht = ht.data();
    v.h = h.data();
    v.c = c.data();
    v.hbt = hbt.data();
    v.cbt = cbt.data();
    v.logit_p = logit_p.data();
    v.log_p = log_p.data();
    v.log_q = log_q.data();
    v.lambda = 0.3;
    v.inv_nf = 1.0 / n;
    v.inv_temperature = 1.0 / (n * v.lambda);
    v.coupling = 2.0 * v.inv_temperature;
    v.spin = spin.data();
    v.sample_x = sx.data();
    v.sample_on = on.data();
    v.terms = terms.data();
    v.sample_out = out.data();
    v.rho_sum = rho.data();
    v.a = a.data();
    v.overlap = overlap.data();
  }

  void fields_from_scratch() {
    const kernels::FieldsFromScratch<double> f{view};
    for (std::uint64_t k = 0; k < view.chains * static_cast<std::uint64_t>(n); ++k) f(k);
  }
  /// sum_j M_ij s_j for chain c, by a plain loop over the +-1 spins.
  double field(const std::vector<double>& M, std::uint64_t chain, int i) const {
    double f = 0.0;
    for (int j = 0; j < n; ++j) f += M[static_cast<std::size_t>(i * n + j)] * (sigma[chain * n + j] ? 1.0 : -1.0);
    return f;
  }
};

TEST(ParametricKernels, IncrementalFieldsMatchFreshSums) {
  std::mt19937_64 rng(3);
  Arrays A(23, 5, 5, rng);
  for (std::uint64_t c = 0; c < 5; ++c) kernels::InitChain<double>{A.view}(c);
  A.fields_from_scratch();
  const kernels::ChainStep<double> step{A.view};
  for (std::uint64_t c = 0; c < 5; ++c) step.run(c, 2000);
  for (std::uint64_t c = 0; c < 5; ++c) {
    EXPECT_EQ(A.t[c], 2000u);
    for (int i = 0; i < A.n; ++i) {
      // 2000 increments of magnitude <= 1.2 each: rounding of a few hundred ulps at most.
      EXPECT_NEAR(A.u[c * A.n + i], A.field(A.J, c, i), test::rounding(512.0) * 10.0);
      EXPECT_NEAR(A.ubar[c * A.n + i], A.field(A.Jbar, c, i), test::rounding(512.0) * 10.0);
    }
  }
}

TEST(ParametricKernels, SampleTermsMatchBruteForceBackup) {
  // v, the backup g = vhat - r + L (eq. 41) and the coding cost of each sample, against the
  // definitions: w(s with s_i = +-1) from the value's formula, no fields.
  std::mt19937_64 rng(5);
  const int n = 9;
  Arrays A(n, 4, 4, rng);
  for (std::uint64_t c = 0; c < 4; ++c) kernels::InitChain<double>{A.view}(c);
  A.fields_from_scratch();
  kernels::SampleTerms<double> terms{A.view};
  terms.stride = 4;
  for (std::uint64_t k = 0; k < 4 * static_cast<std::uint64_t>(n); ++k) terms(k);
  for (std::uint64_t s = 0; s < 4; ++s) kernels::SampleSums<double>{A.view}(s);
  const double T = n * A.view.lambda;
  auto value = [&](const std::vector<double>& s, const std::vector<double>& M, const std::vector<double>& f, double c0) {
    double v = c0;
    for (int i = 0; i < n; ++i) {
      v += f[i] * s[i];
      for (int j = i + 1; j < n; ++j) v += M[i * n + j] * s[i] * s[j];
    }
    return v;
  };
  for (std::uint64_t s = 0; s < 4; ++s) {
    std::vector<double> sg(n);
    for (int i = 0; i < n; ++i) sg[i] = A.sigma[s * n + i] ? 1.0 : -1.0;
    const double v = value(sg, A.J, A.h, A.c[0]);
    // T v - r = lambda sum_i log[p e^{w(s_i=+1)/T} + q e^{w(s_i=-1)/T}] with w of the target.
    double backup = 0.0, cost = 0.0;
    for (int i = 0; i < n; ++i) {
      std::vector<double> up = sg, down = sg;
      up[i] = 1.0;
      down[i] = -1.0;
      const double wu = value(up, A.Jbar, A.hbt, A.cbt[0]), wd = value(down, A.Jbar, A.hbt, A.cbt[0]);
      backup += A.view.lambda * std::log(std::exp(A.log_p[i] + wu / T) + std::exp(A.log_q[i] + wd / T));
      const double vu = value(up, A.J, A.ht, 0.0), vd = value(down, A.J, A.ht, 0.0);
      const double rho = 1.0 / (1.0 + std::exp(-((vu - vd) / T + A.logit_p[i])));
      cost += rho * (std::log(rho) - A.log_p[i]) + (1 - rho) * (std::log(1 - rho) - A.log_q[i]);
    }
    std::vector<double> change(A.J.size());
    for (std::size_t e = 0; e < change.size(); ++e) change[e] = A.J[e] - A.Jbar[e];
    const double* out = &A.out[s * kernels::kParametricOutputs];
    EXPECT_NEAR(out[0], v, test::rounding(64.0) * 10.0);
    EXPECT_NEAR(out[1], backup, test::rounding(256.0) * 10.0);
    EXPECT_NEAR(out[2], cost, test::rounding(256.0) * 10.0);
    // The couplings' change since the target copy, at the sample.
    EXPECT_NEAR(out[3], value(sg, change, std::vector<double>(n, 0.0), 0.0), test::rounding(64.0) * 10.0);
    for (int i = 0; i < n; ++i) EXPECT_EQ(A.spin[s * n + i], sg[i]);
  }
}

TEST(ParametricKernels, CouplingStepAndRankUpdateOfTheFields) {
  std::mt19937_64 rng(9);
  const int n = 17;
  const std::uint64_t chains = 3, samples = 6;
  Arrays A(n, chains, samples, rng);
  for (std::uint64_t c = 0; c < chains; ++c) kernels::InitChain<double>{A.view}(c);
  A.fields_from_scratch();
  std::uniform_real_distribution<double> U(-0.01, 0.01);
  std::bernoulli_distribution coin(0.5);
  for (auto& s : A.spin) s = coin(rng) ? 1.0 : -1.0;
  for (auto& a : A.a) a = U(rng);
  const std::vector<double> J0 = A.J;
  const kernels::CouplingStep<double> step{A.view};
  std::vector<double> acc(n);
  for (int i = 0; i < n; ++i) step.upper_row(static_cast<std::uint64_t>(i), acc.data());
  // The per-entry form (the CUDA launcher's) gives the same bits as the upper-row form, which
  // computes each pair once and mirrors it.
  std::vector<double> J_entry = J0;
  A.view.J = J_entry.data();
  for (std::uint64_t k = 0; k < static_cast<std::uint64_t>(n * n); ++k) kernels::CouplingStep<double>{A.view}(k);
  A.view.J = A.J.data();
  EXPECT_EQ(J_entry, A.J);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(A.J[i * n + i], 0.0);
    for (int j = 0; j < n; ++j) {
      double d = 0.0;
      for (std::uint64_t s = 0; s < samples; ++s) d += A.a[s] * A.spin[s * n + i] * A.spin[s * n + j];
      if (i != j) {
        EXPECT_NEAR(A.J[i * n + j] - J0[i * n + j], d, test::rounding(16.0)) << i << "," << j;
      }
      EXPECT_EQ(A.J[i * n + j], A.J[j * n + i]);
    }
  }
  for (std::uint64_t k = 0; k < samples * chains; ++k) kernels::SampleOverlap<double>{A.view}(k);
  for (std::uint64_t k = 0; k < chains * static_cast<std::uint64_t>(n); ++k) kernels::FieldStep<double>{A.view}(k);
  for (std::uint64_t c = 0; c < chains; ++c)
    for (int i = 0; i < n; ++i) EXPECT_NEAR(A.u[c * n + i], A.field(A.J, c, i), test::rounding(64.0) * 10.0);
}

TEST(ParametricKernels, ExplorationStatesKeepTheClamps) {
  std::mt19937_64 rng(13);
  const int n = 200;
  Arrays A(n, 2, 2, rng);
  A.clamp[3] = 2;
  A.clamp[150] = 1;
  A.sigma.assign(4 * static_cast<std::size_t>(n), 0);
  A.x.assign(4, 0);
  A.view.sigma = A.sigma.data();
  A.view.x = A.x.data();
  A.view.explore = 2;
  int active = 0;
  for (std::uint64_t e = 0; e < 2; ++e) kernels::ExploreState<double>{A.view, 77}(e);
  for (std::uint64_t e = 0; e < 2; ++e) {
    EXPECT_EQ(A.sigma[(2 + e) * n + 3], 1);
    EXPECT_EQ(A.sigma[(2 + e) * n + 150], 0);
    for (int i = 0; i < n; ++i) active += A.sigma[(2 + e) * n + i];
  }
  // 2 rows of 198 free fair bits and one neuron clamped on: mean 198 + 2, standard deviation
  // sqrt(396) / 2 ~ 10; 5 of them.
  EXPECT_NEAR(active, 200, 50);
}

// ---- whole solves on the backend under test -------------------------------------------------

NetworkModel small_ring(double lambda) {
  NetworkModel m;
  m.n = 8;
  m.reward = RewardSpec::ring_bump(3);
  m.lambda = lambda;
  return m;
}

SolverOptions parametric_options(std::uint64_t batches, int threads) {
  SolverOptions o;
  o.method = Method::parametric;
  o.backend = test::kBackend;
  o.threads = threads;
  o.parametric.max_batches = batches;
  o.parametric.target_period = 50;
  o.parametric.seed = 42;
  return o;
}

TEST(ParametricSolver, SameSeedSameBitsForAnyThreadCount) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  const NetworkModel model = small_ring(0.1);
  const SolveResult one = solve(model, parametric_options(400, 1));
  const SolveResult two = solve(model, parametric_options(400, 2));
  ASSERT_TRUE(one.parametric && two.parametric);
  EXPECT_EQ(one.parametric->J, two.parametric->J);
  EXPECT_EQ(one.parametric->h, two.parametric->h);
  EXPECT_EQ(one.gain_history, two.gain_history);
  EXPECT_EQ(one.prior, two.prior);
  // And a different seed gives a different run.
  SolverOptions other = parametric_options(400, 2);
  other.parametric.seed = 43;
  EXPECT_NE(solve(model, other).parametric->J, one.parametric->J);
}

TEST(ParametricSolver, Float32FollowsFloat64) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  const NetworkModel model = small_ring(0.1);
  SolverOptions o = parametric_options(3000, 0);
  const SolveResult d = solve(model, o);
  o.precision = Precision::float32;
  const SolveResult f = solve(model, o);
  EXPECT_EQ(f.precision, "float32");
  ASSERT_TRUE(d.parametric->has_exact && f.parametric->has_exact);
  // Different rounding, different trajectories: the learned policies agree in what they achieve.
  EXPECT_NEAR(f.parametric->exact_gain, d.parametric->exact_gain, 0.05 * std::abs(d.parametric->exact_gain));
}

}  // namespace
}  // namespace netrl
