// The exact solver's outer loop over a batch of problems and its results (batch_solver.hpp).
#include "solve/exact/batch_solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/core/hd.hpp"
#include "solve/exact_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

int input_period(const InputProcess& in) {
  const int m = in.m;
  CsrGraph g;
  for (int x = 0; x < m; ++x) {
    for (int y = 0; y < m; ++y)
      if (in(x, y) > 0.0) g.col.push_back(y);
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  return static_cast<int>(closed_class_period(g));
}

template <class Real>
std::vector<SolveResult> BatchSolver<Real>::run() {
  const double start = now_seconds();
  start_ = start;
  next_report_ = start + hooks_.progress_interval;
  const NetworkModel& first = models_.front();
  free_ = first.free_neurons();
  clamp_bits_ = first.clamp_bits();
  shape_.nf = static_cast<int>(free_.size());
  shape_.m = first.m();
  shape_.batch = static_cast<int>(models_.size());
  check_memory();
  engine_ = cuda_ ? kernels::cuda::make_exact_engine<Real>(shape_)
                  : kernels::host::make_exact_engine<Real>(shape_);
  // Rounding noise of one sweep, relative to the values' scale (a few ulp per term).
  noise_ = 2.0 * static_cast<double>(shape_.nf + shape_.m) * eps();
  upload_problems();

  const std::size_t B = models_.size();
  tracks_.resize(B);
  for (std::size_t q = 0; q < B; ++q) {
    Track& t = tracks_[q];
    t.model = &models_[q];
    t.population = models_[q].prior_mode == PriorMode::population;
    t.lambda = models_[q].lambda;
    t.prior.assign(free_.size(), opt_.p0);
  }
  iterations_ = std::make_unique<Iterations>(*engine_, tracks_, opt_, shape_.states(), noise_);
  // Progress within the outer iterations too (each inner step, at most once per interval).
  if (hooks_.progress) iterations_->on_step = [this](const char* phase, bool inner) { report(phase, inner); };
  const Mask all(B, 1);
  engine_->reset_values(all);
  engine_->reset_stationary(all);
  apply_warm_starts();

  iterations_->prior_loop(policy_, [&] { upload_priors(); }, [&](const Mask& running, std::int64_t outer) {
    outer_ = outer;
    std::vector<PairTotals> totals;
    engine_->pair_totals(running, &totals);
    for (std::size_t q = 0; q < B; ++q)
      if (running[q]) update(tracks_[q], totals[q], outer);
    report("prior loop", false);
  });
  iterations_->final_evaluation(policy_, [&] { upload_priors(); });
  const double elapsed = now_seconds() - start;
  std::vector<SolveResult> results;
  for (std::size_t q = 0; q < B; ++q) {
    finish(static_cast<int>(q));
    tracks_[q].result.elapsed_seconds = elapsed;
  }
  report("done", false, true);
  for (std::size_t q = 0; q < B; ++q) results.push_back(std::move(tracks_[q].result));
  return results;
}

template <class Real>
void BatchSolver<Real>::check_memory() {
  const int n = models_.front().n, nclamped = n - shape_.nf;
  const auto B = static_cast<double>(models_.size());
  auto need = [&](int n_try, double* device, double* host) {
    EngineShape s = shape_;
    s.nf = n_try - nclamped;
    const double states = static_cast<double>(s.m) * std::ldexp(1.0, s.nf);
    const double full = static_cast<double>(s.m) * std::ldexp(1.0, n_try);
    *device = B * states * static_cast<double>(kernels::engine_arrays(s)) * sizeof(Real);
    // Results over the full space (values, stationary) and one compact download buffer.
    *host = B * full * 2.0 * sizeof(double) + states * 2.0 * sizeof(double);
    if (!cuda_) *host += *device;
    // Policy iteration's float64 vectors: the Krylov solves' in the engine's memory
    // (Iterations::krylov_slots), and per problem mu and v on the host (the results).
    if (policy_) {
      *(cuda_ ? device : host) += states * sizeof(double) * Iterations::krylov_slots(models_.size());
      *host += states * sizeof(double) * 2.0 * B;
    }
  };
  const double host_avail = 0.9 * static_cast<double>(kernels::host::available_memory());
  const double device_avail = cuda_ ? 0.9 * static_cast<double>(kernels::cuda::available_memory()) : 0.0;
  auto fits = [&](int n_try) {
    double device = 0.0, host = 0.0;
    need(n_try, &device, &host);
    return host <= host_avail && (!cuda_ || device <= device_avail);
  };
  // On the host the fixed policy is kept as a table where it fits (EngineShape::policy_table:
  // the power iteration and the evaluation stream it); otherwise mu rides along with the sweeps.
  // On CUDA the sweeps are bound by memory traffic, which a table would add to.
  shape_.policy_table = !cuda_ && opt_.policy_table;
  if (shape_.policy_table && !fits(n)) shape_.policy_table = false;
  if (fits(n)) return;
  double device = 0.0, host = 0.0;
  need(n, &device, &host);
  int largest = n - 1;
  while (largest > nclamped && !fits(largest)) --largest;
  std::ostringstream os;
  os << "the exact solver (" << (cuda_ ? "cuda" : "host") << ", " << to_string(opt_.precision)
     << ") needs " << gib_text(cuda_ ? device : host) << " of "
     << (cuda_ ? "device" : "host") << " memory for n = " << n << " (m = " << shape_.m << ", "
     << models_.size() << " problem(s), " << kernels::engine_arrays(shape_)
     << " arrays of m 2^nf states plus the results over m 2^n states"
     << (policy_ ? " and policy iteration's Krylov vectors" : "") << "), more than the "
     << gib_text(cuda_ ? device_avail : host_avail) << " available; with these settings n <= "
     << largest << " fits";
  throw InvalidInput("n", os.str());
}

template <class Real>
void BatchSolver<Real>::upload_problems() {
  const std::uint64_t nb = shape_.network_states();
  const auto states = static_cast<std::size_t>(shape_.states());
  const int n = models_.front().n, m = shape_.m;
  std::vector<Real> reward(states * models_.size());
  std::vector<double> transition, theta, lambda;
  std::vector<std::uint64_t> full(nb);
  for (std::uint64_t c = 0; c < nb; ++c) full[c] = expand(c, free_, clamp_bits_);
  for (std::size_t q = 0; q < models_.size(); ++q) {
    const NetworkModel& model = models_[q];
    const std::uint64_t full_nb = model.num_network_states();
    for (int x = 0; x < m; ++x) {
      for (std::uint64_t c = 0; c < nb; ++c) {
        const double r = model.reward.kind == RewardKind::table
                             ? model.reward.values[static_cast<std::uint64_t>(x) * full_nb + full[c]]
                             : model.reward.evaluate(n, full[c], x);
        reward[q * states + static_cast<std::uint64_t>(x) * nb + c] = static_cast<Real>(r);
      }
    }
    transition.insert(transition.end(), model.input.T.begin(), model.input.T.end());
    theta.push_back(input_period(model.input) > 1 ? 0.5 : 1.0);
    lambda.push_back(model.lambda);
  }
  engine_->set_rewards(reward);
  engine_->set_inputs(transition, theta);
  engine_->set_lambdas(lambda);
}

template <class Real>
void BatchSolver<Real>::finish(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  const NetworkModel& model = *t.model;
  SolveResult& res = t.result;
  soft::stamp_result(res, cuda_, opt_);
  res.states = shape_.states();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  res.prior.assign(static_cast<std::size_t>(model.n), nan);
  res.degenerate.clear();
  for (std::size_t k = 0; k < free_.size(); ++k) {
    const double p = t.prior[k];
    res.prior[static_cast<std::size_t>(free_[k])] = p;
    if (soft::degenerate_prior(p, k < t.clipped.size() && t.clipped[k], opt_.prior_eps)) {
      res.degenerate.push_back(free_[k]);
    }
  }
  if (policy_) res.krylov_residual = std::max(t.mu_residual, t.v_residual);
  const soft::FinalSolution f = soft::final_solution(*engine_, q, t, policy_);
  const std::vector<double>& v = f.v;
  const std::vector<double>& mu = f.mu;
  const double mass = f.mass, shift = f.shift;
  const std::uint64_t nb = shape_.network_states();
  const std::uint64_t full_nb = model.num_network_states();
  const int m = shape_.m;
  res.values.assign(model.num_states(), nan);
  res.stationary.assign(model.num_states(), 0.0);
  res.spike_count_rows = model.n + 1;
  res.spike_count_cols = m;
  res.spike_count.assign(static_cast<std::size_t>(model.n + 1) * static_cast<std::size_t>(m), 0.0);
  const int clamped_on = popcount64(clamp_bits_);
  for (int x = 0; x < m; ++x) {
    double slice = 0.0;
    for (std::uint64_t c = 0; c < nb; ++c) {
      const std::uint64_t s = static_cast<std::uint64_t>(x) * nb + c;
      const std::uint64_t full = static_cast<std::uint64_t>(x) * full_nb + expand(c, free_, clamp_bits_);
      const double p = mu[s] / mass;
      res.values[full] = v[s] - shift;
      res.stationary[full] = p;
      res.spike_count[static_cast<std::size_t>(popcount64(c) + clamped_on) * static_cast<std::size_t>(m) +
                      static_cast<std::size_t>(x)] += p;
      slice += p;
    }
    for (int K = 0; K <= model.n; ++K) {
      double& e = res.spike_count[static_cast<std::size_t>(K) * static_cast<std::size_t>(m) + static_cast<std::size_t>(x)];
      e = slice > 0.0 ? e / slice : nan;
    }
  }
}

template std::vector<SolveResult> BatchSolver<double>::run();
template std::vector<SolveResult> BatchSolver<float>::run();
template void BatchSolver<double>::check_memory();
template void BatchSolver<float>::check_memory();
template void BatchSolver<double>::upload_problems();
template void BatchSolver<float>::upload_problems();
template void BatchSolver<double>::finish(int q);
template void BatchSolver<float>::finish(int q);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail

NETRL_NAMESPACE_BEGIN namespace exact {

namespace {

void validate_batch(const std::vector<NetworkModel>& models, const SolverOptions& options) {
  options.validate();
  if (models.empty()) throw InvalidInput("models", "the batch is empty");
  for (std::size_t q = 0; q < models.size(); ++q) {
    models[q].validate();
    const NetworkModel& a = models.front();
    const NetworkModel& b = models[q];
    if (b.n != a.n || b.m() != a.m() || b.clamp_mask() != a.clamp_mask() || b.clamp_bits() != a.clamp_bits()) {
      throw InvalidInput("models[" + std::to_string(q) + "]",
                         "a batch needs equal n, m and clamps (model 0: n = " + std::to_string(a.n) +
                             ", m = " + std::to_string(a.m()) + "; this model: n = " + std::to_string(b.n) +
                             ", m = " + std::to_string(b.m()) + ", or different clamps)");
    }
  }
  if (options.method == Method::policy_iteration && options.precision != Precision::float64) {
    throw InvalidInput("solver.precision",
                       std::string("policy_iteration on the \"") + to_string(options.backend) +
                           "\" backend runs in float64 only (its Krylov solves need float64 matrix-vector "
                           "products); use \"float64\", or \"value_iteration\" for float32");
  }
}

}  // namespace

std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options,
                                     const SolveHooks& hooks) {
  soft::require_kernels_backend(options, "the exact solver");
  validate_batch(models, options);
  return soft::run_batch<detail::BatchSolver>(options, models, options, hooks);
}

SolveResult solve(const NetworkModel& model, const SolverOptions& options, const SolveHooks& hooks) {
  return std::move(exact::solve_batch(std::vector<NetworkModel>{model}, options, hooks).front());
}

}  NETRL_NAMESPACE_END  // namespace netrl::exact
