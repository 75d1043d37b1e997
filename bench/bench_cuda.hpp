#pragma once
// Helpers of the CUDA benchmarks (bench_cuda.cpp, bench_cuda_sampler.cpp): medians of CUDA-event
// timings, the device's copy bandwidth (measured once per run), and sizes from the environment
// (bench/gpu_check.sh sizes its cases to fit its time budget).
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "netrl/kernels/probes.hpp"

namespace netrl::bench {

/// Median over `reps` of the device milliseconds of work() (CUDA events, each after a warm-up).
inline double median_ms(const std::function<void()>& work, int reps) {
  std::vector<double> ms;
  for (int k = 0; k < reps; ++k) ms.push_back(netrl::kernels::cuda::time_engine_ms(work));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

/// Device-to-device copy bandwidth in bytes per second, measured on first use.
inline double copy_bandwidth() {
  static const double rate = netrl::kernels::cuda::copy_bandwidth();
  return rate;
}

/// The comma-separated integers of environment variable `name`, else `fallback`.
inline std::vector<int> env_sizes(const char* name, std::vector<int> fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  std::vector<int> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long k = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || k < 1 || k > 4096) {
      throw std::invalid_argument(std::string(name) + ": expected comma-separated sizes from 1 to 4096, got \"" + v +
                                  "\"");
    }
    out.push_back(static_cast<int>(k));
  }
  return out;
}

/// The sampler's cases (bench_cuda_sampler.cpp).
void register_sampler_benchmarks(bool smoke);

}  // namespace netrl::bench
