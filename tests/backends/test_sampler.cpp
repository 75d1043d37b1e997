// The chain sampler (the front host/src/sampler*.cpp, the runners kernels/host/sampler_host*.cpp
// and kernels/cuda/sampler.cu, the step maths kernels/common/sampler_*.hpp): random-number and
// threshold contract, exact reproducibility, statistics against exact distributions, the CLI.
//
// This file is compiled twice: test_sampler runs the bodies on the host backend; test_sampler_cuda
// (CUDA builds, NETRL_TEST_BACKEND_CUDA) runs the same bodies on the CUDA backend and skips them when
// no device answers (unless NETRL_REQUIRE_GPU=1, which turns the skip into a failure).
#include <gtest/gtest.h>

#include <Eigen/Sparse>
#include <Random123/philox.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/sampler_math.hpp"
#include "host/sampler_simd.hpp"
#include "common/sampler_step.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "solve/reference.hpp"
#include "netrl/sample.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;

using test::kBackend;

SamplingOptions options(std::uint64_t chains, std::uint64_t steps, std::uint64_t burn_in, std::uint64_t seed) {
  SamplingOptions o;
  o.chains = chains;
  o.steps = steps;
  o.burn_in = burn_in;
  o.seed = seed;
  o.backend = kBackend;
  return o;
}

/// options() with every sample recorded: thinned by `thin`, with transition counts and the rasters
/// of `raster_chains`.
SamplingOptions recorded_options(std::uint64_t chains, std::uint64_t steps, std::uint64_t burn_in, std::uint64_t seed,
                                 std::uint64_t thin, std::vector<std::uint64_t> raster_chains) {
  SamplingOptions o = options(chains, steps, burn_in, seed);
  o.thin = thin;
  o.transitions = true;
  o.raster_chains = std::move(raster_chains);
  return o;
}

/// The SIMD paths of the host's block draws and thresholds that this machine runs.
std::vector<kernels::host::SimdPath> simd_paths() {
  using kernels::host::SimdPath;
  std::vector<SimdPath> paths{SimdPath::scalar};
#if defined(NETRL_PHILOX_X86)
  paths.push_back(SimdPath::sse2);
  if (__builtin_cpu_supports("avx2")) paths.push_back(SimdPath::avx2);
#endif
  return paths;
}

/// The count vectors of SampleStats, by name.
const std::pair<const char*, std::vector<std::uint64_t> SampleStats::*> kCounts[] = {
    {"histogram", &SampleStats::histogram}, {"transitions", &SampleStats::transitions},
    {"spike_count", &SampleStats::spike_count}, {"active", &SampleStats::active},
    {"coactive", &SampleStats::coactive}};

void expect_same_stats(const SampleStats& a, const SampleStats& b) {
  EXPECT_EQ(a.flips, b.flips);
  for (const auto& [name, counts] : kCounts) EXPECT_EQ(a.*counts, b.*counts) << name;
  ASSERT_EQ(a.rasters.size(), b.rasters.size());
  for (std::size_t r = 0; r < a.rasters.size(); ++r) {
    EXPECT_EQ(a.rasters[r].chain, b.rasters[r].chain);
    EXPECT_EQ(a.rasters[r].states, b.rasters[r].states);
    EXPECT_EQ(a.rasters[r].inputs, b.rasters[r].inputs);
  }
}

// ---------------------------------------------------------------------------------------------
// Random numbers and thresholds (backend-independent functors).

