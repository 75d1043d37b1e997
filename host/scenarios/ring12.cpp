// The ring attractor of the paper (fig. 5) and its reward models (fig. 6): the ring12 problems,
// the coupling profile against ring distance, the bump's drift, and the whole experiment.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/sample.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

/// Neurons clamped active in "ring12-clamped" (two neighbours: the bump can still sit on them).
constexpr int kClampedA = 0;
constexpr int kClampedB = 1;

}  // namespace

std::vector<std::string> ring12_scenario_names() {
  return {"ring12", "ring12-lambda0.1", "ring12-local", "ring12-clamped"};
}

Problem ring12_scenario(const std::string& name) {
  Problem p;
  p.kind = ModelKind::network;
  p.source = "scenario " + name;
  NetworkModel& net = p.network;
  net.n = 12;
  net.reward = RewardSpec::ring_bump(4);
  net.prior_mode = PriorMode::population;
  net.lambda = 0.05;
  p.solver.method = Method::parametric;
  p.solver.parametric.batch = 40;
  p.solver.parametric.target_period = 100;
  // A constant rate, as in the paper: the default 1/k decay after 2000 batches stops the ring
  // before it has learned the bump (exact gain 0.01 against 0.62 for the best pairwise policy).
  p.solver.parametric.decay_batches = 0;
  // The paper's step (measured with it: docs/parametric.md). With the curvature and horizon steps
  // ring12 reaches 98.9% of the best pairwise policy in 7300 batches, but at a constant rate their
  // larger steps keep |dphi| above tol (not converged after 150000 batches).
  p.solver.parametric.curvature_step = false;
  p.solver.parametric.horizon_step = false;
  if (name == "ring12-lambda0.1") {
    net.lambda = 0.1;
  } else if (name == "ring12-local") {
    net.lambda = 0.01;
    p.solver.parametric.coupling_mask = ring_coupling_mask(net.n, 2);
    // At lambda 0.01 the chains fall silent before the value has learned the bump, and a prior
    // that follows them to the clip makes silence free: the prior stays at p0 for the first 5000
    // batches (measured: seeds 0-3 learn the bump from 2000 on, none with 1000 or fewer).
    p.solver.parametric.prior_warmup = 5000;
  } else if (name == "ring12-clamped") {
    net.lambda = 0.1;
    net.clamps = {Clamp{kClampedA, 1}, Clamp{kClampedB, 1}};
  } else if (name != "ring12") {
    throw InvalidInput("scenario", "unknown ring scenario \"" + name + "\"");
  }
  return p;
}

RingProfile coupling_profile(const std::vector<double>& J, const NetworkModel& model, const std::vector<double>& mask) {
  const int n = model.n;
  const auto un = static_cast<std::size_t>(n);
  if (J.size() != un * un) throw InvalidInput("J", "expected n * n couplings");
  const std::vector<int> free = model.free_neurons();
  RingProfile p;
  const int D = n / 2;
  p.mean.assign(static_cast<std::size_t>(D) + 1, kNaN);
  p.sd.assign(static_cast<std::size_t>(D) + 1, kNaN);
  p.pairs.assign(static_cast<std::size_t>(D) + 1, 0);
  std::vector<double> sum(static_cast<std::size_t>(D) + 1, 0.0), sq(static_cast<std::size_t>(D) + 1, 0.0);
  for (std::size_t a = 0; a < free.size(); ++a)
    for (std::size_t b = a + 1; b < free.size(); ++b) {
      const std::size_t i = static_cast<std::size_t>(free[a]), j = static_cast<std::size_t>(free[b]);
      if (!mask.empty() && mask[i * un + j] == 0.0) continue;
      const auto d = static_cast<std::size_t>(ring_distance(n, free[a], free[b]));
      sum[d] += J[i * un + j];
      sq[d] += J[i * un + j] * J[i * un + j];
      ++p.pairs[d];
    }
  for (std::size_t d = 1; d <= static_cast<std::size_t>(D); ++d) {
    const double k = p.pairs[d];
    if (k == 0) continue;
    p.mean[d] = sum[d] / k;
    p.sd[d] = k > 1 ? std::sqrt(std::max(0.0, (sq[d] - k * p.mean[d] * p.mean[d]) / (k - 1))) : 0.0;
  }
  return p;
}

