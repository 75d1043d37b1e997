#pragma once
// Internal to the chain sampler's front (sample/sampler*.cpp): the plan of a run, everything the
// runners of netrl/kernels/sampler.hpp need, validated and prepared once. Not part of the public API.
#include <cstdint>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"
#include "netrl/kernels/huge_pages.hpp"
#include "netrl/kernels/sampler.hpp"

NETRL_NAMESPACE_BEGIN namespace sampling {

/// Everything the runners need, prepared and validated once.
struct Plan {
  int n = 0, m = 1;
  std::uint32_t nf = 0;
  std::vector<int> free_list;
  std::vector<std::uint8_t> clamp_state;
  std::uint64_t clamp_mask = 0, clamp_bits = 0;
  std::vector<std::uint64_t> cdf;
  std::vector<double> logit;
  double scale = 0.0;
  SamplerPolicy::Kind kind = SamplerPolicy::Kind::exact;
  SamplerKernel kernel = SamplerKernel::direct;
  kernels::host::HugeVector<std::uint32_t> table;
  kernels::host::HugeVector<double> w;
  std::vector<double> J, h;
  bool histogram = false, transitions = false, correlations = false;
  std::uint64_t samples_per_chain = 0;
  std::uint64_t total_steps = 0;
  std::vector<std::uint64_t> raster_chains;
  std::uint64_t seed = 0;

  bool consistent(std::uint64_t b) const { return (b & clamp_mask) == clamp_bits; }

  kernels::SamplerMethod method() const {
    if (kernel == SamplerKernel::table) return kernels::SamplerMethod::table;
    if (kind == SamplerPolicy::Kind::exact) return kernels::SamplerMethod::exact;
    return kernel == SamplerKernel::gemm ? kernels::SamplerMethod::ising_gemm : kernels::SamplerMethod::ising;
  }

  /// The runners' view of the plan: pointers into it, and what to record (the run's chains, steps
  /// and batching are the caller's).
  kernels::SampleRequest request() const {
    kernels::SampleRequest rq;
    rq.seed = seed;
    rq.n = n;
    rq.nf = nf;
    rq.m = static_cast<std::uint32_t>(m);
    rq.free_list = free_list.data();
    rq.input_cdf = cdf.data();
    rq.clamp_mask = clamp_mask;
    rq.clamp_bits = clamp_bits;
    rq.clamp_state = clamp_state.data();
    rq.method = method();
    rq.table = table.data();
    rq.table_size = table.size();
    rq.w = w.data();
    rq.w_size = w.size();
    rq.J = J.data();
    rq.h = h.data();
    rq.logit_prior = logit.data();
    rq.scale = scale;
    rq.histogram = histogram;
    rq.transitions = transitions;
    rq.correlations = correlations;
    rq.raster_chains = raster_chains.data();
    rq.raster_count = raster_chains.size();
    return rq;
  }
};

/// Validates the model, the policy and the options (InvalidInput naming the field), checks the
/// memory the run needs, and prepares the policy: W = V T^T (exact), rounded couplings (Ising),
/// the threshold table (kernel table).
Plan make_plan(const NetworkModel& model, const SamplerPolicy& policy, const SamplingOptions& o);

/// The input's integer CDF C[x][x'] = floor(2^32 * sum_{y <= x'} T(y|x)) (running sum in float64,
/// the last positive column forced to 2^32), as the kernels draw inputs (sampler_math.hpp); shared
/// with the parametric solver's chains.
std::vector<std::uint64_t> input_cdf(const InputProcess& in);

/// Chains advanced in lockstep by one host thread.
std::uint64_t host_block_size(const SamplingOptions& o, const Plan& p);

}  NETRL_NAMESPACE_END  // namespace netrl::sampling
