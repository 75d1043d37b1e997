#pragma once
// Layout of the exact engine's batched arrays, shared by its functors (functors.hpp) and launchers:
// problem q, input x and compact network state c are the joint index q * m 2^nf + x * 2^nf + c
// (see netrl/kernels/exact_engine.hpp). Pair sweeps run in passes of tiles (TilePass, see
// pair_functors.hpp); element-wise steps and reductions in chunks of contiguous states (Chunking).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "config.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

using index_t = std::uint64_t;

/// Sizes shared by the B problems of a batch.
struct SweepShape {
  int nf = 1;
  int m = 1;
  int batch = 1;
  index_t nb = 2;      // 2^nf
  index_t states = 2;  // m * 2^nf
};

inline SweepShape make_sweep_shape(int nf, int m, int batch) {
  SweepShape s;
  s.nf = nf;
  s.m = m;
  s.batch = batch;
  s.nb = index_t{1} << nf;
  s.states = s.nb * static_cast<index_t>(m);
  return s;
}

/// One pass of a pair sweep: neurons [a, a + g), vector bits [0, L) (L == a: contiguous tiles).
struct TilePass {
  int a = 0;
  int g = 1;
  int L = 0;
  bool first = true;
};

/// How a backend lays the engine's work out. Each launcher names its own as BackendTraits
/// (kernels/host/launch.hpp, kernels/cuda/launch.cuh); the engine is written against these names.
template <int TileBits, int RunBits, int SpareBits, int ChunkBits, int Slots>
struct LayoutTraits {
  /// Pair sweeps (make_plan): the first pass covers tiles of up to 2^kTileBits states, later
  /// passes contiguous runs of up to 2^kRunBits states, and networks above 2^kTileBits states
  /// keep kSpareBits of tile index in every pass (tiles for the threads).
  static constexpr int kTileBits = TileBits;
  static constexpr int kRunBits = RunBits;
  static constexpr int kSpareBits = SpareBits;
  /// Element-wise steps, reductions and the host's input mixing: chunks of up to 2^kChunkBits states.
  static constexpr int kChunkBits = ChunkBits;
  /// Neurons of one pass summed by one reduction item (PairStats).
  static constexpr int kSlots = Slots;
};

/// Pass plans of a pair sweep over nf neurons (see pair_functors.hpp), from the backend's
/// LayoutTraits. The plan depends on nf only, so a problem is computed the same way alone and in a
/// batch. With the CUDA traits (1, 0, 0) this is one pass per neuron with tiles of one pair.
template <class Traits>
std::vector<TilePass> make_plan(int nf) {
  constexpr int kTileBits = Traits::kTileBits;
  constexpr int kRunBits = Traits::kRunBits;
  constexpr int kSpareBits = Traits::kSpareBits;
  std::vector<TilePass> plan;
  const int spare = nf > kTileBits ? kSpareBits : 0;
  TilePass first;
  first.a = 0;
  first.L = 0;
  first.g = std::min(kTileBits, nf - spare);
  first.first = true;
  plan.push_back(first);
  for (int done = first.g; done < nf;) {
    TilePass p;
    p.a = done;
    p.L = std::min(kRunBits, done);
    p.g = std::min(nf - done, std::max(1, std::min(kTileBits - p.L, nf - spare - p.L)));
    p.first = false;
    plan.push_back(p);
    done += p.g;
  }
  return plan;
}

/// Work items (tiles) of one pass over the whole batch.
NETRL_KERNEL_INLINE index_t pass_items(const SweepShape& s, const TilePass& p) {
  return (s.nb >> (p.g + p.L)) * static_cast<index_t>(s.m) * static_cast<index_t>(s.batch);
}

struct TileCoord {
  int problem;
  index_t base;  // joint index (over the whole batch) of the tile's first state
};

NETRL_KERNEL_INLINE TileCoord tile_coord(const SweepShape& s, const TilePass& p, index_t k) {
  const int per_bits = s.nf - p.g - p.L;  // log2 of tiles per (problem, x) slice
  const index_t t = k & ((index_t{1} << per_bits) - 1);
  const index_t slice = k >> per_bits;  // problem * m + x
  const int low_bits = p.a - p.L;
  const index_t low = t & ((index_t{1} << low_bits) - 1);
  const index_t high = t >> low_bits;
  TileCoord c;
  c.problem = static_cast<int>(static_cast<std::uint32_t>(slice) / static_cast<std::uint32_t>(s.m));
  c.base = slice * s.nb + ((low << p.L) | (high << (p.a + p.g)));
  return c;
}

/// An array over the batch that may be double-buffered: problem q reads at(q) and writes
/// other(q); `parity` (one byte per problem, nullptr for a single buffer) says which is current.
template <class Real>
struct Buf {
  Real* a = nullptr;
  Real* b = nullptr;
  const std::uint8_t* parity = nullptr;
  NETRL_KERNEL_INLINE Real* at(int q) const { return (parity != nullptr && parity[q]) ? b : a; }
  NETRL_KERNEL_INLINE Real* other(int q) const { return (parity != nullptr && parity[q]) ? a : b; }
};

template <class Real>
Buf<Real> single(Real* p) {
  Buf<Real> buf;
  buf.a = p;
  buf.b = p;
  return buf;
}

/// Per-problem constants of the soft operators (arrays in the backend's memory).
template <class Real>
struct ProblemParams {
  int nf = 1;
  const Real* lambda = nullptr;    // [B]
  const Real* inv_temp = nullptr;  // [B] 1 / (nf lambda)
  const Real* log_p1 = nullptr;    // [B * nf] log p_i
  const Real* log_p0 = nullptr;    // [B * nf] log (1 - p_i)
  const Real* logit = nullptr;     // [B * nf] logit p_i
};

/// Item k of a Chunking: its problem q, the joint index of the problem's first state (block), and
/// the joint index of the chunk's first state (base) and its number of states (count).
struct ChunkItem {
  int q;
  index_t block, base, count;
};

/// Chunks of contiguous states: the states of each problem are cut into per_problem() chunks of
/// `chunk` states (the last one shorter when chunk does not divide them); item k is chunk
/// k % per_problem() of problem k / per_problem(). When chunk divides the states, item k covers
/// [k * chunk, (k + 1) * chunk) of the batch.
struct Chunking {
  index_t states = 1;  // per problem
  index_t chunk = 1;
  NETRL_KERNEL_INLINE index_t per_problem() const { return (states + chunk - 1) / chunk; }
  NETRL_KERNEL_INLINE int problem(index_t k) const { return static_cast<int>(k / per_problem()); }
  /// Joint index (over the batch) of item k's first state.
  NETRL_KERNEL_INLINE index_t begin(index_t k) const {
    const index_t per = per_problem(), q = k / per;
    return q * states + (k - q * per) * chunk;
  }
  /// Number of states of item k.
  NETRL_KERNEL_INLINE index_t count(index_t k) const {
    const index_t local = (k % per_problem()) * chunk;
    return states - local < chunk ? states - local : chunk;
  }
  NETRL_KERNEL_INLINE ChunkItem item(index_t k) const {
    ChunkItem c;
    c.q = problem(k);
    c.block = static_cast<index_t>(c.q) * states;
    c.base = begin(k);
    c.count = count(k);
    return c;
  }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
