#pragma once
// Policies for the sampler, read from files.
#include <string>
#include <vector>

#include "netrl/core/network_model.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The implicit policy of an exact solution (a `netrl solve --out` directory: values.npy and
/// result.json's "prior"), checked against the model as by check_solution. Errors name "solution".
SamplerPolicy read_exact_policy(const std::string& dir, const NetworkModel& model);

/// An Ising policy from .npy files for a network of n neurons and m input values: J (n x n
/// float64) and h (n or m x n float64; `h_path` empty: zero fields). Errors name "J" or "h", the
/// file whose shape does not fit the model.
SamplerPolicy read_ising_policy(const std::string& j_path, const std::string& h_path, std::vector<double> prior, int n,
                                int m);

}  NETRL_NAMESPACE_END  // namespace netrl::io
