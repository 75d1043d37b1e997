// The count8 inference from T samples (fig. 3A, 3C-D): r^2 and prediction KLs against T.
#include <cmath>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/inverse.hpp"
#include "netrl/predict.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Burn-in of the sample-size scenario: the input's correlation decays as 0.96^t and the network
/// relaxes within a few hundred steps, so after 10^4 steps the start state is forgotten to
/// far below any sampling error.
constexpr std::uint64_t kSampleBurnIn = 10000;

void check_options(const SampleSizeOptions& opt) {
  if (opt.repeats < 1) throw InvalidInput("repeats", "must be at least 1");
  if (opt.sizes.empty()) throw InvalidInput("sizes", "give at least one sample size");
  // The work, bounded before the run: repeats x the sum of (T + burn-in) chain steps.
  std::uint64_t per_repeat = 0, total = 0;
  bool fits = true;
  for (auto t : opt.sizes) {
    if (t < 2) throw InvalidInput("sizes", "every sample size must be at least 2");
    std::uint64_t steps = 0;
    fits = fits && checked_add(t, kSampleBurnIn, &steps) && checked_add(per_repeat, steps, &per_repeat);
  }
  fits = fits && checked_multiply(per_repeat, static_cast<std::uint64_t>(opt.repeats), &total);
  if (!fits || total > limit(LimitId::sample_steps)) {
    throw InvalidInput("sizes", std::to_string(opt.repeats) + " repeats of the sample sizes (each with " +
                                    std::to_string(kSampleBurnIn) + " burn-in steps) need more chain steps than " +
                                    limit_hint(LimitId::sample_steps));
  }
}

}  // namespace

SampleSizeResult count8_from_samples(const SampleSizeOptions& opt) {
  check_options(opt);
  const auto start = std::chrono::steady_clock::now();
  Problem base = scenario("count8");
  base.solver.backend = opt.backend;
  const NetworkModel& model = base.network;
  const SolveResult exact = solve(base);
  const std::vector<double> truth = model.reward.tabulate(model.n, model.m());
  auto specs = count8_predictions(base);
  if (!opt.predictions) specs.clear();
  // References (true reward, lambda re-tuned) do not depend on the samples: solve them once.
  const double ref_cost = exact.mean_coding_cost;
  std::vector<SolveResult> references;
  for (auto& s : specs) {
    const inverse::ForwardSolve ref = inverse::retune_lambda(s.setting, {}, model.lambda, ref_cost);
    references.push_back(ref.result);
    // The predicted re-tuning starts at the reference's lambda and stops at a relative 1e-8
    // (a lambda error e changes the response by O(e^2) in KL).
    s.setting.network.lambda = ref.lambda;
    s.lambda_rel_tol = 1e-8;
  }

  SampleSizeResult result;
  result.options = opt;
  result.burn_in = kSampleBurnIn;
  for (const auto& s : specs) result.prediction_names.push_back(s.name);
  auto& rows = result.rows;
  for (std::size_t t = 0; t < opt.sizes.size(); ++t)
    for (int r = 0; r < opt.repeats; ++r) {
      SampleSizeRow row;
      row.T = opt.sizes[t];
      row.repeat = r;
      row.seed = opt.seed * 1000003ULL + t * 1009ULL + static_cast<std::uint64_t>(r);
      row.r2 = kNaN;
      rows.push_back(row);
    }
  std::string failure;
  const auto R = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t k = 0; k < R; ++k) {
    SampleSizeRow& row = rows[static_cast<std::size_t>(k)];
    try {
      // One recording of T steps: chain 0 of the shared sampler, keyed by the row's seed.
      const inverse::NetworkData data =
          inverse::sample_recording(model, exact.values, exact.prior, row.T, row.seed, kSampleBurnIn);
      const auto prior = inverse::firing_prior(model, data);
      const inverse::NetworkInverse inv = inverse::maximum_likelihood(model, data, prior, model.lambda, {});
      row.r2 = inverse::compare_rewards(inv.reward, truth, exact.stationary, model.num_network_states()).r2;
      row.missing = inv.missing;
      row.iterations = inv.iterations;
      row.converged = inv.converged;
      inverse::Baseline baseline;
      for (std::size_t p = 0; p < specs.size(); ++p) {
        try {
          const auto pr = inverse::predict(base, inv.reward, false, specs[p], baseline);
          row.kl_stationary.push_back(inverse::kl_divergence(references[p].stationary, pr.predicted.result.stationary));
          row.kl_spike_count.push_back(inverse::kl_spike_count(references[p], pr.predicted.result, model.n, model.m()));
        } catch (const NumericalError&) {
          // No lambda reaches the coding cost of the (poorly) inferred reward in this setting:
          // counted as a failed prediction, left out of the means.
          row.kl_stationary.push_back(kNaN);
          row.kl_spike_count.push_back(kNaN);
        }
      }
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

namespace {

std::vector<double> finite(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  return out;
}
double mean_of(const std::vector<double>& all) {
  const auto v = finite(all);
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? kNaN : s / static_cast<double>(v.size());
}
double sem_of(const std::vector<double>& all) {
  const auto v = finite(all);
  if (v.size() < 2) return kNaN;
  const double m = mean_of(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
}

}  // namespace

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
    c.r2_mean = mean_of(r2);
    c.r2_sem = sem_of(r2);
    for (std::size_t p = 0; p < P; ++p) {
      SampleSizeSummary::Prediction q;
      q.kl_spike_count_mean = mean_of(kk[p]);
      q.kl_spike_count_sem = sem_of(kk[p]);
      q.kl_stationary_mean = mean_of(ks[p]);
      q.kl_stationary_sem = sem_of(ks[p]);
      q.failed = kk[p].size() - finite(kk[p]).size();
      c.predictions.push_back(q);
    }
    out.push_back(std::move(c));
  }
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
