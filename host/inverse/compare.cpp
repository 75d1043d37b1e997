// Comparing rewards and distributions: per-input centring, the projection off the kernel of the
// input matrix, weighted r^2 after an affine fit, KL.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

namespace {

/// Removes from each group's finite values their mean weighted by `weights` (the plain mean of
/// the finite entries where the group has no weight); group(s) < groups.
template <class Group>
void center_groups(std::vector<double>& values, const std::vector<double>& weights, std::uint64_t groups,
                   Group group) {
  std::vector<double> sw(groups, 0.0), swv(groups, 0.0), count(groups, 0.0), sum(groups, 0.0);
  for (std::uint64_t s = 0; s < values.size(); ++s) {
    if (!std::isfinite(values[s])) continue;
    const std::uint64_t g = group(s);
    count[g] += 1.0;
    sum[g] += values[s];
    if (!(weights[s] > 0.0)) continue;
    sw[g] += weights[s];
    swv[g] += weights[s] * values[s];
  }
  for (std::uint64_t s = 0; s < values.size(); ++s) {
    if (!std::isfinite(values[s])) continue;
    const std::uint64_t g = group(s);
    values[s] -= sw[g] > 0.0 ? swv[g] / sw[g] : sum[g] / count[g];
  }
}

/// The shared checks of the per-block functions: one weight per value, whole blocks of >= 1.
void check_blocks(std::uint64_t values, std::uint64_t weights, std::uint64_t block) {
  if (weights != values) {
    throw InvalidInput("weights", std::to_string(weights) + " weights for " + std::to_string(values) + " values");
  }
  if (block < 1 || values % block != 0) {
    throw InvalidInput("block", "blocks of " + std::to_string(block) + " states do not divide the " +
                                    std::to_string(values) + " values into whole blocks");
  }
}

/// Input values of the per-input functions: m >= 1, each below m.
void check_inputs(const std::vector<std::uint32_t>& inputs, int m) {
  if (m < 1) throw InvalidInput("m", "the number of input values must be at least 1, got " + std::to_string(m));
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    if (inputs[s] >= static_cast<std::uint32_t>(m)) {
      throw InvalidInput("inputs[" + std::to_string(s) + "]",
                         "input value " + std::to_string(inputs[s]) + " is not below m = " + std::to_string(m));
    }
  }
}

}  // namespace

void center_per_block(std::vector<double>& values, const std::vector<double>& weights, std::uint64_t block) {
  check_blocks(values.size(), weights.size(), block);
  center_groups(values, weights, (values.size() + block - 1) / block, [block](std::uint64_t s) { return s / block; });
}

void center_per_input(std::vector<double>& values, const std::vector<double>& weights,
                      const std::vector<std::uint32_t>& inputs, int m) {
  if (weights.size() != values.size() || inputs.size() != values.size()) {
    throw InvalidInput("weights", std::to_string(weights.size()) + " weights and " + std::to_string(inputs.size()) +
                                      " input values for " + std::to_string(values.size()) + " values");
  }
  check_inputs(inputs, m);
  center_groups(values, weights, static_cast<std::uint64_t>(m), [&inputs](std::uint64_t s) { return inputs[s]; });
}

std::vector<double> without_input_kernel(const NetworkModel& model, const std::vector<double>& r) {
  const int m = model.m();
  const std::uint64_t nb = model.num_network_states();
  if (r.size() != static_cast<std::uint64_t>(m) * nb) {
    throw InvalidInput("reward", "has " + std::to_string(r.size()) + " entries; the model has " +
                                     std::to_string(static_cast<std::uint64_t>(m) * nb) + " joint states");
  }
  Eigen::MatrixXd T(m, m);
  for (int x = 0; x < m; ++x)
    for (int xp = 0; xp < m; ++xp) T(x, xp) = model.input(x, xp);
  const Eigen::MatrixXd kernel = Eigen::FullPivLU<Eigen::MatrixXd>(T).kernel();
  std::vector<double> out(r);
  // An invertible T: FullPivLU returns a single zero column.
  if (kernel.cols() == 0 || kernel.norm() == 0.0) return out;
  const Eigen::MatrixXd basis =
      Eigen::HouseholderQR<Eigen::MatrixXd>(kernel).householderQ() * Eigen::MatrixXd::Identity(m, kernel.cols());
  Eigen::VectorXd v(m);
  for (std::uint64_t b = 0; b < nb; ++b) {
    if (!model.consistent(b)) continue;
    for (int x = 0; x < m; ++x) v(x) = r[x * nb + b];
    if (!v.allFinite()) continue;
    v -= basis * (basis.transpose() * v);
    for (int x = 0; x < m; ++x) out[x * nb + b] = v(x);
  }
  return out;
}

