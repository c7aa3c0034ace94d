// wasm-lstm/worker in Node (worker_threads): a Network and a CharModel in a worker behind promises
// that mirror the in-thread API. Bit-exactness (the same seed trains to the same parameters in
// the worker as on this thread: fit, train, trainSteps, and after save/load), results equal to
// the in-thread ones, errors crossing with their code, argument and message, callbacks on this
// thread, pause/resume, abort (signal and abort()), streams from a snapshot while training goes
// on, model bytes transferred (the sender's buffer detached), two trainers at once, threads in the
// worker, dispose, a worker that dies or cannot start, and an idle trainer not keeping Node alive.
// The same in Chromium: tests/browser/worker.test.js; under bundlers: tests/browser/worker-bundlers.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Network, CharModel, LstmError } from '../js/index.js';
import { Trainer, NetworkTrainer, CharTrainer, WORKER, WORKER_URL } from '../js/worker.js';
import { DRAW_SEED } from '../js/charmodel.js';
import * as ref from './reference.js';

const TEXT = 'the cat sat on the mat. the dog sat on the log. a bird flew over the tree.\n'.repeat(40);
const CHAR = { text: TEXT, hidden: 16, layers: 2, seqLength: 12, batch: 4, seed: 5, learningRate: 5e-3, valFraction: 0.1 };
const NET = { vocab: 12, hidden: 10, output: 3, loss: 'xent-last', seed: 3, dropout: 0.1 };

const same = (p, q) => ref.sameParameters(p, q);

// The error an in-thread call throws (or rejects with), for comparison with the worker's.
async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

function assertSameError(got, want, what) {
  assert.ok(got instanceof LstmError, `${what}: expected LstmError, got ${got?.name}: ${got?.message}`);
  assert.ok(want instanceof LstmError, `${what}: the in-thread error is ${want}`);
  assert.deepEqual({ code: got.code, argument: got.argument, message: got.message },
    { code: want.code, argument: want.argument, message: want.message }, what);
}

// A classification task: label = first token mod 3, sequences of 2..11 tokens.
function classification(n, seed) {
  const rand = ref.rng(seed);
  const seqs = [], labels = [];
  for (let i = 0; i < n; i++) {
    const q = Array.from({ length: 2 + Math.floor(rand() * 10) }, () => 1 + Math.floor(rand() * 11));
    seqs.push(q);
    labels.push(q[0] % 3);
  }
  return { seqs, labels };
}

test('CharTrainer: train in the worker = train and trainSteps here, bit for bit; info and status', async () => {
  const t = await Trainer.create({ kind: 'char', config: CHAR });
  assert.ok(t instanceof CharTrainer);
  assert.equal(t.info.kind, 'char');
  assert.equal(t.info.threads, 1);
  assert.equal(t.info.step, 0);
  const here = await CharModel.create(CHAR), again = await CharModel.create(CHAR);
  assert.equal(t.info.vocabulary, here.vocabulary);
  assert.deepEqual(t.info.config, here.config);
  assert.equal(t.info.parameterCount, here.network.parameterCount);
  const progress = [];
  const h = await t.train({ steps: 40, evalEvery: 15, onProgress: (p) => progress.push(p) });
  const hh = await here.train({ steps: 40, evalEvery: 15 });
  again.trainSteps(40);
  assert.ok(same(await t.parameters(), here.network.parameters()), 'worker train ≠ train here');
  assert.ok(same(here.network.parameters(), again.network.parameters()), 'train ≠ trainSteps');
  assert.deepEqual(h.loss, hh.loss);
  assert.deepEqual(h.valLoss, hh.valLoss);
  assert.deepEqual(progress.flatMap((p) => p.losses), h.loss, 'onProgress ran here with every slice');
  const s = await t.status();
  assert.equal(s.step, 40);
  assert.deepEqual(s.data, here.data);
  assert.equal(s.learningRate, here.learningRate);
  // trainSteps, evaluate, sample (continuing the model's sampler PRNG) and inspect as here
  assert.deepEqual(await t.trainSteps(3), here.trainSteps(3));
  assert.deepEqual(await t.evaluate(), here.evaluate());
  assert.deepEqual(await t.evaluate('the cat'), here.evaluate('the cat'));
  assert.equal(await t.sample({ length: 30 }), here.sample({ length: 30 }));
  assert.equal(await t.sample({ length: 30, prime: 'the ' }), here.sample({ length: 30, prime: 'the ' }));
  const [wi, hi] = [await t.inspect('the dog', { layer: 0 }), here.inspect('the dog', { layer: 0 })];
  assert.deepEqual(wi.values, hi.values);
  assert.deepEqual(wi.get(3, 'f'), hi.get(3, 'f'));
  assertSameError(await thrown(() => wi.get(9, 'f')), await thrown(() => hi.get(9, 'f')), 'inspection get');
  // a file saved in the worker resumes bit-exactly here, and one saved here in a worker
  const bytes = await t.save({ includeText: true });
  const back = await CharModel.load(bytes);
  back.trainSteps(5), here.trainSteps(5);
  assert.ok(same(back.network.parameters(), here.network.parameters()));
  const t2 = await Trainer.load(here.save(), { text: TEXT });
  assert.ok(t2 instanceof CharTrainer);
  await t2.trainSteps(4), here.trainSteps(4);
  assert.ok(same(await t2.parameters(), here.network.parameters()));
  for (const m of [here, again, back]) m.dispose();
  await t.dispose(), await t2.dispose();
});

