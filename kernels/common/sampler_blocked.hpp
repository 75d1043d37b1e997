#pragma once
// The batched ("blocked") formulation of the Ising chains: within a block of steps every chain
// reads a stale field F (from the start of the block) plus the contributions of its own flips so
// far in the block, and records its net change of state in a matrix D (chains x n, entries
// sigma_end - sigma_start in {-2, 0, 2}). At the end of the block all fields are brought up to
// date at once with one GEMM, F += D J (cuBLAS on CUDA, Eigen on the host). Because every field is
// an exact float64 sum (sampler_step.hpp), this makes exactly the decisions of IsingStepper.
#include <cstdint>

#include "sampler_step.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

struct IsingBlockedStepper {
  ChainConstants k;
  IsingPolicy policy;

  /// One step inside a block. `flips` holds the chain's flips of this block (neuron << 1 | now_on),
  /// `count` how many; `delta` is the chain's row of D. Returns the flipped neuron or -1.
  NETRL_HD_INLINE int operator()(std::uint64_t chain, std::uint64_t t, IsingScalars& s, std::uint8_t* sigma,
                                 const double* stale_field, std::int32_t* flips, std::int32_t& count,
                                 double* delta, std::uint64_t stride) const {
    const Philox4 r = k.step_draws(chain, t);
    const int i = k.pick_neuron(r);
    const double* row = policy.J + static_cast<std::uint64_t>(i) * k.n;
    double field = stale_field[i * stride];
    for (std::int32_t q = 0; q < count; ++q) {
      const std::int32_t code = flips[static_cast<std::uint64_t>(q) * stride];
      const double coupling = row[code >> 1];
      if (code & 1) field += 2.0 * coupling;
      else field -= 2.0 * coupling;
    }
    bool spike = false;
    if (!change_neuron(k, r, i, policy.threshold(field, s.x, i), s, sigma, stride, spike)) return -1;
    flips[static_cast<std::uint64_t>(count) * stride] = (i << 1) | (spike ? 1 : 0);
    ++count;
    delta[i * stride] += spike ? 2.0 : -2.0;
    return i;
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
