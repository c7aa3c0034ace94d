#!/usr/bin/env bash
# Build the two standalone WebAssembly modules that js/loader.js loads:
#
#   js/build/lstm-simd.wasm    c/*.c with -msimd128 (engines with SIMD128: Node 20, current browsers)
#   js/build/lstm-plain.wasm   c/*.c without SIMD (fallback for engines without it)
#   js/build/abi.js            the ABI as the C build describes it (lstm_abi, c/abi.c): enums,
#                              limits, the cell table and struct layouts the JS layer mirrors
#
#   bash build.sh            rebuild only if c/* or build.sh changed since the last build
#   bash build.sh --force    always rebuild
#
# No Emscripten JS glue is generated (see shared notes/toolchain.md): the modules are
# STANDALONE_WASM and js/loader.js instantiates them itself. The export list is every function
# declared in c/lstm.h on a line that starts with `LSTM_API`, plus malloc and free.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (expected --force)" >&2; exit 2 ;;
  esac
done

out_dir=js/build
simd_out=$out_dir/lstm-simd.wasm
plain_out=$out_dir/lstm-plain.wasm
abi_out=$out_dir/abi.js

print_sizes() {
  local f
  for f in "$simd_out" "$plain_out"; do
    printf '  %-26s %8d bytes  %7d gzip\n' "$f" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
  done
}

# ---- up to date?
# Both outputs exist and are newer than every file in c/ (and c/ itself, whose mtime changes
# when a file is added or removed) and than this script.
if [ "$force" = 0 ] && [ -f "$simd_out" ] && [ -f "$plain_out" ] && [ -f "$abi_out" ] && [ -d c ]; then
  oldest=$simd_out
  [ "$plain_out" -ot "$oldest" ] && oldest=$plain_out
  [ "$abi_out" -ot "$oldest" ] && oldest=$abi_out
  if [ -z "$(find c build.sh -newer "$oldest" -print -quit)" ]; then
    echo "build.sh: up to date (use --force to rebuild)"
    print_sizes
    exit 0
  fi
fi

# ---- toolchain
bash scripts/ensure-toolchain.sh emcc