test('NetworkTrainer: fit in the worker = fit here (bit for bit), callbacks here in order, and every method as here', async () => {
  const data = classification(60, 1);
  const t = await Trainer.create({ kind: 'network', config: NET });
  assert.ok(t instanceof NetworkTrainer);
  const here = await Network.create(NET);
  const seen = [], seenHere = [];
  const record = (list) => ({
    onEpochBegin: (e) => list.push(['begin', e]),
    onEpochEnd: (e, logs) => list.push(['end', e, { ...logs, seconds: 0 }]),
    onBatchEnd: (b, logs) => list.push(['batch', b, logs]),
  });
  const options = { epochs: 3, batch: 16, seed: 5, validation: 0.2, earlyStopping: { patience: 5 }, schedule: { type: 'exp', gamma: 0.99 } };
  const h = await t.fit(data.seqs, data.labels, { ...options, callbacks: [record(seen)], onTrainEnd: (hist) => seen.push(['trainEnd', hist.steps]) });
  const hh = await here.fit(data.seqs, data.labels, { ...options, callbacks: [record(seenHere)], onTrainEnd: (hist) => seenHere.push(['trainEnd', hist.steps]) });
  assert.ok(same(await t.parameters(), here.parameters()), 'worker fit ≠ fit here');
  assert.deepEqual({ ...h, seconds: [] }, { ...hh, seconds: [] });
  assert.deepEqual(seen, seenHere, 'the same callbacks with the same logs, in the same order');
  // the other methods: the same results as here
  const x = Int32Array.from({ length: 2 * 7 }, (_, i) => 1 + (i % 11)), y = Int32Array.of(1, 2);
  const o = { batch: 2, steps: 7, stateful: false };
  assert.deepEqual(await t.evaluate(x, y, o), here.evaluate(x, y, o));
  assert.deepEqual(await t.predict(x, o), here.predict(x, o));
  assert.deepEqual(await t.predict(x, { ...o, returnState: true }), here.predict(x, { ...o, returnState: true }));
  const [wi, hi] = [await t.inspect(x, { batch: 2 }), here.inspect(x, { batch: 2 })];
  assert.deepEqual(wi.data, hi.data);
  assert.deepEqual(wi.get(0, 3, 1, 'c'), hi.get(0, 3, 1, 'c'));
  const [wn, hn] = [await t.stepGradientNorms(x, y, o), here.stepGradientNorms(x, y, o)];
  assert.deepEqual(wn.norms, hn.norms);
  assert.deepEqual(wn.getCell(0), hn.getCell(0));
  assert.deepEqual(await t.lossAndGradients(x, y, o), here.lossAndGradients(x, y, o));
  assert.equal(await t.applyGradients(), here.applyGradients());
  assert.equal(await t.train(x, y, o), here.train(x, y, o));
  await t.setTrainingConfig({ learningRate: 0.01 }), here.setTrainingConfig({ learningRate: 0.01 });
  assert.equal(await t.train(Array.from(x), Array.from(y), o), here.train(Array.from(x), Array.from(y), o), 'plain arrays too');
  const p = here.parameters();
  p['head.b'].data.fill(0.5);
  await t.setParameters({ 'head.b': p['head.b'] }), here.setParameters({ 'head.b': p['head.b'] });
  assert.ok(same(await t.parameters(), here.parameters()));
  assert.equal(await t.summary(), here.summary());
  const s = await t.status();
  assert.equal(s.stepCount, here.stepCount);
  assert.deepEqual(s.trainingConfig, here.trainingConfig);
  // a stateful unidirectional network: states
  const uni = await Trainer.create({ kind: 'network', config: { vocab: 5, hidden: 4, output: 5, seed: 2 } });
  const uniHere = await Network.create({ vocab: 5, hidden: 4, output: 5, seed: 2 });
  await uni.predict([1, 2, 3]), uniHere.predict([1, 2, 3]);
  assert.deepEqual(await uni.getState('predict'), uniHere.getState('predict'));
  const st = { batch: 1, h: new Float32Array(4).fill(0.25), c: new Float32Array(4).fill(-0.5) };
  await uni.setState('predict', st), uniHere.setState('predict', st);
  assert.deepEqual(await uni.predict([4]), uniHere.predict([4]));
  await uni.resetState(), uniHere.resetState();
  assert.deepEqual(await uni.getState('train'), uniHere.getState('train'));
  // a Network file from the worker, loaded here and in another worker (kind from the file)
  const back = await Network.load(await t.save());
  assert.ok(same(back.parameters(), here.parameters()));
  const t2 = await Trainer.load(here.save());
  assert.ok(t2 instanceof NetworkTrainer && t2.info.kind === 'network');
  assert.ok(same(await t2.parameters(), here.parameters()));
  for (const n of [here, uniHere, back]) n.dispose();
  await Promise.all([t.dispose(), t2.dispose(), uni.dispose()]);
});

