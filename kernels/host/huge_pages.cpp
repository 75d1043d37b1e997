// Host allocations on transparent huge pages (netrl/kernels/huge_pages.hpp).
#include "netrl/kernels/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

namespace {
constexpr std::size_t kPage = std::size_t{2} << 20;
}

void* huge_page_allocate(std::size_t bytes) {
  if (bytes < (kPage >> 1)) return ::operator new(bytes);
  const std::size_t rounded = (bytes + kPage - 1) / kPage * kPage;
  void* p = std::aligned_alloc(kPage, rounded);
  if (!p) throw std::bad_alloc();
  ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
  return p;
}

void huge_page_free(void* p, std::size_t bytes) noexcept {
  if (bytes < (kPage >> 1)) ::operator delete(p);
  else std::free(p);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
