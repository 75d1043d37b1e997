#include "solve/linear_solve.hpp"
#include "netrl/kernels/dense_lu.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/runtime.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace linear {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Vector operations of the Krylov solvers, parallel from kParallelMin entries. Dot products sum
/// fixed chunks of kChunk entries and then the chunk sums in order, so the result does not depend
/// on the number of threads (and below kChunk entries it is the plain sequential sum).
constexpr std::size_t kChunk = std::size_t{1} << 14;
constexpr std::size_t kParallelMin = std::size_t{1} << 16;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size(), chunks = (n + kChunk - 1) / kChunk;
  if (chunks <= 1) return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
  std::vector<double> part(chunks);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(chunks); ++c) {
    const std::size_t lo = static_cast<std::size_t>(c) * kChunk, hi = std::min(n, lo + kChunk);
    part[static_cast<std::size_t>(c)] = std::inner_product(a.begin() + lo, a.begin() + hi, b.begin() + lo, 0.0);
  }
  return std::accumulate(part.begin(), part.end(), 0.0);
}

/// y += alpha x.
void axpy(double alpha, const std::vector<double>& x, std::vector<double>& y) {
  const auto n = static_cast<std::int64_t>(y.size());
#pragma omp parallel for schedule(static) if (y.size() >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

/// y = x - t + c s, with c = 1 (every entry) when c is null: the deflated operators.
void deflate(const std::vector<double>& x, const std::vector<double>& t, const std::vector<double>* c, double s,
             std::vector<double>& y) {
  const auto n = static_cast<std::int64_t>(y.size());
#pragma omp parallel for schedule(static) if (y.size() >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] - t[i] + (c != nullptr ? (*c)[i] * s : s);
}

/// y = x / d.
void divide_into(const std::vector<double>& x, double d, std::vector<double>& y) {
  const auto n = static_cast<std::int64_t>(y.size());
#pragma omp parallel for schedule(static) if (y.size() >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] / d;
}

double norm(const std::vector<double>& a) { return std::sqrt(dot(a, a)); }

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

}  // namespace

