#!/usr/bin/env bash
# check-fixtures.sh: regenerates every framework fixture from the real frameworks and fails if it
# differs from the committed one (CI runs it, so the fixtures cannot drift from PyTorch/ONNX).
#
#   tests/fixtures/torch/    by make_layers.py (PyTorch): compared value by value, within the
#                            tolerance of tests/equivalence-torch.test.js's drift test, and our
#                            Network is checked against the regenerated files
#   tests/fixtures/interop/  by make_interop.py (PyTorch, ONNX): regenerated in a copy, which must
#                            be byte-identical to the committed files
#
# Needs /usr/bin/python3 with python3-torch, python3-onnx and python3-numpy
# (bash scripts/ensure-toolchain.sh python) and the wasm build (bash build.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "check-fixtures: tests/fixtures/torch from PyTorch into $tmp/torch"
bash scripts/make-fixtures.sh --require "$tmp/torch"
WASM_LSTM_FIXTURES="$tmp/torch" node --test tests/equivalence-torch.test.js

echo "check-fixtures: tests/fixtures/interop from PyTorch and ONNX into $tmp/interop"
cp -r tests/fixtures/interop "$tmp/interop"
/usr/bin/python3 "$tmp/interop/make_interop.py" > "$tmp/interop.log" 2>&1 || { cat "$tmp/interop.log" >&2; exit 1; }
rm -rf "$tmp/interop/__pycache__"
if ! diff -r tests/fixtures/interop "$tmp/interop"; then
  echo "check-fixtures: FAILED: tests/fixtures/interop differs from what make_interop.py writes today (above);" \
       "regenerate it (/usr/bin/python3 tests/fixtures/interop/make_interop.py) and commit it if the change is meant" >&2
  exit 1
fi
echo "check-fixtures: the committed fixtures are what PyTorch and ONNX make today"
