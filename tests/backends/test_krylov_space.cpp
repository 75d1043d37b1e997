// The Krylov vector spaces (netrl/kernels/vector_space.hpp) on each backend: every vector
// operation against plain loops, the chain space's operations against the engine's own
// (host-pointer) operations, GMRES on the space against GMRES on std::vectors, and policy iteration
// on the device against the host. Built twice (netrl_add_backend_test): test_krylov_space on the
// host backend, test_krylov_space_cuda on the cuda backend (skips without a device, fails then
// under NETRL_REQUIRE_GPU=1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "engine_support.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "solve/exact_solver.hpp"
#include "solve/linear_solve.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

using kernels::kNoSlot;
using test::kBackend;
#if defined(NETRL_TEST_BACKEND_CUDA)
#define NETRL_SPACE_SUITE KrylovSpaceCuda
#else
#define NETRL_SPACE_SUITE KrylovSpace
#endif

class NETRL_SPACE_SUITE : public test::BackendTest {};

/// An engine of kBackend with random rewards, input, lambdas, priors and values, its policy
/// prepared for every problem.
template <class Real>
std::unique_ptr<kernels::ExactEngine<Real>> random_engine(int nf, int m, int batch, std::uint64_t seed) {
  kernels::EngineShape shape;
  shape.nf = nf;
  shape.m = m;
  shape.batch = batch;
  auto engine = test::exact_engine<Real>(shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0), lam(0.2, 0.8), prior(0.1, 0.9);
  const std::size_t total = shape.states() * static_cast<std::size_t>(batch);
  std::vector<Real> reward(total);
  for (Real& r : reward) r = static_cast<Real>(u(rng));
  engine->set_rewards(reward);
  std::vector<double> T, theta(static_cast<std::size_t>(batch), 1.0), lambdas, priors;
  for (int q = 0; q < batch; ++q) {
    const InputProcess in = test::random_input(m, rng);
    T.insert(T.end(), in.T.begin(), in.T.end());
    lambdas.push_back(lam(rng));
    for (int i = 0; i < nf; ++i) priors.push_back(prior(rng));
  }
  engine->set_inputs(T, theta);
  engine->set_lambdas(lambdas);
  engine->set_priors(priors);
  std::vector<double> h(total);
  for (double& x : h) x = u(rng) - 0.5;
  const kernels::Mask all(static_cast<std::size_t>(batch), 1);
  engine->set_values(all, h.data());
  engine->prepare_policy(all);
  return engine;
}

std::vector<double> random_vector(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

std::vector<double> get(kernels::VectorSpace& S, int slot) {
  std::vector<double> v(S.size());
  S.download(slot, v.data());
  return v;
}

/// Element-wise agreement to a few roundings of values of order one (fused multiply-adds may
/// round once where the loop below rounds twice).
void expect_elementwise(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t j = 0; j < got.size(); ++j) ASSERT_NEAR(got[j], want[j], test::rounding(8)) << what << " entry " << j;
}

