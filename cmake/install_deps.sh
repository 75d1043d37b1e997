#!/usr/bin/env bash
# Installs netrl's build dependencies from Debian packages. Idempotent: it only calls apt-get when
# a package is missing. The CUDA toolkit is not installed here; without nvcc, CMake builds the
# CPU-only engine (NETRL_CUDA=OFF).
set -euo pipefail
packages=(
  build-essential cmake ccache pkg-config
  libeigen3-dev          # reference backend: dense and sparse solves
  nlohmann-json3-dev     # configuration files and result.json
  librandom123-dev       # Philox counter-based random numbers (same streams on CPU and GPU)
  liblbfgspp-dev coinor-libclp-dev  # inverse RL: L-BFGS likelihoods, the sparse reward LP
  libopenblas-openmp-dev # the parametric inverse's dense products (optional: NETRL_BLAS)
  libcli11-dev           # the command line of the netrl tool
  libssl-dev             # SHA-256 digests of a sweep's input files (OpenSSL's libcrypto)
  libgtest-dev googletest
  libbenchmark-dev
  openmpi-bin libopenmpi-dev  # optional: netrl sweep over MPI ranks (NETRL_MPI) and its CTest
  python3-numpy python3-scipy
  python3-matplotlib     # netrl figure: drawing the PNGs
  python3-dev pybind11-dev python3-pytest  # the Python module netrl (docs/python.md) and its tests
  clang-14 libclang-rt-14-dev libomp-14-dev ninja-build  # the asan preset and the fuzz targets (docs/limits.md)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install_deps: all dependencies present"
fi
