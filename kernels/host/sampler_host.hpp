#pragma once
// The host backend of the chain sampler (netrl/kernels/sampler.hpp): the per-thread counts, the
// raster sink, the block schedule and scratch shared by the word-state runner and the Ising runner
// (sampler_host.cpp, sampler_host_ising.cpp). Compiled with -ffp-contract=off, like every file of
// the sampler, so that the thresholds are those of the CUDA backend (kernels/CMakeLists.txt).
//
// The host runs each step of a block of chains as passes over the block: (1) the draws (SIMD over
// chains, the words of ChainConstants::step_draws), (2) the neurons and, for on-the-fly policies,
// the sigmoid arguments (or, for tables, prefetches of the entries), (3) the thresholds, (4) the
// decisions and counts. Every pass has independent iterations, so many chains are in flight; the
// maths is that of the step functors (decide(r, s, i, threshold(argument)) == operator()).
#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../common/sampler_request.hpp"
#include "netrl/kernels/huge_pages.hpp"
#include "netrl/kernels/sampler.hpp"
#include "sampler_simd.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// Per-thread counts, allocated before the parallel region.
struct Accum {
  HugeVector<std::uint64_t> hist, trans;
  std::vector<std::uint64_t> spike, active;
  Eigen::MatrixXd co;   // lower triangle of the pair counts (exact integers in float64)
  Eigen::MatrixXd buf;  // kPairBufferRows x n rows of 0/1 samples
  int rows = 0;
  int n = 0;
  std::uint32_t m = 1;
  std::uint64_t flips = 0;

  void init(const SampleRequest& rq) {
    n = rq.n;
    m = rq.m;
    const std::uint64_t states = static_cast<std::uint64_t>(rq.m) << std::min(rq.n, 62);
    if (rq.histogram) hist.assign(states, 0);
    if (rq.transitions) trans.assign(states * static_cast<std::uint64_t>(rq.n + 1), 0);
    spike.assign(static_cast<std::size_t>(rq.n + 1) * rq.m, 0);
    active.assign(static_cast<std::size_t>(rq.n), 0);
    if (rq.correlations && !rq.histogram) {
      co = Eigen::MatrixXd::Zero(rq.n, rq.n);
      buf = Eigen::MatrixXd::Zero(kPairBufferRows, rq.n);
    }
  }

  void flush() {
    if (rows == 0) return;
    co.selfadjointView<Eigen::Lower>().rankUpdate(buf.topRows(rows).transpose());
    rows = 0;
  }

  /// A recorded state of a word-state chain, and its successor (histogram mode).
  void record_word(std::uint64_t b, std::uint32_t x, std::uint64_t next_b) {
    const std::uint64_t s = (static_cast<std::uint64_t>(x) << n) | b;
    ++hist[s];
    if (!trans.empty()) {
      const std::uint64_t diff = b ^ next_b;
      trans[s * static_cast<std::uint64_t>(n + 1) + static_cast<std::uint64_t>(diff ? lowest_bit(diff) : n)] += 1;
    }
  }

  /// A recorded state without histogram: spike count, activity, pairs.
  template <class Bit>
  void record_bits(int spikes, std::uint32_t x, const Bit& bit) {
    ++spike[static_cast<std::size_t>(spikes) * m + x];
    const bool pairs = co.size() > 0;
    for (int i = 0; i < n; ++i) {
      const bool on = bit(i);
      active[i] += on ? 1 : 0;
      if (pairs) buf(rows, i) = on ? 1.0 : 0.0;
    }
    if (pairs && ++rows == kPairBufferRows) flush();
  }
};

/// The blocks of chains of a batch.
struct Schedule {
  std::uint64_t first = 0, count = 0, block = 64;
  std::uint64_t blocks() const { return (count + block - 1) / block; }
};

