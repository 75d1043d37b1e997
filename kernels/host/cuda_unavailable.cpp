// The CUDA entry points of a build without CUDA (NETRL_CUDA=OFF): no device, clear errors.
#include <functional>
#include <string>

#include "../common/factory.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

namespace {
const char* const kNotBuilt =
    "the CUDA backend is not built into this netrl (configure with -DNETRL_CUDA=ON and nvcc)";

[[noreturn]] void not_built(const char* what) { throw BackendError(std::string(what) + ": " + kNotBuilt); }
}  // namespace

bool device_available(std::string* reason) {
  if (reason != nullptr) *reason = kNotBuilt;
  return false;
}

template <class Real>
std::unique_ptr<ExactEngine<Real>> make_exact_engine(const EngineShape&) {
  not_built("cuda backend");
}

NETRL_INSTANTIATE_FACTORY(make_exact_engine, ExactEngine, EngineShape);

template <class Real>
std::unique_ptr<MdpEngine<Real>> make_mdp_engine(const MdpShape&) {
  not_built("cuda backend");
}

NETRL_INSTANTIATE_FACTORY(make_mdp_engine, MdpEngine, MdpShape);

std::uint64_t available_memory() { return 0; }

std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t, int) { not_built("cuda dense solve"); }
double pinned_bandwidth() { not_built("cuda backend"); }
double sampler_step_rate(bool) { not_built("cuda backend"); }

void run_sampler(const SampleRequest&, const SampleOutput&) { not_built("cuda sampler"); }

template <class Real>
std::unique_ptr<ParametricEngine<Real>> make_parametric_engine(const ParametricSetup&) {
  not_built("cuda parametric solver");
}
NETRL_INSTANTIATE_FACTORY(make_parametric_engine, ParametricEngine, ParametricSetup);

double lse2_rate(bool) { not_built("cuda backend"); }
double copy_bandwidth() { not_built("cuda backend"); }
double dgemm_rate(int) { not_built("cuda backend"); }
double time_engine_ms(const std::function<void()>&) { not_built("cuda backend"); }

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
