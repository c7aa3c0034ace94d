// Network#fit: its semantics against a hand-written loop over Network#train (bit-identical
// parameters), shuffling determinism, validation and early stopping with restore, abort mid-epoch,
// schedules, callbacks that throw, time limits, the event loop (Node and headless Chromium), and
// bad options. The loop below is what js/fit.js documents an epoch to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLoopTests } from './event-loop.js';
import { Network, LstmError } from '../js/index.js';
import { Rng } from '../js/rng.js';
import { expectReject } from './expect.js';
import * as ref from './reference.js';

// A classification task: the label is the first token mod 3; sequences of 2..11 tokens.
function classification(n, seed) {
  const rand = ref.rng(seed);
  const seqs = [], labels = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(rand() * 10);
    const q = Array.from({ length: len }, () => 1 + Math.floor(rand() * 11));
    seqs.push(q);
    labels.push(q[0] % 3);
  }
  return { seqs, labels };
}

const sameParams = (a, b) => ref.sameParameters(a.parameters(), b.parameters());

/** fit's epoch by hand: shuffle with the fit's Rng, pad each batch, train whole sequences. */
function handEpochs(net, { seqs, labels }, { epochs, batch, seed }) {
  const T = Math.max(...seqs.map((s) => s.length));
  const rng = new Rng(seed);
  for (let e = 0; e < epochs; e++) {
    const order = seqs.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let b0 = 0; b0 < order.length; b0 += batch) {
      const idx = order.slice(b0, b0 + batch), B = idx.length;
      const x = new Int32Array(B * T), y = Int32Array.from(idx, (i) => labels[i]);
      idx.forEach((s, b) => x.set(seqs[s], b * T));
      net.train(x, y, { batch: B, steps: T, lengths: Int32Array.from(idx, (s) => seqs[s].length), stateful: false });
    }
  }
}

test('fit = the documented loop over train, bit for bit (ragged, bidirectional, xent-last, shuffled)', async () => {
  const data = classification(90, 1);
  const config = { vocab: 12, hidden: 10, output: 3, bidirectional: true, loss: 'xent-last', seed: 3, dropout: 0.1 };
  const a = await Network.create(config), b = await Network.create(config);
  const h = await a.fit(data.seqs, data.labels, { epochs: 3, batch: 16, seed: 5 });
  handEpochs(b, data, { epochs: 3, batch: 16, seed: 5 });
  assert.ok(sameParams(a, b), 'parameters differ from the hand-written loop');
  assert.equal(a.stepCount, b.stepCount);
  assert.equal(h.steps, 3 * Math.ceil(90 / 16));
  assert.deepEqual(h.epoch, [0, 1, 2]);
  assert.ok(h.loss[2] < h.loss[0], `the loss falls: ${h.loss}`);
  assert.equal(h.accuracy.length, 3);
  a.dispose(), b.dispose();
});

test('fit with truncated BPTT = resetState + chunks of train with the carried state, and a schedule', async () => {
  const rand = ref.rng(2);
  const N = 6, T = 20, V = 7, steps = 8;
  const x = Int32Array.from({ length: N * T }, () => Math.floor(rand() * V));
  const y = x.map((v) => (v + 1) % V);
  const config = { vocab: V, hidden: 12, layers: 2, output: V, seed: 4 };
  const a = await Network.create(config), b = await Network.create(config);
  const schedule = { type: 'cosine', total: 12, warmup: 2, min: 0.1 };
  const rates = [];
  const h = await a.fit(x, y, { sequenceLength: T, epochs: 2, batch: 4, steps, shuffle: false, schedule,
    onBatchEnd: (_, logs) => rates.push(logs.learningRate) });
  // by hand: batches [0..3], [4, 5]; chunks of 8, 8, 4 steps; lr per step from the same formula
  const base = 2e-3;
  const lrAt = (s) => (s < 2 ? (base * (s + 1)) / 3 : base * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (s - 2) / 10)))));
  let s = 0;
  const want = [];
  for (let e = 0; e < 2; e++) {
    for (const idx of [[0, 1, 2, 3], [4, 5]]) {
      b.resetState('train');
      for (let k = 0; k < T; k += steps) {
        const n = Math.min(steps, T - k), B = idx.length;
        const xs = new Int32Array(B * n), ys = new Int32Array(B * n);
        idx.forEach((q, j) => {
          xs.set(x.subarray(q * T + k, q * T + k + n), j * n);
          ys.set(y.subarray(q * T + k, q * T + k + n), j * n);
        });
        b.setTrainingConfig({ learningRate: lrAt(s++) });
        b.train(xs, ys, { batch: B, steps: n, stateful: true });
      }
      want.push(lrAt(s - 1));
    }
  }
  assert.ok(sameParams(a, b), 'parameters differ from the hand-written truncated-BPTT loop');
  assert.equal(h.steps, s);
  assert.deepEqual(rates.map(Math.fround), want.map(Math.fround));
  assert.equal(a.trainingConfig.learningRate, 2e-3, 'the base learning rate is restored after fit');
  a.dispose(), b.dispose();
});

