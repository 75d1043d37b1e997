#pragma once
// Inverse RL (MODEL.md sec. 4): infer the reward from observed dynamics, compare it with a true
// reward, and predict how the network adapts when its setting changes.
//
// Conventions (MODEL.md sec. 4):
// - The reward is identified up to an additive constant, and with an input up to an additive
//   function of x. Every inferred reward is reported with its per-input mean removed, the mean
//   weighted by the data distribution (the stationary distribution for an exact solution, the
//   visit histogram for data). Comparisons remove the same per-input means from both rewards.
// - netrl infers at the model's lambda (the config's "lambda"). From an exact solution that lambda
//   is the true one and the reward comes back exactly; from data the reward is identified only up
//   to a positive factor, and reporting it at the config's lambda is the paper's "lambda = 1"
//   answer multiplied by that lambda (the same policy, hence the same predictions).
// - States without an inferred reward (never visited; for the closed form also those with an
//   unvisited single-flip neighbour; for exact data, stationary mass below 1e-12) are NaN, never
//   0; states that contradict a clamp are NaN too.
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/raster.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace npy {
struct Array;
}  NETRL_NAMESPACE_END

NETRL_NAMESPACE_BEGIN namespace inverse {

// ---------------------------------------------------------------------------------------------
// Observations of a network
// ---------------------------------------------------------------------------------------------

/// The tabular methods keep m * 2^n * (n + 1) counts: n is limited to this.
constexpr int kMaxTabularNeurons = 20;

/// Visit histogram and transition counts over the joint states s = x * 2^n + b. Counts are
/// doubles so that an exact solution can be cast as expected counts.
struct NetworkData {
  int n = 0;
  int m = 1;
  /// visits[s]: samples in state s (or the stationary mass times `total` for exact data).
  std::vector<double> visits;
  /// transitions[s * (n + 1) + j]: from s, j < n: to b xor 2^j, j = n: to b (the layout of
  /// SampleStats::transitions). Empty when only states were observed.
  std::vector<double> transitions;
  /// Sum of visits.
  double total = 0.0;
  /// Derived from an exact solution (no sampling noise).
  bool exact = false;
  /// Transitions that change more than one neuron (only for data whose transitions are unused).
  std::uint64_t multi_flips = 0;

  std::uint64_t num_states() const { return visits.size(); }
};

/// A recording from numeric arrays (the entries of any integer, bool or float array as doubles):
/// `states` of shape `shape` = (T, n) with entries 0 (silent) or 1 (active); `inputs` of shape
/// (T,) or (T, 1) with integer input indices in [0, m), or `input_shape` empty for none. Checks
/// the shapes, that T > 0, the columns against the model's n, binary entries and input indices;
/// the input sequence's length and the clamps are checked by count_raster. InvalidInput naming
/// "raster" or "inputs" otherwise.
Raster make_raster(const std::vector<double>& states, const std::vector<std::uint64_t>& shape,
                   const std::vector<double>& inputs, const std::vector<std::uint64_t>& input_shape,
                   const NetworkModel& model);
/// The same from a .npy array of any dtype npy::to_double reads, converted straight to bytes (a
/// raster file costs its own size once more, not eight times).
Raster make_raster(const npy::Array& states, const std::vector<double>& inputs,
                   const std::vector<std::uint64_t>& input_shape, const NetworkModel& model);

/// Checks a raster against the model (n columns, clamped neurons constant at their clamp value,
/// inputs in range and of the right length) and counts states and transitions. With
/// `require_single_flips`, a step that changes more than one neuron is an InvalidInput naming the
/// row (the model's dynamics change at most one neuron per step). Errors name "raster" or "inputs".
NetworkData count_raster(const Raster& raster, const NetworkModel& model, bool require_single_flips);

/// Expected counts of an exact solution: visits = total * mu, transitions = visits * P(b'|b,x)
/// under the greedy policy of `values` with `prior` (per neuron; clamped entries ignored).
NetworkData expected_data(const NetworkModel& model, const std::vector<double>& values,
                          const std::vector<double>& stationary, const std::vector<double>& prior,
                          double total = 1.0);

/// The distinct joint states of a recording, each once, with its visits and (when asked) where the
/// chain went next: what the parametric inverse fits, for any n (nothing here is indexed by a table
/// over the 2^n network states). States keep the order of their first visit.
struct VisitedStates {
  int n = 0;
  int m = 1;
  /// size() x n, C order, 1 = active, 0 = silent.
  std::vector<std::uint8_t> spins;
  /// The input value of each state (0 when m = 1).
  std::vector<std::uint32_t> inputs;
  /// Visits of each state (for exact data: the stationary mass times `total`).
  std::vector<double> visits;
  /// Successors, when recorded: the entries successor_start[k] .. successor_start[k + 1] - 1 of
  /// successor_neuron (j < n: neuron j changed; j = n: no neuron changed) and successor_count
  /// belong to state k. Empty when only states were observed.
  std::vector<std::uint64_t> successor_start;
  std::vector<int> successor_neuron;
  std::vector<double> successor_count;
  double total = 0.0;
  bool exact = false;
  /// Steps that changed more than one neuron (not counted as transitions).
  std::uint64_t multi_flips = 0;

  std::uint64_t size() const { return visits.size(); }
  bool has_transitions() const { return !successor_start.empty(); }
  const std::uint8_t* state(std::uint64_t k) const { return spins.data() + k * static_cast<std::uint64_t>(n); }
};

/// The visited states of a recording (checked as by count_raster, without its limit on n), with
/// their successors when `transitions`; with `require_single_flips`, a step that changes more than
/// one neuron is an InvalidInput naming the row.
VisitedStates visited_states(const Raster& raster, const NetworkModel& model, bool transitions,
                             bool require_single_flips);

/// The same from counts over the joint states: the states with visits > 0, or, with `all`, every
/// consistent state (unvisited ones with 0 visits and no successors; n <= kMaxTabularNeurons).
VisitedStates visited_states(const NetworkData& data, const NetworkModel& model, bool all);

/// firing_prior of visited states.
std::vector<double> firing_prior(const NetworkModel& model, const VisitedStates& data, double eps = 1e-9);

/// Firing prior from data: p_i = fraction of samples with neuron i active (in the stationary
/// chain this equals sum mu rho_i, MODEL.md sec. 2); population mode: the mean over free neurons.
/// Returned per neuron, NaN at clamped neurons; clipped to [eps, 1 - eps].
std::vector<double> firing_prior(const NetworkModel& model, const NetworkData& data, double eps = 1e-9);

// ---------------------------------------------------------------------------------------------
// Policies of a network
// ---------------------------------------------------------------------------------------------

/// The greedy policy in logit form: logits[s * n + i] = d_i(b,x) / (nf lambda) + logit p_i for
/// consistent s and free i (NaN elsewhere), from values v over the joint states.
std::vector<double> policy_logits(const NetworkModel& model, const std::vector<double>& values,
                                  const std::vector<double>& prior, double lambda);

/// Counts in the layout of the chain sampler (SampleStats, and `netrl sample`'s histogram.npy and
/// transitions.npy): histogram[s] over s = x * 2^n + b, transitions[s * (n + 1) + j] (j < n: the
/// successor is b xor 2^j; j = n: b). `transitions` may be empty (states only). Checked against the
/// model before use, errors naming "samples": sizes (m * 2^n and m * 2^n * (n + 1)), entries that
/// are not finite non-negative integers, counts at states that contradict a clamp, flips of a
/// clamped neuron, and rows of transitions whose sum is not the state's count (the sampler records
/// the successor of every recorded state).
NetworkData sampled_counts(const NetworkModel& model, std::vector<double> histogram, std::vector<double> transitions);

/// The counts of one recording of the dynamics under the exact policy of `values` and `prior`
/// (per neuron): chain 0 of netrl::sample (host backend, Philox keyed by `seed`), `burn_in` steps
/// from a uniform start, then T recorded steps with their transitions.
NetworkData sample_recording(const NetworkModel& model, const std::vector<double>& values,
                             const std::vector<double>& prior, std::uint64_t T, std::uint64_t seed,
                             std::uint64_t burn_in);

// ---------------------------------------------------------------------------------------------
// Inverse methods for networks
// ---------------------------------------------------------------------------------------------

struct OptimizerOptions {
  int max_iterations = 2000;
  /// Stop when the gradient norm of the count-normalised objective is below this. For maximum
  /// likelihood the gradient is taken in diagonally preconditioned coordinates, where its norm is
  /// the Newton decrement (sqrt of twice the distance to the optimum), so 1e-8 is near rounding.
  double tolerance = 1e-8;
  /// Parametric fits of sampled data also stop once the root-mean-square gradient entry (logit
  /// units, per observation) is below noise_fraction / sqrt(observations), this fraction of the
  /// sampling noise of a gradient entry at the truth (docs/parametric.md). 0: tolerance only.
  double noise_fraction = 1e-3;
  /// Ridge (in units of one observation) pulling each parameter towards its start; keeps
  /// parameters of rarely visited states finite. 0 for exact data.
  double ridge = 0.1;
  /// Reward reported only at states visited at least this often; for the closed form their
  /// single-flip neighbours must be too (it needs mu(b xor 2^i)). Maximum likelihood needs no
  /// visited neighbours: the transitions out of a state give its whole policy. For exact data the
  /// threshold is a stationary mass of 1e-12 (numerically undetermined below, MODEL.md sec. 4).
  double min_visits = 1.0;

  /// InvalidInput naming `field`.max_iterations (1..10^7), .tolerance (finite, > 0), .ridge
  /// (finite, >= 0), .noise_fraction ([0, 1]) or .min_visits (finite, > 0). Every method checks
  /// its options.
  void validate(const std::string& field = "optimizer") const;
};

struct NetworkInverse {
  /// r over the joint states, per-input weighted mean removed; NaN where missing.
  std::vector<double> reward;
  /// v over the joint states (NaN where not computed). Same gauge as `reward`, up to per-input constants.
  std::vector<double> values;
  /// The weights used to remove the per-input means (the data distribution).
  std::vector<double> weights;
  std::string method;
  double lambda = 0.0;
  std::vector<double> prior;
  std::uint64_t missing = 0;  // consistent states without an inferred reward
  int iterations = 0;
  int evaluations = 0;
  double objective = 0.0;  // final negative log-likelihood per observation (ml, parametric)
  double gradient_norm = 0.0;
  /// Parametric only: the gradient norm at which the fit stops; converged iff gradient_norm <= it.
  double gradient_threshold = 0.0;
  bool converged = true;
  std::vector<std::string> notes;
  /// Parametric only: the fitted Ising value (n x n couplings, m x n fields h[x * n + i]; clamped rows zero).
  std::vector<double> J, h;
  /// Parametric only: the target rhat_phi (eq. 47) over the joint states.
  std::vector<double> target;
};

/// Closed form without input (eq. 38-40): r(b) = lambda sum_i log(mu(b_i|b_/i) / p_i(b_i)) from
/// the visit histogram. Needs m = 1.
NetworkInverse closed_form(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                           double lambda, const OptimizerOptions& options = {});

/// Inverts an exactly known policy (logits as from policy_logits): d_i = nf lambda (logit rho_i -
/// logit p_i) gives w(., x) up to a per-x constant by summing along bits, V = W T^{-T}, then
/// r = v - lambda sum_i log[p_i e^{w(b|1)/(nf lambda)} + (1 - p_i) e^{w(b|0)/(nf lambda)}].
NetworkInverse invert_policy(const NetworkModel& model, const std::vector<double>& logits,
                             const std::vector<double>& prior, double lambda, const std::vector<double>& weights);

/// Maximum likelihood of the observed transitions over w (= V T^T; the likelihood depends on v
/// only through w), started from the closed form per input value, minimised with LBFGS++; then
/// V = W T^{-T} and r as in invert_policy.
NetworkInverse maximum_likelihood(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                                  double lambda, const OptimizerOptions& options = {});

enum class RewardModel { table, pairwise, global, sparse };
const char* to_string(RewardModel model);
/// The reward model named `name`; InvalidInput ("reward_model") lists the known names otherwise.
RewardModel parse_reward_model(const std::string& name);

/// Parametric inverse (eq. 44-47): the Ising value v_phi(sigma, x) = sum_i h_i(x) sigma_i +
/// sum_{i<j} J_ij sigma_i sigma_j, whose greedy policy is Glauber dynamics
/// rho_i = sigmoid((2/(nf lambda))(h~_i(x) + sum_j J_ij sigma_j) + logit p_i) with the fields
/// h~(x) = sum_x' T(x'|x) h(x') of w = V T^T. Fit: without input, maximum pseudo-likelihood of
/// these conditionals over the observed states (the stationary distribution of Glauber dynamics of
/// a symmetric J is the Gibbs distribution whose conditionals these are); with an input (no Gibbs
/// form), maximum likelihood of the observed transitions (needs transition counts), then
/// h = T^{-1} h~. Then rhat_phi (eq. 41 target, the Bellman formula of invert_policy) and the
/// reward model, fitted per input value (the reward is identified up to a function of x):
/// table: r = rhat_phi; pairwise: g = (1, sigma_i sigma_j); global: g = one-hot of the spike
/// count; both by least squares of <f g^T>_D theta = <f rhat_phi>_D; sparse: the linear program
/// min sum_{visited} r s.t. r >= 0, <f (r - rhat_phi)>_D = L' <f>_D (L' free, the unknown gain)
/// solved with COIN-OR CLP. f = (1, sigma_i, sigma_i sigma_j) over free neurons; D the visits of
/// the input value. h is returned as m x n (h[x * n + i]).
NetworkInverse parametric(const NetworkModel& model, const NetworkData& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options = {});

/// The parametric inverse on the states of `data` only, for any n (docs/parametric.md, "Inverse at
/// scale"): the same fit and reward models, with no table over the 2^n network states. The fit
/// (pseudo-likelihood without input, transition likelihood with one) runs over the states with
/// visits > 0, two dense products per evaluation; values, target, reward and weights are given per
/// state of `data` (index k), centred per input. The overload above is this one run on every
/// consistent state (visited_states(data, model, true)), its results put back into the table.
/// The pairwise and sparse reward models keep dense systems over the nf (nf - 1) / 2 pairs and
/// refuse (InvalidInput "reward_model") beyond 4 GiB.
NetworkInverse parametric(const NetworkModel& model, const VisitedStates& data, const std::vector<double>& prior,
                          double lambda, RewardModel reward_model, const OptimizerOptions& options = {});

// ---------------------------------------------------------------------------------------------
// The maze (general MDP)
// ---------------------------------------------------------------------------------------------

/// pi(a|s) (row-major N x A) of the greedy soft policy of v with prior p (MODEL.md eq. 20).
std::vector<double> mdp_greedy_policy(const Mdp& mdp, const std::vector<double>& values,
                                      const std::vector<double>& prior, double lambda);

struct MdpInverse {
  std::vector<double> reward;  // weighted mean removed
  std::vector<double> values;
  int iterations = 0;          // LBFGS iterations
  int newton_steps = 0;
  double objective = 0.0;      // weighted mean negative log-likelihood
  double gradient_norm = 0.0;
  /// max |v - (A (r - lambda c) + const)| / max|v|: eq. 27-28 with the group inverse of I - P of
  /// the observed policy, a check that the recovered reward reproduces the observed values.
  double group_inverse_residual = 0.0;
  bool converged = true;
};

/// Maze inverse (eq. 25-28): maximise sum_s w_s sum_a pi(a|s) log pi*(a|s; v) over v (concave;
/// LBFGS++, then Newton steps on the dense Hessian for N <= kMaxNewtonStates), then
/// r = v - lambda log sum_a p(a) exp(q(s,a)/lambda). The reward cell's policy is uninformative
/// (every action leads to S): its v is fixed by its neighbours' policies, its r by the same
/// Bellman formula.
MdpInverse invert_mdp_policy(const Mdp& mdp, const std::vector<double>& policy, const std::vector<double>& prior,
                             double lambda, const std::vector<double>& weights, const OptimizerOptions& options = {});
constexpr int kMaxNewtonStates = 4096;

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

struct RewardComparison {
  double r2 = 0.0;             // weighted, after an affine fit of the true on the inferred reward
  double scale = 0.0;          // slope of that fit
  double max_abs_error = 0.0;  // max |r_inf - r_true| after per-input centering, no fit
  double rms_error = 0.0;      // weighted, same
  std::uint64_t compared = 0;  // states with weight > 0 and an inferred reward
};

/// Compares over states with weight > 0, a finite inferred and a finite true reward; both are
/// centred per input (blocks of `block` states) by their weighted means first.
RewardComparison compare_rewards(const std::vector<double>& inferred, const std::vector<double>& truth,
                                 const std::vector<double>& weights, std::uint64_t block);
/// The same over a list of states (e.g. visited states), centred per input (inputs[k] in [0, m)).
RewardComparison compare_rewards(const std::vector<double>& inferred, const std::vector<double>& truth,
                                 const std::vector<double>& weights, const std::vector<std::uint32_t>& inputs, int m);

/// The reward r (joint states x * 2^n + b) with, at every consistent network state b, its
/// component along the kernel of the input matrix T removed: r(b, .) <- Q r(b, .), Q the Euclidean
/// projector onto the complement of ker T (the same Q at every b; r unchanged for an invertible T).
/// The policy sees the values only through w(b, x) = sum_x' T(x, x') v(b, x'), so adding u(b, x)
/// with T u(b, .) = 0 to both r and v leaves it unchanged: that part of a reward cannot be
/// inferred, and rewards are compared without it. A function of x alone stays one under Q, so the
/// per-input centring of compare_rewards still applies afterwards. Non-finite columns r(b, .) are
/// left as they are. InvalidInput("reward") when r does not have the model's joint states.
std::vector<double> without_input_kernel(const NetworkModel& model, const std::vector<double>& r);

/// Removes the per-block weighted mean of the finite entries (weights over finite entries).
void center_per_block(std::vector<double>& values, const std::vector<double>& weights, std::uint64_t block);
/// The same per input value: values[k] belongs to input inputs[k] (in [0, m)); for rewards over
/// visited states.
void center_per_input(std::vector<double>& values, const std::vector<double>& weights,
                      const std::vector<std::uint32_t>& inputs, int m);

/// KL(p || q) over entries with p > 0; q is floored at the smallest normal double (stationary
/// masses below rounding come out as exact zeros).
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q);

}  NETRL_NAMESPACE_END  // namespace netrl::inverse

NETRL_NAMESPACE_BEGIN
template <>
struct EnumNames<inverse::RewardModel> {
  using M = inverse::RewardModel;
  static constexpr EnumName<M> table[] = {{"table", "table", M::table}, {"pairwise", "pairwise", M::pairwise},
                                          {"global_", "global", M::global}, {"sparse", "sparse", M::sparse}};
};
NETRL_NAMESPACE_END
