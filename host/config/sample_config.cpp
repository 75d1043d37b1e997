// The `netrl sample` configuration (docs/config-sample.md): the model keys of a solve
// configuration (the reward optional; n beyond the solver's limit for Ising policies), "policy"
// and "sampling".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "config/model_view.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/config.hpp"
#include "netrl/io/policy.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

using nlohmann::json;

/// The model section, parsed by parse_problem (so exactly as `netrl solve` reads it) through a
/// view of the configuration without "policy" and "sampling". The reward is optional here; Ising
/// policies may have n beyond the solver's limit of 40, in which case the network part (n,
/// clamps) is checked by the sampler itself and a reward is refused.
NetworkModel parse_model(const json& config, const std::string& source, bool* has_reward) {
  ObjectView view(config, "");
  view.hide("policy");
  view.hide("sampling");
  if (config.contains("warm_start")) {
    throw InvalidInput("warm_start", "unknown key of a sample configuration (warm starts belong to netrl solve)");
  }
  *has_reward = config.contains("reward");
  const json* model = config.contains("model") ? &config.at("model") : nullptr;
  if (model && model->is_string() && *model != "network") {
    throw InvalidInput("model", "netrl sample runs network models (\"model\": \"network\"), not " +
                                    quote_value(model->get<std::string>()));
  }
  std::size_t m = 1;
  if (config.contains("input") && config.at("input").is_object() && config.at("input").contains("T") &&
      config.at("input").at("T").is_array() && !config.at("input").at("T").empty()) {
    m = config.at("input").at("T").size();
  }
  const json* n_value = config.contains("n") ? &config.at("n") : nullptr;
  const bool large = n_value && n_value->is_number_unsigned() &&
                     n_value->get<std::uint64_t>() > static_cast<std::uint64_t>(NetworkModel::kMaxNeurons);
  if (large && *has_reward) {
    throw InvalidInput("reward", "rewards are defined for n <= " + std::to_string(NetworkModel::kMaxNeurons) +
                                     "; leave \"reward\" out of a sampling configuration with n = " + n_value->dump());
  }
  // A placeholder reward (one target per input value) so that parse_problem checks the rest.
  const json placeholder = {{"kind", "count"}, {"targets", std::vector<int>(std::min<std::size_t>(m, 1u << 20), 0)}};
  if (!*has_reward) view.replace("reward", &placeholder);
  if (!large) return parse_problem(view, source).network;

  const std::uint64_t n = n_value->get<std::uint64_t>();
  if (n > static_cast<std::uint64_t>(kMaxSamplerNeurons)) {
    throw InvalidInput("n", "the number of neurons n = " + std::to_string(n) + " must lie in [1, " +
                                std::to_string(kMaxSamplerNeurons) + "]");
  }
  const json one = 1;
  view.replace("n", &one);
  view.hide("clamp");
  NetworkModel model_out = parse_problem(view, source).network;
  model_out.n = static_cast<int>(n);
  model_out.reward = RewardSpec{};
  if (config.contains("clamp")) {
    const json& clamps = config.at("clamp");
    if (!clamps.is_array()) throw InvalidInput("clamp", "expected an array, got " + describe_json(clamps));
    for (std::size_t k = 0; k < clamps.size(); ++k) {
      const std::string field = "clamp[" + std::to_string(k) + "]";
      JsonFields c(clamps[k], field);
      Clamp clamp;
      clamp.neuron = static_cast<int>(c.unsigned_integer("neuron", 0, n - 1));
      const json& st = c.at("state");
      if (!st.is_number_integer() || (st.get<std::int64_t>() != -1 && st.get<std::int64_t>() != 1)) {
        throw InvalidInput(field + ".state", "expected -1 (silent) or +1 (active), got " + describe_json(st));
      }
      clamp.state = static_cast<int>(st.get<std::int64_t>());
      c.finish({"neuron", "state"});
      model_out.clamps.push_back(clamp);
    }
  }
  return model_out;
}

std::vector<double> parse_prior(const json& v, const std::string& field) {
  if (v.is_number()) return {v.get<double>()};
  if (!v.is_array()) throw InvalidInput(field, "expected a number or an array of numbers, got " + describe_json(v));
  std::vector<double> out;
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k].is_null()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (v[k].is_number()) {
      out.push_back(v[k].get<double>());
    } else {
      throw InvalidInput(field + "[" + std::to_string(k) + "]", "expected a number, got " + describe_json(v[k]));
    }
  }
  return out;
}

