// The parametric solver's regression on local fields (ParametricOptions::regression "fields";
// kernels/common/parametric_flips.hpp, host/solve/parametric/field_regression.cpp) against
// answers computed without its algebra: the flip entries of a recorded batch against the value and
// the soft-Bellman backup (eq. 41) evaluated at both states of every flip by their definitions,
// the reward's flip differences against the reward evaluated at both states, and the solver on
// planted problems whose optimal value is a known Ising value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "netrl/kernels/parametric.hpp"
#include "netrl/solve.hpp"
#include "sample/sampler_plan.hpp"
#include "solve/parametric/field_regression.hpp"

namespace netrl {
namespace {

using kernels::ParametricBatch;
using kernels::ParametricSetup;
using kernels::ParametricSmall;

constexpr int kN = 11, kM = 2;
constexpr int kActive = 3, kSilent = 7;  // clamped neurons
bool is_free(int i) { return i != kActive && i != kSilent; }

/// w(s, x) = c(x) + sum_i h_i(x) s_i + sum_{i<j} J_ij s_i s_j over every neuron (J is zero on
/// clamped rows), spins +-1 from `on`.
double quadratic(const std::vector<double>& J, const double* h, double c, const std::vector<int>& s) {
  double w = c;
  for (int i = 0; i < kN; ++i) {
    if (is_free(i)) w += h[i] * s[i];  // the engine leaves out the clamped neurons' constant terms
    for (int j = i + 1; j < kN; ++j) w += J[i * kN + j] * s[i] * s[j];
  }
  return w;
}

/// The backup of eq. 41 without reward and gain, by its definition: lambda sum_{i free} log
/// sum_{sigma_i} p_i(sigma_i) exp(w(s^{i <- sigma_i}, x) / (nf lambda)).
double backup(const std::vector<double>& Jbar, const ParametricSmall& q, int x, std::vector<int> s, double lambda, int nf) {
  double g = 0.0;
  for (int i = 0; i < kN; ++i) {
    if (!is_free(i)) continue;
    const int own = s[i];
    s[i] = 1;
    const double up = quadratic(Jbar, &q.hbt[x * kN], q.cbt[x], s) / (nf * lambda) + q.log_p[i];
    s[i] = -1;
    const double down = quadratic(Jbar, &q.hbt[x * kN], q.cbt[x], s) / (nf * lambda) + q.log_q[i];
    s[i] = own;
    const double hi = std::max(up, down);
    g += lambda * (hi + std::log(std::exp(up - hi) + std::exp(down - hi)));
  }
  return g;
}

TEST(FieldRegression, FlipEntriesAreTheDifferencesOfTheValueAndTheBackup) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  ParametricSetup s;
  s.n = kN;
  s.m = kM;
  for (int i = 0; i < kN; ++i)
    if (is_free(i)) s.free_list.push_back(i);
  s.nf = static_cast<std::uint32_t>(s.free_list.size());
  s.chains = 8;
  s.batch = 16;
  s.explore = 3;
  s.seed = 77;
  s.clamp_state.assign(kN, 0);
  s.clamp_state[kActive] = 2;
  s.clamp_state[kSilent] = 1;
  s.input_cdf = sampling::input_cdf(InputProcess::binary_flip(0.1));
  s.lambda = 0.4;
  s.inv_temperature = 1.0 / (s.nf * s.lambda);
  s.coupling = 2.0 * s.inv_temperature;
  s.flips = true;
  auto engine = kernels::host::make_parametric_engine<double>(s);
  std::vector<double> Jbar(kN * kN, 0.0);
  for (int i : s.free_list)
    for (int j : s.free_list)
      if (i < j) Jbar[i * kN + j] = Jbar[j * kN + i] = 0.8 * U(rng);
  engine->set_couplings(Jbar);
  ParametricSmall q;
  for (std::vector<double>* v : {&q.ht, &q.h, &q.hbt}) {
    v->resize(kM * kN);
    for (double& e : *v) e = U(rng);
  }
  q.c = {0.3, -0.2};
  q.cbt = {0.1, 0.4};
  for (int i = 0; i < kN; ++i) {
    const double p = 0.2 + 0.6 * (U(rng) + 1.0) / 2.0;
    q.log_p.push_back(std::log(p));
    q.log_q.push_back(std::log1p(-p));
    q.logit_p.push_back(q.log_p.back() - q.log_q.back());
  }
  engine->set_small(q);
  engine->advance(30);
  // Move J away from Jbar with a step of the regression's own kind.
  std::vector<double> a((s.batch + s.explore) * kN);
  for (double& e : a) e = 0.05 * U(rng);
  for (std::uint64_t slot = 0; slot < s.batch / s.chains; ++slot) engine->record(slot);
  engine->record_explore(0);
  engine->step_couplings_flips(a);
  std::vector<double> J;
  engine->download_couplings(&J);
  for (int i = 0; i < kN; ++i)
    for (int j = 0; j < kN; ++j) {
      ASSERT_EQ(J[i * kN + j], J[j * kN + i]);
      if (!is_free(i) || !is_free(j) || i == j) {
        ASSERT_EQ(J[i * kN + j], 0.0);
      }
    }
  ASSERT_NE(J, Jbar);
  // A fresh batch under (J, Jbar).
  engine->advance(5);
  for (std::uint64_t slot = 0; slot < s.batch / s.chains; ++slot) {
    engine->advance(3);
    engine->record(slot);
  }
  engine->record_explore(1);
  ParametricBatch b;
  engine->read_batch(&b);
  const std::uint64_t samples = s.batch + s.explore;
  ASSERT_EQ(b.flip.size(), samples * kN * kernels::kFlipTerms);
  double largest = 0.0;
  for (std::uint64_t t = 0; t < samples; ++t) {
    const int x = static_cast<int>(b.x[t]);
    std::vector<int> spins(kN);
    for (int i = 0; i < kN; ++i) spins[i] = b.on[t * kN + i] ? 1 : -1;
    // The reference backup is the engine's own per-sample backup.
    EXPECT_NEAR(backup(Jbar, q, x, spins, s.lambda, static_cast<int>(s.nf)), b.backup[t], 1e-12) << t;
    for (int i = 0; i < kN; ++i) {
      const double* f = &b.flip[(t * kN + i) * kernels::kFlipTerms];
      if (!is_free(i)) {
        EXPECT_EQ(f[0], 0.0);
        EXPECT_EQ(f[1], 0.0);
        EXPECT_EQ(f[2], 0.0);
        continue;
      }
      std::vector<int> up = spins, down = spins;
      up[i] = 1;
      down[i] = -1;
      const double dv = quadratic(J, &q.h[x * kN], q.c[x], up) - quadratic(J, &q.h[x * kN], q.c[x], down);
      const double dg = backup(Jbar, q, x, up, s.lambda, static_cast<int>(s.nf)) -
                        backup(Jbar, q, x, down, s.lambda, static_cast<int>(s.nf));
      const double dl = (quadratic(J, &q.h[x * kN], 0.0, up) - quadratic(Jbar, &q.h[x * kN], 0.0, up)) -
                        (quadratic(J, &q.h[x * kN], 0.0, down) - quadratic(Jbar, &q.h[x * kN], 0.0, down));
      EXPECT_NEAR(f[0], dv, 1e-12) << t << " " << i;
      EXPECT_NEAR(f[1], dg, 1e-12) << t << " " << i;
      EXPECT_NEAR(f[2], dl, 1e-12) << t << " " << i;
      largest = std::max(largest, std::abs(dg));
    }
  }
  EXPECT_GT(largest, 0.1);  // the differences are not all trivially small
}

/// r(s^{i+}) - r(s^{i-}) by evaluating the reward at both states (clamped neurons: 0).
std::vector<double> brute_differences(const NetworkModel& model, std::vector<std::uint8_t> on, int x) {
  std::vector<double> out(on.size(), 0.0);
  const std::vector<int> free = model.free_neurons();
  for (int i : free) {
    const std::uint8_t own = on[i];
    on[i] = 1;
    const double up = model.reward.evaluate_spins(model.n, on.data(), x);
    on[i] = 0;
    const double down = model.reward.evaluate_spins(model.n, on.data(), x);
    on[i] = own;
    out[i] = up - down;
  }
  return out;
}

TEST(FieldRegression, RewardFlipDifferencesMatchTheRewardAtBothStates) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  const int n = 10;
  std::vector<double> J(n * n, 0.0), h(n);
  for (int i = 0; i < n; ++i) {
    h[i] = 0.5 * U(rng);
    for (int j = i + 1; j < n; ++j) J[i * n + j] = J[j * n + i] = 0.7 * U(rng);
  }
  std::vector<double> table(2 << n);
  for (double& v : table) v = U(rng);
  NetworkModel model;
  model.n = n;
  model.lambda = 0.2;
  const std::vector<RewardSpec> rewards = {RewardSpec::count({3, 6}), RewardSpec::ring_bump(4), RewardSpec::ring_bump(1),
                                           RewardSpec::ring_bump(n), RewardSpec::table(table),
                                           RewardSpec::planted(J, h, 0.3, 0.15)};
  for (const RewardSpec& r : rewards) {
    model.reward = r;
    const bool planted = r.kind == RewardKind::planted;
    model.input = planted ? InputProcess{} : InputProcess::binary_flip(0.1);
    model.clamps.clear();
    if (!planted) model.clamps.push_back({4, 1});
    parametric::FlipScratch scratch;
    std::vector<double> out(n);
    int nonzero = 0;
    for (int trial = 0; trial < 200; ++trial) {
      // Random states, and bumps of every width near the reward's (contiguous runs with one
      // neuron added or removed are where the ring bump's differences are not zero).
      std::vector<std::uint8_t> on(n);
      for (auto& b : on) b = U(rng) > 0.0 ? 1 : 0;
      if (trial % 2 == 1) {
        const int start = trial % n, width = (trial / 2) % (n + 1);
        for (int k = 0; k < n; ++k) on[(start + k) % n] = k < width ? 1 : 0;
      }
      if (!planted) on[4] = 1;
      const int x = planted ? 0 : trial % 2;
      const double reward = parametric::flip_reward_differences(model, on.data(), x, out.data(), false, &scratch);
      EXPECT_NEAR(reward, r.evaluate_spins(n, on.data(), x), 1e-12);
      const std::vector<double> expected = brute_differences(model, on, x);
      for (double e : expected) nonzero += e != 0.0 ? 1 : 0;
      for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], expected[i], 1e-12) << to_string(r.kind) << " " << trial << " " << i;
      // A float32 solve's differences: float32 arithmetic, n terms of order 1 per difference.
      parametric::FlipScratch single;
      const double reward32 = parametric::flip_reward_differences(model, on.data(), x, out.data(), true, &single);
      EXPECT_NEAR(reward32, reward, 1e-5 * n);
      for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], expected[i], 1e-5 * n) << to_string(r.kind) << " float32 " << i;
    }
    EXPECT_GT(nonzero, 20) << to_string(r.kind) << ": the states must exercise the differences";
  }
}

