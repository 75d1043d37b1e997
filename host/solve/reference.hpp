#pragma once
// The reference backend: the oracle every kernel is checked against. Plain float64 code over
// explicit Eigen matrices, independent of the kernels (no pair sweeps, no GEMM of the input).
//
// Both the maze and the network are cast as one "multi-agent soft MDP" over the consistent states:
// G agents, each with A actions, own priors p_g(a) and action kernels P_{g,a} (N x N). At each
// step one agent is picked uniformly and acts. The soft Bellman operator (MODEL.md eq. 20/36) is
//   (T h)(s) = r(s) + lambda * sum_g log sum_a p_g(a) exp(q_{g,a}(s) / (G lambda)),
//   q_{g,a} = P_{g,a} h,
// the greedy policy is pi_g(a|s) = p_g(a) exp(q_{g,a}/(G lambda)) / Z_g(s), the chain is
// P = (1/G) sum_{g,a} diag(pi_g(.|a)) P_{g,a}, and the cost c = sum_g KL[pi_g(.|s) || p_g].
// The maze is G = 1, A = 4. The network is one agent per free neuron (A = 2: 0 silent,
// 1 spike), P_{i,a}(s, s') = T(x'|x) [b' = b with bit i set to a]; G lambda = nf lambda.
#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <cstdint>
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace reference {

/// Size limits of the reference backend (it forms explicit matrices).
constexpr int kMaxNeurons = 12;
constexpr int kMaxInputs = 8;

using SparseMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor>;

struct SoftProblem {
  Eigen::Index num_states = 0;
  int num_agents = 0;   // G
  int num_actions = 0;  // A
  double lambda = 0.0;
  Eigen::VectorXd reward;
  /// action_kernel[g * A + a] = P_{g,a}.
  std::vector<SparseMatrix> action_kernel;
  /// Population mode: all agents share one prior p (A = 2), re-estimated as the agents' mean.
  bool shared_prior = false;
  /// Networks: each agent's binary prior is reported as p_g(1) and a clipped agent by its index
  /// g. General MDPs (false) report the whole prior p(a) and the clipped actions a, whatever A.
  bool binary_agents = false;
};

/// The problem over the consistent states of a network; `states` receives their joint indices
/// s = x * 2^n + b in increasing order. Throws InvalidInput beyond kMaxNeurons / kMaxInputs.
SoftProblem make_problem(const NetworkModel& model, std::vector<std::uint64_t>* states);
SoftProblem make_problem(const Mdp& mdp, double lambda);

struct Greedy {
  std::vector<Eigen::VectorXd> policy;  // policy[g * A + a](s) = pi_g(a|s)
  Eigen::VectorXd backup;               // (T h)(s)
  Eigen::VectorXd cost;                 // c(s)
};

/// prior(g, a) = p_g(a).
Greedy greedy(const SoftProblem& problem, const Eigen::VectorXd& h, const Eigen::MatrixXd& prior);
/// The chain P under a policy.
SparseMatrix chain(const SoftProblem& problem, const Greedy& greedy);
/// mu with mu P = mu, sum mu = 1; NumericalError if the chain is not unichain.
Eigen::VectorXd stationary(const SparseMatrix& P);

struct Evaluation {
  Eigen::VectorXd values;  // sum mu v = 0
  double gain = 0.0;
};
/// Solves (I - P) v + L 1 = g, sum mu v = 0 (the bordered system).
Evaluation evaluate(const SparseMatrix& P, const Eigen::VectorXd& g, const Eigen::VectorXd& mu);

/// The solver over a soft problem: inner solve (value or policy iteration) inside the prior loop.
/// `initial_prior` is G x A. Result vectors are over the problem's states.
SolveResult solve(const SoftProblem& problem, const Eigen::MatrixXd& initial_prior,
                  const SolverOptions& options);

/// Full solves with outputs over the full state space (MODEL.md, result.json contract).
SolveResult solve(const NetworkModel& model, const SolverOptions& options);
SolveResult solve(const Mdp& mdp, double lambda, const SolverOptions& options);

}  NETRL_NAMESPACE_END  // namespace netrl::reference
