#include "netrl/io/npy.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace npy {
namespace {

/// numpy's own bound on the number of dimensions (NPY_MAXDIMS of numpy 1.x).
constexpr std::size_t kMaxDims = 32;

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

/// The header dictionary as numpy writes it, read by hand in one bounded pass:
///   { 'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
/// Keys in any order, each exactly once; strings in single or double quotes without escapes;
/// shape a tuple of decimal integers without signs or leading zeros ("()", "(8,)", "(2, 3)").
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  void parse(Array* a, bool* fortran) {
    bool have_descr = false, have_order = false, have_shape = false;
    space();
    expect('{', "the header must be a dictionary starting with '{'");
    space();
    while (!at('}')) {
      const std::string key = string_literal("a key");
      space();
      expect(':', "expected ':' after the key '" + shorten(key, 40) + "'");
      space();
      if (key == "descr") {
        once(&have_descr, key);
        a->dtype = string_literal("the 'descr' value");
      } else if (key == "fortran_order") {
        once(&have_order, key);
        *fortran = boolean();
      } else if (key == "shape") {
        once(&have_shape, key);
        a->shape = shape();
      } else {
        fail("unknown key '" + shorten(key, 40) + "' (a .npy header has 'descr', 'fortran_order' and 'shape')");
      }
      space();
      if (at(',')) {
        ++pos_;
        space();
      } else if (!at('}')) {
        fail("expected ',' or '}'");
      }
    }
    ++pos_;
    space();
    if (pos_ != s_.size()) fail("unexpected text after the dictionary");
    if (!have_descr) fail("no 'descr'");
    if (!have_order) fail("no 'fortran_order'");
    if (!have_shape) fail("no 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw IoError(name_ + ": malformed .npy header at byte " + std::to_string(pos_) + ": " + why);
  }
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  void expect(char c, const std::string& why) {
    if (!at(c)) fail(why);
    ++pos_;
  }
  void space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void once(bool* seen, const std::string& key) {
    if (*seen) fail("the key '" + key + "' appears twice");
    *seen = true;
  }
  std::string string_literal(const std::string& what) {
    if (!at('\'') && !at('"')) fail("expected " + what + " in quotes");
    const char quote = s_[pos_++];
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '\\' || c < 0x20 || c >= 0x7f) fail(what + " may hold only plain printable characters");
      if (pos_ - start > 64) fail(what + " is longer than 64 characters");
      ++pos_;
    }
    if (pos_ == s_.size()) fail("unterminated string");
    return s_.substr(start, pos_++ - start);
  }
  bool boolean() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("'fortran_order' must be True or False");
  }
  std::uint64_t integer() {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (!checked_multiply(v, 10, &v) || !checked_add(v, static_cast<std::uint64_t>(s_[pos_] - '0'), &v)) {
        fail("a shape entry exceeds 2^64 - 1");
      }
      ++pos_;
    }
    if (pos_ == start) fail("a shape entry must be a non-negative decimal integer");
    if (s_[start] == '0' && pos_ - start > 1) fail("a shape entry has a leading zero");
    return v;
  }
  std::vector<std::uint64_t> shape() {
    std::vector<std::uint64_t> dims;
    expect('(', "'shape' must be a tuple such as (3,) or (2, 3)");
    space();
    if (at(')')) {
      ++pos_;
      return dims;
    }
    for (;;) {
      if (dims.size() == kMaxDims) fail("more than " + std::to_string(kMaxDims) + " dimensions");
      dims.push_back(integer());
      space();
      if (at(')')) {
        if (dims.size() == 1) fail("a one-dimensional shape needs a trailing comma, as in (8,)");
        ++pos_;
        return dims;
      }
      expect(',', "expected ',' or ')' in 'shape'");
      space();
      if (at(')')) {
        ++pos_;
        return dims;
      }
    }
  }

  const std::string& s_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

/// The parts of a .npy file before its data.
struct Layout {
  Array array;                   // dtype and shape, no data
  std::uint64_t data_offset = 0;
  std::uint64_t data_bytes = 0;  // shape product times item size, checked
};

