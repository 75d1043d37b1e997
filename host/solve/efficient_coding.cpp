// Efficient coding (docs/model.md, "Efficient coding"): the loop r <- log p(y(x) | b) over forward
// solves, the information measures of the code, and the mixing of an input chain.
#include "netrl/efficient_coding.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_labels(const NetworkModel& model, const std::vector<int>& labels, const std::vector<double>& stationary) {
  if (labels.size() != static_cast<std::size_t>(model.m())) {
    throw InvalidInput("labels", "expected one label per input value (m = " + std::to_string(model.m()) + "), got " +
                                     std::to_string(labels.size()));
  }
  for (std::size_t x = 0; x < labels.size(); ++x)
    if (labels[x] != 1 && labels[x] != -1) {
      throw InvalidInput("labels", "label y(" + std::to_string(x) + ") = " + std::to_string(labels[x]) +
                                       " must be -1 or +1");
    }
  if (stationary.size() != model.num_states()) {
    throw InvalidInput("stationary", "expected m * 2^n = " + std::to_string(model.num_states()) + " entries, got " +
                                         std::to_string(stationary.size()));
  }
}

/// p(b, y = +1) and p(b, y = -1) for every network state b.
void joint_with_label(const NetworkModel& model, const std::vector<double>& mu, const std::vector<int>& labels,
                      std::vector<double>& plus, std::vector<double>& minus) {
  const std::uint64_t nb = model.num_network_states();
  plus.assign(nb, 0.0);
  minus.assign(nb, 0.0);
  for (int x = 0; x < model.m(); ++x) {
    auto& target = labels[x] > 0 ? plus : minus;
    for (std::uint64_t b = 0; b < nb; ++b) target[b] += mu[x * nb + b];
  }
}

/// I(y; b) from p(b, y = +-1).
double information_of(const std::vector<double>& plus, const std::vector<double>& minus) {
  double py = 0.0, total = 0.0;
  for (std::size_t b = 0; b < plus.size(); ++b) {
    py += plus[b];
    total += plus[b] + minus[b];
  }
  const double p_plus = py / total, p_minus = 1.0 - p_plus;
  double info = 0.0;
  for (std::size_t b = 0; b < plus.size(); ++b) {
    const double pb = (plus[b] + minus[b]) / total;
    if (plus[b] > 0.0) info += plus[b] / total * std::log(plus[b] / total / (pb * p_plus));
    if (minus[b] > 0.0) info += minus[b] / total * std::log(minus[b] / total / (pb * p_minus));
  }
  return std::max(info, 0.0);
}

std::vector<double> initial_reward(const NetworkModel& model, const std::vector<int>& labels) {
  const std::uint64_t nb = model.num_network_states();
  std::vector<double> r(model.num_states(), 0.0);
  for (int x = 0; x < model.m(); ++x)
    for (std::uint64_t b = 0; b < nb; ++b)
      if (model.consistent(b)) {
        // sum_i w_i sigma_i / n with w_i = 1 + 0.01 i: neurons voting for y, with a small tilt so
        // that the loop can leave a symmetric fixed point that is unstable.
        double vote = 0.0;
        for (int i = 0; i < model.n; ++i) vote += (1.0 + 0.01 * i) * (((b >> i) & 1) ? 1.0 : -1.0);
        r[x * nb + b] = labels[x] * vote / model.n;
      }
  return r;
}

}  // namespace

std::vector<double> label_log_posterior(const NetworkModel& model, const std::vector<double>& stationary,
                                        const std::vector<int>& labels) {
  check_labels(model, labels, stationary);
  // Masses below 0 (rounding in an iterative solve) count as 0.
  std::vector<double> mu(stationary);
  for (double& v : mu) v = std::max(v, 0.0);
  std::vector<double> plus, minus;
  joint_with_label(model, mu, labels, plus, minus);
  double total_plus = 0.0, total = 0.0;
  for (std::size_t b = 0; b < plus.size(); ++b) {
    total_plus += plus[b];
    total += plus[b] + minus[b];
  }
  if (!(total > 0.0)) throw InvalidInput("stationary", "the distribution has no mass");
  // p(y | b) = (p(b, y) + d p(y)) / (p(b) + d) with d the smallest normal double: the posterior of
  // any state with mass, and the label's marginal p(y) at a state of zero mass.
  const double d = std::numeric_limits<double>::min();
  const double p_plus = total_plus / total, p_minus = 1.0 - p_plus;
  const std::uint64_t nb = model.num_network_states();
  std::vector<double> out(model.num_states(), kNaN);
  for (int x = 0; x < model.m(); ++x)
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      const double joint = labels[x] > 0 ? plus[b] + d * p_plus : minus[b] + d * p_minus;
      out[x * nb + b] = std::log(joint) - std::log(plus[b] + minus[b] + d);
    }
  return out;
}

double label_information(const NetworkModel& model, const std::vector<double>& stationary,
                         const std::vector<int>& labels) {
  check_labels(model, labels, stationary);
  std::vector<double> plus, minus;
  joint_with_label(model, stationary, labels, plus, minus);
  return information_of(plus, minus);
}