namespace {

/// Writes the bordered matrix M = [[I - P, 1], [e_0^T, 0]] of order n + 1 (column-major).
void bordered(const Eigen::Map<const RowMatrix>& P, Eigen::Map<MatrixXd> M) {
  const Index n = P.rows();
  M.setZero();
  M.topLeftCorner(n, n) = MatrixXd::Identity(n, n) - P;
  M.topRightCorner(n, 1).setOnes();
  M(n, 0) = 1.0;
}

/// v, mu and L from the solutions of M x = [g; 0] and M^T z = [0; 1], with the residual checks.
DenseSolution finish_dense(const Eigen::Map<const RowMatrix>& P, const Eigen::Map<const VectorXd>& g,
                           const VectorXd& x, const VectorXd& z) {
  const Index n = P.rows();
  DenseSolution s;
  const VectorXd mu = z.head(n);
  const VectorXd v = x.head(n).array() - mu.dot(x.head(n));
  s.gain = x(n);
  const double r_eval = (v - P * v + VectorXd::Constant(n, s.gain) - g).cwiseAbs().maxCoeff();
  const double r_mu = (mu.transpose() - mu.transpose() * P).cwiseAbs().maxCoeff();
  s.residual = std::max(r_eval, r_mu);
  // A chain with near-traps (a policy that leaves some states only with a tiny probability) has
  // large values and an ill-conditioned bordered matrix: the residuals grow with the ratio of the
  // values to the rewards, |v| / (1 + |g|), which measures the conditioning. Beyond kMaxValueRatio
  // the chain is treated as not unichain (a singular, multichain system gives values of order
  // 1 / eps times the rewards).
  const double g_max = 1.0 + g.cwiseAbs().maxCoeff(), ratio = v.cwiseAbs().maxCoeff() / g_max;
  const double r_eval_bound = 1e-8 * g_max * (1.0 + 1e-2 * ratio), r_mu_bound = 1e-10 * (1.0 + 1e-1 * ratio);
  if (!x.allFinite() || !z.allFinite() || !(ratio <= kMaxValueRatio) || r_eval > r_eval_bound || r_mu > r_mu_bound ||
      mu.minCoeff() < -1e-10) {
    std::ostringstream os;
    os << "dense (I - P) solve: residuals " << r_eval << " (evaluation), " << r_mu << " (stationary), min mu "
       << mu.minCoeff() << ", max |v| / (1 + max |g|) = " << ratio
       << "; the chain is not unichain (or too close to it) or P is not stochastic";
    throw NumericalError(os.str());
  }
  s.values.assign(v.data(), v.data() + n);
  s.stationary.assign(mu.data(), mu.data() + n);
  return s;
}

/// The right-hand sides [g; 0] and [0; 1] of order n + 1.
void bordered_rhs(const Eigen::Map<const VectorXd>& g, double* rhs_n, double* rhs_t) {
  const Index n = g.size();
  for (Index k = 0; k < n; ++k) {
    rhs_n[k] = g(k);
    rhs_t[k] = 0.0;
  }
  rhs_n[n] = 0.0;
  rhs_t[n] = 1.0;
}

/// The batch through the GPU's LU (kernels/cuda/dense_lu.cu); assembly and checks on the host.
std::vector<DenseSolution> solve_dense_batched_cuda(const double* P, const double* g, std::int64_t n, int batch) {
  const std::int64_t N = n + 1;
  std::vector<double> A(static_cast<std::size_t>(batch * N * N)), rhs_n(static_cast<std::size_t>(batch * N)),
      rhs_t(static_cast<std::size_t>(batch * N));
#pragma omp parallel for schedule(static)
  for (int b = 0; b < batch; ++b) {
    const Eigen::Map<const RowMatrix> Pb(P + static_cast<std::int64_t>(b) * n * n, n, n);
    const Eigen::Map<const VectorXd> gb(g + static_cast<std::int64_t>(b) * n, n);
    bordered(Pb, Eigen::Map<MatrixXd>(A.data() + static_cast<std::int64_t>(b) * N * N, N, N));
    bordered_rhs(gb, rhs_n.data() + static_cast<std::int64_t>(b) * N, rhs_t.data() + static_cast<std::int64_t>(b) * N);
  }
  std::vector<int> info;
  kernels::cuda::lu_solve_batched(A, static_cast<int>(N), batch, &rhs_n, &rhs_t, &info);
  std::vector<DenseSolution> out(static_cast<std::size_t>(batch));
  std::vector<std::string> errors(static_cast<std::size_t>(batch));
#pragma omp parallel for schedule(static)
  for (int b = 0; b < batch; ++b) {
    try {
      if (info[static_cast<std::size_t>(b)] != 0) {
        throw NumericalError("dense (I - P) solve: the bordered matrix is singular (zero pivot " +
                             std::to_string(info[static_cast<std::size_t>(b)]) + "); the chain is not unichain");
      }
      const Eigen::Map<const RowMatrix> Pb(P + static_cast<std::int64_t>(b) * n * n, n, n);
      const Eigen::Map<const VectorXd> gb(g + static_cast<std::int64_t>(b) * n, n);
      const Eigen::Map<const VectorXd> x(rhs_n.data() + static_cast<std::int64_t>(b) * N, N);
      const Eigen::Map<const VectorXd> z(rhs_t.data() + static_cast<std::int64_t>(b) * N, N);
      out[static_cast<std::size_t>(b)] = finish_dense(Pb, gb, x, z);
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(b)] = e.what();
    }
  }
  for (int b = 0; b < batch; ++b) {
    if (!errors[static_cast<std::size_t>(b)].empty())
      throw NumericalError("batch problem " + std::to_string(b) + ": " + errors[static_cast<std::size_t>(b)]);
  }
  return out;
}

}  // namespace

DenseSolution solve_dense(const double* P_data, const double* g_data, std::int64_t n64) {
  check_dense_size(n64);
  // Eigen's blocked LU runs its products on the OpenMP threads; below this order the threads'
  // start-up and barriers cost more than they save (ruinously so on a busy machine).
  const ThreadScope serial(n64 <= kSerialDenseStates ? 1 : 0);
  const Index n = static_cast<Index>(n64);
  const Eigen::Map<const RowMatrix> P(P_data, n, n);
  const Eigen::Map<const VectorXd> g(g_data, n);
  MatrixXd M(n + 1, n + 1);
  bordered(P, Eigen::Map<MatrixXd>(M.data(), n + 1, n + 1));
  const Eigen::PartialPivLU<MatrixXd> lu(M);
  VectorXd rhs_n(n + 1), rhs_t(n + 1);
  bordered_rhs(g, rhs_n.data(), rhs_t.data());
  return finish_dense(P, g, lu.solve(rhs_n), lu.transpose().solve(rhs_t));
}

