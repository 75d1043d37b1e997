// The CUDA entry points of a CUDA build (NETRL_CUDA=ON): netrl::kernels::cuda forwards to the CUDA
// module, libnetrl_cuda.so, which the first call loads with dlopen (kernels/cuda/module_abi.hpp).
// Nothing here needs CUDA headers or libraries: a run that never asks for backend "cuda" never
// loads the CUDA libraries.
//
// Where the module is looked for: $NETRL_CUDA_MODULE when set (that file only); else the build
// tree's module (NETRL_CUDA_MODULE_BUILD_PATH), then the installed one
// (NETRL_CUDA_MODULE_INSTALL_PATH); the first that loads and matches this build wins. When none
// does, device_available() is false with the reasons and every other entry point throws
// BackendError with them (available_memory() returns 0, as without a device).
#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../cuda/module_abi.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/kernels/vector_space.hpp"
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

/// The module's table; throws BackendError("<what>: <why not>") when it cannot be loaded.
const Table& table(const char* what) {
  const Loaded& m = loaded();
  if (m.table == nullptr) throw BackendError(std::string(what) + ": " + m.error);
  return *m.table;
}

/// Rethrows the module's error as the netrl error of the same type.
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

/// Calls a table function that reports through a CallStatus, and rethrows its error.
template <class F, class... A>
auto checked(F f, A&&... args) {
  CallStatus status;
  if constexpr (std::is_void_v<decltype(f(&status, std::forward<A>(args)...))>) {
    f(&status, std::forward<A>(args)...);
    rethrow(status);
  } else {
    auto result = f(&status, std::forward<A>(args)...);
    rethrow(status);
    return result;
  }
}

/// Calls f(handle, status, args...) and rethrows the module's error.
template <class F, class... A>
auto call_handle(F f, void* handle, A&&... args) {
  CallStatus status;
  if constexpr (std::is_void_v<decltype(f(handle, &status, std::forward<A>(args)...))>) {
    f(handle, &status, std::forward<A>(args)...);
    rethrow(status);
  } else {
    auto result = f(handle, &status, std::forward<A>(args)...);
    rethrow(status);
    return result;
  }
}

/// A chain space of the module (vectors on the device), driven through its SpaceCalls.
class ModuleSpace final : public ChainSpace {
 public:
  ModuleSpace(const module::SpaceCalls& calls, void* handle, std::uint64_t size, int slots)
      : calls_(calls), handle_(handle), size_(size), slots_(slots) {}
  ModuleSpace(const ModuleSpace&) = delete;
  ModuleSpace& operator=(const ModuleSpace&) = delete;
  ~ModuleSpace() override { calls_.destroy(handle_); }

  std::uint64_t size() const override { return size_; }
  int slots() const override { return slots_; }
  std::string description() const override { return call_handle(calls_.description, handle_); }
  void upload(int y, const double* src) override { call_handle(calls_.upload, handle_, y, src); }
  void download(int x, double* dst) override { call_handle(calls_.download, handle_, x, dst); }
  void fill(int y, double value) override { call_handle(calls_.fill, handle_, y, value); }
  void axpby(double a, int x, double b, int y, double c) override { call_handle(calls_.axpby, handle_, a, x, b, y, c); }
  void deflate(int x, int t, int w, double s, double c, int y) override {
    call_handle(calls_.deflate, handle_, x, t, w, s, c, y);
  }
  void clamp_scale(double s, int y) override { call_handle(calls_.clamp_scale, handle_, s, y); }
  double dot(int x, int y) override { return call_handle(calls_.dot, handle_, x, y); }
  VectorStats stats(int x) override { return call_handle(calls_.stats, handle_, x); }
  void dots(int first, int count, int w, double* h) override { call_handle(calls_.dots, handle_, first, count, w, h); }
  void combine(int first, int count, const double* c, int w) override {
    call_handle(calls_.combine, handle_, first, count, c, w);
  }
  void apply_chain(int problem, bool adjoint, int x, int y) override {
    call_handle(calls_.apply_chain, handle_, problem, adjoint, x, y);
  }
  void policy_reward(int problem, int g) override { call_handle(calls_.policy_reward, handle_, problem, g); }
  void set_values(int problem, int x) override { call_handle(calls_.set_values, handle_, problem, x); }
  void set_stationary(int problem, int x) override { call_handle(calls_.set_stationary, handle_, problem, x); }