// Known-answer vectors of Philox4x32-10 from Random123's kat_vectors (counter, key -> output).
TEST(SamplerRng, PhiloxKnownAnswers) {
  struct Kat {
    std::uint32_t c[4], k[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Kat& kat : kats) {
    const kernels::Philox4 r = kernels::philox4x32_10(kat.c[0], kat.c[1], kat.c[2], kat.c[3], kat.k[0], kat.k[1]);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(r.w[j], kat.out[j]) << "word " << j;
  }
}

TEST(SamplerRng, PhiloxMatchesRandom123AndTheSimdBlocks) {
  std::mt19937_64 rng(11);
  r123::Philox4x32 lib;
  for (int trial = 0; trial < 2000; ++trial) {
    r123::Philox4x32::ctr_type c;
    r123::Philox4x32::key_type k;
    for (int j = 0; j < 4; ++j) c[j] = static_cast<std::uint32_t>(rng());
    for (int j = 0; j < 2; ++j) k[j] = static_cast<std::uint32_t>(rng());
    const auto expected = lib(c, k);
    const kernels::Philox4 r = kernels::philox4x32_10(c[0], c[1], c[2], c[3], k[0], k[1]);
    for (int j = 0; j < 4; ++j) ASSERT_EQ(r.w[j], expected[j]);
  }
  // Every SIMD path of the host's block draws, with block lengths that leave remainders.
  for (kernels::host::SimdPath path : simd_paths()) {
    for (std::uint32_t count : {1u, 7u, 8u, 16u, 29u, 64u}) {
      std::vector<std::uint32_t> w(4 * 64);
      const kernels::host::DrawBlock out{{&w[0], &w[64], &w[128], &w[192]}};
      const std::uint32_t c0 = 0xfffffff0u - count, t_lo = 12345, t_hi = 3, k0 = 0xdeadbeefu, k1 = 42;
      kernels::host::philox_block(path, c0, count, t_lo, t_hi, 0, k0, k1, out);
      for (std::uint32_t lane = 0; lane < count; ++lane) {
        const kernels::Philox4 r = kernels::philox4x32_10(c0 + lane, t_lo, t_hi, 0, k0, k1);
        for (int j = 0; j < 4; ++j) ASSERT_EQ(out.w[j][lane], r.w[j]) << "path " << static_cast<int>(path);
      }
    }
  }
}

TEST(SamplerRng, SimdThresholdsMatchTheScalarDefinition) {
  // Arguments of every kind: ordinary values, huge and tiny ones, both zeros, infinities, NaN,
  // random bit patterns, and values near the -708 cut of the exponential.
  std::mt19937_64 rng(21);
  std::vector<double> z{0.0, -0.0, 1e-300, -1e-300, 708.0, -708.0, 708.0000001, -708.0000001, 745.0, -745.0, 37.0, 38.0,
                        -37.0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::denorm_min()};
  std::uniform_real_distribution<double> u(-40.0, 40.0);
  while (z.size() < 100003) {
    const std::uint64_t bits = rng();
    z.push_back(z.size() % 5 == 0 ? kernels::bits_to_double(bits) : u(rng));
  }
  std::vector<std::uint32_t> expected(z.size()), got(z.size());
  for (std::size_t k = 0; k < z.size(); ++k) expected[k] = kernels::sigmoid_threshold(z[k]);
  for (kernels::host::SimdPath path : simd_paths()) {
    std::fill(got.begin(), got.end(), 12345u);
    kernels::host::threshold_block(path, z.data(), got.data(), z.size());
    for (std::size_t k = 0; k < z.size(); ++k) ASSERT_EQ(got[k], expected[k]) << "path " << static_cast<int>(path) << " z = " << z[k];
  }
}

TEST(SamplerRng, MultiplyHighIsExact) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 100000; ++trial) {
    const auto lo = static_cast<std::uint32_t>(rng()), hi = static_cast<std::uint32_t>(rng());
    const std::uint32_t count = trial % 3 == 0 ? static_cast<std::uint32_t>(rng() % 10 + 1) : static_cast<std::uint32_t>(rng());
    if (count == 0) continue;
    __extension__ using u128 = unsigned __int128;
    const u128 u = (static_cast<u128>(hi) << 32) | lo;
    const auto expected = static_cast<std::uint32_t>((u * count) >> 64);
    ASSERT_EQ(kernels::scale_uniform(lo, hi, count), expected);
  }
  EXPECT_EQ(kernels::scale_uniform(0xffffffffu, 0xffffffffu, 7), 6u);
  EXPECT_EQ(kernels::scale_uniform(0, 0, 7), 0u);
}

