#pragma once
// The curvature of one SGD batch of the parametric solver (docs/parametric.md, "How it learns"):
// the largest eigenvalue of the batch's Gram matrix G_st = f(s) . f(t) of the value's features
// f = (e_x, e_x sigma_i, sigma_i sigma_j) over the free neurons and kept pairs. A gradient step of
// the batch's squared TD error with rate eta / lambda_max(G) moves the values at the batch's
// samples by at most eta times their errors; lambda_max lies between F (one sample, or samples with
// orthogonal features) and samples * F (identical samples), F = 1 + nf + kept pairs.
#include <cstdint>
#include <utility>
#include <vector>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

class BatchCurvature {
 public:
  /// `free`: the free neurons; `mask`: n * n kept pairs (empty: every pair); `samples`: rows of a
  /// batch. With a mask the pair part of G costs samples^2 / 2 times the kept pairs; where that
  /// exceeds the coupling step's samples * n^2 / 2 (and 2^20), largest() returns the bound samples * F.
  BatchCurvature(int n, const std::vector<int>& free, const std::vector<double>& mask, std::uint64_t samples);
  /// lambda_max(G) of the batch `on` (samples * n, 0/1) with inputs `x` (samples).
  double largest(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x);
  /// lambda_max(M) of the regression on local fields: M_st = [x_s = x_t] + sum_{i free}
  /// sigma_i^s sigma_i^t, the Gram matrix of one equation's features (e_x, sigma_j) with every
  /// free j (a bound of each row's; batch_curvature.cpp).
  double largest_overlap(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x);
  /// Whether largest() computes the eigenvalue (false: the bound samples * F).
  bool exact() const { return exact_; }
  /// Batches of more samples take the bounds (samples * F, samples * (1 + nf)): the eigenvalue of a
  /// samples x samples matrix costs samples^3 operations and 8 samples^2 bytes.
  static constexpr std::uint64_t kMaxExactSamples = 2048;
  /// The bytes the Gram matrix and its eigensolver take for a batch of `samples`.
  static double bytes(std::uint64_t samples);
  double features() const { return features_; }

 private:
  /// lambda_max of the value's Gram matrix (value true) or of M (false).
  double eigen_max(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x, bool value);

  int n_ = 0;
  std::vector<int> free_;
  std::vector<std::pair<int, int>> pairs_;  // kept pairs of free neurons (with a mask)
  bool masked_ = false, exact_ = true, overlap_exact_ = true;
  std::uint64_t samples_ = 0;
  double features_ = 0.0;
  std::vector<std::uint64_t> bits_;  // samples * words: the free neurons' states, packed
};

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
