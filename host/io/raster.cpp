#include "netrl/io/raster.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

namespace {

using npy::shape_text;

/// The entries of an array of any dtype npy reads, as numbers (checked by the caller).
std::vector<double> integer_entries(const npy::Array& a, const std::string& field) {
  return under_field(field, [&] { return npy::to_double(a, field); });
}

}  // namespace

Raster read_raster(const std::string& raster_path, const std::string& inputs_path, const NetworkModel& model) {
  const std::string rf = "raster (" + raster_path + ")";
  const npy::Array a = under_field(rf, [&] { return npy::load(raster_path); });
  if (a.shape.size() != 2) {
    throw InvalidInput(rf, "a raster must be a 2-d array of shape (T, n) = (steps, " + std::to_string(model.n) +
                               "), got shape " + shape_text(a.shape));
  }
  if (a.shape[0] == 0) throw InvalidInput(rf, "the raster is empty (T = 0 rows)");
  if (a.shape[1] != static_cast<std::uint64_t>(model.n)) {
    throw InvalidInput(rf, "the raster has " + std::to_string(a.shape[1]) + " columns; the model has n = " +
                               std::to_string(model.n) + " neurons (shape must be (T, n))");
  }
  Raster r;
  r.steps = a.shape[0];
  r.n = model.n;
  auto not_binary = [&](std::uint64_t k, double value) {
    std::ostringstream os;
    os << "entry [" << k / r.n << ", " << k % r.n << "] = " << value
       << " is not binary; a raster holds 0 (silent) or 1 (active)";
    throw InvalidInput(rf, os.str());
  };
  if (a.dtype == "|u1" || a.dtype == "|b1") {
    // Byte rasters are read in place (no float64 copy of a large recording).
    r.states.assign(a.data.begin(), a.data.end());
    for (std::uint64_t k = 0; k < r.states.size(); ++k)
      if (r.states[k] > 1) not_binary(k, r.states[k]);
  } else {
    const std::vector<double> v = integer_entries(a, rf);
    r.states.resize(v.size());
    for (std::uint64_t k = 0; k < v.size(); ++k) {
      if (!(v[k] == 0.0 || v[k] == 1.0)) not_binary(k, v[k]);
      r.states[k] = static_cast<std::uint8_t>(v[k]);
    }
  }
  if (!inputs_path.empty()) {
    const std::string inf = "inputs (" + inputs_path + ")";
    const npy::Array b = under_field(inf, [&] { return npy::load(inputs_path); });
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
