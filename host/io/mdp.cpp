// Reading a general MDP from its arrays (netrl/io/mdp.hpp).
#include "netrl/io/mdp.hpp"

#include <climits>
#include <cmath>
#include <cstring>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace {

std::string field_of(const char* key, const MdpArray& a) {
  return a.path.empty() ? std::string(key) : std::string(key) + " (" + a.path + ")";
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::ostringstream os;
  os << "(";
  for (std::size_t k = 0; k < shape.size(); ++k) os << (k ? ", " : "") << shape[k];
  os << (shape.size() == 1 ? ",)" : ")");
  return os.str();
}

/// The numbers of a float array (float64 in a file).
std::vector<double> load_reals(const char* key, const MdpArray& a, std::vector<std::uint64_t>* shape) {
  if (a.path.empty()) {
    *shape = a.shape;
    return a.values;
  }
  const npy::Array n = under_field(field_of(key, a), [&] { return npy::load(a.path); });
  if (n.dtype != "<f8") {
    throw InvalidInput(field_of(key, a), "holds dtype '" + n.dtype + "'; expected float64 (numpy.float64)");
  }
  *shape = n.shape;
  return npy::to_double(n, a.path);
}

/// The integers of an index array (int32 or int64 in a file; integral numbers inline).
std::vector<std::int64_t> load_integers(const char* key, const MdpArray& a, std::vector<std::uint64_t>* shape) {
  std::vector<std::int64_t> out;
  if (a.path.empty()) {
    *shape = a.shape;
    out.reserve(a.values.size());
    for (std::size_t k = 0; k < a.values.size(); ++k) {
      const double v = a.values[k];
      if (!(std::abs(v) < 9e15) || v != std::floor(v)) {
        std::ostringstream os;
        os << "entry " << k << " is " << v << "; expected an integer";
        throw InvalidInput(field_of(key, a), os.str());
      }
      out.push_back(static_cast<std::int64_t>(v));
    }
    return out;
  }
  const npy::Array n = under_field(field_of(key, a), [&] { return npy::load(a.path); });
  *shape = n.shape;
  const std::uint64_t count = n.size();
  out.resize(count);
  if (n.dtype == "<i8") {
    std::memcpy(out.data(), n.data.data(), count * sizeof(std::int64_t));
  } else if (n.dtype == "<i4") {
    for (std::uint64_t k = 0; k < count; ++k) {
      std::int32_t v;
      std::memcpy(&v, n.data.data() + k * sizeof v, sizeof v);
      out[k] = v;
    }
  } else {
    throw InvalidInput(field_of(key, a), "holds dtype '" + n.dtype + "'; expected int32 or int64 indices");
  }
  return out;
}

void require_1d(const char* key, const MdpArray& a, const std::vector<std::uint64_t>& shape) {
  if (shape.size() != 1) {
    throw InvalidInput(field_of(key, a), "has shape " + shape_text(shape) + "; expected a one-dimensional array");
  }
}

/// The dense layout (A, S, S) as compressed rows (s, a), nonzero entries only (negative and NaN
/// entries are kept for Mdp::validate to report).
void from_dense(const MdpArray& a, Mdp* mdp) {
  std::vector<std::uint64_t> shape;
  const std::vector<double> p = load_reals("dense", a, &shape);
  const auto S = static_cast<std::uint64_t>(mdp->num_states);
  if (shape.size() != 3 || shape[1] != S || shape[2] != S || shape[0] < 1) {
    throw InvalidInput(field_of("dense", a), "has shape " + shape_text(shape) + "; expected (A, S, S) = (actions, " +
                                                 std::to_string(S) + ", " + std::to_string(S) +
                                                 ") with S from the reward");
  }
  if (shape[0] > static_cast<std::uint64_t>(INT_MAX / mdp->num_states)) {
    throw InvalidInput(field_of("dense", a), "too many actions: " + std::to_string(shape[0]));
  }
  mdp->num_actions = static_cast<int>(shape[0]);
  mdp->row_ptr.assign(1, 0);
  for (std::uint64_t s = 0; s < S; ++s) {
    for (std::uint64_t act = 0; act < shape[0]; ++act) {
      const double* row = p.data() + (act * S + s) * S;
      for (std::uint64_t t = 0; t < S; ++t) {
        if (row[t] == 0.0) continue;
        mdp->next_state.push_back(static_cast<int>(t));
        mdp->probability.push_back(row[t]);
      }
      mdp->row_ptr.push_back(static_cast<std::int64_t>(mdp->next_state.size()));
    }
  }
}

