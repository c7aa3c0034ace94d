// Reliability: numerical faults (a non-finite step is rejected and leaves exactly the last good
// step's state; gradient clipping keeps an exploding RNN finite), memory (out-of-memory is refused
// before allocating and leaves the model and the others usable; 1000 create/train/save/load/dispose
// cycles leave wasm memory and the JS heap flat).
//
// tests/errors.test.js already checks that a non-finite loss leaves parameters and the step count
// alone, and tests/lifecycle.test.js that create/train/dispose cycles do not leak; this file adds
// optimizer moments, carried state and RNG (through save() bytes and a continuation against a twin),
// divergence with and without clipping, refusals near the 1 GB limit, and cycles through files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Network, LstmError } from '../js/index.js';
import * as ref from './reference.js';
import { expectError } from './expect.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const sameBytes = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const MB = 2 ** 20;
const mb = (x) => (x / MB).toFixed(2);

function maxAbs(params) {
  let m = 0;
  for (const t of Object.values(params)) for (const x of t.data) m = Math.max(m, Math.abs(x));
  return m;
}

// ---- numerical faults

test('a step with a huge learning rate is rejected (nonfinite) and leaves the last good step\'s parameters, moments, carried state and RNG', async (t) => {
  // GRU, 2 layers, dropout (so the RNG matters), targets ×1000 (large gradients): with a learning
  // rate of 1e38 the very first update overflows float32 for every optimizer.
  const ok = { batch: 2, steps: 5 };
  for (const optimizer of ['adam', 'sgd', 'rmsprop', 'adagrad']) {
    for (const path of ['train', 'lossAndGradients + applyGradients']) {
      await t.test(`${optimizer}, ${path}`, async () => {
        const config = { cell: 'gru', input: 3, hidden: 8, layers: 2, output: 2, loss: 'mse', seed: 5, dropout: 0.1,
          optimizer, learningRate: 0.01, clip: { mode: 'none' } };
        const faulty = await Network.create(config), twin = await Network.create(config);
        const rand = ref.rng(9);
        const batches = Array.from({ length: 6 }, () => {
          const b = ref.randomBatch(faulty.config, 2, 5, rand);
          return { inputs: b.inputs, targets: b.targets.map((v) => v * 1000) };
        });
        for (const { inputs, targets } of batches.slice(0, 3)) {
          assert.equal(faulty.train(inputs, targets, ok), twin.train(inputs, targets, ok));
        }
        const good = faulty.save();

        faulty.setTrainingConfig({ learningRate: 1e38 });
        const { inputs, targets } = batches[3];
        if (path === 'train') {
          expectError(() => faulty.train(inputs, targets, ok), 'nonfinite', /^train: the loss or gradient was not finite; parameters, gradients, optimizer state and carried state were left unchanged/);
        } else {
          faulty.lossAndGradients(inputs, targets, { ...ok, advance: false });
          expectError(() => faulty.applyGradients(), 'nonfinite', /^applyGradients: the loss or gradient was not finite/);
        }
        assert.equal(faulty.stepCount, 3);
        assert.ok(ref.sameParameters(faulty.parameters(), twin.parameters()), 'parameters moved');
        faulty.setTrainingConfig({ learningRate: 0.01 });
        // the file holds parameters, optimizer moments, step count, RNG and the carried train state
        assert.ok(sameBytes(faulty.save(), good), 'save() after the rejected step differs from save() after the last good step');
        assert.ok(sameBytes(faulty.save(), twin.save()));
        // and training continues exactly like the twin that never saw the huge learning rate
        for (const b of batches.slice(3)) {
          const lf = faulty.train(b.inputs, b.targets, ok), lt = twin.train(b.inputs, b.targets, ok);
          assert.equal(lf, lt);
          assert.ok(Number.isFinite(lf));
        }
        assert.ok(ref.sameParameters(faulty.parameters(), twin.parameters()), 'continued training differs from the twin');
        faulty.dispose();
        twin.dispose();
      });
    }
  }
});

