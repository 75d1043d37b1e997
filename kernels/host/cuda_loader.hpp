#pragma once
// The loader's side of the CUDA module's boundary (kernels/cuda/module_abi.hpp), private to
// netrl_kernels: the module's table (loaded on first use, cuda_loader.cpp) and the calls through it,
// which turn the module's CallStatus back into the netrl error of the same type.
#include <type_traits>
#include <utility>

#include "../cuda/module_abi.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

/// The module's table; throws BackendError("<what>: <why not>") when it cannot be loaded.
const module::Table& table(const char* what);

/// Rethrows the module's error as the netrl error of the same type.
void rethrow(const module::CallStatus& status);

/// Calls a table function that reports through a CallStatus, f(&status, args...), and rethrows
/// its error.
template <class F, class... A>
auto checked(F f, A&&... args) {
  module::CallStatus status;
  if constexpr (std::is_void_v<decltype(f(&status, std::forward<A>(args)...))>) {
    f(&status, std::forward<A>(args)...);
    rethrow(status);
  } else {
    auto result = f(&status, std::forward<A>(args)...);
    rethrow(status);
    return result;
  }
}

/// Calls a handle's table function, f(handle, &status, args...), and rethrows its error.
template <class F, class... A>
auto call_handle(F f, void* handle, A&&... args) {
  return checked([&](module::CallStatus* status) { return f(handle, status, std::forward<A>(args)...); });
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
