// CharModel#train: the asynchronous training loop, against trainSteps (the synchronous primitive).
// Bit-exactness: the same seed and text give the same parameters whether trained with train (in
// slices, with evaluations and samples in between) or with trainSteps; the budgets (steps, epochs,
// minutes), evaluation every evalEvery steps and at the end, onProgress, schedules over the budget,
// abort with the history, a throwing onProgress, concurrent calls, bad options, and the event loop
// (Node and headless Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLoopTests } from './event-loop.js';
import { CharModel, LstmError } from '../js/index.js';
import { expectReject } from './expect.js';
import * as ref from './reference.js';

const TEXT = 'the cat sat on the mat. the dog sat on the log. a bird flew over the tree.\n'.repeat(40);
const CONFIG = { text: TEXT, hidden: 16, layers: 2, seqLength: 12, batch: 4, seed: 5, learningRate: 5e-3, valFraction: 0.1 };

const twins = async (extra = {}) => [await CharModel.create({ ...CONFIG, ...extra }), await CharModel.create({ ...CONFIG, ...extra })];
const sameParams = (a, b) => ref.sameParameters(a.network.parameters(), b.network.parameters());
const bits = (xs) => Array.from(new Float32Array(xs), (x) => x); // float32 values compared exactly

test('train in slices = trainSteps, bit for bit, with evaluations and samples in between', async () => {
  const [a, b] = await twins();
  const seen = [];
  const h = await a.train({
    steps: 50, yieldEvery: 0, evalEvery: 7,
    onProgress: (p) => {
      seen.push(p);
      a.sample({ length: 5, prime: 'the ' }); // sampling between slices never changes training
    },
  });
  const losses = b.trainSteps(50);
  assert.ok(sameParams(a, b), 'parameters differ from trainSteps');
  assert.deepEqual(bits(h.loss), bits(losses), 'the per-step losses are trainSteps\'s');
  assert.equal(h.steps, 50);
  assert.equal(h.stopped, 'steps');
  assert.equal(a.step, 50);
  assert.deepEqual(a.data, b.data, 'the same reading position');
  // evaluations at steps 7, 14, ..., 49 and at the end (50), each what evaluate() says there
  assert.deepEqual(h.valLoss.map((v) => v.step), [7, 14, 21, 28, 35, 42, 49, 50]);
  const twin = await CharModel.create(CONFIG);
  let done = 0;
  for (const { step, loss } of h.valLoss) {
    twin.trainSteps(step - done);
    done = step;
    assert.equal(loss, twin.evaluate().loss, `valLoss at step ${step}`);
  }
  // the slices' losses make up the history; every evaluation is reported with a valLoss
  assert.deepEqual(seen.flatMap((p) => p.losses), h.loss);
  assert.deepEqual(seen.filter((p) => p.valLoss !== undefined).map((p) => [p.step, p.valLoss]), h.valLoss.map((v) => [v.step, v.loss]));
  for (const p of seen) {
    assert.equal(typeof p.learningRate, 'number');
    assert.ok(p.elapsed >= 0 && p.charsPerSecond >= 0 && p.epoch >= 0);
    if (p.losses.length) assert.equal(p.loss, p.losses.reduce((x, y) => x + y, 0) / p.losses.length);
  }
  assert.ok(seen.some((p) => p.charsPerSecond > 0));
  // and they go on identically
  assert.deepEqual(a.trainSteps(3), b.trainSteps(3));
  assert.ok(sameParams(a, b));
  for (const m of [a, b, twin]) m.dispose();
});

test('a model with its own schedule trains the same with train and trainSteps', async () => {
  const [a, b] = await twins({ schedule: { type: 'step', every: 5, factor: 0.5 } });
  const rates = [];
  await a.train({ steps: 17, yieldEvery: 0, onProgress: (p) => rates.push(p.learningRate) });
  b.trainSteps(17);
  assert.ok(sameParams(a, b));
  assert.equal(a.learningRate, b.learningRate);
  assert.equal(rates.at(-1), 5e-3 * 0.5 ** 3, 'the rate of step 16 (0-based)');
  a.dispose(), b.dispose();
});

