// netrl.inverse (continued): predictions from an inferred reward (docs/model.md, 'Predictions'):
// changed settings, forward solves with a reward, lambda re-tuning, the masked Ising family, KL.
#include "common.hpp"

namespace netrl::python {

namespace {

using inverse::ForwardSolve;
using inverse::PredictionResult;
using inverse::PredictionSpec;

void bind_types(py::module_& m) {
  py::class_<PredictionSpec>(m, "PredictionSpec", "A changed setting to carry an inferred reward into.")
      .def(py::init([](const std::string& name, const Problem& setting, bool keep_coding_cost, double lambda_rel_tol,
                       const std::string& reference_dir, const std::optional<DoubleArray>& coupling_mask) {
             PredictionSpec s;
             s.name = name;
             s.setting = setting;
             s.keep_coding_cost = keep_coding_cost;
             s.lambda_rel_tol = lambda_rel_tol;
             s.reference_dir = reference_dir;
             s.coupling_mask = optional_vector(coupling_mask);
             return s;
           }),
           py::arg("name"), py::arg("setting"), py::kw_only(), py::arg("keep_coding_cost") = false,
           py::arg("lambda_rel_tol") = 1e-11, py::arg("reference_dir") = "", py::arg("coupling_mask") = py::none(),
           "`setting`: the changed problem (its reward is the true one when known). keep_coding_cost re-tunes "
           "lambda to keep the mean coding cost; reference_dir: a `netrl solve --out` directory used as the "
           "reference; coupling_mask: n x n 0/1 couplings kept (networks without input).")
      .def_readwrite("name", &PredictionSpec::name)
      .def_readwrite("setting", &PredictionSpec::setting)
      .def_readwrite("keep_coding_cost", &PredictionSpec::keep_coding_cost)
      .def_readwrite("lambda_rel_tol", &PredictionSpec::lambda_rel_tol)
      .def_readwrite("reference_dir", &PredictionSpec::reference_dir)
      .def_property_readonly("coupling_mask", [](const py::object& self) {
        return view(self, self.cast<const PredictionSpec&>().coupling_mask);
      });

  py::class_<ForwardSolve>(m, "ForwardSolve", "A forward solve of a prediction: its lambda and solution.")
      .def_readonly("lambda_", &ForwardSolve::lambda)
      .def_readonly("result", &ForwardSolve::result)
      .def_readonly("solves", &ForwardSolve::solves, "Forward solves it took (lambda search).");

  py::class_<inverse::Baseline>(m, "Baseline", "Mean coding costs of the original setting, shared by predictions.")
      .def(py::init<>())
      .def_readonly("computed", &inverse::Baseline::computed)
      .def_readonly("predicted_cost", &inverse::Baseline::predicted_cost)
      .def_readonly("reference_cost", &inverse::Baseline::reference_cost);

  py::class_<PredictionResult>(m, "PredictionResult", "One prediction: the predicted and reference responses.")
      .def_readonly("name", &PredictionResult::name)
      .def_readonly("predicted", &PredictionResult::predicted)
      .def_readonly("has_reference", &PredictionResult::has_reference)
      .def_readonly("reference", &PredictionResult::reference)
      .def_readonly("filled", &PredictionResult::filled, "States without an inferred reward, filled.")
      .def_readonly("target_coding_cost", &PredictionResult::target_coding_cost)
      .def_readonly("reference_target_coding_cost", &PredictionResult::reference_target_coding_cost)
      .def_readonly("kl_stationary", &PredictionResult::kl_stationary, "KL(reference || predicted) of mu.")
      .def_readonly("kl_spike_count", &PredictionResult::kl_spike_count,
                    "sum_x P_ref(x) KL(P_ref(K|x) || P_pred(K|x)).");
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
