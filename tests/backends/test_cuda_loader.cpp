// The CUDA entry points of a CUDA build when the CUDA module cannot be loaded (NETRL_CUDA_MODULE
// names a file that does not exist, as on a machine where libnetrl_cuda.so or the CUDA libraries
// are missing): no device, with the loader's reason, and a BackendError from every other entry
// point, from the host API as from the kernels'.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/sample.hpp"
#include "netrl/solve.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

constexpr const char* kMissing = "/nonexistent/netrl-test/libnetrl_cuda.so";

// The loader reads NETRL_CUDA_MODULE once, on the first CUDA call of the process: set it before main.
const bool kModuleRedirected = ::setenv("NETRL_CUDA_MODULE", kMissing, 1) == 0;

TEST(CudaLoader, MissingModuleMeansNoDeviceWithTheReason) {
  ASSERT_TRUE(kModuleRedirected);
  std::string reason;
  EXPECT_FALSE(kernels::cuda::device_available(&reason));
  EXPECT_NE(reason.find("cannot be loaded"), std::string::npos) << reason;
  EXPECT_NE(reason.find(kMissing), std::string::npos) << reason;
  EXPECT_EQ(kernels::cuda::available_memory(), 0u);
  EXPECT_FALSE(backend_available(Backend::cuda, &reason));
}

TEST(CudaLoader, MissingModuleMakesEveryEntryPointABackendError) {
  kernels::EngineShape shape;
  shape.nf = 3;
  EXPECT_THROW(kernels::cuda::make_exact_engine<double>(shape), BackendError);
  EXPECT_THROW(kernels::cuda::make_exact_engine<float>(shape), BackendError);
  EXPECT_THROW(kernels::cuda::make_parametric_engine<double>(kernels::ParametricSetup{}), BackendError);
  EXPECT_THROW(kernels::cuda::make_parametric_engine<float>(kernels::ParametricSetup{}), BackendError);
  EXPECT_THROW(kernels::cuda::make_dense_batch(1, 1), BackendError);
  EXPECT_THROW(kernels::cuda::pinned_bandwidth(), BackendError);
  EXPECT_THROW(kernels::cuda::sampler_step_rate(true), BackendError);
  EXPECT_THROW(kernels::cuda::run_sampler(kernels::SampleRequest{}, kernels::SampleOutput{}), BackendError);
  EXPECT_THROW(kernels::cuda::lse2_rate(false), BackendError);
  EXPECT_THROW(kernels::cuda::copy_bandwidth(), BackendError);
  EXPECT_THROW(kernels::cuda::dgemm_rate(8), BackendError);
  EXPECT_THROW(kernels::cuda::time_engine_ms([] {}), BackendError);
}

TEST(CudaLoader, MissingModuleIsABackendErrorOfTheSolverAndTheSampler) {
  const NetworkModel model = count8_model();
  SolverOptions o;
  o.backend = Backend::cuda;
  try {
    solve(model, o);
    FAIL() << "expected a BackendError";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find(kMissing), std::string::npos) << e.what();
  }
  SamplingOptions s;
  s.backend = Backend::cuda;
  s.chains = 4;
  s.steps = 4;
  const std::vector<double> J(64, 0.0), h(8, 0.0);
  EXPECT_THROW(sample(model, SamplerPolicy::ising(J, h, {0.5}), s), BackendError);
}

}  // namespace
}  // namespace netrl
