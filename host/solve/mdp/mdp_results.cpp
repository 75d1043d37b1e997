// The MDP solver's unichain check, its results and its entry point (mdp_batch.hpp).
#include <cmath>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "solve/mdp/mdp_batch.hpp"
#include "solve/mdp_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace mdp::detail {

template <class Real>
void MdpBatch<Real>::check_unichain(int q, std::uint64_t zero_actions) const {
  if (zero_actions == 0) return;
  std::vector<double> pi;
  engine_->download_policy(q, &pi);
  const int A = mdp_.num_actions;
  CsrGraph g;
  g.row_ptr.reserve(static_cast<std::size_t>(mdp_.num_states) + 1);
  for (int s = 0; s < mdp_.num_states; ++s) {
    for (int a = 0; a < A; ++a) {
      if (!(pi[static_cast<std::size_t>(mdp_.row(s, a))] > 0.0)) continue;
      for (std::int64_t e = mdp_.row_ptr[mdp_.row(s, a)]; e < mdp_.row_ptr[mdp_.row(s, a) + 1]; ++e)
        if (mdp_.probability[e] > 0.0) g.col.push_back(mdp_.next_state[e]);
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  const std::int64_t closed = count_closed_classes(g);
  if (closed == 1) return;
  std::ostringstream os;
  os << "the greedy policy at lambda = " << lambdas_[static_cast<std::size_t>(q)] << " is not unichain: "
     << zero_actions << " action probabilities underflowed to 0 in " << to_string(opt_.precision)
     << " and its chain has " << closed << " closed classes; use a larger lambda"
     << (opt_.precision == Precision::float32 ? " or float64" : "");
  throw NumericalError(os.str());
}

template <class Real>
void MdpBatch<Real>::dense_chain(int q, std::vector<double>* P) const {
  std::vector<double> pi;
  engine_->download_policy(q, &pi);
  const auto S = static_cast<std::size_t>(mdp_.num_states);
  P->assign(S * S, 0.0);
  for (int s = 0; s < mdp_.num_states; ++s)
    for (int a = 0; a < mdp_.num_actions; ++a) {
      const double w = pi[static_cast<std::size_t>(mdp_.row(s, a))];
      for (std::int64_t e = mdp_.row_ptr[mdp_.row(s, a)]; e < mdp_.row_ptr[mdp_.row(s, a) + 1]; ++e)
        (*P)[static_cast<std::size_t>(s) * S + static_cast<std::size_t>(mdp_.next_state[e])] += w * probability_[e];
    }
}

template <class Real>
void MdpBatch<Real>::finish(int q) {
  MdpTrack& t = tracks_[static_cast<std::size_t>(q)];
  SolveResult& res = t.result;
  soft::stamp_result(res, cuda_, opt_);
  res.states = static_cast<std::uint64_t>(mdp_.num_states);
  res.prior = t.prior;
  res.degenerate.clear();
  for (std::size_t a = 0; a < t.prior.size() && t.prior.size() > 1; ++a) {
    if (soft::degenerate_prior(t.prior[a], a < t.clipped.size() && t.clipped[a], opt_.prior_eps)) {
      res.degenerate.push_back(static_cast<int>(a));
    }
  }
  // Policy iteration and dense solves: the last exact solves of the final greedy policy.
  const bool exact_solves = policy_ || iterations_->dense();
  if (exact_solves && res.matvecs > 0) res.krylov_residual = std::max(t.mu_residual, t.v_residual);
  const soft::FinalSolution f = soft::final_solution(*engine_, q, t, exact_solves);
  res.values.resize(f.v.size());
  res.stationary.resize(f.v.size());
  for (std::size_t s = 0; s < f.v.size(); ++s) {
    res.values[s] = f.v[s] - f.shift;
    res.stationary[s] = f.mu[s] / f.mass;
  }
}

template void MdpBatch<double>::check_unichain(int q, std::uint64_t zero_actions) const;
template void MdpBatch<float>::check_unichain(int q, std::uint64_t zero_actions) const;
template void MdpBatch<double>::dense_chain(int q, std::vector<double>* P) const;
template void MdpBatch<float>::dense_chain(int q, std::vector<double>* P) const;
template void MdpBatch<double>::finish(int q);
template void MdpBatch<float>::finish(int q);

}  NETRL_NAMESPACE_END  // namespace netrl::mdp::detail

NETRL_NAMESPACE_BEGIN namespace mdp {

std::vector<SolveResult> solve_batch(const Mdp& mdp, const std::vector<double>& lambdas,
                                     const SolverOptions& options) {
  soft::require_kernels_backend(options, "the MDP solver on the kernels");
  options.validate();
  if (lambdas.empty()) throw InvalidInput("lambdas", "the batch is empty");
  for (std::size_t q = 0; q < lambdas.size(); ++q) {
    if (!std::isfinite(lambdas[q]) || lambdas[q] <= 0.0) {
      std::ostringstream os;
      os << "the coding-cost weight lambda = " << lambdas[q] << " must be finite and > 0";
      throw InvalidInput(lambdas.size() == 1 ? std::string("lambda") : "lambdas[" + std::to_string(q) + "]", os.str());
    }
  }
  if (options.method == Method::policy_iteration && options.precision != Precision::float64) {
    throw InvalidInput("solver.precision",
                       std::string("policy_iteration on the \"") + to_string(options.backend) +
                           "\" backend runs in float64 only (its Krylov solves need float64 matrix-vector "
                           "products); use \"float64\", or \"value_iteration\" for float32");
  }
  mdp.validate("mdp");
  if (mdp.num_states * static_cast<std::int64_t>(mdp.num_actions) > kernels::kMaxMdpRows) {
    throw InvalidInput("mdp.num_states", "states x actions = " +
                                             std::to_string(mdp.num_states * static_cast<std::int64_t>(mdp.num_actions)) +
                                             " exceeds the limit " + std::to_string(kernels::kMaxMdpRows));
  }
  return soft::run_batch<detail::MdpBatch>(options, mdp, lambdas, options);
}

}  NETRL_NAMESPACE_END  // namespace netrl::mdp
