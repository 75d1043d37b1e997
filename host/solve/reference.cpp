#include "solve/reference.hpp"

#include <Eigen/SparseLU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace reference {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Triplet = Eigen::Triplet<double>;

/// Systems up to this size are solved densely, larger ones with sparse LU.
constexpr Index kDenseLimit = 1024;

VectorXd solve_linear(const std::vector<Triplet>& entries, Index size, const VectorXd& rhs,
                      const char* what) {
  VectorXd x;
  if (size <= kDenseLimit) {
    MatrixXd a = MatrixXd::Zero(size, size);
    for (const auto& t : entries) a(t.row(), t.col()) += t.value();
    // Partial pivoting cannot see singularity: callers check the residual of the solution.
    x = Eigen::PartialPivLU<MatrixXd>(a).solve(rhs);
  } else {
    Eigen::SparseMatrix<double> a(size, size);
    a.setFromTriplets(entries.begin(), entries.end());
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(a);
    if (lu.info() != Eigen::Success) {
      throw NumericalError(std::string(what) +
                           ": singular system; the chain under the policy is not unichain");
    }
    x = lu.solve(rhs);
  }
  if (!x.allFinite()) throw NumericalError(std::string(what) + ": solution is not finite");
  return x;
}

double span_lo(const VectorXd& d) { return d.minCoeff(); }
double span_hi(const VectorXd& d) { return d.maxCoeff(); }

struct InnerResult {
  std::int64_t iterations = 0;
  bool converged = false;
  double lo = 0.0, hi = 0.0;
  std::string note;  // why it stopped without converging
};

/// The span of T h - h never increases under relative value iteration (T is non-expansive in the
/// span seminorm), so once it has not reached a new minimum for this many sweeps it is sitting on
/// the rounding floor above `tol` and further sweeps cannot help.
constexpr std::int64_t kStallSweeps = 20000;

/// Records iteration `it`'s span bounds of T h - h in `res`; true (converged) when the span is
/// below tol. Non-finite values are an error of `what`.
bool span_test(const Greedy& g, const VectorXd& h, std::int64_t it, double tol, const char* what, InnerResult* res) {
  const VectorXd diff = g.backup - h;
  if (!diff.allFinite()) throw NumericalError(std::string(what) + ": the values became non-finite" + kNonFiniteHint);
  res->iterations = it;
  res->lo = span_lo(diff);
  res->hi = span_hi(diff);
  res->converged = res->hi - res->lo < tol;
  return res->converged;
}

/// Soft relative value iteration: h <- T h - (T h)(0) until span(T h - h) < tol. On return the
/// bounds are those of the final h (not updated after the convergence test).
InnerResult value_iteration(const SoftProblem& pb, const MatrixXd& prior, VectorXd& h,
                            const SolverOptions& opt) {
  InnerResult res;
  double best_span = std::numeric_limits<double>::infinity();
  std::int64_t best_at = 0;
  for (std::int64_t it = 1; it <= opt.max_iterations; ++it) {
    const Greedy g = greedy(pb, h, prior);
    if (span_test(g, h, it, opt.tol, "value iteration", &res)) return res;
    if (res.hi - res.lo < best_span) {
      best_span = res.hi - res.lo;
      best_at = it;
    } else if (it - best_at >= kStallSweeps) {
      std::ostringstream os;
      os << "value iteration stalled at span " << best_span << " > tol " << opt.tol
         << " for " << kStallSweeps << " sweeps (rounding floor); loosen solver.tol or use policy_iteration";
      res.note = os.str();
      return res;
    }
    h = g.backup.array() - g.backup(0);
  }
  res.note = "inner solve reached solver.max_iterations";
  return res;
}

/// Soft policy iteration: evaluate the greedy policy of h exactly, until span(T h - h) < tol.
InnerResult policy_iteration(const SoftProblem& pb, const MatrixXd& prior, VectorXd& h,
                             const SolverOptions& opt) {
  InnerResult res;
  for (std::int64_t it = 1; it <= opt.max_iterations; ++it) {
    const Greedy g = greedy(pb, h, prior);
    if (span_test(g, h, it, opt.tol, "policy iteration", &res)) return res;
    const SparseMatrix P = chain(pb, g);
    const VectorXd mu = stationary(P);
    h = evaluate(P, pb.reward - pb.lambda * g.cost, mu).values;
  }
  res.note = "inner solve reached solver.max_iterations";
  return res;
}

