// The CUDA engine of the parametric (Ising-value) solver: the functors of
// kernels/common/parametric_step.hpp over the same item ranges, in the same order, as the host's
// OpenMP engine (kernels/host/parametric_host.cpp). Part of the CUDA module (libnetrl_cuda.so,
// see module_abi.hpp). Built with -fmad=false (kernels/CMakeLists.txt) like the host's
// -ffp-contract=off, so that no multiply-add is fused differently on the two.
//
// What agrees with the host bit for bit (same seed, same inputs): the chains (states, inputs and
// fields: Philox words, IEEE-only thresholds and exact float64 field sums), the recorded spins,
// inputs and values v, the SGD step of the couplings (each coupling sums its samples in order, as
// the host's rows do), the rank-`samples` field update and the coupling norms (per-row sums on the
// device, the rows added in order on the host). What agrees to rounding only: the backup g, the
// coding cost and rho, whose logarithms are CUDA's log1p on the device and an IEEE-only series on
// the host (kernels/common/math.hpp).
//
// The regression on local fields (ParametricSetup::flips; kernels/common/parametric_flips.hpp):
// the flip entries per (sample, neuron) item, the couplings' step per coupling item (its samples
// in order, as the host's rows), the chains' fields by the rank update without a mask. The soft
// sums run in another order on the host (vectorised): they agree to rounding.
//
// Work layout: one work item per functor item (the launch.cuh launcher), except the chains' steps:
// one block per chain, thread 0 decides the step and the block's threads update the chain's n
// fields (ChainStep::decide and flip_field), a barrier between steps.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../common/factory.hpp"
#include "../common/parametric_flips.hpp"
#include "../common/parametric_step.hpp"
#include "../common/parametric_view.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "launch.cuh"
#include "netrl/core/error.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

/// Chain steps per launch: a bounded time per launch (as the sampler's kStepsPerLaunch).
constexpr std::uint64_t kStepsPerLaunch = 256;

/// `steps` steps of every chain: block b runs chains b, b + gridDim.x, ...
template <class Real>
__global__ void advance_kernel(ChainStep<Real> step, std::uint64_t chains, std::uint64_t steps) {
  __shared__ int flipped;
  const std::uint64_t n = step.v.n();
  for (std::uint64_t c = blockIdx.x; c < chains; c += gridDim.x) {
    for (std::uint64_t k = 0; k < steps; ++k) {
      if (threadIdx.x == 0) flipped = step.decide(c);
      __syncthreads();
      const int i = flipped;
      if (i >= 0) {
        const bool on = step.v.sigma[c * n + static_cast<std::uint64_t>(i)] != 0;
        for (std::uint64_t j = threadIdx.x; j < n; j += blockDim.x) step.flip_field(c, i, on, j);
      }
      __syncthreads();  // the fields are complete, and `flipped` is read by all, before the next step
    }
  }
}

/// f(base + k): a functor over a range of items that does not start at 0.
template <class F>
struct Shifted {
  F f;
  std::uint64_t base = 0;
  NETRL_HD void operator()(std::uint64_t k) const { f(base + k); }
};

template <class Real>
class CudaParametricEngine final : public ParametricEngine<Real> {
 public:
  explicit CudaParametricEngine(const ParametricSetup& setup) : setup_(setup), exec_(make_exec()) {
    const auto n = static_cast<std::uint64_t>(setup.n);
    const std::uint64_t m = setup.m;
    const std::uint64_t rows = setup.chains + setup.explore, samples = setup.batch + setup.explore;
    // The constants of the chains' steps.
    d_.free_list = Array<int>(setup.free_list.data(), setup.free_list.size());
    d_.clamp_state = Array<std::uint8_t>(setup.clamp_state.data(), setup.clamp_state.size());
    d_.input_cdf = Array<std::uint64_t>(setup.input_cdf.data(), setup.input_cdf.size());
    if (!setup.mask.empty()) d_.mask = Array<std::uint8_t>(setup.mask.data(), setup.mask.size());
    // The arrays of parametric_engine_bytes: couplings, chain rows, the batch's samples, overlaps
    // (the overlaps only where the field update uses them: without a mask).
    d_.J = Array<Real>(n * n);
    d_.Jbar = Array<Real>(n * n);
    d_.sigma = Array<std::uint8_t>(rows * n);
    d_.u = Array<Real>(rows * n);
    d_.ubar = Array<Real>(rows * n);
    d_.x = Array<std::uint32_t>(rows);
    d_.t = Array<std::uint64_t>(setup.chains);
    d_.spin = Array<Real>(samples * n);
    d_.sample_x = Array<std::uint32_t>(samples);
    d_.sample_on = Array<std::uint8_t>(samples * n);
    d_.terms = Array<double>(samples * n * kParametricTerms);
    d_.sample_out = Array<double>(samples * kParametricOutputs);
    d_.a = Array<double>(samples);
    if (setup.mask.empty()) d_.overlap = Array<Real>(samples * setup.chains);
    d_.rho_sum = Array<double>(n);
    d_.row_norms = Array<double>(2 * n);
    // The small parameters (ParametricSmall's sizes).
    d_.ht = Array<double>(m * n);
    d_.h = Array<double>(m * n);
    d_.hbt = Array<double>(m * n);
    d_.c = Array<double>(m);
    d_.cbt = Array<double>(m);
    d_.logit_p = Array<double>(n);
    d_.log_p = Array<double>(n);
    d_.log_q = Array<double>(n);
    if (setup.flips) {
      log_pi_ = Array<Real>(samples * 2 * n);
      flip_ = Array<double>(samples * n * kFlipTerms);
      a_rows_ = Array<double>(samples * n);
      if (setup.mask.empty()) flip_overlap_ = Array<double>(samples * setup.chains);
    }
  }

