#!/usr/bin/env bash
# make-fixtures.sh [--require] [outdir]: regenerates the framework fixtures (today: PyTorch's, by
# tests/fixtures/torch/make_layers.py) into outdir, by default where they are committed
# (tests/fixtures/torch/). PyTorch comes from Debian (apt-get install python3-torch) and lives under
# /usr/bin/python3, not under the python3 first on PATH.
#
# Without torch it prints why and exits 0, so that a machine without PyTorch still passes `npm test`
# on the committed fixtures; with --require (CI) a missing torch is an error.
# Then `WASM_LSTM_FIXTURES=outdir node --test tests/equivalence-torch.test.js` compares our Network
# with the regenerated fixtures and the regenerated fixtures with the committed ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=/usr/bin/python3
require=0
outdir=""
for arg in "$@"; do
  case "$arg" in
    --require) require=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-fixtures.sh: unknown option '$arg' (expected --require, --help or an output directory)" >&2; exit 2 ;;
    *)
      if [ -n "$outdir" ]; then
        echo "make-fixtures.sh: one output directory expected, got '$outdir' and '$arg'" >&2
        exit 2
      fi
      outdir="$arg" ;;
  esac
done
outdir="${outdir:-tests/fixtures/torch}"

if ! [ -x "$PYTHON" ] || ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
  if [ "$require" = 1 ]; then
    echo "make-fixtures.sh: $PYTHON has no torch (or numpy), and --require was given: apt-get install -y python3-torch" >&2
    exit 1
  fi
  echo "make-fixtures.sh: skipped: $PYTHON has no torch (apt-get install -y python3-torch to regenerate the fixtures)"
  exit 0
fi

"$PYTHON" tests/fixtures/torch/make_layers.py --out "$outdir"
