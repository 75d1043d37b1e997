#!/usr/bin/env python3
"""The report of bench/gpu_check.sh: one markdown table and one JSON file of every raw result.

Reads the statuses the script recorded (part, passed|failed|skipped, detail; tab-separated), the
GoogleTest JSON reports (test_*.json) and the Google Benchmark JSON reports (bench_*.json) in the
raw folder, and writes --md (the table, also printed) and --json (the statuses and every raw
report, verbatim). Standard library only.
"""
import argparse
import glob
import json
import os
import sys

# Counters shown beside the time and the fraction, when a benchmark has them.
NOTES = ["pi_over_vi", "vi_s", "pi_s", "gain_diff", "solve_s", "sweeps", "factor_fraction", "upload_and_solve_ms",
         "upload_floor_ms", "max_residual", "updates_per_s", "flip_rate", "copy_GBps", "dgemm_gflops", "pinned_GBps"]


def read_statuses(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            part, status, detail = (line.split("\t", 2) + ["", ""])[:3]
            rows.append({"part": part, "status": status, "detail": detail})
    return rows


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"error": f"{os.path.basename(path)}: {e}"}


def test_summary(report):
    skipped = 0
    for suite in report.get("testsuites", []):
        for case in suite.get("testsuite", []):
            if case.get("result") == "SKIPPED":
                skipped += 1
    return report.get("tests", 0), report.get("failures", 0) + report.get("errors", 0), skipped


def fmt(x):
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def bench_rows(report):
    rows = []
    for b in report.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        floor = b.get("floor_ms")
        floor = f"{floor:.4g} ms" if floor is not None else (f"{b['floor_s']:.4g} s" if "floor_s" in b else "")
        notes = ", ".join(f"{k} {fmt(b[k])}" for k in NOTES if k in b)
        label = b.get("label", "")
        rows.append([b.get("name", "?"), f"{b.get('real_time', 0):.4g} {b.get('time_unit', '')}", floor,
                     fmt(b["fraction"]) if "fraction" in b else "", "; ".join(x for x in (label, notes) if x)])
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "/") for c in r) + " |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--status", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--seconds", type=float, default=0.0)
    ap.add_argument("--required", default="", help="NETRL_REQUIRE_GPU of the run")
    a = ap.parse_args()

    statuses = read_statuses(a.status)
    tests = {os.path.basename(p)[len("test_"):-len(".json")]: load_json(p)
             for p in sorted(glob.glob(os.path.join(a.raw, "test_*.json")))}
    benches = {os.path.basename(p)[len("bench_"):-len(".json")]: load_json(p)
               for p in sorted(glob.glob(os.path.join(a.raw, "bench_*.json")))}
    device = ""
    device_file = os.path.join(a.raw, "device.txt")
    if os.path.exists(device_file):
        with open(device_file, encoding="utf-8") as f:
            device = f.read().strip()

    failed = [s for s in statuses if s["status"] == "failed"]
    ran = [s for s in statuses if s["status"] == "passed"]
    if failed:
        verdict = "FAILED"
    elif ran:
        verdict = "passed"
    elif a.required == "1":
        verdict = "FAILED: NETRL_REQUIRE_GPU=1 but nothing ran on a device"
    else:
        verdict = "skipped (nothing ran on a device)"
    md = ["# netrl GPU check", "", f"Verdict: **{verdict}**. {a.seconds:.0f} s." + (f" Device: {device}." if device else ""),
          ""]
    md += table(["part", "status", "detail"], [[s["part"], s["status"], s["detail"]] for s in statuses])
    if tests:
        md += ["", "## Tests (NETRL_REQUIRE_GPU=1)", ""]
        rows = []
        for name, rep in tests.items():
            total, failures, skipped = test_summary(rep)
            rows.append([name, total, failures, skipped])
        md += table(["binary", "tests", "failures", "skipped"], rows)
    if benches:
        md += ["", "## Benchmarks (CUDA events; fraction = floor / measured time)", ""]
        rows = []
        for rep in benches.values():
            rows += bench_rows(rep)
        md += table(["benchmark", "time", "floor", "fraction", "floor kind, target and notes"], rows)
    text = "\n".join(md) + "\n"
    with open(a.md, "w", encoding="utf-8") as f:
        f.write(text)
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump({"verdict": verdict, "seconds": a.seconds, "device": device, "parts": statuses,
                   "tests": tests, "benchmarks": benches}, f, indent=1)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
