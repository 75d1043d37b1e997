#include "netrl/core/reward.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(RewardKind kind) {
  switch (kind) {
    case RewardKind::table: return "table";
    case RewardKind::count: return "count";
    case RewardKind::ring_bump: return "ring_bump";
    case RewardKind::efficient_coding: return "efficient_coding";
  }
  return "?";
}

RewardSpec RewardSpec::table(std::vector<double> values) {
  RewardSpec r;
  r.kind = RewardKind::table;
  r.values = std::move(values);
  return r;
}

RewardSpec RewardSpec::count(std::vector<int> targets) {
  RewardSpec r;
  r.kind = RewardKind::count;
  r.targets = std::move(targets);
  return r;
}

RewardSpec RewardSpec::ring_bump(int width) {
  RewardSpec r;
  r.kind = RewardKind::ring_bump;
  r.width = width;
  return r;
}

RewardSpec RewardSpec::efficient_coding(std::vector<int> labels) {
  RewardSpec r;
  r.kind = RewardKind::efficient_coding;
  r.labels = std::move(labels);
  return r;
}

std::vector<int> RewardSpec::threshold_labels(int m, int threshold) {
  std::vector<int> y(static_cast<std::size_t>(m > 0 ? m : 0));
  for (int x = 0; x < m; ++x) y[x] = popcount64(static_cast<std::uint64_t>(x)) >= threshold ? 1 : -1;
  return y;
}

namespace {

[[noreturn]] void throw_not_static() {
  throw InvalidInput("reward.kind", "an efficient_coding reward is defined by the network's own stationary "
                                    "distribution; solve the model (netrl::solve or netrl::efficient_coding) "
                                    "to obtain it as a table");
}

}  // namespace

void RewardSpec::validate(int n, int m) const {
  switch (kind) {
    case RewardKind::table: {
      const std::uint64_t expected = (std::uint64_t{1} << n) * static_cast<std::uint64_t>(m);
      if (values.size() != expected) {
        throw InvalidInput("reward.values",
                           "a table reward needs m * 2^n = " + std::to_string(m) + " * 2^" +
                               std::to_string(n) + " = " + std::to_string(expected) +
                               " values (order s = x * 2^n + b), got " +
                               std::to_string(values.size()));
      }
      for (std::size_t s = 0; s < values.size(); ++s) {
        if (!std::isfinite(values[s])) {
          std::ostringstream os;
          os << "value " << values[s] << " at s = " << s << " is not finite";
          throw InvalidInput("reward.values[" + std::to_string(s) + "]", os.str());
        }
      }
      break;
    }
    case RewardKind::count:
      if (targets.size() != static_cast<std::size_t>(m)) {
        throw InvalidInput("reward.targets", "a count reward needs one target per input value (m = " +
                                                 std::to_string(m) + "), got " +
                                                 std::to_string(targets.size()));
      }
      for (std::size_t x = 0; x < targets.size(); ++x) {
        if (targets[x] < 0 || targets[x] > n) {
          throw InvalidInput("reward.targets[" + std::to_string(x) + "]",
                             "target spike count " + std::to_string(targets[x]) +
                                 " must lie in [0, n = " + std::to_string(n) + "]");
        }
      }
      break;
    case RewardKind::ring_bump:
      if (width < 1 || width > n) {
        throw InvalidInput("reward.width", "bump width " + std::to_string(width) +
                                               " must lie in [1, n = " + std::to_string(n) + "]");
      }
      break;
    case RewardKind::efficient_coding: {
      if (labels.size() != static_cast<std::size_t>(m)) {
        throw InvalidInput("reward.labels", "an efficient_coding reward needs one label y(x) per input value (m = " +
                                                std::to_string(m) + "), got " + std::to_string(labels.size()));
      }
      bool two = false;
      for (std::size_t x = 0; x < labels.size(); ++x) {
        if (labels[x] != 1 && labels[x] != -1) {
          throw InvalidInput("reward.labels[" + std::to_string(x) + "]",
                             "label " + std::to_string(labels[x]) + " must be -1 or +1");
        }
        two = two || labels[x] != labels.front();
      }
      if (!two) {
        throw InvalidInput("reward.labels", "the labels y(x) take a single value: there is nothing to encode "
                                            "(the reward log p(y|b) would be 0 everywhere)");
      }
      if (!(std::isfinite(coding_tol) && coding_tol > 0.0)) {
        std::ostringstream os;
        os << "the loop tolerance " << coding_tol << " must be finite and > 0";
        throw InvalidInput("reward.tol", os.str());
      }
      if (coding_max_iterations < 1) {
        throw InvalidInput("reward.max_iterations", "the loop needs at least 1 iteration, got " +
                                                        std::to_string(coding_max_iterations));
      }
      break;
    }
  }
}

bool is_ring_bump(int n, std::uint64_t b, int width) {
  if (popcount64(b) != width) return false;
  const std::uint64_t all = (n == 64) ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  if (width == n) return b == all;
  // Contiguous on the ring iff exactly one active neuron has an inactive successor.
  const std::uint64_t rotated = ((b >> 1) | (b << (n - 1))) & all;  // bit i = state of neuron i+1
  return popcount64(b & ~rotated) == 1;
}

double RewardSpec::evaluate(int n, std::uint64_t b, int x) const {
  switch (kind) {
    case RewardKind::table: return values[(static_cast<std::uint64_t>(x) << n) + b];
    case RewardKind::count: return popcount64(b) == targets[x] ? 1.0 : 0.0;
    case RewardKind::ring_bump: return is_ring_bump(n, b, width) ? 1.0 : 0.0;
    case RewardKind::efficient_coding: throw_not_static();
  }
  return 0.0;
}

std::vector<double> RewardSpec::tabulate(int n, int m) const {
  if (kind == RewardKind::table) return values;
  if (kind == RewardKind::efficient_coding) throw_not_static();
  const std::uint64_t nb = std::uint64_t{1} << n;
  std::vector<double> r(nb * static_cast<std::uint64_t>(m));
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b) r[x * nb + b] = evaluate(n, b, x);
  return r;
}

NETRL_NAMESPACE_END  // namespace netrl
