// The count8 inference from T samples (fig. 3A, 3C-D): r^2 and prediction KLs against T.
#include <cmath>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/core/statistics.hpp"
#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_options(const SampleSizeOptions& opt) {
  if (opt.repeats < 1) throw InvalidInput("repeats", "must be at least 1");
  if (opt.sizes.empty()) throw InvalidInput("sizes", "give at least one sample size");
  // The work, bounded before the run: repeats x the sum of (T + burn-in) chain steps.
  std::uint64_t per_repeat = 0, total = 0;
  bool fits = true;
  for (auto t : opt.sizes) {
    if (t < 2) throw InvalidInput("sizes", "every sample size must be at least 2");
    std::uint64_t steps = 0;
    fits = fits && checked_add(t, kCount8SamplesBurnIn, &steps) && checked_add(per_repeat, steps, &per_repeat);
  }
  fits = fits && checked_multiply(per_repeat, static_cast<std::uint64_t>(opt.repeats), &total);
  if (!fits || total > limit(LimitId::sample_steps)) {
    throw InvalidInput("sizes", std::to_string(opt.repeats) + " repeats of the sample sizes (each with " +
                                    std::to_string(kCount8SamplesBurnIn) + " burn-in steps) need more chain steps than " +
                                    limit_hint(LimitId::sample_steps));
  }
}

}  // namespace

std::uint64_t count8_samples_seed(std::uint64_t seed, std::size_t t, int repeat) {
  return seed * 1000003ULL + t * 1009ULL + static_cast<std::uint64_t>(repeat);
}

SampleSizeContext count8_samples_context(Backend backend, bool predictions) {
  SampleSizeContext c;
  c.base = scenario("count8");
  c.base.solver.backend = backend;
  const NetworkModel& model = c.base.network;
  c.exact = solve(c.base);
  c.truth = model.reward.tabulate(model.n, model.m());
  c.burn_in = kCount8SamplesBurnIn;
  if (predictions) c.specs = count8_predictions(c.base);
  // References (true reward, lambda re-tuned) do not depend on the samples: solve them once.
  const double ref_cost = c.exact.mean_coding_cost;
  for (auto& s : c.specs) {
    const inverse::ForwardSolve ref = inverse::retune_lambda(s.setting, {}, model.lambda, ref_cost);
    c.references.push_back(ref.result);
    // The predicted re-tuning starts at the reference's lambda and stops at a relative 1e-8
    // (a lambda error e changes the response by O(e^2) in KL).
    s.setting.network.lambda = ref.lambda;
    s.lambda_rel_tol = 1e-8;
  }
  for (const auto& s : c.specs) c.prediction_names.push_back(s.name);
  return c;
}

SampleSizeRow count8_samples_row(const SampleSizeContext& c, std::uint64_t T, std::uint64_t seed) {
  if (T < 2) throw InvalidInput("T", "a sample size must be at least 2");
  const NetworkModel& model = c.base.network;
  SampleSizeRow row;
  row.T = T;
  row.seed = seed;
  // One recording of T steps: chain 0 of the shared sampler, keyed by the row's seed.
  const inverse::NetworkData data =
      inverse::sample_recording(model, c.exact.values, c.exact.prior, T, seed, c.burn_in);
  const auto prior = inverse::firing_prior(model, data);
  const inverse::NetworkInverse inv = inverse::maximum_likelihood(model, data, prior, model.lambda, {});
  row.r2 = inverse::compare_rewards(inv.reward, c.truth, c.exact.stationary, model.num_network_states()).r2;
  row.missing = inv.missing;
  row.iterations = inv.iterations;
  row.converged = inv.converged;
  inverse::Baseline baseline;
  for (std::size_t p = 0; p < c.specs.size(); ++p) {
    try {
      const auto pr = inverse::predict(c.base, inv.reward, false, c.specs[p], baseline);
      row.kl_stationary.push_back(inverse::kl_divergence(c.references[p].stationary, pr.predicted.result.stationary));
      row.kl_spike_count.push_back(inverse::kl_spike_count(c.references[p], pr.predicted.result, model.n, model.m()));
    } catch (const NumericalError&) {
      // No lambda reaches the coding cost of the (poorly) inferred reward in this setting:
      // counted as a failed prediction, left out of the means.
      row.kl_stationary.push_back(kNaN);
      row.kl_spike_count.push_back(kNaN);
    }
  }
  return row;
}

SampleSizeResult count8_from_samples(const SampleSizeOptions& opt) {
  check_options(opt);
  const auto start = std::chrono::steady_clock::now();
  const SampleSizeContext context = count8_samples_context(opt.backend, opt.predictions);

  SampleSizeResult result;
  result.options = opt;
  result.burn_in = context.burn_in;
  result.prediction_names = context.prediction_names;
  auto& rows = result.rows;
  for (std::size_t t = 0; t < opt.sizes.size(); ++t)
    for (int r = 0; r < opt.repeats; ++r) {
      SampleSizeRow row;
      row.T = opt.sizes[t];
      row.repeat = r;
      row.seed = count8_samples_seed(opt.seed, t, r);
      row.r2 = kNaN;
      rows.push_back(row);
    }
  std::string failure;
  const auto R = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t k = 0; k < R; ++k) {
    SampleSizeRow& row = rows[static_cast<std::size_t>(k)];
    try {
      const int repeat = row.repeat;
      row = count8_samples_row(context, row.T, row.seed);
      row.repeat = repeat;
    } catch (const std::exception& e) {
#pragma omp critical
      failure = "T = " + std::to_string(row.T) + ", repeat " + std::to_string(row.repeat) + ": " + e.what();
    }
    if (opt.progress) {
      char line[96];
      std::snprintf(line, sizeof line, "count8-samples: T = %llu repeat %d: r^2 = %.4f\n",
                    static_cast<unsigned long long>(row.T), row.repeat, row.r2);
#pragma omp critical
      std::cerr << line;
    }
  }
  if (!failure.empty()) throw NumericalError("count8-samples: " + failure);
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::vector<SampleSizeSummary> summarize(const SampleSizeResult& r) {
  const std::size_t P = r.prediction_names.size();
  std::vector<SampleSizeSummary> out;
  for (auto T : r.options.sizes) {
    std::vector<double> r2;
    std::vector<std::vector<double>> kk(P), ks(P);
    for (const auto& row : r.rows) {
      if (row.T != T) continue;
      r2.push_back(row.r2);
      for (std::size_t p = 0; p < P; ++p) {
        kk[p].push_back(row.kl_spike_count[p]);
        ks[p].push_back(row.kl_stationary[p]);
      }
    }
    SampleSizeSummary c;
    c.T = T;
    c.repeats = r2.size();
    const MeanSem r2s = mean_sem(r2);
    c.r2_mean = r2s.mean;
    c.r2_sem = r2s.sem;
    for (std::size_t p = 0; p < P; ++p) {
      SampleSizeSummary::Prediction q;
      const MeanSem spike = mean_sem(kk[p]), stationary = mean_sem(ks[p]);
      q.kl_spike_count_mean = spike.mean;
      q.kl_spike_count_sem = spike.sem;
      q.kl_stationary_mean = stationary.mean;
      q.kl_stationary_sem = stationary.sem;
      q.failed = kk[p].size() - spike.count;
      c.predictions.push_back(q);
    }
    out.push_back(std::move(c));
  }
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