 private:
  const module::SpaceCalls& calls_;
  void* handle_;
  std::uint64_t size_;
  int slots_;
};

/// An engine handle of the module and its calls (EngineCalls or MdpEngineCalls): destroyed with
/// the handle's destroy; call() forwards a method and rethrows its error.
template <class Calls>
class ModuleHandle {
 public:
  ModuleHandle(const Calls& calls, void* handle) : calls_(calls), handle_(handle) {}
  ModuleHandle(const ModuleHandle&) = delete;
  ModuleHandle& operator=(const ModuleHandle&) = delete;
  ~ModuleHandle() { calls_.destroy(handle_); }

  std::string description() const {
    std::string out;
    call(calls_.description, &out);
    return out;
  }

  template <class F, class... A>
  void call(F f, A&&... args) const {
    CallStatus status;
    f(handle_, &status, std::forward<A>(args)...);
    rethrow(status);
  }

 protected:
  const Calls& calls_;
  void* handle_;
};

/// A module engine of type Wrapper over `handle`; the handle is destroyed if that fails.
template <class Wrapper, class Calls, class Shape>
std::unique_ptr<Wrapper> wrap(const Calls& calls, void* handle, const Shape& shape) {
  try {
    return std::make_unique<Wrapper>(calls, handle, shape);
  } catch (...) {
    calls.destroy(handle);
    throw;
  }
}

/// An engine of the module, driven through its EngineCalls.
template <class Real>
class ModuleEngine final : public ExactEngine<Real>, private ModuleHandle<module::EngineCalls<Real>> {
  using Handle = ModuleHandle<module::EngineCalls<Real>>;
  using Handle::call;
  using Handle::calls_;

 public:
  ModuleEngine(const module::EngineCalls<Real>& calls, void* handle, const EngineShape& shape)
      : Handle(calls, handle), shape_(shape) {}

  const EngineShape& shape() const override { return shape_; }
  std::string description() const override { return Handle::description(); }
  void set_rewards(const std::vector<Real>& r) override { call(calls_.set_rewards, r); }
  void set_inputs(const std::vector<double>& t, const std::vector<double>& theta) override {
    call(calls_.set_inputs, t, theta);
  }
  void set_lambdas(const std::vector<double>& lambda) override { call(calls_.set_lambdas, lambda); }
  void set_priors(const std::vector<double>& prior) override { call(calls_.set_priors, prior); }
  void reset_values(const Mask& which) override { call(calls_.reset_values, which); }
  void value_step(const Mask& active, std::vector<SpanStats>* stats) override {
    call(calls_.value_step, active, stats);
  }
  void bellman(const Mask& active) override { call(calls_.bellman, active); }
  void accept_values(const Mask& advance) override { call(calls_.accept_values, advance); }
  void reset_stationary(const Mask& which) override { call(calls_.reset_stationary, which); }
  void prepare_policy(const Mask& active) override { call(calls_.prepare_policy, active); }
  void stationary_step(const Mask& active, const std::vector<double>& scale, std::vector<MuStats>* stats) override {
    call(calls_.stationary_step, active, scale, stats);
  }
  void accept_stationary(const Mask& advance) override { call(calls_.accept_stationary, advance); }
  void pair_totals(const Mask& active, std::vector<PairTotals>* totals) override {
    call(calls_.pair_totals, active, totals);
  }
  void start_evaluation(const Mask& which) override { call(calls_.start_evaluation, which); }
  void evaluation_step(const Mask& active, std::vector<SpanStats>* stats) override {
    call(calls_.evaluation_step, active, stats);
  }
  void accept_evaluation(const Mask& advance) override { call(calls_.accept_evaluation, advance); }
  void apply_chain(const Mask& active, bool adjoint, const double* x, double* y) override {
    call(calls_.apply_chain, active, adjoint, x, y);
  }
  void policy_reward(const Mask& active, double* g) override { call(calls_.policy_reward, active, g); }
  void set_values(const Mask& which, const double* values) override { call(calls_.set_values, which, values); }
  void set_stationary(const Mask& which, const double* values) override {
    call(calls_.set_stationary, which, values);
  }
  std::unique_ptr<ChainSpace> chain_space(int slots) override {
    const Table& t = table("cuda chain space");
    void* space = nullptr;
    if constexpr (std::is_same_v<Real, float>) {
      space = call_handle(t.chain_space_float, Handle::handle_, slots);
    } else {
      space = call_handle(t.chain_space_double, Handle::handle_, slots);
    }
    try {
      return std::make_unique<ModuleSpace>(t.space, space, shape_.states(), slots);
    } catch (...) {
      t.space.destroy(space);
      throw;
    }
  }
  void download_values(int problem, std::vector<double>* h) const override {
    call(calls_.download_values, problem, h);
  }
  void download_evaluation(int problem, std::vector<double>* v) const override {
    call(calls_.download_evaluation, problem, v);
  }
  void download_stationary(int problem, std::vector<double>* mu) const override {
    call(calls_.download_stationary, problem, mu);
  }

