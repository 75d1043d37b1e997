#include "netrl/runtime.hpp"

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

namespace {
/// The runtime's default thread count, captured before the first change.
int default_threads() {
  static const int threads = omp_get_max_threads();
  return threads;
}
}  // namespace

void set_threads(int threads) {
  if (threads < 0) throw InvalidInput("threads", "must be >= 1 (or 0 for the default), got " + std::to_string(threads));
  const int fallback = default_threads();
  omp_set_num_threads(threads == 0 ? fallback : threads);
}

int threads() { return omp_get_max_threads(); }

const char* wait_policy() {
  const char* v = std::getenv("OMP_WAIT_POLICY");
  if (v == nullptr) return "default";
  if (strcasecmp(v, "passive") == 0) return "passive";
  if (strcasecmp(v, "active") == 0) return "active";
  return "default";
}

ThreadScope::ThreadScope(int threads) : saved_(0) {
  if (threads <= 0) return;
  saved_ = omp_get_max_threads();
  omp_set_num_threads(threads);
}

ThreadScope::~ThreadScope() {
  if (saved_ > 0) omp_set_num_threads(saved_);
}

NETRL_NAMESPACE_END  // namespace netrl
