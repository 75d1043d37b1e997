#pragma once
// Benchmark floors, not engine API: measurements of what the machine can do at best, which the
// benchmarks in bench/ print next to their timings (the achieved fraction of the floor). Nothing
// in the engine calls these.
#include <cstdint>
#include <functional>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

namespace host {
/// The floor of the sweep benchmark: `count` stable two-term log-sum-exps out[k] = lse2(a[k], b[k])
/// in a tight loop, compiled exactly like the kernels (same flags, same maths).
void lse2_floor(const double* a, const double* b, double* out, std::uint64_t count);
void lse2_floor(const float* a, const float* b, float* out, std::uint64_t count);
}  // namespace host

namespace cuda {
/// Two-term log-sum-exps per second of the kernels' own lse2 in a register-resident loop, on the
/// current device.
double lse2_rate(bool single_precision);
/// Device-to-device copy bandwidth in bytes per second (read + written).
double copy_bandwidth();
/// Double-precision GEMM rate of the device (flop/s) on N x N matrices.
double dgemm_rate(int N);
/// Chain steps per second of the sampler's step arithmetic in registers (one Philox4x32-10 block,
/// the neuron pick and, `on_the_fly`, the deterministic sigmoid), compiled like the sampler's
/// kernels: the issue-rate floor of the CUDA sampler.
double sampler_step_rate(bool on_the_fly);
/// Milliseconds between CUDA events recorded on the default stream around `work` (after one
/// warm-up call of it): the device time of engine calls. An exception of `work` is rethrown.
double time_engine_ms(const std::function<void()>& work);
}  // namespace cuda

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
