// netrl.inverse (continued): predictions from an inferred reward (docs/model.md, 'Predictions'):
// changed settings, forward solves with a reward, lambda re-tuning, the masked Ising family, KL.
#include "common.hpp"

namespace netrl::python {

namespace {

using inverse::ForwardSolve;
using inverse::PredictionResult;
using inverse::PredictionSpec;

void bind_types(py::module_& m) {
  py::class_<PredictionSpec> spec(m, "PredictionSpec", "A changed setting to carry an inferred reward into.");
  spec.def(py::init([](const std::string& name, const Problem& setting, bool keep_coding_cost, double lambda_rel_tol,
                       const std::string& reference_dir, const std::optional<DoubleArray>& coupling_mask) {
             // Every member, in the struct's order.
             return PredictionSpec{name, setting, keep_coding_cost, lambda_rel_tol, reference_dir,
                                   optional_vector(coupling_mask)};
           }),
           py::arg("name"), py::arg("setting"), py::kw_only(), py::arg("keep_coding_cost") = false,
           py::arg("lambda_rel_tol") = 1e-11, py::arg("reference_dir") = "", py::arg("coupling_mask") = py::none(),
           "`setting`: the changed problem (its reward is the true one when known). keep_coding_cost re-tunes "
           "lambda to keep the mean coding cost; reference_dir: a `netrl solve --out` directory used as the "
           "reference; coupling_mask: n x n 0/1 couplings kept (networks without input).")
      .def_property_readonly("coupling_mask", [](const py::object& self) {
        return view(self, self.cast<const PredictionSpec&>().coupling_mask);
      });
  def_readwrite(spec, field("name", &PredictionSpec::name), field("setting", &PredictionSpec::setting),
                field("keep_coding_cost", &PredictionSpec::keep_coding_cost),
                field("lambda_rel_tol", &PredictionSpec::lambda_rel_tol),
                field("reference_dir", &PredictionSpec::reference_dir));

  py::class_<ForwardSolve> forward(m, "ForwardSolve", "A forward solve of a prediction: its lambda and solution.");
  def_readonly(forward, field("lambda_", &ForwardSolve::lambda), field("result", &ForwardSolve::result),
               field("solves", &ForwardSolve::solves, "Forward solves it took (lambda search)."));

  using B = inverse::Baseline;
  py::class_<B> baseline(m, "Baseline", "Mean coding costs of the original setting, shared by predictions.");
  def_readonly(baseline.def(py::init<>()), field("computed", &B::computed), field("predicted_cost", &B::predicted_cost),
               field("reference_cost", &B::reference_cost));

  using R = PredictionResult;
  py::class_<R> result(m, "PredictionResult", "One prediction: the predicted and reference responses.");
  def_readonly(result, field("name", &R::name), field("predicted", &R::predicted),
               field("has_reference", &R::has_reference), field("reference", &R::reference),
               field("filled", &R::filled, "States without an inferred reward, filled."),
               field("target_coding_cost", &R::target_coding_cost),
               field("reference_target_coding_cost", &R::reference_target_coding_cost),
               field("kl_stationary", &R::kl_stationary, "KL(reference || predicted) of mu."),
               field("kl_spike_count", &R::kl_spike_count, "sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x))."));
}

void bind_functions(py::module_& m) {
  m.def(
      "transfer_reward",
      [](const Problem& original, const DoubleArray& inferred, const Problem& changed) {
        std::uint64_t filled = 0;
        auto r = inverse::transfer_reward(original, to_vector<double>(inferred), changed, &filled);
        return py::make_tuple(to_array(std::move(r)), filled);
      },
      py::arg("original"), py::arg("inferred"), py::arg("changed"),
      "(reward over the changed setting's states, number of states filled) from an inferred reward.");
  m.def(
      "solve_with_reward",
      [](const Problem& setting, const DoubleArray& reward, double lambda,
         const std::optional<DoubleArray>& coupling_mask) {
        auto r = to_vector<double>(reward), mask = optional_vector(coupling_mask);
        return without_gil([&] { return inverse::solve_with_reward(setting, r, lambda, mask); });
      },
      py::arg("setting"), py::arg("reward"), py::arg("lambda_"), py::arg("coupling_mask") = py::none(),
      "Forward solve of `setting` with the reward table `reward` at lambda (masked Ising family with a mask).");
  m.def(
      "solve_true",
      [](const Problem& setting, double lambda, const std::optional<DoubleArray>& coupling_mask) {
        auto mask = optional_vector(coupling_mask);
        return without_gil([&] { return inverse::solve_true(setting, lambda, mask); });
      },
      py::arg("setting"), py::arg("lambda_"), py::arg("coupling_mask") = py::none(),
      "Forward solve of `setting` with its own (true) reward at lambda.");
  m.def(
      "retune_lambda",
      [](const Problem& setting, const std::optional<DoubleArray>& reward, double lambda0, double target_cost,
         double rel_tol, const std::optional<DoubleArray>& coupling_mask) {
        auto r = optional_vector(reward), mask = optional_vector(coupling_mask);
        return without_gil([&] { return inverse::retune_lambda(setting, r, lambda0, target_cost, rel_tol, mask); });
      },
      py::arg("setting"), py::arg("reward"), py::arg("lambda0"), py::arg("target_cost"), py::arg("rel_tol") = 1e-11,
      py::arg("coupling_mask") = py::none(),
      "lambda whose mean coding cost is target_cost (reward None: the true one); NumericalError without a bracket.");
  m.def(
      "solve_ising",
      [](const NetworkModel& model, const DoubleArray& mask, const SolverOptions& options) {
        auto k = to_vector<double>(mask);
        std::vector<double> J, h;
        SolveResult r = without_gil([&] { return inverse::solve_ising(model, k, options, &J, &h); });
        const auto n = static_cast<py::ssize_t>(model.n);
        return py::make_tuple(std::move(r), to_array(std::move(J), {n, n}), to_array(std::move(h)));
      },
      py::arg("model"), py::arg("mask"), py::arg("options"),
      "(SolveResult, J, h): the best Ising policy with couplings zero where mask is 0 (no input).");
  m.def(
      "validate_coupling_mask",
      [](const DoubleArray& mask, int n) { inverse::validate_coupling_mask(to_vector<double>(mask), n); },
      py::arg("mask"), py::arg("n"), "InvalidInput ('mask') unless mask is n x n, symmetric, 0/1.");
  m.def(
      "predict",
      [](const Problem& original, const DoubleArray& inferred, bool has_truth, const PredictionSpec& spec,
         inverse::Baseline& baseline) {
        auto r = to_vector<double>(inferred);
        return without_gil([&] { return inverse::predict(original, r, has_truth, spec, baseline); });
      },
      py::arg("original"), py::arg("inferred"), py::arg("has_truth"), py::arg("spec"), py::arg("baseline"),
      "One prediction (the baseline caches the original setting's coding costs across predictions).");
  m.def("kl_spike_count", &inverse::kl_spike_count, py::arg("reference"), py::arg("predicted"), py::arg("n"),
        py::arg("m"), "sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x)) from two network solutions.");
}

}  // namespace

void bind_predict(py::module_& m) {
  bind_types(m);
  bind_functions(m);
}

}  // namespace netrl::python
