#include "netrl/core/mdp.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

void Mdp::validate(const std::string& field) const {
  if (num_states < 1) throw InvalidInput(field + ".num_states", "must be at least 1");
  if (num_actions < 1) throw InvalidInput(field + ".num_actions", "must be at least 1");
  const std::int64_t rows = static_cast<std::int64_t>(num_states) * num_actions;
  if (static_cast<std::int64_t>(row_ptr.size()) != rows + 1 ||
      next_state.size() != probability.size() ||
      row_ptr.back() != static_cast<std::int64_t>(next_state.size())) {
    throw InvalidInput(field + ".transitions", "compressed rows do not match states x actions");
  }
  if (reward.size() != static_cast<std::size_t>(num_states)) {
    throw InvalidInput(field + ".reward", "expected " + std::to_string(num_states) + " values, got " +
                                              std::to_string(reward.size()));
  }
  for (int s = 0; s < num_states; ++s) {
    if (!std::isfinite(reward[s])) {
      throw InvalidInput(field + ".reward[" + std::to_string(s) + "]", "reward is not finite");
    }
  }
  CsrGraph g;
  for (int s = 0; s < num_states; ++s) {
    for (int a = 0; a < num_actions; ++a) {
      double sum = 0.0;
      for (std::int64_t e = row_ptr[row(s, a)]; e < row_ptr[row(s, a) + 1]; ++e) {
        if (next_state[e] < 0 || next_state[e] >= num_states || !(probability[e] >= 0.0)) {
          std::ostringstream os;
          os << "transition (s = " << s << ", a = " << a << ") has an invalid entry";
          throw InvalidInput(field + ".transitions", os.str());
        }
        sum += probability[e];
        if (probability[e] > 0.0) g.col.push_back(next_state[e]);
      }
      if (std::abs(sum - 1.0) > 1e-9) {
        std::ostringstream os;
        os.precision(17);
        os << "p(.|s = " << s << ", a = " << a << ") sums to " << sum << ", expected 1";
        throw InvalidInput(field + ".transitions", os.str());
      }
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  const auto closed = count_closed_classes(g);
  if (closed != 1) {
    throw InvalidInput(field + ".transitions",
                       "the chain has " + std::to_string(closed) +
                           " closed classes under a full-support policy; netrl needs a unichain MDP");
  }
}

NETRL_NAMESPACE_END  // namespace netrl