/// A planted problem with h = 0 and prior 1/2 (the prior loop's fixed point by the symmetry
/// s -> -s): J_ij ~ N(0, (0.25 lambda sqrt(n))^2).
NetworkModel planted_model(int n, double lambda, std::uint64_t seed, std::vector<double>* J) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> N(0.0, 0.25 * lambda * std::sqrt(n));
  J->assign(static_cast<std::size_t>(n * n), 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) (*J)[i * n + j] = (*J)[j * n + i] = N(rng);
  NetworkModel model;
  model.n = n;
  model.lambda = lambda;
  model.reward = RewardSpec::planted(*J, std::vector<double>(n, 0.0), 0.5, lambda);
  return model;
}

double relative_error(const std::vector<double>& learned, const std::vector<double>& truth, int n) {
  double err = 0.0, norm = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      err += std::pow(learned[i * n + j] - truth[i * n + j], 2);
      norm += truth[i * n + j] * truth[i * n + j];
    }
  return std::sqrt(err / norm);
}

/// The parametric solver with the regression on local fields, at most `max_batches` batches.
SolverOptions fields_options(std::uint64_t max_batches) {
  SolverOptions o;
  o.method = Method::parametric;
  o.parametric.regression = ParametricRegression::fields;
  o.parametric.max_batches = max_batches;
  return o;
}

