// One inference run: the method, the comparison with the true reward, the predictions.
#include "netrl/infer.hpp"

#include <chrono>
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

/// The network inverse of `d` by `method`, into `out`.
void infer_network(const InferSettings& c, const InferData& d, InferResult& out) {
  const NetworkModel& model = c.problem.network;
  const double lambda = out.lambda;
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

InferMethod parse_infer_method(const std::string& name) {
  return parse_enum<InferMethod>(name, "method", "method");
}

InferData InferData::from_solution(const Problem& problem, const SolveResult& r) {
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
  const auto start = std::chrono::steady_clock::now();
  const Problem& problem = c.problem;
  InferResult out;
  out.source = c.source;
  out.model = problem.kind;
  out.method = resolve_method(c, d);
  out.lambda = problem.lambda();
  out.data_kind = d.kind;
  out.data_description = d.description;
  if (problem.kind == ModelKind::network) infer_network(c, d, out);
  else infer_maze(c, d, out);

  if (c.has_truth) {
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
  for (const auto& spec : c.predictions) {
    InferPrediction p;
    p.spec = spec;
    try {
      p.result = inverse::predict(problem, out.reward, c.has_truth, spec, baseline);
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
