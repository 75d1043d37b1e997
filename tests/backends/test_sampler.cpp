// The chain sampler (the front host/src/sampler*.cpp, the runners kernels/host/sampler_host*.cpp
// and kernels/cuda/sampler.cu, the step maths kernels/common/sampler_*.hpp), one test binary in
// three files:
//  - this file: the random-number and threshold contract, exact reproducibility, input checking;
//  - test_sampler_laws.cpp: statistics against exact distributions, the large Ising kernels, and
//    the CUDA backend against the host bit for bit;
//  - test_sample_cli.cpp: the command line.
//
// The binary is built twice: test_sampler runs the bodies on the host backend; test_sampler_cuda
// (CUDA builds, NETRL_TEST_BACKEND_CUDA) runs the same bodies on the CUDA backend and skips them
// when no device answers (unless NETRL_REQUIRE_GPU=1, which turns the skip into a failure).
#include <gtest/gtest.h>

#include <Random123/philox.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/sampler_math.hpp"
#include "common/sampler_step.hpp"
#include "host/sampler_simd.hpp"
#include "netrl/core/error.hpp"
#include "netrl/sample.hpp"
#include "sampler_suite.hpp"
#include "solve/reference.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using namespace sampler_suite;  // NOLINT(google-build-using-namespace): the suite's helpers

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
// Reproducibility.

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


}  // namespace
}  // namespace netrl
