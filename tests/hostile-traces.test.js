// Hostile arguments, class 3 of issue 13: a failed call leaves no trace.
//
// After a rejected call — 'nonfinite' (a loss, gradient, update, output or state that float32
// cannot hold), 'arg' (a bad argument) or 'nomem' (a workspace over 1 GB) — of train,
// lossAndGradients, stepGradientNorms, applyGradients, predict, inspect, setParameters or
// setState, every observable must be as before: lastGradientNorm, the gradient buffer (applying it
// with applyGradients() must do what the twin's does), parameters, optimizer moments and step
// count (save() bytes with the optimizer and train state), both carried states, the training
// config, and the RNG (the next dropout masks: both twins train on and must stay bit-identical).
//
// The twin of each model never sees the failing call. Cases marked `todo` are bugs of the
// current code (the reason says what happens).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network, CharModel, ownLib, sameBytes, assertTwins, twins, continueTwins, batchFor, rng, outcome,
} from './hostile-common.js';

const B = 2, T = 3, OPTS = { batch: B, steps: T };

// A 2-layer dense LSTM with dropout whose first-layer input weights make ±3e38 inputs overflow:
// every gate's pre-activation is x0·1 + x1·1 + x2·2, so x = (3e38, 3e38, −3e38) gives
// (3e38 + 3e38) + (−6e38) = +Inf + −Inf = NaN, while inputs in [−1, 1] stay ordinary.
function config(optimizer) {
  return { cell: 'lstm', input: 3, hidden: 4, layers: 2, output: 2, loss: 'mse', seed: 3, dropout: 0.2, optimizer, clip: { mode: 'none' } };
}
const WX = Float32Array.from({ length: 3 * 16 }, (_, i) => [1, 1, 2][Math.floor(i / 16)]);

async function pair(optimizer = 'adam') {
  const [a, b] = await twins(config(optimizer));
  for (const n of [a, b]) n.setParameters({ 'l0.wx': WX });
  const rand = rng(17);
  for (let k = 0; k < 2; k++) { // moments, states and the gradient buffer after the new weights
    const { inputs, targets } = batchFor(a.config, B, T, rand);
    for (const n of [a, b]) {
      n.train(inputs, targets, OPTS);
      n.predict(inputs, OPTS);
    }
  }
  const g = batchFor(a.config, B, T, rand);
  for (const n of [a, b]) n.lossAndGradients(g.inputs, g.targets, { ...OPTS, advance: false });
  return [a, b];
}

const good = batchFor(config('adam'), B, T, rng(21));
const hugeInputs = Float32Array.from({ length: B * T * 3 }, (_, i) => [3e38, 3e38, -3e38][i % 3]);
const hugeTargets = new Float32Array(B * T * 2).fill(3e38); // (y − 3e38)² overflows
const nanTargets = Float32Array.from(good.targets, (v, i) => (i === 5 ? NaN : v));

// Each case: the failing call on `a`, the code it must fail with (any of `codes`).
const CASES = [
  { name: 'train: a loss that overflows', codes: ['nonfinite'], call: (n) => n.train(good.inputs, hugeTargets, OPTS) },
  { name: 'train: inputs whose pre-activations are +Inf + −Inf', codes: ['nonfinite'], call: (n) => n.train(hugeInputs, good.targets, OPTS) },
  { name: 'lossAndGradients (advance): a loss that overflows', codes: ['nonfinite'], call: (n) => n.lossAndGradients(good.inputs, hugeTargets, OPTS) },
  { name: 'lossAndGradients (advance: false): NaN pre-activations', codes: ['nonfinite'], call: (n) => n.lossAndGradients(hugeInputs, good.targets, { ...OPTS, advance: false }) },
  { name: 'stepGradientNorms: a loss that overflows', codes: ['nonfinite'], call: (n) => n.stepGradientNorms(good.inputs, hugeTargets, OPTS) },
  { name: 'predict: NaN pre-activations', codes: ['nonfinite'], call: (n) => n.predict(hugeInputs, OPTS) },
  { name: 'predict lastOnly: NaN pre-activations', codes: ['nonfinite'], call: (n) => n.predict(hugeInputs, { ...OPTS, lastOnly: true }) },
  { name: 'predict returnState, stateless: NaN pre-activations', codes: ['nonfinite'], call: (n) => n.predict(hugeInputs, { ...OPTS, stateful: false, returnState: true }) },
  { name: 'inspect: NaN pre-activations', codes: ['nonfinite'], call: (n) => n.inspect(hugeInputs, OPTS) },
  { name: 'applyGradients(): an update that overflows (learning rate 3e38)', codes: ['nonfinite'],
    call: (n) => withRate(n, 3e38, () => n.applyGradients()) },
  { name: 'applyGradients(edited): an update that overflows (learning rate 3e38)', codes: ['nonfinite'],
    call: (n) => withRate(n, 3e38, () => n.applyGradients({ 'head.b': [1, -1] })) },
  { name: 'train: a NaN target', codes: ['arg'], call: (n) => n.train(good.inputs, nanTargets, OPTS) },
  { name: 'applyGradients: a NaN gradient', codes: ['arg'], call: (n) => n.applyGradients({ 'l0.b': new Float32Array(16), 'head.b': [NaN, 0] }) },
  { name: 'setParameters: a good tensor with a bad one', codes: ['arg'], call: (n) => n.setParameters({ 'l0.wh': new Float32Array(64), 'head.b': [0, Infinity] }) },
  { name: 'setState: a good h with a NaN c', codes: ['arg'], call: (n) => n.setState('predict', { batch: B, h: new Float32Array(16), c: new Float32Array(16).fill(NaN) }) },
  { name: 'predict: inputs of the wrong length', codes: ['arg'], call: (n) => n.predict(good.inputs.subarray(1), OPTS) },
];

