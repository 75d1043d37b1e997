// The ring12 experiment's files (netrl/io/ring12.hpp).
#include "netrl/io/ring12.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/csv.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/inference.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

using nlohmann::json;

namespace {

std::string profile_csv(const Ring12Result& r) {
  std::ostringstream csv;
  csv << "distance";
  for (const auto& s : r.settings) csv << "," << s.name << "_mean," << s.name << "_sd," << s.name << "_pairs";
  csv << "\n";
  const std::size_t D = r.settings.front().profile.mean.size();
  for (std::size_t d = 1; d < D; ++d) {
    csv << d;
    for (const auto& s : r.settings) csv << "," << num(s.profile.mean[d]) << "," << num(s.profile.sd[d]) << "," << s.profile.pairs[d];
    csv << "\n";
  }
  return csv.str();
}

std::string drift_csv(const Ring12Result& r) {
  std::ostringstream csv;
  csv << "lag_sweeps";
  for (const auto& s : r.settings)
    csv << "," << s.name << "_autocorrelation," << s.name << "_msd," << s.name << "_pairs";
  csv << "\n";
  const auto& lags = r.settings.front().drift.lag;
  for (std::size_t k = 0; k < lags.size(); ++k) {
    csv << lags[k];
    for (const auto& s : r.settings) {
      csv << "," << num(s.drift.autocorrelation[k]) << "," << num(s.drift.mean_squared_displacement[k]) << ","
          << s.drift.pairs[k];
    }
    csv << "\n";
  }
  return csv.str();
}

std::string gains_csv(const Ring12Result& r) {
  std::ostringstream csv;
  csv << "setting,lambda,sampled_gain,sampled_gain_se,exact_gain_learned,best_quadratic_gain,optimum_gain,"
         "learned_over_best_quadratic,batches,converged\n";
  for (const auto& s : r.settings) {
    const ParametricSolution& p = *s.result.parametric;
    csv << s.name << "," << num(s.problem.network.lambda) << "," << num(s.result.gain) << "," << num(p.gain_se) << ","
        << num(p.exact_gain) << "," << num(s.best_quadratic_gain) << "," << num(s.optimum_gain) << ","
        << num(p.exact_gain / s.best_quadratic_gain) << "," << p.batches << "," << (s.result.converged ? 1 : 0) << "\n";
  }
  return csv.str();
}

std::string models_csv(const Ring12Result& r) {
  std::ostringstream csv;
  csv << "reward_model,r2,compared_states";
  for (const auto& name : r.prediction_names) csv << ",kl_spike_count_" << slug(name) << ",kl_stationary_" << slug(name);
  csv << "\n";
  for (const InferResult& m : r.models) {
    csv << m.network.method << "," << num(m.comparison.r2) << "," << m.comparison.compared;
    for (std::size_t p = 0; p < r.prediction_names.size(); ++p) {
      const bool ok = p < m.predictions.size() && !m.predictions[p].failed;
      csv << "," << num(ok ? m.predictions[p].result.kl_spike_count : std::nan("")) << ","
          << num(ok ? m.predictions[p].result.kl_stationary : std::nan(""));
    }
    csv << "\n";
  }
  return csv.str();
}

}  // namespace

json ring12_json(const Ring12Result& r) {
  json j;
  j["experiment"] = "ring12";
  j["seed"] = r.options.seed;
  const Ring12Options& o = r.options;
  j["options"] = {{"max_batches", o.max_batches},     {"drift_chains", o.drift.chains},
                  {"drift_sweeps", o.drift.sweeps},     {"max_lag", o.max_lag},
                  {"inverse_chains", o.inverse.chains}, {"inverse_sweeps", o.inverse.sweeps},
                  {"predict", o.predict}};
  j["elapsed_seconds"] = r.elapsed_seconds;
  json settings = json::array();
  for (const auto& s : r.settings) {
    const ParametricSolution& p = *s.result.parametric;
    settings.push_back({{"name", s.name},
                        {"lambda", s.problem.network.lambda},
                        {"sampled_gain", s.result.gain},
                        {"sampled_gain_se", p.gain_se},
                        {"exact_gain_learned", p.exact_gain},
                        {"best_quadratic_gain", s.best_quadratic_gain},
                        {"optimum_gain", s.optimum_gain},
                        {"batches", p.batches},
                        {"converged", s.result.converged},
                        {"coupling_profile", s.profile.mean}});
  }
  j["settings"] = settings;
  json models = json::array();
  for (const InferResult& m : r.models) {
    json kl = json::object();
    for (std::size_t p = 0; p < m.predictions.size(); ++p) {
      const auto& pr = m.predictions[p];
      kl[pr.spec.name] = pr.failed ? json(pr.error)
                                   : json({{"kl_spike_count", pr.result.kl_spike_count},
                                           {"kl_stationary", pr.result.kl_stationary}});
    }
    models.push_back({{"reward_model", m.network.method}, {"r2", m.comparison.r2},
                      {"compared_states", m.comparison.compared}, {"predictions", kl}});
  }
  j["reward_models"] = models;
  j["files"] = {"J_profile.csv", "drift.csv", "gains.csv", "reward_models.csv"};
  return j;
}

void write_ring12(const std::string& dir, const Ring12Result& r) {
  {
    OutputDir out(dir);
    out.write_text("J_profile.csv", profile_csv(r));
    out.write_text("drift.csv", drift_csv(r));
    out.write_text("gains.csv", gains_csv(r));
    out.write_text("reward_models.csv", models_csv(r));
    out.write_json("result.json", ring12_json(r));
    out.commit();
  }
  // Then one output directory per setting and per reward model inside the published target.
  for (const auto& s : r.settings) write_solution(dir + "/" + s.name, s.problem, s.result);
  for (const InferResult& m : r.models) {
    std::string name = m.network.method;
    for (char& ch : name)
      if (ch == '/') ch = '_';
    write_inference(dir + "/inverse_" + name, m);
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
