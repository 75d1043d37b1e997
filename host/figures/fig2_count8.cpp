// Figure 2: the count8 network: tuning curves, P(K|x), the inferred reward and the predictions
// (docs/figures.md).
#include <cmath>

#include "figures/figure_support.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/figures.hpp"
#include "netrl/infer.hpp"
#include "netrl/policy.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

using detail::add_spike_counts;

FigureData count8_figure(const FigureOptions& opt) {
  FigureData fig;
  fig.name = "2";
  fig.title = "The count8 network, its inferred reward and predictions (paper fig. 2)";
  const InferSettings settings = infer_scenario("count8", opt.backend);
  const NetworkModel& model = settings.problem.network;
  detail::progress(opt, "2", "solving count8");
  const SolveResult exact = solve(settings.problem);
  detail::progress(opt, "2", "inferring the reward and running the predictions");
  const InferResult inf = infer(settings, InferData::from_solution(settings.problem, exact));

  const TuningCurves t = tuning_curves(model, exact);
  Table tuning{"tuning.csv", {"x", "others_active", "p_spike", "mass"}, {}};
  for (int x = 0; x < model.m(); ++x)
    for (int k = 0; k < model.n; ++k) {
      const std::size_t e = t.index(model.n, x, k);
      tuning.add({double(x), double(k), t.p_spike[e], t.mass[e]});
    }
  fig.tables.push_back(std::move(tuning));
  Table counts{"spike_count.csv", {"x", "K", "p"}, {}};
  add_spike_counts(counts, {}, exact);
  fig.tables.push_back(std::move(counts));

  const std::uint64_t nb = model.num_network_states();
  const std::vector<double> truth = model.reward.tabulate(model.n, model.m());
  const std::vector<double> aligned = detail::align_reward(inf.reward, truth, exact.stationary, nb, inf.comparison.scale);
  Table reward{"reward.csv", {"x", "b", "K", "stationary", "true_reward", "inferred", "inferred_aligned"}, {}};
  for (std::uint64_t s = 0; s < truth.size(); ++s) {
    reward.add({double(s / nb), double(s % nb), double(popcount64(s % nb)), exact.stationary[s], truth[s],
                inf.reward[s], aligned[s]});
  }
  fig.tables.push_back(std::move(reward));
  fig.numbers.push_back({"lambda", model.lambda});
  fig.numbers.push_back({"gain", exact.gain});
  fig.numbers.push_back({"mean_coding_cost", exact.mean_coding_cost});
  fig.numbers.push_back({"prior", exact.prior.front()});
  fig.numbers.push_back({"reward_r2", inf.comparison.r2});
  fig.numbers.push_back({"reward_max_abs_error", inf.comparison.max_abs_error});

  Table predictions{"predictions.csv", {"prediction", "response", "x", "K", "p"}, {}};
  for (std::size_t k = 0; k < inf.predictions.size(); ++k) {
    const InferPrediction& p = inf.predictions[k];
    const std::string key = "prediction_" + std::to_string(k);
    fig.settings.push_back({key, p.spec.name});
    if (p.failed) {
      fig.notes.push_back("prediction \"" + p.spec.name + "\" failed: " + p.error);
      continue;
    }
    add_spike_counts(predictions, {double(k), 0.0}, p.result.reference.result);
    add_spike_counts(predictions, {double(k), 1.0}, p.result.predicted.result);
    fig.numbers.push_back({key + "_kl_spike_count", p.result.kl_spike_count});
    fig.numbers.push_back({key + "_kl_stationary", p.result.kl_stationary});
    fig.numbers.push_back({key + "_lambda_reference", p.result.reference.lambda});
    fig.numbers.push_back({key + "_lambda_predicted", p.result.predicted.lambda});
  }
  fig.tables.push_back(std::move(predictions));
  fig.settings.push_back({"response", "0: reference (true reward), 1: predicted (inferred reward)"});
  fig.settings.push_back({"quick", opt.quick ? "true (the same exact computation)" : "false"});
  return fig;
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
