#include "netrl/config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/io/files.hpp"
#include "config/json_fields.hpp"
#include "config/mdp_config.hpp"
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

/// The pixel input (docs/config-solve.md): {"pixels": P, "coupling": J, "bias": J0}.
InputProcess parse_pixel_input(JsonFields& f) {
  const int pixels = to_int(f.integer("pixels"), "input.pixels", 1, InputProcess::kMaxPixels);
  const double coupling = f.number("coupling");
  const double bias = f.number_or("bias", 0.0);
  f.finish({"pixels", "coupling", "bias"});
  return with_prefix("input", [&] { return InputProcess::glauber_pixels(pixels, coupling, bias); });
}

InputProcess parse_input(const json& j) {
  JsonFields f(j, "input");
  if (f.has("pixels")) {
    if (f.has("T")) throw InvalidInput("input", "give either \"T\" or \"pixels\", not both");
    return parse_pixel_input(f);
  }
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

/// A float64 .npy file of `count` entries (any shape), resolved against the configuration.
std::vector<double> float64_file(const std::string& source, const std::string& name, const std::string& field,
                                 std::uint64_t count) {
  const std::string path = io::resolve_relative(source, name);
  const npy::Array a = under_field(field, [&] { return npy::load(path); });
  if (a.dtype != "<f8") {
    throw InvalidInput(field, path + " holds dtype '" + a.dtype + "'; expected float64 (numpy.float64)");
  }
  if (a.size() != count) {
    throw InvalidInput(field, path + " holds " + std::to_string(a.size()) + " values; expected " + std::to_string(count));
  }
  return npy::to_double(a, path);
}

/// The reward of a network of n neurons (n bounds the spike-count targets and the bump width;
/// `lambda` is the model's, the default of a planted reward's).
/// `m`: the number of input values (a threshold feature is tabulated over them).
RewardSpec parse_reward(const json& j, const std::string& source, int n, int m, double lambda) {
  JsonFields f(j, "reward");
  const std::string kind = f.string("kind");
  if (kind == "count") {
    const json& t = expect_array(f.at("targets"), "reward.targets");
    std::vector<int> targets;
    for (std::size_t k = 0; k < t.size(); ++k) {
      const std::string field = "reward.targets[" + std::to_string(k) + "]";
      targets.push_back(to_int(JsonFields::as_integer(t[k], field), field, 0, NetworkModel::kMaxParametricNeurons));
    }
    f.finish({"kind", "targets"});
    return RewardSpec::count(std::move(targets));
  }
  if (kind == "ring_bump") {
    const int width = to_int(f.integer("width"), "reward.width", 1, NetworkModel::kMaxParametricNeurons);
    f.finish({"kind", "width"});
    return RewardSpec::ring_bump(width);
  }
  if (kind == "planted") {
    const auto un = static_cast<std::uint64_t>(n);
    std::vector<double> J = float64_file(source, f.string("J"), "reward.J", un * un);
    std::vector<double> h = f.has("h") ? float64_file(source, f.string("h"), "reward.h", un) : std::vector<double>(un, 0.0);
    const double prior = f.number_or("prior", 0.5);
    const double planted_lambda = f.number_or("lambda", lambda);
    f.finish({"kind", "J", "h", "prior", "lambda"});
    return RewardSpec::planted(std::move(J), std::move(h), prior, planted_lambda);
  }
  if (kind == "efficient_coding") {
    if (f.has("labels") == f.has("threshold")) {
      throw InvalidInput("reward", "an efficient_coding reward needs exactly one of \"labels\" (y(x) = -1 or +1 per "
                                   "input value) or \"threshold\" (y = +1 iff at least that many pixels are on)");
    }
    std::vector<int> labels;
    if (f.has("labels")) {
      const json& l = expect_array(f.at("labels"), "reward.labels");
      for (std::size_t k = 0; k < l.size(); ++k) {
        const std::string field = "reward.labels[" + std::to_string(k) + "]";
        labels.push_back(to_int(JsonFields::as_integer(l[k], field), field, -1, 1));
        if (labels.back() == 0) throw InvalidInput(field, "a label must be -1 or +1, got 0");
      }
    } else {
      const int threshold = to_int(f.integer("threshold"), "reward.threshold", 0, 64);
      labels = RewardSpec::threshold_labels(m, threshold);
      if (std::count(labels.begin(), labels.end(), labels.front()) == static_cast<std::ptrdiff_t>(labels.size())) {
        int most = 0;  // the most bits set in any input value x < m
        for (int x = 0; x < m; ++x) most = std::max(most, popcount64(static_cast<std::uint64_t>(x)));
        if (most == 0) {
          throw InvalidInput("reward.threshold", "an efficient_coding reward encodes the input, and this network has "
                                                 "none (m = 1): give \"input\"");
        }
        throw InvalidInput("reward.threshold",
                           "threshold " + std::to_string(threshold) + " gives every input value the label " +
                               (labels.front() > 0 ? "+1" : "-1") + " (the m = " + std::to_string(m) +
                               " input values have 0.." + std::to_string(most) +
                               " bits set), so there is nothing to encode; use " +
                               (most > 1 ? "a threshold in 1.." + std::to_string(most) : std::string("threshold 1")));
      }
    }
    RewardSpec r = RewardSpec::efficient_coding(std::move(labels));
    r.coding_tol = f.number_or("tol", r.coding_tol);
    r.coding_max_iterations = to_int(f.integer_or("max_iterations", r.coding_max_iterations), "reward.max_iterations",
                                     1, 1000000);
    f.finish({"kind", "labels", "threshold", "tol", "max_iterations"});
    return r;
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
  throw InvalidInput("reward.kind", "unknown reward kind " + quote_value(kind) + " (known: " +
                                        known_names<RewardKind>() + ")");
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

/// "solver.parametric" (docs/parametric.md, "Settings"); the coupling mask needs n.
ParametricOptions parse_parametric(const json& j, const std::string& source, int n) {
  JsonFields f(j, "solver.parametric");
  ParametricOptions o;
  constexpr std::uint64_t big = std::uint64_t{1} << 40;
  o.batch = f.unsigned_or("batch", o.batch, 1, std::uint64_t{1} << 20);
  o.chains = f.unsigned_or("chains", o.chains, 1, std::uint64_t{1} << 20);
  o.explore = f.unsigned_or("explore", o.explore, 0, std::uint64_t{1} << 20);
  o.sample_interval = f.unsigned_or("sample_interval", o.sample_interval, 0, big);
  o.burn_in = f.unsigned_or("burn_in", o.burn_in, 0, big);
  o.target_period = f.unsigned_or("target_period", o.target_period, 1, big);
  o.learning_rate = f.number_or("learning_rate", o.learning_rate);
  o.decay_start = f.unsigned_or("decay_start", o.decay_start, 0, big);
  o.decay_batches = f.unsigned_or("decay_batches", o.decay_batches, 0, big);
  o.seed = f.unsigned_or("seed", o.seed, 0, std::numeric_limits<std::uint64_t>::max());
  o.prior_warmup = f.unsigned_or("prior_warmup", o.prior_warmup, 0, big);
  o.tol = f.number_or("tol", o.tol);
  o.gain_tol = f.number_or("gain_tol", o.gain_tol);
  o.window = f.unsigned_or("window", o.window, 1, 1000);
  o.min_batches = f.unsigned_or("min_batches", o.min_batches, 0, big);
  o.max_batches = f.unsigned_or("max_batches", o.max_batches, 1, big);
  if (f.has("exact_check")) o.exact_check = f.boolean("exact_check");
  if (f.has("curvature_step")) o.curvature_step = f.boolean("curvature_step");
  if (f.has("horizon_step")) o.horizon_step = f.boolean("horizon_step");
  if (f.has("regression")) {
    o.regression = parse_enum<ParametricRegression>(f.string_or("regression", "value"), "solver.parametric.regression",
                                                    "regression");
  }
  if (f.has("coupling_mask")) {
    const json& m = f.at("coupling_mask");
    const auto un = static_cast<std::uint64_t>(n);
    if (m.is_string()) {
      o.coupling_mask = float64_file(source, m.get<std::string>(), "solver.parametric.coupling_mask", un * un);
    } else if (m.is_object()) {
      JsonFields mf(m, "solver.parametric.coupling_mask");
      const int d = to_int(mf.integer("ring_max_distance"), "solver.parametric.coupling_mask.ring_max_distance", 0, n / 2);
      mf.finish({"ring_max_distance"});
      o.coupling_mask = ring_coupling_mask(n, d);
    } else {
      throw InvalidInput("solver.parametric.coupling_mask",
                         "expected a .npy file name or {\"ring_max_distance\": d}, got " + describe_json(m));
    }
  }
  f.finish({"batch", "chains", "explore", "sample_interval", "burn_in", "target_period", "learning_rate", "decay_start",
            "decay_batches", "seed", "tol", "gain_tol", "window", "min_batches", "max_batches", "exact_check",
            "coupling_mask", "curvature_step", "horizon_step", "prior_warmup", "regression"});
  o.validate("solver.parametric", n);
  return o;
}

/// "solver"; `n` (0 for mazes) for the parametric section.
SolverOptions parse_solver(const json& j, const std::string& source, int n) {
  JsonFields f(j, "solver");
  SolverOptions o;
  o.method = parse_enum<Method>(f.string_or("method", "value_iteration"), "solver.method", "method");
  if (f.has("parametric")) {
    if (o.method != Method::parametric) {
      throw InvalidInput("solver.parametric", "settings of the parametric solver need \"method\": \"parametric\"");
    }
    o.parametric = parse_parametric(f.at("parametric"), source, n);
  }
  o.backend = parse_backend(f.string_or("backend", "auto"), "solver.backend",
                            {Backend::automatic, Backend::reference, Backend::host, Backend::cuda});
  o.precision = parse_enum<Precision>(f.string_or("precision", "float64"), "solver.precision", "precision");
  o.tol = f.number_or("tol", o.tol);
  o.prior_tol = f.number_or("prior_tol", o.prior_tol);
  const std::uint64_t most = limit(LimitId::solver_iterations);
  o.max_iterations = iterations(f, "max_iterations", o.max_iterations, most);
  o.max_outer_iterations = iterations(f, "max_outer_iterations", o.max_outer_iterations, most);
  o.p0 = f.number_or("p0", o.p0);
  o.prior_eps = f.number_or("prior_eps", o.prior_eps);
  o.threads = static_cast<int>(f.unsigned_or("threads", 0, 0, SolverOptions::kMaxThreads));
  if (f.has("policy_table")) o.policy_table = f.boolean("policy_table");
  f.finish({"method", "backend", "precision", "tol", "prior_tol", "max_iterations",
            "max_outer_iterations", "p0", "prior_eps", "threads", "policy_table", "parametric"});
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
    // The solver first: the parametric method allows networks beyond the exact state space.
    const bool parametric = f.has("solver") && f.at("solver").is_object() && f.at("solver").contains("method") &&
                            f.at("solver")["method"] == "parametric";
    net.n = to_int(f.integer("n"), "n", 1, NetworkModel::kMaxParametricNeurons);
    if (!parametric && net.n > NetworkModel::kMaxNeurons) {
      throw InvalidInput("n", "the number of neurons n = " + std::to_string(net.n) + " must lie in [1, " +
                                  std::to_string(NetworkModel::kMaxNeurons) +
                                  "] for the exact state space (m * 2^n states); larger networks are solved by "
                                  "solver.method \"parametric\" (up to " +
                                  std::to_string(NetworkModel::kMaxParametricNeurons) + ")");
    }
    net.input = f.has("input") ? parse_input(f.at("input")) : InputProcess::none();
    net.lambda = f.number("lambda");
    net.reward = parse_reward(f.at("reward"), source, net.n, net.input.m, net.lambda);
    net.prior_mode = parse_enum<PriorMode>(f.string_or("prior", "population"), "prior", "prior mode");
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
    p.solver = f.has("solver") ? parse_solver(f.at("solver"), source, net.n) : SolverOptions{};
    if (f.has("warm_start")) {
      p.warm_start = io::resolve_relative(source, f.string("warm_start"));
      if (p.solver.backend == Backend::reference) {
        throw InvalidInput("warm_start", "the reference backend starts from v = 0; warm starts need solver.backend "
                                         "\"host\" or \"cuda\"");
      }
    }
    f.finish({"model", "n", "input", "reward", "lambda", "prior", "clamp", "solver", "warm_start"});
    if (p.solver.method == Method::parametric) net.validate_parametric();
    else net.validate();
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
    p.solver = f.has("solver") ? parse_solver(f.at("solver"), source, 0) : SolverOptions{};
    if (p.solver.method == Method::parametric) {
      throw InvalidInput("solver.method", "the parametric solver is for networks, not mazes");
    }
    f.finish({"model", "map", "map_file", "slip", "lambda", "solver"});
    p.maze = Maze::parse(lines, slip, map_field);
  } else if (model == "mdp") {
    p.kind = ModelKind::mdp;
    p.mdp_lambda = f.number("lambda");
    validate_lambda(p.mdp_lambda);
    p.solver = f.has("solver") ? parse_solver(f.at("solver"), source, 0) : SolverOptions{};
    p.mdp = parse_mdp_model(f, source);
    f.finish({"model", "transitions", "reward", "allow_transient", "lambda", "solver"});
  } else {
    throw InvalidInput("model", "unknown model " + quote_value(model) + " (known: " + known_names<ModelKind>() + ")");
  }
  return p;
}

Problem load_problem(const std::string& path) { return parse_problem(io::read_json_file(path), path); }

NETRL_NAMESPACE_END  // namespace netrl
