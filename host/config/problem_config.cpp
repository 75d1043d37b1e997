#include "netrl/config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "config/model_view.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

using nlohmann::json;

int to_int(std::int64_t v, const std::string& field, std::int64_t lo, std::int64_t hi) {
  if (v < lo || v > hi) {
    throw InvalidInput(field, "value " + std::to_string(v) + " must lie in [" + std::to_string(lo) +
                                  ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

const json& expect_array(const json& v, const std::string& field) {
  if (!v.is_array()) throw InvalidInput(field, "expected an array, got " + describe_json(v));
  return v;
}

std::vector<double> number_array(const json& v, const std::string& field) {
  expect_array(v, field);
  std::vector<double> out;
  out.reserve(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::string f = field + "[" + std::to_string(k) + "]";
    // JSON has no NaN: a null in a numeric array is the usual encoding of one.
    if (v[k].is_null()) throw InvalidInput(f, "value is null (NaN); rewards must be finite numbers");
    out.push_back(JsonFields::as_number(v[k], f));
  }
  return out;
}

InputProcess parse_input(const json& j) {
  JsonFields f(j, "input");
  const json& t = expect_array(f.at("T"), "input.T");
  InputProcess in;
  in.m = static_cast<int>(t.size());
  if (in.m < 1) throw InvalidInput("input.T", "the matrix has no rows");
  if (in.m > InputProcess::kMaxInputs) {
    throw InvalidInput("input.T", "m = " + std::to_string(in.m) + " input values exceed the limit " +
                                      std::to_string(InputProcess::kMaxInputs));
  }
  in.T.clear();
  for (int x = 0; x < in.m; ++x) {
    const std::string row = "input.T[" + std::to_string(x) + "]";
    const auto values = number_array(t[x], row);
    if (static_cast<int>(values.size()) != in.m) {
      throw InvalidInput(row, "row has " + std::to_string(values.size()) + " entries; T must be m x m with m = " +
                                  std::to_string(in.m));
    }
    in.T.insert(in.T.end(), values.begin(), values.end());
  }
  f.finish({"T"});
  return in;
}

RewardSpec parse_reward(const json& j, const std::string& source) {
  JsonFields f(j, "reward");
  const std::string kind = f.string("kind");
  if (kind == "count") {
    const json& t = expect_array(f.at("targets"), "reward.targets");
    std::vector<int> targets;
    for (std::size_t k = 0; k < t.size(); ++k) {
      const std::string field = "reward.targets[" + std::to_string(k) + "]";
      targets.push_back(to_int(JsonFields::as_integer(t[k], field), field, 0, NetworkModel::kMaxNeurons));
    }
    f.finish({"kind", "targets"});
    return RewardSpec::count(std::move(targets));
  }
  if (kind == "ring_bump") {
    const int width = to_int(f.integer("width"), "reward.width", 1, NetworkModel::kMaxNeurons);
    f.finish({"kind", "width"});
    return RewardSpec::ring_bump(width);
  }
  if (kind == "table") {
    if (f.has("values") == f.has("file")) {
      throw InvalidInput("reward", "a table reward needs exactly one of \"values\" (array) or \"file\" (.npy)");
    }
    if (f.has("values")) {
      auto values = number_array(f.at("values"), "reward.values");
      f.finish({"kind", "values", "file"});
      return RewardSpec::table(std::move(values));
    }
    const std::string path = io::resolve_relative(source, f.path_string("file"));
    f.finish({"kind", "values", "file"});
    const npy::Array a = under_field("reward.file", [&] { return npy::load(path); });
    if (a.dtype != "<f8") {
      throw InvalidInput("reward.file", path + " holds dtype '" + a.dtype +
                                            "'; a reward table must be float64 (numpy.float64)");
    }
    return RewardSpec::table(npy::to_double(a, path));
  }
  throw InvalidInput("reward.kind", "unknown reward kind " + quote_value(kind) + " (known: table, count, ring_bump)");
}

/// An iteration bound in [1, the limit solver_iterations].
std::int64_t iterations(JsonFields& f, const std::string& key, std::int64_t fallback, std::uint64_t most) {
  if (!f.has(key)) return fallback;
  const std::int64_t v = f.integer(key);
  if (v < 1) throw InvalidInput(f.field(key), "must be at least 1");
  if (static_cast<std::uint64_t>(v) > most) {
    throw InvalidInput(f.field(key), std::to_string(v) + " iterations exceed " + limit_hint(LimitId::solver_iterations));
  }
  return v;
}

SolverOptions parse_solver(const json& j) {
  JsonFields f(j, "solver");
  SolverOptions o;
  const std::string method = f.string_or("method", "value_iteration");
  if (method == "value_iteration") o.method = Method::value_iteration;
  else if (method == "policy_iteration") o.method = Method::policy_iteration;
  else throw InvalidInput("solver.method", "unknown method " + quote_value(method) + " (known: value_iteration, policy_iteration)");
  o.backend = parse_backend(f.string_or("backend", "auto"), "solver.backend",
                            {Backend::automatic, Backend::reference, Backend::host, Backend::cuda});
  const std::string precision = f.string_or("precision", "float64");
  if (precision == "float64") o.precision = Precision::float64;
  else if (precision == "float32") o.precision = Precision::float32;
  else throw InvalidInput("solver.precision", "unknown precision " + quote_value(precision) + " (known: float32, float64)");
  o.tol = f.number_or("tol", o.tol);
  o.prior_tol = f.number_or("prior_tol", o.prior_tol);
  const std::uint64_t most = limit(LimitId::solver_iterations);
  o.max_iterations = iterations(f, "max_iterations", o.max_iterations, most);
  o.max_outer_iterations = iterations(f, "max_outer_iterations", o.max_outer_iterations, most);
  o.p0 = f.number_or("p0", o.p0);
  o.prior_eps = f.number_or("prior_eps", o.prior_eps);
  o.threads = static_cast<int>(f.unsigned_or("threads", 0, 0, SolverOptions::kMaxThreads));
  f.finish({"method", "backend", "precision", "tol", "prior_tol", "max_iterations",
            "max_outer_iterations", "p0", "prior_eps", "threads"});
  o.validate("solver");
  return o;
}

std::vector<std::string> parse_map_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

Problem parse_problem(const json& config, const std::string& source) {
  return parse_problem(ObjectView(config, ""), source);
}

Problem parse_problem(const ObjectView& config, const std::string& source) {
  JsonFields f(config, "");
  Problem p;
  p.source = source;
  const std::string model = f.string("model");
  if (model == "network") {
    p.kind = ModelKind::network;
    NetworkModel& net = p.network;
    net.n = to_int(f.integer("n"), "n", 1, NetworkModel::kMaxNeurons);
    net.input = f.has("input") ? parse_input(f.at("input")) : InputProcess::none();
    net.reward = parse_reward(f.at("reward"), source);
    net.lambda = f.number("lambda");
    const std::string prior = f.string_or("prior", "population");
    if (prior == "population") net.prior_mode = PriorMode::population;
    else if (prior == "neuron") net.prior_mode = PriorMode::neuron;
    else throw InvalidInput("prior", "unknown prior mode " + quote_value(prior) + " (known: population, neuron)");
    if (f.has("clamp")) {
      const json& c = expect_array(f.at("clamp"), "clamp");
      for (std::size_t k = 0; k < c.size(); ++k) {
        const std::string field = "clamp[" + std::to_string(k) + "]";
        JsonFields cf(c[k], field);
        Clamp clamp;
        clamp.neuron = to_int(cf.integer("neuron"), field + ".neuron", 0, net.n - 1);
        clamp.state = to_int(cf.integer("state"), field + ".state", -1, 1);
        cf.finish({"neuron", "state"});
        net.clamps.push_back(clamp);
      }
    }
    p.solver = f.has("solver") ? parse_solver(f.at("solver")) : SolverOptions{};
    f.finish({"model", "n", "input", "reward", "lambda", "prior", "clamp", "solver"});
    net.validate();
  } else if (model == "maze") {
    p.kind = ModelKind::maze;
    std::vector<std::string> lines;
    std::string map_field = "map";
    if (f.has("map") == f.has("map_file")) {
      throw InvalidInput("map", "a maze needs exactly one of \"map\" (array of rows) or \"map_file\"");
    }
    if (f.has("map")) {
      const json& m = expect_array(f.at("map"), "map");
      for (std::size_t k = 0; k < m.size(); ++k) {
        const std::string field = "map[" + std::to_string(k) + "]";
        if (!m[k].is_string()) throw InvalidInput(field, "expected a string, got " + describe_json(m[k]));
        lines.push_back(m[k].get<std::string>());
      }
    } else {
      const std::string path = io::resolve_relative(source, f.path_string("map_file"));
      lines = parse_map_lines(under_field("map_file", [&] { return io::read_file(path, LimitId::text_bytes); }));
      map_field = "map_file (" + path + ")";
    }
    const double slip = f.number_or("slip", 0.05);
    p.maze_lambda = f.number("lambda");
    validate_lambda(p.maze_lambda);
    p.solver = f.has("solver") ? parse_solver(f.at("solver")) : SolverOptions{};
    f.finish({"model", "map", "map_file", "slip", "lambda", "solver"});
    p.maze = Maze::parse(lines, slip, map_field);
  } else {
    throw InvalidInput("model", "unknown model " + quote_value(model) + " (known: network, maze)");
  }
  return p;
}

Problem load_problem(const std::string& path) { return parse_problem(io::read_json_file(path), path); }

NETRL_NAMESPACE_END  // namespace netrl
