#pragma once
// The files of a parametric solve, written by io::write_solution (private to io/).
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "netrl/io/files.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// The keys result.json adds for a parametric solve (docs/parametric.md, "Outputs"): gain_se, batches, samples,
/// chain_steps, offset, exact (or null), parametric (the settings).
void add_parametric_json(nlohmann::json& j, const Problem& problem, const SolveResult& result);
/// One row per target period.
std::string learning_curve_csv(const ParametricSolution& solution);
/// J.npy (n, n), h.npy (m, n), h_policy.npy (m, n), learning_curve.csv.
void write_parametric_files(OutputDir& out, const SolveResult& result);

}  NETRL_NAMESPACE_END  // namespace netrl::io
