#pragma once
// The boundary between netrl_kernels and the CUDA module libnetrl_cuda.so (plain C++, no CUDA
// headers). The module is the only binary that links the CUDA libraries; netrl_kernels loads it
// with dlopen on the first call of a netrl::kernels::cuda function (kernels/host/cuda_loader.cpp)
// and resolves one extern "C" symbol, kEntryPoint, which returns the module's Table: plain function
// pointers, with the ABI version, the table's size and the project version to refuse a module of
// another build.
//
// No exception crosses the boundary: every function of the table catches everything inside the
// module and reports it in a CallStatus, which the loader turns back into the netrl error of the
// same type (BackendError, InvalidInput, NumericalError, IoError). A CUDA engine is a handle in
// the module driven through EngineCalls (one function per ExactEngine method) or MdpEngineCalls
// (per MdpEngine method), both StepCalls (the BatchEngine methods) first, or ParametricCalls (per
// ParametricEngine method); the loader wraps it in an engine of its own.
//
// Both sides are built by the same compiler in the same build (the version check refuses anything
// else), so standard-library types (std::string, std::vector) may appear in the signatures.
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/kernels/batch_engine.hpp"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/mdp_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/kernels/sampler.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda::module {

/// Bumped whenever Table, StepCalls, EngineCalls, MdpEngineCalls, ParametricCalls, SpaceCalls, DenseCalls or a
/// signature in them changes. 3: both sides of version 2 merged (the MDP engines, and the Krylov
/// and dense solves on the device). 4: the steps both engines share in StepCalls (BatchEngine).
/// 5: the parametric solver's engines (ParametricCalls). 6: ParametricCalls::step_couplings_flips.
/// 7: EngineShape::policy_table (make_engine_* take the shape). 8: StepCalls::has_gibbs_stationary
/// and gibbs_stationary.
constexpr std::uint32_t kAbiVersion = 8;
/// The module's one exported symbol: `const Table* netrl_cuda_module_table()`.
constexpr const char* kEntryPoint = "netrl_cuda_module_table";

enum class ErrorKind : int { none = 0, backend, invalid_input, numerical, io, other };

/// The outcome of a call: kind none, or the error the module caught.
struct CallStatus {
  ErrorKind kind = ErrorKind::none;
  std::string field;    // InvalidInput::field()
  std::string message;  // what() (for InvalidInput: what() without the "field: " prefix)
};

/// The function type that forwards method M (of ExactEngine, MdpEngine, ChainSpace, DenseBatch) to a module handle.
template <class M>
struct CallOf;
template <class C, class R, class... A>
struct CallOf<R (C::*)(A...)> {
  using type = R (*)(void* handle, CallStatus* status, A... args);
};
template <class C, class R, class... A>
struct CallOf<R (C::*)(A...) const> {
  using type = R (*)(void* handle, CallStatus* status, A... args);
};
template <auto M>
using Call = typename CallOf<decltype(M)>::type;

/// The entries every engine handle has: destroy, and the methods of BatchEngine (see there for
/// what each does).
struct StepCalls {
  using E = BatchEngine;
  void (*destroy)(void* engine);  // never fails
  Call<&E::description> description;
  Call<&E::reset_values> reset_values;
  Call<&E::value_step> value_step;
  Call<&E::bellman> bellman;
  Call<&E::accept_values> accept_values;
  Call<&E::reset_stationary> reset_stationary;
  Call<&E::prepare_policy> prepare_policy;
  Call<&E::stationary_step> stationary_step;
  Call<&E::accept_stationary> accept_stationary;
  Call<&E::has_gibbs_stationary> has_gibbs_stationary;
  Call<&E::gibbs_stationary> gibbs_stationary;
  Call<&E::start_evaluation> start_evaluation;
  Call<&E::evaluation_step> evaluation_step;
  Call<&E::accept_evaluation> accept_evaluation;
  Call<&E::apply_chain> apply_chain;
  Call<&E::policy_reward> policy_reward;
  Call<&E::set_values> set_values;
  Call<&E::set_stationary> set_stationary;
  Call<&E::download_values> download_values;
  Call<&E::download_evaluation> download_evaluation;
  Call<&E::download_stationary> download_stationary;
};

/// A module exact engine's methods beyond StepCalls (see ExactEngine for what each does).
template <class Real>
struct EngineCalls : StepCalls {
  using E = ExactEngine<Real>;
  Call<&E::set_rewards> set_rewards;
  Call<&E::set_inputs> set_inputs;
  Call<&E::set_lambdas> set_lambdas;
  Call<&E::set_priors> set_priors;
  Call<&E::pair_totals> pair_totals;
};

/// A module MDP engine's methods beyond StepCalls (see MdpEngine for what each does).
template <class Real>
struct MdpEngineCalls : StepCalls {
  using E = MdpEngine<Real>;
  Call<&E::set_transitions> set_transitions;
  Call<&E::set_rewards> set_rewards;
  Call<&E::set_lambdas> set_lambdas;
  Call<&E::set_priors> set_priors;
  Call<&E::action_totals> action_totals;
  Call<&E::download_policy> download_policy;
};

