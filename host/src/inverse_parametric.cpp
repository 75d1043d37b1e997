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
#include "netrl/host/inverse.hpp"
#include "netrl/host/inverse_detail.hpp"

namespace netrl::inverse {

using detail::log_add_exp;
using detail::log_sigmoid;
using detail::logit;
using detail::sigmoid;

const char* to_string(RewardModel model) {
  switch (model) {
    case RewardModel::table: return "table";
    case RewardModel::pairwise: return "pairwise";
    case RewardModel::global: return "global";
    case RewardModel::sparse: return "sparse";
  }
  return "?";
}

RewardModel parse_reward_model(const std::string& name, const std::string& field) {
  if (name == "table") return RewardModel::table;
  if (name == "pairwise") return RewardModel::pairwise;
  if (name == "global") return RewardModel::global;
  if (name == "sparse") return RewardModel::sparse;
  throw InvalidInput(field, "unknown reward model \"" + name + "\" (known: table, pairwise, global, sparse)");
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

NetworkInverse parametric(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options) {
  if (model.m() != 1) {
    throw InvalidInput("method", "the parametric inverse is implemented for networks without input (m = 1); "
                                 "use \"ml\" with an input");
  }
  if (model.n > kMaxParametricNeurons) {
    throw InvalidInput("n", "the parametric inverse tabulates 2^n states; n = " + std::to_string(model.n) +
                                " exceeds its limit " + std::to_string(kMaxParametricNeurons));
  }
  if (data.visits.size() != model.num_states()) throw InvalidInput("data", "observations do not match the model");
  if (!(std::isfinite(lambda) && lambda > 0.0)) throw InvalidInput("lambda", "lambda must be finite and > 0");
  const std::uint64_t nb = model.num_network_states();
  const auto free = model.free_neurons();
  const int nf = static_cast<int>(free.size());
  const double temperature = nf * lambda;
  const double coupling = 2.0 / temperature;  // z_i = coupling (h_i + sum_j J_ij sigma_j) + logit p_i

  // Distinct observed states with normalised weights.
  std::vector<std::uint64_t> seen;
  std::vector<double> weight;
  double total = 0.0;
  for (std::uint64_t b = 0; b < nb; ++b)
    if (model.consistent(b) && data.visits[b] > 0.0) {
      seen.push_back(b);
      weight.push_back(data.visits[b]);
      total += data.visits[b];
    }
  if (seen.empty()) throw InvalidInput("data", "no observations");
  for (double& w : weight) w /= total;

  // Parameters theta = (h over free neurons, J over free pairs a < c).
  const int H = nf, P = nf + nf * (nf - 1) / 2;
  std::vector<int> pair_index(static_cast<std::size_t>(nf) * nf, -1);
  for (int a = 0, k = H; a < nf; ++a)
    for (int c = a + 1; c < nf; ++c, ++k) pair_index[a * nf + c] = pair_index[c * nf + a] = k;
  std::vector<double> logit_p(nf);
  for (int a = 0; a < nf; ++a) logit_p[a] = logit(prior[free[a]]);
  const double ridge = data.exact ? 0.0 : options.ridge / total;

  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    grad.setZero(P);
    double f = 0.0;
    std::vector<double> sg(nf);
    for (std::size_t k = 0; k < seen.size(); ++k) {
      const std::uint64_t b = seen[k];
      for (int a = 0; a < nf; ++a) sg[a] = spin(b, free[a]);
      for (int a = 0; a < nf; ++a) {
        double field = th(a);
        for (int c = 0; c < nf; ++c)
          if (c != a) field += th(pair_index[a * nf + c]) * sg[c];
        const double z = coupling * field + logit_p[a];
        f -= weight[k] * log_sigmoid(sg[a] * z);
        // d/dz of -log sigmoid(s z) = -s (1 - sigmoid(s z))
        const double gz = -weight[k] * sg[a] * sigmoid(-sg[a] * z) * coupling;
        grad(a) += gz;
        for (int c = 0; c < nf; ++c)
          if (c != a) grad(pair_index[a * nf + c]) += gz * sg[c];
      }
    }
    if (ridge > 0.0) {
      f += 0.5 * ridge * th.squaredNorm();
      grad += ridge * th;
    }
    return f;
  };
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(P);
  const detail::MinimizeReport rep = detail::minimize(objective, theta, options.max_iterations, options.tolerance);

  NetworkInverse out;
  out.method = std::string("parametric/") + to_string(reward_model);
  out.lambda = lambda;
  out.prior = prior;
  out.iterations = rep.iterations;
  out.evaluations = rep.evaluations;
  out.objective = rep.value;
  out.gradient_norm = rep.gradient_norm;
  out.converged = rep.converged;
  if (!rep.converged) out.notes.push_back("pseudo-likelihood: " + rep.stop);
  out.J.assign(static_cast<std::size_t>(model.n) * model.n, 0.0);
  out.h.assign(model.n, 0.0);
  for (int a = 0; a < nf; ++a) {
    out.h[free[a]] = theta(a);
    for (int c = 0; c < nf; ++c)
      if (c != a) out.J[free[a] * model.n + free[c]] = theta(pair_index[a * nf + c]);
  }

  // v_phi and the target rhat_phi over all consistent states.
  out.values.assign(nb, kNaN);
  for (std::uint64_t b = 0; b < nb; ++b) {
    if (!model.consistent(b)) continue;
    double v = 0.0;
    for (int a = 0; a < nf; ++a) {
      v += theta(a) * spin(b, free[a]);
      for (int c = a + 1; c < nf; ++c) v += theta(pair_index[a * nf + c]) * spin(b, free[a]) * spin(b, free[c]);
    }
    out.values[b] = v;
  }
  out.target.assign(nb, kNaN);
  for (std::uint64_t b = 0; b < nb; ++b) {
    if (!model.consistent(b)) continue;
    double acc = 0.0;
    for (int i : free) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      acc += log_add_exp(std::log(prior[i]) + out.values[b | bit] / temperature,
                         std::log1p(-prior[i]) + out.values[b & ~bit] / temperature);
    }
    out.target[b] = out.values[b] - lambda * acc;
  }

