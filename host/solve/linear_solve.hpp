#pragma once
// (I - P) linear solves of MODEL.md sec. 3-4: exact policy evaluation
//   (I - P) v + L 1 = g,  sum mu v = 0,
// the stationary distribution mu (I - P) = 0, sum mu = 1, and the action of the group inverse
// A = (I - P)^# (the deviation matrix of the maze inverse, eq. 27-28), never formed.
//
// Dense path: one LU of the bordered matrix M = [[I - P, 1], [e_0^T, 0]] serves both systems:
// M [v'; L] = [g; 0] gives the bias with v'(0) = 0, and M^T [mu; y] = [0; 1] gives mu (y = 0,
// because 1^T (I - P)^T mu = 0). Then v = v' - (mu . v') 1. Batched over problems of equal size.
//
// Krylov path: restarted GMRES with a matrix-free operator. The stationary distribution solves
// (I - P^T + u 1^T) mu = u (nonsingular for a unichain P whenever 1^T u != 0; u = 1/N), and the
// bias solves (I - P + 1 mu^T) v = g - L 1 with L = mu . g, whose solution has mu . v = 0.
// GMRES is written once (krylov.cpp) over kernels::VectorSpace, whose vectors live in a backend's
// memory: an exact engine's ChainSpace keeps them on the device for the CUDA backend, so policy
// iteration's solves copy nothing across PCIe. The std::vector interface runs the same solves on
// a host space (its operator's vectors are copied in and out of the space around each product).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "netrl/kernels/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace linear {

/// Result of one dense bordered solve.
struct DenseSolution {
  std::vector<double> values;      // v, sum mu v = 0
  std::vector<double> stationary;  // mu
  double gain = 0.0;               // L = mu . g
  double residual = 0.0;           // max |(I - P) v + L - g| and max |mu (I - P)|
};

/// Largest state space the dense path accepts (the bordered matrix of n + 1 rows is formed).
constexpr std::int64_t kMaxDenseStates = 8192;

/// One problem: P row-major n x n (row-stochastic), g of length n.
DenseSolution solve_dense(const double* P, const double* g, std::int64_t n);

/// Where the batched dense solves run: `host` (Eigen LUs, OpenMP over problems) or `cuda` (the
/// assembly, LUs and checks on the device: kernels/common/dense_solve.cpp over cuBLAS's batched LU
/// or cuSOLVER, P and g copied through pinned buffers); `cuda` throws BackendError without a CUDA
/// build or a device.
enum class DenseBackend { host, cuda };

/// `batch` problems of equal size laid out contiguously (P: batch * n * n, g: batch * n), one LU
/// each.
std::vector<DenseSolution> solve_dense_batched(const double* P, const double* g, std::int64_t n, int batch,
                                               DenseBackend backend = DenseBackend::host);

/// y = A x for a matrix-free operator of size n.
using LinearOperator = std::function<void(const std::vector<double>& x, std::vector<double>& y)>;

struct KrylovOptions {
  int restart = 60;                  // GMRES(k) subspace size
  std::int64_t max_matvecs = 20000;  // error beyond this
  double relative_tolerance = 1e-12;  // ||b - A x|| / ||b||
};

struct KrylovReport {
  std::int64_t matvecs = 0;
  int restarts = 0;
  double relative_residual = 0.0;  // recomputed explicitly at the end
};

// ---- on a VectorSpace: vectors are slots of the space -----------------------------------------

/// y = A x on slots of a VectorSpace (x != y).
using SpaceOperator = std::function<void(int x, int y)>;

/// Work slots the solves below use from their `work` slot on: restart + 4 (GMRES's basis of
/// restart + 1 vectors and its work vector, and two for the deflated operators).
inline int krylov_work_slots(const KrylovOptions& o) { return (o.restart > 1 ? o.restart : 1) + 4; }

/// Solves A x = b (slots b, x) with restarted GMRES (classical Gram-Schmidt, reorthogonalised
/// when needed, Givens rotations), starting from x, using slots [work, work + restart + 2).
/// Throws NumericalError with the residual reached if it does not converge within max_matvecs;
/// never returns an unconverged answer.
KrylovReport gmres(kernels::VectorSpace& space, const SpaceOperator& A, int b, int x, int work,
                   const KrylovOptions& options, const std::string& what);
/// mu (warm start in slot mu) with mu P = mu, sum mu = 1, from y = P^T x.
KrylovReport stationary_krylov(kernels::VectorSpace& space, const SpaceOperator& apply_PT, int mu, int work,
                               const KrylovOptions& options);
/// Bias v (warm start in slot v; sum mu v = 0) and gain L of slot g under y = P x, given mu.
KrylovReport evaluate_krylov(kernels::VectorSpace& space, const SpaceOperator& apply_P, int g, int mu, int v,
                             double* gain, int work, const KrylovOptions& options);
/// z = (I - P)^# y (slots; z holds the start).
KrylovReport apply_group_inverse(kernels::VectorSpace& space, const SpaceOperator& apply_P, int mu, int y, int z,
                                 int work, const KrylovOptions& options);
/// z = ((I - P)^#)^T y.
KrylovReport apply_group_inverse_transpose(kernels::VectorSpace& space, const SpaceOperator& apply_PT, int mu, int y,
                                           int z, int work, const KrylovOptions& options);

// ---- on std::vectors (host memory) -----------------------------------------------------------

/// Solves A x = b with restarted GMRES as above, starting from the given x. Throws NumericalError
/// with the residual reached if it does not converge within max_matvecs.
KrylovReport gmres(const LinearOperator& A, const std::vector<double>& b, std::vector<double>& x,
                   const KrylovOptions& options, const std::string& what);

/// mu with mu P = mu, sum mu = 1, from the adjoint operator y = P^T x. `mu` holds the start.
KrylovReport stationary_krylov(const LinearOperator& apply_PT, std::vector<double>& mu,
                               const KrylovOptions& options);

/// Bias v (sum mu v = 0) and gain L of g under P (operator y = P x), given mu.
KrylovReport evaluate_krylov(const LinearOperator& apply_P, const std::vector<double>& g,
                             const std::vector<double>& mu, std::vector<double>& v, double* gain,
                             const KrylovOptions& options);

/// The group inverse A = (I - P)^#: z = A y solves (I - P) z = y - (mu . y) 1, mu . z = 0.
KrylovReport apply_group_inverse(const LinearOperator& apply_P, const std::vector<double>& mu,
                                 const std::vector<double>& y, std::vector<double>& z,
                                 const KrylovOptions& options);
/// Its transpose: z = A^T y solves (I - P^T) z = y - (1 . y) mu, 1 . z = 0.
KrylovReport apply_group_inverse_transpose(const LinearOperator& apply_PT, const std::vector<double>& mu,
                                           const std::vector<double>& y, std::vector<double>& z,
                                           const KrylovOptions& options);

}  NETRL_NAMESPACE_END  // namespace netrl::linear
