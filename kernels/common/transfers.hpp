#pragma once
// Size checks and float64 <-> Real transfers of the exact engine's arrays (Array of either
// launcher: upload(offset, count, src), download(offset, count, dst)). The engine's interface
// speaks float64; its arrays hold Real.
#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "config.hpp"
#include "layout.hpp"
#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

/// Throws InvalidInput("engine", ...) unless an argument of the engine has the size it needs.
inline void require_size(std::size_t got, index_t want, const char* what) {
  if (static_cast<index_t>(got) != want) {
    throw InvalidInput("engine", std::string(what) + ": expected " + std::to_string(want) + " values, got " +
                                     std::to_string(got));
  }
}

template <class Real>
std::vector<Real> to_real(const std::vector<double>& v) {
  std::vector<Real> out(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) out[k] = static_cast<Real>(v[k]);
  return out;
}

/// dst[offset, offset + count) = the float64 values src[0, count), converted to Real.
template <class Real, class A>
void upload_doubles(A* dst, index_t offset, index_t count, const double* src) {
  if constexpr (std::is_same_v<Real, double>) {
    dst->upload(offset, count, src);
  } else {
    const std::vector<Real> tmp(src, src + count);
    dst->upload(offset, count, tmp.data());
  }
}

/// dst[0, count) = src[offset, offset + count) as float64.
template <class Real, class A>
void download_doubles(const A& src, index_t offset, index_t count, double* dst) {
  if constexpr (std::is_same_v<Real, double>) {
    src.download(offset, count, dst);
  } else {
    std::vector<Real> tmp(count);
    src.download(offset, count, tmp.data());
    std::copy(tmp.begin(), tmp.end(), dst);
  }
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
