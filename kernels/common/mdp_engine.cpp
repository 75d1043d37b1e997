// The general-MDP engine over a batch of problems, written once: compiled as C++ with OpenMP (the
// "host" backend, this file) and as CUDA through kernels/cuda/mdp_engine.cu (the "cuda" backend).
// The functors are those of mdp_functors.hpp and chunk_functors.hpp; the state shared with the
// exact engine (double buffers, relative steps, the stationary update) is BatchState.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/kernels/mdp_engine.hpp"

#include "config.hpp"
#include "factory.hpp"
#include "layout.hpp"
#include "mdp_functors.hpp"
#include "transfers.hpp"

#if NETRL_KERNELS_CUDA
#include "../cuda/launch.cuh"
#else
#include "../host/launch.hpp"
#endif
#include "engine_steps.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

#if !NETRL_KERNELS_CUDA  // defined once, by the host build
MdpFootprint mdp_engine_footprint(const MdpShape& shape, int real_bytes) {
  const auto S = static_cast<double>(shape.states), rows = static_cast<double>(shape.rows());
  const auto entries = static_cast<double>(shape.entries), real = static_cast<double>(real_bytes);
  MdpFootprint f;
  // Forward rows (offsets, targets, probabilities) and the transposed copy.
  f.shared = 8.0 * (rows + 1.0) + entries * (4.0 + real) + 8.0 * (S + 1.0) + entries * (4.0 + real);
  // reward, T h, h (2), mu (2), v (2), cost; the policy and the flow (S A each).
  f.per_problem = real * (9.0 * S + 2.0 * rows);
  return f;
}
#endif

namespace NETRL_KERNELS_NS {
namespace {

/// Work items of the host: chunks of 2^10 states (about 16k transitions for four actions with
/// four successors each: enough work per item, and items for the threads from 10^4 states).
constexpr int kMdpChunkBits = BackendTraits::kChunkBits > 2 ? BackendTraits::kChunkBits - 2 : BackendTraits::kChunkBits;

const MdpShape& checked(const MdpShape& shape) {
  if (shape.states < 1 || shape.actions < 1 || shape.batch < 1 || shape.entries < shape.rows() ||
      shape.rows() > kMaxMdpRows || shape.states * shape.batch > (std::int64_t{1} << 40)) {
    throw InvalidInput("engine", "invalid MDP batch shape (states " + std::to_string(shape.states) + ", actions " +
                                     std::to_string(shape.actions) + ", entries " + std::to_string(shape.entries) +
                                     ", batch " + std::to_string(shape.batch) + ")");
  }
  return shape;
}

template <class Real>
class Engine final : public EngineSteps<Engine<Real>, MdpEngine<Real>, Real> {
  using Steps = EngineSteps<Engine<Real>, MdpEngine<Real>, Real>;
  using State = BatchState<Real>;
  friend Steps;
  using State::batch;
  using State::chunk_items;
  using State::chunks_;
  using State::exec_;
  using State::grain;
  using State::h_buf;
  using State::mask_;
  using State::mu_buf;
  using State::reward_;
  using State::th_;
  using State::upload_mask;
  using State::v_buf;

 public:
  explicit Engine(const MdpShape& shape)
      : Steps(Exec::make(), static_cast<index_t>(checked(shape).states), shape.batch,
              std::min<index_t>(static_cast<index_t>(shape.states), index_t{1} << kMdpChunkBits),
              // Below this many transitions in the batch, threads cost more than they save.
              static_cast<double>(shape.entries) * shape.batch < 32768.0),
        shape_(shape) {
    const auto nB = static_cast<index_t>(shape.batch);
    const auto rows = static_cast<index_t>(shape.rows()), entries = static_cast<index_t>(shape.entries);
    row_ptr_ = Array<std::int64_t>(rows + 1);
    next_ = Array<std::int32_t>(entries);
    prob_ = Array<Real>(entries);
    in_ptr_ = Array<std::int64_t>(static_cast<index_t>(shape.states) + 1);
    in_row_ = Array<std::int32_t>(entries);
    in_prob_ = Array<Real>(entries);
    cost_ = Array<Real>(this->states() * nB);
    pi_ = Array<Real>(rows * nB);
    flow_ = Array<Real>(rows * nB);
    lambda_ = Array<Real>(nB);
    inv_lambda_ = Array<Real>(nB);
    log_prior_ = Array<Real>(nB * static_cast<index_t>(shape.actions));
    set_lambdas(std::vector<double>(nB, 1.0), std::vector<double>(nB, 1.0));
    set_priors(std::vector<double>(nB * static_cast<index_t>(shape.actions), 1.0 / shape.actions));
  }

