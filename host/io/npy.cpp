#include "netrl/io/npy.hpp"

#include <cstring>
#include <regex>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace npy {
namespace {

std::uint64_t item_size(const std::string& dtype) {
  if (dtype == "<f8" || dtype == "<i8" || dtype == "<u8") return 8;
  if (dtype == "<f4" || dtype == "<i4" || dtype == "<u4") return 4;
  if (dtype == "|u1" || dtype == "|i1" || dtype == "|b1") return 1;
  return 0;
}

std::string header_text(const std::string& dtype, const std::vector<std::uint64_t>& shape) {
  std::ostringstream dict;
  dict << "{'descr': '" << dtype << "', 'fortran_order': False, 'shape': (";
  for (std::size_t k = 0; k < shape.size(); ++k) dict << shape[k] << (shape.size() == 1 ? "," : (k + 1 < shape.size() ? ", " : ""));
  dict << "), }";
  std::string h = dict.str();
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64 and
  // ending in a newline.
  const std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>((h.size() >> 8) & 0xff));
  return out + h;
}

}  // namespace

std::uint64_t Array::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Array parse(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    throw IoError(name + ": not a .npy file (bad magic string)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw IoError(name + ": truncated .npy header");
    header_len = 0;
    for (int k = 3; k >= 0; --k) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + k]);
    offset = 12;
  } else {
    throw IoError(name + ": unsupported .npy format version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) throw IoError(name + ": truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);

  Array a;
  std::smatch mt;
  if (!std::regex_search(header, mt, std::regex("'descr'\\s*:\\s*'([^']*)'"))) {
    throw IoError(name + ": .npy header has no 'descr'");
  }
  a.dtype = mt[1];
  if (a.dtype == "=f8" || a.dtype == "f8") a.dtype = "<f8";
  if (a.dtype == "=u1" || a.dtype == "<u1" || a.dtype == "u1") a.dtype = "|u1";
  if (item_size(a.dtype) == 0) {
    throw IoError(name + ": unsupported dtype '" + a.dtype +
                  "' (netrl reads little-endian float64/float32, int64/int32 and uint8 arrays)");
  }
  if (!std::regex_search(header, mt, std::regex("'fortran_order'\\s*:\\s*(True|False)"))) {
    throw IoError(name + ": .npy header has no 'fortran_order'");
  }
  const bool fortran = mt[1] == "True";
  if (!std::regex_search(header, mt, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) {
    throw IoError(name + ": .npy header has no 'shape'");
  }
  const std::string dims = mt[1];
  const std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it) {
    a.shape.push_back(std::stoull(it->str()));
  }
  if (fortran && a.shape.size() > 1) {
    throw IoError(name + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
  }
  const std::uint64_t need = a.size() * item_size(a.dtype);
  const std::uint64_t have = bytes.size() - offset - header_len;
  if (have < need) {
    throw IoError(name + ": truncated: the header promises " + std::to_string(a.size()) + " values (" +
                  std::to_string(need) + " bytes) but only " + std::to_string(have) + " bytes follow");
  }
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(offset + header_len),
                bytes.begin() + static_cast<std::ptrdiff_t>(offset + header_len + need));
  return a;
}

Array load(const std::string& path) { return parse(io::read_file(path), path); }

std::vector<double> to_double(const Array& a, const std::string& name) {
  const std::uint64_t n = a.size();
  std::vector<double> out(n);
  auto copy = [&](auto tag) {
    using T = decltype(tag);
    for (std::uint64_t k = 0; k < n; ++k) {
      T v;
      std::memcpy(&v, a.data.data() + k * sizeof(T), sizeof(T));
      out[k] = static_cast<double>(v);
    }
  };
  if (a.dtype == "<f8") copy(double{});
  else if (a.dtype == "<f4") copy(float{});
  else if (a.dtype == "<i8") copy(std::int64_t{});
  else if (a.dtype == "<i4") copy(std::int32_t{});
  else if (a.dtype == "|u1" || a.dtype == "|b1") copy(std::uint8_t{});
  else throw IoError(name + ": dtype '" + a.dtype + "' cannot be read as numbers");
  return out;
}

std::string serialize(const std::vector<double>& values, const std::vector<std::uint64_t>& shape) {
  std::string out = header_text("<f8", shape);
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  return out;
}

std::string serialize(const std::vector<std::uint8_t>& values, const std::vector<std::uint64_t>& shape) {
  std::string out = header_text("|u1", shape);
  out.append(reinterpret_cast<const char*>(values.data()), values.size());
  return out;
}

void save(const std::string& path, const std::vector<double>& values,
          const std::vector<std::uint64_t>& shape) {
  io::write_file_atomic(path, serialize(values, shape));
}

}  NETRL_NAMESPACE_END  // namespace netrl::npy
