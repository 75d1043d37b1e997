// One inference run (docs/config-infer.md): its settings, its data (an exact solution, sample
// counts or a raster, all from arrays) and netrl.infer.
#include "common.hpp"

namespace netrl::python {

namespace {

void bind_settings(py::module_& m) {
  def_enum<InferMethod>(m, "InferMethod", "method",
                        "Inverse method; automatic: maze -> maze, m = 1 -> closed_form, a solution -> policy, "
                        "samples or a raster -> ml.");

  def_enum<StateReport>(m, "StateReport", "states",
                        "Where the parametric inverse reports the reward: all joint states (n <= 20) or the "
                        "visited ones; automatic: all for n <= 16.");
  using S = InferSettings;
  py::class_<S> settings(m, "InferSettings", "What to infer and how.");
  settings.def(
      py::init([](const Problem& problem, bool has_truth, InferMethod method, inverse::RewardModel reward_model,
                  StateReport states, const std::optional<inverse::OptimizerOptions>& optimizer,
                  const std::vector<inverse::PredictionSpec>& predictions, const std::optional<std::string>& source) {
        S s;
        s.problem = problem;
        s.has_truth = has_truth;
        s.method = method;
        s.reward_model = reward_model;
        s.states = states;
        s.optimizer = optimizer.value_or(inverse::OptimizerOptions{});
        s.predictions = predictions;
        s.source = source.value_or(problem.source);
        return s;
      }),
      py::arg("problem"), py::kw_only(), py::arg("has_truth") = false,
      py::arg_v("method", InferMethod::automatic, "'auto'"),
      py::arg_v("reward_model", inverse::RewardModel::table, "'table'"),
      py::arg_v("states", StateReport::automatic, "'auto'"), py::arg("optimizer") = py::none(),
      py::arg("predictions") = std::vector<inverse::PredictionSpec>{}, py::arg("source") = py::none(),
      "`problem`: the system the data come from; with has_truth its reward (networks) or the map's reward "
      "cells (mazes) is the true reward, compared with the inferred one. The reward of a network is "
      "otherwise unused.");
  def_readwrite(settings, field("problem", &S::problem), field("has_truth", &S::has_truth), field("method", &S::method),
                field("reward_model", &S::reward_model), field("states", &S::states), field("optimizer", &S::optimizer),
                field("predictions", &S::predictions, "The predictions (a copy; assign a new list)."),
                field("source", &S::source));
}

void bind_data(py::module_& m) {
  py::class_<InferData> data(m, "InferData", "The observations an inference runs on.");
  py::enum_<InferData::Kind>(data, "Kind")
      .value("solution", InferData::Kind::solution)
      .value("samples", InferData::Kind::samples)
      .value("raster", InferData::Kind::raster);
  data.def_static("from_solution", &InferData::from_solution, py::arg("problem"), py::arg("result"),
                  "The data of an exact solve of `problem` (its values, stationary distribution and prior).")
      .def_static("from_counts", &InferData::from_counts, py::arg("counts"), py::arg("description") = "counts",
                  "Counts (netrl.inverse.NetworkData).")
      .def_static(
          "from_samples",
          [](const NetworkModel& model, const DoubleArray& histogram, const std::optional<DoubleArray>& transitions,
             const std::string& description) {
            auto h = to_vector<double>(histogram);
            auto t = optional_vector(transitions);
            return without_gil([&] {
              return InferData::from_counts(inverse::sampled_counts(model, std::move(h), std::move(t)), description);
            });
          },
          py::arg("model"), py::arg("histogram"), py::arg("transitions") = py::none(),
          py::arg("description") = "samples",
          "Sample counts in the sampler's layout (SampleResult.histogram and .transitions, or arrays of "
          "non-negative integers of shapes (m * 2^n,) and (m * 2^n, n + 1)); errors name 'samples'.")
      .def_static(
          "from_raster",
          [](const Raster& raster, const std::string& description) {
            return InferData::from_raster(raster, description);
          },
          py::arg("raster"), py::arg("description") = "raster", "A recording (netrl.Raster).")
      .def_static(
          "from_raster",
          [](const NetworkModel& model, const DoubleArray& states, const std::optional<DoubleArray>& inputs,
             const std::string& description) {
            std::vector<std::uint64_t> shape, input_shape;
            std::vector<double> values = to_vector<double>(states, &shape), x;
            if (inputs) x = to_vector<double>(*inputs, &input_shape);
            return InferData::from_raster(inverse::make_raster(values, shape, x, input_shape, model), description);
          },
          py::arg("model"), py::arg("states"), py::arg("inputs") = py::none(), py::arg("description") = "raster",
          "A recording of `model` as arrays: states (T, n) of 0/1 (bool, integer or float), inputs (T,) of "
          "input indices in 0..m-1 (required iff m > 1). Errors name 'raster' or 'inputs'.");
  def_readonly(data, field("kind", &InferData::kind), field("lambda_", &InferData::lambda),
               field("counts", &InferData::counts), field("raster", &InferData::raster),
               field("description", &InferData::description), field("notes", &InferData::notes));
  def_view(data, "values", &InferData::values, "solution: the values.");
  def_view(data, "stationary", &InferData::stationary, "solution: the stationary distribution.");
  def_view(data, "prior", &InferData::prior, "solution: the prior.");
}

void bind_result(py::module_& m) {
  using P = InferPrediction;
  py::class_<P> prediction(m, "InferPrediction", "One prediction of an inference run, or the error that stopped it.");
  def_readonly(prediction, field("spec", &P::spec), field("failed", &P::failed), field("error", &P::error),
               field("result", &P::result));

  using R = InferResult;
  py::class_<R> r(m, "InferResult",
                  "The result of netrl.infer (docs/outputs.md, 'netrl infer'); arrays are read-only views into this "
                  "object.");
  def_readonly(r, field("source", &R::source), field("model", &R::model),
               field("method", &R::method, "The method that ran."), field("lambda_", &R::lambda),
               field("data_kind", &R::data_kind), field("data_description", &R::data_description),
               field("samples", &R::samples), field("visited_states", &R::visited_states),
               field("multi_flip_steps", &R::multi_flip_steps),
               field("reward_shape", &R::reward_shape, "[m, 2^n] (networks) or [states] (mazes)."), field("n", &R::n),
               field("m", &R::m),
               field("network", &R::network,
                     "Networks: the method's output (values, missing states, optimiser statistics, the parametric "
                     "J, h and target)."),
               field("maze_states", &R::maze_states), field("maze", &R::maze, "Mazes: the maze inverse's output."),
               field("on_visited", &R::on_visited,
                     "Parametric on visited states: reward, values and weights are indexed like `visited`."),
               field("visited", &R::visited, "The visited states (parametric on visited states)."),
               field("has_comparison", &R::has_comparison), field("notes", &R::notes),
               field("converged", &R::converged), field("elapsed_seconds", &R::elapsed_seconds))
      .def_property_readonly(
          "comparison",
          [](const py::object& self) -> py::object {
            const InferResult& x = self.cast<const R&>();
            if (!x.has_comparison) return py::none();
            return py::cast(&x.comparison, py::return_value_policy::reference_internal, self);
          },
          "The comparison with the true reward (r2, ...), or None without a true reward.")
      .def_property_readonly(
          "predictions", [](const py::object& self) { return element_list(self, self.cast<const R&>().predictions); },
          "The predictions, in order.");
  def_view(r, "reward", &R::reward,
           "The inferred reward (flat; reward_shape gives its shape), per-input weighted mean removed, NaN where "
           "missing.");
  r.def_property_readonly(
      "values", [](const py::object& self) { return view(self, self.cast<const R&>().values()); },
      "The inferred values (flat), network.values or maze.values.");
  def_view(r, "weights", &R::weights, "The weights of the comparison (stationary distribution or visits).");
  def_view(r, "prior", &R::prior,
           "The prior the data were produced with (networks: per neuron, NaN at clamped neurons; mazes: per "
           "action).");
}

}  // namespace

void bind_infer(py::module_& m) {
  bind_settings(m);
  bind_data(m);
  bind_result(m);
  m.def("infer", &infer, py::arg("settings"), py::arg("data"), py::call_guard<py::gil_scoped_release>(),
        "Infers the reward, compares it with the truth (settings.has_truth) and runs the predictions. Raises "
        "InvalidInput for data the method cannot use, NumericalError when a method fails. Releases the GIL.");
}

}  // namespace netrl::python
