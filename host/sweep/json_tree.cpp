// Walks over JSON trees for sweeps, without recursion (json_tree.hpp).
#include "sweep/json_tree.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

using nlohmann::json;

namespace {

/// Depth-first over the containers of a tree with an explicit stack: `visit(stack)` is called on
/// entering each array or object (the stack then holds it and its ancestors, each with the
/// iterator at the child being entered); returning false stops the walk.
struct Frame {
  const json* node;
  json::const_iterator it;
};

template <class Visit>
void walk_containers(const json& root, Visit visit) {
  if (!root.is_structured()) return;
  std::vector<Frame> stack;
  stack.push_back({&root, root.cbegin()});
  if (!visit(stack)) return;
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.it == top.node->cend()) {
      stack.pop_back();
      if (!stack.empty()) ++stack.back().it;
      continue;
    }
    const json& child = *top.it;
    if (!child.is_structured()) {
      ++top.it;
      continue;
    }
    stack.push_back({&child, child.cbegin()});
    if (!visit(stack)) return;
  }
}

/// The path of the stack's innermost container below the root, its first `steps` steps.
std::string path_of(const std::vector<Frame>& stack, std::size_t steps) {
  std::string path;
  for (std::size_t k = 0; k + 1 < stack.size() && k < steps; ++k) {
    const Frame& f = stack[k];
    if (f.node->is_object()) {
      path += (path.empty() ? "" : ".") + f.it.key();
    } else {
      path += "[" + std::to_string(f.it - f.node->cbegin()) + "]";
    }
  }
  return path;
}

}  // namespace

std::size_t json_depth(const json& j) {
  std::size_t depth = 0;
  walk_containers(j, [&](const std::vector<Frame>& stack) {
    depth = std::max(depth, stack.size());
    return true;
  });
  return depth;
}

void check_depth(const json& j, const std::string& field, std::size_t max, const std::string& what) {
  walk_containers(j, [&](const std::vector<Frame>& stack) {
    if (stack.size() <= max) return true;
    // Name the place by its first steps (the field a user wrote), not by hundreds of indices.
    std::string path = path_of(stack, 4);
    const bool index = !path.empty() && path[0] == '[';
    const std::string place = field.empty() ? path : (path.empty() || index ? field + path : field + "." + path);
    throw InvalidInput(place.empty() ? "(the whole value)" : place,
                       what + " nests arrays and objects deeper than " + std::to_string(max) +
                           " levels, the most a sweep takes (configurations nest a few levels; this bound "
                           "protects the stack and --limit json_depth does not raise it)");
  });
}

void canonical_numbers(json& j) {
  auto fix = [](json& v) {
    if (!v.is_number_float()) return;
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) return;
    if (d >= 0.0 && d < 18446744073709551616.0) {  // [0, 2^64), -0.0 included
      v = static_cast<std::uint64_t>(d);
    } else if (d < 0.0 && d >= -9223372036854775808.0) {  // [-2^63, 0)
      v = static_cast<std::int64_t>(d);
    }
  };
  fix(j);
  // Containers on an explicit stack; scalars are fixed in place without being pushed.
  std::vector<json*> stack;
  if (j.is_structured()) stack.push_back(&j);
  while (!stack.empty()) {
    json* node = stack.back();
    stack.pop_back();
    for (json& child : *node) {
      if (child.is_structured()) stack.push_back(&child);
      else fix(child);
    }
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
