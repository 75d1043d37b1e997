#!/usr/bin/python3
"""Independent dense check of the netrl forward solver against docs/MODEL.md (sections 1-3).

This file is written only from MODEL.md (the maths contract) and the CLI's documented config and
output formats; it does not read or mirror the C++ sources. It builds plain dense numpy matrices
over the consistent states of small networks (n <= 8) and small mazes, solves the forward problem
with the plain prior loop (inner soft policy iteration or soft relative value iteration), and
compares gain, prior, values (bias), stationary distribution, <r>, <c> and the degenerate flags
with what `netrl solve CONFIG.json --out DIR` writes. The dense reference is in dense_model.py,
the seeded cases in dense_cases.py.

Run with Debian's python (needs numpy and scipy):

    /usr/bin/python3 tests/python/dense_check.py [--netrl build/host/netrl] [--seed 1] [-v]

Cases (seeded, --seed): 24 networks (n = 1..6, m = 1..3 with T >= 0.05, table rewards, uniform
or sparse binary, lambda in [0.2, 1], population and per-neuron priors, with and without clamps,
value and policy iteration: 3 rounds over the 8 combinations), 4 random 4x5 mazes (walls, S and R
random, all free cells connected to S) and one fixed maze with transient cells behind R; a draw
whose plain prior loop needs more than --outer-budget outer iterations is redrawn (runtime). Then
two refusal checks: a sublinearly converging prior loop under an outer cap must come back
"converged": false with exit 3, and a maze with a region cut off from S must be an error.

Each case passes when gain, <r>, <c>, prior, degenerate flags, values (both normalised to
sum mu v = 0) and mu agree to --atol (default 1e-9), or, failing that, when the C++ answer is, to
--atol, the exact dense solution at the C++'s own prior, that prior is a fixed point of the prior
update and the gain equals the dense one (a symmetric start broken the other way, or a tiny prior
only determined to about prior_tol in absolute terms: see compare()). A value-iteration case that
netrl reports as not converged (exit 3) passes only if plain dense VI stalls above the same tol
at the same prior and netrl's unconverged answer is still exact at its prior. Every such case
prints its reason on its line.

Exit status 0 when every check passes, 1 on any mismatch, on any other case the C++ refuses or
does not converge on (a valid case is never skipped silently), or when the dense reference itself
fails; 2 on usage errors (e.g. the binary is missing).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from dense_cases import build_model, case_slots, describe, draw_case
from dense_model import EPS_CLIP, UnichainError, evaluate, inner_policy_iteration, solve, span

# --------------------------------------------------------------------------------------------

def run_cli(netrl, cfg, tmp, name):
    path = os.path.join(tmp, name + ".json")
    out = os.path.join(tmp, name + "_out")
    with open(path, "w") as f:
        json.dump(cfg, f)
    proc = subprocess.run([netrl, "solve", path, "--out", out], capture_output=True, text=True, timeout=120)
    res = None
    if os.path.exists(os.path.join(out, "result.json")):
        with open(os.path.join(out, "result.json")) as f:
            res = json.load(f)
    return proc, out, res


def reference(cfg, inner_mode, max_outer):
    model = build_model(cfg)
    inner = inner_mode
    if inner == "auto":
        inner = "vi" if cfg["solver"]["method"] == "value_iteration" else "pi"
    t0 = time.time()
    ref = solve(model, inner=inner, tol=cfg["solver"]["tol"], prior_tol=cfg["solver"]["prior_tol"],
                max_outer=max_outer)
    ref["seconds"] = time.time() - t0
    return model, ref


def read_cli(cfg, model, res, out, atol):
    """Structural checks of the CLI's outputs; returns (cpp dict or None, problems)."""
    problems = []

    def num(key):
        v = res.get(key)
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            problems.append("result.json[%r] = %r is not a finite number" % (key, v))
            return float("nan")
        return float(v)

    cpp = {}
    if res.get("converged") is not True:
        problems.append("result.json converged = %r" % res.get("converged"))
    if res.get("states") != model.N:
        problems.append("states = %r, expected %d consistent states" % (res.get("states"), model.N))
    cpp["gain"] = gain = num("gain")
    gb = res.get("gain_bounds")
    if not (isinstance(gb, list) and len(gb) == 2 and all(isinstance(x, (int, float)) for x in gb)):
        problems.append("gain_bounds malformed: %r" % (gb,))
        gb = None
    elif not (gb[0] - 1e-12 * (1 + abs(gain)) <= gain <= gb[1] + 1e-12 * (1 + abs(gain))):
        problems.append("gain %.15g outside gain_bounds %r" % (gain, gb))
    cpp["gain_bounds"] = gb
    cpp["mean_reward"], cpp["mean_coding_cost"] = mr, mc = num("mean_reward"), num("mean_coding_cost")
    if not abs(mr - cfg["lambda"] * mc - gain) <= atol:
        problems.append("gain %.15g != mean_reward - lambda * mean_coding_cost = %.15g"
                        % (gain, mr - cfg["lambda"] * mc))
    prior = res.get("prior")
    n_prior = model.n if cfg["model"] == "network" else 4
    if not isinstance(prior, list) or len(prior) != n_prior:
        problems.append("prior malformed: %r (want %d entries)" % (prior, n_prior))
        return None, problems
    for i, a in enumerate(prior):
        clamped = cfg["model"] == "network" and i in model.clamps
        if clamped and a is not None:
            problems.append("prior[%d] = %r for a clamped neuron (want null)" % (i, a))
        if not clamped and (a is None or isinstance(a, bool) or not isinstance(a, (int, float))
                            or not EPS_CLIP * (1 - 1e-6) <= a <= 1 - EPS_CLIP * (1 - 1e-6)):
            problems.append("prior[%d] = %r is not a number in [eps, 1 - eps]" % (i, a))
            return None, problems
    if cfg["model"] == "network" and model.mode == "population":
        shared = [prior[i] for i in model.free]
        if max(shared) != min(shared):
            problems.append("population prior not one shared value: %r" % shared)
    cpp["prior"] = prior
    cpp["degenerate"] = res.get("degenerate")
    if not isinstance(cpp["degenerate"], list):
        problems.append("degenerate malformed: %r" % cpp["degenerate"])
        return None, problems
    try:
        vals = np.load(os.path.join(out, "values.npy"))
        mu_c = np.load(os.path.join(out, "stationary.npy"))
    except Exception as e:  # noqa: BLE001
        problems.append("cannot read values.npy / stationary.npy: %s" % e)
        return None, problems
    if vals.dtype != np.float64 or mu_c.dtype != np.float64:
        problems.append("npy dtypes %s / %s, want float64" % (vals.dtype, mu_c.dtype))
    if cfg["model"] == "network":
        full = model.m * model.nb
        if vals.shape != (full,) or mu_c.shape != (full,):
            problems.append("npy shapes %s / %s, want (%d,)" % (vals.shape, mu_c.shape, full))
            return None, problems
        incons = np.ones(full, bool)
        incons[model.cons] = False
        if not np.all(np.isnan(vals[incons])):
            problems.append("values.npy not NaN at some inconsistent state")
        if np.any(mu_c[incons] != 0):
            problems.append("stationary.npy nonzero at some inconsistent state")
        v_c, m_c = vals[model.cons], mu_c[model.cons]
    else:
        if vals.shape != (model.N,) or mu_c.shape != (model.N,):
            problems.append("npy shapes %s / %s, want (%d,)" % (vals.shape, mu_c.shape, model.N))
            return None, problems
        v_c, m_c = vals, mu_c
    if not (np.all(np.isfinite(v_c)) and np.all(np.isfinite(m_c))):
        problems.append("non-finite values or stationary distribution at consistent states")
        return None, problems
    if abs(m_c.sum() - 1) > 1e-12 or m_c.min() < -1e-15:
        problems.append("netrl stationary distribution not a distribution (sum %.17g, min %.3g)"
                        % (m_c.sum(), m_c.min()))
    cpp["mu"], cpp["values"] = m_c, v_c
    return cpp, problems


