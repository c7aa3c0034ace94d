// Network against the float64 reference (tests/reference.js): outputs, losses, activations, carried
// state, the tensor table, training equivalences, files, seeds and the two builds.
//
// Tolerances. The C core computes in float32 with polynomial sigmoid/tanh (max error ~1e-6), so:
//   outputs, activations and losses vs the float64 reference: |a − b| ≤ 2e-5 + 1e-4·|b|
//   SIMD vs plain build: bit-identical (twin kernels, same rounding)
// Everything that should be deterministic (seeds, save/load, split calls) is compared bit-exactly
// unless noted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, LstmError, readMeta, simdSupported } from '../js/index.js';
import * as ref from './reference.js';

const ATOL = 2e-5, RTOL = 1e-4;
const CELLS = ['lstm', 'gru', 'rnn'];

const batchOpts = (B, T) => ({ batch: B, steps: T });

test('the tensor table follows c/lstm.h: names, shapes, offsets, initialisation', async () => {
  for (const cell of CELLS) {
    const G = ref.GATES[cell], H = 6, O = 3;
    const net = await Network.create({ cell, input: 5, hidden: H, layers: 2, output: O, loss: 'mse' });
    const p = net.parameters();
    const biases = cell === 'gru' ? [['bx', [G * H]], ['bh', [G * H]]] : [['b', [G * H]]];
    const expected = [];
    for (let l = 0; l < 2; l++) {
      expected.push([`l${l}.wx`, [l ? H : 5, G * H]], [`l${l}.wh`, [H, G * H]]);
      for (const [n, s] of biases) expected.push([`l${l}.${n}`, s]);
    }
    expected.push(['head.w', [H, O]], ['head.b', [O]]);
    assert.deepEqual(Object.entries(p).map(([n, t]) => [n, t.shape]), expected, cell);
    let total = 0;
    for (const [n, t] of Object.entries(p)) {
      assert.equal(t.data.length, t.shape.reduce((a, b) => a * b), n);
      total += t.data.length;
      const bound = 1 / Math.sqrt(H);
      if (n.endsWith('.b') || n.endsWith('.bx') || n.endsWith('.bh')) continue;
      assert.ok(t.data.every((x) => Math.abs(x) <= bound), `${cell} ${n} within ±1/√H`);
      assert.ok(t.data.some((x) => x !== 0), `${cell} ${n} not all zero`);
    }
    assert.equal(net.parameterCount, total);
    if (cell === 'lstm') {
      // forget-gate block (the second of i, f, g, o) is 1, the others U(±1/√H)
      const b = p['l0.b'].data;
      assert.ok(b.subarray(H, 2 * H).every((x) => x === 1), 'forget bias 1');
      assert.ok(b.subarray(0, H).every((x) => Math.abs(x) <= 1 / Math.sqrt(H) && x !== 1));
    } else {
      for (const n of Object.keys(p).filter((k) => /^l\d\.b/.test(k))) {
        assert.ok(p[n].data.every((x) => x === 0), `${cell} ${n} zero`);
      }
    }
    assert.ok(p['head.b'].data.every((x) => x === 0), 'head bias 0');
    net.dispose();
  }
});

test('predict and inspect match the float64 reference (3 cells × 1-2 layers × dense/tokens)', async () => {
  const rand = ref.rng(11);
  const B = 3, T = 5;
  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      for (const tokens of [false, true]) {
        const what = `${cell} L${layers} ${tokens ? 'tokens' : 'dense'}`;
        const config = { cell, hidden: 6, layers, output: 4, seed: 7, ...(tokens ? { vocab: 9 } : { input: 3 }) };
        const net = await Network.create(config);
        const { inputs } = ref.randomBatch(net.config, B, T, rand);
        const params = net.parameters();
        const want = ref.forward(net.config, params, inputs, B, T);

        const y = net.predict(inputs, batchOpts(B, T));
        assert.equal(y.length, B * T * 4);
        ref.assertClose(y, want.outputs, ATOL, RTOL, `${what} outputs`);

        net.resetState('predict');
        const p = net.predict(inputs, { ...batchOpts(B, T), softmax: true });
        ref.assertClose(p, ref.softmax(want.outputs, 4), ATOL, RTOL, `${what} softmax`);

        net.resetState('predict');
        const last = net.predict(inputs, { ...batchOpts(B, T), lastOnly: true });
        const wantLast = [];
        for (let b = 0; b < B; b++) wantLast.push(...want.outputs.subarray((b * T + T - 1) * 4, (b * T + T) * 4));
        ref.assertClose(last, wantLast, ATOL, RTOL, `${what} lastOnly`);

        const ins = net.inspect(inputs, batchOpts(B, T));
        assert.deepEqual(ins.channels, ref.CHANNELS[cell]);
        assert.deepEqual([ins.layers, ins.steps, ins.batch, ins.hidden], [layers, T, B, 6]);
        ref.assertClose(ins.data, want.acts, ATOL, RTOL, `${what} inspect`);
        const h = ins.get(layers - 1, T - 1, B - 1, 'h');
        const C = ref.CHANNELS[cell].length, k = ((((layers - 1) * T + T - 1) * B + B - 1) * C + C - 1) * 6;
        ref.assertClose(h, want.acts.subarray(k, k + 6), ATOL, RTOL, `${what} inspect.get`);
        net.dispose();
      }
    }
  }
});

