// The host backend of the parametric solver's kernels: the functors of
// kernels/common/parametric_step.hpp over OpenMP loops. Every work item writes its own entries and
// computes its sums in a fixed order, so the results do not depend on the number of threads.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "../common/factory.hpp"
#include "../common/parametric_view.hpp"
#include "parametric_flips_host.hpp"
#include "../common/parametric_step.hpp"
#include "netrl/kernels/parametric.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

double parametric_engine_bytes(int n, std::uint64_t chains, std::uint64_t samples, bool mask, bool single, bool flips) {
  const double nn = static_cast<double>(n);
  const double real = single ? 4.0 : 8.0;
  const double couplings = 2.0 * nn * nn * real + (mask ? nn * nn : 0.0);
  const double rows = static_cast<double>(chains + samples) * (nn * (1.0 + 2.0 * real) + 12.0);
  const double batch = static_cast<double>(samples) * (nn * (real + 1.0 + 8.0 * kParametricTerms) + 8.0 * kParametricOutputs);
  const double overlap = static_cast<double>(samples) * static_cast<double>(chains) * real;
  const double flip = flips ? static_cast<double>(samples) * nn * 8.0 * (2.0 + 2.0 * kFlipTerms) : 0.0;
  return couplings + rows + batch + overlap + flip + nn * 8.0 * static_cast<double>(omp_get_max_threads());
}

namespace host {
namespace {

/// Work below this many operations runs on the calling thread (a parallel region costs more).
constexpr double kSerialWork = 65536.0;

/// f(k) for k in [0, count), each item about `work` operations.
template <class F>
void parallel_for(std::uint64_t count, const F& f, double work = 1.0) {
  const auto total = static_cast<std::int64_t>(count);
  if (static_cast<double>(count) * work < kSerialWork || omp_get_max_threads() == 1) {
    for (std::int64_t k = 0; k < total; ++k) f(static_cast<std::uint64_t>(k));
    return;
  }
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t k = 0; k < total; ++k) f(static_cast<std::uint64_t>(k));
}

template <class Real>
class HostParametricEngine final : public ParametricEngine<Real> {
 public:
  explicit HostParametricEngine(const ParametricSetup& setup) : setup_(setup) {
    const auto n = static_cast<std::uint64_t>(setup.n);
    const std::uint64_t rows = setup.chains + setup.explore, samples = setup.batch + setup.explore;
    J_.assign(n * n, Real(0));
    Jbar_.assign(n * n, Real(0));
    sigma_.assign(rows * n, 0);
    u_.assign(rows * n, Real(0));
    ubar_.assign(rows * n, Real(0));
    x_.assign(rows, 0);
    t_.assign(setup.chains, 0);
    spin_.assign(samples * n, Real(0));
    sample_x_.assign(samples, 0);
    sample_on_.assign(samples * n, 0);
    terms_.assign(samples * n * kParametricTerms, 0.0);
    sample_out_.assign(samples * kParametricOutputs, 0.0);
    rho_sum_.assign(n, 0.0);
    a_.assign(samples, 0.0);
    overlap_.assign(samples * setup.chains, Real(0));
    row_norms_.assign(2 * n, 0.0);
    if (setup.flips) {
      log_pi_.assign(samples * n * 2, Real(0));
      flip_.assign(samples * n * kFlipTerms, 0.0);
    }
  }

  std::string description() const override {
    return "host (OpenMP, " + std::to_string(omp_get_max_threads()) + " threads)";
  }

  void set_couplings(const std::vector<double>& J) override {
    for (std::size_t k = 0; k < J.size(); ++k) J_[k] = static_cast<Real>(J[k]);
    Jbar_ = J_;
    if (!started_) {
      parallel_for(setup_.chains, InitChain<Real>{view()}, 4.0 * setup_.n);
      started_ = true;
    }
    refresh_fields(true, true);
  }

  void set_small(const ParametricSmall& small) override { small_ = small; }

  void advance(std::uint64_t steps) override {
    const ChainStep<Real> step{view()};
    parallel_for(setup_.chains, [&](std::uint64_t c) { step.run(c, steps); },
                 static_cast<double>(steps) * (16.0 + static_cast<double>(setup_.n)));
  }

