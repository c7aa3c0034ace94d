#!/usr/bin/env bash
# One thread against a baseline build, in instructions instead of seconds: callgrind counts the
# instructions a training step executes, the same whatever else the machine is doing (this shared
# VM moves by ±20 % between neighbouring seconds, too much to see the ±3 % the threads issue allows).
#
#   bash bench/instructions.sh BASELINE_DIR [cell H L ...]     (default: lstm 128 1  rnn 256 1)
#
# Per workload: Ir(10 + 10 steps) − Ir(5 + 5 steps), divided by 10 — start-up, compilation and
# warm-up cancel out. `node --no-liftoff` compiles every wasm function with TurboFan up front, so
# that when V8 tiers up (which valgrind's serialised threads delay) does not enter the count.
# A workload takes ~2 minutes per build at H = 128 (valgrind runs ~50× slower).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
base="${1:?usage: bash bench/instructions.sh BASELINE_DIR [cell H L ...]}"; shift
[ -f "$base/js/build/lstm-simd.wasm" ] || { echo "instructions.sh: $base/js/build/lstm-simd.wasm missing: build it first (cd $base && bash build.sh)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
[ "$#" -eq 0 ] && set -- lstm 128 1 rnn 256 1
count() { # root cell H L steps -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node --no-liftoff bench/icount-child.mjs "$@" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-20s %16s %16s %8s\n' workload 'baseline Ir/step' 'this Ir/step' change
while [ "$#" -ge 3 ]; do
  cell=$1 H=$2 L=$3; shift 3
  b5=$(count "$(cd "$base" && pwd)" "$cell" "$H" "$L" 5); b10=$(count "$(cd "$base" && pwd)" "$cell" "$H" "$L" 10)
  o5=$(count "$PWD" "$cell" "$H" "$L" 5); o10=$(count "$PWD" "$cell" "$H" "$L" 10)
  awk -v w="train $cell H$H L$L" -v b5="$b5" -v b10="$b10" -v o5="$o5" -v o10="$o10" \
    'BEGIN { b = (b10 - b5) / 10; o = (o10 - o5) / 10; printf "%-20s %16.0f %16.0f %+7.1f%%\n", w, b, o, 100 * (o / b - 1) }'
done
