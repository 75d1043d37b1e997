// One inference run: the method, the comparison with the true reward, the predictions.
#include "netrl/infer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {

InferMethod resolve_method(const InferSettings& c, const InferData& d) {
  const bool maze = c.problem.kind == ModelKind::maze;
  const bool solution = d.kind == InferData::Kind::solution;
  const InferMethod m = c.method;
  if (m == InferMethod::automatic) {
    if (maze) return InferMethod::maze;
    if (c.problem.network.m() == 1) return InferMethod::closed_form;
    return solution ? InferMethod::policy : InferMethod::ml;
  }
  if (maze && m != InferMethod::maze) throw InvalidInput("method", "a maze is inferred with the method \"maze\"");
  if (!maze && m == InferMethod::maze) throw InvalidInput("method", "the method \"maze\" needs a maze model");
  if (m == InferMethod::policy && !solution) {
    throw InvalidInput("method", "\"policy\" inverts an exactly known policy: it needs \"data\": {\"solution\": DIR}");
  }
  return m;
}

/// Whether the parametric inverse reports on visited states (checked against the data and n).
bool report_on_visited(const InferSettings& c, InferMethod method) {
  const int n = c.problem.network.n;
  if (method != InferMethod::parametric) {
    if (c.states == StateReport::visited) {
      throw InvalidInput("states", "\"visited\" belongs to the parametric method (\"method\": \"parametric\")");
    }
    return false;
  }
  if (c.states == StateReport::all && n > inverse::kMaxTabularNeurons) {
    throw InvalidInput("states", "\"all\" reports over the m * 2^n states, for n <= " +
                                     std::to_string(inverse::kMaxTabularNeurons) + " (n = " + std::to_string(n) +
                                     "); use \"visited\"");
  }
  return c.states == StateReport::visited || (c.states == StateReport::automatic && n > kAllStatesNeurons);
}

/// The parametric inverse on visited states, into `out`.
void infer_visited(const InferSettings& c, const InferData& d, InferResult& out) {
  const NetworkModel& model = c.problem.network;
  const bool transitions = model.m() > 1;
  if (d.kind == InferData::Kind::raster) {
    out.visited = with_prefix("data", [&] { return inverse::visited_states(d.raster, model, transitions, transitions); });
    out.samples = d.raster.steps;
  } else {
    const inverse::NetworkData data = d.kind == InferData::Kind::solution
                                          ? inverse::expected_data(model, d.values, d.stationary, d.prior)
                                          : d.counts;
    out.visited = inverse::visited_states(data, model, false);
    if (d.kind == InferData::Kind::samples) out.samples = static_cast<std::uint64_t>(data.total);
  }
  out.on_visited = true;
  out.multi_flip_steps = out.visited.multi_flips;
  out.visited_states = out.visited.size();
  const std::vector<double> prior =
      d.kind == InferData::Kind::solution ? d.prior : inverse::firing_prior(model, out.visited);
  out.network = inverse::parametric(model, out.visited, prior, out.lambda, c.reward_model, c.optimizer);
  out.reward = out.network.reward;
  out.weights = out.network.weights;
  out.converged = out.network.converged;
  out.notes = out.network.notes;
  out.prior = prior;
  out.n = model.n;
  out.m = model.m();
  out.reward_shape = {out.visited.size()};
}