TEST(FieldRegression, RecoversAPlantedValueAndTheExactGainAtN12) {
  std::vector<double> J;
  const NetworkModel model = planted_model(12, 0.2, 12, &J);
  const SolveResult r = solve(model, fields_options(5000));
  EXPECT_TRUE(r.converged) << r.note;
  // The planted value is exactly representable and the targets carry no sampling noise, so the
  // couplings converge to it (measured 1e-5 relative at n = 64), far inside the 1% bound.
  EXPECT_LT(relative_error(r.parametric->J, J, 12), 0.01);
  SolverOptions exact;
  exact.method = Method::policy_iteration;
  const SolveResult optimum = solve(model, exact);
  ASSERT_TRUE(r.parametric->has_exact);
  // The planted optimum's gain is 0 (mean reward and lambda times the coding cost both about
  // 0.17); the learned policy, evaluated at its own last prior, is within 1e-4 of it (measured
  // 1.5e-5), as the value regression's planted tests require.
  EXPECT_NEAR(r.parametric->exact_gain, optimum.gain, 1e-4);
  EXPECT_NEAR(r.prior[0], 0.5, 0.01);
  // The learning curve's field_error, the RMS of the equations this regression fits, is 0 at the
  // planted value (no sampling noise): it falls with the couplings' error, from the first period
  // (J = 0) to the last.
  const std::vector<LearningCurvePoint>& curve = r.parametric->curve;
  ASSERT_GE(curve.size(), 2u);
  for (const LearningCurvePoint& pt : curve) EXPECT_TRUE(std::isfinite(pt.field_error) && pt.field_error >= 0.0);
  // Measured 0.84 -> 1.1e-4 (the TD error 1.0 -> 2.4e-4); bounded at a hundredth.
  EXPECT_LT(curve.back().field_error, 1e-2 * curve.front().field_error);
}