test('errors cross the boundary with their code, argument and message', async () => {
  const net = await Trainer.create({ kind: 'network', config: NET });
  const here = await Network.create(NET);
  const char = await Trainer.create({ kind: 'char', config: CHAR });
  const charHere = await CharModel.create(CHAR);
  const data = classification(10, 2);
  const cases = [
    ['train targets', () => net.train([1, 2, 3], [1, 2], { steps: 3 }), () => here.train([1, 2, 3], [1, 2], { steps: 3 })],
    ['a token id out of range', () => net.predict([1, 99]), () => here.predict([1, 99])],
    ['2.5 as a token', () => net.predict([1, 2.5]), () => here.predict([1, 2.5])],
    ['a string as a token', () => net.predict([1, '2']), () => here.predict([1, '2'])],
    ['NaN as a target', () => net.evaluate(new Int32Array(3), [NaN], { steps: 3 }), () => here.evaluate(new Int32Array(3), [NaN], { steps: 3 })],
    ['fit: unknown option', () => net.fit(data.seqs, data.labels, { batchSize: 2 }), () => here.fit(data.seqs, data.labels, { batchSize: 2 })],
    ['fit: epochs', () => net.fit(data.seqs, data.labels, { epochs: 0 }), () => here.fit(data.seqs, data.labels, { epochs: 0 })],
    ['fit: targets', () => net.fit(data.seqs, data.labels.slice(1)), () => here.fit(data.seqs, data.labels.slice(1))],
    ['fit: not an object', () => net.fit(data.seqs, data.labels, 3), () => here.fit(data.seqs, data.labels, 3)],
    ['train options: not an object', () => char.train(3), () => charHere.train(3)],
    ['train options: none', () => char.train(), () => charHere.train()],
    ['trainSteps options: not an object', () => char.trainSteps(1, null), () => charHere.trainSteps(1, null)],
    ['predict options: not an object', () => net.predict([1], 'x'), () => here.predict([1], 'x')],
    ['setTrainingConfig', () => net.setTrainingConfig({ learningRate: -1 }), () => here.setTrainingConfig({ learningRate: -1 })],
    ['setParameters', () => net.setParameters({ nope: [1] }), () => here.setParameters({ nope: [1] })],
    ['getState of a bidirectional network', () => net.getState('x'), () => here.getState('x')],
    ['train options', () => char.train({ steps: 3, minutes: 1 }), () => charHere.train({ steps: 3, minutes: 1 })],
    ['trainSteps n', () => char.trainSteps(-1), () => charHere.trainSteps(-1)],
    ['sample temperature', () => char.sample({ temperature: -1 }), () => charHere.sample({ temperature: -1 })],
    ['sample: unknown key', () => char.sample({ lenght: 3 }), () => charHere.sample({ lenght: 3 })],
    ['evaluate: lone surrogate', () => char.evaluate('ab\ud800c'), () => charHere.evaluate('ab\ud800c')],
    ['inspect layer', () => char.inspect('the', { layer: 5 }), () => charHere.inspect('the', { layer: 5 })],
    ['save option', () => char.save({ includeText: 1 }), () => charHere.save({ includeText: 1 })],
    ['Trainer.create config', () => Trainer.create({ kind: 'network', config: { vocab: 3, hidden: 0, output: 3 } }), () => Network.create({ vocab: 3, hidden: 0, output: 3 })],
    ['Trainer.create char config', () => Trainer.create({ kind: 'char', config: { text: 'aaaa' } }), () => CharModel.create({ text: 'aaaa' })],
    ['Trainer.load of garbage', () => Trainer.load(new Uint8Array(64).fill(7)), () => Network.load(new Uint8Array(64).fill(7))],
    ['Trainer.load of a CharModel file as a network', () => Trainer.load(charHere.save(), { kind: 'network' }), () => Network.load(charHere.save())],
    ['Trainer.load with the wrong text', () => Trainer.load(charHere.save(), { text: 'another text entirely, with its own characters' }),
      () => CharModel.load(charHere.save(), { text: 'another text entirely, with its own characters' })],
  ];
  for (const [what, inWorker, inThread] of cases) assertSameError(await thrown(inWorker), await thrown(inThread), what);
  // the worker's own checks, before anything is sent
  const calls = [
    [() => net.train([() => 1], [1]), 'arg', 'inputs', /^inputs\[0\]: a function cannot be sent to the worker/],
    [() => net.fit(data.seqs, data.labels, { schedule: (s) => s }), 'arg', 'schedule', /^schedule: a function cannot be sent to the worker/],
    [() => net.fit(data.seqs, data.labels, { onEpochEnd: 3 }), 'arg', 'onEpochEnd', /^onEpochEnd: expected a function/],
    [() => net.fit(data.seqs, data.labels, { signal: {} }), 'arg', 'signal', /^signal: expected an AbortSignal/],
    [() => net.predict(new Map()), 'arg', 'inputs', /^inputs: Map cannot be sent to the worker/],
    [() => char.train({ steps: 1, onProgress: 'x' }), 'arg', 'onProgress', /^onProgress: expected a function/],
    [() => Trainer.create({ kind: 'lstm' }), 'arg', 'kind', /^kind: expected one of 'network', 'char'/],
    [() => Trainer.create({ kind: 'char', bogus: 1 }), 'arg', 'bogus', /^Trainer.create options: unknown key 'bogus'/],
    [() => Trainer.load('file.bin'), 'arg', 'bytes', /^bytes: expected a Uint8Array/],
  ];
  for (const [call, code, argument, pattern] of calls) {
    const e = await thrown(call);
    assert.ok(e instanceof LstmError, `${pattern}: ${e}`);
    assert.deepEqual([e.code, e.argument], [code, argument], e.message);
    assert.match(e.message, pattern);
  }
  // a callback that throws aborts the call: LstmError 'aborted', its error as the cause
  const boom = new Error('callback failed');
  const e = await thrown(() => net.fit(classification(200, 3).seqs, classification(200, 3).labels, { epochs: 50, batch: 8, onBatchEnd: (b) => { if (b === 2) throw boom; } }));
  assert.ok(e instanceof LstmError && e.code === 'aborted', `${e}`);
  assert.equal(e.argument, 'onBatchEnd');
  assert.equal(e.cause, boom);
  assert.match(e.message, /^fit: stopped because onBatchEnd threw: callback failed/);
  assert.ok(e.history.steps >= 3 && e.history.steps < 50 * 25, `history: ${e.history.steps} steps`);
  const e2 = await thrown(() => char.train({ steps: 1e6, onProgress: () => { throw boom; } }));
  assert.deepEqual([e2.code, e2.argument, e2.cause], ['aborted', 'onProgress', boom]);
  assert.equal((await char.trainSteps(1)).length, 1, 'the trainer is still usable');
  here.dispose(), charHere.dispose();
  await net.dispose(), await char.dispose();
});

