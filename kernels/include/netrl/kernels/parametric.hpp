#pragma once
// The parametric (Ising-value) solver's kernels behind one interface (no CUDA headers here): the
// chains of the current Glauber policy, the per-sample terms of the soft-Bellman target, and the
// SGD step of the couplings. The large arrays (couplings, chain states and fields, the batch's
// samples) live in the engine (host memory or device memory); the solver's driver
// (host/solve/parametric/) keeps the small parameters (fields h(x), offsets c(x), the prior) and
// uploads them. The maths is kernels/common/parametric_step.hpp, run by the host backend with
// OpenMP (kernels/host/parametric_host.cpp: the same bits for any number of threads) and by the
// CUDA module (kernels/cuda/parametric_engine.cu: the host's bits for the chains, spins, values and
// couplings; the backup, coding cost and rho to rounding, through CUDA's log1p; docs/gpu.md).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "netrl/kernels/engine_factory.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// What an engine is built for. Pointers are host arrays, copied by the engine.
struct ParametricSetup {
  int n = 0;
  std::uint32_t nf = 0;
  std::uint32_t m = 1;
  std::uint64_t chains = 0;
  std::uint64_t batch = 0;  // the chains' samples per batch, a multiple of chains
  std::uint64_t explore = 0;  // uniform exploration samples per batch (after the chains')
  std::uint64_t seed = 0;   // the Philox key
  std::uint64_t first_chain = 0;
  std::vector<int> free_list;             // nf
  std::vector<std::uint8_t> clamp_state;  // n: 0 free, 1 silent, 2 active
  std::vector<std::uint64_t> input_cdf;   // m * m (sampler_math.hpp)
  std::vector<std::uint8_t> mask;         // n * n kept pairs (empty: all pairs)
  double coupling = 0.0;                  // 2 / (nf lambda)
  double inv_temperature = 0.0;           // 1 / (nf lambda)
  double lambda = 0.0;
  /// The regression on local fields (kernels/common/parametric_flips.hpp): every record also
  /// returns the batch's flip entries (ParametricBatch::flip).
  bool flips = false;
};

/// The small parameters, float64 (m * n, m or n entries).
struct ParametricSmall {
  std::vector<double> ht;   // policy fields T h (current)
  std::vector<double> h;    // value fields (current)
  std::vector<double> c;    // value offsets (current)
  std::vector<double> hbt;  // target T hbar
  std::vector<double> cbt;  // target T cbar
  std::vector<double> logit_p, log_p, log_q;
};

/// Entries per (sample, neuron) of ParametricBatch::flip (kernels/common/parametric_flips.hpp).
constexpr std::uint64_t kFlipTerms = 3;

/// What a batch returns to the host, in sample order (sample s = slot * chains + chain, then the
/// exploration samples): batch + explore entries (rows).
struct ParametricBatch {
  std::vector<double> value;      // v_phi at the sample
  std::vector<double> backup;     // vhat - r + L (eq. 41 without reward and gain)
  std::vector<double> cost;       // coding cost c(s, x)
  std::vector<double> lag;        // sum_{i<j} (J_ij - Jbar_ij) s_i s_j: the couplings' change since the target copy
  std::vector<std::uint32_t> x;   // input
  std::vector<std::uint8_t> on;   // batch * n, 0/1
  std::vector<double> rho_sum;    // n: sum over the chains' samples of rho_i
  /// With ParametricSetup::flips, (samples * n * kFlipTerms): per sample and neuron D_i, Dhat_i
  /// less the reward's part, 2 (u_i - ubar_i) (parametric_flips.hpp); else empty.
  std::vector<double> flip;
};

/// Number of bytes an engine allocates (for the caller's memory check before construction), with
/// flips also the batch's flip entries and their copy.
double parametric_engine_bytes(int n, std::uint64_t chains, std::uint64_t samples, bool mask, bool single,
                               bool flips = false);

