// The parametric inverse's fit over visited states (inverse/ising_fit.hpp): pseudo-likelihood or
// transition likelihood of the Ising policy, two dense products per evaluation.
#include "inverse/ising_fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <climits>
#include <cmath>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

#ifdef NETRL_HAVE_BLAS
// The CBLAS interface of the BLAS the build links (OpenBLAS on Debian: libopenblas-openmp-dev).
extern "C" {
void cblas_dgemm(int order, int transa, int transb, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc);
char* openblas_get_config(void) __attribute__((weak));
}
namespace {
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;
}
#endif

NETRL_NAMESPACE_BEGIN namespace inverse::detail {

void dense_product(const double* A, const double* B, double* C, std::int64_t rows, std::int64_t inner,
                   std::int64_t cols, bool transpose_a) {
  if (rows == 0 || cols == 0) return;
  if (inner == 0) {
    std::fill(C, C + rows * cols, 0.0);
    return;
  }
#ifdef NETRL_HAVE_BLAS
  if (rows <= INT_MAX && inner <= INT_MAX && cols <= INT_MAX) {
    const int r = static_cast<int>(rows), k = static_cast<int>(inner), c = static_cast<int>(cols);
    cblas_dgemm(kCblasRowMajor, transpose_a ? kCblasTrans : kCblasNoTrans, kCblasNoTrans, r, c, k, 1.0, A,
                transpose_a ? r : k, B, c, 0.0, C, c);
    return;
  }
#endif
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMatrix> out(C, rows, cols);
  const Eigen::Map<const RowMatrix> b(B, inner, cols);
  if (transpose_a) out.noalias() = Eigen::Map<const RowMatrix>(A, inner, rows).transpose() * b;
  else out.noalias() = Eigen::Map<const RowMatrix>(A, rows, inner) * b;
}

std::string dense_product_backend() {
#ifdef NETRL_HAVE_BLAS
  if (openblas_get_config) return std::string("BLAS: ") + openblas_get_config();
  return "BLAS";
#else
  return "Eigen";
#endif
}

std::vector<double> free_spins(const VisitedStates& data, const std::vector<int>& free,
                               const std::vector<std::uint64_t>& rows) {
  const std::size_t nf = free.size();
  std::vector<double> S(rows.size() * nf);
  for (std::size_t q = 0; q < rows.size(); ++q) {
    const std::uint8_t* row = data.state(rows[q]);
    for (std::size_t a = 0; a < nf; ++a) S[q * nf + a] = row[free[a]] ? 1.0 : -1.0;
  }
  return S;
}

namespace {

/// The parameters theta = (h (m * nf), J over the pairs a < c), in logit units.
struct Layout {
  int m, nf;
  std::int64_t H, P;
  Layout(int m_, int nf_)
      : m(m_), nf(nf_), H(static_cast<std::int64_t>(m_) * nf_),
        P(static_cast<std::int64_t>(m_) * nf_ + static_cast<std::int64_t>(nf_) * (nf_ - 1) / 2) {}
  /// The symmetric nf x nf coupling matrix of theta (zero diagonal).
  void couplings(const Eigen::VectorXd& th, std::vector<double>& J) const {
    J.assign(static_cast<std::size_t>(nf) * nf, 0.0);
    std::int64_t k = H;
    for (int a = 0; a < nf; ++a)
      for (int c = a + 1; c < nf; ++c, ++k) J[a * nf + c] = J[c * nf + a] = th(k);
  }
  /// The pairs' gradient from the nf x nf matrix G = S^T (dF/dz): J_ac enters z_a (times s_c) and z_c.
  void pair_gradient(const std::vector<double>& G, Eigen::VectorXd& grad) const {
    std::int64_t k = H;
    for (int a = 0; a < nf; ++a)
      for (int c = a + 1; c < nf; ++c, ++k) grad(k) = G[a * nf + c] + G[c * nf + a];
  }
};

/// The states with visits > 0, their +-1 spins over the free neurons and their input values.
struct FitRows {
  std::vector<std::uint64_t> index;  // into data
  std::vector<double> S;             // rows x nf
  std::vector<int> x;
};

FitRows fit_rows(const VisitedStates& data, const std::vector<int>& free) {
  FitRows r;
  for (std::uint64_t k = 0; k < data.size(); ++k)
    if (data.visits[k] > 0.0) r.index.push_back(k);
  r.S = free_spins(data, free, r.index);
  r.x.resize(r.index.size());
  for (std::size_t q = 0; q < r.index.size(); ++q) r.x[q] = static_cast<int>(data.inputs[r.index[q]]);
  return r;
}

}  // namespace

IsingFit fit_ising(const VisitedStates& data, const std::vector<int>& free, const std::vector<double>& logit_p,
                   double coupling, const OptimizerOptions& options) {
  const int m = data.m, nf = static_cast<int>(free.size());
  const Layout L(m, nf);
  const bool transitions = m > 1;
  if (transitions && !data.has_transitions()) {
    throw InvalidInput("data", "the parametric inverse with an input fits the observed transitions: give a raster "
                               "with its inputs, a sample directory with transitions.npy, or an exact solution");
  }
  {
    // Memory of the fit, checked before anything large is allocated: the spins, fields and
    // per-state gradients (3 x V x nf doubles), and the couplings' matrices and L-BFGS history
    // (about 2 x 10 + 6 vectors of the parameters).
    std::uint64_t visited = 0;
    for (double v : data.visits) visited += v > 0.0;
    const double need = 8.0 * (3.0 * static_cast<double>(visited) * nf + 3.0 * static_cast<double>(nf) * nf +
                               26.0 * static_cast<double>(L.P));
    const double available = 0.9 * static_cast<double>(kernels::host::available_memory());
    if (need > available) {
      std::ostringstream os;
      os << "the parametric inverse's fit over " << visited << " visited states of " << nf << " free neurons needs about "
         << need / (1u << 30) << " GiB; " << available / (1u << 30) << " GiB are available";
      throw InvalidInput("data", os.str());
    }
  }
  const FitRows rows = fit_rows(data, free);
  const std::int64_t R = static_cast<std::int64_t>(rows.index.size());
  // Weights of the rows: visits / total (pseudo-likelihood) or 1 / observed transitions.
  double observations = 0.0;
  if (transitions) {
    for (double c : data.successor_count) observations += c;
  } else {
    for (std::int64_t q = 0; q < R; ++q) observations += data.visits[rows.index[q]];
  }
  if (!(observations > 0.0)) throw InvalidInput("data", transitions ? "no transitions observed" : "no observations");
  const double scale = 1.0 / observations;
  const double ridge = data.exact ? 0.0 : options.ridge * scale;
  const double log_nf = std::log(static_cast<double>(nf));
  std::vector<int> slot(static_cast<std::size_t>(data.n) + 1, -1);  // neuron -> free index; n -> nf (stay)
  for (int a = 0; a < nf; ++a) slot[free[a]] = a;
  slot[data.n] = nf;

  std::vector<double> J, Z(static_cast<std::size_t>(R) * nf), Gz(static_cast<std::size_t>(R) * nf), GJ;
  std::vector<double> row_value(static_cast<std::size_t>(R));
  const detail::Objective objective = [&](const Eigen::VectorXd& th, Eigen::VectorXd& grad) {
    L.couplings(th, J);
    dense_product(rows.S.data(), J.data(), Z.data(), R, nf, nf, false);
#pragma omp parallel
    {
      std::vector<double> z(nf), c(nf), sg(nf);
#pragma omp for schedule(static)
      for (std::int64_t q = 0; q < R; ++q) {
        const double* s = &rows.S[q * nf];
        const double* h = &th(static_cast<Eigen::Index>(rows.x[q]) * nf);
        double* g = &Gz[q * nf];
        const std::uint64_t k = rows.index[q];
        for (int a = 0; a < nf; ++a) z[a] = Z[q * nf + a] + h[a] + logit_p[a];
        if (!transitions) {
          // -w log sigmoid(s z); d/dz = -w s sigmoid(-s z).
          const double w = data.visits[k] * scale;
          double f = 0.0;
          for (int a = 0; a < nf; ++a) {
            // log sigmoid(u) = -log(1 + e^-|u|) - max(-u, 0): log(1 + e) instead of log1p(e) is
            // exact to 1.1e-16 absolute, all a sum of likelihood terms needs, and 3x faster.
            const double u = s[a] * z[a], e = std::exp(-std::abs(u)), one_plus = 1.0 + e;
            f += w * (std::log(one_plus) + (u < 0.0 ? -u : 0.0));
            g[a] = -w * s[a] * (u >= 0.0 ? e / one_plus : 1.0 / one_plus);
          }
          row_value[q] = f;
        } else {
          std::fill(c.begin(), c.end(), 0.0);
          double stay = 0.0;
          for (std::uint64_t e = data.successor_start[k]; e < data.successor_start[k + 1]; ++e) {
            const int j = slot[data.successor_neuron[e]];
            if (j == nf) stay += data.successor_count[e];
            else if (j >= 0) c[j] += data.successor_count[e];
          }
          for (int a = 0; a < nf; ++a) sg[a] = -s[a];
          row_value[q] = scale * transition_nll(c.data(), stay, sg.data(), z.data(), nf, log_nf, g);
          for (int a = 0; a < nf; ++a) g[a] *= scale;
        }
      }
    }
    // Summed serially: the same objective for any thread count (line searches trip over noise).
    double f = 0.0;
    for (double v : row_value) f += v;
    grad.setZero(L.P);
    for (std::int64_t q = 0; q < R; ++q)
      for (int a = 0; a < nf; ++a) grad(static_cast<Eigen::Index>(rows.x[q]) * nf + a) += Gz[q * nf + a];
    GJ.resize(static_cast<std::size_t>(nf) * nf);
    dense_product(rows.S.data(), Gz.data(), GJ.data(), nf, R, nf, true);
    L.pair_gradient(GJ, grad);
    if (ridge > 0.0) {
      f += 0.5 * ridge * th.squaredNorm();
      grad += ridge * th;
    }
    return f;
  };

  // Start: no couplings, each neuron's field at its (per-input) firing rate.
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(L.P);
  {
    std::vector<double> on(static_cast<std::size_t>(L.H), 0.0), all(static_cast<std::size_t>(m), 0.0);
    for (std::int64_t q = 0; q < R; ++q) {
      const double w = data.visits[rows.index[q]];
      all[rows.x[q]] += w;
      for (int a = 0; a < nf; ++a) on[rows.x[q] * nf + a] += w * (rows.S[q * nf + a] > 0.0);
    }
    for (int x = 0; x < m; ++x)
      for (int a = 0; a < nf; ++a)
        if (all[x] > 0.0) {
          const double rate = std::clamp(on[x * nf + a] / all[x], 1e-6, 1.0 - 1e-6);
          theta(x * nf + a) = logit(rate) - logit_p[a];
        }
  }
  IsingFit fit;
  const double per_entry =
      data.exact ? options.tolerance : std::max(options.tolerance, options.noise_fraction / std::sqrt(observations));
  fit.threshold = per_entry * std::sqrt(static_cast<double>(L.P));
  fit.report = minimize(objective, theta, options.max_iterations, fit.threshold, 1.0);
  fit.objective = transitions ? "transition likelihood" : "pseudo-likelihood";
  // Back to value units: z = coupling (h_tilde + J sigma) + logit p.
  fit.h_tilde.assign(theta.data(), theta.data() + L.H);
  for (double& v : fit.h_tilde) v /= coupling;
  L.couplings(theta, fit.J);
  for (double& v : fit.J) v /= coupling;
  return fit;
}

std::vector<double> local_fields(const VisitedStates& data, const std::vector<int>& free, const IsingFit& fit) {
  const std::int64_t V = static_cast<std::int64_t>(data.size()), nf = static_cast<std::int64_t>(free.size());
  std::vector<std::uint64_t> all(static_cast<std::size_t>(V));
  for (std::int64_t k = 0; k < V; ++k) all[static_cast<std::size_t>(k)] = static_cast<std::uint64_t>(k);
  const std::vector<double> S = free_spins(data, free, all);
  std::vector<double> F(static_cast<std::size_t>(V * nf));
  dense_product(S.data(), fit.J.data(), F.data(), V, nf, nf, false);
  for (std::int64_t k = 0; k < V; ++k)
    for (std::int64_t a = 0; a < nf; ++a) F[k * nf + a] += fit.h_tilde[data.inputs[k] * nf + a];
  return F;
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse::detail
