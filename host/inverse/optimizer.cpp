// The one optimiser driver of the inverse methods: LBFGS++ with a strong Wolfe line search.
#include <LBFGS.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "inverse/detail.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse::detail {

MinimizeReport minimize(const Objective& f, Eigen::VectorXd& x, int max_iterations, double tolerance,
                        double converged_slack) {
  LBFGSpp::LBFGSParam<double> param;
  param.m = 10;
  param.epsilon = tolerance;
  param.epsilon_rel = 0.0;
  param.max_iterations = max_iterations;
  // Also stop once the objective has not decreased by more than its rounding over 5 iterations
  // (line searches near the optimum otherwise spend many evaluations on rounding noise).
  param.past = 5;
  param.delta = 1e-15;
  param.max_linesearch = 40;
  param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchNocedalWright> solver(param);
  // LBFGS++ leaves x at the last trial point when a line search gives up: keep the best point.
  // It also gives up line searches that spend many evaluations on rounding noise: after
  // kStallEvaluations evaluations without a decrease beyond rounding, the run stops at the best point.
  struct Stalled {};
  constexpr int kStallEvaluations = 100;
  Eigen::VectorXd best = x;
  double best_value = std::numeric_limits<double>::infinity();
  double progress_value = std::numeric_limits<double>::infinity();
  int since_progress = 0;
  MinimizeReport rep;
  // Iterations, counted from the evaluation points when a stall ends the run inside a line search
  // (LBFGS++ returns its count only when it stops by itself): the trial points of one line search
  // lie on one line, so a step between evaluations that is not parallel to the previous step
  // starts a new iteration.
  Eigen::VectorXd last_point, last_step;
  int directions = 0;
  auto tracked = [&](const Eigen::VectorXd& y, Eigen::VectorXd& g) {
    ++rep.evaluations;
    if (last_point.size() == y.size()) {
      Eigen::VectorXd step = y - last_point;
      const double norms = step.norm() * last_step.norm();
      if (last_step.size() == 0 || norms == 0.0 || std::abs(step.dot(last_step)) < (1.0 - 1e-9) * norms) ++directions;
      last_step = std::move(step);
    }
    last_point = y;
    const double v = f(y, g);
    if (v < best_value) {
      best_value = v;
      best = y;
    }
    if (v < progress_value - 1e-15 * std::max(1.0, std::abs(v))) {
      progress_value = v;
      since_progress = 0;
    } else if (++since_progress > kStallEvaluations) {
      throw Stalled{};
    }
    return v;
  };
  double fx = 0.0;
  try {
    rep.iterations = solver.minimize(tracked, x, fx);
    rep.stop = max_iterations > 0 && rep.iterations >= max_iterations
                   ? "iteration limit " + std::to_string(max_iterations)
                   : std::string("no relative decrease beyond 1e-15 over 5 iterations");
  } catch (const Stalled&) {
    rep.iterations = directions;
    rep.stop = "no decrease beyond rounding in " + std::to_string(kStallEvaluations) + " evaluations";
  } catch (const std::exception& e) {
    rep.iterations = directions;
    rep.stop = std::string("line search stopped: ") + e.what();
  }
  x = best;
  Eigen::VectorXd g(x.size());
  rep.value = f(x, g);
  rep.gradient_norm = g.norm();
  rep.converged = rep.gradient_norm <= converged_slack * tolerance;
  if (rep.gradient_norm <= tolerance) rep.stop = "gradient tolerance";
  if (!rep.converged) {
    std::ostringstream os;
    os << rep.stop << " (gradient norm " << rep.gradient_norm << ", tolerance " << tolerance << ")";
    rep.stop = os.str();
  }
  return rep;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse::detail