  void record(std::uint64_t slot) override {
    SampleTerms<Real> terms{view()};
    terms.slot = slot;
    terms.stride = setup_.chains;
    parallel_for(setup_.chains * static_cast<std::uint64_t>(setup_.n), terms, 100.0);
    record_flips(slot, 0, 0, setup_.chains, setup_.chains);
  }

  void record_explore(std::uint64_t draw) override {
    if (setup_.explore == 0) return;
    const auto n = static_cast<std::uint64_t>(setup_.n);
    ExploreState<Real> state{view()};
    state.draw = draw;
    parallel_for(setup_.explore, state, 2.0 * static_cast<double>(n));
    FieldsFromScratch<Real> fields{view()};
    parallel_for(setup_.explore * n, [&](std::uint64_t k) { fields(setup_.chains * n + k); }, 4.0 * static_cast<double>(n));
    SampleTerms<Real> terms{view()};
    terms.row_base = setup_.chains;
    terms.sample_base = setup_.batch;
    parallel_for(setup_.explore * n, terms, 100.0);
    record_flips(0, setup_.chains, setup_.batch, 0, setup_.explore);
  }

  void read_batch(ParametricBatch* out) override {
    const std::uint64_t samples = setup_.batch + setup_.explore;
    parallel_for(samples, SampleSums<Real>{view()}, 3.0 * setup_.n);
    parallel_for(static_cast<std::uint64_t>(setup_.n), RhoSums<Real>{view()}, static_cast<double>(setup_.batch));
    split_sample_sums(sample_out_.data(), samples, out);
    out->x = sample_x_;
    out->on = sample_on_;
    out->rho_sum = rho_sum_;
    out->flip = flip_;
  }

  void step_couplings(const std::vector<double>& a) override {
    a_ = a;
    const ParametricView<Real> v = view();
    const auto n = static_cast<std::uint64_t>(setup_.n);
    upper_rows(CouplingStep<Real>{v}, 0.5 * static_cast<double>(setup_.batch + setup_.explore) * static_cast<double>(n));
    if (!setup_.mask.empty()) {
      refresh_fields(true, false);
      return;
    }
    parallel_for((setup_.batch + setup_.explore) * setup_.chains, SampleOverlap<Real>{v}, static_cast<double>(n));
    parallel_for(setup_.chains * n, FieldStep<Real>{v}, 2.0 * static_cast<double>(setup_.batch + setup_.explore));
  }

  void step_couplings_flips(const std::vector<double>& a) override {
    if (!setup_.flips) throw std::logic_error("step_couplings_flips: the engine was set up without flips");
    const ParametricView<Real> v = view();
    const auto n = static_cast<std::uint64_t>(setup_.n);
    upper_rows(FlipCouplingStep<Real>{v, a.data()}, static_cast<double>(setup_.batch + setup_.explore) * static_cast<double>(n));
    if (!setup_.mask.empty()) {
      refresh_fields(true, false);
      return;
    }
    const std::uint64_t pairs = (setup_.batch + setup_.explore) * setup_.chains;
    flip_overlap_.resize(pairs);
    parallel_for(pairs, SampleOverlap<Real>{v}, static_cast<double>(n));
    parallel_for(pairs, FlipOverlap<Real>{v, a.data(), flip_overlap_.data()}, static_cast<double>(n));
    parallel_for(setup_.chains * n, FlipFieldStep<Real>{v, a.data(), flip_overlap_.data()},
                 3.0 * static_cast<double>(setup_.batch + setup_.explore));
  }

  void coupling_norms(double* change_sq, double* norm_sq) override {
    parallel_for(static_cast<std::uint64_t>(setup_.n), CouplingNorms<Real>{view()}, 4.0 * setup_.n);
    *change_sq = 0.0;
    *norm_sq = 0.0;
    for (int i = 0; i < setup_.n; ++i) {
      *change_sq += row_norms_[2 * static_cast<std::size_t>(i)];
      *norm_sq += row_norms_[2 * static_cast<std::size_t>(i) + 1];
    }
  }

  void copy_target() override {
    Jbar_ = J_;
    refresh_fields(true, true);
  }

  void download_couplings(std::vector<double>* J) const override { J->assign(J_.begin(), J_.end()); }