std::vector<DenseSolution> solve_dense_batched(const double* P, const double* g, std::int64_t n, int batch,
                                               DenseBackend backend) {
  check_dense_size(n);
  if (batch < 1) throw InvalidInput("batch", "must be at least 1, got " + std::to_string(batch));
  if (backend == DenseBackend::cuda) return solve_dense_batched_cuda(P, g, n, batch);
  std::vector<DenseSolution> out(static_cast<std::size_t>(batch));
  std::vector<std::string> errors(static_cast<std::size_t>(batch));
#pragma omp parallel for schedule(dynamic, 1)
  for (int b = 0; b < batch; ++b) {
    try {
      out[b] = solve_dense(P + static_cast<std::int64_t>(b) * n * n, g + static_cast<std::int64_t>(b) * n, n);
    } catch (const std::exception& e) {
      errors[b] = e.what();
    }
  }
  for (int b = 0; b < batch; ++b) {
    if (!errors[b].empty()) throw NumericalError("batch problem " + std::to_string(b) + ": " + errors[b]);
  }
  return out;
}

KrylovReport gmres(const LinearOperator& A, const std::vector<double>& b, std::vector<double>& x,
                   const KrylovOptions& opt, const std::string& what) {
  const std::size_t n = b.size();
  if (x.size() != n) x.assign(n, 0.0);
  const int k = std::max(1, opt.restart);
  KrylovReport rep;
  const double bnorm = std::max(norm(b), 1e-300);
  std::vector<std::vector<double>> V(static_cast<std::size_t>(k) + 1, std::vector<double>(n));
  std::vector<double> H(static_cast<std::size_t>(k + 1) * k), cs(k), sn(k), e(static_cast<std::size_t>(k) + 1);
  std::vector<double> r(n), w(n);
  auto residual = [&]() {
    A(x, w);
    ++rep.matvecs;
    r = b;
    axpy(-1.0, w, r);
    return norm(r);
  };
  double rnorm = residual();
  while (rnorm / bnorm > opt.relative_tolerance) {
    if (rep.matvecs >= opt.max_matvecs) {
      std::ostringstream os;
      os << what << ": GMRES(" << k << ") did not converge in " << rep.matvecs << " matrix-vector products "
         << "(relative residual " << rnorm / bnorm << ", tolerance " << opt.relative_tolerance << ")";
      throw NumericalError(os.str());
    }
    divide_into(r, rnorm, V[0]);
    std::fill(e.begin(), e.end(), 0.0);
    e[0] = rnorm;
    int j = 0;
    for (; j < k && rep.matvecs < opt.max_matvecs; ++j) {
      A(V[j], w);
      ++rep.matvecs;
      for (int i = 0; i <= j; ++i) {  // modified Gram-Schmidt
        const double h = dot(w, V[i]);
        H[static_cast<std::size_t>(i) * k + j] = h;
        axpy(-h, V[i], w);
      }
      const double hn = norm(w);
      H[static_cast<std::size_t>(j + 1) * k + j] = hn;
      if (hn > 0.0) divide_into(w, hn, V[j + 1]);
      for (int i = 0; i < j; ++i) {  // apply previous rotations
        const double a = H[static_cast<std::size_t>(i) * k + j], c = H[static_cast<std::size_t>(i + 1) * k + j];
        H[static_cast<std::size_t>(i) * k + j] = cs[i] * a + sn[i] * c;
        H[static_cast<std::size_t>(i + 1) * k + j] = -sn[i] * a + cs[i] * c;
      }
      const double a = H[static_cast<std::size_t>(j) * k + j], c = H[static_cast<std::size_t>(j + 1) * k + j];
      const double d = std::hypot(a, c);
      cs[j] = d > 0.0 ? a / d : 1.0;
      sn[j] = d > 0.0 ? c / d : 0.0;
      H[static_cast<std::size_t>(j) * k + j] = d;
      H[static_cast<std::size_t>(j + 1) * k + j] = 0.0;
      e[j + 1] = -sn[j] * e[j];
      e[j] = cs[j] * e[j];
      if (std::abs(e[j + 1]) / bnorm <= opt.relative_tolerance || hn == 0.0) {
        ++j;
        break;
      }
    }
    // Back substitution on the j x j triangle, then x += V y.
    std::vector<double> y(static_cast<std::size_t>(j));
    for (int i = j - 1; i >= 0; --i) {
      double s = e[i];
      for (int t = i + 1; t < j; ++t) s -= H[static_cast<std::size_t>(i) * k + t] * y[t];
      y[i] = s / H[static_cast<std::size_t>(i) * k + i];
    }
    for (int i = 0; i < j; ++i) axpy(y[i], V[i], x);
    ++rep.restarts;
    rnorm = residual();
    if (!std::isfinite(rnorm)) throw NumericalError(what + ": GMRES produced a non-finite residual");
  }
  rep.relative_residual = rnorm / bnorm;
  return rep;
}