TEST(SamplerRng, DeterministicExpAndThresholds) {
  // exp: relative error against libm within a few ulps over the whole range.
  double worst = 0.0;
  for (double a = -708.0; a <= 0.0; a += 0.0137) {
    const double got = kernels::exp_nonpositive(a), want = std::exp(a);
    worst = std::max(worst, std::abs(got - want) / want);
  }
  EXPECT_LT(worst, 4.0 * std::numeric_limits<double>::epsilon());
  EXPECT_EQ(kernels::exp_nonpositive(0.0), 1.0);
  EXPECT_EQ(kernels::exp_nonpositive(-800.0), 0.0);
  // thresholds: within one unit of floor(rho 2^32) computed in long double, saturating at the ends.
  for (double z = -40.0; z <= 40.0; z += 0.001) {
    const long double rho = 1.0L / (1.0L + std::exp(-static_cast<long double>(z)));
    const long double exact = std::min(std::floor(rho * 4294967296.0L), 4294967295.0L);
    const auto thr = static_cast<long double>(kernels::sigmoid_threshold(z));
    ASSERT_LE(std::abs(thr - exact), 1.0L) << "z = " << z;
  }
  EXPECT_EQ(kernels::sigmoid_threshold(0.0), 0x80000000u);
  EXPECT_EQ(kernels::sigmoid_threshold(1000.0), 0xFFFFFFFFu);
  EXPECT_EQ(kernels::sigmoid_threshold(-1000.0), 0u);
  EXPECT_EQ(kernels::sigmoid_threshold(std::numeric_limits<double>::infinity()), 0xFFFFFFFFu);
  EXPECT_EQ(kernels::sigmoid_threshold(-std::numeric_limits<double>::infinity()), 0u);
}

TEST(SamplerRng, InputInverseCdfMatchesLinearScan) {
  std::mt19937_64 rng(3);
  for (std::uint32_t m : {1u, 2u, 3u, 7u, 16u}) {
    std::vector<std::uint64_t> cdf(m);
    for (int trial = 0; trial < 2000; ++trial) {
      std::uint64_t acc = 0;
      for (std::uint32_t k = 0; k + 1 < m; ++k) {
        acc = std::min<std::uint64_t>(acc + (rng() % 3 == 0 ? 0 : rng() % (std::uint64_t{1} << 31)), std::uint64_t{1} << 32);
        cdf[k] = acc;
      }
      cdf[m - 1] = std::uint64_t{1} << 32;
      const auto u = static_cast<std::uint32_t>(rng());
      std::uint32_t expected = 0;
      while (!(u < cdf[expected])) ++expected;
      ASSERT_EQ(kernels::next_input(u, cdf.data(), m), expected);
    }
  }
}

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

/// A symmetric J with zero diagonal and an m x n field, all multiples of 2^-10 (so on the
/// sampler's 2^-30 grid: no rounding).
void random_ising(int n, int m, double scale, std::mt19937_64& rng, std::vector<double>* J, std::vector<double>* h) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  J->assign(static_cast<std::size_t>(n) * n, 0.0);
  h->assign(static_cast<std::size_t>(m) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) (*J)[i * n + j] = (*J)[j * n + i] = std::round(u(rng) * scale * 1024.0) / 1024.0;
  for (double& v : *h) v = std::round(u(rng) * scale * 1024.0) / 1024.0;
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
// Reproducibility.

struct Fixture {
  NetworkModel model;
  SamplerPolicy exact, ising;
  /// check(policy, the run of `policy` under `o`) for the exact and the Ising policy.
  template <class Check>
  void for_each_policy(const SamplingOptions& o, const Check& check) const {
    for (const SamplerPolicy* policy : {&exact, &ising}) check(*policy, sample(model, *policy, o));
  }
};

