// Host-only parts of the host backend: memory query, build description, the benchmark floor.
// Compiled with the same flags as the kernel bodies (kernels/CMakeLists.txt).
#include <omp.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../common/math.hpp"
#include "launch.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

std::uint64_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t value = 0;
  std::string unit;
  while (meminfo >> key >> value >> unit) {
    if (key == "MemAvailable:") return value * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
  return 0;
}

std::string build_description() {
  std::ostringstream os;
#if defined(NETRL_KERNELS_ARCH)
  os << "-march=" << NETRL_KERNELS_ARCH << ", ";
#endif
  os << omp_get_max_threads() << " OpenMP threads";
  return os.str();
}

namespace {
template <class Real>
void lse2_loop(const Real* NETRL_RESTRICT a, const Real* NETRL_RESTRICT b, Real* NETRL_RESTRICT out,
               std::uint64_t count) {
  NETRL_SIMD
  for (std::uint64_t k = 0; k < count; ++k) out[k] = math::lse2(a[k], b[k]);
}
}  // namespace

void lse2_floor(const double* a, const double* b, double* out, std::uint64_t count) {
  lse2_loop(a, b, out, count);
}
void lse2_floor(const float* a, const float* b, float* out, std::uint64_t count) {
  lse2_loop(a, b, out, count);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
