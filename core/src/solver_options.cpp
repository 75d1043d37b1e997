#include "netrl/core/solver_options.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(Method method) {
  return method == Method::value_iteration ? "value_iteration" : "policy_iteration";
}

const char* to_string(Precision precision) {
  return precision == Precision::float32 ? "float32" : "float64";
}

const char* to_string(Backend backend) {
  switch (backend) {
    case Backend::automatic: return "auto";
    case Backend::reference: return "reference";
    case Backend::host: return "host";
    case Backend::cuda: return "cuda";
  }
  return "?";
}

namespace {
void require_positive(const std::string& field, double value) {
  if (!std::isfinite(value) || value <= 0.0) {
    std::ostringstream os;
    os << "value " << value << " must be finite and > 0";
    throw InvalidInput(field, os.str());
  }
}
}  // namespace

void SolverOptions::validate(const std::string& field) const {
  require_positive(field + ".tol", tol);
  require_positive(field + ".prior_tol", prior_tol);
  if (max_iterations < 1) throw InvalidInput(field + ".max_iterations", "must be at least 1");
  if (max_outer_iterations < 1) {
    throw InvalidInput(field + ".max_outer_iterations", "must be at least 1");
  }
  if (threads < 0 || threads > kMaxThreads) {
    throw InvalidInput(field + ".threads", "must lie in [0, " + std::to_string(kMaxThreads) + "] (0: the default)");
  }
  if (!(prior_eps > 0.0 && prior_eps < 0.5)) {
    std::ostringstream os;
    os << "clip " << prior_eps << " must lie in (0, 0.5)";
    throw InvalidInput(field + ".prior_eps", os.str());
  }
  if (!(p0 >= prior_eps && p0 <= 1.0 - prior_eps)) {
    std::ostringstream os;
    os << "initial prior " << p0 << " must lie in [prior_eps, 1 - prior_eps] = [" << prior_eps
       << ", " << 1.0 - prior_eps << "]";
    throw InvalidInput(field + ".p0", os.str());
  }
}

NETRL_NAMESPACE_END  // namespace netrl
