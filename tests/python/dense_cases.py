"""Seeded random cases of tests/python/dense_check.py: network and maze configs as the CLI reads
them, the fixed slot list, and the dense model of a config."""

import itertools
from collections import deque

import numpy as np

from dense_model import MOVES, Maze, Network

# --------------------------------------------------------------------------------------------
# Random cases
# --------------------------------------------------------------------------------------------

def random_T(rng, m, floor=0.05):
    T = floor + (1.0 - floor * m) * rng.dirichlet(np.ones(m), size=m)
    return T / T.sum(axis=1, keepdims=True)


def random_maze(rng, H=4, Wd=5, n_walls=4):
    while True:
        grid = [["." for _ in range(Wd)] for _ in range(H)]
        cells = [(y, x) for y in range(H) for x in range(Wd)]
        order = rng.permutation(len(cells))
        for k in order[:n_walls]:
            y, x = cells[k]
            grid[y][x] = "#"
        free = [c for c in cells if grid[c[0]][c[1]] == "."]
        s_k, r_k = rng.choice(len(free), size=2, replace=False)
        S, R = free[s_k], free[r_k]
        grid[S[0]][S[1]] = "S"
        grid[R[0]][R[1]] = "R"
        # connectivity of all free cells to S (4-neighbour)
        seen = {S}
        dq = deque([S])
        while dq:
            y, x = dq.popleft()
            for dy, dx in MOVES:
                c = (y + dy, x + dx)
                if 0 <= c[0] < H and 0 <= c[1] < Wd and grid[c[0]][c[1]] != "#" and c not in seen:
                    seen.add(c)
                    dq.append(c)
        if len(seen) == len(free):
            return ["".join(row) for row in grid]


def random_network_cfg(rng, n, mode, method, clamp, sparse, backend):
    m = int(rng.integers(1, 4))
    if clamp and n == 1:
        n = 2
    clamps = []
    if clamp:
        nc = int(rng.integers(1, min(2, n - 1) + 1))
        for i in rng.choice(n, size=nc, replace=False):
            clamps.append({"neuron": int(i), "state": int(rng.choice([-1, 1]))})
    if sparse:  # sparse binary rewards (can push priors to the clip); never all zero
        vals = (rng.random(m << n) < 0.25).astype(float)
        vals[rng.integers(m << n)] = 1.0
    else:
        vals = rng.random(m << n)
    cfg = {
        "model": "network",
        "n": int(n),
        "reward": {"kind": "table", "values": [float(x) for x in vals]},
        "lambda": float(rng.uniform(0.2, 1.0)),
        "prior": mode,
        "clamp": clamps,
        "solver": {"method": method, "backend": backend, "tol": 1e-12, "prior_tol": 1e-12},
    }
    if m > 1:
        cfg["input"] = {"T": random_T(rng, m).tolist()}
    return cfg


def random_maze_cfg(rng, method, rows=None):
    if rows is None:
        rows = random_maze(rng, 4, 5, int(rng.integers(2, 6)))
    return {
        "model": "maze",
        "map": rows,
        "slip": float(rng.uniform(0.02, 0.2)),
        "lambda": float(rng.uniform(0.05, 0.3)),
        "solver": {"method": method, "backend": "reference", "tol": 1e-12, "prior_tol": 1e-12},
    }


def case_slots():
    """(name, kind, parameters) of every slot: 3 rounds over prior mode x method x clamp for the
    networks (n fixed per slot so that n = 1 .. 6 all appear), then 4 mazes."""
    combos = list(itertools.product(["population", "neuron"], ["value_iteration", "policy_iteration"],
                                    [False, True]))
    ns = [1, 6, 2, 3, 4, 5, 6, 3, 2, 5, 4, 1, 3, 6, 2, 4, 5, 3, 1, 4, 2, 6, 3, 5]
    slots = []
    k = 0
    for rnd in range(3):
        for mode, method, clamp in combos:
            slots.append(("net%02d" % k, "network", dict(n=ns[k], mode=mode, method=method, clamp=clamp,
                                                         sparse=(k % 3 == 2))))
            k += 1
    for j in range(4):
        slots.append(("maze%d" % j, "maze", dict(method=["value_iteration", "policy_iteration"][j % 2])))
    # a fixed maze whose two right-most top cells lie behind R: reachable only through R, which
    # always leads back to S, so they are transient (mu = 0; unichain, not irreducible)
    slots.append(("maze4", "maze", dict(method="value_iteration", rows=[".SR..", "...##", ".....", "....#"])))
    return slots


def draw_case(rng, kind, par, backend):
    """One random config of a slot; network cases run on `backend`, mazes on the reference."""
    if kind == "network":
        return random_network_cfg(rng, par["n"], par["mode"], par["method"], par["clamp"], par["sparse"],
                                   backend)
    return random_maze_cfg(rng, par["method"], par.get("rows"))


def build_model(cfg):
    if cfg["model"] == "network":
        n = cfg["n"]
        T = cfg["input"]["T"] if "input" in cfg else [[1.0]]
        clamps = {c["neuron"]: c["state"] for c in cfg.get("clamp", [])}
        return Network(n, T, cfg["reward"]["values"], cfg["lambda"], cfg["prior"], clamps)
    return Maze(cfg["map"], cfg["slip"], cfg["lambda"])


def describe(cfg):
    if cfg["model"] == "network":
        m = len(cfg["input"]["T"]) if "input" in cfg else 1
        cl = ",".join("%d%s" % (c["neuron"], "+" if c["state"] > 0 else "-") for c in cfg["clamp"])
        return "n=%d m=%d lam=%.3f %-10s %-4s clamp=[%s]" % (
            cfg["n"], m, cfg["lambda"], cfg["prior"], "VI" if cfg["solver"]["method"][0] == "v" else "PI", cl)
    return "maze %s slip=%.3f lam=%.3f %s" % ("/".join(cfg["map"]), cfg["slip"], cfg["lambda"],
                                              "VI" if cfg["solver"]["method"][0] == "v" else "PI")


# --------------------------------------------------------------------------------------------
# Comparison against the CLI