// The exact-solver engine over a batch of problems, written once: compiled as C++ with OpenMP
// (the "host" backend, this file) and as CUDA through kernels/cuda/exact_engine.cu (the "cuda"
// backend). Only the launch glue differs between the two builds: kernels/host/launch.hpp or
// kernels/cuda/launch.cuh, each with its BackendTraits (the tiling of the sweeps, chunk sizes) and
// its input mixing (a loop on the host, cuBLAS on CUDA).
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"

#include "config.hpp"
#include "factory.hpp"
#include "functors.hpp"
#include "math.hpp"
#include "transfers.hpp"
#include "vector_space.hpp"  // and the launch glue of the build
#include "engine_steps.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

#if !NETRL_KERNELS_CUDA  // defined once, by the host build
double engine_arrays(const EngineShape& shape) {
  // reward, h (2), T h, mu (2), v (2); with an input also the mixed h and one mixing buffer.
  const double arrays = shape.m > 1 ? 10.0 : 8.0;
  // The Gibbs tables (float64, so counted twice for float32 arrays).
  const double gibbs =
      2.0 * static_cast<double>(NETRL_KERNELS_NS::GibbsTables(shape.nf).size()) / static_cast<double>(shape.states());
  return arrays + gibbs + (shape.policy_table ? 0.5 * static_cast<double>(shape.nf) : 0.0);
}
#endif

namespace NETRL_KERNELS_NS {
namespace {

/// The shape, checked before anything is allocated: (problem, x) slices are indexed with 32 bits
/// in the kernels.
const EngineShape& checked(const EngineShape& shape) {
  if (shape.nf < 1 || shape.nf > 40 || shape.m < 1 || shape.batch < 1 ||
      static_cast<std::uint64_t>(shape.m) * static_cast<std::uint64_t>(shape.batch) > 0x7fffffffULL) {
    throw InvalidInput("engine", "invalid batch shape (nf " + std::to_string(shape.nf) + ", m " +
                                     std::to_string(shape.m) + ", batch " + std::to_string(shape.batch) + ")");
  }
  return shape;
}

template <class Real>
class Engine final : public EngineSteps<Engine<Real>, ExactEngine<Real>, Real> {
  using Steps = EngineSteps<Engine<Real>, ExactEngine<Real>, Real>;
  using State = BatchState<Real>;
  friend Steps;
  using State::batch;
  using State::chunks_;
  using State::exec_;
  using State::grain;
  using State::h_buf;
  using State::mask_;
  using State::mask_host_;
  using State::mu_buf;
  using State::parity_host_;
  using State::reward_;
  using State::th_;
  using State::upload_mask;
  using State::v_buf;

 public:
  explicit Engine(const EngineShape& shape) : Engine(checked(shape), make_sweep_shape(shape.nf, shape.m, shape.batch)) {}

  Engine(const EngineShape& shape, const SweepShape& sweep)
      : Steps(Exec::make(), sweep.states, shape.batch,
              std::min<index_t>(sweep.nb, index_t{1} << BackendTraits::kChunkBits),
              // Below this many states in the batch, threads cost more than they save.
              sweep.states * static_cast<index_t>(shape.batch) < (index_t{1} << 14)),
        shape_(shape),
        sweep_(sweep) {
    const index_t total = sweep_.states * static_cast<index_t>(shape.batch);
    const auto nB = static_cast<index_t>(shape.batch);
    if (shape.m > 1) {
      wh_ = Array<Real>(total);
      y_ = Array<Real>(total);
    }
    const index_t per_neuron = nB * static_cast<index_t>(shape.nf);
    lambda_ = Array<Real>(nB);
    inv_temp_ = Array<Real>(nB);
    log_p1_ = Array<Real>(per_neuron);
    log_p0_ = Array<Real>(per_neuron);
    logit_ = Array<Real>(per_neuron);
    transition_ = Array<Real>(nB * static_cast<index_t>(shape.m) * static_cast<index_t>(shape.m));
    if (shape.policy_table) {
      table_.per_neuron = total / 2;
      table_array_ = Array<Real>(table_.per_neuron * static_cast<index_t>(shape.nf));
      table_.rho = table_array_.data();
    }
    table_fresh_.assign(static_cast<std::size_t>(shape.batch), 0);
    top_ = Array<double>(nB);
    gibbs_sums_ = Array<double>(nB * static_cast<index_t>(GibbsTables(shape.nf).size()));
    plan_ = make_plan<BackendTraits>(shape.nf);
    set_uniform_defaults();
  }

