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
#include "../common/parametric_step.hpp"
#include "device_array.cuh"
#include "errors.cuh"
#include "launch.cuh"
#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
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
    free_list_ = Array<int>(setup.free_list.data(), setup.free_list.size());
    clamp_state_ = Array<std::uint8_t>(setup.clamp_state.data(), setup.clamp_state.size());
    input_cdf_ = Array<std::uint64_t>(setup.input_cdf.data(), setup.input_cdf.size());
    if (!setup.mask.empty()) mask_ = Array<std::uint8_t>(setup.mask.data(), setup.mask.size());
    // The arrays of parametric_engine_bytes: couplings, chain rows, the batch's samples, overlaps
    // (the overlaps only where the field update uses them: without a mask).
    J_ = Array<Real>(n * n);
    Jbar_ = Array<Real>(n * n);
    sigma_ = Array<std::uint8_t>(rows * n);
    u_ = Array<Real>(rows * n);
    ubar_ = Array<Real>(rows * n);
    x_ = Array<std::uint32_t>(rows);
    t_ = Array<std::uint64_t>(setup.chains);
    spin_ = Array<Real>(samples * n);
    sample_x_ = Array<std::uint32_t>(samples);
    sample_on_ = Array<std::uint8_t>(samples * n);
    terms_ = Array<double>(samples * n * 4);
    sample_out_ = Array<double>(samples * 3);
    a_ = Array<double>(samples);
    if (setup.mask.empty()) overlap_ = Array<Real>(samples * setup.chains);
    rho_sum_ = Array<double>(n);
    row_norms_ = Array<double>(2 * n);
    // The small parameters (ParametricSmall's sizes).
    ht_ = Array<double>(m * n);
    h_ = Array<double>(m * n);
    hbt_ = Array<double>(m * n);
    c_ = Array<double>(m);
    cbt_ = Array<double>(m);
    logit_p_ = Array<double>(n);
    log_p_ = Array<double>(n);
    log_q_ = Array<double>(n);
  }

  std::string description() const override { return exec_.description(); }

  void set_couplings(const std::vector<double>& J) override {
    const auto nn = static_cast<std::uint64_t>(setup_.n) * static_cast<std::uint64_t>(setup_.n);
    if (J.size() != nn) throw BackendError("cuda parametric engine: set_couplings needs n * n couplings");
    const std::vector<Real> rounded(J.begin(), J.end());
    J_.upload(rounded);
    copy_couplings();
    if (!started_) {
      for_each_index(exec_, setup_.chains, InitChain<Real>{view()});
      started_ = true;
    }
    refresh_fields(true, true);
  }

  void set_small(const ParametricSmall& small) override {
    upload_small(small.ht, &ht_, "ht");
    upload_small(small.h, &h_, "h");
    upload_small(small.c, &c_, "c");
    upload_small(small.hbt, &hbt_, "hbt");
    upload_small(small.cbt, &cbt_, "cbt");
    upload_small(small.logit_p, &logit_p_, "logit_p");
    upload_small(small.log_p, &log_p_, "log_p");
    upload_small(small.log_q, &log_q_, "log_q");
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
  }

  void read_batch(ParametricBatch* out) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    for_each_index(exec_, samples, SampleSums<Real>{view()});
    for_each_index(exec_, static_cast<std::uint64_t>(setup_.n), RhoSums<Real>{view()});
    const std::vector<double> sums = sample_out_.download();
    out->value.resize(samples);
    out->backup.resize(samples);
    out->cost.resize(samples);
    for (std::uint64_t s = 0; s < samples; ++s) {
      out->value[s] = sums[s * 3 + 0];
      out->backup[s] = sums[s * 3 + 1];
      out->cost[s] = sums[s * 3 + 2];
    }
    out->x = sample_x_.download();
    out->on = sample_on_.download();
    out->rho_sum = rho_sum_.download();
  }

  void step_couplings(const std::vector<double>& a) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    if (a.size() != samples) throw BackendError("cuda parametric engine: step_couplings needs one step per sample");
    a_.upload(a);
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

  void coupling_norms(double* change_sq, double* norm_sq) override {
    for_each_index(exec_, static_cast<std::uint64_t>(setup_.n), CouplingNorms<Real>{view()});
    const std::vector<double> rows = row_norms_.download();
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
    const std::vector<Real> now = J_.download();
    J->assign(now.begin(), now.end());
  }

  void download_chains(std::vector<std::uint8_t>* sigma, std::vector<std::uint32_t>* x) const override {
    sigma->resize(setup_.chains * static_cast<std::uint64_t>(setup_.n));
    x->resize(setup_.chains);
    sigma_.download(0, sigma->size(), sigma->data());
    x_.download(0, x->size(), x->data());
  }

 private:
  /// The launcher's executor without cuBLAS (the engine calls no library): device name and grid cap.
  static Exec make_exec() {
    std::string reason;
    if (!device_available(&reason)) throw BackendError("cuda parametric solver: " + reason);
    Exec e;
    int device = 0;
    NETRL_CUDA_CHECK(cudaGetDevice(&device));
    cudaDeviceProp prop{};
    NETRL_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    e.device_name = prop.name;
    e.max_blocks = static_cast<unsigned>(std::max(1, prop.multiProcessorCount)) * 32u;
    e.launcher = launcher_from_environment();
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
    const std::uint64_t count = J_.size();
    if (count > 0) NETRL_CUDA_CHECK(cudaMemcpyAsync(Jbar_.data(), J_.data(), count * sizeof(Real), cudaMemcpyDeviceToDevice, kStream));
  }

  void refresh_fields(bool current, bool target) {
    FieldsFromScratch<Real> f{view()};
    f.current = current;
    f.target = target;
    for_each_index(exec_, setup_.chains * static_cast<std::uint64_t>(setup_.n), f);
  }

  ParametricView<Real> view() {
    ParametricView<Real> v;
    v.k.key0 = static_cast<std::uint32_t>(setup_.seed);
    v.k.key1 = static_cast<std::uint32_t>(setup_.seed >> 32);
    v.k.n = setup_.n;
    v.k.nf = setup_.nf;
    v.k.m = setup_.m;
    v.k.free_list = free_list_.data();
    v.k.input_cdf = input_cdf_.data();
    v.k.clamp_state = clamp_state_.data();
    v.first_chain = setup_.first_chain;
    v.chains = setup_.chains;
    v.batch = setup_.batch;
    v.samples = setup_.batch + setup_.explore;
    v.explore = setup_.explore;
    v.J = J_.data();
    v.Jbar = Jbar_.data();
    v.mask = setup_.mask.empty() ? nullptr : mask_.data();
    v.sigma = sigma_.data();
    v.u = u_.data();
    v.ubar = ubar_.data();
    v.x = x_.data();
    v.t = t_.data();
    v.ht = ht_.data();
    v.h = h_.data();
    v.c = c_.data();
    v.hbt = hbt_.data();
    v.cbt = cbt_.data();
    v.logit_p = logit_p_.data();
    v.log_p = log_p_.data();
    v.log_q = log_q_.data();
    v.coupling = setup_.coupling;
    v.inv_temperature = setup_.inv_temperature;
    v.lambda = setup_.lambda;
    v.inv_nf = 1.0 / static_cast<double>(setup_.nf);
    v.spin = spin_.data();
    v.sample_x = sample_x_.data();
    v.sample_on = sample_on_.data();
    v.terms = terms_.data();
    v.sample_out = sample_out_.data();
    v.rho_sum = rho_sum_.data();
    v.a = a_.data();
    v.overlap = overlap_.data();
    v.row_norms = row_norms_.data();
    return v;
  }

  ParametricSetup setup_;
  Exec exec_;
  bool started_ = false;
  Array<int> free_list_;
  Array<std::uint8_t> clamp_state_, mask_, sigma_, sample_on_;
  Array<std::uint64_t> input_cdf_, t_;
  Array<Real> J_, Jbar_, u_, ubar_, spin_, overlap_;
  Array<std::uint32_t> x_, sample_x_;
  Array<double> terms_, sample_out_, a_, rho_sum_, row_norms_;
  Array<double> ht_, h_, hbt_, c_, cbt_, logit_p_, log_p_, log_q_;
};

}  // namespace

NETRL_ENGINE_FACTORY(make_parametric_engine, ParametricEngine, CudaParametricEngine, ParametricSetup);

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
