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

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_bytes(double bytes) {
  std::ostringstream os;
  os.precision(3);
  os << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return os.str();
}

int input_period(const InputProcess& in) {
  const int m = in.m;
  CsrGraph g;
  for (int x = 0; x < m; ++x) {
    for (int y = 0; y < m; ++y)
      if (in(x, y) > 0.0) g.col.push_back(y);
    g.row_ptr.push_back(static_cast<std::int64_t>(g.col.size()));
  }
  std::int64_t count = 0;
  const auto comp = strongly_connected_components(g, &count);
  std::vector<char> leaves(static_cast<std::size_t>(count), 0);
  for (int u = 0; u < m; ++u)
    for (std::int64_t e = g.row_ptr[u]; e < g.row_ptr[u + 1]; ++e)
      if (comp[g.col[e]] != comp[u]) leaves[comp[u]] = 1;
  int root = -1;
  for (int u = 0; u < m && root < 0; ++u)
    if (!leaves[comp[u]]) root = u;
  if (root < 0) return 1;
  std::vector<std::int64_t> level(m, -1);
  std::vector<int> queue{root};
  level[root] = 0;
  std::int64_t period = 0;
  for (std::size_t k = 0; k < queue.size(); ++k) {
    const int u = queue[k];
    for (std::int64_t e = g.row_ptr[u]; e < g.row_ptr[u + 1]; ++e) {
      const auto v = static_cast<int>(g.col[e]);
      if (level[v] < 0) {
        level[v] = level[u] + 1;
        queue.push_back(v);
      } else {
        period = std::gcd(period, std::abs(level[u] + 1 - level[v]));
      }
    }
  }
  return period == 0 ? 1 : static_cast<int>(period);
}

template <class Real>
std::vector<SolveResult> BatchSolver<Real>::run() {
  const double start = now_seconds();
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
  const Mask all(B, 1);
  engine_->reset_values(all);
  engine_->reset_stationary(all);

  for (std::int64_t outer = 1;; ++outer) {
    Mask running(B, 0);
    bool any = false;
    for (std::size_t q = 0; q < B; ++q) {
      running[q] = tracks_[q].running ? 1 : 0;
      any = any || tracks_[q].running;
    }
    if (!any) break;
    set_round_tolerances(outer);
    upload_priors();
    if (policy_) {
      policy_iteration(running);
    } else {
      value_iteration(running);
    }
    // A problem whose inner solve stopped short reports this round: its mu must be final.
    for (Track& t : tracks_)
      if (t.running && !t.inner_converged) t.mu_tol = final_mu_tol();
    engine_->prepare_policy(running);
    if (policy_) {
      for_each(running, [&](int q) { stationary_krylov(q); });
    } else {
      stationary(running);
    }
    std::vector<PairTotals> totals;
    engine_->pair_totals(running, &totals);
    for (std::size_t q = 0; q < B; ++q)
      if (running[q]) update(tracks_[q], totals[q], outer);
  }

  upload_priors();  // the finished problems' priors (unchanged since their last evaluation)
  engine_->prepare_policy(all);
  if (policy_) {
    for_each(all, [&](int q) { evaluate_krylov(q); });
  } else {
    evaluate(all);
  }
  const double elapsed = now_seconds() - start;
  std::vector<SolveResult> results;
  for (std::size_t q = 0; q < B; ++q) {
    finish(static_cast<int>(q));
    tracks_[q].result.elapsed_seconds = elapsed;
    results.push_back(std::move(tracks_[q].result));
  }
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
    // Policy iteration's float64 vectors, in the engine's memory (krylov_slots()).
    if (policy_) *(cuda_ ? device : host) += states * sizeof(double) * krylov_slots(models_.size());
  };
  const double host_avail = 0.9 * static_cast<double>(kernels::host::available_memory());
  const double device_avail = cuda_ ? 0.9 * static_cast<double>(kernels::cuda::available_memory()) : 0.0;
  auto fits = [&](int n_try) {
    double device = 0.0, host = 0.0;
    need(n_try, &device, &host);
    return host <= host_avail && (!cuda_ || device <= device_avail);
  };
  if (fits(n)) return;
  double device = 0.0, host = 0.0;
  need(n, &device, &host);
  int largest = n - 1;
  while (largest > nclamped && !fits(largest)) --largest;
  std::ostringstream os;
  os << "the exact solver (" << (cuda_ ? "cuda" : "host") << ", " << to_string(opt_.precision)
     << ") needs " << format_bytes(cuda_ ? device : host) << " of "
     << (cuda_ ? "device" : "host") << " memory for n = " << n << " (m = " << shape_.m << ", "
     << models_.size() << " problem(s), " << kernels::engine_arrays(shape_)
     << " arrays of m 2^nf states plus the results over m 2^n states"
     << (policy_ ? " and policy iteration's Krylov vectors" : "") << "), more than the "
     << format_bytes(cuda_ ? device_avail : host_avail) << " available; with these settings n <= "
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
void BatchSolver<Real>::set_round_tolerances(std::int64_t outer) {
  for (Track& t : tracks_) {
    if (!t.running) continue;
    const bool last = outer >= opt_.max_outer_iterations || t.polish;
    const double loose = std::min(kLooseCap, kLooseFactor * t.residual);
    t.inner_tol = last ? opt_.tol : std::max(opt_.tol, loose);
    t.mu_tol = last ? final_mu_tol() : std::max(final_mu_tol(), loose);
    t.final_tolerances = t.inner_tol <= opt_.tol && t.mu_tol <= final_mu_tol();
  }
}

