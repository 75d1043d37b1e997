#pragma once
// Batched dense (I - P) solves for netrl::linear's dense path (no CUDA headers here), on the host
// (Eigen LUs, OpenMP over problems) or the device (cuBLAS batched LU, or cuSOLVER with one stream
// per problem in flight above kBatchedLuMaxOrder), written once (kernels/common/dense_solve.cpp):
// the bordered systems are assembled, factorised, solved and checked where the batch lives, and
// only the answers and the per-problem checks come back.
//
// Problem b: P_b row-major n x n (row-stochastic), g_b of length n. With N = n + 1 and the
// bordered matrix M = [[I - P, 1], [e_0^T, 0]], one LU serves M [v'; L] = [g; 0] (the bias with
// v'(0) = 0 and the gain L) and M^T [mu; y] = [0; 1] (the stationary distribution; y = 0); then
// v = v' - (mu . v') 1. The caller judges the checks (netrl::linear::solve_dense_batched).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// Largest order solved with cuBLAS's batched LU (a kernel per column step); above it, cuSOLVER's
/// getrf per problem, several problems in flight on their own streams.
constexpr int kBatchedLuMaxOrder = 512;

/// The answers of a batch (problem-major) and its per-problem checks.
struct DenseResults {
  std::vector<double> values;       // batch * n: v with mu . v = 0
  std::vector<double> stationary;   // batch * n: mu
  std::vector<double> gain;         // batch: L
  std::vector<double> eval_residual;        // max |(I - P) v + L - g|
  std::vector<double> stationary_residual;  // max |mu (I - P)|
  std::vector<double> min_stationary;       // min mu
  std::vector<double> max_abs_reward;       // max |g|
  std::vector<std::uint64_t> nonfinite;     // non-finite entries of v and mu
  std::vector<int> info;  // 0, or k > 0 when the LU's pivot k is exactly zero (singular)
};

/// Device milliseconds of the phases of the last solve() (CUDA events; zero on the host).
struct DenseTimings {
  double assemble_ms = 0.0;
  double factor_ms = 0.0;  // the LU and both triangular solves
  double check_ms = 0.0;   // the bias shift, the products and the residuals
};

/// One batch of `batch` problems of n states in the backend's memory.
class DenseBatch {
 public:
  virtual ~DenseBatch() = default;
  virtual std::string description() const = 0;
  /// The batch's data: P (batch * n * n) and g (batch * n), host memory. The device copies them
  /// through pinned staging buffers; the host reads them in place, so they must stay valid and
  /// unchanged until solve() returns.
  virtual void upload(const double* P, const double* g) = 0;
  /// Assembly, LU, both solves and the checks, on the backend.
  virtual void solve() = 0;
  virtual void download(DenseResults* out) = 0;
  virtual DenseTimings timings() const = 0;
};

namespace host {
/// Throws InvalidInput("states" / "batch") for n outside [1, 8192] or batch < 1, and
/// InvalidInput("batch") when the batch's matrices do not fit in memory, before allocating them.
std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t n, int batch);
}  // namespace host

namespace cuda {
/// As host::make_dense_batch, in device memory; BackendError without a device.
std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t n, int batch);
/// Pinned host-to-device copy bandwidth in bytes per second (the floor of the uploads).
double pinned_bandwidth();
}  // namespace cuda

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
