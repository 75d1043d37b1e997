#pragma once
// Horner's rule with the coefficients written highest degree first:
// horner(x, c_n, ..., c_1, c_0) = (...(c_n x + c_{n-1}) x + ...) x + c_0, one multiply and one add
// per coefficient in that fixed order (the same operations whatever calls it, so the sampler's
// bit-for-bit agreement between backends is kept). Always inlined into the vectorised loops.
#include "config.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

template <class Real>
NETRL_KERNEL_INLINE Real horner(Real, Real c) {
  return c;
}

template <class Real, class... Rest>
NETRL_KERNEL_INLINE Real horner(Real x, Real c, Real next, Rest... rest) {
  return horner<Real>(x, c * x + next, static_cast<Real>(rest)...);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