/// The network inverse of `d` by `method`, into `out` (on the visited states when `on_visited`).
void infer_network(const InferSettings& c, const InferData& d, bool on_visited, InferResult& out) {
  const NetworkModel& model = c.problem.network;
  const double lambda = out.lambda;
  if (on_visited) {
    infer_visited(c, d, out);
    return;
  }
  inverse::NetworkData data;
  std::vector<double> prior;
  if (d.kind == InferData::Kind::solution) {
    prior = d.prior;
    data = inverse::expected_data(model, d.values, d.stationary, prior);
  } else {
    if (d.kind == InferData::Kind::samples) {
      data = d.counts;
      if (out.method == InferMethod::ml && data.transitions.empty()) {
        throw InvalidInput("data.samples", d.description +
                                               " has no transitions.npy: the run had \"sampling.record.transitions\" "
                                               "false, and the method \"ml\" needs the transitions; sample again with "
                                               "\"record\": {\"transitions\": true}" +
                                               (model.m() == 1 ? std::string(" or use \"method\": \"closed_form\"")
                                                               : std::string()));
      }
    } else {
      data = with_prefix("data", [&] { return inverse::count_raster(d.raster, model, out.method == InferMethod::ml); });
    }
    prior = inverse::firing_prior(model, data);
    for (double v : data.visits) out.visited_states += v > 0.0;
    out.samples = d.kind == InferData::Kind::samples ? static_cast<std::uint64_t>(data.total) : d.raster.steps;
    out.multi_flip_steps = data.multi_flips;
  }
  inverse::NetworkInverse& net = out.network;
  switch (out.method) {
    case InferMethod::closed_form: net = inverse::closed_form(model, data, prior, lambda, c.optimizer); break;
    case InferMethod::policy:
      net = inverse::invert_policy(model, inverse::policy_logits(model, d.values, prior, lambda), prior, lambda,
                                   d.stationary);
      break;
    case InferMethod::ml: net = inverse::maximum_likelihood(model, data, prior, lambda, c.optimizer); break;
    default: net = inverse::parametric(model, data, prior, lambda, c.reward_model, c.optimizer); break;
  }
  out.reward = net.reward;
  out.weights = d.kind == InferData::Kind::solution ? d.stationary : net.weights;
  if (d.kind == InferData::Kind::solution) {
    inverse::center_per_block(out.reward, out.weights, model.num_network_states());
  }
  out.converged = net.converged;
  out.notes = net.notes;
  out.prior = prior;
  out.n = model.n;
  out.m = model.m();
  out.reward_shape = {static_cast<std::uint64_t>(model.m()), model.num_network_states()};
}

void infer_maze(const InferSettings& c, const InferData& d, InferResult& out) {
  const Mdp mdp = c.problem.maze.mdp();
  const auto policy = inverse::mdp_greedy_policy(mdp, d.values, d.prior, out.lambda);
  // The policy of an exact solution is known at every state: weight the states equally.
  const std::vector<double> uniform(static_cast<std::size_t>(mdp.num_states), 1.0);
  out.maze = inverse::invert_mdp_policy(mdp, policy, d.prior, out.lambda, uniform, c.optimizer);
  out.reward = out.maze.reward;
  out.weights = d.stationary;
  inverse::center_per_block(out.reward, out.weights, static_cast<std::uint64_t>(mdp.num_states));
  out.converged = out.maze.converged;
  out.prior = d.prior;
  out.maze_states = mdp.num_states;
  out.reward_shape = {static_cast<std::uint64_t>(mdp.num_states)};
}

}  // namespace

const char* to_string(InferMethod method) { return name_of(method); }

const char* to_string(StateReport states) { return name_of(states); }

InferMethod parse_infer_method(const std::string& name) {
  return parse_enum<InferMethod>(name, "method", "method");
}

InferData InferData::from_solution(const Problem& problem, const SolveResult& r) {
  // The solution of this problem: its states and its prior (n neurons, or the actions).
  const std::size_t prior_size = problem.kind == ModelKind::network ? static_cast<std::size_t>(problem.network.n)
                                 : problem.kind == ModelKind::maze  ? std::size_t{Maze::kNumActions}
                                                                    : static_cast<std::size_t>(problem.mdp.num_actions);
  if (r.values.size() != problem.num_states() || r.stationary.size() != problem.num_states() ||
      r.prior.size() != prior_size) {
    throw InvalidInput("data.solution", "the solution has " + std::to_string(r.values.size()) + " values and " +
                                            std::to_string(r.prior.size()) + " prior entries; the problem has " +
                                            std::to_string(problem.num_states()) + " states and " +
                                            std::to_string(prior_size) + " prior entries");
  }
  InferData d;
  d.kind = Kind::solution;
  d.values = r.values;
  d.stationary = r.stationary;
  d.prior = r.prior;
  d.lambda = problem.lambda();
  d.description = "exact solution of " + problem.source;
  return d;
}

InferData InferData::from_counts(inverse::NetworkData counts, std::string description) {
  InferData d;
  d.kind = Kind::samples;
  d.counts = std::move(counts);
  d.description = std::move(description);
  return d;
}

InferData InferData::from_raster(Raster raster, std::string description) {
  InferData d;
  d.kind = Kind::raster;
  d.raster = std::move(raster);
  d.description = std::move(description);
  return d;
}