void from_sparse(const MdpArrays& arrays, Mdp* mdp) {
  std::vector<std::uint64_t> shape;
  mdp->row_ptr = load_integers("row_ptr", arrays.row_ptr, &shape);
  require_1d("row_ptr", arrays.row_ptr, shape);
  const auto S = static_cast<std::uint64_t>(mdp->num_states);
  const std::uint64_t rows = mdp->row_ptr.empty() ? 0 : mdp->row_ptr.size() - 1;
  if (rows < S || rows % S != 0 || rows / S > static_cast<std::uint64_t>(INT_MAX)) {
    throw InvalidInput(field_of("row_ptr", arrays.row_ptr),
                       "has " + std::to_string(mdp->row_ptr.size()) + " entries; expected S A + 1 with S = " +
                           std::to_string(S) + " states (from the reward) and A >= 1 actions");
  }
  mdp->num_actions = static_cast<int>(rows / S);
  const std::vector<std::int64_t> next = load_integers("next_state", arrays.next_state, &shape);
  require_1d("next_state", arrays.next_state, shape);
  mdp->probability = load_reals("probability", arrays.probability, &shape);
  require_1d("probability", arrays.probability, shape);
  if (next.size() != mdp->probability.size()) {
    throw InvalidInput(field_of("probability", arrays.probability),
                       "has " + std::to_string(mdp->probability.size()) + " entries; next_state has " +
                           std::to_string(next.size()) + " (one probability per next state)");
  }
  if (mdp->row_ptr.front() != 0 || mdp->row_ptr.back() != static_cast<std::int64_t>(next.size())) {
    throw InvalidInput(field_of("row_ptr", arrays.row_ptr),
                       "runs from " + std::to_string(mdp->row_ptr.front()) + " to " +
                           std::to_string(mdp->row_ptr.back()) + "; expected 0 to the " + std::to_string(next.size()) +
                           " entries of next_state");
  }
  mdp->next_state.resize(next.size());
  for (std::size_t k = 0; k < next.size(); ++k) {
    if (next[k] < 0 || next[k] >= static_cast<std::int64_t>(S)) {
      throw InvalidInput(field_of("next_state", arrays.next_state),
                         "entry " + std::to_string(k) + " is state " + std::to_string(next[k]) + ", outside [0, " +
                             std::to_string(S - 1) + "]");
    }
    mdp->next_state[k] = static_cast<int>(next[k]);
  }
}

}  // namespace

Mdp read_mdp(const MdpArrays& arrays) {
  const bool sparse = arrays.row_ptr.given() || arrays.next_state.given() || arrays.probability.given();
  if (arrays.dense.given() == sparse) {
    throw InvalidInput("", "give the transitions either as \"dense\" or as \"row_ptr\", \"next_state\" and "
                           "\"probability\"");
  }
  if (sparse) {
    for (const auto& [key, a] : {std::pair<const char*, const MdpArray*>{"row_ptr", &arrays.row_ptr},
                                 {"next_state", &arrays.next_state},
                                 {"probability", &arrays.probability}}) {
      if (!a->given()) throw InvalidInput(key, "is required in the sparse layout (with row_ptr, next_state, probability)");
    }
  }
  Mdp mdp;
  std::vector<std::uint64_t> shape;
  mdp.reward = load_reals("reward", arrays.reward, &shape);
  require_1d("reward", arrays.reward, shape);
  if (mdp.reward.empty() || mdp.reward.size() > static_cast<std::size_t>(INT_MAX)) {
    throw InvalidInput(field_of("reward", arrays.reward),
                       "has " + std::to_string(mdp.reward.size()) + " entries; an MDP has 1 to " +
                           std::to_string(INT_MAX) + " states, one reward each");
  }
  mdp.num_states = static_cast<int>(mdp.reward.size());
  if (sparse) {
    from_sparse(arrays, &mdp);
  } else {
    from_dense(arrays.dense, &mdp);
  }
  return mdp;
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
