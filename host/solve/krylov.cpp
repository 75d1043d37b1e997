// The Krylov solves of linear_solve.hpp, written once over kernels::VectorSpace: restarted GMRES
// and the deflated (I - P) systems built on it. The vectors stay where the space keeps them (host
// memory, or the device for an engine's ChainSpace on CUDA); only GMRES's small Hessenberg
// matrix, its rotations and the scalars of the reductions are on the host. The std::vector
// interface runs the same code on a host space.
#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/kernels/vector_space.hpp"
#include "solve/linear_solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace linear {
namespace {

using kernels::kNoSlot;
using kernels::VectorSpace;

/// GMRES orthogonalises a new vector a second time when one pass of classical Gram-Schmidt left
/// less than this fraction of its norm (Daniel, Gragg, Kaufman and Stewart's criterion).
constexpr double kReorthogonalise = 0.7071067811865476;

void require_slots(const VectorSpace& space, int last, const std::string& what) {
  if (last >= space.slots()) {
    throw InvalidInput("space", what + ": needs " + std::to_string(last + 1) + " vector slots, the space has " +
                                    std::to_string(space.slots()));
  }
}

/// Copies a space operator's slots in and out of std::vectors for a LinearOperator.
class HostOperator {
 public:
  HostOperator(VectorSpace& space, const LinearOperator& op) : space_(space), op_(op), x_(space.size()), y_(space.size()) {}
  void operator()(int x, int y) {
    space_.download(x, x_.data());
    op_(x_, y_);
    space_.upload(y, y_.data());
  }

 private:
  VectorSpace& space_;
  const LinearOperator& op_;
  std::vector<double> x_, y_;
};

}  // namespace

KrylovReport gmres(VectorSpace& S, const SpaceOperator& A, int b, int x, int work, const KrylovOptions& opt,
                   const std::string& what) {
  const int k = std::max(1, opt.restart);
  const int V0 = work, w = work + k + 1;  // basis V0 .. V0 + k, then the work vector
  require_slots(S, w, what);
  KrylovReport rep;
  const double bnorm = std::max(std::sqrt(S.dot(b, b)), 1e-300);
  const auto K = static_cast<std::size_t>(k);
  std::vector<double> H((K + 1) * K), cs(K), sn(K), e(K + 1), h1(K + 1);
  auto residual = [&]() {  // V0 = b - A x, its norm
    A(x, w);
    ++rep.matvecs;
    S.deflate(b, w, kNoSlot, 0.0, 0.0, V0);
    return std::sqrt(S.dot(V0, V0));
  };
  double rnorm = residual();
  while (rnorm / bnorm > opt.relative_tolerance) {
    if (rep.matvecs >= opt.max_matvecs) {
      std::ostringstream os;
      os << what << ": GMRES(" << k << ") did not converge in " << rep.matvecs << " matrix-vector products "
         << "(relative residual " << rnorm / bnorm << ", tolerance " << opt.relative_tolerance << ")";
      throw NumericalError(os.str());
    }
    S.axpby(0.0, kNoSlot, 1.0 / rnorm, V0, 0.0);
    std::fill(e.begin(), e.end(), 0.0);
    e[0] = rnorm;
    int j = 0;
    for (; j < k && rep.matvecs < opt.max_matvecs; ++j) {
      const auto J = static_cast<std::size_t>(j);
      A(V0 + j, w);
      ++rep.matvecs;
      // Classical Gram-Schmidt: one pass over the basis for the projections and one for their
      // removal (each one gemv on the device, where modified Gram-Schmidt would take j + 1 dot
      // products and updates in sequence), repeated once when the norm fell below
      // kReorthogonalise of its value before (the DGKS test: cancellation may then have left
      // components along the basis).
      const double before = std::sqrt(S.dot(w, w));
      for (std::size_t i = 0; i <= J; ++i) H[i * K + J] = 0.0;
      double hn = before;
      for (int pass = 0; pass < 2; ++pass) {
        S.dots(V0, j + 1, w, h1.data());
        for (std::size_t i = 0; i <= J; ++i) {
          H[i * K + J] += h1[i];
          h1[i] = -h1[i];
        }
        S.combine(V0, j + 1, h1.data(), w);
        const double previous = hn;
        hn = std::sqrt(S.dot(w, w));
        if (!(hn < kReorthogonalise * previous)) break;
      }
      H[(J + 1) * K + J] = hn;
      if (hn > 0.0) S.axpby(1.0 / hn, w, 0.0, V0 + j + 1, 0.0);
      for (std::size_t i = 0; i < J; ++i) {  // apply previous rotations
        const double a = H[i * K + J], c = H[(i + 1) * K + J];
        H[i * K + J] = cs[i] * a + sn[i] * c;
        H[(i + 1) * K + J] = -sn[i] * a + cs[i] * c;
      }
      const double a = H[J * K + J], c = H[(J + 1) * K + J];
      const double d = std::hypot(a, c);
      cs[J] = d > 0.0 ? a / d : 1.0;
      sn[J] = d > 0.0 ? c / d : 0.0;
      H[J * K + J] = d;
      H[(J + 1) * K + J] = 0.0;
      e[J + 1] = -sn[J] * e[J];
      e[J] = cs[J] * e[J];
      if (std::abs(e[J + 1]) / bnorm <= opt.relative_tolerance || hn == 0.0) {
        ++j;
        break;
      }
    }
    // Back substitution on the j x j triangle, then x += V y.
    std::vector<double> y(static_cast<std::size_t>(j));
    for (int i = j - 1; i >= 0; --i) {
      const auto I = static_cast<std::size_t>(i);
      double s = e[I];
      for (std::size_t t = I + 1; t < static_cast<std::size_t>(j); ++t) s -= H[I * K + t] * y[t];
      y[I] = s / H[I * K + I];
    }
    S.combine(V0, j, y.data(), x);
    ++rep.restarts;
    rnorm = residual();
    if (!std::isfinite(rnorm)) throw NumericalError(what + ": GMRES produced a non-finite residual");
  }
  rep.relative_residual = rnorm / bnorm;
  return rep;
}

