"""Dense reference of the forward problem for tests/python/dense_check.py, written only from the
maths contract (MODEL.md, sections 1-3): stationary distributions, policy evaluation, the
unichain check, the plain prior loop with an inner soft policy or value iteration, and the dense
network and maze models. It does not read or mirror the C++ sources."""

import math

import numpy as np
from scipy.special import logsumexp

EPS_CLIP = 1e-9  # MODEL.md sec. 2: clip every prior to [eps, 1 - eps], eps = 1e-9


# --------------------------------------------------------------------------------------------
# Generic dense machinery (MODEL.md sec. 1 and 3)
# --------------------------------------------------------------------------------------------

def stationary(P):
    """mu P = mu, sum mu = 1, for a unichain row-stochastic P (bordered dense solve)."""
    N = P.shape[0]
    A = np.zeros((N + 1, N + 1))
    A[:N, :N] = np.eye(N) - P.T
    A[:N, N] = 1.0
    A[N, :N] = 1.0
    rhs = np.zeros(N + 1)
    rhs[N] = 1.0
    sol = np.linalg.solve(A, rhs)
    # the border unknown must vanish for a consistent system
    return sol[:N]


def evaluate(P, g):
    """Exact evaluation of a fixed policy with chain P and one-step payoff g = r - lambda c.

    Returns (L, v, mu) with (I - P) v + L 1 = g and sum mu v = 0 (the bordered system of the
    brief; mu solved separately first)."""
    N = P.shape[0]
    mu = stationary(P)
    A = np.zeros((N + 1, N + 1))
    A[:N, :N] = np.eye(N) - P
    A[:N, N] = 1.0
    A[N, :N] = mu
    rhs = np.zeros(N + 1)
    rhs[:N] = g
    sol = np.linalg.solve(A, rhs)
    v, L = sol[:N], sol[N]
    return L, v, mu


class UnichainError(RuntimeError):
    pass


def check_unichain(P):
    """MODEL.md sec. 1: the chain must be unichain (exactly one closed class; transient states
    allowed). Equivalent: some state is reachable from every state."""
    N = P.shape[0]
    R = (P > 0) | np.eye(N, dtype=bool)
    for _ in range(max(1, int(math.ceil(math.log2(N))) + 1)):  # transitive closure by squaring
        R = (R.astype(np.int64) @ R.astype(np.int64)) > 0
    if not R.all(axis=0).any():
        raise UnichainError("chain is not unichain (no state is reachable from every state)")


def at_clip(p):
    """Entries of a (clipped) prior that sit on the clip. "Hit the clip" (MODEL.md sec. 2) has two
    readings that differ only at the last outer iteration: the reported prior p is on the clip, or
    the last raw update p' fell outside [eps, 1 - eps] (p is then within prior_tol of the clip).
    solve() reports both: degenerate = (on the clip AND clipped last, on the clip OR clipped last);
    the C++ list must lie between the two. (Maze priors are renormalised after clipping, so on the
    clip means within a relative 1e-6 of eps.)"""
    p = np.asarray(p)
    return (p <= EPS_CLIP * (1 + 1e-6)) | (p >= 1 - EPS_CLIP * (1 + 1e-6))


def span(x):
    return float(np.max(x) - np.min(x))


def inner_policy_iteration(model, p, h0, max_iter=500):
    """Soft policy iteration for a fixed prior p, warm-started from h0. Returns the converged
    bias (normalised sum mu v = 0) and the iteration count."""
    h = h0.copy()
    for k in range(max_iter):
        G = model.greedy(h, p)
        L, v, mu = evaluate(G["P"], model.r - model.lam * G["c"])
        dv = np.max(np.abs(v - h - np.dot(mu, v - h))) if k > 0 else np.inf
        h = v
        scale = 1.0 + np.max(np.abs(v))
        if dv <= 1e-13 * scale:
            return h, k + 1
        if k > 0:
            # stop on the Bellman residual too (floating-point floor)
            if span(model.bellman(h, p) - h) < 1e-13 * scale:
                return h, k + 1
    raise RuntimeError("inner policy iteration did not converge")


def inner_value_iteration(model, p, h0, tol, max_sweeps=1_000_000, patience=20_000):
    """Soft relative value iteration h <- T h - (T h)(s_ref), s_ref = first consistent state,
    until span(T h - h) < tol. Gives up when the span has not reached a new minimum for
    `patience` sweeps (it sits on its floating-point floor)."""
    h = h0.copy()
    best, best_k = np.inf, 0
    for k in range(max_sweeps):
        Th = model.bellman(h, p)
        d = Th - h
        sp = span(d)
        if sp < tol:
            return h, k + 1, (float(np.min(d)), float(np.max(d)))
        if sp < best:
            best, best_k = sp, k
        elif k - best_k > patience:
            break
        h = Th - Th[0]
    raise RuntimeError("inner value iteration did not reach span < %g (smallest span %.3g after %d sweeps)"
                       % (tol, best, k + 1))


