// `netrl infer`: configuration, data loading, the inference run and its outputs, and the built-in
// scenarios of MODEL.md sec. 5 (count8 from the exact solution, count8 from samples, the maze).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/infer.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "netrl/io/npy.hpp"

namespace netrl {

namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string join_list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& k : items) s += (s.empty() ? "" : ", ") + k;
  return s;
}

const std::vector<std::string> kInferKeys = {"data", "method", "reward_model", "true_reward", "predict", "optimizer"};
const std::vector<std::string> kNetworkKeys = {"model", "n", "input", "lambda", "prior", "clamp", "solver"};
const std::vector<std::string> kMazeKeys = {"model", "map", "map_file", "slip", "lambda", "solver"};
const std::vector<std::string> kMethods = {"auto", "closed_form", "policy", "ml", "maze", "parametric"};

bool contains(const std::vector<std::string>& list, const std::string& key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

/// Re-raises an InvalidInput of parse_problem with its field renamed (`from` prefix -> `to`).
[[noreturn]] void rethrow_renamed(const InvalidInput& e, const std::string& from, const std::string& to) {
  std::string message = e.what();
  const std::string head = e.field() + ": ";
  if (message.compare(0, head.size(), head) == 0) message = message.substr(head.size());
  std::string field = e.field();
  if (field.compare(0, from.size(), from) == 0) field = to + field.substr(from.size());
  throw InvalidInput(field, message);
}

Problem parse_model(json model, const std::string& source, bool maze_default_policy_iteration) {
  const bool method_given = model.contains("solver") && model["solver"].is_object() && model["solver"].contains("method");
  Problem p = parse_problem(model, source);
  if (p.kind == ModelKind::maze && !method_given && maze_default_policy_iteration) {
    p.solver.method = Method::policy_iteration;  // much faster than value iteration on the maze
  }
  return p;
}

std::string npy_path_or_object(const json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) return "";
  throw InvalidInput(field, "expected a reward object (like a solve config's \"reward\") or a .npy path, got " +
                                describe_json(v));
}

/// The prior of a solution's result.json: per neuron (null at clamped neurons) or per action.
std::vector<double> read_prior(const json& result, const std::string& field) {
  if (!result.contains("prior") || !result["prior"].is_array()) throw InvalidInput(field, "result.json has no \"prior\" array");
  std::vector<double> p;
  for (const auto& v : result["prior"]) p.push_back(v.is_null() ? kNaN : v.get<double>());
  return p;
}