  const EngineShape& shape() const override { return shape_; }

  void set_rewards(const std::vector<Real>& reward) override {
    require_size(reward.size(), sweep_.states * batch(), "rewards");
    reward_.upload(reward);
  }

  void set_inputs(const std::vector<double>& transition, const std::vector<double>& theta) override {
    const auto m = static_cast<index_t>(shape_.m);
    require_size(transition.size(), m * m * batch(), "input matrices");
    require_size(theta.size(), batch(), "theta");
    transition_.upload(to_real<Real>(transition));
    this->set_theta(theta);
  }

  void set_lambdas(const std::vector<double>& lambda) override {
    require_size(lambda.size(), batch(), "lambdas");
    std::vector<Real> lam(lambda.size()), inv(lambda.size());
    for (std::size_t q = 0; q < lambda.size(); ++q) {
      lam[q] = static_cast<Real>(lambda[q]);
      inv[q] = static_cast<Real>(1.0 / (static_cast<double>(shape_.nf) * lambda[q]));
    }
    lambda_.upload(lam);
    inv_temp_.upload(inv);
  }

  void set_priors(const std::vector<double>& prior) override {
    require_size(prior.size(), batch() * static_cast<index_t>(shape_.nf), "priors");
    std::vector<Real> l1(prior.size()), l0(prior.size()), lg(prior.size());
    for (std::size_t k = 0; k < prior.size(); ++k) {
      const double p = prior[k];
      if (!(p > 0.0 && p < 1.0)) throw InvalidInput("prior", "firing prior outside (0, 1)");
      l1[k] = static_cast<Real>(std::log(p));
      l0[k] = static_cast<Real>(std::log1p(-p));
      lg[k] = static_cast<Real>(std::log(p) - std::log1p(-p));
    }
    log_p1_.upload(l1);
    log_p0_.upload(l0);
    logit_.upload(lg);
    const GibbsTables tables(shape_.nf);
    std::vector<double> sums;
    for (index_t q = 0; q < batch(); ++q) {
      const std::vector<double> t = tables.sums(prior.data() + q * static_cast<index_t>(shape_.nf), shape_.nf);
      sums.insert(sums.end(), t.begin(), t.end());
    }
    gibbs_sums_.upload(sums);
  }

  void bellman(const Mask& active) override {
    BellmanOp<Real> op;
    op.w = bellman_source(active);
    op.out = th_.data();
    op.reward = reward_.data();
    op.params = params();
    run_sweep(op);
  }

  bool value_stationary_step(const Mask& active, const std::vector<double>& scale, std::vector<SpanStats>* stats,
                             std::vector<MuStats>* mu_stats) override {
    // With the policy table, a power-iteration step streams the table (about a third of a
    // sweep), cheaper than the fused step's extra half sweep: mu waits for the fixed policy.
    if (shape_.policy_table) return false;
    BellmanAdjointOp<Real> op;
    op.w = bellman_source(active);  // also the policy source (policy_source())
    // mu P lands in the next buffer of mu (m = 1), or before the input step in y_ and then in
    // th_ once the relative step has read T h there.
    const Buf<Real> y = shape_.m > 1 ? single(y_.data()) : this->mu_next_buf();
    op.mu = mu_buf();
    op.y = y;
    op.out = th_.data();
    op.reward = reward_.data();
    op.params = params();
    run_sweep(op);
    this->relative_step(h_buf(), stats);
    if (shape_.m > 1) {
      mix(y, nullptr, th_.data(), true);
      this->stationary_update(scale, mu_stats);
    } else {
      this->stationary_update(y, scale, mu_stats);
    }
    return true;
  }

  /// v = h, and the one-step reward g = r - lambda c of the policy (prepare_policy) once, into
  /// h's spare buffer (h does not step while its policy is evaluated): each evaluation step is
  /// then g + P v, the cost of a forward matvec, instead of recomputing the coding cost.
  void start_evaluation(const Mask& which) override {
    Steps::start_evaluation(which);
    fixed_policy_sweep<kRewardTerm | kCostTerm>(v_buf());
    this->copy(this->h_spare(), single(th_.data()));
  }

