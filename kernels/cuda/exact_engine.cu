// The CUDA build of the exact-solver engine: the kernel bodies of kernels/common/ compiled by
// nvcc (namespace netrl::kernels::cuda), plus the device queries. Part of the CUDA module
// (libnetrl_cuda.so, see module_abi.hpp).
#include "../common/exact_engine.cpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

bool device_available(std::string* reason) {
  int count = 0;
  const cudaError_t code = cudaGetDeviceCount(&count);
  if (code != cudaSuccess) {
    (void)cudaGetLastError();  // clear the error state of the runtime
    if (reason != nullptr) {
      *reason = std::string("no CUDA device answers: cudaGetDeviceCount failed with ") +
                cudaGetErrorName(code) + " (" + cudaGetErrorString(code) + ")";
    }
    return false;
  }
  if (count == 0) {
    if (reason != nullptr) *reason = "no CUDA device answers: cudaGetDeviceCount found 0 devices";
    return false;
  }
  if (reason != nullptr) reason->clear();
  return true;
}

std::uint64_t available_memory() {
  std::string reason;
  if (!device_available(&reason)) return 0;
  std::size_t free_bytes = 0, total_bytes = 0;
  NETRL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return free_bytes;
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
