// The `netrl infer` configuration (docs/config-infer.md): the model keys of a solve configuration
// without "reward", plus "data", "method", "reward_model", "true_reward", "optimizer" and
// "predict"; and the data it names.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>

#include "config/json_fields.hpp"
#include "config/model_view.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/io/raster.hpp"
#include "netrl/io/samples.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

using nlohmann::json;

std::string join_list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& k : items) s += (s.empty() ? "" : ", ") + k;
  return s;
}

const std::vector<std::string> kInferKeys = {"data",    "method",  "reward_model", "states",
                                             "true_reward", "predict", "optimizer"};
const std::vector<std::string> kNetworkKeys = {"model", "n", "input", "lambda", "prior", "clamp", "solver"};
const std::vector<std::string> kMazeKeys = {"model", "map", "map_file", "slip", "lambda", "solver"};

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

Problem parse_model(const ObjectView& model, const std::string& source, bool maze_default_policy_iteration) {
  const bool method_given =
      model.contains("solver") && model.at("solver").is_object() && model.at("solver").contains("method");
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

}  // namespace

InferConfig parse_infer_config(const json& config, const std::string& source) {
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  InferConfig cfg;
  InferSettings& c = cfg.settings;
  c.source = source;
  if (!config.contains("model") || !config.at("model").is_string()) {
    throw InvalidInput("model", "is required: \"network\" or \"maze\" (the model the data come from)");
  }
  const std::string kind = config.at("model").get<std::string>();
  if (kind == "mdp") {
    throw InvalidInput("model", "netrl infer takes \"network\" or \"maze\" models; general MDPs (\"mdp\") are "
                                "solved only (netrl solve)");
  }
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
      throw InvalidInput(shorten(key), "unknown key (known keys of an infer config for model " + quote_value(kind) + ": " +
                                  join_list(known) + ")");
    }
  }
  // The model keys, seen without the infer sections (no copy of the configuration).
  ObjectView model(config, "");
  for (const auto& key : kInferKeys) model.hide(key);

  // The true reward.
  std::string truth_npy;
  if (config.contains("true_reward")) {
    const json& t = config.at("true_reward");
    if (maze) {
      if (!(t.is_string() && t.get<std::string>() == "map")) {
        throw InvalidInput("true_reward", "for a maze the true reward is that of the map's reward cells: write "
                                          "\"true_reward\": \"map\" (or leave it out), got " + describe_json(t));
      }
      c.has_truth = true;
    } else {
      truth_npy = npy_path_or_object(t, "true_reward");
      if (truth_npy.empty()) model.replace("reward", &t);
      c.has_truth = true;
    }
  }
  json placeholder;
  if (!maze && !model.contains("reward")) {
    // Placeholder reward so that parse_problem validates the rest of the model.
    std::size_t m = 1;
    if (model.contains("input") && model.at("input").is_object() && model.at("input").contains("T") &&
        model.at("input").at("T").is_array() && !model.at("input").at("T").empty()) {
      m = model.at("input").at("T").size();
    }
    placeholder = {{"kind", "count"}, {"targets", std::vector<int>(std::min<std::size_t>(m, 1u << 20), 0)}};
    model.replace("reward", &placeholder);
  }
  // A network beyond the exact state space (n > 40) is inferred by the parametric method on its
  // visited states; its model is then checked as a parametric one (n <= 16384), as if its
  // "solver" said "parametric".
  json parametric_solver;
  if (!maze && config.contains("n") && config.at("n").is_number_integer() &&
      config.at("n").get<std::int64_t>() > NetworkModel::kMaxNeurons &&
      config.at("n").get<std::int64_t>() <= NetworkModel::kMaxParametricNeurons) {
    if (!(config.contains("method") && config.at("method") == "parametric")) {
      throw InvalidInput("n", "n = " + std::to_string(config.at("n").get<std::int64_t>()) +
                                  " is beyond the exact state space (n <= " + std::to_string(NetworkModel::kMaxNeurons) +
                                  "); netrl infer takes networks this large only with \"method\": \"parametric\" "
                                  "(rewards on the visited states)");
    }
    if (!model.contains("solver")) {
      parametric_solver = {{"method", "parametric"}};
      model.replace("solver", &parametric_solver);
    }
  }
  try {
    c.problem = parse_model(model, source, true);
  } catch (const InvalidInput& e) {
    if (e.field().compare(0, 6, "reward") == 0) rethrow_renamed(e, "reward", "true_reward");
    throw;
  }
  if (!truth_npy.empty()) {
    if (truth_npy.size() > 4096 || truth_npy.find('\0') != std::string::npos) {
      throw InvalidInput("true_reward", "not a file name (over 4096 bytes or with a NUL character)");
    }
    const std::string path = io::resolve_relative(source, truth_npy);
    const npy::Array a = under_field("true_reward", [&] { return npy::load(path); });
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
    JsonFields d(config.at("data"), "data");
    const int sources = static_cast<int>(d.has("solution")) + static_cast<int>(d.has("samples")) +
                        static_cast<int>(d.has("raster"));
    if (sources != 1) {
      throw InvalidInput("data", "give exactly one of \"solution\" (a netrl solve --out directory), \"samples\" (a "
                                 "netrl sample --out directory) or \"raster\" (.npy)");
    }
    if (d.has("inputs") && !d.has("raster")) throw InvalidInput("data.inputs", "an input sequence goes with a \"raster\"");
    if (d.has("solution")) {
      cfg.solution_dir = io::resolve_relative(source, d.path_string("solution"));
    } else if (d.has("samples")) {
      cfg.samples_dir = io::resolve_relative(source, d.path_string("samples"));
    } else {
      cfg.raster_path = io::resolve_relative(source, d.path_string("raster"));
      if (d.has("inputs")) cfg.inputs_path = io::resolve_relative(source, d.path_string("inputs"));
    }
    if (d.has("min_visits")) {
      if (d.has("solution")) {
        throw InvalidInput("data.min_visits", "applies to sampled data (\"samples\" or \"raster\"); an exact "
                                              "solution's states are weighted by their stationary mass");
      }
      const std::int64_t mv = d.integer("min_visits");
      if (mv < 1) throw InvalidInput("data.min_visits", "must be at least 1");
      c.optimizer.min_visits = static_cast<double>(mv);
    }
    d.finish({"solution", "samples", "raster", "inputs", "min_visits"});
  }
  if (config.contains("method")) {
    const json& v = config.at("method");
    if (!v.is_string()) throw InvalidInput("method", "expected a string, got " + describe_json(v));
    c.method = parse_infer_method(v.get<std::string>());
  }
  if (config.contains("reward_model")) {
    const json& v = config.at("reward_model");
    if (!v.is_string()) throw InvalidInput("reward_model", "expected a string, got " + describe_json(v));
    if (c.method != InferMethod::parametric) {
      throw InvalidInput("reward_model", "reward models belong to the parametric method (\"method\": \"parametric\")");
    }
    c.reward_model = inverse::parse_reward_model(v.get<std::string>());
  }
  if (config.contains("states")) {
    const json& v = config.at("states");
    if (!v.is_string()) throw InvalidInput("states", "expected a string, got " + describe_json(v));
    if (c.method != InferMethod::parametric) {
      throw InvalidInput("states", "\"states\" belongs to the parametric method (\"method\": \"parametric\")");
    }
    c.states = parse_enum<StateReport>(v.get<std::string>(), "states", "state report");
  }
  if (config.contains("optimizer")) {
    JsonFields o(config.at("optimizer"), "optimizer");
    if (o.has("max_iterations")) {
      // Held within int (0 or INT_MAX beyond) for validate() to name the bound.
      c.optimizer.max_iterations = static_cast<int>(std::clamp<std::int64_t>(
          o.integer("max_iterations"), 0, std::numeric_limits<int>::max()));
    }
    if (o.has("tolerance")) c.optimizer.tolerance = o.number("tolerance");
    if (o.has("ridge")) c.optimizer.ridge = o.number("ridge");
    if (o.has("noise_fraction")) c.optimizer.noise_fraction = o.number("noise_fraction");
    o.finish({"max_iterations", "tolerance", "ridge", "noise_fraction"});
    c.optimizer.validate("optimizer");
  }

  // Predictions: each entry patches the model keys it names.
  if (config.contains("predict")) {
    const json& list = config.at("predict");
    if (!list.is_array()) throw InvalidInput("predict", "expected an array of settings, got " + describe_json(list));
    if (list.size() > limit(LimitId::predictions)) {
      throw InvalidInput("predict", std::to_string(list.size()) + " predictions (each a forward solve) exceed " +
                                        limit_hint(LimitId::predictions));
    }
    const std::vector<std::string> net_patch = {"input", "clamp", "lambda"};
    const std::vector<std::string> maze_patch = {"map", "map_file", "slip", "lambda"};
    const auto& patch_keys = maze ? maze_patch : net_patch;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const std::string path = "predict[" + std::to_string(k) + "]";
      JsonFields p(list[k], path);
      inverse::PredictionSpec spec;
      spec.name = p.has("name") ? p.string("name") : path;
      spec.keep_coding_cost = p.has("keep_coding_cost") ? p.boolean("keep_coding_cost") : false;
      if (p.has("reference")) spec.reference_dir = io::resolve_relative(source, p.path_string("reference"));
      if (p.has("coupling_mask")) {
        if (maze) throw InvalidInput(path + ".coupling_mask", "coupling masks belong to network models");
        const json& v = p.at("coupling_mask");
        const std::string field = path + ".coupling_mask";
        if (v.is_string()) {
          const std::string file = io::resolve_relative(source, p.path_string("coupling_mask"));
          spec.coupling_mask = under_field(field, [&] { return npy::to_double(npy::load(file), file); });
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
        under_field(field, [&] { inverse::validate_coupling_mask(spec.coupling_mask, c.problem.network.n); });
        if (c.problem.network.m() != 1) {
          throw InvalidInput(field, "coupling masks use the Ising policy family, solved for networks without input");
        }
      }
      ObjectView patched = model;
      for (const auto& key : patch_keys) {
        if (!p.has(key)) continue;
        patched.replace(key, &p.at(key));
        if (key == "map") patched.hide("map_file");
        if (key == "map_file") patched.hide("map");
      }
      std::vector<std::string> known = {"name", "keep_coding_cost", "reference", "coupling_mask"};
      known.insert(known.end(), patch_keys.begin(), patch_keys.end());
      p.finish(known);
      try {
        spec.setting = parse_model(patched, source, true);
      } catch (const InvalidInput& e) {
        // Another number of input values makes the original reward (checked with the changed
        // input) fail first: name the input the user changed, not the reward they never wrote.
        if (!maze && p.has("input") && e.field().rfind("reward", 0) == 0) {
          throw InvalidInput(path + ".input", "a prediction keeps the number of input values m = " +
                                                  std::to_string(c.problem.network.m()) +
                                                  ", since the inferred reward has one value per state and input "
                                                  "value (with this input: " + e.field() + ": " + e.message() + ")");
        }
        rethrow_renamed(e, "", path + ".");
      }
      spec.setting.solver = c.problem.solver;
      if (!maze) spec.setting.network.reward = c.problem.network.reward;
      c.predictions.push_back(std::move(spec));
    }
  }
  return cfg;
}

