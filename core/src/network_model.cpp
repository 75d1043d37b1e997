#include "netrl/core/network_model.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(PriorMode mode) { return name_of(mode); }

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
  // Without the 64-bit clamp mask: parametric models have n beyond 64.
  std::vector<char> clamped(static_cast<std::size_t>(n > 0 ? n : 0), 0);
  for (const auto& c : clamps)
    if (c.neuron >= 0 && c.neuron < n) clamped[static_cast<std::size_t>(c.neuron)] = 1;
  std::vector<int> f;
  for (int i = 0; i < n; ++i)
    if (!clamped[static_cast<std::size_t>(i)]) f.push_back(i);
  return f;
}

std::uint64_t NetworkModel::num_consistent_states() const {
  return (std::uint64_t{1} << num_free()) * static_cast<std::uint64_t>(m());
}

void NetworkModel::validate() const { validate_with_bound(kMaxNeurons); }

void NetworkModel::validate_parametric() const { validate_with_bound(kMaxParametricNeurons); }

void NetworkModel::validate_with_bound(int max_neurons) const {
  if (n < 1 || n > max_neurons) {
    std::string why = "the number of neurons n = " + std::to_string(n) + " must lie in [1, " +
                      std::to_string(max_neurons) + "]";
    if (max_neurons == kMaxNeurons && n > kMaxNeurons && n <= kMaxParametricNeurons) {
      why += " for the exact state space (m * 2^n states); larger networks are solved by solver.method "
             "\"parametric\"";
    }
    throw InvalidInput("n", why);
  }
  validate_lambda(lambda);
  input.validate("input.T");
  reward.validate(n, m());
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
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
    if (seen[static_cast<std::size_t>(c.neuron)]) {
      throw InvalidInput(field + ".neuron",
                         "neuron " + std::to_string(c.neuron) + " is clamped more than once");
    }
    seen[static_cast<std::size_t>(c.neuron)] = 1;
  }
  if (num_free() < 1) throw InvalidInput("clamp", "every neuron is clamped; at least one must be free");
  if (reward.kind == RewardKind::planted && !clamps.empty()) {
    throw InvalidInput("reward.kind", "a planted reward is defined for networks without clamps");
  }
}

int ring_distance(int n, int i, int j) {
  const int d = i > j ? i - j : j - i;
  return d < n - d ? d : n - d;
}

std::vector<double> ring_coupling_mask(int n, int max_distance) {
  const auto un = static_cast<std::size_t>(n);
  std::vector<double> mask(un * un, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const int d = ring_distance(n, i, j);
      if (d >= 1 && d <= max_distance) mask[static_cast<std::size_t>(i) * un + static_cast<std::size_t>(j)] = 1.0;
    }
  return mask;
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