/// p'_g(a) = sum_s mu(s) pi_g(a|s); shared mode averages p'_g(1) over agents; clip to
/// [eps, 1 - eps] (renormalising for A > 2). `clipped` receives the agents (A = 2) or actions.
MatrixXd update_prior(const SoftProblem& pb, const Greedy& g, const VectorXd& mu, double eps,
                      std::vector<int>* clipped) {
  const int G = pb.num_agents, A = pb.num_actions;
  MatrixXd p(G, A);
  for (int k = 0; k < G; ++k)
    for (int a = 0; a < A; ++a) p(k, a) = mu.dot(g.policy[k * A + a]);
  if (pb.shared_prior) {
    const double mean = p.col(1).mean();
    p.col(1).setConstant(mean);
    p.col(0).setConstant(1.0 - mean);
  }
  clipped->clear();
  for (int k = 0; k < G; ++k) {
    bool hit = false;
    for (int a = 0; a < A; ++a) {
      if (p(k, a) < eps || p(k, a) > 1.0 - eps) {
        p(k, a) = std::clamp(p(k, a), eps, 1.0 - eps);
        hit = true;
        if (!pb.binary_agents) clipped->push_back(a);
      }
    }
    if (A == 2) {
      p(k, 0) = 1.0 - p(k, 1);
      if (hit && pb.binary_agents) clipped->push_back(k);
    } else {
      p.row(k) /= p.row(k).sum();
    }
  }
  return p;
}

}  // namespace

Greedy greedy(const SoftProblem& pb, const VectorXd& h, const MatrixXd& prior) {
  const int G = pb.num_agents, A = pb.num_actions;
  const Index N = pb.num_states;
  const double temperature = G * pb.lambda;
  Greedy g;
  g.backup = pb.reward;
  g.cost = VectorXd::Zero(N);
  g.policy.assign(static_cast<std::size_t>(G) * A, VectorXd(N));
  std::vector<VectorXd> q(A);
  VectorXd z(A);
  for (int k = 0; k < G; ++k) {
    for (int a = 0; a < A; ++a) q[a] = pb.action_kernel[k * A + a] * h;
    for (Index s = 0; s < N; ++s) {
      for (int a = 0; a < A; ++a) z(a) = std::log(prior(k, a)) + q[a](s) / temperature;
      const double zmax = z.maxCoeff();
      const double sum = (z.array() - zmax).exp().sum(), log_sum = std::log(sum);
      g.backup(s) += pb.lambda * (zmax + log_sum);
      for (int a = 0; a < A; ++a) {
        // Relative to zmax: at a tiny lambda z reaches 1e17 and more, where zmax + log sum rounds
        // to zmax (rows of ties summed to their count, and the coding cost was wrong).
        const double pi = std::exp(z(a) - zmax) / sum;
        g.policy[k * A + a](s) = pi;
        // log(pi / p) = (z - zmax) - log sum - log p, finite even where pi underflows.
        g.cost(s) += pi * ((z(a) - zmax) - log_sum - std::log(prior(k, a)));
      }
    }
  }
  return g;
}

SparseMatrix chain(const SoftProblem& pb, const Greedy& g) {
  const int G = pb.num_agents, A = pb.num_actions;
  SparseMatrix P(pb.num_states, pb.num_states);
  for (int k = 0; k < G; ++k)
    for (int a = 0; a < A; ++a) {
      const SparseMatrix term = g.policy[k * A + a].asDiagonal() * pb.action_kernel[k * A + a];
      P += term;
    }
  P /= static_cast<double>(G);
  return P;
}

VectorXd stationary(const SparseMatrix& P) {
  // mu^T (I - P) = 0 is (I - P)^T mu = 0; replace its first equation by sum mu = 1.
  const Index N = P.rows();
  std::vector<Triplet> entries;
  entries.reserve(P.nonZeros() + 2 * N);
  for (Index s = 0; s < N; ++s) {
    if (s != 0) entries.emplace_back(s, s, 1.0);
    entries.emplace_back(0, s, 1.0);
  }
  for (Index s = 0; s < N; ++s)
    for (SparseMatrix::InnerIterator it(P, s); it; ++it)
      if (it.col() != 0) entries.emplace_back(it.col(), s, -it.value());
  VectorXd rhs = VectorXd::Zero(N);
  rhs(0) = 1.0;
  VectorXd mu = solve_linear(entries, N, rhs, "stationary distribution");
  const double residual = (mu.transpose() * P - mu.transpose()).cwiseAbs().maxCoeff();
  if (mu.minCoeff() < -1e-9 || residual > 1e-9) {
    std::ostringstream os;
    os << "stationary distribution: residual " << residual << ", min entry " << mu.minCoeff()
       << "; the chain under the policy is not unichain";
    throw NumericalError(os.str());
  }
  return mu.cwiseMax(0.0) / mu.cwiseMax(0.0).sum();
}