  const MdpShape& shape() const override { return shape_; }

  void set_transitions(const std::vector<std::int64_t>& row_ptr, const std::vector<int>& next_state,
                       const std::vector<double>& probability) override {
    const auto S = shape_.states;
    const auto rows = static_cast<std::size_t>(shape_.rows());
    require_size(row_ptr.size(), rows + 1, "row offsets");
    require_size(next_state.size(), static_cast<index_t>(shape_.entries), "next states");
    require_size(probability.size(), static_cast<index_t>(shape_.entries), "probabilities");
    if (row_ptr.front() != 0 || row_ptr.back() != shape_.entries) {
      throw InvalidInput("engine", "row offsets must run from 0 to the number of entries");
    }
    // The transpose by a stable counting sort: the rows leading to each target in ascending order.
    std::vector<std::int64_t> in_ptr(static_cast<std::size_t>(S) + 1, 0);
    for (std::size_t r = 0; r < rows; ++r) {
      if (row_ptr[r + 1] < row_ptr[r]) throw InvalidInput("engine", "row offsets decrease at row " + std::to_string(r));
    }
    for (const int t : next_state) {
      if (t < 0 || t >= S) throw InvalidInput("engine", "next state " + std::to_string(t) + " out of range");
      ++in_ptr[static_cast<std::size_t>(t) + 1];
    }
    for (std::size_t t = 0; t < static_cast<std::size_t>(S); ++t) in_ptr[t + 1] += in_ptr[t];
    std::vector<std::int64_t> cursor(in_ptr.begin(), in_ptr.end() - 1);
    std::vector<std::int32_t> in_row(next_state.size());
    std::vector<Real> in_prob(next_state.size());
    for (std::size_t r = 0; r < rows; ++r)
      for (std::int64_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
        const auto at = static_cast<std::size_t>(cursor[static_cast<std::size_t>(next_state[static_cast<std::size_t>(e)])]++);
        in_row[at] = static_cast<std::int32_t>(r);
        in_prob[at] = static_cast<Real>(probability[static_cast<std::size_t>(e)]);
      }
    row_ptr_.upload(row_ptr);
    next_.upload(std::vector<std::int32_t>(next_state.begin(), next_state.end()));
    prob_.upload(to_real<Real>(probability));
    in_ptr_.upload(in_ptr);
    in_row_.upload(in_row);
    in_prob_.upload(in_prob);
  }

  void set_rewards(const std::vector<double>& reward) override {
    require_size(reward.size(), this->states() * batch(), "rewards");
    reward_.upload(to_real<Real>(reward));
  }

  void set_lambdas(const std::vector<double>& lambda, const std::vector<double>& theta) override {
    require_size(lambda.size(), batch(), "lambdas");
    std::vector<Real> lam(lambda.size()), inv(lambda.size());
    for (std::size_t q = 0; q < lambda.size(); ++q) {
      if (!(lambda[q] > 0.0) || !std::isfinite(lambda[q])) throw InvalidInput("lambda", "must be finite and > 0");
      lam[q] = static_cast<Real>(lambda[q]);
      inv[q] = static_cast<Real>(1.0 / lambda[q]);
    }
    lambda_.upload(lam);
    inv_lambda_.upload(inv);
    this->set_theta(theta);
  }

  void set_priors(const std::vector<double>& prior) override {
    require_size(prior.size(), batch() * static_cast<index_t>(shape_.actions), "priors");
    std::vector<Real> lp(prior.size());
    for (std::size_t k = 0; k < prior.size(); ++k) {
      if (!(prior[k] > 0.0 && prior[k] <= 1.0)) throw InvalidInput("prior", "action prior outside (0, 1]");
      lp[k] = static_cast<Real>(std::log(prior[k]));
    }
    log_prior_.upload(lp);
  }

