#pragma once
// The state both engines (exact_engine.cpp, mdp_engine.cpp) keep for a batch of B problems of S
// states each, and the steps they share: the double-buffered values h, stationary distribution mu
// and evaluation values v (one parity per problem and buffer, so problems advance independently),
// the reward and the sweep output T h, the active mask, the relative steps with their statistics,
// the stationary update, weighted sums, fills, copies and the float64 transfers of single blocks.
// Included by the engines after their launch glue (kernels/host/launch.hpp or
// kernels/cuda/launch.cuh), which provides Exec, Array, for_each_index and reduce_by_problem.
#include <cstdint>
#include <string>
#include <vector>

#include "chunk_functors.hpp"
#include "config.hpp"
#include "layout.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "transfers.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

template <class Real>
class BatchState {
 public:
  /// Buffers of `states` per problem for `batch` problems, stepped in chunks of `chunk` states;
  /// `serial`: below the size where threads pay.
  BatchState(Exec exec, index_t states, int batch, index_t chunk, bool serial)
      : exec_(std::move(exec)), batch_(batch), serial_(serial) {
    chunks_.states = states;
    chunks_.chunk = chunk;
    const index_t total = states * static_cast<index_t>(batch);
    const auto nB = static_cast<index_t>(batch);
    reward_ = Array<Real>(total);
    th_ = Array<Real>(total);
    for (int k = 0; k < 2; ++k) {
      h_[k] = Array<Real>(total);
      mu_[k] = Array<Real>(total);
      v_[k] = Array<Real>(total);
    }
    theta_ = Array<Real>(nB);
    scale_ = Array<Real>(nB);
    fill_ = Array<Real>(nB);
    mask_ = Array<std::uint8_t>(nB);
    for (int k = 0; k < 3; ++k) {
      parity_[k] = Array<std::uint8_t>(nB);
      parity_host_[k].assign(nB, 0);
      parity_[k].upload(parity_host_[k]);
    }
    set_theta(std::vector<double>(static_cast<std::size_t>(batch), 1.0));
  }

 protected:
  enum Which : int { kH = 0, kMu = 1, kV = 2 };

  index_t batch() const { return static_cast<index_t>(batch_); }
  index_t states() const { return chunks_.states; }
  std::uint64_t grain() const { return serial_ ? ~std::uint64_t{0} : 2; }
  /// Work items of a chunked step over the whole batch.
  index_t chunk_items() const { return batch() * chunks_.per_problem(); }

  void set_theta(const std::vector<double>& theta) {
    require_size(theta.size(), batch(), "theta");
    theta_.upload(to_real<Real>(theta));
  }

  Buf<Real> pair_buf(Array<Real>* arrays, int which) {
    Buf<Real> b;
    b.a = arrays[0].data();
    b.b = arrays[1].data();
    b.parity = parity_[which].data();
    return b;
  }
  Buf<Real> h_buf() { return pair_buf(h_, kH); }
  Buf<Real> mu_buf() { return pair_buf(mu_, kMu); }
  Buf<Real> v_buf() { return pair_buf(v_, kV); }
  /// The other buffer of a double-buffered array, as the current one of a Buf.
  static Buf<Real> swapped(Buf<Real> b) {
    std::swap(b.a, b.b);
    return b;
  }
  /// The next buffer of mu (what stationary_update writes).
  Buf<Real> mu_next_buf() { return swapped(mu_buf()); }
  /// The next buffer of v (scratch between evaluation steps): the operand of apply_chain.
  Buf<Real> v_scratch() { return swapped(v_buf()); }
  /// The next buffer of h: free while h does not step (value_step writes it).
  Buf<Real> h_spare() { return swapped(h_buf()); }

  void upload_mask(const Mask& mask) {
    require_size(mask.size(), batch(), "mask");
    if (mask != mask_host_) {
      mask_host_ = mask;
      mask_.upload(mask_host_);
    }
  }

  /// f(q) for every problem flagged in the last uploaded mask.
  template <class F>
  void for_active(const F& f) const {
    for (int q = 0; q < batch_; ++q)
      if (mask_host_[static_cast<std::size_t>(q)]) f(q);
  }

  /// Problem q's block of a batch-sized float64 vector into (out of) an engine array.
  void upload_block(Array<Real>* dst, int q, const double* src) {
    const index_t offset = static_cast<index_t>(q) * states();
    upload_doubles<Real>(dst, offset, states(), src + offset);
  }
  void download_block(const Array<Real>& src, int q, double* dst) const {
    const index_t offset = static_cast<index_t>(q) * states();
    download_doubles<Real>(src, offset, states(), dst + offset);
  }
  /// The current buffer of `arrays` (parity `which`) of the active problems from `values`.
  void upload_current(Array<Real>* arrays, int which, const Mask& mask, const double* values) {
    upload_mask(mask);
    for_active([&](int q) { upload_block(&arrays[parity_host_[which][static_cast<std::size_t>(q)]], q, values); });
  }
  /// The scratch (next) buffer of v of the active problems from x: the operand of a matvec.
  void upload_operand(const double* x) {
    for_active([&](int q) { upload_block(&v_[1 - parity_host_[kV][static_cast<std::size_t>(q)]], q, x); });
  }

