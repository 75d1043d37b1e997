// Warm starts and progress reports of the exact solver (batch_solver.hpp, netrl/solve.hpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "solve/exact/batch_solver.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace exact::detail {

namespace {

/// "warm_start" for a single problem, "warm_starts[q]" in a batch.
std::string warm_field(std::size_t q, std::size_t batch) {
  return batch == 1 ? std::string("warm_start") : "warm_starts[" + std::to_string(q) + "]";
}

}  // namespace

template <class Real>
void BatchSolver<Real>::apply_warm_starts() {
  const auto& warm = hooks_.warm_starts;
  if (warm.empty()) return;
  const std::size_t B = tracks_.size();
  if (warm.size() != B) {
    throw InvalidInput("warm_starts", "give one warm start per problem (" + std::to_string(B) + "), got " +
                                          std::to_string(warm.size()));
  }
  const std::size_t states = shape_.states();
  const std::uint64_t nb = shape_.network_states();
  std::vector<double> values(states * B, 0.0), mu(states * B, 0.0);
  Mask with_values(B, 0), with_mu(B, 0);
  for (std::size_t q = 0; q < B; ++q) {
    const WarmStart& w = warm[q];
    if (w.empty()) continue;
    const std::string field = warm_field(q, B);
    const NetworkModel& model = models_[q];
    const std::uint64_t full_states = model.num_states(), full_nb = model.num_network_states();
    if (w.values.size() != full_states) {
      throw InvalidInput(field, "values hold " + std::to_string(w.values.size()) + " entries; the network (n = " +
                                    std::to_string(model.n) + ", m = " + std::to_string(model.m()) + ") has " +
                                    std::to_string(full_states) + " states");
    }
    if (w.prior.size() != static_cast<std::size_t>(model.n)) {
      throw InvalidInput(field, "the prior has " + std::to_string(w.prior.size()) + " entries, expected n = " +
                                    std::to_string(model.n));
    }
    if (!w.stationary.empty() && w.stationary.size() != full_states) {
      throw InvalidInput(field, "the stationary distribution holds " + std::to_string(w.stationary.size()) +
                                    " entries, expected " + std::to_string(full_states) + " (or none)");
    }
    Track& t = tracks_[q];
    double mass = 0.0;
    for (int x = 0; x < shape_.m; ++x)
      for (std::uint64_t c = 0; c < nb; ++c) {
        const std::uint64_t s = static_cast<std::uint64_t>(x) * nb + c;
        const std::uint64_t full = static_cast<std::uint64_t>(x) * full_nb + expand(c, free_, clamp_bits_);
        const double v = w.values[full];
        if (!std::isfinite(v)) {
          throw InvalidInput(field, "the value at state " + std::to_string(full) +
                                        " (consistent with the clamps) is not finite");
        }
        values[q * states + s] = v;
        if (!w.stationary.empty()) {
          const double p = w.stationary[full];
          if (!std::isfinite(p) || p < 0.0) {
            throw InvalidInput(field, "the stationary probability of state " + std::to_string(full) +
                                          " is not a finite non-negative number");
          }
          mu[q * states + s] = p;
          mass += p;
        }
      }
    with_values[q] = 1;
    double sum = 0.0;
    for (std::size_t k = 0; k < free_.size(); ++k) {
      const double p = w.prior[static_cast<std::size_t>(free_[k])];
      if (!std::isfinite(p) || p < 0.0 || p > 1.0) {
        std::ostringstream os;
        os << "the prior of free neuron " << free_[k] << " is " << p << "; it must lie in [0, 1]";
        throw InvalidInput(field, os.str());
      }
      t.prior[k] = std::clamp(p, opt_.prior_eps, 1.0 - opt_.prior_eps);
      sum += t.prior[k];
    }
    if (t.population) std::fill(t.prior.begin(), t.prior.end(), sum / static_cast<double>(free_.size()));
    if (policy_) t.v.assign(values.begin() + static_cast<std::ptrdiff_t>(q * states),
                            values.begin() + static_cast<std::ptrdiff_t>((q + 1) * states));
    if (!w.stationary.empty()) {
      if (!(mass > 0.0)) throw InvalidInput(field, "the stationary distribution has no mass on the consistent states");
      for (std::size_t s = 0; s < states; ++s) mu[q * states + s] /= mass;
      with_mu[q] = 1;
      t.mass = 1.0;
      if (policy_) t.mu.assign(mu.begin() + static_cast<std::ptrdiff_t>(q * states),
                               mu.begin() + static_cast<std::ptrdiff_t>((q + 1) * states));
    }
  }
  engine_->set_values(with_values, values.data());
  engine_->set_stationary(with_mu, mu.data());
}

template <class Real>
void BatchSolver<Real>::report(const char* phase, bool in_inner, bool force) {
  if (!hooks_.progress) return;
  const double now = now_seconds();
  if (!force && now < next_report_) return;
  next_report_ = now + std::max(0.0, hooks_.progress_interval);
  SolveProgress p;
  p.phase = phase;
  p.problems = static_cast<int>(tracks_.size());
  p.running = 0;
  for (const Track& t : tracks_) p.running += t.running ? 1 : 0;
  // The running problems; once none runs (final evaluation, end), all of them.
  p.prior_residual = 0.0;
  for (const Track& t : tracks_) {
    if (p.running > 0 && !t.running) continue;
    p.outer_iterations = std::max(p.outer_iterations, p.running > 0 ? outer_ : t.result.outer_iterations);
    p.inner_iterations = std::max(p.inner_iterations, t.result.inner_iterations + (in_inner ? t.sweeps : 0));
    p.span = std::max(p.span, t.span.hi - t.span.lo);
    p.inner_tol = std::max(p.inner_tol, t.inner_tol);
    p.prior_residual = std::max(p.prior_residual, t.residual);
  }
  p.elapsed_seconds = now - start_;
  hooks_.progress(p);
}

template void BatchSolver<double>::apply_warm_starts();
template void BatchSolver<float>::apply_warm_starts();
template void BatchSolver<double>::report(const char* phase, bool in_inner, bool force);
template void BatchSolver<float>::report(const char* phase, bool in_inner, bool force);

}  NETRL_NAMESPACE_END  // namespace netrl::exact::detail
