// Network.stepper: one step at a time through the predict state, the same bits as
// predict(x, {batch, steps: 1, lastOnly: true, softmax}) on a twin network, sharing the predict
// state with predict and evaluate, refusing bad input with the model unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../js/index.js';
import { expectError } from './expect.js';

const V = 7;
const tokenAt = (i, b) => (i * 5 + b * 3 + 2) % V;
const denseAt = (i, b, k) => Math.sin(i * 1.3 + b * 0.7 + k * 0.31);

// Two networks with the same parameters: one stepped, one driven by predict.
async function twins(config) {
  return [await Network.create(config), await Network.create(config)];
}

function inputAt(config, B, i) {
  if (config.vocab !== undefined) return Int32Array.from({ length: B }, (_, b) => tokenAt(i, b));
  return Float32Array.from({ length: B * config.input }, (_, j) => denseAt(i, Math.floor(j / config.input), j % config.input));
}

for (const cell of ['lstm', 'gru', 'rnn']) {
  for (const layers of [1, 2]) {
    for (const input of ['tokens', 'dense']) {
      for (const B of [1, 3]) {
        const config = { cell, hidden: 10, layers, output: 5, seed: 11, ...(input === 'tokens' ? { vocab: V } : { input: 4 }) };
        test(`${cell} ×${layers} ${input} batch ${B}: every step equals predict's bits, and the state is the same`, async () => {
          const [a, b] = await twins(config);
          const stepper = a.stepper({ batch: B, softmax: true });
          const plain = a.stepper({ batch: B }); // logits, through the same predict state
          assert.equal(stepper.batch, B);
          for (let i = 0; i < 40; i++) {
            const x = inputAt(config, B, i);
            const useLogits = i % 5 === 4;
            const arg = B === 1 && input === 'tokens' && i % 2 === 0 ? x[0] : x; // a number, or an array
            const got = (useLogits ? plain : stepper).step(arg);
            const want = b.predict(x, { batch: B, steps: 1, lastOnly: true, softmax: !useLogits });
            assert.deepEqual(got, want, `step ${i}`);
            assert.equal(got.length, B * 5);
          }
          assert.deepEqual(a.getState('predict'), b.getState('predict'));
          a.dispose(), b.dispose();
        });
      }
    }
  }
}

test('steps, predict and evaluate share one predict state; the returned array is the stepper\'s own', async () => {
  const config = { cell: 'lstm', vocab: V, hidden: 8, layers: 2, output: V, seed: 3 };
  const [a, b] = await twins(config);
  const s = a.stepper();
  const first = s.step(1);
  assert.equal(first, s.output, 'step returns the stepper\'s output array');
  const kept = first.slice();
  const second = s.step(2);
  assert.equal(second, first, 'the same array every step');
  assert.notDeepEqual(second, kept, 'overwritten by the next step');
  // predict in the middle continues the same state; so does evaluate with advance
  const mid = a.predict(Int32Array.of(3, 4), { lastOnly: true });
  a.evaluate(Int32Array.of(5), Int32Array.of(6), { advance: true });
  const last = s.step(6);
  b.predict(Int32Array.of(1));
  b.predict(Int32Array.of(2));
  assert.deepEqual(mid, b.predict(Int32Array.of(3, 4), { lastOnly: true }));
  b.evaluate(Int32Array.of(5), Int32Array.of(6), { advance: true });
  assert.deepEqual(last, b.predict(Int32Array.of(6), { lastOnly: true }));
  // resetState and setState act on the stepper's state too
  a.resetState('predict'), b.resetState('predict');
  assert.deepEqual(s.step(0), b.predict(Int32Array.of(0), { lastOnly: true }));
  const saved = b.getState('predict');
  b.predict(Int32Array.of(4));
  a.setState('predict', saved);
  assert.deepEqual(s.step(4), b.predict(Int32Array.of(4), { lastOnly: true, stateful: false, initialState: { h: saved.h, c: saved.c } }));
  // a stepper of another batch size starts from zeros, as predict with another batch does
  const s2 = a.stepper({ batch: 2 });
  assert.deepEqual(s2.step(Int32Array.of(1, 2)), b.predict(Int32Array.of(1, 2), { batch: 2, steps: 1, lastOnly: true, stateful: false }));
  a.dispose(), b.dispose();
});

test('memory growing between steps (a large call) does not disturb a stepper', async () => {
  const config = { cell: 'gru', vocab: V, hidden: 16, output: V, seed: 5 };
  const [a, b] = await twins(config);
  const s = a.stepper({ softmax: true });
  s.step(1), b.predict(Int32Array.of(1), { softmax: true });
  const before = a.memoryBytes;
  const big = Int32Array.from({ length: 64 * 256 }, (_, i) => i % V);
  a.predict(big, { batch: 64, stateful: false });
  assert.ok(a.memoryBytes > before, `memory grew (${before} → ${a.memoryBytes})`);
  assert.deepEqual(s.step(2), b.predict(Int32Array.of(2), { softmax: true }));
  a.dispose(), b.dispose();
});