Fixture small_fixture() {
  std::mt19937_64 rng(8);
  Fixture f;
  f.model = test::random_network(6, 3, PriorMode::neuron, rng, 0.5);
  f.model.clamps.push_back(Clamp{4, -1});
  const SolveResult s = reference::solve(f.model, SolverOptions{});
  f.exact = SamplerPolicy::exact(s.values, s.prior);
  std::vector<double> J, h;
  random_ising(6, 3, 0.3, rng, &J, &h);
  f.ising = SamplerPolicy::ising(J, h, {0.4});
  return f;
}

TEST(SamplerReproducibility, SameSeedSameOutputsDifferentSeedDifferentOutputs) {
  NETRL_REQUIRE_BACKEND(kBackend);
  const Fixture f = small_fixture();
  const SamplingOptions o = recorded_options(300, 500, 50, 123, 3, {7, 0, 299});
  f.for_each_policy(o, [&](const SamplerPolicy& policy, const SampleResult& a) {
    expect_same_stats(a.stats, sample(f.model, policy, o).stats);
    SamplingOptions other = o;
    other.seed = 124;
    EXPECT_NE(sample(f.model, policy, other).stats.histogram, a.stats.histogram);
  });
}

TEST(SamplerReproducibility, ChainsDoNotDependOnBatchingThreadsOrKernel) {
  NETRL_REQUIRE_BACKEND(kBackend);
  const Fixture f = small_fixture();
  const SamplingOptions o = recorded_options(257, 300, 20, 9, 2, {3, 100, 256});
  f.for_each_policy(o, [&](const SamplerPolicy& policy, const SampleResult& base) {
    // Other batches, lockstep blocks and thread counts.
    SamplingOptions b = o;
    b.batch = 7;
    b.host_block = 5;
    expect_same_stats(sample(f.model, policy, b).stats, base.stats);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const SampleResult single = sample(f.model, policy, o);
    omp_set_num_threads(threads);
    expect_same_stats(single.stats, base.stats);
    // Other kernels make the same decisions.
    for (SamplerKernel kernel : {SamplerKernel::table, SamplerKernel::direct}) {
      SamplingOptions k = o;
      k.kernel = kernel;
      expect_same_stats(sample(f.model, policy, k).stats, base.stats);
    }
    // Chains 0..99 and 100..256 run separately add up to the whole run.
    SamplingOptions lo = o, hi = o;
    lo.chains = 100;
    lo.raster_chains = {3};
    hi.first_chain = 100;
    hi.chains = 157;
    hi.raster_chains = {100, 256};
    const SampleResult a = sample(f.model, policy, lo), c = sample(f.model, policy, hi);
    std::vector<std::uint64_t> hist = a.stats.histogram, trans = a.stats.transitions;
    for (std::size_t s = 0; s < hist.size(); ++s) hist[s] += c.stats.histogram[s];
    for (std::size_t s = 0; s < trans.size(); ++s) trans[s] += c.stats.transitions[s];
    EXPECT_EQ(hist, base.stats.histogram);
    EXPECT_EQ(trans, base.stats.transitions);
    EXPECT_EQ(a.stats.rasters[0].states, base.stats.rasters[0].states);
    EXPECT_EQ(c.stats.rasters[1].states, base.stats.rasters[2].states);
  });
}

TEST(SamplerReproducibility, IsingGemmDirectAndTableKernelsAgreeBitForBit) {
  NETRL_REQUIRE_BACKEND(kBackend);
  std::mt19937_64 rng(4);
  for (int n : {10, 70}) {
    NetworkModel model;
    model.n = n;
    model.input = test::random_input(2, rng);
    model.lambda = 0.2;
    model.clamps.push_back(Clamp{n - 1, 1});
    std::vector<double> J, h, prior(static_cast<std::size_t>(n), 0.45);
    random_ising(n, 2, 3.0 / n, rng, &J, &h);
    // Values off the 2^-30 grid exercise the rounding, identical for every kernel.
    J[1] = J[n] = 0.1;
    const SamplerPolicy policy = SamplerPolicy::ising(J, h, prior);
    SamplingOptions o = options(37, 400, 10, 77);
    o.raster_chains = {5};
    o.correlations = true;
    o.kernel = SamplerKernel::direct;
    const SampleResult direct = sample(model, policy, o);
    o.kernel = SamplerKernel::gemm;
    o.gemm_block = 13;
    const SampleResult gemm = sample(model, policy, o);
    expect_same_stats(direct.stats, gemm.stats);
    if (n <= 12) {
      o.kernel = SamplerKernel::table;
      expect_same_stats(sample(model, policy, o).stats, direct.stats);
    }
    EXPECT_GT(direct.stats.coactive.size(), 0u);
  }
}

