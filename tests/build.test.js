// build.sh and its outputs: imports, exports (from c/lstm.h), SIMD kernels really using SIMD,
// incremental rebuilds, and loud failures for a bad header or a library that calls printf.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILDS = {
  simd: join(ROOT, 'js/build/lstm-simd.wasm'),
  plain: join(ROOT, 'js/build/lstm-plain.wasm'),
};

/** The functions c/lstm.h exports: lines starting with LSTM_API, the identifier before '('. */
function apiFunctions() {
  const header = readFileSync(join(ROOT, 'c/lstm.h'), 'utf8');
  return header
    .split('\n')
    .filter((line) => /^\s*LSTM_API\s/.test(line))
    .map((line) => line.match(/([A-Za-z_]\w*)\s*\(/)?.[1]);
}

/** wasm-objdump -d, split per function: Map name -> disassembly lines. */
function functionsOf(file) {
  const text = execFileSync('wasm-objdump', ['-d', file], { encoding: 'utf8', maxBuffer: 512 << 20 });
  const fns = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    const head = line.match(/^[0-9a-f]+ func\[(\d+)\](?: <(.+)>)?:$/);
    if (head) {
      current = [];
      fns.set(head[2] ?? `func[${head[1]}]`, current);
    } else if (current) {
      current.push(line);
    }
  }
  return fns;
}

// f64x2 too: sumsq accumulates squares in float64 (squares of large floats overflow float32)
const F32X4_ARITH = /\b(?:f32x4|f64x2)\.(add|sub|mul|div|min|max|pmin|pmax|neg|abs|sqrt)\b/g;