/// Every operation of a space of at least 8 slots against plain loops on the host.
void check_operations(kernels::VectorSpace& S, std::uint64_t seed) {
  const std::size_t n = S.size();
  std::mt19937_64 rng(seed);
  const std::vector<double> x = random_vector(n, rng), y = random_vector(n, rng), w = random_vector(n, rng),
                            t = random_vector(n, rng);
  S.upload(0, x.data());
  S.upload(1, y.data());
  S.upload(2, w.data());
  S.upload(3, t.data());
  std::vector<double> want(n);

  S.fill(4, 0.375);
  for (double e : get(S, 4)) ASSERT_EQ(e, 0.375);

  // axpby with every term, then into a slot holding NaN (b = 0: y is not read), then a = 0.
  S.axpby(1.0, 1, 0.0, 4, 0.0);
  S.axpby(0.5, 0, -2.0, 4, 0.25);
  for (std::size_t j = 0; j < n; ++j) want[j] = 0.5 * x[j] - 2.0 * y[j] + 0.25;
  expect_elementwise(get(S, 4), want, "axpby");
  S.fill(5, std::numeric_limits<double>::quiet_NaN());
  S.axpby(-1.5, 2, 0.0, 5, 1.0);
  for (std::size_t j = 0; j < n; ++j) want[j] = -1.5 * w[j] + 1.0;
  expect_elementwise(get(S, 5), want, "axpby into an unset slot");
  S.axpby(0.0, kNoSlot, 3.0, 5, -1.0);
  for (std::size_t j = 0; j < n; ++j) want[j] = 3.0 * (-1.5 * w[j] + 1.0) - 1.0;
  expect_elementwise(get(S, 5), want, "axpby without x");

  S.deflate(0, 3, 2, 0.75, -0.125, 6);
  for (std::size_t j = 0; j < n; ++j) want[j] = x[j] - t[j] + 0.75 * w[j] - 0.125;
  expect_elementwise(get(S, 6), want, "deflate");
  S.deflate(0, kNoSlot, kNoSlot, 0.75, 0.0, 6);
  for (std::size_t j = 0; j < n; ++j) want[j] = x[j] + 0.75;
  expect_elementwise(get(S, 6), want, "deflate by ones");

  S.axpby(1.0, 0, 0.0, 7, 0.0);
  S.clamp_scale(2.0, 7);
  for (std::size_t j = 0; j < n; ++j) want[j] = std::max(x[j], 0.0) * 2.0;
  expect_elementwise(get(S, 7), want, "clamp_scale");

  // Reductions: within n roundings of the exact sums (computed in long double).
  long double dot = 0.0L, sum = 0.0L, mass = 0.0L;
  double lowest = x[0], amax = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    dot += static_cast<long double>(x[j]) * y[j];
    sum += x[j];
    mass += std::abs(x[j]);
    lowest = std::min(lowest, x[j]);
    amax = std::max(amax, std::abs(x[j]));
  }
  const double reduce_tol = static_cast<double>(n) * test::rounding(1) * static_cast<double>(mass);
  EXPECT_NEAR(S.dot(0, 1), static_cast<double>(dot), reduce_tol);
  const kernels::VectorStats st = S.stats(0);
  EXPECT_NEAR(st.sum, static_cast<double>(sum), reduce_tol);
  EXPECT_EQ(st.min, lowest);
  EXPECT_EQ(st.max_abs, amax);
  EXPECT_EQ(st.nonfinite, 0u);
  std::vector<double> bad = x;
  bad[n / 3] = std::numeric_limits<double>::quiet_NaN();
  bad[n - 1] = -std::numeric_limits<double>::infinity();
  S.upload(7, bad.data());
  EXPECT_EQ(S.stats(7).nonfinite, n / 3 == n - 1 ? 1u : 2u);

  // The basis products: h_i = V_i . w and w += V c over slots 0..3.
  double h[4];
  S.dots(0, 4, 2, h);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(h[i], S.dot(i, 2), reduce_tol) << "dots " << i;
  const double c[3] = {0.5, -1.0, 2.0};
  S.axpby(1.0, 3, 0.0, 6, 0.0);
  S.combine(0, 3, c, 6);
  for (std::size_t j = 0; j < n; ++j) want[j] = t[j] + 0.5 * x[j] - 1.0 * y[j] + 2.0 * w[j];
  expect_elementwise(get(S, 6), want, "combine");

  // Slots outside the space: an InvalidInput naming "slot", before anything runs.
  try {
    S.fill(S.slots(), 0.0);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "slot");
  }
  EXPECT_THROW(S.dots(S.slots() - 2, 3, 0, h), InvalidInput);
  EXPECT_THROW(S.axpby(1.0, -7, 1.0, 0, 0.0), InvalidInput);
}

TEST_F(NETRL_SPACE_SUITE, VectorOperationsMatchPlainLoops) {
  // A batch's chain space: 3 * 2^13 entries (many chunks and blocks), and a small one.
  for (const auto& [nf, m] : {std::pair<int, int>{13, 3}, std::pair<int, int>{2, 1}}) {
    auto engine = random_engine<double>(nf, m, 2, 11);
    const auto S = engine->chain_space(8);
    EXPECT_EQ(S->size(), engine->shape().states());
    EXPECT_EQ(S->slots(), 8);
    check_operations(*S, 100 + static_cast<std::uint64_t>(nf));
  }
#if !defined(NETRL_TEST_BACKEND_CUDA)
  // Plain host spaces, with a short last chunk.
  for (std::uint64_t n : {1u, 5001u, 70001u}) {
    const auto S = kernels::host::make_vector_space(n, 8);
    check_operations(*S, n);
  }
  EXPECT_THROW(kernels::host::make_vector_space(0, 8), InvalidInput);
  EXPECT_THROW(kernels::host::make_vector_space(8, 0), InvalidInput);
#endif
}

