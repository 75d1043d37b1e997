#!/usr/bin/env python3
"""netrl's MDP solver beside pymdptoolbox's relative value iteration, on the same random sparse MDPs.

The two solve different problems: netrl the information-constrained one (soft policies, coding
cost lambda, the action-prior loop; docs/mdp.md), pymdptoolbox the classical average-reward one
(hard max, no coding cost). pymdptoolbox is therefore a reference point for speed per sweep, not
for answers: the table gives each solver's time, its sweeps (netrl: inner sweeps or evaluations
over all prior-loop iterations; pymdptoolbox: iterations) and the time per sweep.

The MDPs: every row (s, a) moves to s + 1 (mod S) and to `successors - 1` other states drawn
uniformly, with weights uniform in [0.1, 1); state rewards uniform in [0, 1) (numpy seed 7).

    /usr/bin/python3 -m venv --system-site-packages /tmp/pm && /tmp/pm/bin/pip install pymdptoolbox
    /tmp/pm/bin/python bench/mdp_vs_pymdptoolbox.py --netrl build/host/netrl [--states 1000 10000 100000]

Exit status 77 (CTest: skipped) when pymdptoolbox is not importable; --smoke runs one tiny case.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def random_mdp(states, actions, successors, rng):
    """CSR rows (s, a) at s * actions + a: row_ptr, next_state, probability; and the rewards."""
    rows = states * actions
    next_state = np.empty((rows, successors), dtype=np.int64)
    next_state[:, 0] = (np.repeat(np.arange(states), actions) + 1) % states
    for r in range(rows):
        others = rng.choice(states - 1, size=successors - 1, replace=False)
        # States other than next_state[r, 0]: shift the draws past it.
        others = others + (others >= next_state[r, 0])
        next_state[r, 1:] = others
    weight = rng.uniform(0.1, 1.0, size=(rows, successors))
    probability = weight / weight.sum(axis=1, keepdims=True)
    row_ptr = np.arange(rows + 1, dtype=np.int64) * successors
    reward = rng.uniform(0.0, 1.0, size=states)
    return row_ptr, next_state.ravel(), probability.ravel(), reward


def run_netrl(netrl, folder, arrays, lam, method, tol):
    row_ptr, next_state, probability, reward = arrays
    for name, a in (("row_ptr", row_ptr), ("next_state", next_state), ("probability", probability),
                    ("reward", reward)):
        np.save(os.path.join(folder, name + ".npy"), a)
    config = {"model": "mdp", "lambda": lam, "reward": "reward.npy",
              "transitions": {"row_ptr": "row_ptr.npy", "next_state": "next_state.npy",
                              "probability": "probability.npy"},
              "solver": {"method": method, "tol": tol, "prior_tol": tol}}
    path = os.path.join(folder, "mdp.json")
    with open(path, "w") as f:
        json.dump(config, f)
    out = os.path.join(folder, "out-" + method)
    subprocess.run([netrl, "solve", path, "--out", out], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "result.json")) as f:
        result = json.load(f)
    return result["elapsed_seconds"], result["inner_iterations"], result["converged"]


def run_pymdptoolbox(mdp_module, sparse, arrays, states, actions, tol):
    row_ptr, next_state, probability, reward = arrays
    successors = len(next_state) // (states * actions)
    nxt = next_state.reshape(states, actions, successors)
    prob = probability.reshape(states, actions, successors)
    P = [sparse.csr_matrix((prob[:, a, :].ravel(), (np.repeat(np.arange(states), successors), nxt[:, a, :].ravel())),
                           shape=(states, states)) for a in range(actions)]
    R = np.repeat(reward[:, None], actions, axis=1)
    solver = mdp_module.RelativeValueIteration(P, R, epsilon=tol, max_iter=1_000_000)
    start = time.perf_counter()
    solver.run()
    return time.perf_counter() - start, solver.iter


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--netrl", required=True)
    parser.add_argument("--states", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--successors", type=int, default=4)
    parser.add_argument("--lambda", dest="lam", type=float, default=0.1)
    parser.add_argument("--tol", type=float, default=1e-8)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    try:
        import mdptoolbox.mdp as mdp_module
        import mdptoolbox.util
        import scipy.sparse as sparse
    except ImportError as e:
        print("skipped: pymdptoolbox is not importable (%s); see this script's docstring" % e)
        return 77
    # pymdptoolbox 4.0b3's input check subtracts a vector from the sparse row sums (an S x 1
    # matrix under current numpy), which broadcasts to a dense S x S array (75 GiB at 10^5
    # states). The rows built here sum to 1 by construction, so the check is skipped.
    mdptoolbox.util.check = lambda transitions, reward: None
    if args.smoke:
        args.states = [50]
    rng = np.random.default_rng(7)
    print("random sparse MDPs: %d actions, %d successors; netrl lambda %g, tol = prior_tol = %g; "
          "pymdptoolbox RelativeValueIteration epsilon %g" % (args.actions, args.successors, args.lam, args.tol, args.tol))
    print("%8s  %-26s %9s %8s %11s" % ("states", "solver", "seconds", "sweeps", "us/sweep"))
    with tempfile.TemporaryDirectory() as folder:
        for states in args.states:
            arrays = random_mdp(states, args.actions, args.successors, rng)
            for method in ("value_iteration", "policy_iteration"):
                seconds, sweeps, converged = run_netrl(args.netrl, folder, arrays, args.lam, method, args.tol)
                label = "netrl " + method + ("" if converged else " (not converged)")
                print("%8d  %-26s %9.3f %8d %11.1f" % (states, label, seconds, sweeps, 1e6 * seconds / max(sweeps, 1)))
            seconds, sweeps = run_pymdptoolbox(mdp_module, sparse, arrays, states, args.actions, args.tol)
            print("%8d  %-26s %9.3f %8d %11.1f" % (states, "pymdptoolbox RVI (hard)", seconds, sweeps,
                                                  1e6 * seconds / max(sweeps, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
