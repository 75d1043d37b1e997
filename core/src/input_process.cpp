#include "netrl/core/input_process.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

InputProcess InputProcess::binary_flip(double flip) {
  InputProcess p;
  p.m = 2;
  p.T = {1.0 - flip, flip, flip, 1.0 - flip};
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
        os << "entry [" << x << "][" << xp << "] = " << t << " is not a probability in [0, 1]";
        throw InvalidInput(field, os.str());
      }
      sum += t;
      if (t > 0.0) g.col.push_back(xp);
    }
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
    if (std::abs(sum - 1.0) > kStochasticTolerance) {
      std::ostringstream os;
      os.precision(17);
      os << "row " << x << " sums to " << sum << "; T must be row-stochastic (|sum - 1| <= "
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
