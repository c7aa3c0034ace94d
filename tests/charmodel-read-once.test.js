// CharModel reads every argument once: each key of every options object (create, fromNetwork,
// load, trainSteps, sample, stream, streamAsync, inspect, save, filterDistribution, and the
// nested schedule and corpus objects) is read exactly once, by a getter or through a Proxy, and
// only that value is checked and used. An option whose getter returns a valid value first and
// another one later must behave as the first value: a sample asked for 5 characters is 5
// characters long even if `length` says 1e9 the second time it is read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharModel, Network, LstmError, filterDistribution } from '../js/index.js';

const TEXT = 'the quick brown fox jumps over the lazy dog\n'.repeat(30); // 1320 characters
const SMALL = { hidden: 4, layers: 1, batch: 2, seqLength: 8 };

/**
 * An object whose own keys are getters counting their reads. A value made by `flip(first, later)`
 * is `first` on the first read and `later` on every read after it.
 * @returns {{o: object, reads: Record<string, number>}}
 */
function counted(values) {
  const o = {}, reads = {};
  for (const [k, v] of Object.entries(values)) {
    reads[k] = 0;
    Object.defineProperty(o, k, {
      enumerable: true,
      get() {
        reads[k]++;
        return v instanceof Flip ? (reads[k] === 1 ? v.first : v.later) : v;
      },
    });
  }
  return { o, reads };
}

class Flip {
  constructor(first, later) { this.first = first; this.later = later; }
}
const flip = (first, later) => new Flip(first, later);

/** A Proxy over a plain object that counts `get` per string key (and flips like counted()). */
function proxied(values) {
  const reads = {};
  const target = {};
  for (const [k, v] of Object.entries(values)) {
    reads[k] = 0;
    target[k] = v;
  }
  const o = new Proxy(target, {
    get(t, k, receiver) {
      if (typeof k !== 'string' || !(k in reads)) return Reflect.get(t, k, receiver);
      reads[k]++;
      const v = t[k];
      return v instanceof Flip ? (reads[k] === 1 ? v.first : v.later) : v;
    },
  });
  return { o, reads };
}

function assertOnce(reads, what) {
  for (const [k, n] of Object.entries(reads)) assert.equal(n, 1, `${what}: '${k}' was read ${n} times`);
}

const codePoints = (s) => [...s].length;

