#include "netrl/core/network_model.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(PriorMode mode) {
  return mode == PriorMode::population ? "population" : "neuron";
}

std::uint64_t NetworkModel::clamp_mask() const {
  std::uint64_t mask = 0;
  for (const auto& c : clamps) mask |= std::uint64_t{1} << c.neuron;
  return mask;
}

std::uint64_t NetworkModel::clamp_bits() const {
  std::uint64_t bits = 0;
  for (const auto& c : clamps)
    if (c.state > 0) bits |= std::uint64_t{1} << c.neuron;
  return bits;
}

std::vector<int> NetworkModel::free_neurons() const {
  std::vector<int> f;
  const std::uint64_t mask = clamp_mask();
  for (int i = 0; i < n; ++i)
    if (!((mask >> i) & 1)) f.push_back(i);
  return f;
}

std::uint64_t NetworkModel::num_consistent_states() const {
  return (std::uint64_t{1} << num_free()) * static_cast<std::uint64_t>(m());
}

void NetworkModel::validate() const {
  if (n < 1 || n > kMaxNeurons) {
    throw InvalidInput("n", "the number of neurons n = " + std::to_string(n) + " must lie in [1, " +
                                std::to_string(kMaxNeurons) + "]");
  }
  validate_lambda(lambda);
  input.validate("input.T");
  reward.validate(n, m());
  std::uint64_t seen = 0;
  for (std::size_t k = 0; k < clamps.size(); ++k) {
    const auto& c = clamps[k];
    const std::string field = "clamp[" + std::to_string(k) + "]";
    if (c.neuron < 0 || c.neuron >= n) {
      throw InvalidInput(field + ".neuron", "neuron " + std::to_string(c.neuron) +
                                                " must lie in [0, n - 1 = " + std::to_string(n - 1) +
                                                "]");
    }
    if (c.state != -1 && c.state != 1) {
      throw InvalidInput(field + ".state", "state " + std::to_string(c.state) +
                                               " must be -1 (silent) or +1 (active)");
    }
    if ((seen >> c.neuron) & 1) {
      throw InvalidInput(field + ".neuron",
                         "neuron " + std::to_string(c.neuron) + " is clamped more than once");
    }
    seen |= std::uint64_t{1} << c.neuron;
  }
  if (num_free() < 1) throw InvalidInput("clamp", "every neuron is clamped; at least one must be free");
}

void validate_lambda(double lambda) {
  if (!(lambda >= kMinLambda && std::isfinite(lambda))) {
    std::ostringstream os;
    os << "the coding-cost weight lambda = " << lambda << " must be finite and at least " << kMinLambda
       << " (the solvers scale values by 1 / lambda)";
    throw InvalidInput("lambda", os.str());
  }
}

NetworkModel count8_model() {
  NetworkModel model;
  model.n = 8;
  model.input = InputProcess::binary_flip(0.02);
  model.reward = RewardSpec::count({2, 6});
  model.lambda = 0.114;
  model.prior_mode = PriorMode::population;
  return model;
}

NETRL_NAMESPACE_END  // namespace netrl
