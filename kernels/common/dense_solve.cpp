// The batched dense (I - P) solves (netrl/kernels/dense_lu.hpp), written once: compiled as C++
// with OpenMP (the host backend, this file, with Eigen's LUs) and as CUDA through
// kernels/cuda/dense_solve.cu (cuBLAS / cuSOLVER LUs, pinned transfers, CUDA-event timings). The
// assembly, the bias shift and the checks are the functors of dense_functors.hpp on both; the
// glue (kernels/{host,cuda}/dense_glue.*) supplies the LU, the products and the transfers.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config.hpp"
#include "dense_functors.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"

#if NETRL_KERNELS_CUDA
#include "../cuda/dense_glue.cuh"
#else
#include "../host/dense_glue.hpp"
#endif

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {
namespace {

class DenseSolver final : public DenseBatch {
 public:
  DenseSolver(std::int64_t n, int batch) : exec_(Exec::make()) {
    if (n < 1) throw InvalidInput("states", "a dense (I - P) solve needs at least 1 state, got " + std::to_string(n));
    if (batch < 1) throw InvalidInput("batch", "must be at least 1, got " + std::to_string(batch));
    s_.n = static_cast<index_t>(n);
    s_.N = s_.n + 1;
    s_.batch = batch;
    s_.rows.n = s_.n;
    s_.rows.chunk = std::min<index_t>(s_.n, index_t{1} << BackendTraits::kChunkBits);
    const auto B = static_cast<index_t>(batch);
    // A, both right-hand sides, v, mu, P v, mu P, per problem; the device also holds P and g.
    const double bytes = 8.0 * static_cast<double>(B) *
                         (static_cast<double>(s_.N * s_.N + 2 * s_.N + 4 * s_.n) +
                          (kDenseCopiesInput ? static_cast<double>(s_.n * s_.n + s_.n) : 0.0));
    require_dense_memory(bytes);
    if (kDenseCopiesInput) {
      P_ = Array<double>(B * s_.n * s_.n);
      g_ = Array<double>(B * s_.n);
    }
    A_ = Array<double>(B * s_.N * s_.N);
    rhs_n_ = Array<double>(B * s_.N);
    rhs_t_ = Array<double>(B * s_.N);
    v_ = Array<double>(B * s_.n);
    mu_ = Array<double>(B * s_.n);
    pv_ = Array<double>(B * s_.n);
    mup_ = Array<double>(B * s_.n);
    gain_ = Array<double>(B);
    shift_ = Array<double>(B);
    info_ = Array<int>(B);
    grain_ = B * s_.N * s_.N < (index_t{1} << 16) ? ~std::uint64_t{0} : 2;
  }

  std::string description() const override { return exec_.description(); }

  void upload(const double* P, const double* g) override {
    const auto B = static_cast<index_t>(s_.batch);
    P_in_ = stage_in(&work_, &P_, P, B * s_.n * s_.n);
    g_in_ = stage_in(&work_, &g_, g, B * s_.n);
  }

  void solve() override {
    if (P_in_ == nullptr) throw InvalidInput("batch", "dense solve before upload");
    const auto B = static_cast<index_t>(s_.batch);
    const index_t chunks = B * s_.rows.count();
    work_.clock.mark(0);
#if NETRL_KERNELS_CUDA
    const BorderedElement assemble{P_in_, A_.data(), s_};  // coalesced on the device
    for_each_index(exec_, B * s_.N * s_.N, assemble, grain_);
#else
    const BorderedColumn assemble{P_in_, A_.data(), s_};
    for_each_index(exec_, B * s_.N, assemble, grain_);
#endif
    const BorderedRhs rhs{g_in_, rhs_n_.data(), rhs_t_.data(), s_};
    for_each_index(exec_, B * s_.N, rhs, grain_);
    work_.clock.mark(1);
    dense_factor_solve(exec_, static_cast<int>(s_.N), s_.batch, A_.data(), rhs_n_.data(), rhs_t_.data(), info_.data(),
                       &work_);
    work_.clock.mark(2);
    // v = v' - (mu . v') 1, mu and L out of the solutions; then the residuals.
    const BiasShiftChunk shift{rhs_n_.data(), rhs_t_.data(), s_};
    std::vector<SumValue> shifts;
    reduce_by_problem(exec_, s_.batch, s_.rows.count(), shift, &shifts, grain_);
    std::vector<double> host_shift(shifts.size());
    for (std::size_t b = 0; b < shifts.size(); ++b) host_shift[b] = shifts[b].sum;
    shift_.upload(host_shift);
    const BiasOut out{rhs_n_.data(), rhs_t_.data(), shift_.data(), v_.data(), mu_.data(), gain_.data(), s_};
    for_each_index(exec_, chunks, out, grain_);
    dense_products(exec_, s_, P_in_, v_.data(), mu_.data(), pv_.data(), mup_.data(), &work_);
    const DenseCheckChunk check{v_.data(), mu_.data(), pv_.data(), mup_.data(), g_in_, gain_.data(), s_};
    reduce_by_problem(exec_, s_.batch, s_.rows.count(), check, &checks_, grain_);
    work_.clock.mark(3);
    timings_.assemble_ms = work_.clock.ms(0, 1);
    timings_.factor_ms = work_.clock.ms(1, 2);
    timings_.check_ms = work_.clock.ms(2, 3);
    solved_ = true;
  }

  void download(DenseResults* r) override {
    if (!solved_) throw InvalidInput("batch", "dense results before solve");
    const auto B = static_cast<index_t>(s_.batch);
    r->values.resize(B * s_.n);
    r->stationary.resize(B * s_.n);
    r->gain.resize(B);
    r->info.resize(B);
    stage_out(&work_, v_, r->values.data(), B * s_.n);
    stage_out(&work_, mu_, r->stationary.data(), B * s_.n);
    gain_.download(0, B, r->gain.data());
    info_.download(0, B, r->info.data());
    r->eval_residual.resize(B);
    r->stationary_residual.resize(B);
    r->min_stationary.resize(B);
    r->max_abs_reward.resize(B);
    r->nonfinite.resize(B);
    for (index_t b = 0; b < B; ++b) {
      r->eval_residual[b] = checks_[b].eval;
      r->stationary_residual[b] = checks_[b].stationary;
      r->min_stationary[b] = checks_[b].min_mu;
      r->max_abs_reward[b] = checks_[b].max_g;
      r->nonfinite[b] = checks_[b].nonfinite;
    }
    for (index_t b = 0; b < B; ++b) {
      if (r->info[b] < 0) {
        throw BackendError("dense LU: argument " + std::to_string(-r->info[b]) + " is invalid (problem " +
                           std::to_string(b) + ")");
      }
    }
  }

  DenseTimings timings() const override { return timings_; }

 private:
  Exec exec_;
  DenseShape s_;
  DenseWork work_;
  Array<double> P_, g_, A_, rhs_n_, rhs_t_, v_, mu_, pv_, mup_, gain_, shift_;
  Array<int> info_;
  const double* P_in_ = nullptr;  // P and g in the backend's memory (the caller's on the host)
  const double* g_in_ = nullptr;
  std::vector<DenseCheckValue> checks_;
  DenseTimings timings_;
  std::uint64_t grain_ = 2;
  bool solved_ = false;
};

}  // namespace

std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t n, int batch) {
  return std::make_unique<DenseSolver>(n, batch);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