 private:
  EngineShape shape_;
};

/// An MDP engine of the module, driven through its MdpEngineCalls.
template <class Real>
class ModuleMdpEngine final : public MdpEngine<Real>, private ModuleHandle<module::MdpEngineCalls<Real>> {
  using Handle = ModuleHandle<module::MdpEngineCalls<Real>>;
  using Handle::call;
  using Handle::calls_;

 public:
  ModuleMdpEngine(const module::MdpEngineCalls<Real>& calls, void* handle, const MdpShape& shape)
      : Handle(calls, handle), shape_(shape) {}

  const MdpShape& shape() const override { return shape_; }
  std::string description() const override { return Handle::description(); }
  void set_transitions(const std::vector<std::int64_t>& row_ptr, const std::vector<int>& next_state,
                       const std::vector<double>& probability) override {
    call(calls_.set_transitions, row_ptr, next_state, probability);
  }
  void set_rewards(const std::vector<double>& r) override { call(calls_.set_rewards, r); }
  void set_lambdas(const std::vector<double>& lambda, const std::vector<double>& theta) override {
    call(calls_.set_lambdas, lambda, theta);
  }
  void set_priors(const std::vector<double>& prior) override { call(calls_.set_priors, prior); }
  void reset_values(const Mask& which) override { call(calls_.reset_values, which); }
  void value_step(const Mask& active, std::vector<SpanStats>* stats) override {
    call(calls_.value_step, active, stats);
  }
  void bellman(const Mask& active) override { call(calls_.bellman, active); }
  void accept_values(const Mask& advance) override { call(calls_.accept_values, advance); }
  void reset_stationary(const Mask& which) override { call(calls_.reset_stationary, which); }
  void prepare_policy(const Mask& active) override { call(calls_.prepare_policy, active); }
  void stationary_step(const Mask& active, const std::vector<double>& scale, std::vector<MuStats>* stats) override {
    call(calls_.stationary_step, active, scale, stats);
  }
  void accept_stationary(const Mask& advance) override { call(calls_.accept_stationary, advance); }
  void action_totals(const Mask& active, std::vector<ActionTotals>* totals) override {
    call(calls_.action_totals, active, totals);
  }
  void start_evaluation(const Mask& which) override { call(calls_.start_evaluation, which); }
  void evaluation_step(const Mask& active, std::vector<SpanStats>* stats) override {
    call(calls_.evaluation_step, active, stats);
  }
  void accept_evaluation(const Mask& advance) override { call(calls_.accept_evaluation, advance); }
  void apply_chain(const Mask& active, bool adjoint, const double* x, double* y) override {
    call(calls_.apply_chain, active, adjoint, x, y);
  }
  void policy_reward(const Mask& active, double* g) override { call(calls_.policy_reward, active, g); }
  void set_values(const Mask& which, const double* values) override { call(calls_.set_values, which, values); }
  void set_stationary(const Mask& which, const double* values) override {
    call(calls_.set_stationary, which, values);
  }
  void download_values(int problem, std::vector<double>* h) const override {
    call(calls_.download_values, problem, h);
  }
  void download_evaluation(int problem, std::vector<double>* v) const override {
    call(calls_.download_evaluation, problem, v);
  }
  void download_stationary(int problem, std::vector<double>* mu) const override {
    call(calls_.download_stationary, problem, mu);
  }
  void download_policy(int problem, std::vector<double>* pi) const override {
    call(calls_.download_policy, problem, pi);
  }