double independent_information(const NetworkModel& model, const std::vector<double>& stationary,
                               const std::vector<int>& labels) {
  check_labels(model, labels, stationary);
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  std::vector<double> plus(nb, 0.0), minus(nb, 0.0), q(n);
  for (int x = 0; x < m; ++x) {
    double px = 0.0;
    std::fill(q.begin(), q.end(), 0.0);
    for (std::uint64_t b = 0; b < nb; ++b) {
      const double w = stationary[x * nb + b];
      px += w;
      for (int i = 0; i < n; ++i)
        if ((b >> i) & 1) q[i] += w;
    }
    if (!(px > 0.0)) continue;
    for (double& qi : q) qi /= px;
    auto& target = labels[x] > 0 ? plus : minus;
    for (std::uint64_t b = 0; b < nb; ++b) {
      double p = px;
      for (int i = 0; i < n; ++i) p *= ((b >> i) & 1) ? q[i] : 1.0 - q[i];
      target[b] += p;
    }
  }
  return information_of(plus, minus);
}

InputMixing input_mixing(const InputProcess& input) {
  input.validate("input");
  const int m = input.m;
  if (m > kMaxMixingInputs) {
    throw InvalidInput("input", "the mixing analysis decomposes T densely: m = " + std::to_string(m) +
                                    " exceeds the limit " + std::to_string(kMaxMixingInputs));
  }
  Eigen::MatrixXd T(m, m);
  for (int x = 0; x < m; ++x)
    for (int y = 0; y < m; ++y) T(x, y) = input(x, y);
  InputMixing out;
  // The stationary distribution: the left eigenvector of eigenvalue 1 (solve pi (I - T) = 0, sum 1).
  Eigen::MatrixXd A = (Eigen::MatrixXd::Identity(m, m) - T).transpose();
  A.row(m - 1).setOnes();
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(m);
  rhs(m - 1) = 1.0;
  const Eigen::VectorXd pi = A.fullPivLu().solve(rhs);
  out.stationary.assign(pi.data(), pi.data() + m);
  if (m == 1) {
    out.spectral_gap = 1.0;
    out.relaxation_time = 1.0;
    return out;
  }
  const Eigen::VectorXcd ev = Eigen::EigenSolver<Eigen::MatrixXd>(T, false).eigenvalues();
  // Drop the eigenvalue closest to 1 (the unichain's single unit eigenvalue).
  int unit = 0;
  for (int k = 1; k < m; ++k)
    if (std::abs(ev(k) - 1.0) < std::abs(ev(unit) - 1.0)) unit = k;
  for (int k = 0; k < m; ++k)
    if (k != unit) out.second_modulus = std::max(out.second_modulus, std::abs(ev(k)));
  out.spectral_gap = 1.0 - out.second_modulus;
  out.relaxation_time = out.spectral_gap > 0.0 ? 1.0 / out.spectral_gap : std::numeric_limits<double>::infinity();
  return out;
}

EfficientCodingResult efficient_coding(const NetworkModel& model, const SolverOptions& options) {
  model.validate();
  if (model.reward.kind != RewardKind::efficient_coding) {
    throw InvalidInput("reward.kind", std::string("the efficient-coding loop needs reward kind efficient_coding, got ") +
                                          to_string(model.reward.kind));
  }
  if (options.method == Method::parametric) {
    throw InvalidInput("solver.method", "the efficient-coding loop needs each solve's exact stationary distribution: "
                                        "use \"value_iteration\" or \"policy_iteration\", not \"parametric\"");
  }
  const std::vector<int>& labels = model.reward.labels;
  check_labels(model, labels, std::vector<double>(model.num_states()));
  const std::uint64_t nb = model.num_network_states();
  NetworkModel work = model;
  EfficientCodingResult out;
  out.reward = initial_reward(model, labels);
  for (int k = 1; k <= model.reward.coding_max_iterations; ++k) {
    work.reward = RewardSpec::table(out.reward);
    // Each solve after the first starts from the previous one (values, prior, stationary
    // distribution): the rewards change little between solves, and the fixed point and
    // tolerances are those of a cold start. The reference backend (which refuses warm starts)
    // solves cold.
    SolveHooks hooks;
    if (k > 1 && options.backend != Backend::reference) {
      WarmStart warm;
      warm.values = out.solution.values;
      warm.prior = out.solution.prior;
      warm.stationary = out.solution.stationary;
      hooks.warm_starts.push_back(std::move(warm));
    }
    out.solution = solve(work, options, hooks);
    out.log_posterior = label_log_posterior(model, out.solution.stationary, labels);
    double change = 0.0;
    for (std::uint64_t s = 0; s < out.reward.size(); ++s)
      if (model.consistent(s % nb)) change = std::max(change, std::abs(out.log_posterior[s] - out.reward[s]));
    out.iterations = k;
    out.final_change = change;
    out.change_history.push_back(change);
    if (!std::isfinite(change)) {
      throw NumericalError("efficient coding: the log-posterior reward is not finite after solve " + std::to_string(k));
    }
    if (change < model.reward.coding_tol) {
      out.converged = true;
      break;
    }
    if (k == model.reward.coding_max_iterations) break;
    for (std::uint64_t s = 0; s < out.reward.size(); ++s)
      out.reward[s] = model.consistent(s % nb) ? out.log_posterior[s] : 0.0;
  }
  out.information = label_information(model, out.solution.stationary, labels);
  out.independent_information = independent_information(model, out.solution.stationary, labels);
  if (!out.converged) {
    std::ostringstream os;
    os << "efficient coding: the reward changed by " << out.final_change << " after " << out.iterations
       << " solves (reward.tol " << model.reward.coding_tol << ")";
    out.solution.converged = false;
    out.solution.note += (out.solution.note.empty() ? "" : "; ") + os.str();
  }
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
