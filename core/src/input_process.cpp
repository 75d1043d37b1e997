#include "netrl/core/input_process.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

InputProcess InputProcess::binary_flip(double flip) {
  if (!(flip > 0.0 && flip <= 1.0)) {
    throw InvalidInput("flip", "the flip probability " + number_text(flip) +
                                   " must lie in (0, 1] (0: two closed classes, the input never moves)");
  }
  InputProcess p;
  p.m = 2;
  p.T = {1.0 - flip, flip, flip, 1.0 - flip};
  return p;
}

namespace {

void check_pixels(int pixels, double coupling, double bias) {
  if (pixels < 1 || pixels > InputProcess::kMaxPixels) {
    throw InvalidInput("pixels", "the number of pixels " + std::to_string(pixels) + " must lie in [1, " +
                                     std::to_string(InputProcess::kMaxPixels) +
                                     "] (the input has m = 2^pixels values and a dense T)");
  }
  if (!std::isfinite(coupling)) throw InvalidInput("coupling", "the pixel coupling must be finite");
  if (!std::isfinite(bias)) throw InvalidInput("bias", "the pixel bias must be finite");
}

/// The probability that a pixel, once picked, is set on when `others_on` of the other pixels are on
/// (heat bath): sigmoid(z) and 1 - sigmoid(z), z = 2 (coupling * mean spin of the others - bias),
/// without cancellation.
void pixel_on_off(int pixels, int others_on, double coupling, double bias, double& on, double& off) {
  const int others = pixels - 1;
  const double mean = others > 0 ? static_cast<double>(2 * others_on - others) / others : 0.0;
  const double z = 2.0 * (coupling * mean - bias);
  const double e = std::exp(-std::abs(z));
  on = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  off = z >= 0.0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

}  // namespace

InputProcess InputProcess::glauber_pixels(int pixels, double coupling, double bias) {
  check_pixels(pixels, coupling, bias);
  InputProcess p;
  p.m = 1 << pixels;
  p.T.assign(static_cast<std::size_t>(p.m) * p.m, 0.0);
  const double pick = 1.0 / pixels;
  for (int x = 0; x < p.m; ++x) {
    const int on = popcount64(static_cast<std::uint64_t>(x));
    for (int j = 0; j < pixels; ++j) {
      const int bit = 1 << j;
      double p_on = 0.0, p_off = 0.0;
      pixel_on_off(pixels, on - ((x & bit) ? 1 : 0), coupling, bias, p_on, p_off);
      p.T[static_cast<std::size_t>(x) * p.m + (x | bit)] += pick * p_on;
      p.T[static_cast<std::size_t>(x) * p.m + (x & ~bit)] += pick * p_off;
    }
  }
  // A coupling strong against the bias makes some flips round to probability 0 (exp(-2 |z|)
  // below the smallest double): patterns that never leave, a chain of several closed classes.
  // Named here, where the user's fields are known, rather than as a fault of a T they never wrote.
  CsrGraph g;
  for (int x = 0; x < p.m; ++x) {
    for (int xp = 0; xp < p.m; ++xp) {
      if (p.T[static_cast<std::size_t>(x) * p.m + xp] > 0.0) g.col.push_back(xp);
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  const auto closed = count_closed_classes(g);
  if (closed != 1) {
    throw InvalidInput("coupling", "with coupling " + number_text(coupling) + " and bias " + number_text(bias) +
                                       " some pixel flips have a probability that rounds to 0 in float64, so the "
                                       "pixel chain has " + std::to_string(closed) +
                                       " closed classes (patterns it never leaves); netrl needs a unichain input: "
                                       "use a smaller |coupling|");
  }
  return p;
}

void InputProcess::validate(const std::string& field) const {
  if (m < 1 || m > kMaxInputs) {
    throw InvalidInput(field, "the number of input values m = " + std::to_string(m) +
                                  " must lie in [1, " + std::to_string(kMaxInputs) + "]");
  }
  if (T.size() != static_cast<std::size_t>(m) * m) {
    throw InvalidInput(field, "expected an " + std::to_string(m) + " x " + std::to_string(m) +
                                  " matrix, got " + std::to_string(T.size()) + " entries");
  }
  CsrGraph g;
  for (int x = 0; x < m; ++x) {
    double sum = 0.0;
    for (int xp = 0; xp < m; ++xp) {
      const double t = (*this)(x, xp);
      if (!std::isfinite(t) || t < 0.0 || t > 1.0) {
        std::ostringstream os;
        os << "entry [" << x << "][" << xp << "] = " << number_text(t) << " is not a probability in [0, 1]";
        throw InvalidInput(field, os.str());
      }
      sum += t;
      if (t > 0.0) g.col.push_back(xp);
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
    if (std::abs(sum - 1.0) > kStochasticTolerance) {
      std::ostringstream os;
      os.precision(17);
      os << "row " << x << " sums to " << number_text(sum) << "; T must be row-stochastic (|sum - 1| <= "
         << kStochasticTolerance << ")";
      throw InvalidInput(field, os.str());
    }
  }
  const auto closed = count_closed_classes(g);
  if (closed != 1) {
    throw InvalidInput(field, "the input chain has " + std::to_string(closed) +
                                  " closed classes; netrl needs a unichain input (exactly one)");
  }
}

NETRL_NAMESPACE_END  // namespace netrl
