#include "netrl/core/solver_options.hpp"

#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

const char* to_string(Method method) { return name_of(method); }
const char* to_string(Precision precision) { return name_of(precision); }
const char* to_string(ParametricRegression regression) { return name_of(regression); }
const char* to_string(Backend backend) { return name_of(backend); }

namespace {
void require_positive(const std::string& field, double value) {
  if (!std::isfinite(value) || value <= 0.0) {
    std::ostringstream os;
    os << "value " << value << " must be finite and > 0";
    throw InvalidInput(field, os.str());
  }
}
}  // namespace

void ParametricOptions::validate(const std::string& field, int n) const {
  const std::string f = field + ".";
  if (batch < 1 || batch > (std::uint64_t{1} << 20)) throw InvalidInput(f + "batch", "must lie in [1, 2^20]");
  if (chains < 1 || chains > batch) {
    throw InvalidInput(f + "chains", "must lie in [1, batch = " + std::to_string(batch) + "]");
  }
  if (batch % chains != 0) {
    throw InvalidInput(f + "chains", "batch = " + std::to_string(batch) + " must be a multiple of chains = " +
                                         std::to_string(chains) + " (each chain gives batch / chains samples)");
  }
  if (explore > (std::uint64_t{1} << 20)) throw InvalidInput(f + "explore", "must lie in [0, 2^20]");
  if (sample_interval >= (std::uint64_t{1} << 40)) throw InvalidInput(f + "sample_interval", "must be below 2^40");
  if (burn_in >= (std::uint64_t{1} << 40)) throw InvalidInput(f + "burn_in", "must be below 2^40");
  if (target_period < 1) throw InvalidInput(f + "target_period", "must be at least 1 batch");
  if (!(std::isfinite(learning_rate) && learning_rate > 0.0 && learning_rate < 2.0)) {
    std::ostringstream os;
    os << "the normalised rate " << learning_rate << " must lie in (0, 2) (steps of 2 or more diverge)";
    throw InvalidInput(f + "learning_rate", os.str());
  }
  require_positive(f + "tol", tol);
  require_positive(f + "gain_tol", gain_tol);
  if (window < 1 || window > 1000) throw InvalidInput(f + "window", "must lie in [1, 1000] target periods");
  if (max_batches < 1) throw InvalidInput(f + "max_batches", "must be at least 1");
  if (min_batches > max_batches) {
    throw InvalidInput(f + "min_batches", "must not exceed max_batches = " + std::to_string(max_batches));
  }
  if (!coupling_mask.empty()) {
    const auto un = static_cast<std::size_t>(n);
    if (coupling_mask.size() != un * un) {
      throw InvalidInput(f + "coupling_mask", "a coupling mask is n x n = " + std::to_string(n) + " x " +
                                                  std::to_string(n) + ", got " + std::to_string(coupling_mask.size()) +
                                                  " entries");
    }
    for (std::size_t i = 0; i < un; ++i)
      for (std::size_t j = 0; j < un; ++j) {
        const double v = coupling_mask[i * un + j];
        const std::string at = f + "coupling_mask[" + std::to_string(i) + "][" + std::to_string(j) + "]";
        if (v != 0.0 && v != 1.0) throw InvalidInput(at, "must be 0 (removed) or 1 (kept)");
        if (v != coupling_mask[j * un + i]) throw InvalidInput(at, "the mask must be symmetric");
      }
  }
}

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
    os << "initial prior " << number_text(p0) << " must lie in [prior_eps, 1 - prior_eps] = ["
       << number_text(prior_eps) << ", " << number_text(1.0 - prior_eps) << "]";
    throw InvalidInput(field + ".p0", os.str());
  }
}

NETRL_NAMESPACE_END  // namespace netrl
