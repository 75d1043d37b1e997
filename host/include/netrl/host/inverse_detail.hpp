#pragma once
// Internal helpers of the inverse-RL sources (numerically stable logistic functions and the
// LBFGS++ driver). Not part of the public API.
#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <string>

namespace netrl::inverse::detail {

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
/// log(e^a + e^b).
inline double log_add_exp(double a, double b) {
  const double hi = a > b ? a : b, lo = a > b ? b : a;
  return hi + std::log1p(std::exp(lo - hi));
}

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

}  // namespace netrl::inverse::detail
