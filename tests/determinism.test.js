// Determinism: the same seed and config give bit-identical parameters (and losses, and CharModel
// samples) after N training steps — twice in one process, in a child process, and in headless
// Chromium with the SIMD and the plain build, compared with Node bit for bit. Different seeds
// differ.
//
// One function, trainRun, does the work everywhere: it is called directly in Node, its source is
// run by a child `node -e`, and Playwright serialises it into a page of the served repository. It
// takes everything from its argument (no closures) and returns the Float32 bytes of every
// parameter tensor as hex, so the comparison is exact.
//
// tests/network.test.js already checks SIMD vs plain and same/different seed for an LSTM in one
// Node process; the browser part needs Debian's /usr/bin/chromium (skipped with a message
// otherwise) and the wasm build (bash build.sh).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { simdSupported } from '../js/index.js';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from './chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_URL = pathToFileURL(join(ROOT, 'js', 'index.js')).href;

/**
 * Creates a model from `spec`, trains it `steps` steps on data from a seeded xorshift, and returns
 * {simd, losses, params: {name: hex of the Float32 bytes}, predict: hex}; for kind 'char' also the
 * samples. Self-contained: it runs in Node, in a child process and in a browser page.
 */
async function trainRun({ url, kind, config, simd, steps, dataSeed, ragged }) {
  const lib = await import(url);
  let s = dataSeed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const hex = (f32) => Array.from(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength), (b) => b.toString(16).padStart(2, '0')).join('');
  const paramsHex = (net) => Object.fromEntries(Object.entries(net.parameters()).map(([n, t]) => [n, hex(t.data)]));
  if (kind === 'char') {
    const words = ['the', 'cat', 'cats', 'which', 'ate', 'was', 'were', 'full', 'food', ',', '.', '\n'];
    let text = '';
    while (text.length < 3000) text += words[Math.floor(rand() * words.length)] + ' ';
    const m = await lib.CharModel.create({ ...config, text, simd });
    const losses = m.trainSteps(steps);
    const out = {
      simd: m.network.simd, losses, params: paramsHex(m.network),
      samples: [m.sample({ length: 80 }), m.sample({ length: 80, seed: 3, temperature: 0.7, topP: 0.9, prime: 'the cat' })],
      evaluation: m.evaluate().loss,
    };
    m.dispose();
    return out;
  }
  const net = await lib.Network.create({ ...config, simd });
  const B = 3, T = 7, c = net.config;
  const batch = () => {
    const n = B * T;
    const inputs = c.vocab !== undefined ? Int32Array.from({ length: n }, () => Math.floor(rand() * c.vocab))
      : Float32Array.from({ length: n * c.input }, () => rand() * 2 - 1);
    const rows = c.loss.endsWith('-last') ? B : n;
    const targets = c.loss.startsWith('xent') ? Int32Array.from({ length: rows }, () => Math.floor(rand() * c.output))
      : Float32Array.from({ length: rows * c.output }, () => rand() * 2 - 1);
    // ragged batches: every sequence its own length in 1..T
    const opts = { batch: B, steps: T, ...(ragged && { lengths: Int32Array.from({ length: B }, () => 1 + Math.floor(rand() * T)) }) };
    return { inputs, targets, opts };
  };
  const losses = [];
  for (let k = 0; k < steps; k++) {
    const { inputs, targets, opts } = batch();
    losses.push(net.train(inputs, targets, opts));
  }
  const probe = batch();
  const out = { simd: net.simd, losses, params: paramsHex(net), predict: hex(net.predict(probe.inputs, probe.opts)) };
  net.dispose();
  return out;
}

const STEPS = 8;
// 2 layers with dropout (the C RNG is used every step), each cell, tokens and dense, three optimizers
const RUNS = [
  { name: 'lstm tokens adam', kind: 'net', config: { cell: 'lstm', vocab: 11, hidden: 16, layers: 2, output: 11, seed: 21, dropout: 0.2 } },
  { name: 'gru dense mse sgd', kind: 'net', config: { cell: 'gru', input: 5, hidden: 13, layers: 2, output: 3, loss: 'mse', seed: 22, dropout: 0.2, optimizer: 'sgd', learningRate: 0.05, momentum: 0.9 } },
  { name: 'rnn tokens rmsprop', kind: 'net', config: { cell: 'rnn', vocab: 7, hidden: 9, layers: 2, output: 7, seed: 23, dropout: 0.2, optimizer: 'rmsprop', learningRate: 0.01 } },
  { name: 'CharModel', kind: 'char', config: { hidden: 24, layers: 2, batch: 4, seqLength: 16, dropout: 0.1, seed: 24 } },
  // the layers issue: bidirectional, ragged lengths, one label per sequence, the hard sigmoid
  { name: 'bidirectional lstm tokens xent-last ragged hardSigmoid', kind: 'net', ragged: true, config: { cell: 'lstm', vocab: 9, hidden: 12, layers: 2, output: 4, loss: 'xent-last', bidirectional: true, gateActivation: 'hardSigmoid', seed: 25, dropout: 0.2 } },
  { name: 'bidirectional gru dense mse ragged', kind: 'net', ragged: true, config: { cell: 'gru', input: 4, hidden: 7, layers: 3, output: 2, loss: 'mse', bidirectional: true, seed: 26, dropout: 0.1 } },
  { name: 'bidirectional rnn tokens xent', kind: 'net', config: { cell: 'rnn', vocab: 6, hidden: 10, layers: 1, output: 6, bidirectional: true, seed: 27 } },
  { name: 'lstm dense mse-last ragged', kind: 'net', ragged: true, config: { cell: 'lstm', input: 3, hidden: 9, layers: 2, output: 2, loss: 'mse-last', seed: 28 } },
].map((r) => ({ ...r, steps: STEPS, dataSeed: 99 }));

