// The entry point of the CUDA module (libnetrl_cuda.so): the Table of module_abi.hpp over the
// module's own netrl::kernels::cuda functions (exact_engine.cu, mdp_engine.cu, dense_solve.cu,
// sampler.cu, probes.cu). Every entry catches everything and reports it in its CallStatus, so no
// exception leaves the module. The module is built with hidden visibility: only the entry point is exported,
// and its netrl::kernels::cuda functions never interpose on the loader's public ones of the same
// names (kernels/host/cuda_loader.cpp).
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "module_abi.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/kernels/probes.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda::module {
namespace {

void report(CallStatus* status, ErrorKind kind, std::string message, std::string field = {}) noexcept {
  status->kind = kind;
  status->message = std::move(message);
  status->field = std::move(field);
}

/// Runs f, catching every exception into `status`.
template <class F>
void guard(CallStatus* status, const F& f) noexcept {
  try {
    f();
  } catch (const InvalidInput& e) {
    const std::string what = e.what();
    const std::string prefix = e.field() + ": ";
    report(status, ErrorKind::invalid_input, what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what,
           e.field());
  } catch (const NumericalError& e) {
    report(status, ErrorKind::numerical, e.what());
  } catch (const IoError& e) {
    report(status, ErrorKind::io, e.what());
  } catch (const BackendError& e) {
    report(status, ErrorKind::backend, e.what());
  } catch (const std::exception& e) {
    report(status, ErrorKind::other, e.what());
  } catch (...) {
    report(status, ErrorKind::other, "unknown exception in the CUDA module");
  }
}

/// The table entry of method M on a handle that points to an Object (M may be a member of a base
/// of Object): runs M inside guard(); on an error the status is set and R{} returned.
template <class Object, auto M, class Method = decltype(M)>
struct Forward;
template <class Object, auto M, class C, class R, class... A>
struct Forward<Object, M, R (C::*)(A...)> {
  static R call(void* handle, CallStatus* status, A... args) {
    auto* object = static_cast<Object*>(handle);
    if constexpr (std::is_void_v<R>) {
      guard(status, [&] { (object->*M)(args...); });
    } else {
      R out{};
      guard(status, [&] { out = (object->*M)(args...); });
      return out;
    }
  }
};
template <class Object, auto M, class C, class R, class... A>
struct Forward<Object, M, R (C::*)(A...) const> {
  static R call(void* handle, CallStatus* status, A... args) {
    auto* object = static_cast<const Object*>(handle);
    if constexpr (std::is_void_v<R>) {
      guard(status, [&] { (object->*M)(args...); });
    } else {
      R out{};
      guard(status, [&] { out = (object->*M)(args...); });
      return out;
    }
  }
};

/// The class of a member pointer.
template <class M>
struct ClassOf;
template <class C, class R, class... A>
struct ClassOf<R (C::*)(A...)> {
  using type = C;
};
template <class C, class R, class... A>
struct ClassOf<R (C::*)(A...) const> {
  using type = C;
};

/// The EngineCalls (MdpEngineCalls) entry of ExactEngine (MdpEngine) method M.
template <auto M>
struct Thunk : Forward<typename ClassOf<decltype(M)>::type, M> {};

template <class Real>
void* make_engine(CallStatus* status, const EngineShape& shape) {
  void* engine = nullptr;
  guard(status, [&] { engine = make_exact_engine<Real>(shape).release(); });
  return engine;
}

template <class Real>
void* make_mdp(CallStatus* status, const MdpShape& shape) {
  void* engine = nullptr;
  guard(status, [&] { engine = make_mdp_engine<Real>(shape).release(); });
  return engine;
}

/// The entries every engine handle has: destroy and description.
template <class E, class Calls>
void handle_calls(Calls* c) {
  c->destroy = [](void* engine) { delete static_cast<E*>(engine); };
  c->description = [](void* engine, CallStatus* status, std::string* out) {
    guard(status, [&] { *out = static_cast<E*>(engine)->description(); });
  };
}

template <class Real>
EngineCalls<Real> engine_calls() {
  using E = ExactEngine<Real>;
  EngineCalls<Real> c{};
  handle_calls<E>(&c);
  c.set_rewards = &Thunk<&E::set_rewards>::call;
  c.set_inputs = &Thunk<&E::set_inputs>::call;
  c.set_lambdas = &Thunk<&E::set_lambdas>::call;
  c.set_priors = &Thunk<&E::set_priors>::call;
  c.reset_values = &Thunk<&E::reset_values>::call;
  c.value_step = &Thunk<&E::value_step>::call;
  c.bellman = &Thunk<&E::bellman>::call;
  c.accept_values = &Thunk<&E::accept_values>::call;
  c.reset_stationary = &Thunk<&E::reset_stationary>::call;
  c.prepare_policy = &Thunk<&E::prepare_policy>::call;
  c.stationary_step = &Thunk<&E::stationary_step>::call;
  c.accept_stationary = &Thunk<&E::accept_stationary>::call;
  c.pair_totals = &Thunk<&E::pair_totals>::call;
  c.start_evaluation = &Thunk<&E::start_evaluation>::call;
  c.evaluation_step = &Thunk<&E::evaluation_step>::call;
  c.accept_evaluation = &Thunk<&E::accept_evaluation>::call;
  c.apply_chain = &Thunk<&E::apply_chain>::call;
  c.policy_reward = &Thunk<&E::policy_reward>::call;
  c.set_values = &Thunk<&E::set_values>::call;
  c.set_stationary = &Thunk<&E::set_stationary>::call;
  c.download_values = &Thunk<&E::download_values>::call;
  c.download_evaluation = &Thunk<&E::download_evaluation>::call;
  c.download_stationary = &Thunk<&E::download_stationary>::call;
  return c;
}

template <class Real>
void* make_space(void* engine, CallStatus* status, int slots) {
  void* space = nullptr;
  guard(status, [&] { space = static_cast<ExactEngine<Real>*>(engine)->chain_space(slots).release(); });
  return space;
}

SpaceCalls space_calls() {
  using S = ChainSpace;
  SpaceCalls c{};
  c.destroy = [](void* space) { delete static_cast<S*>(space); };
  c.description = &Forward<S, &VectorSpace::description>::call;
  c.upload = &Forward<S, &VectorSpace::upload>::call;
  c.download = &Forward<S, &VectorSpace::download>::call;
  c.fill = &Forward<S, &VectorSpace::fill>::call;
  c.axpby = &Forward<S, &VectorSpace::axpby>::call;
  c.deflate = &Forward<S, &VectorSpace::deflate>::call;
  c.clamp_scale = &Forward<S, &VectorSpace::clamp_scale>::call;
  c.dot = &Forward<S, &VectorSpace::dot>::call;
  c.stats = &Forward<S, &VectorSpace::stats>::call;
  c.dots = &Forward<S, &VectorSpace::dots>::call;
  c.combine = &Forward<S, &VectorSpace::combine>::call;
  c.apply_chain = &Forward<S, &ChainSpace::apply_chain>::call;
  c.policy_reward = &Forward<S, &ChainSpace::policy_reward>::call;
  c.set_values = &Forward<S, &ChainSpace::set_values>::call;
  c.set_stationary = &Forward<S, &ChainSpace::set_stationary>::call;
  return c;
}

DenseCalls dense_calls() {
  using D = DenseBatch;
  DenseCalls c{};
  c.destroy = [](void* dense) { delete static_cast<D*>(dense); };
  c.description = &Forward<D, &D::description>::call;
  c.upload = &Forward<D, &D::upload>::call;
  c.solve = &Forward<D, &D::solve>::call;
  c.download = &Forward<D, &D::download>::call;
  c.timings = &Forward<D, &D::timings>::call;
  return c;
}

template <class Real>
MdpEngineCalls<Real> mdp_calls() {
  using E = MdpEngine<Real>;
  MdpEngineCalls<Real> c{};
  handle_calls<E>(&c);
  c.set_transitions = &Thunk<&E::set_transitions>::call;
  c.set_rewards = &Thunk<&E::set_rewards>::call;
  c.set_lambdas = &Thunk<&E::set_lambdas>::call;
  c.set_priors = &Thunk<&E::set_priors>::call;
  c.reset_values = &Thunk<&E::reset_values>::call;
  c.value_step = &Thunk<&E::value_step>::call;
  c.bellman = &Thunk<&E::bellman>::call;
  c.accept_values = &Thunk<&E::accept_values>::call;
  c.reset_stationary = &Thunk<&E::reset_stationary>::call;
  c.prepare_policy = &Thunk<&E::prepare_policy>::call;
  c.stationary_step = &Thunk<&E::stationary_step>::call;
  c.accept_stationary = &Thunk<&E::accept_stationary>::call;
  c.action_totals = &Thunk<&E::action_totals>::call;
  c.start_evaluation = &Thunk<&E::start_evaluation>::call;
  c.evaluation_step = &Thunk<&E::evaluation_step>::call;
  c.accept_evaluation = &Thunk<&E::accept_evaluation>::call;
  c.apply_chain = &Thunk<&E::apply_chain>::call;
  c.policy_reward = &Thunk<&E::policy_reward>::call;
  c.set_values = &Thunk<&E::set_values>::call;
  c.set_stationary = &Thunk<&E::set_stationary>::call;
  c.download_values = &Thunk<&E::download_values>::call;
  c.download_evaluation = &Thunk<&E::download_evaluation>::call;
  c.download_stationary = &Thunk<&E::download_stationary>::call;
  c.download_policy = &Thunk<&E::download_policy>::call;
  return c;
}

Table make_table() {
  Table t{};
  t.abi = kAbiVersion;
  t.size = sizeof(Table);
  t.version = NETRL_VERSION;
  t.device_available = [](std::string* reason) {
    bool ok = false;
    CallStatus status;
    guard(&status, [&] { ok = cuda::device_available(reason); });
    if (status.kind != ErrorKind::none && reason != nullptr) *reason = status.message;
    return ok;
  };
  t.available_memory = [](CallStatus* status) {
    std::uint64_t bytes = 0;
    guard(status, [&] { bytes = cuda::available_memory(); });
    return bytes;
  };
  t.make_engine_float = &make_engine<float>;
  t.make_engine_double = &make_engine<double>;
  t.engine_float = engine_calls<float>();
  t.engine_double = engine_calls<double>();
  t.run_sampler = [](CallStatus* status, const SampleRequest& request, const SampleOutput& output) {
    guard(status, [&] { cuda::run_sampler(request, output); });
  };
  t.lse2_rate = [](CallStatus* status, bool single_precision) {
    double rate = 0.0;
    guard(status, [&] { rate = cuda::lse2_rate(single_precision); });
    return rate;
  };
  t.copy_bandwidth = [](CallStatus* status) {
    double rate = 0.0;
    guard(status, [&] { rate = cuda::copy_bandwidth(); });
    return rate;
  };
  t.dgemm_rate = [](CallStatus* status, int N) {
    double rate = 0.0;
    guard(status, [&] { rate = cuda::dgemm_rate(N); });
    return rate;
  };
  t.time_ms = [](CallStatus* status, bool (*work)(void*), void* context) {
    double ms = 0.0;
    guard(status, [&] { ms = cuda::time_events_ms(work, context); });
    return ms;
  };
  t.make_mdp_engine_float = &make_mdp<float>;
  t.make_mdp_engine_double = &make_mdp<double>;
  t.mdp_float = mdp_calls<float>();
  t.mdp_double = mdp_calls<double>();
  // The Krylov solves and dense solves on the device.
  t.chain_space_float = &make_space<float>;
  t.chain_space_double = &make_space<double>;
  t.space = space_calls();
  t.make_dense_batch = [](CallStatus* status, std::int64_t n, int batch) {
    void* dense = nullptr;
    guard(status, [&] { dense = cuda::make_dense_batch(n, batch).release(); });
    return dense;
  };
  t.dense = dense_calls();
  t.pinned_bandwidth = [](CallStatus* status) {
    double rate = 0.0;
    guard(status, [&] { rate = cuda::pinned_bandwidth(); });
    return rate;
  };
  t.sampler_step_rate = [](CallStatus* status, bool on_the_fly) {
    double rate = 0.0;
    guard(status, [&] { rate = cuda::sampler_step_rate(on_the_fly); });
    return rate;
  };
  return t;
}

}  // namespace
}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda::module

extern "C" __attribute__((visibility("default"))) const netrl::kernels::cuda::module::Table* netrl_cuda_module_table() {
  static const netrl::kernels::cuda::module::Table table = netrl::kernels::cuda::module::make_table();
  return &table;
}
