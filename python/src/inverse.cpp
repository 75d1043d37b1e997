// netrl.inverse: the inverse methods on their own (docs/model.md, 'Inverse RL'): observations,
// policies, the network and maze methods and the comparisons. The methods release the GIL.
#include "common.hpp"

namespace netrl::python {

namespace {

using Shape = std::vector<py::ssize_t>;
using inverse::NetworkData;
using inverse::NetworkInverse;
using inverse::OptimizerOptions;

/// An inverse method of netrl/inverse.hpp that takes counts, a prior and optimizer options,
/// with the prior from any array; runs without the GIL.
template <NetworkInverse (*Method)(const NetworkModel&, const NetworkData&, const std::vector<double>&, double,
                                   const OptimizerOptions&)>
NetworkInverse counts_method(const NetworkModel& model, const NetworkData& data, const DoubleArray& prior,
                             double lambda, const OptimizerOptions& options) {
  auto p = to_vector<double>(prior);
  return without_gil([&] { return Method(model, data, p, lambda, options); });
}

Shape per_neuron_matrix(const NetworkInverse& r) {
  const auto n = static_cast<py::ssize_t>(r.prior.size());
  return r.J.empty() ? Shape{0} : Shape{n, n};
}

void bind_data(py::module_& m) {
  py::class_<NetworkData> cls(m, "NetworkData",
                              "Visit histogram and transition counts over the joint states s = x * 2^n + b "
                              "(doubles, so that an exact solution can be cast as expected counts).");
  def_readonly(cls, field("n", &NetworkData::n), field("m", &NetworkData::m),
               field("total", &NetworkData::total, "Sum of visits."),
               field("exact", &NetworkData::exact, "Derived from an exact solution."),
               field("multi_flips", &NetworkData::multi_flips, "Transitions that change more than one neuron."))
      .def_property_readonly("num_states", &NetworkData::num_states);
  def_view(cls, "visits", &NetworkData::visits, "Samples (or expected samples) in each state.");
  def_view(
      cls, "transitions", &NetworkData::transitions,
      [](const NetworkData& d) {
        return d.transitions.empty() ? Shape{0} : Shape{static_cast<py::ssize_t>(d.visits.size()), d.n + 1};
      },
      "(m * 2^n, n + 1): column i < n flips neuron i, column n no change (empty when not observed).");
  m.attr("MAX_TABULAR_NEURONS") = inverse::kMaxTabularNeurons;

  m.def("count_raster", &inverse::count_raster, py::arg("raster"), py::arg("model"),
        py::arg("require_single_flips") = false, py::call_guard<py::gil_scoped_release>(),
        "Checks a Raster against the model and counts its states and transitions (errors name 'raster' or "
        "'inputs').");
  m.def(
      "expected_data",
      [](const NetworkModel& model, const DoubleArray& values, const DoubleArray& stationary, const DoubleArray& prior,
         double total) {
        auto v = to_vector<double>(values), mu = to_vector<double>(stationary), p = to_vector<double>(prior);
        return without_gil([&] { return inverse::expected_data(model, v, mu, p, total); });
      },
      py::arg("model"), py::arg("values"), py::arg("stationary"), py::arg("prior"), py::arg("total") = 1.0,
      "Expected counts of an exact solution under the greedy policy of `values` with `prior`.");
  m.def(
      "firing_prior",
      [](const NetworkModel& model, const NetworkData& data, double eps) {
        return to_array(inverse::firing_prior(model, data, eps));
      },
      py::arg("model"), py::arg("data"), py::arg("eps") = 1e-9,
      "Firing prior per neuron from data (NaN at clamped neurons; population mode: the mean).");
  m.def(
      "sampled_counts",
      [](const NetworkModel& model, const DoubleArray& histogram, const std::optional<DoubleArray>& transitions) {
        auto h = to_vector<double>(histogram);
        auto t = optional_vector(transitions);
        return without_gil([&] { return inverse::sampled_counts(model, std::move(h), std::move(t)); });
      },
      py::arg("model"), py::arg("histogram"), py::arg("transitions") = py::none(),
      "Counts in the sampler's layout (SampleResult.histogram, .transitions), checked against the model "
      "(errors name 'samples').");
  m.def(
      "sample_recording",
      [](const NetworkModel& model, const DoubleArray& values, const DoubleArray& prior, std::uint64_t T,
         std::uint64_t seed, std::uint64_t burn_in) {
        auto v = to_vector<double>(values), p = to_vector<double>(prior);
        return without_gil([&] { return inverse::sample_recording(model, v, p, T, seed, burn_in); });
      },
      py::arg("model"), py::arg("values"), py::arg("prior"), py::arg("T"), py::arg("seed"), py::arg("burn_in"),
      "The counts of chain 0 of netrl.sample (host) under the exact policy: burn_in steps, then T recorded.");
  m.def(
      "policy_logits",
      [](const NetworkModel& model, const DoubleArray& values, const DoubleArray& prior, double lambda) {
        auto logits = inverse::policy_logits(model, to_vector<double>(values), to_vector<double>(prior), lambda);
        return to_array(std::move(logits), {static_cast<py::ssize_t>(model.num_states()), model.n});
      },
      py::arg("model"), py::arg("values"), py::arg("prior"), py::arg("lambda_"),
      "The greedy policy in logit form, shape (m * 2^n, n) (NaN at inconsistent states and clamped neurons).");
}

/// netrl.inverse.parametric on counts over all states or on visited states (one overload each).
template <class Data>
void def_parametric(py::module_& m, const char* doc) {
  m.def(
      "parametric",
      [](const NetworkModel& model, const Data& data, const DoubleArray& prior, double lambda,
         inverse::RewardModel reward_model, const OptimizerOptions& options) {
        auto p = to_vector<double>(prior);
        return without_gil([&] { return inverse::parametric(model, data, p, lambda, reward_model, options); });
      },
      py::arg("model"), py::arg("data"), py::arg("prior"), py::arg("lambda_"),
      py::arg_v("reward_model", inverse::RewardModel::table, "'table'"),
      py::arg_v("options", OptimizerOptions{}, "OptimizerOptions()"), doc);
}

void bind_network_methods(py::module_& m) {
  using O = OptimizerOptions;
  py::class_<O> optimizer(m, "OptimizerOptions", "Options of the iterative methods (docs/config-infer.md).");
  def_keywords(optimizer, keyword("max_iterations", &O::max_iterations, 2000), keyword("tolerance", &O::tolerance, 1e-8),
               keyword("ridge", &O::ridge, 0.1), keyword("min_visits", &O::min_visits, 1.0),
               keyword("noise_fraction", &O::noise_fraction, 1e-3));

  def_enum<inverse::RewardModel>(m, "RewardModel", "reward_model", "Reward model of the parametric inverse.");

  using I = NetworkInverse;
  py::class_<I> r(m, "NetworkInverse", "The reward inferred for a network; arrays are views into it.");
  def_readonly(r, field("method", &I::method), field("lambda_", &I::lambda),
               field("missing", &I::missing, "Consistent states without an inferred reward."),
               field("iterations", &I::iterations), field("evaluations", &I::evaluations),
               field("objective", &I::objective), field("gradient_norm", &I::gradient_norm),
               field("gradient_threshold", &I::gradient_threshold,
                     "Parametric: the gradient norm the fit stops at; converged iff gradient_norm <= it."),
               field("converged", &I::converged), field("notes", &I::notes));
  def_view(r, "reward", &NetworkInverse::reward,
           "r over the joint states, per-input weighted mean removed; NaN where missing.");
  def_view(r, "values", &NetworkInverse::values, "v over the joint states.");
  def_view(r, "weights", &NetworkInverse::weights, "The data distribution used to centre the reward.");
  def_view(r, "prior", &NetworkInverse::prior, "Firing prior per neuron.");
  def_view(r, "J", &NetworkInverse::J, per_neuron_matrix, "Parametric: couplings (n, n).");
  def_view(
      r, "h", &NetworkInverse::h,
      [](const NetworkInverse& x) {
        const auto n = static_cast<py::ssize_t>(x.prior.size());
        return x.h.empty() ? Shape{0} : Shape{static_cast<py::ssize_t>(x.h.size()) / n, n};
      },
      "Parametric: fields (m, n).");
  def_view(r, "target", &NetworkInverse::target, "Parametric: the Bellman target rhat_phi.");

  m.def("closed_form", &counts_method<&inverse::closed_form>, py::arg("model"), py::arg("data"), py::arg("prior"),
        py::arg("lambda_"), py::arg_v("options", OptimizerOptions{}, "OptimizerOptions()"),
        "Closed form from the visit histogram (m = 1).");
  m.def(
      "invert_policy",
      [](const NetworkModel& model, const DoubleArray& logits, const DoubleArray& prior, double lambda,
         const DoubleArray& weights) {
        // policy_logits' shape (m 2^n, n), not only its size: a transposed copy has the same size.
        if (logits.ndim() != 2 || logits.shape(0) != static_cast<py::ssize_t>(model.num_states()) ||
            logits.shape(1) != model.n) {
          throw InvalidInput("policy", "logits of shape (" + std::to_string(model.num_states()) + ", " +
                                           std::to_string(model.n) + ") = (m * 2^n, n) are expected");
        }
        auto z = to_vector<double>(logits), p = to_vector<double>(prior), w = to_vector<double>(weights);
        return without_gil([&] { return inverse::invert_policy(model, z, p, lambda, w); });
      },
      py::arg("model"), py::arg("logits"), py::arg("prior"), py::arg("lambda_"), py::arg("weights"),
      "Inverts an exactly known policy (logits as from policy_logits).");
  m.def("maximum_likelihood", &counts_method<&inverse::maximum_likelihood>, py::arg("model"), py::arg("data"),
        py::arg("prior"), py::arg("lambda_"), py::arg_v("options", OptimizerOptions{}, "OptimizerOptions()"),
        "Maximum likelihood of the observed transitions (L-BFGS).");
  def_parametric<NetworkData>(m, "Parametric inverse: Ising value fit, then the reward model.");

  using V = inverse::VisitedStates;
  py::class_<V> visited(m, "VisitedStates",
                        "The distinct states of a recording with their visits (and successors): what the "
                        "parametric inverse fits at any n.");
  def_readonly(visited, field("n", &V::n), field("m", &V::m), field("total", &V::total), field("exact", &V::exact),
               field("multi_flips", &V::multi_flips));
  visited.def("__len__", [](const V& v) { return v.size(); });
  def_view(visited, "spins", &V::spins,
           [](const V& v) { return Shape{static_cast<py::ssize_t>(v.size()), static_cast<py::ssize_t>(v.n)}; },
           "The states (size, n), 1 = active, in the order of their first visit.");
  def_view(visited, "inputs", &V::inputs, "The input value of each state.");
  def_view(visited, "visits", &V::visits, "Visits of each state.");
  m.def(
      "visited_states",
      [](const Raster& raster, const NetworkModel& model, bool transitions) {
        return without_gil([&] { return inverse::visited_states(raster, model, transitions, transitions); });
      },
      py::arg("raster"), py::arg("model"), py::arg("transitions") = false,
      "The visited states of a recording (with their successors when `transitions`, which then refuses "
      "steps that change more than one neuron).");
  def_parametric<V>(
      m, "Parametric inverse on visited states (any n): reward, values, target and weights per state of `data`.");
  m.def(
      "firing_prior",
      [](const NetworkModel& model, const V& data) { return to_array(inverse::firing_prior(model, data)); },
      py::arg("model"), py::arg("data"), "The firing prior of visited states (per neuron, NaN at clamped ones).");
}

void bind_maze_and_comparison(py::module_& m) {
  m.def(
      "mdp_greedy_policy",
      [](const Mdp& mdp, const DoubleArray& values, const DoubleArray& prior, double lambda) {
        return to_array(inverse::mdp_greedy_policy(mdp, to_vector<double>(values), to_vector<double>(prior), lambda),
                        {mdp.num_states, mdp.num_actions});
      },
      py::arg("mdp"), py::arg("values"), py::arg("prior"), py::arg("lambda_"),
      "pi(a|s), shape (states, actions), of the greedy soft policy of v with prior p.");

  using I = inverse::MdpInverse;
  py::class_<I> r(m, "MdpInverse", "The reward inferred for a maze or MDP.");
  def_readonly(r, field("iterations", &I::iterations), field("newton_steps", &I::newton_steps),
               field("objective", &I::objective), field("gradient_norm", &I::gradient_norm),
               field("group_inverse_residual", &I::group_inverse_residual), field("converged", &I::converged));
  def_view(r, "reward", &I::reward, "Reward per state, weighted mean removed.");
  def_view(r, "values", &I::values, "Values per state.");
  m.def(
      "invert_mdp_policy",
      [](const Mdp& mdp, const DoubleArray& policy, const DoubleArray& prior, double lambda, const DoubleArray& weights,
         const OptimizerOptions& options) {
        if (policy.ndim() != 2 || policy.shape(0) != mdp.num_states || policy.shape(1) != mdp.num_actions) {
          throw InvalidInput("policy", "pi(a|s) of shape (" + std::to_string(mdp.num_states) + ", " +
                                           std::to_string(mdp.num_actions) + ") = (states, actions) is expected");
        }
        auto pi = to_vector<double>(policy), p = to_vector<double>(prior), w = to_vector<double>(weights);
        return without_gil([&] { return inverse::invert_mdp_policy(mdp, pi, p, lambda, w, options); });
      },
      py::arg("mdp"), py::arg("policy"), py::arg("prior"), py::arg("lambda_"), py::arg("weights"),
      py::arg_v("options", OptimizerOptions{}, "OptimizerOptions()"),
      "Maze inverse: maximum likelihood of pi(a|s) over the values.");

  using C = inverse::RewardComparison;
  py::class_<C> comparison(m, "RewardComparison", "An inferred reward against the true one.");
  def_readonly(comparison, field("r2", &C::r2, "Weighted r^2 after an affine fit."), field("scale", &C::scale),
               field("max_abs_error", &C::max_abs_error), field("rms_error", &C::rms_error),
               field("compared", &C::compared));
  m.def(
      "compare_rewards",
      [](const DoubleArray& inferred, const DoubleArray& truth, const DoubleArray& weights, std::uint64_t block) {
        return inverse::compare_rewards(to_vector<double>(inferred), to_vector<double>(truth),
                                        to_vector<double>(weights), block);
      },
      py::arg("inferred"), py::arg("truth"), py::arg("weights"), py::arg("block"),
      "Compares two rewards over states with weight > 0, each centred per block of `block` states.");
  m.def(
      "center_per_block",
      [](const DoubleArray& values, const DoubleArray& weights, std::uint64_t block) {
        auto v = to_vector<double>(values);
        inverse::center_per_block(v, to_vector<double>(weights), block);
        return to_array(std::move(v));
      },
      py::arg("values"), py::arg("weights"), py::arg("block"),
      "A copy of `values` with the per-block weighted mean of the finite entries removed.");
  m.def(
      "kl_divergence",
      [](const DoubleArray& p, const DoubleArray& q) {
        return inverse::kl_divergence(to_vector<double>(p), to_vector<double>(q));
      },
      py::arg("p"), py::arg("q"), "KL(p || q) over entries with p > 0.");
}

}  // namespace

void bind_inverse(py::module_& m) {
  bind_data(m);
  bind_network_methods(m);
  bind_maze_and_comparison(m);
}

}  // namespace netrl::python
