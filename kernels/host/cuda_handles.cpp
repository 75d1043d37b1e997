// The objects of the CUDA module (engines, parametric engines, chain spaces, dense batches) behind the library's
// interfaces: each wraps a handle of the module and forwards every method through the handle's
// calls of the module's table (kernels/cuda/module_abi.hpp), rethrowing the module's errors.
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_loader.hpp"
#include "netrl/kernels/batch_engine.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

using module::Table;

/// A handle of the module and its calls (StepCalls, SpaceCalls, DenseCalls): destroyed with the
/// calls' destroy; call() forwards a method and rethrows its error.
template <class Calls>
class ModuleHandle {
 public:
  ModuleHandle(void* handle, const Calls& calls) : calls_(calls), handle_(handle) {}
  ModuleHandle(const ModuleHandle&) = delete;
  ModuleHandle& operator=(const ModuleHandle&) = delete;
  ~ModuleHandle() { calls_.destroy(handle_); }

 protected:
  template <class F, class... A>
  auto call(F f, A&&... args) const {
    return call_handle(f, handle_, std::forward<A>(args)...);
  }

  const Calls& calls_;
  void* handle_;
};

/// A Wrapper(handle, args...) of the module's `handle`; the handle is destroyed with `destroy` if
/// that fails.
template <class Wrapper, class... A>
std::unique_ptr<Wrapper> wrap(void (*destroy)(void*), void* handle, const A&... args) {
  try {
    return std::make_unique<Wrapper>(handle, args...);
  } catch (...) {
    destroy(handle);
    throw;
  }
}

/// A module engine of type Wrapper driven through `calls`: the table function `make` makes its handle.
template <class Wrapper, class Calls, class Make, class Shape>
std::unique_ptr<Wrapper> engine(const Calls& calls, Make make, const Shape& shape) {
  return wrap<Wrapper>(calls.destroy, checked(make, shape), calls, shape);
}

/// The table's entry for Real: `for_float` or `for_double`.
template <class Real, class F, class D>
const auto& of_precision(const F& for_float, const D& for_double) {
  if constexpr (std::is_same_v<Real, float>) {
    return for_float;
  } else {
    return for_double;
  }
}

/// A chain space of the module (vectors on the device), driven through its SpaceCalls.
class ModuleSpace final : public ChainSpace, private ModuleHandle<module::SpaceCalls> {
 public:
  ModuleSpace(void* handle, const module::SpaceCalls& calls, std::uint64_t size, int slots)
      : ModuleHandle(handle, calls), size_(size), slots_(slots) {}

  std::uint64_t size() const override { return size_; }
  int slots() const override { return slots_; }
  std::string description() const override { return call(calls_.description); }
  void upload(int y, const double* src) override { call(calls_.upload, y, src); }
  void download(int x, double* dst) override { call(calls_.download, x, dst); }
  void fill(int y, double value) override { call(calls_.fill, y, value); }
  void axpby(double a, int x, double b, int y, double c) override { call(calls_.axpby, a, x, b, y, c); }
  void deflate(int x, int t, int w, double s, double c, int y) override { call(calls_.deflate, x, t, w, s, c, y); }
  void clamp_scale(double s, int y) override { call(calls_.clamp_scale, s, y); }
  double dot(int x, int y) override { return call(calls_.dot, x, y); }
  VectorStats stats(int x) override { return call(calls_.stats, x); }
  void dots(int first, int count, int w, double* h) override { call(calls_.dots, first, count, w, h); }
  void combine(int first, int count, const double* c, int w) override { call(calls_.combine, first, count, c, w); }
  void apply_chain(int problem, bool adjoint, int x, int y) override {
    call(calls_.apply_chain, problem, adjoint, x, y);
  }
  void policy_reward(int problem, int g) override { call(calls_.policy_reward, problem, g); }
  void set_values(int problem, int x) override { call(calls_.set_values, problem, x); }
  void set_stationary(int problem, int x) override { call(calls_.set_stationary, problem, x); }

