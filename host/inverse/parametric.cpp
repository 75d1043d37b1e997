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

inline double spin(std::uint64_t b, int i) { return ((b >> i) & 1) ? 1.0 : -1.0; }

/// Features f = (1, sigma_i, sigma_i sigma_j (i < j)) over the free neurons.
std::vector<double> features(std::uint64_t b, const std::vector<int>& free) {
  std::vector<double> f;
  f.reserve(1 + free.size() + free.size() * (free.size() - 1) / 2);
  f.push_back(1.0);
  for (int i : free) f.push_back(spin(b, i));
  for (std::size_t a = 0; a < free.size(); ++a)
    for (std::size_t c = a + 1; c < free.size(); ++c) f.push_back(spin(b, free[a]) * spin(b, free[c]));
  return f;
}

std::vector<double> reward_basis(std::uint64_t b, const std::vector<int>& free, RewardModel model) {
  std::vector<double> g;
  if (model == RewardModel::pairwise) {
    g.push_back(1.0);
    for (std::size_t a = 0; a < free.size(); ++a)
      for (std::size_t c = a + 1; c < free.size(); ++c) g.push_back(spin(b, free[a]) * spin(b, free[c]));
  } else {  // global: one-hot of the spike count of the free neurons
    g.assign(free.size() + 1, 0.0);
    int k = 0;
    for (int i : free) k += static_cast<int>((b >> i) & 1);
    g[k] = 1.0;
  }
  return g;
}

}  // namespace

namespace {

/// The Ising value fitted to the data: h_tilde[x * nf + a] (for m = 1 the fields h; with an input
/// the fields of w = V T^T, h_tilde(x) = sum_x' T(x'|x) h(x')) and J over free pairs.
struct IsingFit {
  std::vector<double> h_tilde;  // m * nf
  std::vector<double> J;        // nf * nf, symmetric, zero diagonal
  detail::MinimizeReport report;
  std::string objective;
};

/// Parameter layout: h_tilde (m * nf), then the free pairs a < c.
struct Layout {
  int m, nf, H, P;
  std::vector<int> pair_index;  // nf * nf -> parameter index (-1 on the diagonal)
  Layout(int m_, int nf_) : m(m_), nf(nf_), H(m_ * nf_), P(m_ * nf_ + nf_ * (nf_ - 1) / 2) {
    pair_index.assign(static_cast<std::size_t>(nf) * nf, -1);
    for (int a = 0, k = H; a < nf; ++a)
      for (int c = a + 1; c < nf; ++c, ++k) pair_index[a * nf + c] = pair_index[c * nf + a] = k;
  }
  /// z_a = coupling (h_tilde_a(x) + sum_c J_ac sigma_c) + logit p_a.
  double field(const Eigen::VectorXd& th, int x, int a, const std::vector<double>& sg) const {
    double f = th(x * nf + a);
    for (int c = 0; c < nf; ++c)
      if (c != a) f += th(pair_index[a * nf + c]) * sg[c];
    return f;
  }
  /// Adds g * dz_a/dtheta / coupling to grad.
  void add_gradient(Eigen::VectorXd& grad, int x, int a, const std::vector<double>& sg, double g) const {
    grad(x * nf + a) += g;
    for (int c = 0; c < nf; ++c)
      if (c != a) grad(pair_index[a * nf + c]) += g * sg[c];
  }
};

/// Minimises `likelihood` + ridge |theta|^2 / 2 from theta = 0 and unpacks the fit.
IsingFit minimise_ising(const Layout& L, const detail::Objective& likelihood, double ridge,
                        const OptimizerOptions& options, const char* name) {
  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    double f = likelihood(th, grad);
    if (ridge > 0.0) {
      f += 0.5 * ridge * th.squaredNorm();
      grad += ridge * th;
    }
    return f;
  };
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(L.P);
  IsingFit fit;
  fit.report = detail::minimize(objective, theta, options.max_iterations, options.tolerance);
  fit.objective = name;
  fit.h_tilde.assign(theta.data(), theta.data() + L.H);
  fit.J.assign(static_cast<std::size_t>(L.nf) * L.nf, 0.0);
  for (int a = 0; a < L.nf; ++a)
    for (int c = 0; c < L.nf; ++c)
      if (c != a) fit.J[a * L.nf + c] = theta(L.pair_index[a * L.nf + c]);
  return fit;
}

