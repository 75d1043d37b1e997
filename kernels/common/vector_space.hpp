#pragma once
// The Krylov vector operations (netrl/kernels/vector_space.hpp), written once over the launch glue
// of the build: the host's OpenMP loops and deterministic chunk sums, or CUDA kernels and cuBLAS.
// Vectors<Base> implements every VectorSpace operation on slots held in one backend array; the
// exact engine derives its ChainSpace from it (exact_engine.cpp), and the host build also serves
// plain host spaces (host::make_vector_space, used by netrl::linear's std::vector interface).
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "vector_functors.hpp"

#if NETRL_KERNELS_CUDA
#include "../cuda/launch.cuh"
#else
#include "../host/launch.hpp"
#endif

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

template <class Base>
class Vectors : public Base {
 public:
  /// `slots` vectors of n entries, uninitialised (every operation that reads a slot needs it
  /// written first).
  Vectors(Exec exec, index_t n, int slots) : exec_(std::move(exec)), n_(n), slots_(slots) {
    if (n < 1) throw InvalidInput("size", "a vector space needs at least one entry per vector");
    if (slots < 1) throw InvalidInput("slots", "a vector space needs at least one slot, got " + std::to_string(slots));
    store_ = Array<double>(n * static_cast<index_t>(slots));
    chunks_.n = n;
    chunks_.chunk = std::min<index_t>(n, index_t{1} << BackendTraits::kChunkBits);
    // Below this many entries, threads cost more than they save.
    grain_ = n < (index_t{1} << 15) ? ~std::uint64_t{0} : 2;
  }

  std::uint64_t size() const override { return n_; }
  int slots() const override { return slots_; }
  std::string description() const override { return exec_.description(); }

  void upload(int y, const double* src) override { store_.upload(offset(y), n_, src); }
  void download(int x, double* dst) override { store_.download(offset(x), n_, dst); }

  void fill(int y, double value) override {
    run(FillVector{at(y), value, chunks_});
  }

  void axpby(double a, int x, double b, int y, double c) override {
    run(Axpby{(a != 0.0 && x != kNoSlot) ? at(x) : nullptr, at(y), a, b, c, /*read_y=*/b != 0.0, chunks_});
  }

  void deflate(int x, int t, int w, double s, double c, int y) override {
    run(DeflateVector{at(x), t == kNoSlot ? nullptr : at(t), w == kNoSlot ? nullptr : at(w), s, c, at(y), chunks_});
  }

  void clamp_scale(double s, int y) override {
    run(ClampScale{at(y), s, chunks_});
  }

  double dot(int x, int y) override { return vector_dot(exec_, chunks_, at(x), at(y), grain_); }

  VectorStats stats(int x) override {
    StatsChunk f;
    f.x = at(x);
    f.r = chunks_;
    std::vector<StatsValue> out;
    reduce_by_problem(exec_, 1, chunks_.count(), f, &out, grain_);
    VectorStats s;
    s.sum = out[0].sum;
    s.min = out[0].min;
    s.max_abs = out[0].max_abs;
    s.nonfinite = out[0].nonfinite;
    return s;
  }

  void dots(int first, int count, int w, double* h) override {
    require_run(first, count);
    basis_dots(exec_, chunks_, at(first), n_, count, at(w), h, &scratch_, grain_);
  }

  void combine(int first, int count, const double* c, int w) override {
    require_run(first, count);
    basis_combine(exec_, chunks_, at(first), n_, count, c, at(w), &scratch_, grain_);
  }

 protected:
  /// The first entry of slot k in the backend's memory.
  double* at(int k) { return store_.data() + offset(k); }

  index_t offset(int k) const {
    if (k < 0 || k >= slots_) {
      throw InvalidInput("slot", "vector slot " + std::to_string(k) + " outside [0, " + std::to_string(slots_) + ")");
    }
    return static_cast<index_t>(k) * n_;
  }

  void require_run(int first, int count) const {
    if (count < 0 || first < 0 || first + count > slots_) {
      throw InvalidInput("slot", "vector slots [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                     ") outside [0, " + std::to_string(slots_) + ")");
    }
  }

  template <class F>
  void run(const F& f) {
    for_each_index(exec_, chunks_.count(), f, grain_);
  }

  const Exec& exec() const { return exec_; }
  const VectorChunks& chunks() const { return chunks_; }
  std::uint64_t grain() const { return grain_; }

 private:
  Exec exec_;
  index_t n_ = 0;
  int slots_ = 0;
  Array<double> store_;
  Array<double> scratch_;
  VectorChunks chunks_;
  std::uint64_t grain_ = 2;
};

/// The ChainSpace of an exact engine (ExactEngine::chain_space): its vectors in the engine's
/// memory, its chain operations forwarded to the engine's *_resident methods.
template <class Engine>
class EngineSpace final : public Vectors<ChainSpace> {
 public:
  EngineSpace(Engine* engine, const Exec& exec, index_t n, int slots) : Vectors<ChainSpace>(exec, n, slots), engine_(engine) {}
  void apply_chain(int problem, bool adjoint, int x, int y) override {
    engine_->chain_resident(problem, adjoint, this->at(x), this->at(y));
  }
  void policy_reward(int problem, int g) override { engine_->reward_resident(problem, this->at(g)); }
  void set_values(int problem, int x) override { engine_->values_resident(problem, this->at(x)); }
  void set_stationary(int problem, int x) override { engine_->stationary_resident(problem, this->at(x)); }

 private:
  Engine* engine_;
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
