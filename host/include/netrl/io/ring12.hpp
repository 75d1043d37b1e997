#pragma once
// The output directory of the ring12 experiment (`netrl infer --scenario ring12 --out DIR`,
// docs/parametric.md, "ring12"): one solution directory per setting, the CSV tables of figs. 5 and 6
// and result.json.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "netrl/scenarios.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The content of result.json.
nlohmann::json ring12_json(const Ring12Result& result);
/// <setting>/ (write_solution), inverse_<model>/ (write_inference), J_profile.csv, drift.csv,
/// gains.csv, reward_models.csv and result.json (last).
void write_ring12(const std::string& dir, const Ring12Result& result);

}  NETRL_NAMESPACE_END  // namespace netrl::io
