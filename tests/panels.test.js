// One-sequence inference (batch < 4: sampling) multiplies by panel copies of the weight matrices
// (c/lstm.c panels_ready, c/kernels.h gemm_panels) made when the parameters last changed. These
// tests pin the two things that can go wrong with a copy: it must give exactly the bits of the
// direct product, and it must follow every way the parameters change (train, applyGradients,
// setParameters, threads, load), never a stale copy.
//
// The reference is the same sequence in a batch of 4 identical rows, which runs the 4-row GEMM on the
// parameters themselves (no panels): each row must equal the batch-1 result bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../js/index.js';

const V = 11, T = 7;
const tokens = Int32Array.from({ length: T }, (_, i) => (i * 5 + 2) % V);
const targets = Int32Array.from({ length: T }, (_, i) => (i * 3 + 1) % V);
const four = (x) => Int32Array.from({ length: 4 * x.length }, (_, i) => x[i % x.length]);

function sameBits(a, b, what) {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  assert.equal(ua.length, ub.length, `${what}: lengths`);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: differs at ${i}: ${a[i]} vs ${b[i]}`);
}

/** Batch 1 (panels) against row 0 of batch 4 (direct), stateless, every output. */
function checkAgrees(net, what) {
  const one = net.predict(tokens, { batch: 1, stateful: false });
  const ref = net.predict(four(tokens), { batch: 4, stateful: false }).subarray(0, one.length);
  sameBits(one, ref, `${what}: predict batch 1 vs batch 4`);
  const e1 = net.evaluate(tokens, targets, { batch: 1, stateful: false });
  const e4 = net.evaluate(four(tokens), four(targets), { batch: 4, stateful: false });
  assert.equal(e1.loss, e4.loss, `${what}: evaluate batch 1 vs batch 4`);
  const i1 = net.inspect(tokens, { batch: 1 }).data, i4 = net.inspect(four(tokens), { batch: 4 });
  // data is (layers, directions, steps, batch, channels, hidden): batch row 0 of every block
  const blk = i4.channels.length * i4.hidden, i4row0 = new Float32Array(i1.length);
  for (let r = 0; r < i1.length / blk; r++) i4row0.set(i4.data.subarray(r * 4 * blk, r * 4 * blk + blk), r * blk);
  sameBits(i1, i4row0, `${what}: inspect batch 1 vs batch 4`);
  return one;
}

for (const cell of ['lstm', 'gru', 'rnn']) {
  // hidden 40: gate widths 160 / 120 / 40 are a whole number of 32-column panels plus a tail
  for (const layers of [1, 2]) {
    test(`${cell} ×${layers}: batch-1 inference equals the direct product after every kind of parameter change`, async () => {
      const net = await Network.create({ cell, vocab: V, hidden: 40, layers, output: V, seed: 3, learningRate: 0.05 });
      try {
        let prev = checkAgrees(net, 'fresh');
        const changed = (what) => {
          const now = checkAgrees(net, what);
          assert.ok(now.some((v, i) => v !== prev[i]), `${what}: the outputs did not change (the test would not see a stale copy)`);
          prev = now;
        };
        net.train(tokens, targets, { batch: 1 });
        changed('after train (batch 1)');
        net.train(four(tokens), four(targets), { batch: 4 });
        changed('after train (batch 4)');
        net.lossAndGradients(tokens, targets, { batch: 1 });
        net.applyGradients();
        changed('after applyGradients');
        const p = net.parameters();
        const name = Object.keys(p).find((k) => k.includes('wh'));
        net.setParameters({ [name]: { shape: p[name].shape, data: p[name].data.map((v) => v * 0.5) } });
        changed(`after setParameters(${name})`);
        // sampling a stream (stateful, one token at a time) after a change sees the new weights
        net.resetState('predict');
        const step = Array.from(tokens, (t) => net.predict(Int32Array.of(t), { batch: 1, steps: 1 }));
        const whole = net.predict(tokens, { batch: 1, stateful: false });
        sameBits(Float32Array.from(step.flatMap((r) => [...r])), whole, 'stateful steps vs one stateless call');
        const copy = await Network.load(net.save());
        try {
          sameBits(checkAgrees(copy, 'loaded copy'), prev, 'loaded copy vs the original');
        } finally {
          copy.dispose();
        }
      } finally {
        net.dispose();
      }
    });
  }
}

test('threads: a 2-thread network samples with the parameters its last parallel step wrote', async () => {
  // big enough that every training call is split (each share ≥ 2 MFLOP: js/parallel.js worthSplitting)
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: 128, layers: 1, output: V, seed: 5, threads: 2 });
  try {
    if (net.threads < 2) return; // the pool is tested in threads.test.js; here only its parameter sync
    const B = 16, S = 16, x = Int32Array.from({ length: B * S }, (_, i) => (i * 7) % V), y = Int32Array.from({ length: B * S }, (_, i) => (i * 2) % V);
    const before = checkAgrees(net, 'before');
    for (let s = 0; s < 3; s++) await net.fit(x, y, { batch: B, sequenceLength: S, epochs: 1 });
    const after = checkAgrees(net, 'after parallel training');
    assert.ok(after.some((v, i) => v !== before[i]), 'parallel training changed nothing');
  } finally {
    net.dispose();
  }
});
