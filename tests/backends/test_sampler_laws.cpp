// The chain sampler's statistics against exact distributions (an explicit sparse transition
// matrix over all m 2^n states, exact enumeration of Ising chains), its large-network Ising
// kernels, and (test_sampler_cuda) the CUDA backend against the host bit for bit. Part of
// test_sampler (test_sampler.cpp).
#include <gtest/gtest.h>

#include <Eigen/Sparse>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/sample.hpp"
#include "sampler_suite.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using namespace sampler_suite;  // NOLINT(google-build-using-namespace): the suite's helpers

// ---------------------------------------------------------------------------------------------
// Exact laws of the chain, from an explicit sparse transition matrix over all m 2^n states.

using RhoFunction = std::function<double(int i, std::uint64_t b, int x)>;

/// The law of the state after `steps` steps from the sampler's initial law (b uniform over the
/// consistent states, x uniform), for the policy rho, computed with P built from rho directly.
struct ExactChain {
  int n = 0, m = 1;
  Eigen::SparseMatrix<double, Eigen::RowMajor> P;
  Eigen::VectorXd initial;

  ExactChain(const NetworkModel& model, const RhoFunction& rho) : n(model.n), m(model.m()) {
    const std::uint64_t nb = std::uint64_t{1} << n;
    const auto free = model.free_neurons();
    const double nf = static_cast<double>(free.size());
    std::vector<Eigen::Triplet<double>> entries;
    initial = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(nb * m));
    const double consistent = static_cast<double>(model.num_consistent_states());
    for (int x = 0; x < m; ++x) {
      for (std::uint64_t b = 0; b < nb; ++b) {
        const auto s = static_cast<Eigen::Index>(x * nb + b);
        if (!model.consistent(b)) {
          entries.emplace_back(s, s, 1.0);
          continue;
        }
        initial(s) = 1.0 / consistent;
        for (int i : free) {
          const double r = rho(i, b, x);
          const std::uint64_t bit = std::uint64_t{1} << i;
          for (int xp = 0; xp < m; ++xp) {
            const double t = model.input(x, xp);
            if (t == 0.0) continue;
            entries.emplace_back(s, static_cast<Eigen::Index>(xp * nb + (b | bit)), t * r / nf);
            entries.emplace_back(s, static_cast<Eigen::Index>(xp * nb + (b & ~bit)), t * (1.0 - r) / nf);
          }
        }
      }
    }
    P.resize(static_cast<Eigen::Index>(nb * m), static_cast<Eigen::Index>(nb * m));
    P.setFromTriplets(entries.begin(), entries.end());
  }

  Eigen::VectorXd law(std::uint64_t steps) const {
    Eigen::VectorXd q = initial;
    for (std::uint64_t t = 0; t < steps; ++t) q = (q.transpose() * P).transpose();
    return q;
  }
};

/// One-sided chi-square quantile at tail probability 1e-6 (Wilson-Hilferty; z = 4.753).
double chi_square_bound(int dof) {
  const double k = dof, z = 4.753;
  const double c = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * c * c * c;
}

struct ChiSquare {
  double statistic = 0.0;
  int dof = 0;
};

/// Pearson's X^2 of counts against the law q (N = sum of counts). Bins with expected count below 5
/// are pooled into one bin (merged into the smallest remaining bin if the pool is still below 5).
ChiSquare chi_square(const std::vector<std::uint64_t>& counts, const Eigen::VectorXd& q) {
  double N = 0.0;
  for (auto c : counts) N += static_cast<double>(c);
  std::vector<double> expected, observed;
  double pool_e = 0.0, pool_o = 0.0;
  for (std::size_t s = 0; s < counts.size(); ++s) {
    const double e = N * q(static_cast<Eigen::Index>(s));
    if (e >= 5.0) {
      expected.push_back(e);
      observed.push_back(static_cast<double>(counts[s]));
    } else {
      pool_e += e;
      pool_o += static_cast<double>(counts[s]);
    }
  }
  if (pool_e >= 5.0 || expected.empty()) {
    expected.push_back(pool_e);
    observed.push_back(pool_o);
  } else {
    const auto k = std::min_element(expected.begin(), expected.end()) - expected.begin();
    expected[k] += pool_e;
    observed[k] += pool_o;
  }
  ChiSquare r;
  for (std::size_t k = 0; k < expected.size(); ++k) r.statistic += (observed[k] - expected[k]) * (observed[k] - expected[k]) / expected[k];
  r.dof = static_cast<int>(expected.size()) - 1;
  return r;
}

