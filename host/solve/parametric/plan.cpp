// The parametric solver's plan of one run (plan.hpp).
#include "solve/parametric/plan.hpp"

#include <string>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/kernels/parametric.hpp"
#include "solve/parametric/batch_curvature.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

Plan make_plan(const NetworkModel& model, const SolverOptions& options) {
  model.validate_parametric();
  options.validate("solver");
  const ParametricOptions& po = options.parametric;
  po.validate("solver.parametric", model.n);
  Plan p;
  p.n = model.n;
  p.m = model.m();
  p.free = model.free_neurons();
  p.nf = static_cast<int>(p.free.size());
  p.is_free.assign(static_cast<std::size_t>(p.n), 0);
  for (int i : p.free) p.is_free[static_cast<std::size_t>(i)] = 1;
  p.batch = po.batch;
  p.chains = po.chains;
  p.explore = po.explore;
  p.per_chain = po.batch / po.chains;
  p.interval = po.sample_interval > 0 ? po.sample_interval : static_cast<std::uint64_t>(p.nf);
  p.burn_in = po.burn_in > 0 ? po.burn_in : 10 * static_cast<std::uint64_t>(p.nf);
  p.lambda = model.lambda;
  // The chain steps, bounded before the run as a sampling run's: chains x burn_in, then
  // max_batches x batch x sample_interval.
  std::uint64_t burn_steps = 0, batch_steps = 0, total_steps = 0;
  if (!checked_multiply(p.chains, p.burn_in, &burn_steps) || burn_steps > limit(LimitId::sample_steps)) {
    throw InvalidInput("solver.parametric.burn_in", std::to_string(p.chains) + " chains x burn_in " +
                                                        std::to_string(p.burn_in) + " chain steps exceed " +
                                                        limit_hint(LimitId::sample_steps));
  }
  if (!checked_multiply(po.max_batches, p.batch, &batch_steps) || !checked_multiply(batch_steps, p.interval, &batch_steps) ||
      !checked_add(burn_steps, batch_steps, &total_steps) || total_steps > limit(LimitId::sample_steps)) {
    throw InvalidInput(po.sample_interval > 0 ? "solver.parametric.sample_interval" : "solver.parametric.max_batches",
                       "max_batches " + std::to_string(po.max_batches) + " x batch " + std::to_string(p.batch) +
                           " x sample_interval " + std::to_string(p.interval) + " chain steps (after " +
                           std::to_string(burn_steps) + " of burn-in) exceed " + limit_hint(LimitId::sample_steps));
  }
  if (options.backend == Backend::reference) {
    throw InvalidInput("solver.backend", "the parametric solver runs on the host or cuda backend, not the reference");
  }
  p.cuda = options.backend == Backend::cuda;
  if (p.cuda) {
    std::string reason;
    if (!kernels::cuda::device_available(&reason)) {
      throw BackendError("solver.backend: the CUDA backend is not available: " + reason);
    }
  }
  p.single = options.precision == Precision::float32;
  p.fields = po.regression == ParametricRegression::fields;
  if (p.fields && model.reward.kind == RewardKind::efficient_coding) {
    throw InvalidInput("reward.kind", "the parametric solver needs a static reward, not efficient_coding");
  }
  const auto un = static_cast<std::size_t>(p.n);
  if (p.chains > (std::uint64_t{1} << 32)) throw InvalidInput("solver.parametric.chains", "must stay below 2^32");
  // Memory, before anything large is allocated: the engine, and the host's copies of J for the result.
  const double engine = kernels::parametric_engine_bytes(p.n, p.chains, p.samples(), !po.coupling_mask.empty(), p.single,
                                                        p.fields);
  const double host_side = 2.0 * static_cast<double>(un * un) * 8.0 + static_cast<double>(un * un) +
                           (po.curvature_step ? BatchCurvature::bytes(p.samples()) : 0.0);
  const double host_avail = 0.9 * static_cast<double>(kernels::host::available_memory());
  const double device_avail = p.cuda ? 0.9 * static_cast<double>(kernels::cuda::available_memory()) : 0.0;
  const double host_need = host_side + (p.cuda ? 0.0 : engine);
  if (host_need > host_avail || (p.cuda && engine > device_avail)) {
    const bool device = p.cuda && engine > device_avail;
    throw InvalidInput("n", "the parametric solver needs about " + gib_text(device ? engine : host_need) + " of " +
                                (device ? "device" : "host") + " memory for n = " + std::to_string(p.n) +
                                " (two n x n coupling matrices, " + std::to_string(p.chains) + " chains, a batch of " +
                                std::to_string(p.batch) + " and its curvature), more than the " +
                                gib_text(device ? device_avail : host_avail) + " available");
  }
  return p;
}

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
