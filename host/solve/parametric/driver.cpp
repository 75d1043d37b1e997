// The parametric solver's SGD loop (parametric_solver.hpp; docs/parametric.md).
//
// Per batch k: every chain takes `sample_interval` steps of the current policy before each of
// its batch / chains samples; the kernels return each sample's value v_phi, its backup
// g = vhat - r + L and its coding cost; the reward is evaluated here; with the TD error
// delta = v_phi - (r + g - Lbar), every parameter moves by -rate_k delta f / scale (eq. 43),
// scale = the batch's curvature lambda_max (curvature_step, batch_curvature.hpp) or its bound
// samples * F; with horizon_step delta less the couplings' linear backup, and J's step nf / 2
// times larger. Every target_period batches the target (Jbar, hbar, cbar, Lbar) takes the current
// values, the prior takes the period's mean firing probability sum rho_i / samples (population:
// its mean over free neurons), and the stopping rule is checked.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "sample/sampler_plan.hpp"
#include "solve/parametric/batch_curvature.hpp"
#include "solve/parametric/field_regression.hpp"
#include "solve/parametric/parametric_solver.hpp"
#include "solve/parametric/plan.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {
namespace {

constexpr int kGainBlocks = 10;  // blocks of a target period for the standard error of its gain
constexpr int kFieldsHintNeurons = 128;  // a value regression left unconverged from here names "fields"

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

/// Standard error of the mean of `v` from its spread (0 for fewer than 2 entries).
double standard_error(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double mu = mean(v);
  double ss = 0.0;
  for (double x : v) ss += (x - mu) * (x - mu);
  return std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
}

/// The SGD state kept on the host: fields and offsets of the value, the target's, the prior.
struct Parameters {
  std::vector<double> h, c;      // m * n, m
  std::vector<double> hbar, cbar;
  std::vector<double> prior;     // n (free entries used)
};

/// sum_x' T(x'|x) v(x') for v of m rows of `width` entries.
std::vector<double> input_average(const InputProcess& in, const std::vector<double>& v, std::size_t width) {
  const auto m = static_cast<std::size_t>(in.m);
  std::vector<double> out(m * width, 0.0);
  for (std::size_t x = 0; x < m; ++x)
    for (std::size_t y = 0; y < m; ++y) {
      const double t = in(static_cast<int>(x), static_cast<int>(y));
      if (t == 0.0) continue;
      for (std::size_t i = 0; i < width; ++i) out[x * width + i] += t * v[y * width + i];
    }
  return out;
}

kernels::ParametricSmall small_parameters(const NetworkModel& model, const Plan& p, const Parameters& q) {
  kernels::ParametricSmall s;
  const auto un = static_cast<std::size_t>(p.n);
  s.ht = input_average(model.input, q.h, un);
  s.h = q.h;
  s.c = q.c;
  s.hbt = input_average(model.input, q.hbar, un);
  s.cbt = input_average(model.input, q.cbar, 1);
  s.logit_p.assign(un, 0.0);
  s.log_p.assign(un, 0.0);
  s.log_q.assign(un, 0.0);
  for (int i : p.free) {
    const double pr = q.prior[static_cast<std::size_t>(i)];
    s.log_p[static_cast<std::size_t>(i)] = std::log(pr);
    s.log_q[static_cast<std::size_t>(i)] = std::log1p(-pr);
    s.logit_p[static_cast<std::size_t>(i)] = s.log_p[static_cast<std::size_t>(i)] - s.log_q[static_cast<std::size_t>(i)];
  }
  return s;
}

kernels::ParametricSetup engine_setup(const NetworkModel& model, const Plan& p, const ParametricOptions& po) {
  kernels::ParametricSetup s;
  s.n = p.n;
  s.nf = static_cast<std::uint32_t>(p.nf);
  s.m = static_cast<std::uint32_t>(p.m);
  s.chains = p.chains;
  s.batch = p.batch;
  s.explore = p.explore;
  s.seed = po.seed;
  s.free_list = p.free;
  s.clamp_state.assign(static_cast<std::size_t>(p.n), 0);
  for (const Clamp& c : model.clamps) s.clamp_state[static_cast<std::size_t>(c.neuron)] = c.state > 0 ? 2 : 1;
  s.input_cdf = sampling::input_cdf(model.input);
  if (!po.coupling_mask.empty()) {
    s.mask.resize(po.coupling_mask.size());
    for (std::size_t k = 0; k < s.mask.size(); ++k) s.mask[k] = po.coupling_mask[k] != 0.0 ? 1 : 0;
  }
  s.lambda = model.lambda;
  s.inv_temperature = 1.0 / (p.nf * model.lambda);
  s.coupling = 2.0 * s.inv_temperature;
  s.flips = p.fields;
  return s;
}

/// Statistics of one target period.
struct Period {
  std::vector<double> batch_gain, batch_reward, batch_cost;  // per batch means
  double td_sq = 0.0;
  double field_sq = 0.0;  // sum over batches of the field equations' mean square error
  std::uint64_t samples = 0;
  std::vector<double> rho;           // n: sum of rho_i
  std::vector<double> spike_count;   // (n + 1) * m counts
  std::vector<double> input_count;   // m