  void evaluation_step(const Mask& active, std::vector<SpanStats>* stats) override {
    upload_mask(active);
    fixed_policy_sweep<kRewardTerm | kNextTerm>(v_buf(), this->h_spare());
    this->relative_step(v_buf(), stats);
  }

  void prepare_policy(const Mask& active) override {
    bellman_source(active);  // (the mask; the mixed W h where m > 1)
    if (!shape_.policy_table) return;
    PolicyTableOp<Real> op;
    op.wh = policy_source();
    op.table = table_;
    op.params = params();
    run_sweep(op);
    this->for_active([&](int q) { table_fresh_[static_cast<std::size_t>(q)] = 1; });
  }

  bool has_gibbs_stationary() const override { return shape_.m == 1; }

  /// Two passes over h (GibbsTop, GibbsStationary) instead of a power iteration: the largest log
  /// weight of each problem, then mu_next = exp(log weight - largest) and its mass.
  void gibbs_stationary(const Mask& active, std::vector<MuStats>* stats) override {
    if (!has_gibbs_stationary()) ExactEngine<Real>::gibbs_stationary(active, stats);  // throws
    upload_mask(active);
    GibbsWeight<Real> weight;
    weight.h = h_buf();
    weight.inv_temp = inv_temp_.data();
    const GibbsTables tables(shape_.nf);
    weight.byte_sums = gibbs_sums_.data();
    weight.bytes = tables.bytes;
    weight.width = tables.width;
    GibbsTop<Real> top;
    top.weight = weight;
    std::vector<double> tops;
    for (const MaxValue& v : this->reduce(top)) tops.push_back(v.max);
    top_.upload(tops);
    GibbsStationary<Real> f;
    f.weight = weight;
    f.mu = mu_buf();
    f.top = top_.data();
    const std::vector<MuValue> values = this->reduce(f);
    stats->assign(values.begin(), values.end());
  }

  // The writes of h make the stored policy stale (the sweeps then compute it from h again).
  void reset_values(const Mask& which) override {
    Steps::reset_values(which);
    stale(which);
  }
  void accept_values(const Mask& advance) override {
    Steps::accept_values(advance);
    stale(advance);
  }
  void set_values(const Mask& which, const double* values) override {
    Steps::set_values(which, values);
    stale(which);
  }

  void pair_totals(const Mask& active, std::vector<PairTotals>* totals) override {
    upload_mask(active);
    totals->assign(static_cast<std::size_t>(shape_.batch), PairTotals{});
    for (auto& t : *totals) {
      t.spike.assign(static_cast<std::size_t>(shape_.nf), 0.0);
      t.silent.assign(static_cast<std::size_t>(shape_.nf), 0.0);
    }
    PairStats<Real, kSlots> f;
    f.wh = policy_source();
    f.mu = mu_buf();
    f.params = params();
    f.shape = sweep_;
    f.active = mask_.data();
    for (const TilePass& pass : plan_) {
      f.pass = pass;
      std::vector<NeuronSums<kSlots>> sums;
      const index_t items = pass_items(sweep_, pass) / batch();
      reduce_by_problem(exec_, shape_.batch, items, f, &sums, grain());
      for (std::size_t q = 0; q < sums.size(); ++q) {
        for (int u = 0; u < pass.g; ++u) {
          (*totals)[q].spike[static_cast<std::size_t>(pass.a + u)] += sums[q].spike[u];
          (*totals)[q].silent[static_cast<std::size_t>(pass.a + u)] += sums[q].silent[u];
          (*totals)[q].cost += sums[q].cost[u];
        }
      }
    }
    std::vector<DotValue> dots;
    this->weighted_sums(reward_.data(), &dots);
    for (std::size_t q = 0; q < dots.size(); ++q) {
      (*totals)[q].reward = dots[q].dot;
      (*totals)[q].mass = dots[q].mass;
    }
  }

  std::unique_ptr<ChainSpace> chain_space(int slots) override {
    return std::make_unique<EngineSpace<Engine>>(this, exec_, sweep_.states, slots);
  }

