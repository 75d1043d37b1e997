#include "netrl/io/inference.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/csv.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

using nlohmann::json;

namespace {

const char* data_kind_name(InferData::Kind kind) {
  switch (kind) {
    case InferData::Kind::solution: return "solution";
    case InferData::Kind::samples: return "samples";
    case InferData::Kind::raster: return "raster";
  }
  return "?";
}

json solve_summary(const inverse::ForwardSolve& f, ModelKind kind) {
  json j;
  j["lambda"] = f.lambda;
  j["solves"] = f.solves;
  if (!f.result.values.empty()) {
    j["gain"] = f.result.gain;
    j["mean_reward"] = f.result.mean_reward;
    j["mean_coding_cost"] = f.result.mean_coding_cost;
    j["prior"] = f.result.prior;
    j["converged"] = f.result.converged;
    if (kind == ModelKind::network) {
      std::vector<std::vector<double>> pk(static_cast<std::size_t>(f.result.spike_count_cols));
      for (int x = 0; x < f.result.spike_count_cols; ++x)
        for (int k = 0; k < f.result.spike_count_rows; ++k)
          pk[x].push_back(f.result.spike_count[static_cast<std::size_t>(k) * f.result.spike_count_cols + x]);
      j["spike_count_given_x"] = pk;
    }
  }
  return j;
}

std::string prediction_file(std::size_t k) { return "predict_" + std::to_string(k) + "_stationary.npy"; }

bool parametric(const InferResult& r) { return r.model == ModelKind::network && !r.network.J.empty(); }

}  // namespace

json inference_json(const InferResult& r, bool files) {
  json result;
  result["source"] = r.source;
  result["model"] = to_string(r.model);
  result["method"] = to_string(r.method);
  result["lambda"] = r.lambda;
  result["data"] = {{"kind", data_kind_name(r.data_kind)}, {"description", r.data_description}};
  if (r.model == ModelKind::network && r.data_kind != InferData::Kind::solution) {
    result["data"]["samples"] = r.samples;
    result["data"]["visited_states"] = r.visited_states;
    result["data"]["multi_flip_steps"] = r.multi_flip_steps;
  }
  result["prior"] = r.prior;
  const bool network = r.model == ModelKind::network;
  result["missing_states"] = network ? r.network.missing : 0;
  result["iterations"] = network ? r.network.iterations : r.maze.iterations;
  result["objective"] = network ? r.network.objective : r.maze.objective;
  result["gradient_norm"] = network ? r.network.gradient_norm : r.maze.gradient_norm;
  if (network) {
    result["evaluations"] = r.network.evaluations;
    result["n"] = r.n;
    result["m"] = r.m;
  } else {
    result["newton_steps"] = r.maze.newton_steps;
    result["group_inverse_residual"] = r.maze.group_inverse_residual;
    result["maze_states"] = r.maze_states;
  }
  result["reward_convention"] =
      "per-input mean removed (weighted by the data distribution); NaN where missing or inconsistent with a clamp; "
      "inferred at the config's lambda";
  if (r.has_comparison) {
    const auto& cmp = r.comparison;
    result["comparison"] = {{"r2", cmp.r2},
                            {"scale", cmp.scale},
                            {"max_abs_error", cmp.max_abs_error},
                            {"rms_error", cmp.rms_error},
                            {"compared_states", cmp.compared},
                            {"weights", r.data_kind == InferData::Kind::solution ? "stationary distribution"
                                                                                  : "visit histogram"}};
  }
  json predictions = json::array();
  for (std::size_t k = 0; k < r.predictions.size(); ++k) {
    const InferPrediction& p = r.predictions[k];
    json j;
    j["name"] = p.spec.name;
    if (p.failed) {
      j["error"] = p.error;
      predictions.push_back(j);
      continue;
    }
    const auto& pr = p.result;
    j["keep_coding_cost"] = p.spec.keep_coding_cost;
    j["filled_states"] = pr.filled;
    j["target_coding_cost"] = pr.target_coding_cost;
    j["predicted"] = solve_summary(pr.predicted, p.spec.setting.kind);
    if (pr.has_reference) {
      j["reference"] = p.spec.reference_dir.empty() ? solve_summary(pr.reference, p.spec.setting.kind)
                                                    : json{{"directory", p.spec.reference_dir}};
      j["reference_target_coding_cost"] = pr.reference_target_coding_cost;
      j["kl_stationary"] = pr.kl_stationary;
      if (r.model == ModelKind::network) j["kl_spike_count"] = pr.kl_spike_count;
    }
    if (files) j["stationary_file"] = prediction_file(k);
    predictions.push_back(j);
  }
  result["predictions"] = predictions;
  result["kl_convention"] =
      "KL(reference || predicted); kl_stationary over the joint stationary distribution, kl_spike_count = "
      "sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x))";
  result["notes"] = r.notes;
  result["elapsed_seconds"] = r.elapsed_seconds;
  result["converged"] = r.converged;
  if (files) {
    result["files"] = parametric(r) ? json{"reward.npy", "values.npy", "J.npy", "h.npy", "target.npy"}
                                    : json{"reward.npy", "values.npy"};
    result["reward_shape"] = r.reward_shape;
    if (r.on_visited) {
      result["files"].push_back("visited_states.npy");
      result["files"].push_back("visits.npy");
      if (r.m > 1) result["files"].push_back("visited_inputs.npy");
    }
  }
  if (parametric(r)) {
    result["states"] = r.on_visited ? "visited" : "all";
    result["gradient_threshold"] = r.network.gradient_threshold;
  }
  return result;
}