  std::string description() const override { return exec_.description(); }

  void set_couplings(const std::vector<double>& J) override {
    const auto nn = static_cast<std::uint64_t>(setup_.n) * static_cast<std::uint64_t>(setup_.n);
    if (J.size() != nn) throw BackendError("cuda parametric engine: set_couplings needs n * n couplings");
    const std::vector<Real> rounded(J.begin(), J.end());
    d_.J.upload(rounded);
    copy_couplings();
    if (!started_) {
      for_each_index(exec_, setup_.chains, InitChain<Real>{view()});
      started_ = true;
    }
    refresh_fields(true, true);
  }

  void set_small(const ParametricSmall& small) override {
    upload_small(small.ht, &d_.ht, "ht");
    upload_small(small.h, &d_.h, "h");
    upload_small(small.c, &d_.c, "c");
    upload_small(small.hbt, &d_.hbt, "hbt");
    upload_small(small.cbt, &d_.cbt, "cbt");
    upload_small(small.logit_p, &d_.logit_p, "logit_p");
    upload_small(small.log_p, &d_.log_p, "log_p");
    upload_small(small.log_q, &d_.log_q, "log_q");
  }

  void advance(std::uint64_t steps) override {
    if (setup_.chains == 0) return;
    const ChainStep<Real> step{view()};
    const auto n = static_cast<unsigned>(setup_.n);
    const unsigned threads = std::min(256u, std::max(32u, (n + 31u) / 32u * 32u));
    const auto blocks = static_cast<unsigned>(std::min<std::uint64_t>(setup_.chains, 65535u * 32u));
    for (std::uint64_t done = 0; done < steps; done += kStepsPerLaunch) {
      advance_kernel<Real><<<blocks, threads, 0, kStream>>>(step, setup_.chains, std::min(kStepsPerLaunch, steps - done));
      NETRL_CUDA_AFTER_LAUNCH("advance_kernel");
    }
  }

  void record(std::uint64_t slot) override {
    SampleTerms<Real> terms{view()};
    terms.slot = slot;
    terms.stride = setup_.chains;
    for_each_index(exec_, setup_.chains * static_cast<std::uint64_t>(setup_.n), terms);
    record_flips(slot, 0, 0, setup_.chains, setup_.chains);
  }

  void record_explore(std::uint64_t draw) override {
    if (setup_.explore == 0) return;
    const auto n = static_cast<std::uint64_t>(setup_.n);
    ExploreState<Real> state{view()};
    state.draw = draw;
    for_each_index(exec_, setup_.explore, state);
    for_each_index(exec_, setup_.explore * n, Shifted<FieldsFromScratch<Real>>{FieldsFromScratch<Real>{view()}, setup_.chains * n});
    SampleTerms<Real> terms{view()};
    terms.row_base = setup_.chains;
    terms.sample_base = setup_.batch;
    for_each_index(exec_, setup_.explore * n, terms);
    record_flips(0, setup_.chains, setup_.batch, 0, setup_.explore);
  }