template <class Real>
typename BatchSolver<Real>::InnerState BatchSolver<Real>::inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const {
  t.span = s;
  const double floor = noise_ * std::max(1.0, s.max_abs);
  const double span = s.hi - s.lo;
  if (span < std::max(t.inner_tol, floor)) {
    t.inner_converged = true;
    return InnerState::converged;
  }
  if (span < t.best_span) {
    t.best_span = span;
    t.best_at = t.sweeps;
  } else if (t.sweeps - t.best_at >= stall) {
    std::ostringstream os;
    os << method << " stalled at span " << t.best_span << " > tol " << t.inner_tol << " for " << stall << " "
       << unit << " (rounding floor); loosen solver.tol";
    t.inner_note = os.str();
    return InnerState::stalled;
  }
  return InnerState::go_on;
}

template <class Real>
void BatchSolver<Real>::finish(int q) {
  Track& t = tracks_[static_cast<std::size_t>(q)];
  const NetworkModel& model = *t.model;
  SolveResult& res = t.result;
  res.backend = cuda_ ? "cuda" : "host";
  res.precision = to_string(opt_.precision);
  res.method = to_string(opt_.method);
  res.states = shape_.states();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  res.prior.assign(static_cast<std::size_t>(model.n), nan);
  res.degenerate.clear();
  for (std::size_t k = 0; k < free_.size(); ++k) {
    const double p = t.prior[k];
    res.prior[static_cast<std::size_t>(free_[k])] = p;
    // Degenerate: the prior sits at the clip, or its update (the plain step from it) hit it.
    const bool clipped = k < t.clipped.size() && t.clipped[k];
    if (p <= opt_.prior_eps || p >= 1.0 - opt_.prior_eps || clipped) res.degenerate.push_back(free_[k]);
  }
  std::vector<double> v, mu;
  if (policy_) {
    download_krylov(q, &v, &mu);
    res.krylov_residual = std::max(t.mu_residual, t.v_residual);
  } else {
    engine_->download_evaluation(q, &v);
    engine_->download_stationary(q, &mu);
  }
  double mass = 0.0, weighted = 0.0;
  for (std::size_t s = 0; s < v.size(); ++s) {
    mass += mu[s];
    weighted += mu[s] * v[s];
  }
  const double shift = weighted / mass;
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
template void BatchSolver<double>::set_round_tolerances(std::int64_t outer);
template void BatchSolver<float>::set_round_tolerances(std::int64_t outer);
template BatchSolver<double>::InnerState BatchSolver<double>::inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const;
template BatchSolver<float>::InnerState BatchSolver<float>::inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const;
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

std::vector<SolveResult> solve_batch(const std::vector<NetworkModel>& models, const SolverOptions& options) {
  if (options.backend != Backend::host && options.backend != Backend::cuda) {
    throw InvalidInput("solver.backend", std::string("the exact solver runs on \"host\" or \"cuda\", not \"") +
                                             to_string(options.backend) + "\"");
  }
  validate_batch(models, options);
  const bool cuda = options.backend == Backend::cuda;
  if (cuda) {
    std::string reason;
    if (!kernels::cuda::device_available(&reason)) throw BackendError("solver.backend \"cuda\": " + reason);
  }
  if (options.precision == Precision::float32) return detail::BatchSolver<float>(models, options, cuda).run();
  return detail::BatchSolver<double>(models, options, cuda).run();
}

SolveResult solve(const NetworkModel& model, const SolverOptions& options) {
  return std::move(solve_batch({model}, options).front());
}

}  NETRL_NAMESPACE_END  // namespace netrl::exact
