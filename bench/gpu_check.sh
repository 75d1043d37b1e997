#!/usr/bin/env bash
# The prepared device check of netrl's CUDA backend (docs/gpu.md): one call of at most 8 minutes
# on a machine with a GPU, from a CUDA build made elsewhere and carried there.
#
#   bench/gpu_check.sh --pack DIR [--build BUILD]   on the build machine: copy what the check needs
#                                                   from the CUDA build BUILD (default: build) into
#                                                   DIR (about 18 MiB), then exit
#   bench/gpu_check.sh [--from DIR | --build BUILD] [--results DIR] [--budget SECONDS]
#                                                   run the check from a pack (or a build)
#
# Parts, in this order (each reported as passed, failed or skipped with the reason):
#   tests       every *_cuda test binary, NETRL_REQUIRE_GPU=1 (all at once: they are small)
#   memcheck    compute-sanitizer memcheck on a small case of each CUDA path: the exact engine's
#   racecheck   sweeps, policy iteration's device GMRES, the batched LU, the sampler, the parametric
#               solver's engine (then racecheck)
#   sweep       bench_cuda BM_CudaSweep (n = 20, 24, 26) with the grid launcher, and n = 24 with
#               CUB's (NETRL_CUDA_FOR_EACH=cub)
#   solve       BM_CudaCountSolve (n = 20, 24)
#   policy      BM_CudaPolicyVsValue (n = 20)
#   dense       BM_CudaDenseBatched (256 x 256 and 1024 x 1024 systems)
#   sampler     BM_CudaSamplerExact (n = 8, 12, 16) and BM_CudaSamplerIsing (n = 1024)
# The benchmarks run one after the other on a quiet device; each reports its floor and the
# achieved fraction. Results: gpu_check.md (the table), gpu_check.json (every raw JSON: the tests'
# GoogleTest reports, the benchmarks' Google Benchmark reports, the statuses) and gpu_check.log,
# in --results DIR (default: $OUT when set, else ./gpu-check-results).
#
# Without a device every part is skipped with the reason and the exit status is 0, unless
# NETRL_REQUIRE_GPU=1: then it is 1. With a device the status is 1 when any part failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build=""
from=""
pack=""
results="${OUT:-}"
budget=470  # seconds for the whole check (the device call's limit is 8 minutes)

die() { echo "gpu_check: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="${2:?--build needs a directory}"; shift 2 ;;
    --from) from="${2:?--from needs a directory}"; shift 2 ;;
    --pack) pack="${2:?--pack needs a directory}"; shift 2 ;;
    --results) results="${2:?--results needs a directory}"; shift 2 ;;
    --budget) budget="${2:?--budget needs seconds}"; shift 2 ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || die "--budget must be a whole number of seconds, got '$budget'"
[[ -n "$from" && -n "$build" ]] && die "--from and --build exclude each other"
[[ -z "$from" && -z "$build" ]] && build="build"