double bump_position(const std::uint8_t* on, int n) {
  double c = 0.0, s = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!on[i]) continue;
    const double angle = 2.0 * kPi * i / n;
    c += std::cos(angle);
    s += std::sin(angle);
  }
  // No bump (no active neuron, or activity spread evenly round the ring): undefined.
  if (std::hypot(c, s) < 1e-9) return kNaN;
  return std::atan2(s, c);
}

BumpDrift bump_drift(const std::vector<Raster>& rasters, std::uint64_t max_lag) {
  BumpDrift out;
  for (std::uint64_t lag = 0; lag <= max_lag; lag = lag < 16 ? lag + 1 : lag + std::max<std::uint64_t>(1, lag / 4)) {
    out.lag.push_back(lag);
  }
  const std::size_t L = out.lag.size();
  std::vector<double> cos_sum(L, 0.0), sq_sum(L, 0.0);
  out.pairs.assign(L, 0);
  for (const Raster& r : rasters) {
    // Positions, unwrapped across undefined samples (a jump is taken the short way round).
    std::vector<double> pos(r.steps, kNaN), unwrapped(r.steps, kNaN);
    double last = kNaN, acc = 0.0;
    for (std::uint64_t t = 0; t < r.steps; ++t) {
      pos[t] = bump_position(&r.states[t * static_cast<std::uint64_t>(r.n)], r.n);
      if (std::isnan(pos[t])) continue;
      if (!std::isnan(last)) {
        double d = pos[t] - last;
        d -= 2.0 * kPi * std::round(d / (2.0 * kPi));
        acc += d;
      } else {
        acc = pos[t];
      }
      unwrapped[t] = acc;
      last = pos[t];
    }
    for (std::size_t k = 0; k < L; ++k) {
      const std::uint64_t lag = out.lag[k];
      for (std::uint64_t t = 0; t + lag < r.steps; ++t) {
        if (std::isnan(pos[t]) || std::isnan(pos[t + lag])) continue;
        cos_sum[k] += std::cos(pos[t + lag] - pos[t]);
        const double d = unwrapped[t + lag] - unwrapped[t];
        sq_sum[k] += d * d;
        ++out.pairs[k];
      }
    }
  }
  out.autocorrelation.assign(L, kNaN);
  out.mean_squared_displacement.assign(L, kNaN);
  for (std::size_t k = 0; k < L; ++k) {
    if (out.pairs[k] == 0) continue;
    out.autocorrelation[k] = cos_sum[k] / static_cast<double>(out.pairs[k]);
    out.mean_squared_displacement[k] = sq_sum[k] / static_cast<double>(out.pairs[k]);
  }
  return out;
}

namespace {

std::vector<double> all_couplings(int n) {
  const auto un = static_cast<std::size_t>(n);
  std::vector<double> mask(un * un, 1.0);
  for (std::size_t i = 0; i < un; ++i) mask[i * un + i] = 0.0;
  return mask;
}

/// Samples of the learned policy (`how`: chains and recorded sweeps each, one sample per sweep of
/// n steps) after 100 sweeps of burn-in; rasters of every chain when asked.
SampleResult sample_learned(const Problem& p, const SolveResult& r, const LearnedSampling& how, std::uint64_t seed,
                            bool rasters) {
  const ParametricSolution& s = *r.parametric;
  std::vector<double> prior = r.prior;
  for (double& v : prior)
    if (std::isnan(v)) v = 0.5;  // clamped neurons: ignored by the sampler
  const SamplerPolicy policy = SamplerPolicy::ising(s.J, s.h_policy, prior);
  SamplingOptions o;
  o.chains = how.chains;
  const auto n = static_cast<std::uint64_t>(p.network.n);
  o.burn_in = 100 * n;
  o.steps = how.sweeps * n;
  o.thin = n;
  o.seed = seed;
  o.histogram = true;
  if (rasters)
    for (std::uint64_t c = 0; c < how.chains; ++c) o.raster_chains.push_back(c);
  return sample(p.network, policy, o);
}

}  // namespace

Ring12Options ring12_quick_options() {
  Ring12Options o;
  o.max_batches = 25000;
  o.drift = {4, 4000};
  o.max_lag = 400;
  o.inverse = {20, 5000};
  return o;
}

