// Figure 6: which reward model predicts what. Inverse RL from samples of the learned ring12 policy
// with the sparse, pairwise and global reward models: each model's inferred reward against the
// true one over the visited states, its r^2, and the predictions for ring12's three changes
// (docs/figures.md). The experiment is netrl::ring12_experiment (`netrl infer --scenario ring12`).
#include <limits>

#include "figures/figure_support.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/figures.hpp"
#include "netrl/infer.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

FigureData reward_models_figure(const FigureOptions& opt) {
  FigureData fig;
  fig.name = "6";
  fig.title = "Reward models inferred from the ring attractor's dynamics (paper fig. 6)";
  const Ring12Result res = ring12_experiment(ring12_options(opt, true));
  const NetworkModel& model = res.settings.front().problem.network;
  const std::uint64_t nb = model.num_network_states();
  const std::vector<double> truth = model.reward.tabulate(model.n, model.m());

  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<bool> reference_written(res.prediction_names.size(), false);
  Table models{"models.csv", {"model", "r2", "scale", "compared_states", "visited_states", "samples"}, {}};
  Table reward{"reward.csv", {"model", "b", "K", "frequency", "true_reward", "inferred", "inferred_aligned"}, {}};
  Table kls{"predictions.csv", {"model", "prediction", "kl_spike_count", "kl_stationary", "failed"}, {}};
  Table counts{"spike_count.csv", {"model", "prediction", "response", "x", "K", "p"}, {}};
  for (std::size_t k = 0; k < res.models.size(); ++k) {
    const InferResult& inf = res.models[k];
    const double M = double(k);
    // "parametric/sparse" -> "sparse": every model here is fitted by the parametric inverse.
    const std::string name = inf.network.method.substr(inf.network.method.find('/') + 1);
    fig.settings.push_back({"model_" + std::to_string(k), name});
    models.add({M, inf.comparison.r2, inf.comparison.scale, double(inf.comparison.compared), double(inf.visited_states),
                double(inf.samples)});
    fig.numbers.push_back({name + "_r2", inf.comparison.r2});
    const std::vector<double> aligned = detail::align_reward(inf.reward, truth, inf.weights, nb, inf.comparison.scale);
    for (std::uint64_t s = 0; s < truth.size(); ++s) {
      if (!(inf.weights[s] > 0.0)) continue;
      reward.add({M, double(s % nb), double(popcount64(s % nb)), inf.weights[s], truth[s], inf.reward[s], aligned[s]});
    }
    for (std::size_t p = 0; p < inf.predictions.size(); ++p) {
      const InferPrediction& pr = inf.predictions[p];
      const double P = double(p);
      kls.add({M, P, pr.failed ? nan : pr.result.kl_spike_count, pr.failed ? nan : pr.result.kl_stationary,
               pr.failed ? 1.0 : 0.0});
      if (pr.failed) {
        fig.notes.push_back(name + ", prediction \"" + pr.spec.name + "\" failed: " + pr.error);
        continue;
      }
      fig.numbers.push_back({name + "_kl_" + pr.spec.name, pr.result.kl_spike_count});
      // The reference (true reward) is the same for every model: written once (model -1).
      if (!reference_written[p]) detail::add_spike_counts(counts, {-1.0, P, 0.0}, pr.result.reference.result);
      reference_written[p] = true;
      detail::add_spike_counts(counts, {M, P, 1.0}, pr.result.predicted.result);
    }
  }
  for (std::size_t p = 0; p < res.prediction_names.size(); ++p)
    fig.settings.push_back({"prediction_" + std::to_string(p), res.prediction_names[p]});
  fig.tables.push_back(std::move(models));
  fig.tables.push_back(std::move(reward));
  fig.tables.push_back(std::move(kls));
  fig.tables.push_back(std::move(counts));
  const Ring12Setting& base = res.settings.front();
  fig.numbers.push_back({"ring12_exact_gain_learned", base.result.parametric->exact_gain});
  fig.numbers.push_back({"elapsed_seconds", res.elapsed_seconds});
  detail::ring12_settings(res.options, fig);
  fig.settings.push_back({"quick", opt.quick ? "true" : "false"});
  return fig;
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
