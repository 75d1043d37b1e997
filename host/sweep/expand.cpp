// The points of a sweep: key paths, the cartesian product of the axes, repeats with derived
// seeds, warm-start chains, and stable ids (netrl/sweep.hpp).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "netrl/core/error.hpp"
#include "netrl/sweep.hpp"
#include "netrl/version.hpp"
#include "sweep/json_tree.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

using nlohmann::json;

namespace {

/// Points of one sweep at most (repeats included).
constexpr std::size_t kMaxPoints = std::size_t{1} << 24;

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// One step of a key path: an object key followed by array indices ("T", "predict[0]").
struct PathStep {
  std::string key;
  std::vector<std::size_t> indices;
};

std::vector<PathStep> parse_path(const std::string& path, const std::string& field) {
  auto bad = [&](const std::string& why) -> InvalidInput {
    return InvalidInput(field, "key path \"" + path + "\": " + why);
  };
  if (path.empty()) throw bad("is empty");
  std::vector<PathStep> steps;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t dot = path.find('.', pos);
    const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    PathStep step;
    const std::size_t bracket = part.find('[');
    step.key = part.substr(0, bracket);
    if (step.key.empty()) throw bad("an empty key (write keys separated by single dots, e.g. \"input.T\")");
    for (std::size_t b = bracket; b != std::string::npos;) {
      const std::size_t close = part.find(']', b);
      if (close == std::string::npos || close == b + 1) throw bad("malformed array index in \"" + part + "\"");
      const std::string digits = part.substr(b + 1, close - b - 1);
      if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) {
        throw bad("array index \"" + digits + "\" is not a non-negative integer");
      }
      step.indices.push_back(static_cast<std::size_t>(std::stoul(digits)));
      if (close + 1 < part.size() && part[close + 1] != '[') throw bad("unexpected text after \"]\" in \"" + part + "\"");
      b = close + 1 < part.size() ? close + 1 : std::string::npos;
    }
    steps.push_back(step);
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return steps;
}

/// The levels of nesting a key path writes: one per key and one per index.
std::size_t path_levels(const std::string& path, const std::string& field) {
  std::size_t levels = 0;
  for (const PathStep& step : parse_path(path, field)) levels += 1 + step.indices.size();
  return levels;
}

}  // namespace

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::solve: return "solve";
    case Kind::sample: return "sample";
    case Kind::infer: return "infer";
    case Kind::count8_samples: return "count8-samples";
    case Kind::sampled: return "sampled-vs-exact";
  }
  return "?";
}

void set_key_path(json& config, const std::string& path, const json& value, const std::string& field) {
  const std::vector<PathStep> steps = parse_path(path, field);
  json* cur = &config;
  std::string walked;
  for (const PathStep& step : steps) {
    if (!cur->is_object() && !cur->is_null()) {
      throw InvalidInput(field, "key path \"" + path + "\": \"" + (walked.empty() ? std::string("(the config)") : walked) +
                                    "\" is not an object, cannot hold key \"" + step.key + "\"");
    }
    walked += (walked.empty() ? "" : ".") + step.key;
    cur = &(*cur)[step.key];
    for (std::size_t i : step.indices) {
      if (!cur->is_array() || i >= cur->size()) {
        throw InvalidInput(field, "key path \"" + path + "\": \"" + walked + "\" has no element [" + std::to_string(i) +
                                      "] in the base configuration");
      }
      walked += "[" + std::to_string(i) + "]";
      cur = &(*cur)[i];
    }
  }
  *cur = value;
}

std::string hash_id(const json& material) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(material.dump())));
  return buf;
}

std::uint64_t derive_seed(std::uint64_t seed, const json& params, int repeat) {
  const json material = {{"seed", seed}, {"params", params}, {"repeat", repeat}};
  return fnv1a64(material.dump()) >> 11;
}

