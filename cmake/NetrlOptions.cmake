# Build options of netrl.
include(CheckLanguage)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# CUDA defaults to ON when a CUDA compiler is found.
if(NOT DEFINED NETRL_CUDA)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(_netrl_cuda_default ON)
  else()
    set(_netrl_cuda_default OFF)
  endif()
endif()
option(NETRL_CUDA "Build the CUDA backend (needs nvcc)" ${_netrl_cuda_default})
set(NETRL_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures of the CUDA backend")
option(NETRL_BUILD_TESTS "Build the GoogleTest suite" ON)
option(NETRL_BUILD_BENCH "Build the benchmarks" ON)
option(NETRL_WERROR "Treat warnings as errors in project code" ON)
option(NETRL_BLAS "Run the parametric inverse's dense products on OpenBLAS when it is installed (Eigen otherwise)" ON)
option(NETRL_CUDA_SYNC_CHECK "Synchronise after every CUDA launch (debugging)" OFF)

find_program(NETRL_CCACHE ccache)
if(NETRL_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${NETRL_CCACHE}")
  set(CMAKE_CUDA_COMPILER_LAUNCHER "${NETRL_CCACHE}")
endif()

if(NETRL_CUDA)
  set(CMAKE_CUDA_ARCHITECTURES "${NETRL_CUDA_ARCHITECTURES}")
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
endif()

# libFuzzer targets (tests/fuzz, docs/limits.md): clang only. Every target of the build is
# instrumented for coverage (-fsanitize=fuzzer-no-link); the fuzz executables link libFuzzer.
option(NETRL_FUZZ "Build the libFuzzer targets of tests/fuzz (needs clang; the preset asan turns it on)" OFF)
if(NETRL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NETRL_FUZZ needs clang (cmake --preset asan uses clang++-14)")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
endif()
