#!/usr/bin/env bash
# Make sure the tools a step needs are installed; install them with apt when we can.
#
#   bash scripts/ensure-toolchain.sh emcc native chromium
#
# Needs (any subset, in any order):
#   emcc      emscripten (emcc), binaryen (wasm-opt, used by emcc -O3), wabt (wasm-objdump)
#   native    clang, libsimde-dev (SIMDe's wasm_simd128 for x86), libclang-rt-14-dev
#             (ASan/UBSan/libFuzzer runtimes) - for scripts/native-tests.sh and fuzzing
#   chromium  Debian's chromium at /usr/bin/chromium - for headless browser tests
#   python    PyTorch and ONNX under Debian's /usr/bin/python3 (python3-torch, python3-onnx,
#             python3-numpy) - the reference frameworks that make the fixtures and judge our exports
#
# When something is missing and we are root on Debian/Ubuntu (apt-get exists), it runs
# `apt-get update` and `apt-get install -y` for the missing packages only. Otherwise it prints
# the exact command to run and exits 1. Prints nothing when everything is already there.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 emcc|native|chromium|python ..." >&2
  exit 2
fi

missing_pkgs=()   # Debian package names to install
missing_what=()   # human-readable list of what is missing

need() {          # need <package> <what is missing>
  local p
  for p in "${missing_pkgs[@]+"${missing_pkgs[@]}"}"; do [ "$p" = "$1" ] && return 0; done
  missing_pkgs+=("$1")
  missing_what+=("$2")
}

have() { command -v "$1" >/dev/null 2>&1; }

# Where clang keeps its sanitizer/fuzzer runtimes (from libclang-rt-14-dev).
clang_rt_ok() {
  have clang || return 1
  local dir arch
  dir=$(clang -print-runtime-dir 2>/dev/null) || return 1
  arch=$(uname -m)
  [ -f "$dir/libclang_rt.asan-$arch.a" ] && [ -f "$dir/libclang_rt.ubsan_standalone-$arch.a" ] \
    && [ -f "$dir/libclang_rt.fuzzer-$arch.a" ]
}

check() {
  case "$1" in
    emcc)
      have emcc         || need emscripten "emcc (package emscripten)"
      have wasm-opt     || need binaryen   "wasm-opt (package binaryen)"
      have wasm-objdump || need wabt       "wasm-objdump (package wabt)"
      ;;
    native)
      have clang || need clang "clang (package clang)"
      [ -f /usr/include/simde/wasm/simd128.h ] || need libsimde-dev "SIMDe headers (package libsimde-dev)"
      # Without clang we cannot ask where its runtimes live: install the runtime package too.
      clang_rt_ok || need libclang-rt-14-dev "clang sanitizer/fuzzer runtimes (package libclang-rt-14-dev)"
      ;;
    chromium)
      [ -x /usr/bin/chromium ] || need chromium "/usr/bin/chromium (package chromium)"
      ;;
    python)
      # Debian's packages, not the python3 first on PATH (which may be another installation)
      /usr/bin/python3 -c 'import numpy' 2>/dev/null || need python3-numpy "numpy for /usr/bin/python3 (package python3-numpy)"
      /usr/bin/python3 -c 'import torch' 2>/dev/null || need python3-torch "PyTorch for /usr/bin/python3 (package python3-torch)"
      /usr/bin/python3 -c 'import onnx' 2>/dev/null || need python3-onnx "ONNX for /usr/bin/python3 (package python3-onnx)"
      ;;
    *)
      echo "$0: unknown need '$1' (expected emcc, native, chromium or python)" >&2
      exit 2
      ;;
  esac
}

for what in "$@"; do check "$what"; done
[ "${#missing_pkgs[@]}" -eq 0 ] && exit 0

echo "ensure-toolchain: missing: $(IFS=';'; echo "${missing_what[*]}")" >&2

if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "ensure-toolchain: apt-get install -y ${missing_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A failing extra source should not stop us; the install below fails loudly if it must.
  apt-get update -q || echo "ensure-toolchain: warning: apt-get update reported errors" >&2
  apt-get install -y -q "${missing_pkgs[@]}"
  # Check again: a package that installed but did not provide the tool is still an error.
  missing_pkgs=(); missing_what=()
  for what in "$@"; do check "$what"; done
  if [ "${#missing_pkgs[@]}" -ne 0 ]; then
    echo "ensure-toolchain: still missing after apt-get: $(IFS=';'; echo "${missing_what[*]}")" >&2
    exit 1
  fi
  exit 0
fi

{
  echo "ensure-toolchain: cannot install automatically (need root and apt-get). Please run:"
  echo "  sudo apt-get update && sudo apt-get install -y ${missing_pkgs[*]}"
  echo "(Debian 12 / Ubuntu package names; emsdk works too for emcc, but we test with Debian's emscripten 3.1.6)"
} >&2
exit 1
