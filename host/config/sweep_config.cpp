// The `netrl sweep` file (docs/sweeps.md): the command, the base configuration, the axes, the
// repeats and the warm-start key; and the configuration of one count8-samples point.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "config/json_fields.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/sample.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"
#include "sweep/json_tree.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

using nlohmann::json;

/// Values are capped so that a typo ("linspace": [0, 1, 1e9]) fails before anything is allocated.
constexpr std::int64_t kMaxAxisValues = 1 << 20;

sweep::Kind parse_kind(const std::string& name) {
  for (sweep::Kind k : {sweep::Kind::solve, sweep::Kind::sample, sweep::Kind::infer, sweep::Kind::count8_samples,
                        sweep::Kind::sampled})
    if (name == sweep::to_string(k)) return k;
  throw InvalidInput("command", "unknown command \"" + name +
                                    "\" (known: solve, sample, infer, count8-samples, sampled-vs-exact)");
}

/// [start, stop, count] of linspace/geomspace.
std::vector<json> spaced(const json& spec, const std::string& field, bool geometric) {
  if (!spec.is_array() || spec.size() != 3) {
    throw InvalidInput(field, "expected [start, stop, count], got " + describe_json(spec));
  }
  const double a = JsonFields::as_number(spec[0], field + "[0]");
  const double b = JsonFields::as_number(spec[1], field + "[1]");
  const std::int64_t count = JsonFields::as_integer(spec[2], field + "[2]");
  if (count < 1 || count > kMaxAxisValues) {
    throw InvalidInput(field + "[2]", "the count " + std::to_string(count) + " must lie in [1, " +
                                          std::to_string(kMaxAxisValues) + "]");
  }
  if (geometric && !(a > 0.0 && b > 0.0)) throw InvalidInput(field, "geomspace needs start > 0 and stop > 0");
  std::vector<json> out;
  for (std::int64_t k = 0; k < count; ++k) {
    const double t = count == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(count - 1);
    // Interpolated so that nothing overflows between finite ends (b - a and b / a may).
    double v = geometric ? std::exp((1.0 - t) * std::log(a) + t * std::log(b)) : (1.0 - t) * a + t * b;
    if (k == 0) v = a;
    if (k == count - 1) v = b;
    if (!std::isfinite(v)) {
      throw InvalidInput(field, "value " + std::to_string(k) + " of [" + number_text(a) + ", " + number_text(b) + ", " +
                                    std::to_string(count) + "] is not finite");
    }
    // Whole numbers stay integers (sample sizes, n): geomspace [1e3, 1e6, 4] gives 1000 ... 1000000.
    const double r = std::round(v);
    if (geometric && std::abs(v - r) <= 1e-9 * std::abs(v) && std::abs(r) < 9e15) {
      out.emplace_back(static_cast<std::int64_t>(r));
    } else {
      out.emplace_back(v);
    }
  }
  return out;
}

/// An integer of a range: int64 (a JSON integer above 2^63 - 1 would wrap).
std::int64_t range_integer(const json& v, const std::string& field) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw InvalidInput(field, "the integer " + v.dump() + " is beyond 2^63 - 1 (ranges hold 64-bit signed integers)");
  }
  return JsonFields::as_integer(v, field);
}

/// [start, stop] or [start, stop, step], integers, stop included. The number of values is
/// computed without overflow and checked against the cap before anything is built; the values
/// are start + k * step, so the last one never steps past stop (nor past 2^63 - 1).
std::vector<json> integer_range(const json& spec, const std::string& field) {
  if (!spec.is_array() || spec.size() < 2 || spec.size() > 3) {
    throw InvalidInput(field, "expected [start, stop] or [start, stop, step] (integers, stop included), got " +
                                  describe_json(spec));
  }
  const std::int64_t a = range_integer(spec[0], field + "[0]");
  const std::int64_t b = range_integer(spec[1], field + "[1]");
  const std::int64_t step = spec.size() == 3 ? range_integer(spec[2], field + "[2]") : 1;
  if (step <= 0) throw InvalidInput(field + "[2]", "the step must be a positive integer");
  if (b < a) throw InvalidInput(field, "stop " + std::to_string(b) + " is below start " + std::to_string(a));
  // b - a in unsigned arithmetic: exact for any int64 a <= b (at most 2^64 - 1).
  const std::uint64_t span = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
  const std::uint64_t steps = span / static_cast<std::uint64_t>(step);  // values: steps + 1
  if (steps >= static_cast<std::uint64_t>(kMaxAxisValues)) {
    const std::string count = steps == std::numeric_limits<std::uint64_t>::max() ? "18446744073709551616"
                                                                                   : std::to_string(steps + 1);
    throw InvalidInput(field, "[" + std::to_string(a) + ", " + std::to_string(b) + "] in steps of " +
                                  std::to_string(step) + " gives " + count + " values, more than the " +
                                  std::to_string(kMaxAxisValues) + " an axis may hold");
  }
  std::vector<json> out;
  out.reserve(static_cast<std::size_t>(steps) + 1);
  for (std::uint64_t k = 0; k <= steps; ++k) {
    // a + k * step <= b: computed in unsigned arithmetic (wraps back into range exactly).
    out.emplace_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + k * static_cast<std::uint64_t>(step)));
  }
  return out;
}

