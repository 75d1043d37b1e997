#pragma once
// The Markov input x in {0..m-1} with row-stochastic matrix T(x'|x).
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

struct InputProcess {
  int m = 1;
  /// Row-major: T[x * m + xp] = T(xp | x).
  std::vector<double> T{1.0};

  double operator()(int x, int xp) const { return T[static_cast<std::size_t>(x) * m + xp]; }

  /// No input: m = 1, T = [[1]].
  static InputProcess none() { return InputProcess{}; }
  /// Binary input that flips with probability `flip` per step (index 0 is x = -1, 1 is x = +1).
  static InputProcess binary_flip(double flip);
  /// `pixels` binary pixels (m = 2^pixels; bit j of x set iff pixel j is on) with asynchronous
  /// Glauber dynamics (docs/model.md, "Pixel input"): each step one pixel j, drawn uniformly,
  /// is set on with probability sigmoid(2 (coupling * m_j - bias)), m_j the mean of s_k = +1 (on) or
  /// -1 (off) over the other pixels, and off otherwise (heat-bath dynamics of the Ising model with
  /// couplings coupling / (pixels - 1) and field -bias). InvalidInput names "pixels", "coupling" or "bias".
  static InputProcess glauber_pixels(int pixels, double coupling, double bias);
  static constexpr int kMaxPixels = 10;

  /// Throws InvalidInput naming `field` unless T is m x m, finite, non-negative, each row sums to 1
  /// within kStochasticTolerance, and the chain has a single closed class (unichain).
  void validate(const std::string& field = "input.T") const;

  static constexpr double kStochasticTolerance = 1e-9;
  static constexpr int kMaxInputs = 1 << 16;
};

NETRL_NAMESPACE_END  // namespace netrl