Evaluation evaluate(const SparseMatrix& P, const VectorXd& g, const VectorXd& mu) {
  // [ I - P  1 ] [v]   [g]
  // [ mu^T   0 ] [L] = [0]
  const Index N = P.rows();
  std::vector<Triplet> entries;
  entries.reserve(P.nonZeros() + 3 * N);
  for (Index s = 0; s < N; ++s) {
    entries.emplace_back(s, s, 1.0);
    entries.emplace_back(s, N, 1.0);
    entries.emplace_back(N, s, mu(s));
    for (SparseMatrix::InnerIterator it(P, s); it; ++it) entries.emplace_back(s, it.col(), -it.value());
  }
  VectorXd rhs(N + 1);
  rhs.head(N) = g;
  rhs(N) = 0.0;
  const VectorXd x = solve_linear(entries, N + 1, rhs, "policy evaluation");
  const VectorXd v = x.head(N);
  const double residual = (v - P * v + VectorXd::Constant(N, x(N)) - g).cwiseAbs().maxCoeff();
  if (residual > 1e-8 * (1.0 + g.cwiseAbs().maxCoeff())) {
    std::ostringstream os;
    os << "policy evaluation: residual " << residual << "; the chain under the policy is not unichain";
    throw NumericalError(os.str());
  }
  return {v, x(N)};
}

