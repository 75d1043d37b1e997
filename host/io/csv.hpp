#pragma once
// Helpers of the CSV files io/ writes (private to io/).
#include <string>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// A number with 10 significant digits ("nan" for NaN).
std::string num(double v);
/// A name usable in a column header: spaces become underscores.
std::string slug(std::string s);

}  NETRL_NAMESPACE_END  // namespace netrl::io