std::string fmt(double v, const char* spec = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

json solve_summary(const inverse::ForwardSolve& f, const Problem& setting) {
  json j;
  j["lambda"] = f.lambda;
  j["solves"] = f.solves;
  if (!f.result.values.empty()) {
    j["gain"] = f.result.gain;
    j["mean_reward"] = f.result.mean_reward;
    j["mean_coding_cost"] = f.result.mean_coding_cost;
    j["prior"] = f.result.prior;
    j["converged"] = f.result.converged;
    if (setting.kind == ModelKind::network) {
      std::vector<std::vector<double>> pk(f.result.spike_count_cols);
      for (int x = 0; x < f.result.spike_count_cols; ++x)
        for (int k = 0; k < f.result.spike_count_rows; ++k)
          pk[x].push_back(f.result.spike_count[static_cast<std::size_t>(k) * f.result.spike_count_cols + x]);
      j["spike_count_given_x"] = pk;
    }
  }
  return j;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

InferConfig parse_infer_config(const json& config, const std::string& source) {
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  InferConfig c;
  c.source = source;
  if (!config.contains("model") || !config["model"].is_string()) {
    throw InvalidInput("model", "is required: \"network\" or \"maze\" (the model the data come from)");
  }
  const std::string kind = config["model"].get<std::string>();
  const bool maze = kind == "maze";
  const auto& model_keys = maze ? kMazeKeys : kNetworkKeys;
  for (const auto& item : config.items()) {
    const std::string& key = item.key();
    if (key == "reward") {
      throw InvalidInput("reward", "an infer config has no \"reward\" (the reward is what netrl infers); give the "
                                   "true reward, if known, as \"true_reward\"");
    }
    if (!contains(kInferKeys, key) && !contains(model_keys, key)) {
      std::vector<std::string> known = kInferKeys;
      known.insert(known.end(), model_keys.begin(), model_keys.end());
      throw InvalidInput(key, "unknown key (known keys of an infer config for model \"" + kind + "\": " +
                                  join_list(known) + ")");
    }
  }
  json model = json::object();
  for (const auto& item : config.items())
    if (!contains(kInferKeys, item.key())) model[item.key()] = item.value();

  // The true reward.
  std::string truth_npy;
  if (config.contains("true_reward")) {
    const json& t = config["true_reward"];
    if (maze) {
      if (!(t.is_string() && t.get<std::string>() == "map")) {
        throw InvalidInput("true_reward", "for a maze the true reward is that of the map's reward cells: write "
                                          "\"true_reward\": \"map\" (or leave it out), got " + describe_json(t));
      }
      c.has_truth = true;
    } else {
      truth_npy = npy_path_or_object(t, "true_reward");
      if (truth_npy.empty()) model["reward"] = t;
      c.has_truth = true;
    }
  }
  if (!maze && !model.contains("reward")) {
    // Placeholder reward so that parse_problem validates the rest of the model.
    std::size_t m = 1;
    if (model.contains("input") && model["input"].is_object() && model["input"].contains("T") &&
        model["input"]["T"].is_array() && !model["input"]["T"].empty()) {
      m = model["input"]["T"].size();
    }
    model["reward"] = {{"kind", "count"}, {"targets", std::vector<int>(m, 0)}};
  }
  try {
    c.problem = parse_model(model, source, true);
  } catch (const InvalidInput& e) {
    if (e.field().compare(0, 6, "reward") == 0) rethrow_renamed(e, "reward", "true_reward");
    throw;
  }
  if (!truth_npy.empty()) {
    const std::string path = io::resolve_relative(source, truth_npy);
    const npy::Array a = npy::load(path);
    if (a.dtype != "<f8") {
      throw InvalidInput("true_reward", path + " holds dtype '" + a.dtype + "'; a reward table must be float64");
    }
    RewardSpec spec = RewardSpec::table(npy::to_double(a, path));
    try {
      spec.validate(c.problem.network.n, c.problem.network.m());
    } catch (const InvalidInput& e) {
      rethrow_renamed(e, "reward.values", "true_reward (" + path + ")");
    }
    c.problem.network.reward = std::move(spec);
  }

  // Data.
  {
    if (!config.contains("data")) {
      throw InvalidInput("data", "is required: {\"solution\": DIR} (a netrl solve --out directory), {\"samples\": "
                                 "DIR} (a netrl sample --out directory) or {\"raster\": FILE.npy, \"inputs\": FILE.npy}");
    }
    JsonFields d(config["data"], "data");
    const int sources = static_cast<int>(d.has("solution")) + static_cast<int>(d.has("samples")) +
                        static_cast<int>(d.has("raster"));
    if (sources != 1) {
      throw InvalidInput("data", "give exactly one of \"solution\" (a netrl solve --out directory), \"samples\" (a "
                                 "netrl sample --out directory) or \"raster\" (.npy)");
    }
    if (d.has("inputs") && !d.has("raster")) throw InvalidInput("data.inputs", "an input sequence goes with a \"raster\"");
    if (d.has("solution")) {
      c.solution_dir = io::resolve_relative(source, d.string("solution"));
    } else if (d.has("samples")) {
      c.samples_dir = io::resolve_relative(source, d.string("samples"));
    } else {
      c.raster_path = io::resolve_relative(source, d.string("raster"));
      if (d.has("inputs")) c.inputs_path = io::resolve_relative(source, d.string("inputs"));
    }
    if (d.has("min_visits")) {
      const std::int64_t mv = d.integer("min_visits");
      if (mv < 1) throw InvalidInput("data.min_visits", "must be at least 1");
      c.optimizer.min_visits = static_cast<double>(mv);
    }
    d.finish({"solution", "samples", "raster", "inputs", "min_visits"});
  }
  if (config.contains("method")) {
    const json& v = config["method"];
    if (!v.is_string()) throw InvalidInput("method", "expected a string, got " + describe_json(v));
    c.method = v.get<std::string>();
    if (!contains(kMethods, c.method)) {
      throw InvalidInput("method", "unknown method \"" + c.method + "\" (known: " + join_list(kMethods) + ")");
    }
  }
  if (config.contains("reward_model")) {
    const json& v = config["reward_model"];
    if (!v.is_string()) throw InvalidInput("reward_model", "expected a string, got " + describe_json(v));
    if (c.method != "parametric") {
      throw InvalidInput("reward_model", "reward models belong to the parametric method (\"method\": \"parametric\")");
    }
    c.reward_model = inverse::parse_reward_model(v.get<std::string>(), "reward_model");
  }
  if (config.contains("optimizer")) {
    JsonFields o(config["optimizer"], "optimizer");
    if (o.has("max_iterations")) {
      const std::int64_t it = o.integer("max_iterations");
      if (it < 1 || it > 10000000) throw InvalidInput("optimizer.max_iterations", "must lie in [1, 10^7]");
      c.optimizer.max_iterations = static_cast<int>(it);
    }
    if (o.has("tolerance")) {
      c.optimizer.tolerance = o.number("tolerance");
      if (!(c.optimizer.tolerance > 0.0)) throw InvalidInput("optimizer.tolerance", "must be > 0");
    }
    if (o.has("ridge")) {
      c.optimizer.ridge = o.number("ridge");
      if (!(c.optimizer.ridge >= 0.0)) throw InvalidInput("optimizer.ridge", "must be >= 0");
    }
    o.finish({"max_iterations", "tolerance", "ridge"});
  }

  // Predictions: each entry patches the model keys it names.
  if (config.contains("predict")) {
    const json& list = config["predict"];
    if (!list.is_array()) throw InvalidInput("predict", "expected an array of settings, got " + describe_json(list));
    const std::vector<std::string> net_patch = {"input", "clamp", "lambda"};
    const std::vector<std::string> maze_patch = {"map", "map_file", "slip", "lambda"};
    const auto& patch_keys = maze ? maze_patch : net_patch;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const std::string path = "predict[" + std::to_string(k) + "]";
      JsonFields p(list[k], path);
      inverse::PredictionSpec spec;
      spec.name = p.has("name") ? p.string("name") : path;
      spec.keep_coding_cost = p.has("keep_coding_cost") ? p.boolean("keep_coding_cost") : false;
      if (p.has("reference")) spec.reference_dir = io::resolve_relative(source, p.string("reference"));
      if (p.has("coupling_mask")) {
        if (maze) throw InvalidInput(path + ".coupling_mask", "coupling masks belong to network models");
        const json& v = p.at("coupling_mask");
        const std::string field = path + ".coupling_mask";
        if (v.is_string()) {
          const std::string file = io::resolve_relative(source, v.get<std::string>());
          spec.coupling_mask = npy::to_double(npy::load(file), file);
        } else if (v.is_array()) {
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_array()) throw InvalidInput(field + "[" + std::to_string(i) + "]", "expected a row (array of 0/1)");
            for (std::size_t j = 0; j < v[i].size(); ++j) {
              if (!v[i][j].is_number()) {
                throw InvalidInput(field + "[" + std::to_string(i) + "][" + std::to_string(j) + "]", "expected 0 or 1");
              }
              spec.coupling_mask.push_back(v[i][j].get<double>());
            }
          }
        } else {
          throw InvalidInput(field, "expected an n x n array of 0/1 or a .npy path, got " + describe_json(v));
        }
        inverse::validate_coupling_mask(spec.coupling_mask, c.problem.network.n, field);
        if (c.problem.network.m() != 1) {
          throw InvalidInput(field, "coupling masks use the Ising policy family, solved for networks without input");
        }
      }
      json patched = model;
      for (const auto& key : patch_keys) {
        if (!p.has(key)) continue;
        patched[key] = p.at(key);
        if (key == "map") patched.erase("map_file");
        if (key == "map_file") patched.erase("map");
      }
      std::vector<std::string> known = {"name", "keep_coding_cost", "reference", "coupling_mask"};
      known.insert(known.end(), patch_keys.begin(), patch_keys.end());
      p.finish(known);
      try {
        spec.setting = parse_model(patched, source, true);
      } catch (const InvalidInput& e) {
        rethrow_renamed(e, "", path + ".");
      }
      spec.setting.solver = c.problem.solver;
      if (!maze) spec.setting.network.reward = c.problem.network.reward;
      c.predictions.push_back(std::move(spec));
    }
  }
  return c;
}

