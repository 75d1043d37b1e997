#pragma once
// Recordings as .npy files: a raster (T x n, 0/1) and an optional input sequence (length T).
#include <string>

#include "netrl/core/network_model.hpp"
#include "netrl/core/raster.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// Loads a raster (.npy, T x n, uint8 / bool / integer or float 0-1 values) and an optional input
/// sequence (.npy, length T, integer values in [0, m)); `inputs_path` empty: none. Errors are
/// InvalidInput whose field is "raster (PATH)" or "inputs (PATH)": wrong shape, an empty raster,
/// non-binary values, input indices out of range.
Raster read_raster(const std::string& raster_path, const std::string& inputs_path, const NetworkModel& model);

}  NETRL_NAMESPACE_END  // namespace netrl::io
