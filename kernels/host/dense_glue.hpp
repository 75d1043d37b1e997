#pragma once
// Host glue of the batched dense solves (kernels/common/dense_solve.cpp): Eigen's partially
// pivoted LU per problem and Eigen's matrix-vector products, OpenMP over the problems; the batch's
// P and g are read where the caller keeps them. kernels/cuda/dense_glue.cuh has the same names.
#include <omp.h>

#include <Eigen/Dense>
#include <cstdint>
#include <string>

#include "../common/dense_functors.hpp"
#include "launch.hpp"
#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// The host reads P and g in place (no copies).
constexpr bool kDenseCopiesInput = false;

/// Phase timings are the device's (CUDA events); none on the host.
struct DenseClock {
  void mark(int) {}
  double ms(int, int) const { return 0.0; }
};

struct DenseWork {
  DenseClock clock;
};

/// InvalidInput("batch") when `bytes` exceed 90% of the available memory.
inline void require_dense_memory(double bytes) {
  const double available = 0.9 * static_cast<double>(available_memory());
  if (bytes > available) {
    throw InvalidInput("batch", "the dense solves need " + std::to_string(bytes / (1 << 20)) + " MiB of memory, " +
                                    std::to_string(available / (1 << 20)) + " MiB are available");
  }
}

inline const double* stage_in(DenseWork*, Array<double>*, const double* src, index_t) { return src; }
inline void stage_out(DenseWork*, const Array<double>& src, double* dst, index_t count) { src.download(0, count, dst); }

/// Each A_b (order N, column-major) factorised in place; rhs_n_b <- A_b^-T rhs_n_b and
/// rhs_t_b <- A_b^-1 rhs_t_b; info[b] = k > 0 when the pivot U(k, k) is exactly zero.
inline void dense_factor_solve(const Exec& exec, int N, int batch, double* A, double* rhs_n, double* rhs_t, int* info,
                               DenseWork*) {
  using Eigen::Index;
  const auto nn = static_cast<Index>(N) * N;
#pragma omp parallel for schedule(dynamic, 1) num_threads(exec.threads) if (batch > 1)
  for (int b = 0; b < batch; ++b) {
    Eigen::Map<Eigen::MatrixXd> Ab(A + b * nn, N, N);
    const Eigen::PartialPivLU<Eigen::Ref<Eigen::MatrixXd>> lu(Ab);
    info[b] = 0;
    for (Index k = 0; k < N; ++k) {
      if (lu.matrixLU()(k, k) == 0.0) {
        info[b] = static_cast<int>(k) + 1;
        break;
      }
    }
    Eigen::Map<Eigen::VectorXd> x(rhs_n + static_cast<Index>(b) * N, N), z(rhs_t + static_cast<Index>(b) * N, N);
    // A^T x = b with P A = L U: U^T L^T (P x) = b. Written out because lu.transpose() would copy
    // the whole factorisation (Transpose<> holds a PartialPivLU by value).
    lu.matrixLU().triangularView<Eigen::Upper>().transpose().solveInPlace(x);
    lu.matrixLU().triangularView<Eigen::UnitLower>().transpose().solveInPlace(x);
    x = lu.permutationP().transpose() * x;
    z = lu.solve(Eigen::VectorXd(z));
  }
}

/// pv_b = P_b v_b and mup_b = (mu_b^T P_b)^T (P_b row-major).
inline void dense_products(const Exec& exec, const DenseShape& s, const double* P, const double* v, const double* mu,
                           double* pv, double* mup, DenseWork*) {
  using Row = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Eigen::Index;
  const auto n = static_cast<Index>(s.n);
#pragma omp parallel for schedule(dynamic, 1) num_threads(exec.threads) if (s.batch > 1)
  for (int b = 0; b < s.batch; ++b) {
    const Eigen::Map<const Row> Pb(P + static_cast<Index>(b) * n * n, n, n);
    const Index off = static_cast<Index>(b) * n;
    Eigen::Map<Eigen::VectorXd>(pv + off, n).noalias() = Pb * Eigen::Map<const Eigen::VectorXd>(v + off, n);
    Eigen::Map<Eigen::VectorXd>(mup + off, n).noalias() = Pb.transpose() * Eigen::Map<const Eigen::VectorXd>(mu + off, n);
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