// The statistical design: N independent chains, each recorded once, after `burn_in` steps
// (steps = 1). Distinct chains use disjoint Philox counters, so the N samples are independent
// draws from the exact law q of the state at time burn_in, which ExactChain computes (and which
// is within 1e-6 of the stationary distribution in total variation: asserted). Under a correct
// sampler Pearson's X^2 over the bins (expected counts >= 5) is chi-square with dof = bins - 1,
// and exceeds chi_square_bound(dof) with probability 1e-6: with a fixed seed the test is
// deterministic, and almost any seed passes. To show that it does not pass vacuously, the same
// counts are tested against the law of a perturbed model (lambda or couplings changed slightly),
// whose X^2 must exceed the bound.
void expect_matches_law(const std::vector<std::uint64_t>& counts, const Eigen::VectorXd& q, const Eigen::VectorXd& wrong,
                        const std::string& what) {
  const ChiSquare good = chi_square(counts, q);
  const ChiSquare bad = chi_square(counts, wrong);
  std::cout << "  " << what << ": X^2 = " << good.statistic << " (" << good.dof << " dof, bound "
            << chi_square_bound(good.dof) << "); against the perturbed law X^2 = " << bad.statistic << "\n";
  ASSERT_GT(good.dof, 5) << what;
  EXPECT_LT(good.statistic, chi_square_bound(good.dof)) << what << ": X^2 = " << good.statistic << " with " << good.dof << " dof";
  EXPECT_GT(bad.statistic, chi_square_bound(bad.dof)) << what << ": the perturbed law is not rejected (X^2 = " << bad.statistic
                                                      << ", " << bad.dof << " dof): the test has no power";
}

double tv_distance(const Eigen::VectorXd& a, const Eigen::VectorXd& b) { return 0.5 * (a - b).cwiseAbs().sum(); }

/// rho of an exact solution, computed plainly with std::exp (independently of the kernels).
RhoFunction exact_rho(const NetworkModel& model, const std::vector<double>& v, const std::vector<double>& prior) {
  const std::uint64_t nb = std::uint64_t{1} << model.n;
  const double nf = model.num_free();
  return [&model, v, prior, nb, nf](int i, std::uint64_t b, int x) {
    auto w = [&](std::uint64_t bb) {
      double sum = 0.0;
      for (int xp = 0; xp < model.m(); ++xp) sum += model.input(x, xp) * v[xp * nb + bb];
      return sum;
    };
    const std::uint64_t bit = std::uint64_t{1} << i;
    const double z = (w(b | bit) - w(b & ~bit)) / (nf * model.lambda) + std::log(prior[i] / (1.0 - prior[i]));
    return 1.0 / (1.0 + std::exp(-z));
  };
}

/// rho of an Ising policy (h: m x n), computed plainly.
RhoFunction ising_rho(const NetworkModel& model, const std::vector<double>& J, const std::vector<double>& h,
                      const std::vector<double>& prior) {
  const int n = model.n;
  const double nf = model.num_free();
  return [=, lambda = model.lambda](int i, std::uint64_t b, int x) {
    double field = h[static_cast<std::size_t>(x) * n + i];
    for (int j = 0; j < n; ++j)
      if (j != i) field += J[static_cast<std::size_t>(i) * n + j] * (((b >> j) & 1u) ? 1.0 : -1.0);
    const double z = 2.0 * field / (nf * lambda) + std::log(prior[i] / (1.0 - prior[i]));
    return 1.0 / (1.0 + std::exp(-z));
  };
}

