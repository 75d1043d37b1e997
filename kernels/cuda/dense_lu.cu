// Dense batched LU on the GPU (netrl/kernels/dense_lu.hpp): cuSOLVER getrf/getrs for one problem
// at a time, cuBLAS getrfBatched/getrsBatched for many small ones. Everything runs on the legacy
// default stream; host copies order with the calls.
#include <cusolverDn.h>

#include <memory>
#include <string>

#include "device_array.cuh"
#include "errors.cuh"
#include "launch.cuh"
#include "netrl/kernels/dense_lu.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {
namespace {

/// A cuSOLVER dense handle, destroyed with its owner.
using SolverHandle = std::unique_ptr<cusolverDnContext, decltype(&cusolverDnDestroy)>;
SolverHandle make_solver() {
  cusolverDnHandle_t handle = nullptr;
  NETRL_CUSOLVER_CHECK(cusolverDnCreate(&handle));
  return SolverHandle(handle, &cusolverDnDestroy);
}

void require_device() {
  std::string reason;
  if (!device_available(&reason)) throw BackendError("cuda dense LU: " + reason);
}

/// One problem after the other through cuSOLVER (one workspace, reused).
void solve_each(const std::vector<double>& A, int N, int batch, std::vector<double>* rhs_n,
                std::vector<double>* rhs_t, std::vector<int>* info) {
  const SolverHandle solver = make_solver();
  const auto nn = static_cast<std::uint64_t>(N) * static_cast<std::uint64_t>(N);
  Array<double> a(nn), b(static_cast<std::uint64_t>(N)), c(static_cast<std::uint64_t>(N));
  Array<int> pivots(static_cast<std::uint64_t>(N)), dev_info(1);
  int lwork = 0;
  NETRL_CUSOLVER_CHECK(cusolverDnDgetrf_bufferSize(solver.get(), N, N, a.data(), N, &lwork));
  Array<double> work(static_cast<std::uint64_t>(std::max(1, lwork)));
  for (int p = 0; p < batch; ++p) {
    const std::uint64_t off = static_cast<std::uint64_t>(p) * nn, voff = static_cast<std::uint64_t>(p) * N;
    NETRL_CUDA_CHECK(cudaMemcpy(a.data(), A.data() + off, nn * sizeof(double), cudaMemcpyHostToDevice));
    NETRL_CUDA_CHECK(cudaMemcpy(b.data(), rhs_n->data() + voff, N * sizeof(double), cudaMemcpyHostToDevice));
    NETRL_CUDA_CHECK(cudaMemcpy(c.data(), rhs_t->data() + voff, N * sizeof(double), cudaMemcpyHostToDevice));
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrf(solver.get(), N, N, a.data(), N, work.data(), pivots.data(), dev_info.data()));
    int status = 0;
    NETRL_CUDA_CHECK(cudaMemcpy(&status, dev_info.data(), sizeof(int), cudaMemcpyDeviceToHost));
    if (status < 0) throw BackendError("cusolverDnDgetrf: argument " + std::to_string(-status) + " is invalid");
    (*info)[static_cast<std::size_t>(p)] = status;
    if (status > 0) continue;
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrs(solver.get(), CUBLAS_OP_N, N, 1, a.data(), N, pivots.data(), b.data(), N, dev_info.data()));
    NETRL_CUSOLVER_CHECK(cusolverDnDgetrs(solver.get(), CUBLAS_OP_T, N, 1, a.data(), N, pivots.data(), c.data(), N, dev_info.data()));
    NETRL_CUDA_CHECK(cudaMemcpy(rhs_n->data() + voff, b.data(), N * sizeof(double), cudaMemcpyDeviceToHost));
    NETRL_CUDA_CHECK(cudaMemcpy(rhs_t->data() + voff, c.data(), N * sizeof(double), cudaMemcpyDeviceToHost));
  }
}

/// All problems in one cuBLAS batched factorisation and two batched solves.
void solve_batched(const std::vector<double>& A, int N, int batch, std::vector<double>* rhs_n,
                   std::vector<double>* rhs_t, std::vector<int>* info) {
  const Exec exec = Exec::make();  // its cuBLAS handle
  const auto nn = static_cast<std::uint64_t>(N) * static_cast<std::uint64_t>(N);
  const auto nb = static_cast<std::uint64_t>(batch);
  Array<double> a(nn * nb), b(static_cast<std::uint64_t>(N) * nb), c(static_cast<std::uint64_t>(N) * nb);
  Array<int> pivots(static_cast<std::uint64_t>(N) * nb), dev_info(nb);
  Array<double*> a_ptr(nb), b_ptr(nb), c_ptr(nb);
  std::vector<double*> ha(nb), hb(nb), hc(nb);
  for (std::uint64_t p = 0; p < nb; ++p) {
    ha[p] = a.data() + p * nn;
    hb[p] = b.data() + p * static_cast<std::uint64_t>(N);
    hc[p] = c.data() + p * static_cast<std::uint64_t>(N);
  }
  a.upload(A);
  b.upload(*rhs_n);
  c.upload(*rhs_t);
  a_ptr.upload(ha);
  b_ptr.upload(hb);
  c_ptr.upload(hc);
  NETRL_CUBLAS_CHECK(cublasDgetrfBatched(exec.res->blas, N, a_ptr.data(), N, pivots.data(), dev_info.data(), batch));
  info->assign(nb, 0);
  dev_info.download(0, nb, info->data());
  int arg_info = 0;
  NETRL_CUBLAS_CHECK(cublasDgetrsBatched(exec.res->blas, CUBLAS_OP_N, N, 1, a_ptr.data(), N, pivots.data(), b_ptr.data(), N, &arg_info, batch));
  if (arg_info != 0) throw BackendError("cublasDgetrsBatched: argument " + std::to_string(-arg_info) + " is invalid");
  NETRL_CUBLAS_CHECK(cublasDgetrsBatched(exec.res->blas, CUBLAS_OP_T, N, 1, a_ptr.data(), N, pivots.data(), c_ptr.data(), N, &arg_info, batch));
  if (arg_info != 0) throw BackendError("cublasDgetrsBatched: argument " + std::to_string(-arg_info) + " is invalid");
  b.download(0, static_cast<std::uint64_t>(N) * nb, rhs_n->data());
  c.download(0, static_cast<std::uint64_t>(N) * nb, rhs_t->data());
}

}  // namespace

void lu_solve_batched(const std::vector<double>& A, int N, int batch, std::vector<double>* rhs_n,
                      std::vector<double>* rhs_t, std::vector<int>* info) {
  if (N < 1 || batch < 1) throw InvalidInput("batch", "cuda dense LU needs N >= 1 and batch >= 1");
  const auto nn = static_cast<std::uint64_t>(N) * static_cast<std::uint64_t>(N);
  if (A.size() != nn * static_cast<std::uint64_t>(batch) || rhs_n->size() != static_cast<std::uint64_t>(N) * batch ||
      rhs_t->size() != static_cast<std::uint64_t>(N) * batch) {
    throw InvalidInput("batch", "cuda dense LU: array sizes do not match N and batch");
  }
  require_device();
  info->assign(static_cast<std::size_t>(batch), 0);
  if (batch == 1 || N > kBatchedLuMaxOrder) {
    solve_each(A, N, batch, rhs_n, rhs_t, info);
  } else {
    solve_batched(A, N, batch, rhs_n, rhs_t, info);
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
