#pragma once
// Internal helpers of the inverse-RL sources (numerically stable logistic functions and the
// LBFGS++ driver). Not part of the public API.
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "netrl/inverse.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse::detail {

inline double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}
/// log(1 + e^z) without overflow.
inline double softplus(double z) { return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
/// log sigmoid(z) = -softplus(-z).
inline double log_sigmoid(double z) { return -softplus(-z); }
inline double logit(double p) { return std::log(p) - std::log1p(-p); }
/// sigmoid(z), log sigmoid(z) and log sigmoid(-z) from one exp and one log1p.
struct Sigmoids {
  double rho, log_rho, log_one_minus_rho;
};
inline Sigmoids sigmoids(double z) {
  const double e = std::exp(-std::abs(z)), l = std::log1p(e);
  const double log_rho = z >= 0.0 ? -l : z - l;
  return {z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e), log_rho, log_rho - z};
}
/// log(e^a + e^b).
inline double log_add_exp(double a, double b) {
  const double hi = a > b ? a : b, lo = a > b ? b : a;
  return hi + std::log1p(std::exp(lo - hi));
}

/// Negative log-likelihood of the transitions out of network state b (MODEL.md sec. 4): c[i]
/// changes of free neuron i (probability q_i / nf) and c[n] steps without a change (probability
/// sum_i (1 - q_i) / nf), where q_i = sigmoid(sign_i z_i) is the probability that neuron i changes
/// when it is chosen, z_i the logit of its spiking and sign_i = -1 if bit i of b is set, else +1.
/// Writes dNLL/dz_i to gz[i] for the free i.
inline double transition_nll(const double* c, std::uint64_t b, const std::vector<int>& free, int n, const double* z,
                             double log_nf, double* gz) {
  double log_stay = -std::numeric_limits<double>::infinity();
  for (int i : free) {
    const double sg = ((b >> i) & 1) ? -1.0 : 1.0;
    log_stay = log_add_exp(log_stay, log_sigmoid(-sg * z[i]));
  }
  double nll = 0.0;
  const double c_stay = c[n];
  if (c_stay > 0.0) nll -= c_stay * (log_stay - log_nf);
  for (int i : free) {
    const double sg = ((b >> i) & 1) ? -1.0 : 1.0;
    const double log_q = log_sigmoid(sg * z[i]), log_1mq = log_sigmoid(-sg * z[i]);
    double g = 0.0;
    if (c[i] > 0.0) {
      nll -= c[i] * (log_q - log_nf);
      g -= c[i] * sg * std::exp(log_1mq);
    }
    if (c_stay > 0.0) g += c_stay * sg * std::exp(log_q + log_1mq - log_stay);
    gz[i] = g;
  }
  return nll;
}

/// From w over the joint states (consistent entries), the values V = W T^{-T} (per b: T v_b = w_b)
/// into out.values and the reward r = v - lambda sum_i log[p_i e^{w(b|1)/(nf l)} + (1 - p_i)
/// e^{w(b|0)/(nf l)}] into out.reward at the states marked in `report` (NaN elsewhere; counted in
/// out.missing); the per-input mean weighted by out.weights is removed.
void rewards_from_w(const NetworkModel& model, const std::vector<double>& w, const std::vector<double>& prior,
                    double lambda, const std::vector<char>& report, NetworkInverse& out);

/// f(x, grad) returns the objective to minimise and writes its gradient.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

struct MinimizeReport {
  int iterations = 0;   // LBFGS iterations (0 when a stall or line-search failure stopped the run)
  int evaluations = 0;  // objective evaluations
  double value = 0.0;
  double gradient_norm = 0.0;
  bool converged = false;
  std::string stop;  // why it stopped
};

/// Minimises with LBFGS++ (strong Wolfe line search of Nocedal and Wright) from `x`, stopping when
/// ||grad|| <= tolerance or after max_iterations. A line search that cannot make progress near the
/// optimum (rounding) ends the run: it is converged when the gradient norm is within
/// 1e3 * tolerance, otherwise not.
MinimizeReport minimize(const Objective& f, Eigen::VectorXd& x, int max_iterations, double tolerance);

}  NETRL_NAMESPACE_END  // namespace netrl::inverse::detail
