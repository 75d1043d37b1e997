#pragma once
// Host memory for large arrays read at random places (the sampler's threshold tables, W and
// histograms): allocations of 1 MiB and more on 2 MiB boundaries, advised as transparent huge
// pages. With 4 KiB pages most of those random reads would also miss the TLB.
#include <cstddef>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

/// `bytes` of memory: ::operator new below 1 MiB, else 2 MiB aligned and advised as huge pages
/// (advice only: where the kernel refuses, the pages stay ordinary). Throws std::bad_alloc.
void* huge_page_allocate(std::size_t bytes);
/// Frees memory of huge_page_allocate(bytes) (the same `bytes`).
void huge_page_free(void* p, std::size_t bytes) noexcept;

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  explicit HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(std::size_t count) { return static_cast<T*>(huge_page_allocate(count * sizeof(T))); }
  void deallocate(T* p, std::size_t count) noexcept { huge_page_free(p, count * sizeof(T)); }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
  friend bool operator!=(const HugePageAllocator&, const HugePageAllocator&) { return false; }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