TEST(FieldRegression, LearnsAPlantedN128ValueWhereTheValueRegressionCannotYet) {
  // n = 128 (8128 couplings): the regression on the value needs about 20 F samples (4000
  // batches, docs/parametric.md "Scale"); on local fields each sample gives 128 equations, and
  // the stopping rule's ten periods (1000 batches) suffice.
  std::vector<double> J;
  const NetworkModel model = planted_model(128, 0.1, 128, &J);
  SolverOptions o = fields_options(1000);
  const SolveResult fields = solve(model, o);
  o.parametric.regression = ParametricRegression::value;
  const SolveResult value = solve(model, o);
  EXPECT_TRUE(fields.converged) << fields.note;
  EXPECT_LT(relative_error(fields.parametric->J, J, 128), 0.001);
  EXPECT_GT(relative_error(value.parametric->J, J, 128), 10.0 * relative_error(fields.parametric->J, J, 128));
  EXPECT_NEAR(fields.prior[0], 0.5, 0.01);
  // field_error belongs to the regression on local fields; the value regression reports NaN.
  for (const LearningCurvePoint& pt : value.parametric->curve) EXPECT_TRUE(std::isnan(pt.field_error));
  // Measured 4.8 -> 2.5e-4 on local fields.
  EXPECT_LT(fields.parametric->curve.back().field_error, 1e-2 * fields.parametric->curve.front().field_error);
}

TEST(FieldRegression, SameSeedSameBitsForAnyThreadCount) {
  std::vector<double> J;
  const NetworkModel model = planted_model(40, 0.1, 40, &J);
  SolverOptions o = fields_options(150);
  o.threads = 1;
  const SolveResult one = solve(model, o);
  o.threads = 2;
  const SolveResult two = solve(model, o);
  EXPECT_EQ(one.parametric->J, two.parametric->J);
  EXPECT_EQ(one.parametric->h, two.parametric->h);
  EXPECT_EQ(one.gain, two.gain);
}

}  // namespace
}  // namespace netrl
