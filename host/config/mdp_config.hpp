#pragma once
// The "mdp" model of a `netrl solve` configuration (docs/config-solve.md, "MDP model"), private to
// the configuration layer.
#include <string>

#include "config/json_fields.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Reads "transitions", "reward" and "allow_transient" of `f` (the configuration object; the
/// caller finishes it): the arrays through io::read_mdp, then Mdp::validate. Errors name the field
/// as written ("transitions.row_ptr (row_ptr.npy)", "transitions", "reward[3]") and the bound;
/// without "allow_transient": true, states outside the MDP's closed class (no policy visits them
/// in the long run) are an error of "transitions".
Mdp parse_mdp_model(JsonFields& f, const std::string& source);

NETRL_NAMESPACE_END  // namespace netrl
