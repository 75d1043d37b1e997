#!/usr/bin/env python3
"""Wall time of one `netrl sweep` against the same points as separate `netrl solve` processes.

The sweep is the count8-grid preset (count8 over 10 lambdas x 3 input flip probabilities) unless
--lambdas/--flips say otherwise. Both runs write every point's outputs. The floor is the solver's
own time: the sum of `elapsed_seconds` over the separate solves' result.json, and for the sweep the
longest unit's elapsed time (one batch, or units side by side on the threads); each run reports the
fraction of its wall time that is solving, and the sweep's speed-up over the separate processes.
It also checks that the sweep's table equals the separate solves to 1e-12 (gain, mean reward, mean
coding cost) and fails otherwise.

    python3 bench/sweep_vs_solves.py --netrl build/host/netrl [--repeats 3] [--lambdas 10 --flips 3]
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def grid(lambdas, flips):
    base = {"model": "network", "n": 8, "reward": {"kind": "count", "targets": [2, 6]}, "lambda": 0.114,
            "prior": "population", "solver": {"backend": "host"},
            "input": {"T": [[0.98, 0.02], [0.02, 0.98]]}}
    lam = [0.05 + (0.5 - 0.05) * k / (lambdas - 1) for k in range(lambdas)] if lambdas > 1 else [0.114]
    ps = [0.01 * (k + 1) for k in range(flips)]
    axes = [{"key": "lambda", "values": lam},
            {"key": "input.T", "values": [[[1 - p, p], [p, 1 - p]] for p in ps]}]
    return {"command": "solve", "base": base, "axes": axes}


def run(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netrl", required=True)
    ap.add_argument("--lambdas", type=int, default=10)
    ap.add_argument("--flips", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3, help="timed repetitions of each; the minimum is reported")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="netrl_sweep_bench_")
    try:
        sweep = grid(args.lambdas, args.flips)
        path = os.path.join(work, "grid.json")
        with open(path, "w") as f:
            json.dump(sweep, f)
        configs = []
        for lam in sweep["axes"][0]["values"]:
            for T in sweep["axes"][1]["values"]:
                c = json.loads(json.dumps(sweep["base"]))
                c["lambda"], c["input"]["T"] = lam, T
                p = os.path.join(work, "p%d.json" % len(configs))
                with open(p, "w") as f:
                    json.dump(c, f)
                configs.append(p)
        points = len(configs)
        best_sweep, best_separate, solve_sweep, solve_separate = float("inf"), float("inf"), 0.0, 0.0
        max_diff = 0.0
        for r in range(args.repeats):
            out = os.path.join(work, "sweep%d" % r)
            t = run([args.netrl, "sweep", path, "--quiet", "--out", out])
            with open(os.path.join(out, "table.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            if len(rows) != points:
                raise SystemExit("sweep table has %d rows, expected %d" % (len(rows), points))
            if t < best_sweep:
                best_sweep = t
                # Every point reports its unit's elapsed time (one batch, or units side by side on
                # the threads): the longest unit is the solving's share of the wall time.
                solve_sweep = max(float(row["elapsed_seconds"]) for row in rows)
            start = time.perf_counter()
            solve = 0.0
            for k, c in enumerate(configs):
                d = os.path.join(work, "solo%d_%d" % (r, k))
                run([args.netrl, "solve", c, "--out", d])
                with open(os.path.join(d, "result.json")) as f:
                    alone = json.load(f)
                solve += alone["elapsed_seconds"]
                # The sweep's row k (the first axis slowest, as the configurations above) against
                # the separate solve of the same point.
                for key in ("gain", "mean_reward", "mean_coding_cost"):
                    max_diff = max(max_diff, abs(float(rows[k][key]) - alone[key]))
            t = time.perf_counter() - start
            if t < best_separate:
                best_separate, solve_separate = t, solve
        print("points: %d (count8, %d lambdas x %d flip probabilities), best of %d" % (points, args.lambdas, args.flips,
                                                                                      args.repeats))
        print("netrl sweep (one process, batched): %.3f s wall, solver %.3f s, fraction %.2f" %
              (best_sweep, solve_sweep, solve_sweep / best_sweep))
        print("%d x netrl solve (separate processes): %.3f s wall, solver %.3f s, fraction %.2f" %
              (points, best_separate, solve_separate, solve_separate / best_separate))
        print("speed-up of the sweep: %.1fx" % (best_separate / best_sweep))
        print("max |sweep table - separate solve| over gain, mean_reward, mean_coding_cost: %.3g" % max_diff)
        if max_diff > 1e-12:
            raise SystemExit("the sweep's table differs from the separate solves by more than 1e-12")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
