// The entry point of the CUDA module (libnetrl_cuda.so): the Table of module_abi.hpp over the
// module's own netrl::kernels::cuda functions (exact_engine.cu, mdp_engine.cu, dense_solve.cu,
// sampler.cu, probes.cu, parametric_engine.cu). Every entry catches everything and reports it in its CallStatus, so no
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
#include "netrl/kernels/parametric.hpp"
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

/// f() inside guard(): its result, or R{} with the status set.
template <class F>
auto guarded(CallStatus* status, const F& f) noexcept {
  using R = decltype(f());
  if constexpr (std::is_void_v<R>) {
    guard(status, f);
  } else {
    R out{};
    guard(status, [&] { out = f(); });
    return out;
  }
}

/// The table entry of method M on a handle that points to an Object (M may be a member of a base
/// of Object): runs M inside guard(); on an error the status is set and R{} returned.
template <class Object, auto M, class Method = decltype(M)>
struct Forward;
template <class Object, auto M, class C, class R, class... A>
struct Forward<Object, M, R (C::*)(A...)> {
  static R call(void* handle, CallStatus* status, A... args) {
    return guarded(status, [&] { return (static_cast<Object*>(handle)->*M)(args...); });
  }
};
template <class Object, auto M, class C, class R, class... A>
struct Forward<Object, M, R (C::*)(A...) const> {
  static R call(void* handle, CallStatus* status, A... args) {
    return guarded(status, [&] { return (static_cast<const Object*>(handle)->*M)(args...); });
  }
};
template <class Object, auto M>
constexpr auto entry = &Forward<Object, M>::call;

/// The table entry of function F: runs F inside guard(); on an error the status is set and R{}
/// returned. With `kRelease` (F returns a std::unique_ptr): the released handle, or null.
template <auto F, bool kRelease = false, class Function = decltype(F)>
struct Guarded;
template <auto F, bool kRelease, class R, class... A>
struct Guarded<F, kRelease, R (*)(A...)> {
  static auto call(CallStatus* status, A... args) {
    if constexpr (kRelease) {
      return guarded(status, [&]() -> void* { return F(args...).release(); });
    } else {
      return guarded(status, [&] { return F(args...); });
    }
  }
};
template <auto F>
constexpr auto guarded_entry = &Guarded<F>::call;
template <auto F>
constexpr auto factory_entry = &Guarded<F, true>::call;

/// The entries every engine handle has (StepCalls) on a handle that points to an E.
template <class E>
void step_calls(StepCalls* c) {
  using B = BatchEngine;
  c->destroy = [](void* engine) { delete static_cast<E*>(engine); };
  c->description = entry<E, &B::description>;
  c->reset_values = entry<E, &B::reset_values>;
  c->value_step = entry<E, &B::value_step>;
  c->bellman = entry<E, &B::bellman>;
  c->accept_values = entry<E, &B::accept_values>;
  c->reset_stationary = entry<E, &B::reset_stationary>;
  c->prepare_policy = entry<E, &B::prepare_policy>;
  c->stationary_step = entry<E, &B::stationary_step>;
  c->accept_stationary = entry<E, &B::accept_stationary>;
  c->has_gibbs_stationary = entry<E, &B::has_gibbs_stationary>;
  c->gibbs_stationary = entry<E, &B::gibbs_stationary>;
  c->start_evaluation = entry<E, &B::start_evaluation>;
  c->evaluation_step = entry<E, &B::evaluation_step>;
  c->accept_evaluation = entry<E, &B::accept_evaluation>;
  c->apply_chain = entry<E, &B::apply_chain>;
  c->policy_reward = entry<E, &B::policy_reward>;
  c->set_values = entry<E, &B::set_values>;
  c->set_stationary = entry<E, &B::set_stationary>;
  c->download_values = entry<E, &B::download_values>;
  c->download_evaluation = entry<E, &B::download_evaluation>;
  c->download_stationary = entry<E, &B::download_stationary>;
}

/// The calls of one precision's engines: their steps, then the methods ExactEngine and MdpEngine
/// add to them.
template <class Real>
void engine_calls(EngineCalls<Real>* exact, MdpEngineCalls<Real>* mdp) {
  using E = ExactEngine<Real>;
  using M = MdpEngine<Real>;
  step_calls<E>(exact);
  step_calls<M>(mdp);
  exact->set_rewards = entry<E, &E::set_rewards>;
  exact->set_inputs = entry<E, &E::set_inputs>;
  exact->set_lambdas = entry<E, &E::set_lambdas>;
  exact->set_priors = entry<E, &E::set_priors>;
  exact->pair_totals = entry<E, &E::pair_totals>;
  mdp->set_transitions = entry<M, &M::set_transitions>;
  mdp->set_rewards = entry<M, &M::set_rewards>;
  mdp->set_lambdas = entry<M, &M::set_lambdas>;
  mdp->set_priors = entry<M, &M::set_priors>;
  mdp->action_totals = entry<M, &M::action_totals>;
  mdp->download_policy = entry<M, &M::download_policy>;
}

