// The parametric solver's engines (netrl/kernels/parametric.hpp) across backends, float64 and
// float32: the engine of the backend under test and the host engine run on one thread, driven
// through the same calls (planted couplings with a clamped neuron each way, exploration samples,
// two changes of the small parameters, a target copy, with and without a coupling mask) and fed
// the same SGD steps, must agree after every call.
//
// Compiled twice (netrl_add_backend_test): test_parametric_engine compares the host engine on the
// machine's OpenMP threads with one thread (the host's results do not depend on the number of
// threads); test_parametric_engine_cuda compares kernels/cuda/parametric_engine.cu with the host
// (skipped with the reason where no device answers, failing under NETRL_REQUIRE_GPU=1). What must
// be identical bit for bit: chains, recorded spins and inputs, the values v, the couplings after
// every SGD step (of either regression) and their norms. The backup, the coding cost and rho use CUDA's log1p on a device
// and the host's IEEE-only series (kernels/common/math.hpp), and so do the flip entries' soft
// sums: there the CUDA engine agrees to rounding, a few ulps per neuron's term (the host twin:
// identical).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "netrl/kernels/parametric.hpp"
#include "sample/sampler_plan.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using kernels::ParametricBatch;
using kernels::ParametricEngine;
using kernels::ParametricSetup;
using kernels::ParametricSmall;

constexpr int kN = 12;
constexpr int kM = 3;
constexpr int kActive = 4, kSilent = 9;  // clamped neurons

bool is_free(int i) { return i != kActive && i != kSilent; }

ParametricSetup make_setup(bool mask, bool flips, std::mt19937_64& rng) {
  ParametricSetup s;
  s.flips = flips;
  s.n = kN;
  s.m = kM;
  for (int i = 0; i < kN; ++i)
    if (is_free(i)) s.free_list.push_back(i);
  s.nf = static_cast<std::uint32_t>(s.free_list.size());
  s.chains = 64;
  s.batch = 3 * s.chains;
  s.explore = 20;
  s.seed = 0x5eed0000abcdULL;
  s.first_chain = 5;
  s.clamp_state.assign(kN, 0);
  s.clamp_state[kActive] = 2;
  s.clamp_state[kSilent] = 1;
  s.input_cdf = sampling::input_cdf(test::random_input(kM, rng));
  if (mask) {
    s.mask.assign(kN * kN, 1);
    for (int i = 0; i < kN; ++i)
      for (int j = 0; j < kN; ++j)
        if ((i + j) % 3 == 0) s.mask[static_cast<std::size_t>(i) * kN + j] = 0;
  }
  s.lambda = 0.35;
  s.inv_temperature = 1.0 / (s.nf * s.lambda);
  s.coupling = 2.0 * s.inv_temperature;
  return s;
}

/// Planted couplings: symmetric, zero on the diagonal, clamped rows and columns and masked pairs.
std::vector<double> planted_couplings(const ParametricSetup& s, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(-0.9, 0.9);
  std::vector<double> J(kN * kN, 0.0);
  for (int i = 0; i < kN; ++i)
    for (int j = i + 1; j < kN; ++j) {
      const std::size_t ij = static_cast<std::size_t>(i) * kN + j, ji = static_cast<std::size_t>(j) * kN + i;
      if (!is_free(i) || !is_free(j) || (!s.mask.empty() && s.mask[ij] == 0)) continue;
      J[ij] = J[ji] = U(rng);
    }
  return J;
}

ParametricSmall random_small(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(-1.5, 1.5);
  ParametricSmall s;
  for (std::vector<double>* v : {&s.ht, &s.h, &s.hbt}) {
    v->resize(kM * kN);
    for (double& e : *v) e = U(rng);
  }
  for (std::vector<double>* v : {&s.c, &s.cbt}) {
    v->resize(kM);
    for (double& e : *v) e = U(rng);
  }
  for (int i = 0; i < kN; ++i) {
    const double p = 0.15 + 0.7 * (U(rng) + 1.5) / 3.0;
    s.log_p.push_back(std::log(p));
    s.log_q.push_back(std::log1p(-p));
    s.logit_p.push_back(s.log_p.back() - s.log_q.back());
  }
  return s;
}