def compare_solution(cfg, model, sol, cpp, atol):
    """Compare a dense solution with the CLI's; returns (problems, diffs, note)."""
    problems = []
    d = {}
    d["gain"] = abs(cpp["gain"] - sol["gain"])
    if not d["gain"] <= atol:
        problems.append("gain: netrl %.15g vs dense %.15g (|d| = %.3g)" % (cpp["gain"], sol["gain"], d["gain"]))
    gb = cpp["gain_bounds"]
    if gb is not None and not (gb[0] - atol <= sol["gain"] <= gb[1] + atol):
        problems.append("dense gain %.15g outside netrl gain_bounds %r" % (sol["gain"], gb))
    for key in ("mean_reward", "mean_coding_cost"):
        if not abs(cpp[key] - sol[key]) <= atol:
            problems.append("%s: netrl %.15g vs dense %.15g" % (key, cpp[key], sol[key]))
    want = model.prior_per_neuron(sol["prior"]) if cfg["model"] == "network" else [float(x) for x in sol["prior"]]
    d["prior"] = 0.0
    for i, (a, b) in enumerate(zip(cpp["prior"], want)):
        if b is None:
            continue
        d["prior"] = max(d["prior"], abs(a - b))
        if not abs(a - b) <= atol:
            problems.append("prior[%d]: netrl %.15g vs dense %.15g" % (i, a, b))
    deg = cpp["degenerate"]
    strict, loose = sol["degenerate"]
    note = ""
    if not (set(strict) <= set(deg) <= set(loose)):
        problems.append("degenerate: netrl %r vs dense %r (on the clip and clipped last) .. %r (either)"
                        % (deg, strict, loose))
    elif strict != loose:
        note = " [degenerate borderline: netrl %r, dense %r..%r]" % (deg, strict, loose)
    m_c, v_c = cpp["mu"], cpp["values"]
    d["mu"] = float(np.max(np.abs(m_c - sol["mu"])))
    if not d["mu"] <= atol:
        k = int(np.argmax(np.abs(m_c - sol["mu"])))
        problems.append("mu: max |d| = %.3g at consistent state %d (netrl %.15g, dense %.15g)"
                        % (d["mu"], k, m_c[k], sol["mu"][k]))
    v_norm = v_c - np.dot(m_c, v_c)
    r_norm = sol["values"] - np.dot(sol["mu"], sol["values"])
    d["values"] = float(np.max(np.abs(v_norm - r_norm)))
    if not d["values"] <= atol:
        k = int(np.argmax(np.abs(v_norm - r_norm)))
        problems.append("values: max |d| = %.3g at consistent state %d (netrl %.15g, dense %.15g; "
                        "netrl sum mu v before normalising = %.3g)"
                        % (d["values"], k, v_norm[k], r_norm[k], np.dot(m_c, v_c)))
        off = v_norm - r_norm
        if span(off) <= atol:
            problems.append("  (values differ by a constant %.3g: normalisation convention)" % off.mean())
    return problems, d, note