test('the loss matches the reference for xent (with ignored targets), mse and mse-last', async () => {
  const rand = ref.rng(12);
  const B = 4, T = 6;
  for (const cell of CELLS) {
    for (const [loss, tokens] of [['xent', true], ['xent', false], ['mse', false], ['mse', true], ['mse-last', false]]) {
      const what = `${cell} ${loss} ${tokens ? 'tokens' : 'dense'}`;
      const net = await Network.create({ cell, hidden: 5, layers: 2, output: 3, loss, ...(tokens ? { vocab: 7 } : { input: 2 }) });
      const { inputs, targets } = ref.randomBatch(net.config, B, T, rand, { mask: true });
      const want = ref.loss(net.config, ref.forward(net.config, net.parameters(), inputs, B, T).outputs, targets, B, T);
      const { loss: got } = net.lossAndGradients(inputs, targets, { ...batchOpts(B, T), advance: false });
      ref.assertClose(got, want, ATOL, RTOL, `${what} loss`);
      // train() reports the same loss (before its update), from the same (zero) state
      ref.assertClose(net.train(inputs, targets, batchOpts(B, T)), got, 1e-6, 0, `${what} train loss`);
      net.dispose();
    }
  }
});

test('predict carries its state: two calls of T/2 equal one call of T; resetState and batch changes restart', async () => {
  const rand = ref.rng(13);
  for (const cell of CELLS) {
    const net = await Network.create({ cell, vocab: 8, hidden: 7, layers: 2, output: 8 });
    const B = 2, T = 8;
    const { inputs } = ref.randomBatch(net.config, B, T, rand);
    const whole = net.predict(inputs, batchOpts(B, T));
    net.resetState('predict');
    // inputs are (B, T): split every sequence at T/2
    const half = (k) => Int32Array.from({ length: B * T / 2 }, (_, i) => inputs[Math.floor(i / (T / 2)) * T + k * T / 2 + (i % (T / 2))]);
    const a = net.predict(half(0), batchOpts(B, T / 2)), b = net.predict(half(1), batchOpts(B, T / 2));
    const joined = new Float32Array(B * T * 8);
    for (let s = 0; s < B; s++) {
      joined.set(a.subarray(s * 4 * 8, (s + 1) * 4 * 8), (s * T) * 8);
      joined.set(b.subarray(s * 4 * 8, (s + 1) * 4 * 8), (s * T + 4) * 8);
    }
    ref.assertClose(joined, whole, 1e-6, 0, `${cell} split predict`);
    // the second half alone, from a zero state, differs (so the state really was carried)
    net.resetState('predict');
    assert.ok(ref.maxAbsDiff(net.predict(half(1), batchOpts(B, T / 2)), b) > 1e-4, `${cell} state matters`);
    // resetState('train') leaves the predict state alone; resetState() resets it
    net.resetState();
    const first = net.predict(half(0), batchOpts(B, T / 2));
    net.resetState('train');
    assert.deepEqual(net.predict(half(1), batchOpts(B, T / 2)), b, `${cell} resetState('train')`);
    // a call with another batch size starts from zeros
    const one = net.predict(half(0).subarray(0, T / 2), batchOpts(1, T / 2));
    ref.assertClose(one, first.subarray(0, T / 2 * 8), 1e-6, 0, `${cell} batch change`);
    net.dispose();
  }
});