/// One key and its values: {"key": ..., and one of "values", "linspace", "geomspace", "range"}.
void parse_key_values(const json& j, const std::string& field, std::vector<std::string>* keys,
                      std::vector<std::vector<json>>* values) {
  JsonFields f(j, field);
  keys->push_back(f.string("key"));
  const char* forms[] = {"values", "linspace", "geomspace", "range"};
  int given = 0;
  for (const char* form : forms) given += f.has(form) ? 1 : 0;
  if (given != 1) {
    throw InvalidInput(field, "give exactly one of \"values\" (a list), \"linspace\" or \"geomspace\" ([start, stop, "
                              "count]) or \"range\" ([start, stop] or [start, stop, step], integers)");
  }
  if (f.has("values")) {
    const json& v = f.at("values");
    if (!v.is_array() || v.empty()) throw InvalidInput(f.field("values"), "expected a non-empty list, got " + describe_json(v));
    if (static_cast<std::int64_t>(v.size()) > kMaxAxisValues) throw InvalidInput(f.field("values"), "too many values");
    values->emplace_back(v.begin(), v.end());
  } else if (f.has("linspace")) {
    values->push_back(spaced(f.at("linspace"), f.field("linspace"), false));
  } else if (f.has("geomspace")) {
    values->push_back(spaced(f.at("geomspace"), f.field("geomspace"), true));
  } else {
    values->push_back(integer_range(f.at("range"), f.field("range")));
  }
  f.finish({"key", "values", "linspace", "geomspace", "range"});
}

sweep::Axis parse_axis(const json& j, const std::string& field) {
  if (!j.is_object()) throw InvalidInput(field, "expected an object, got " + describe_json(j));
  sweep::Axis axis;
  if (!j.contains("zip")) {
    parse_key_values(j, field, &axis.keys, &axis.values);
    return axis;
  }
  JsonFields f(j, field);
  const json& zip = f.at("zip");
  if (!zip.is_array() || zip.size() < 2) {
    throw InvalidInput(f.field("zip"), "expected a list of at least two {\"key\": ..., \"values\": [...]} objects");
  }
  for (std::size_t k = 0; k < zip.size(); ++k) {
    parse_key_values(zip[k], f.field("zip") + "[" + std::to_string(k) + "]", &axis.keys, &axis.values);
  }
  f.finish({"zip"});
  return axis;
}

json canonical_axes(const std::vector<sweep::Axis>& axes) {
  json out = json::array();
  for (const auto& a : axes) out.push_back({{"keys", a.keys}, {"values", a.values}});
  return out;
}

}  // namespace