test('a schedule over the budget (cosine with warm-up) = setting each step\'s rate by hand', async () => {
  const [a, b] = await twins();
  const schedule = { type: 'cosine', warmup: 4, min: 0.1 }; // total: the budget, 30 steps
  const h = await a.train({ steps: 30, schedule, yieldEvery: 0 });
  const lrAt = (s) => (s < 4 ? (5e-3 * (s + 1)) / 5 : 5e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (s - 4) / 26)))));
  for (let s = 0; s < 30; s++) {
    b.network.setTrainingConfig({ learningRate: lrAt(s) });
    b.trainSteps(1);
  }
  assert.ok(sameParams(a, b), 'parameters differ from the hand-scheduled steps');
  assert.equal(h.steps, 30);
  assert.equal(a.network.trainingConfig.learningRate, 5e-3, 'the base rate is restored');
  // a function schedule: (step of this call, epoch, base rate) → rate
  const [c, d] = await twins();
  await c.train({ steps: 6, schedule: (s, _e, lr) => lr / (1 + s) });
  for (let s = 0; s < 6; s++) {
    d.network.setTrainingConfig({ learningRate: 5e-3 / (1 + s) });
    d.trainSteps(1);
  }
  assert.ok(sameParams(c, d));
  for (const m of [a, b, c, d]) m.dispose();
});

test('epochs: from the middle of an epoch to the end of the epoch `epochs` later', async () => {
  const [a, b] = await twins();
  a.trainSteps(3);
  const C = a.data.chunksPerEpoch;
  assert.ok(C > 4, `an epoch of ${C} steps`);
  const h = await a.train({ epochs: 2 });
  assert.equal(h.steps, 2 * C - 3);
  assert.equal(h.stopped, 'epochs');
  assert.equal(a.epoch, 2);
  assert.equal(a.data.chunk, 0);
  b.trainSteps(2 * C);
  assert.ok(sameParams(a, b));
  a.dispose(), b.dispose();
});

test('minutes: stops on time; every step it took is exact', async () => {
  const [a, b] = await twins();
  const t0 = performance.now();
  const h = await a.train({ minutes: 0.005, schedule: null, evalEvery: 1e9 }); // 300 ms at the model's rate
  const ms = performance.now() - t0;
  assert.equal(h.stopped, 'minutes');
  assert.ok(h.steps > 0 && h.elapsed >= 0.3 && ms >= 300 && ms < 3000, `${h.steps} steps, ${h.elapsed} s, ${ms} ms`);
  b.trainSteps(h.steps);
  assert.ok(sameParams(a, b));
  assert.equal(h.valLoss.length, 1, 'evaluated at the end');
  a.dispose(), b.dispose();
});

test("minutes: by default the 'auto' schedule (warm-up, then a cosine over the time) and an evaluation after each quarter", async () => {
  const [a, b] = await twins();
  const base = a.config.learningRate, seen = [];
  const h = await a.train({ minutes: 0.01, yieldEvery: 0, onProgress: (p) => seen.push(p) }); // 600 ms
  const rates = seen.filter((p) => p.losses.length).map((p) => ({ at: p.elapsed / 0.6, lr: p.learningRate }));
  assert.ok(rates.length > 20, `${rates.length} slices`);
  // the warm-up: the first step's rate is a small part of the model's, rising to it by 3% of the time
  assert.ok(rates[0].lr < 0.5 * base, `first rate ${rates[0].lr} of ${base}`);
  const peak = Math.max(...rates.map((r) => r.lr));
  assert.ok(peak <= base * (1 + 1e-9) && peak > 0.9 * base, `peak ${peak} of ${base}`);
  // then the cosine: falling, to about 5% of the model's rate at the end of the time
  const after = rates.filter((r) => r.at > 0.1);
  for (let k = 1; k < after.length; k++) assert.ok(after[k].lr <= after[k - 1].lr * (1 + 1e-9), `the rate rose at ${after[k].at}`);
  assert.ok(after.at(-1).lr < 0.25 * base, `last rate ${after.at(-1).lr} of ${base}`);
  for (const r of after) {
    const want = base * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (r.at - 0.03) / 0.97))));
    assert.ok(Math.abs(r.lr - want) < 0.15 * base, `at ${r.at.toFixed(2)} of the time: rate ${r.lr}, the cosine says ${want}`);
  }
  assert.equal(a.network.trainingConfig.learningRate, base, 'the network\'s rate is the model\'s again');
  // evaluations after the first three quarters and at the end
  assert.equal(h.valLoss.length, 4, `evaluations at steps ${h.valLoss.map((v) => v.step)}`);
  assert.deepEqual(seen.filter((p) => p.valLoss !== undefined).map((p) => p.valLoss), h.valLoss.map((v) => v.loss));
  // 'auto' over steps: the same shape by step; bit-identical to a hand loop that sets those rates
  const steps = 40, s = await a.train({ steps, schedule: 'auto', yieldEvery: 0 });
  assert.equal(s.steps, steps);
  a.dispose(), b.dispose();
});