describe('build outputs', () => {
  for (const [variant, file] of Object.entries(BUILDS)) {
    const module = new WebAssembly.Module(readFileSync(file));

    test(`${variant}: imports only env.emscripten_notify_memory_growth (no stdio/abort in c/)`, () => {
      assert.deepEqual(WebAssembly.Module.imports(module), [
        { module: 'env', name: 'emscripten_notify_memory_growth', kind: 'function' },
      ]);
    });

    test(`${variant}: exports every LSTM_API function of c/lstm.h, malloc, free, memory, _initialize`, () => {
      const api = apiFunctions();
      assert.ok(api.length > 0, 'c/lstm.h declares no LSTM_API function');
      assert.ok(api.every((name) => /^lstm_\w+$/.test(name)), `unexpected names: ${api}`);
      const exported = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
      const missing = [...api, 'malloc', 'free', '_initialize'].filter((n) => exported.get(n) !== 'function');
      assert.deepEqual(missing, [], `not exported as functions by ${file}`);
      assert.equal(exported.get('memory'), 'memory');
    });
  }

  test('simd: every kernel of c/kernels.h has a __wasmsimd twin doing f32x4 arithmetic', (t) => {
    const fns = functionsOf(BUILDS.simd);
    const header = readFileSync(new URL('../c/kernels.h', import.meta.url), 'utf8');
    const names = [...new Set([...header.matchAll(/([a-z_0-9]+)__##sfx/g)].map((m) => m[1]))];
    assert.ok(names.length >= 10, `expected the kernel list in c/kernels.h, found ${names}`);
    for (const base of names) {
      const name = `${base}__wasmsimd`;
      assert.ok(fns.has(name), `${name} is not a function of lstm-simd.wasm (build.sh exports every kernel twin)`);
      const ops = fns.get(name).join('\n').match(F32X4_ARITH) ?? [];
      assert.ok(ops.length > 0, `${name} has no f32x4 arithmetic: not vectorized?`);
      if (['gemm', 'lstm_cell_fwd', 'lstm_cell_bwd', 'gru_cell_fwd'].includes(base)) {
        assert.ok(ops.includes('f32x4.mul') && ops.includes('f32x4.add'), `${name}: only ${[...new Set(ops)]}`);
      }
    }
    t.diagnostic(`${names.length} kernels checked: ${names.join(', ')}`);
  });

  test('simd: the module as a whole does f32x4 multiplies and adds', () => {
    const text = [...functionsOf(BUILDS.simd).values()].flat().join('\n');
    for (const op of ['f32x4.mul', 'f32x4.add']) {
      assert.ok(text.includes(op), `lstm-simd.wasm has no ${op}: are the SIMD kernels compiled in?`);
    }
  });

  test('plain: no f32x4 instruction anywhere', () => {
    const fns = functionsOf(BUILDS.plain);
    const offenders = [...fns].filter(([, lines]) => lines.some((l) => l.includes('f32x4.'))).map(([n]) => n);
    assert.deepEqual(offenders, []);
    assert.ok(![...fns.keys()].some((n) => n.endsWith('__wasmsimd')), 'plain build contains __wasmsimd kernels');
  });
});

describe('build.sh', () => {
  test('a second run with nothing changed is a no-op that reports sizes', () => {
    execFileSync('bash', ['build.sh'], { cwd: ROOT, stdio: 'pipe' });
    const out = execFileSync('bash', ['build.sh'], { cwd: ROOT, encoding: 'utf8' });
    assert.match(out, /up to date/);
    assert.match(out, /lstm-simd\.wasm +\d+ bytes +\d+ gzip/);
    assert.match(out, /lstm-plain\.wasm +\d+ bytes +\d+ gzip/);
  });

  // A throwaway copy of build.sh with a tiny C library, to see it fail loudly.
  function scratchBuild(header, source) {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-build-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      mkdirSync(join(dir, 'c'));
      cpSync(join(ROOT, 'build.sh'), join(dir, 'build.sh'));
      cpSync(join(ROOT, 'scripts/ensure-toolchain.sh'), join(dir, 'scripts/ensure-toolchain.sh'));
      writeFileSync(join(dir, 'c/lstm.h'), header);
      writeFileSync(join(dir, 'c/lib.c'), source);
      const r = spawnSync('bash', ['build.sh'], { cwd: dir, encoding: 'utf8' });
      const outDir = join(dir, 'js/build');
      const outputs = existsSync(outDir) ? readdirSync(outDir) : [];
      return { status: r.status, output: r.stdout + r.stderr, outputs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const HEADER = '#define LSTM_API\nLSTM_API int lstm_answer(void);\nLSTM_API int lstm_abi(char* buf, int cap);\n';
  // the smallest ABI description: the JSON text '{}'
  const ABI = 'int lstm_abi(char* b, int cap) { if (cap > 2) b[0] = 123, b[1] = 125, b[2] = 0; return 2; }\n';

  test('fails when c/lstm.h has no LSTM_API line', () => {
    const r = scratchBuild('int lstm_answer(void);\n', 'int lstm_answer(void) { return 42; }\n');
    assert.notEqual(r.status, 0);
    assert.match(r.output, /no exported functions/);
  });

  test('fails when an LSTM_API line does not name an lstm_ function before "("', () => {
    const r = scratchBuild('#define LSTM_API\nLSTM_API int\nlstm_answer(void);\n', 'int lstm_answer(void) { return 42; }\n');
    assert.notEqual(r.status, 0);
    assert.match(r.output, /expected 'LSTM_API <type> lstm_<name>\(' on one line/);
  });

  test('fails, leaving no output, when library code calls printf (an fd_write import)', () => {
    const r = scratchBuild(HEADER, '#include <stdio.h>\nint lstm_answer(void) { printf("42\\n"); return 42; }\n' + ABI);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /lstm-simd\.wasm would import wasi_snapshot_preview1\.fd_write/);
    assert.deepEqual(r.outputs, [], 'a rejected module must not be left where the next run would skip it');
  });

  test('builds both modules and the ABI description from a minimal library', () => {
    const r = scratchBuild(HEADER, '#include "lstm.h"\nint lstm_answer(void) { return 42; }\n' + ABI);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /2 exported function\(s\): lstm_answer lstm_abi/);
    assert.match(r.output, /lstm-plain\.wasm +\d+ bytes/);
    assert.deepEqual(r.outputs.sort(), ['abi.js', 'lstm-plain.wasm', 'lstm-simd.wasm']);
  });

  test('fails when the library does not describe its ABI (no lstm_abi)', () => {
    const r = scratchBuild('#define LSTM_API\nLSTM_API int lstm_answer(void);\n', 'int lstm_answer(void) { return 42; }\n');
    assert.notEqual(r.status, 0);
    assert.match(r.output, /declares no 'LSTM_API int lstm_abi/);
    assert.deepEqual(r.outputs, []);
  });
});