  // EngineSpace's operations on problem q's block of float64 vectors in the engine's memory.
  void chain_resident(int q, bool adjoint, const double* x, double* y) {
    select(q);
    to_block(&this->v_[1 - parity(State::kV, q)], q, x);
    chain_sweep(adjoint);
    from_block(th_, q, y);
  }
  void reward_resident(int q, double* g) {
    select(q);
    fixed_policy_sweep<kRewardTerm | kCostTerm>(v_buf());
    from_block(th_, q, g);
  }
  void values_resident(int q, const double* x) {
    select(q);
    to_block(&this->h_[parity(State::kH, q)], q, x);
    stale(mask_host_);
  }
  void stationary_resident(int q, const double* x) { select(q); to_block(&this->mu_[parity(State::kMu, q)], q, x); }

 private:
  static constexpr int kSlots = BackendTraits::kSlots;

  void set_uniform_defaults() {
    set_lambdas(std::vector<double>(static_cast<std::size_t>(shape_.batch), 1.0));
    set_priors(std::vector<double>(static_cast<std::size_t>(batch() * static_cast<index_t>(shape_.nf)), 0.5));
    std::vector<double> identity(static_cast<std::size_t>(batch()) * static_cast<std::size_t>(shape_.m) *
                                     static_cast<std::size_t>(shape_.m),
                                 0.0);
    for (int q = 0; q < shape_.batch; ++q)
      for (int x = 0; x < shape_.m; ++x)
        identity[(static_cast<std::size_t>(q) * static_cast<std::size_t>(shape_.m) + static_cast<std::size_t>(x)) *
                     static_cast<std::size_t>(shape_.m) +
                 static_cast<std::size_t>(x)] = 1.0;
    set_inputs(identity, std::vector<double>(static_cast<std::size_t>(shape_.batch), 1.0));
  }

  ProblemParams<Real> params() const {
    ProblemParams<Real> p;
    p.nf = shape_.nf;
    p.lambda = lambda_.data();
    p.inv_temp = inv_temp_.data();
    p.log_p1 = log_p1_.data();
    p.log_p0 = log_p0_.data();
    p.logit = logit_.data();
    return p;
  }

  /// With the mask of `active`: the operand of the Bellman sweep, the input-averaged values W h
  /// (mixed into wh_, as prepare_policy does) or h itself (m = 1).
  Buf<Real> bellman_source(const Mask& active) {
    upload_mask(active);
    stale(active);  // (wh_ is overwritten)
    if (shape_.m == 1) return h_buf();
    mix(h_buf(), &parity_host_[0], wh_.data(), false);
    return single(wh_.data());
  }

  /// The input-averaged values that define the policy: W_h (prepare_policy) or h itself (m = 1).
  Buf<Real> policy_source() { return shape_.m > 1 ? single(wh_.data()) : h_buf(); }

  void stale(const Mask& which) {
    for (std::size_t q = 0; q < which.size() && q < table_fresh_.size(); ++q)
      if (which[q]) table_fresh_[q] = 0;
  }
  /// True iff the policy table holds the fixed policy of every active problem (prepare_policy
  /// filled it and h has not been written since).
  bool table_ready() const {
    if (!shape_.policy_table) return false;
    for (std::size_t q = 0; q < table_fresh_.size(); ++q)
      if (mask_host_[q] && !table_fresh_[q]) return false;
    return true;
  }

  index_t block(int q) const { return static_cast<index_t>(q) * sweep_.states; }
  int parity(int which, int q) const { return parity_host_[which][static_cast<std::size_t>(q)]; }

  /// The mask of problem q alone.
  void select(int q) {
    if (q < 0 || q >= shape_.batch) throw InvalidInput("problem", "problem " + std::to_string(q) + " outside the batch");
    Mask one(static_cast<std::size_t>(shape_.batch), 0);
    one[static_cast<std::size_t>(q)] = 1;
    upload_mask(one);
  }

  /// Problem q's block of float64 values in the backend's memory (a ChainSpace slot) into an
  /// engine array, or out of one.
  void to_block(Array<Real>* dst, int q, const double* src) { convert(src, dst->data() + block(q)); }
  void from_block(Array<Real>& src, int q, double* dst) { convert(src.data() + block(q), dst); }
  template <class From, class To>
  void convert(const From* src, To* dst) {
    const ConvertBlock<From, To> f{src, dst, VectorChunks{sweep_.states, chunks_.chunk}};
    for_each_index(exec_, f.r.count(), f, grain());
  }

