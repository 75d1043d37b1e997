#!/usr/bin/env python3
"""The sampler's dynamics in vectorised numpy, timed next to the C++ host sampler.

Same dynamics as bench_sampler (MODEL.md sec. 2): m = 2 inputs flipping with probability 0.02,
one uniformly chosen neuron per step updated with probability rho_i(b, x), many chains at once
(numpy vectorises over chains), Philox random numbers (numpy's Philox bit generator):

  Table    rho from a table over (x, b, i) built from random values through W = V T^T; the state
           histogram is recorded at every step (np.bincount), as the C++ table kernel does.
  Ising    rho_i = sigmoid((2 / (n lambda)) (h_i + F_i)) with the fields F = sigma J kept up to
           date incrementally (F[c] += 2 sigma_i' J[i] for the chains whose neuron flipped); the
           spike count is recorded once per sweep (every n steps), as in the C++ benchmark.

The script then runs the matching cases of bench_sampler (--bench PATH) and prints both rates and
their ratio. numpy runs on one core; the C++ sampler uses every core OpenMP gives it (reported).
Usage: sampler_numpy.py --bench build/bench/bench_sampler [--smoke]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

LAMBDA = 0.114
FLIP = 0.02


def table_rate(n, chains, steps, seed=1):
    rng = np.random.Generator(np.random.Philox(seed))
    m = 2
    T = np.array([[1 - FLIP, FLIP], [FLIP, 1 - FLIP]])
    V = 0.05 * rng.standard_normal((m, 1 << n))
    W = T @ V  # W[x, b] = sum_x' T(x'|x) V[x', b]
    b_all = np.arange(1 << n)
    rho = np.empty((m, 1 << n, n))
    for i in range(n):
        bit = 1 << i
        d = W[:, b_all | bit] - W[:, b_all & ~bit]
        rho[:, :, i] = 1.0 / (1.0 + np.exp(-d / (n * LAMBDA)))
    flat = rho.ravel()
    b = rng.integers(0, 1 << n, size=chains, dtype=np.int64)
    x = rng.integers(0, m, size=chains, dtype=np.int64)
    hist = np.zeros(m << n, dtype=np.int64)
    one = np.int64(1)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        i = rng.integers(0, n, size=chains, dtype=np.int64)
        u = rng.random(chains)
        s = (x << n) | b
        hist += np.bincount(s, minlength=m << n)
        spike = u < flat[s * n + i]
        bit = one << i
        b = np.where(spike, b | bit, b & ~bit)
        x ^= (rng.random(chains) < FLIP).astype(np.int64)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert hist.sum() == chains * steps
    return chains * steps / dt, chains * steps / cpu


def ising_rate(n, chains, steps, seed=1):
    rng = np.random.Generator(np.random.Philox(seed))
    J = 0.1 * rng.standard_normal((n, n)) / np.sqrt(n)
    J = np.triu(J, 1)
    J = J + J.T
    h = 0.01 * rng.standard_normal((2, n))
    scale = 2.0 / (n * LAMBDA)
    sigma = np.where(rng.random((chains, n)) < 0.5, 1.0, -1.0)
    F = sigma @ J
    x = rng.integers(0, 2, size=chains, dtype=np.int64)
    rows = np.arange(chains)
    spike_count = np.zeros((n + 1, 2), dtype=np.int64)
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(steps):
        if t % n == 0:
            K = ((sigma + 1) // 2).sum(axis=1).astype(np.int64)
            np.add.at(spike_count, (K, x), 1)
        i = rng.integers(0, n, size=chains)
        u = rng.random(chains)
        z = scale * (h[x, i] + F[rows, i])
        new = np.where(u < 1.0 / (1.0 + np.exp(-z)), 1.0, -1.0)
        flip = new != sigma[rows, i]
        c = rows[flip]
        fi = i[flip]
        sigma[c, fi] = new[flip]
        F[c] += 2.0 * new[flip][:, None] * J[fi]
        x ^= (rng.random(chains) < FLIP).astype(np.int64)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return chains * steps / dt, chains * steps / cpu


def cxx_rates(bench, names, smoke):
    pattern = "^(" + "|".join(names) + ")(/|$)"
    cmd = [bench, "--benchmark_filter=" + pattern, "--benchmark_format=json"]
    if smoke:
        cmd.append("--netrl_smoke")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        rates[b["name"].split("/iterations")[0]] = b
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of the bench_sampler binary")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (CTest)")
    args = ap.parse_args()
    if args.smoke:
        cases = [("Table", 8, 100, 50, "Table/n:8/chains:100"), ("Ising", 64, 100, 50, "IsingDirect/n:64/chains:100")]
    else:
        cases = [("Table", 8, 10000, 400, "Table/n:8/chains:10000"),
                 ("Table", 16, 10000, 200, "Table/n:16/chains:10000"),
                 ("Ising", 8, 10000, 400, "IsingDirect/n:8/chains:10000"),
                 ("Ising", 16, 10000, 400, "IsingDirect/n:16/chains:10000"),
                 ("Ising", 64, 10000, 200, "IsingDirect/n:64/chains:10000")]
    cxx = cxx_rates(args.bench, [c[4] for c in cases], args.smoke)
    print("numpy %s (1 thread, %s) vs bench_sampler (host, OpenMP); load average %.2f" %
          (np.__version__, type(np.random.Philox()).__name__, os.getloadavg()[0]))
    print("rates in neuron updates per second of wall-clock time and per CPU-second; numpy uses one core")
    print("%-30s %11s %11s %11s %11s %7s %8s %9s" % ("case", "numpy wall", "numpy CPU", "C++ wall", "C++ CPU", "threads",
                                                   "ratio", "CPU ratio"))
    for family, n, chains, steps, name in cases:
        wall_np, cpu_np = table_rate(n, chains, steps) if family == "Table" else ising_rate(n, chains, steps)
        b = cxx.get(name)
        if b is None:
            print("%-30s %11.3g %11.3g %11s" % (name, wall_np, cpu_np, "(missing)"))
            continue
        wall, cpu, threads = b["updates_per_s"], b["updates_per_cpu_s"], int(b["threads"])
        print("%-30s %11.3g %11.3g %11.3g %11.3g %7d %8.1f %9.1f" % (name, wall_np, cpu_np, wall, cpu, threads,
                                                                      wall / wall_np, cpu / cpu_np))
    print("ratio: wall-clock rates; CPU ratio: per CPU-second (per core), so a free machine with T cores")
    print("gives about T x CPU ratio when the C++ threads get their cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
