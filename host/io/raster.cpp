#include "netrl/io/raster.hpp"

#include <cstring>

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

namespace {

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
  const std::string rf = "raster (" + raster_path + ")";
  const std::string inf = "inputs (" + inputs_path + ")";
  const npy::Array a = npy::load(raster_path);
  const std::vector<double> states = integer_entries(a, rf);
  npy::Array b;
  std::vector<double> inputs;
  if (!inputs_path.empty()) {
    b = npy::load(inputs_path);
    inputs = integer_entries(b, inf);
  }
  // The checks of a recording given as arrays, reported under the file they concern.
  try {
    return inverse::make_raster(states, a.shape, inputs, inputs_path.empty() ? std::vector<std::uint64_t>{} : b.shape,
                                model);
  } catch (const InvalidInput& e) {
    throw InvalidInput(e.field() == "inputs" ? inf : rf, e.message());
  }
}
}  NETRL_NAMESPACE_END  // namespace netrl::io
