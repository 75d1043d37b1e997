// The "mdp" model of a solve configuration (config/mdp_config.hpp).
#include "config/mdp_config.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/mdp.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

using nlohmann::json;

/// Appends the numbers of the nested array `v` (depth `depth` of `field`) to `a` in C order,
/// fixing the shape on the way; ragged or mixed nesting is an error.
void flatten(const json& v, const std::string& field, std::size_t depth, io::MdpArray* a) {
  if (a->shape.size() == depth) a->shape.push_back(v.size());
  if (v.size() != a->shape[depth]) {
    throw InvalidInput(field, "the nested arrays are ragged: " + std::to_string(v.size()) + " entries at depth " +
                                  std::to_string(depth) + ", " + std::to_string(a->shape[depth]) + " before");
  }
  for (std::size_t k = 0; k < v.size(); ++k) {
    const json& x = v[k];
    if (x.is_array()) {
      flatten(x, field, depth + 1, a);
      continue;
    }
    if (a->shape.size() != depth + 1) {
      throw InvalidInput(field, "mixes numbers and arrays at depth " + std::to_string(depth));
    }
    // JSON has no NaN: a null in a numeric array is the usual encoding of one.
    if (x.is_null()) throw InvalidInput(field, "entry is null (NaN); expected finite numbers");
    a->values.push_back(JsonFields::as_number(x, field));
  }
}

/// An array given as a .npy file name (resolved against the configuration) or inline.
io::MdpArray array_value(const json& v, const std::string& field, const std::string& source) {
  io::MdpArray a;
  if (v.is_string()) {
    a.path = io::resolve_relative(source, v.get<std::string>());
    return a;
  }
  if (!v.is_array()) {
    throw InvalidInput(field, "expected a .npy file name or an array of numbers, got " + describe_json(v));
  }
  flatten(v, field, 0, &a);
  return a;
}

}  // namespace

Mdp parse_mdp_model(JsonFields& f, const std::string& source) {
  const json& t = f.at("transitions");
  if (!t.is_object()) {
    throw InvalidInput("transitions", "expected an object with \"dense\", or with \"row_ptr\", \"next_state\" and "
                                      "\"probability\", got " + describe_json(t));
  }
  JsonFields tf(t, "transitions");
  io::MdpArrays arrays;
  for (const auto& [key, array] : {std::pair<const char*, io::MdpArray*>{"dense", &arrays.dense},
                                   {"row_ptr", &arrays.row_ptr},
                                   {"next_state", &arrays.next_state},
                                   {"probability", &arrays.probability}}) {
    if (tf.has(key)) *array = array_value(tf.at(key), tf.field(key), source);
  }
  tf.finish({"dense", "row_ptr", "next_state", "probability"});
  arrays.reward = array_value(f.at("reward"), "reward", source);
  const bool allow_transient = f.has("allow_transient") && f.boolean("allow_transient");
  Mdp mdp;
  try {
    mdp = io::read_mdp(arrays);
  } catch (const InvalidInput& e) {
    // The reader names its arrays; all but the reward sit under "transitions".
    if (e.field().rfind("reward", 0) == 0) throw;
    throw InvalidInput(e.field().empty() ? "transitions" : "transitions." + e.field(), e.message());
  }
  mdp.validate("");
  if (!allow_transient) {
    const auto transient = mdp.transient_states();
    if (!transient.empty()) {
      std::ostringstream os;
      os << transient.size() << " of " << mdp.num_states << " states (the first: " << transient.front()
         << ") lie outside the MDP's closed class: no policy can reach them from it, so they have stationary "
            "probability 0 under every policy; remove them, or set \"allow_transient\": true to solve anyway "
            "(their values are still defined)";
      throw InvalidInput("transitions", os.str());
    }
  }
  return mdp;
}

NETRL_NAMESPACE_END  // namespace netrl
