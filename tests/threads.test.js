// The thread pool (js/pool.js, js/parallel.js): threaded training equals one thread to float
// rounding (the only difference: the order in which shares' gradient sums are added) for every
// cell, 1–4 layers, token and dense input, every loss, clipping and dropout; it is bit-identical
// from run to run; batch predict is bit-identical to one thread; carried states, ragged batches
// and bidirectional networks split right; a worker that dies is an LstmError and the model stays
// at its last completed step; dispose ends every thread. (Chromium: tests/browser/threads.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Network, LstmError } from '../js/index.js';
import { POOL, MIN_SPLIT_FLOPS } from '../js/network.js';
import * as ref from './reference.js';

Network[MIN_SPLIT_FLOPS] = 0; // split every call, however small (the default keeps tiny calls on one thread)

/** The largest |a − b| over all parameters, relative to the largest |a|. */
function paramDiff(a, b) {
  const pa = a.parameters(), pb = b.parameters();
  let d = 0, m = 0;
  for (const n of Object.keys(pa)) {
    for (let i = 0; i < pa[n].data.length; i++) {
      d = Math.max(d, Math.abs(pa[n].data[i] - pb[n].data[i]));
      m = Math.max(m, Math.abs(pa[n].data[i]));
    }
  }
  return d / m;
}

// [cell, layers, tokens, loss, extra training settings]: every cell × 1–4 layers, both inputs, every loss
const CASES = [];
const LOSSES = ['xent', 'xent-last', 'mse', 'mse-last'];
for (const cell of ['lstm', 'gru', 'rnn']) {
  for (let layers = 1; layers <= 4; layers++) {
    for (const tokens of [true, false]) {
      const loss = LOSSES[(layers + (tokens ? 0 : 2) + cell.length) % 4];
      const extra = [{}, { dropout: 0.25 }, { clip: { mode: 'value', threshold: 0.05 } }, { dropout: 0.1, clip: { mode: 'norm', threshold: 0.5 } }][(layers + (tokens ? 1 : 0)) % 4];
      CASES.push([cell, layers, tokens, loss, extra]);
    }
  }
}

test('2 threads = 1 thread to float rounding: every cell, 1–4 layers, tokens/dense, every loss, clipping, dropout, ragged', async () => {
  const rand = ref.rng(5);
  let worst = 0;
  for (const [cell, layers, tokens, loss, extra] of CASES) {
    const config = { cell, layers, loss, hidden: 9, output: 4, seed: 7, ...(tokens ? { vocab: 6 } : { input: 3 }), ...extra };
    const one = await Network.create(config), two = await Network.create({ ...config, threads: 2 });
    assert.equal(two.threads, 2);
    const B = 5, T = 6;
    for (let k = 0; k < 6; k++) {
      const { inputs, targets } = ref.randomBatch(one.config, B, T, rand, { mask: true });
      const lengths = k % 2 ? Int32Array.from({ length: B }, () => 1 + Math.floor(rand() * T)) : undefined;
      const opts = { batch: B, steps: T, ...(lengths && { lengths, stateful: false }) };
      const l1 = one.train(inputs, targets, opts), l2 = two.train(inputs, targets, opts);
      assert.ok(Math.abs(l1 - l2) <= 1e-5 * Math.max(1, Math.abs(l1)), `${cell} L${layers} ${loss}: loss ${l1} vs ${l2}`);
    }
    const d = paramDiff(one, two);
    worst = Math.max(worst, d);
    assert.ok(d <= 1e-5, `${cell} L${layers} ${tokens ? 'tokens' : 'dense'} ${loss} ${JSON.stringify(extra)}: parameters differ by ${d} (relative)`);
    assert.equal(one.stepCount, two.stepCount);
    one.dispose(), two.dispose();
  }
  console.log(`# largest relative parameter difference, 2 threads vs 1 after 6 steps: ${worst.toExponential(2)}`);
});