InferResult infer(const InferSettings& c, const InferData& d) {
  c.optimizer.validate("optimizer");
  const auto start = std::chrono::steady_clock::now();
  const Problem& problem = c.problem;
  InferResult out;
  out.source = c.source;
  out.model = problem.kind;
  out.method = resolve_method(c, d);
  out.lambda = problem.lambda();
  // An exact solution is a policy at its own lambda: inverting it at another gives another reward
  // (the command line compares result.json's lambda; InferData::from_solution records it).
  if (d.kind == InferData::Kind::solution && d.lambda > 0.0 &&
      std::abs(d.lambda - out.lambda) > 1e-12 * std::abs(out.lambda)) {
    throw InvalidInput("data.solution", "the solution was solved at lambda = " + number_text(d.lambda) +
                                            "; the settings have lambda = " + number_text(out.lambda));
  }
  out.data_kind = d.kind;
  out.data_description = d.description;
  const bool on_visited = problem.kind == ModelKind::network && report_on_visited(c, out.method);
  if (on_visited && !c.predictions.empty()) {
    throw InvalidInput("predict", "predictions re-solve the network over all its states, which needs the reward "
                                  "on all states: use \"states\": \"all\" (n <= " +
                                      std::to_string(inverse::kMaxTabularNeurons) + ")");
  }
  if (problem.kind == ModelKind::network) infer_network(c, d, on_visited, out);
  else infer_maze(c, d, out);
  // A result without a single inferred reward is no answer (every entry NaN): say why instead.
  if (std::none_of(out.reward.begin(), out.reward.end(), [](double r) { return std::isfinite(r); })) {
    std::string why = "the data do not determine the reward of any state (" + std::to_string(out.reward.size()) +
                      " states, all missing)";
    if (problem.kind == ModelKind::network && d.kind != InferData::Kind::solution) {
      why += ": " + std::to_string(out.samples) + " samples visit " + std::to_string(out.visited_states) +
             " state(s); method " + std::string(to_string(out.method)) +
             (out.method == InferMethod::closed_form ? " needs a state and each of its one-neuron flips visited"
                                          : " needs states visited") +
             " at least min_visits times (record longer or more varied data)";
    }
    throw InvalidInput("data", why);
  }

  if (c.has_truth && out.on_visited) {
    const NetworkModel& net = problem.network;
    if (!net.reward.is_static()) {
      throw InvalidInput("true_reward", "a reward that depends on the solution cannot be compared on visited states");
    }
    std::vector<double> truth(out.visited.size());
    for (std::uint64_t k = 0; k < out.visited.size(); ++k) {
      truth[k] = net.reward.evaluate_spins(net.n, out.visited.state(k), static_cast<int>(out.visited.inputs[k]));
    }
    out.comparison = inverse::compare_rewards(out.reward, truth, out.weights, out.visited.inputs, net.m());
    out.has_comparison = true;
  } else if (c.has_truth) {
    const std::vector<double> truth = problem.kind == ModelKind::network
                                          ? problem.network.reward.tabulate(problem.network.n, problem.network.m())
                                          : problem.maze.mdp().reward;
    const std::uint64_t block = problem.kind == ModelKind::network
                                    ? problem.network.num_network_states()
                                    : static_cast<std::uint64_t>(problem.maze.num_states());
    out.comparison = inverse::compare_rewards(out.reward, truth, out.weights, block);
    out.has_comparison = true;
  }

  inverse::Baseline baseline;
  for (std::size_t k = 0; k < c.predictions.size(); ++k) {
    const auto& spec = c.predictions[k];
    InferPrediction p;
    p.spec = spec;
    try {
      p.result = with_prefix("predict[" + std::to_string(k) + "]",
                             [&] { return inverse::predict(problem, out.reward, c.has_truth, spec, baseline); });
      out.converged = out.converged && p.result.predicted.result.converged;
    } catch (const NumericalError& e) {
      // A setting the inferred reward cannot be carried into (e.g. no lambda reaches the coding
      // cost): recorded, and the other predictions go on.
      p.failed = true;
      p.error = e.what();
      out.converged = false;
    }
    out.predictions.push_back(std::move(p));
  }
  out.notes.insert(out.notes.begin(), d.notes.begin(), d.notes.end());
  out.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

NETRL_NAMESPACE_END  // namespace netrl
