// Figure 3: the count8 inference from T recorded steps: r^2 and prediction KLs against T
// (docs/figures.md). The experiment is netrl::count8_from_samples (`netrl infer --scenario
// count8-samples`).
#include "figures/figure_support.hpp"
#include "netrl/figures.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

SampleSizeOptions sample_size_options(const FigureOptions& opt) {
  SampleSizeOptions so;
  so.sizes = opt.quick ? std::vector<std::uint64_t>{1000, 10000} : std::vector<std::uint64_t>{1000, 10000, 100000, 1000000};
  so.repeats = opt.quick ? 3 : 20;
  so.seed = opt.seed;
  so.backend = opt.backend;
  so.progress = opt.progress;
  return so;
}

FigureData sample_size_figure(const FigureOptions& opt) {
  FigureData fig;
  fig.name = "3";
  fig.title = "Inverse RL from limited data: count8 (paper fig. 3)";
  const SampleSizeOptions so = sample_size_options(opt);
  const SampleSizeResult res = count8_from_samples(so);
  const auto summary = summarize(res);
  const std::size_t P = res.prediction_names.size();

  Table sizes{"samples.csv", {"T", "repeats", "r2_mean", "r2_sem"}, {}};
  Table kls{"predictions.csv",
            {"prediction", "T", "kl_spike_count_mean", "kl_spike_count_sem", "kl_stationary_mean", "kl_stationary_sem",
             "failed"},
            {}};
  for (const SampleSizeSummary& s : summary) {
    sizes.add({double(s.T), double(s.repeats), s.r2_mean, s.r2_sem});
    for (std::size_t p = 0; p < P; ++p) {
      const auto& q = s.predictions[p];
      kls.add({double(p), double(s.T), q.kl_spike_count_mean, q.kl_spike_count_sem, q.kl_stationary_mean,
               q.kl_stationary_sem, double(q.failed)});
    }
  }
  Table raw{"samples_raw.csv", {"T", "repeat", "seed", "r2", "missing_states"}, {}};
  for (std::size_t p = 0; p < P; ++p) {
    raw.columns.push_back("kl_spike_count_" + std::to_string(p));
    raw.columns.push_back("kl_stationary_" + std::to_string(p));
  }
  for (const SampleSizeRow& r : res.rows) {
    std::vector<double> row{double(r.T), double(r.repeat), double(r.seed), r.r2, double(r.missing)};
    for (std::size_t p = 0; p < P; ++p) {
      row.push_back(r.kl_spike_count[p]);
      row.push_back(r.kl_stationary[p]);
    }
    raw.add(std::move(row));
  }
  fig.tables.push_back(std::move(sizes));
  fig.tables.push_back(std::move(kls));
  fig.tables.push_back(std::move(raw));
  for (std::size_t p = 0; p < P; ++p) fig.settings.push_back({"prediction_" + std::to_string(p), res.prediction_names[p]});
  std::string list;
  for (auto T : so.sizes) list += (list.empty() ? "" : ",") + std::to_string(T);
  fig.settings.push_back({"sizes", list});
  fig.settings.push_back({"repeats", std::to_string(so.repeats)});
  fig.settings.push_back({"seed", std::to_string(so.seed)});
  fig.settings.push_back({"quick", opt.quick ? "true" : "false"});
  fig.numbers.push_back({"burn_in", double(res.burn_in)});
  fig.numbers.push_back({"elapsed_seconds", res.elapsed_seconds});
  return fig;
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