TEST(SamplerReproducibility, CountsAreConsistent) {
  NETRL_REQUIRE_BACKEND(kBackend);
  const Fixture f = small_fixture();
  SamplingOptions o = recorded_options(50, 100, 7, 1, 7, {11});
  const SampleResult r = sample(f.model, f.exact, o);
  const SampleStats& st = r.stats;
  EXPECT_EQ(st.samples_per_chain, 15u);  // ceil(100 / 7)
  EXPECT_EQ(r.updates, 50u * 107u);
  std::uint64_t total = 0;
  for (auto c : st.histogram) total += c;
  EXPECT_EQ(total, st.samples());
  for (std::size_t s = 0; s < st.histogram.size(); ++s) {
    std::uint64_t row = 0;
    for (int j = 0; j <= st.n; ++j) row += st.transitions[s * (st.n + 1) + j];
    EXPECT_EQ(row, st.histogram[s]);
    if (!f.model.consistent(s & 63)) {
      EXPECT_EQ(st.histogram[s], 0u);
    }
  }
  EXPECT_EQ(st.active[4], 0u);  // clamped silent
  // The raster of chain 11 is the histogram of chain 11 run alone, and the thin = 1 raster
  // subsampled.
  SamplingOptions one = o;
  one.first_chain = 11;
  one.chains = 1;
  const SampleResult alone = sample(f.model, f.exact, one);
  std::vector<std::uint64_t> from_raster(alone.stats.histogram.size(), 0);
  const auto& ras = st.rasters[0];
  for (std::uint64_t k = 0; k < st.samples_per_chain; ++k) {
    std::uint64_t b = 0;
    for (int i = 0; i < st.n; ++i) b |= static_cast<std::uint64_t>(ras.states[k * st.n + i]) << i;
    from_raster[(static_cast<std::uint64_t>(ras.inputs[k]) << st.n) | b] += 1;
  }
  EXPECT_EQ(from_raster, alone.stats.histogram);
  SamplingOptions dense = one;
  dense.thin = 1;
  dense.raster_chains = {11};
  const SampleResult full = sample(f.model, f.exact, dense);
  for (std::uint64_t k = 0; k < st.samples_per_chain; ++k) {
    for (int i = 0; i < st.n; ++i) EXPECT_EQ(ras.states[k * st.n + i], full.stats.rasters[0].states[(k * 7) * st.n + i]);
    EXPECT_EQ(ras.inputs[k], full.stats.rasters[0].inputs[k * 7]);
  }
  // Without the histogram, the directly accumulated counts agree with the derived ones.
  SamplingOptions nohist = o;
  nohist.histogram = false;
  nohist.transitions = false;
  nohist.correlations = true;
  const SampleResult d = sample(f.model, f.exact, nohist);
  EXPECT_TRUE(d.stats.histogram.empty());
  EXPECT_EQ(d.stats.spike_count, st.spike_count);
  EXPECT_EQ(d.stats.active, st.active);
  EXPECT_EQ(d.stats.coactive, st.coactive);
}

// ---------------------------------------------------------------------------------------------
// Input checking.

