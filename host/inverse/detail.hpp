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

/// Negative log-likelihood of the transitions out of one state (MODEL.md sec. 4), over its nf free
/// neurons in compact order: c[a] changes of free neuron a (probability q_a / nf) and c_stay steps
/// without a change (probability sum_a (1 - q_a) / nf), where q_a = sigmoid(sg[a] z[a]) is the
/// probability that neuron a changes when it is chosen, z[a] the logit of its spiking and
/// sg[a] = -1 if it is active, +1 if silent. Writes dNLL/dz_a to gz[a].
inline double transition_nll(const double* c, double c_stay, const double* sg, const double* z, int nf,
                             double log_nf, double* gz) {
  double log_stay = -std::numeric_limits<double>::infinity();
  for (int a = 0; a < nf; ++a) log_stay = log_add_exp(log_stay, log_sigmoid(-sg[a] * z[a]));
  double nll = 0.0;
  if (c_stay > 0.0) nll -= c_stay * (log_stay - log_nf);
  for (int a = 0; a < nf; ++a) {
    const double log_q = log_sigmoid(sg[a] * z[a]), log_1mq = log_sigmoid(-sg[a] * z[a]);
    double g = 0.0;
    if (c[a] > 0.0) {
      nll -= c[a] * (log_q - log_nf);
      g -= c[a] * sg[a] * std::exp(log_1mq);
    }
    if (c_stay > 0.0) g += c_stay * sg[a] * std::exp(log_q + log_1mq - log_stay);
    gz[a] = g;
  }
  return nll;
}

/// The same for network state b in the layout of NetworkData: c[i] (i < n) changes of neuron i,
/// c[n] steps without a change, z[i] and gz[i] indexed by neuron (free ones only).
inline double transition_nll(const double* c, std::uint64_t b, const std::vector<int>& free, int n, const double* z,
                             double log_nf, double* gz) {
  const int nf = static_cast<int>(free.size());  // <= kMaxTabularNeurons
  double cf[64], sg[64], zf[64], gf[64];
  for (int a = 0; a < nf; ++a) {
    cf[a] = c[free[a]];
    sg[a] = ((b >> free[a]) & 1) ? -1.0 : 1.0;
    zf[a] = z[free[a]];
  }
  const double nll = transition_nll(cf, c[n], sg, zf, nf, log_nf, gf);
  for (int a = 0; a < nf; ++a) gz[free[a]] = gf[a];
  return nll;
}

/// From w over the joint states (consistent entries), the values V = W T^{-T} (per b: T v_b = w_b)
/// into out.values and the reward r = v - lambda sum_i log[p_i e^{w(b|1)/(nf l)} + (1 - p_i)
/// e^{w(b|0)/(nf l)}] into out.reward at the states marked in `report` (NaN elsewhere; counted in
/// out.missing); the per-input mean weighted by out.weights is removed.
void rewards_from_w(const NetworkModel& model, const std::vector<double>& w, const std::vector<double>& prior,
                    double lambda, const std::vector<char>& report, NetworkInverse& out);

/// InvalidInput ("data") unless the observations are of the model's n and m, over all its states.
void check_observations(const NetworkModel& model, const NetworkData& data);

/// The checks of a raster against the model (columns, size, input sequence), InvalidInput naming
/// "raster" or "inputs"; and of row t against the clamps.
void check_raster(const Raster& raster, const NetworkModel& model);
void check_clamps(const std::uint8_t* row, std::uint64_t t, const NetworkModel& model);

/// f(x, grad) returns the objective to minimise and writes its gradient.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

struct MinimizeReport {
  int iterations = 0;   // LBFGS iterations (counted from the evaluation points when a stall stopped the run)
  int evaluations = 0;  // objective evaluations
  double value = 0.0;
  double gradient_norm = 0.0;
  bool converged = false;
  std::string stop;  // why it stopped
};

/// Minimises with LBFGS++ (strong Wolfe line search of Nocedal and Wright) from `x`, stopping when
/// ||grad|| <= tolerance or after max_iterations. A line search that cannot make progress near the
/// optimum (rounding) ends the run: it is converged when the gradient norm is within
/// converged_slack * tolerance, otherwise not (the parametric fit, whose tolerance is scaled to
/// the data, passes 1: converged means the gradient met the tolerance).
MinimizeReport minimize(const Objective& f, Eigen::VectorXd& x, int max_iterations, double tolerance,
                        double converged_slack = 1e3);

}  NETRL_NAMESPACE_END  // namespace netrl::inverse::detail