Ring12Result ring12_experiment(const Ring12Options& opt) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> all = ring12_scenario_names();
  const std::vector<std::string> names = opt.settings.empty() ? all : opt.settings;
  for (const std::string& name : names)
    if (std::find(all.begin(), all.end(), name) == all.end())
      throw InvalidInput("settings", "unknown ring12 setting \"" + name + "\"");
  if (opt.with_inverse && names.front() != all.front())
    throw InvalidInput("settings", "the inverse (fig. 6) learns from the \"ring12\" setting: list it first");
  if (opt.drift.chains == 0) throw InvalidInput("drift.chains", "must be at least 1");
  Ring12Result out;
  out.options = opt;
  SolverOptions exact_options;
  exact_options.method = Method::policy_iteration;
  for (const std::string& name : names) {
    Ring12Setting s;
    s.name = name;
    s.problem = ring12_scenario(name);
    s.problem.solver.parametric.seed = opt.seed;
    s.problem.solver.parametric.max_batches = opt.max_batches;
    // The parametric solver refuses the reference backend: the host backend runs instead.
    s.problem.solver.backend = opt.backend == Backend::reference ? Backend::host : opt.backend;
    if (opt.progress) opt.progress("solving " + name + " (parametric)");
    s.result = solve(s.problem);
    const std::vector<double>& mask = s.problem.solver.parametric.coupling_mask;
    s.profile = coupling_profile(s.result.parametric->J, s.problem.network, mask);
    const SampleResult drift = sample_learned(s.problem, s.result, opt.drift, opt.seed, true);
    s.drift = bump_drift(drift.stats.rasters, opt.max_lag);
    s.raster = drift.stats.rasters.front();
    s.raster.steps = std::min<std::uint64_t>(s.raster.steps, opt.raster_sweeps);
    s.raster.states.resize(s.raster.steps * static_cast<std::uint64_t>(s.raster.n));
    if (!s.raster.inputs.empty()) s.raster.inputs.resize(s.raster.steps);
    // The best policy of the pairwise family (exact gain, maximised over (J, h) within the prior
    // loop) and the exact optimum, for the approximation gap.
    if (opt.progress) opt.progress("the best pairwise policy and the optimum of " + name + " (exact)");
    Problem exact = s.problem;
    exact.solver = exact_options;
    std::vector<double> J, h;
    const SolveResult best = inverse::solve_ising(exact.network, mask.empty() ? all_couplings(12) : mask,
                                                  exact.solver, &J, &h);
    s.best_quadratic_gain = best.gain;
    s.optimum_gain = solve(exact).gain;
    out.settings.push_back(std::move(s));
  }
  // The predictions of fig. 6: the three changes of ring12, solved exactly (the local one within
  // its masked pairwise family).
  for (std::size_t k = 1; k < all.size(); ++k) {
    inverse::PredictionSpec spec;
    spec.name = all[k];
    spec.setting = ring12_scenario(all[k]);
    spec.coupling_mask = spec.setting.solver.parametric.coupling_mask;
    spec.setting.solver = exact_options;
    out.prediction_names.push_back(spec.name);
    out.predictions.push_back(spec);
  }
  if (!opt.with_inverse) {
    out.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  // Inverse RL from the ring12 dynamics, with each reward model, and its predictions.
  const Ring12Setting& base = out.settings.front();
  if (opt.progress) opt.progress("sampling the ring12 dynamics for the inverse");
  const SampleResult data = sample_learned(base.problem, base.result, opt.inverse, opt.seed + 1, false);
  InferData d;
  d.kind = InferData::Kind::samples;
  d.counts = inverse::sampled_counts(base.problem.network,
                                     std::vector<double>(data.stats.histogram.begin(), data.stats.histogram.end()), {});
  d.description = "samples of the learned ring12 policy";
  for (inverse::RewardModel model : {inverse::RewardModel::sparse, inverse::RewardModel::pairwise,
                                     inverse::RewardModel::global}) {
    if (opt.progress) opt.progress(std::string("inverse with the ") + inverse::to_string(model) + " reward model");
    InferSettings c;
    c.problem = base.problem;
    c.problem.solver = exact_options;
    c.has_truth = true;
    c.method = InferMethod::parametric;
    c.reward_model = model;
    c.predictions = opt.predict ? out.predictions : std::vector<inverse::PredictionSpec>{};
    c.source = "ring12 experiment";
    out.models.push_back(infer(c, d));
  }
  out.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