test('train state carries across lossAndGradients calls (advance) and resetState("train") restarts it', async () => {
  const rand = ref.rng(14);
  const B = 3, T = 8;
  for (const cell of CELLS) {
    const net = await Network.create({ cell, input: 2, hidden: 6, output: 2, loss: 'mse' });
    const { inputs, targets } = ref.randomBatch(net.config, B, T, rand);
    const cut = (arr, width, k) => Float32Array.from({ length: B * T / 2 * width },
      (_, i) => arr[(Math.floor(i / (T / 2 * width)) * T + k * T / 2) * width + (i % (T / 2 * width))]);
    const whole = net.lossAndGradients(inputs, targets, { ...batchOpts(B, T), advance: false }).loss;
    const l0 = net.lossAndGradients(cut(inputs, 2, 0), cut(targets, 2, 0), batchOpts(B, T / 2)).loss;
    const l1 = net.lossAndGradients(cut(inputs, 2, 1), cut(targets, 2, 1), batchOpts(B, T / 2)).loss;
    // mse is a mean over B·T·O: the mean of the two halves is the mean of the whole
    ref.assertClose((l0 + l1) / 2, whole, 1e-6, 1e-5, `${cell} halves`);
    net.resetState('train');
    assert.notEqual(net.lossAndGradients(cut(inputs, 2, 1), cut(targets, 2, 1), batchOpts(B, T / 2)).loss, l1);
    net.resetState('train');
    assert.equal(net.lossAndGradients(cut(inputs, 2, 0), cut(targets, 2, 0), batchOpts(B, T / 2)).loss, l0);
    net.dispose();
  }
});

test('lossAndGradients + applyGradients is exactly train; edited gradients are applied', async () => {
  const rand = ref.rng(15);
  for (const cell of CELLS) {
    const config = { cell, vocab: 6, hidden: 5, output: 6, seed: 3 };
    const a = await Network.create(config), b = await Network.create(config);
    for (let step = 0; step < 3; step++) {
      const { inputs, targets } = ref.randomBatch(a.config, 2, 5, rand);
      const la = a.train(inputs, targets, batchOpts(2, 5));
      const { loss: lb, gradients } = b.lossAndGradients(inputs, targets, batchOpts(2, 5));
      b.applyGradients();
      assert.equal(la, lb);
      // lastGradientNorm is the global L2 norm of the gradient (before clipping)
      let sq = 0;
      for (const t of Object.values(gradients)) for (const g of t.data) sq += g * g;
      ref.assertClose(b.lastGradientNorm, Math.sqrt(sq), 0, 1e-5, `${cell} lastGradientNorm`);
    }
    assert.ok(ref.sameParameters(a.parameters(), b.parameters()), `${cell} params bit-identical`);
    assert.equal(a.stepCount, 3);
    assert.equal(b.stepCount, 3);

    // plain SGD, no clipping: p ← p − lr·g for the gradients we write
    b.setTrainingConfig({ optimizer: 'sgd', learningRate: 0.5, momentum: 0, clip: { mode: 'none' } });
    const before = b.parameters();
    const edited = {};
    for (const [n, t] of Object.entries(before)) edited[n] = { shape: t.shape, data: t.data.map(() => rand() - 0.5) };
    b.applyGradients(edited);
    const after = b.parameters();
    for (const n of Object.keys(before)) {
      const want = before[n].data.map((p, i) => p - 0.5 * edited[n].data[i]);
      ref.assertClose(after[n].data, want, 1e-6, 1e-6, `${cell} sgd ${n}`);
    }
    a.dispose();
    b.dispose();
  }
});

test('save → load: same config, predictions and bit-exact continued training (Adam, dropout)', async () => {
  const rand = ref.rng(16);
  for (const cell of CELLS) {
    const net = await Network.create({ cell, vocab: 7, hidden: 8, layers: 2, output: 7, seed: 5, dropout: 0.25, learningRate: 0.01 });
    const batches = Array.from({ length: 6 }, () => ref.randomBatch(net.config, 3, 6, rand));
    for (const { inputs, targets } of batches.slice(0, 3)) net.train(inputs, targets, batchOpts(3, 6));
    const bytes = net.save({ meta: { note: 'héllo', n: 3 } });
    assert.ok(bytes instanceof Uint8Array);
    const copy = await Network.load(bytes);
    assert.deepEqual(copy.config, net.config);
    assert.deepEqual(copy.trainingConfig, net.trainingConfig);
    assert.deepEqual(copy.meta, { note: 'héllo', n: 3 });
    assert.equal(copy.stepCount, 3);
    assert.ok(ref.sameParameters(copy.parameters(), net.parameters()));
    assert.deepEqual(await readMeta(bytes), { kind: 'network', note: 'héllo', n: 3 });

    net.resetState('predict');
    assert.deepEqual(copy.predict(batches[0].inputs, batchOpts(3, 6)), net.predict(batches[0].inputs, batchOpts(3, 6)));
    for (const { inputs, targets } of batches.slice(3)) {
      assert.equal(copy.train(inputs, targets, batchOpts(3, 6)), net.train(inputs, targets, batchOpts(3, 6)));
    }
    assert.ok(ref.sameParameters(copy.parameters(), net.parameters()), `${cell} continued training bit-exact`);

    // without optimizer and state: smaller, loads, parameters equal, step count kept
    const lean = net.save({ includeOptimizer: false, includeState: false });
    assert.ok(lean.length < bytes.length);
    const leanCopy = await Network.load(lean);
    assert.ok(ref.sameParameters(leanCopy.parameters(), net.parameters()));
    assert.deepEqual(leanCopy.meta, {});
    for (const n of [net, copy, leanCopy]) n.dispose();
  }
});

