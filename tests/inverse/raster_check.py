#!/usr/bin/python3
"""Independent check of the parametric inverse at scale (`netrl infer`, method "parametric", on a
raster of an Ising network) against a plain scipy pseudo-likelihood fit.

Written from the documented model (docs/parametric.md, docs/config-sample.md): Glauber dynamics
of the pairwise value v = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j, whose policy is
rho_i = sigmoid((2 / (n lambda)) (h_i + sum_j J_ij s_j) + logit p). The script

1. draws couplings (logit units ~ N(0, 0.25 / n)) and fields (~ N(0, 0.09)) for n neurons,
2. samples a raster of T states (one chain, thinned by n) with `netrl sample`,
3. infers with `netrl infer` (method "parametric", reward on the visited states),
4. fits the same pseudo-likelihood (mean over samples of -sum_i log sigmoid(s_i z_i), ridge
   0.1 / T on the logit parameters, prior = the mean firing rate, as netrl documents) with
   scipy's L-BFGS-B to gtol 1e-12,

and checks: netrl's couplings equal scipy's to 1e-2 of their sampling error (the fits share one
optimum: the only difference is where each optimiser stops; measured 1.7e-3 at the defaults), both
fits' errors against the truth agree to 1e-3, that error is at the sampling level (below half the couplings' spread), the result reports
the visited states and the files exist. Exit 0 on success, 1 on a mismatch, 2 on usage errors.

    /usr/bin/python3 tests/inverse/raster_check.py --netrl build/host/netrl [--n 40] [--T 10000]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from scipy.optimize import minimize


def scipy_pseudo_likelihood(raster, lam, prior):
    T, n = raster.shape
    S = 2.0 * raster - 1.0
    lp = np.log(prior) - np.log1p(-prior)
    iu = np.triu_indices(n, 1)
    ridge = 0.1 / T

    def unpack(th):
        J = np.zeros((n, n))
        J[iu] = th[n:]
        return th[:n], J + J.T

    def f(th):
        h, J = unpack(th)
        u = S * (S @ J + h + lp)
        value = np.sum(np.logaddexp(0.0, -u)) / T
        G = -S / (1.0 + np.exp(u)) / T
        GJ = S.T @ G
        grad = np.concatenate([G.sum(0), (GJ + GJ.T)[iu]])
        return value + 0.5 * ridge * th @ th, grad + ridge * th

    res = minimize(f, np.zeros(n + len(iu[0])), jac=True, method="L-BFGS-B",
                   options={"maxiter": 20000, "gtol": 1e-12, "ftol": 1e-16})
    _, J = unpack(res.x)
    return J / (2.0 / (n * lam))  # value units, like netrl's J.npy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netrl", required=True)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--T", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.netrl = os.path.abspath(a.netrl)
    if not os.access(a.netrl, os.X_OK):
        print(f"no netrl binary at {a.netrl}")
        return 2
    n, T, lam = a.n, a.T, 0.05
    coupling = 2.0 / (n * lam)
    rng = np.random.default_rng(a.seed)
    Jl = np.triu(rng.normal(0.0, 0.5 / np.sqrt(n), (n, n)), 1)
    Jl = Jl + Jl.T
    hl = rng.normal(0.0, 0.3, n)
    work = tempfile.mkdtemp(prefix="netrl_raster_check_")
    ok = True
    try:
        np.save(os.path.join(work, "J.npy"), Jl / coupling)
        np.save(os.path.join(work, "h.npy"), hl / coupling)
        sample = {"model": "network", "n": n, "lambda": lam,
                  "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": 0.5},
                  "sampling": {"chains": 1, "steps": T * n, "thin": n, "burn_in": 20 * n, "seed": a.seed,
                               "record": {"raster_chains": [0]}}}
        infer = {"model": "network", "n": n, "lambda": lam, "method": "parametric", "states": "visited",
                 "data": {"raster": "smp/raster_chain0.npy"}}
        for name, cfg in (("sample.json", sample), ("infer.json", infer)):
            with open(os.path.join(work, name), "w") as fh:
                json.dump(cfg, fh)
        for cmd in (["sample", "sample.json", "--out", "smp"], ["infer", "infer.json", "--out", "inf"]):
            run = subprocess.run([a.netrl] + cmd, cwd=work, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"netrl {' '.join(cmd)} failed ({run.returncode}): {run.stderr}")
                return 1
        raster = np.load(os.path.join(work, "smp", "raster_chain0.npy")).astype(float)
        with open(os.path.join(work, "inf", "result.json")) as fh:
            result = json.load(fh)
        J_netrl = np.load(os.path.join(work, "inf", "J.npy"))
        J_scipy = scipy_pseudo_likelihood(raster, lam, np.array(result["prior"], float))
        off = ~np.eye(n, dtype=bool)
        truth = Jl / coupling
        err_netrl = np.sqrt(np.mean((J_netrl - truth)[off] ** 2))
        err_scipy = np.sqrt(np.mean((J_scipy - truth)[off] ** 2))
        diff = np.abs(J_netrl - J_scipy)[off].max()
        spread = np.sqrt(np.mean(truth[off] ** 2))
        visited = len(np.unique(raster, axis=0))

        def check(cond, what):
            nonlocal ok
            print(("ok   " if cond else "FAIL ") + what)
            ok = ok and bool(cond)

        check(result["converged"] and result["gradient_norm"] <= result["gradient_threshold"],
              f"converged: gradient norm {result['gradient_norm']:.3g} <= threshold {result['gradient_threshold']:.3g}"
              f" after {result['iterations']} iterations")
        check(result["states"] == "visited" and result["reward_shape"] == [visited]
              and result["data"]["visited_states"] == visited, f"reward on the {visited} visited states")
        for f in ("reward.npy", "target.npy", "values.npy", "visited_states.npy", "visits.npy", "J.npy", "h.npy"):
            check(os.path.exists(os.path.join(work, "inf", f)), f"wrote {f}")
        check(diff <= 1e-2 * err_scipy, f"netrl J = scipy J to {diff:.3g} (<= 1e-2 x sampling error {err_scipy:.3g})")
        check(abs(err_netrl - err_scipy) <= 1e-3 * err_scipy,
              f"errors against the truth agree: netrl {err_netrl:.5g}, scipy {err_scipy:.5g}")
        check(err_netrl < 0.5 * spread, f"error {err_netrl:.3g} below half the couplings' spread {spread:.3g}")
    finally:
        if a.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