/// No input: maximum pseudo-likelihood of the Glauber conditionals over the observed states (the
/// stationary distribution of Glauber dynamics of a symmetric J is the Gibbs distribution whose
/// conditionals these are).
IsingFit fit_pseudo_likelihood(const NetworkModel& model, const NetworkData& data, const std::vector<int>& free,
                               const std::vector<double>& logit_p, double coupling, const OptimizerOptions& options) {
  const std::uint64_t nb = model.num_network_states();
  const int nf = static_cast<int>(free.size());
  const Layout L(1, nf);
  std::vector<std::uint64_t> seen;
  std::vector<double> weight;
  double total = 0.0;
  for (std::uint64_t b = 0; b < nb; ++b)
    if (model.consistent(b) && data.visits[b] > 0.0) {
      seen.push_back(b);
      weight.push_back(data.visits[b]);
      total += data.visits[b];
    }
  for (double& w : weight) w /= total;
  const double ridge = data.exact ? 0.0 : options.ridge / total;
  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    grad.setZero(L.P);
    double f = 0.0;
    std::vector<double> sg(nf);
    for (std::size_t k = 0; k < seen.size(); ++k) {
      const std::uint64_t b = seen[k];
      for (int a = 0; a < nf; ++a) sg[a] = spin(b, free[a]);
      for (int a = 0; a < nf; ++a) {
        const double z = coupling * L.field(th, 0, a, sg) + logit_p[a];
        f -= weight[k] * log_sigmoid(sg[a] * z);
        // d/dz of -log sigmoid(s z) = -s (1 - sigmoid(s z))
        L.add_gradient(grad, 0, a, sg, -weight[k] * sg[a] * sigmoid(-sg[a] * z) * coupling);
      }
    }
    return f;
  };
  return minimise_ising(L, objective, ridge, options, "pseudo-likelihood");
}

/// With an input (no Gibbs form): maximum likelihood of the observed transitions (MODEL.md sec. 4)
/// under the Ising policy z_a(b, x) = coupling (h_tilde_a(x) + sum_c J_ac sigma_c) + logit p_a.
IsingFit fit_transitions(const NetworkModel& model, const NetworkData& data, const std::vector<int>& free,
                         const std::vector<double>& logit_p, double coupling, const OptimizerOptions& options) {
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * static_cast<std::uint64_t>(m);
  const int nf = static_cast<int>(free.size());
  const Layout L(m, nf);
  if (data.transitions.size() != N * static_cast<std::uint64_t>(n + 1)) {
    throw InvalidInput("data", "the parametric inverse with an input fits the observed transitions: give a raster "
                               "with its inputs, a sample directory with transitions.npy, or an exact solution");
  }
  std::vector<std::uint64_t> active;
  double observations = 0.0;
  for (std::uint64_t s = 0; s < N; ++s) {
    if (!model.consistent(s % nb)) continue;
    double c = 0.0;
    for (int j = 0; j <= n; ++j) c += data.transitions[s * (n + 1) + j];
    if (c > 0.0) active.push_back(s);
    observations += c;
  }
  if (!(observations > 0.0)) throw InvalidInput("data", "no transitions observed");
  const double scale = 1.0 / observations;
  const double ridge = data.exact ? 0.0 : options.ridge * scale;
  const double log_nf = std::log(static_cast<double>(nf));
  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    grad.setZero(L.P);
    double f = 0.0;
    std::vector<double> sg(nf), z(static_cast<std::size_t>(n), 0.0), gz(static_cast<std::size_t>(n), 0.0);
    for (std::uint64_t s : active) {
      const std::uint64_t b = s % nb;
      const int x = static_cast<int>(s / nb);
      for (int a = 0; a < nf; ++a) sg[a] = spin(b, free[a]);
      for (int a = 0; a < nf; ++a) z[free[a]] = coupling * L.field(th, x, a, sg) + logit_p[a];
      f += detail::transition_nll(&data.transitions[s * (n + 1)], b, free, n, z.data(), log_nf, gz.data());
      for (int a = 0; a < nf; ++a) L.add_gradient(grad, x, a, sg, gz[free[a]] * coupling);
    }
    f *= scale;
    grad *= scale;
    return f;
  };
  return minimise_ising(L, objective, ridge, options, "transition likelihood");
}