/// The calls of one precision's parametric engine.
template <class Real>
ParametricCalls<Real> parametric_calls() {
  using E = ParametricEngine<Real>;
  ParametricCalls<Real> c{};
  c.destroy = [](void* engine) { delete static_cast<E*>(engine); };
  c.description = entry<E, &E::description>;
  c.set_couplings = entry<E, &E::set_couplings>;
  c.set_small = entry<E, &E::set_small>;
  c.advance = entry<E, &E::advance>;
  c.record = entry<E, &E::record>;
  c.record_explore = entry<E, &E::record_explore>;
  c.read_batch = entry<E, &E::read_batch>;
  c.step_couplings = entry<E, &E::step_couplings>;
  c.step_couplings_flips = entry<E, &E::step_couplings_flips>;
  c.coupling_norms = entry<E, &E::coupling_norms>;
  c.copy_target = entry<E, &E::copy_target>;
  c.download_couplings = entry<E, &E::download_couplings>;
  c.download_chains = entry<E, &E::download_chains>;
  return c;
}

template <class Real>
void* make_space(void* engine, CallStatus* status, int slots) {
  return guarded(status, [&]() -> void* { return static_cast<ExactEngine<Real>*>(engine)->chain_space(slots).release(); });
}

SpaceCalls space_calls() {
  using S = ChainSpace;
  SpaceCalls c{};
  c.destroy = [](void* space) { delete static_cast<S*>(space); };
  c.description = entry<S, &VectorSpace::description>;
  c.upload = entry<S, &VectorSpace::upload>;
  c.download = entry<S, &VectorSpace::download>;
  c.fill = entry<S, &VectorSpace::fill>;
  c.axpby = entry<S, &VectorSpace::axpby>;
  c.deflate = entry<S, &VectorSpace::deflate>;
  c.clamp_scale = entry<S, &VectorSpace::clamp_scale>;
  c.dot = entry<S, &VectorSpace::dot>;
  c.stats = entry<S, &VectorSpace::stats>;
  c.dots = entry<S, &VectorSpace::dots>;
  c.combine = entry<S, &VectorSpace::combine>;
  c.apply_chain = entry<S, &ChainSpace::apply_chain>;
  c.policy_reward = entry<S, &ChainSpace::policy_reward>;
  c.set_values = entry<S, &ChainSpace::set_values>;
  c.set_stationary = entry<S, &ChainSpace::set_stationary>;
  return c;
}

DenseCalls dense_calls() {
  using D = DenseBatch;
  DenseCalls c{};
  c.destroy = [](void* dense) { delete static_cast<D*>(dense); };
  c.description = entry<D, &D::description>;
  c.upload = entry<D, &D::upload>;
  c.solve = entry<D, &D::solve>;
  c.download = entry<D, &D::download>;
  c.timings = entry<D, &D::timings>;
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
  t.available_memory = guarded_entry<&cuda::available_memory>;
  t.make_engine_float = factory_entry<&cuda::make_exact_engine<float>>;
  t.make_engine_double = factory_entry<&cuda::make_exact_engine<double>>;
  engine_calls<float>(&t.engine_float, &t.mdp_float);
  engine_calls<double>(&t.engine_double, &t.mdp_double);
  t.run_sampler = guarded_entry<&cuda::run_sampler>;
  t.lse2_rate = guarded_entry<&cuda::lse2_rate>;
  t.copy_bandwidth = guarded_entry<&cuda::copy_bandwidth>;
  t.dgemm_rate = guarded_entry<&cuda::dgemm_rate>;
  t.time_ms = guarded_entry<&cuda::time_events_ms>;
  t.make_mdp_engine_float = factory_entry<&cuda::make_mdp_engine<float>>;
  t.make_mdp_engine_double = factory_entry<&cuda::make_mdp_engine<double>>;
  // The Krylov solves and dense solves on the device.
  t.chain_space_float = &make_space<float>;
  t.chain_space_double = &make_space<double>;
  t.space = space_calls();
  t.make_dense_batch = factory_entry<&cuda::make_dense_batch>;
  t.dense = dense_calls();
  t.pinned_bandwidth = guarded_entry<&cuda::pinned_bandwidth>;
  t.sampler_step_rate = guarded_entry<&cuda::sampler_step_rate>;
  t.make_parametric_float = factory_entry<&cuda::make_parametric_engine<float>>;
  t.make_parametric_double = factory_entry<&cuda::make_parametric_engine<double>>;
  t.parametric_float = parametric_calls<float>();
  t.parametric_double = parametric_calls<double>();
  return t;
}

}  // namespace
}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda::module

extern "C" __attribute__((visibility("default"))) const netrl::kernels::cuda::module::Table* netrl_cuda_module_table() {
  static const netrl::kernels::cuda::module::Table table = netrl::kernels::cuda::module::make_table();
  return &table;
}