test('bit-identical from run to run for a given thread count, SIMD and plain builds alike; 3 threads agree with 2 to rounding', async () => {
  const config = { cell: 'lstm', vocab: 8, hidden: 12, layers: 2, output: 8, seed: 3, dropout: 0.2, threads: 2 };
  const rand = ref.rng(6);
  const batches = Array.from({ length: 5 }, () => ref.randomBatch({ ...config, loss: 'xent' }, 7, 5, rand));
  const run = async (threads, simd = true) => {
    const net = await Network.create({ ...config, threads, simd });
    assert.equal(net.simd, simd);
    for (const b of batches) net.train(b.inputs, b.targets, { batch: 7, steps: 5 });
    return net;
  };
  const a = await run(2), b = await run(2), c = await run(3), plain = await run(2, false), plain3 = await run(3, false);
  assert.deepEqual(a.save(), b.save(), 'two runs on 2 threads: the same file, bit for bit');
  // the plain build is the SIMD kernels' bit-identical twin, so the threads' results are too
  assert.deepEqual(plain.save(), a.save(), '2 threads, plain build = 2 threads, SIMD build, bit for bit');
  assert.deepEqual(plain3.save(), c.save(), '3 threads, plain build = 3 threads, SIMD build, bit for bit');
  assert.ok(paramDiff(a, c) <= 1e-5);
  for (const n of [a, b, c, plain, plain3]) n.dispose();
});

test('batch predict and evaluate on threads: bit-identical outputs and states (stateless, stateful, lastOnly, bidirectional)', async () => {
  const rand = ref.rng(7);
  for (const [bidirectional, loss] of [[false, 'xent'], [true, 'xent-last'], [false, 'mse']]) {
    const config = { cell: 'gru', input: 3, hidden: 10, layers: 2, output: 4, seed: 2, bidirectional, loss };
    const one = await Network.create(config), two = await Network.create({ ...config, threads: 2 });
    const B = 6, T = 5, { inputs, targets } = ref.randomBatch(one.config, B, T, rand);
    const lengths = Int32Array.of(5, 1, 3, 5, 2, 4);
    for (const opts of [{ stateful: false, returnState: true }, { lengths, stateful: false, lastOnly: true }, ...(bidirectional ? [] : [{}, {}])]) {
      const o = { batch: B, steps: T, ...opts };
      const p1 = one.predict(inputs, o), p2 = two.predict(inputs, o);
      assert.deepEqual(p2, p1, `${JSON.stringify(opts)}: outputs`);
    }
    if (!bidirectional) assert.deepEqual(two.getState('predict'), one.getState('predict'), 'the carried predict state');
    const e1 = one.evaluate(inputs, targets, { batch: B, steps: T, lengths, stateful: false });
    const e2 = two.evaluate(inputs, targets, { batch: B, steps: T, lengths, stateful: false });
    assert.equal(e2.count, e1.count);
    assert.ok(Math.abs(e1.loss - e2.loss) <= 1e-6 * Math.abs(e1.loss), `${e1.loss} vs ${e2.loss}`);
    one.dispose(), two.dispose();
  }
});

test('stateful truncated BPTT on threads: the carried train state, save and resume', async () => {
  const rand = ref.rng(8);
  const config = { cell: 'lstm', vocab: 7, hidden: 11, layers: 2, output: 7, seed: 4 };
  const one = await Network.create(config), two = await Network.create({ ...config, threads: 2 });
  const chunks = Array.from({ length: 4 }, () => ref.randomBatch({ ...config, loss: 'xent' }, 4, 6, rand));
  for (const b of chunks.slice(0, 3)) one.train(b.inputs, b.targets, { batch: 4, steps: 6 }), two.train(b.inputs, b.targets, { batch: 4, steps: 6 });
  const s1 = one.getState('train'), s2 = two.getState('train');
  assert.equal(s2.batch, 4);
  assert.ok(ref.maxAbsDiff(s1.h, s2.h) <= 1e-5 && ref.maxAbsDiff(s1.c, s2.c) <= 1e-5, 'carried state');
  // the file holds the assembled state: resuming on 2 threads continues exactly as not stopping
  const resumed = await Network.load(two.save(), { threads: 2 });
  const last = chunks[3];
  assert.equal(resumed.train(last.inputs, last.targets, { batch: 4, steps: 6 }), two.train(last.inputs, last.targets, { batch: 4, steps: 6 }));
  assert.deepEqual(resumed.save(), two.save());
  for (const n of [one, two, resumed]) n.dispose();
});

