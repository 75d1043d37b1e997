#pragma once
// The fit of the parametric inverse (MODEL.md sec. 4, eq. 44-46), private to the inverse sources:
// the Ising value's fields and couplings from the visited states of a recording, by
// pseudo-likelihood (no input) or by the likelihood of the observed transitions (with an input).
// Every evaluation costs two dense products over the visited states (V x nf by nf x nf), done by
// an optimised BLAS when the build has one (NETRL_BLAS), by Eigen otherwise; nothing is indexed
// by the 2^n network states, so it runs for any n the memory allows.
#include <cstdint>
#include <string>
#include <vector>

#include "inverse/detail.hpp"
#include "netrl/inverse.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse::detail {

/// C (rows x cols, row-major) = op(A) B, with op(A) = A (rows x inner) or, with `transpose_a`,
/// A^T for A of shape inner x rows; B is inner x cols. All row-major, dense.
void dense_product(const double* A, const double* B, double* C, std::int64_t rows, std::int64_t inner,
                   std::int64_t cols, bool transpose_a);

/// Which dense product dense_product runs on ("OpenBLAS ..." or "Eigen").
std::string dense_product_backend();

/// The Ising value fitted to the data, in value units: h_tilde[x * nf + a] (the fields of
/// w = V T^T; the fields of v when m = 1) and J[a * nf + c] over free neurons (symmetric, zero
/// diagonal). The policy is rho_a = sigmoid(coupling (h_tilde_a(x) + sum_c J_ac sigma_c) + logit p_a).
struct IsingFit {
  std::vector<double> h_tilde;
  std::vector<double> J;
  MinimizeReport report;
  std::string objective;
  /// The optimiser's stopping threshold on the gradient norm (in logit units; docs/parametric.md).
  double threshold = 0.0;
};

/// Fits by pseudo-likelihood (m = 1) or by the transition likelihood (m > 1; needs successors),
/// over the states of `data` with visits > 0. The optimisation runs in logit units (coupling
/// times the value's parameters), so that its ridge and tolerance do not depend on lambda: the
/// ridge is options.ridge / total on the squared logit parameters, and the run stops when the
/// gradient norm is at most max(options.tolerance, options.noise_fraction / sqrt(observations)) *
/// sqrt(parameters) (exact data: options.tolerance * sqrt(parameters)), i.e. when the
/// root-mean-square gradient entry is that fraction of the sampling noise of a gradient entry at
/// the truth (per observation, a unit-information direction).
IsingFit fit_ising(const VisitedStates& data, const std::vector<int>& free, const std::vector<double>& logit_p,
                   double coupling, const OptimizerOptions& options);

/// The free neurons' spins of the states `rows` of `data` as +-1, row-major rows.size() x nf.
std::vector<double> free_spins(const VisitedStates& data, const std::vector<int>& free,
                               const std::vector<std::uint64_t>& rows);

/// Local fields F[k * nf + a] = h_tilde_a(x_k) + sum_c J_ac sigma_c at every state of `data`.
std::vector<double> local_fields(const VisitedStates& data, const std::vector<int>& free, const IsingFit& fit);

}  NETRL_NAMESPACE_END  // namespace netrl::inverse::detail
