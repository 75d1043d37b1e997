#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/), in each target's
input format (see the header comment of fuzz_<target>.cpp):

  config  one byte (0 solve, 1 sample, 2 infer; taken modulo 3) then the JSON text; files named
          relative to the fuzz scratch directory (sol, smp, r.npy, J.npy, h.npy, raster.npy,
          inputs.npy, map.txt)
  npy     a .npy file
  maze    one byte (the slip, byte / 255) then the map text
  dirs    one byte (0 solution of a network n = 2, 1 solution of the maze S.#/..R, 2 sample
          directory of n = 2) then result.json, values/histogram and stationary/transitions,
          separated by "\\n--part--\\n"

The seeds are committed; python3 tests/fuzz/make_seeds.py regenerates them (it also takes the
configuration files of tests/hardening/corpus as config seeds).
"""
import glob
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
SEP = b"\n--part--\n"


def npy(header, data=b"", major=1):
    h = header.encode()
    prefix = 10 if major == 1 else 12
    total = prefix + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    length = struct.pack("<H", len(h)) if major == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([major, 0]) + length + h + data


def hdr(descr, shape, order="False"):
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, order, shape)


def f8(values):
    return struct.pack("<%dd" % len(values), *values)


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    # --- config -------------------------------------------------------------------------------
    net = {"model": "network", "n": 2, "lambda": 0.5, "reward": {"kind": "count", "targets": [1]}}
    configs = {
        "solve_count": (0, net),
        "solve_input": (0, {"model": "network", "n": 3, "input": {"T": [[0.9, 0.1], [0.2, 0.8]]}, "lambda": 0.3,
                            "reward": {"kind": "count", "targets": [1, 2]}, "prior": "neuron",
                            "clamp": [{"neuron": 2, "state": -1}],
                            "solver": {"method": "policy_iteration", "tol": 1e-9, "max_iterations": 1000,
                                       "backend": "host", "precision": "float32", "p0": 0.4, "threads": 1}}),
        "solve_table": (0, {"model": "network", "n": 1, "lambda": 0.2, "reward": {"kind": "table", "values": [0, 1]}}),
        "solve_table_file": (0, {"model": "network", "n": 1, "lambda": 0.2, "reward": {"kind": "table", "file": "r.npy"},
                                 "input": {"T": [[0.5, 0.5], [0.5, 0.5]]}}),
        "solve_ring": (0, {"model": "network", "n": 4, "lambda": 0.2, "reward": {"kind": "ring_bump", "width": 2}}),
        "solve_maze": (0, {"model": "maze", "map": ["S..", ".#.", "..R"], "slip": 0.1, "lambda": 0.13}),
        "solve_maze_file": (0, {"model": "maze", "map_file": "map.txt", "lambda": 0.13}),
        "solve_mdp_files": (0, {"model": "mdp", "lambda": 0.1, "reward": "mdp_reward.npy",
                                "transitions": {"row_ptr": "mdp_row_ptr.npy", "next_state": "mdp_next.npy",
                                                "probability": "mdp_prob.npy"}}),
        "solve_mdp_inline": (0, {"model": "mdp", "lambda": 0.1, "reward": [0, 1], "allow_transient": False,
                                 "transitions": {"row_ptr": [0, 2, 3, 4, 6], "next_state": [0, 1, 1, 0, 0, 1],
                                                 "probability": [0.5, 0.5, 1, 1, 0.3, 0.7]},
                                 "solver": {"method": "policy_iteration", "backend": "host"}}),
        "solve_mdp_dense": (0, {"model": "mdp", "lambda": 0.2, "reward": "mdp_reward.npy",
                                "transitions": {"dense": "mdp_dense.npy"}}),
        "solve_mdp_dense_inline": (0, {"model": "mdp", "lambda": 0.2, "reward": [1, 0],
                                       "transitions": {"dense": [[[0.5, 0.5], [1, 0]], [[0, 1], [0.3, 0.7]]]}}),
        "sample_exact": (1, {"model": "network", "n": 2, "lambda": 0.5, "policy": {"kind": "exact", "dir": "sol"},
                             "sampling": {"chains": 4, "steps": 100, "burn_in": 10, "thin": 2, "seed": 3,
                                          "record": {"histogram": True, "transitions": True, "correlations": True,
                                                     "raster_chains": [0]}}}),
        "sample_ising": (1, {"model": "network", "n": 2, "lambda": 0.5,
                             "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": [0.3, 0.4]},
                             "sampling": {"chains": 2, "steps": 10, "kernel": "direct", "backend": "host"}}),
        "sample_large_n": (1, {"model": "network", "n": 50, "lambda": 0.5, "clamp": [{"neuron": 49, "state": 1}],
                               "policy": {"kind": "ising", "J": "J.npy"}, "sampling": {"chains": 2, "steps": 10}}),
        "infer_solution": (2, {"model": "network", "n": 2, "lambda": 0.5, "data": {"solution": "sol"},
                               "true_reward": {"kind": "count", "targets": [1]}, "method": "policy",
                               "predict": [{"name": "p", "lambda": 0.4, "keep_coding_cost": True,
                                            "clamp": [{"neuron": 0, "state": 1}]}]}),
        "infer_samples": (2, {"model": "network", "n": 2, "lambda": 0.5, "data": {"samples": "smp", "min_visits": 2},
                              "method": "ml", "optimizer": {"max_iterations": 50, "tolerance": 1e-6, "ridge": 0.1}}),
        "infer_raster": (2, {"model": "network", "n": 2, "lambda": 0.5, "input": {"T": [[1.0]]},
                             "data": {"raster": "raster.npy", "inputs": "inputs.npy"},
                             "method": "parametric", "reward_model": "pairwise", "true_reward": "r.npy",
                             "predict": [{"coupling_mask": [[0, 1], [1, 0]]}]}),
        "infer_maze": (2, {"model": "maze", "map_file": "map.txt", "lambda": 0.5, "data": {"solution": "sol"},
                           "true_reward": "map", "predict": [{"map": ["S.R"], "slip": 0.2}]}),
    }
    for name, (selector, cfg) in configs.items():
        put("config", name, bytes([selector]) + json.dumps(cfg).encode())
    put("config", "duplicate_key", b"\x00" + b'{"model": "network", "n": 2, "n": 3}')
    put("config", "deep", b"\x00" + b'{"n": ' + b"[" * 70 + b"]" * 70 + b"}")
    corpus = os.path.join(HERE, "..", "hardening", "corpus")
    selectors = {"solve": 0, "maze": 0, "sample": 1, "infer": 2, "control": 0}
    for path in sorted(glob.glob(os.path.join(corpus, "*", "*.json"))):
        kind = os.path.basename(os.path.dirname(path))
        if kind not in selectors or os.path.getsize(path) > 4000:
            continue
        with open(path, "rb") as f:
            put("config", "corpus_%s_%s" % (kind, os.path.basename(path)[:-5]), bytes([selectors[kind]]) + f.read())

    # --- npy ----------------------------------------------------------------------------------
    arrays = {
        "f8_1d": npy(hdr("<f8", "(3,)"), f8([1, 2, 3])),
        "f8_2d": npy(hdr("<f8", "(2, 3)"), f8([1, 2, 3, 4, 5, 6])),
        "f8_scalar": npy(hdr("<f8", "()"), f8([1])),
        "f8_empty": npy(hdr("<f8", "(0,)")),
        "f8_v2": npy(hdr("<f8", "(2,)"), f8([1, 2]), major=2),
        "f8_v3": npy(hdr("<f8", "(2,)"), f8([1, 2]), major=3),
        "f8_fortran_1d": npy(hdr("<f8", "(2,)", "True"), f8([1, 2])),
        "f4": npy(hdr("<f4", "(2,)"), struct.pack("<2f", 1, 2)),
        "i8": npy(hdr("<i8", "(2,)"), struct.pack("<2q", -1, 2)),
        "i4": npy(hdr("<i4", "(2,)"), struct.pack("<2i", -1, 2)),
        "u8": npy(hdr("<u8", "(2,)"), struct.pack("<2Q", 1, 2)),
        "u4": npy(hdr("<u4", "(2,)"), struct.pack("<2I", 1, 2)),
        "u1": npy(hdr("|u1", "(2, 2)"), bytes([0, 1, 1, 0])),
        "i1": npy(hdr("|i1", "(2,)"), bytes([255, 1])),
        "b1": npy(hdr("|b1", "(2,)"), bytes([0, 1])),
        "double_quotes": npy('{"descr": "<f8", "fortran_order": False, "shape": (1,)}', f8([1])),
        "key_order": npy("{'shape': (1,), 'descr': '<f8', 'fortran_order': False}", f8([1])),
        "wrap": npy(hdr("|u1", "(9223372036854775808, 2)")),
        "negative": npy(hdr("<f8", "(-1,)"), f8([1])),
    }
    for name, data in arrays.items():
        put("npy", name, data)

    # --- maze ---------------------------------------------------------------------------------
    default = ["S......#.......", ".#####.#.#####.", ".#.....#.....#.", ".#.#######.#.#.", ".#.......#.#...",
               ".#####.#.#.###.", ".....#.#...#...", "####.#.#####.##", ".....#.....#...", ".###.#####.###.",
               ".#.......#.....", ".#.#####.#####.", ".#.#...#.....#.", "...#.#.#####.#.", "####.#.......#R"]
    mazes = {
        "default": "\n".join(default) + "\n",
        "small": "S..\n.#.\n..R\n",
        "crlf": "S.R\r\n...\r\n",
        "blank_lines": "\n\nS.R\n\n",
        "two_rewards": "S.R\nR..\n",
        "unreachable": "S#R\n##.\n",
        "ragged": "S..\n.R\n",
        "bad_char": "S.x\n..R\n",
    }
    for name, text in mazes.items():
        put("maze", name, bytes([13]) + text.encode())

    # --- dirs ---------------------------------------------------------------------------------
    sol = {"model": "network", "n": 2, "m": 1, "lambda": 0.5, "prior": [0.4, 0.4], "degenerate": [], "gain": 0.3,
           "mean_reward": 0.5, "mean_coding_cost": 0.4, "converged": True, "prior_mode": "population"}
    values, mu = npy(hdr("<f8", "(4,)"), f8([0.1, -0.2, 0.3, -0.2])), npy(hdr("<f8", "(4,)"), f8([0.25] * 4))
    put("dirs", "solution", b"\x00" + json.dumps(sol).encode() + SEP + values + SEP + mu)
    put("dirs", "solution_clamped", b"\x00" + json.dumps(dict(sol, prior=[None, 0.4], degenerate=[1])).encode() + SEP +
        values + SEP + mu)
    maze = dict(sol, model="maze", maze_states=5, prior=[0.25] * 4)
    maze.pop("n")
    maze.pop("m")
    put("dirs", "solution_maze", b"\x01" + json.dumps(maze).encode() + SEP + npy(hdr("<f8", "(5,)"), f8([0, 1, 2, 3, 4])) +
        SEP + npy(hdr("<f8", "(5,)"), f8([0.2] * 5)))
    smp = {"command": "sample", "n": 2, "m": 1, "lambda": 0.5, "burn_in": 10}
    put("dirs", "samples", b"\x02" + json.dumps(smp).encode() + SEP + npy(hdr("<f8", "(4,)"), f8([10, 20, 30, 40])) + SEP +
        npy(hdr("<f8", "(4, 3)"), f8([4, 3, 3, 10, 5, 5, 10, 10, 10, 20, 10, 10])))
    put("dirs", "samples_no_transitions", b"\x02" + json.dumps(smp).encode() + SEP +
        npy(hdr("<f8", "(4,)"), f8([10, 20, 30, 40])) + SEP)
    total = sum(len(files) for _, _, files in os.walk(OUT))
    print("%d seeds in %s" % (total, OUT))


if __name__ == "__main__":
    main()
