// The parametric (Ising-value) solver's settings and solution (docs/parametric.md):
// netrl.ParametricOptions (SolverOptions.parametric), netrl.ParametricRegression, and
// SolveResult.parametric with its learning curve.
#include "common.hpp"

namespace netrl::python {

namespace {

void bind_options(py::module_& m) {
  def_enum<ParametricRegression>(m, "ParametricRegression", "solver.parametric.regression",
                                 "What the parametric solver regresses onto its target: 'value' (the paper's) or "
                                 "'fields' (the value's flip differences, nf equations per sample).");
  using O = ParametricOptions;
  py::class_<O> o(m, "ParametricOptions",
                  "Settings of the parametric solver (docs/parametric.md, 'Settings'): SolverOptions.parametric.");
  def_keywords(o, keyword("batch", &O::batch, 40), keyword("chains", &O::chains, 40), keyword("explore", &O::explore, 4),
               keyword("sample_interval", &O::sample_interval, 0, nullptr, "Chain steps between samples (0: nf)."),
               keyword("burn_in", &O::burn_in, 0, nullptr, "Chain steps before the first batch (0: 10 nf)."),
               keyword("target_period", &O::target_period, 100), keyword("learning_rate", &O::learning_rate, 0.5),
               keyword("curvature_step", &O::curvature_step, true), keyword("horizon_step", &O::horizon_step, true),
               keyword("regression", &O::regression, ParametricRegression::value, "'value'"),
               keyword("decay_start", &O::decay_start, 2000), keyword("decay_batches", &O::decay_batches, 1000),
               keyword("seed", &O::seed, 0), keyword("prior_warmup", &O::prior_warmup, 0), keyword("tol", &O::tol, 0.005),
               keyword("gain_tol", &O::gain_tol, 0.01), keyword("window", &O::window, 5),
               keyword("min_batches", &O::min_batches, 0), keyword("max_batches", &O::max_batches, 1000000),
               keyword("coupling_mask", &O::coupling_mask, std::vector<double>{}, "[]",
                       "Kept pairs, n * n row-major 0/1 (empty: every pair)."),
               keyword("exact_check", &O::exact_check, true));
  o.def("validate", &O::validate, py::arg("field"), py::arg("n"),
        "Raises InvalidInput naming field.<key> for a value out of bounds (n: the model's neurons).");
  auto solver = py::reinterpret_borrow<py::class_<SolverOptions>>(m.attr("SolverOptions"));
  solver.def_readwrite("parametric", &SolverOptions::parametric, "Method parametric only: its settings.");
}

void bind_solution(py::module_& m) {
  using P = LearningCurvePoint;
  py::class_<P> point(m, "LearningCurvePoint", "One target period of the parametric solver (learning_curve.csv).");
  def_readonly(point, field("batch", &P::batch), field("gain", &P::gain), field("gain_se", &P::gain_se),
               field("mean_reward", &P::mean_reward), field("mean_coding_cost", &P::mean_coding_cost),
               field("td_error", &P::td_error), field("phi_change", &P::phi_change),
               field("learning_rate", &P::learning_rate), field("prior", &P::prior),
               field("field_error", &P::field_error, "Regression \"fields\": RMS of the local-field equations' errors; NaN otherwise."));
  using S = ParametricSolution;
  py::class_<S> s(m, "ParametricSolution",
                  "The parametric solver's value (docs/parametric.md, 'Outputs'); arrays are read-only views.");
  def_readonly(s, field("n", &S::n), field("m", &S::m), field("batches", &S::batches), field("samples", &S::samples),
               field("chain_steps", &S::chain_steps), field("gain_se", &S::gain_se),
               field("has_exact", &S::has_exact, "Whether the learned policy was evaluated exactly (n <= 20)."),
               field("exact_gain", &S::exact_gain), field("exact_mean_reward", &S::exact_mean_reward),
               field("exact_mean_coding_cost", &S::exact_mean_coding_cost));
  const auto square = [](const S& v) { return std::vector<py::ssize_t>{v.n, v.n}; };
  const auto per_input = [](const S& v) { return std::vector<py::ssize_t>{v.m, v.n}; };
  def_view(s, "J", &S::J, square, "Couplings, shape (n, n).");
  def_view(s, "h", &S::h, per_input, "The value's fields h(x), shape (m, n).");
  def_view(s, "h_policy", &S::h_policy, per_input, "The policy's fields T h, shape (m, n).");
  def_view(s, "offset", &S::offset, "The value's offsets c(x), m entries.");
  def_view(s, "exact_rates", &S::exact_rates, "With has_exact: the exact firing rate of every neuron.");
  s.def_property_readonly(
      "curve", [](const py::object& self) { return element_list(self, self.cast<const S&>().curve); },
      "The learning curve, one LearningCurvePoint per target period.");
  auto result = py::reinterpret_borrow<py::class_<SolveResult>>(m.attr("SolveResult"));
  result.def_property_readonly(
      "parametric",
      [](const py::object& self) -> py::object {
        const SolveResult& r = self.cast<const SolveResult&>();
        if (!r.parametric) return py::none();
        return py::cast(&*r.parametric, py::return_value_policy::reference_internal, self);
      },
      "Method parametric: the learned value and learning curve (ParametricSolution); else None.");
}

}  // namespace

void bind_parametric(py::module_& m) {
  bind_options(m);
  bind_solution(m);
}

}  // namespace netrl::python
