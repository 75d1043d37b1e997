// The parametric inverse (MODEL.md sec. 4, eq. 44-47): an Ising value fitted by pseudo-likelihood,
// its Bellman target rhat_phi, and the reward models (least squares, or a linear program solved with
// COIN-OR CLP for the sparse model).
#include <ClpSimplex.hpp>
#include <CoinPackedMatrix.hpp>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "inverse/detail.hpp"
#include "inverse/ising_fit.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

using detail::log_add_exp;
using detail::log_sigmoid;
using detail::logit;
using detail::sigmoid;

const char* to_string(RewardModel model) { return name_of(model); }

RewardModel parse_reward_model(const std::string& name) {
  return parse_enum<RewardModel>(name, "reward_model", "reward model");
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Largest network the parametric inverse tabulates (rhat and the reward over all states).
constexpr int kMaxParametricNeurons = 20;
/// The pairwise reward model's normal matrix over the 1 + nf (nf - 1) / 2 pair features is kept
/// dense: at most this many bytes. The sparse model's linear program has (features x visited
/// states) nonzeros: at most kMaxSparseNonzeros (CLP takes minutes beyond).
constexpr double kMaxPairwiseBytes = 4.0 * (1u << 30);
constexpr double kMaxSparseNonzeros = 1e7;

inline double spin(const std::uint8_t* row, int i) { return row[i] ? 1.0 : -1.0; }

/// Features f = (1, sigma_i, sigma_i sigma_j (i < j)) over the free neurons.
std::vector<double> features(const std::uint8_t* row, const std::vector<int>& free) {
  std::vector<double> f;
  f.reserve(1 + free.size() + free.size() * (free.size() - 1) / 2);
  f.push_back(1.0);
  for (int i : free) f.push_back(spin(row, i));
  for (std::size_t a = 0; a < free.size(); ++a)
    for (std::size_t c = a + 1; c < free.size(); ++c) f.push_back(spin(row, free[a]) * spin(row, free[c]));
  return f;
}

std::vector<double> reward_basis(const std::uint8_t* row, const std::vector<int>& free, RewardModel model) {
  std::vector<double> g;
  if (model == RewardModel::pairwise) {
    g.push_back(1.0);
    for (std::size_t a = 0; a < free.size(); ++a)
      for (std::size_t c = a + 1; c < free.size(); ++c) g.push_back(spin(row, free[a]) * spin(row, free[c]));
  } else {  // global: one-hot of the spike count of the free neurons
    g.assign(free.size() + 1, 0.0);
    int k = 0;
    for (int i : free) k += row[i] ? 1 : 0;
    g[k] = 1.0;
  }
  return g;
}

/// InvalidInput("reward_model") when the model's system would exceed its limit above.
void check_reward_model_size(RewardModel model, int nf, std::uint64_t visited) {
  const double pairs = 1.0 + 0.5 * nf * (nf - 1.0);
  std::ostringstream os;
  if (model == RewardModel::pairwise && 8.0 * pairs * pairs > kMaxPairwiseBytes) {
    os << "the pairwise reward model over " << nf << " free neurons keeps a dense " << pairs << " x " << pairs
       << " normal matrix, " << 8.0 * pairs * pairs / (1u << 30) << " GiB (limit "
       << kMaxPairwiseBytes / (1u << 30) << " GiB)";
  } else if (model == RewardModel::sparse && (pairs + nf) * static_cast<double>(visited) > kMaxSparseNonzeros) {
    os << "the sparse reward model's linear program over " << nf << " free neurons and " << visited
       << " visited states has " << (pairs + nf) * static_cast<double>(visited) << " nonzeros (limit "
       << kMaxSparseNonzeros << ")";
  } else {
    return;
  }
  os << "; use \"table\" or \"global\" for networks this large";
  throw InvalidInput("reward_model", os.str());
}

}  // namespace

