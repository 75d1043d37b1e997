// The CUDA build of the general-MDP engine: the functors of kernels/common/mdp_functors.hpp
// compiled by nvcc (namespace netrl::kernels::cuda). Part of the CUDA module (libnetrl_cuda.so,
// see module_abi.hpp).
#include "../common/mdp_engine.cpp"