# ---- the pack: the binaries of a CUDA build and the libraries a bare CUDA machine may lack ----
if [[ -n "$pack" ]]; then
  [[ -x "$build/bench/bench_cuda" && -f "$build/kernels/libnetrl_cuda.so" ]] ||
    die "$build is not a CUDA build (no bench/bench_cuda or kernels/libnetrl_cuda.so): configure with -DNETRL_CUDA=ON and build the targets netrl_cuda bench_cuda and the *_cuda tests"
  rm -rf "$pack" && mkdir -p "$pack/bin" "$pack/lib/extra" || die "cannot create $pack"
  cp "$build/bench/bench_cuda" "$build/kernels/libnetrl_cuda.so" "$pack/bin/" || die "copy failed"
  mv "$pack/bin/libnetrl_cuda.so" "$pack/lib/"
  count=0
  for t in "$build"/tests/test_*_cuda; do
    [[ -x "$t" ]] || continue
    cp "$t" "$pack/bin/" && count=$((count + 1))
  done
  [[ $count -gt 0 ]] || die "no *_cuda test binaries in $build/tests (build them first)"
  # Libraries outside the C library and the CUDA toolkit (the device brings its own of those):
  # copied aside and put on the search path there only for those the device lacks.
  for f in "$pack"/bin/* "$pack/lib/libnetrl_cuda.so"; do
    ldd "$f" 2>/dev/null | awk '/=> \// {print $3}'
  done | sort -u | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libcuda*|libcublas*|libcusolver*|libcusparse*|libnvJitLink*|libcudart*) ;;
      *) cp -L "$lib" "$pack/lib/extra/" ;;
    esac
  done
  # Large libraries (OpenBLAS, 35 MB, chiefly) travel xz-compressed, to keep the pack under the
  # device tool's 64 MiB; python3's lzma (which the check needs anyway) unpacks them there.
  for f in "$pack"/lib/extra/*; do
    if [[ $(stat -c %s "$f") -gt 1048576 ]]; then
      python3 -c 'import lzma, shutil, sys
with open(sys.argv[1], "rb") as i, lzma.open(sys.argv[1] + ".xz", "wb", preset=6) as o: shutil.copyfileobj(i, o)' "$f" &&
        rm -f "$f" || die "cannot compress $f"
    fi
  done
  echo "gpu_check: packed $count test binaries, bench_cuda and libnetrl_cuda.so into $pack ($(du -sh "$pack" | cut -f1))"
  exit 0
fi

# ---- where everything is -----------------------------------------------------------------
results="${results:-gpu-check-results}"
mkdir -p "$results" || die "cannot create $results"
results="$(cd "$results" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$results/gpu_check.log"
: > "$log"
status_file="$work/status.tsv"  # part <TAB> passed|failed|skipped <TAB> detail
: > "$status_file"
start=$(date +%s)
say() { echo "$*" | tee -a "$log"; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$status_file"; say "[$2] $1: $3"; }
remaining() { echo $((budget - ($(date +%s) - start))); }

if [[ -n "$from" ]]; then
  bin="$from/bin"
  module="$from/lib/libnetrl_cuda.so"
  tests=("$bin"/test_*_cuda)
  bench="$bin/bench_cuda"
  extra="$from/lib/extra"
else
  bin="$build"
  module="$build/kernels/libnetrl_cuda.so"
  tests=("$build"/tests/test_*_cuda)
  bench="$build/bench/bench_cuda"
  extra=""
fi
parts=(tests memcheck racecheck sweep solve policy dense sampler)

finish() {  # writes the table and the JSON, sets the exit status
  local required="${NETRL_REQUIRE_GPU:-}"
  local py
  py="$(command -v python3 || echo /usr/bin/python3)"
  "$py" "$here/gpu_report.py" --status "$status_file" --raw "$work" --md "$results/gpu_check.md" \
    --json "$results/gpu_check.json" --seconds $(($(date +%s) - start)) ${required:+--required "$required"} |
    tee -a "$log"
  if grep -q $'\tfailed\t' "$status_file"; then exit 1; fi
  if [[ "$required" == "1" ]] && ! grep -q $'\tpassed\t' "$status_file"; then
    say "gpu_check: NETRL_REQUIRE_GPU=1 but nothing ran on a device"
    exit 1
  fi
  exit 0
}

skip_all() {
  for p in "${parts[@]}"; do record "$p" skipped "$1"; done
  finish
}

if [[ ! -x "$bench" || ! -f "$module" ]]; then
  skip_all "not a CUDA build: no bench_cuda and libnetrl_cuda.so (${from:-$build}); make one with -DNETRL_CUDA=ON"
fi
# The module of this build, unless the caller names another (CTest names a missing one, to check
# the no-device path on any machine).
export NETRL_CUDA_MODULE="${NETRL_CUDA_MODULE:-$module}"

# Libraries the device lacks: the pack's copies, then the CUDA toolkit's usual places.
lib_path=""
missing_from() { ldd "$1" 2>/dev/null | awk '/not found/ {print $1}'; }
if [[ -n "$extra" && -d "$extra" ]]; then
  mkdir -p "$work/lib"
  for f in "$bench" "${tests[@]}" "$module"; do missing_from "$f"; done | sort -u | while read -r lib; do
    if [[ -f "$extra/$lib" ]]; then
      ln -sf "$(cd "$extra" && pwd)/$lib" "$work/lib/$lib"
    elif [[ -f "$extra/$lib.xz" ]]; then
      python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1], "rb") as i, open(sys.argv[2], "wb") as o: shutil.copyfileobj(i, o)' \
        "$extra/$lib.xz" "$work/lib/$lib"
    fi
  done
  lib_path="$work/lib"
fi
if [[ -n "$(missing_from "$module")" ]]; then
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/lib; do
    [[ -d "$d" ]] && lib_path="$lib_path:$d"
  done
fi
[[ -n "$lib_path" ]] && export LD_LIBRARY_PATH="${lib_path#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ---- is there a device? bench_cuda's own check (the engine's device_available) -------------
probe="$(NETRL_REQUIRE_GPU=0 "$bench" --benchmark_list_tests 2>&1)"
rc=$?
if [[ $rc -eq 77 ]]; then
  skip_all "no device: ${probe#bench_cuda: skipped: }"
elif [[ $rc -ne 0 ]]; then
  skip_all "bench_cuda cannot run here (exit $rc): $(echo "$probe" | tail -n 3 | tr '\n' ' ')"
fi
say "gpu_check: device found; budget ${budget} s; results in $results"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$work/device.txt" 2>&1
  cat "$work/device.txt" >> "$log"
fi

# ---- correctness: the tests and the sanitizers, all at once (the device is not timed here) --
run_limited() {  # seconds, log file, command...
  local limit="$1" out="$2"
  shift 2
  timeout --kill-after=10 "$limit" "$@" > "$out" 2>&1
}

correct_budget=$(( $(remaining) * 45 / 100 ))
pids=()
names=()
for t in "${tests[@]}"; do
  name="$(basename "$t")"
  NETRL_REQUIRE_GPU=1 run_limited "$correct_budget" "$work/test_$name.log" "$t" --gtest_output="json:$work/test_$name.json" &
  pids+=($!)
  names+=("test:$name")
done

sanitizer="$(command -v compute-sanitizer || true)"
[[ -z "$sanitizer" && -x /usr/local/cuda/bin/compute-sanitizer ]] && sanitizer=/usr/local/cuda/bin/compute-sanitizer
# Small cases of each CUDA path: binary and GoogleTest filter.
san_cases=(
  "test_exact_kernels_cuda:ExactSolverCuda.ChainOperatorsMatchTheReferenceChain:ExactSolverCuda.StopsLikeReferenceWhenInnerSolveIsCut"
  "test_krylov_space_cuda:KrylovSpaceCuda.ChainOperationsMatchTheEngine:KrylovSpaceCuda.GmresOnTheSpaceMatchesTheVectorInterface:KrylovSpaceCuda.VectorOperationsMatchPlainLoops"
  "test_dense_solve_cuda:DenseSolveCuda.MatchesAnIndependentSolve:DenseSolveCuda.RejectsReducibleAndNonStochasticChains"
  "test_sampler_cuda:SamplerCrossBackend.CudaMatchesHostBitForBit"
  "test_parametric_engine_cuda:ParametricEngineBackend.Float64MatchesTheHost"
)
if [[ -n "$sanitizer" ]]; then
  for tool in memcheck racecheck; do
    for c in "${san_cases[@]}"; do
      exe="${c%%:*}"
      filter="${c#*:}"
      path=""
      for t in "${tests[@]}"; do [[ "$(basename "$t")" == "$exe" ]] && path="$t"; done
      if [[ -z "$path" ]]; then
        echo "missing binary $exe" > "$work/${tool}_$exe.log"
        continue
      fi
      NETRL_REQUIRE_GPU=1 run_limited "$correct_budget" "$work/${tool}_$exe.log" "$sanitizer" --tool "$tool" \
        --error-exitcode 1 --print-limit 20 "$path" --gtest_filter="$filter" &
      pids+=($!)
      names+=("$tool:$exe")
    done
  done
fi

declare -A outcome
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"
  outcome["${names[$i]}"]=$?
done

failed=""
for t in "${tests[@]}"; do
  name="$(basename "$t")"
  rc=${outcome["test:$name"]}
  [[ $rc -ne 0 ]] && failed="$failed $name(exit $rc$([[ $rc -eq 124 || $rc -eq 137 ]] && echo ', time limit'))"
  tail -n 3 "$work/test_$name.log" >> "$log"
done
if [[ -z "$failed" ]]; then
  record tests passed "${#tests[@]} binaries: $(for t in "${tests[@]}"; do basename "$t"; done | tr '\n' ' ')"
else
  record tests failed "failed:$failed (logs in gpu_check.log)"
  for t in "${tests[@]}"; do cat "$work/test_$(basename "$t").log" >> "$log"; done
fi

for tool in memcheck racecheck; do
  if [[ -z "$sanitizer" ]]; then
    record "$tool" skipped "compute-sanitizer not found on this machine"
    continue
  fi
  bad=""
  unsupported=""
  for c in "${san_cases[@]}"; do
    exe="${c%%:*}"
    f="$work/${tool}_$exe.log"
    cat "$f" >> "$log"
    rc=${outcome["$tool:$exe"]:-2}
    if grep -q "Device not supported" "$f"; then
      unsupported="compute-sanitizer does not support this device here"
    elif [[ $rc -ne 0 ]]; then
      bad="$bad $exe(exit $rc)"
    fi
  done
  if [[ -n "$bad" ]]; then
    record "$tool" failed "errors or failures in:$bad"
  elif [[ -n "$unsupported" ]]; then
    record "$tool" skipped "$unsupported"
  else
    record "$tool" passed "clean: ${#san_cases[@]} cases (exact sweep, device GMRES, batched LU, sampler, parametric engine)"
  fi
done

# ---- benchmarks, one at a time ---------------------------------------------------------------
bench_part() {  # part, share of the remaining seconds (percent), env..., -- filter
  local part="$1" share="$2"
  shift 2
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  local filter="$1"
  local left
  left=$(remaining)
  if [[ $left -lt 15 ]]; then
    record "$part" skipped "the time budget (${budget} s) is spent"
    return
  fi
  local limit=$(( left * share / 100 ))
  [[ $limit -lt 15 ]] && limit=15
  bench_runs=$((bench_runs + 1))
  local json="$work/bench_$(printf '%02d' "$bench_runs")_${part}.json"
  env "${envs[@]}" NETRL_REQUIRE_GPU=1 timeout --kill-after=10 "$limit" "$bench" --benchmark_filter="$filter" \
    --benchmark_out="$json" --benchmark_out_format=json >> "$log" 2>&1
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    record "$part" passed "bench_cuda --benchmark_filter=$filter ${envs[*]}"
  elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
    record "$part" failed "over its ${limit} s (bench_cuda --benchmark_filter=$filter ${envs[*]})"
  else
    record "$part" failed "bench_cuda exit $rc (--benchmark_filter=$filter ${envs[*]})"
  fi
}

bench_runs=0
bench_part sweep 15 NETRL_BENCH_SWEEP_N=20,24,26 -- 'BM_CudaSweep'
bench_part sweep 15 NETRL_BENCH_SWEEP_N=24 NETRL_CUDA_FOR_EACH=cub -- 'BM_CudaSweep<double>'
bench_part solve 25 NETRL_BENCH_SOLVE_N=20,24 -- 'BM_CudaCountSolve'
bench_part policy 40 NETRL_BENCH_POLICY_N=20 -- 'BM_CudaPolicyVsValue'
bench_part dense 50 -- 'BM_CudaDenseBatched'
bench_part sampler 90 -- 'BM_CudaSampler'
finish
