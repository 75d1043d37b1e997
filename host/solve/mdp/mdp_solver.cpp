// The MDP solver's outer loop, uploads, memory check and prior update (mdp_batch.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "solve/mdp/mdp_batch.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace mdp::detail {

template <class Real>
std::vector<SolveResult> MdpBatch<Real>::run() {
  const double start = soft::now_seconds();
  shape_.states = mdp_.num_states;
  shape_.actions = mdp_.num_actions;
  shape_.entries = static_cast<std::int64_t>(mdp_.next_state.size());
  shape_.batch = static_cast<int>(lambdas_.size());
  check_memory();
  engine_ = cuda_ ? kernels::cuda::make_mdp_engine<Real>(shape_) : kernels::host::make_mdp_engine<Real>(shape_);
  upload();

  const std::size_t B = lambdas_.size();
  const auto A = static_cast<std::size_t>(mdp_.num_actions);
  tracks_.resize(B);
  for (std::size_t q = 0; q < B; ++q) {
    tracks_[q].lambda = lambdas_[q];
    tracks_[q].prior.assign(A, 1.0 / static_cast<double>(A));
  }
  const auto states = static_cast<std::uint64_t>(mdp_.num_states);
  iterations_ = std::make_unique<Iterations>(*engine_, tracks_, opt_, states, noise_);
  iterations_->policy_stall = kPolicyStall;
  if (mdp_.num_states <= kDenseStates) {
    iterations_->dense_chain = [this](int q, std::vector<double>* P) { dense_chain(q, P); };
  }
  const Mask all(B, 1);
  engine_->reset_values(all);
  engine_->reset_stationary(all);

  iterations_->prior_loop(policy_, [&] { upload_priors(); }, [&](const Mask& running, std::int64_t outer) {
    std::vector<ActionTotals> totals;
    engine_->action_totals(running, &totals);
    for (std::size_t q = 0; q < B; ++q)
      if (running[q]) update(static_cast<int>(q), totals[q], outer);
  });
  iterations_->final_evaluation(policy_, [&] { upload_priors(); });
  const double elapsed = soft::now_seconds() - start;
  std::vector<SolveResult> results;
  for (std::size_t q = 0; q < B; ++q) {
    finish(static_cast<int>(q));
    tracks_[q].result.elapsed_seconds = elapsed;
    results.push_back(std::move(tracks_[q].result));
  }
  return results;
}

template <class Real>
void MdpBatch<Real>::check_memory() const {
  const auto footprint = kernels::mdp_engine_footprint(shape_, static_cast<int>(sizeof(Real)));
  const auto B = static_cast<double>(shape_.batch), S = static_cast<double>(shape_.states);
  const auto entries = static_cast<double>(shape_.entries);
  const double device = footprint.shared + B * footprint.per_problem;
  // The results (values and stationary distribution per problem), one download buffer, the
  // transposed structure staged on the host while the engine is set up, and the rows scaled to
  // sum 1 (probability_).
  double host = B * S * 2.0 * sizeof(double) + S * 2.0 * sizeof(double) + entries * (16.0 + sizeof(Real));
  if (!cuda_) host += device;
  // Policy iteration, on the host: GMRES's restart + 1 basis vectors and its work vectors, per
  // problem mu and v, and the staging of a batch.
  if (policy_) host += S * sizeof(double) * (linear::KrylovOptions{}.restart + 6.0 + 4.0 * B);
  const double host_avail = 0.9 * static_cast<double>(kernels::host::available_memory());
  const double device_avail = cuda_ ? 0.9 * static_cast<double>(kernels::cuda::available_memory()) : 0.0;
  if (host <= host_avail && (!cuda_ || device <= device_avail)) return;
  const bool on_device = cuda_ && device > device_avail;
  std::ostringstream os;
  os << "the MDP solver (" << (cuda_ ? "cuda" : "host") << ", " << to_string(opt_.precision) << ") needs "
     << gib_text(on_device ? device : host) << " of " << (on_device ? "device" : "host") << " memory for "
     << shape_.states << " states, " << shape_.actions << " actions, " << shape_.entries << " transitions and "
     << shape_.batch << " problem(s) (the transitions twice, by row and by target, "
     << (policy_ ? "policy iteration's Krylov vectors, " : "") << "state and policy arrays per problem), more than the "
     << gib_text(on_device ? device_avail : host_avail) << " available";
  throw InvalidInput("mdp", os.str());
}