// Runs fn with the learning rate set to lr, then restores it (setTrainingConfig with the same
// optimizer keeps the moments, so the round trip itself leaves no trace).
function withRate(n, lr, fn) {
  const before = n.trainingConfig.learningRate;
  n.setTrainingConfig({ learningRate: lr });
  try {
    return fn();
  } finally {
    n.setTrainingConfig({ learningRate: before });
  }
}

test('§3 a rejected call leaves every observable as it was', async (t) => {
  for (const optimizer of ['adam', 'rmsprop']) {
    for (const c of CASES) {
      await t.test(`${optimizer}: ${c.name}`, async () => {
        const [a, b] = await pair(optimizer);
        const normBefore = a.lastGradientNorm;
        const r = outcome(() => c.call(a), c.name);
        assert.ok(!r.ok, `${c.name}: expected a rejection (${c.codes.join(' or ')}), it succeeded`);
        assert.ok(c.codes.includes(r.error.code), `${c.name}: ${r.error.code}: ${r.error.message}`);
        assert.ok(Object.is(a.lastGradientNorm, normBefore), `lastGradientNorm changed from ${normBefore} to ${a.lastGradientNorm}`);
        assertTwins(a, b, `after ${c.name}`);
        // the gradient buffer, the RNG and everything else: both go on identically
        continueTwins(a, b, { what: `after ${c.name}` });
        a.dispose();
        b.dispose();
      });
    }
  }
});

test('§3 gradients computed before a rejected call are still the ones applyGradients() applies', async () => {
  const [a, b] = await pair('adam');
  // both compute the same gradients; a then fails three ways; both apply: identical results
  for (const n of [a, b]) n.lossAndGradients(good.inputs, good.targets, { ...OPTS, advance: false });
  const norm = a.lastGradientNorm;
  assert.ok(Number.isFinite(norm) && norm > 0);
  for (const call of [() => a.lossAndGradients(hugeInputs, good.targets, OPTS), () => a.train(good.inputs, hugeTargets, OPTS),
    () => a.stepGradientNorms(hugeInputs, good.targets, OPTS)]) {
    const r = outcome(call);
    assert.ok(!r.ok && r.error.code === 'nonfinite', r.error?.message ?? 'accepted');
  }
  assert.equal(a.lastGradientNorm, norm);
  a.applyGradients();
  b.applyGradients();
  assertTwins(a, b, 'after applying the earlier gradients');
  continueTwins(a, b);
  a.dispose();
  b.dispose();
});

test('§3 edited gradients of a rejected applyGradients do not replace the buffer', async () => {
  const [a, b] = await pair('adam');
  const r = outcome(() => withRate(a, 3e38, () => a.applyGradients({ 'head.w': new Float32Array(8).fill(1e30) })));
  assert.ok(!r.ok && r.error.code === 'nonfinite', r.error?.message ?? 'accepted');
  a.applyGradients(); // the buffer of the last lossAndGradients, not the edited one
  b.applyGradients();
  assertTwins(a, b);
  continueTwins(a, b);
  a.dispose();
  b.dispose();
});