/// The recorded steps of a chain: the state before step t is recorded, as sample (t - burn_in) /
/// thin, when t = burn_in + j thin (and t < burn_in + steps: the runners stop there).
class RecordClock {
 public:
  explicit RecordClock(const SampleRequest& rq) : burn_in_(rq.burn_in), thin_(rq.thin), next_(rq.burn_in) {}
  /// Whether step t records (a chain's steps come in order, from 0).
  bool due(std::uint64_t t) const { return t == next_; }
  /// For a due step t: its sample; the clock moves on to the next recorded step.
  std::uint64_t take(std::uint64_t t) {
    next_ += thin_;
    return (t - burn_in_) / thin_;
  }

 private:
  std::uint64_t burn_in_, thin_, next_;
};

/// Writes the recorded states of the raster chains into the output's raster arrays.
class RasterSink {
 public:
  RasterSink(const SampleRequest& rq, const SampleOutput& out) : rq_(rq), out_(out) {}
  /// Raster slot of a chain, or -1.
  std::int64_t slot(std::uint64_t chain) const {
    const std::uint64_t* begin = rq_.raster_chains;
    const std::uint64_t* end = begin + rq_.raster_count;
    const std::uint64_t* it = std::lower_bound(begin, end, chain);
    if (it == end || *it != chain) return -1;
    return it - begin;
  }
  void word(std::int64_t slot, std::uint64_t sample, std::uint64_t b, std::uint32_t x) {
    std::uint8_t* states = out_.raster_states[slot];
    for (int i = 0; i < rq_.n; ++i) states[sample * rq_.n + i] = static_cast<std::uint8_t>((b >> i) & 1u);
    out_.raster_inputs[slot][sample] = x;
  }
  void bytes(std::int64_t slot, std::uint64_t sample, const std::uint8_t* sigma, std::uint32_t x) {
    std::copy(sigma, sigma + rq_.n, out_.raster_states[slot] + sample * rq_.n);
    out_.raster_inputs[slot][sample] = x;
  }

 private:
  const SampleRequest& rq_;
  const SampleOutput& out_;
};

/// Per-thread scratch of a block of chains advanced in lockstep.
struct BlockScratch {
  std::vector<std::uint32_t> words;
  DrawBlock draws{};
  std::vector<int> neuron;
  std::vector<double> argument;
  std::vector<std::uint32_t> threshold;
  std::vector<std::int64_t> slots;

  explicit BlockScratch(std::uint64_t block)
      : words(4 * block), neuron(block), argument(block), threshold(block), slots(block) {
    draws = DrawBlock{{&words[0], &words[block], &words[2 * block], &words[3 * block]}};
  }
  BlockScratch(const BlockScratch&) = delete;  // draws points into words
  BlockScratch& operator=(const BlockScratch&) = delete;
  /// The per-chain arrays as plain pointers for the step loops: picked neurons, threshold
  /// arguments, thresholds.
  struct Lanes {
    int* neuron;
    double* argument;
    std::uint32_t* threshold;
  };
  Lanes lanes() { return Lanes{neuron.data(), argument.data(), threshold.data()}; }
  Philox4 draw(std::uint64_t k) const { return Philox4{{draws.w[0][k], draws.w[1][k], draws.w[2][k], draws.w[3][k]}}; }
  /// The draws of step t of chains [c0, c0 + count), keyed by `k`, into draws.
  void draw_step(SimdPath path, std::uint64_t c0, std::uint64_t count, std::uint64_t t, const ChainConstants& k) {
    philox_block(path, static_cast<std::uint32_t>(c0), static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(t),
                 static_cast<std::uint32_t>(t >> 32), 0u, k.key0, k.key1, draws);
  }
};

/// Ising chains with incrementally updated fields (direct) or with one GEMM per block of steps
/// (gemm), counts into acc[thread] (sampler_host_ising.cpp).
void run_ising_chains(const SampleRequest& rq, const Schedule& sch, std::vector<Accum>& acc, RasterSink& raster,
                      bool gemm);

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
