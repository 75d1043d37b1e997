// The paper's scenarios (count8, the maze), the count8 sample-size experiment, and the process
// settings of the host backend (threads, OpenMP's wait policy).
#include "common.hpp"

namespace netrl::python {

namespace {

void bind_sample_size(py::module_& m) {
  using O = SampleSizeOptions;
  py::class_<O> options(m, "SampleSizeOptions", "The count8 inference from T samples (fig. 3A, 3C-D).");
  def_keywords(options, keyword("sizes", &O::sizes, O{}.sizes), keyword("repeats", &O::repeats, 20),
               keyword("seed", &O::seed, 1), keyword("predictions", &O::predictions, true),
               keyword("backend", &O::backend, Backend::automatic, "'auto'"),
               keyword("progress", &O::progress, false, nullptr, "One line per finished repeat on stderr."));

  using Row = SampleSizeRow;
  constexpr const char* kPerPrediction = "Per prediction (NaN when it failed).";
  py::class_<Row> row(m, "SampleSizeRow", "One repeat of one sample size.");
  def_readonly(row, field("T", &Row::T), field("repeat", &Row::repeat), field("seed", &Row::seed),
               field("r2", &Row::r2), field("missing", &Row::missing), field("iterations", &Row::iterations),
               field("converged", &Row::converged), field("kl_spike_count", &Row::kl_spike_count, kPerPrediction),
               field("kl_stationary", &Row::kl_stationary, kPerPrediction));

  using Result = SampleSizeResult;
  py::class_<Result> result(m, "SampleSizeResult", "All repeats of the sample-size experiment.");
  def_readonly(result, field("options", &Result::options), field("burn_in", &Result::burn_in),
               field("prediction_names", &Result::prediction_names), field("elapsed_seconds", &Result::elapsed_seconds))
      .def_property_readonly(
          "rows", [](const py::object& self) { return element_list(self, self.cast<const Result&>().rows); });

  using Summary = SampleSizeSummary;
  using Prediction = SampleSizeSummary::Prediction;
  py::class_<Summary> summary(m, "SampleSizeSummary", "Mean and s.e.m. over the repeats of one T.");
  py::class_<Prediction> prediction(summary, "Prediction");
  def_readonly(prediction, field("kl_spike_count_mean", &Prediction::kl_spike_count_mean),
               field("kl_spike_count_sem", &Prediction::kl_spike_count_sem),
               field("kl_stationary_mean", &Prediction::kl_stationary_mean),
               field("kl_stationary_sem", &Prediction::kl_stationary_sem), field("failed", &Prediction::failed));
  def_readonly(summary, field("T", &Summary::T), field("repeats", &Summary::repeats),
               field("r2_mean", &Summary::r2_mean), field("r2_sem", &Summary::r2_sem),
               field("predictions", &Summary::predictions));

  m.def("count8_from_samples", &count8_from_samples, py::arg("options"), py::call_guard<py::gil_scoped_release>(),
        "Each repeat draws a recording of T steps, infers the reward by maximum likelihood, compares it with the "
        "truth and runs the predictions. Releases the GIL.");
  m.def("summarize", &summarize, py::arg("result"), "Mean and s.e.m. per sample size.");
}

}  // namespace

void bind_scenarios(py::module_& m) {
  m.def("scenario", &scenario, py::arg("name"),
        "A built-in forward problem: 'count8', 'maze' (lambda 0.013) or 'maze-high' (lambda 0.13). Unknown "
        "names raise InvalidInput ('scenario').");
  m.def("scenario_names", &scenario_names);
  m.def("infer_scenario", &infer_scenario, py::arg("name"), py::arg_v("backend", Backend::automatic, "'auto'"),
        "The settings of a built-in inference: 'count8' (with the paper's predictions) or 'maze'; its data are "
        "InferData.from_solution(settings.problem, solve(settings.problem)).");
  m.def("infer_scenario_names", &infer_scenario_names);
  m.def("count8_predictions", &count8_predictions, py::arg("base"),
        "The count8 predictions of the paper: flip 0.01, flip 0.03, cell 0 removed (coding cost kept).");
  bind_sample_size(m);

  m.def("set_threads", &set_threads, py::arg("threads"),
        "Uses `threads` OpenMP threads for the host kernels from now on, in the calling thread (0: the default).");
  m.def("threads", &threads, "The number of OpenMP threads the host kernels use in the calling thread.");
  m.def("wait_policy", &wait_policy,
        "OMP_WAIT_POLICY as the environment holds it: 'passive', 'active' or 'default' (docs/python.md).");
}

}  // namespace netrl::python
