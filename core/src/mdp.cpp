#include "netrl/core/mdp.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

void Mdp::validate(const std::string& prefix) const {
  // "mdp.transitions", or "transitions" for an empty prefix.
  const std::string field = prefix.empty() ? std::string() : prefix + ".";
  if (num_states < 1) throw InvalidInput(field + "num_states", "must be at least 1");
  if (num_actions < 1) throw InvalidInput(field + "num_actions", "must be at least 1");
  const std::int64_t rows = static_cast<std::int64_t>(num_states) * num_actions;
  if (static_cast<std::int64_t>(row_ptr.size()) != rows + 1 || next_state.size() != probability.size() ||
      row_ptr.front() != 0 || row_ptr.back() != static_cast<std::int64_t>(next_state.size())) {
    throw InvalidInput(field + "transitions",
                       "compressed rows do not match states x actions: expected " + std::to_string(rows + 1) +
                           " row pointers from 0 to the " + std::to_string(next_state.size()) +
                           " entries, and as many probabilities as next states");
  }
  // Every row within the entries before any row is read: [0, 72, 3, ...] would read past them.
  const auto entries = static_cast<std::int64_t>(next_state.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    if (row_ptr[static_cast<std::size_t>(r) + 1] < row_ptr[static_cast<std::size_t>(r)] ||
        row_ptr[static_cast<std::size_t>(r) + 1] > entries) {
      throw InvalidInput(field + "transitions",
                         "row pointer " + std::to_string(r + 1) + " = " +
                             std::to_string(row_ptr[static_cast<std::size_t>(r) + 1]) +
                             " must lie in [row pointer " + std::to_string(r) + " = " +
                             std::to_string(row_ptr[static_cast<std::size_t>(r)]) + ", " + std::to_string(entries) +
                             " entries] (row pointers never decrease)");
    }
  }
  if (reward.size() != static_cast<std::size_t>(num_states)) {
    throw InvalidInput(field + "reward", "expected " + std::to_string(num_states) + " values, got " +
                                              std::to_string(reward.size()));
  }
  for (int s = 0; s < num_states; ++s) {
    if (!std::isfinite(reward[s])) {
      throw InvalidInput(field + "reward[" + std::to_string(s) + "]", "reward is not finite");
    }
  }
  for (int s = 0; s < num_states; ++s) {
    for (int a = 0; a < num_actions; ++a) {
      double sum = 0.0;
      for (std::int64_t e = row_ptr[row(s, a)]; e < row_ptr[row(s, a) + 1]; ++e) {
        if (next_state[e] < 0 || next_state[e] >= num_states) {
          std::ostringstream os;
          os << "transition (s = " << s << ", a = " << a << ") leads to state " << next_state[e]
             << ", outside [0, " << num_states - 1 << "]";
          throw InvalidInput(field + "transitions", os.str());
        }
        if (!(probability[e] >= 0.0) || !std::isfinite(probability[e])) {
          std::ostringstream os;
          os << "p(s' = " << next_state[e] << " | s = " << s << ", a = " << a << ") = " << number_text(probability[e])
             << " is not a probability (finite and >= 0)";
          throw InvalidInput(field + "transitions", os.str());
        }
        sum += probability[e];
      }
      if (std::abs(sum - 1.0) > 1e-9) {
        std::ostringstream os;
        os.precision(17);
        os << "p(.|s = " << s << ", a = " << a << ") sums to " << number_text(sum) << ", expected 1 within 1e-9";
        throw InvalidInput(field + "transitions", os.str());
      }
    }
  }
  const auto closed = count_closed_classes(support_graph());
  if (closed != 1) {
    throw InvalidInput(field + "transitions",
                       "the chain has " + std::to_string(closed) +
                           " closed classes under a full-support policy (absorbing classes no policy can leave); "
                           "netrl needs a unichain MDP");
  }
}

std::vector<double> Mdp::stochastic_probability() const {
  std::vector<double> p(probability);
  for (std::size_t r = 0; r + 1 < row_ptr.size(); ++r) {
    const auto begin = static_cast<std::size_t>(row_ptr[r]), end = static_cast<std::size_t>(row_ptr[r + 1]);
    double sum = 0.0;
    for (std::size_t e = begin; e < end; ++e) sum += p[e];
    if (sum > 0.0 && sum != 1.0) {
      for (std::size_t e = begin; e < end; ++e) p[e] /= sum;
    }
  }
  return p;
}

CsrGraph Mdp::support_graph() const {
  CsrGraph g;
  g.row_ptr.reserve(static_cast<std::size_t>(num_states) + 1);
  g.col.reserve(next_state.size());
  std::vector<std::int64_t> seen(static_cast<std::size_t>(num_states), -1);
  for (int s = 0; s < num_states; ++s) {
    for (std::int64_t e = row_ptr[row(s, 0)]; e < row_ptr[row(s, num_actions - 1) + 1]; ++e) {
      const int t = next_state[e];
      if (probability[e] > 0.0 && seen[t] != s) {
        seen[t] = s;
        g.col.push_back(t);
      }
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  return g;
}

std::vector<std::int64_t> Mdp::transient_states() const { return transient_nodes(support_graph()); }

Mdp random_sparse_mdp(int states, int actions, int successors, std::uint64_t seed) {
  if (states < 2) throw InvalidInput("states", "a random MDP needs at least 2 states");
  if (actions < 1) throw InvalidInput("actions", "must be at least 1");
  if (successors < 1 || successors > states) {
    throw InvalidInput("successors", "must lie in [1, " + std::to_string(states) + "]");
  }
  std::mt19937_64 rng(seed);
  const auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1p-53; };  // [0, 1)
  Mdp mdp;
  mdp.num_states = states;
  mdp.num_actions = actions;
  const auto entries = static_cast<std::size_t>(states) * static_cast<std::size_t>(actions) *
                       static_cast<std::size_t>(successors);
  mdp.next_state.reserve(entries);
  mdp.probability.reserve(entries);
  mdp.row_ptr.reserve(static_cast<std::size_t>(states) * static_cast<std::size_t>(actions) + 1);
  std::vector<int> row;
  std::vector<double> weight;
  for (int s = 0; s < states; ++s) {
    for (int a = 0; a < actions; ++a) {
      row.assign(1, (s + 1) % states);
      while (static_cast<int>(row.size()) < successors) {
        const auto t = static_cast<int>(rng() % static_cast<std::uint64_t>(states));
        if (std::find(row.begin(), row.end(), t) == row.end()) row.push_back(t);
      }
      weight.resize(row.size());
      double sum = 0.0;
      for (double& w : weight) sum += (w = 0.1 + 0.9 * uniform());
      for (std::size_t k = 0; k < row.size(); ++k) {
        mdp.next_state.push_back(row[k]);
        mdp.probability.push_back(weight[k] / sum);
      }
      mdp.row_ptr.push_back(static_cast<std::int64_t>(mdp.next_state.size()));
    }
  }
  mdp.reward.resize(static_cast<std::size_t>(states));
  for (double& r : mdp.reward) r = uniform();
  return mdp;
}

NETRL_NAMESPACE_END  // namespace netrl
