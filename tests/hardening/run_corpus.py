#!/usr/bin/env python3
"""Runs the malformed-input corpus (tests/hardening/corpus/manifest.json) against the netrl tool.

Each case (but the controls, which must succeed) must end, within a time limit and (unless --no-memory-limit, for sanitizer builds) a
6 GiB address-space limit, with the exit status of the manifest (1: error, 2: usage error), an
error line "netrl: error: FIELD..." (usage errors: FIELD anywhere in the output), no "internal
error", and at most 2000 characters of output. The corpus is copied to a scratch directory first
(some cases create FIFOs or large files; nothing is written into the source tree).

    run_corpus.py --netrl build/host/netrl [--no-memory-limit] [--only NAME]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--netrl", required=True)
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--no-memory-limit", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose", action="store_true", help="print every case's error line")
    args = ap.parse_args()
    netrl = os.path.abspath(args.netrl)
    with open(os.path.join(args.corpus, "manifest.json")) as f:
        cases = json.load(f)["cases"]

    def limits():
        if not args.no_memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    failures = []
    scratch = tempfile.mkdtemp(prefix="netrl_corpus_")
    try:
        work = os.path.join(scratch, "corpus")
        shutil.copytree(args.corpus, work)
        os.makedirs(os.path.join(work, "special"), exist_ok=True)
        ran = 0
        for c in cases:
            if args.only and args.only not in c["name"]:
                continue
            for s in c.get("setup", []):
                if "fifo" in s:
                    path = os.path.join(work, s["fifo"])
                    if not os.path.exists(path):
                        os.mkfifo(path)
                if "sized" in s:
                    with open(os.path.join(work, s["sized"]), "wb") as f:
                        f.truncate(s["bytes"])
            ran += 1
            try:
                p = subprocess.run([netrl] + c["args"], cwd=work, capture_output=True, text=True, errors="replace",
                                   timeout=args.timeout, preexec_fn=limits)
            except subprocess.TimeoutExpired:
                failures.append((c["name"], "no answer within %.0f s" % args.timeout))
                continue
            out = p.stdout + p.stderr
            problems = []
            if p.returncode != c["status"]:
                problems.append("exit status %d, expected %d" % (p.returncode, c["status"]))
            if "internal error" in out:
                problems.append("an internal error")
            if len(out) > 2000:
                problems.append("%d characters of output" % len(out))
            field = c["field"]
            if c["status"] == 1 and ("netrl: error: " + field) not in out:
                problems.append("the error does not start with the field %r" % field[:60])
            if c["status"] == 2 and field not in out:
                problems.append("the usage error does not name %r" % field[:60])
            if args.verbose:
                line = [l for l in out.splitlines() if "error" in l][:1]
                print("%-45s %d %s" % (c["name"], p.returncode, line[0][:150] if line else ""))
            if problems:
                failures.append((c["name"], "; ".join(problems) + "\n    " + out.strip()[:400].replace("\n", "\n    ")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name, why in failures:
        print("FAIL %s: %s" % (name, why))
    print("corpus: %d cases, %d failed" % (ran, len(failures)))
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