test('a worker that dies mid-step: LstmError, the model at its last completed step, one thread after', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: 30, hidden: 96, layers: 2, output: 30, seed: 1, threads: 2 });
  const B = 16, T = 48, rand = ref.rng(9);
  const seqs = Array.from({ length: 64 }, () => Array.from({ length: T }, () => Math.floor(rand() * 30)));
  const labels = seqs.map((q) => q.map((v) => (v + 1) % 30));
  let saved = null, steps = 0, err;
  try {
    await net.fit(seqs, labels, {
      epochs: 5, batch: B, onBatchEnd: () => {
        steps++;
        saved = net.save(); // the model after its last completed step
        if (steps === 2) setTimeout(() => net[POOL].workers[0].terminate(), 5); // while the next step runs
      },
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof LstmError && err.code === 'trap', `expected LstmError 'trap', got ${err}`);
  assert.match(err.message, /thread pool stopped working: worker 1 stopped/);
  assert.ok(steps >= 2 && steps < 20, `failed at step ${steps + 1}`);
  assert.equal(net.threads, 1);
  assert.match(net.threadsNote, /worker 1 stopped/);
  assert.deepEqual(net.save(), saved, 'the model is as it was after its last completed step');
  assert.ok(Number.isFinite(net.train(seqs.slice(0, 2).flat(), labels.slice(0, 2).flat(), { batch: 2, steps: T })), 'it trains on one thread');
  net.dispose();
});

/** Threads of this process (Linux: /proc/self/status). */
const osThreads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);

test('dispose ends every worker (no leaked threads)', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async () => {
  const settle = () => new Promise((r) => setTimeout(r, 300));
  await settle();
  const before = osThreads();
  const nets = [await Network.create({ vocab: 5, hidden: 8, output: 5, threads: 3 }), await Network.create({ vocab: 5, hidden: 8, output: 5, threads: 2 })];
  assert.ok(osThreads() >= before + 3, `${osThreads()} threads with 3 workers, ${before} before`);
  for (const n of nets) n.dispose();
  for (let k = 0; k < 20 && osThreads() > before; k++) await settle();
  assert.equal(osThreads(), before, 'threads left after dispose');
});

test('the control words: thousands of commands, each run exactly once by every worker', async () => {
  const net = await Network.create({ vocab: 5, hidden: 4, output: 5, seed: 1, threads: 3 });
  const one = await Network.create({ vocab: 5, hidden: 4, output: 5, seed: 1 });
  const x = Int32Array.of(1, 2, 3, 4, 0, 1), y = Int32Array.of(2, 3, 4, 0, 1, 2);
  for (let k = 0; k < 2000; k++) {
    const o = { batch: 3, steps: 2, stateful: false };
    assert.deepEqual(net.predict(x, o), one.predict(x, o));
  }
  for (let k = 0; k < 500; k++) net.train(x, y, { batch: 3, steps: 2 }), one.train(x, y, { batch: 3, steps: 2 });
  assert.equal(net.stepCount, 500);
  assert.ok(paramDiff(one, net) <= 1e-4);
  net.dispose(), one.dispose();
});

test('threads option: auto, refused values, and Network.load', async () => {
  const auto = await Network.create({ vocab: 5, hidden: 4, output: 5, threads: 'auto' });
  assert.ok(auto.threads >= 1 && auto.threads <= 8);
  const { expectReject } = await import('./expect.js');
  await expectReject(Network.create({ vocab: 5, hidden: 4, output: 5, threads: 0 }), 'config', /^threads: expected 'auto' or an integer in \[1, 64\], got number 0$/);
  await expectReject(Network.load(auto.save(), { threads: 'many' }), 'arg', /^threads: /);
  const loaded = await Network.load(auto.save(), { threads: 2 });
  assert.equal(loaded.threads, 2);
  auto.dispose(), loaded.dispose();
});