/// One input value's reward from its target over the observed states `seen` (weights normalised):
/// table, least squares of eq. 47 (pairwise, global) or the sparse linear program (with its own
/// unknown gain). Writes reward[b] for the consistent b of the block.
void fit_reward_block(const NetworkModel& model, const std::vector<int>& free, const std::vector<std::uint64_t>& seen,
                      const std::vector<double>& weight, const double* target, RewardModel reward_model,
                      double* reward, std::vector<std::string>& notes, const std::string& label) {
  const std::uint64_t nb = model.num_network_states();
  if (reward_model == RewardModel::table) {
    for (std::uint64_t b = 0; b < nb; ++b)
      if (model.consistent(b)) reward[b] = target[b];
  } else if (reward_model == RewardModel::pairwise || reward_model == RewardModel::global) {
    // The model's reward closest to the target over the data: min_theta sum_b D_b (g(b) theta -
    // rhat(b))^2, by its normal equations (minimum norm where the basis is degenerate on the
    // visited states). Eq. 47's moment form <f g^T> theta = <f rhat> is rank-deficient on
    // symmetric data (docs/parametric.md, "Reward models").
    const int G = static_cast<int>(reward_basis(0, free, reward_model).size());
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(G, G);
    Eigen::VectorXd y = Eigen::VectorXd::Zero(G);
    for (std::size_t k = 0; k < seen.size(); ++k) {
      const auto g = reward_basis(seen[k], free, reward_model);
      for (int a = 0; a < G; ++a) {
        if (g[a] == 0.0) continue;
        y(a) += weight[k] * g[a] * target[seen[k]];
        for (int c = 0; c < G; ++c) M(a, c) += weight[k] * g[a] * g[c];
      }
    }
    const Eigen::VectorXd coef = M.completeOrthogonalDecomposition().solve(y);
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      const auto g = reward_basis(b, free, reward_model);
      double r = 0.0;
      for (int c = 0; c < G; ++c) r += coef(c) * g[c];
      reward[b] = r;
    }
  } else {
    // Sparse: min sum_b r_b over visited b, r >= 0, sum_b D_b f_k(b) r_b - <f_k>_D L' = <f_k rhat>_D.
    const int F = static_cast<int>(features(0, free).size());
    const int V = static_cast<int>(seen.size());
    std::vector<double> mean_f(F, 0.0), rhs(F, 0.0);
    std::vector<std::vector<double>> fv(V);
    for (int k = 0; k < V; ++k) {
      fv[k] = features(seen[k], free);
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

NetworkInverse parametric(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options) {
  if (model.n > kMaxParametricNeurons) {
    throw InvalidInput("n", "the parametric inverse tabulates m * 2^n states; n = " + std::to_string(model.n) +
                                " exceeds its limit " + std::to_string(kMaxParametricNeurons));
  }
  if (data.visits.size() != model.num_states()) throw InvalidInput("data", "observations do not match the model");
  validate_lambda(lambda);
  const int m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * static_cast<std::uint64_t>(m);
  const auto free = model.free_neurons();
  const int nf = static_cast<int>(free.size());
  const double temperature = nf * lambda;
  const double coupling = 2.0 / temperature;  // z_i = coupling (h_i + sum_j J_ij sigma_j) + logit p_i
  std::vector<double> logit_p(nf);
  for (int a = 0; a < nf; ++a) logit_p[a] = logit(prior[free[a]]);

  double total = 0.0;
  for (std::uint64_t s = 0; s < N; ++s)
    if (model.consistent(s % nb)) total += data.visits[s];
  if (!(total > 0.0)) throw InvalidInput("data", "no observations");
  const IsingFit fit = m == 1 ? fit_pseudo_likelihood(model, data, free, logit_p, coupling, options)
                              : fit_transitions(model, data, free, logit_p, coupling, options);

  NetworkInverse out;
  out.method = std::string("parametric/") + to_string(reward_model);
  out.lambda = lambda;
  out.prior = prior;
  out.iterations = fit.report.iterations;
  out.evaluations = fit.report.evaluations;
  out.objective = fit.report.value;
  out.gradient_norm = fit.report.gradient_norm;
  out.converged = fit.report.converged;
  if (!fit.report.converged) out.notes.push_back(fit.objective + ": " + fit.report.stop);
  out.J.assign(static_cast<std::size_t>(model.n) * model.n, 0.0);
  for (int a = 0; a < nf; ++a)
    for (int c = 0; c < nf; ++c) out.J[free[a] * model.n + free[c]] = fit.J[a * nf + c];
  out.weights.assign(N, 0.0);
  for (std::uint64_t s = 0; s < N; ++s)
    if (model.consistent(s % nb)) out.weights[s] = data.visits[s] / total;

  // w_phi = V T^T over all consistent states (fields h_tilde(x), couplings J; for m = 1, w = v),
  // then V = W T^{-T} and the target rhat_phi = v - lambda sum_i log[...] of eq. 41 (the Bellman
  // formula of rewards_from_w), reported at every consistent state.
  std::vector<double> w(N, kNaN);
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb;
    if (!model.consistent(b)) continue;
    const int x = static_cast<int>(s / nb);
    double v = 0.0;
    for (int a = 0; a < nf; ++a) {
      v += fit.h_tilde[x * nf + a] * spin(b, free[a]);
      for (int c = a + 1; c < nf; ++c) v += fit.J[a * nf + c] * spin(b, free[a]) * spin(b, free[c]);
    }
    w[s] = v;
  }
  std::vector<char> all(N, 0);
  for (std::uint64_t s = 0; s < N; ++s) all[s] = model.consistent(s % nb);
  detail::rewards_from_w(model, w, prior, lambda, all, out);
  out.target = out.reward;
  // h(x) = T^{-1} h_tilde(x) per neuron: the fields of v (m x n, h[x * n + i]; n entries for m = 1).
  out.h.assign(static_cast<std::size_t>(m) * model.n, 0.0);
  {
    Eigen::MatrixXd T(m, m), Ht(m, nf);
    for (int x = 0; x < m; ++x) {
      for (int y = 0; y < m; ++y) T(x, y) = model.input(x, y);
      for (int a = 0; a < nf; ++a) Ht(x, a) = fit.h_tilde[x * nf + a];
    }
    const Eigen::MatrixXd H = T.completeOrthogonalDecomposition().solve(Ht);
    for (int x = 0; x < m; ++x)
      for (int a = 0; a < nf; ++a) out.h[static_cast<std::size_t>(x) * model.n + free[a]] = H(x, a);
  }

  // The reward model, fitted per input value (with an input the reward is identified up to a
  // function of x, so each input's block has its own constant, or its own gain in the LP).
  out.reward.assign(N, kNaN);
  for (int x = 0; x < m; ++x) {
    const std::uint64_t base = static_cast<std::uint64_t>(x) * nb;
    std::vector<std::uint64_t> seen;
    std::vector<double> weight;
    double block = 0.0;
    for (std::uint64_t b = 0; b < nb; ++b)
      if (model.consistent(b) && data.visits[base + b] > 0.0) {
        seen.push_back(b);
        weight.push_back(data.visits[base + b]);
        block += data.visits[base + b];
      }
    if (seen.empty()) continue;  // an input never observed: its rewards stay missing
    for (double& v : weight) v /= block;
    fit_reward_block(model, free, seen, weight, &out.target[base], reward_model, &out.reward[base], out.notes,
                     m == 1 ? std::string() : " (x = " + std::to_string(x) + ")");
  }
  out.missing = 0;
  for (std::uint64_t s = 0; s < N; ++s)
    if (model.consistent(s % nb) && !std::isfinite(out.reward[s])) ++out.missing;
  center_per_block(out.reward, out.weights, nb);
  center_per_block(out.target, out.weights, nb);
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
