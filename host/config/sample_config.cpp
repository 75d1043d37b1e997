// `netrl sample CONFIG.json [--out DIR]`: runs many chains of the network dynamics under a policy.
//
// Configuration: one JSON object. The model keys are those of `netrl solve` ("model": "network",
// "n", "input", "lambda", "prior", "clamp", "reward", "solver"), read by parse_problem; "reward" is
// optional (when given and the histogram is recorded, result.json reports the mean reward), and
// with an Ising policy n may exceed the solver's limit of 40 (up to 16384; no reward then).
//
//   "policy": {"kind": "exact", "dir": "out/count8"}
//       the implicit policy of an exact solution: values.npy and result.json's "prior" of a
//       `netrl solve --out` directory; its "n", "m" and "lambda" must match the model.
//   "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": 0.5}
//       J: n x n float64 (symmetric; diagonal ignored), h: n or m x n float64 (optional, default
//       0), prior: a number or n numbers (null for clamped neurons), default 0.5.
//   "sampling": {
//       "chains": 10000,        required, 1 .. 2^32
//       "steps": 1000,          required: recorded-phase steps per chain
//       "burn_in": 100,         default 0: steps before the recorded phase
//       "thin": 1,              default 1: the state before step t is recorded when
//                               (t - burn_in) is a multiple of thin: ceil(steps / thin) samples
//       "seed": 0,              default 0, any unsigned 64-bit integer (the Philox key)
//       "backend": "host",      "host" (OpenMP) or "cuda"
//       "kernel": "auto",       "auto", "table", "direct" or "gemm" (SamplerKernel)
//       "batch": 0,             chains per batch, 0 = all (results do not depend on it)
//       "gemm_block": 64,       steps per GEMM of the gemm kernel
//       "record": {"histogram": true, "transitions": false, "correlations": true,
//                  "raster_chains": [0, 5]}}
//       histogram default on iff n <= 24; correlations default on iff n <= 4096; transitions need
//       the histogram.
//
// Outputs in DIR (each written to a temporary name and renamed; result.json last):
//   result.json              n, m, lambda, policy, backend, kernel, seed, chains, steps, burn_in,
//                            thin, samples_per_chain, samples, updates (chains x (burn_in + steps)),
//                            flips (updates that changed a neuron's state),
//                            elapsed_seconds, updates_per_second, input_counts, rates,
//                            mean_spike_count, mean_reward (with a reward and the histogram), files
//   histogram.npy            counts over the m * 2^n states, s = x * 2^n + b (float64, exact
//                            integers below 2^53)
//   transitions.npy          (m * 2^n) x (n + 1) counts: recorded state s and successor b'; column
//                            i if b' = b xor 2^i, column n if b' = b
//   spike_count.csv          P(K | x) over the recorded samples (the format of `netrl solve`)
//   spike_count_counts.npy   (n + 1) x m counts
//   rates.npy                P(sigma_i = +1) per neuron
//   coactivation.npy         n x n, P(sigma_i = +1 and sigma_j = +1)
//   correlation.npy          n x n Pearson correlations of the sigma_i (NaN for a neuron that
//                            never changed, e.g. a clamped one)
//   raster_chain<c>.npy      uint8 samples_per_chain x n (1 = active), and inputs_chain<c>.npy
//                            (float64 input index) for each chain in record.raster_chains
//
// `netrl infer` reads such a directory as data ("data": {"samples": DIR}; histogram.npy, and
// transitions.npy for maximum likelihood: record them with "record": {"transitions": true}).
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
#include "netrl/problem.hpp"
#include "netrl/sample.hpp"

