#pragma once
// The host loops of the parametric solver's regression on local fields (parametric_flips.hpp),
// compiled with the kernels' flags (-O3, -march; kernels/CMakeLists.txt) so that the soft terms'
// log-sum-exps are vectorised: the engine (parametric_host.cpp, built without them for the chains'
// bit-exact arithmetic) calls these. The couplings' step stays in parametric_host.cpp: it must
// match the CUDA engine bit for bit (no fused multiply-adds).
#include <cstdint>

#include "../common/parametric_flips.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// f(item) for item in [0, items), over the threads (each item writes its own entry).
template <class Real>
void run_flip_terms(const FlipTerms<Real>& f, std::uint64_t items);

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