  void read_batch(ParametricBatch* out) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    for_each_index(exec_, samples, SampleSums<Real>{view()});
    for_each_index(exec_, static_cast<std::uint64_t>(setup_.n), RhoSums<Real>{view()});
    const std::vector<double> sums = d_.sample_out.download();
    split_sample_sums(sums.data(), samples, out);
    out->x = d_.sample_x.download();
    out->on = d_.sample_on.download();
    out->rho_sum = d_.rho_sum.download();
    if (setup_.flips) {
      out->flip = flip_.download();
    } else {
      out->flip.clear();
    }
  }

  void step_couplings(const std::vector<double>& a) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    if (a.size() != samples) throw BackendError("cuda parametric engine: step_couplings needs one step per sample");
    d_.a.upload(a);
    const ParametricView<Real> v = view();
    const auto n = static_cast<std::uint64_t>(setup_.n);
    for_each_index(exec_, n * n, CouplingStep<Real>{v});
    if (!setup_.mask.empty()) {
      refresh_fields(true, false);
      return;
    }
    for_each_index(exec_, samples * setup_.chains, SampleOverlap<Real>{v});
    for_each_index(exec_, setup_.chains * n, FieldStep<Real>{v});
  }

  void step_couplings_flips(const std::vector<double>& a) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    const auto n = static_cast<std::uint64_t>(setup_.n);
    if (!setup_.flips) throw BackendError("cuda parametric engine: step_couplings_flips on an engine set up without flips");
    if (a.size() != samples * n) throw BackendError("cuda parametric engine: step_couplings_flips needs samples * n steps");
    a_rows_.upload(a);
    const ParametricView<Real> v = view();
    for_each_index(exec_, n * n, FlipCouplingStep<Real>{v, a_rows_.data()});
    if (!setup_.mask.empty()) {
      refresh_fields(true, false);
      return;
    }
    for_each_index(exec_, samples * setup_.chains, SampleOverlap<Real>{v});
    for_each_index(exec_, samples * setup_.chains, FlipOverlap<Real>{v, a_rows_.data(), flip_overlap_.data()});
    for_each_index(exec_, setup_.chains * n, FlipFieldStep<Real>{v, a_rows_.data(), flip_overlap_.data()});
  }

  void coupling_norms(double* change_sq, double* norm_sq) override {
    for_each_index(exec_, static_cast<std::uint64_t>(setup_.n), CouplingNorms<Real>{view()});
    const std::vector<double> rows = d_.row_norms.download();
    *change_sq = 0.0;
    *norm_sq = 0.0;
    for (int i = 0; i < setup_.n; ++i) {
      *change_sq += rows[2 * static_cast<std::size_t>(i)];
      *norm_sq += rows[2 * static_cast<std::size_t>(i) + 1];
    }
  }

  void copy_target() override {
    copy_couplings();
    refresh_fields(true, true);
  }

  void download_couplings(std::vector<double>* J) const override {
    const std::vector<Real> now = d_.J.download();
    J->assign(now.begin(), now.end());
  }

  void download_chains(std::vector<std::uint8_t>* sigma, std::vector<std::uint32_t>* x) const override {
    sigma->resize(setup_.chains * static_cast<std::uint64_t>(setup_.n));
    x->resize(setup_.chains);
    d_.sigma.download(0, sigma->size(), sigma->data());
    d_.x.download(0, x->size(), x->data());
  }

 private:
  /// The launcher's executor (BackendError without a device), without its cuBLAS handle: the
  /// engine calls no library, and the handle's workspace would be device memory beyond
  /// parametric_engine_bytes.
  static Exec make_exec() {
    Exec e = Exec::make();
    e.res.reset();
    return e;
  }

  static void upload_small(const std::vector<double>& src, Array<double>* dst, const char* what) {
    if (src.size() != dst->size()) {
      throw BackendError(std::string("cuda parametric engine: set_small's ") + what + " has " +
                         std::to_string(src.size()) + " entries, expected " + std::to_string(dst->size()));
    }
    dst->upload(src);
  }

  /// Jbar <- J on the device.
  void copy_couplings() {
    const std::uint64_t count = d_.J.size();
    if (count > 0) NETRL_CUDA_CHECK(cudaMemcpyAsync(d_.Jbar.data(), d_.J.data(), count * sizeof(Real), cudaMemcpyDeviceToDevice, kStream));
  }

  void refresh_fields(bool current, bool target) {
    FieldsFromScratch<Real> f{view()};
    f.current = current;
    f.target = target;
    for_each_index(exec_, setup_.chains * static_cast<std::uint64_t>(setup_.n), f);
  }

  /// With flips: FlipPolicy over `count` recorded rows, then FlipTerms over their samples.
  void record_flips(std::uint64_t slot, std::uint64_t row_base, std::uint64_t sample_base, std::uint64_t stride,
                    std::uint64_t count) {
    if (!setup_.flips || count == 0) return;
    const auto n = static_cast<std::uint64_t>(setup_.n);
    const ParametricView<Real> v = view();
    for_each_index(exec_, count * n,
                   FlipPolicy<Real>{v, log_pi_.data(), flip_.data(), slot, row_base, sample_base, stride});
    for_each_index(exec_, count * n, FlipTerms<Real>{v, log_pi_.data(), flip_.data(), sample_base + slot * stride});
  }

  ParametricView<Real> view() { return d_.view(setup_); }

  ParametricSetup setup_;
  Exec exec_;
  bool started_ = false;
  ParametricArrays<Real, Array> d_;  // everything on the device
  Array<Real> log_pi_;                 // with flips: samples * 2 n
  Array<double> flip_, a_rows_, flip_overlap_;
};

}  // namespace

NETRL_ENGINE_FACTORY(make_parametric_engine, ParametricEngine, CudaParametricEngine, ParametricSetup);

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
