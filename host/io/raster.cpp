#include "netrl/io/raster.hpp"

#include "netrl/core/error.hpp"
#include "netrl/inverse.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

namespace {

/// The entries of an array of any dtype npy reads, as numbers (checked by inverse::make_raster).
std::vector<double> integer_entries(const npy::Array& a, const std::string& field) {
  return under_field(field, [&] { return npy::to_double(a, field); });
}

}  // namespace

Raster read_raster(const std::string& raster_path, const std::string& inputs_path, const NetworkModel& model) {
  const std::string rf = "raster (" + raster_path + ")";
  const std::string inf = "inputs (" + inputs_path + ")";
  const npy::Array a = under_field(rf, [&] { return npy::load(raster_path); });
  under_field(rf, [&] { npy::check_numbers(a, rf); });
  npy::Array b;
  std::vector<double> inputs;
  if (!inputs_path.empty()) {
    b = under_field(inf, [&] { return npy::load(inputs_path); });
    inputs = integer_entries(b, inf);
  }
  // The checks of a recording given as arrays, reported under the file they concern.
  try {
    return inverse::make_raster(a, inputs, inputs_path.empty() ? std::vector<std::uint64_t>{} : b.shape, model);
  } catch (const InvalidInput& e) {
    throw InvalidInput(e.field() == "inputs" ? inf : rf, e.message());
  }
}
}  NETRL_NAMESPACE_END  // namespace netrl::io
