#pragma once
// The arrays of a parametric engine, the ParametricView (parametric_step.hpp) over them and the
// unpacking of a batch's sums, for every engine: Vec is the engine's storage (std::vector on the
// host, kernels/cuda/device_array.cuh's Array on a device); both have data() and size(). The CUDA
// engine (kernels/cuda/parametric_engine.cu) uses them; kernels/host/parametric_host.cpp still
// has its own copy of the same code (to be replaced by these).
#include <cstdint>

#include "netrl/kernels/parametric.hpp"
#include "netrl/version.hpp"
#include "parametric_step.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// The part of the view that follows from `setup`: the chains' constants (their tables at
/// free_list, input_cdf and clamp_state, the engine's copies), the counts and the scalars.
template <class Real>
ParametricView<Real> setup_view(const ParametricSetup& setup, const int* free_list, const std::uint64_t* input_cdf,
                                const std::uint8_t* clamp_state) {
  ParametricView<Real> v;
  v.k.key0 = static_cast<std::uint32_t>(setup.seed);
  v.k.key1 = static_cast<std::uint32_t>(setup.seed >> 32);
  v.k.n = setup.n;
  v.k.nf = setup.nf;
  v.k.m = setup.m;
  v.k.free_list = free_list;
  v.k.input_cdf = input_cdf;
  v.k.clamp_state = clamp_state;
  v.first_chain = setup.first_chain;
  v.chains = setup.chains;
  v.batch = setup.batch;
  v.samples = setup.batch + setup.explore;
  v.explore = setup.explore;
  v.coupling = setup.coupling;
  v.inv_temperature = setup.inv_temperature;
  v.lambda = setup.lambda;
  v.inv_nf = 1.0 / static_cast<double>(setup.nf);
  return v;
}

/// The batch's value, backup, cost and lag from SampleSums's `samples` rows of
/// kParametricOutputs at `sums`.
inline void split_sample_sums(const double* sums, std::uint64_t samples, ParametricBatch* out) {
  out->value.resize(samples);
  out->backup.resize(samples);
  out->cost.resize(samples);
  out->lag.resize(samples);
  for (std::uint64_t s = 0; s < samples; ++s) {
    const double* o = sums + s * kParametricOutputs;
    out->value[s] = o[0];
    out->backup[s] = o[1];
    out->cost[s] = o[2];
    out->lag[s] = o[3];
  }
}

/// Every array a view points to, named as in ParametricView (sizes: see there; `mask` empty
/// without a mask, `overlap` may be empty with one).
template <class Real, template <class> class Vec>
struct ParametricArrays {
  Vec<int> free_list;
  Vec<std::uint64_t> input_cdf, t;
  Vec<std::uint8_t> clamp_state, mask, sigma, sample_on;
  Vec<Real> J, Jbar, u, ubar, spin, overlap;
  Vec<std::uint32_t> x, sample_x;
  Vec<double> ht, h, c, hbt, cbt, logit_p, log_p, log_q;
  Vec<double> terms, sample_out, rho_sum, a, row_norms;

  ParametricView<Real> view(const ParametricSetup& setup) {
    ParametricView<Real> v = setup_view<Real>(setup, free_list.data(), input_cdf.data(), clamp_state.data());
    v.J = J.data();
    v.Jbar = Jbar.data();
    v.mask = mask.size() == 0 ? nullptr : mask.data();
    v.sigma = sigma.data();
    v.u = u.data();
    v.ubar = ubar.data();
    v.x = x.data();
    v.t = t.data();
    v.ht = ht.data();
    v.h = h.data();
    v.c = c.data();
    v.hbt = hbt.data();
    v.cbt = cbt.data();
    v.logit_p = logit_p.data();
    v.log_p = log_p.data();
    v.log_q = log_q.data();
    v.spin = spin.data();
    v.sample_x = sample_x.data();
    v.sample_on = sample_on.data();
    v.terms = terms.data();
    v.sample_out = sample_out.data();
    v.rho_sum = rho_sum.data();
    v.a = a.data();
    v.overlap = overlap.data();
    v.row_norms = row_norms.data();
    return v;
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
