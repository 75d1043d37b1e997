#pragma once
// The one device array (RAII) of the module. Copies are synchronous on the legacy default stream,
// so they order with the kernels and cuBLAS calls of that stream.
//
// Kept hand-written rather than thrust::device_vector: a device_vector initialises every element
// when it is made (a kernel pass over each engine array: gigabytes at n = 28, where the arrays are
// written by their first step anyway), and the engine needs exactly this: uninitialised storage,
// explicit uploads and downloads of ranges. Thrust's containers serve where the module needs
// pinned host memory (kernels/cuda/dense_glue.cuh), its algorithms with an explicit stream where
// they replace a hand-written kernel.
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "errors.cuh"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::cuda {

/// Device memory of n elements of T.
template <class T>
class Array {
 public:
  Array() = default;
  explicit Array(std::uint64_t n) : size_(n) {
    if (n > 0) NETRL_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)));
  }
  /// A copy of the n host elements at src.
  Array(const T* src, std::uint64_t n) : Array(n) { upload(0, n, src); }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;
  Array(Array&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      release();
      data_ = o.data_;
      size_ = o.size_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }
  ~Array() { release(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::uint64_t size() const { return size_; }
  void upload(const std::vector<T>& src) { upload_prefix(src); }
  /// Copies src to the first src.size() elements.
  void upload_prefix(const std::vector<T>& src) {
    if (src.size() > size_) throw BackendError("cuda upload: source larger than the device array");
    if (!src.empty()) NETRL_CUDA_CHECK(cudaMemcpy(data_, src.data(), src.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  void upload(std::uint64_t offset, std::uint64_t count, const T* src) {
    if (offset + count > size_) throw BackendError("cuda upload: range outside the device array");
    if (count > 0) NETRL_CUDA_CHECK(cudaMemcpy(data_ + offset, src, count * sizeof(T), cudaMemcpyHostToDevice));
  }
  void download(std::uint64_t offset, std::uint64_t count, T* dst) const {
    if (offset + count > size_) throw BackendError("cuda download: range outside the device array");
    if (count > 0) NETRL_CUDA_CHECK(cudaMemcpy(dst, data_ + offset, count * sizeof(T), cudaMemcpyDeviceToHost));
  }
  /// The whole array.
  std::vector<T> download() const {
    std::vector<T> out(size_);
    download(0, size_, out.data());
    return out;
  }
  /// Every byte zero.
  void zero() {
    if (size_ > 0) NETRL_CUDA_CHECK(cudaMemset(data_, 0, size_ * sizeof(T)));
  }
  void reserve(std::uint64_t n) {
    if (n > size_) *this = Array(n);
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // no throw from a destructor
    data_ = nullptr;
  }
  T* data_ = nullptr;
  std::uint64_t size_ = 0;
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::cuda
