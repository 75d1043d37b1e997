#include "netrl/core/reward.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(RewardKind kind) { return name_of(kind); }

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

RewardSpec RewardSpec::planted(std::vector<double> J, std::vector<double> h, double prior, double lambda) {
  RewardSpec r;
  r.kind = RewardKind::planted;
  r.planted_J = std::move(J);
  r.planted_h = std::move(h);
  r.planted_prior = prior;
  r.planted_lambda = lambda;
  return r;
}

namespace {

void validate_planted(const RewardSpec& r, int n, int m) {
  if (m != 1) throw InvalidInput("reward.kind", "a planted reward is defined for networks without input (m = 1)");
  const auto un = static_cast<std::size_t>(n);
  if (r.planted_J.size() != un * un) {
    throw InvalidInput("reward.J", "expected n * n = " + std::to_string(un * un) + " couplings, got " +
                                       std::to_string(r.planted_J.size()));
  }
  if (r.planted_h.size() != un) {
    throw InvalidInput("reward.h", "expected n = " + std::to_string(n) + " fields, got " +
                                       std::to_string(r.planted_h.size()));
  }
  for (std::size_t i = 0; i < un; ++i) {
    if (!std::isfinite(r.planted_h[i])) throw InvalidInput("reward.h[" + std::to_string(i) + "]", "is not finite");
    for (std::size_t j = 0; j < un; ++j) {
      const double v = r.planted_J[i * un + j];
      const std::string at = "[" + std::to_string(i) + "][" + std::to_string(j) + "]";
      if (!std::isfinite(v)) throw InvalidInput("reward.J" + at, "is not finite");
      if (i == j && v != 0.0) throw InvalidInput("reward.J" + at, "the diagonal must be 0");
      if (v != r.planted_J[j * un + i]) throw InvalidInput("reward.J" + at, "J must be symmetric");
    }
  }
  if (!(r.planted_prior > 0.0 && r.planted_prior < 1.0)) {
    std::ostringstream os;
    os << "the planted firing prior " << r.planted_prior << " must lie in (0, 1)";
    throw InvalidInput("reward.prior", os.str());
  }
  if (!(std::isfinite(r.planted_lambda) && r.planted_lambda > 0.0)) {
    std::ostringstream os;
    os << "the planted coding-cost weight " << r.planted_lambda << " must be finite and > 0";
    throw InvalidInput("reward.lambda", os.str());
  }
}

/// log(e^a + e^b), stably.
double log_add_exp(double a, double b) {
  const double hi = std::max(a, b), lo = std::min(a, b);
  return hi + std::log1p(std::exp(lo - hi));
}

double planted_reward(const RewardSpec& r, int n, const std::uint8_t* on) {
  const auto un = static_cast<std::size_t>(n);
  const double temperature = n * r.planted_lambda;
  const double log_p = std::log(r.planted_prior), log_q = std::log1p(-r.planted_prior);
  double aligned = 0.0, soft = 0.0;
  for (std::size_t i = 0; i < un; ++i) {
    double u = r.planted_h[i];
    const double* row = &r.planted_J[i * un];
    for (std::size_t j = 0; j < un; ++j) u += on[j] ? row[j] : -row[j];
    aligned += on[i] ? u : -u;
    soft += log_add_exp(log_p + u / temperature, log_q - u / temperature);
  }
  return aligned / n - r.planted_lambda * soft;
}

[[noreturn]] void throw_not_static() {
  throw InvalidInput("reward.kind", "an efficient_coding reward is defined by the network's own stationary "
                                    "distribution; solve the model (netrl::solve or netrl::efficient_coding) "
                                    "to obtain it as a table");
}

}  // namespace

void RewardSpec::validate(int n, int m) const {
  switch (kind) {
    case RewardKind::planted: validate_planted(*this, n, m); break;
    case RewardKind::table: {
      if (n > kMaxTableNeurons) {
        throw InvalidInput("reward.kind", "a table reward holds m * 2^n values; n = " + std::to_string(n) +
                                              " exceeds its limit " + std::to_string(kMaxTableNeurons));
      }
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
    case RewardKind::planted: {
      std::vector<std::uint8_t> on(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) on[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((b >> i) & 1u);
      return planted_reward(*this, n, on.data());
    }
    case RewardKind::efficient_coding: throw_not_static();
  }
  return 0.0;
}

double RewardSpec::evaluate_spins(int n, const std::uint8_t* on, int x) const {
  switch (kind) {
    case RewardKind::table: {
      std::uint64_t b = 0;
      for (int i = 0; i < n; ++i)
        if (on[i]) b |= std::uint64_t{1} << i;
      return values[(static_cast<std::uint64_t>(x) << n) + b];
    }
    case RewardKind::count: {
      int k = 0;
      for (int i = 0; i < n; ++i) k += on[i] ? 1 : 0;
      return k == targets[static_cast<std::size_t>(x)] ? 1.0 : 0.0;
    }
    case RewardKind::ring_bump: {
      // Contiguous on the ring iff exactly one active neuron has an inactive successor.
      int k = 0, ends = 0;
      for (int i = 0; i < n; ++i) {
        k += on[i] ? 1 : 0;
        ends += (on[i] && !on[(i + 1) % n]) ? 1 : 0;
      }
      if (k != width) return 0.0;
      return (width == n || ends == 1) ? 1.0 : 0.0;
    }
    case RewardKind::planted: return planted_reward(*this, n, on);
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
