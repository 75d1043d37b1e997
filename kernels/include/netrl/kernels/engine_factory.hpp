#pragma once
// Every engine interface (ExactEngine, MdpEngine, ParametricEngine) has one factory per backend:
// kernels::host::name<Real> (OpenMP) and kernels::cuda::name<Real> (in the CUDA module, loaded on
// first use; BackendError where it cannot be loaded, no device answers or the module has no
// launcher for that engine; see cuda::device_available). The definitions are
// kernels/common/factory.hpp's NETRL_ENGINE_FACTORY, instantiated for float and double.
#include <memory>

/// Declares `name<Real>(const Arg&) -> std::unique_ptr<Base<Real>>` in kernels::host and
/// kernels::cuda; used inside namespace netrl::kernels.
#define NETRL_DECLARE_ENGINE_FACTORY(name, Base, Arg)                \
  namespace host {                                                    \
  template <class Real>                                               \
  std::unique_ptr<Base<Real>> name(const Arg& arg);                   \
  }                                                                   \
  namespace cuda {                                                    \
  template <class Real>                                               \
  std::unique_ptr<Base<Real>> name(const Arg& arg);                   \
  }
