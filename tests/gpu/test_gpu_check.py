#!/usr/bin/env python3
"""bench/gpu_check.sh end to end without a device (CTest: gpu_check_without_device).

The check runs against the build under test with the CUDA module redirected to a missing file
(NETRL_CUDA_MODULE), so that no device answers on any machine: every part must be reported as
skipped with the reason and the status must be 0; under NETRL_REQUIRE_GPU=1 the status must be 1
and the verdict a failure. In a CUDA build the pack (--pack) and a run from it (--from) are checked
too; in a CPU-only build, --pack must refuse with the reason. Bad arguments exit with 2.

The script's device path is checked on a stub pack: shell scripts in place of bench_cuda, the
*_cuda tests and compute-sanitizer that answer as they would on a device (a device found, reports
written), so that every part runs and passes, and a failing test makes the check fail.
"""
import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile

PARTS = ["tests", "memcheck", "racecheck", "sweep", "solve", "policy", "dense", "sampler"]
MISSING = "/nonexistent/netrl-gpu-check/libnetrl_cuda.so"


STUB_BENCH = """#!/usr/bin/env bash
for a in "$@"; do
  case "$a" in
    --benchmark_list_tests) echo BM_Stub; exit 0 ;;
    --benchmark_out=*) out="${a#--benchmark_out=}" ;;
    --benchmark_filter=*) filter="${a#--benchmark_filter=}" ;;
  esac
done
cat > "$out" <<JSON
{"context": {}, "benchmarks": [{"name": "$filter/20", "run_type": "iteration", "real_time": 2.5,
 "time_unit": "ms", "floor_ms": 1.25, "fraction": 0.5, "label": "stub"}]}
JSON
"""

STUB_TEST = """#!/usr/bin/env bash
[ "${NETRL_REQUIRE_GPU:-}" = 1 ] || { echo "NETRL_REQUIRE_GPU not set"; exit 3; }
for a in "$@"; do
  case "$a" in
    --gtest_output=json:*) echo '{"tests": 4, "failures": 0, "errors": 0, "testsuites": []}' > "${a#--gtest_output=json:}" ;;
  esac
done
exit %d
"""

STUB_SANITIZER = """#!/usr/bin/env bash
while [ "${1#--}" != "$1" ]; do shift 2; done
"$@"; rc=$?
echo "========= ERROR SUMMARY: 0 errors"
exit $rc
"""

TESTS = ["test_exact_kernels_cuda", "test_krylov_space_cuda", "test_dense_solve_cuda", "test_sampler_cuda",
         "test_parametric_engine_cuda"]


