// The forward problem: netrl.solve for networks, mazes, MDPs and problems, batched solves, and the
// backends this build can run. Every solve releases the GIL.
#include "common.hpp"

namespace netrl::python {

namespace {

constexpr const char* kSolveErrors =
    " Raises InvalidInput (a ValueError naming the field) for bad models or options, BackendError when the "
    "backend cannot run here, NumericalError when an iteration fails. Releases the GIL.";

void bind_result(py::module_& m) {
  py::class_<SolveResult> r(m, "SolveResult",
                            "The solution of the forward problem (docs/outputs.md, 'netrl solve'). Its arrays are "
                            "read-only views into this object (array.base is the result).");
  using R = SolveResult;
  def_readonly(r, field("gain", &R::gain, "L = sum mu (r - lambda c) of the final greedy policy."),
               field("gain_lo", &R::gain_lo, "min of T h - h at the last inner iteration."),
               field("gain_hi", &R::gain_hi, "max of T h - h at the last inner iteration."),
               field("mean_reward", &R::mean_reward), field("mean_coding_cost", &R::mean_coding_cost),
               field("degenerate", &R::degenerate, "Neurons or actions whose prior hit the clip."),
               field("outer_iterations", &R::outer_iterations), field("inner_iterations", &R::inner_iterations),
               field("converged", &R::converged), field("states", &R::states, "Number of consistent states."),
               field("backend", &R::backend), field("precision", &R::precision), field("method", &R::method),
               field("elapsed_seconds", &R::elapsed_seconds),
               field("note", &R::note, "Why the solve stopped without converging (empty when converged)."),
               field("matvecs", &R::matvecs, "Policy iteration on host/cuda: chain products of GMRES."),
               field("krylov_residual", &R::krylov_residual))
      .def("__repr__", [](const SolveResult& s) {
        return "SolveResult(gain=" + std::to_string(s.gain) + ", converged=" + (s.converged ? "True" : "False") +
               ", backend='" + s.backend + "', method='" + s.method + "')";
      });
  def_view(r, "prior", &SolveResult::prior, "Networks: firing prior per neuron (NaN if clamped); mazes: per action.");
  def_view(r, "gain_history", &SolveResult::gain_history, "Gain after each outer iteration.");
  def_view(r, "values", &SolveResult::values,
           "Bias v over the states (networks: m * 2^n, s = x * 2^n + b, NaN at inconsistent states).");
  def_view(r, "stationary", &SolveResult::stationary, "Stationary distribution mu (0 at inconsistent states).");
  def_view(
      r, "spike_count", &SolveResult::spike_count,
      [](const SolveResult& s) {
        return std::vector<py::ssize_t>{s.spike_count_rows, s.spike_count_cols};
      },
      "Networks: P(K | x), shape (n + 1, m).");
}

/// solve(model, lambda, options) for a maze or a general MDP, options None meaning the defaults.
template <class Model>
SolveResult solve_at(const Model& model, double lambda, const std::optional<SolverOptions>& options) {
  return solve(model, lambda, options.value_or(SolverOptions{}));
}

}  // namespace

void bind_solve(py::module_& m) {
  bind_result(m);
  const auto release = py::call_guard<py::gil_scoped_release>();
  m.def(
       "solve",
       [](const NetworkModel& model, const std::optional<SolverOptions>& options) {
         return solve(model, options.value_or(SolverOptions{}));
       },
       py::arg("model"), py::arg("options") = py::none(), release,
       (std::string("Solves a network (backend automatic = host).") + kSolveErrors).c_str())
      .def("solve", &solve_at<Maze>, py::arg("maze"), py::arg("lambda_"), py::arg("options") = py::none(), release,
           "Solves a maze at coding-cost weight lambda (backend automatic = reference).")
      .def("solve", &solve_at<Mdp>, py::arg("mdp"), py::arg("lambda_"), py::arg("options") = py::none(), release,
           "Solves a general MDP at coding-cost weight lambda (reference backend).")
      .def(
          "solve", [](const Problem& problem) { return solve(problem); }, py::arg("problem"), release,
          "Solves a problem's model with its options.");
  m.def(
      "solve_batch",
      [](const std::vector<NetworkModel>& models, const std::optional<SolverOptions>& options) {
        return solve_batch(models, options.value_or(SolverOptions{}));
      },
      py::arg("models"), py::arg("options") = py::none(), release,
      (std::string("Solves networks that share n, m and the clamps in one batch (host or cuda); one result per "
                   "model, in order.") +
       kSolveErrors)
          .c_str());
  m.def(
      "backend_available", [](Backend backend) { return backend_available(backend); }, py::arg("backend"),
      "Whether `backend` can run here (see backend_unavailable_reason).");
  m.def(
      "backend_unavailable_reason",
      [](Backend backend) {
        std::string reason;
        return backend_available(backend, &reason) ? std::string() : reason;
      },
      py::arg("backend"), "Why `backend` cannot run here ('' when it can).");
}

}  // namespace netrl::python