void write_inference(const std::string& dir, const InferResult& r) {
  OutputDir out(dir);
  write_inference(out, r);
}

void write_inference(OutputDir& out, const InferResult& r) {
  for (std::size_t k = 0; k < r.predictions.size(); ++k) {
    if (r.predictions[k].failed) continue;
    const auto& mu = r.predictions[k].result.predicted.result.stationary;
    out.write_npy(prediction_file(k), mu, {mu.size()});
  }
  out.write_npy("reward.npy", r.reward, {r.reward.size()});
  out.write_npy("values.npy", r.values(), {r.values().size()});
  if (parametric(r)) {
    const auto& net = r.network;
    const auto n = static_cast<std::uint64_t>(r.n), m = static_cast<std::uint64_t>(r.m);
    out.write_npy("J.npy", net.J, {n, n});
    if (m == 1) out.write_npy("h.npy", net.h, {n});
    else out.write_npy("h.npy", net.h, {m, n});
    out.write_npy("target.npy", net.target, {net.target.size()});
  }
  if (r.on_visited) {
    const auto& v = r.visited;
    out.write_npy("visited_states.npy", v.spins, {v.size(), static_cast<std::uint64_t>(v.n)});
    out.write_npy("visits.npy", v.visits, {v.size()});
    if (r.m > 1) out.write_npy("visited_inputs.npy", std::vector<double>(v.inputs.begin(), v.inputs.end()), {v.size()});
  }
  out.write_json("result.json", inference_json(r, true));
  out.commit();
}

// ---------------------------------------------------------------------------------------------
// The sample-size experiment
// ---------------------------------------------------------------------------------------------

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string slug(std::string s) {
  for (char& ch : s)
    if (ch == ' ') ch = '_';
  return s;
}

json sample_size_json(const SampleSizeResult& r) {
  json summary = json::array();
  for (const SampleSizeSummary& c : summarize(r)) {
    json j = {{"T", c.T}, {"repeats", c.repeats}, {"r2_mean", c.r2_mean}, {"r2_sem", c.r2_sem}};
    json kl = json::object();
    for (std::size_t p = 0; p < r.prediction_names.size(); ++p) {
      const auto& q = c.predictions[p];
      kl[r.prediction_names[p]] = {{"kl_spike_count_mean", q.kl_spike_count_mean},
                                   {"kl_spike_count_sem", q.kl_spike_count_sem},
                                   {"kl_stationary_mean", q.kl_stationary_mean},
                                   {"kl_stationary_sem", q.kl_stationary_sem},
                                   {"failed", q.failed}};
    }
    j["predictions"] = kl;
    summary.push_back(j);
  }
  json result;
  result["scenario"] = "count8-samples";
  result["method"] = "ml";
  result["sampler"] = "netrl::sample (host backend, Philox4x32-10 keyed by the row's seed in samples_raw.csv): one "
                      "chain, uniform start state, " + std::to_string(r.burn_in) +
                      " burn-in steps, then T recorded steps (histogram and transitions)";
  result["burn_in"] = r.burn_in;
  result["r2_weights"] = "exact stationary distribution, over states with an inferred reward, per-input means removed";
  result["seed"] = r.options.seed;
  result["repeats"] = r.options.repeats;
  result["predictions"] = r.options.predictions;
  result["summary"] = summary;
  result["elapsed_seconds"] = r.elapsed_seconds;
  return result;
}