const args = (r, simd, url = NODE_URL) => ({ url, kind: r.kind, config: r.config, simd, steps: STEPS, dataSeed: r.dataSeed, ragged: !!r.ragged });

// Exact equality with a message that names the first difference.
function assertSameRun(got, want, what) {
  assert.deepEqual(Object.keys(got.params), Object.keys(want.params), `${what}: tensors`);
  for (const [n, h] of Object.entries(want.params)) {
    if (got.params[n] !== h) {
      let i = 0;
      while (got.params[n][i] === h[i]) i++;
      assert.fail(`${what}: tensor ${n} differs first at float ${Math.floor(i / 8)}`);
    }
  }
  assert.deepEqual(got.losses, want.losses, `${what}: losses`);
  if (want.predict !== undefined) assert.equal(got.predict, want.predict, `${what}: predictions`);
  if (want.samples) {
    assert.deepEqual(got.samples, want.samples, `${what}: samples`);
    assert.equal(got.evaluation, want.evaluation, `${what}: evaluation`);
  }
}

// Node's results, computed once: { [name]: { simd: run | undefined, plain: run } }
const nodeRuns = {};
async function nodeRun(r) {
  if (!nodeRuns[r.name]) {
    nodeRuns[r.name] = {
      simd: simdSupported() ? await trainRun(args(r, true)) : undefined,
      plain: await trainRun(args(r, false)),
    };
  }
  return nodeRuns[r.name];
}

test('same seed and config → bit-identical parameters, losses and samples, twice in one process; SIMD = plain', async () => {
  for (const r of RUNS) {
    const first = await nodeRun(r);
    const again = await trainRun(args(r, 'auto'));
    assertSameRun(again, first.simd ?? first.plain, `${r.name}: second run`);
    assert.ok(again.losses.every(Number.isFinite), `${r.name}: losses ${again.losses}`);
    assert.notEqual(again.losses[0], again.losses.at(-1), `${r.name}: training moved`);
    if (first.simd) {
      assert.equal(first.simd.simd, true);
      assert.equal(first.plain.simd, false);
      assertSameRun(first.plain, first.simd, `${r.name}: plain vs SIMD build`);
    }
  }
});

test('a different seed gives different parameters (for every cell and CharModel)', async () => {
  for (const r of RUNS) {
    const base = await nodeRun(r);
    const other = await trainRun({ ...args(r, 'auto'), config: { ...r.config, seed: r.config.seed + 1000 } });
    const names = Object.keys(base.plain.params);
    const differing = names.filter((n) => other.params[n] !== base.plain.params[n]);
    // every weight matrix differs (biases may start at 0 for both, but training moves them apart too)
    assert.ok(differing.filter((n) => /\.w[xh]$|head\.w/.test(n)).length === names.filter((n) => /\.w[xh]$|head\.w/.test(n)).length,
      `${r.name}: only ${differing.join(', ')} differ`);
    assert.notDeepEqual(other.losses, base.plain.losses, `${r.name}: losses`);
  }
});

function runChild(script) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

test('a child process computes the same bits', async () => {
  const list = RUNS.map((r) => args(r, 'auto'));
  const script = `const trainRun = ${trainRun.toString()};\n` +
    `const out = [];\nfor (const a of ${JSON.stringify(list)}) out.push(await trainRun(a));\n` +
    'process.stdout.write(JSON.stringify(out));';
  const results = JSON.parse(await runChild(script));
  assert.equal(results.length, RUNS.length);
  for (const [k, r] of RUNS.entries()) {
    const want = await nodeRun(r);
    assertSameRun(results[k], want.simd ?? want.plain, `${r.name}: child process`);
  }
});

const SKIP = chromiumSkip('Node vs Chromium determinism');
if (SKIP) console.log(`# ${SKIP}`);

describe('headless Chromium computes the same bits as Node (SIMD and plain builds)', { skip: SKIP, timeout: 90_000 }, () => {
  let srv, ctx, page, profile;
  const problems = [];

  before(async () => {
    assert.ok(existsSync(join(ROOT, 'js', 'build', 'lstm-simd.wasm')), 'js/build/*.wasm missing: run bash build.sh first');
    const { chromium } = await import('playwright-core');
    srv = await startServer({ port: 0 });
    profile = mkdtempSync(join(tmpdir(), 'wasm-lstm-determinism-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = ctx.pages()[0] ?? await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // package.json makes Chromium ask for /favicon.ico, which the repository does not have
      if (m.type() === 'error' && !m.location()?.url?.endsWith('/favicon.ico')) problems.push(`console: ${m.text()}`);
    });
    // any page of the served origin: the library is imported from /js/index.js
    await page.goto(`${srv.url}web/style.css`);
  });

  after(async () => {
    try {
      await ctx?.close();
    } finally {
      await srv?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    }
  });

  test('Chromium has SIMD128 like Node', async () => {
    const { simd } = await page.evaluate(async () => ({ simd: (await import('/js/index.js')).simdSupported() }));
    assert.equal(simd, simdSupported());
  });

  for (const r of RUNS) {
    test(r.name, async () => {
      const want = await nodeRun(r);
      for (const simd of [true, false]) {
        if (simd && !want.simd) continue;
        const got = await page.evaluate(trainRun, args(r, simd, '/js/index.js'));
        assert.equal(got.simd, simd, 'which build ran in Chromium');
        assertSameRun(got, want[simd ? 'simd' : 'plain'], `${r.name}: Chromium ${simd ? 'SIMD' : 'plain'} vs Node`);
      }
      assert.deepEqual(problems, []);
    });
  }
});
