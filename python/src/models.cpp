// The models (docs/model.md): enums, the input process, rewards, clamps, networks, mazes, general
// MDPs, solver options and problems.
#include <algorithm>

#include "common.hpp"

namespace netrl::python {

namespace {

/// The model, after a check of n: the counts overflow beyond 63 bits (n = 64 gave 1 state) and a
/// huge n made free_neurons() fill gigabytes.
const NetworkModel& checked_n(const NetworkModel& m, int most = NetworkModel::kMaxParametricNeurons) {
  if (m.n < 1 || m.n > most) {
    throw InvalidInput("n", "n = " + std::to_string(m.n) + " must lie in [1, " + std::to_string(most) + "]" +
                                (most < NetworkModel::kMaxParametricNeurons ? " to count its states in 64 bits" : ""));
  }
  return m;
}

void bind_enums(py::module_& m) {
  def_enum<PriorMode>(m, "PriorMode", "prior_mode",
                      "Firing prior: one shared by all free neurons (population) or one per neuron.");
  def_enum<RewardKind>(m, "RewardKind", "reward.kind", "Kind of a network reward.");
  def_enum<Method>(m, "Method", "solver.method",
                   "Solver: soft relative value iteration, soft policy iteration (both exact), or the "
                   "parametric (Ising-value) solver for large networks.");
  def_enum<Precision>(m, "Precision", "solver.precision", "Floating-point precision of the host and cuda kernels.");
  def_enum<Backend>(m, "Backend", "backend",
                    "Where a solve or sampling run computes: automatic (the model's default), reference (the "
                    "float64 oracle), host (OpenMP kernels) or cuda. Strings such as 'host' convert.");
  def_enum<ModelKind>(m, "ModelKind", "model", "Kind of a problem's model.");
}

void bind_input_reward(py::module_& m) {
  py::class_<InputProcess> input(m, "InputProcess",
                                 "The Markov input x in 0..m-1 with row-stochastic matrix T[x, x'] = T(x'|x).");
  input
      .def(py::init([](const DoubleArray& T) {
             std::vector<std::uint64_t> shape;
             InputProcess p;
             p.T = to_vector<double>(T, &shape);
             if (shape.size() != 2 || shape[0] != shape[1]) {
               throw InvalidInput("T", "has shape " + npy::shape_text(shape) +
                                           "; expected a square m x m matrix (two dimensions)");
             }
             p.m = static_cast<int>(std::min<std::uint64_t>(shape[0], InputProcess::kMaxInputs + std::uint64_t{1}));
             p.validate("T");
             return p;
           }),
           py::arg("T"), "An input with the m x m row-stochastic matrix T (checked; errors name 'T').")
      .def_static("none", &InputProcess::none, "No input: m = 1, T = [[1]].")
      .def_static("binary_flip", &InputProcess::binary_flip, py::arg("flip"),
                  "Binary input that flips with probability `flip` per step (index 0 is x = -1, 1 is x = +1).")
      .def_readonly("m", &InputProcess::m, "Number of input values.")
      .def("validate", &InputProcess::validate, py::arg("field") = "input.T",
           "Raises InvalidInput naming `field` unless T is a unichain row-stochastic m x m matrix.");
  def_copy(
      input, "T", &InputProcess::T,
      [](const InputProcess& p) {
        return std::vector<py::ssize_t>{p.m, p.m};
      },
      "The m x m matrix (a read-only copy).");

  py::class_<RewardSpec> reward(m, "RewardSpec", "A network reward over the joint states s = x * 2^n + b.");
  reward
      .def_static(
          "table", [](const DoubleArray& values) { return RewardSpec::table(to_vector<double>(values)); },
          py::arg("values"), "A table of m * 2^n values in the order s = x * 2^n + b (any shape, C order).")
      .def_static("count", &RewardSpec::count, py::arg("targets"),
                  "r = 1 iff the spike count K(b) equals targets[x] (one target per input value).")
      .def_static("ring_bump", &RewardSpec::ring_bump, py::arg("width"),
                  "r = 1 iff exactly `width` neurons are active and contiguous on the ring.")
      .def("validate", &RewardSpec::validate, py::arg("n"), py::arg("m"),
           "Raises InvalidInput (field 'reward...') unless the reward fits n neurons and m inputs.")
      .def(
          "evaluate",
          [](const RewardSpec& r, int n, std::uint64_t b, int x) {
            // Checked here: the C++ call is the engines' unchecked inner loop.
            if (n < 1 || n > 63) throw InvalidInput("n", "n = " + std::to_string(n) + " must lie in [1, 63]");
            if ((b >> n) != 0) {
              throw InvalidInput("b", "state " + std::to_string(b) + " has more than n = " + std::to_string(n) + " bits");
            }
            int inputs = x + 1;  // rewards that do not depend on the input take any x >= 0
            if (r.kind == RewardKind::table) {
              inputs = static_cast<int>(std::clamp<std::uint64_t>(r.values.size() >> n, 1, 1u << 30));
            }
            if (r.kind == RewardKind::count) inputs = std::max(1, static_cast<int>(r.targets.size()));
            r.validate(n, inputs);  // first: a table of another size names itself
            if (x < 0 || x >= inputs) {
              throw InvalidInput("x", "input value " + std::to_string(x) + " must lie in [0, " +
                                          std::to_string(inputs - 1) + "]");
            }
            return r.evaluate(n, b, x);
          },
          py::arg("n"), py::arg("b"), py::arg("x"), "The reward of network state b under input x.")
      .def(
          "tabulate",
          [](const RewardSpec& r, int n, int mm) {
            if (n < 1 || n > NetworkModel::kMaxNeurons || mm < 1 || mm > InputProcess::kMaxInputs) {
              throw InvalidInput("n", "n = " + std::to_string(n) + ", m = " + std::to_string(mm) + " must lie in [1, " +
                                          std::to_string(NetworkModel::kMaxNeurons) + "] and [1, " +
                                          std::to_string(InputProcess::kMaxInputs) + "]");
            }
            r.validate(n, mm);
            return to_array(r.tabulate(n, mm));
          },
          py::arg("n"), py::arg("m"), "The full table r(s), s = x * 2^n + b, as a new array.");
  def_readonly(reward, field("kind", &RewardSpec::kind), field("targets", &RewardSpec::targets),
               field("width", &RewardSpec::width));
  def_copy(reward, "values", &RewardSpec::values, "Table values (kind table; a read-only copy).");
}

void bind_network(py::module_& m) {
  py::class_<Clamp>(m, "Clamp", "A neuron forced silent (state -1, cell death) or active (+1).")
      .def(py::init([](int neuron, int state) {
             return Clamp{neuron, state};
           }),
           py::arg("neuron"), py::arg("state") = -1)
      .def_readwrite("neuron", &Clamp::neuron)
      .def_readwrite("state", &Clamp::state)
      .def("__repr__", [](const Clamp& c) {
        return "Clamp(neuron=" + std::to_string(c.neuron) + ", state=" + std::to_string(c.state) + ")";
      });

  using N = NetworkModel;
  py::class_<N> network(m, "NetworkModel",
                        "A network of n binary neurons with a Markov input (docs/model.md). Checked by validate() "
                        "and by every call that uses it; errors name the field ('n', 'lambda', 'input.T', "
                        "'reward.values[3]', 'clamp[0].neuron').");
  network
      .def(py::init([](int n, const RewardSpec& reward, double lambda, const std::optional<InputProcess>& input,
                       PriorMode prior_mode, const std::vector<Clamp>& clamps) {
             NetworkModel model;
             model.n = n;
             model.reward = reward;
             model.lambda = lambda;
             model.input = input.value_or(InputProcess::none());
             model.prior_mode = prior_mode;
             model.clamps = clamps;
             return model;
           }),
           py::arg("n"), py::arg("reward"), py::arg("lambda_"), py::arg("input") = py::none(),
           py::arg_v("prior_mode", PriorMode::population, "'population'"), py::arg("clamps") = std::vector<Clamp>{})
      .def("validate", &NetworkModel::validate)
      .def_property_readonly("m", &NetworkModel::m)
      .def_property_readonly(
          "num_states", [](const NetworkModel& model) { return checked_n(model, 46).num_states(); }, "m * 2^n")
      .def_property_readonly(
          "num_network_states",
          [](const NetworkModel& model) { return checked_n(model, 62).num_network_states(); }, "2^n")
      .def_property_readonly("num_consistent_states", &NetworkModel::num_consistent_states, "m * 2^nf")
      .def("free_neurons", [](const NetworkModel& model) { return checked_n(model).free_neurons(); })
      .def("consistent", &NetworkModel::consistent, py::arg("b"), "Whether state b agrees with the clamps.");
  def_readwrite(network, field("n", &N::n), field("input", &N::input), field("reward", &N::reward),
                field("lambda_", &N::lambda, "The coding-cost weight lambda (> 0)."),
                field("prior_mode", &N::prior_mode),
                field("clamps", &N::clamps, "The clamps (a copy; assign a new list to change them)."));
  m.def("count8_model", &count8_model, "The paper's count8 network (n = 8, binary input, lambda 0.114).");
}

void bind_maze_mdp(py::module_& m) {
  py::class_<Mdp> mdp(m, "Mdp", "A finite MDP with state rewards; rows of p(s'|s,a) in compressed form.");
  mdp.def(py::init([](int num_states, int num_actions, const py::object& row_ptr, const py::object& next_state,
                      const DoubleArray& probability, const DoubleArray& reward) {
            Mdp d;
            d.num_states = num_states;
            d.num_actions = num_actions;
            d.row_ptr = index_vector<std::int64_t>(row_ptr, "mdp.row_ptr");
            d.next_state = index_vector<int>(next_state, "mdp.next_state");
            d.probability = to_vector<double>(probability);
            d.reward = to_vector<double>(reward);
            d.validate();
            return d;
          }),
          py::arg("num_states"), py::arg("num_actions"), py::arg("row_ptr"), py::arg("next_state"),
          py::arg("probability"), py::arg("reward"),
          "Row (s, a) = s * num_actions + a holds next_state/probability[row_ptr[row]:row_ptr[row + 1]] "
          "(checked; errors name 'mdp').")
      .def("row", &Mdp::row, py::arg("s"), py::arg("a"))
      .def("validate", &Mdp::validate, py::arg("field") = "mdp");
  def_readonly(mdp, field("num_states", &Mdp::num_states), field("num_actions", &Mdp::num_actions));
  def_copy(mdp, "row_ptr", &Mdp::row_ptr, "Row starts (num_states * num_actions + 1).");
  def_copy(mdp, "next_state", &Mdp::next_state, "Successor state of each entry.");
  def_copy(mdp, "probability", &Mdp::probability, "Probability of each entry.");
  def_copy(mdp, "reward", &Mdp::reward, "Reward of each state.");

  py::class_<Maze> maze(m, "Maze",
                        "A maze from an ASCII map: '#' wall, 'S' start, 'R' reward, '.' free. States are the "
                        "free cells in row-major order; actions 0 up, 1 down, 2 left, 3 right.");
  maze.def(py::init([](const std::vector<std::string>& map, double slip) { return Maze::parse(map, slip, "map"); }),
           py::arg("map"), py::arg("slip") = 0.05, "Parses and checks a map (errors name 'map' or 'slip').")
      .def_static("default_map", &Maze::default_map, "The engine's default 15x15 map.")
      .def_property_readonly("num_states", &Maze::num_states)
      .def("mdp", &Maze::mdp, "The MDP of the map.")
      .def_readonly_static("num_actions", &Maze::kNumActions);
  def_readonly(maze, field("map", &Maze::map), field("slip", &Maze::slip), field("rows", &Maze::rows),
               field("cols", &Maze::cols), field("start_state", &Maze::start_state));
  def_copy(maze, "cell_of_state", &Maze::cell_of_state, "Grid cell (row * cols + col) of every state.");
  def_copy(maze, "reward_states", &Maze::reward_states, "States of the reward cells.");
}

void bind_options_problem(py::module_& m) {
  using S = SolverOptions;
  py::class_<S> options(m, "SolverOptions", "Solver options (docs/config-solve.md, section 'solver').");
  def_keywords(options, keyword("method", &S::method, Method::value_iteration, "'value_iteration'"),
               keyword("backend", &S::backend, Backend::automatic, "'auto'"),
               keyword("precision", &S::precision, Precision::float64, "'float64'"), keyword("tol", &S::tol, 1e-10),
               keyword("prior_tol", &S::prior_tol, 1e-10), keyword("max_iterations", &S::max_iterations, 1000000),
               keyword("max_outer_iterations", &S::max_outer_iterations, 100000), keyword("p0", &S::p0, 0.5),
               keyword("prior_eps", &S::prior_eps, 1e-9), keyword("threads", &S::threads, 0),
               keyword("policy_table", &S::policy_table, true, "True"));
  options.def("validate", &S::validate, py::arg("field") = "solver");

  py::class_<Problem> problem(m, "Problem", "A model (network or maze) plus solver options, as netrl.solve takes it.");
  problem
      .def(py::init(
               [](const NetworkModel& network, const std::optional<SolverOptions>& solver, const std::string& source) {
                 Problem p;
                 p.kind = ModelKind::network;
                 p.network = network;
                 p.solver = solver.value_or(SolverOptions{});
                 p.source = source;
                 return p;
               }),
           py::arg("network"), py::arg("solver") = py::none(), py::arg("source") = "python")
      .def(py::init([](const Maze& maze, double lambda, const std::optional<SolverOptions>& solver,
                       const std::string& source) {
             Problem p;
             p.kind = ModelKind::maze;
             p.maze = maze;
             p.maze_lambda = lambda;
             p.solver = solver.value_or(SolverOptions{});
             p.source = source;
             return p;
           }),
           py::arg("maze"), py::arg("lambda_"), py::arg("solver") = py::none(), py::arg("source") = "python")
      .def_property_readonly("lambda_", &Problem::lambda, "The model's lambda.")
      .def_property_readonly("num_states", &Problem::num_states);
  def_readwrite(problem, field("kind", &Problem::kind),
                field("network", &Problem::network, "The network (kind network); edits apply in place."),
                field("maze", &Problem::maze, "The maze (kind maze)."), field("maze_lambda", &Problem::maze_lambda),
                field("solver", &Problem::solver, "Solver options; edits apply in place."),
                field("source", &Problem::source, "Scenario name or configuration path, for reports."));
}

}  // namespace

void bind_models(py::module_& m) {
  bind_enums(m);
  bind_input_reward(m);
  bind_network(m);
  bind_maze_mdp(m);
  bind_options_problem(m);
}

}  // namespace netrl::python