def solution_at_prior(model, cfg, prior_list):
    """Dense solution for a prior given in the CLI's format (no prior loop): the converged inner
    problem, its greedy policy's exact gain, bias and mu, and the prior update p' it implies."""
    if cfg["model"] == "network":
        pf = np.array([prior_list[i] for i in model.free], float)
        p = pf[:1] if model.mode == "population" else pf
    else:
        p = np.array(prior_list, float)
    h, _ = inner_policy_iteration(model, p, np.zeros(model.N))
    G = model.greedy(h, p)
    L, v, mu = evaluate(G["P"], model.r - model.lam * G["c"])
    p_new, clipped = model.clip_prior(model.new_prior(mu, G))
    return dict(gain=float(L), values=v, mu=mu, prior=p, mean_reward=float(np.dot(mu, model.r)),
                mean_coding_cost=float(np.dot(mu, G["c"])), degenerate=model.degenerate(p, clipped),
                prior_update=float(np.max(np.abs(p_new - p))))


def vi_floor(model, p, tol, max_sweeps=150_000, patience=20_000):
    """Run plain soft relative VI from h = 0 at prior p; returns (reached tol, smallest span,
    sweeps). Stops early once the span has not reached a new minimum for `patience` sweeps (it
    sits on its floating-point floor)."""
    h = np.zeros(model.N)
    best, best_k = np.inf, 0
    for k in range(max_sweeps):
        Th = model.bellman(h, p)
        sp = span(Th - h)
        if sp < tol:
            return True, sp, k + 1
        if sp < best:
            best, best_k = sp, k
        elif k - best_k > patience:
            break
        h = Th - Th[0]
    return False, best, k + 1


