#pragma once
// Summaries of repeated measurements (the repeats of an experiment or a sweep).
#include <cstddef>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Mean and standard error of the mean (sample standard deviation / sqrt(count)) of the finite
/// entries; non-finite entries (NaN: a failed measurement) are left out. mean is NaN without a
/// finite entry, sem without two.
struct MeanSem {
  double mean = 0.0;
  double sem = 0.0;
  std::size_t count = 0;
};
MeanSem mean_sem(const std::vector<double>& values);

NETRL_NAMESPACE_END  // namespace netrl