namespace {

/// The comparison after both rewards are centred per group (group(s) < groups).
template <class Group>
RewardComparison compare_centered(const std::vector<double>& inferred, const std::vector<double>& truth,
                                  const std::vector<double>& weights, std::uint64_t groups, Group group) {
  if (inferred.size() != truth.size()) {
    throw InvalidInput("true_reward", "the true reward has " + std::to_string(truth.size()) +
                                          " entries; the inferred one has " + std::to_string(inferred.size()));
  }
  if (weights.size() != truth.size()) {
    throw InvalidInput("weights", std::to_string(weights.size()) + " weights for " + std::to_string(truth.size()) +
                                      " states");
  }
  std::vector<double> w(weights.size(), 0.0);
  for (std::size_t s = 0; s < w.size(); ++s)
    if (weights[s] > 0.0 && std::isfinite(inferred[s]) && std::isfinite(truth[s])) w[s] = weights[s];
  std::vector<double> a(inferred), t(truth);
  for (std::size_t s = 0; s < w.size(); ++s)
    if (w[s] == 0.0) a[s] = t[s] = kNaN;
  center_groups(a, w, groups, group);
  center_groups(t, w, groups, group);
  RewardComparison c;
  double sw = 0.0, ma = 0.0, mt = 0.0;
  std::vector<char> seen(groups, 0);
  std::uint64_t present = 0;  // groups with a compared state: each centring takes one degree of freedom
  for (std::size_t s = 0; s < w.size(); ++s) {
    if (w[s] == 0.0) continue;
    ++c.compared;
    const std::uint64_t g = group(s);
    if (!seen[g]) ++present, seen[g] = 1;
    sw += w[s];
    ma += w[s] * a[s];
    mt += w[s] * t[s];
    c.max_abs_error = std::max(c.max_abs_error, std::abs(a[s] - t[s]));
  }
  if (c.compared == 0) {
    c.r2 = c.scale = c.max_abs_error = c.rms_error = kNaN;
    return c;
  }
  ma /= sw;
  mt /= sw;
  double saa = 0.0, stt = 0.0, sat = 0.0, se = 0.0;
  for (std::size_t s = 0; s < w.size(); ++s) {
    if (w[s] == 0.0) continue;
    saa += w[s] * (a[s] - ma) * (a[s] - ma);
    stt += w[s] * (t[s] - mt) * (t[s] - mt);
    sat += w[s] * (a[s] - ma) * (t[s] - mt);
    se += w[s] * (a[s] - t[s]) * (a[s] - t[s]);
  }
  c.rms_error = std::sqrt(se / sw);
  c.scale = saa > 0.0 ? sat / saa : 0.0;
  // Weighted r^2 of the affine fit t ~ scale * a + offset = squared weighted correlation; NaN where
  // either reward is constant over the compared states after centring (e.g. one compared state per
  // input value), or where fewer than 3 degrees of freedom remain after the centring (compared
  // states less the groups they fall in): two points always lie on a line, and 1 (as before)
  // claimed a perfect recovery.
  const bool enough = c.compared >= present + 3;
  c.r2 = (enough && saa > 0.0 && stt > 0.0) ? sat * sat / (saa * stt) : kNaN;
  return c;
}

}  // namespace

RewardComparison compare_rewards(const std::vector<double>& inferred, const std::vector<double>& truth,
                                 const std::vector<double>& weights, std::uint64_t block) {
  check_blocks(truth.size(), truth.size(), block);
  return compare_centered(inferred, truth, weights, truth.size() / block,
                          [block](std::uint64_t s) { return s / block; });
}

RewardComparison compare_rewards(const std::vector<double>& inferred, const std::vector<double>& truth,
                                 const std::vector<double>& weights, const std::vector<std::uint32_t>& inputs, int m) {
  if (inputs.size() != truth.size()) throw InvalidInput("inputs", "one input value per compared state is needed");
  check_inputs(inputs, m);
  return compare_centered(inferred, truth, weights, static_cast<std::uint64_t>(m),
                          [&inputs](std::uint64_t s) { return std::uint64_t{inputs[s]}; });
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  if (p.size() != q.size()) throw InvalidInput("kl", "distributions of different sizes");
  for (std::size_t k = 0; k < p.size(); ++k) {
    // Probabilities: a NaN p was skipped (KL 0) and a negative q floored (KL in the hundreds).
    if (!(p[k] >= 0.0 && q[k] >= 0.0) || !std::isfinite(p[k]) || !std::isfinite(q[k])) {
      throw InvalidInput("kl", "entry " + std::to_string(k) + " (p = " + number_text(p[k]) + ", q = " +
                                   number_text(q[k]) + ") is not a probability");
    }
  }
  double kl = 0.0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (!(p[k] > 0.0)) continue;
    // Stationary masses below rounding come out as 0: floor q at the smallest normal double, so a
    // state of mass 1e-19 adds ~1e-16 instead of +inf (a real mismatch still shows as ~700 p).
    const double qk = std::max(q[k], std::numeric_limits<double>::min());
    kl += p[k] * (std::log(p[k]) - std::log(qk));
  }
  return std::max(kl, 0.0);
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