SolveResult solve(const SoftProblem& pb, const MatrixXd& initial_prior, const SolverOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  SolveResult res;
  res.backend = "reference";
  res.precision = "float64";
  res.method = to_string(opt.method);
  res.states = static_cast<std::uint64_t>(pb.num_states);
  MatrixXd prior = initial_prior;
  VectorXd h = VectorXd::Zero(pb.num_states);
  std::vector<int> clipped;
  bool inner_ok = true;
  for (std::int64_t outer = 1; outer <= opt.max_outer_iterations; ++outer) {
    const InnerResult inner = opt.method == Method::value_iteration
                                  ? value_iteration(pb, prior, h, opt)
                                  : policy_iteration(pb, prior, h, opt);
    res.inner_iterations += inner.iterations;
    res.outer_iterations = outer;
    inner_ok = inner.converged;
    res.note = inner.note;
    const Greedy g = greedy(pb, h, prior);
    const SparseMatrix P = chain(pb, g);
    const VectorXd mu = stationary(P);
    const Evaluation ev = evaluate(P, pb.reward - pb.lambda * g.cost, mu);
    res.gain = ev.gain;
    res.gain_lo = inner.lo;
    res.gain_hi = inner.hi;
    res.mean_reward = mu.dot(pb.reward);
    res.mean_coding_cost = mu.dot(g.cost);
    res.values.assign(ev.values.data(), ev.values.data() + ev.values.size());
    res.stationary.assign(mu.data(), mu.data() + mu.size());
    res.gain_history.push_back(ev.gain);
    // Report the prior these results belong to; the loop stops once the update is below prior_tol.
    res.prior.clear();
    if (pb.binary_agents) {
      for (int k = 0; k < pb.num_agents; ++k) res.prior.push_back(prior(k, 1));
    } else {
      for (int a = 0; a < pb.num_actions; ++a) res.prior.push_back(prior(0, a));
    }
    res.degenerate = clipped;
    if (!inner_ok) break;
    std::vector<int> next_clipped;
    const MatrixXd next = update_prior(pb, g, mu, opt.prior_eps, &next_clipped);
    const double change = (next - prior).cwiseAbs().maxCoeff();
    prior = next;
    clipped = next_clipped;
    if (change < opt.prior_tol) {
      res.converged = true;
      break;
    }
  }
  if (!res.converged && res.note.empty()) res.note = "prior loop reached solver.max_outer_iterations";
  res.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

SoftProblem make_problem(const NetworkModel& model, std::vector<std::uint64_t>* states) {
  model.validate();
  if (model.n > kMaxNeurons) {
    throw InvalidInput("n", "n = " + std::to_string(model.n) + " exceeds the reference backend's limit of " +
                                std::to_string(kMaxNeurons) +
                                "; use \"backend\": \"host\" (or \"cuda\") for larger networks");
  }
  if (model.m() > kMaxInputs) {
    throw InvalidInput("input.T", "m = " + std::to_string(model.m()) +
                                      " exceeds the reference backend's limit of " +
                                      std::to_string(kMaxInputs) +
                                      "; use \"backend\": \"host\" (or \"cuda\")");
  }
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  std::vector<std::int64_t> index(model.num_states(), -1);
  states->clear();
  for (int x = 0; x < m; ++x)
    for (std::uint64_t b = 0; b < nb; ++b)
      if (model.consistent(b)) {
        index[x * nb + b] = static_cast<std::int64_t>(states->size());
        states->push_back(x * nb + b);
      }
  SoftProblem pb;
  pb.num_states = static_cast<Index>(states->size());
  pb.lambda = model.lambda;
  pb.num_actions = 2;
  pb.binary_agents = true;
  pb.shared_prior = model.prior_mode == PriorMode::population;
  const auto free = model.free_neurons();
  pb.num_agents = static_cast<int>(free.size());
  pb.reward.resize(pb.num_states);
  const auto r = model.reward.tabulate(n, m);
  for (Index k = 0; k < pb.num_states; ++k) pb.reward(k) = r[(*states)[k]];
  for (int i : free) {
    for (int a = 0; a < 2; ++a) {
      std::vector<Triplet> entries;
      for (Index k = 0; k < pb.num_states; ++k) {
        const std::uint64_t s = (*states)[k];
        const int x = static_cast<int>(s / nb);
        const std::uint64_t b = s % nb;
        const std::uint64_t bnext = a ? (b | (std::uint64_t{1} << i)) : (b & ~(std::uint64_t{1} << i));
        for (int xp = 0; xp < m; ++xp) {
          const double t = model.input(x, xp);
          if (t > 0.0) entries.emplace_back(k, index[xp * nb + bnext], t);
        }
      }
      SparseMatrix K(pb.num_states, pb.num_states);
      K.setFromTriplets(entries.begin(), entries.end());
      pb.action_kernel.push_back(std::move(K));
    }
  }
  (void)n;
  return pb;
}

SoftProblem make_problem(const Mdp& mdp, double lambda) {
  mdp.validate();
  validate_lambda(lambda);
  SoftProblem pb;
  pb.num_states = mdp.num_states;
  pb.num_agents = 1;
  pb.num_actions = mdp.num_actions;
  pb.lambda = lambda;
  pb.reward = Eigen::Map<const VectorXd>(mdp.reward.data(), mdp.num_states);
  for (int a = 0; a < mdp.num_actions; ++a) {
    std::vector<Triplet> entries;
    for (int s = 0; s < mdp.num_states; ++s)
      for (std::int64_t e = mdp.row_ptr[mdp.row(s, a)]; e < mdp.row_ptr[mdp.row(s, a) + 1]; ++e)
        entries.emplace_back(s, mdp.next_state[e], mdp.probability[e]);
    SparseMatrix K(mdp.num_states, mdp.num_states);
    K.setFromTriplets(entries.begin(), entries.end());
    pb.action_kernel.push_back(std::move(K));
  }
  return pb;
}

SolveResult solve(const NetworkModel& model, const SolverOptions& opt) {
  opt.validate();
  std::vector<std::uint64_t> states;
  const SoftProblem pb = make_problem(model, &states);
  MatrixXd prior(pb.num_agents, 2);
  prior.col(0).setConstant(1.0 - opt.p0);
  prior.col(1).setConstant(opt.p0);
  SolveResult res = solve(pb, prior, opt);

  const auto free = model.free_neurons();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> prior_by_neuron(model.n, nan);
  for (std::size_t k = 0; k < free.size(); ++k) prior_by_neuron[free[k]] = res.prior[k];
  res.prior = prior_by_neuron;
  for (int& d : res.degenerate) d = free[d];

  std::vector<double> values(model.num_states(), nan), mu(model.num_states(), 0.0);
  for (std::size_t k = 0; k < states.size(); ++k) {
    values[states[k]] = res.values[k];
    mu[states[k]] = res.stationary[k];
  }
  res.values = std::move(values);
  res.stationary = std::move(mu);

  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  res.spike_count_rows = n + 1;
  res.spike_count_cols = m;
  res.spike_count.assign(static_cast<std::size_t>(n + 1) * m, 0.0);
  for (int x = 0; x < m; ++x) {
    double mass = 0.0;
    for (std::uint64_t b = 0; b < nb; ++b) {
      res.spike_count[popcount64(b) * m + x] += res.stationary[x * nb + b];
      mass += res.stationary[x * nb + b];
    }
    for (int K = 0; K <= n; ++K) res.spike_count[K * m + x] = mass > 0.0 ? res.spike_count[K * m + x] / mass : nan;
  }
  return res;
}

SolveResult solve(const Mdp& mdp, double lambda, const SolverOptions& opt) {
  opt.validate();
  const SoftProblem pb = make_problem(mdp, lambda);
  MatrixXd prior = MatrixXd::Constant(1, mdp.num_actions, 1.0 / mdp.num_actions);
  return solve(pb, prior, opt);
}

}  NETRL_NAMESPACE_END  // namespace netrl::reference