 private:
  std::uint64_t size_;
  int slots_;
};

/// A dense batch of the module (in device memory), driven through its DenseCalls.
class ModuleDense final : public DenseBatch, private ModuleHandle<module::DenseCalls> {
 public:
  ModuleDense(void* handle, const module::DenseCalls& calls) : ModuleHandle(handle, calls) {}
  std::string description() const override { return call(calls_.description); }
  void upload(const double* P, const double* g) override { call(calls_.upload, P, g); }
  void solve() override { call(calls_.solve); }
  void download(DenseResults* out) override { call(calls_.download, out); }
  DenseTimings timings() const override { return call(calls_.timings); }
};

/// The BatchEngine methods and the shape of an engine of the module (Interface: ExactEngine or
/// MdpEngine, of shape Shape), driven through the StepCalls of its Calls.
template <class Interface, class Calls, class Shape>
class ModuleSteps : public Interface, protected ModuleHandle<Calls> {
  using Handle = ModuleHandle<Calls>;

 protected:
  using Handle::call;
  using Handle::calls_;

 public:
  ModuleSteps(void* handle, const Calls& calls, const Shape& shape) : Handle(handle, calls), shape_(shape) {}

  const Shape& shape() const override { return shape_; }

  std::string description() const override { return call(calls_.description); }
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
  bool has_gibbs_stationary() const override { return call(calls_.has_gibbs_stationary); }
  void gibbs_stationary(const Mask& active, std::vector<MuStats>* stats) override {
    call(calls_.gibbs_stationary, active, stats);
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

 private:
  Shape shape_;
};

/// An engine of the module, driven through its EngineCalls.
template <class Real>
class ModuleEngine final : public ModuleSteps<ExactEngine<Real>, module::EngineCalls<Real>, EngineShape> {
 public:
  using ModuleSteps<ExactEngine<Real>, module::EngineCalls<Real>, EngineShape>::ModuleSteps;

  void set_rewards(const std::vector<Real>& r) override { this->call(this->calls_.set_rewards, r); }
  void set_inputs(const std::vector<double>& t, const std::vector<double>& theta) override {
    this->call(this->calls_.set_inputs, t, theta);
  }
  void set_lambdas(const std::vector<double>& lambda) override { this->call(this->calls_.set_lambdas, lambda); }
  void set_priors(const std::vector<double>& prior) override { this->call(this->calls_.set_priors, prior); }
  void pair_totals(const Mask& active, std::vector<PairTotals>* totals) override {
    this->call(this->calls_.pair_totals, active, totals);
  }
  std::unique_ptr<ChainSpace> chain_space(int slots) override {
    const Table& t = table("cuda chain space");
    void* space = this->call(of_precision<Real>(t.chain_space_float, t.chain_space_double), slots);
    return wrap<ModuleSpace>(t.space.destroy, space, t.space, this->shape().states(), slots);
  }
};

/// An MDP engine of the module, driven through its MdpEngineCalls.
template <class Real>
class ModuleMdpEngine final : public ModuleSteps<MdpEngine<Real>, module::MdpEngineCalls<Real>, MdpShape> {
 public:
  using ModuleSteps<MdpEngine<Real>, module::MdpEngineCalls<Real>, MdpShape>::ModuleSteps;

  void set_transitions(const std::vector<std::int64_t>& row_ptr, const std::vector<int>& next_state,
                       const std::vector<double>& probability) override {
    this->call(this->calls_.set_transitions, row_ptr, next_state, probability);
  }
  void set_rewards(const std::vector<double>& r) override { this->call(this->calls_.set_rewards, r); }
  void set_lambdas(const std::vector<double>& lambda, const std::vector<double>& theta) override {
    this->call(this->calls_.set_lambdas, lambda, theta);
  }
  void set_priors(const std::vector<double>& prior) override { this->call(this->calls_.set_priors, prior); }
  void action_totals(const Mask& active, std::vector<ActionTotals>* totals) override {
    this->call(this->calls_.action_totals, active, totals);
  }
  void download_policy(int problem, std::vector<double>* pi) const override {
    this->call(this->calls_.download_policy, problem, pi);
  }
};

/// A parametric engine of the module (kernels/cuda/parametric_engine.cu), driven through its
/// ParametricCalls.
template <class Real>
class ModuleParametric final : public ParametricEngine<Real>, private ModuleHandle<module::ParametricCalls<Real>> {
  using Handle = ModuleHandle<module::ParametricCalls<Real>>;
  using Handle::call;
  using Handle::calls_;

