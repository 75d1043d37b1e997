#pragma once
// Host launch glue of the kernel bodies: the backend's tuning (BackendTraits), OpenMP loops, host
// arrays, the input mixing, the Krylov vector products. The CUDA build includes
// kernels/cuda/launch.cuh instead; both provide the same names (BackendTraits, Exec, Array,
// for_each_index, reduce_by_problem, mix_inputs, vector_dot, basis_dots, basis_combine).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../common/config.hpp"
#include "../common/functors.hpp"
#include "../common/vector_functors.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// How the engine lays its work out on the host (LayoutTraits; the CUDA values are in
/// kernels/cuda/launch.cuh): tiles of 2^12 states (32 KiB of doubles per array: a tile of the
/// values and of the output stay in L2), vectorised runs of 2^6 states, 3 spare tile bits (8 tiles
/// per slice, work for the threads), chunks of 2^12 states, up to 16 neurons per reduction item.
using BackendTraits = LayoutTraits</*TileBits*/ 12, /*RunBits*/ 6, /*SpareBits*/ 3, /*ChunkBits*/ 12, /*Slots*/ 16>;

/// A description of the compiled host kernels (-march level, OpenMP threads).
std::string build_description();

/// The host executor: OpenMP with the runtime's thread count.
struct Exec {
  int threads = 1;
  static Exec make() {
    Exec e;
    e.threads = std::max(1, omp_get_max_threads());
    return e;
  }
  std::string description() const { return "host (" + build_description() + ")"; }
};

/// A host array (no initialisation cost beyond the allocation).
template <class T>
class Array {
 public:
  Array() = default;
  explicit Array(std::uint64_t n) : data_(n) {}
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::uint64_t size() const { return data_.size(); }
  void reserve(std::uint64_t n) {
    if (n > data_.size()) data_.resize(n);
  }
  void upload(const std::vector<T>& src) { std::copy(src.begin(), src.end(), data_.begin()); }
  void upload(std::uint64_t offset, std::uint64_t count, const T* src) {
    std::memcpy(data_.data() + offset, src, count * sizeof(T));
  }
  void download(std::uint64_t offset, std::uint64_t count, T* dst) const {
    std::memcpy(dst, data_.data() + offset, count * sizeof(T));
  }

 private:
  std::vector<T> data_;
};

/// Runs f(k) for k in [0, count) on the OpenMP threads; `grain` is the smallest count worth a
/// parallel region (work items below it run on the calling thread). Work items write disjoint
/// data, so the dynamic schedule (robust when a thread is descheduled) leaves results unchanged.
template <class F>
void for_each_index(const Exec& exec, std::uint64_t count, const F& f, std::uint64_t grain = 2) {
  const auto n = static_cast<std::int64_t>(count);
  if (exec.threads <= 1 || count < grain) {
    for (std::int64_t k = 0; k < n; ++k) f(static_cast<std::uint64_t>(k));
    return;
  }
#pragma omp parallel for schedule(dynamic) num_threads(exec.threads)
  for (std::int64_t k = 0; k < n; ++k) f(static_cast<std::uint64_t>(k));
}

/// out[q] = combination of f(k) over the items k of problem q (items are problem-major,
/// `items` per problem), combined in item order: the result does not depend on the number of
/// threads or on the other problems of the batch.
template <class F>
void reduce_by_problem(const Exec& exec, int problems, std::uint64_t items, const F& f,
                       std::vector<typename F::value_type>* out, std::uint64_t grain = 2) {
  using V = typename F::value_type;
  const std::uint64_t total = items * static_cast<std::uint64_t>(problems);
  std::vector<V> values(total);
  for_each_index(exec, total, [&](std::uint64_t k) { values[k] = f(k); }, grain);
  out->assign(static_cast<std::size_t>(problems), V::identity());
  for (std::uint64_t k = 0; k < total; ++k) (*out)[static_cast<std::size_t>(k / items)].combine(values[k]);
}

/// The input step of the engine (kernels/cuda/launch.cuh has the same): out = in mixed over the
/// input for the problems in `active` (host copy `host_active`), a loop over chunks of states.
template <class Real>
void mix_inputs(const Exec& exec, const SweepShape& s, const Buf<Real>& in, const Mask* host_parity, Real* out,
                const Real* transition, bool adjoint, const Mask& host_active, const std::uint8_t* active,
                std::uint64_t grain) {
  (void)host_parity;
  (void)host_active;
  MixInputs<Real> f;
  f.in = in;
  f.out = out;
  f.transition = transition;
  f.shape = s;
  f.chunk = std::min<index_t>(s.nb, index_t{1} << BackendTraits::kChunkBits);
  f.adjoint = adjoint;
  f.active = active;
  for_each_index(exec, static_cast<index_t>(s.batch) * s.states / f.chunk, f, grain);
}

/// x . y over the chunks of r: chunk sums, then the chunk sums in order (the result does not
/// depend on the number of threads). kernels/cuda/launch.cuh: cublasDdot.
inline double vector_dot(const Exec& exec, const VectorChunks& r, const double* x, const double* y,
                         std::uint64_t grain) {
  DotChunk f;
  f.x = x;
  f.y = y;
  f.r = r;
  std::vector<SumValue> out;
  reduce_by_problem(exec, 1, r.count(), f, &out, grain);
  return out[0].sum;
}

/// h[i] = V_i . w for i < count, V_i = V + i ld (h: host memory): per-chunk partial sums in
/// `scratch`, then summed in chunk order. kernels/cuda/launch.cuh: one cublasDgemv.
inline void basis_dots(const Exec& exec, const VectorChunks& r, const double* V, std::uint64_t ld, int count,
                       const double* w, double* h, Array<double>* scratch, std::uint64_t grain) {
  const std::uint64_t chunks = r.count(), c = static_cast<std::uint64_t>(count);
  scratch->reserve(chunks * c);
  BasisDotsChunk f;
  f.basis = BasisChunks{V, ld, count, r};
  f.w = w;
  f.partial = scratch->data();
  for_each_index(exec, chunks, f, grain);
  const double* partial = scratch->data();
  for (std::uint64_t i = 0; i < c; ++i) h[i] = 0.0;
  for (std::uint64_t k = 0; k < chunks; ++k)
    for (std::uint64_t i = 0; i < c; ++i) h[i] += partial[k * c + i];
}

/// w += sum_i c[i] V_i for i < count (c: host memory). kernels/cuda/launch.cuh: one cublasDgemv.
inline void basis_combine(const Exec& exec, const VectorChunks& r, const double* V, std::uint64_t ld, int count,
                          const double* c, double* w, Array<double>* scratch, std::uint64_t grain) {
  (void)scratch;
  BasisCombineChunk f;
  f.basis = BasisChunks{V, ld, count, r};
  f.c = c;
  f.w = w;
  for_each_index(exec, r.count(), f, grain);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
