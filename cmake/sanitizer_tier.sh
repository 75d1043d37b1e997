#!/usr/bin/env bash
# The sanitizer tier of the test suite, run by the README's test command (and so by CI) on every
# change: the `asan` preset (clang 14, AddressSanitizer + UndefinedBehaviorSanitizer, CPU only)
# builds the tool, the input and hardening tests and the four fuzz targets, and CTest runs the
# tests labelled `sanitize`: the configuration and MDP input checks, the hardening tests, the
# malformed-input corpus through the sanitized tool, and each fuzz target for
# NETRL_FUZZ_SECONDS (default 15) from its seed corpus. The whole suite under the sanitizers:
# `cmake --preset asan && cmake --build --preset asan && ctest --preset asan` (docs/limits.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${NETRL_FUZZ_SECONDS:-15}"
cmake --preset asan -DNETRL_FUZZ_SECONDS="${seconds}" > /dev/null
cmake --build --preset asan --target netrl test_inputs test_mdp_input test_hardening \
  fuzz_config fuzz_npy fuzz_maze fuzz_dirs
ctest --preset asan -L sanitize