# ---- sources and exports
shopt -s nullglob
sources=(c/*.c)
shopt -u nullglob
if [ "${#sources[@]}" -eq 0 ]; then
  echo "build.sh: no C sources: c/*.c matched nothing" >&2
  exit 1
fi
if [ ! -f c/lstm.h ]; then
  echo "build.sh: c/lstm.h not found: it declares the exported API (lines starting with LSTM_API)" >&2
  exit 1
fi

# Every line that starts with LSTM_API must name its function before the first '(' on that line.
api_lines=$(grep -E '^[[:space:]]*LSTM_API[[:space:]]' c/lstm.h || true)
exports=()
while IFS= read -r line; do
  [ -z "$line" ] && continue
  name=$(printf '%s\n' "$line" | sed -nE 's/^[^(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*$/\1/p')
  if [ -z "$name" ] || [ "${name#lstm_}" = "$name" ]; then
    echo "build.sh: c/lstm.h: expected 'LSTM_API <type> lstm_<name>(' on one line, got: $line" >&2
    exit 1
  fi
  exports+=("$name")
done <<<"$api_lines"
if [ "${#exports[@]}" -eq 0 ]; then
  echo "build.sh: no exported functions: no line in c/lstm.h starts with 'LSTM_API'" >&2
  exit 1
fi
has_abi=0
for e in "${exports[@]}"; do [ "$e" = lstm_abi ] && has_abi=1; done   # (no grep -q in a pipe: SIGPIPE + pipefail)
if [ "$has_abi" = 0 ]; then
  echo "build.sh: c/lstm.h declares no 'LSTM_API int lstm_abi(char* buf, int cap)': the library must describe its ABI (js/build/abi.js is written from it)" >&2
  exit 1
fi
# Unique, in header order; emcc wants C names with a leading underscore.
mapfile -t exports < <(printf '%s\n' "${exports[@]}" | awk '!seen[$0]++')
exported_functions=$(printf '_%s,' "${exports[@]}")_malloc,_free

echo "build.sh: ${#sources[@]} source(s), ${#exports[@]} exported function(s): ${exports[*]}"

# --profiling-funcs keeps the "name" section (function names only; the code is byte-identical):
# wasm-objdump -d and tests/build.test.js can then find the *__wasmsimd kernels, and traps show
# C function names in stack traces. It costs a few hundred bytes gzipped.
emcc_flags=(
  -O3 --profiling-funcs -std=c11 -Wall -Wextra -Werror -DNDEBUG
  --no-entry -sSTANDALONE_WASM
  -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=1GB -sMALLOC=emmalloc
  -sINITIAL_MEMORY=2MB -sTOTAL_STACK=512KB
)

# The only import a library module may have (memory growth notification). Anything else
# (fd_write, proc_exit, ...) means stdio or abort() crept into library code.
check_imports() {   # check_imports <file> <name to report>
  node --input-type=module - "$1" "$2" <<'EOF'
import { readFileSync } from 'node:fs';
const [file, label] = process.argv.slice(2);
const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
const bad = imports.filter((i) => !(i.module === 'env' && i.name === 'emscripten_notify_memory_growth'));
if (bad.length) {
  console.error(`build.sh: ${label} would import ${bad.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ')}`);
  console.error('  only env.emscripten_notify_memory_growth is allowed: library code in c/ must not call printf/puts/abort/exit/time or other libc I/O');
  process.exit(1);
}
EOF
}

# The kernel twins are exported too (name__scalar in both builds, name__wasmsimd in the SIMD build):
# tests/kernels.test.js calls them directly against a float64 reference, and an exported function
# keeps its own body, so tests/build.test.js can count each SIMD kernel's f32x4 instructions
# (binaryen would otherwise inline every single-caller kernel into the model code).
kernels=()
if [ -f c/kernels.h ]; then
  mapfile -t kernels < <(grep -oE '[a-z_0-9]+__##sfx' c/kernels.h | sed 's/__##sfx//' | awk '!seen[$0]++')
fi
scalar_kernels='' simd_kernels=''
if [ "${#kernels[@]}" -gt 0 ]; then
  scalar_kernels=$(printf '_%s__scalar,' "${kernels[@]}")
  simd_kernels=$(printf '_%s__wasmsimd,' "${kernels[@]}")
fi

# ---- build: compile into a temp file, check it, then move it into place, so a failed
# build never leaves an output that looks up to date.
mkdir -p "$out_dir"
build_one() {   # build_one <output> [extra emcc flags...]
  local out=$1; shift
  local tmp=$out.tmp.wasm
  rm -f "$tmp"
  echo "build.sh: emcc $* -> $out"
  if ! emcc "${emcc_flags[@]}" "$@" "${sources[@]}" -o "$tmp"; then
    rm -f "$tmp"
    echo "build.sh: emcc failed for $out" >&2
    exit 1
  fi
  if ! check_imports "$tmp" "$out"; then
    rm -f "$tmp"
    exit 1
  fi
  mv -f "$tmp" "$out"
}

build_one "$simd_out" -msimd128 "-sEXPORTED_FUNCTIONS=${scalar_kernels}${simd_kernels}$exported_functions"
build_one "$plain_out" "-sEXPORTED_FUNCTIONS=${scalar_kernels}$exported_functions"

# ---- js/build/abi.js: one source for what JS mirrors from C. The plain module describes itself
# (lstm_abi); the JS wrapper checks each instance against this file at load.
write_abi() {   # write_abi <wasm> <out.js>
  node --input-type=module - "$1" "$2" <<'EOF'
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
const [file, out] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(file),
  { env: { emscripten_notify_memory_growth() {} } });
const x = instance.exports;
x._initialize?.();
const n = x.lstm_abi(0, 0), p = x.malloc(n + 1);
x.lstm_abi(p, n + 1);
const text = new TextDecoder().decode(new Uint8Array(x.memory.buffer, p, n));
JSON.parse(text); // must be valid JSON
const js = `// Generated by build.sh from the C build (lstm_abi in c/abi.c): do not edit.
// The enums, limits, cell table and struct layouts of c/lstm.h, as js/abi.js imports them.
export const text = ${JSON.stringify(text)};
export default JSON.parse(text);
`;
writeFileSync(out + '.tmp', js);
renameSync(out + '.tmp', out);
EOF
}
if ! write_abi "$plain_out" "$abi_out"; then
  echo "build.sh: could not write $abi_out from $plain_out" >&2
  rm -f "$plain_out"
  exit 1
fi

echo "build.sh: built"
print_sizes