/// A module parametric engine's methods (see ParametricEngine for what each does).
template <class Real>
struct ParametricCalls {
  using E = ParametricEngine<Real>;
  void (*destroy)(void* engine);  // never fails
  Call<&E::description> description;
  Call<&E::set_couplings> set_couplings;
  Call<&E::set_small> set_small;
  Call<&E::advance> advance;
  Call<&E::record> record;
  Call<&E::record_explore> record_explore;
  Call<&E::read_batch> read_batch;
  Call<&E::step_couplings> step_couplings;
  Call<&E::step_couplings_flips> step_couplings_flips;
  Call<&E::coupling_norms> coupling_norms;
  Call<&E::copy_target> copy_target;
  Call<&E::download_couplings> download_couplings;
  Call<&E::download_chains> download_chains;
};

/// A module DenseBatch's methods (netrl/kernels/dense_lu.hpp).
struct DenseCalls {
  void (*destroy)(void* dense);  // never fails
  Call<&DenseBatch::description> description;
  Call<&DenseBatch::upload> upload;
  Call<&DenseBatch::solve> solve;
  Call<&DenseBatch::download> download;
  Call<&DenseBatch::timings> timings;
};

/// A module ChainSpace's methods (see VectorSpace and ChainSpace for what each does).
struct SpaceCalls {
  void (*destroy)(void* space);  // never fails
  Call<&VectorSpace::description> description;
  Call<&VectorSpace::upload> upload;
  Call<&VectorSpace::download> download;
  Call<&VectorSpace::fill> fill;
  Call<&VectorSpace::axpby> axpby;
  Call<&VectorSpace::deflate> deflate;
  Call<&VectorSpace::clamp_scale> clamp_scale;
  Call<&VectorSpace::dot> dot;
  Call<&VectorSpace::stats> stats;
  Call<&VectorSpace::dots> dots;
  Call<&VectorSpace::combine> combine;
  Call<&ChainSpace::apply_chain> apply_chain;
  Call<&ChainSpace::policy_reward> policy_reward;
  Call<&ChainSpace::set_values> set_values;
  Call<&ChainSpace::set_stationary> set_stationary;
};

struct Table {
  // abi, size and version stay the first members in every version: the loader reads them before
  // it trusts anything else.
  std::uint32_t abi = 0;   // kAbiVersion of the module's build
  std::uint32_t size = 0;  // sizeof(Table) of the module's build
  const char* version = nullptr;  // the project version of the module's build

  bool (*device_available)(std::string* reason);  // never fails
  std::uint64_t (*available_memory)(CallStatus* status);
  /// A new engine handle (destroyed with EngineCalls::destroy), or null with the status set.
  void* (*make_engine_float)(CallStatus* status, const EngineShape& shape);
  void* (*make_engine_double)(CallStatus* status, const EngineShape& shape);
  EngineCalls<float> engine_float;
  EngineCalls<double> engine_double;

  void (*run_sampler)(CallStatus* status, const SampleRequest& request, const SampleOutput& output);

  // Benchmark floors (netrl/kernels/probes.hpp).
  double (*lse2_rate)(CallStatus* status, bool single_precision);
  double (*copy_bandwidth)(CallStatus* status);
  double (*dgemm_rate)(CallStatus* status, int N);
  /// Device milliseconds of work(context) (after one warm-up call); work returns false on failure.
  double (*time_ms)(CallStatus* status, bool (*work)(void* context), void* context);

  // ---- ABI 3: the MDP engines (main's version 2) ----------------------------------------------
  void* (*make_mdp_engine_float)(CallStatus* status, const MdpShape& shape);
  void* (*make_mdp_engine_double)(CallStatus* status, const MdpShape& shape);
  MdpEngineCalls<float> mdp_float;
  MdpEngineCalls<double> mdp_double;

  // ---- ABI 3: the Krylov solves and dense solves on the device (issue 17) ----------------------
  /// ExactEngine::chain_space of an engine handle: a ChainSpace handle (SpaceCalls), or null.
  void* (*chain_space_float)(void* engine, CallStatus* status, int slots);
  void* (*chain_space_double)(void* engine, CallStatus* status, int slots);
  SpaceCalls space;
  /// kernels::cuda::make_dense_batch: a DenseBatch handle (DenseCalls), or null.
  void* (*make_dense_batch)(CallStatus* status, std::int64_t n, int batch);
  DenseCalls dense;
  double (*pinned_bandwidth)(CallStatus* status);
  double (*sampler_step_rate)(CallStatus* status, bool on_the_fly);

  // ---- ABI 5: the parametric solver's engines (kernels/cuda/parametric_engine.cu) --------------
  /// kernels::cuda::make_parametric_engine: a handle (ParametricCalls), or null.
  void* (*make_parametric_float)(CallStatus* status, const ParametricSetup& setup);
  void* (*make_parametric_double)(CallStatus* status, const ParametricSetup& setup);
  ParametricCalls<float> parametric_float;
  ParametricCalls<double> parametric_double;
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda::module

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
/// Inside the module (kernels/cuda/probes.cu): time_ms of the Table.
double time_events_ms(bool (*work)(void* context), void* context);
}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda

extern "C" {
/// The module's entry point (kEntryPoint).
const netrl::kernels::cuda::module::Table* netrl_cuda_module_table();
}