SamplingOptions parse_sampling(const json& j) {
  JsonFields f(j, "sampling");
  SamplingOptions o;
  o.chains = f.unsigned_integer("chains", 1, std::uint64_t{1} << 32);
  o.steps = f.unsigned_integer("steps", 1, std::uint64_t{1} << 62);
  o.burn_in = f.unsigned_or("burn_in", 0, 0, std::uint64_t{1} << 62);
  o.thin = f.unsigned_or("thin", 1, 1, std::uint64_t{1} << 62);
  o.seed = f.unsigned_or("seed", 0, 0, std::numeric_limits<std::uint64_t>::max());
  o.backend = parse_backend(f.string_or("backend", "host"), "sampling.backend", {Backend::host, Backend::cuda});
  o.kernel = parse_enum<SamplerKernel>(f.string_or("kernel", "auto"), "sampling.kernel", "kernel");
  o.batch = f.unsigned_or("batch", 0, 0, std::uint64_t{1} << 32);
  o.gemm_block = f.unsigned_or("gemm_block", o.gemm_block, 1, 4096);
  o.threads = static_cast<int>(f.unsigned_or("threads", 0, 0, SolverOptions::kMaxThreads));
  if (f.has("record")) {
    JsonFields r(f.at("record"), "sampling.record");
    if (r.has("histogram")) o.histogram = r.boolean("histogram");
    if (r.has("transitions")) o.transitions = r.boolean("transitions");
    if (r.has("correlations")) o.correlations = r.boolean("correlations");
    if (r.has("raster_chains")) {
      const json& c = r.at("raster_chains");
      if (!c.is_array()) throw InvalidInput("sampling.record.raster_chains", "expected an array, got " + describe_json(c));
      for (std::size_t k = 0; k < c.size(); ++k) {
        o.raster_chains.push_back(JsonFields::as_unsigned(c[k], "sampling.record.raster_chains[" + std::to_string(k) + "]", 0,
                                                       (std::uint64_t{1} << 32) - 1));
      }
    }
    r.finish({"histogram", "transitions", "correlations", "raster_chains"});
  }
  f.finish({"chains", "steps", "burn_in", "thin", "seed", "backend", "kernel", "batch", "gemm_block", "threads",
            "record"});
  check_sample_work(o);  // the work within the sample_steps limit, before the policy's files are read
  return o;
}

}  // namespace

SampleConfig parse_sample_config(const json& config, const std::string& path) {
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  SampleConfig c;
  c.source = path;
  if (!config.contains("policy")) throw InvalidInput("policy", "is required (an exact-solution directory or an Ising J/h pair)");
  if (!config.contains("sampling")) throw InvalidInput("sampling", "is required");
  c.options = parse_sampling(config.at("sampling"));
  c.model = parse_model(config, path, &c.has_reward);
  // The reward only gives the samples' mean reward (result.json), which needs a fixed r(b, x):
  // refused here, before the chains run, not when the result is written (and not at all without
  // --out).
  if (c.has_reward && c.model.reward.kind == RewardKind::efficient_coding) {
    throw InvalidInput("reward.kind", "sampling reports the samples' mean of a fixed reward, and an efficient_coding "
                                      "reward is defined by the solved network's stationary distribution: give a "
                                      "count, ring_bump, table or planted reward, or leave \"reward\" out");
  }
  const json& policy = config.at("policy");
  JsonFields p(policy, "policy");
  c.policy_json = policy.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string kind = p.string("kind");
  if (kind == "exact") {
    const std::string dir = io::resolve_relative(path, p.path_string("dir"));
    p.finish({"kind", "dir"});
    c.policy = under_field("policy.dir", [&] { return io::read_exact_policy(dir, c.model); });
  } else if (kind == "ising") {
    const std::string j_path = io::resolve_relative(path, p.path_string("J"));
    const std::string h_path = p.has("h") ? io::resolve_relative(path, p.path_string("h")) : "";
    std::vector<double> prior = p.has("prior") ? parse_prior(p.at("prior"), "policy.prior") : std::vector<double>{0.5};
    p.finish({"kind", "J", "h", "prior"});
    c.policy = with_prefix("policy", [&] {
      return io::read_ising_policy(j_path, h_path, std::move(prior), c.model.n, c.model.m());
    });
  } else {
    throw InvalidInput("policy.kind", "unknown policy kind " + quote_value(kind) + " (known: exact, ising)");
  }
  return c;
}

SampleConfig load_sample_config(const std::string& path) { return parse_sample_config(io::read_json_file(path), path); }

NETRL_NAMESPACE_END  // namespace netrl
