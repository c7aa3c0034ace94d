// CharModel.fromNetwork: a CharModel on an existing Network (e.g. converted from PyTorch) plus its
// vocabulary in the network's id order; `vocabulary` exports it. The vocabulary forms, the checks
// (each an LstmError naming the argument, leaving the network usable), continued training on a
// text, the network's training settings, and files of such models.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharModel, Network, LstmError } from '../js/index.js';
import { KIND } from '../js/network.js';

const VOCAB = 'lo hewrd\n'; // the network's id order: not sorted
const TEXT = 'hello world\nhello, world!\n'.repeat(40); // ',' and '!' are not in VOCAB
const NET = { vocab: 9, output: 9, hidden: 12, layers: 2, seed: 5 };

function expectError(fn, code, argument, pattern) {
  let err;
  try { fn(); } catch (e) { err = e; }
  assert.ok(err instanceof LstmError, `expected LstmError '${code}', got ${err ? `${err.name}: ${err.message}` : 'no error'}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.argument, argument, err.message);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

// Greedy characters after `prime`, written out on the Network (ids in VOCAB order).
function greedyOnNetwork(net, vocab, prime, n) {
  net.resetState('predict');
  let logits = net.predict([...prime].map((ch) => vocab.indexOf(ch)), { batch: 1, lastOnly: true });
  let s = '';
  for (let i = 0; i < n; i++) {
    const id = logits.indexOf(Math.max(...logits));
    s += vocab[id];
    logits = net.predict([id], { batch: 1, lastOnly: true });
  }
  return s;
}

test('fromNetwork: the vocabulary in the network\'s id order, as a string or an array', async () => {
  const net = await Network.create(NET);
  const expected = greedyOnNetwork(net, [...VOCAB], 'hello', 30);
  const m = CharModel.fromNetwork(net, { vocabulary: VOCAB });
  assert.equal(m.network, net);
  assert.deepEqual(m.vocab, [...VOCAB]);
  assert.equal(m.vocabulary, VOCAB);
  assert.equal(m.unknownId, -1);
  assert.equal(m.step, 0);
  assert.equal(m.data, null, 'no text: nothing to train on');
  assert.equal(m.sample({ prime: 'hello', length: 30, greedy: true }), expected);
  assert.deepEqual({ cell: m.config.cell, hidden: m.config.hidden, layers: m.config.layers, seed: m.config.seed }, { cell: 'lstm', hidden: 12, layers: 2, seed: 5 });
  m.dispose();
  assert.ok(net.disposed, 'the CharModel owns the network');

  const cps = [...VOCAB].map((ch) => ch.codePointAt(0));
  const forms = [cps, [...VOCAB], [...VOCAB].map((ch, i) => (i % 2 ? ch : ch.codePointAt(0)))];
  for (const vocabulary of forms) {
    const n = await Network.create(NET);
    const mm = CharModel.fromNetwork(n, { vocabulary });
    assert.equal(mm.vocabulary, VOCAB);
    mm.dispose();
  }
  // astral symbols: one code point each, as a string, a code point or a 2-unit string
  const n2 = await Network.create({ ...NET, vocab: 3, output: 3 });
  const e = CharModel.fromNetwork(n2, { vocabulary: ['😺', 0x1f431, 'a'] });
  assert.deepEqual(e.vocab, ['😺', '🐱', 'a']);
  assert.equal(e.vocabulary, '😺🐱a');
  assert.equal([...e.sample({ length: 12, seed: 1 })].length, 12);
  e.dispose();
});

test('vocabulary exports what fromNetwork needs: a model rebuilt from its network samples the same', async () => {
  const m = await CharModel.create({ text: 'The cat 🐱 was full. Les chats étaient repus.\n'.repeat(20), hidden: 16, layers: 1, batch: 4, seqLength: 16, seed: 3 });
  m.trainSteps(10);
  const vocabulary = JSON.parse(JSON.stringify(m.vocabulary)); // as a file beside the weights would keep it
  const net = await Network.load(m.network.save());
  const again = CharModel.fromNetwork(net, { vocabulary });
  for (const seed of [1, 2, 3]) assert.equal(again.sample({ prime: 'The ', length: 60, seed }), m.sample({ prime: 'The ', length: 60, seed }));
  assert.equal(again.evaluate('Les chats étaient repus.').loss, m.evaluate('Les chats étaient repus.').loss);
  m.dispose();
  again.dispose();
});

test('fromNetwork with a text trains on it: characters outside the vocabulary are skipped, steps as by hand', async () => {
  const opts = { vocabulary: VOCAB, text: TEXT, batch: 2, seqLength: 8, valFraction: 0.1, learningRate: 0.01 };
  const m = CharModel.fromNetwork(await Network.create(NET), opts);
  const twin = await Network.create(NET);
  twin.setTrainingConfig({ learningRate: 0.01 });
  const d = m.data;
  const kept = [...TEXT].filter((ch) => VOCAB.includes(ch));
  assert.equal(d.skipped, TEXT.length - kept.length);
  assert.equal(d.chars, kept.length);
  const ids = kept.map((ch) => VOCAB.indexOf(ch));
  const { batch: B, seqLength: T } = m.config;
  const losses = m.trainSteps(3);
  for (let k = 0; k < 3; k++) {
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        x[b * T + t] = ids[b * d.streamLength + k * T + t];
        y[b * T + t] = ids[b * d.streamLength + k * T + t + 1];
      }
    }
    assert.equal(losses[k], twin.train(x, y, { batch: B, steps: T }), `step ${k}`);
  }
  const pa = m.network.parameters(), pb = twin.parameters();
  for (const k of Object.keys(pa)) assert.deepEqual(pa[k].data, pb[k].data, k);
  assert.ok(m.evaluate().chars > 0);
  // resume from a file: the text is checked, the vocabulary stays in the network's order
  const bytes = m.save();
  const meta = (await Network.load(bytes, { [KIND]: 'char' })).meta.char;
  assert.equal(meta.vocabFrom, 'given');
  const resumed = await CharModel.load(bytes, { text: TEXT });
  assert.equal(resumed.vocabulary, VOCAB);
  assert.deepEqual(resumed.trainSteps(2), m.trainSteps(2));
  await assert.rejects(CharModel.load(bytes, { text: TEXT + 'x' }), (err) => err.code === 'arg' && err.argument === 'text');
  const withText = await CharModel.load(m.save({ includeText: true }));
  assert.equal(withText.data.skipped, d.skipped, 'the embedded text is the original, unknown characters and all');
  for (const x of [m, resumed, withText]) x.dispose();
  twin.dispose();
});

test('a model made without a text can be saved and given its training text at load', async () => {
  const m = CharModel.fromNetwork(await Network.create(NET), { vocabulary: VOCAB, batch: 2, seqLength: 8 });
  const bytes = m.save();
  const bare = await CharModel.load(bytes);
  assert.equal(bare.data, null);
  assert.equal(bare.sample({ length: 20, seed: 4 }), m.sample({ length: 20, seed: 4 }));
  const trained = await CharModel.load(bytes, { text: TEXT });
  assert.equal(trained.trainSteps(2).length, 2);
  const again = await CharModel.load(trained.save(), { text: TEXT });
  assert.equal(again.step, 2);
  await assert.rejects(CharModel.load(trained.save(), { text: TEXT.slice(1) }), (err) => err.code === 'arg' && err.argument === 'text');
  for (const x of [m, bare, trained, again]) x.dispose();
});

test('training settings: given ones are written to the network, the others are the network\'s', async () => {
  const net = await Network.create({ ...NET, optimizer: 'rmsprop', learningRate: 0.003, clip: { mode: 'none' }, dropout: 0.1 });
  const m = CharModel.fromNetwork(net, { vocabulary: VOCAB });
  assert.deepEqual([m.config.optimizer, m.config.learningRate, m.config.clip, m.config.dropout], ['rmsprop', 0.003, 0, 0.1]);
  m.dispose();
  const net2 = await Network.create(NET);
  const m2 = CharModel.fromNetwork(net2, { vocabulary: VOCAB, learningRate: 0.05, clip: 2, optimizer: 'sgd', dropout: 0.2 });
  const tc = net2.trainingConfig;
  assert.deepEqual([tc.optimizer, tc.learningRate, tc.clip.mode, tc.clip.threshold, tc.dropout], ['sgd', 0.05, 'norm', 2, 0.2]);
  assert.deepEqual([m2.config.optimizer, m2.config.learningRate, m2.config.clip, m2.config.dropout], ['sgd', 0.05, 2, 0.2]);
  m2.dispose();
});

test('bad networks and vocabularies: LstmError naming the argument; the network stays usable and free', async () => {
  const net = await Network.create(NET);
  const before = net.parameters();
  const V = { vocabulary: VOCAB };
  const cases = [
    [() => CharModel.fromNetwork({}, V), 'arg', 'network', /expected a Network, got object/],
    [() => CharModel.fromNetwork(net, { vocabulary: 'lo hewrdd' }), 'config', 'vocabulary', /9 symbols.*got 9|distinct.*'d' at 7 and 8/],
    [() => CharModel.fromNetwork(net, { vocabulary: 'lo hewrdx' + 'l' }), 'config', 'vocabulary', /expected 9 symbols .*got 10/],
    [() => CharModel.fromNetwork(net, { vocabulary: 'lo hewrl\n' }), 'config', 'vocabulary', /distinct symbols, got 'l' at 0 and 7/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', 'd', 108] }), 'config', 'vocabulary', /'l' at 0 and 8/],
    [() => CharModel.fromNetwork(net, { vocabulary: 'lo hewr\uD800\n' }), 'config', 'vocabulary', /lone surrogate U\+D800 at index 7/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', 0xdc00, '\n'] }), 'config', 'vocabulary', /vocabulary\[7\].*lone surrogate U\+DC00/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', '\uD83D', '\n'] }), 'config', 'vocabulary', /vocabulary\[7\].*lone surrogate U\+D83D/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', 'dx', '\n'] }), 'config', 'vocabulary', /vocabulary\[7\].*string 'dx'/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', 0x110000, '\n'] }), 'config', 'vocabulary', /vocabulary\[7\].*1114112/],
    [() => CharModel.fromNetwork(net, { vocabulary: [...'lo hewr', 1.5, '\n'] }), 'config', 'vocabulary', /vocabulary\[7\].*1\.5/],
    [() => CharModel.fromNetwork(net, { vocabulary: 9 }), 'config', 'vocabulary', /got number 9/],
    [() => CharModel.fromNetwork(net, {}), 'config', 'vocabulary', /got undefined/],
    [() => CharModel.fromNetwork(net, { ...V, vocab: VOCAB }), 'config', 'options', /unknown key 'vocab'/],
    [() => CharModel.fromNetwork(net, { ...V, hidden: 12 }), 'config', 'options', /unknown key 'hidden'/],
    [() => CharModel.fromNetwork(net, { ...V, unknown: 'map' }), 'config', 'unknown', /U\+FFFD/],
    [() => CharModel.fromNetwork(net, { ...V, text: 'hello world' }), 'config', 'batch', /needed/],
    [() => CharModel.fromNetwork(net, { ...V, text: TEXT + '\uDC00' }), 'config', 'text', /lone surrogate/],
    [() => CharModel.fromNetwork(net, { ...V, text: 7 }), 'config', 'text', /got number 7/],
    [() => CharModel.fromNetwork(net, { ...V, learningRate: -1 }), 'config', 'learningRate', /got number -1/],
    [() => CharModel.fromNetwork(net, { ...V, seqLength: 0 }), 'config', 'seqLength', /got number 0/],
    [() => CharModel.fromNetwork(net, null), 'config', 'options', /got null/],
  ];
  for (const [fn, code, argument, pattern] of cases) expectError(fn, code, argument, pattern);
  assert.deepEqual(net.parameters(), before);
  assert.equal(net.trainingConfig.learningRate, 0.002, 'a refused call wrote nothing to the network');

  const dense = await Network.create({ input: 9, output: 9, hidden: 4 });
  expectError(() => CharModel.fromNetwork(dense, V), 'arg', 'network', /token-input.*dense input of width 9/);
  const mse = await Network.create({ ...NET, loss: 'mse' });
  expectError(() => CharModel.fromNetwork(mse, V), 'arg', 'network', /loss 'xent'.*'mse'/);
  // a reverse direction would read characters not yet written: refused (0.2.0 sampled from a
  // stateless model one character at a time instead)
  const bi = await Network.create({ ...NET, bidirectional: true });
  expectError(() => CharModel.fromNetwork(bi, V), 'arg', 'network', /unidirectional network, got a bidirectional/);
  const wide = await Network.create({ ...NET, output: 10 });
  expectError(() => CharModel.fromNetwork(wide, V), 'arg', 'network', /vocab 9, output 10/);
  const byValue = await Network.create({ ...NET, clip: { mode: 'value', threshold: 1 } });
  expectError(() => CharModel.fromNetwork(byValue, V), 'config', 'clip', /by value/);
  const ok = CharModel.fromNetwork(byValue, { ...V, clip: 1 });
  assert.equal(byValue.trainingConfig.clip.mode, 'norm');
  ok.dispose();
  const gone = await Network.create(NET);
  gone.dispose();
  assert.throws(() => CharModel.fromNetwork(gone, V), (e) => e instanceof LstmError && e.code === 'disposed' && e.argument === 'network');
  for (const n of [dense, mse, wide, bi]) n.dispose();

  // after all that, the network makes a model; a second model on it is refused
  const m = CharModel.fromNetwork(net, V);
  expectError(() => CharModel.fromNetwork(net, V), 'arg', 'network', /another CharModel/);
  const made = await CharModel.create({ text: TEXT, hidden: 4, layers: 1, batch: 2, seqLength: 8 });
  expectError(() => CharModel.fromNetwork(made.network, { vocabulary: made.vocabulary }), 'arg', 'network', /another CharModel/);
  m.dispose();
  made.dispose();
});

test('files of given vocabularies: unsorted loads, duplicates and a trained position without a text do not', async () => {
  const m = CharModel.fromNetwork(await Network.create(NET), { vocabulary: VOCAB, text: TEXT, batch: 2, seqLength: 8 });
  m.trainSteps(3);
  const bytes = m.save();
  const rewrite = async (edit) => {
    const net = await Network.load(bytes, { [KIND]: 'char' });
    const meta = net.meta;
    edit(meta.char);
    const out = net.save({ meta, [KIND]: 'char' });
    net.dispose();
    return out;
  };
  const bad = async (edit, argument, pattern, load = { text: TEXT }) => {
    await assert.rejects(CharModel.load(await rewrite(edit), load), (err) => {
      assert.ok(err instanceof LstmError, String(err));
      assert.equal(err.code, 'format', err.message);
      assert.equal(err.argument, argument, err.message);
      assert.match(err.message, pattern);
      return true;
    });
  };
  await bad((c) => { c.vocab[8] = 'l'; }, 'vocab', /distinct symbols, got 'l' at 0 and 8/);
  await bad((c) => { c.vocabFrom = 'text'; }, 'vocab', /sorted/);
  await bad((c) => { c.unknownAdded = true; c.config.unknown = 'map'; c.unknownId = 8; c.vocab[8] = '\uFFFD'; }, 'unknownAdded', /given vocabulary/);
  await bad((c) => { c.fingerprint = null; }, 'step', /never had a training text/);
  await bad((c) => { c.chunk = 99; }, 'chunk', /\[0, \d+\)/);
  const fine = await CharModel.load(bytes, { text: TEXT });
  assert.equal(fine.step, 3);
  fine.dispose();
  m.dispose();
});