  void flip(int which, const Mask& advance) {
    require_size(advance.size(), batch(), "mask");
    bool changed = false;
    for (std::size_t q = 0; q < advance.size(); ++q) {
      if (advance[q]) {
        parity_host_[which][q] ^= 1u;
        changed = true;
      }
    }
    if (changed) parity_[which].upload(parity_host_[which]);
  }

  void fill(const Buf<Real>& dst, const Mask& which, const std::vector<double>& value) {
    upload_mask(which);
    fill_.upload(to_real<Real>(value));
    FillChunks<Real> f;
    f.dst = dst;
    f.value = fill_.data();
    f.chunks = chunks_;
    f.which = mask_.data();
    for_each_index(exec_, chunk_items(), f, grain());
  }

  void reset_values_of(const Mask& which) { fill(h_buf(), which, std::vector<double>(batch_, 0.0)); }
  void reset_stationary_of(const Mask& which) {
    fill(mu_buf(), which, std::vector<double>(batch_, 1.0 / static_cast<double>(states())));
  }

  /// v = h where `which` is set.
  void copy_values_to_evaluation(const Mask& which) {
    upload_mask(which);
    copy(v_buf(), h_buf());
  }

  /// dst = src for the problems of the last uploaded mask.
  void copy(const Buf<Real>& dst, const Buf<Real>& src) {
    CopyChunks<Real> f;
    f.dst = dst;
    f.src = src;
    f.chunks = chunks_;
    f.which = mask_.data();
    for_each_index(exec_, chunk_items(), f, grain());
  }

  /// With th_ = T x (x = h or v): the statistics of th_ - x and the relative step into x's next
  /// buffer (RelativeStep), for the active problems.
  void relative_step(const Buf<Real>& x, std::vector<SpanStats>* stats) {
    RelativeStep<Real> f;
    f.t = th_.data();
    f.h = x;
    f.theta = theta_.data();
    const std::vector<SpanValue> values = reduce(f);
    stats->assign(values.begin(), values.end());
  }

  /// With y = mu P (th_, or the next buffer of mu): mu_next = scale (theta mu P + (1 - theta) mu)
  /// and its statistics.
  void stationary_update(const std::vector<double>& scale, std::vector<MuStats>* stats) {
    stationary_update(single(th_.data()), scale, stats);
  }
  void stationary_update(const Buf<Real>& y, const std::vector<double>& scale, std::vector<MuStats>* stats) {
    require_size(scale.size(), batch(), "scale");
    scale_.upload(to_real<Real>(scale));
    StationaryStep<Real> f;
    f.y = y;
    f.mu = mu_buf();
    f.theta = theta_.data();
    f.scale = scale_.data();
    const std::vector<MuValue> values = reduce(f);
    stats->assign(values.begin(), values.end());
  }

  /// sum mu x and sum mu per active problem.
  void weighted_sums(const Real* x, std::vector<DotValue>* dots) {
    WeightedSum<Real> ws;
    ws.mu = mu_buf();
    ws.x = x;
    *dots = reduce(ws);
  }

  /// The per-problem values of the chunk reduction f (a ChunkReduction) over the active problems.
  template <class F>
  std::vector<typename F::value_type> reduce(F f) {
    f.chunks = chunks_;
    f.active = mask_.data();
    std::vector<typename F::value_type> values;
    reduce_by_problem(exec_, batch_, chunks_.per_problem(), f, &values, grain());
    return values;
  }

  /// The current buffer of arrays[2] (parity `which`) of one problem, as float64.
  void download(const Array<Real>* arrays, int which, int problem, std::vector<double>* out) const {
    if (problem < 0 || problem >= batch_) throw InvalidInput("engine", "problem index out of range");
    const int k = parity_host_[which][static_cast<std::size_t>(problem)];
    std::vector<Real> tmp(states());
    arrays[k].download(static_cast<index_t>(problem) * states(), states(), tmp.data());
    out->assign(tmp.begin(), tmp.end());
  }

  Exec exec_;
  int batch_ = 1;
  bool serial_ = false;
  Chunking chunks_;
  Array<Real> reward_, th_;
  Array<Real> h_[2], mu_[2], v_[2];
  Array<Real> theta_, scale_, fill_;
  Array<std::uint8_t> mask_;
  Mask mask_host_;
  Array<std::uint8_t> parity_[3];  // h, mu, v
  Mask parity_host_[3];
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