test('same seed → identical parameters after training; different seed → different', async () => {
  const rand = ref.rng(17);
  const config = { cell: 'lstm', vocab: 5, hidden: 6, output: 5, dropout: 0.1 };
  const nets = [await Network.create({ ...config, seed: 42 }), await Network.create({ ...config, seed: 42 }),
    await Network.create({ ...config, seed: 43 })];
  for (let s = 0; s < 5; s++) {
    const { inputs, targets } = ref.randomBatch(nets[0].config, 2, 4, rand);
    for (const n of nets) n.train(inputs, targets, batchOpts(2, 4));
  }
  const [a, b, c] = nets.map((n) => n.parameters());
  assert.ok(ref.sameParameters(a, b), 'same seed');
  assert.ok(ref.maxAbsDiff(a['l0.wh'].data, c['l0.wh'].data) > 1e-3, 'different seed');
  for (const n of nets) n.dispose();
});

test('SIMD and plain builds give bit-identical results', { skip: !simdSupported() && 'no SIMD in this engine' }, async () => {
  // The kernels are twins with the same algorithm and the same rounding (README "Reliability"),
  // so predictions, losses and parameters after training (with dropout) must match exactly.
  const rand = ref.rng(18);
  for (const cell of CELLS) {
    for (const [tokens, hidden] of [[true, 37], [false, 8]]) {
      const what = `${cell} ${tokens ? 'tokens' : 'dense'} H${hidden}`;
      const config = { cell, hidden, layers: 2, output: 11, seed: 9, dropout: 0.1, ...(tokens ? { vocab: 11 } : { input: 5, loss: 'mse' }) };
      const s = await Network.create({ ...config, simd: true }), p = await Network.create({ ...config, simd: false });
      assert.equal(s.simd, true);
      assert.equal(p.simd, false);
      assert.ok(ref.sameParameters(s.parameters(), p.parameters()), `${what}: same initialisation`);
      const { inputs } = ref.randomBatch(s.config, 5, 9, rand);
      assert.deepEqual(s.predict(inputs, batchOpts(5, 9)), p.predict(inputs, batchOpts(5, 9)), `${what}: predict`);
      for (let k = 0; k < 10; k++) {
        const { inputs: x, targets } = ref.randomBatch(s.config, 5, 9, rand);
        assert.equal(s.train(x, targets, batchOpts(5, 9)), p.train(x, targets, batchOpts(5, 9)), `${what}: loss ${k}`);
      }
      assert.ok(ref.sameParameters(s.parameters(), p.parameters()), `${what}: parameters after 10 steps`);
      s.dispose();
      p.dispose();
    }
  }
});

test('training config: defaults, partial updates, the momentum alias, create-time keys', async () => {
  const net = await Network.create({ input: 2, hidden: 3, output: 1, loss: 'mse' });
  assert.deepEqual(net.trainingConfig, {
    optimizer: 'adam', learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0,
    clip: { mode: 'norm', threshold: 5 }, dropout: 0,
  });
  net.setTrainingConfig({ optimizer: 'sgd', momentum: 0.8, clip: { threshold: 1 } });
  assert.deepEqual(net.trainingConfig, {
    optimizer: 'sgd', learningRate: 2e-3, beta1: 0.8, momentum: 0.8, beta2: 0.999, epsilon: 1e-8,
    weightDecay: 0, clip: { mode: 'norm', threshold: 1 }, dropout: 0,
  });
  net.setTrainingConfig(net.trainingConfig); // what the getter returns is accepted back
  assert.deepEqual(net.config, { cell: 'lstm', input: 2, hidden: 3, layers: 1, output: 1, loss: 'mse', seed: 1, bidirectional: false, gateActivation: 'sigmoid' });
  net.dispose();

  const b = await Network.create({ cell: 'gru', vocab: 4, hidden: 3, output: 4, optimizer: 'rmsprop', learningRate: 0.01,
    beta2: 0.95, clip: { mode: 'value', threshold: 0.5 }, weightDecay: 1e-4, dropout: 0.1, seed: 4000000000 });
  assert.deepEqual(b.trainingConfig, {
    optimizer: 'rmsprop', learningRate: 0.01, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 1e-4,
    clip: { mode: 'value', threshold: 0.5 }, dropout: 0.1,
  });
  assert.equal(b.config.seed, 4000000000);
  assert.equal(b.config.vocab, 4);
  b.dispose();
});