TEST(SamplerStatistics, Count8HistogramMatchesTheExactStationaryLaw) {
  NETRL_REQUIRE_BACKEND(kBackend);
  const NetworkModel model = count8_model();
  const SolveResult exact = reference::solve(model, SolverOptions{});
  ASSERT_TRUE(exact.converged);
  const SamplerPolicy policy = SamplerPolicy::exact(exact.values, exact.prior);
  const std::uint64_t burn_in = 1000, N = 100000;
  const ExactChain chain(model, exact_rho(model, exact.values, exact.prior));
  const Eigen::VectorXd q = chain.law(burn_in);
  const Eigen::VectorXd mu = Eigen::Map<const Eigen::VectorXd>(exact.stationary.data(), static_cast<Eigen::Index>(exact.stationary.size()));
  ASSERT_LT(tv_distance(q, mu), 1e-6);
  // The perturbed law: the same model at lambda 10% higher (its own exact solution).
  NetworkModel other = model;
  other.lambda *= 1.1;
  const SolveResult alt = reference::solve(other, SolverOptions{});
  const Eigen::VectorXd wrong = ExactChain(other, exact_rho(other, alt.values, alt.prior)).law(burn_in);

  const SampleResult r = sample(model, policy, options(N, 1, burn_in, 2024));
  ASSERT_EQ(r.stats.samples(), N);
  expect_matches_law(r.stats.histogram, q, wrong, "count8");
  // The spike-count distribution per input agrees with the solver's P(K | x) too.
  for (int x = 0; x < 2; ++x) {
    double total = 0.0;
    for (int K = 0; K <= 8; ++K) total += static_cast<double>(r.stats.spike_count[K * 2 + x]);
    for (int K = 0; K <= 8; ++K) {
      const double p = exact.spike_count[K * 2 + x];
      const double sd = std::sqrt(p * (1.0 - p) / total);
      EXPECT_NEAR(static_cast<double>(r.stats.spike_count[K * 2 + x]) / total, p, 5.0 * sd + 1e-12) << "K " << K << " x " << x;
    }
  }
}

TEST(SamplerStatistics, RandomNetworksWithInputMatchTheExactLaw) {
  NETRL_REQUIRE_BACKEND(kBackend);
  std::mt19937_64 rng(77);
  struct Case {
    int n, m;
    PriorMode mode;
    bool clamp;
  };
  for (const Case& c : {Case{5, 3, PriorMode::neuron, true}, Case{6, 2, PriorMode::population, false}}) {
    NetworkModel model = test::random_network(c.n, c.m, c.mode, rng, 0.5);
    if (c.clamp) model.clamps.push_back(Clamp{1, 1});
    // One inner solve at a fixed prior: the prior loop of a random table reward tends to freeze
    // neurons (priors at the clip), which leaves almost nothing to sample.
    SolverOptions fixed;
    fixed.max_outer_iterations = 1;
    fixed.p0 = 0.4;
    const SolveResult exact = reference::solve(model, fixed);
    const std::uint64_t burn_in = 400, N = 60000;
    const Eigen::VectorXd q = ExactChain(model, exact_rho(model, exact.values, exact.prior)).law(burn_in);
    const Eigen::VectorXd mu = Eigen::Map<const Eigen::VectorXd>(exact.stationary.data(), static_cast<Eigen::Index>(exact.stationary.size()));
    ASSERT_LT(tv_distance(q, mu), 1e-6);
    NetworkModel other = model;
    other.lambda *= 0.6;
    const SolveResult alt = reference::solve(other, fixed);
    const Eigen::VectorXd wrong = ExactChain(other, exact_rho(other, alt.values, alt.prior)).law(burn_in);
    for (SamplerKernel kernel : {SamplerKernel::table, SamplerKernel::direct}) {
      SamplingOptions o = options(N, 1, burn_in, 99);
      o.kernel = kernel;
      const SampleResult r = sample(model, SamplerPolicy::exact(exact.values, exact.prior), o);
      expect_matches_law(r.stats.histogram, q, wrong, "n " + std::to_string(c.n) + " m " + std::to_string(c.m) + " kernel " + r.kernel);
    }
  }
}

