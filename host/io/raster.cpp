#include "netrl/io/raster.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

namespace {

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Integer-valued entries of an array (integer dtypes, bool, or floats holding integers).
std::vector<double> integer_entries(const npy::Array& a, const std::string& field) {
  if (a.dtype != "|u1" && a.dtype != "|b1" && a.dtype != "|i1" && a.dtype != "<i4" && a.dtype != "<i8" &&
      a.dtype != "<u4" && a.dtype != "<u8" && a.dtype != "<f8" && a.dtype != "<f4") {
    throw InvalidInput(field, "dtype '" + a.dtype + "' is not an integer, bool or float array");
  }
  std::vector<double> out(a.size());
  const char* p = a.data.data();
  for (std::uint64_t k = 0; k < a.size(); ++k) {
    if (a.dtype == "|u1" || a.dtype == "|b1") out[k] = static_cast<unsigned char>(p[k]);
    else if (a.dtype == "|i1") out[k] = static_cast<signed char>(p[k]);
    else if (a.dtype == "<u4" || a.dtype == "<u8") {
      if (a.dtype == "<u4") {
        std::uint32_t v;
        std::memcpy(&v, p + 4 * k, 4);
        out[k] = v;
      } else {
        std::uint64_t v;
        std::memcpy(&v, p + 8 * k, 8);
        out[k] = static_cast<double>(v);
      }
    }
  }
  if (a.dtype == "<i4" || a.dtype == "<i8" || a.dtype == "<f8" || a.dtype == "<f4") out = npy::to_double(a, field);
  return out;
}
}  // namespace

Raster read_raster(const std::string& raster_path, const std::string& inputs_path, const NetworkModel& model) {
  const npy::Array a = npy::load(raster_path);
  const std::string rf = "raster (" + raster_path + ")";
  if (a.shape.size() != 2) {
    throw InvalidInput(rf, "a raster must be a 2-d array of shape (T, n) = (steps, " + std::to_string(model.n) +
                               "), got shape " + shape_text(a.shape));
  }
  if (a.shape[0] == 0) throw InvalidInput(rf, "the raster is empty (T = 0 rows)");
  if (a.shape[1] != static_cast<std::uint64_t>(model.n)) {
    throw InvalidInput(rf, "the raster has " + std::to_string(a.shape[1]) + " columns; the model has n = " +
                               std::to_string(model.n) + " neurons (shape must be (T, n))");
  }
  const std::vector<double> v = integer_entries(a, rf);
  Raster r;
  r.steps = a.shape[0];
  r.n = model.n;
  r.states.resize(v.size());
  for (std::uint64_t k = 0; k < v.size(); ++k) {
    if (!(v[k] == 0.0 || v[k] == 1.0)) {
      std::ostringstream os;
      os << "entry [" << k / r.n << ", " << k % r.n << "] = " << v[k]
         << " is not binary; a raster holds 0 (silent) or 1 (active)";
      throw InvalidInput(rf, os.str());
    }
    r.states[k] = static_cast<std::uint8_t>(v[k]);
  }
  if (!inputs_path.empty()) {
    const std::string inf = "inputs (" + inputs_path + ")";
    const npy::Array b = npy::load(inputs_path);
    if (b.shape.size() != 1 && !(b.shape.size() == 2 && b.shape[1] == 1)) {
      throw InvalidInput(inf, "an input sequence must be a 1-d array of length T = " + std::to_string(r.steps) +
                                  ", got shape " + shape_text(b.shape));
    }
    const std::vector<double> x = integer_entries(b, inf);
    r.inputs.resize(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) {
      if (!(x[k] >= 0.0 && x[k] < model.m() && std::floor(x[k]) == x[k])) {
        std::ostringstream os;
        os << "entry [" << k << "] = " << x[k] << " is not an input index in [0, m - 1 = " << model.m() - 1 << "]";
        throw InvalidInput(inf, os.str());
      }
      r.inputs[k] = static_cast<std::uint32_t>(x[k]);
    }
  }
  return r;
}
}  NETRL_NAMESPACE_END  // namespace netrl::io