sweep::Spec parse_sweep(const json& config, const std::string& source) {
  // Before anything copies, compares or dumps it (all recursive): bounded nesting.
  sweep::detail::check_depth(config, "", sweep::detail::kMaxDepth, "the sweep file " + source);
  JsonFields f(config, "");
  sweep::Spec spec;
  spec.kind = parse_kind(f.string("command"));
  const json& base = f.at("base");
  if (base.is_string()) {
    spec.base_source = io::resolve_relative(source, base.get<std::string>());
    json file = io::read_json_file(spec.base_source);
    sweep::detail::check_depth(file, "base", sweep::detail::kMaxDepth, "the base file " + spec.base_source);
    spec.base = std::move(file);
  } else if (base.is_object()) {
    spec.base = base;
    spec.base_source = source;
  } else {
    throw InvalidInput("base", "expected a configuration object or the path of a configuration file, got " +
                                   describe_json(base));
  }
  if (!spec.base.is_object()) throw InvalidInput("base", "the base configuration is not a JSON object");
  if (f.has("axes")) {
    const json& axes = f.at("axes");
    if (!axes.is_array()) throw InvalidInput("axes", "expected a list of axes, got " + describe_json(axes));
    for (std::size_t a = 0; a < axes.size(); ++a) spec.axes.push_back(parse_axis(axes[a], "axes[" + std::to_string(a) + "]"));
  }
  json repeats = nullptr;
  if (f.has("repeats")) {
    JsonFields r(f.at("repeats"), "repeats");
    spec.repeats.count = static_cast<int>(r.unsigned_integer("count", 1, 100000));
    spec.repeats.seed_key = r.string("seed_key");
    spec.repeats.seed = r.unsigned_or("seed", 0, 0, std::numeric_limits<std::uint64_t>::max());
    r.finish({"count", "seed_key", "seed"});
    repeats = {{"count", spec.repeats.count}, {"seed_key", spec.repeats.seed_key}, {"seed", spec.repeats.seed}};
  }
  spec.warm_start_key = f.string_or("warm_start", "");
  if (f.has("warm_start") && spec.warm_start_key.empty()) {
    throw InvalidInput("warm_start", "is empty: give the key of an axis (e.g. \"lambda\"), or leave warm_start out");
  }
  spec.batch = static_cast<int>(f.unsigned_or("batch", 64, 1, 4096));
  f.finish({"command", "base", "axes", "repeats", "warm_start", "batch"});
  // 8.0 is 8: one configuration, one id (and sweep.json says so).
  sweep::detail::canonical_numbers(spec.base);
  for (sweep::Axis& axis : spec.axes)
    for (auto& values : axis.values)
      for (json& v : values) sweep::detail::canonical_numbers(v);
  spec.canonical = {{"command", sweep::to_string(spec.kind)},
                    {"base", spec.base},
                    {"axes", canonical_axes(spec.axes)},
                    {"repeats", repeats},
                    {"warm_start", spec.warm_start_key}};
  return spec;
}

sweep::Spec load_sweep(const std::string& path) { return parse_sweep(io::read_json_file(path), path); }

SampleSizePoint parse_sample_size_point(const json& config) {
  JsonFields f(config, "");
  SampleSizePoint p;
  // The recording's chain steps (T and the burn-in) within the sample_steps limit, checked here so
  // that a sweep refuses the point before anything runs.
  p.T = f.unsigned_integer("T", 2, std::numeric_limits<std::uint64_t>::max());
  if (p.T > limit(LimitId::sample_steps) || limit(LimitId::sample_steps) - p.T < kCount8SamplesBurnIn) {
    throw InvalidInput("T", std::to_string(p.T) + " recorded steps and " + std::to_string(kCount8SamplesBurnIn) +
                                " burn-in steps exceed " + limit_hint(LimitId::sample_steps));
  }
  p.seed = f.unsigned_or("seed", 0, 0, std::numeric_limits<std::uint64_t>::max());
  p.predictions = f.has("predictions") ? f.boolean("predictions") : true;
  p.backend = parse_backend(f.string_or("backend", "auto"), "backend",
                            {Backend::automatic, Backend::reference, Backend::host, Backend::cuda});
  f.finish({"T", "seed", "predictions", "backend"});
  return p;
}

SampledPoint parse_sampled_point(const json& config, const std::string& source) {
  if (!config.is_object()) throw InvalidInput("config", "expected an object, got " + describe_json(config));
  SampledPoint p;
  json model = config;
  for (const char* key : {"solution", "sampling", "infer"}) model.erase(key);
  if (model.contains("warm_start")) throw InvalidInput("warm_start", "not a key of a sampled-vs-exact point");
  p.problem = parse_problem(model, source);
  if (p.problem.kind != ModelKind::network) throw InvalidInput("model", "sampled-vs-exact points are networks");
  JsonFields f(config, "");
  p.solution = io::resolve_relative(source, f.string("solution"));
  JsonFields s(f.at("sampling"), "sampling");
  SampledAccuracyOptions& o = p.options;
  o.samples = s.unsigned_integer("samples", 1, std::uint64_t{1} << 40);
  o.chains = s.unsigned_or("chains", o.chains, 1, std::uint64_t{1} << 20);
  o.burn_in = s.unsigned_or("burn_in", 0, 0, std::uint64_t{1} << 40);
  o.seed = s.unsigned_or("seed", 0, 0, std::numeric_limits<std::uint64_t>::max());
  o.backend = parse_backend(s.string_or("backend", "host"), "sampling.backend", {Backend::host, Backend::cuda});
  s.finish({"samples", "chains", "burn_in", "seed", "backend"});
  if (o.samples < o.chains) {
    throw InvalidInput("sampling.samples", std::to_string(o.samples) + " samples for " + std::to_string(o.chains) +
                                               " chains: give at least one per chain");
  }
  o.infer = f.has("infer") ? f.boolean("infer") : false;
  check_sample_work(sampled_accuracy_sampling(o));  // within sample_steps before the sweep runs
  return p;
}

NETRL_NAMESPACE_END  // namespace netrl