std::vector<Point> expand(const Spec& spec) {
  // Bounded nesting of every point's configuration (the base, and each key path's steps plus its
  // values' nesting) before the points are copied, hashed and compared, all recursively.
  detail::check_depth(spec.base, "base", detail::kMaxDepth, "the base configuration");
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    const std::string field = "axes[" + std::to_string(a) + "]";
    for (std::size_t k = 0; k < axis.keys.size() && k < axis.values.size(); ++k) {
      const std::size_t steps = path_levels(axis.keys[k], field);
      for (std::size_t i = 0; i < axis.values[k].size(); ++i) {
        if (steps + detail::json_depth(axis.values[k][i]) > detail::kMaxDepth) {
          throw InvalidInput(field, "key path \"" + axis.keys[k] + "\" (" + std::to_string(steps) + " levels) with its value " +
                                        std::to_string(i) + " nests arrays and objects deeper than " +
                                        std::to_string(detail::kMaxDepth) + " levels, the most a sweep takes");
        }
      }
    }
  }
  if (spec.repeats.count > 0 && !spec.repeats.seed_key.empty()) {
    const std::size_t steps = path_levels(spec.repeats.seed_key, "repeats.seed_key");
    if (steps > detail::kMaxDepth) {
      throw InvalidInput("repeats.seed_key", "key path of " + std::to_string(steps) + " levels, more than the " +
                                                 std::to_string(detail::kMaxDepth) + " a sweep takes");
    }
  }
  // Floats that hold integers are integers (8.0 is 8): the same configuration has one id, and the
  // duplicate check below sees it (parse_sweep did this already; a Spec built in code may not have).
  json base = spec.base;
  detail::canonical_numbers(base);
  std::vector<std::vector<std::vector<json>>> values(spec.axes.size());
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    values[a] = spec.axes[a].values;
    for (auto& list : values[a])
      for (json& v : list) detail::canonical_numbers(v);
  }
  // Sizes and the axis of the warm-start key.
  std::size_t combos = 1;
  int warm_axis = -1;
  std::map<std::string, std::size_t> key_axis;
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    const std::string field = "axes[" + std::to_string(a) + "]";
    if (axis.keys.empty() || axis.size() == 0) throw InvalidInput(field, "an axis needs a key and at least one value");
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      if (axis.values[k].size() != axis.size()) {
        throw InvalidInput(field, "zipped keys need equal numbers of values (\"" + axis.keys[0] + "\" has " +
                                      std::to_string(axis.size()) + ", \"" + axis.keys[k] + "\" has " +
                                      std::to_string(axis.values[k].size()) + ")");
      }
      const auto [it, fresh] = key_axis.emplace(axis.keys[k], a);
      if (!fresh) {
        throw InvalidInput(field, "key \"" + axis.keys[k] + "\" is already on axes[" + std::to_string(it->second) + "]");
      }
      if (axis.keys[k] == spec.warm_start_key) warm_axis = static_cast<int>(a);
    }
    combos *= axis.size();
    if (combos > kMaxPoints) throw InvalidInput("axes", "more than 2^24 points");
  }
  // A key inside another ("reward.targets[0]" and "reward.targets"): each point would write one
  // over the other, and the table would report a value the point did not run with.
  const auto enclosing = [&key_axis](const std::string& key) -> std::string {
    for (std::size_t i = 1; i < key.size(); ++i) {
      if ((key[i] == '.' || key[i] == '[') && key_axis.count(key.substr(0, i)) != 0) return key.substr(0, i);
    }
    return "";
  };
  for (const auto& [key, axis] : key_axis) {
    const std::string outer = enclosing(key);
    if (!outer.empty()) {
      throw InvalidInput("axes[" + std::to_string(axis) + "]", "key \"" + key + "\" lies inside \"" + outer +
                                                                   "\" of axes[" + std::to_string(key_axis[outer]) +
                                                                   "]: one would overwrite the other");
    }
  }
  const bool repeats = spec.repeats.count > 0;
  if (repeats) {
    if (spec.repeats.seed_key.empty()) throw InvalidInput("repeats.seed_key", "repeats need the key path of the seed");
    if (key_axis.count(spec.repeats.seed_key) != 0 || !enclosing(spec.repeats.seed_key).empty()) {
      throw InvalidInput("repeats.seed_key", "\"" + spec.repeats.seed_key + "\" is also an axis key or inside one");
    }
  }
  if (!spec.warm_start_key.empty()) {
    if (spec.kind != Kind::solve) throw InvalidInput("warm_start", "warm starts apply to solve sweeps only");
    if (warm_axis < 0) {
      throw InvalidInput("warm_start", "no axis varies \"" + spec.warm_start_key + "\" (warm starts chain the points "
                                       "along the axis of this key)");
    }
  }
  const std::size_t R = repeats ? static_cast<std::size_t>(spec.repeats.count) : 1;
  // combos <= 2^24 and count < 2^31: the product fits; checked before the points are reserved.
  if (combos * R > kMaxPoints) {
    throw InvalidInput("repeats.count", std::to_string(combos) + " points of the axes x " + std::to_string(R) +
                                            " repeats = " + std::to_string(combos * R) + " points, more than 2^24");
  }
  // Stride of the warm axis in point indices (later axes and the repeats vary faster).
  std::size_t warm_stride = R;
  for (std::size_t a = static_cast<std::size_t>(std::max(warm_axis, 0)) + 1; a < spec.axes.size(); ++a)
    warm_stride *= spec.axes[a].size();

  std::vector<Point> points;
  points.reserve(combos * R);
  std::map<std::string, std::size_t> seen;
  std::vector<std::size_t> coord(spec.axes.size(), 0);
  for (std::size_t c = 0; c < combos; ++c) {
    std::size_t rest = c;
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      coord[a] = rest % spec.axes[a].size();
      rest /= spec.axes[a].size();
    }
    nlohmann::ordered_json params = nlohmann::ordered_json::object();
    json config = base;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const Axis& axis = spec.axes[a];
      for (std::size_t k = 0; k < axis.keys.size(); ++k) {
        const json& value = values[a][k][coord[a]];
        params[axis.keys[k]] = value;
        set_key_path(config, axis.keys[k], value, "axes[" + std::to_string(a) + "]");
      }
    }
    for (std::size_t r = 0; r < R; ++r) {
      Point p;
      p.index = points.size();
      p.params = params;
      p.config = config;
      if (repeats) {
        const std::uint64_t seed = derive_seed(spec.repeats.seed, json(params), static_cast<int>(r));
        p.params["repeat"] = r;
        p.params[spec.repeats.seed_key] = seed;
        set_key_path(p.config, spec.repeats.seed_key, seed, "repeats.seed_key");
      }
      if (warm_axis >= 0 && coord[static_cast<std::size_t>(warm_axis)] > 0) {
        p.warm_from = static_cast<std::ptrdiff_t>(p.index - warm_stride);
      }
      json material = {{"command", to_string(spec.kind)}, {"config", p.config}};
      if (p.warm_from >= 0) material["warm_from"] = points[static_cast<std::size_t>(p.warm_from)].id;
      p.id = hash_id(material);
      const auto [it, fresh] = seen.emplace(p.id, p.index);
      if (!fresh) {
        throw InvalidInput("axes", "points " + std::to_string(it->second) + " and " + std::to_string(p.index) +
                                       " have the same configuration " + shorten(json(p.params).dump(), 200) +
                                       " (an axis repeats a value?)");
      }
      points.push_back(std::move(p));
    }
  }
  return points;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