TEST(SamplerInputs, RejectsBadPoliciesAndOptionsNamingTheField) {
  const Fixture f = small_fixture();
  auto field_of = [&](const SamplerPolicy& p, const SamplingOptions& o) -> std::string {
    try {
      sample(f.model, p, o);
    } catch (const InvalidInput& e) {
      return e.field();
    }
    return "(no error)";
  };
  SamplingOptions o = options(10, 10, 0, 1);
  o.backend = Backend::host;
  SamplerPolicy p = f.exact;
  p.values.pop_back();
  EXPECT_EQ(field_of(p, o), "policy.values");
  p = f.exact;
  p.values[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(field_of(p, o), "policy.values");
  p = f.exact;
  p.prior[0] = 1.0;
  EXPECT_EQ(field_of(p, o), "policy.prior[0]");
  p = f.ising;
  p.J[1] += 0.5;
  EXPECT_EQ(field_of(p, o), "policy.J");
  p = f.ising;
  p.J[1] = p.J[6] = 2e6;
  EXPECT_EQ(field_of(p, o), "policy.J");
  p = f.ising;
  p.h.resize(5);
  EXPECT_EQ(field_of(p, o), "policy.h");
  SamplingOptions bad = o;
  bad.chains = 0;
  EXPECT_EQ(field_of(f.exact, bad), "sampling.chains");
  bad = o;
  bad.thin = 0;
  EXPECT_EQ(field_of(f.exact, bad), "sampling.thin");
  bad = o;
  bad.raster_chains = {10};
  EXPECT_EQ(field_of(f.exact, bad), "sampling.record.raster_chains");
  bad = o;
  bad.kernel = SamplerKernel::gemm;
  EXPECT_EQ(field_of(f.exact, bad), "sampling.kernel");
  bad = o;
  bad.histogram = false;
  bad.transitions = true;
  EXPECT_EQ(field_of(f.exact, bad), "sampling.record.transitions");
  // Memory: transition counts over 2 x 2^24 states are refused before anything is allocated.
  NetworkModel big;
  big.n = 24;
  big.input = InputProcess::binary_flip(0.1);
  big.lambda = 1.0;
  std::vector<double> J(24 * 24, 0.0), h(24, 0.0);
  SamplingOptions huge = o;
  huge.transitions = true;
  try {
    sample(big, SamplerPolicy::ising(J, h, {0.5}), huge);
    ADD_FAILURE() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "sampling");
    EXPECT_NE(std::string(e.what()).find("transition counts"), std::string::npos) << e.what();
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

// ---------------------------------------------------------------------------------------------
// The command line.

#if defined(NETRL_CLI) && !defined(NETRL_TEST_BACKEND_CUDA)

using test::CliRun;

CliRun run_cli(const std::string& args) {
  return test::run_cli_logged(NETRL_CLI, args, test::temp_log("netrl_sample_cli_"));
}

fs::path fresh_dir(const std::string& name) { return test::fresh_dir("netrl_sample_", name, true); }

void write_text(const fs::path& path, const std::string& text) { io::write_file_atomic(path.string(), text); }

TEST(SampleCli, ExactSolutionDirectoryRoundTrip) {
  const fs::path dir = fresh_dir("exact");
  ASSERT_EQ(run_cli("solve --scenario count8 --out " + (dir / "solution").string()).status, 0);
  const std::string config = R"({ "model": "network", "n": 8, "input": {"T": [[0.98, 0.02], [0.02, 0.98]]},
    "reward": {"kind": "count", "targets": [2, 6]}, "lambda": 0.114,
    "policy": {"kind": "exact", "dir": "solution"},
    "sampling": {"chains": 2000, "steps": 400, "burn_in": 200, "thin": 2, "seed": 17,
                 "record": {"transitions": true, "raster_chains": [0, 5]}} })";
  write_text(dir / "sample.json", config);
  const CliRun r = run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "out" / "result.json").string()));
  EXPECT_EQ(result["seed"].get<std::uint64_t>(), 17u);
  EXPECT_EQ(result["samples"].get<std::uint64_t>(), 2000u * 200u);
  EXPECT_EQ(result["updates"].get<std::uint64_t>(), 2000u * 600u);
  EXPECT_TRUE(result.contains("elapsed_seconds"));
  EXPECT_NEAR(result["mean_reward"].get<double>(), 0.647, 0.02);
  for (const char* file : {"histogram.npy", "transitions.npy", "rates.npy", "coactivation.npy", "correlation.npy", "spike_count.csv",
                           "spike_count_counts.npy", "raster_chain0.npy", "inputs_chain5.npy"}) {
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  }
  const npy::Array raster = npy::load((dir / "out" / "raster_chain5.npy").string());
  EXPECT_EQ(raster.dtype, "|u1");
  EXPECT_EQ(raster.shape, (std::vector<std::uint64_t>{200, 8}));
  const auto hist = npy::to_double(npy::load((dir / "out" / "histogram.npy").string()), "histogram");
  ASSERT_EQ(hist.size(), 512u);
  // The same configuration again: bit-identical counts.
  ASSERT_EQ(run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "again").string()).status, 0);
  EXPECT_EQ(io::read_file((dir / "out" / "histogram.npy").string()), io::read_file((dir / "again" / "histogram.npy").string()));
  EXPECT_EQ(io::read_file((dir / "out" / "raster_chain0.npy").string()), io::read_file((dir / "again" / "raster_chain0.npy").string()));
  fs::remove_all(dir);
}