  /// th_ = P v or v P for the active problems, v in the scratch buffer of v (apply_chain).
  void chain_sweep(bool adjoint) {
    if (adjoint) return adjoint_sweep(this->v_scratch());
    fixed_policy_sweep<kNextTerm>(this->v_scratch());
  }

  /// th_ = the terms kTerms of the fixed policy (FixedPolicyOp) with the next values of v (one
  /// of v's buffers, parity 2), mixed over the input first when the next-value term is summed;
  /// the reward term read from `reward` (the engine's r unless given).
  template <int kTerms>
  void fixed_policy_sweep(const Buf<Real>& v) {
    fixed_policy_sweep<kTerms>(v, single(reward_.data()));
  }
  template <int kTerms>
  void fixed_policy_sweep(const Buf<Real>& v, const Buf<Real>& reward) {
    Buf<Real> wv = v;
    if constexpr ((kTerms & kNextTerm) != 0) {
      if (shape_.m > 1) {
        mix(v, &parity_host_[2], y_.data(), false);
        wv = single(y_.data());
      }
    }
    if constexpr ((kTerms & kCostTerm) == 0) {
      if (table_ready()) return fixed_policy_terms<kTerms | kTableRho>(wv, reward);
    }
    fixed_policy_terms<kTerms>(wv, reward);
  }
  template <int kTerms>
  void fixed_policy_terms(const Buf<Real>& wv, const Buf<Real>& reward) {
    FixedPolicyOp<Real, kTerms> op;
    op.wh = policy_source();
    op.wv = wv;
    op.out = th_.data();
    op.reward = reward;
    op.table = table_;
    op.params = params();
    run_sweep(op);
  }

  /// th_ = mu P (the adjoint sweep, then the input step), active problems.
  void adjoint_sweep(const Buf<Real>& mu) {
    if (table_ready()) {
      adjoint_terms<true>(mu);
    } else {
      adjoint_terms<false>(mu);
    }
    if (shape_.m > 1) mix(single(y_.data()), nullptr, th_.data(), true);
  }
  template <bool kTable>
  void adjoint_terms(const Buf<Real>& mu) {
    AdjointOp<Real, kTable> op;
    op.wh = policy_source();
    op.mu = mu;
    op.y = shape_.m > 1 ? y_.data() : th_.data();
    op.table = table_;
    op.params = params();
    run_sweep(op);
  }

  template <class Op>
  void run_sweep(const Op& op) {
    PairSweep<Op> sweep;
    sweep.op = op;
    sweep.shape = sweep_;
    sweep.active = mask_.data();
    for (const TilePass& pass : plan_) {
      sweep.pass = pass;
      for_each_index(exec_, pass_items(sweep_, pass), sweep, grain());
    }
  }

  /// out = in mixed over the input (forward W = V T^T, or adjoint mu' = Y T), active problems.
  /// `host_parity`: the host copy of in's parity (nullptr for a single buffer).
  void mix(const Buf<Real>& in, const Mask* host_parity, Real* out, bool adjoint) {
    mix_inputs(exec_, sweep_, in, host_parity, out, transition_.data(), adjoint, mask_host_, mask_.data(), grain());
  }

  EngineShape shape_;
  SweepShape sweep_;
  std::vector<TilePass> plan_;
  Array<Real> wh_, y_;
  Array<Real> lambda_, inv_temp_, log_p1_, log_p0_, logit_, transition_;
  Array<double> top_;           // per problem: the largest log weight (gibbs_stationary)
  Array<double> gibbs_sums_;    // per problem: the prior's log weights by byte (GibbsTables)
  Array<Real> table_array_;     // the policy table's storage (shape.policy_table)
  PolicyTable<Real> table_;
  Mask table_fresh_;            // per problem: the table holds its fixed policy
};

}  // namespace

NETRL_ENGINE_FACTORY(make_exact_engine, ExactEngine, Engine, EngineShape);

}  // namespace NETRL_KERNELS_NS
}  NETRL_NAMESPACE_END  // namespace netrl::kernels