/// The engine of the backend under test and the reference: the host engine on one OpenMP thread.
template <class Real>
struct Pair {
  std::unique_ptr<ParametricEngine<Real>> tested, reference;
  int threads = omp_get_max_threads();

  explicit Pair(const ParametricSetup& s)
      : tested(test::kBackend == Backend::cuda ? kernels::cuda::make_parametric_engine<Real>(s)
                                               : kernels::host::make_parametric_engine<Real>(s)),
        reference(kernels::host::make_parametric_engine<Real>(s)) {}

  /// f(engine) on both, the reference on one thread.
  template <class F>
  void both(const F& f) {
    f(*tested);
    omp_set_num_threads(1);
    f(*reference);
    omp_set_num_threads(threads);
  }
};

/// Where the CUDA engine may differ from the host by rounding (the logarithms): `ulps_per_term`
/// units of 2^-52 per neuron's term, relative to max(1, |value|); the host twin: nothing.
double log_tolerance(double reference) {
  if (test::kBackend != Backend::cuda) return 0.0;
  return test::rounding(16.0 * kN) * std::max(1.0, std::abs(reference));
}

template <class T>
void expect_identical(const std::vector<T>& tested, const std::vector<T>& reference, const std::string& what) {
  ASSERT_EQ(tested.size(), reference.size()) << what;
  for (std::size_t k = 0; k < reference.size(); ++k) ASSERT_EQ(tested[k], reference[k]) << what << " entry " << k;
}

void expect_close(const std::vector<double>& tested, const std::vector<double>& reference, const std::string& what) {
  ASSERT_EQ(tested.size(), reference.size()) << what;
  for (std::size_t k = 0; k < reference.size(); ++k) {
    const double tol = log_tolerance(reference[k]);
    if (tol == 0.0) {
      ASSERT_EQ(tested[k], reference[k]) << what << " entry " << k;
    } else {
      ASSERT_NEAR(tested[k], reference[k], tol) << what << " entry " << k;
    }
  }
}

template <class Real>
void expect_same_state(Pair<Real>& p, const std::string& when) {
  std::vector<double> J[2];
  std::vector<std::uint8_t> sigma[2];
  std::vector<std::uint32_t> x[2];
  p.tested->download_couplings(&J[0]);
  p.reference->download_couplings(&J[1]);
  p.tested->download_chains(&sigma[0], &x[0]);
  p.reference->download_chains(&sigma[1], &x[1]);
  expect_identical(J[0], J[1], when + ": couplings");
  expect_identical(sigma[0], sigma[1], when + ": chain states");
  expect_identical(x[0], x[1], when + ": chain inputs");
  double change[2], norm[2];
  p.tested->coupling_norms(&change[0], &norm[0]);
  p.reference->coupling_norms(&change[1], &norm[1]);
  EXPECT_EQ(change[0], change[1]) << when;
  EXPECT_EQ(norm[0], norm[1]) << when;
}