void write_sample_size(const std::string& dir, const SampleSizeResult& r) {
  OutputDir out(dir);
  write_sample_size(out, r);
}

void write_sample_size(OutputDir& out, const SampleSizeResult& r) {
  std::ostringstream csv, raw;
  csv << "T,repeats,r2_mean,r2_sem";
  raw << "T,repeat,seed,r2,missing_states,ml_iterations,ml_converged";
  for (const auto& name : r.prediction_names) {
    const std::string s = slug(name);
    csv << ",kl_spike_count_" << s << "_mean,kl_spike_count_" << s << "_sem,kl_stationary_" << s
        << "_mean,kl_stationary_" << s << "_sem,failed_" << s;
    raw << ",kl_spike_count_" << s << ",kl_stationary_" << s;
  }
  csv << "\n";
  raw << "\n";
  for (const auto& row : r.rows) {
    raw << row.T << "," << row.repeat << "," << row.seed << "," << num(row.r2) << "," << row.missing << ","
        << row.iterations << "," << (row.converged ? 1 : 0);
    for (std::size_t p = 0; p < r.prediction_names.size(); ++p) {
      raw << "," << num(row.kl_spike_count[p]) << "," << num(row.kl_stationary[p]);
    }
    raw << "\n";
  }
  for (const SampleSizeSummary& c : summarize(r)) {
    csv << c.T << "," << c.repeats << "," << num(c.r2_mean) << "," << num(c.r2_sem);
    for (const auto& q : c.predictions) {
      csv << "," << num(q.kl_spike_count_mean) << "," << num(q.kl_spike_count_sem) << "," << num(q.kl_stationary_mean)
          << "," << num(q.kl_stationary_sem) << "," << q.failed;
    }
    csv << "\n";
  }
  out.write_text("samples.csv", csv.str());
  out.write_text("samples_raw.csv", raw.str());
  out.write_json("result.json", sample_size_json(r));
  out.commit();
}

json sample_size_row_json(const SampleSizeContext& c, const SampleSizeRow& row) {
  json j;
  j["scenario"] = "count8-samples";
  j["T"] = row.T;
  j["seed"] = row.seed;
  j["burn_in"] = c.burn_in;
  j["r2"] = row.r2;
  j["missing_states"] = row.missing;
  j["ml_iterations"] = row.iterations;
  j["ml_converged"] = row.converged;
  json predictions = json::object();
  for (std::size_t p = 0; p < c.prediction_names.size(); ++p) {
    predictions[c.prediction_names[p]] = {{"kl_spike_count", row.kl_spike_count[p]},
                                          {"kl_stationary", row.kl_stationary[p]}};
  }
  j["predictions"] = predictions;
  return j;
}

void write_sample_size_row(const std::string& dir, const SampleSizeContext& c, const SampleSizeRow& row) {
  OutputDir out(dir);
  out.write_json("result.json", sample_size_row_json(c, row));
  out.commit();
}

void write_sampled_accuracy(const std::string& dir, const SampledAccuracyOptions& o, const SampledAccuracy& r) {
  json j;
  j["samples"] = r.samples;
  j["sample_seconds"] = r.sample_seconds;
  j["tv_spike_count"] = r.tv_spike_count;
  j["gain_estimate"] = r.gain_estimate;
  j["gain_error"] = r.gain_error;
  j["abs_gain_error"] = std::abs(r.gain_error);
  j["exact_gain_check"] = r.exact_gain_check;
  if (o.infer) {
    j["r2"] = r.r2;
    j["missing_states"] = r.missing_states;
    j["infer_seconds"] = r.infer_seconds;
  }
  OutputDir out(dir);
  out.write_json("result.json", j);
  out.commit();
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
