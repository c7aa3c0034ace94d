#!/usr/bin/env bash
# Build and run the native C tests under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Each tests/native/*.c is a program with its own main(); it is compiled together with all of
# c/*.c (SIMD kernels through SIMDe, -DUSE_SIMDE) into build/native/<name> and run. Each test
# prints a last line like `native foo: N passed, 0 failed` and exits non-zero on failure.
# This script runs them all and exits non-zero if any failed to build or run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d tests/native ]; then
  echo "native-tests: no tests/native directory yet: nothing to run"
  exit 0
fi
shopt -s nullglob
tests=(tests/native/*.c)
sources=(c/*.c)
shopt -u nullglob
if [ "${#tests[@]}" -eq 0 ]; then
  echo "native-tests: tests/native has no *.c files: nothing to run"
  exit 0
fi

bash scripts/ensure-toolchain.sh native

cflags=(
  -O1 -g -std=c11 -DUSE_SIMDE -ffp-contract=off
  -fsanitize=address,undefined -fno-sanitize-recover=all
  -Wall -Wextra -I c
)
# Leaks are errors; print a stack for UB reports.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

mkdir -p build/native
passed=0
failed=()
for t in "${tests[@]}"; do
  name=$(basename "$t" .c)
  exe=build/native/$name
  echo "native-tests: clang $t c/*.c -> $exe"
  if ! clang "${cflags[@]}" "$t" "${sources[@]}" -o "$exe" -lm; then
    echo "native-tests: $name: BUILD FAILED" >&2
    failed+=("$name (build)")
    continue
  fi
  if "./$exe"; then
    passed=$((passed + 1))
  else
    rc=$?
    echo "native-tests: $name: FAILED (exit code $rc)" >&2
    failed+=("$name")
  fi
done

[ "${#failed[@]}" -eq 0 ] || echo "native-tests: failed: ${failed[*]}" >&2
echo "native-tests: ${passed} passed, ${#failed[@]} failed"
[ "${#failed[@]}" -eq 0 ]
