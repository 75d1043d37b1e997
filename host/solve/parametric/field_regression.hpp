#pragma once
// The parametric solver's regression on local fields (ParametricOptions::regression "fields";
// kernels/common/parametric_flips.hpp computes the target's part): the reward's differences under
// one flip, out[i] = r(s^{i+}, x) - r(s^{i-}, x) for every free neuron i (0 for clamped ones),
// s^{i+-} the state with neuron i set active / silent, and the SGD step of the fields and couplings.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

/// Whether a batch's rewards (or their flip differences) are worth spreading over the threads:
/// about n^2 operations per sample beyond 10^6 in all (a planted reward), and never for an
/// efficient_coding reward (it throws, which must not happen inside a parallel region).
bool rewards_in_parallel(const NetworkModel& model, std::size_t samples);

/// Scratch of flip_reward_differences (J32: a planted reward's couplings in float32, filled on
/// the first float32 call; a scratch serves one reward).
struct FlipScratch {
  std::vector<std::uint8_t> state;
  std::vector<double> work;
  std::vector<float> work32, J32;
};

/// One state's differences, `on` its n bits, `out` n entries; returns the reward r(s, x) itself. A
/// count or ring-bump reward costs O(n), a planted one O(n^2) (one log-sum-exp per pair, as the target's soft
/// terms; in float32 arithmetic when `single`); any other static reward is evaluated at both
/// states of every flip.
double flip_reward_differences(const NetworkModel& model, const std::uint8_t* on, int x, double* out, bool single,
                             FlipScratch* scratch);

/// Every sample of a batch: out (samples * n) and reward (samples) from on (samples * n) and x
/// (samples), the samples spread over the threads; each sample is computed alone, so the bits do
/// not depend on them.
void flip_reward_differences(const NetworkModel& model, const std::vector<std::uint8_t>& on,
                             const std::vector<std::uint32_t>& x, bool single, std::vector<double>* out,
                             std::vector<double>* reward);

/// The step of one batch. With e_si = D_i - Dhat_i (less, with `horizon`, the couplings' linear
/// backup (1 - 2/nf) 2 (u_i - ubar_i)) over the batch's samples and free neurons, and `curvature`
/// lambda_max of the equations' Gram matrix M (BatchCurvature::largest_overlap):
///   h_i(x_s) -= rate / (4 curvature) e_si (samples in order),
///   a[s n + i] = -rate e_si / (8 curvature), times nf / 2 with `horizon`, for the couplings'
///   step J_ij += sum_s (a_si s_j + s_i a_sj) (ParametricEngine::step_couplings_flips).
/// Each block's step is at most rate / 2 of its curvature, so the joint step is stable for rate < 2.
/// Returns the root mean square of e over the batch's equations.
/// `reward_differences`: flip_reward_differences of the batch.
double field_regression_step(const NetworkModel& model, const kernels::ParametricBatch& batch, double rate,
                             double curvature, bool horizon, const std::vector<double>& reward_differences,
                             std::vector<double>* h, std::vector<double>* a);

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
