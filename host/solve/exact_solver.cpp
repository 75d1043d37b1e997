#include "solve/exact_solver.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/graph.hpp"
#include "netrl/core/hd.hpp"
#include "solve/linear_solve.hpp"
#include "netrl/kernels/exact_engine.hpp"

namespace netrl::exact {
namespace {

using kernels::EngineShape;
using kernels::ExactEngine;
using kernels::Mask;
using kernels::MuStats;
using kernels::PairTotals;
using kernels::SpanStats;

/// Extrapolation of the prior loop (see update()): consecutive residuals must point the same way
/// (cosine), contract at a stable rate, and the jump beyond the plain step must stay small (the
/// linearisation of the prior map only holds near its fixed point).
constexpr double kDirectionCosine = 0.9995;
constexpr double kRateStability = 0.1;
constexpr double kMaxJump = 0.05;
/// Loose inner tolerances (early outer iterations): this factor times the prior residual,
/// capped at kLooseCap; the final outer iterations use the requested tolerances.
constexpr double kLooseFactor = 1e-3;
constexpr double kLooseCap = 1e-4;
/// Value iteration that has not reached a new minimum span for this many sweeps sits on its
/// rounding floor above tol (the span never increases in exact arithmetic): stop, not converged.
constexpr std::int64_t kStallSweeps = 20000;
/// The values are refined to this fraction of tol (or the rounding floor).
constexpr double kEvaluationFactor = 1e-3;
/// The stationary distribution to this fraction of min(tol, prior_tol) (or the rounding floor).
constexpr double kStationaryFactor = 1e-2;
/// Power iteration and evaluation may take this many times the most value-iteration sweeps of
/// one inner solve, plus kAuxSlack, before NumericalError.
constexpr std::int64_t kAuxFactor = 20;
constexpr std::int64_t kAuxSlack = 2000;
/// Policy iteration: the Krylov solves stop at relative residual kKrylovFactor * the round's
/// inner tolerance, at most kKrylovCap and at least the attainable floor kKrylovUlps * eps *
/// sqrt(states) (restarted GMRES stagnates near a few ulp times sqrt(N): measured 2.5e-13 and
/// 1.3e-12 at 2^18 states, for mu and v). The span test on T h - h, computed by the Bellman
/// sweep, certifies convergence whatever the accuracy of the solves; improvements that have not
/// lowered the span for kPolicyStall rounds sit on the rounding floor.
constexpr double kKrylovFactor = 1e-3;
constexpr double kKrylovUlps = 64.0;
constexpr double kKrylovCap = 1e-8;
/// The bias is then refined (iterative refinement: z = (I - P)^# r for the residual r of the
/// equation itself, v += z) while max |r| > kRefineFactor * the inner tolerance, at most
/// kRefinements times: r, computed by one matvec, is accurate to the rounding of v, so the
/// refined bias is accurate below GMRES's floor relative to ||g - L||. Corrections are solved to
/// relative residual kRefineTolerance (or the floor).
constexpr double kRefineFactor = 1e-2;
constexpr int kRefinements = 3;
constexpr double kRefineTolerance = 1e-6;
constexpr std::int64_t kPolicyStall = 4;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_bytes(double bytes) {
  std::ostringstream os;
  os.precision(3);
  os << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return os.str();
}

/// Period of the closed class of the input chain (1 = aperiodic).
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

/// Full network state of compact state c (bit k of c is free neuron free[k]).
std::uint64_t expand(std::uint64_t c, const std::vector<int>& free, std::uint64_t clamp_bits) {
  std::uint64_t b = clamp_bits;
  for (std::size_t k = 0; k < free.size(); ++k)
    if ((c >> k) & 1u) b |= std::uint64_t{1} << free[k];
  return b;
}

/// Per-problem state of the prior loop and its results.
struct Track {
  const NetworkModel* model = nullptr;
  bool population = true;
  double lambda = 0.0;
  std::vector<double> prior;  // the prior being evaluated (per free neuron)
  // The last plain residuals G(p) - p (population mode: one entry), for the extrapolation.
  std::vector<Eigen::VectorXd> hist_f;
  bool have_accepted = false;
  std::vector<double> accepted_next;  // G of the last accepted prior (the plain step)
  double accepted_gain = 0.0;
  double accepted_tol = 0.0;
  bool extrapolated = false;  // the prior being evaluated came from an extrapolation
  bool polish = false;        // re-evaluate at final tolerances before declaring convergence
  double residual = 1.0;      // last max |G(p) - p|
  std::vector<char> clipped;  // the last prior update hit the clip (per free neuron)
  double mass = 1.0;          // sum mu of the engine's current mu
  std::int64_t max_sweeps = 0;  // most sweeps of one inner solve so far
  // This round.
  double inner_tol = 0.0;
  double mu_tol = 0.0;
  bool final_tolerances = false;
  std::int64_t sweeps = 0;
  bool inner_converged = false;
  std::string inner_note;  // why the inner solve stopped without converging
  double best_span = 0.0;
  std::int64_t best_at = 0;
  SpanStats span;
  // Policy iteration (compact order, float64 on the host): the last stationary distribution and
  // bias of the Krylov solves (warm starts, and the reported results).
  std::vector<double> mu;
  std::vector<double> v;
  double mu_residual = 0.0;  // relative residuals of the last solves
  double v_residual = 0.0;
  // Results.
  bool running = true;
  SolveResult result;
};

template <class Real>
class BatchSolver {
 public:
  BatchSolver(const std::vector<NetworkModel>& models, const SolverOptions& options, bool cuda)
      : models_(models), opt_(options), cuda_(cuda), policy_(options.method == Method::policy_iteration) {}