KrylovReport stationary_krylov(const LinearOperator& apply_PT, std::vector<double>& mu, const KrylovOptions& opt) {
  const std::size_t n = mu.size();
  const double u = 1.0 / static_cast<double>(n);
  std::vector<double> tmp(n);
  const LinearOperator op = [&](const std::vector<double>& x, std::vector<double>& y) {
    apply_PT(x, tmp);
    const double s = std::accumulate(x.begin(), x.end(), 0.0);
    deflate(x, tmp, nullptr, u * s, y);
  };
  const std::vector<double> rhs(n, u);
  KrylovReport rep = gmres(op, rhs, mu, opt, "stationary distribution");
  const double mass = std::accumulate(mu.begin(), mu.end(), 0.0);
  const double lowest = *std::min_element(mu.begin(), mu.end());
  if (!(std::abs(mass - 1.0) < 1e-8) || lowest < -1e-8) {
    std::ostringstream os;
    os << "stationary distribution: mass " << mass << ", min entry " << lowest
       << "; the chain is not unichain";
    throw NumericalError(os.str());
  }
  for (double& m : mu) m = std::max(m, 0.0) / mass;
  return rep;
}

KrylovReport evaluate_krylov(const LinearOperator& apply_P, const std::vector<double>& g,
                             const std::vector<double>& mu, std::vector<double>& v, double* gain,
                             const KrylovOptions& opt) {
  const std::size_t n = g.size();
  *gain = dot(mu, g);
  std::vector<double> tmp(n), rhs(n);
  for (std::size_t i = 0; i < n; ++i) rhs[i] = g[i] - *gain;
  const LinearOperator op = [&](const std::vector<double>& x, std::vector<double>& y) {
    apply_P(x, tmp);
    const double s = dot(mu, x);
    deflate(x, tmp, nullptr, s, y);
  };
  KrylovReport rep = gmres(op, rhs, v, opt, "policy evaluation");
  const double shift = dot(mu, v);  // zero in exact arithmetic
  for (double& x : v) x -= shift;
  return rep;
}

KrylovReport apply_group_inverse(const LinearOperator& apply_P, const std::vector<double>& mu,
                                 const std::vector<double>& y, std::vector<double>& z, const KrylovOptions& opt) {
  double mean = 0.0;
  return evaluate_krylov(apply_P, y, mu, z, &mean, opt);
}

KrylovReport apply_group_inverse_transpose(const LinearOperator& apply_PT, const std::vector<double>& mu,
                                           const std::vector<double>& y, std::vector<double>& z,
                                           const KrylovOptions& opt) {
  // (I - P^T + mu 1^T... ) : solve (I - P^T) z + mu (1 . z) = y - (1 . y) mu, then 1 . z = 0.
  const std::size_t n = y.size();
  const double total = std::accumulate(y.begin(), y.end(), 0.0);
  std::vector<double> tmp(n), rhs(n);
  for (std::size_t i = 0; i < n; ++i) rhs[i] = y[i] - total * mu[i];
  const LinearOperator op = [&](const std::vector<double>& x, std::vector<double>& out) {
    apply_PT(x, tmp);
    const double s = std::accumulate(x.begin(), x.end(), 0.0);
    deflate(x, tmp, &mu, s, out);
  };
  KrylovReport rep = gmres(op, rhs, z, opt, "group inverse (transpose)");
  const double s = std::accumulate(z.begin(), z.end(), 0.0);
  for (std::size_t i = 0; i < n; ++i) z[i] -= s * mu[i];
  return rep;
}

}  NETRL_NAMESPACE_END  // namespace netrl::linear
