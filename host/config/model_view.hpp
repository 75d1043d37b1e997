#pragma once
// The model keys of a configuration read through an ObjectView: `netrl sample` and `netrl infer`
// hide their own sections and replace some keys (a placeholder reward, a prediction's patch)
// without copying the configuration. Private to config/.
#include <string>

#include "config/json_fields.hpp"
#include "netrl/problem.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// parse_problem (netrl/config.hpp) over a view of the configuration.
Problem parse_problem(const ObjectView& config, const std::string& source_path);

NETRL_NAMESPACE_END  // namespace netrl