def refused_value_iteration(name, cfg, model, ref, res, out, atol, t_cpp):
    """netrl said "not converged" (exit 3) on a value-iteration case. That is an agreed refusal,
    not a mismatch, iff plain VI in the dense reference cannot reach the same span tolerance at
    the prior where netrl stopped either (span(T h - h) stagnates on a floating-point floor above
    tol: near-periodic chains keep rounding noise alive in the mode with eigenvalue near -1).
    Even then the unconverged answer must not be silently wrong: it must match, to atol, the exact
    dense solution at the prior netrl reports."""
    problems = []
    cpp, structural = read_cli(cfg, model, res, out, atol)
    structural = [x for x in structural if not x.startswith("result.json converged")]
    if cpp is None:
        return False, None, structural
    pl = cpp["prior"]
    if cfg["model"] == "network":
        pf = np.array([pl[i] for i in model.free], float)
        p = pf[:1] if model.mode == "population" else pf
    else:
        p = np.array(pl, float)
    reached, floor, sweeps = vi_floor(model, p, cfg["solver"]["tol"])
    alt = solution_at_prior(model, cfg, pl)
    alt_problems, d_alt, _ = compare_solution(cfg, model, alt, cpp, atol)
    alt_problems = [x for x in alt_problems if not x.startswith("degenerate")]
    if reached:
        problems.append("netrl value iteration did not converge (exit 3, %s inner sweeps), but plain dense VI "
                        "reaches span < %g in %d sweeps at the same prior" % (res.get("inner_iterations"),
                                                                             cfg["solver"]["tol"], sweeps))
    problems += structural + ["unconverged netrl answer vs the exact dense solution at its prior: " + x
                              for x in alt_problems]
    line = ("%-7s %-60s REFUSED (exit 3, not converged after %s outer / %s inner) and agreed: dense VI at "
            "netrl's prior stalls at span %.2e > tol %.0e after %d sweeps; netrl's unconverged answer vs exact "
            "dense at that prior: dL=%.0e dv=%.0e dmu=%.0e; the dense PI loop converges (outer %d, L=%.10f)"
            % (name, describe(cfg)[:60], res.get("outer_iterations"), res.get("inner_iterations"), floor,
               cfg["solver"]["tol"], sweeps, d_alt["gain"], d_alt["values"], d_alt["mu"], ref["outer"],
               ref["gain"]))
    return not problems, line, problems


def compare(name, cfg, model, ref, netrl, tmp, atol, verbose):
    """Returns (ok, line, problems)."""
    t_py = ref["seconds"]
    t0 = time.time()
    proc, out, res = run_cli(netrl, cfg, tmp, name)
    t_cpp = time.time() - t0
    if proc.returncode == 3 and res is not None and res.get("converged") is False \
            and cfg["solver"]["method"] == "value_iteration":
        return refused_value_iteration(name, cfg, model, ref, res, out, atol, t_cpp)
    if proc.returncode != 0:
        return False, None, ["netrl exited with status %d on a valid case (a refused or unconverged case "
                             "is a failure, never a skip): %s" % (proc.returncode, proc.stderr.strip()[-500:])]
    if res is None:
        return False, None, ["netrl exited 0 but wrote no result.json"]
    cpp, problems = read_cli(cfg, model, res, out, atol)
    if cpp is None:
        return False, None, problems
    sol_problems, d, note = compare_solution(cfg, model, ref, cpp, atol)
    if sol_problems:
        # Two legitimate ways for the CLI's answer to differ from the dense reference's without
        # either being wrong; both are accepted only if the CLI's answer is, to atol, the exact
        # dense solution at the CLI's own prior (gain, bias, mu, <r>, <c>, degenerate), that prior
        # is a fixed point of the prior update, and the gain equals the dense reference's.
        #  (a) the prior loops ended on different fixed points: from an exactly symmetric start
        #      (neurons the reward does not tell apart) the plain loop sits on an unstable
        #      symmetric point that rounding breaks either way;
        #  (b) the priors agree to atol but a prior close to the clip is only determined to
        #      about prior_tol in absolute terms, i.e. poorly in log p, and the bias depends on
        #      log p (d(Tv)/d log p(a) = lambda pi(a|s)): two correct loops that stop at
        #      |p' - p| < prior_tol can then differ in the values by more than atol.
        alt = solution_at_prior(model, cfg, cpp["prior"])
        alt_problems, d_alt, note = compare_solution(cfg, model, alt, cpp, atol)
        if alt["prior_update"] > 1e-10:
            alt_problems.append("the netrl prior is not a fixed point of the prior update: |p' - p| = %.3g"
                                % alt["prior_update"])
        if not abs(alt["gain"] - ref["gain"]) <= atol:
            alt_problems.append("netrl ended on another fixed point with a different gain (%.15g vs dense "
                                "%.15g)" % (alt["gain"], ref["gain"]))
        if alt_problems:
            problems += sol_problems + ["as the exact solution at its own prior, the netrl answer fails too:"] + \
                ["  " + x for x in alt_problems]
        elif d["prior"] > atol:
            note += (" [netrl ended on another fixed point of equal gain (symmetry broken the other way): "
                     "prior netrl %s vs dense %s; netrl's answer verified at its own prior: dv=%.0e dmu=%.0e "
                     "|p'-p|=%.0e]" % (["%.3g" % x if x is not None else None for x in cpp["prior"]],
                                        ["%.3g" % x if x is not None else None for x in
                                         (model.prior_per_neuron(ref["prior"]) if cfg["model"] == "network"
                                          else ref["prior"])],
                                        d_alt["values"], d_alt["mu"], alt["prior_update"]))
        else:
            pc = np.array([x for x in cpp["prior"] if x is not None])
            pr = np.asarray(model.prior_per_neuron(ref["prior"]) if cfg["model"] == "network" else ref["prior"])
            pr = np.array([x for x in pr if x is not None], float)
            k = int(np.argmax(np.abs(np.log(pc) - np.log(pr))))
            note += (" [values/mu differ by dv=%.0e dmu=%.0e although the priors agree to %.0e: prior %d = %.3g "
                     "differs by %.1e relative (ill-conditioned in log p); netrl's answer verified at its own "
                     "prior: dv=%.0e dmu=%.0e dL=%.0e |p'-p|=%.0e]"
                     % (d["values"], d["mu"], d["prior"], k, pc[k], abs(pc[k] - pr[k]) / pr[k], d_alt["values"],
                        d_alt["mu"], d_alt["gain"], alt["prior_update"]))
    line = ("%-7s %-60s L=% .10f dL=%.0e dp=%.0e dv=%.0e dmu=%.0e outer=%d/%s py=%.2fs cpp=%.2fs"
            % (name, describe(cfg)[:60], ref["gain"], d["gain"], d["prior"], d["values"], d["mu"], ref["outer"],
               res.get("outer_iterations"), t_py, t_cpp))
    line += note
    if verbose:
        line += "\n        prior dense %s  netrl %s  degenerate %s" % (
            np.array2string(np.asarray(ref["prior"]), precision=6), cpp["prior"], ref["degenerate"])
    return not problems, line, problems


