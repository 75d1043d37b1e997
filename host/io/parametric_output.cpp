// The files of a parametric solve (docs/parametric.md, "Outputs"): J.npy, h.npy,
// h_policy.npy, learning_curve.csv and the parametric keys of result.json.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "io/parametric_output.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

using nlohmann::json;

void add_parametric_json(json& j, const Problem& problem, const SolveResult& r) {
  const ParametricSolution& s = *r.parametric;
  const ParametricOptions& o = problem.solver.parametric;
  j["gain_se"] = s.gain_se;
  j["batches"] = s.batches;
  j["samples"] = s.samples;
  j["chain_steps"] = s.chain_steps;
  j["offset"] = s.offset;
  if (s.has_exact) {
    j["exact"] = {{"gain", s.exact_gain},
                  {"mean_reward", s.exact_mean_reward},
                  {"mean_coding_cost", s.exact_mean_coding_cost},
                  {"rates", s.exact_rates}};
  } else {
    j["exact"] = nullptr;
  }
  json settings = {{"batch", o.batch},
                   {"chains", o.chains},
                   {"explore", o.explore},
                   {"sample_interval", o.sample_interval},
                   {"burn_in", o.burn_in},
                   {"target_period", o.target_period},
                   {"learning_rate", o.learning_rate},
                   {"curvature_step", o.curvature_step},
                   {"horizon_step", o.horizon_step},
                   {"regression", to_string(o.regression)},
                   {"decay_start", o.decay_start},
                   {"decay_batches", o.decay_batches},
                   {"seed", o.seed},
                   {"prior_warmup", o.prior_warmup},
                   {"tol", o.tol},
                   {"gain_tol", o.gain_tol},
                   {"window", o.window},
                   {"min_batches", o.min_batches},
                   {"max_batches", o.max_batches},
                   {"coupling_mask", !o.coupling_mask.empty()}};
  j["parametric"] = settings;
}

std::string learning_curve_csv(const ParametricSolution& s) {
  std::ostringstream csv;
  csv << "period,batch,gain,gain_se,mean_reward,mean_coding_cost,td_error,phi_change,learning_rate,prior,field_error\n";
  char buf[400];
  for (std::size_t k = 0; k < s.curve.size(); ++k) {
    const LearningCurvePoint& p = s.curve[k];
    std::snprintf(buf, sizeof buf, "%zu,%lld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", k + 1,
                  static_cast<long long>(p.batch), p.gain, p.gain_se, p.mean_reward, p.mean_coding_cost, p.td_error,
                  p.phi_change, p.learning_rate, p.prior, p.field_error);
    csv << buf;
  }
  return csv.str();
}

void write_parametric_files(OutputDir& out, const SolveResult& r) {
  const ParametricSolution& s = *r.parametric;
  const auto n = static_cast<std::uint64_t>(s.n), m = static_cast<std::uint64_t>(s.m);
  out.write_npy("J.npy", s.J, {n, n});
  out.write_npy("h.npy", s.h, {m, n});
  out.write_npy("h_policy.npy", s.h_policy, {m, n});
  out.write_text("learning_curve.csv", learning_curve_csv(s));
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
