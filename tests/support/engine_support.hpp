#pragma once
// The kernel engines of the backend under test (test::kBackend): cuda in the *_cuda binaries,
// host otherwise.
#include <memory>

#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "test_support.hpp"

namespace netrl::test {

template <class Real>
std::unique_ptr<kernels::ExactEngine<Real>> exact_engine(const kernels::EngineShape& shape) {
  return kBackend == Backend::cuda ? kernels::cuda::make_exact_engine<Real>(shape)
                                   : kernels::host::make_exact_engine<Real>(shape);
}

template <class Real>
std::unique_ptr<kernels::MdpEngine<Real>> mdp_engine(const kernels::MdpShape& shape) {
  return kBackend == Backend::cuda ? kernels::cuda::make_mdp_engine<Real>(shape)
                                   : kernels::host::make_mdp_engine<Real>(shape);
}

}  // namespace netrl::test