def write_exe(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def stub_pack(root, failing_test=None):
    for d in ("bin", "lib/extra", "tools"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    write_exe(os.path.join(root, "bin", "bench_cuda"), STUB_BENCH)
    for t in TESTS:
        write_exe(os.path.join(root, "bin", t), STUB_TEST % (1 if t == failing_test else 0))
    write_exe(os.path.join(root, "tools", "compute-sanitizer"), STUB_SANITIZER)
    open(os.path.join(root, "lib", "libnetrl_cuda.so"), "w").close()


def run_stub(script, root, results):
    env = dict(os.environ)
    env.pop("NETRL_CUDA_MODULE", None)
    env.pop("OUT", None)
    env["NETRL_REQUIRE_GPU"] = "1"
    env["PATH"] = os.path.join(root, "tools") + os.pathsep + env.get("PATH", "")
    p = subprocess.run(["bash", script, "--from", root, "--results", results], env=env, capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout + p.stderr


def check_stub_device(script, failures):
    with tempfile.TemporaryDirectory() as tmp:
        root, results = os.path.join(tmp, "pack"), os.path.join(tmp, "results")
        stub_pack(root)
        rc, out = run_stub(script, root, results)
        check(rc == 0, f"stub device: every part passes, exit status 0 (got {rc})", failures, out)
        with open(os.path.join(results, "gpu_check.json"), encoding="utf-8") as f:
            report = json.load(f)
        parts = {p["part"] for p in report["parts"]}
        check(parts == set(PARTS), f"stub device: every part reported ({sorted(parts)})", failures)
        check(all(p["status"] == "passed" for p in report["parts"]), "stub device: every part passed", failures, out)
        check(sorted(report["tests"]) == sorted(TESTS), "stub device: every test binary's report kept", failures)
        with open(os.path.join(results, "gpu_check.md"), encoding="utf-8") as f:
            md = f.read()
        for name in ("BM_CudaSweep/20", "BM_CudaPolicyVsValue/20", "BM_CudaDenseBatched/20", "BM_CudaSampler/20"):
            check(f"| {name} | 2.5 ms | 1.25 ms | 0.5 |" in md, f"stub device: the table has {name}", failures, md)
    with tempfile.TemporaryDirectory() as tmp:
        root, results = os.path.join(tmp, "pack"), os.path.join(tmp, "results")
        stub_pack(root, failing_test="test_dense_solve_cuda")
        rc, out = run_stub(script, root, results)
        check(rc == 1, f"stub device with a failing test: exit status 1 (got {rc})", failures, out)
        with open(os.path.join(results, "gpu_check.json"), encoding="utf-8") as f:
            report = json.load(f)
        tests = [p for p in report["parts"] if p["part"] == "tests"][0]
        check(tests["status"] == "failed" and "test_dense_solve_cuda" in tests["detail"],
              "stub device: the failing binary is named", failures, out)


def run(script, args, required=False):
    env = dict(os.environ)
    env["NETRL_CUDA_MODULE"] = MISSING
    env.pop("OUT", None)
    if required:
        env["NETRL_REQUIRE_GPU"] = "1"
    else:
        env.pop("NETRL_REQUIRE_GPU", None)
    p = subprocess.run(["bash", script] + args, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def check(cond, what, failures, output=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        if output:
            print(output[-3000:])
        failures.append(what)


def check_skipped_run(script, source_args, cuda_build, failures, label):
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run(script, source_args + ["--results", tmp])
        check(rc == 0, f"{label}: exit status 0 without a device (got {rc})", failures, out)
        with open(os.path.join(tmp, "gpu_check.json"), encoding="utf-8") as f:
            report = json.load(f)
        parts = report["parts"]
        check([p["part"] for p in parts] == PARTS, f"{label}: every part reported, in order", failures)
        check(all(p["status"] == "skipped" for p in parts), f"{label}: every part skipped", failures)
        reason = "cannot be loaded" if cuda_build else "not a CUDA build"
        check(all(reason in p["detail"] for p in parts), f"{label}: every part names the reason ({reason})", failures)
        check(report["verdict"].startswith("skipped"), f"{label}: verdict skipped", failures)
        with open(os.path.join(tmp, "gpu_check.md"), encoding="utf-8") as f:
            md = f.read()
        check(all(f"| {p} | skipped |" in md for p in PARTS), f"{label}: the table lists every part as skipped", failures)
        check(os.path.getsize(os.path.join(tmp, "gpu_check.log")) > 0, f"{label}: a log", failures)
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run(script, source_args + ["--results", tmp], required=True)
        check(rc == 1, f"{label}: exit status 1 under NETRL_REQUIRE_GPU=1 (got {rc})", failures)
        with open(os.path.join(tmp, "gpu_check.json"), encoding="utf-8") as f:
            check(json.load(f)["verdict"].startswith("FAILED"), f"{label}: verdict FAILED under NETRL_REQUIRE_GPU=1",
                  failures)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--script", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    failures = []
    cuda_build = os.path.exists(os.path.join(a.build, "bench", "bench_cuda"))
    check_skipped_run(a.script, ["--build", a.build], cuda_build, failures, "from the build")
    with tempfile.TemporaryDirectory() as tmp:
        pack = os.path.join(tmp, "pack")
        rc, out = run(a.script, ["--pack", pack, "--build", a.build])
        if cuda_build:
            check(rc == 0, f"--pack succeeds in a CUDA build (got {rc})", failures, out)
            names = os.listdir(os.path.join(pack, "bin")) if rc == 0 else []
            check("bench_cuda" in names, "the pack holds bench_cuda", failures)
            check(any(n.endswith("_cuda") and n.startswith("test_") for n in names), "the pack holds *_cuda tests",
                  failures)
            check(os.path.exists(os.path.join(pack, "lib", "libnetrl_cuda.so")), "the pack holds the module", failures)
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(pack) for f in fs)
            check(size < 64 << 20, f"the pack is under 64 MiB ({size >> 20} MiB)", failures)
            if rc == 0:
                check_skipped_run(a.script, ["--from", pack], True, failures, "from the pack")
        else:
            check(rc == 2 and "not a CUDA build" in out, f"--pack refuses a CPU-only build with the reason (got {rc})",
                  failures)
    check_stub_device(a.script, failures)
    rc, out = run(a.script, ["--budget", "soon"])
    check(rc == 2 and "--budget" in out, "a bad --budget exits with 2 and names the option", failures)
    rc, out = run(a.script, ["--frobnicate"])
    check(rc == 2 and "unknown argument" in out, "an unknown argument exits with 2", failures)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