test('pause, resume and abort of a running train; abort of a fit by its signal', async () => {
  const t = await Trainer.create({ kind: 'char', config: CHAR });
  let first;
  const started = new Promise((ok) => { first = ok; });
  const running = t.train({ steps: Infinity, onProgress: (p) => first(p) });
  await started;
  await t.pause();
  const s1 = (await t.status()).step;
  assert.equal((await t.status()).paused, true);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await t.status()).step, s1, 'no step while paused');
  // other calls go on while it is paused
  assert.equal(typeof (await t.sample({ length: 10 })), 'string');
  await t.resume();
  await new Promise((r) => setTimeout(r, 100));
  const s2 = (await t.status()).step;
  assert.ok(s2 > s1, `steps after resume: ${s1} → ${s2}`);
  t.abort(new Error('stop now'));
  const e = await thrown(() => running);
  assert.ok(e instanceof LstmError && e.code === 'aborted', `${e}`);
  assert.equal(e.history.stopped, 'aborted');
  assert.equal(e.cause?.message, 'stop now');
  const s3 = (await t.status()).step;
  assert.equal(e.history.steps, s3, 'the model is at the history\'s last step');
  assert.equal(e.history.loss.length, s3);
  // the model is consistent: it equals trainSteps(s3) here
  const here = await CharModel.create(CHAR);
  here.trainSteps(s3);
  assert.ok(same(await t.parameters(), here.network.parameters()));
  // abort while paused ends the call too; a pause with nothing running resolves at once
  const again = t.train({ steps: Infinity });
  await t.pause();
  t.abort();
  assert.equal((await thrown(() => again)).code, 'aborted');
  await t.resume();
  await t.pause();
  await t.resume();
  // fit aborted by its signal
  const net = await Trainer.create({ kind: 'network', config: NET });
  const data = classification(400, 4);
  const ctl = new AbortController();
  const fe = await thrown(() => net.fit(data.seqs, data.labels, { epochs: 100, batch: 8, signal: ctl.signal, onBatchEnd: (b) => { if (b === 4) ctl.abort(); } }));
  assert.equal(fe.code, 'aborted');
  assert.equal(fe.history.stopped, 'aborted');
  assert.equal((await net.status()).stepCount, fe.history.steps);
  assert.equal((await thrown(() => net.fit(data.seqs, data.labels, { signal: AbortSignal.abort() }))).code, 'aborted', 'an aborted signal');
  here.dispose();
  await t.dispose(), await net.dispose();
});

