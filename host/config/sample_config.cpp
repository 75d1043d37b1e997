// The `netrl sample` configuration (docs/config-sample.md): the model keys of a solve
// configuration (the reward optional; n beyond the solver's limit for Ising policies), "policy"
// and "sampling".
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/config.hpp"
#include "netrl/io/policy.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

using nlohmann::json;

/// The model section, parsed by parse_problem (so exactly as `netrl solve` reads it). The reward is
/// optional here; Ising policies may have n beyond the solver's limit of 40, in which case the
/// network part (n, clamps) is checked by the sampler itself and a reward is refused.
NetworkModel parse_model(json config, const std::string& source, bool* has_reward) {
  config.erase("policy");
  config.erase("sampling");
  if (config.contains("warm_start")) {
    throw InvalidInput("warm_start", "unknown key of a sample configuration (warm starts belong to netrl solve)");
  }
  *has_reward = config.contains("reward");
  if (config.contains("model") && config["model"].is_string() && config["model"] != "network") {
    throw InvalidInput("model", "netrl sample runs network models (\"model\": \"network\"), not \"" +
                                    config["model"].get<std::string>() + "\"");
  }
  int m = 1;
  if (config.contains("input") && config["input"].is_object() && config["input"].contains("T") &&
      config["input"]["T"].is_array() && !config["input"]["T"].empty()) {
    m = static_cast<int>(config["input"]["T"].size());
  }
  const bool large = config.contains("n") && config["n"].is_number_integer() &&
                     config["n"].get<std::int64_t>() > NetworkModel::kMaxNeurons;
  if (large && *has_reward) {
    throw InvalidInput("reward", "rewards are defined for n <= " + std::to_string(NetworkModel::kMaxNeurons) +
                                     "; leave \"reward\" out of a sampling configuration with n = " +
                                     config["n"].dump());
  }
  if (!*has_reward) config["reward"] = {{"kind", "count"}, {"targets", std::vector<int>(static_cast<std::size_t>(m), 0)}};
  if (!large) return parse_problem(config, source).network;

  const std::int64_t n = config["n"].get<std::int64_t>();
  if (n > kMaxSamplerNeurons) {
    throw InvalidInput("n", "the number of neurons n = " + std::to_string(n) + " must lie in [1, " +
                                std::to_string(kMaxSamplerNeurons) + "]");
  }
  json clamps = config.contains("clamp") ? config["clamp"] : json::array();
  config.erase("clamp");
  config["n"] = 1;
  NetworkModel model = parse_problem(config, source).network;
  model.n = static_cast<int>(n);
  model.reward = RewardSpec{};
  if (!clamps.is_array()) throw InvalidInput("clamp", "expected an array, got " + describe_json(clamps));
  for (std::size_t k = 0; k < clamps.size(); ++k) {
    const std::string field = "clamp[" + std::to_string(k) + "]";
    if (!clamps[k].is_object()) throw InvalidInput(field, "expected an object, got " + describe_json(clamps[k]));
    JsonFields c(clamps[k], field);
    Clamp clamp;
    clamp.neuron = static_cast<int>(c.unsigned_integer("neuron", 0, static_cast<std::uint64_t>(n - 1)));
    const json& st = c.at("state");
    if (!st.is_number_integer() || (st.get<std::int64_t>() != -1 && st.get<std::int64_t>() != 1)) {
      throw InvalidInput(field + ".state", "expected -1 (silent) or +1 (active), got " + describe_json(st));
    }
    clamp.state = static_cast<int>(st.get<std::int64_t>());
    c.finish({"neuron", "state"});
    model.clamps.push_back(clamp);
  }
  return model;
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
  const std::string kernel = f.string_or("kernel", "auto");
  if (kernel == "auto") o.kernel = SamplerKernel::automatic;
  else if (kernel == "table") o.kernel = SamplerKernel::table;
  else if (kernel == "direct") o.kernel = SamplerKernel::direct;
  else if (kernel == "gemm") o.kernel = SamplerKernel::gemm;
  else throw InvalidInput("sampling.kernel", "unknown kernel \"" + kernel + "\" (known: auto, table, direct, gemm)");
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
  return o;
}

}  // namespace

SampleConfig parse_sample_config(const json& config, const std::string& path) {
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  SampleConfig c;
  c.source = path;
  if (!config.contains("policy")) throw InvalidInput("policy", "is required (an exact-solution directory or an Ising J/h pair)");
  if (!config.contains("sampling")) throw InvalidInput("sampling", "is required");
  c.options = parse_sampling(config["sampling"]);
  c.model = parse_model(config, path, &c.has_reward);
  c.policy_json = config["policy"].dump();
  JsonFields p(config["policy"], "policy");
  const std::string kind = p.string("kind");
  if (kind == "exact") {
    const std::string dir = io::resolve_relative(path, p.string("dir"));
    p.finish({"kind", "dir"});
    c.policy = under_field("policy.dir", [&] { return io::read_exact_policy(dir, c.model); });
  } else if (kind == "ising") {
    const std::string j_path = io::resolve_relative(path, p.string("J"));
    const std::string h_path = p.has("h") ? io::resolve_relative(path, p.string("h")) : "";
    std::vector<double> prior = p.has("prior") ? parse_prior(p.at("prior"), "policy.prior") : std::vector<double>{0.5};
    p.finish({"kind", "J", "h", "prior"});
    c.policy = with_prefix("policy", [&] { return io::read_ising_policy(j_path, h_path, std::move(prior)); });
  } else {
    throw InvalidInput("policy.kind", "unknown policy kind \"" + kind + "\" (known: exact, ising)");
  }
  return c;
}

SampleConfig load_sample_config(const std::string& path) { return parse_sample_config(io::read_json_file(path), path); }

NETRL_NAMESPACE_END  // namespace netrl
