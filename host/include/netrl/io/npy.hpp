#pragma once
// NumPy .npy files (format versions 1.0-3.0): little-endian float64 / float32 / integer / bool
// arrays in C order. Enough for reward tables, values, stationary distributions and rasters.
#include <cstdint>
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

/// Serialises a float64 array of the given shape (version 1.0 header).
std::string serialize(const std::vector<double>& values, const std::vector<std::uint64_t>& shape);
std::string serialize(const std::vector<std::uint8_t>& values, const std::vector<std::uint64_t>& shape);

/// Atomic write of a float64 array.
void save(const std::string& path, const std::vector<double>& values,
          const std::vector<std::uint64_t>& shape);

}  NETRL_NAMESPACE_END  // namespace netrl::npy
