#pragma once
// The step functors' view of a sampler request (netrl/kernels/sampler.hpp): the chain constants
// and the policies over the request's pointers, for the host runners and the CUDA runner (which
// then points them at its device copies).
#include <cstdint>

#include "netrl/kernels/sampler.hpp"
#include "sampler_step.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

inline ChainConstants chain_constants(const SampleRequest& rq) {
  ChainConstants k;
  k.key0 = static_cast<std::uint32_t>(rq.seed);
  k.key1 = static_cast<std::uint32_t>(rq.seed >> 32);
  k.n = rq.n;
  k.nf = rq.nf;
  k.m = rq.m;
  k.free_list = rq.free_list;
  k.input_cdf = rq.input_cdf;
  k.clamp_mask = rq.clamp_mask;
  k.clamp_bits = rq.clamp_bits;
  k.clamp_state = rq.clamp_state;
  return k;
}

inline TablePolicy table_policy(const SampleRequest& rq) { return TablePolicy{rq.table, rq.n}; }
inline ExactPolicy exact_policy(const SampleRequest& rq) { return ExactPolicy{rq.w, rq.logit_prior, rq.scale, rq.n}; }
inline IsingPolicy ising_policy(const SampleRequest& rq) {
  return IsingPolicy{rq.J, rq.h, rq.logit_prior, rq.scale, rq.n};
}

/// True iff the word state b agrees with the clamps (n <= 64).
inline bool consistent(const SampleRequest& rq, std::uint64_t b) { return (b & rq.clamp_mask) == rq.clamp_bits; }

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