TEST(SamplerStatistics, IsingChainsMatchExactEnumeration) {
  NETRL_REQUIRE_BACKEND(kBackend);
  std::mt19937_64 rng(31);
  struct Case {
    int n, m;
    SamplerKernel kernel;
    std::uint64_t burn_in;
  };
  for (const Case& c : {Case{8, 2, SamplerKernel::direct, 600}, Case{12, 1, SamplerKernel::table, 600}}) {
    NetworkModel model;
    model.n = c.n;
    model.input = c.m == 1 ? InputProcess::none() : test::random_input(c.m, rng);
    model.lambda = 0.5;
    if (c.n == 8) model.clamps.push_back(Clamp{3, -1});
    std::vector<double> J, h, prior(static_cast<std::size_t>(c.n));
    random_ising(c.n, c.m, 0.5, rng, &J, &h);
    for (double& p : prior) p = 0.3 + 0.4 * std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const ExactChain chain(model, ising_rho(model, J, h, prior));
    const Eigen::VectorXd q = chain.law(c.burn_in);
    ASSERT_LT(tv_distance(q, chain.law(c.burn_in + 2000)), 1e-6) << "not yet stationary";
    std::vector<double> J2 = J;
    for (double& v : J2) v *= 1.3;
    const Eigen::VectorXd wrong = ExactChain(model, ising_rho(model, J2, h, prior)).law(c.burn_in);
    SamplingOptions o = options(c.n == 12 ? 80000 : 60000, 1, c.burn_in, 5);
    o.kernel = c.kernel;
    const SampleResult r = sample(model, SamplerPolicy::ising(J, h, prior), o);
    expect_matches_law(r.stats.histogram, q, wrong, "ising n " + std::to_string(c.n));
  }
}


// ---------------------------------------------------------------------------------------------
// Large Ising networks: a smoke run of the incremental and GEMM kernels (fields exact by
// construction: the two must agree).

TEST(SamplerIsing, LargeNetworkKernelsAgree) {
  NETRL_REQUIRE_BACKEND(kBackend);
  std::mt19937_64 rng(12);
  const int n = 300;
  NetworkModel model;
  model.n = n;
  model.lambda = 0.1;
  std::vector<double> J, h;
  random_ising(n, 1, 1.0 / std::sqrt(n), rng, &J, &h);
  SamplingOptions o = options(20, 2000, 0, 3);
  o.kernel = SamplerKernel::direct;
  o.correlations = true;
  const SampleResult a = sample(model, SamplerPolicy::ising(J, h, {0.5}), o);
  o.kernel = SamplerKernel::gemm;
  const SampleResult b = sample(model, SamplerPolicy::ising(J, h, {0.5}), o);
  expect_same_stats(a.stats, b.stats);
  EXPECT_TRUE(a.stats.histogram.empty());
  std::uint64_t total = 0;
  for (auto c : a.stats.spike_count) total += c;
  EXPECT_EQ(total, 20u * 2000u);
  for (int i = 0; i < n; ++i) EXPECT_EQ(a.stats.coactive[static_cast<std::size_t>(i) * n + i], a.stats.active[i]);
}


#if defined(NETRL_TEST_BACKEND_CUDA)
// The CUDA backend makes exactly the host's decisions: every count and raster is identical.
TEST(SamplerCrossBackend, CudaMatchesHostBitForBit) {
  NETRL_REQUIRE_BACKEND(kBackend);
  const Fixture f = small_fixture();
  SamplingOptions o = recorded_options(1000, 300, 40, 2718, 3, {0, 517, 999});
  o.batch = 300;
  for (const SamplerPolicy* policy : {&f.exact, &f.ising}) {
    for (SamplerKernel kernel : {SamplerKernel::table, SamplerKernel::direct}) {
      SamplingOptions c = o, h = o;
      c.kernel = h.kernel = kernel;
      h.backend = Backend::host;
      expect_same_stats(sample(f.model, *policy, c).stats, sample(f.model, *policy, h).stats);
    }
  }
  std::mt19937_64 rng(6);
  const int n = 70;
  NetworkModel model;
  model.n = n;
  model.input = test::random_input(3, rng);
  model.lambda = 0.3;
  std::vector<double> J, h;
  random_ising(n, 3, 2.0 / n, rng, &J, &h);
  const SamplerPolicy ising = SamplerPolicy::ising(J, h, {0.4});
  SamplingOptions big = options(500, 400, 0, 1);
  big.thin = 5;
  big.correlations = true;
  big.raster_chains = {3};
  SamplingOptions host = big;
  host.backend = Backend::host;
  host.kernel = SamplerKernel::direct;
  const SampleResult reference_run = sample(model, ising, host);
  for (SamplerKernel kernel : {SamplerKernel::direct, SamplerKernel::gemm}) {
    SamplingOptions c = big;
    c.kernel = kernel;
    expect_same_stats(sample(model, ising, c).stats, reference_run.stats);
  }
}
#endif

}  // namespace
}  // namespace netrl
