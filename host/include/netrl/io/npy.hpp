#pragma once
// NumPy .npy files (format versions 1.0-3.0): little-endian float64 / float32 / uint8 / int arrays
// in C order. Enough for reward tables, values, stationary distributions and rasters.
#include <cstdint>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace npy {

struct Array {
  std::string dtype;  // numpy descr, e.g. "<f8", "|u1"
  std::vector<std::uint64_t> shape;
  std::vector<char> data;  // raw little-endian bytes, C order
  std::uint64_t size() const;
};

/// Parses .npy bytes; IoError naming `name` for a bad magic, header, unsupported dtype or order,
/// or data shorter than the header promises ("truncated").
Array parse(const std::string& bytes, const std::string& name);
Array load(const std::string& path);

/// The array converted to float64 (accepts <f8, <f4, |u1, <i4, <i8); IoError otherwise.
std::vector<double> to_double(const Array& a, const std::string& name);

/// Serialises a float64 array of the given shape (version 1.0 header).
std::string serialize(const std::vector<double>& values, const std::vector<std::uint64_t>& shape);
std::string serialize(const std::vector<std::uint8_t>& values, const std::vector<std::uint64_t>& shape);

/// Atomic write of a float64 array.
void save(const std::string& path, const std::vector<double>& values,
          const std::vector<std::uint64_t>& shape);

}  NETRL_NAMESPACE_END  // namespace netrl::npy
