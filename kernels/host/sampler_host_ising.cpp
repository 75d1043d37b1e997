// The host backend of the chain sampler: Ising chains with incrementally updated fields (direct),
// or with one GEMM per block of steps (gemm, the blocked formulation of sampler_blocked.hpp). The
// fields of n >= 64 neurons start as one GEMM F = S J per block of chains.
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../common/sampler_blocked.hpp"
#include "sampler_host.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

void run_ising_chains(const SampleRequest& rq, const Schedule& sch, std::vector<Accum>& acc, RasterSink& raster,
                      bool gemm) {
  const IsingStepper shared_direct{chain_constants(rq), ising_policy(rq)};
  const IsingBlockedStepper blocked{chain_constants(rq), ising_policy(rq)};
  const std::uint64_t total_steps = rq.burn_in + rq.steps;
  const std::uint64_t gemm_block = rq.gemm_block;
  const auto nblocks = static_cast<std::int64_t>(sch.blocks());
  const auto n = static_cast<std::uint64_t>(rq.n);
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrix> J(rq.J, rq.n, rq.n);
#pragma omp parallel
  {
    const IsingStepper direct = shared_direct;
    Accum& a = acc[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<IsingScalars> sc(sch.block);
    std::vector<std::uint8_t> sigma(sch.block * n);
    std::vector<double> field(sch.block * n);
    std::vector<double> delta(gemm ? sch.block * n : 0, 0.0);
    std::vector<std::int32_t> flips(gemm ? sch.block * gemm_block : 0);
    std::vector<std::int32_t> nflips(sch.block, 0);
    BlockScratch scratch(sch.block);
    const SimdPath path = best_simd_path();
    std::uint64_t flip_count = 0;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t blk = 0; blk < nblocks; ++blk) {
      const std::uint64_t c0 = sch.first + static_cast<std::uint64_t>(blk) * sch.block;
      const std::uint64_t cnt = std::min(sch.block, sch.first + sch.count - c0);
      for (std::uint64_t k = 0; k < cnt; ++k) {
        sc[k] = direct.initial(c0 + k, &sigma[k * n], 1);
        scratch.slots[k] = raster.slot(c0 + k);
      }
      if (n < 64) {
        for (std::uint64_t k = 0; k < cnt; ++k) direct.initial_fields(&sigma[k * n], &field[k * n], 1);
      } else {
        // F = S J with S the block's +-1 states: exact whatever the order of the GEMM's sums.
        RowMatrix S(static_cast<Eigen::Index>(cnt), rq.n);
        for (std::uint64_t k = 0; k < cnt; ++k)
          for (std::uint64_t j = 0; j < n; ++j)
            S(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = sigma[k * n + j] ? 1.0 : -1.0;
        Eigen::Map<RowMatrix>(field.data(), static_cast<Eigen::Index>(cnt), rq.n).noalias() = S * J;
      }
      const auto [neuron, z, thr] = scratch.lanes();
      RecordClock clock(rq);
      for (std::uint64_t t = 0; t < total_steps; ++t) {
        const bool record = clock.due(t);
        const std::uint64_t sample = record ? clock.take(t) : 0;
        if (record && !rq.histogram) {
          // Counts of the states before step t.
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const std::uint8_t* s = &sigma[k * n];
            a.record_bits(sc[k].spikes, sc[k].x, [s](int i) { return s[i] != 0; });
            if (scratch.slots[k] >= 0) raster.bytes(scratch.slots[k], sample, s, sc[k].x);
          }
        }
        if (gemm) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const std::uint64_t b = sc[k].b;
            const std::uint32_t x = sc[k].x;
            flip_count += blocked(c0 + k, t, sc[k], &sigma[k * n], &field[k * n], &flips[k * gemm_block], nflips[k],
                                  &delta[k * n], 1) >= 0
                              ? 1u
                              : 0u;
            if (record && rq.histogram) {
              a.record_word(b, x, sc[k].b);
              if (scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, b, x);
            }
          }
          if ((t + 1) % gemm_block == 0 || t + 1 == total_steps) {
            // F += D J for the block's chains, then clear D and the flip lists.
            Eigen::Map<RowMatrix> F(field.data(), static_cast<Eigen::Index>(cnt), rq.n);
            Eigen::Map<RowMatrix> D(delta.data(), static_cast<Eigen::Index>(cnt), rq.n);
            F.noalias() += D * J;
            D.setZero();
            std::fill(nflips.begin(), nflips.end(), 0);
          }
          continue;
        }
        scratch.draw_step(path, c0, cnt, t, direct.k);
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const int i = direct.k.pick_neuron(scratch.draw(k));
          neuron[k] = i;
          z[k] = direct.policy.argument(field[k * n + static_cast<std::uint64_t>(i)], sc[k].x, i);
        }
        threshold_block(path, z, thr, cnt);
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const std::uint64_t b = sc[k].b;
          const std::uint32_t x = sc[k].x;
          flip_count += direct.decide(scratch.draw(k), neuron[k], thr[k], sc[k], &sigma[k * n], &field[k * n], 1) >= 0 ? 1u : 0u;
          if (record && rq.histogram) {
            a.record_word(b, x, sc[k].b);
            if (scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, b, x);
          }
        }
      }
    }
    a.flips += flip_count;
  }
}


}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
