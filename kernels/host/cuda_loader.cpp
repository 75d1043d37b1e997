// The CUDA entry points of a CUDA build (NETRL_CUDA=ON): netrl::kernels::cuda forwards to the CUDA
// module, libnetrl_cuda.so, which the first call loads with dlopen (kernels/cuda/module_abi.hpp).
// Nothing here needs CUDA headers or libraries: a run that never asks for backend "cuda" never
// loads the CUDA libraries.
//
// Where the module is looked for: $NETRL_CUDA_MODULE when set (that file only); else the build
// tree's module (NETRL_CUDA_MODULE_BUILD_PATH), then the installed one
// (NETRL_CUDA_MODULE_INSTALL_PATH); the first that loads and matches this build wins. When none
// does, device_available() is false with the reasons and every other entry point throws
// BackendError with them (available_memory() returns 0, as without a device). The module's engines,
// chain spaces and dense batches are wrapped in cuda_handles.cpp.
#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_loader.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

using module::CallStatus;
using module::ErrorKind;
using module::Table;

struct Loaded {
  const Table* table = nullptr;
  std::string error;  // why no module was loaded
};

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

/// The table of the module at `path`, or null with `error` set. A module that loads stays loaded
/// for the life of the process.
const Table* open_module(const std::string& path, std::string* error) {
  if (!file_exists(path)) {
    *error = path + ": no such file";
    return nullptr;
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* what = ::dlerror();
    const std::string text = what != nullptr ? what : "dlopen failed";
    *error = text.rfind(path, 0) == 0 ? text : path + ": " + text;
    return nullptr;
  }
  void* symbol = ::dlsym(handle, module::kEntryPoint);
  if (symbol == nullptr) {
    *error = path + ": no symbol " + module::kEntryPoint + " (not a netrl CUDA module)";
    ::dlclose(handle);
    return nullptr;
  }
  const auto entry = reinterpret_cast<const Table* (*)()>(symbol);
  const Table* table = entry();
  const std::string version = table != nullptr && table->version != nullptr ? table->version : "?";
  const bool matches =
      table != nullptr && table->abi == module::kAbiVersion && table->size == sizeof(Table) && version == NETRL_VERSION;
  if (!matches) {
    *error = path + ": built for another netrl (module: version " + version + ", ABI " +
             std::to_string(table != nullptr ? table->abi : 0) + "; this netrl: version " + NETRL_VERSION +
             ", ABI " + std::to_string(module::kAbiVersion) + ")";
    ::dlclose(handle);
    return nullptr;
  }
  return table;
}

Loaded load() {
  Loaded loaded;
  std::vector<std::string> paths;
  const char* env = std::getenv("NETRL_CUDA_MODULE");
  if (env != nullptr && *env != '\0') {
    paths = {env};
  } else {
    paths = {NETRL_CUDA_MODULE_BUILD_PATH, NETRL_CUDA_MODULE_INSTALL_PATH};
  }
  std::string errors;
  for (const std::string& path : paths) {
    std::string error;
    loaded.table = open_module(path, &error);
    if (loaded.table != nullptr) return loaded;
    errors += (errors.empty() ? "" : "; ") + error;
  }
  loaded.error = "the CUDA module cannot be loaded (" + errors + ")";
  return loaded;
}

const Loaded& loaded() {
  static const Loaded module = load();
  return module;
}

/// Context of a timed callable: the callable and the exception it threw, if any.
struct TimedWork {
  const std::function<void()>* work;
  std::exception_ptr error;
};

bool run_timed_work(void* context) {
  auto* timed = static_cast<TimedWork*>(context);
  try {
    (*timed->work)();
    return true;
  } catch (...) {
    timed->error = std::current_exception();
    return false;
  }
}

}  // namespace

const Table& table(const char* what) {
  const Loaded& m = loaded();
  if (m.table == nullptr) throw BackendError(std::string(what) + ": " + m.error);
  return *m.table;
}

void rethrow(const CallStatus& status) {
  switch (status.kind) {
    case ErrorKind::none: return;
    case ErrorKind::invalid_input: throw InvalidInput(status.field, status.message);
    case ErrorKind::numerical: throw NumericalError(status.message);
    case ErrorKind::io: throw IoError(status.message);
    case ErrorKind::backend: throw BackendError(status.message);
    case ErrorKind::other: break;
  }
  throw std::runtime_error(status.message);
}

bool device_available(std::string* reason) {
  const Loaded& m = loaded();
  if (m.table == nullptr) {
    if (reason != nullptr) *reason = m.error;
    return false;
  }
  return m.table->device_available(reason);
}

std::uint64_t available_memory() {
  const Loaded& m = loaded();
  if (m.table == nullptr) return 0;
  return checked(m.table->available_memory);
}

double pinned_bandwidth() { return checked(table("cuda backend").pinned_bandwidth); }
double sampler_step_rate(bool on_the_fly) { return checked(table("cuda backend").sampler_step_rate, on_the_fly); }

void run_sampler(const SampleRequest& request, const SampleOutput& output) {
  checked(table("cuda sampler").run_sampler, request, output);
}

double lse2_rate(bool single_precision) { return checked(table("cuda backend").lse2_rate, single_precision); }
double copy_bandwidth() { return checked(table("cuda backend").copy_bandwidth); }
double dgemm_rate(int N) { return checked(table("cuda backend").dgemm_rate, N); }

double time_engine_ms(const std::function<void()>& work) {
  const Table& t = table("cuda backend");
  TimedWork timed{&work, nullptr};
  CallStatus status;
  const double ms = t.time_ms(&status, &run_timed_work, &timed);
  if (timed.error) std::rethrow_exception(timed.error);
  rethrow(status);
  return ms;
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