for (const [kind, make] of [['getters', counted], ['a Proxy', proxied]]) {
  test(`CharModel.create reads each option once (${kind}), the schedule's and the corpus's too`, async () => {
    const schedule = make({ type: flip('step', 'exp'), every: flip(3, 0), factor: flip(0.5, 7) });
    const opts = make({
      text: flip(TEXT, 42), hidden: flip(4, 1e6), layers: flip(1, 99), batch: flip(2, 1e9), seqLength: flip(8, 0),
      cell: flip('gru', 'nope'), learningRate: flip(0.01, -1), clip: flip(2, NaN), dropout: flip(0.1, 5),
      seed: flip(7, -1), valFraction: flip(0.1, 9), unknown: flip('map', 'x'), optimizer: flip('sgd', 'x'),
      schedule: schedule.o, simd: flip(false, 'x'),
    });
    const m = await CharModel.create(opts.o);
    assertOnce(opts.reads, 'create options');
    assertOnce(schedule.reads, 'schedule');
    const c = m.config;
    assert.deepEqual(
      [c.cell, c.hidden, c.layers, c.batch, c.seqLength, c.optimizer, c.learningRate, c.clip, c.dropout, c.seed, c.valFraction, c.unknown],
      ['gru', 4, 1, 2, 8, 'sgd', 0.01, 2, 0.1, 7, 0.1, 'map'], 'the config is the first values read');
    assert.deepEqual({ ...c.schedule }, { type: 'step', every: 3, factor: 0.5 });
    assert.equal(m.network.simd, false);
    assert.equal(m.data.chars, codePoints(TEXT));
    assert.equal(m.trainSteps(4).length, 4);
    assert.ok(Math.abs(m.learningRate - 0.01 * 0.5) < 1e-12, `the schedule of the first read: ${m.learningRate}`);
    m.dispose();

    const corpus = make({ seed: flip(4, -1), chars: flip(3000, 1e12) });
    const copts = make({ corpus: corpus.o, ...SMALL });
    const cm = await CharModel.create(copts.o);
    assertOnce(copts.reads, 'create options (corpus)');
    assertOnce(corpus.reads, 'corpus');
    assert.deepEqual(cm.data.corpus, { seed: 4, chars: 3000 });
    cm.dispose();
  });

  test(`CharModel methods read each option once (${kind}) and use the first value`, async () => {
    const m = await CharModel.create({ text: TEXT, ...SMALL });

    const train = make({ onProgress: flip(() => {}, 3) });
    assert.equal(m.trainSteps(2, train.o).length, 2);
    assertOnce(train.reads, 'trainSteps options');

    // the length a getter says first is the length sampled; every other key likewise
    const sampleOptions = () => make({
      length: flip(5, 1e9), temperature: flip(0.5, -1), topK: flip(3, -1), topP: flip(0.9, 0), greedy: flip(false, 'x'),
      prime: flip('the ', '\uD800'), seed: flip(11, -1),
    });
    const s = sampleOptions();
    const text = m.sample(s.o);
    assertOnce(s.reads, 'sample options');
    assert.equal(codePoints(text), 5, 'length read once: 5, not 1e9');
    const plain = { length: 5, temperature: 0.5, topK: 3, topP: 0.9, greedy: false, prime: 'the ', seed: 11 };
    assert.equal(text, m.sample(plain), 'the same sample as from the first values');

    const st = sampleOptions();
    const it = m.stream(st.o);
    assertOnce(st.reads, 'stream options');
    assert.equal([...it].join(''), text);
    assertOnce(st.reads, 'stream options (after iterating)');

    const sa = make({ ...plain, length: flip(5, 1e9), yieldEvery: flip(2, 0) });
    let asyncText = '';
    for await (const ch of m.streamAsync(sa.o)) asyncText += ch;
    assertOnce(sa.reads, 'streamAsync options');
    assert.equal(asyncText, text);

    const ins = make({ layer: flip(0, 99) });
    const r = m.inspect('the fox', ins.o);
    assertOnce(ins.reads, 'inspect options');
    assert.equal(r.layer, 0);
    assert.equal(r.steps, 7);

    const sv = make({ includeText: flip(true, 'x') });
    const bytes = m.save(sv.o);
    assertOnce(sv.reads, 'save options');

    const ld = make({ simd: flip(false, 'x') });
    const back = await CharModel.load(bytes, ld.o);
    assertOnce(ld.reads, 'load options');
    assert.equal(back.step, 2);
    assert.equal(back.network.simd, false);
    assert.equal(back.data.chars, codePoints(TEXT), 'the embedded text (includeText read as true)');
    back.dispose();

    const ld2 = make({ text: flip(TEXT, 'another text') });
    const back2 = await CharModel.load(m.save(), ld2.o);
    assertOnce(ld2.reads, 'load options (text)');
    assert.equal(back2.data.chars, codePoints(TEXT));
    back2.dispose();

    const fd = make({ topK: flip(1, -1), topP: flip(1, 0) });
    assert.deepEqual([...filterDistribution([0.2, 0.5, 0.3], fd.o)], [0, 1, 0]);
    assertOnce(fd.reads, 'filterDistribution options');
    m.dispose();
  });

  test(`CharModel.fromNetwork reads each option once (${kind})`, async () => {
    const net = await Network.create({ vocab: 4, output: 4, hidden: 4 });
    const vocabulary = ['a', 'b', 'c', '\n'];
    const o = make({
      vocabulary: flip(vocabulary, 'ab'), text: flip('abc\n'.repeat(20), 5), batch: flip(2, 0), seqLength: flip(4, 0),
      learningRate: flip(0.05, -1), clip: flip(1, -1), optimizer: flip('sgd', 'x'), dropout: flip(0.2, 2),
      valFraction: flip(0.1, 2), unknown: flip('skip', 'x'), schedule: flip(null, 5),
    });
    const m = CharModel.fromNetwork(net, o.o);
    assertOnce(o.reads, 'fromNetwork options');
    assert.equal(m.vocabulary, 'abc\n');
    const tc = net.trainingConfig;
    assert.deepEqual([tc.optimizer, tc.learningRate, tc.clip.threshold, tc.dropout], ['sgd', 0.05, 1, 0.2]);
    assert.deepEqual([m.config.batch, m.config.seqLength, m.config.valFraction], [2, 4, 0.1]);
    m.dispose();
  });
}

