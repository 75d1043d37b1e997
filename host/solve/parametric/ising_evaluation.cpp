// Exact evaluation of an Ising policy (docs/parametric.md): the Glauber policy of
// the value v(s, x) = sum_i h_i(x) s_i + sum_{i<j} J_ij s_i s_j at a given prior is the greedy
// policy of that value table, so the exact engine evaluates it: its chain's stationary
// distribution (without input the Gibbs distribution of v, ExactEngine::gibbs_stationary; with
// one by GMRES on the engine's matrix-free products, linear_solve.hpp), then the stationary
// averages of reward, coding cost and firing (ExactEngine::pair_totals).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "solve/linear_solve.hpp"
#include "solve/parametric/parametric_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

PolicyEvaluation evaluate_ising_policy(const NetworkModel& model, const std::vector<double>& J,
                                       const std::vector<double>& h, const std::vector<double>& prior) {
  model.validate();
  const int n = model.n, m = model.m();
  if (n > ParametricOptions::kMaxExactCheckNeurons) {
    throw InvalidInput("n", "the exact evaluation of an Ising policy covers m * 2^n states; n = " + std::to_string(n) +
                                " exceeds its limit " + std::to_string(ParametricOptions::kMaxExactCheckNeurons));
  }
  const auto un = static_cast<std::size_t>(n);
  if (J.size() != un * un) throw InvalidInput("J", "expected n * n = " + std::to_string(un * un) + " couplings");
  if (h.size() != un * static_cast<std::size_t>(m)) {
    throw InvalidInput("h", "expected m * n = " + std::to_string(un * static_cast<std::size_t>(m)) + " fields");
  }
  if (prior.size() != un) throw InvalidInput("prior", "expected n = " + std::to_string(n) + " entries");
  const std::vector<int> free = model.free_neurons();
  const int nf = static_cast<int>(free.size());
  kernels::EngineShape shape;
  shape.nf = nf;
  shape.m = m;
  shape.batch = 1;
  const std::uint64_t nb = shape.network_states(), states = shape.states();
  auto engine = kernels::host::make_exact_engine<double>(shape);

  // Compact state c (bit k = free neuron free[k]) -> spins of the free neurons.
  const std::uint64_t clamp_bits = model.clamp_bits();
  std::vector<double> reward(states), values(states), engine_prior(static_cast<std::size_t>(nf));
  for (int k = 0; k < nf; ++k) {
    const double p = prior[static_cast<std::size_t>(free[static_cast<std::size_t>(k)])];
    if (!(p > 0.0 && p < 1.0)) throw InvalidInput("prior", "the prior of free neuron " + std::to_string(free[k]) + " must lie in (0, 1)");
    engine_prior[static_cast<std::size_t>(k)] = p;
  }
  std::vector<double> sg(static_cast<std::size_t>(nf));
  for (std::uint64_t c = 0; c < nb; ++c) {
    std::uint64_t b = clamp_bits;
    for (int k = 0; k < nf; ++k) {
      const bool on = (c >> k) & 1u;
      sg[static_cast<std::size_t>(k)] = on ? 1.0 : -1.0;
      if (on) b |= std::uint64_t{1} << free[static_cast<std::size_t>(k)];
    }
    double pair = 0.0;
    for (int a = 0; a < nf; ++a)
      for (int d = a + 1; d < nf; ++d)
        pair += J[static_cast<std::size_t>(free[a]) * un + static_cast<std::size_t>(free[d])] * sg[a] * sg[d];
    for (int x = 0; x < m; ++x) {
      double v = pair;
      for (int a = 0; a < nf; ++a) v += h[static_cast<std::size_t>(x) * un + static_cast<std::size_t>(free[a])] * sg[a];
      const std::uint64_t s = static_cast<std::uint64_t>(x) * nb + c;
      values[s] = v;
      reward[s] = model.reward.evaluate(n, b, x);
    }
  }
  engine->set_rewards(reward);
  engine->set_inputs(model.input.T, {1.0});
  engine->set_lambdas({model.lambda});
  engine->set_priors(engine_prior);
  const kernels::Mask one{1};
  engine->set_values(one, values.data());
  engine->prepare_policy(one);

  std::vector<double> mu(states, 1.0 / static_cast<double>(states));
  if (engine->has_gibbs_stationary()) {
    // Without input the Ising policy is the Gibbs sampler of exp(v / (nf lambda)) times the prior:
    // its stationary distribution in closed form.
    std::vector<kernels::MuStats> stats;
    engine->gibbs_distribution(one, 0, &mu, &stats);
    if (stats.front().nonfinite > 0 || !(stats.front().mass > 0.0)) {
      throw NumericalError(
          "Ising policy evaluation: the stationary distribution is not finite (a coupling or field is not finite)");
    }
  } else {
    linear::KrylovOptions krylov;
    krylov.relative_tolerance = 1e-12;
    krylov.max_matvecs = 200000;
    const linear::LinearOperator adjoint = [&](const std::vector<double>& in, std::vector<double>& out) {
      engine->apply_chain(one, true, in.data(), out.data());
    };
    linear::stationary_krylov(adjoint, mu, krylov);
  }
  engine->set_stationary(one, mu.data());
  std::vector<kernels::PairTotals> totals;
  engine->pair_totals(one, &totals);
  const kernels::PairTotals& t = totals.front();

  PolicyEvaluation out;
  out.mean_reward = t.reward / t.mass;
  out.mean_coding_cost = t.cost / t.mass;
  out.gain = out.mean_reward - model.lambda * out.mean_coding_cost;
  out.rates.assign(un, std::numeric_limits<double>::quiet_NaN());
  for (int k = 0; k < nf; ++k) out.rates[static_cast<std::size_t>(free[k])] = t.spike[static_cast<std::size_t>(k)] / t.mass;
  out.spike_count_rows = n + 1;
  out.spike_count_cols = m;
  out.spike_count.assign(static_cast<std::size_t>(n + 1) * static_cast<std::size_t>(m), 0.0);
  const int clamped_on = popcount64(clamp_bits);
  for (int x = 0; x < m; ++x) {
    double slice = 0.0;
    for (std::uint64_t c = 0; c < nb; ++c) slice += mu[static_cast<std::uint64_t>(x) * nb + c];
    for (std::uint64_t c = 0; c < nb; ++c) {
      const double p = mu[static_cast<std::uint64_t>(x) * nb + c];
      out.spike_count[static_cast<std::size_t>(popcount64(c) + clamped_on) * static_cast<std::size_t>(m) +
                      static_cast<std::size_t>(x)] += slice > 0.0 ? p / slice : 0.0;
    }
  }
  out.stationary = std::move(mu);
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
