// Sampled dynamics: the policy the chains follow, the sampling options, rasters and netrl.sample
// (docs/config-sample.md). The counts come back as uint64 numpy views of the result.
#include "common.hpp"

namespace netrl::python {

namespace {

using Shape = std::vector<py::ssize_t>;

/// `SampleResult.name`: a read-only view of the statistic `member` of result.stats.
template <class T, class ShapeOf>
void def_stat(py::class_<SampleResult>& cls, const char* name, std::vector<T> SampleStats::*member, ShapeOf shape,
              const char* doc) {
  cls.def_property_readonly(
      name,
      [member, shape](const py::object& self) {
        const SampleStats& s = self.cast<const SampleResult&>().stats;
        const auto& v = s.*member;
        return view(self, v, v.empty() ? Shape{0} : shape(s));
      },
      doc);
}

/// A firing prior: n entries, or one shared.
void check_prior_shape(const DoubleArray& prior) {
  if (prior.ndim() != 1) throw InvalidInput("prior", "has shape " + shape_of(prior) + "; expected n entries or 1");
}

/// The shapes the command line's .npy reader demands (io::read_ising_policy), short of the model:
/// a flat copy of an (n, m) h would otherwise be read as (m, n), a J of n^2 entries as n x n.
void check_ising_shapes(const DoubleArray& J, const DoubleArray& h, const DoubleArray& prior) {
  if (J.ndim() != 2 || J.shape(0) != J.shape(1)) {
    throw InvalidInput("J", "has shape " + shape_of(J) + "; expected a square n x n matrix");
  }
  const py::ssize_t n = J.shape(0);
  if (!((h.ndim() == 1 && h.shape(0) == n) || (h.ndim() == 2 && h.shape(1) == n))) {
    throw InvalidInput("h", "has shape " + shape_of(h) + "; expected n fields (" + std::to_string(n) +
                                ",) or m x n fields (m, " + std::to_string(n) + ") for J's n = " + std::to_string(n));
  }
  check_prior_shape(prior);
}

void bind_policy_options(py::module_& m) {
  py::class_<SamplerPolicy> policy(m, "SamplerPolicy", "The policy the chains follow: exact (values) or Ising (J, h).");
  py::enum_<SamplerPolicy::Kind>(policy, "Kind")
      .value("exact", SamplerPolicy::Kind::exact)
      .value("ising", SamplerPolicy::Kind::ising);
  policy
      .def_static(
          "exact",
          [](const DoubleArray& values, const DoubleArray& prior) {
            if (values.ndim() != 1) {
              throw InvalidInput("values", "has shape " + shape_of(values) + "; expected m * 2^n values in one dimension");
            }
            check_prior_shape(prior);
            return SamplerPolicy::exact(to_vector<double>(values), to_vector<double>(prior));
          },
          py::arg("values"), py::arg("prior"),
          "The greedy policy of values v over m * 2^n states (e.g. SolveResult.values) with a firing prior "
          "(n entries, NaN allowed at clamped neurons, or one shared entry).")
      .def_static(
          "ising",
          [](const DoubleArray& J, const DoubleArray& h, const DoubleArray& prior) {
            check_ising_shapes(J, h, prior);
            return SamplerPolicy::ising(to_vector<double>(J), to_vector<double>(h), to_vector<double>(prior));
          },
          py::arg("J"), py::arg("h"), py::arg("prior"),
          "Glauber dynamics of the Ising value: J (n x n, symmetric), h (n, or m x n), prior (n or 1).")
      .def_readonly("kind", &SamplerPolicy::kind);
  def_copy(policy, "values", &SamplerPolicy::values, "exact: the values.");
  def_copy(policy, "J", &SamplerPolicy::J, "ising: the couplings (flat, n * n).");
  def_copy(policy, "h", &SamplerPolicy::h, "ising: the fields (flat).");
  def_copy(policy, "prior", &SamplerPolicy::prior, "The firing prior.");

  def_enum<SamplerKernel>(m, "SamplerKernel", "sampling.kernel",
                          "How the chains' thresholds are computed (results do not depend on it).");

  using O = SamplingOptions;
  py::class_<O> options(m, "SamplingOptions", "Options of a sampling run (docs/config-sample.md, 'sampling').");
  def_keywords(options, keyword("chains", &O::chains, 1000), keyword("first_chain", &O::first_chain, 0),
               keyword("steps", &O::steps, 1000), keyword("burn_in", &O::burn_in, 0), keyword("thin", &O::thin, 1),
               keyword("seed", &O::seed, 0), keyword("backend", &O::backend, Backend::host, "'host'"),
               keyword("kernel", &O::kernel, SamplerKernel::automatic, "'auto'"), keyword("threads", &O::threads, 0),
               keyword("batch", &O::batch, 0), keyword("host_block", &O::host_block, 0),
               keyword("gemm_block", &O::gemm_block, 64), keyword("histogram", &O::histogram, std::nullopt),
               keyword("transitions", &O::transitions, false), keyword("correlations", &O::correlations, std::nullopt),
               keyword("raster_chains", &O::raster_chains, std::vector<std::uint64_t>{}));
}

void bind_raster(py::module_& m) {
  py::class_<Raster> raster(m, "Raster", "A recording: the state of every neuron at consecutive steps, with inputs.");
  raster.def(
      py::init([](const NetworkModel& model, const DoubleArray& states, const std::optional<DoubleArray>& inputs) {
        std::vector<std::uint64_t> shape, input_shape;
        std::vector<double> values = to_vector<double>(states, &shape), x;
        if (inputs) x = to_vector<double>(*inputs, &input_shape);
        return inverse::make_raster(values, shape, x, input_shape, model);
      }),
      py::arg("model"), py::arg("states"), py::arg("inputs") = py::none(),
      "A recording of `model` from arrays: states (T, n) of 0/1 (bool, integer or float), inputs (T,) "
      "of input indices (required iff m > 1). Errors name 'raster' or 'inputs'.");
  def_readonly(raster, field("chain", &Raster::chain, "The sampler's chain number (0 for a recording)."),
               field("steps", &Raster::steps), field("n", &Raster::n));
  def_view(
      raster, "states", &Raster::states,
      [](const Raster& r) {
        return Shape{static_cast<py::ssize_t>(r.steps), r.n};
      },
      "uint8 (steps, n): 1 active, 0 silent.");
  def_view(raster, "inputs", &Raster::inputs, "uint32 input index of each step (empty without input).");
}

void bind_result(py::module_& m) {
  py::class_<SampleResult> r(m, "SampleResult",
                             "Counts over all recorded samples of all chains (docs/outputs.md, 'netrl sample'), as "
                             "read-only uint64 views into this object (array.base is the result).");
  auto stat = [&r](const char* name, auto member, const char* doc) {
    r.def_property_readonly(
        name, [member](const SampleResult& s) { return s.stats.*member; }, doc);
  };
  stat("n", &SampleStats::n, "Neurons.");
  stat("m", &SampleStats::m, "Input values.");
  stat("chains", &SampleStats::chains, "Chains run.");
  stat("samples_per_chain", &SampleStats::samples_per_chain, "ceil(steps / thin).");
  stat("flips", &SampleStats::flips, "Steps that changed a neuron's state (burn-in included).");
  r.def_property_readonly(
       "samples", [](const SampleResult& s) { return s.stats.samples(); }, "chains x samples_per_chain.")
      .def_property_readonly(
          "rasters",
          [](const py::object& self) { return element_list(self, self.cast<const SampleResult&>().stats.rasters); },
          "The rasters of SamplingOptions.raster_chains (Raster objects that keep this result alive).");
  def_readonly(r, field("backend", &SampleResult::backend), field("kernel", &SampleResult::kernel),
               field("seed", &SampleResult::seed),
               field("updates", &SampleResult::updates, "Neuron updates, chains x (burn_in + steps)."),
               field("elapsed_seconds", &SampleResult::elapsed_seconds));
  const auto flat = [](const SampleStats& s) { return Shape{static_cast<py::ssize_t>(s.histogram.size())}; };
  def_stat(r, "histogram", &SampleStats::histogram, flat, "Samples in each joint state s = x * 2^n + b.");
  def_stat(
      r, "transitions", &SampleStats::transitions,
      [](const SampleStats& s) {
        return Shape{static_cast<py::ssize_t>(s.transitions.size()) / (s.n + 1), s.n + 1};
      },
      "(m * 2^n, n + 1): successors of the samples in s, column i < n flipped neuron i, column n no change.");
  def_stat(
      r, "spike_count", &SampleStats::spike_count,
      [](const SampleStats& s) {
        return Shape{s.n + 1, s.m};
      },
      "(n + 1, m): samples with K active neurons under input x.");
  def_stat(
      r, "active", &SampleStats::active, [](const SampleStats& s) { return Shape{s.n}; },
      "(n,): samples with neuron i active.");
  def_stat(
      r, "coactive", &SampleStats::coactive,
      [](const SampleStats& s) {
        return Shape{s.n, s.n};
      },
      "(n, n): samples with neurons i and j both active.");
}

}  // namespace

void bind_sample(py::module_& m) {
  bind_policy_options(m);
  bind_raster(m);
  bind_result(m);
  m.def("sample", &sample, py::arg("model"), py::arg("policy"), py::arg("options"),
        py::call_guard<py::gil_scoped_release>(),
        "Runs the chains of `model` under `policy`. Raises InvalidInput naming the field ('sampling.chains', "
        "'policy.J', ...) for inconsistent inputs and for memory needs beyond the machine, before allocating. "
        "Releases the GIL.");
}

}  // namespace netrl::python
