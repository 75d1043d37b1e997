#pragma once
// Process-wide settings of the host backend.
//
// The host kernels run on OpenMP threads. By default they use every core OpenMP reports. With
// OpenMP's default wait policy idle threads spin, which makes a solve several times slower when
// another busy process shares the cores; the netrl tool (and any executable linking the
// netrl::passive_wait target) therefore starts with OMP_WAIT_POLICY=passive unless the
// environment sets it. The README's section "Threads and shared machines" explains.
#include "netrl/version.hpp"
NETRL_NAMESPACE_BEGIN

/// Uses `threads` OpenMP threads for the host kernels from now on (>= 1); 0 restores the
/// runtime's default (OMP_NUM_THREADS or the number of cores). InvalidInput ("threads") otherwise.
void set_threads(int threads);
/// The number of threads the host kernels use.
int threads();
/// Uses `threads` OpenMP threads (when > 0) until the end of the scope, then restores the count.
/// The `threads` settings of solver and sampling options apply through it.
class ThreadScope {
 public:
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

/// The OpenMP wait policy in effect: "passive", "active" or "default" (as read from
/// OMP_WAIT_POLICY at start-up).
const char* wait_policy();

NETRL_NAMESPACE_END  // namespace netrl