test('a vocabulary array is read once: its length and each entry', async () => {
  const net = await Network.create({ vocab: 3, output: 3, hidden: 4 });
  const reads = [0, 0, 0];
  let lengthReads = 0;
  const target = ['x', 'y', 'z'];
  const vocabulary = new Proxy(target, {
    get(t, k, r) {
      if (k === 'length') return lengthReads++ === 0 ? 3 : 1e6;
      if (/^\d+$/.test(k)) {
        reads[k]++;
        return reads[k] === 1 ? t[k] : 0xd800; // a lone surrogate on a second read
      }
      return Reflect.get(t, k, r);
    },
  });
  const m = CharModel.fromNetwork(net, { vocabulary });
  assert.equal(lengthReads, 1);
  assert.deepEqual(reads, [1, 1, 1]);
  assert.equal(m.vocabulary, 'xyz');
  m.dispose();
});

test('a network that only looks like one, or lies about itself, is judged by what it is', async () => {
  const fake = Object.create(Network.prototype);
  assert.throws(() => CharModel.fromNetwork(fake, { vocabulary: 'ab' }),
    (e) => e instanceof LstmError && e.code === 'arg' && e.argument === 'network' && /expected a Network/.test(e.message));
  // a dense network with an own `config` getter claiming token input is still a dense network
  const dense = await Network.create({ input: 2, output: 2, hidden: 4 });
  Object.defineProperty(dense, 'config', { get: () => ({ cell: 'lstm', vocab: 2, output: 2, hidden: 4, layers: 1, loss: 'xent', seed: 1 }) });
  assert.throws(() => CharModel.fromNetwork(dense, { vocabulary: 'ab' }),
    (e) => e instanceof LstmError && e.code === 'arg' && e.argument === 'network' && /dense input of width 2/.test(e.message));
  dense.dispose();
});

test('options objects: the one plain-object rule, unknown keys named, argument "options"', async () => {
  const m = await CharModel.create({ text: TEXT, ...SMALL });
  // a null-prototype object is a plain object (args.js isPlainObject), as for Network
  const bare = Object.assign(Object.create(null), { length: 3, seed: 1 });
  assert.equal(codePoints(m.sample(bare)), 3);
  // a class instance is not, and a getter is not read when its object is refused
  let read = 0;
  class Opts { get length() { read++; return 3; } }
  assert.throws(() => m.sample(new Opts()), (e) => e.code === 'arg' && e.argument === 'options' && /expected an object, got object/.test(e.message));
  assert.throws(() => m.sample({ length: 3, lenght: 4 }),
    (e) => e.code === 'arg' && e.argument === 'options' && /unknown key 'lenght'/.test(e.message));
  assert.equal(read, 0);
  await assert.rejects(CharModel.create({ text: TEXT, ...SMALL, schedule: { type: 'exp', gamma: 0.9, every: 3 } }),
    (e) => e.code === 'config' && e.argument === 'schedule' && /unknown key 'every' \(expected one of type, gamma\)/.test(e.message));
  m.dispose();
});
