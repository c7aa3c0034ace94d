#!/usr/bin/env bash
# `npm test`: everything, in order. Exits non-zero on the first failure.
#   1. tools (emcc, clang + SIMDe + sanitizer runtimes, chromium), installed with apt if missing
#   2. npm ci, when node_modules is missing or older than package-lock.json
#   3. bash build.sh                      (wasm modules; incremental)
#   4. bash scripts/native-tests.sh       (C tests under ASan/UBSan)
#   5. node --test tests/                 (JS tests; its summary is the last thing printed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-toolchain.sh emcc native chromium

# npm ci writes node_modules/.package-lock.json; it is older than package-lock.json when the
# dependencies changed since the last install.
if [ -f package-lock.json ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "test.sh: npm ci"
    npm ci --no-audit --no-fund
  fi
else
  echo "test.sh: no package-lock.json: skipping npm ci"
fi

bash build.sh
bash scripts/native-tests.sh

echo "test.sh: node --test tests/"
exec node --test --test-concurrency=1 tests/