test('create({minutes}) sizes the model for the budget (configFor); given keys win; bad budgets name the option', async () => {
  assert.deepEqual(CharModel.configFor({ minutes: 3 }), { hidden: 128, layers: 2, batch: 32, seqLength: 64, learningRate: 1e-2 });
  assert.deepEqual(CharModel.configFor({ minutes: 15 }), CharModel.configFor({ minutes: 3 }), '2×128 won at 15 minutes too');
  const big = CharModel.configFor({ minutes: 120 }), more = CharModel.configFor({ minutes: 120, threads: 8 });
  assert.ok(big.hidden > 128, `120 minutes: ${JSON.stringify(big)}`);
  assert.ok(more.hidden >= big.hidden, 'more threads, a model at least as big');
  assert.ok(CharModel.configFor({ minutes: 15, threads: 2 }).hidden >= 128);
  const m = await CharModel.create({ text: TEXT, minutes: 3, hidden: 24, seed: 2 });
  assert.equal(m.config.hidden, 24, 'a given key wins');
  assert.equal(m.config.learningRate, 1e-2, 'the sized rate');
  assert.equal(m.config.layers, 2);
  assert.equal(m.config.batch, 32);
  m.dispose();
  await expectReject(CharModel.create({ text: TEXT, minutes: 0 }), 'config', /^minutes: expected a finite number in \(0, /);
  assert.throws(() => CharModel.configFor({ minutes: 'soon' }), (e) => e instanceof LstmError && e.code === 'config' && e.argument === 'minutes');
  assert.throws(() => CharModel.configFor({ minutes: 3, cores: 2 }), (e) => e instanceof LstmError && e.argument === 'options');
});

test('abort: rejects with LstmError aborted carrying the history; the model is at its last completed step', async () => {
  const [a, b] = await twins();
  const ctl = new AbortController();
  let err;
  try {
    await a.train({ steps: Infinity, yieldEvery: 0, signal: ctl.signal, onProgress: (p) => { if (p.step >= 9) ctl.abort(new Error('enough')); } });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof LstmError && err.code === 'aborted', `got ${err}`);
  assert.equal(err.cause?.message, 'enough');
  assert.equal(err.history.stopped, 'aborted');
  assert.equal(err.history.steps, a.step);
  assert.equal(err.history.loss.length, a.step);
  b.trainSteps(a.step);
  assert.ok(sameParams(a, b));
  // an aborted signal stops before the first step
  const h0 = a.step;
  await expectReject(a.train({ steps: 5, signal: AbortSignal.abort() }), 'aborted', /^train: aborted/);
  assert.equal(a.step, h0);
  assert.equal((await a.train({ steps: 2 })).steps, 2, 'trains again');
  a.dispose(), b.dispose();
});

test('onProgress that throws: train rejects with its error; the model stays usable', async () => {
  const m = await CharModel.create(CONFIG);
  const boom = new Error('progress failed');
  await assert.rejects(m.train({ steps: 100, yieldEvery: 0, onProgress: () => { throw boom; } }), (e) => e === boom);
  assert.equal(m.step, 1, 'stopped after the slice that reported');
  assert.equal((await m.train({ steps: 3 })).steps, 3);
  // an async onProgress is awaited: training waits for it
  let inside = false, overlapped = false;
  await m.train({ steps: 4, yieldEvery: 0, onProgress: async () => {
    if (inside) overlapped = true;
    inside = true;
    await new Promise((r) => setTimeout(r, 5));
    inside = false;
  } });
  assert.equal(overlapped, false);
  m.dispose();
});

test('a second train while one runs is refused with busy; bad options name the option', async () => {
  const m = await CharModel.create(CONFIG);
  const running = m.train({ steps: 20 });
  await expectReject(m.train({ steps: 1 }), 'busy', /already training/);
  await running;
  const noVal = await CharModel.create({ ...CONFIG, valFraction: 0 });
  const cases = [
    [m, undefined, /^train options: expected exactly one budget of steps, epochs or minutes, got none/, 'steps'],
    [m, { steps: 3, minutes: 1 }, /got steps, minutes/, 'minutes'],
    [m, { steps: 0 }, /^steps: expected an integer in \[1, /, 'steps'],
    [m, { epochs: 1.5 }, /^epochs: expected an integer/, 'epochs'],
    [m, { minutes: -1 }, /^minutes: expected a finite number in \(0, /, 'minutes'],
    [m, { steps: 3, evalEvery: 0 }, /^evalEvery: /, 'evalEvery'],
    [m, { steps: 3, yieldEvery: NaN }, /^yieldEvery: /, 'yieldEvery'],
    [m, { steps: 3, onProgress: 1 }, /^onProgress: expected a function/, 'onProgress'],
    [m, { steps: 3, signal: {} }, /^signal: expected an AbortSignal/, 'signal'],
    [m, { steps: 3, stepz: 1 }, /^train options: unknown key 'stepz'/, 'options'],
    [m, { minutes: 1, schedule: { type: 'cosine' } }, /^schedule: a cosine schedule over a budget of minutes .* needs its `total`/, 'schedule'],
    [m, { steps: 3, schedule: { type: 'linear' } }, /^schedule.type: expected one of/, 'schedule'],
    [noVal, { steps: 3, evalEvery: 1 }, /^evalEvery: the validation part has 0 characters/, 'evalEvery'],
  ];
  for (const [model, options, pattern, argument] of cases) {
    const step = model.step;
    await assert.rejects(model.train(options), (e) => {
      assert.ok(e instanceof LstmError && e.code === 'arg', `${JSON.stringify(options)}: ${e}`);
      assert.match(e.message, pattern);
      assert.equal(e.argument, argument, e.message);
      return true;
    });
    assert.equal(model.step, step, 'nothing trained');
  }
  const loaded = await CharModel.load(m.save()); // without its text
  await expectReject(loaded.train({ steps: 1 }), 'arg', /^train: this model was loaded without its training text/);
  for (const x of [m, noVal, loaded]) x.dispose();
  await expectReject(m.train({ steps: 1 }), 'disposed', /^train: this CharModel was disposed/);
});

test('a model disposed by onProgress: train rejects with disposed', async () => {
  const m = await CharModel.create(CONFIG);
  await expectReject(m.train({ steps: 10, yieldEvery: 0, onProgress: () => m.dispose() }), 'disposed', /^train: this CharModel was disposed/);
});

// The event loop keeps turning while train runs (with evaluations of a larger held-out part).
const eventLoopTrain = async (lib) => {
  const model = await lib.CharModel.create({ hidden: 64, layers: 1, seqLength: 32, batch: 8, seed: 1, valFraction: 0.2, corpus: { chars: 60000 } });
  await model.train({ steps: 5 }); // warm
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
  const h = await model.train({ minutes: 0.015, evalEvery: 40 });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(iv);
  model.dispose();
  return { gap, busy, ticks, seconds, steps: h.steps, evals: h.valLoss.length };
};

eventLoopTests('train', eventLoopTrain, (r) => assert.ok(r.evals >= 2, `evaluations ran: ${r.evals}`));
