// The host backend of the chain sampler (netrl/kernels/sampler.hpp): the batches, the word-state
// runner (exact and table policies), the merge of the per-thread counts, and the threshold tables.
// The Ising runner is in sampler_host_ising.cpp; the shared pieces in sampler_host.hpp.
#include "sampler_host.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {
namespace {

/// Word-state chains (n <= 64) of a table or exact policy.
template <class Policy>
void run_word_chains(const SampleRequest& rq, const SmallStepper<Policy>& shared_step, const Schedule& sch,
                     std::vector<Accum>& acc, RasterSink& raster) {
  constexpr bool kOnTheFly = std::is_same_v<Policy, ExactPolicy>;
  const std::uint64_t total_steps = rq.burn_in + rq.steps;
  const auto nblocks = static_cast<std::int64_t>(sch.blocks());
#pragma omp parallel
  {
    // A private copy, so that the compiler sees no stores aliasing the step's constants.
    const SmallStepper<Policy> step = shared_step;
    Accum& a = acc[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<SmallChain> st(sch.block);
    BlockScratch scratch(sch.block);
    const SimdPath path = best_simd_path();
    const bool plain_histogram = rq.histogram && a.trans.empty();
    std::uint64_t* const hist = a.hist.data();
    std::uint64_t flips = 0;
    const int n = rq.n;
    // Tables beyond a quarter of a typical L2 are prefetched a pass ahead of their use.
    const bool large_table = rq.table_size * sizeof(std::uint32_t) > (std::size_t{256} << 10);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t blk = 0; blk < nblocks; ++blk) {
      const std::uint64_t c0 = sch.first + static_cast<std::uint64_t>(blk) * sch.block;
      const std::uint64_t cnt = std::min(sch.block, sch.first + sch.count - c0);
      bool any_raster = false;
      for (std::uint64_t k = 0; k < cnt; ++k) {
        st[k] = step.initial(c0 + k);
        scratch.slots[k] = raster.slot(c0 + k);
        any_raster = any_raster || scratch.slots[k] >= 0;
      }
      SmallChain* const state = st.data();
      const auto [neuron, z, thr] = scratch.lanes();
      RecordClock clock(rq);
      for (std::uint64_t t = 0; t < total_steps; ++t) {
        const bool record = clock.due(t);
        scratch.draw_step(path, c0, cnt, t, step.k);
        if (kOnTheFly || large_table) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const int i = step.k.pick_neuron(scratch.draw(k));
            neuron[k] = i;
            if constexpr (kOnTheFly) {
              z[k] = step.policy.argument(state[k].b, state[k].x, i);
            } else {
              __builtin_prefetch(step.policy.thr + step.policy.index(state[k].b, state[k].x, i));
            }
            if (record && plain_histogram) __builtin_prefetch(hist + ((static_cast<std::uint64_t>(state[k].x) << n) | state[k].b), 1);
          }
          if constexpr (kOnTheFly) {
            threshold_block(path, z, thr, cnt);
          } else {
            for (std::uint64_t k = 0; k < cnt; ++k) thr[k] = step.policy.threshold(state[k].b, state[k].x, neuron[k]);
          }
        } else if (!record || (plain_histogram && !any_raster)) {
          // A table that stays in the core's caches: one fused pass (SmallStepper::apply).
          if (!record) {
            for (std::uint64_t k = 0; k < cnt; ++k) {
              const SmallChain now = state[k];
              state[k] = step.apply(scratch.draw(k), now);
              flips += state[k].b != now.b ? 1u : 0u;
            }
          } else {
            clock.take(t);
            for (std::uint64_t k = 0; k < cnt; ++k) {
              const SmallChain now = state[k];
              state[k] = step.apply(scratch.draw(k), now);
              flips += state[k].b != now.b ? 1u : 0u;
              ++hist[(static_cast<std::uint64_t>(now.x) << n) | now.b];
            }
          }
          continue;
        } else {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const int i = step.k.pick_neuron(scratch.draw(k));
            neuron[k] = i;
            thr[k] = step.policy.threshold(state[k].b, state[k].x, i);
          }
        }
        if (!record) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const SmallChain next = step.decide(scratch.draw(k), state[k], neuron[k], thr[k]);
            flips += next.b != state[k].b ? 1u : 0u;
            state[k] = next;
          }
          continue;
        }
        const std::uint64_t sample = clock.take(t);
        if (plain_histogram && !any_raster) {
          // The common case, kept free of aliasing: one count per chain.
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const SmallChain now = state[k];
            state[k] = step.decide(scratch.draw(k), now, neuron[k], thr[k]);
            flips += state[k].b != now.b ? 1u : 0u;
            ++hist[(static_cast<std::uint64_t>(now.x) << n) | now.b];
          }
          continue;
        }
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const SmallChain next = step.decide(scratch.draw(k), state[k], neuron[k], thr[k]);
          flips += next.b != state[k].b ? 1u : 0u;
          if (rq.histogram) {
            a.record_word(state[k].b, state[k].x, next.b);
          } else {
            const std::uint64_t b = state[k].b;
            a.record_bits(popcount64(b), state[k].x, [b](int i) { return ((b >> i) & 1u) != 0; });
          }
          if (any_raster && scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, state[k].b, state[k].x);
          state[k] = next;
        }
      }
    }
    a.flips += flips;
  }
}


}  // namespace

