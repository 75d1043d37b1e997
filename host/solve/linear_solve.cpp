// The dense (I - P) path of linear_solve.hpp: batches on the kernels' DenseBatch (host or
// device), judged here. The Krylov path is in krylov.cpp.
#include "solve/linear_solve.hpp"
#include "netrl/kernels/dense_lu.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/runtime.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace linear {
namespace {

/// Values beyond this multiple of the rewards mark a (numerically) multichain system.
constexpr double kMaxValueRatio = 1e12;

/// Dense solves up to this order run on the calling thread alone.
constexpr std::int64_t kSerialDenseStates = 512;

void check_dense_size(std::int64_t n) {
  if (n < 1 || n > kMaxDenseStates) {
    throw InvalidInput("states", "the dense (I - P) path takes 1 to " + std::to_string(kMaxDenseStates) +
                                     " states, got " + std::to_string(n) + "; use the Krylov path");
  }
}

/// Problem b of a solved batch, after its checks: NumericalError when the bordered matrix is
/// singular, an answer is not finite, a residual exceeds its bound or mu has a negative entry
/// (P is not stochastic or the chain is not unichain, or too close to it).
DenseSolution judge(const kernels::DenseResults& r, int b, std::int64_t n) {
  const auto B = static_cast<std::size_t>(b);
  if (r.info[B] != 0) {
    throw NumericalError("dense (I - P) solve: the bordered matrix is singular (zero pivot " +
                         std::to_string(r.info[B]) + "); the chain is not unichain");
  }
  const double r_eval = r.eval_residual[B], r_mu = r.stationary_residual[B], min_mu = r.min_stationary[B];
  // A chain with near-traps (a policy that leaves some states only with a tiny probability) has
  // large values and an ill-conditioned bordered matrix: the residuals grow with the ratio of the
  // values to the rewards, |v| / (1 + |g|), which measures the conditioning. Beyond kMaxValueRatio
  // the chain is treated as not unichain (a singular, multichain system gives values of order
  // 1 / eps times the rewards).
  double v_max = 0.0;
  const std::size_t begin = B * static_cast<std::size_t>(n);
  for (std::size_t s = begin; s < begin + static_cast<std::size_t>(n); ++s) v_max = std::max(v_max, std::abs(r.values[s]));
  const double g_max = 1.0 + r.max_abs_reward[B], ratio = v_max / g_max;
  const double r_eval_bound = 1e-8 * g_max * (1.0 + 1e-2 * ratio), r_mu_bound = 1e-10 * (1.0 + 1e-1 * ratio);
  if (r.nonfinite[B] > 0 || !(ratio <= kMaxValueRatio) || !(r_eval <= r_eval_bound) || !(r_mu <= r_mu_bound) ||
      !(min_mu >= -1e-10)) {
    std::ostringstream os;
    os << "dense (I - P) solve: residuals " << r_eval << " (evaluation), " << r_mu << " (stationary), min mu "
       << min_mu << ", max |v| / (1 + max |g|) = " << ratio << ", " << r.nonfinite[B]
       << " non-finite entries; the chain is not unichain (or too close to it) or P is not stochastic";
    throw NumericalError(os.str());
  }
  DenseSolution s;
  const auto off = static_cast<std::ptrdiff_t>(B * static_cast<std::size_t>(n));
  s.values.assign(r.values.begin() + off, r.values.begin() + off + n);
  s.stationary.assign(r.stationary.begin() + off, r.stationary.begin() + off + n);
  s.gain = r.gain[B];
  s.residual = std::max(r_eval, r_mu);
  return s;
}

/// The batch on the backend's DenseBatch (kernels/common/dense_solve.cpp); `prefix`: name the
/// failing problem in the error.
std::vector<DenseSolution> solve_batch(const double* P, const double* g, std::int64_t n, int batch,
                                       DenseBackend backend, bool prefix) {
  check_dense_size(n);
  if (batch < 1) throw InvalidInput("batch", "must be at least 1, got " + std::to_string(batch));
  const auto dense = backend == DenseBackend::cuda ? kernels::cuda::make_dense_batch(n, batch)
                                                   : kernels::host::make_dense_batch(n, batch);
  dense->upload(P, g);
  dense->solve();
  kernels::DenseResults r;
  dense->download(&r);
  std::vector<DenseSolution> out(static_cast<std::size_t>(batch));
  for (int b = 0; b < batch; ++b) {
    try {
      out[static_cast<std::size_t>(b)] = judge(r, b, n);
    } catch (const NumericalError& e) {
      if (!prefix) throw;
      throw NumericalError("batch problem " + std::to_string(b) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace

DenseSolution solve_dense(const double* P, const double* g, std::int64_t n) {
  // Eigen's blocked LU runs its products on the OpenMP threads; below this order the threads'
  // start-up and barriers cost more than they save (ruinously so on a busy machine).
  const ThreadScope serial(n <= kSerialDenseStates ? 1 : 0);
  return solve_batch(P, g, n, 1, DenseBackend::host, false).front();
}

std::vector<DenseSolution> solve_dense_batched(const double* P, const double* g, std::int64_t n, int batch,
                                               DenseBackend backend) {
  return solve_batch(P, g, n, batch, backend, true);
}

}  NETRL_NAMESPACE_END  // namespace netrl::linear