test('plain arrays are accepted and give the same results as typed arrays', async () => {
  const rand = ref.rng(19);
  const a = await Network.create({ vocab: 5, hidden: 4, output: 5 }), b = await Network.create({ vocab: 5, hidden: 4, output: 5 });
  const { inputs, targets } = ref.randomBatch(a.config, 2, 3, rand);
  assert.equal(a.train(inputs, targets, batchOpts(2, 3)), b.train(Array.from(inputs), Array.from(targets), batchOpts(2, 3)));
  assert.deepEqual(a.predict(inputs, { batch: 2 }), b.predict(Array.from(inputs), { batch: 2 })); // steps inferred
  const d = await Network.create({ input: 2, hidden: 4, output: 1, loss: 'mse-last' });
  const x = [0.5, -1, 0.25, 2];
  const fromArray = d.predict(x); // batch 1, steps 2 inferred from input width 2
  d.resetState();
  assert.deepEqual(fromArray, d.predict(Float32Array.from(x), { batch: 1, steps: 2 }));
  for (const n of [a, b, d]) n.dispose();
});

// ---- overfitting: each cell memorises a short sequence

test('each cell memorises a short sequence (loss → ~0)', async () => {
  const seq = Int32Array.from('the cat sat on the mat'.split(''), (ch) => ' acehmnost'.indexOf(ch));
  const inputs = seq.subarray(0, -1), targets = seq.subarray(1), T = inputs.length;
  for (const cell of CELLS) {
    const net = await Network.create({ cell, vocab: 10, hidden: 32, output: 10, learningRate: 0.02, seed: 2 });
    let loss = Infinity, steps = 0;
    for (; steps < 400 && loss > 0.02; steps++) {
      net.resetState('train');
      loss = net.train(inputs, targets, { steps: T });
    }
    assert.ok(loss <= 0.02, `${cell}: loss ${loss} after ${steps} steps`);
    // and then predicts the sequence
    const p = net.predict(inputs, { steps: T });
    const argmax = Array.from({ length: T }, (_, t) => p.subarray(t * 10, t * 10 + 10).indexOf(Math.max(...p.subarray(t * 10, t * 10 + 10))));
    assert.deepEqual(argmax, Array.from(targets), cell);
    net.dispose();
  }
  // regression: a dense RNN learns to output the sum of its inputs at the last step (mse-last)
  const rand = ref.rng(20);
  const net = await Network.create({ cell: 'gru', input: 1, hidden: 16, output: 1, loss: 'mse-last', learningRate: 0.01 });
  let loss = Infinity;
  for (let s = 0; s < 600 && loss > 1e-3; s++) {
    const x = Float32Array.from({ length: 16 * 4 }, () => rand() - 0.5);
    const y = Float32Array.from({ length: 16 }, (_, b) => x.subarray(b * 4, b * 4 + 4).reduce((u, v) => u + v));
    net.resetState('train');
    loss = net.train(x, y, { batch: 16, steps: 4 });
  }
  assert.ok(loss <= 3e-3, `gru sum: loss ${loss}`);
  net.dispose();
});

test('results are copies, never views of wasm memory', async () => {
  const net = await Network.create({ vocab: 3, hidden: 2, output: 3 });
  const y = net.predict([0, 1, 2]);
  const p = net.parameters();
  assert.notEqual(y.buffer, p['l0.wx'].data.buffer);
  assert.equal(y.buffer.byteLength, y.byteLength);
  assert.equal(p['l0.wx'].data.buffer.byteLength, p['l0.wx'].data.byteLength);
  p['l0.wx'].data.fill(0);
  assert.ok(net.parameters()['l0.wx'].data.some((x) => x !== 0));
  assert.ok(LstmError);
  net.dispose();
});