  out.weights.assign(nb, 0.0);
  for (std::size_t k = 0; k < seen.size(); ++k) out.weights[seen[k]] = weight[k];
  out.reward.assign(nb, kNaN);

  if (reward_model == RewardModel::table) {
    out.reward = out.target;
  } else if (reward_model == RewardModel::pairwise || reward_model == RewardModel::global) {
    // <f g^T>_D theta = <f rhat>_D, in the least-squares sense (minimum norm when underdetermined).
    const int F = static_cast<int>(features(0, free).size());
    const int G = static_cast<int>(reward_basis(0, free, reward_model).size());
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(F, G);
    Eigen::VectorXd y = Eigen::VectorXd::Zero(F);
    for (std::size_t k = 0; k < seen.size(); ++k) {
      const auto f = features(seen[k], free);
      const auto g = reward_basis(seen[k], free, reward_model);
      for (int a = 0; a < F; ++a) {
        y(a) += weight[k] * f[a] * out.target[seen[k]];
        for (int c = 0; c < G; ++c) M(a, c) += weight[k] * f[a] * g[c];
      }
    }
    const Eigen::VectorXd coef = M.completeOrthogonalDecomposition().solve(y);
    for (std::uint64_t b = 0; b < nb; ++b) {
      if (!model.consistent(b)) continue;
      const auto g = reward_basis(b, free, reward_model);
      double r = 0.0;
      for (int c = 0; c < G; ++c) r += coef(c) * g[c];
      out.reward[b] = r;
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
        rhs[a] += weight[k] * fv[k][a] * out.target[seen[k]];
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
      throw NumericalError("sparse reward model: the linear program was not solved to optimality (CLP status " +
                           std::to_string(lp.status()) + ", secondary " + std::to_string(lp.secondaryStatus()) + ")");
    }
    const double* x = lp.primalColumnSolution();
    for (int k = 0; k < V; ++k) out.reward[seen[k]] = std::max(x[k], 0.0);
    std::ostringstream os;
    os << "sparse reward model: linear program with " << V << " state rewards and " << F
       << " moment constraints solved by CLP, objective " << lp.objectiveValue() << ", estimated gain " << x[V];
    out.notes.push_back(os.str());
  }
  for (std::uint64_t b = 0; b < nb; ++b)
    if (model.consistent(b) && !std::isfinite(out.reward[b])) ++out.missing;
  center_per_block(out.reward, out.weights, nb);
  center_per_block(out.target, out.weights, nb);
  return out;
}

}  // namespace netrl::inverse
