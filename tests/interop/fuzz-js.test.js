// A bounded run of the seeded reader fuzzer (tests/fuzz-js/fuzz-readers.mjs) for `npm test`:
// FUZZ_JS_SECONDS (default 15) of mutated zip, deflate, pickle, .pt, safetensors, ONNX and TF.js
// inputs; every one must end in success or LstmError, within the time and memory bounds the
// fuzzer checks. Seed FUZZ_JS_SEED (default 1): the same inputs on every run, so a failure here
// reproduces with `node tests/fuzz-js/fuzz-readers.mjs --seed 1 --seconds 15`. The long run
// (≥ 1M inputs) is `node tests/fuzz-js/fuzz-readers.mjs --iterations 1000000 --seconds 3600`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = fileURLToPath(new URL('../fuzz-js/fuzz-readers.mjs', import.meta.url));
const seconds = Number(process.env.FUZZ_JS_SECONDS ?? 15);
const seed = Number(process.env.FUZZ_JS_SEED ?? 1);

test(`fuzz every interop reader for ${seconds} s (seed ${seed}): only LstmError, no hang, no large allocation`, { timeout: (seconds + 120) * 1000 }, () => {
  const out = join(tmpdir(), `wasm-lstm-fuzz-js-${process.pid}`);
  const r = spawnSync(process.execPath, [SCRIPT, '--seconds', String(seconds), '--seed', String(seed), '--json', '--out', out], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.deepEqual(summary.findings, [], `findings (inputs saved in ${out}): ${JSON.stringify(summary.findings, null, 1)}`);
  assert.equal(r.status, 0, r.stderr);
  const readers = Object.keys(summary.perReader);
  assert.ok(readers.length >= 8, readers.join(', '));
  for (const [name, s] of Object.entries(summary.perReader)) {
    assert.ok(s.inputs > 100, `${name}: ${s.inputs} inputs`);
    assert.ok(s.accepted > 0 && Object.values(s.errors).reduce((a, b) => a + b, 0) > 0, `${name}: some inputs accepted and some refused (${JSON.stringify(s)})`);
  }
  console.log(`# fuzz-js: ${summary.iterations} inputs in ${summary.seconds} s, slowest ${summary.maxMsPerInput} ms, heap ≤ ${summary.maxHeapMB} MB, no findings`);
});