// An RNN on 200-step sequences whose recurrent weights have gain 2 (Wh ~ N(0, 4/H)): chaotic
// dynamics, so ∂L/∂h_t grows exponentially backwards in time. Plain SGD at lr 0.3.
async function explodingRnn(clip) {
  const H = 32, I = 4, B = 4, T = 200;
  const net = await Network.create({ cell: 'rnn', input: I, hidden: H, output: 1, loss: 'mse', seed: 7,
    optimizer: 'sgd', learningRate: 0.3, momentum: 0, clip });
  const rand = ref.rng(3);
  const gauss = () => { let s = 0; for (let k = 0; k < 12; k++) s += rand(); return s - 6; };
  net.setParameters({ 'l0.wh': Float32Array.from({ length: H * H }, () => gauss() * 2 / Math.sqrt(H)) });
  const x = Float32Array.from({ length: B * T * I }, () => rand() * 2 - 1);
  const y = Float32Array.from({ length: B * T }, (_, i) => 0.5 * x[i * I]); // learnable: half the first input
  return { net, x, y, opts: { batch: B, steps: T } };
}

test('clipping prevents explosion: an RNN on 200-step sequences diverges without clipping and stays finite with norm clipping', async (t) => {
  const N = 60;
  // without clipping: the loss explodes until a step is rejected as non-finite
  const u = await explodingRnn({ mode: 'none' });
  const picture = u.net.stepGradientNorms(u.x, u.y, u.opts);
  const dh0 = picture.norms[0], dhLast = picture.norms[u.opts.steps - 1];
  assert.ok(dh0 > 1e4 * dhLast, `‖∂L/∂h_0‖ ${dh0} should dwarf ‖∂L/∂h_T-1‖ ${dhLast} (exploding backwards in time)`);
  const losses = [];
  let last = u.net.parameters(), failed = null;
  for (let k = 0; k < N && !failed; k++) {
    u.net.resetState('train');
    try {
      losses.push(u.net.train(u.x, u.y, u.opts));
      if (k === 0) assert.ok(u.net.lastGradientNorm > 1e5, `first gradient norm ${u.net.lastGradientNorm}`);
      last = u.net.parameters();
    } catch (e) {
      failed = e;
    }
  }
  assert.ok(failed, `no divergence within ${N} steps: losses ${losses.map((l) => l.toExponential(1))}`);
  assert.ok(failed instanceof LstmError && failed.code === 'nonfinite', `${failed}`);
  assert.ok(losses.at(-1) > 1e20 * losses[0], `the loss exploded before the rejected step: ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(maxAbs(last) > 1e10, `parameters blew up: max |p| ${maxAbs(last)}`);
  // the rejected step left the last good step's parameters and step count
  assert.ok(ref.sameParameters(u.net.parameters(), last));
  assert.equal(u.net.stepCount, losses.length);
  u.net.dispose();
  // measured: 21 good steps (loss 0.196 → 3.5e37), the 22nd rejected; reported, not asserted
  t.diagnostic(`unclipped RNN: ${losses.length} good steps, loss ${losses[0].toExponential(2)} → ${losses.at(-1).toExponential(2)}, then nonfinite`);

  // with clipping at norm 1: the same model, the same data, N steps, all finite and bounded
  const c = await explodingRnn({ mode: 'norm', threshold: 1 });
  const clipped = [], norms = [];
  for (let k = 0; k < N; k++) {
    c.net.resetState('train');
    clipped.push(c.net.train(c.x, c.y, c.opts));
    norms.push(c.net.lastGradientNorm);
  }
  assert.ok(clipped.every(Number.isFinite), 'a clipped loss is not finite');
  assert.equal(clipped[0], losses[0], 'the same first loss');
  assert.ok(norms[0] > 1e5, `the gradient before clipping is huge (${norms[0]}): clipping is what keeps it finite`);
  assert.ok(Math.max(...norms) > 1e5 && norms.filter((g) => g > 1e3).length >= 5, 'gradients keep exploding, clipping keeps absorbing them');
  assert.ok(Math.max(...clipped) < 2, `the clipped loss stayed bounded: max ${Math.max(...clipped)}`);
  assert.ok(maxAbs(c.net.parameters()) < 10, `clipped parameters stay small: max |p| ${maxAbs(c.net.parameters())}`);
  assert.equal(c.net.stepCount, N);
  c.net.dispose();
});

// ---- memory

test('a call whose workspace cannot fit in 1 GB is refused (nomem) before allocating; this model and the others are unaffected', async () => {
  const config = { cell: 'lstm', vocab: 5, hidden: 256, output: 5, seed: 1 };
  const big = await Network.create(config), twin = await Network.create(config);
  const other = await Network.create({ cell: 'gru', vocab: 7, hidden: 8, output: 7, seed: 2 });
  const otherTwin = await Network.create({ cell: 'gru', vocab: 7, hidden: 8, output: 7, seed: 2 });
  const rand = ref.rng(4);
  const small = ref.randomBatch(big.config, 2, 6, rand), o = ref.randomBatch(other.config, 3, 4, rand);
  for (const n of [big, twin]) n.train(small.inputs, small.targets, { batch: 2, steps: 6 }); // moments exist now
  for (const n of [other, otherTwin]) n.train(o.inputs, o.targets, { batch: 3, steps: 4 });
  const before = big.memoryBytes, otherBefore = other.memoryBytes;

  // B×T = 262144 steps of a 256-unit LSTM: its activations alone need more than 1 GB (half of it
  // fits: 64 × 2048 trains, in 8 s and 800 MB)
  const B = 128, T = 2048;
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  const t0 = performance.now();
  expectError(() => big.train(x, y, { batch: B, steps: T }), 'nomem', /^train: out of WebAssembly memory \(1 GB at most\)/);
  expectError(() => big.lossAndGradients(x, y, { batch: B, steps: T }), 'nomem', /^lossAndGradients: out of WebAssembly memory/);
  expectError(() => big.stepGradientNorms(x, y, { batch: B, steps: T }), 'nomem', /^stepGradientNorms: out of WebAssembly memory/);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `refusing took ${ms} ms: it should not even try`);
  // only the staging buffers of the inputs and targets (2 × 1 MiB) may have grown the memory
  assert.ok(big.memoryBytes - before <= 2 * B * T * 4 + MB, `memory grew by ${mb(big.memoryBytes - before)} MB`);
  assert.equal(big.stepCount, 1);
  assert.equal(other.memoryBytes, otherBefore);

  // the refused model goes on exactly like its twin; so does the other model
  for (let k = 0; k < 2; k++) {
    const b = ref.randomBatch(big.config, 2, 6, rand);
    assert.equal(big.train(b.inputs, b.targets, { batch: 2, steps: 6 }), twin.train(b.inputs, b.targets, { batch: 2, steps: 6 }));
    const c = ref.randomBatch(other.config, 3, 4, rand);
    assert.equal(other.train(c.inputs, c.targets, { batch: 3, steps: 4 }), otherTwin.train(c.inputs, c.targets, { batch: 3, steps: 4 }));
  }
  assert.ok(ref.sameParameters(big.parameters(), twin.parameters()));
  assert.ok(sameBytes(big.predict(small.inputs, { batch: 2 }), twin.predict(small.inputs, { batch: 2 })));
  assert.ok(ref.sameParameters(other.parameters(), otherTwin.parameters()));
  for (const n of [big, twin, other, otherTwin]) n.dispose();
});

test('a train call that cannot fit in wasm memory is refused (nomem) and gives back what it allocated', async () => {
  // 46.2 M parameters: parameters, two gradient buffers and Adam's two moments are 924 MB, which
  // still fits in the 1 GB of wasm memory; a batch of 64 × 8192 steps then needs ~200 MB of
  // workspace that does not. Wasm memory never shrinks, so "gives back" means: the moments
  // allocated for the refused step are freed and reusable.
  const net = await Network.create({ cell: 'lstm', vocab: 1 << 20, hidden: 11, output: 2, seed: 1 });
  try {
    const other = await Network.create({ vocab: 5, hidden: 4, output: 5 });
    const otherBefore = other.memoryBytes;
    const B = 64, T = 8192;
    const x = new Int32Array(B * T).map((_, i) => (i * 7919) % (1 << 20)), y = new Int32Array(B * T).map((_, i) => i & 1);
    const small = Int32Array.of(5, 7);
    const p = net.predict(small);
    net.resetState('predict');
    expectError(() => net.train(x, y, { batch: B, steps: T }), 'nomem', /^train: out of WebAssembly memory/);
    assert.equal(other.memoryBytes, otherBefore);
    assert.ok(Number.isFinite(other.train([1, 2], [2, 3])));
    other.dispose();
    assert.equal(net.stepCount, 0);
    assert.ok(sameBytes(net.predict(small), p), 'predict changed');
    net.resetState('predict');
    // the freed moments make room for a small training step (a small allocation made first could
    // split the freed block: the heap does not move blocks); saving streams the file out
    assert.ok(Number.isFinite(net.train(small, Int32Array.of(0, 1), { steps: 2 })));
    assert.equal(net.stepCount, 1);
    const file = net.save({ includeOptimizer: false });
    assert.ok(file.length > 4 * net.parameterCount);
  } finally {
    net.dispose();
  }
});

async function settle() {
  for (let k = 0; k < 3; k++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

test('1000 create/train/save/load/dispose cycles leave wasm memory and the JS heap flat', async (t) => {
  const config = { cell: 'gru', vocab: 12, hidden: 16, layers: 2, output: 12, seed: 2, dropout: 0.1 };
  const rand = ref.rng(1);
  const { inputs, targets } = ref.randomBatch({ ...config, loss: 'xent' }, 4, 8, rand);
  const opts = { batch: 4, steps: 8 };
  let reference = null;
  const cycles = async (n) => {
    for (let k = 0; k < n; k++) {
      const net = await Network.create(config);
      const loss = net.train(inputs, targets, opts);
      const copy = await Network.load(net.save({ meta: { k } }));
      net.dispose();
      copy.train(inputs, targets, opts);
      const y = copy.predict(inputs, opts);
      copy.dispose();
      reference ??= { loss, y };
      // every cycle computes the same thing (nothing carried over from earlier instances)
      if (loss !== reference.loss || !sameBytes(y, reference.y)) assert.fail(`cycle ${k} computed something else`);
    }
  };
  await cycles(100); // warm-up: module compiled, code tiered up, heap at its working size
  await settle();
  const a = process.memoryUsage();
  await cycles(1000);
  await settle();
  const b = process.memoryUsage();
  const rss = b.rss - a.rss, heap = b.heapUsed - a.heapUsed, external = b.external - a.external;
  // measured here: rss +0.8–1.4 MB, heap +0.1 MB, external 0. Keeping the loaded copies instead of
  // disposing them: rss +195 MB, heap +24 MB, external +2000 MB (2 MB of wasm memory each).
  t.diagnostic(`1000 create/train/save/load/dispose cycles: rss ${mb(rss)} MB, heap ${mb(heap)} MB, external ${mb(external)} MB`);
  assert.ok(rss < 10 * MB, `rss grew by ${mb(rss)} MB over 1000 cycles (${mb(a.rss)} → ${mb(b.rss)})`);
  assert.ok(heap < 2 * MB, `JS heap grew by ${mb(heap)} MB over 1000 cycles`);
  assert.ok(external < 8 * MB, `external (wasm) memory grew by ${mb(external)} MB over 1000 cycles: a leaked instance is 2 MB`);
});

test('a long-lived model keeps its wasm memory over 1000 train/save/load-into-another/dispose cycles', async () => {
  const config = { cell: 'lstm', vocab: 9, hidden: 12, layers: 2, output: 9, seed: 6 };
  const live = await Network.create(config);
  const rand = ref.rng(8);
  const batches = Array.from({ length: 4 }, () => ref.randomBatch(live.config, 3, 7, rand));
  const opts = { batch: 3, steps: 7 };
  const cycle = async (k) => {
    const { inputs, targets } = batches[k % batches.length];
    live.train(inputs, targets, opts);
    const other = await Network.load(live.save());
    const want = live.predict(inputs, opts);
    live.resetState('predict');
    other.resetState('predict');
    if (!sameBytes(other.predict(inputs, opts), live.predict(inputs, opts))) assert.fail(`cycle ${k}: the loaded copy predicts differently`);
    if (want.length !== 3 * 7 * 9) assert.fail('predict length');
    other.dispose();
  };
  for (let k = 0; k < 100; k++) await cycle(k);
  await settle();
  const bytes = live.memoryBytes, heap0 = process.memoryUsage().heapUsed;
  for (let k = 0; k < 1000; k++) await cycle(k);
  await settle();
  const heap = process.memoryUsage().heapUsed - heap0;
  assert.equal(live.memoryBytes, bytes, 'the long-lived model\'s wasm memory grew');
  assert.ok(heap < 2 * MB, `JS heap grew by ${mb(heap)} MB`);
  assert.equal(live.stepCount, 1100);
  live.dispose();
});