def solve(model, inner="pi", tol=1e-12, prior_tol=1e-12, max_outer=100_000):
    """The plain prior loop of MODEL.md sec. 3. Returns a dict of the final quantities (for the
    prior used in the last inner solve), with converged = False when max_outer was reached."""
    p = model.p0.copy()
    h = np.zeros(model.N)
    outer = 0
    inner_total = 0
    last_clipped = np.zeros(model.n_prior_entries, bool)
    converged = False
    # Soft policies have full support, so one check fixes the structure; it comes before any solve,
    # whose singular systems on a multichain chain give BLAS-dependent garbage (reference LAPACK
    # finds an exact zero pivot, OpenBLAS a tiny one, and policy iteration then never settles).
    check_unichain(model.greedy(h, p)["P"])
    while True:
        outer += 1
        if inner == "vi":
            h, k, _ = inner_value_iteration(model, p, h, tol)
        else:
            h, k = inner_policy_iteration(model, p, h)
        inner_total += k
        G = model.greedy(h, p)
        mu = stationary(G["P"])
        p_raw = model.new_prior(mu, G)
        p_new, clipped = model.clip_prior(p_raw)
        delta = float(np.max(np.abs(p_new - p)))
        last_clipped = clipped
        if delta < prior_tol:
            converged = True
            break
        if outer >= max_outer:
            break
        p = p_new
    # final report: greedy policy of the converged h for the prior p used in the last inner solve
    G = model.greedy(h, p)
    check_unichain(G["P"])
    g = model.r - model.lam * G["c"]
    L, v, mu = evaluate(G["P"], g)
    return dict(
        gain=float(L),
        values=v,
        mu=mu,
        prior=p,
        mean_reward=float(np.dot(mu, model.r)),
        mean_coding_cost=float(np.dot(mu, G["c"])),
        degenerate=model.degenerate(p, last_clipped),
        outer=outer,
        inner=inner_total,
        converged=converged,
        last_delta=delta,
    )


# --------------------------------------------------------------------------------------------
# Network of n binary neurons with a Markov input (MODEL.md sec. 2)
# --------------------------------------------------------------------------------------------

class Network:
    def __init__(self, n, T, rewards, lam, prior_mode, clamps):
        assert 1 <= n <= 8
        self.n = n
        self.T = np.asarray(T, float)
        self.m = self.T.shape[0]
        self.nb = 1 << n
        self.lam = float(lam)
        self.mode = prior_mode
        self.clamps = dict(clamps)  # neuron -> -1 / +1
        self.free = [i for i in range(n) if i not in self.clamps]
        self.nf = len(self.free)
        assert self.nf >= 1
        full_r = np.asarray(rewards, float)
        assert full_r.shape == (self.m * self.nb,)
        # consistent states s = x * 2^n + b
        b = np.arange(self.nb)
        ok = np.ones(self.nb, bool)
        for i, st in self.clamps.items():
            bit = (b >> i) & 1
            ok &= bit == (1 if st > 0 else 0)
        self.cons_b = b[ok]
        self.cons = np.array([x * self.nb + bb for x in range(self.m) for bb in self.cons_b])
        self.N = len(self.cons)
        self.full_to_cons = -np.ones(self.m * self.nb, int)
        self.full_to_cons[self.cons] = np.arange(self.N)
        self.r = full_r[self.cons]
        self.n_prior_entries = 1 if prior_mode == "population" else self.nf
        self.p0 = np.full(self.n_prior_entries, 0.5)
        self.xs = self.cons // self.nb
        self.bs = self.cons % self.nb

    def _prior_of(self, p, k):
        """prior of the k-th free neuron"""
        return p[0] if self.mode == "population" else p[k]

    def _w(self, v):
        """w(b, x) = sum_x' T(x'|x) v(b, x') as an (m, 2^n) array (inconsistent entries 0)."""
        V = np.zeros(self.m * self.nb)
        V[self.cons] = v
        V = V.reshape(self.m, self.nb)
        return self.T @ V  # W[x, b] = sum_x' T[x, x'] V[x', b]

    def greedy(self, v, p):
        """Greedy policy of v under prior p: Tv, cost c, chain P (over consistent states), rho."""
        W = self._w(v)
        s_scale = self.nf * self.lam
        Tv = self.r.copy()
        c = np.zeros(self.N)
        rho = np.zeros((self.nf, self.N))
        P = np.zeros((self.N, self.N))
        xs, bs = self.xs, self.bs
        for k, i in enumerate(self.free):
            pi = self._prior_of(p, k)
            b1 = bs | (1 << i)
            b0 = bs & ~(1 << i)
            w1 = W[xs, b1] / s_scale
            w0 = W[xs, b0] / s_scale
            z1 = math.log(pi) + w1
            z0 = math.log1p(-pi) + w0
            lse = np.logaddexp(z0, z1)
            r1 = np.exp(z1 - lse)
            r0 = np.exp(z0 - lse)
            rho[k] = r1
            Tv += self.lam * lse
            # KL[Bern(rho) || Bern(p)] with log(rho/p) = w1 - lse, log((1-rho)/(1-p)) = w0 - lse
            c += r1 * (w1 - lse) + r0 * (w0 - lse)
            # transitions: x' ~ T(.|x), neuron i chosen w.p. 1/nf, set to 1 w.p. rho
            for xp in range(self.m):
                t = self.T[xs, xp] / self.nf
                j1 = self.full_to_cons[xp * self.nb + b1]
                j0 = self.full_to_cons[xp * self.nb + b0]
                assert (j1 >= 0).all() and (j0 >= 0).all()
                rows = np.arange(self.N)
                P[rows, j1] += t * r1  # one entry per row in each call: no duplicate indices
                P[rows, j0] += t * r0
        return dict(Tv=Tv, c=c, P=P, rho=rho)

    def bellman(self, v, p):
        W = self._w(v)
        s_scale = self.nf * self.lam
        Tv = self.r.copy()
        xs, bs = self.xs, self.bs
        for k, i in enumerate(self.free):
            pi = self._prior_of(p, k)
            w1 = W[xs, bs | (1 << i)] / s_scale
            w0 = W[xs, bs & ~(1 << i)] / s_scale
            Tv += self.lam * np.logaddexp(math.log(pi) + w1, math.log1p(-pi) + w0)
        return Tv

    def new_prior(self, mu, G):
        p_i = G["rho"] @ mu  # p_i = sum_s mu(s) rho_i(s), one per free neuron
        if self.mode == "population":
            return np.array([p_i.mean()])
        return p_i

    def clip_prior(self, p):
        clipped = (p < EPS_CLIP) | (p > 1 - EPS_CLIP)
        return np.clip(p, EPS_CLIP, 1 - EPS_CLIP), clipped

    def degenerate(self, p, clipped):
        """(strict, loose) lists of neurons whose prior hit the clip; see at_clip()."""
        at = at_clip(p)
        if self.mode == "population":
            return (list(self.free) if (at[0] and clipped[0]) else [],
                    list(self.free) if (at[0] or clipped[0]) else [])
        return ([i for k, i in enumerate(self.free) if at[k] and clipped[k]],
                [i for k, i in enumerate(self.free) if at[k] or clipped[k]])

    def prior_per_neuron(self, p):
        out = [None] * self.n
        for k, i in enumerate(self.free):
            out[i] = float(self._prior_of(p, k))
        return out

    def full_vector(self, v, fill):
        out = np.full(self.m * self.nb, fill, float)
        out[self.cons] = v
        return out


