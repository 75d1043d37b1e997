#pragma once
// The memory-bandwidth floor of the benchmarks that stream arrays (bench_sampler, bench_mdp).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace netrl::bench {

/// Bytes per second of a parallel read of a working set of `bytes` (at least 1 MiB), repeated to
/// about 256 MiB per measurement, all threads, best of 3: a working set that fits in a cache is
/// measured at that cache's bandwidth.
inline double read_bandwidth(double bytes) {
  static std::map<std::size_t, double> cache;
  const std::size_t count = std::max<std::size_t>(std::size_t{1} << 17, static_cast<std::size_t>(bytes / 8.0));
  const auto it = cache.find(count);
  if (it != cache.end()) return it->second;
  std::vector<double> a(count, 1.0);
  const int repeats = static_cast<int>(std::max<std::size_t>(1, (std::size_t{32} << 20) / count));
  double best = 0.0, sink = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    double sum = 0.0;
    for (int r = 0; r < repeats; ++r) {
#pragma omp parallel for reduction(+ : sum) schedule(static)
      for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) sum += a[static_cast<std::size_t>(k)];
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(count) * 8.0 * repeats / dt);
    sink += sum;
  }
  benchmark::DoNotOptimize(sink);
  return cache[count] = best;
}

}  // namespace netrl::bench
