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

  py::class_<SampleSizeRow>(m, "SampleSizeRow", "One repeat of one sample size.")
      .def_readonly("T", &SampleSizeRow::T)
      .def_readonly("repeat", &SampleSizeRow::repeat)
      .def_readonly("seed", &SampleSizeRow::seed)
      .def_readonly("r2", &SampleSizeRow::r2)
      .def_readonly("missing", &SampleSizeRow::missing)
      .def_readonly("iterations", &SampleSizeRow::iterations)
      .def_readonly("converged", &SampleSizeRow::converged)
      .def_readonly("kl_spike_count", &SampleSizeRow::kl_spike_count, "Per prediction (NaN when it failed).")
      .def_readonly("kl_stationary", &SampleSizeRow::kl_stationary, "Per prediction (NaN when it failed).");

  py::class_<SampleSizeResult>(m, "SampleSizeResult", "All repeats of the sample-size experiment.")
      .def_readonly("options", &SampleSizeResult::options)
      .def_readonly("burn_in", &SampleSizeResult::burn_in)
      .def_readonly("prediction_names", &SampleSizeResult::prediction_names)
      .def_property_readonly(
          "rows", [](const py::object& self) { return element_list(self, self.cast<const SampleSizeResult&>().rows); })
      .def_readonly("elapsed_seconds", &SampleSizeResult::elapsed_seconds);

  py::class_<SampleSizeSummary> summary(m, "SampleSizeSummary", "Mean and s.e.m. over the repeats of one T.");
  py::class_<SampleSizeSummary::Prediction>(summary, "Prediction")
      .def_readonly("kl_spike_count_mean", &SampleSizeSummary::Prediction::kl_spike_count_mean)
      .def_readonly("kl_spike_count_sem", &SampleSizeSummary::Prediction::kl_spike_count_sem)
      .def_readonly("kl_stationary_mean", &SampleSizeSummary::Prediction::kl_stationary_mean)
      .def_readonly("kl_stationary_sem", &SampleSizeSummary::Prediction::kl_stationary_sem)
      .def_readonly("failed", &SampleSizeSummary::Prediction::failed);
  summary.def_readonly("T", &SampleSizeSummary::T)
      .def_readonly("repeats", &SampleSizeSummary::repeats)
      .def_readonly("r2_mean", &SampleSizeSummary::r2_mean)
      .def_readonly("r2_sem", &SampleSizeSummary::r2_sem)
      .def_readonly("predictions", &SampleSizeSummary::predictions);

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