# A network whose per-neuron prior loop converges sublinearly (the paper's "trivial solution":
# neurons freeze, a neutral neuron's prior drifts): the plain loop does not reach prior_tol in
# any reasonable number of outer iterations. With a small outer-iteration cap the C++ must say
# so (exit status 3, "converged": false), never return it as a converged answer.
SLOW_CASE = {
    "model": "network", "n": 4, "lambda": 0.7188542781144924, "prior": "neuron", "clamp": [],
    "reward": {"kind": "table", "values": [0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]},
    "solver": {"method": "policy_iteration", "backend": "reference", "tol": 1e-12, "prior_tol": 1e-12,
               "max_outer_iterations": 200},
}
# A maze with a walled-off region that does not contain S: two closed classes, the chain is
# multichain (MODEL.md sec. 1: must be reported as an error).
MULTICHAIN_MAZE = {
    "model": "maze", "map": ["S.#..", "...#.", "R.#.."], "slip": 0.05, "lambda": 0.13,
    "solver": {"method": "policy_iteration", "backend": "reference", "tol": 1e-12, "prior_tol": 1e-12},
}


def refusal_checks(netrl, tmp, atol):
    """Cases the C++ must refuse (or flag), checked against the dense reference's own verdict."""
    problems = []
    # 1. not converged within the outer cap
    cap = SLOW_CASE["solver"]["max_outer_iterations"]
    model, ref = reference(SLOW_CASE, "pi", cap)
    proc, out, res = run_cli(netrl, SLOW_CASE, tmp, "refuse_slow")
    line = "refuse  slow prior loop (cap %d outer): dense converged=%s |dp|=%.2e; netrl exit %d" % (
        cap, ref["converged"], ref["last_delta"], proc.returncode)
    if ref["converged"]:
        problems.append("slow case: the dense reference converged within %d outer iterations; the check "
                        "is void" % cap)
    if proc.returncode == 0 or (res is not None and res.get("converged") is not False):
        problems.append("slow case: netrl exit %d, converged=%r: an unconverged solve must be flagged"
                        % (proc.returncode, None if res is None else res.get("converged")))
    if res is not None and isinstance(res.get("gain"), (int, float)):
        # informational: the same plain loop stopped at the same outer iteration
        line += ", converged=%r outer=%r, |dL| vs dense at the same cap = %.1e" % (
            res.get("converged"), res.get("outer_iterations"), abs(res["gain"] - ref["gain"]))
    print(("ok   " if not problems else "FAIL ") + line)
    # 2. multichain maze
    model = build_model(MULTICHAIN_MAZE)
    try:
        solve(model, max_outer=50)
        dense_verdict = "accepted"
    except UnichainError:
        dense_verdict = "multichain"
    proc, out, res = run_cli(netrl, MULTICHAIN_MAZE, tmp, "refuse_multichain")
    err = (proc.stderr.strip().splitlines() or [""])[-1]
    line = "refuse  multichain maze %s: dense %s; netrl exit %d (%s)" % (
        "/".join(MULTICHAIN_MAZE["map"]), dense_verdict, proc.returncode, err[:90])
    p2 = []
    if dense_verdict != "multichain":
        p2.append("multichain maze: the dense reference did not detect it; the check is void")
    if proc.returncode == 0 or (res is not None and res.get("converged") is True):
        p2.append("multichain maze: netrl exit %d with result %s: a multichain chain must be an error"
                  % (proc.returncode, "written" if res is not None else "absent"))
    print(("ok   " if not p2 else "FAIL ") + line)
    return problems + p2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    default_bin = os.path.normpath(os.path.join(here, "..", "..", "build", "host", "netrl"))
    ap.add_argument("--netrl", default=default_bin, help="path to the netrl CLI (default %(default)s)")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--atol", type=float, default=1e-9)
    ap.add_argument("--inner", choices=["auto", "pi", "vi"], default="pi",
                    help="inner solver of the dense reference: pi (soft policy iteration, default), "
                         "vi (soft relative value iteration) or auto (same method as the case)")
    ap.add_argument("--outer-budget", type=int, default=400,
                    help="a random draw whose plain prior loop needs more outer iterations than this "
                         "(in the dense reference) is redrawn, to keep the run short (default %(default)s)")
    ap.add_argument("--only", default=None, help="comma-separated case names to run")
    ap.add_argument("--no-refusal", action="store_true", help="skip the refusal checks")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--backend", choices=["reference", "host"], default="reference",
                    help="backend of the network cases (both methods run on either)")
    args = ap.parse_args()
    if not (os.path.isfile(args.netrl) and os.access(args.netrl, os.X_OK)):
        print("dense_check: netrl binary not found at %s (build it: cmake --build build --target netrl)"
              % args.netrl, file=sys.stderr)
        return 2
    slots = case_slots()
    if args.only:
        keep = set(args.only.split(","))
        slots = [sl for sl in slots if sl[0] in keep]
    failures = []
    n_run = 0
    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="netrl_dense_check_") as tmp:
        for idx, (name, kind, par) in enumerate(case_slots()):
            if args.only and name not in keep:
                continue
            rng = np.random.default_rng([args.seed, idx])
            redraws = 0
            while True:
                cfg = draw_case(rng, kind, par, args.backend)
                try:
                    model, ref = reference(cfg, args.inner, args.outer_budget)
                except Exception as e:  # noqa: BLE001 - the reference failed: report, never skip
                    model, ref = None, e
                    break
                if ref["converged"] or redraws >= 20:
                    break
                redraws += 1
            n_run += 1
            if isinstance(ref, Exception):
                ok, line, problems = False, None, ["dense reference failed: %r" % ref]
            elif not ref["converged"]:
                ok, line, problems = False, None, ["no draw converged within the outer budget"]
            else:
                ok, line, problems = compare(name, cfg, model, ref, args.netrl, tmp, args.atol, args.verbose)
            if line:
                if redraws:
                    line += " (redrawn %d)" % redraws
                print(("ok   " if ok else "FAIL ") + line, flush=True)
            else:
                print("FAIL %-7s %s" % (name, describe(cfg)), flush=True)
            if not ok:
                for p in problems:
                    print("       - " + p)
                failures.append((name, cfg, problems))
        if not args.no_refusal:
            problems = refusal_checks(args.netrl, tmp, args.atol)
            n_run += 2
            if problems:
                failures.append(("refusal", None, problems))
    print("%d checks, %d failed, %.1f s" % (n_run, len(failures), time.time() - t_start))
    if failures:
        print("\nMISMATCH REPORT")
        for name, cfg, problems in failures:
            print("case %s: %s" % (name, describe(cfg) if cfg else ""))
            for p in problems:
                print("  - " + p)
            if cfg:
                print("  config: %s" % json.dumps(cfg))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
