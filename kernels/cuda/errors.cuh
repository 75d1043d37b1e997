#pragma once
// The one family of CUDA error checks of the module (exact engine, dense LU, sampler): every
// CUDA runtime, cuBLAS and cuSOLVER call goes through a macro that throws netrl::BackendError
// naming file, line, the call's text and the code; after every launch NETRL_CUDA_AFTER_LAUNCH
// checks the launch error and, with NETRL_CUDA_SYNC_CHECK, synchronises so that an asynchronous
// fault points at its kernel.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

/// Checks a CUDA runtime call; throws netrl::BackendError naming file, line, call and code.
#define NETRL_CUDA_CHECK(call) ::netrl::kernels::cuda::check_cuda((call), #call, __FILE__, __LINE__)
/// Checks a cuBLAS call the same way.
#define NETRL_CUBLAS_CHECK(call) ::netrl::kernels::cuda::check_cublas((call), #call, __FILE__, __LINE__)
/// Checks a cuSOLVER call the same way.
#define NETRL_CUSOLVER_CHECK(call) ::netrl::kernels::cuda::check_cusolver((call), #call, __FILE__, __LINE__)

/// After every launch: the launch error, and with NETRL_CUDA_SYNC_CHECK the kernel's own error.
#define NETRL_CUDA_AFTER_LAUNCH(what)                                                  \
  do {                                                                                 \
    NETRL_CUDA_CHECK(cudaGetLastError());                                              \
    if (::netrl::kernels::cuda::kSyncCheck) NETRL_CUDA_CHECK(cudaDeviceSynchronize()); \
  } while (0)

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

#if defined(NETRL_CUDA_SYNC_CHECK)
constexpr bool kSyncCheck = true;
#else
constexpr bool kSyncCheck = false;
#endif

[[noreturn]] inline void throw_failed(const char* call, const char* file, int line, const char* name, int code,
                                      const char* text) {
  std::ostringstream os;
  os << file << ":" << line << ": " << call << " failed: " << name << " (" << code << ")";
  if (text != nullptr) os << ": " << text;
  throw BackendError(os.str());
}

inline void check_cuda(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess) return;
  throw_failed(call, file, line, cudaGetErrorName(code), static_cast<int>(code), cudaGetErrorString(code));
}

inline void check_cublas(cublasStatus_t code, const char* call, const char* file, int line) {
  if (code == CUBLAS_STATUS_SUCCESS) return;
  throw_failed(call, file, line, cublasGetStatusName(code), static_cast<int>(code), cublasGetStatusString(code));
}

inline void check_cusolver(cusolverStatus_t code, const char* call, const char* file, int line) {
  if (code == CUSOLVER_STATUS_SUCCESS) return;
  throw_failed(call, file, line, "cusolverStatus_t", static_cast<int>(code), nullptr);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