  void download_chains(std::vector<std::uint8_t>* sigma, std::vector<std::uint32_t>* x) const override {
    const auto rows = static_cast<std::ptrdiff_t>(setup_.chains);
    sigma->assign(sigma_.begin(), sigma_.begin() + rows * setup_.n);
    x->assign(x_.begin(), x_.begin() + rows);
  }

 private:
  /// step.upper_row(i) for every row (about `row_work` operations each), over the threads when
  /// the work is large: rows write disjoint entries.
  template <class Step>
  void upper_rows(const Step& step, double row_work) const {
    const auto n = static_cast<std::uint64_t>(setup_.n);
    if (static_cast<double>(n) * row_work < kSerialWork || omp_get_max_threads() == 1) {
      std::vector<double> acc(n);
      for (std::uint64_t i = 0; i < n; ++i) step.upper_row(i, acc.data());
      return;
    }
#pragma omp parallel
    {
      std::vector<double> acc(n);
#pragma omp for schedule(dynamic, 4)
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) step.upper_row(static_cast<std::uint64_t>(i), acc.data());
    }
  }

  /// With flips: FlipPolicy over `count` recorded rows, then FlipTerms over their samples.
  void record_flips(std::uint64_t slot, std::uint64_t row_base, std::uint64_t sample_base, std::uint64_t stride,
                    std::uint64_t count) {
    if (!setup_.flips || count == 0) return;
    const auto n = static_cast<std::uint64_t>(setup_.n);
    FlipPolicy<Real> policy{view(), log_pi_.data(), flip_.data(), slot, row_base, sample_base, stride};
    parallel_for(count * n, policy, 100.0);
    const std::uint64_t first = sample_base + slot * stride;  // the rows' samples are first .. first + count - 1
    run_flip_terms(FlipTerms<Real>{view(), log_pi_.data(), flip_.data(), first}, count * n);
  }

  void refresh_fields(bool current, bool target) {
    FieldsFromScratch<Real> f{view()};
    f.current = current;
    f.target = target;
    parallel_for(setup_.chains * static_cast<std::uint64_t>(setup_.n), f, 2.0 * setup_.n);
  }

  ParametricView<Real> view() {
    ParametricView<Real> v = setup_view<Real>(setup_, setup_.free_list.data(), setup_.input_cdf.data(),
                                              setup_.clamp_state.data());
    v.J = J_.data();
    v.Jbar = Jbar_.data();
    v.mask = setup_.mask.empty() ? nullptr : setup_.mask.data();
    v.sigma = sigma_.data();
    v.u = u_.data();
    v.ubar = ubar_.data();
    v.x = x_.data();
    v.t = t_.data();
    v.ht = small_.ht.data();
    v.h = small_.h.data();
    v.c = small_.c.data();
    v.hbt = small_.hbt.data();
    v.cbt = small_.cbt.data();
    v.logit_p = small_.logit_p.data();
    v.log_p = small_.log_p.data();
    v.log_q = small_.log_q.data();
    v.spin = spin_.data();
    v.sample_x = sample_x_.data();
    v.sample_on = sample_on_.data();
    v.terms = terms_.data();
    v.sample_out = sample_out_.data();
    v.rho_sum = rho_sum_.data();
    v.a = a_.data();
    v.overlap = overlap_.data();
    v.row_norms = row_norms_.data();
    return v;
  }

  ParametricSetup setup_;
  ParametricSmall small_;
  bool started_ = false;
  std::vector<Real> J_, Jbar_, u_, ubar_, spin_, overlap_;
  std::vector<std::uint8_t> sigma_, sample_on_;
  std::vector<std::uint32_t> x_, sample_x_;
  std::vector<std::uint64_t> t_;
  std::vector<double> terms_, sample_out_, rho_sum_, a_, row_norms_;
  std::vector<Real> log_pi_;  // with flips
  std::vector<double> flip_, flip_overlap_;
};

}  // namespace

NETRL_ENGINE_FACTORY(make_parametric_engine, ParametricEngine, HostParametricEngine, ParametricSetup);

}  // namespace host
}  NETRL_NAMESPACE_END  // namespace netrl::kernels