namespace netrl {
namespace {

using nlohmann::json;

struct SampleConfig {
  NetworkModel model;
  bool has_reward = false;
  std::string source;
  json policy_json;
  SamplerPolicy policy;
  SamplingOptions options;
};

/// The model section, parsed by parse_problem (so exactly as `netrl solve` reads it). The reward is
/// optional here; Ising policies may have n beyond the solver's limit of 40, in which case the
/// network part (n, clamps) is checked by the sampler itself and a reward is refused.
NetworkModel parse_model(json config, const std::string& source, bool* has_reward) {
  config.erase("policy");
  config.erase("sampling");
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
  o.backend = f.string_or("backend", "host");
  if (o.backend != "host" && o.backend != "cuda") {
    throw InvalidInput("sampling.backend", "unknown backend \"" + o.backend + "\" (known: host, cuda)");
  }
  const std::string kernel = f.string_or("kernel", "auto");
  if (kernel == "auto") o.kernel = SamplerKernel::automatic;
  else if (kernel == "table") o.kernel = SamplerKernel::table;
  else if (kernel == "direct") o.kernel = SamplerKernel::direct;
  else if (kernel == "gemm") o.kernel = SamplerKernel::gemm;
  else throw InvalidInput("sampling.kernel", "unknown kernel \"" + kernel + "\" (known: auto, table, direct, gemm)");
  o.batch = f.unsigned_or("batch", 0, 0, std::uint64_t{1} << 32);
  o.gemm_block = f.unsigned_or("gemm_block", o.gemm_block, 1, 4096);
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
  f.finish({"chains", "steps", "burn_in", "thin", "seed", "backend", "kernel", "batch", "gemm_block", "record"});
  return o;
}

SampleConfig load_config(const std::string& path) {
  const json config = read_json_file(path);
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  SampleConfig c;
  c.source = path;
  if (!config.contains("policy")) throw InvalidInput("policy", "is required (an exact-solution directory or an Ising J/h pair)");
  if (!config.contains("sampling")) throw InvalidInput("sampling", "is required");
  c.options = parse_sampling(config["sampling"]);
  c.model = parse_model(config, path, &c.has_reward);
  c.policy_json = config["policy"];
  JsonFields p(c.policy_json, "policy");
  const std::string kind = p.string("kind");
  if (kind == "exact") {
    const std::string dir = io::resolve_relative(path, p.string("dir"));
    p.finish({"kind", "dir"});
    c.policy = load_exact_policy(dir, c.model, "policy.dir");
  } else if (kind == "ising") {
    const std::string j_path = io::resolve_relative(path, p.string("J"));
    const std::string h_path = p.has("h") ? io::resolve_relative(path, p.string("h")) : "";
    std::vector<double> prior = p.has("prior") ? parse_prior(p.at("prior"), "policy.prior") : std::vector<double>{0.5};
    p.finish({"kind", "J", "h", "prior"});
    c.policy = load_ising_policy(j_path, h_path, std::move(prior), "policy");
  } else {
    throw InvalidInput("policy.kind", "unknown policy kind \"" + kind + "\" (known: exact, ising)");
  }
  return c;
}

std::vector<double> to_doubles(const std::vector<std::uint64_t>& v) { return std::vector<double>(v.begin(), v.end()); }

void write_outputs(const std::string& dir, const SampleConfig& c, const SampleResult& r) {
  const SampleStats& st = r.stats;
  const auto n = static_cast<std::uint64_t>(st.n), m = static_cast<std::uint64_t>(st.m);
  const double samples = static_cast<double>(st.samples());
  io::ensure_directory(dir);
  std::vector<std::string> files;
  if (!st.histogram.empty()) {
    npy::save(dir + "/histogram.npy", to_doubles(st.histogram), {st.histogram.size()});
    files.push_back("histogram.npy");
  }
  if (!st.transitions.empty()) {
    npy::save(dir + "/transitions.npy", to_doubles(st.transitions), {st.transitions.size() / (n + 1), n + 1});
    files.push_back("transitions.npy");
  }
  npy::save(dir + "/spike_count_counts.npy", to_doubles(st.spike_count), {n + 1, m});
  files.push_back("spike_count_counts.npy");
  std::vector<double> rates(st.active.size());
  for (std::size_t i = 0; i < rates.size(); ++i) rates[i] = static_cast<double>(st.active[i]) / samples;
  npy::save(dir + "/rates.npy", rates, {n});
  files.push_back("rates.npy");
  if (!st.coactive.empty()) {
    std::vector<double> co(st.coactive.size());
    for (std::size_t k = 0; k < co.size(); ++k) co[k] = static_cast<double>(st.coactive[k]) / samples;
    npy::save(dir + "/coactivation.npy", co, {n, n});
    files.push_back("coactivation.npy");
    // Pearson correlation of sigma_i and sigma_j (NaN where a neuron never changes).
    std::vector<double> corr(co.size());
    for (std::uint64_t i = 0; i < n; ++i)
      for (std::uint64_t j = 0; j < n; ++j) {
        const double var = rates[i] * (1.0 - rates[i]) * rates[j] * (1.0 - rates[j]);
        corr[i * n + j] = var > 0.0 ? (co[i * n + j] - rates[i] * rates[j]) / std::sqrt(var)
                                    : std::numeric_limits<double>::quiet_NaN();
      }
    npy::save(dir + "/correlation.npy", corr, {n, n});
    files.push_back("correlation.npy");
  }
  // spike_count.csv: P(K | x), the format of `netrl solve`.
  std::vector<double> per_input(m, 0.0);
  for (std::uint64_t k = 0; k <= n; ++k)
    for (std::uint64_t x = 0; x < m; ++x) per_input[x] += static_cast<double>(st.spike_count[k * m + x]);
  std::ostringstream csv;
  csv << "K";
  for (std::uint64_t x = 0; x < m; ++x) csv << ",x" << x;
  csv << "\n";
  char buf[64];
  for (std::uint64_t k = 0; k <= n; ++k) {
    csv << k;
    for (std::uint64_t x = 0; x < m; ++x) {
      const double v = per_input[x] > 0.0 ? static_cast<double>(st.spike_count[k * m + x]) / per_input[x]
                                          : std::numeric_limits<double>::quiet_NaN();
      std::snprintf(buf, sizeof buf, ",%.17g", v);
      csv << buf;
    }
    csv << "\n";
  }
  io::write_file_atomic(dir + "/spike_count.csv", csv.str());
  files.push_back("spike_count.csv");
  for (const auto& raster : st.rasters) {
    const std::string name = "raster_chain" + std::to_string(raster.chain);
    io::write_file_atomic(dir + "/" + name + ".npy", npy::serialize(raster.states, {st.samples_per_chain, n}));
    npy::save(dir + "/inputs_chain" + std::to_string(raster.chain) + ".npy",
              std::vector<double>(raster.inputs.begin(), raster.inputs.end()), {st.samples_per_chain});
    files.push_back(name + ".npy");
    files.push_back("inputs_chain" + std::to_string(raster.chain) + ".npy");
  }

  json j;
  j["command"] = "sample";
  j["source"] = c.source;
  j["n"] = st.n;
  j["m"] = st.m;
  j["lambda"] = c.model.lambda;
  j["policy"] = c.policy_json;
  j["backend"] = r.backend;
  j["kernel"] = r.kernel;
  j["seed"] = r.seed;
  j["chains"] = st.chains;
  j["steps"] = c.options.steps;
  j["burn_in"] = c.options.burn_in;
  j["thin"] = c.options.thin;
  j["samples_per_chain"] = st.samples_per_chain;
  j["samples"] = st.samples();
  j["updates"] = r.updates;
  j["flips"] = st.flips;
  j["elapsed_seconds"] = r.elapsed_seconds;
  j["updates_per_second"] = r.elapsed_seconds > 0.0 ? static_cast<double>(r.updates) / r.elapsed_seconds : 0.0;
  std::vector<std::uint64_t> input_counts(m, 0);
  for (std::uint64_t x = 0; x < m; ++x) input_counts[x] = static_cast<std::uint64_t>(per_input[x]);
  j["input_counts"] = input_counts;
  j["rates"] = rates;
  double mean_k = 0.0;
  for (std::uint64_t k = 0; k <= n; ++k)
    for (std::uint64_t x = 0; x < m; ++x) mean_k += static_cast<double>(k) * static_cast<double>(st.spike_count[k * m + x]);
  j["mean_spike_count"] = mean_k / samples;
  if (c.has_reward && !st.histogram.empty()) {
    double total = 0.0;
    for (std::uint64_t s = 0; s < st.histogram.size(); ++s) {
      if (st.histogram[s]) {
        total += static_cast<double>(st.histogram[s]) *
                 c.model.reward.evaluate(st.n, s & ((std::uint64_t{1} << n) - 1), static_cast<int>(s >> n));
      }
    }
    j["mean_reward"] = total / samples;
  }
  j["files"] = files;
  io::write_file_atomic(dir + "/result.json", j.dump(2) + "\n");
}

constexpr const char* kSampleUsage =
    "usage: netrl sample CONFIG.json [--out DIR]\n"
    "Runs many chains of the network dynamics under a policy; see host/src/sample_cli.cpp for the\n"
    "configuration (\"policy\", \"sampling\") and the outputs written into DIR.\n";

}  // namespace

SamplerPolicy load_exact_policy(const std::string& dir, const NetworkModel& model, const std::string& field) {
  const std::string result_path = dir + "/result.json";
  json result = read_json_file(result_path);
  auto check = [&](const char* key, double expected) {
    if (!result.contains(key) || !result[key].is_number()) {
      throw InvalidInput(field, result_path + " has no numeric \"" + key + "\"; is it a `netrl solve --out` directory?");
    }
    const double got = result[key].get<double>();
    if (got != expected) {
      std::ostringstream os;
      os.precision(17);
      os << result_path << " was solved with " << key << " = " << got << " but the model has " << key << " = " << expected;
      throw InvalidInput(field, os.str());
    }
  };
  check("n", model.n);
  check("m", model.m());
  check("lambda", model.lambda);
  if (!result.contains("prior") || !result["prior"].is_array()) {
    throw InvalidInput(field, result_path + " has no \"prior\" array");
  }
  std::vector<double> prior = parse_prior(result["prior"], field + " (" + result_path + " \"prior\")");
  if (prior.size() != static_cast<std::size_t>(model.n)) {
    throw InvalidInput(field, result_path + " has " + std::to_string(prior.size()) + " prior entries, expected n = " +
                                  std::to_string(model.n));
  }
  std::vector<bool> clamped(static_cast<std::size_t>(model.n), false);
  for (const auto& c : model.clamps) clamped[static_cast<std::size_t>(c.neuron)] = true;
  for (int i = 0; i < model.n; ++i) {
    if (std::isnan(prior[i]) != clamped[i]) {
      throw InvalidInput(field, result_path + ": neuron " + std::to_string(i) + (clamped[i] ? " is clamped in the model but has a prior"
                                                                                         : " is free in the model but its prior is null (clamped)"));
    }
  }
  const std::string values_path = dir + "/values.npy";
  const npy::Array a = npy::load(values_path);
  if (a.dtype != "<f8") throw InvalidInput(field, values_path + " holds dtype '" + a.dtype + "'; expected float64");
  std::vector<double> values = npy::to_double(a, values_path);
  if (values.size() != model.num_states()) {
    throw InvalidInput(field, values_path + " holds " + std::to_string(values.size()) + " values, expected m * 2^n = " +
                                  std::to_string(model.num_states()));
  }
  return SamplerPolicy::exact(std::move(values), std::move(prior));
}

SamplerPolicy load_ising_policy(const std::string& j_path, const std::string& h_path, std::vector<double> prior,
                                const std::string& field) {
  const npy::Array ja = npy::load(j_path);
  if (ja.dtype != "<f8") throw InvalidInput(field + ".J", j_path + " holds dtype '" + ja.dtype + "'; expected float64");
  if (ja.shape.size() != 2 || ja.shape[0] != ja.shape[1]) {
    throw InvalidInput(field + ".J", j_path + " must hold a square n x n matrix");
  }
  std::vector<double> J = npy::to_double(ja, j_path);
  std::vector<double> h;
  if (h_path.empty()) {
    h.assign(ja.shape[0], 0.0);
  } else {
    const npy::Array ha = npy::load(h_path);
    if (ha.dtype != "<f8") throw InvalidInput(field + ".h", h_path + " holds dtype '" + ha.dtype + "'; expected float64");
    if (ha.shape.empty() || ha.shape.size() > 2 || ha.shape.back() != ja.shape[0]) {
      throw InvalidInput(field + ".h", h_path + " must hold n or m x n fields (n = " + std::to_string(ja.shape[0]) + ")");
    }
    h = npy::to_double(ha, h_path);
  }
  return SamplerPolicy::ising(std::move(J), std::move(h), std::move(prior));
}

int run_sample_command(const std::vector<std::string>& args) {
  std::string config, out;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "--out") {
      if (k + 1 >= args.size()) {
        std::cerr << "netrl: --out needs a value\n\n" << kSampleUsage;
        return 2;
      }
      out = args[++k];
    } else if (a == "--help" || a == "-h") {
      std::cout << kSampleUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "netrl: unknown option " << a << "\n\n" << kSampleUsage;
      return 2;
    } else if (config.empty()) {
      config = a;
    } else {
      std::cerr << "netrl: more than one configuration file given\n\n" << kSampleUsage;
      return 2;
    }
  }
  if (config.empty()) {
    std::cerr << "netrl: give CONFIG.json\n\n" << kSampleUsage;
    return 2;
  }
  const SampleConfig c = load_config(config);
  const SampleResult r = sample(c.model, c.policy, c.options);
  char line[256];
  std::snprintf(line, sizeof line, "netrl sample: %s\n  n = %d, m = %d, %llu chains x %llu steps (burn-in %llu, thin %llu), seed %llu\n",
                c.source.c_str(), r.stats.n, r.stats.m, static_cast<unsigned long long>(r.stats.chains),
                static_cast<unsigned long long>(c.options.steps), static_cast<unsigned long long>(c.options.burn_in),
                static_cast<unsigned long long>(c.options.thin), static_cast<unsigned long long>(r.seed));
  std::cout << line;
  std::snprintf(line, sizeof line, "  %llu samples, %llu neuron updates in %.3f s (%.3g updates/s), backend %s, kernel %s\n",
                static_cast<unsigned long long>(r.stats.samples()), static_cast<unsigned long long>(r.updates),
                r.elapsed_seconds, r.elapsed_seconds > 0 ? static_cast<double>(r.updates) / r.elapsed_seconds : 0.0,
                r.backend.c_str(), r.kernel.c_str());
  std::cout << line;
  if (!out.empty()) {
    write_outputs(out, c, r);
    std::cout << "  wrote " << out << "/result.json\n";
  }
  return 0;
}

}  // namespace netrl
