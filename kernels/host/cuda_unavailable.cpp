// The CUDA entry points of a build without CUDA (NETRL_CUDA=OFF): no device, clear errors.
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"

namespace netrl::kernels::cuda {

namespace {
const char* const kNotBuilt =
    "the CUDA backend is not built into this netrl (configure with -DNETRL_CUDA=ON and nvcc)";
}

bool device_available(std::string* reason) {
  if (reason != nullptr) *reason = kNotBuilt;
  return false;
}

template <class Real>
std::unique_ptr<ExactEngine<Real>> make_exact_engine(const EngineShape&) {
  throw BackendError(std::string("cuda backend: ") + kNotBuilt);
}

template std::unique_ptr<ExactEngine<float>> make_exact_engine<float>(const EngineShape&);
template std::unique_ptr<ExactEngine<double>> make_exact_engine<double>(const EngineShape&);

std::uint64_t available_memory() { return 0; }

double lse2_rate(bool) { throw BackendError(std::string("cuda backend: ") + kNotBuilt); }
double copy_bandwidth() { throw BackendError(std::string("cuda backend: ") + kNotBuilt); }
double time_engine_ms(const std::function<void()>&) {
  throw BackendError(std::string("cuda backend: ") + kNotBuilt);
}

void lu_solve_batched(const std::vector<double>&, int, int, std::vector<double>*, std::vector<double>*,
                      std::vector<int>*) {
  throw BackendError(std::string("cuda dense LU: ") + kNotBuilt);
}
double dgemm_rate(int) { throw BackendError(std::string("cuda backend: ") + kNotBuilt); }

}  // namespace netrl::kernels::cuda
