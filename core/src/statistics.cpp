#include "netrl/core/statistics.hpp"

#include <cmath>
#include <limits>

NETRL_NAMESPACE_BEGIN

MeanSem mean_sem(const std::vector<double>& values) {
  MeanSem r;
  double sum = 0.0;
  for (double x : values)
    if (std::isfinite(x)) {
      sum += x;
      ++r.count;
    }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.mean = r.count > 0 ? sum / static_cast<double>(r.count) : nan;
  if (r.count < 2) {
    r.sem = nan;
    return r;
  }
  double ss = 0.0;
  for (double x : values)
    if (std::isfinite(x)) ss += (x - r.mean) * (x - r.mean);
  const auto n = static_cast<double>(r.count);
  r.sem = std::sqrt(ss / (n - 1.0) / n);
  return r;
}

NETRL_NAMESPACE_END  // namespace netrl