template <class Real>
void MdpBatch<Real>::upload() {
  probability_ = mdp_.stochastic_probability();
  engine_->set_transitions(mdp_.row_ptr, mdp_.next_state, probability_);
  const auto B = lambdas_.size();
  std::vector<double> reward;
  reward.reserve(B * mdp_.reward.size());
  for (std::size_t q = 0; q < B; ++q) reward.insert(reward.end(), mdp_.reward.begin(), mdp_.reward.end());
  engine_->set_rewards(reward);
  // Every soft policy has the support of the chain that takes every action: if that chain is
  // periodic, every iteration uses theta P + (1 - theta) I (the same fixed points).
  const double theta = closed_class_period(mdp_.support_graph()) > 1 ? 0.5 : 1.0;
  engine_->set_lambdas(lambdas_, std::vector<double>(B, theta));
  // Rounding noise of one sweep relative to the values' scale: a few ulp per term of the longest
  // row and of the log-sum-exp over the actions.
  std::int64_t longest = 0;
  for (std::size_t r = 0; r + 1 < mdp_.row_ptr.size(); ++r) longest = std::max(longest, mdp_.row_ptr[r + 1] - mdp_.row_ptr[r]);
  noise_ = 2.0 * static_cast<double>(longest + mdp_.num_actions) * eps();
}

template <class Real>
void MdpBatch<Real>::upload_priors() {
  std::vector<double> all;
  for (const MdpTrack& t : tracks_) all.insert(all.end(), t.prior.begin(), t.prior.end());
  engine_->set_priors(all);
}

template <class Real>
void MdpBatch<Real>::update(int q, const ActionTotals& totals, std::int64_t outer) {
  MdpTrack& t = tracks_[static_cast<std::size_t>(q)];
  const double mass = totals.mass;
  soft::record_evaluation(t, (totals.reward - t.lambda * totals.cost) / mass, totals.reward / mass,
                          totals.cost / mass, outer);
  check_unichain(q, totals.zero_actions);
  const double lo_clip = opt_.prior_eps, hi_clip = 1.0 - opt_.prior_eps;
  const std::size_t A = totals.action.size();
  // The plain prior map: p'(a) = sum_s mu(s) pi(a|s), clipped to [eps, 1 - eps] and
  // renormalised (like the reference backend). A single action keeps prior 1.
  const auto project = [&](std::vector<double> p) {
    if (p.size() == 1) return std::vector<double>{1.0};
    for (double& x : p) x = std::clamp(x, lo_clip, hi_clip);
    const double sum = std::accumulate(p.begin(), p.end(), 0.0);
    for (double& x : p) x /= sum;
    return p;
  };
  // The extrapolation runs on log p (a small prior shrinks by a factor per plain step): back by
  // exp, the clip and the renormalisation.
  prior_loop::Chart chart;
  chart.to = [](std::vector<double> p) {
    for (double& x : p) x = std::log(x);
    return p;
  };
  chart.from = [&](std::vector<double> y) {
    for (double& x : y) x = std::exp(x);
    return project(std::move(y));
  };
  chart.anderson_depth = kAndersonDepth;
  chart.max_relaxation = kMaxRelaxation;
  chart.max_jump = kMaxJump;
  std::vector<double> next(A);
  t.clipped.assign(A, 0);
  for (std::size_t a = 0; a < A; ++a) {
    next[a] = totals.action[a] / mass;
    t.clipped[a] = A > 1 && (next[a] < lo_clip || next[a] > hi_clip) ? 1 : 0;
  }
  next = project(next);
  // The stopping floor: the relative rounding error of pi from its exponents q / lambda.
  const double z_noise = noise_ + 4.0 * eps() * std::max(1.0, t.span.max_abs) / t.lambda;
  soft::advance_prior(t, next, soft::prior_residual(t.prior, next, opt_.prior_tol, z_noise), outer, opt_, eps(),
                      chart);
}

template std::vector<SolveResult> MdpBatch<double>::run();
template std::vector<SolveResult> MdpBatch<float>::run();

}  NETRL_NAMESPACE_END  // namespace netrl::mdp::detail