KrylovReport stationary_krylov(VectorSpace& S, const SpaceOperator& apply_PT, int mu, int work,
                               const KrylovOptions& opt) {
  const int t = work, rhs = work + 1;
  require_slots(S, rhs, "stationary distribution");
  const double u = 1.0 / static_cast<double>(S.size());
  const SpaceOperator op = [&](int x, int y) {  // (I - P^T + u 1^T) x
    apply_PT(x, t);
    S.deflate(x, t, kNoSlot, u * S.stats(x).sum, 0.0, y);
  };
  S.fill(rhs, u);
  KrylovReport rep = gmres(S, op, rhs, mu, work + 2, opt, "stationary distribution");
  const kernels::VectorStats st = S.stats(mu);
  if (!(std::abs(st.sum - 1.0) < 1e-8) || st.min < -1e-8) {
    std::ostringstream os;
    os << "stationary distribution: mass " << st.sum << ", min entry " << st.min << "; the chain is not unichain";
    throw NumericalError(os.str());
  }
  S.clamp_scale(1.0 / st.sum, mu);
  return rep;
}

KrylovReport evaluate_krylov(VectorSpace& S, const SpaceOperator& apply_P, int g, int mu, int v, double* gain,
                             int work, const KrylovOptions& opt) {
  const int t = work, rhs = work + 1;
  require_slots(S, rhs, "policy evaluation");
  *gain = S.dot(mu, g);
  S.axpby(1.0, g, 0.0, rhs, -*gain);
  const SpaceOperator op = [&](int x, int y) {  // (I - P + 1 mu^T) x
    apply_P(x, t);
    S.deflate(x, t, kNoSlot, S.dot(mu, x), 0.0, y);
  };
  KrylovReport rep = gmres(S, op, rhs, v, work + 2, opt, "policy evaluation");
  S.axpby(0.0, kNoSlot, 1.0, v, -S.dot(mu, v));  // mu . v = 0 (zero in exact arithmetic)
  return rep;
}