# --------------------------------------------------------------------------------------------
# Maze (MODEL.md sec. 1)
# --------------------------------------------------------------------------------------------

MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # 0 up, 1 down, 2 left, 3 right


class Maze:
    def __init__(self, rows, slip, lam):
        self.rows = rows
        H, Wd = len(rows), len(rows[0])
        cells = [(y, x) for y in range(H) for x in range(Wd) if rows[y][x] != "#"]
        index = {c: k for k, c in enumerate(cells)}
        self.N = len(cells)
        self.lam = float(lam)
        self.r = np.array([1.0 if rows[y][x] == "R" else 0.0 for (y, x) in cells])
        starts = [index[c] for c in cells if rows[c[0]][c[1]] == "S"]
        assert len(starts) == 1
        S = starts[0]
        A = 4
        Pa = np.zeros((A, self.N, self.N))
        for k, (y, x) in enumerate(cells):
            if rows[y][x] == "R":
                Pa[:, k, S] = 1.0
                continue
            dest = []
            for dy, dx in MOVES:
                yy, xx = y + dy, x + dx
                if 0 <= yy < H and 0 <= xx < Wd and rows[yy][xx] != "#":
                    dest.append(index[(yy, xx)])
                else:
                    dest.append(k)
            for a in range(A):
                Pa[a, k, dest[a]] += 1.0 - slip
                for d in range(A):
                    Pa[a, k, dest[d]] += slip / A
        self.Pa = Pa
        self.Pa_flat = Pa.reshape(A * self.N, self.N)
        self.n_prior_entries = A
        self.p0 = np.full(A, 1.0 / A)

    def greedy(self, v, p):
        q = np.einsum("asj,j->sa", self.Pa, v)
        z = np.log(p)[None, :] + q / self.lam
        lse = logsumexp(z, axis=1)
        pi = np.exp(z - lse[:, None])
        Tv = self.r + self.lam * lse
        c = np.sum(pi * (q / self.lam - lse[:, None]), axis=1)  # log(pi/p) = q/lam - lse
        P = np.einsum("sa,asj->sj", pi, self.Pa)
        return dict(Tv=Tv, c=c, P=P, pi=pi)

    def bellman(self, v, p):
        q = (self.Pa_flat @ v).reshape(4, self.N).T
        return self.r + self.lam * logsumexp(np.log(p)[None, :] + q / self.lam, axis=1)

    def new_prior(self, mu, G):
        return mu @ G["pi"]

    def clip_prior(self, p):
        clipped = (p < EPS_CLIP) | (p > 1 - EPS_CLIP)
        q = np.clip(p, EPS_CLIP, 1 - EPS_CLIP)
        return q / q.sum(), clipped

    def degenerate(self, p, clipped):
        at = at_clip(p)
        return ([a for a in range(4) if at[a] and clipped[a]], [a for a in range(4) if at[a] or clipped[a]])
