#!/usr/bin/env bash
# Build the libFuzzer targets and run each for N seconds (`npm run fuzz -- --seconds N`).
#
#   bash scripts/fuzz.sh [--seconds N] [--target load|model|api|readers]... [--strict] [--fresh] [--seeds]
#                        [-- extra libFuzzer flags]
#
#   --seconds N   time per target (default 60)
#   --target T    run only T (repeatable; default: all four)
#   --strict      also check the known open bugs listed in tests/fuzz/fuzz_common.h (-DFZ_STRICT=1)
#   --fresh       start from the seed corpus only (forget what earlier runs found)
#   --seeds       regenerate the seed corpus in tests/fuzz/corpus (and the re-encoded programs in
#                 tests/fuzz/regress/model) with tests/fuzz/make_seeds.c, which also copies the
#                 format-1 files of tests/fixtures/v1 (the only option that writes into the repo),
#                 then go on
#
# Targets (sources in tests/fuzz/, shared bodies in tests/fuzz/fuzz_common.h):
#   load   fuzz_load.c   arbitrary bytes into lstm_load / lstm_file_meta and the streaming reader
#                        in pieces; loaded models saved back, also by the streaming writer
#                        (seeds: corpus/load, format 2 and format 1)
#   model  fuzz_model.c  config + train config + API call sequences     (seeds: corpus/model)
#   api      tests/fuzz-js/fuzz-api.mjs: the JS API with hostile arguments (getters, Proxies, fake
#            and resized typed arrays, re-entrant calls, huge values) against a twin model; needs
#            the wasm build (bash build.sh). Seeded from the clock (FUZZ_SEED=K to choose)
#   readers  tests/fuzz-js/fuzz-readers.mjs: mutated files into every js/interop reader (zip,
#            inflate, pickle, protobuf, safetensors, ONNX, TF.js)
# Built with clang -fsanitize=fuzzer,address,undefined into build/fuzz/<name>. Each run copies the
# seeds into the scratch corpus build/fuzz/corpus/<target>/ (kept between runs: it grows with
# what the fuzzer learns) and runs there, so nothing is written into tests/. Crash reproducers go
# to build/fuzz/crashes/<target>-crash-<sha1> (also leak-, timeout-, oom-); replay one with
#   build/fuzz/fuzz_<target> build/fuzz/crashes/<file>
# then add it to tests/fuzz/regress/<target>/ once fixed, where `npm test` replays it forever
# (tests/native/test_file_fuzz_regress.c).
#
# Environment: FUZZ_CFLAGS adds compiler flags, e.g. FUZZ_CFLAGS=-DFZ_KNOWN_STATE_RESET=0 checks one
# known bug strictly (the FZ_KNOWN_* list is in tests/fuzz/fuzz_common.h).
#
# Limits: -rss_limit_mb=2048 -malloc_limit_mb=512 (any single allocation over 512 MB is a
# finding), -timeout=25 s per input (a hang is a finding).
# Exit status: 0 when every target ran clean, 1 when any found something or failed to build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=60
targets=()
strict=0
fresh=0
seeds=0
extra=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --seconds)
      [ "$#" -ge 2 ] || { echo "fuzz.sh: --seconds needs a value" >&2; exit 2; }
      seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    --target)
      [ "$#" -ge 2 ] || { echo "fuzz.sh: --target needs a value" >&2; exit 2; }
      targets+=("$2"); shift 2 ;;
    --target=*) targets+=("${1#--target=}"); shift ;;
    --strict) strict=1; shift ;;
    --fresh) fresh=1; shift ;;
    --seeds) seeds=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: --seconds wants a whole number, got '$seconds'" >&2; exit 2 ;;
esac
[ "${#targets[@]}" -gt 0 ] || targets=(load model api readers)
c_targets=()
js_targets=()
for t in "${targets[@]}"; do
  case "$t" in
    load|model) c_targets+=("$t") ;;
    api|readers) js_targets+=("$t") ;;
    *) echo "fuzz.sh: unknown target '$t' (expected load, model, api or readers)" >&2; exit 2 ;;
  esac
done

bash scripts/ensure-toolchain.sh native
command -v llvm-symbolizer >/dev/null 2>&1 ||
  echo "fuzz.sh: note: llvm-symbolizer not in PATH: stack traces will show addresses only (apt-get install llvm)" >&2

