// The non-template parts shared by the exact solvers' drivers (solve/iterations.hpp).
#include "solve/iterations.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace soft {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void record_evaluation(IterationTrack& t, double gain, double mean_reward, double mean_coding_cost,
                       std::int64_t outer) {
  SolveResult& res = t.result;
  res.outer_iterations = outer;
  res.gain = gain;
  res.gain_lo = t.span.lo;
  res.gain_hi = t.span.hi;
  res.mean_reward = mean_reward;
  res.mean_coding_cost = mean_coding_cost;
  res.gain_history.push_back(gain);
  res.converged = false;
}

void require_kernels_backend(const SolverOptions& options, const char* solver) {
  if (options.backend != Backend::host && options.backend != Backend::cuda) {
    throw InvalidInput("solver.backend", std::string(solver) + " runs on \"host\" or \"cuda\", not \"" +
                                             to_string(options.backend) + "\"");
  }
}

void stamp_result(SolveResult& res, bool cuda, const SolverOptions& options) {
  res.backend = cuda ? "cuda" : "host";
  res.precision = to_string(options.precision);
  res.method = to_string(options.method);
}

bool degenerate_prior(double p, bool clipped, double prior_eps) {
  return p <= prior_eps || p >= 1.0 - prior_eps || clipped;
}

PriorResidual prior_residual(const std::vector<double>& prior, const std::vector<double>& next, double prior_tol,
                             double z_noise) {
  PriorResidual r;
  r.below = true;
  // The floor's noise is held at kMaxPriorNoise: beyond, the exponents' rounding says nothing
  // about the prior (at lambda 1e-16 z_noise was 4: every residual lay below its "floor" and the
  // first prior, 0.25 per action, was reported converged). A converged result then carries a note.
  r.z_noise = z_noise;
  const double noise = std::min(z_noise, kMaxPriorNoise);
  for (std::size_t k = 0; k < next.size(); ++k) {
    const double d = std::abs(next[k] - prior[k]);
    r.change = std::max(r.change, d);
    const double floor = 4.0 * noise * std::min(prior[k], 1.0 - prior[k]);
    r.below = r.below && d < std::max(prior_tol, floor);
  }
  return r;
}

void advance_prior(IterationTrack& t, const std::vector<double>& next, const PriorResidual& r, std::int64_t outer,
                   const SolverOptions& options, double eps, const prior_loop::Chart& chart) {
  SolveResult& res = t.result;
  t.residual = r.change;
  res.note.clear();
  if (!t.inner_converged) {
    t.running = false;  // like the reference: report this evaluation, not converged
    res.note = t.inner_note;
    return;
  }
  prior_loop::Round round;
  round.gain = res.gain;
  round.inner_tol = t.inner_tol;
  round.final_tolerances = t.final_tolerances;
  round.below = r.below;
  round.last_outer = outer >= options.max_outer_iterations;
  round.eps = eps;
  switch (prior_loop::step(t.accel, t.prior, next, round, chart)) {
    case prior_loop::Verdict::converged: {
      t.running = false;
      // The greedy policy's gain lies within the span bounds of the values it is greedy for. A
      // gain outside them by more than the tolerance allows is rounding beyond solver.tol: the
      // coding cost enters as lambda c, so with a large lambda (relative to the rewards) its
      // rounding, of order lambda eps per state, swamps the tolerance. Not a converged answer.
      const double outside = std::max(res.gain_lo - res.gain, res.gain - res.gain_hi);
      const double slack = 100.0 * t.inner_tol + 1e3 * eps * std::abs(res.gain);
      if (!(outside <= slack)) {
        std::ostringstream os;
        os.precision(3);
        os << "the result is not accurate to solver.tol: the final policy's gain lies " << outside
           << " outside the span bounds that hold it, more than the tolerance allows; rounding (of order lambda x "
           << eps << " per state) exceeds the tolerance: lower lambda or scale the rewards up";
        res.note = os.str();
        break;
      }
      res.converged = true;
      if (r.z_noise > kMaxPriorNoise) {
        char noise[32];
        std::snprintf(noise, sizeof noise, "%.3g", r.z_noise);
        res.note = "lambda is small against the values: the policy's exponents (values / lambda) carry rounding "
                   "errors up to " + std::string(noise) + ", so where choices nearly tie the policy, its coding "
                   "cost and the prior are decided by rounding (the gain weighs the coding cost by lambda)";
      }
      break;
    }
    case prior_loop::Verdict::outer_limit:
      t.running = false;
      res.note = "prior loop reached solver.max_outer_iterations";
      break;
    case prior_loop::Verdict::evaluate: break;
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::soft
