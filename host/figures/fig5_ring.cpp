// Figure 5: the ring attractor. The four parametric solves of ring12 and its changes, with their
// coupling profiles J(d), the bump's drift, a raster excerpt and the gap to the best pairwise
// policy and to the exact optimum (docs/figures.md). The experiment is netrl::ring12_experiment
// (`netrl infer --scenario ring12`).
#include "figures/figure_support.hpp"
#include "netrl/figures.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

Ring12Options ring12_options(const FigureOptions& opt, bool inverse) {
  Ring12Options o = opt.quick ? ring12_quick_options() : Ring12Options{};
  o.seed = opt.seed;
  o.backend = opt.backend;
  o.with_inverse = inverse;
  // Figure 5 needs no predictions, figure 6 only the ring12 solve.
  o.predict = inverse;
  if (inverse) o.settings = {ring12_scenario_names().front()};
  if (opt.progress) o.progress = [opt, name = std::string(inverse ? "6" : "5")](const std::string& line) {
    detail::progress(opt, name, line);
  };
  return o;
}

namespace detail {

void ring12_settings(const Ring12Options& o, FigureData& fig) {
  fig.settings.push_back({"seed", std::to_string(o.seed)});
  fig.settings.push_back({"max_batches", std::to_string(o.max_batches)});
  fig.settings.push_back({"drift_chains", std::to_string(o.drift.chains)});
  fig.settings.push_back({"drift_sweeps", std::to_string(o.drift.sweeps)});
  fig.settings.push_back({"inverse_chains", std::to_string(o.inverse.chains)});
  fig.settings.push_back({"inverse_sweeps", std::to_string(o.inverse.sweeps)});
}

}  // namespace detail

FigureData ring_figure(const FigureOptions& opt) {
  FigureData fig;
  fig.name = "5";
  fig.title = "A ring attractor learned by the parametric solver (paper fig. 5)";
  const Ring12Result res = ring12_experiment(ring12_options(opt, false));

  Table gains{"gains.csv",
              {"setting", "lambda", "sampled_gain", "sampled_gain_se", "exact_gain_learned", "best_quadratic_gain",
               "optimum_gain", "batches", "converged"},
              {}};
  Table profile{"profile.csv", {"setting", "distance", "J_mean", "J_sd", "pairs"}, {}};
  Table drift{"drift.csv", {"setting", "lag_sweeps", "autocorrelation", "msd", "pairs"}, {}};
  Table curve{"learning_curve.csv", {"setting", "batch", "gain", "gain_se", "td_error", "phi_change"}, {}};
  for (std::size_t k = 0; k < res.settings.size(); ++k) {
    const Ring12Setting& s = res.settings[k];
    const ParametricSolution& p = *s.result.parametric;
    const double K = double(k);
    gains.add({K, s.problem.network.lambda, s.result.gain, p.gain_se, p.exact_gain, s.best_quadratic_gain,
               s.optimum_gain, double(p.batches), s.result.converged ? 1.0 : 0.0});
    for (std::size_t d = 1; d < s.profile.mean.size(); ++d)
      profile.add({K, double(d), s.profile.mean[d], s.profile.sd[d], double(s.profile.pairs[d])});
    for (std::size_t l = 0; l < s.drift.lag.size(); ++l)
      drift.add({K, double(s.drift.lag[l]), s.drift.autocorrelation[l], s.drift.mean_squared_displacement[l],
                 double(s.drift.pairs[l])});
    for (const LearningCurvePoint& c : p.curve) curve.add({K, double(c.batch), c.gain, c.gain_se, c.td_error, c.phi_change});
    const auto n = static_cast<std::uint64_t>(s.problem.network.n);
    fig.arrays.push_back({"J_" + std::to_string(k) + ".npy", p.J, {n, n}});
    fig.arrays.push_back({"raster_" + std::to_string(k) + ".npy",
                          std::vector<double>(s.raster.states.begin(), s.raster.states.end()), {s.raster.steps, n}});
    fig.settings.push_back({"setting_" + std::to_string(k), s.name});
    fig.numbers.push_back({s.name + "_exact_gain_learned", p.exact_gain});
    fig.numbers.push_back({s.name + "_best_quadratic_gain", s.best_quadratic_gain});
    fig.numbers.push_back({s.name + "_optimum_gain", s.optimum_gain});
    if (!s.result.converged) fig.notes.push_back(s.name + ": " + s.result.note);
  }
  fig.tables.push_back(std::move(gains));
  fig.tables.push_back(std::move(profile));
  fig.tables.push_back(std::move(drift));
  fig.tables.push_back(std::move(curve));
  detail::ring12_settings(res.options, fig);
  fig.settings.push_back({"quick", opt.quick ? "true" : "false"});
  fig.numbers.push_back({"elapsed_seconds", res.elapsed_seconds});
  return fig;
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