  void bellman(const Mask& active) override {
    upload_mask(active);
    run(MdpBellman<Real>{sweep(), h_buf(), reward_.data(), th_.data()});
  }

  void prepare_policy(const Mask& active) override {
    upload_mask(active);
    run(MdpPolicy<Real>{sweep(), h_buf(), pi_.data(), cost_.data()});
  }

  void action_totals(const Mask& active, std::vector<ActionTotals>* totals) override {
    upload_mask(active);
    constexpr int kSlots = BackendTraits::kSlots;
    const int A = shape_.actions;
    totals->assign(static_cast<std::size_t>(shape_.batch), ActionTotals{});
    for (auto& t : *totals) t.action.assign(static_cast<std::size_t>(A), 0.0);
    MdpActionStats<Real, kSlots> f;
    f.actions = A;
    f.mu = mu_buf();
    f.pi = pi_.data();
    for (int first = 0; first < A; first += kSlots) {
      f.first = first;
      f.count_actions = std::min(kSlots, A - first);
      const std::vector<ActionSums<kSlots>> sums = this->reduce(f);
      for (std::size_t q = 0; q < sums.size(); ++q) {
        for (int u = 0; u < f.count_actions; ++u) (*totals)[q].action[static_cast<std::size_t>(first + u)] = sums[q].sum[u];
        (*totals)[q].zero_actions += sums[q].zeros;
      }
    }
    std::vector<DotValue> dots;
    this->weighted_sums(cost_.data(), &dots);
    for (std::size_t q = 0; q < dots.size(); ++q) {
      (*totals)[q].cost = dots[q].dot;
      (*totals)[q].mass = dots[q].mass;
    }
    this->weighted_sums(reward_.data(), &dots);
    for (std::size_t q = 0; q < dots.size(); ++q) (*totals)[q].reward = dots[q].dot;
  }

  void download_policy(int problem, std::vector<double>* out) const override {
    if (problem < 0 || problem >= shape_.batch) throw InvalidInput("engine", "problem index out of range");
    const auto rows = static_cast<index_t>(shape_.rows());
    out->resize(rows);
    download_doubles<Real>(pi_, static_cast<index_t>(problem) * rows, rows, out->data());
  }

 private:
  /// f over every chunk of the batch (f skips the problems that are not active).
  template <class F>
  void run(const F& f) {
    for_each_index(exec_, chunk_items(), f, grain());
  }

  /// The structure, constants, chunks and mask of every sweep over values.
  MdpSweep<Real> sweep() const {
    MdpSweep<Real> w;
    w.m.actions = shape_.actions;
    w.m.row_ptr = row_ptr_.data();
    w.m.next = next_.data();
    w.m.prob = prob_.data();
    w.m.in_ptr = in_ptr_.data();
    w.m.in_row = in_row_.data();
    w.m.in_prob = in_prob_.data();
    w.params.lambda = lambda_.data();
    w.params.inv_lambda = inv_lambda_.data();
    w.params.log_prior = log_prior_.data();
    w.chunks = chunks_;
    w.active = mask_.data();
    return w;
  }

  /// th_ = the terms kTerms of the stored policy with the values v (MdpFixedPolicy).
  template <int kTerms>
  void fixed_policy_sweep(const Buf<Real>& v) {
    run(MdpFixedPolicy<Real, kTerms>{sweep(), v, pi_.data(), cost_.data(), reward_.data(), th_.data()});
  }

  /// th_ = mu P (the flow of every row, then the gather by target), active problems.
  void adjoint_sweep(const Buf<Real>& mu) {
    run(MdpFlow<Real>{shape_.actions, mu, pi_.data(), flow_.data(), chunks_, mask_.data()});
    run(MdpGather<Real>{sweep(), flow_.data(), th_.data()});
  }

  MdpShape shape_;
  Array<std::int64_t> row_ptr_, in_ptr_;
  Array<std::int32_t> next_, in_row_;
  Array<Real> prob_, in_prob_;
  Array<Real> cost_, pi_, flow_;
  Array<Real> lambda_, inv_lambda_, log_prior_;
};

}  // namespace

NETRL_ENGINE_FACTORY(make_mdp_engine, MdpEngine, Engine, MdpShape);

}  // namespace NETRL_KERNELS_NS
}  NETRL_NAMESPACE_END  // namespace netrl::kernels