/// The chain space's operations are the engine's own: results equal those of the host-pointer
/// interface bit for bit (the same sweeps; only the transfers differ), on one problem of a batch,
/// leaving the other problems alone.
template <class Real>
void check_chain_operations() {
  const int nf = 6, m = 2, B = 3, q = 1;
  auto engine = random_engine<Real>(nf, m, B, 21);
  const auto S = engine->chain_space(4);
  const std::size_t N = engine->shape().states();
  std::mt19937_64 rng(22);
  const std::vector<double> x = random_vector(N, rng);
  std::vector<double> batch_x(N * B, 0.0), batch_y(N * B, 0.0);
  std::copy(x.begin(), x.end(), batch_x.begin() + static_cast<std::ptrdiff_t>(q * N));
  kernels::Mask one(B, 0);
  one[q] = 1;
  S->upload(0, x.data());
  for (bool adjoint : {false, true}) {
    S->apply_chain(q, adjoint, 0, 1);
    engine->apply_chain(one, adjoint, batch_x.data(), batch_y.data());
    const std::vector<double> got = get(*S, 1);
    for (std::size_t s = 0; s < N; ++s) ASSERT_EQ(got[s], batch_y[q * N + s]) << "adjoint " << adjoint << " state " << s;
  }
  S->policy_reward(q, 2);
  engine->policy_reward(one, batch_y.data());
  const std::vector<double> g = get(*S, 2);
  for (std::size_t s = 0; s < N; ++s) ASSERT_EQ(g[s], batch_y[q * N + s]) << "policy reward, state " << s;

  std::vector<double> before0, before2, after;
  engine->download_values(0, &before0);
  engine->download_values(2, &before2);
  S->set_values(q, 0);
  engine->download_values(q, &after);
  for (std::size_t s = 0; s < N; ++s) ASSERT_EQ(after[s], static_cast<double>(static_cast<Real>(x[s])));
  engine->download_values(0, &after);
  EXPECT_EQ(after, before0);
  engine->download_values(2, &after);
  EXPECT_EQ(after, before2);
  S->set_stationary(q, 0);
  engine->download_stationary(q, &after);
  for (std::size_t s = 0; s < N; ++s) ASSERT_EQ(after[s], static_cast<double>(static_cast<Real>(x[s])));
  try {
    S->apply_chain(B, false, 0, 1);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "problem");
  }
}

TEST_F(NETRL_SPACE_SUITE, ChainOperationsMatchTheEngine) {
  check_chain_operations<double>();
  check_chain_operations<float>();
}

/// GMRES on the engine's space (the device on CUDA) against GMRES on std::vectors over the
/// engine's host-pointer chain (host memory): the same stationary distribution, gain and bias
/// within 1e-10, at the solves' tolerance 1e-12.
TEST_F(NETRL_SPACE_SUITE, GmresOnTheSpaceMatchesTheVectorInterface) {
  for (const auto& [nf, m] : {std::pair<int, int>{4, 3}, std::pair<int, int>{11, 1}}) {
    auto engine = random_engine<double>(nf, m, 1, 31 + static_cast<std::uint64_t>(nf));
    const std::size_t N = engine->shape().states();
    const kernels::Mask one(1, 1);
    linear::KrylovOptions opt;
    opt.relative_tolerance = 1e-12;
    const auto chain = [&](bool adjoint) {
      return [&engine, &one, adjoint](const std::vector<double>& x, std::vector<double>& y) {
        engine->apply_chain(one, adjoint, x.data(), y.data());
      };
    };
    std::vector<double> mu(N, 1.0 / static_cast<double>(N)), v, g(N);
    linear::stationary_krylov(chain(true), mu, opt);
    engine->policy_reward(one, g.data());
    double gain = 0.0;
    linear::evaluate_krylov(chain(false), g, mu, v, &gain, opt);

    const auto S = engine->chain_space(3 + linear::krylov_work_slots(opt));
    const int smu = 0, sv = 1, sg = 2, work = 3;
    S->fill(smu, 1.0 / static_cast<double>(N));
    S->fill(sv, 0.0);
    const auto apply = [&S](bool adjoint) {
      return [&S, adjoint](int x, int y) { S->apply_chain(0, adjoint, x, y); };
    };
    const auto rep_mu = linear::stationary_krylov(*S, apply(true), smu, work, opt);
    S->policy_reward(0, sg);
    double gain_space = 0.0;
    const auto rep_v = linear::evaluate_krylov(*S, apply(false), sg, smu, sv, &gain_space, work, opt);
    const std::string label = "nf " + std::to_string(nf) + " m " + std::to_string(m);
    EXPECT_LE(rep_mu.relative_residual, opt.relative_tolerance) << label;
    EXPECT_LE(rep_v.relative_residual, opt.relative_tolerance) << label;
    EXPECT_GT(rep_mu.matvecs, 1) << label;
    EXPECT_NEAR(gain_space, gain, 1e-10) << label;
    const std::vector<double> mu_space = get(*S, smu), v_space = get(*S, sv);
    double vscale = 1.0;
    for (double e : v) vscale = std::max(vscale, std::abs(e));
    for (std::size_t s = 0; s < N; ++s) {
      ASSERT_NEAR(mu_space[s], mu[s], 1e-10) << label << " mu, state " << s;
      ASSERT_NEAR(v_space[s], v[s], 1e-10 * vscale) << label << " v, state " << s;
    }
  }
}

