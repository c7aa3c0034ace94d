// The wasm-lstm/interop entry point: reachable by its package name, every export typed and
// documented in js/interop.d.ts, nothing of it loaded by the core package.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test("'wasm-lstm/interop' resolves through package.json exports (types first) to js/interop/index.js", async () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
  assert.deepEqual(Object.keys(pkg.exports['./interop']), ['types', 'default']);
  const byName = await import('wasm-lstm/interop');
  const byPath = await import('../../js/interop/index.js');
  assert.equal(byName.readPyTorch, byPath.readPyTorch);
});

test('every export of js/interop/index.js is declared in js/interop.d.ts, and nothing else', async () => {
  const dts = readFileSync(`${ROOT}js/interop.d.ts`, 'utf8');
  const declared = [...dts.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1]).sort();
  const actual = Object.keys(await import('../../js/interop/index.js')).sort();
  assert.deepEqual(declared, actual);
  for (const name of actual) {
    const at = dts.search(new RegExp(`^export (?:function|const) ${name}\\b`, 'm'));
    assert.match(dts.slice(Math.max(0, at - 400), at), /\*\/\s*$/, `${name} has a doc comment`);
  }
});

test('importing wasm-lstm loads no interop module (users who do not import it pay nothing)', () => {
  // a loader hook that prints every module URL the child loads
  const hook = 'export async function load(url, context, next) { console.log("LOADED " + url); return next(url, context); }';
  const run = (entry) => spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', `data:text/javascript,${encodeURIComponent(hook)}`,
    '--input-type=module', '-e', `await import('${entry}');`], { cwd: ROOT, encoding: 'utf8' });
  const core = run('wasm-lstm');
  assert.equal(core.status, 0, core.stderr);
  const loaded = core.stdout.split('\n').filter((l) => l.startsWith('LOADED '));
  assert.ok(loaded.some((l) => l.endsWith('/js/network.js')), 'the hook sees the core');
  assert.deepEqual(loaded.filter((l) => /\/js\/interop/.test(l)), []);
  const interop = run('wasm-lstm/interop');
  assert.ok(interop.stdout.includes('/js/interop/index.js'), 'the hook sees interop when it is imported');
});

test('inspectFile: tensors, format details and the model (or why not) for each format', async () => {
  const { inspectFile, writeKeras, readPyTorch } = await import('../../js/interop/index.js');
  const { fixture, CASES } = await import('./helpers.js');
  const pt = inspectFile(fixture('pt/lstm-L2-bi-emb.pt'));
  assert.equal(pt.format, 'pytorch');
  assert.ok(pt.tensors.some((t) => t.name.endsWith('weight_ih_l1_reverse') && t.dtype === 'float32'));
  assert.equal(pt.model.config.layers, 2);
  assert.equal(pt.problem, null);
  const st = inspectFile(fixture('safetensors/gru-L1-uni-dense.safetensors'));
  assert.deepEqual([st.format, st.details.metadata, st.model.config.cell], ['safetensors', { format: 'pt' }, 'gru']);
  const ox = inspectFile(fixture('onnx/lstm-L2-bi-dense-packed.onnx'));
  assert.equal(ox.format, 'onnx');
  assert.equal(ox.details.ops.TopK, 1);
  assert.deepEqual(ox.details.inputs.map((i) => i.name), ['x', 'lengths']);
  const proj = inspectFile(fixture(CASES.special.proj_size.file));
  assert.equal(proj.model, null);
  assert.match(proj.problem, /proj_size/);
  const k = inspectFile(writeKeras(readPyTorch(fixture('pt/rnn-L1-uni-emb.pt'))).files);
  assert.deepEqual([k.format, k.details.class, k.model.config.cell], ['tfjs', 'Sequential', 'rnn']);
  assert.throws(() => inspectFile(new Uint8Array([1, 2, 3])), /not a PyTorch, safetensors, ONNX or TF\.js model/);
});

test('vocabularyJson: the characters by id as a JSON array, one code point each (what json.dump(chars) writes); a non-string is LstmError arg', async () => {
  const { vocabularyJson } = await import('../../js/interop/index.js');
  const { LstmError } = await import('../../js/index.js');
  const v = '\n !ae\u00e9\u4e2d\u{1F600}';
  const text = vocabularyJson(v);
  assert.ok(text.endsWith(']\n'));
  assert.deepEqual(JSON.parse(text), ['\n', ' ', '!', 'a', 'e', 'é', '中', '😀']);
  assert.equal(JSON.parse(text).join(''), v);
  for (const bad of [undefined, ['a', 'b'], 12]) {
    assert.throws(() => vocabularyJson(bad), (e) => e instanceof LstmError && e.code === 'arg' && e.argument === 'vocabulary' && /^vocabulary: expected a string/.test(e.message));
  }
});