void run_sampler(const SampleRequest& rq, const SampleOutput& out) {
  std::vector<Accum> acc(static_cast<std::size_t>(std::max(1, omp_get_max_threads())));
  for (auto& a : acc) a.init(rq);
  RasterSink raster(rq, out);
  const std::uint64_t batch = rq.batch == 0 ? rq.chains : rq.batch;
  for (std::uint64_t done = 0; done < rq.chains; done += batch) {
    Schedule sch;
    sch.first = rq.first_chain + done;
    sch.count = std::min(batch, rq.chains - done);
    sch.block = rq.host_block;
    switch (rq.method) {
      case SamplerMethod::exact:
        run_word_chains(rq, SmallStepper<ExactPolicy>{chain_constants(rq), exact_policy(rq)}, sch, acc, raster);
        break;
      case SamplerMethod::table:
        run_word_chains(rq, SmallStepper<TablePolicy>{chain_constants(rq), table_policy(rq)}, sch, acc, raster);
        break;
      case SamplerMethod::ising:
      case SamplerMethod::ising_gemm:
        run_ising_chains(rq, sch, acc, raster, rq.method == SamplerMethod::ising_gemm);
        break;
    }
  }
  // Merge (integer sums: the order does not matter).
  const auto un = static_cast<std::size_t>(rq.n);
  for (auto& a : acc) {
    *out.flips += a.flips;
    for (std::size_t k = 0; k < a.hist.size(); ++k) out.histogram[k] += a.hist[k];
    for (std::size_t k = 0; k < a.trans.size(); ++k) out.transitions[k] += a.trans[k];
    if (rq.histogram) continue;
    for (std::size_t k = 0; k < a.spike.size(); ++k) out.spike_count[k] += a.spike[k];
    for (std::size_t k = 0; k < a.active.size(); ++k) out.active[k] += a.active[k];
    if (a.co.size() == 0) continue;
    a.flush();
    for (std::size_t i = 0; i < un; ++i)
      for (std::size_t j = 0; j <= i; ++j) {
        const auto c = static_cast<std::uint64_t>(a.co(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
        out.coactive[i * un + j] += c;
        if (i != j) out.coactive[j * un + i] += c;
      }
  }
}

void fill_threshold_table(const SampleRequest& rq, std::uint32_t* table) {
  const int n = rq.n;
  const std::uint32_t m = rq.m;
  const std::uint64_t nb = std::uint64_t{1} << n;
  const ExactPolicy exact = exact_policy(rq);
  const IsingPolicy ising = ising_policy(rq);
  const bool is_exact = rq.method == SamplerMethod::exact;
#pragma omp parallel for schedule(dynamic, 256)
  for (std::int64_t bi = 0; bi < static_cast<std::int64_t>(nb); ++bi) {
    const auto b = static_cast<std::uint64_t>(bi);
    if (!consistent(rq, b)) continue;
    for (std::uint32_t f = 0; f < rq.nf; ++f) {
      const int i = rq.free_list[f];
      double field = 0.0;
      if (!is_exact) field = ising.field_of(i, [b](int j) { return ((b >> j) & 1u) != 0; });
      for (std::uint32_t x = 0; x < m; ++x) {
        table[(((static_cast<std::uint64_t>(x) << n) | b) * n) + i] =
            is_exact ? exact.threshold(b, x, i) : ising.threshold(field, x, i);
      }
    }
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