test('streams sample a snapshot while training goes on; seedless streams continue the model\'s PRNG', async () => {
  const t = await Trainer.create({ kind: 'char', config: CHAR });
  await t.trainSteps(20);
  const here = await CharModel.create(CHAR);
  here.trainSteps(20);
  const ctl = new AbortController();
  const training = t.train({ steps: Infinity, signal: ctl.signal });
  // The worker runs at most STREAM_CREDIT chunks of ≤ 4096 characters ahead of the reader, so with
  // the reader held after its first character until training has moved on, the rest of this
  // stream is generated after training moved on (a short stream could be generated whole in one
  // slice, before training's next step).
  const stream = t.stream({ length: 30000, seed: 9, prime: 'the ' });
  const it = stream[Symbol.asyncIterator]();
  let text = (await it.next()).value;
  const snapshotStep = await stream.step;
  const deadline = Date.now() + 20_000;
  while ((await t.status()).step <= snapshotStep && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const during = (await t.status()).step;
  for (let r = await it.next(); !r.done; r = await it.next()) text += r.value;
  ctl.abort();
  await assert.rejects(training, (e) => e.code === 'aborted');
  assert.ok(snapshotStep >= 20 && during > snapshotStep, `training went on while streaming: snapshot at ${snapshotStep}, ${during} after`);
  // the stream is that snapshot's: replay it here at the same step
  const replay = await CharModel.create(CHAR);
  replay.trainSteps(snapshotStep);
  assert.equal(text, replay.sample({ length: 30000, seed: 9, prime: 'the ' }));
  // a long stream read by a slow consumer: every character arrives, in order, the snapshot's
  const long = t.stream({ length: 30000, seed: 11 });
  let longText = '', k = 0;
  for await (const ch of long) {
    longText += ch;
    if (++k % 5000 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  const longReplay = await CharModel.create(CHAR);
  longReplay.trainSteps(await long.step);
  assert.equal(longText, longReplay.sample({ length: 30000, seed: 11 }));
  longReplay.dispose();
  // break ends a stream early; a bad option rejects its first next()
  let n = 0;
  for await (const _ of t.stream({ length: 100000, seed: 1 })) if (++n === 10) break; // eslint-disable-line no-unused-vars
  assert.equal(n, 10);
  const bad = t.stream({ topP: 0 });
  await assert.rejects(bad.next(), (e) => e instanceof LstmError && e.code === 'arg' && e.argument === 'topP');
  assert.deepEqual(await bad.next(), { value: undefined, done: true });
  // seedless streams: seeds drawn from the model's sampler PRNG, so two differ and a twin repeats them
  const twin = await Trainer.create({ kind: 'char', config: CHAR });
  const read = async (tr) => { let s = ''; for await (const ch of tr.stream({ length: 60 })) s += ch; return s; };
  await t.dispose();
  const a1 = await read(twin), a2 = await read(twin);
  assert.notEqual(a1, a2);
  const model = await CharModel.create(CHAR);
  assert.equal(a1, model.sample({ length: 60, seed: model[DRAW_SEED]() }));
  assert.equal(a2, model.sample({ length: 60, seed: model[DRAW_SEED]() }));
  for (const m of [here, replay, model]) m.dispose();
  await twin.dispose();
});

test('model bytes cross as transferables: load detaches a whole buffer, copies a view; save hands its buffer over', async () => {
  const m = await CharModel.create(CHAR);
  const bytes = m.save({ includeText: true });
  const whole = new Uint8Array(bytes); // its own ArrayBuffer
  const t = await Trainer.load(whole);
  assert.equal(whole.buffer.byteLength, 0, 'the sender\'s buffer is detached');
  assert.equal(whole.length, 0);
  const big = new Uint8Array(bytes.length + 16);
  big.set(bytes, 8);
  const view = big.subarray(8, 8 + bytes.length);
  const t2 = await Trainer.load(view);
  assert.equal(big.buffer.byteLength, bytes.length + 16, 'a view into a larger buffer is copied');
  assert.ok(same(await t.parameters(), await t2.parameters()));
  const saved = await t.save();
  assert.ok(saved instanceof Uint8Array && saved.byteLength > 0);
  assert.equal(saved.buffer.byteLength >= saved.byteLength, true);
  const again = await CharModel.load(saved, { text: TEXT });
  assert.ok(same(again.network.parameters(), m.network.parameters()));
  // typed-array arguments are copied, never detached
  const net = await Trainer.create({ kind: 'network', config: { vocab: 4, hidden: 4, output: 4 } });
  const x = Int32Array.of(1, 2, 3), y = Int32Array.of(2, 3, 0);
  await net.train(x, y);
  assert.deepEqual(Array.from(x), [1, 2, 3]);
  m.dispose(), again.dispose();
  await Promise.all([t.dispose(), t2.dispose(), net.dispose()]);
});

test('two trainers at once train independently and bit-exactly', async () => {
  const configs = [CHAR, { ...CHAR, seed: 6, hidden: 12 }];
  const trainers = await Promise.all(configs.map((config) => Trainer.create({ kind: 'char', config })));
  const hs = await Promise.all(trainers.map((t) => t.train({ steps: 30, yieldEvery: 0 })));
  for (let i = 0; i < 2; i++) {
    const here = await CharModel.create(configs[i]);
    assert.deepEqual(hs[i].loss, here.trainSteps(30));
    assert.ok(same(await trainers[i].parameters(), here.network.parameters()), `trainer ${i}`);
    here.dispose();
  }
  await Promise.all(trainers.map((t) => t.dispose()));
});

test('threads in the worker: a pool of 2 trains like 1 thread to float rounding', async () => {
  const data = classification(64, 5);
  const config = { vocab: 12, hidden: 24, output: 3, loss: 'xent-last', seed: 4 };
  const t = await Trainer.create({ kind: 'network', config: { ...config, threads: 2 } });
  assert.equal(t.info.threads, 2, t.info.threadsNote ?? '');
  const one = await Network.create(config);
  const h = await t.fit(data.seqs, data.labels, { epochs: 2, batch: 32 });
  const h1 = await one.fit(data.seqs, data.labels, { epochs: 2, batch: 32 });
  ref.assertClose(h.loss, h1.loss, 1e-5, 1e-4, 'losses of 2 threads vs 1');
  const c = await Trainer.create({ kind: 'char', config: { ...CHAR, threads: 2 } });
  assert.equal(c.info.threads, 2);
  assert.equal((await c.trainSteps(5)).length, 5);
  const loaded = await Trainer.load(await c.save({ includeText: true }), { threads: 2 });
  assert.equal((await loaded.status()).step, 5);
  assert.equal(loaded.info.threads, 2);
  one.dispose();
  await Promise.all([t.dispose(), c.dispose(), loaded.dispose()]);
});

test('dispose: pending and later calls reject with disposed', async () => {
  const t = await Trainer.create({ kind: 'char', config: CHAR });
  const pending = t.train({ steps: Infinity });
  await new Promise((r) => setTimeout(r, 50));
  const done = t.dispose();
  assert.equal(t.disposed, true);
  const e = await thrown(() => pending);
  assert.deepEqual([e.code, e.message], ['disposed', 'train: this Trainer was disposed']);
  assert.equal((await thrown(() => t.sample())).message, 'sample: this Trainer was disposed');
  await done;
  await t.dispose(); // idempotent
  assert.equal(t[WORKER], null);
});

test('a worker that dies rejects pending and later calls (trap); one that cannot load rejects create (load)', async () => {
  const t = await Trainer.create({ kind: 'char', config: CHAR });
  const pending = t.train({ steps: Infinity });
  await new Promise((r) => setTimeout(r, 50));
  await t[WORKER].terminate(); // behind the trainer's back
  const e = await thrown(() => pending);
  assert.ok(e instanceof LstmError && e.code === 'trap', `${e}`);
  assert.match(e.message, /^train: the worker stopped \(it exited with code 1\); this Trainer cannot be used any more/);
  assert.equal((await thrown(() => t.status())).code, 'trap');
  assert.equal(t.disposed, true);
  const missing = new URL('./no-such-worker.js', import.meta.url);
  const le = await thrown(() => Trainer.create({ kind: 'char', config: CHAR, [WORKER_URL]: missing }));
  assert.ok(le instanceof LstmError && le.code === 'load', `${le}`);
  assert.match(le.message, /^Trainer.create: the worker script .* could not be loaded.*optimizeDeps/);
});

test('an idle trainer does not keep Node running; a pending call does until it settles', async () => {
  const script = `
    import { Trainer } from ${JSON.stringify(new URL('../js/worker.js', import.meta.url).href)};
    const t = await Trainer.create({ kind: 'char', config: { text: ${JSON.stringify(TEXT)}, hidden: 8, layers: 1, seqLength: 8, batch: 2 } });
    t.train({ steps: 25 }).then((h) => console.log('trained', h.steps));
    // no dispose: the process must still end once the call settled
  `;
  const t0 = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
  assert.equal(stdout.trim(), 'trained 25');
  assert.ok(Date.now() - t0 < 20_000);
});