shopt -s nullglob
sources=(c/*.c)
shopt -u nullglob
out=build/fuzz
mkdir -p "$out/crashes" "$out/logs"

cflags=(-O2 -g -fno-omit-frame-pointer -std=c11 -DUSE_SIMDE -ffp-contract=off -Wall -Wextra -Wno-missing-field-initializers -I c
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
# shellcheck disable=SC2206 # FUZZ_CFLAGS: extra compiler flags, split on spaces on purpose
[ -n "${FUZZ_CFLAGS:-}" ] && cflags+=(${FUZZ_CFLAGS})
[ "$strict" = 1 ] && cflags+=(-DFZ_STRICT=1)

if [ "$seeds" = 1 ]; then
  echo "fuzz.sh: regenerating tests/fuzz/corpus with tests/fuzz/make_seeds.c"
  clang -O1 -std=c11 -DUSE_SIMDE -ffp-contract=off -Wall -Wextra -Wno-missing-field-initializers -I c tests/fuzz/make_seeds.c "${sources[@]}" \
    -o "$out/make_seeds" -lm
  mkdir -p tests/fuzz/corpus/load tests/fuzz/corpus/model tests/fuzz/regress/model
  rm -f tests/fuzz/corpus/load/* tests/fuzz/corpus/model/* # no stale seeds of an older format
  "./$out/make_seeds" tests/fuzz tests/fixtures/v1
fi

for t in "${c_targets[@]+"${c_targets[@]}"}"; do
  echo "fuzz.sh: clang tests/fuzz/fuzz_$t.c c/*.c -> $out/fuzz_$t"
  clang "${cflags[@]}" "tests/fuzz/fuzz_$t.c" "${sources[@]}" -o "$out/fuzz_$t" -lm
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

summary=()
bad=0
for t in "${c_targets[@]+"${c_targets[@]}"}"; do
  corpus=$out/corpus/$t
  [ "$fresh" = 1 ] && rm -rf "$corpus"
  mkdir -p "$corpus"
  cp -p tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=25
        -print_final_stats=1 -artifact_prefix="$out/crashes/$t-")
  case "$t" in
    load) args+=(-dict=tests/fuzz/load.dict -use_value_profile=1) ;;
    model) args+=(-max_len=512) ;;
  esac
  before=$(ls "$out/crashes" | grep "^$t-" | sort || true)
  log=$out/logs/$t.log
  echo "fuzz.sh: $out/fuzz_$t for ${seconds}s on $corpus (log: $log)"
  start=$(date +%s)
  set +e
  "./$out/fuzz_$t" "${args[@]}" "${extra[@]+"${extra[@]}"}" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then # no final stats after a crash: take the last status line
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
  fi
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -n 1 || true)
  found=$(comm -13 <(echo "$before") <(ls "$out/crashes" | grep "^$t-" | sort || true) | sed "s|^|$out/crashes/|")
  rate=$(( ${execs:-0} / (took > 0 ? took : 1) ))
  line="$t: ${execs:-?} executions in ${took}s (~${rate}/s; ${cov:-no coverage line})"
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    bad=1
    line+=" -- FINDING (libFuzzer exit code $rc)"
    echo "fuzz.sh: $t: FINDING: the report (from $log):" >&2
    grep -E 'ERROR:|runtime error|FUZZ INVARIANT|SUMMARY|^    #[0-9] ' "$log" | head -n 30 >&2 || true
    for f in $found; do
      echo "fuzz.sh: $t: reproducer $f  (replay: ./$out/fuzz_$t $f)" >&2
      line+=$'\n    '"$f"
    done
  fi
  summary+=("$line")
  echo "fuzz.sh: $line"
done

# The JS fuzzers: seeded, so a finding prints the command that replays it.
if [ "${#js_targets[@]}" -gt 0 ]; then
  [ -f js/build/lstm-simd.wasm ] || bash build.sh
  seed=${FUZZ_SEED:-$(date +%s)}
fi
for t in "${js_targets[@]+"${js_targets[@]}"}"; do
  script=tests/fuzz-js/fuzz-$t.mjs
  log=$out/logs/js-$t.log
  flags=(--seconds "$seconds" --seed "$seed")
  [ "$strict" = 1 ] && [ "$t" = api ] && flags+=(--strict)
  echo "fuzz.sh: node $script ${flags[*]} (log: $log)"
  # --no-concurrent-recompilation: nodejs/node#54918 (a deadlock of Node 20 with many instances)
  if node --no-concurrent-recompilation "$script" "${flags[@]}" >"$log" 2>&1; then
    summary+=("$t: $(grep -E '^fuzz-(api|readers):' "$log" | head -n 1)")
  else
    bad=1
    summary+=("$t: FINDING (seed $seed; the replay command is in $log)")
    tail -n 30 "$log" >&2
  fi
done

echo "fuzz.sh: summary"
for l in "${summary[@]}"; do echo "  $l"; done
if [ "$bad" = 1 ]; then
  echo "fuzz.sh: FINDINGS (see above; reproducers in $out/crashes/)" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