  void reset(int n, int m) {
    batch_gain.clear();
    batch_reward.clear();
    batch_cost.clear();
    td_sq = 0.0;
    field_sq = 0.0;
    samples = 0;
    rho.assign(static_cast<std::size_t>(n), 0.0);
    spike_count.assign(static_cast<std::size_t>(n + 1) * static_cast<std::size_t>(m), 0.0);
    input_count.assign(static_cast<std::size_t>(m), 0.0);
  }
  /// Standard error of the period's gain from kGainBlocks blocks of consecutive batches.
  double gain_se() const {
    const std::size_t B = batch_gain.size();
    const std::size_t blocks = std::min<std::size_t>(kGainBlocks, B);
    if (blocks < 2) return 0.0;
    std::vector<double> means(blocks, 0.0);
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t lo = b * B / blocks, hi = (b + 1) * B / blocks;
      for (std::size_t k = lo; k < hi; ++k) means[b] += batch_gain[k];
      means[b] /= static_cast<double>(hi - lo);
    }
    return standard_error(means);
  }
};

/// reward[s] = r(sample s) for every sample of the batch, the samples spread over the threads
/// when the work is large (a planted reward costs n^2 per sample); each entry is computed alone,
/// so the values do not depend on the number of threads.
void evaluate_rewards(const NetworkModel& model, const Plan& p, const kernels::ParametricBatch& batch,
                      std::vector<double>* reward) {
  const auto un = static_cast<std::size_t>(p.n);
  const auto count = static_cast<std::int64_t>(p.samples());
  double* out = reward->data();
#pragma omp parallel for schedule(dynamic, 1) if (rewards_in_parallel(model, p.samples()))
  for (std::int64_t s = 0; s < count; ++s) {
    const auto k = static_cast<std::size_t>(s);
    out[k] = model.reward.evaluate_spins(p.n, &batch.on[k * un], static_cast<int>(batch.x[k]));
  }
}

/// The stopping rule (ParametricOptions::tol, gain_tol, window) on the learning curve.
bool stopping_rule(const std::vector<LearningCurvePoint>& curve, const ParametricOptions& po) {
  const std::size_t w = po.window;
  if (curve.size() < 2 * w) return false;
  std::vector<double> now, before;
  for (std::size_t e = curve.size() - w; e < curve.size(); ++e) {
    if (!(curve[e].phi_change < po.tol)) return false;
    now.push_back(curve[e].gain);
    before.push_back(curve[e - w].gain);
  }
  const double se_now = w >= 2 ? standard_error(now) : curve.back().gain_se;
  const double se_before = w >= 2 ? standard_error(before) : curve[curve.size() - 1 - w].gain_se;
  const double gain = mean(now);
  return std::abs(gain - mean(before)) <= po.gain_tol * std::abs(gain) + 2.0 * std::hypot(se_now, se_before);
}

