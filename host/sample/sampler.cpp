// The chain sampler's library front: the plan of a run (validation and policy preparation,
// sampler_plan.cpp), the dispatch to the runners of netrl/kernels/sampler.hpp (host: OpenMP, cuda:
// the CUDA module), and the statistics derived from the histogram. The per-step maths is in
// kernels/common/sampler_{math,step,blocked}.hpp.
#include "netrl/sample.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/runtime.hpp"
#include "netrl/version.hpp"
#include "sample/sampler_plan.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/sampler.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(SamplerKernel kernel) { return name_of(kernel); }

SamplerPolicy SamplerPolicy::exact(std::vector<double> values, std::vector<double> prior) {
  SamplerPolicy p;
  p.kind = Kind::exact;
  p.values = std::move(values);
  p.prior = std::move(prior);
  return p;
}

SamplerPolicy SamplerPolicy::ising(std::vector<double> J, std::vector<double> h, std::vector<double> prior) {
  SamplerPolicy p;
  p.kind = Kind::ising;
  p.J = std::move(J);
  p.h = std::move(h);
  p.prior = std::move(prior);
  return p;
}

namespace {

using sampling::Plan;

int lowest_bit(std::uint64_t v) { return __builtin_ctzll(v); }

/// spike counts, activity and pair counts from the histogram (histogram mode).
void derive_from_histogram(SampleStats& st, bool correlations) {
  const int n = st.n, m = st.m;
  const std::uint64_t nb = std::uint64_t{1} << n;
  st.spike_count.assign(static_cast<std::size_t>(n + 1) * m, 0);
  st.active.assign(static_cast<std::size_t>(n), 0);
  for (int x = 0; x < m; ++x) {
    for (std::uint64_t b = 0; b < nb; ++b) {
      const std::uint64_t c = st.histogram[(static_cast<std::uint64_t>(x) << n) | b];
      if (c == 0) continue;
      st.spike_count[static_cast<std::size_t>(popcount64(b)) * m + x] += c;
      for (std::uint64_t r = b; r; r &= r - 1) st.active[lowest_bit(r)] += c;
    }
  }
  if (!correlations) return;
  const auto un = static_cast<std::size_t>(n);
  std::vector<std::vector<std::uint64_t>> part(static_cast<std::size_t>(threads()),
                                               std::vector<std::uint64_t>(un * un, 0));
  const auto total = static_cast<std::int64_t>(st.histogram.size());
#pragma omp parallel for schedule(dynamic, 4096)
  for (std::int64_t s = 0; s < total; ++s) {
    const std::uint64_t c = st.histogram[static_cast<std::size_t>(s)];
    if (c == 0) continue;
    auto& co = part[static_cast<std::size_t>(omp_get_thread_num())];
    const std::uint64_t b = static_cast<std::uint64_t>(s) & (nb - 1);
    for (std::uint64_t r = b; r; r &= r - 1) {
      const auto i = static_cast<std::size_t>(lowest_bit(r));
      for (std::uint64_t q = r; q; q &= q - 1) co[i * un + static_cast<std::size_t>(lowest_bit(q))] += c;
    }
  }
  st.coactive.assign(un * un, 0);
  for (const auto& co : part)
    for (std::size_t k = 0; k < un * un; ++k) st.coactive[k] += co[k];
  for (std::size_t i = 0; i < un; ++i)
    for (std::size_t j = 0; j < i; ++j) st.coactive[i * un + j] = st.coactive[j * un + i];
}

/// Runs the chains of the plan on the options' backend, adding the counts into `st`.
void run(const Plan& p, const SamplingOptions& o, SampleStats& st) {
  kernels::SampleRequest rq = p.request();
  rq.first_chain = o.first_chain;
  rq.chains = o.chains;
  rq.batch = o.batch;
  rq.host_block = sampling::host_block_size(o, p);
  rq.gemm_block = o.gemm_block;
  rq.burn_in = o.burn_in;
  rq.steps = o.steps;
  rq.thin = o.thin;
  std::vector<std::uint8_t*> raster_states;
  std::vector<std::uint32_t*> raster_inputs;
  for (auto& r : st.rasters) {
    raster_states.push_back(r.states.data());
    raster_inputs.push_back(r.inputs.data());
  }
  kernels::SampleOutput out;
  out.histogram = st.histogram.empty() ? nullptr : st.histogram.data();
  out.transitions = st.transitions.empty() ? nullptr : st.transitions.data();
  out.spike_count = st.spike_count.data();
  out.active = st.active.data();
  out.coactive = st.coactive.empty() ? nullptr : st.coactive.data();
  out.raster_states = raster_states.data();
  out.raster_inputs = raster_inputs.data();
  out.flips = &st.flips;
  if (o.backend == Backend::cuda) {
    kernels::cuda::run_sampler(rq, out);
  } else {
    kernels::host::run_sampler(rq, out);
  }
}

}  // namespace

void check_sample_work(const SamplingOptions& o) {
  std::uint64_t per_chain = 0, total = 0;
  if (!checked_add(o.burn_in, o.steps, &per_chain) || !checked_multiply(per_chain, o.chains, &total) ||
      total > limit(LimitId::sample_steps)) {
    throw InvalidInput("sampling.steps", std::to_string(o.chains) + " chains x (burn_in " + std::to_string(o.burn_in) +
                                             " + steps " + std::to_string(o.steps) + ") chain steps exceed " +
                                             limit_hint(LimitId::sample_steps));
  }
}

SampleResult sample(const NetworkModel& model, const SamplerPolicy& policy, const SamplingOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.threads < 0 || options.threads > SolverOptions::kMaxThreads) {
    throw InvalidInput("sampling.threads", "must lie in [0, " + std::to_string(SolverOptions::kMaxThreads) + "]");
  }
  const ThreadScope thread_scope(options.threads);
  const bool cuda = options.backend == Backend::cuda;
  if (cuda) {
    std::string reason;
    if (!kernels::cuda::device_available(&reason)) {  // the engines' shared device check
      throw BackendError("sampling.backend: the CUDA backend is not available: " + reason);
    }
  }
  const Plan p = sampling::make_plan(model, policy, options);
  SampleResult res;
  res.backend = cuda ? Backend::cuda : Backend::host;
  res.kernel = to_string(p.kernel);
  res.seed = options.seed;
  res.updates = options.chains * p.total_steps;
  SampleStats& st = res.stats;
  st.n = p.n;
  st.m = p.m;
  st.chains = options.chains;
  st.samples_per_chain = p.samples_per_chain;
  const std::uint64_t states = static_cast<std::uint64_t>(p.m) << std::min(p.n, 62);
  if (p.histogram) st.histogram.assign(states, 0);
  if (p.transitions) st.transitions.assign(states * static_cast<std::uint64_t>(p.n + 1), 0);
  st.spike_count.assign(static_cast<std::size_t>(p.n + 1) * p.m, 0);
  st.active.assign(static_cast<std::size_t>(p.n), 0);
  if (p.correlations && !p.histogram) st.coactive.assign(static_cast<std::size_t>(p.n) * p.n, 0);
  for (std::uint64_t c : p.raster_chains) {
    Raster r;
    r.chain = c;
    r.steps = p.samples_per_chain;
    r.n = p.n;
    r.states.assign(p.samples_per_chain * static_cast<std::uint64_t>(p.n), 0);
    r.inputs.assign(p.samples_per_chain, 0);
    st.rasters.push_back(std::move(r));
  }
  run(p, options, st);
  if (p.histogram) derive_from_histogram(st, p.correlations);
  res.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

NETRL_NAMESPACE_END  // namespace netrl
