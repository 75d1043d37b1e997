#pragma once
// Dense LU solves on the GPU for the (I - P) systems of netrl::linear (no CUDA headers here).
//
// `batch` square systems of order N, column-major, each factorised once (partial pivoting) and
// solved for one right-hand side with the matrix and one with its transpose: the bordered
// evaluation system M x = b and the stationary system M^T z = c share the LU. A single problem
// (or N > kBatchedLuMaxOrder) goes through cuSOLVER getrf/getrs, one problem after the other;
// several small ones through cuBLAS getrfBatched/getrsBatched in one call each.
#include <cstdint>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

/// Largest order solved with cuBLAS's batched LU (a kernel per column step; above this, cuSOLVER
/// per problem is faster).
constexpr int kBatchedLuMaxOrder = 512;

/// A: batch * N * N (problem-major, each column-major); rhs_n, rhs_t: batch * N, overwritten with
/// the solutions of A x = rhs_n and A^T z = rhs_t. info[b] = 0, or k > 0 when U(k, k) is exactly
/// zero (singular). Throws BackendError without a device or on a CUDA/cuBLAS/cuSOLVER error.
void lu_solve_batched(const std::vector<double>& A, int N, int batch, std::vector<double>* rhs_n,
                      std::vector<double>* rhs_t, std::vector<int>* info);

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