/// Drives both engines through a short solve; returns how many chain states changed over it (so
/// that a run whose chains never move cannot pass for agreement).
template <class Real>
std::uint64_t run_case(bool mask, bool flips = false) {
  std::mt19937_64 rng(mask ? 41 : 17);
  const ParametricSetup s = make_setup(mask, flips, rng);
  Pair<Real> p(s);
  const std::vector<double> J0 = planted_couplings(s, rng);
  p.both([&](ParametricEngine<Real>& e) { e.set_couplings(J0); });
  ParametricSmall small = random_small(rng);
  p.both([&](ParametricEngine<Real>& e) { e.set_small(small); });
  std::vector<std::uint8_t> start;
  std::vector<std::uint32_t> start_x;
  p.reference->download_chains(&start, &start_x);
  p.both([](ParametricEngine<Real>& e) { e.advance(40); });
  expect_same_state(p, "after the burn-in");
  const std::uint64_t per_chain = s.batch / s.chains, samples = s.batch + s.explore;
  for (std::uint64_t k = 0; k < 4; ++k) {
    const std::string when = "batch " + std::to_string(k);
    for (std::uint64_t slot = 0; slot < per_chain; ++slot)
      p.both([&](ParametricEngine<Real>& e) {
        e.advance(7);
        e.record(slot);
      });
    p.both([&](ParametricEngine<Real>& e) { e.record_explore(k); });
    ParametricBatch b[2];
    p.tested->read_batch(&b[0]);
    p.reference->read_batch(&b[1]);
    expect_identical(b[0].x, b[1].x, when + ": inputs");
    expect_identical(b[0].on, b[1].on, when + ": spins");
    expect_identical(b[0].value, b[1].value, when + ": values");
    expect_close(b[0].backup, b[1].backup, when + ": backups");
    expect_close(b[0].cost, b[1].cost, when + ": coding costs");
    expect_close(b[0].rho_sum, b[1].rho_sum, when + ": rho sums");
    if (flips) {
      // The flip entries: D_i and the lag exactly, Dhat_i's soft sums to rounding on a device.
      expect_close(b[0].flip, b[1].flip, when + ": flip entries");
      // A step of the regression on local fields from the reference's D_i (identical on both).
      std::vector<double> a(samples * kN);
      for (std::uint64_t e = 0; e < a.size(); ++e)
        a[e] = -0.05 * (b[1].flip[e * kernels::kFlipTerms] - 0.1 * static_cast<double>(e % kN)) / static_cast<double>(samples);
      p.both([&](ParametricEngine<Real>& e) { e.step_couplings_flips(a); });
    } else {
      // An SGD step from the reference's batch (values and inputs only: identical on both).
      std::vector<double> a(samples);
      for (std::uint64_t t = 0; t < samples; ++t)
        a[t] = -0.4 * (b[1].value[t] - 0.25 * b[1].x[t]) / static_cast<double>(samples);
      p.both([&](ParametricEngine<Real>& e) { e.step_couplings(a); });
    }
    expect_same_state(p, when + ", after the SGD step");
    if (k == 1) {
      small = random_small(rng);
      p.both([&](ParametricEngine<Real>& e) {
        e.copy_target();
        e.set_small(small);
      });
      expect_same_state(p, when + ", after the target copy");
    }
  }
  std::vector<std::uint8_t> end;
  std::vector<std::uint32_t> end_x;
  p.reference->download_chains(&end, &end_x);
  std::uint64_t moved = 0;
  for (std::size_t k = 0; k < end.size(); ++k) moved += end[k] != start[k] ? 1 : 0;
  return moved;
}

class ParametricEngineBackend : public test::BackendTest {};

TEST_F(ParametricEngineBackend, Float64MatchesTheHost) {
  for (bool mask : {false, true}) EXPECT_GT(run_case<double>(mask), 0u) << "mask " << mask;
}

TEST_F(ParametricEngineBackend, Float32MatchesTheHost) {
  for (bool mask : {false, true}) EXPECT_GT(run_case<float>(mask), 0u) << "mask " << mask;
}

// The regression on local fields (kernels/common/parametric_flips.hpp): its flip entries and its
// couplings' step with the chains' rank update of the fields.
TEST_F(ParametricEngineBackend, Float64RegressionOnLocalFieldsMatchesTheHost) {
  for (bool mask : {false, true}) EXPECT_GT(run_case<double>(mask, true), 0u) << "mask " << mask;
}

TEST_F(ParametricEngineBackend, Float32RegressionOnLocalFieldsMatchesTheHost) {
  for (bool mask : {false, true}) EXPECT_GT(run_case<float>(mask, true), 0u) << "mask " << mask;
}

}  // namespace
}  // namespace netrl