  std::vector<SolveResult> run() {
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

 private:
  double eps() const { return static_cast<double>(std::numeric_limits<Real>::epsilon()); }

  void check_memory() {
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
      // Policy iteration, on the host: GMRES's restart + 1 basis vectors and its work vectors,
      // per problem mu and v, and the staging of a batch.
      if (policy_) *host += states * sizeof(double) * (linear::KrylovOptions{}.restart + 6.0 + 4.0 * B);
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

  void upload_problems() {
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

  void upload_priors() {
    std::vector<double> all;
    for (const Track& t : tracks_) all.insert(all.end(), t.prior.begin(), t.prior.end());
    engine_->set_priors(all);
  }

  double final_mu_tol() const {
    return std::max(noise_, kStationaryFactor * std::min(opt_.tol, opt_.prior_tol));
  }

  void set_round_tolerances(std::int64_t outer) {
    for (Track& t : tracks_) {
      if (!t.running) continue;
      const bool last = outer >= opt_.max_outer_iterations || t.polish;
      const double loose = std::min(kLooseCap, kLooseFactor * t.residual);
      t.inner_tol = last ? opt_.tol : std::max(opt_.tol, loose);
      t.mu_tol = last ? final_mu_tol() : std::max(final_mu_tol(), loose);
      t.final_tolerances = t.inner_tol <= opt_.tol && t.mu_tol <= final_mu_tol();
    }
  }

  enum class InnerState { go_on, converged, stalled };

  /// The stopping test of an inner solve on the statistics of T h - h after its t.sweeps-th
  /// iteration: converged when the span is below the round's tolerance (or the rounding floor);
  /// stalled (with the note) when the span has not reached a new minimum for `stall` iterations
  /// (it never increases in exact arithmetic: it sits on the rounding floor above tol).
  InnerState inner_test(Track& t, const SpanStats& s, std::int64_t stall, const char* method, const char* unit) const {
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

  /// Soft relative value iteration of the running problems, each to its inner tolerance.
  void value_iteration(const Mask& running) {
    const std::size_t B = tracks_.size();
    Mask active = running;
    for (std::size_t q = 0; q < B; ++q) {
      if (!running[q]) continue;
      tracks_[q].sweeps = 0;
      tracks_[q].inner_converged = false;
      tracks_[q].inner_note.clear();
      tracks_[q].best_span = std::numeric_limits<double>::infinity();
      tracks_[q].best_at = 0;
    }
    std::vector<SpanStats> stats;
    for (;;) {
      bool any = false;
      for (std::size_t q = 0; q < B; ++q) any = any || active[q];
      if (!any) break;
      engine_->value_step(active, &stats);
      Mask advance(B, 0);
      for (std::size_t q = 0; q < B; ++q) {
        if (!active[q]) continue;
        Track& t = tracks_[q];
        const SpanStats& s = stats[q];
        ++t.sweeps;
        if (s.nonfinite > 0) {
          throw NumericalError("value iteration: the values became non-finite (problem " +
                               std::to_string(q) + ", sweep " + std::to_string(t.sweeps) + ")");
        }
        // Converged: keep h, the bounds and the policy belong to it.
        if (inner_test(t, s, kStallSweeps, "value iteration", "sweeps") != InnerState::go_on) {
          active[q] = 0;
          continue;
        }
        advance[q] = 1;
        if (t.sweeps >= opt_.max_iterations) {
          t.inner_note = "inner solve reached solver.max_iterations";
          active[q] = 0;
        }
      }
      engine_->accept_values(advance);
    }
    for (std::size_t q = 0; q < B; ++q) {
      if (!running[q]) continue;
      Track& t = tracks_[q];
      t.result.inner_iterations += t.sweeps;
      t.max_sweeps = std::max(t.max_sweeps, t.sweeps);
    }
  }

  std::int64_t aux_bound(const Track& t) const { return kAuxFactor * t.max_sweeps + kAuxSlack; }

  template <class F>
  static void for_each(const Mask& mask, const F& f) {
    for (std::size_t q = 0; q < mask.size(); ++q)
      if (mask[q]) f(static_cast<int>(q));
  }

  Mask only(int q) const {
    Mask one(tracks_.size(), 0);
    one[static_cast<std::size_t>(q)] = 1;
    return one;
  }

  /// Soft policy iteration of the running problems (one after the other), each to its inner
  /// tolerance, like reference::solve: with the greedy policy of h, stop when span(T h - h) <
  /// tol, otherwise evaluate that policy exactly (Krylov) and set h to its bias. The count of
  /// inner iterations is that of greedy policies formed (improvements, plus the last test).
  void policy_iteration(const Mask& running) {
    std::vector<SpanStats> stats;
    for_each(running, [&](int q) {
      Track& t = tracks_[static_cast<std::size_t>(q)];
      const Mask one = only(q);
      t.sweeps = 0;
      t.inner_converged = false;
      t.inner_note.clear();
      t.best_span = std::numeric_limits<double>::infinity();
      t.best_at = 0;
      for (;;) {
        engine_->value_step(one, &stats);  // T h and its span; h_next is not used
        ++t.sweeps;
        const SpanStats& s = stats[static_cast<std::size_t>(q)];
        if (s.nonfinite > 0) {
          throw NumericalError("policy iteration: the values became non-finite (problem " + std::to_string(q) +
                               ", improvement " + std::to_string(t.sweeps) + ")");
        }
        if (inner_test(t, s, kPolicyStall, "policy iteration", "improvements") != InnerState::go_on) break;
        engine_->prepare_policy(one);
        stationary_krylov(q);
        evaluate_krylov(q);
        engine_->set_values(one, batch_block(q, t.v));
        if (t.sweeps >= opt_.max_iterations) {
          t.inner_note = "inner solve reached solver.max_iterations";
          break;
        }
      }
      t.result.inner_iterations += t.sweeps;
      t.max_sweeps = std::max(t.max_sweeps, t.sweeps);
    });
  }

  double krylov_floor() const {
    return kKrylovUlps * std::numeric_limits<double>::epsilon() * std::sqrt(static_cast<double>(shape_.states()));
  }

  linear::KrylovOptions krylov_options(const Track& t) const {
    linear::KrylovOptions o;
    o.relative_tolerance = std::max(krylov_floor(), std::min(kKrylovCap, kKrylovFactor * t.inner_tol));
    return o;
  }


  /// Problem q's block of a batch-sized vector: `x` itself for a batch of one, else staged.
  const double* batch_block(int q, const std::vector<double>& x) {
    if (tracks_.size() == 1) return x.data();
    const std::size_t states = shape_.states();
    stage_in_.resize(states * tracks_.size());
    std::copy(x.begin(), x.end(), stage_in_.begin() + static_cast<std::ptrdiff_t>(q * states));
    return stage_in_.data();
  }

  /// The chain operator of problem q's fixed policy (prepare_policy) for GMRES: y = P x or x P.
  linear::LinearOperator chain_operator(int q, bool adjoint) {
    return [this, q, adjoint](const std::vector<double>& x, std::vector<double>& y) {
      const Mask one = only(q);
      if (tracks_.size() == 1) {
        engine_->apply_chain(one, adjoint, x.data(), y.data());
        return;
      }
      const std::size_t states = shape_.states();
      stage_out_.resize(states * tracks_.size());
      engine_->apply_chain(one, adjoint, batch_block(q, x), stage_out_.data());
      const auto begin = stage_out_.begin() + static_cast<std::ptrdiff_t>(q * states);
      std::copy(begin, begin + static_cast<std::ptrdiff_t>(states), y.begin());
    };
  }

  /// mu of problem q's fixed policy by GMRES on the deflated system (warm-started), into the
  /// engine (normalised) for pair_totals.
  void stationary_krylov(int q) {
    Track& t = tracks_[static_cast<std::size_t>(q)];
    const std::size_t states = shape_.states();
    if (t.mu.size() != states) t.mu.assign(states, 1.0 / static_cast<double>(states));
    const linear::KrylovReport rep = linear::stationary_krylov(chain_operator(q, true), t.mu, krylov_options(t));
    t.result.matvecs += rep.matvecs;
    t.mu_residual = rep.relative_residual;
    engine_->set_stationary(only(q), batch_block(q, t.mu));
    t.mass = 1.0;
  }

  /// The bias v (sum mu v = 0) of problem q's fixed policy by GMRES, given t.mu (warm-started).
  void evaluate_krylov(int q) {
    Track& t = tracks_[static_cast<std::size_t>(q)];
    const std::size_t states = shape_.states();
    std::vector<double> g(states);
    if (tracks_.size() == 1) {
      engine_->policy_reward(only(q), g.data());
    } else {
      stage_out_.resize(states * tracks_.size());
      engine_->policy_reward(only(q), stage_out_.data());
      const auto begin = stage_out_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(q) * states);
      std::copy(begin, begin + static_cast<std::ptrdiff_t>(states), g.begin());
    }
    if (t.v.size() != states) t.v.assign(states, 0.0);
    double gain = 0.0;
    const linear::LinearOperator apply_P = chain_operator(q, false);
    t.result.matvecs += linear::evaluate_krylov(apply_P, g, t.mu, t.v, &gain, krylov_options(t)).matvecs;
    linear::KrylovOptions refine;
    refine.relative_tolerance = std::max(krylov_floor(), kRefineTolerance);
    std::vector<double> pv(states), r(states), z;
    for (int k = 0;; ++k) {
      apply_P(t.v, pv);
      ++t.result.matvecs;
      double worst = 0.0, r2 = 0.0, b2 = 0.0;
      for (std::size_t s = 0; s < states; ++s) {
        r[s] = g[s] - gain - (t.v[s] - pv[s]);
        worst = std::max(worst, std::abs(r[s]));
        r2 += r[s] * r[s];
        b2 += (g[s] - gain) * (g[s] - gain);
      }
      if (k == kRefinements || !(worst > kRefineFactor * t.inner_tol)) {
        // The residual of the bias itself, ||g - L - (I - P) v|| / ||g - L||.
        t.v_residual = b2 > 0.0 ? std::sqrt(r2 / b2) : 0.0;
        break;
      }
      z.assign(states, 0.0);
      t.result.matvecs += linear::apply_group_inverse(apply_P, t.mu, r, z, refine).matvecs;
      for (std::size_t s = 0; s < states; ++s) t.v[s] += z[s];
    }
  }

  /// Power iteration of mu (warm-started), stopped when the error estimated from the observed
  /// contraction, change * rate / (1 - rate), is below the round's tolerance.
  void stationary(const Mask& running) {
    const std::size_t B = tracks_.size();
    Mask active = running;
    std::vector<double> previous(B, std::numeric_limits<double>::infinity());
    std::vector<std::int64_t> steps(B, 0);
    std::vector<double> scale(B, 1.0);
    std::vector<MuStats> stats;
    for (;;) {
      bool any = false;
      for (std::size_t q = 0; q < B; ++q) {
        any = any || active[q];
        scale[q] = 1.0 / tracks_[q].mass;
      }
      if (!any) break;
      engine_->stationary_step(active, scale, &stats);
      Mask advance(B, 0);
      for (std::size_t q = 0; q < B; ++q) {
        if (!active[q]) continue;
        Track& t = tracks_[q];
        const MuStats& s = stats[q];
        ++steps[q];
        if (s.nonfinite > 0 || !(s.mass > 0.0)) {
          throw NumericalError("stationary distribution: the power iteration became non-finite (problem " +
                               std::to_string(q) + ")");
        }
        advance[q] = 1;
        t.mass = s.mass;
        const double change = s.change / s.mass;
        const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? change / previous[q] : 1.0;
        previous[q] = change;
        const double remaining = rate < 1.0 ? change * rate / (1.0 - rate) : std::numeric_limits<double>::infinity();
        if (change < noise_ || (steps[q] >= 2 && remaining < t.mu_tol)) {
          active[q] = 0;
        } else if (steps[q] >= aux_bound(t)) {
          std::ostringstream os;
          os << "stationary distribution: the power iteration did not converge in " << steps[q]
             << " steps (problem " << q << ", change " << change << ", contraction " << rate
             << ", tolerance " << t.mu_tol
             << "); the chain under the policy mixes too slowly or is not unichain";
          throw NumericalError(os.str());
        }
      }
      engine_->accept_stationary(advance);
    }
  }

  static void stop_at_outer_limit(Track& t) {
    t.running = false;
    t.result.note = "prior loop reached solver.max_outer_iterations";
  }

  /// The prior update of one problem after its evaluation at t.prior.
  void update(Track& t, const PairTotals& totals, std::int64_t outer) {
    SolveResult& res = t.result;
    const double mass = totals.mass;
    const double gain = (totals.reward - t.lambda * totals.cost) / mass;
    res.outer_iterations = outer;
    res.gain = gain;
    res.gain_lo = t.span.lo;
    res.gain_hi = t.span.hi;
    res.mean_reward = totals.reward / mass;
    res.mean_coding_cost = totals.cost / mass;
    res.gain_history.push_back(gain);
    res.converged = false;
    const double lo_clip = opt_.prior_eps, hi_clip = 1.0 - opt_.prior_eps;
    // The plain prior map G(p) = clip(sum mu rho), shared in population mode; from the sum of
    // 1 - rho where the prior is above 1/2 (accurate close to 1).
    const std::size_t nf = free_.size();
    std::vector<double> next(nf);
    for (std::size_t k = 0; k < nf; ++k) {
      const double spike = totals.spike[k] / mass, silent = totals.silent[k] / mass;
      next[k] = spike <= silent ? spike : 1.0 - silent;
    }
    if (t.population) {
      const double spike = std::accumulate(totals.spike.begin(), totals.spike.end(), 0.0) / (mass * static_cast<double>(nf));
      const double silent = std::accumulate(totals.silent.begin(), totals.silent.end(), 0.0) / (mass * static_cast<double>(nf));
      std::fill(next.begin(), next.end(), spike <= silent ? spike : 1.0 - silent);
    }
    t.clipped.assign(nf, 0);
    for (std::size_t k = 0; k < nf; ++k) {
      t.clipped[k] = next[k] < lo_clip || next[k] > hi_clip ? 1 : 0;
      next[k] = std::clamp(next[k], lo_clip, hi_clip);
    }
    // Converged when every |G_i - p_i| < prior_tol, or below its rounding floor: the relative
    // error of rho from rounding in z = d / (nf lambda) + logit p, times min(p, 1 - p).
    const double z_noise = noise_ + 4.0 * eps() * std::max(1.0, t.span.max_abs) / (static_cast<double>(nf) * t.lambda);
    double change = 0.0;
    bool below = true;
    for (std::size_t k = 0; k < nf; ++k) {
      const double d = std::abs(next[k] - t.prior[k]);
      change = std::max(change, d);
      const double floor = 4.0 * z_noise * std::min(t.prior[k], 1.0 - t.prior[k]);
      below = below && d < std::max(opt_.prior_tol, floor);
    }
    t.residual = change;
    res.note.clear();
    if (!t.inner_converged) {
      t.running = false;  // like the reference: report this evaluation, not converged
      res.note = t.inner_note;
      return;
    }
    // Safeguard first: an extrapolated prior must not lower the gain, since a plain step never
    // does (MODEL.md sec. 1: each step is coordinate ascent). Such a point, even a fixed point of
    // the prior map, cannot be the plain loop's limit: go back to the plain step.
    const double slack = 10.0 * (t.inner_tol + t.accepted_tol) + 1e3 * eps() * std::abs(gain);
    if (t.extrapolated && t.have_accepted && gain < t.accepted_gain - slack) {
      t.hist_f.clear();
      t.prior = t.accepted_next;
      t.extrapolated = false;
      t.polish = false;
      if (outer >= opt_.max_outer_iterations) stop_at_outer_limit(t);
      return;
    }
    if (below) {
      if (t.final_tolerances) {
        res.converged = true;
        t.running = false;
        return;
      }
      if (outer >= opt_.max_outer_iterations) {
        stop_at_outer_limit(t);
        return;
      }
      t.polish = true;  // same prior again at final tolerances
      return;
    }
    t.polish = false;
    if (outer >= opt_.max_outer_iterations) {
      stop_at_outer_limit(t);
      return;
    }
    t.have_accepted = true;
    t.accepted_next = next;
    t.accepted_gain = gain;
    t.accepted_tol = t.inner_tol;
    const Eigen::Index dim = t.population ? 1 : static_cast<Eigen::Index>(nf);
    Eigen::VectorXd f(dim);
    for (Eigen::Index k = 0; k < dim; ++k)
      f(k) = next[static_cast<std::size_t>(k)] - t.prior[static_cast<std::size_t>(k)];
    t.hist_f.push_back(f);
    if (t.hist_f.size() > 3) t.hist_f.erase(t.hist_f.begin());
    const std::vector<double> current = t.prior;
    t.prior = next;
    t.extrapolated = false;
    if (t.hist_f.size() < 3) return;
    // Extrapolate only in the asymptotic regime of the plain loop: three consecutive plain
    // residuals along one direction with a stable contraction rate rho (|rho' - rho| <=
    // kRateStability (1 - rho)). Then the remaining steps sum to f_k / (1 - rho).
    const Eigen::VectorXd& f0 = t.hist_f[0];
    const Eigen::VectorXd& f1 = t.hist_f[1];
    const Eigen::VectorXd& f2 = t.hist_f[2];
    const double n0 = f0.norm(), n1 = f1.norm(), n2 = f2.norm();
    if (!(n0 > 0.0 && n1 > 0.0 && n2 > 0.0)) return;
    const double rate1 = n1 / n0, rate2 = n2 / n1;
    const double cos1 = f1.dot(f0) / (n1 * n0), cos2 = f2.dot(f1) / (n2 * n1);
    if (!(rate2 < 1.0 && rate1 < 1.0 && cos1 >= kDirectionCosine && cos2 >= kDirectionCosine &&
          std::abs(rate2 - rate1) <= kRateStability * (1.0 - rate2))) {
      return;
    }
    const double factor = 1.0 / (1.0 - rate2);
    if ((factor - 1.0) * f2.lpNorm<Eigen::Infinity>() > kMaxJump) return;
    std::vector<double> extrapolated(nf);
    for (std::size_t k = 0; k < nf; ++k) {
      const double step = f2(t.population ? 0 : static_cast<Eigen::Index>(k));
      extrapolated[k] = std::clamp(current[k] + factor * step, lo_clip, hi_clip);
    }
    t.hist_f.clear();
    if (extrapolated == next) return;
    t.prior = extrapolated;
    t.extrapolated = true;
  }

  /// Refines the values of every problem's final greedy policy by relative iteration of the
  /// policy-evaluation sweep, to the rounding floor or kEvaluationFactor * tol.
  void evaluate(const Mask& which) {
    const std::size_t B = tracks_.size();
    engine_->start_evaluation(which);
    Mask active = which;
    std::vector<double> previous(B, std::numeric_limits<double>::infinity());
    std::vector<std::int64_t> steps(B, 0);
    std::vector<SpanStats> stats;
    const double target = kEvaluationFactor * opt_.tol;
    for (;;) {
      bool any = false;
      for (std::size_t q = 0; q < B; ++q) any = any || active[q];
      if (!any) break;
      engine_->evaluation_step(active, &stats);
      Mask advance(B, 0);
      for (std::size_t q = 0; q < B; ++q) {
        if (!active[q]) continue;
        const SpanStats& s = stats[q];
        ++steps[q];
        if (s.nonfinite > 0) {
          throw NumericalError("policy evaluation: the values became non-finite (problem " +
                               std::to_string(q) + ")");
        }
        advance[q] = 1;
        const double span = s.hi - s.lo;
        const double floor = noise_ * std::max(1.0, s.max_abs);
        const double rate = std::isfinite(previous[q]) && previous[q] > 0.0 ? span / previous[q] : 1.0;
        previous[q] = span;
        const double remaining = rate < 1.0 ? span / (1.0 - rate) : std::numeric_limits<double>::infinity();
        if (span < floor || (steps[q] >= 2 && remaining < std::max(target, floor))) {
          active[q] = 0;
        } else if (steps[q] >= aux_bound(tracks_[q])) {
          std::ostringstream os;
          os << "policy evaluation: the values did not converge in " << steps[q] << " sweeps (problem "
             << q << ", span " << span << ", contraction " << rate << ")";
          throw NumericalError(os.str());
        }
      }
      engine_->accept_evaluation(advance);
    }
  }

  /// Results over the full state space, like reference::solve(NetworkModel).
  void finish(int q) {
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
      v = t.v;
      mu = t.mu;
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

  const std::vector<NetworkModel>& models_;
  const SolverOptions& opt_;
  bool cuda_;
  bool policy_;
  std::vector<int> free_;
  std::uint64_t clamp_bits_ = 0;
  EngineShape shape_;
  double noise_ = 0.0;
  std::unique_ptr<ExactEngine<Real>> engine_;
  std::vector<Track> tracks_;
  std::vector<double> stage_in_, stage_out_;  // batch-sized staging of the Krylov vectors (B > 1)
};

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
  if (options.precision == Precision::float32) return BatchSolver<float>(models, options, cuda).run();
  return BatchSolver<double>(models, options, cuda).run();
}

SolveResult solve(const NetworkModel& model, const SolverOptions& options) {
  return std::move(solve_batch({model}, options).front());
}

}  // namespace netrl::exact