KrylovReport apply_group_inverse(VectorSpace& S, const SpaceOperator& apply_P, int mu, int y, int z, int work,
                                 const KrylovOptions& opt) {
  double mean = 0.0;
  return evaluate_krylov(S, apply_P, y, mu, z, &mean, work, opt);
}

KrylovReport apply_group_inverse_transpose(VectorSpace& S, const SpaceOperator& apply_PT, int mu, int y, int z,
                                           int work, const KrylovOptions& opt) {
  // (I - P^T + mu 1^T) z = y - (1 . y) mu, then 1 . z = 0.
  const int t = work, rhs = work + 1;
  require_slots(S, rhs, "group inverse (transpose)");
  S.deflate(y, kNoSlot, mu, -S.stats(y).sum, 0.0, rhs);
  const SpaceOperator op = [&](int x, int out) {
    apply_PT(x, t);
    S.deflate(x, t, mu, S.stats(x).sum, 0.0, out);
  };
  KrylovReport rep = gmres(S, op, rhs, z, work + 2, opt, "group inverse (transpose)");
  S.axpby(-S.stats(z).sum, mu, 1.0, z, 0.0);
  return rep;
}

// ---- the std::vector interface: the same solves on a host space -----------------------------

namespace {

/// A host space holding the given vectors in slots 0, 1, ... and then the solves' work slots,
/// with a LinearOperator on its slots.
class HostSpace {
 public:
  HostSpace(std::initializer_list<const std::vector<double>*> vectors, const LinearOperator& A,
            const KrylovOptions& opt)
      : fixed_(static_cast<int>(vectors.size())),
        space_(kernels::host::make_vector_space((*vectors.begin())->size(), fixed_ + krylov_work_slots(opt))),
        op_(*space_, A) {
    int k = 0;
    for (const std::vector<double>* v : vectors) space_->upload(k++, v->data());
  }
  VectorSpace& space() { return *space_; }
  SpaceOperator op() { return std::ref(op_); }
  int work() const { return fixed_; }
  void result(int slot, std::vector<double>* out) { space_->download(slot, out->data()); }

 private:
  int fixed_;
  std::unique_ptr<VectorSpace> space_;
  HostOperator op_;
};

}  // namespace

KrylovReport gmres(const LinearOperator& A, const std::vector<double>& b, std::vector<double>& x,
                   const KrylovOptions& opt, const std::string& what) {
  if (x.size() != b.size()) x.assign(b.size(), 0.0);
  HostSpace h({&b, &x}, A, opt);
  const KrylovReport rep = gmres(h.space(), h.op(), 0, 1, h.work(), opt, what);
  h.result(1, &x);
  return rep;
}

KrylovReport stationary_krylov(const LinearOperator& apply_PT, std::vector<double>& mu, const KrylovOptions& opt) {
  HostSpace h({&mu}, apply_PT, opt);
  const KrylovReport rep = stationary_krylov(h.space(), h.op(), 0, h.work(), opt);
  h.result(0, &mu);
  return rep;
}

KrylovReport evaluate_krylov(const LinearOperator& apply_P, const std::vector<double>& g,
                             const std::vector<double>& mu, std::vector<double>& v, double* gain,
                             const KrylovOptions& opt) {
  if (v.size() != g.size()) v.assign(g.size(), 0.0);
  HostSpace h({&g, &mu, &v}, apply_P, opt);
  const KrylovReport rep = evaluate_krylov(h.space(), h.op(), 0, 1, 2, gain, h.work(), opt);
  h.result(2, &v);
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
  if (z.size() != y.size()) z.assign(y.size(), 0.0);
  HostSpace h({&mu, &y, &z}, apply_PT, opt);
  const KrylovReport rep = apply_group_inverse_transpose(h.space(), h.op(), 0, 1, 2, h.work(), opt);
  h.result(2, &z);
  return rep;
}

}  NETRL_NAMESPACE_END  // namespace netrl::linear