test('bad input is a typed error naming it; the state stays where it was', async () => {
  const config = { cell: 'lstm', vocab: V, hidden: 6, output: V, seed: 2 };
  const [a, b] = await twins(config);
  const s = a.stepper();
  s.step(3), b.predict(Int32Array.of(3));
  const bad = [
    [-1, /input: expected a token id in \[0, 7\) \(vocab 7\), got number -1/],
    [7, /got number 7/],
    [1.5, /got number 1\.5/],
    [NaN, /got number NaN/],
    ['3', /input: expected Int32Array or array of integers of length 1 \(batch 1\), or a number when batch is 1, got string/],
    [3n, /got bigint/],
    [Int32Array.of(1, 2), /of length 1 .* got Int32Array\(2\)/],
    [Float32Array.of(1), /expected Int32Array .* got Float32Array/],
    [[8], /input: expected token ids in \[0, 7\) \(vocab 7\), got number 8 at index 0/],
    [undefined, /got undefined/],
  ];
  for (const [x, pattern] of bad) {
    const e = expectError(() => s.step(x), 'arg', pattern);
    assert.equal(e.argument, 'input');
  }
  assert.deepEqual(s.step(4), b.predict(Int32Array.of(4)), 'after the refusals the stepper continues where it was');
  // dense input: length and finiteness
  const [d, e] = await twins({ cell: 'rnn', input: 2, hidden: 4, output: 3, loss: 'mse', seed: 1 });
  const sd = d.stepper({ batch: 2 });
  expectError(() => sd.step(Float32Array.of(1, 2, 3)), 'arg', /input: expected Float32Array .* of length 4 \(batch 2 × input 2\), got Float32Array\(3\)/);
  expectError(() => sd.step([1, 2, NaN, 4]), 'arg', /input: expected finite float32 numbers, got number NaN at index 2/);
  expectError(() => sd.step(0), 'arg', /expected Float32Array .* got number 0/);
  assert.deepEqual(sd.step([1, 2, 3, 4]), e.predict(Float32Array.of(1, 2, 3, 4), { batch: 2, steps: 1, lastOnly: true }));
  for (const n of [a, b, d, e]) n.dispose();
});

test('stepper options and models it cannot step are refused at creation', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: 6, output: V });
  expectError(() => net.stepper({ batch: 0 }), 'arg', /batch: expected an integer/);
  expectError(() => net.stepper({ steps: 2 }), 'arg', /steps/);
  expectError(() => net.stepper({ softmax: 1 }), 'arg', /softmax/);
  expectError(() => net.stepper(7), 'arg', /stepper options/);
  const mse = await Network.create({ cell: 'gru', input: 3, hidden: 4, output: 2, loss: 'mse' });
  expectError(() => mse.stepper({ softmax: true }), 'arg', /softmax: only for models with a class loss/);
  const bi = await Network.create({ cell: 'lstm', vocab: V, hidden: 4, output: V, bidirectional: true });
  expectError(() => bi.stepper(), 'arg', /bidirectional model has no carried state/);
  for (const n of [net, mse, bi]) n.dispose();
});

test('a disposed stepper or network, and a step from inside another call, are refused', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: 6, output: V, seed: 9 });
  const s = net.stepper(), t = net.stepper();
  s.dispose();
  s.dispose(); // idempotent
  assert.equal(s.disposed, true);
  expectError(() => s.step(1), 'disposed', /this Stepper was disposed/);
  t.step(1); // the network and its other steppers are unaffected
  // a step from a getter of another call's argument: 'busy', and that call goes on
  const sneaky = new Proxy([1, 2], { get: (o, k) => (k === '0' ? (t.step(2), 1) : Reflect.get(o, k)) });
  expectError(() => net.predict(sneaky, { stateful: false }), 'busy', /step: called while predict is in progress/);
  // a call from a getter of the step's own input
  const inner = new Proxy([1], { get: (o, k) => (k === '0' ? (net.resetState(), 1) : Reflect.get(o, k)) });
  expectError(() => t.step(inner), 'busy', /resetState: called while step is in progress/);
  net.dispose();
  expectError(() => t.step(1), 'disposed', /this Network was disposed/);
});

test('an output that would not be finite is LstmError nonfinite and the state is kept', async () => {
  const config = { cell: 'rnn', vocab: V, hidden: 4, output: V, seed: 1 };
  const [a, b] = await twins(config);
  const p = a.parameters();
  p['l0.b'].data.fill(30); // h = tanh(30 + …) = 1
  p['head.w'].data.fill(3e38); // finite weights: 4 × 3e38 overflows float32
  a.setParameters(p), b.setParameters(p);
  const s = a.stepper();
  expectError(() => s.step(1), 'nonfinite', /step: an output or state would not be finite/);
  assert.equal(a.getState('predict').batch, 0, 'the predict state was not started');
  a.dispose(), b.dispose();
});

test('disposed steppers return their memory (a loop making and disposing them does not grow it)', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: 6, output: V });
  const ids = (i) => Int32Array.from({ length: 4096 }, (_, j) => (i + j) % V);
  const first = net.stepper({ batch: 4096 });
  first.step(ids(0)); // the workspace for 4096 rows, once
  first.dispose();
  const before = net.memoryBytes;
  for (let i = 0; i < 2000; i++) {
    const s = net.stepper({ batch: 4096 }); // 4096 × (1 + 7) floats: 128 KB each, 256 MB if kept
    s.step(ids(i));
    s.dispose();
  }
  assert.equal(net.memoryBytes, before);
  net.dispose();
});
