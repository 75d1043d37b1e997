// The CUDA build of the batched dense (I - P) solves: kernels/common/dense_solve.cpp compiled by
// nvcc (namespace netrl::kernels::cuda) over kernels/cuda/dense_glue.cuh. Part of the CUDA module
// (libnetrl_cuda.so, see module_abi.hpp).
#include "../common/dense_solve.cpp"