InferConfig load_infer_config(const std::string& path) { return parse_infer_config(io::read_json_file(path), path); }

InferData load_infer_data(const InferConfig& c) {
  const Problem& problem = c.settings.problem;
  InferData d;
  if (!c.solution_dir.empty()) {
    const io::Solution s = under_field("data.solution", [&] {
      io::Solution read = io::read_solution(c.solution_dir);
      io::check_solution(read, problem);
      // The predictions re-solve in the config's prior mode: it must be the data's.
      if (problem.kind == ModelKind::network && !read.prior_mode.empty() &&
          read.prior_mode != to_string(problem.network.prior_mode)) {
        throw InvalidInput("", read.dir + "/result.json was solved with prior " + quote_value(read.prior_mode) +
                                   "; the config has prior \"" + to_string(problem.network.prior_mode) + "\"");
      }
      return read;
    });
    d.kind = InferData::Kind::solution;
    d.description = "exact solution " + c.solution_dir;
    d.values = s.result.values;
    d.stationary = s.result.stationary;
    d.prior = s.result.prior;
    d.lambda = s.lambda;
    if (!s.result.degenerate.empty()) {
      std::string list;
      for (int k : s.result.degenerate) list += (list.empty() ? "" : ",") + std::to_string(k);
      d.notes.push_back("the solution's prior is degenerate ([" + list +
                        "] hit the clip): states next to frozen neurons or unused actions have tiny stationary "
                        "mass or policy probability, and their rewards are numerically ill-determined");
    }
    return d;
  }
  if (problem.kind == ModelKind::maze) {
    throw InvalidInput(c.samples_dir.empty() ? "data.raster" : "data.samples",
                       "a maze is inferred from an exact solution (\"data\": {\"solution\": DIR})");
  }
  if (!c.samples_dir.empty()) {
    std::vector<std::string> notes;
    d = InferData::from_counts(
        under_field("data.samples", [&] { return io::read_samples(c.samples_dir, problem.network, &notes); }),
        "samples " + c.samples_dir);
    d.notes = std::move(notes);
    return d;
  }
  return InferData::from_raster(
      with_prefix("data", [&] { return io::read_raster(c.raster_path, c.inputs_path, problem.network); }),
      "raster " + c.raster_path + (c.inputs_path.empty() ? "" : " with inputs " + c.inputs_path));
}

NETRL_NAMESPACE_END  // namespace netrl