TEST(SampleCli, IsingPolicyFromNpyFiles) {
  const fs::path dir = fresh_dir("ising");
  const int n = 50;
  std::mt19937_64 rng(2);
  std::vector<double> J, h;
  random_ising(n, 1, 0.05, rng, &J, &h);
  npy::save((dir / "J.npy").string(), J, {50, 50});
  npy::save((dir / "h.npy").string(), h, {50});
  write_text(dir / "sample.json", R"({ "model": "network", "n": 50, "lambda": 0.5,
    "clamp": [{"neuron": 49, "state": 1}],
    "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": 0.3},
    "sampling": {"chains": 64, "steps": 500, "seed": 1, "record": {"raster_chains": [63]}} })");
  const CliRun r = run_cli("sample " + (dir / "sample.json").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto result = nlohmann::json::parse(io::read_file((dir / "out" / "result.json").string()));
  EXPECT_EQ(result["n"].get<int>(), 50);
  EXPECT_FALSE(fs::exists(dir / "out" / "histogram.npy"));
  const auto rates = npy::to_double(npy::load((dir / "out" / "rates.npy").string()), "rates");
  EXPECT_EQ(rates[49], 1.0);
  fs::remove_all(dir);
}

TEST(SampleCli, BadConfigurationsNameTheField) {
  const fs::path dir = fresh_dir("bad");
  ASSERT_EQ(run_cli("solve --scenario count8 --out " + (dir / "solution").string()).status, 0);
  const std::string head = R"({ "model": "network", "n": 8, "input": {"T": [[0.98, 0.02], [0.02, 0.98]]}, )";
  struct Bad {
    std::string tail, field;
  };
  const std::vector<Bad> cases = {
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10, "bogus": 1}})",
       "sampling.bogus"},
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": -3, "steps": 10}})",
       "sampling.chains"},
      {R"("lambda": 0.2, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10}})",
       "policy.dir"},
      {R"("lambda": 0.114, "policy": {"kind": "magic"}, "sampling": {"chains": 10, "steps": 10}})", "policy.kind"},
      {R"("lambda": 0.114, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10, "record": {"histogram": "yes"}}})",
       "sampling.record.histogram"},
      {R"("lambda": -1, "policy": {"kind": "exact", "dir": "solution"}, "sampling": {"chains": 10, "steps": 10}})", "lambda"},
  };
  for (const Bad& c : cases) {
    write_text(dir / "bad.json", head + c.tail);
    const CliRun r = run_cli("sample " + (dir / "bad.json").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(r.status, 1) << c.tail << "\n" << r.output;
    EXPECT_NE(r.output.find(c.field + ":"), std::string::npos) << c.field << "\n" << r.output;
    EXPECT_FALSE(fs::exists(dir / "out" / "result.json"));
  }
  EXPECT_EQ(run_cli("sample").status, 2);
  EXPECT_EQ(run_cli("sample a.json b.json").status, 2);
  fs::remove_all(dir);
}

#endif

}  // namespace
}  // namespace netrl
