// Sampling: the top-k/top-p filter on known distributions, temperature → 0 / top-k 1 / greedy
// agreement, seeds, streaming (sync and async) equal to one-shot sampling, O(1) work per character,
// draws that follow the model's distribution, and sampling leaving training untouched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharModel, filterDistribution } from '../js/charmodel.js';
import { LstmError } from '../js/index.js';

const TEXT = 'The cat, which already ate a bunch of food, was full. The cats, which already ate, were full.\n'.repeat(12);
const OPTS = { text: TEXT, hidden: 32, layers: 1, batch: 4, seqLength: 24, learningRate: 5e-3, seed: 9 };

let shared; // a lightly trained model: distributions neither uniform nor one-hot
async function model() {
  if (!shared) {
    shared = await CharModel.create(OPTS);
    shared.trainSteps(25);
  }
  return shared;
}

const close = (a, b, tol = 1e-12) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol);

test('filterDistribution: top-k keeps the k most probable, top-p the smallest set reaching p', () => {
  const p = [0.1, 0.5, 0.05, 0.2, 0.15];
  assert.ok(close(filterDistribution(p), p), 'no filter: the same distribution');
  assert.ok(close(filterDistribution(p, { topK: 2 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0]));
  assert.ok(close(filterDistribution(p, { topK: 1 }), [0, 1, 0, 0, 0]));
  assert.ok(close(filterDistribution(p, { topK: 99 }), p));
  // nucleus: sorted 0.5, 0.2, 0.15, 0.1, 0.05
  assert.ok(close(filterDistribution(p, { topP: 0.5 }), [0, 1, 0, 0, 0]), '0.5 alone reaches 0.5');
  assert.ok(close(filterDistribution(p, { topP: 0.6 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0]));
  assert.ok(close(filterDistribution(p, { topP: 0.7 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0]), 'exactly 0.7: two');
  assert.ok(close(filterDistribution(p, { topP: 0.71 }), [0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85]));
  assert.ok(close(filterDistribution(p, { topP: 0.01 }), [0, 1, 0, 0, 0]), 'never empty');
  assert.ok(close(filterDistribution(p, { topP: 0.96 }), [0.1, 0.5, 0.05, 0.2, 0.15]));
  // top-k first, then the nucleus of what is left, renormalised: 0.5 + 0.2 is 0.7 of everything
  // (so top-p 0.7 alone keeps two) but 0.5/0.7 ≈ 0.71 of the top 2, so one is enough
  assert.ok(close(filterDistribution(p, { topK: 2, topP: 0.7 }), [0, 1, 0, 0, 0]));
  assert.ok(close(filterDistribution(p, { topK: 3, topP: 0.8 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0]), '0.5/0.85 < 0.8 ≤ 0.7/0.85');
  assert.ok(close(filterDistribution(p, { topK: 3, topP: 0.83 }), [0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85]));
  // unnormalised input and ties (the lower index wins)
  assert.ok(close(filterDistribution([2, 2, 2, 2], { topK: 2 }), [0.5, 0.5, 0, 0]));
  assert.ok(close(filterDistribution([1, 3, 3, 1], { topP: 0.3 }), [0, 1, 0, 0]), '3/8 ≥ 0.3');
  assert.ok(close(filterDistribution([1, 3, 3, 1], { topP: 0.4 }), [0, 0.5, 0.5, 0]), '3/8 < 0.4');
  assert.deepEqual(p, [0.1, 0.5, 0.05, 0.2, 0.15], 'the input is not modified');
});

test('filterDistribution: typed arrays as arrays; bad probabilities or options are LstmError naming them', () => {
  assert.ok(close(filterDistribution(Float32Array.of(1, 3, 3, 1), { topP: 0.4 }), [0, 0.5, 0.5, 0]));
  const bad = (probs, options, argument, pattern) => assert.throws(() => filterDistribution(probs, options), (e) => {
    assert.ok(e instanceof LstmError, String(e));
    assert.equal(e.code, 'arg', e.message);
    assert.equal(e.argument, argument, e.message);
    assert.match(e.message, pattern);
    return true;
  });
  bad([0.5, NaN], undefined, 'probs', /finite numbers ≥ 0, got number NaN at index 1/);
  bad([0.5, -0.1], undefined, 'probs', /got number -0\.1 at index 1/);
  bad([0.5, '0.5'], undefined, 'probs', /got string '0\.5' at index 1/);
  bad([0, 0], undefined, 'probs', /positive total, got 0/);
  bad('0.5', undefined, 'probs', /expected an array or typed array of numbers, got string/);
  bad([1], { topK: -1 }, 'topK', /integer in \[0, 2147483647\], got number -1/);
  bad([1], { topP: 0 }, 'topP', /\(0, 1\], got number 0/);
  bad([1], { topk: 2 }, 'options', /unknown key 'topk'/);
  bad([1], null, 'options', /^filterDistribution options: expected an object, got null$/);
});

test('temperature → 0, temperature 0 and top-k 1 equal greedy; greedy is deterministic', async () => {
  const m = await model();
  const prime = 'The cat';
  const greedy = m.sample({ prime, length: 120, greedy: true });
  assert.equal([...greedy].length, 120);
  assert.equal(m.sample({ prime, length: 120, greedy: true }), greedy);
  assert.equal(m.sample({ prime, length: 120, temperature: 0 }), greedy);
  assert.equal(m.sample({ prime, length: 120, temperature: 1e-6, seed: 1 }), greedy);
  assert.equal(m.sample({ prime, length: 120, temperature: 1e-6, seed: 2 }), greedy);
  assert.equal(m.sample({ prime, length: 120, topK: 1, seed: 3 }), greedy);
  assert.equal(m.sample({ prime, length: 120, topK: 1, temperature: 5, seed: 4 }), greedy);
  assert.equal(m.sample({ prime, length: 120, topP: 1e-9, seed: 5 }), greedy, 'a tiny nucleus is the top symbol');
  assert.notEqual(m.sample({ prime, length: 120, temperature: 1.5, seed: 1 }), greedy);
});

test('seeds: the same seed gives the same text; the model\'s own PRNG advances without one', async () => {
  const m = await model();
  const a = m.sample({ length: 150, seed: 42, temperature: 0.9, topP: 0.95 });
  assert.equal(m.sample({ length: 150, seed: 42, temperature: 0.9, topP: 0.95 }), a);
  assert.notEqual(m.sample({ length: 150, seed: 43, temperature: 0.9, topP: 0.95 }), a);
  const u1 = m.sample({ length: 80 }), u2 = m.sample({ length: 80 });
  assert.notEqual(u1, u2, 'unseeded calls continue one stream of random numbers');
  // a fresh model with the same config seed repeats them
  const twin = await CharModel.create(OPTS);
  twin.trainSteps(25);
  assert.equal(twin.sample({ length: 80 }), u1);
  assert.equal(twin.sample({ length: 80 }), u2);
  twin.dispose();
  assert.equal(m.sample({ length: 0 }), '');
  assert.equal([...m.sample({ length: 333, seed: 1 })].length, 333);
});

test('stream() and streamAsync() yield exactly the text sample() returns', async () => {
  const m = await model();
  const opts = { prime: 'The cats, which', length: 200, temperature: 0.8, topK: 10, seed: 7 };
  const once = m.sample(opts);
  const it = m.stream(opts);
  assert.equal(typeof it.next, 'function');
  assert.equal([...it].join(''), once);
  let asyncText = '', ticks = 0, stop = false;
  const ticker = () => { if (!stop) { ticks++; setImmediate(ticker); } };
  setImmediate(ticker);
  for await (const ch of m.streamAsync({ ...opts, yieldEvery: 16 })) asyncText += ch;
  stop = true;
  assert.equal(asyncText, once);
  assert.ok(ticks >= 5, `the event loop ran during the stream (${ticks} ticks)`);
  // a consumer may stop early; the prefix is the same
  const first = [];
  for (const ch of m.stream(opts)) { first.push(ch); if (first.length === 30) break; }
  assert.equal(first.join(''), [...once].slice(0, 30).join(''));
  // options are checked when the stream is made, not at the first next()
  assert.throws(() => m.stream({ topP: 0 }), (e) => e instanceof LstmError && e.code === 'arg' && /topP/.test(e.message));
  assert.throws(() => m.streamAsync({ yieldEvery: 0 }), (e) => e.code === 'arg');
  assert.throws(() => m.sample({ temperature: -1 }), (e) => e.code === 'arg' && /temperature/.test(e.message));
  assert.throws(() => m.sample({ topk: 3 }), (e) => e.code === 'arg' && /unknown key 'topk'/.test(e.message));
  assert.throws(() => m.sample({ prime: 5 }), (e) => e.code === 'arg');
});

// Spies on a network's predict calls and on the steps of the steppers it makes (CharModel steps
// one character at a time through a stepper): records [what, ...] per call.
function spy(net, calls, record = (x, o) => ['predict', x.length, o.batch, o.steps, o.lastOnly]) {
  const { predict, stepper } = net;
  net.predict = function (x, o) { calls.push(record(x, o)); return predict.call(this, x, o); };
  net.stepper = function (o) {
    const st = stepper.call(this, o), step = st.step;
    calls.push(['stepper', o?.batch ?? 1, o?.softmax ?? false]);
    st.step = (x) => { calls.push(['step', typeof x === 'number' ? 1 : x.length]); return step.call(st, x); };
    return st;
  };
  return () => { delete net.predict; delete net.stepper; };
}

test('streaming is O(1) per character: the prime in one predict call, then one step per character', async () => {
  const m = await CharModel.create(OPTS); // a fresh model: it makes its stepper here
  m.trainSteps(2);
  const calls = [];
  const restore = spy(m.network, calls);
  try {
    const s = m.sample({ prime: 'The cat', length: 50, seed: 1 });
    assert.equal([...s].length, 50);
    assert.equal([...m.sample({ length: 5, seed: 2 })].length, 5);
  } finally {
    restore();
  }
  assert.deepEqual(calls[0], ['predict', 7, 1, 7, true], 'the prime in one call');
  assert.deepEqual(calls[1], ['stepper', 1, false], 'one stepper of one sequence, logits');
  assert.deepEqual(calls.slice(2, 51), Array(49).fill(['step', 1]), 'then one step per character, none after the last');
  assert.deepEqual(calls.slice(51), [['predict', 1, 1, 1, true], ...Array(4).fill(['step', 1])], 'the next sample reuses the stepper');
  m.dispose();
});

test('a long prime is read in pieces through the predict state: the same as one predict call', async () => {
  // 2000 symbols: the head's outputs are 2000 floats per step, so a piece is ~2000 steps
  let alphabet = '';
  for (let i = 0; i < 2000; i++) alphabet += String.fromCodePoint(0x4e00 + i);
  const m = await CharModel.create({ text: alphabet.repeat(3), hidden: 16, layers: 1, batch: 4, seqLength: 16, seed: 2 });
  m.trainSteps(2);
  const net = m.network;
  const prime = [...alphabet.repeat(5)].reverse().join(''); // 10 000 characters
  // the reference: the whole prime in one call, then greedy steps, written out on the Network
  net.resetState('predict');
  let logits = net.predict(Int32Array.from([...prime].map((ch) => m.vocab.indexOf(ch))), { batch: 1, lastOnly: true });
  let expected = '';
  for (let n = 0; n < 20; n++) {
    const id = logits.indexOf(Math.max(...logits));
    expected += m.vocab[id];
    logits = net.predict([id], { batch: 1, lastOnly: true });
  }
  const calls = [];
  const restore = spy(net, calls, (x, o) => o.steps);
  let got;
  try {
    got = m.sample({ prime, length: 20, greedy: true });
  } finally {
    restore();
  }
  assert.equal(got, expected, 'pieces give the same state as one call');
  const pieces = calls.filter((c) => typeof c === 'number');
  assert.equal(calls.length, pieces.length + 1 + 19, 'after the pieces a stepper and 19 steps');
  assert.ok(pieces.length >= 3, `the prime in ${pieces.length} pieces (${pieces.join(', ')})`);
  assert.equal(pieces.reduce((a, b) => a + b), 10_000);
  // 150k characters: one call would need a workspace of 150k × 2000 outputs (> 1 GB: 'nomem'
  // before), where evaluate() of the same text always read it in pieces
  const long = alphabet.repeat(75);
  const s = m.sample({ prime: long, length: 5, seed: 1 });
  assert.equal([...s].length, 5);
  assert.equal(m.sample({ prime: long, length: 5, seed: 1 }), s);
  m.dispose();
});

test('streams, sample() and evaluate() interleaved do not disturb each other', async () => {
  const m = await model();
  const alone = (seed) => [...m.stream({ length: 50, seed, prime: 'The ' })].join('');
  const a0 = alone(1), b0 = alone(2), s0 = m.sample({ length: 20, seed: 3 });
  const e0 = m.evaluate().loss;
  const a = m.stream({ length: 50, seed: 1, prime: 'The ' }), b = m.stream({ length: 50, seed: 2, prime: 'The ' });
  let ta = '', tb = '';
  for (let i = 0; i < 50; i++) {
    ta += a.next().value;
    tb += b.next().value;
    if (i === 10) assert.equal(m.sample({ length: 20, seed: 3 }), s0);
    if (i === 20) assert.equal(m.evaluate().loss, e0);
  }
  assert.ok(a.next().done && b.next().done);
  assert.equal(ta, a0, 'stream a changed by the others');
  assert.equal(tb, b0, 'stream b changed by the others');
  assert.notEqual(a0, b0);
});

test('draws follow the model\'s distribution (temperature 1) and the filtered one (top-k 3)', async () => {
  const m = await model();
  const prime = 'The cats, which already ate a bunch of food, w';
  const ids = [...prime].map((ch) => m.vocab.indexOf(ch));
  m.network.resetState('predict');
  const p = m.network.predict(ids, { batch: 1, lastOnly: true, softmax: true });
  const counts = new Map();
  const n = 1500;
  for (let seed = 0; seed < n; seed++) {
    const ch = m.sample({ prime, length: 1, seed });
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  for (let v = 0; v < p.length; v++) {
    const expected = n * p[v], got = counts.get(m.vocab[v]) ?? 0;
    const sd = Math.sqrt(n * p[v] * (1 - p[v]));
    assert.ok(Math.abs(got - expected) <= 5 * sd + 2, `'${m.vocab[v]}': ${got} draws, expected ${expected.toFixed(1)}`);
  }
  const top3 = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 3).map((v) => m.vocab[v]);
  for (let seed = 0; seed < 200; seed++) {
    assert.ok(top3.includes(m.sample({ prime, length: 1, seed, topK: 3 })));
  }
});

test('sampling and evaluating do not change what training produces next', async () => {
  const opts = { ...OPTS, layers: 2, dropout: 0.3 }; // dropout draws from the C RNG
  const a = await CharModel.create(opts), b = await CharModel.create(opts);
  const la = a.trainSteps(6);
  a.sample({ length: 100, prime: 'The' }); // unseeded: uses the sampler PRNG, not the C RNG
  a.sample({ length: 50, seed: 3, topP: 0.9 });
  for (const _ of a.stream({ length: 10 })); // eslint-disable-line no-unused-vars
  a.evaluate();
  a.evaluate('The cats were full.');
  a.inspect('The cat');
  la.push(...a.trainSteps(6));
  const lb = b.trainSteps(12);
  assert.deepEqual(la, lb);
  const pa = a.network.parameters(), pb = b.network.parameters();
  for (const k of Object.keys(pa)) assert.deepEqual(pa[k].data, pb[k].data, k);
  a.dispose();
  b.dispose();
});

test.after(() => shared?.dispose());