template <class Real>
SolveResult run(const NetworkModel& model, const SolverOptions& options, const Plan& p) {
  const auto start = std::chrono::steady_clock::now();
  const ParametricOptions& po = options.parametric;
  const auto un = static_cast<std::size_t>(p.n);
  const auto um = static_cast<std::size_t>(p.m);
  const kernels::ParametricSetup setup = engine_setup(model, p, po);
  std::unique_ptr<kernels::ParametricEngine<Real>> engine =
      p.cuda ? kernels::cuda::make_parametric_engine<Real>(setup) : kernels::host::make_parametric_engine<Real>(setup);

  Parameters q;
  q.h.assign(um * un, 0.0);
  q.c.assign(um, 0.0);
  q.hbar = q.h;
  q.cbar = q.c;
  q.prior.assign(un, options.p0);
  double Lbar = 0.0;
  engine->set_couplings(std::vector<double>(un * un, 0.0));
  engine->set_small(small_parameters(model, p, q));
  engine->advance(p.burn_in);

  SolveResult res;
  ParametricSolution sol;
  sol.n = p.n;
  sol.m = p.m;
  std::uint64_t chain_steps = p.burn_in * p.chains;
  Period period;
  period.reset(p.n, p.m);
  std::deque<Period> recent;  // the last `window` periods (their spike counts)
  std::vector<double> a(p.samples()), delta(p.samples()), reward(p.samples());
  std::vector<double> a_rows, reward_flips;  // the regression on local fields
  // Whether any sample's reward (or, on local fields, any flip's reward difference) differed
  // from the first sample's: if none did, the value cannot learn anything (the result's note).
  double first_reward = std::numeric_limits<double>::quiet_NaN();
  bool reward_varied = false;
  kernels::ParametricBatch batch;
  BatchCurvature curvature(p.n, p.free, po.coupling_mask, p.samples());
  bool converged = false;
  std::vector<double> prior_used = q.prior;
  std::vector<int> clipped;
  std::int64_t k = 0;
  const auto max_batches = static_cast<std::int64_t>(po.max_batches);
  while (k < max_batches) {
    for (std::uint64_t slot = 0; slot < p.per_chain; ++slot) {
      engine->advance(p.interval);
      engine->record(slot);
    }
    engine->record_explore(static_cast<std::uint64_t>(k));
    chain_steps += p.interval * p.batch;
    engine->read_batch(&batch);
    ++k;
    const double rate = po.decay_batches == 0
                            ? po.learning_rate
                            : po.learning_rate /
                                  (1.0 + static_cast<double>(std::max<std::int64_t>(0, k - static_cast<std::int64_t>(po.decay_start))) /
                                             static_cast<double>(po.decay_batches));
    // The step: rate / lambda_max of the batch's feature Gram matrix, or (the paper's) rate / F
    // divided by the samples, lambda_max's bound samples * F.
    const double eta = p.fields               ? 0.0
                       : po.curvature_step ? rate / curvature.largest(batch.on, batch.x)
                                           : rate / curvature.features();
    const double per_sample = po.curvature_step ? 1.0 : static_cast<double>(p.samples());
    double gain_sum = 0.0, reward_sum = 0.0, cost_sum = 0.0;
    if (p.fields) {
      flip_reward_differences(model, batch.on, batch.x, p.single, &reward_flips, &reward);
    } else {
      evaluate_rewards(model, p, batch, &reward);
    }
    if (!reward_varied) {
      if (std::isnan(first_reward)) first_reward = reward.front();
      for (double r : reward) reward_varied = reward_varied || r != first_reward;
      for (double d : reward_flips) reward_varied = reward_varied || d != 0.0;
    }
    for (std::uint64_t s = 0; s < p.samples(); ++s) {
      const std::uint8_t* on = &batch.on[s * un];
      const int x = static_cast<int>(batch.x[s]);
      delta[s] = batch.value[s] - (reward[s] + batch.backup[s] - Lbar);
      // horizon_step: the error of the couplings' part less its linear backup (1 - 2/nf) J.
      const double lagged = po.horizon_step ? delta[s] - (1.0 - 2.0 / p.nf) * batch.lag[s] : delta[s];
      a[s] = -eta * lagged / per_sample;
      if (s >= p.batch) continue;  // exploration: the SGD step only
      gain_sum += reward[s] - p.lambda * batch.cost[s];
      reward_sum += reward[s];
      cost_sum += batch.cost[s];
      period.td_sq += delta[s] * delta[s];
      int K = 0;
      for (std::size_t i = 0; i < un; ++i) K += on[i] ? 1 : 0;
      period.spike_count[static_cast<std::size_t>(K) * um + static_cast<std::size_t>(x)] += 1.0;
      period.input_count[static_cast<std::size_t>(x)] += 1.0;
    }
    if (p.fields) {
      // The regression on local fields: the offsets from the values' errors (the flip
      // differences do not see them), the fields and couplings from nf equations per sample.
      std::vector<double> per_input(um, 0.0);
      for (std::uint64_t s = 0; s < p.samples(); ++s) per_input[batch.x[s]] += 1.0;
      for (std::uint64_t s = 0; s < p.samples(); ++s) q.c[batch.x[s]] -= rate * delta[s] / per_input[batch.x[s]];
      const double m_curvature = po.curvature_step ? curvature.largest_overlap(batch.on, batch.x)
                                                   : static_cast<double>(p.samples()) * (1.0 + p.nf);
      const double field_rms =
          field_regression_step(model, batch, rate, m_curvature, po.horizon_step, reward_flips, &q.h, &a_rows);
      period.field_sq += field_rms * field_rms;
      engine->step_couplings_flips(a_rows);
    } else {
      // The SGD step of the offsets and fields (in sample order), then of the couplings (with
      // horizon_step nf / 2 times the step of the coordinates 2 J / nf of the backup's remainder).
      for (std::uint64_t s = 0; s < p.samples(); ++s) {
        const std::size_t x = batch.x[s];
        q.c[x] += a[s];
        const std::uint8_t* on = &batch.on[s * un];
        for (int i : p.free) q.h[x * un + static_cast<std::size_t>(i)] += on[i] ? a[s] : -a[s];
      }
      if (po.horizon_step) {
        for (double& v : a) v *= 0.5 * p.nf;
      }
      engine->step_couplings(a);
    }
    for (std::size_t i = 0; i < un; ++i) period.rho[i] += batch.rho_sum[i];
    period.samples += p.batch;
    const double B = static_cast<double>(p.batch);
    period.batch_gain.push_back(gain_sum / B);
    period.batch_reward.push_back(reward_sum / B);
    period.batch_cost.push_back(cost_sum / B);

    const bool period_end = k % static_cast<std::int64_t>(po.target_period) == 0 || k == max_batches;
    if (period_end) {
      LearningCurvePoint pt;
      pt.batch = k;
      pt.gain = mean(period.batch_gain);
      pt.gain_se = period.gain_se();
      pt.mean_reward = mean(period.batch_reward);
      pt.mean_coding_cost = mean(period.batch_cost);
      pt.td_error = std::sqrt(period.td_sq / static_cast<double>(period.samples));
      // Every batch has as many equations: the mean of the batches' squares is the period's.
      if (p.fields) pt.field_error = std::sqrt(period.field_sq / static_cast<double>(period.batch_gain.size()));
      pt.learning_rate = rate;
      // |phi - phibar| / |phi| over (h, J) (each pair once: the matrix sums halved).
      double change_sq = 0.0, norm_sq = 0.0;
      engine->coupling_norms(&change_sq, &norm_sq);
      change_sq *= 0.5;
      norm_sq *= 0.5;
      for (std::size_t e = 0; e < q.h.size(); ++e) {
        change_sq += (q.h[e] - q.hbar[e]) * (q.h[e] - q.hbar[e]);
        norm_sq += q.h[e] * q.h[e];
      }
      pt.phi_change = norm_sq > 0.0 ? std::sqrt(change_sq / norm_sq) : 0.0;
      // The target takes the current parameters, the prior the period's firing probabilities.
      Lbar = pt.gain;
      q.hbar = q.h;
      q.cbar = q.c;
      engine->copy_target();
      prior_used = q.prior;
      double pop = 0.0;
      for (int i : p.free) pop += period.rho[static_cast<std::size_t>(i)];
      pop /= static_cast<double>(period.samples) * p.nf;
      clipped.clear();
      const bool warming = k <= static_cast<std::int64_t>(po.prior_warmup);
      for (int i : p.free) {
        const double own = period.rho[static_cast<std::size_t>(i)] / static_cast<double>(period.samples);
        const double next = warming ? options.p0 : model.prior_mode == PriorMode::population ? pop : own;
        const double c = std::clamp(next, options.prior_eps, 1.0 - options.prior_eps);
        if (c != next) clipped.push_back(i);
        q.prior[static_cast<std::size_t>(i)] = c;
      }
      pt.prior = pop;
      sol.curve.push_back(pt);
      recent.push_back(period);
      while (recent.size() > po.window) recent.pop_front();
      period.reset(p.n, p.m);
      if (po.progress) po.progress(pt);
      if (k >= static_cast<std::int64_t>(po.min_batches) && !warming && stopping_rule(sol.curve, po)) {
        converged = true;
        engine->set_small(small_parameters(model, p, q));
        break;
      }
    }
    engine->set_small(small_parameters(model, p, q));
  }

  // The result: the current parameters, the prior of the last period, the gain of the last window.
  engine->download_couplings(&sol.J);
  for (std::size_t i = 0; i < un; ++i) sol.J[i * un + i] = 0.0;
  sol.h = q.h;
  sol.h_policy = input_average(model.input, q.h, un);
  sol.offset = q.c;
  sol.batches = k;
  sol.samples = static_cast<std::uint64_t>(k) * p.batch;
  sol.chain_steps = chain_steps;
  const std::size_t w = std::min<std::size_t>(po.window, sol.curve.size());
  std::vector<double> gains, rewards, costs;
  for (std::size_t e = sol.curve.size() - w; e < sol.curve.size(); ++e) {
    gains.push_back(sol.curve[e].gain);
    rewards.push_back(sol.curve[e].mean_reward);
    costs.push_back(sol.curve[e].mean_coding_cost);
  }
  res.gain = mean(gains);
  sol.gain_se = w >= 2 ? standard_error(gains) : sol.curve.back().gain_se;
  res.gain_lo = res.gain - 2.0 * sol.gain_se;
  res.gain_hi = res.gain + 2.0 * sol.gain_se;
  res.mean_reward = mean(rewards);
  res.mean_coding_cost = mean(costs);
  for (const LearningCurvePoint& pt : sol.curve) res.gain_history.push_back(pt.gain);
  res.prior.assign(un, std::numeric_limits<double>::quiet_NaN());
  for (int i : p.free) res.prior[static_cast<std::size_t>(i)] = prior_used[static_cast<std::size_t>(i)];
  res.degenerate = clipped;
  res.spike_count_rows = p.n + 1;
  res.spike_count_cols = p.m;
  res.spike_count.assign((un + 1) * um, 0.0);
  for (const Period& r : recent)
    for (std::size_t e = 0; e < res.spike_count.size(); ++e) res.spike_count[e] += r.spike_count[e];
  for (std::size_t x = 0; x < um; ++x) {
    double total = 0.0;
    for (std::size_t K = 0; K <= un; ++K) total += res.spike_count[K * um + x];
    for (std::size_t K = 0; K <= un; ++K)
      res.spike_count[K * um + x] = total > 0.0 ? res.spike_count[K * um + x] / total : std::numeric_limits<double>::quiet_NaN();
  }
  res.outer_iterations = static_cast<std::int64_t>(sol.curve.size());
  res.inner_iterations = k;
  res.converged = converged;
  if (!converged) {
    res.note = "the stopping rule did not hold within solver.parametric.max_batches = " + std::to_string(po.max_batches) +
               " batches";
    if (!p.fields && p.nf >= kFieldsHintNeurons) {
      res.note += "; with nf = " + std::to_string(p.nf) +
                  " the value regression needs about 20 F samples (F ~ nf^2 / 2 coefficients): the regression on "
                  "local fields (solver.parametric.regression \"fields\", docs/parametric.md) needs about nf times fewer";
    }
  }
  if (!reward_varied) {
    std::ostringstream os;
    os << "every sampled state had the reward r = " << first_reward << " (" << k * static_cast<std::int64_t>(p.samples())
       << " samples" << (p.fields ? ", and every flip of one neuron kept it" : "")
       << "): the value learned nothing and the policy is the prior's. Unless the reward is constant, its other "
          "states were never reached: they are too rare under the prior (e.g. a ring_bump reward at large n)";
    res.note = res.note.empty() ? os.str() : res.note + "; " + os.str();
  }
  res.states = 0;
  res.backend = p.cuda ? "cuda" : "host";
  res.precision = to_string(options.precision);
  res.method = to_string(Method::parametric);
  if (po.exact_check && p.n <= ParametricOptions::kMaxExactCheckNeurons) {
    const PolicyEvaluation exact = evaluate_ising_policy(model, sol.J, sol.h, res.prior);
    sol.has_exact = true;
    sol.exact_gain = exact.gain;
    sol.exact_mean_reward = exact.mean_reward;
    sol.exact_mean_coding_cost = exact.mean_coding_cost;
    sol.exact_rates = exact.rates;
  }
  res.parametric = std::move(sol);
  res.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace

SolveResult solve(const NetworkModel& model, const SolverOptions& options) {
  const Plan p = make_plan(model, options);
  return p.single ? run<float>(model, options, p) : run<double>(model, options, p);
}

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