/// Reads the preamble and header of a file of `file_bytes` bytes; `more(n)` returns its first n
/// bytes (n <= file_bytes). Checks that the data hold exactly what the header promises.
template <class More>
Layout read_layout(std::uint64_t file_bytes, const std::string& name, More&& more) {
  std::string head = more(std::min<std::uint64_t>(file_bytes, 12));
  if (head.size() < 10 || head.compare(0, 6, "\x93NUMPY") != 0) {
    throw IoError(name + ": not a .npy file (bad magic string)");
  }
  const int major = static_cast<unsigned char>(head[6]), minor = static_cast<unsigned char>(head[7]);
  std::uint64_t header_len = 0, offset = 0;
  if (major == 1 && minor == 0) {
    header_len = static_cast<unsigned char>(head[8]) | (static_cast<std::uint64_t>(static_cast<unsigned char>(head[9])) << 8);
    offset = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (head.size() < 12) throw IoError(name + ": truncated .npy header");
    for (int k = 3; k >= 0; --k) header_len = (header_len << 8) | static_cast<unsigned char>(head[8 + k]);
    offset = 12;
  } else {
    throw IoError(name + ": unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > limit(LimitId::npy_header_bytes)) {
    throw IoError(name + ": the .npy header claims " + std::to_string(header_len) + " bytes, more than " +
                  limit_hint(LimitId::npy_header_bytes));
  }
  if (file_bytes < offset + header_len) throw IoError(name + ": truncated .npy header");
  const std::string header = more(offset + header_len).substr(offset);
  Layout l;
  bool fortran = false;
  HeaderParser(header, name).parse(&l.array, &fortran);
  Array& a = l.array;
  if (a.dtype == "=f8" || a.dtype == "f8") a.dtype = "<f8";
  if (a.dtype == "=u1" || a.dtype == "<u1" || a.dtype == "u1") a.dtype = "|u1";
  if (item_size(a.dtype) == 0) {
    throw IoError(name + ": unsupported dtype '" + a.dtype +
                  "' (netrl reads little-endian float64/float32, int64/int32/int8, uint64/uint32/uint8 and bool "
                  "arrays)");
  }
  if (fortran && a.shape.size() > 1) {
    throw IoError(name + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
  }
  std::uint64_t count = 1;
  for (std::uint64_t d : a.shape) {
    if (!checked_multiply(count, d, &count)) {
      throw IoError(name + ": the shape " + shape_text(a.shape) + " holds more than 2^64 - 1 values");
    }
  }
  const std::uint64_t have = file_bytes - offset - header_len;
  const bool fits = checked_multiply(count, item_size(a.dtype), &l.data_bytes);
  if (!fits || l.data_bytes > have) {
    throw IoError(name + ": truncated: the header promises " + std::to_string(count) + " values of shape " +
                  shape_text(a.shape) + " (" + (fits ? std::to_string(l.data_bytes) : std::string("over 2^64")) +
                  " bytes) but only " + std::to_string(have) + " bytes follow");
  }
  if (l.data_bytes < have) {
    throw IoError(name + ": " + std::to_string(have - l.data_bytes) + " bytes follow the " +
                  std::to_string(count) + " values of shape " + shape_text(a.shape) + " (a damaged file?)");
  }
  l.data_offset = offset + header_len;
  return l;
}

}  // namespace

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::uint64_t Array::size() const {
  std::uint64_t n = 1;
  for (auto d : shape) {
    if (!checked_multiply(n, d, &n)) throw IoError("array of shape " + shape_text(shape) + ": more than 2^64 - 1 values");
  }
  return n;
}

Array parse(const std::string& bytes, const std::string& name) {
  Layout l = read_layout(bytes.size(), name, [&](std::uint64_t n) { return bytes.substr(0, n); });
  l.array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(l.data_offset), bytes.end());
  return std::move(l.array);
}

Array load(const std::string& path) {
  const io::InputFile file(path, LimitId::npy_bytes);
  Layout l = read_layout(file.size(), path, [&](std::uint64_t n) {
    std::string head(n, '\0');
    file.read_at(0, head.data(), n);
    return head;
  });
  l.array.data.resize(l.data_bytes);
  file.read_at(l.data_offset, l.array.data.data(), l.data_bytes);
  return std::move(l.array);
}

void check_numbers(const Array& a, const std::string& name) {
  if (item_size(a.dtype) == 0) throw IoError(name + ": dtype '" + shorten(a.dtype, 40) + "' cannot be read as numbers");
  if (a.data.size() / item_size(a.dtype) < a.size()) {
    throw IoError(name + ": the array holds fewer bytes than its shape needs");
  }
}

std::vector<double> to_double(const Array& a, const std::string& name) {
  check_numbers(a, name);
  std::vector<double> out(a.size());
  for_each_value(a, name, [&](std::uint64_t k, double v) { out[k] = v; });
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