 public:
  ModuleParametric(void* handle, const module::ParametricCalls<Real>& calls, const ParametricSetup&)
      : Handle(handle, calls) {}
  std::string description() const override { return call(calls_.description); }
  void set_couplings(const std::vector<double>& J) override { call(calls_.set_couplings, J); }
  void set_small(const ParametricSmall& small) override { call(calls_.set_small, small); }
  void advance(std::uint64_t steps) override { call(calls_.advance, steps); }
  void record(std::uint64_t slot) override { call(calls_.record, slot); }
  void record_explore(std::uint64_t draw) override { call(calls_.record_explore, draw); }
  void read_batch(ParametricBatch* out) override { call(calls_.read_batch, out); }
  void step_couplings(const std::vector<double>& a) override { call(calls_.step_couplings, a); }
  void step_couplings_flips(const std::vector<double>& a) override { call(calls_.step_couplings_flips, a); }
  void coupling_norms(double* change_sq, double* norm_sq) override { call(calls_.coupling_norms, change_sq, norm_sq); }
  void copy_target() override { call(calls_.copy_target); }
  void download_couplings(std::vector<double>* J) const override { call(calls_.download_couplings, J); }
  void download_chains(std::vector<std::uint8_t>* sigma, std::vector<std::uint32_t>* x) const override {
    call(calls_.download_chains, sigma, x);
  }
};

}  // namespace

template <class Real>
std::unique_ptr<ExactEngine<Real>> make_exact_engine(const EngineShape& shape) {
  const Table& t = table("cuda backend");
  return engine<ModuleEngine<Real>>(of_precision<Real>(t.engine_float, t.engine_double),
                                    of_precision<Real>(t.make_engine_float, t.make_engine_double), shape);
}
template <class Real>
std::unique_ptr<MdpEngine<Real>> make_mdp_engine(const MdpShape& shape) {
  const Table& t = table("cuda backend");
  return engine<ModuleMdpEngine<Real>>(of_precision<Real>(t.mdp_float, t.mdp_double),
                                       of_precision<Real>(t.make_mdp_engine_float, t.make_mdp_engine_double), shape);
}

/// BackendError where the module cannot be loaded or no device answers (the module's factory).
template <class Real>
std::unique_ptr<ParametricEngine<Real>> make_parametric_engine(const ParametricSetup& setup) {
  const Table& t = table("cuda parametric solver");
  return engine<ModuleParametric<Real>>(of_precision<Real>(t.parametric_float, t.parametric_double),
                                        of_precision<Real>(t.make_parametric_float, t.make_parametric_double), setup);
}

template std::unique_ptr<ExactEngine<float>> make_exact_engine<float>(const EngineShape&);
template std::unique_ptr<ExactEngine<double>> make_exact_engine<double>(const EngineShape&);
template std::unique_ptr<MdpEngine<float>> make_mdp_engine<float>(const MdpShape&);
template std::unique_ptr<MdpEngine<double>> make_mdp_engine<double>(const MdpShape&);
template std::unique_ptr<ParametricEngine<float>> make_parametric_engine<float>(const ParametricSetup&);
template std::unique_ptr<ParametricEngine<double>> make_parametric_engine<double>(const ParametricSetup&);

std::unique_ptr<DenseBatch> make_dense_batch(std::int64_t n, int batch) {
  const Table& t = table("cuda dense solve");
  return wrap<ModuleDense>(t.dense.destroy, checked(t.make_dense_batch, n, batch), t.dense);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