test('shuffling is deterministic: the same seed gives the same parameters, another seed others', async () => {
  const data = classification(40, 3);
  const config = { vocab: 12, hidden: 8, output: 3, loss: 'xent-last', seed: 2 };
  const run = async (seed) => {
    const net = await Network.create(config);
    await net.fit(data.seqs, data.labels, { epochs: 2, batch: 8, seed });
    return net;
  };
  const [a, b, c] = [await run(9), await run(9), await run(10)];
  assert.ok(sameParams(a, b));
  assert.ok(!sameParams(a, c));
  for (const n of [a, b, c]) n.dispose();
});

test('validation (a fraction, or data) and early stopping that restores the best epoch', async () => {
  // a big model on few sequences overfits: the validation loss turns up
  const train = classification(24, 4), val = classification(60, 5);
  const net = await Network.create({ vocab: 12, hidden: 48, output: 3, loss: 'xent-last', seed: 6, learningRate: 0.02 });
  const snapshots = [];
  const h = await net.fit(train.seqs, train.labels, {
    epochs: 60, batch: 8, validation: { inputs: val.seqs, targets: val.labels },
    earlyStopping: { patience: 2 }, onEpochEnd: () => snapshots.push(net.parameters()),
  });
  assert.equal(h.stopped, 'earlyStopping', `the validation loss never turned up: ${h.valLoss}`);
  const best = h.valLoss.indexOf(Math.min(...h.valLoss));
  assert.equal(h.bestEpoch, best);
  assert.equal(h.epoch.length, best + 4, 'stopped patience + 1 epochs after the best');
  assert.ok(ref.sameParameters(net.parameters(), snapshots[best]), 'the best epoch\'s parameters are restored');
  // evaluate agrees with the recorded validation loss of the restored epoch
  const T = Math.max(...val.seqs.map((q) => q.length));
  const x = new Int32Array(val.seqs.length * T);
  val.seqs.forEach((q, i) => x.set(q, i * T));
  const r = net.evaluate(x, Int32Array.from(val.labels), { batch: val.seqs.length, steps: T, lengths: Int32Array.from(val.seqs, (q) => q.length), stateful: false });
  ref.assertClose(r.loss, h.valLoss[best], 1e-6, 1e-5, 'valLoss of the best epoch');
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
  // a fraction: the last sequences, never trained on
  const frac = await Network.create({ vocab: 12, hidden: 8, output: 3, loss: 'xent-last', seed: 6 });
  const hf = await frac.fit(train.seqs, train.labels, { epochs: 1, batch: 8, validation: 0.25 });
  assert.equal(hf.steps, Math.ceil(18 / 8));
  assert.equal(hf.valLoss.length, 1);
  net.dispose(), frac.dispose();
});

test('an abort mid-epoch rejects with LstmError aborted and leaves the steps it completed', async () => {
  const data = classification(64, 7);
  const config = { vocab: 12, hidden: 8, output: 3, loss: 'xent-last', seed: 8 };
  const a = await Network.create(config), b = await Network.create(config);
  const ctl = new AbortController();
  let err;
  try {
    await a.fit(data.seqs, data.labels, { epochs: 5, batch: 8, seed: 1, onBatchEnd: (i) => { if (i === 2) ctl.abort(new Error('stop')); }, signal: ctl.signal });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof LstmError && err.code === 'aborted', `got ${err}`);
  assert.equal(err.history.stopped, 'aborted');
  assert.equal(a.stepCount, 3);
  // the same three steps by hand: the model is consistent, at its last completed step
  const T = Math.max(...data.seqs.map((q) => q.length)), rng = new Rng(1);
  const order = data.seqs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
  for (let k = 0; k < 3; k++) {
    const idx = order.slice(k * 8, k * 8 + 8), x = new Int32Array(8 * T);
    idx.forEach((s, j) => x.set(data.seqs[s], j * T));
    b.train(x, Int32Array.from(idx, (s) => data.labels[s]), { batch: 8, steps: T, lengths: Int32Array.from(idx, (s) => data.seqs[s].length), stateful: false });
  }
  assert.ok(sameParams(a, b));
  assert.ok(Number.isFinite(a.train([1, 2], [0], { steps: 2, stateful: false })), 'still trains');
  a.dispose(), b.dispose();
});

