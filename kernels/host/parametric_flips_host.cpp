// The host loops of the regression on local fields (parametric_flips_host.hpp) and the planted
// reward's flip differences (netrl/kernels/parametric.hpp).
#include "parametric_flips_host.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "netrl/kernels/parametric.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels {

namespace {

template <class Real>
double planted_flips(int n, const Real* J, const double* h, double prior, double lambda, const std::uint8_t* on, double* out,
                     std::vector<Real>* work) {
  const auto un = static_cast<std::uint64_t>(n);
  const double inv_temperature = 1.0 / (n * lambda);
  const double log_p = std::log(prior);
  const double logit = log_p - std::log1p(-prior);
  work->resize(4 * un);
  Real* log_pi = work->data();  // log pi (n), log(1 - pi) (n)
  Real* spin = log_pi + 2 * un;
  Real* w = spin + un;
  for (std::uint64_t l = 0; l < un; ++l) spin[l] = on[l] ? Real(1) : Real(-1);
  for (std::uint64_t k = 0; k < un; ++k) {
    const Real* NETRL_RESTRICT row = J + k * un;
    Real f = 0;
    NETRL_SIMD_SUM1(f)
    for (std::uint64_t l = 0; l < un; ++l) f += row[l] * spin[l];
    w[k] = f;
    const double z = 2.0 * (h[k] + static_cast<double>(f)) * inv_temperature + logit;
    log_pi[k] = static_cast<Real>(-softplus(-z));
    log_pi[un + k] = static_cast<Real>(-softplus(z));
  }
  // The reward itself: S_k(u_k) = log p + u_k / Temp - log pi_k.
  double aligned = 0.0, soft_sum = 0.0;
  for (std::uint64_t k = 0; k < un; ++k) {
    const double u = h[k] + static_cast<double>(w[k]);
    aligned += on[k] ? u : -u;
    soft_sum += log_p + u * inv_temperature - static_cast<double>(log_pi[k]);
  }
  for (std::uint64_t i = 0; i < un; ++i) {
    const double si = on[i] ? 1.0 : -1.0;
    const double soft = soft_flip_sum(J + i * un, log_pi, un, i, static_cast<Real>(2.0 * si * inv_temperature));
    out[i] = 2.0 / n * (h[i] + 2.0 * static_cast<double>(w[i])) + lambda * si * soft;
  }
  return aligned / n - lambda * soft_sum;
}

}  // namespace

double planted_flip_differences(int n, const double* J, const double* h, double prior, double lambda, const std::uint8_t* on,
                                double* out, std::vector<double>* work) {
  return planted_flips<double>(n, J, h, prior, lambda, on, out, work);
}

double planted_flip_differences(int n, const float* J32, const double* h, double prior, double lambda, const std::uint8_t* on,
                                double* out, std::vector<float>* work) {
  return planted_flips<float>(n, J32, h, prior, lambda, on, out, work);
}

namespace host {
namespace {

template <class Real>
double soft_sum_rate_of() {
  constexpr std::uint64_t kLen = 1024;
  constexpr int kRepeats = 4000;
  double best = 0.0, sink = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = omp_get_wtime();
    int threads = 1;
#pragma omp parallel reduction(+ : sink)
    {
#pragma omp single
      threads = omp_get_num_threads();
      std::vector<Real> row(kLen), log_pi(2 * kLen);
      for (std::uint64_t k = 0; k < kLen; ++k) {
        row[k] = static_cast<Real>(1e-3 * static_cast<double>(k % 97) - 0.05);
        log_pi[k] = static_cast<Real>(-0.1 - 1e-3 * static_cast<double>(k % 13));
        log_pi[kLen + k] = static_cast<Real>(-2.3 + 1e-3 * static_cast<double>(k % 13));
      }
      double local = 0.0;
      for (int r = 0; r < kRepeats; ++r)
        local += soft_flip_sum(row.data(), log_pi.data(), kLen, static_cast<std::uint64_t>(r) % kLen,
                               static_cast<Real>(r % 2 == 0 ? 0.5 : -0.5));
      sink += local;
    }
    const double dt = omp_get_wtime() - t0;
    best = std::max(best, static_cast<double>(threads) * static_cast<double>(kLen) * kRepeats / dt);
  }
  volatile double keep = sink;
  (void)keep;
  return best;
}

}  // namespace

double soft_sum_rate(bool single) { return single ? soft_sum_rate_of<float>() : soft_sum_rate_of<double>(); }

/// Loops below this many pair operations run on the calling thread.
constexpr double kSerialPairs = 32768.0;

template <class Real>
void run_flip_terms(const FlipTerms<Real>& f, std::uint64_t items) {
  const auto total = static_cast<std::int64_t>(items);
  const bool parallel = static_cast<double>(items) * static_cast<double>(f.v.n()) >= kSerialPairs;
#pragma omp parallel for schedule(dynamic, 8) if (parallel)
  for (std::int64_t k = 0; k < total; ++k) f(static_cast<std::uint64_t>(k));
}

template void run_flip_terms<float>(const FlipTerms<float>&, std::uint64_t);
template void run_flip_terms<double>(const FlipTerms<double>&, std::uint64_t);

}  // namespace host
}  NETRL_NAMESPACE_END  // namespace netrl::kernels