namespace {

/// One input value's reward from its target over its observed states `seen` (indices into
/// `data`, weights normalised): table, least squares of eq. 47 (pairwise, global) or the sparse
/// linear program (with its own unknown gain). Writes reward[k] for the states `rows` of the input
/// (the sparse model only at `seen`); target and reward are indexed like `data`.
void fit_reward_block(const VisitedStates& data, const std::vector<int>& free, const std::vector<std::uint64_t>& seen,
                      const std::vector<double>& weight, const std::vector<std::uint64_t>& rows, const double* target,
                      RewardModel reward_model, double* reward, std::vector<std::string>& notes,
                      const std::string& label) {
  if (reward_model == RewardModel::table) {
    for (std::uint64_t k : rows) reward[k] = target[k];
  } else if (reward_model == RewardModel::pairwise || reward_model == RewardModel::global) {
    // The model's reward closest to the target over the data: min_theta sum_b D_b (g(b) theta -
    // rhat(b))^2, by its normal equations (minimum norm where the basis is degenerate on the
    // visited states). Eq. 47's moment form <f g^T> theta = <f rhat> is rank-deficient on
    // symmetric data (docs/parametric.md, "Reward models").
    const int G = static_cast<int>(reward_basis(data.state(0), free, reward_model).size());
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(G, G);
    Eigen::VectorXd y = Eigen::VectorXd::Zero(G);
    for (std::size_t q = 0; q < seen.size(); ++q) {
      const auto g = reward_basis(data.state(seen[q]), free, reward_model);
      for (int a = 0; a < G; ++a) {
        if (g[a] == 0.0) continue;
        y(a) += weight[q] * g[a] * target[seen[q]];
        for (int c = 0; c < G; ++c) M(a, c) += weight[q] * g[a] * g[c];
      }
    }
    const Eigen::VectorXd coef = M.completeOrthogonalDecomposition().solve(y);
    for (std::uint64_t k : rows) {
      const auto g = reward_basis(data.state(k), free, reward_model);
      double r = 0.0;
      for (int c = 0; c < G; ++c) r += coef(c) * g[c];
      reward[k] = r;
    }
  } else {
    // Sparse: min sum_b r_b over visited b, r >= 0, sum_b D_b f_k(b) r_b - <f_k>_D L' = <f_k rhat>_D.
    const int F = static_cast<int>(features(data.state(0), free).size());
    const int V = static_cast<int>(seen.size());
    std::vector<double> mean_f(F, 0.0), rhs(F, 0.0);
    std::vector<std::vector<double>> fv(V);
    for (int k = 0; k < V; ++k) {
      fv[k] = features(data.state(seen[k]), free);
      for (int a = 0; a < F; ++a) {
        mean_f[a] += weight[k] * fv[k][a];
        rhs[a] += weight[k] * fv[k][a] * target[seen[k]];
      }
    }
    // Columns: r_b (k < V), then L'. Column-major sparse arrays for CLP.
    std::vector<CoinBigIndex> start{0};
    std::vector<int> index;
    std::vector<double> value, collb, colub, obj;
    for (int k = 0; k < V; ++k) {
      for (int a = 0; a < F; ++a) {
        const double e = weight[k] * fv[k][a];
        if (e != 0.0) {
          index.push_back(a);
          value.push_back(e);
        }
      }
      start.push_back(static_cast<CoinBigIndex>(index.size()));
      collb.push_back(0.0);
      colub.push_back(COIN_DBL_MAX);
      obj.push_back(1.0);
    }
    for (int a = 0; a < F; ++a) {
      if (mean_f[a] != 0.0) {
        index.push_back(a);
        value.push_back(-mean_f[a]);
      }
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    collb.push_back(-COIN_DBL_MAX);
    colub.push_back(COIN_DBL_MAX);
    obj.push_back(0.0);
    ClpSimplex lp;
    lp.setLogLevel(0);
    lp.loadProblem(V + 1, F, start.data(), index.data(), value.data(), collb.data(), colub.data(), obj.data(),
                   rhs.data(), rhs.data());
    lp.setPrimalTolerance(1e-9);
    lp.setDualTolerance(1e-9);
    lp.initialSolve();
    if (!lp.isProvenOptimal()) {
      throw NumericalError("sparse reward model" + label + ": the linear program was not solved to optimality (CLP "
                           "status " + std::to_string(lp.status()) + ", secondary " +
                           std::to_string(lp.secondaryStatus()) + ")");
    }
    const double* x = lp.primalColumnSolution();
    for (int k = 0; k < V; ++k) reward[seen[k]] = std::max(x[k], 0.0);
    std::ostringstream os;
    os << "sparse reward model" << label << ": linear program with " << V << " state rewards and " << F
       << " moment constraints solved by CLP, objective " << lp.objectiveValue() << ", estimated gain " << x[V];
    notes.push_back(os.str());
  }
}

}  // namespace

NetworkInverse parametric(const NetworkModel& model, const VisitedStates& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options) {
  options.validate();
  validate_lambda(lambda);
  if (data.n != model.n || data.m != model.m()) throw InvalidInput("data", "observations do not match the model");
  if (data.size() == 0) throw InvalidInput("data", "no observations");
  const int n = model.n, m = model.m();
  const auto free = model.free_neurons();
  const int nf = static_cast<int>(free.size());
  if (prior.size() != static_cast<std::size_t>(n)) {
    throw InvalidInput("prior", "expected one firing prior per neuron (n = " + std::to_string(n) + ")");
  }
  for (int i : free)
    if (!(prior[i] > 0.0 && prior[i] < 1.0)) {
      throw InvalidInput("prior", "the prior of free neuron " + std::to_string(i) + " must lie in (0, 1)");
    }
  std::uint64_t visited = 0;
  for (double v : data.visits) visited += v > 0.0;
  if (reward_model == RewardModel::pairwise || reward_model == RewardModel::sparse) {
    check_reward_model_size(reward_model, nf, visited);
  }
  const double temperature = nf * lambda;
  const double coupling = 2.0 / temperature;  // z_i = coupling (h_i + sum_j J_ij sigma_j) + logit p_i
  std::vector<double> logit_p(nf);
  for (int a = 0; a < nf; ++a) logit_p[a] = logit(prior[free[a]]);

  const detail::IsingFit fit = detail::fit_ising(data, free, logit_p, coupling, options);

  NetworkInverse out;
  out.method = std::string("parametric/") + to_string(reward_model);
  out.lambda = lambda;
  out.prior = prior;
  out.iterations = fit.report.iterations;
  out.evaluations = fit.report.evaluations;
  out.objective = fit.report.value;
  out.gradient_norm = fit.report.gradient_norm;
  out.gradient_threshold = fit.threshold;
  out.converged = fit.report.converged;
  {
    std::ostringstream os;
    os << fit.objective << ": " << fit.report.iterations << " iterations, " << fit.report.evaluations
       << " evaluations, gradient norm " << fit.report.gradient_norm << " (stopping threshold " << fit.threshold
       << "; " << fit.report.stop << "); dense products on " << detail::dense_product_backend();
    out.notes.push_back(os.str());
  }
  out.J.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (int a = 0; a < nf; ++a)
    for (int c = 0; c < nf; ++c) out.J[static_cast<std::size_t>(free[a]) * n + free[c]] = fit.J[a * nf + c];
  // h(x) = T^{-1} h_tilde(x) per neuron: the fields of v (m x n, h[x * n + i]).
  Eigen::MatrixXd H(m, nf);
  {
    Eigen::MatrixXd T(m, m), Ht(m, nf);
    for (int x = 0; x < m; ++x) {
      for (int y = 0; y < m; ++y) T(x, y) = model.input(x, y);
      for (int a = 0; a < nf; ++a) Ht(x, a) = fit.h_tilde[x * nf + a];
    }
    H = T.completeOrthogonalDecomposition().solve(Ht);
    out.h.assign(static_cast<std::size_t>(m) * n, 0.0);
    for (int x = 0; x < m; ++x)
      for (int a = 0; a < nf; ++a) out.h[static_cast<std::size_t>(x) * n + free[a]] = H(x, a);
  }

  // Per state, from the local fields F_a = h_tilde_a(x) + sum_c J_ac sigma_c (O(nf) each): the value
  // v = sum_a h_a(x) sigma_a + sum_{a<c} J_ac sigma_a sigma_c, and the target rhat_phi of eq. 41,
  // the Bellman formula r = v - lambda sum_a log[p_a e^{w(b|1)/(nf lambda)} + (1 - p_a)
  // e^{w(b|0)/(nf lambda)}] with w(b|+-1) = w(b) - sigma_a F_a +- F_a, which is
  // v - w + lambda sum_a [sigma_a F_a / (nf lambda) - log(p_a e^{F_a/(nf lambda)} + (1 - p_a) e^{-F_a/(nf lambda)})].
  const std::uint64_t V = data.size();
  const std::vector<double> F = detail::local_fields(data, free, fit);
  out.values.assign(V, kNaN);
  out.target.assign(V, kNaN);
  out.weights.assign(V, 0.0);
  double total = 0.0;
  for (double v : data.visits) total += v;
  std::vector<double> log_p(nf), log_q(nf);
  for (int a = 0; a < nf; ++a) {
    log_p[a] = std::log(prior[free[a]]);
    log_q[a] = std::log1p(-prior[free[a]]);
  }
  for (std::uint64_t k = 0; k < V; ++k) {
    const std::uint8_t* row = data.state(k);
    const int x = static_cast<int>(data.inputs[k]);
    double v = 0.0, v_minus_w = 0.0, bellman = 0.0;
    for (int a = 0; a < nf; ++a) {
      const double sg = spin(row, free[a]), f = F[k * nf + a], ht = fit.h_tilde[x * nf + a];
      v += H(x, a) * sg + 0.5 * sg * (f - ht);
      v_minus_w += (H(x, a) - ht) * sg;
      bellman += sg * f / temperature - log_add_exp(log_p[a] + f / temperature, log_q[a] - f / temperature);
    }
    out.values[k] = v;
    out.target[k] = v_minus_w + lambda * bellman;
    out.weights[k] = data.visits[k] / total;
  }

  // The reward model, fitted per input value (with an input the reward is identified up to a
  // function of x, so each input's block has its own constant, or its own gain in the LP).
  out.reward.assign(V, kNaN);
  for (int x = 0; x < m; ++x) {
    std::vector<std::uint64_t> rows, seen;
    std::vector<double> weight;
    double block = 0.0;
    for (std::uint64_t k = 0; k < V; ++k) {
      if (data.inputs[k] != static_cast<std::uint32_t>(x)) continue;
      rows.push_back(k);
      if (data.visits[k] > 0.0) {
        seen.push_back(k);
        weight.push_back(data.visits[k]);
        block += data.visits[k];
      }
    }
    if (seen.empty()) continue;  // an input never observed: its rewards stay missing
    for (double& v : weight) v /= block;
    fit_reward_block(data, free, seen, weight, rows, out.target.data(), reward_model, out.reward.data(), out.notes,
                     m == 1 ? std::string() : " (x = " + std::to_string(x) + ")");
  }
  out.missing = 0;
  for (double r : out.reward) out.missing += !std::isfinite(r);
  center_per_input(out.reward, out.weights, data.inputs, m);
  center_per_input(out.target, out.weights, data.inputs, m);
  return out;
}

NetworkInverse parametric(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options) {
  options.validate();
  if (model.n > kMaxParametricNeurons) {
    throw InvalidInput("n", "the parametric inverse over all m * 2^n states needs n <= " +
                                std::to_string(kMaxParametricNeurons) + " (n = " + std::to_string(model.n) +
                                "); larger networks are inferred on their visited states (a raster)");
  }
  if (data.visits.size() != model.num_states()) throw InvalidInput("data", "observations do not match the model");
  const VisitedStates states = visited_states(data, model, true);
  NetworkInverse per_state = parametric(model, states, prior, lambda, reward_model, options);
  // Every consistent joint state, in the order of the states above.
  const std::uint64_t nb = model.num_network_states(), N = nb * static_cast<std::uint64_t>(model.m());
  NetworkInverse out = per_state;
  out.values.assign(N, kNaN);
  out.target.assign(N, kNaN);
  out.reward.assign(N, kNaN);
  out.weights.assign(N, 0.0);
  for (std::uint64_t k = 0; k < states.size(); ++k) {
    std::uint64_t b = 0;
    const std::uint8_t* row = states.state(k);
    for (int i = 0; i < model.n; ++i)
      if (row[i]) b |= std::uint64_t{1} << i;
    const std::uint64_t s = states.inputs[k] * nb + b;
    out.values[s] = per_state.values[k];
    out.target[s] = per_state.target[k];
    out.reward[s] = per_state.reward[k];
    out.weights[s] = per_state.weights[k];
  }
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