test('a callback that throws: fit rejects with its error, the network stays usable', async () => {
  const data = classification(32, 9);
  const net = await Network.create({ vocab: 12, hidden: 8, output: 3, loss: 'xent-last', seed: 1 });
  const boom = new Error('callback failed');
  await assert.rejects(net.fit(data.seqs, data.labels, { epochs: 3, batch: 8, onEpochEnd: () => { throw boom; } }), (e) => e === boom);
  assert.equal(net.stepCount, 4, 'the first epoch completed');
  assert.equal(net.trainingConfig.learningRate, 2e-3);
  assert.ok((await net.fit(data.seqs, data.labels, { epochs: 1, batch: 8 })).loss.length === 1, 'fits again');
  net.dispose();
});

test('a time limit stops training; a second concurrent fit is refused', async () => {
  const data = classification(400, 10);
  const net = await Network.create({ vocab: 12, hidden: 16, output: 3, loss: 'xent-last', seed: 1 });
  const t0 = performance.now();
  const running = net.fit(data.seqs, data.labels, { epochs: 1000, batch: 16, timeLimit: 0.3 });
  await expectReject(net.fit(data.seqs, data.labels), 'busy', /already fitting/);
  const h = await running;
  assert.equal(h.stopped, 'timeLimit');
  assert.ok(performance.now() - t0 < 3000);
  net.dispose();
});

test('fit options are checked, each naming the option', async () => {
  const data = classification(10, 11);
  const net = await Network.create({ vocab: 12, hidden: 8, output: 3, loss: 'xent-last' });
  const bi = await Network.create({ vocab: 12, hidden: 8, output: 12, bidirectional: true });
  const cases = [
    [() => net.fit(data.seqs, data.labels, { epochs: 0 }), /^epochs: expected an integer in \[1, /],
    [() => net.fit(data.seqs, data.labels, { batchSize: 2 }), /^fit options: unknown key 'batchSize'/],
    [() => net.fit(data.seqs, data.labels, { validation: 1.5 }), /^validation: /],
    [() => net.fit(data.seqs, data.labels, { validation: 0.01 }), /^validation: a fraction 0.01 of 10 sequences leaves 0/],
    [() => net.fit(data.seqs, data.labels, { earlyStopping: { patience: 1 } }), /^earlyStopping: monitors 'valLoss', but there is no validation data/],
    [() => net.fit(data.seqs, data.labels.slice(1)), /^fit targets: expected an array of 10 targets/],
    [() => net.fit(data.seqs, data.labels, { schedule: { type: 'linear' } }), /^schedule.type: expected one of 'step', 'exp', 'cosine'/],
    [() => net.fit(data.seqs, data.labels, { signal: {} }), /^signal: expected an AbortSignal/],
    [() => net.fit(new Int32Array(10), new Int32Array(2)), /sequenceLength: expected an integer/],
    [() => bi.fit(new Int32Array(20), new Int32Array(20), { sequenceLength: 10, steps: 5 }), /^steps: truncated BPTT .* needs a unidirectional network/],
  ];
  for (const [call, pattern] of cases) await expectReject(call(), 'arg', pattern);
  assert.equal(net.stepCount, 0, 'nothing trained');
  net.dispose(), bi.dispose();
});

// The event loop keeps turning: the longest gap between ticks of a 16 ms interval while fit runs.
const eventLoopFit = async (lib) => {
  const { Network: N } = lib;
  const net = await N.create({ vocab: 30, hidden: 64, output: 30, seed: 1 });
  const T = 32, seqs = 64;
  let s = 1;
  const x = Int32Array.from({ length: seqs * T }, () => (s = (s * 1103515245 + 12345) >>> 0) % 30);
  const y = x.map((v) => (v + 1) % 30);
  await net.fit(x, y, { sequenceLength: T, epochs: 1, batch: 8 }); // warm (the first calls compile)
  // gap: the longest wall time between two ticks; busy: the same counting only the time this process
  // computed in it (Node: process CPU time; a machine that deschedules the process is not the
  // loop being blocked), or the wall time where that cannot be measured (a page)
  const cpu = typeof process === 'object' && typeof process.cpuUsage === 'function' ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : null;
  let last = performance.now(), lastCpu = cpu ? cpu() : 0, gap = 0, busy = 0, ticks = 0;
  const iv = setInterval(() => {
    const t = performance.now(), c = cpu ? cpu() : 0;
    gap = Math.max(gap, t - last);
    busy = Math.max(busy, cpu ? Math.min(t - last, c - lastCpu) : t - last);
    last = t, lastCpu = c, ticks++;
  }, 16);
  const t0 = performance.now();
  const h = await net.fit(x, y, { sequenceLength: T, epochs: 40, batch: 8, validation: 0.25 });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(iv);
  net.dispose();
  return { gap, busy, ticks, seconds, steps: h.steps };
};

eventLoopTests('fit', eventLoopFit, (r, where) => {
  if (where === 'node') assert.ok(r.seconds > 0.3, `fit should run long enough to measure (${r.seconds} s)`);
  else assert.ok(r.ticks >= 10, `${r.ticks} ticks in ${r.seconds} s`);
});