 private:
  MdpShape shape_;
};

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

bool device_available(std::string* reason) {
  const Loaded& m = loaded();
  if (m.table == nullptr) {
    if (reason != nullptr) *reason = m.error;
    return false;
  }
  return m.table->device_available(reason);
}

template <class Real>
std::unique_ptr<ExactEngine<Real>> make_exact_engine(const EngineShape& shape) {
  const Table& t = table("cuda backend");
  const module::EngineCalls<Real>* calls = nullptr;
  void* handle = nullptr;
  if constexpr (std::is_same_v<Real, float>) {
    handle = checked(t.make_engine_float, shape);
    calls = &t.engine_float;
  } else {
    handle = checked(t.make_engine_double, shape);
    calls = &t.engine_double;
  }
  return wrap<ModuleEngine<Real>>(*calls, handle, shape);
}

template std::unique_ptr<ExactEngine<float>> make_exact_engine<float>(const EngineShape&);
template std::unique_ptr<ExactEngine<double>> make_exact_engine<double>(const EngineShape&);

template <class Real>
std::unique_ptr<MdpEngine<Real>> make_mdp_engine(const MdpShape& shape) {
  const Table& t = table("cuda backend");
  if constexpr (std::is_same_v<Real, float>) {
    return wrap<ModuleMdpEngine<Real>>(t.mdp_float, checked(t.make_mdp_engine_float, shape), shape);
  } else {
    return wrap<ModuleMdpEngine<Real>>(t.mdp_double, checked(t.make_mdp_engine_double, shape), shape);
  }
}

template std::unique_ptr<MdpEngine<float>> make_mdp_engine<float>(const MdpShape&);
template std::unique_ptr<MdpEngine<double>> make_mdp_engine<double>(const MdpShape&);

std::uint64_t available_memory() {
  const Loaded& m = loaded();
  if (m.table == nullptr) return 0;
  return checked(m.table->available_memory);
}

namespace {
/// A dense batch of the module (in device memory), driven through its DenseCalls.
class ModuleDense final : public DenseBatch {
 public:
  ModuleDense(const module::DenseCalls& calls, void* handle) : calls_(calls), handle_(handle) {}
  ModuleDense(const ModuleDense&) = delete;
  ModuleDense& operator=(const ModuleDense&) = delete;
  ~ModuleDense() override { calls_.destroy(handle_); }
  std::string description() const override { return call_handle(calls_.description, handle_); }
  void upload(const double* P, const double* g) override { call_handle(calls_.upload, handle_, P, g); }
  void solve() override { call_handle(calls_.solve, handle_); }
  void download(DenseResults* out) override { call_handle(calls_.download, handle_, out); }
  DenseTimings timings() const override { return call_handle(calls_.timings, handle_); }

 private:
  const module::DenseCalls& calls_;
  void* handle_;
};
}  // namespace

std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t n, int batch) {
  const Table& t = table("cuda dense solve");
  void* handle = checked(t.make_dense_batch, n, batch);
  try {
    return std::make_unique<ModuleDense>(t.dense, handle);
  } catch (...) {
    t.dense.destroy(handle);
    throw;
  }
}

double pinned_bandwidth() { return checked(table("cuda backend").pinned_bandwidth); }
double sampler_step_rate(bool on_the_fly) { return checked(table("cuda backend").sampler_step_rate, on_the_fly); }

void run_sampler(const SampleRequest& request, const SampleOutput& output) {
  checked(table("cuda sampler").run_sampler, request, output);
}

// The parametric solver's kernels (kernels/common/parametric_step.hpp) have no CUDA launcher in
// the module yet: backend "cuda" is refused with a clear error (the host backend runs them).
template <class Real>
std::unique_ptr<ParametricEngine<Real>> make_parametric_engine(const ParametricSetup&) {
  throw BackendError(
      "cuda parametric solver: the CUDA module does not run the parametric solver yet; use solver.backend \"host\"");
}
template std::unique_ptr<ParametricEngine<float>> make_parametric_engine<float>(const ParametricSetup&);
template std::unique_ptr<ParametricEngine<double>> make_parametric_engine<double>(const ParametricSetup&);

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
