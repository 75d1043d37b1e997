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
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
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

/// Where the batched dense LUs run: `host` (Eigen, OpenMP over problems) or `cuda` (cuSOLVER
/// getrf/getrs for one problem or orders above 512, cuBLAS getrfBatched/getrsBatched for many
/// small ones; kernels/cuda/dense_lu.cu). The matrices are assembled and the answers checked on
/// the host in both cases; `cuda` throws BackendError without a CUDA build or a device.
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

/// Solves A x = b with restarted GMRES (modified Gram-Schmidt, Givens rotations), starting from
/// the given x. Throws NumericalError with the residual reached if it does not converge within
/// max_matvecs; never returns an unconverged answer.
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