InferConfig load_infer_config(const std::string& path) {
  const json config = read_json_file(path);
  return parse_infer_config(config, path);
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

InferData load_solution(const std::string& dir, const Problem& problem, const std::string& field) {
  InferData d;
  d.kind = InferData::Kind::solution;
  d.description = "exact solution " + dir;
  const std::string result_path = dir + "/result.json";
  json result = read_json_file(result_path);
  const std::string want = problem.kind == ModelKind::network ? "network" : "maze";
  if (!result.contains("model") || result["model"] != want) {
    throw InvalidInput(field, result_path + " is not the solution of a " + want + " model");
  }
  if (!result.contains("lambda") || !result["lambda"].is_number()) throw InvalidInput(field, result_path + " has no lambda");
  d.lambda = result["lambda"].get<double>();
  if (std::abs(d.lambda - problem.lambda()) > 1e-12 * std::abs(problem.lambda())) {
    throw InvalidInput(field, result_path + " was solved at lambda = " + fmt(d.lambda, "%.17g") +
                                  "; the config has lambda = " + fmt(problem.lambda(), "%.17g"));
  }
  d.prior = read_prior(result, field);
  if (result.contains("degenerate") && result["degenerate"].is_array() && !result["degenerate"].empty()) {
    d.notes.push_back("the solution's prior is degenerate (" + result["degenerate"].dump() +
                      " hit the clip): states next to frozen neurons or unused actions have tiny stationary "
                      "mass or policy probability, and their rewards are numerically ill-determined");
  }
  std::uint64_t states = 0;
  if (problem.kind == ModelKind::network) {
    const NetworkModel& net = problem.network;
    if (result.value("n", -1) != net.n || result.value("m", -1) != net.m()) {
      throw InvalidInput(field, result_path + " has n = " + std::to_string(result.value("n", -1)) + ", m = " +
                                    std::to_string(result.value("m", -1)) + "; the config has n = " +
                                    std::to_string(net.n) + ", m = " + std::to_string(net.m()));
    }
    if (d.prior.size() != static_cast<std::size_t>(net.n)) throw InvalidInput(field, result_path + ": prior needs n entries");
    const std::uint64_t mask = net.clamp_mask();
    for (int i = 0; i < net.n; ++i) {
      const bool clamped = (mask >> i) & 1;
      if (clamped != std::isnan(d.prior[i])) {
        throw InvalidInput(field, result_path + ": neuron " + std::to_string(i) + " is " +
                                      (clamped ? "clamped in the config but has a prior" : "free in the config but has a null prior (clamped there)"));
      }
    }
    states = net.num_states();
  } else {
    if (d.prior.size() != static_cast<std::size_t>(Maze::kNumActions)) {
      throw InvalidInput(field, result_path + ": prior needs one entry per action");
    }
    states = static_cast<std::uint64_t>(problem.maze.num_states());
  }
  d.values = npy::to_double(npy::load(dir + "/values.npy"), dir + "/values.npy");
  d.stationary = npy::to_double(npy::load(dir + "/stationary.npy"), dir + "/stationary.npy");
  if (d.values.size() != states || d.stationary.size() != states) {
    throw InvalidInput(field, dir + ": values.npy / stationary.npy hold " + std::to_string(d.values.size()) + " / " +
                                  std::to_string(d.stationary.size()) + " entries; the model has " +
                                  std::to_string(states) + " states");
  }
  if (problem.kind == ModelKind::network) {
    const std::uint64_t nb = problem.network.num_network_states();
    for (std::uint64_t s = 0; s < states; ++s)
      if (problem.network.consistent(s % nb) && !std::isfinite(d.values[s])) {
        throw InvalidInput(field, dir + "/values.npy: value at state " + std::to_string(s) + " is not finite");
      }
  }
  return d;
}

namespace {

/// A `netrl sample` count file, its size checked before it is read and its shape before conversion.
std::vector<double> load_counts(const std::string& path, const std::vector<std::uint64_t>& shape,
                                const std::string& field) {
  const std::uint64_t entries = shape.size() == 1 ? shape[0] : shape[0] * shape[1];
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  // 8 bytes per entry (the sampler writes float64) plus a header of at most 64 KiB.
  if (!ec && bytes > entries * 8 + (std::uint64_t{1} << 16)) {
    throw InvalidInput(field, path + " has " + std::to_string(bytes) + " bytes; the model's " +
                                  std::to_string(entries) + " counts need at most " +
                                  std::to_string(entries * 8 + (std::uint64_t{1} << 16)) +
                                  " (was it sampled for a larger n or m?)");
  }
  const npy::Array a = npy::load(path);
  if (a.shape != shape) {
    auto text = [](const std::vector<std::uint64_t>& v) {
      std::string t = "(";
      for (std::size_t k = 0; k < v.size(); ++k) t += (k ? ", " : "") + std::to_string(v[k]);
      return t + (v.size() == 1 ? ",)" : ")");
    };
    throw InvalidInput(field, path + " has shape " + text(a.shape) + "; the model (m * 2^n states" +
                                  (shape.size() == 2 ? ", n + 1 successors" : "") + ") needs " + text(shape));
  }
  return npy::to_double(a, path);
}

}  // namespace

InferData load_samples(const std::string& dir, const Problem& problem, const std::string& field) {
  if (problem.kind != ModelKind::network) {
    throw InvalidInput(field, "a maze is inferred from an exact solution (\"data\": {\"solution\": DIR})");
  }
  const NetworkModel& net = problem.network;
  const std::string result_path = dir + "/result.json";
  json result = read_json_file(result_path);
  if (!result.is_object() || result.value("command", std::string()) != "sample") {
    throw InvalidInput(field, result_path + " is not the result of `netrl sample --out` (no \"command\": \"sample\")");
  }
  if (result.value("n", -1) != net.n || result.value("m", -1) != net.m()) {
    throw InvalidInput(field, result_path + " has n = " + std::to_string(result.value("n", -1)) + ", m = " +
                                  std::to_string(result.value("m", -1)) + "; the config has n = " +
                                  std::to_string(net.n) + ", m = " + std::to_string(net.m()));
  }
  if (!result.contains("lambda") || !result["lambda"].is_number()) throw InvalidInput(field, result_path + " has no lambda");
  const double lambda = result["lambda"].get<double>();
  if (std::abs(lambda - net.lambda) > 1e-12 * std::abs(net.lambda)) {
    throw InvalidInput(field, result_path + " was sampled at lambda = " + fmt(lambda, "%.17g") +
                                  "; the config has lambda = " + fmt(net.lambda, "%.17g") +
                                  " (the reward is inferred at the config's lambda: give the sampled one)");
  }
  // The model's size is bounded before the counts are read.
  if (net.n > inverse::kMaxTabularNeurons) {
    throw InvalidInput("n", "the tabular inverse keeps counts over the m * 2^n states; n = " + std::to_string(net.n) +
                                " exceeds its limit " + std::to_string(inverse::kMaxTabularNeurons));
  }
  const std::uint64_t states = net.num_states();
  const std::string hist_path = dir + "/histogram.npy", trans_path = dir + "/transitions.npy";
  if (!std::filesystem::exists(hist_path)) {
    throw InvalidInput(field, dir + " has no histogram.npy: the run did not record the state histogram (its "
                                    "\"sampling.record.histogram\" was false, or n > 24); sample again with "
                                    "\"record\": {\"histogram\": true, \"transitions\": true}");
  }
  std::vector<double> hist = load_counts(hist_path, {states}, field);
  std::vector<double> trans;
  if (std::filesystem::exists(trans_path)) {
    trans = load_counts(trans_path, {states, static_cast<std::uint64_t>(net.n + 1)}, field);
  }
  InferData d;
  d.kind = InferData::Kind::samples;
  d.counts = inverse::sampled_counts(net, std::move(hist), std::move(trans), field);
  d.description = "samples " + dir;
  if (result.value("burn_in", std::uint64_t{0}) == 0) {
    d.notes.push_back("the samples have no burn-in: the chains start from uniformly drawn states, so the first "
                      "steps are not stationary samples");
  }
  return d;
}

InferData load_data(const InferConfig& c) {
  if (!c.solution_dir.empty()) return load_solution(c.solution_dir, c.problem, "data.solution");
  if (!c.samples_dir.empty()) return load_samples(c.samples_dir, c.problem, "data.samples");
  if (c.problem.kind == ModelKind::maze) {
    throw InvalidInput("data.raster", "a maze is inferred from an exact solution (\"data\": {\"solution\": DIR})");
  }
  InferData d;
  d.kind = InferData::Kind::raster;
  d.raster = inverse::load_raster(c.raster_path, c.inputs_path, c.problem.network, "data");
  d.description = "raster " + c.raster_path + (c.inputs_path.empty() ? "" : " with inputs " + c.inputs_path);
  return d;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

namespace {

std::string resolve_method(const InferConfig& c, const InferData& d) {
  const bool maze = c.problem.kind == ModelKind::maze;
  const bool solution = d.kind == InferData::Kind::solution;
  std::string m = c.method;
  if (m == "auto") {
    if (maze) return "maze";
    if (c.problem.network.m() == 1) return "closed_form";
    return solution ? "policy" : "ml";
  }
  if (maze && m != "maze") throw InvalidInput("method", "a maze is inferred with the method \"maze\"");
  if (!maze && m == "maze") throw InvalidInput("method", "the method \"maze\" needs a maze model");
  if (m == "policy" && !solution) {
    throw InvalidInput("method", "\"policy\" inverts an exactly known policy: it needs \"data\": {\"solution\": DIR}");
  }
  return m;
}

}  // namespace

json run_infer(const InferConfig& c, const InferData& d, const std::string& out_dir) {
  const auto start = std::chrono::steady_clock::now();
  const std::string method = resolve_method(c, d);
  const Problem& problem = c.problem;
  const double lambda = problem.lambda();
  json result;
  result["source"] = c.source;
  result["model"] = problem.kind == ModelKind::network ? "network" : "maze";
  result["method"] = method;
  result["lambda"] = lambda;
  const char* kind_name = d.kind == InferData::Kind::solution  ? "solution"
                          : d.kind == InferData::Kind::samples ? "samples"
                                                               : "raster";
  result["data"] = {{"kind", kind_name}, {"description", d.description}};
  std::vector<double> reward, values, weights;
  std::vector<std::uint64_t> shape;
  bool converged = true;
  std::vector<std::string> notes;
  std::uint64_t block = 0;

  inverse::NetworkInverse net;
  if (problem.kind == ModelKind::network) {
    const NetworkModel& model = problem.network;
    block = model.num_network_states();
    inverse::NetworkData data;
    std::vector<double> prior;
    if (d.kind == InferData::Kind::solution) {
      prior = d.prior;
      data = inverse::expected_data(model, d.values, d.stationary, prior);
    } else {
      if (d.kind == InferData::Kind::samples) {
        data = d.counts;
        if (method == "ml" && data.transitions.empty()) {
          throw InvalidInput("data.samples", d.description +
                                                 " has no transitions.npy: the run had \"sampling.record.transitions\" "
                                                 "false, and the method \"ml\" needs the transitions; sample again with "
                                                 "\"record\": {\"transitions\": true}" +
                                                 (model.m() == 1 ? std::string(" or use \"method\": \"closed_form\"")
                                                                 : std::string()));
        }
      } else {
        data = inverse::count_raster(d.raster, model, method == "ml", "data");
      }
      prior = inverse::firing_prior(model, data);
      std::uint64_t visited = 0;
      for (double v : data.visits) visited += v > 0.0;
      result["data"]["samples"] = d.kind == InferData::Kind::samples ? static_cast<std::uint64_t>(data.total) : d.raster.steps;
      result["data"]["visited_states"] = visited;
      result["data"]["multi_flip_steps"] = data.multi_flips;
    }
    if (method == "closed_form") net = inverse::closed_form(model, data, prior, lambda, c.optimizer);
    else if (method == "policy") {
      net = inverse::invert_policy(model, inverse::policy_logits(model, d.values, prior, lambda), prior, lambda,
                                   d.stationary);
    } else if (method == "ml") net = inverse::maximum_likelihood(model, data, prior, lambda, c.optimizer);
    else net = inverse::parametric(model, data, prior, lambda, c.reward_model, c.optimizer);
    reward = net.reward;
    values = net.values;
    weights = d.kind == InferData::Kind::solution ? d.stationary : net.weights;
    if (d.kind == InferData::Kind::solution) inverse::center_per_block(reward, weights, block);
    converged = net.converged;
    notes = net.notes;
    result["prior"] = prior;
    result["missing_states"] = net.missing;
    result["iterations"] = net.iterations;
    result["evaluations"] = net.evaluations;
    result["objective"] = net.objective;
    result["gradient_norm"] = net.gradient_norm;
    result["n"] = model.n;
    result["m"] = model.m();
    shape = {static_cast<std::uint64_t>(model.m()), model.num_network_states()};
  } else {
    const Mdp mdp = problem.maze.mdp();
    const auto policy = inverse::mdp_greedy_policy(mdp, d.values, d.prior, lambda);
    // The policy of an exact solution is known at every state: weight the states equally.
    const std::vector<double> uniform(static_cast<std::size_t>(mdp.num_states), 1.0);
    const inverse::MdpInverse inv = inverse::invert_mdp_policy(mdp, policy, d.prior, lambda, uniform, c.optimizer);
    reward = inv.reward;
    values = inv.values;
    weights = d.stationary;
    block = static_cast<std::uint64_t>(mdp.num_states);
    inverse::center_per_block(reward, weights, block);
    converged = inv.converged;
    result["prior"] = d.prior;
    result["missing_states"] = 0;
    result["iterations"] = inv.iterations;
    result["newton_steps"] = inv.newton_steps;
    result["objective"] = inv.objective;
    result["gradient_norm"] = inv.gradient_norm;
    result["group_inverse_residual"] = inv.group_inverse_residual;
    result["maze_states"] = mdp.num_states;
    shape = {static_cast<std::uint64_t>(mdp.num_states)};
  }
  result["converged"] = converged;
  result["reward_convention"] =
      "per-input mean removed (weighted by the data distribution); NaN where missing or inconsistent with a clamp; "
      "inferred at the config's lambda";

  if (c.has_truth) {
    std::vector<double> truth = problem.kind == ModelKind::network
                                    ? problem.network.reward.tabulate(problem.network.n, problem.network.m())
                                    : problem.maze.mdp().reward;
    const auto cmp = inverse::compare_rewards(reward, truth, weights, block);
    result["comparison"] = {{"r2", cmp.r2},
                            {"scale", cmp.scale},
                            {"max_abs_error", cmp.max_abs_error},
                            {"rms_error", cmp.rms_error},
                            {"compared_states", cmp.compared},
                            {"weights", d.kind == InferData::Kind::solution ? "stationary distribution"
                                                                             : "visit histogram"}};
  }

  json predictions = json::array();
  inverse::Baseline baseline;
  for (std::size_t k = 0; k < c.predictions.size(); ++k) {
    const auto& spec = c.predictions[k];
    json j;
    inverse::PredictionResult pr;
    try {
      pr = inverse::predict(problem, reward, c.has_truth, spec, baseline);
    } catch (const NumericalError& e) {
      // A setting the inferred reward cannot be carried into (e.g. no lambda reaches the coding
      // cost): record it and go on with the other predictions.
      j["name"] = spec.name;
      j["error"] = e.what();
      converged = false;
      predictions.push_back(j);
      continue;
    }
    j["name"] = pr.name;
    j["keep_coding_cost"] = spec.keep_coding_cost;
    j["filled_states"] = pr.filled;
    j["target_coding_cost"] = pr.target_coding_cost;
    j["predicted"] = solve_summary(pr.predicted, spec.setting);
    converged = converged && pr.predicted.result.converged;
    if (pr.has_reference) {
      j["reference"] = spec.reference_dir.empty() ? solve_summary(pr.reference, spec.setting)
                                                  : json{{"directory", spec.reference_dir}};
      j["reference_target_coding_cost"] = pr.reference_target_coding_cost;
      j["kl_stationary"] = pr.kl_stationary;
      if (problem.kind == ModelKind::network) j["kl_spike_count"] = pr.kl_spike_count;
    }
    if (!out_dir.empty()) {
      io::ensure_directory(out_dir);
      const std::string name = "predict_" + std::to_string(k) + "_stationary.npy";
      npy::save(out_dir + "/" + name, pr.predicted.result.stationary, {pr.predicted.result.stationary.size()});
      j["stationary_file"] = name;
    }
    predictions.push_back(j);
  }
  result["predictions"] = predictions;
  result["kl_convention"] =
      "KL(reference || predicted); kl_stationary over the joint stationary distribution, kl_spike_count = "
      "sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x))";
  notes.insert(notes.begin(), d.notes.begin(), d.notes.end());
  result["notes"] = notes;
  result["elapsed_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result["converged"] = converged;

  if (!out_dir.empty()) {
    io::ensure_directory(out_dir);
    npy::save(out_dir + "/reward.npy", reward, {reward.size()});
    npy::save(out_dir + "/values.npy", values, {values.size()});
    result["files"] = {"reward.npy", "values.npy"};
    if (!net.J.empty()) {
      const auto n = static_cast<std::uint64_t>(problem.network.n);
      npy::save(out_dir + "/J.npy", net.J, {n, n});
      const auto m = static_cast<std::uint64_t>(problem.network.m());
      if (m == 1) npy::save(out_dir + "/h.npy", net.h, {n});
      else npy::save(out_dir + "/h.npy", net.h, {m, n});
      npy::save(out_dir + "/target.npy", net.target, {net.target.size()});
      result["files"] = {"reward.npy", "values.npy", "J.npy", "h.npy", "target.npy"};
    }
    result["reward_shape"] = shape;
    io::write_file_atomic(out_dir + "/result.json", result.dump(2) + "\n");
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

namespace {

inverse::PredictionSpec network_spec(const std::string& name, const Problem& base, double flip, int removed,
                                     bool keep_cost) {
  inverse::PredictionSpec s;
  s.name = name;
  s.setting = base;
  if (flip > 0.0) s.setting.network.input = InputProcess::binary_flip(flip);
  if (removed >= 0) s.setting.network.clamps.push_back(Clamp{removed, -1});
  s.keep_coding_cost = keep_cost;
  return s;
}

/// The count8 prediction settings of MODEL.md sec. 5: flip probabilities 0.01 and 0.03, one cell
/// removed, each with lambda re-tuned to keep the mean coding cost.
std::vector<inverse::PredictionSpec> count8_predictions(const Problem& base) {
  return {network_spec("flip 0.01", base, 0.01, -1, true), network_spec("flip 0.03", base, 0.03, -1, true),
          network_spec("cell 0 removed", base, 0.0, 0, true)};
}

/// The default maze with walls moved: the wall at (row 0, column 7) opened, one at (row 4,
/// column 14) added (the shortest path changes; every free cell stays reachable).
std::vector<std::string> moved_walls_map() {
  auto map = Maze::default_map();
  map[0][7] = '.';
  map[4][14] = '#';
  return map;
}

InferData solution_data(const Problem& p, const SolveResult& r) {
  InferData d;
  d.kind = InferData::Kind::solution;
  d.values = r.values;
  d.stationary = r.stationary;
  d.prior = r.prior;
  d.lambda = p.lambda();
  d.description = "exact solution of " + p.source;
  return d;
}

/// Mean and standard error of the mean over the finite entries.
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
std::size_t failures(const std::vector<double>& v) { return v.size() - finite(v).size(); }

/// Burn-in of the sample-size scenario: the input's correlation decays as 0.96^t and the network
/// relaxes within a few hundred steps, so after 10^4 steps the start state is forgotten to
/// far below any sampling error.
constexpr std::uint64_t kSampleBurnIn = 10000;


}  // namespace

std::vector<std::string> infer_scenario_names() { return {"count8", "count8-samples", "maze"}; }

json run_count8_samples(const SampleScenarioOptions& opt, const std::string& out_dir) {
  if (opt.repeats < 1) throw InvalidInput("--repeats", "must be at least 1");
  if (opt.sizes.empty()) throw InvalidInput("--sizes", "give at least one sample size");
  for (auto t : opt.sizes)
    if (t < 2) throw InvalidInput("--sizes", "every sample size must be at least 2");
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

  struct Row {
    std::uint64_t T = 0;
    int repeat = 0;
    std::uint64_t seed = 0;
    double r2 = kNaN;
    std::uint64_t missing = 0;
    int iterations = 0;
    bool converged = true;
    std::vector<double> kl_k, kl_s;
  };
  std::vector<Row> rows;
  for (std::size_t t = 0; t < opt.sizes.size(); ++t)
    for (int r = 0; r < opt.repeats; ++r) {
      Row row;
      row.T = opt.sizes[t];
      row.repeat = r;
      row.seed = opt.seed * 1000003ULL + t * 1009ULL + static_cast<std::uint64_t>(r);
      rows.push_back(row);
    }
  std::string failure;
  const std::int64_t R = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t k = 0; k < R; ++k) {
    Row& row = rows[k];
    try {
      // One recording of T steps: chain 0 of the shared sampler, keyed by the row's seed.
      const inverse::NetworkData data =
          inverse::sample_recording(model, exact.values, exact.prior, row.T, row.seed, kSampleBurnIn);
      const auto prior = inverse::firing_prior(model, data);
      inverse::OptimizerOptions oo;
      const inverse::NetworkInverse inv = inverse::maximum_likelihood(model, data, prior, model.lambda, oo);
      row.r2 = inverse::compare_rewards(inv.reward, truth, exact.stationary, model.num_network_states()).r2;
      row.missing = inv.missing;
      row.iterations = inv.iterations;
      row.converged = inv.converged;
      inverse::Baseline baseline;
      for (std::size_t p = 0; p < specs.size(); ++p) {
        try {
          const auto pr = inverse::predict(base, inv.reward, false, specs[p], baseline);
          row.kl_s.push_back(inverse::kl_divergence(references[p].stationary, pr.predicted.result.stationary));
          row.kl_k.push_back(inverse::kl_spike_count(references[p], pr.predicted.result, model.n, model.m()));
        } catch (const NumericalError&) {
          // No lambda reaches the coding cost of the (poorly) inferred reward in this setting:
          // counted as a failed prediction, left out of the means.
          row.kl_s.push_back(kNaN);
          row.kl_k.push_back(kNaN);
        }
      }
    } catch (const std::exception& e) {
#pragma omp critical
      failure = "T = " + std::to_string(row.T) + ", repeat " + std::to_string(row.repeat) + ": " + e.what();
    }
    if (opt.progress) {
#pragma omp critical
      std::cerr << "count8-samples: T = " << row.T << " repeat " << row.repeat << ": r^2 = " << fmt(row.r2, "%.4f")
                << "\n";
    }
  }
  if (!failure.empty()) throw NumericalError("count8-samples: " + failure);

  json summary = json::array();
  std::ostringstream csv, raw;
  csv << "T,repeats,r2_mean,r2_sem";
  raw << "T,repeat,seed,r2,missing_states,ml_iterations,ml_converged";
  auto slug = [](std::string s) {
    for (char& ch : s)
      if (ch == ' ') ch = '_';
    return s;
  };
  for (const auto& s : specs) {
    csv << ",kl_spike_count_" << slug(s.name) << "_mean,kl_spike_count_" << slug(s.name) << "_sem,kl_stationary_"
        << slug(s.name) << "_mean,kl_stationary_" << slug(s.name) << "_sem,failed_" << slug(s.name);
    raw << ",kl_spike_count_" << slug(s.name) << ",kl_stationary_" << slug(s.name);
  }
  csv << "\n";
  raw << "\n";
  char buf[64];
  auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return std::string(buf);
  };
  for (const auto& row : rows) {
    raw << row.T << "," << row.repeat << "," << row.seed << "," << num(row.r2) << "," << row.missing << ","
        << row.iterations << "," << (row.converged ? 1 : 0);
    for (std::size_t p = 0; p < specs.size(); ++p) raw << "," << num(row.kl_k[p]) << "," << num(row.kl_s[p]);
    raw << "\n";
  }
  for (auto T : opt.sizes) {
    std::vector<double> r2;
    std::vector<std::vector<double>> kk(specs.size()), ks(specs.size());
    for (const auto& row : rows) {
      if (row.T != T) continue;
      r2.push_back(row.r2);
      for (std::size_t p = 0; p < specs.size(); ++p) {
        kk[p].push_back(row.kl_k[p]);
        ks[p].push_back(row.kl_s[p]);
      }
    }
    csv << T << "," << r2.size() << "," << num(mean_of(r2)) << "," << num(sem_of(r2));
    json j = {{"T", T}, {"repeats", r2.size()}, {"r2_mean", mean_of(r2)}, {"r2_sem", sem_of(r2)}};
    json kl = json::object();
    for (std::size_t p = 0; p < specs.size(); ++p) {
      csv << "," << num(mean_of(kk[p])) << "," << num(sem_of(kk[p])) << "," << num(mean_of(ks[p])) << ","
          << num(sem_of(ks[p])) << "," << failures(kk[p]);
      kl[specs[p].name] = {{"kl_spike_count_mean", mean_of(kk[p])},
                           {"kl_spike_count_sem", sem_of(kk[p])},
                           {"kl_stationary_mean", mean_of(ks[p])},
                           {"kl_stationary_sem", sem_of(ks[p])},
                           {"failed", failures(kk[p])}};
    }
    csv << "\n";
    j["predictions"] = kl;
    summary.push_back(j);
  }
  json result;
  result["scenario"] = "count8-samples";
  result["method"] = "ml";
  result["sampler"] = "netrl::sample (host backend, Philox4x32-10 keyed by the row's seed in samples_raw.csv): one "
                      "chain, uniform start state, " + std::to_string(kSampleBurnIn) +
                      " burn-in steps, then T recorded steps (histogram and transitions)";
  result["burn_in"] = kSampleBurnIn;
  result["r2_weights"] = "exact stationary distribution, over states with an inferred reward, per-input means removed";
  result["seed"] = opt.seed;
  result["repeats"] = opt.repeats;
  result["predictions"] = opt.predictions;
  result["summary"] = summary;
  result["elapsed_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out_dir.empty()) {
    io::ensure_directory(out_dir);
    io::write_file_atomic(out_dir + "/samples.csv", csv.str());
    io::write_file_atomic(out_dir + "/samples_raw.csv", raw.str());
    io::write_file_atomic(out_dir + "/result.json", result.dump(2) + "\n");
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

namespace {

constexpr const char* kInferUsage =
    "usage:\n"
    "  netrl infer CONFIG.json [--out DIR]\n"
    "  netrl infer --scenario NAME [--out DIR]     (NAME: count8, count8-samples, maze)\n"
    "      count8-samples options: [--sizes T1,T2,...] [--repeats R] [--seed S] [--no-predict]\n"
    "                              [--backend B]  (network forward solver backend; count8 too)\n";

int infer_usage_error(const std::string& message) {
  std::cerr << "netrl infer: " << message << "\n\n" << kInferUsage;
  return 2;
}

void print_summary(const json& r) {
  std::cout << "netrl infer: " << r.value("source", std::string()) << "\n";
  std::cout << "  method " << r.value("method", std::string()) << ", lambda " << fmt(r.value("lambda", kNaN))
            << ", missing states " << r.value("missing_states", 0) << ", "
            << (r.value("converged", false) ? "converged" : "NOT CONVERGED") << "\n";
  if (r.contains("comparison")) {
    const auto& c = r["comparison"];
    auto get = [&](const char* k) { return c[k].is_number() ? c[k].get<double>() : kNaN; };
    std::cout << "  vs true reward: r^2 = " << fmt(get("r2"), "%.12f") << ", max |error| = " << fmt(get("max_abs_error"), "%.3e")
              << " over " << c["compared_states"] << " states\n";
  }
  for (const auto& p : r["predictions"]) {
    std::cout << "  predict \"" << p["name"].get<std::string>() << "\": lambda " << fmt(p["predicted"]["lambda"].get<double>());
    if (p.contains("kl_stationary") && p["kl_stationary"].is_number()) {
      std::cout << ", KL stationary " << fmt(p["kl_stationary"].get<double>(), "%.3e");
    }
    if (p.contains("kl_spike_count") && p["kl_spike_count"].is_number()) {
      std::cout << ", KL spike count " << fmt(p["kl_spike_count"].get<double>(), "%.3e");
    }
    std::cout << "\n";
  }
}

std::vector<std::uint64_t> parse_sizes(const std::string& text) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() || !(v >= 2.0) || v > 1e10 || std::floor(v) != v) throw std::invalid_argument(item);
      out.push_back(static_cast<std::uint64_t>(v));
    } catch (const std::exception&) {
      throw InvalidInput("--sizes", "\"" + item + "\" is not a sample size (an integer >= 2, e.g. 1000 or 1e6)");
    }
  }
  return out;
}

}  // namespace

int run_infer_command(const std::vector<std::string>& args) {
  std::string config, scenario_name, out;
  SampleScenarioOptions so;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "--no-predict") {
      so.predictions = false;
    } else if (a == "--out" || a == "--scenario" || a == "--repeats" || a == "--sizes" || a == "--seed" ||
               a == "--backend") {
      if (k + 1 >= args.size()) return infer_usage_error(a + " needs a value");
      const std::string v = args[++k];
      if (a == "--out") out = v;
      else if (a == "--scenario") scenario_name = v;
      else if (a == "--sizes") so.sizes = parse_sizes(v);
      else if (a == "--backend") so.backend = v;
      else {
        std::size_t used = 0;
        long long x = 0;
        try {
          x = std::stoll(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != v.size() || x < (a == "--seed" ? 0 : 1)) return infer_usage_error(a + " needs a positive integer");
        if (a == "--repeats") so.repeats = static_cast<int>(std::min<long long>(x, 100000));
        else so.seed = static_cast<std::uint64_t>(x);
      }
    } else if (!a.empty() && a[0] == '-') {
      return infer_usage_error("unknown option " + a);
    } else if (config.empty()) {
      config = a;
    } else {
      return infer_usage_error("more than one configuration file given");
    }
  }
  if (config.empty() == scenario_name.empty()) return infer_usage_error("give either CONFIG.json or --scenario NAME");
  json result;
  if (!config.empty()) {
    const InferConfig c = load_infer_config(config);
    const InferData d = load_data(c);
    result = run_infer(c, d, out);
    print_summary(result);
  } else if (scenario_name == "count8-samples") {
    so.progress = true;
    result = run_count8_samples(so, out);
    std::cout << "netrl infer: scenario count8-samples (" << so.repeats << " repeats)\n";
    for (const auto& row : result["summary"]) {
      std::cout << "  T = " << row["T"] << ": r^2 = " << fmt(row["r2_mean"].get<double>(), "%.4f") << " +- "
                << fmt(row["r2_sem"].is_number() ? row["r2_sem"].get<double>() : kNaN, "%.4f");
      for (const auto& item : row["predictions"].items()) {
        std::cout << ", KL(" << item.key() << ") = " << fmt(item.value()["kl_spike_count_mean"].get<double>(), "%.3e");
      }
      std::cout << "\n";
    }
  } else if (scenario_name == "count8" || scenario_name == "maze") {
    InferConfig c;
    c.has_truth = true;
    c.source = "scenario " + scenario_name;
    if (scenario_name == "count8") {
      c.problem = scenario("count8");
      c.problem.solver.backend = so.backend;  // empty: netrl::solve's default backend
      c.predictions = count8_predictions(c.problem);
    } else {
      c.problem = scenario("maze");
      c.problem.solver.method = Method::policy_iteration;
      inverse::PredictionSpec walls;
      walls.name = "moved walls";
      walls.setting = c.problem;
      walls.setting.maze = Maze::parse(moved_walls_map(), c.problem.maze.slip, "moved walls map");
      inverse::PredictionSpec cost;
      cost.name = "lambda 0.13";
      cost.setting = c.problem;
      cost.setting.maze_lambda = 0.13;
      c.predictions = {walls, cost};
    }
    c.optimizer.tolerance = 1e-12;
    const SolveResult exact = solve(c.problem);
    result = run_infer(c, solution_data(c.problem, exact), out);
    print_summary(result);
  } else {
    throw InvalidInput("--scenario", "unknown scenario \"" + scenario_name + "\" (known: " +
                                         join_list(infer_scenario_names()) + ")");
  }
  if (!out.empty()) std::cout << "  wrote " << out << "/result.json\n";
  if (result.contains("converged") && !result["converged"].get<bool>()) {
    std::cerr << "netrl infer: an optimiser or forward solve did not reach its tolerance; see \"converged\" and "
                 "\"notes\" in result.json\n";
    return 3;
  }
  return 0;
}

}  // namespace netrl
