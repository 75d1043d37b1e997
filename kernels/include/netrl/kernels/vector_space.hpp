#pragma once
// Float64 vectors in a backend's memory with the operations of the Krylov solvers (no CUDA headers
// here). netrl::linear's GMRES is written once over VectorSpace; the host backend keeps the
// vectors in host memory (OpenMP loops), the CUDA backend on the device (cuBLAS dot and gemv, the
// element-wise steps as kernels), so a solve on the device copies no vector across PCIe.
//
// A space holds slots() vectors of size() entries each, named by their slot index; the slots are
// one block of memory (slot k at offset k * size()), so a run of consecutive slots is the matrix
// whose columns they are (the Krylov basis of dots/combine). Reductions are deterministic: the
// host sums fixed chunks and then the chunk sums in order (independent of the thread count); the
// device uses cuBLAS's reductions and fixed grids.
//
// A ChainSpace is the space of an exact engine (ExactEngine::chain_space): vectors over the joint
// states of one problem, and the chain of the engine's fixed policy (prepare_policy) applied to
// them without leaving the engine's memory.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

/// "No vector" in the optional slot arguments below.
constexpr int kNoSlot = -1;

/// One pass over a vector.
struct VectorStats {
  double sum = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max_abs = 0.0;
  std::uint64_t nonfinite = 0;  // NaN or infinite entries
};

class VectorSpace {
 public:
  virtual ~VectorSpace() = default;
  /// Entries of each vector.
  virtual std::uint64_t size() const = 0;
  /// Number of vectors (slots 0 .. slots() - 1).
  virtual int slots() const = 0;
  /// "host (...)" or "cuda (...)".
  virtual std::string description() const = 0;

  /// Slot y = the size() values at src (host memory); dst = slot x.
  virtual void upload(int y, const double* src) = 0;
  virtual void download(int x, double* dst) = 0;

  /// y = value in every entry.
  virtual void fill(int y, double value) = 0;
  /// y = a x + b y + c. x is not read when a == 0 (or x == kNoSlot), y not when b == 0, so a
  /// slot never written before may be the target of a copy (a = 1, b = 0).
  virtual void axpby(double a, int x, double b, int y, double c) = 0;
  /// y = x - t + s w + c (the deflated operators): t == kNoSlot drops t, w == kNoSlot stands for
  /// the vector of ones.
  virtual void deflate(int x, int t, int w, double s, double c, int y) = 0;
  /// y = max(y, 0) * s (a distribution: negative rounding noise removed, mass normalised).
  virtual void clamp_scale(double s, int y) = 0;
  /// x . y
  virtual double dot(int x, int y) = 0;
  /// Sum, minimum, maximum modulus and non-finite entries of x.
  virtual VectorStats stats(int x) = 0;
  /// h[i] = slot(first + i) . w for i < count (h: host memory).
  virtual void dots(int first, int count, int w, double* h) = 0;
  /// w += sum_i c[i] slot(first + i) for i < count (c: host memory).
  virtual void combine(int first, int count, const double* c, int w) = 0;
};

/// The vectors of an exact engine's problems (size() = the joint states of one problem) and the
/// chain of its fixed policy. Lives no longer than its engine. Each call acts on `problem` of the
/// engine's batch; like the engine's own steps it leaves the other problems untouched.
class ChainSpace : public VectorSpace {
 public:
  /// y = P x (`adjoint` false: y(s) = sum_s' P(s'|s) x(s')) or y = x P, plain P (no aperiodicity
  /// transform; see ExactEngine::apply_chain). Overwrites a pending evaluation step.
  virtual void apply_chain(int problem, bool adjoint, int x, int y) = 0;
  /// g = r - lambda c_rho, the one-step reward of the fixed policy.
  virtual void policy_reward(int problem, int g) = 0;
  /// The engine's values h of `problem` = slot x (the policy source of the next prepare_policy).
  virtual void set_values(int problem, int x) = 0;
  /// The engine's mu of `problem` = slot x (the distribution of pair_totals).
  virtual void set_stationary(int problem, int x) = 0;
};

namespace host {
/// A space of `slots` vectors of `size` entries in host memory (the host backend's vector ops).
std::unique_ptr<VectorSpace> make_vector_space(std::uint64_t size, int slots);
}  // namespace host

}  NETRL_NAMESPACE_END  // namespace netrl::kernels