TEST_F(NETRL_SPACE_SUITE, SolvesNeedTheirWorkSlots) {
  auto engine = random_engine<double>(3, 1, 1, 41);
  linear::KrylovOptions opt;
  opt.restart = 10;
  const auto S = engine->chain_space(2 + linear::krylov_work_slots(opt) - 1);
  S->fill(0, 1.0 / 8.0);
  try {
    linear::stationary_krylov(*S, [&](int x, int y) { S->apply_chain(0, true, x, y); }, 0, 2, opt);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "space");
  }
}

#if defined(NETRL_TEST_BACKEND_CUDA)
/// Policy iteration with its GMRES on the device reaches the host's fixed point: the gain within
/// 1e-10, priors, values and stationary distribution within 1e-8 (tolerances 1e-12, as
/// ExactSolver's PolicyIterationMatchesValueIteration): a count network (m = 1) and a random
/// network with an input, full prior loop.
TEST_F(NETRL_SPACE_SUITE, PolicyIterationOnTheDeviceMatchesTheHost) {
  std::mt19937_64 rng(51);
  std::vector<NetworkModel> models;
  NetworkModel count;
  count.n = 10;
  count.input = InputProcess::none();
  count.reward = RewardSpec::count({3});
  count.lambda = 0.1;
  count.prior_mode = PriorMode::population;
  models.push_back(count);
  models.push_back(test::random_network(7, 3, PriorMode::neuron, rng, 0.3));
  for (const NetworkModel& model : models) {
    SolverOptions opt;
    opt.method = Method::policy_iteration;
    opt.tol = 1e-12;
    opt.prior_tol = 1e-13;
    opt.backend = Backend::host;
    const SolveResult host = exact::solve(model, opt);
    opt.backend = Backend::cuda;
    const SolveResult cuda = exact::solve(model, opt);
    ASSERT_TRUE(host.converged && cuda.converged) << host.note << " / " << cuda.note;
    EXPECT_NEAR(cuda.gain, host.gain, 1e-10);
    EXPECT_LE(cuda.krylov_residual, 1e-10);
    ASSERT_EQ(cuda.values.size(), host.values.size());
    double scale = 1.0;
    for (double v : host.values)
      if (!std::isnan(v)) scale = std::max(scale, std::abs(v));
    for (std::size_t s = 0; s < host.values.size(); ++s) {
      if (std::isnan(host.values[s])) continue;
      ASSERT_NEAR(cuda.values[s], host.values[s], 1e-8 * scale) << "state " << s;
      ASSERT_NEAR(cuda.stationary[s], host.stationary[s], 1e-8) << "state " << s;
    }
    for (std::size_t i = 0; i < host.prior.size(); ++i) EXPECT_NEAR(cuda.prior[i], host.prior[i], 1e-8);
  }
}
#endif

}  // namespace
}  // namespace netrl