/// The planted reward's differences under one flip (core/reward.hpp, kind planted: couplings J
/// n * n, fields h, prior p, weight lambda), on the host: out[i] = r(s^{i+}) - r(s^{i-}) =
/// (2/n) (h_i + 2 w_i) + lambda s_i sum_{k != i} log(pi_k e^{-d} + (1 - pi_k) e^{d}), w_k = sum_l J_kl s_l,
/// d = 2 s_i J_ki / (n lambda), pi_k = sigmoid(2 (h_k + w_k) / (n lambda) + logit p): the soft terms
/// of the regression on local fields (kernels/common/parametric_flips.hpp) with the planted
/// couplings. Returns the reward r(s) itself, from the same fields. `work` is scratch. The second
/// form computes in float32 (a float32 solve) from J32, the couplings rounded to float32.
double planted_flip_differences(int n, const double* J, const double* h, double prior, double lambda,
                                const std::uint8_t* on, double* out, std::vector<double>* work);
double planted_flip_differences(int n, const float* J32, const double* h, double prior, double lambda,
                                const std::uint8_t* on, double* out, std::vector<float>* work);

namespace host {
/// Log-sum-exps per second of the regression's soft sums (parametric_flips.hpp) on all threads,
/// rows of 1024 in cache, float32 or float64 arithmetic (best of 3): the floor of
/// bench_parametric's regression on local fields.
double soft_sum_rate(bool single);
}  // namespace host

template <class Real>
class ParametricEngine {
 public:
  virtual ~ParametricEngine() = default;
  /// "host (OpenMP, 2 threads)", "cuda (NVIDIA ...)".
  virtual std::string description() const = 0;
  /// Current and target couplings (n * n, row-major; zero on clamped and masked pairs and the
  /// diagonal) and the chains' fields from scratch. The chains start (uniformly) on the first call.
  virtual void set_couplings(const std::vector<double>& J) = 0;
  virtual void set_small(const ParametricSmall& small) = 0;
  /// Every chain takes `steps` steps of the current policy.
  virtual void advance(std::uint64_t steps) = 0;
  /// Records the chains' states as samples slot * chains .. (slot + 1) * chains - 1 with their
  /// terms (under the current small parameters and couplings).
  virtual void record(std::uint64_t slot) = 0;
  /// Draws the exploration samples of the batch numbered `draw` (uniform states, fields from
  /// scratch) and their terms.
  virtual void record_explore(std::uint64_t draw) = 0;
  /// The batch's samples (after `batch / chains` records and record_explore).
  virtual void read_batch(ParametricBatch* out) = 0;
  /// The SGD step of the couplings, J_ij += sum_s a[s] s_i s_j over kept pairs and all samples,
  /// and the chains' current fields with it (rank-samples update, or from scratch with a mask).
  virtual void step_couplings(const std::vector<double>& a) = 0;
  /// The couplings' step of the regression on local fields (ParametricSetup::flips): J_ij +=
  /// sum_s (a[s n + i] s_j + s_i a[s n + j]) over kept pairs, and the chains' current fields (from
  /// scratch with a mask, else by a rank update). Engines without it (none today) throw std::logic_error.
  virtual void step_couplings_flips(const std::vector<double>& /*a*/) {
    throw std::logic_error("the regression on local fields is not implemented by the " + description() + " engine");
  }
  /// sum_{i,j} (J_ij - Jbar_ij)^2 and sum_{i,j} J_ij^2 (rows summed in order).
  virtual void coupling_norms(double* change_sq, double* norm_sq) = 0;
  /// Jbar <- J, and every chain's fields (current and target) from scratch.
  virtual void copy_target() = 0;
  virtual void download_couplings(std::vector<double>* J) const = 0;
  /// Chain states (chains * n, 0/1) and inputs.
  virtual void download_chains(std::vector<std::uint8_t>* sigma, std::vector<std::uint32_t>* x) const = 0;
};

/// host::make_parametric_engine<Real>(setup), cuda::make_parametric_engine<Real>(setup).
NETRL_DECLARE_ENGINE_FACTORY(make_parametric_engine, ParametricEngine, ParametricSetup)

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
