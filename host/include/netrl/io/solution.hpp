#pragma once
// The output directory of `netrl solve` (README "Output reference").
#include <nlohmann/json.hpp>
#include <string>

#include "netrl/problem.hpp"

namespace netrl {

/// The content of result.json.
nlohmann::json result_json(const Problem& problem, const SolveResult& result);

/// Writes result.json, values.npy, stationary.npy and (networks) spike_count.csv into `dir`
/// (created if missing); each file is written to a temporary name and renamed.
void write_outputs(const std::string& dir, const Problem& problem, const SolveResult& result);

/// A few human-readable lines for the terminal.
std::string summary(const Problem& problem, const SolveResult& result);

}  // namespace netrl
