// The largest eigenvalue of a batch's feature Gram matrix (batch_curvature.hpp).
//
// For samples s, t with inputs x_s, x_t and q = sum_{i free} sigma_i^s sigma_i^t:
//   G_st = [x_s = x_t] (1 + q) + sum_{kept i<j} w_i w_j,   w_i = sigma_i^s sigma_i^t;
// without a mask the pair sum is (q^2 - nf) / 2 (every pair of free neurons), so G costs
// samples^2 words of popcounts; with a mask it is summed over the kept pairs.
#include "solve/parametric/batch_curvature.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include "netrl/core/hd.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

/// Pair sums below this many operations per batch are always affordable.
constexpr double kSmallWork = 1 << 20;

BatchCurvature::BatchCurvature(int n, const std::vector<int>& free, const std::vector<double>& mask,
                               std::uint64_t samples)
    : n_(n), free_(free), masked_(!mask.empty()), samples_(samples) {
  const auto un = static_cast<std::size_t>(n);
  const double nf = static_cast<double>(free.size());
  double kept = nf * (nf - 1.0) / 2.0;
  if (masked_) {
    for (std::size_t a = 0; a < free.size(); ++a)
      for (std::size_t b = a + 1; b < free.size(); ++b)
        if (mask[static_cast<std::size_t>(free[a]) * un + static_cast<std::size_t>(free[b])] != 0.0)
          pairs_.emplace_back(free[a], free[b]);
    kept = static_cast<double>(pairs_.size());
    const double s = static_cast<double>(samples);
    exact_ = 0.5 * s * s * kept <= 0.5 * s * static_cast<double>(n) * static_cast<double>(n) + kSmallWork;
    if (!exact_) pairs_.clear();
  }
  if (samples > kMaxExactSamples) {
    exact_ = overlap_exact_ = false;
    pairs_.clear();
  }
  features_ = 1.0 + nf + kept;
  if (!exact_ && !overlap_exact_) return;  // no batch is ever packed
  const std::size_t words = (free.size() + 63) / 64;
  bits_.assign(samples * words, 0);
}

double BatchCurvature::bytes(std::uint64_t samples) {
  if (samples > kMaxExactSamples) return 0.0;
  const double s = static_cast<double>(samples);
  return 3.0 * 8.0 * s * s;  // G, and the eigensolver's tridiagonalisation of a copy
}

double BatchCurvature::largest(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x) {
  if (!exact_) return static_cast<double>(samples_) * features_;
  // G is positive semi-definite with diagonal F: its largest eigenvalue is at least F.
  return std::max(features_, eigen_max(on, x, true));
}

double BatchCurvature::largest_overlap(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x) {
  // M's diagonal is 1 + nf, and every entry at most 1 + nf.
  if (!overlap_exact_) return static_cast<double>(samples_) * (1.0 + static_cast<double>(free_.size()));
  return std::max(1.0 + static_cast<double>(free_.size()), eigen_max(on, x, false));
}

double BatchCurvature::eigen_max(const std::vector<std::uint8_t>& on, const std::vector<std::uint32_t>& x, bool value) {
  const auto S = static_cast<std::size_t>(samples_);
  const auto un = static_cast<std::size_t>(n_);
  const std::size_t words = (free_.size() + 63) / 64;
  const auto nf = static_cast<std::int64_t>(free_.size());
  std::fill(bits_.begin(), bits_.end(), 0);
  for (std::size_t s = 0; s < S; ++s)
    for (std::size_t k = 0; k < free_.size(); ++k)
      if (on[s * un + static_cast<std::size_t>(free_[k])]) bits_[s * words + k / 64] |= std::uint64_t{1} << (k % 64);
  Eigen::MatrixXd G(static_cast<Eigen::Index>(S), static_cast<Eigen::Index>(S));
  for (std::size_t s = 0; s < S; ++s)
    for (std::size_t t = s; t < S; ++t) {
      std::int64_t differ = 0;
      for (std::size_t w = 0; w < words; ++w) differ += popcount64(bits_[s * words + w] ^ bits_[t * words + w]);
      const std::int64_t q = nf - 2 * differ;
      if (!value) {
        const double g = (x[s] == x[t] ? 1.0 : 0.0) + static_cast<double>(q);
        G(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(t)) = g;
        G(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(s)) = g;
        continue;
      }
      double g = x[s] == x[t] ? 1.0 + static_cast<double>(q) : 0.0;
      if (!masked_) {
        g += 0.5 * static_cast<double>(q * q - nf);
      } else {
        std::int64_t pair_sum = 0;
        for (const auto& [i, j] : pairs_) {
          const bool wi = on[s * un + static_cast<std::size_t>(i)] == on[t * un + static_cast<std::size_t>(i)];
          const bool wj = on[s * un + static_cast<std::size_t>(j)] == on[t * un + static_cast<std::size_t>(j)];
          pair_sum += wi == wj ? 1 : -1;
        }
        g += static_cast<double>(pair_sum);
      }
      G(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(t)) = g;
      G(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(s)) = g;
    }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().maxCoeff();
}

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
