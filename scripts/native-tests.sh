#!/usr/bin/env bash
# Build and run the native C tests under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Each tests/native/*.c is a program with its own main(); it is compiled together with all of
# c/*.c (SIMD kernels through SIMDe, -DUSE_SIMDE) into build/native/<name> and run. Each test
# prints a last line like `native foo: N passed, 0 failed` and exits non-zero on failure.
# Then every native reproducer of a fixed fuzz finding (tests/fuzz/repro/*.c but the wasm32_ ones,
# which need a 32-bit build: see their README) is linked with the same c/ objects and run: each
# exits 0 once its bug is fixed, so a bug that comes back fails here.
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
  -Wall -Wextra -Wno-missing-field-initializers -I c  # lstm_batch's trailing fields default to 0 when left out
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

# the reproducers, linked with c/ compiled once
mkdir -p build/native/core
objects=()
for src in "${sources[@]}"; do
  obj=build/native/core/$(basename "$src" .c).o
  clang "${cflags[@]}" -c "$src" -o "$obj"
  objects+=("$obj")
done
shopt -s nullglob
repros=(tests/fuzz/repro/*.c)
shopt -u nullglob
repro_ok=0
for r in "${repros[@]}"; do
  name=$(basename "$r" .c)
  case "$name" in wasm32_*) continue ;; esac
  exe=build/native/repro-$name
  if ! clang "${cflags[@]}" -Wno-unused-parameter -Wno-missing-field-initializers "$r" "${objects[@]}" -o "$exe" -lm; then
    failed+=("repro $name (build)")
  elif "./$exe" > "$exe.out" 2>&1; then
    repro_ok=$((repro_ok + 1))
  else
    cat "$exe.out" >&2
    echo "native-tests: tests/fuzz/repro/$name.c: the bug is back (exit code $?)" >&2
    failed+=("repro $name")
  fi
done
echo "native fuzz reproducers: ${repro_ok} run, each bug still fixed (the wasm32_ ones need a 32-bit emcc build: not run here)"
[ "${#failed[@]}" -eq 0 ] || echo "native-tests: failed: ${failed[*]}" >&2
echo "native-tests: ${passed} passed, ${#failed[@]} failed"
[ "${#failed[@]}" -eq 0 ]