test('§3 applyGradients of gradients whose norm float32 cannot hold: refused, or a finite lastGradientNorm', async () => {
  const [a, b] = await pair('sgd');
  a.setTrainingConfig({ learningRate: 0.01 });
  b.setTrainingConfig({ learningRate: 0.01 });
  const before = a.lastGradientNorm;
  const r = outcome(() => a.applyGradients({ 'head.b': [3e38, -3e38] }));
  if (r.ok) {
    assert.ok(Number.isFinite(a.lastGradientNorm), `applyGradients succeeded and lastGradientNorm is ${a.lastGradientNorm}`);
  } else {
    assert.equal(r.error.code, 'nonfinite');
    assert.equal(a.lastGradientNorm, before);
    assertTwins(a, b);
  }
  a.dispose();
  b.dispose();
});

test('§3 a workspace over 1 GB (nomem) leaves every observable as it was', async (t) => {
  // hidden 256: 128 × 2048 steps need more than 1 GB of activations (as in reliability.test.js)
  const cfg = { cell: 'lstm', vocab: 5, hidden: 256, output: 5, seed: 1, dropout: 0.1, layers: 2 };
  const [a, b] = await twins(cfg);
  const x = new Int32Array(128 * 2048), y = new Int32Array(128 * 2048);
  const big = { batch: 128, steps: 2048 };
  const calls = {
    train: () => a.train(x, y, big),
    lossAndGradients: () => a.lossAndGradients(x, y, big),
    stepGradientNorms: () => a.stepGradientNorms(x, y, big),
    predict: () => a.predict(x, big),
    inspect: () => a.inspect(x, big),
  };
  for (const [name, call] of Object.entries(calls)) {
    await t.test(name, () => {
      const norm = a.lastGradientNorm;
      const r = outcome(call, name);
      assert.ok(!r.ok, `${name} of 128 × 2048 steps succeeded`);
      assert.ok(['nomem', 'arg'].includes(r.error.code), r.error.message);
      assert.ok(Object.is(a.lastGradientNorm, norm));
      assertTwins(a, b, `after ${name}`);
    });
  }
  continueTwins(a, b);
  a.dispose();
  b.dispose();
});

test('§3 CharModel: a rejected training step leaves the model as it was', async () => {
  const text = 'The cat, which already ate, was full. The cats, which already ate, were full.\n'.repeat(12);
  const cfg = { text, hidden: 8, layers: 1, batch: 2, seqLength: 8, seed: 5, learningRate: 3e38, clip: 0, optimizer: 'sgd' };
  const a = await CharModel.create(cfg), b = await CharModel.create(cfg);
  // the steps before the rejected one count; the rejected one leaves no trace
  const r = outcome(() => a.trainSteps(20));
  assert.ok(!r.ok && r.error.code === 'nonfinite', r.error?.message ?? `trained: ${r.value}`);
  assert.ok(a.step < 20);
  b.trainSteps(a.step);
  assert.deepEqual(a.data, b.data);
  assert.ok(sameBytes(a.save(), b.save()), 'the file differs from the twin trained as many steps');
  // the next step is rejected the same way for both (the parameters are huge by now)
  const ra = outcome(() => a.trainSteps(1)), rb = outcome(() => b.trainSteps(1));
  assert.equal(ra.ok, rb.ok);
  assert.ok(sameBytes(a.save(), b.save()));
  a.dispose();
  b.dispose();
});

test('§3 applyGradients(edited) as a model\'s first gradient call, when its gradient buffers grow the wasm memory', async () => {
  // 270 k parameters: two gradient buffers of 1 MB do not fit in the memory a fresh model has
  const config = { cell: 'lstm', vocab: 1000, hidden: 64, output: 5, seed: 1 };
  const a = await Network.create(config), b = await Network.create(config);
  const g = { 'head.b': [0.1, 0.2, 0.3, 0.4, 0.5] };
  // the twin's memory is grown first (a big stateless prediction), so its gradient buffers fit
  b.predict(new Int32Array(1 << 16), { batch: 1 << 8, steps: 1 << 8 });
  const before = a.memoryBytes;
  const r = outcome(() => a.applyGradients(g), 'applyGradients');
  assert.ok(r.ok, r.error?.message);
  assert.ok(a.memoryBytes > before, 'the gradient buffers did not grow the memory: this case tests nothing');
  b.applyGradients(g);
  assert.ok(sameParams(a.parameters(), b.parameters()), 'the edited gradients were not applied as the twin applied them');
  assert.equal(a.stepCount, 1);
  a.dispose();
  b.dispose();
});

function sameParams(p, q) {
  return Object.keys(p).every((k) => sameBytes(p[k].data, q[k].data));
}
