#pragma once
// NumPy .npy files (format versions 1.0-3.0): little-endian float64 / float32 / integer / bool
// arrays in C order. Enough for reward tables, values, stationary distributions and rasters.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace npy {

struct Array {
  std::string dtype;  // numpy descr, e.g. "<f8", "|u1"
  std::vector<std::uint64_t> shape;
  std::vector<char> data;  // raw little-endian bytes, C order

  /// The number of values (the product of the shape); IoError if it exceeds 2^64 - 1.
  std::uint64_t size() const;
};

/// Parses .npy bytes; IoError naming `name` for a bad magic, a malformed or over-long header (the
/// limit npy_header_bytes), an unsupported dtype or order, or data that do not hold exactly what
/// the header promises ("truncated"). The header is read by a strict, bounded parser; the shape's
/// product and byte count are computed with overflow checks before any allocation.
Array parse(const std::string& bytes, const std::string& name);
/// Reads a .npy file: a regular file of at most the limit npy_bytes (io::InputFile), checked as
/// by parse() before the data are read.
Array load(const std::string& path);

/// "(3,)", "(2, 3)", "()".
std::string shape_text(const std::vector<std::uint64_t>& shape);

/// The array converted to float64 (any dtype netrl reads: <f8, <f4, <i8, <i4, |i1, <u8, <u4, |u1,
/// |b1); IoError otherwise.
std::vector<double> to_double(const Array& a, const std::string& name);

/// IoError naming `name` unless to_double can read the array (its dtype, and bytes for its shape).
void check_numbers(const Array& a, const std::string& name);

/// f(k, v) for every value in C order, k its flat index and v the value as float64 (the dtypes
/// and errors of to_double), without a float64 copy of the array: for arrays too large to copy
/// eight bytes per value (a raster of bytes).
template <class F>
void for_each_value(const Array& a, const std::string& name, F&& f) {
  check_numbers(a, name);
  const std::uint64_t n = a.size();
  const auto walk = [&](auto tag) {
    using T = decltype(tag);
    for (std::uint64_t k = 0; k < n; ++k) {
      T v;
      std::memcpy(&v, a.data.data() + k * sizeof(T), sizeof(T));
      f(k, static_cast<double>(v));
    }
  };
  if (a.dtype == "<f8") walk(double{});
  else if (a.dtype == "<f4") walk(float{});
  else if (a.dtype == "<i8") walk(std::int64_t{});
  else if (a.dtype == "<i4") walk(std::int32_t{});
  else if (a.dtype == "<u8") walk(std::uint64_t{});
  else if (a.dtype == "<u4") walk(std::uint32_t{});
  else if (a.dtype == "|i1") walk(std::int8_t{});
  else walk(std::uint8_t{});  // |u1, |b1
}

/// Serialises a float64 array of the given shape (version 1.0 header).
std::string serialize(const std::vector<double>& values, const std::vector<std::uint64_t>& shape);
std::string serialize(const std::vector<std::uint8_t>& values, const std::vector<std::uint64_t>& shape);

/// Atomic write of a float64 array.
void save(const std::string& path, const std::vector<double>& values,
          const std::vector<std::uint64_t>& shape);

}  NETRL_NAMESPACE_END  // namespace netrl::npy
