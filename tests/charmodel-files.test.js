// CharModel files: every field of the CharModel meta inside a Network file is checked against the
// network and the training text on load. Each case below takes a valid file, rewrites one field of
// its meta (re-saved through Network with the internal KIND option, so the C checks and the CRC
// pass) or pairs the meta with another network, and expects LstmError 'format' whose `argument`
// names the field and whose message says what was expected and what was received.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharModel, Network, LstmError } from '../js/index.js';
import { KIND } from '../js/network.js';

const TOY = 'abcdefghij\n'.repeat(120); // vocabulary \n a..j; 1320 characters
const SMALL = { hidden: 8, layers: 1, batch: 4, seqLength: 16 };
// 1320 characters, 66 held out: ⌊(1254 − 1) / 64⌋ = 19 chunks per epoch; 21 steps: epoch 1, chunk 2
const STEPS = 21;

const files = {};
async function base(name) {
  if (!files[name]) {
    const options = {
      toy: { text: TOY, ...SMALL },
      map: { text: TOY, ...SMALL, unknown: 'map' },
      corpus: { corpus: { chars: 3000, seed: 4 }, ...SMALL },
      embedded: { text: TOY, ...SMALL },
    }[name];
    const m = await CharModel.create(options);
    m.trainSteps(STEPS);
    files[name] = m.save({ includeText: name === 'embedded' });
    m.dispose();
  }
  return files[name];
}

// The file with its meta rewritten by edit(char meta, whole meta), or with another network.
async function rewrite(bytes, edit, network) {
  const net = await Network.load(bytes, { [KIND]: 'char' });
  const meta = net.meta;
  edit?.(meta.char, meta);
  const target = network ? await Network.create(network) : net;
  const out = target.save({ meta, [KIND]: 'char' });
  net.dispose();
  if (target !== net) target.dispose();
  return out;
}

const NET = { vocab: 11, output: 11, hidden: 8, layers: 1, learningRate: 2e-3, clip: { mode: 'norm', threshold: 5 } };

const CASES = [
  // the vocabulary
  { name: 'a duplicate vocabulary entry', edit: (c) => { c.vocab[2] = c.vocab[1]; }, field: 'vocab', says: /sorted|distinct|duplicate/ },
  { name: 'unsorted vocabulary entries', edit: (c) => { [c.vocab[1], c.vocab[2]] = [c.vocab[2], c.vocab[1]]; }, field: 'vocab', says: /sorted/ },
  { name: 'a vocabulary character missing from the text (and one of the text missing from it)', edit: (c) => { c.vocab[10] = 'z'; }, field: 'vocab', says: /'z'|'j'/ },
  { name: 'the same, the text embedded in the file', base: 'embedded', load: {}, edit: (c) => { c.vocab[10] = 'z'; }, field: 'vocab' },
  { name: 'a lone surrogate in the vocabulary', edit: (c) => { c.vocab[10] = '\uD800'; }, field: 'vocab', says: /surrogate/ },
  { name: 'a lone low surrogate first in the vocabulary', edit: (c) => { c.vocab[0] = '\uDC00'; }, field: 'vocab', says: /surrogate/ },
  { name: 'a vocabulary entry of two characters', edit: (c) => { c.vocab[3] = 'cd'; }, field: 'vocab', says: /one code point/ },
  { name: 'an empty vocabulary entry', edit: (c) => { c.vocab[3] = ''; }, field: 'vocab', says: /one code point/ },
  { name: 'a vocabulary entry that is a number', edit: (c) => { c.vocab[3] = 99; }, field: 'vocab', says: /number 99/ },
  { name: 'a vocabulary shorter than the network\'s', edit: (c) => { c.vocab.pop(); }, field: 'vocab', says: /11/ },
  { name: 'a vocabulary that is a string', edit: (c) => { c.vocab = c.vocab.join(''); }, field: 'vocab' },
  { name: 'vocabFrom not \'text\' or \'given\'', edit: (c) => { c.vocabFrom = 'pytorch'; }, field: 'vocabFrom' },
  // the network
  { name: 'a network output size different from the vocabulary', network: { ...NET, output: 12 }, field: 'network', says: /output 12/ },
  { name: 'a network with dense input', network: { ...NET, vocab: undefined, input: 11 }, field: 'network', says: /dense/ },
  { name: 'a network with loss mse', network: { ...NET, loss: 'mse' }, field: 'network', says: /'mse'/ },
  { name: 'a bidirectional network', network: { ...NET, bidirectional: true }, field: 'network', says: /bidirectional/ },
  { name: 'a network with another vocabulary size', network: { ...NET, vocab: 12, output: 12 }, field: 'vocab', says: /12/ },
  // the config
  { name: 'config.layers disagrees with the network', edit: (c) => { c.config.layers = 2; }, field: 'config.layers', says: /network.*1.*got.*2|1.*2/ },
  { name: 'config.hidden disagrees with the network', edit: (c) => { c.config.hidden = 9; }, field: 'config.hidden', says: /9/ },
  { name: 'config.cell disagrees with the network', edit: (c) => { c.config.cell = 'gru'; }, field: 'config.cell', says: /'gru'/ },
  { name: 'a network whose cell disagrees with config.cell', network: { ...NET, cell: 'rnn' }, field: 'config.cell', says: /'rnn'/ },
  { name: 'config.seed disagrees with the network', edit: (c) => { c.config.seed = 2; }, field: 'config.seed' },
  { name: 'config.optimizer not an optimizer', edit: (c) => { c.config.optimizer = 'adamw'; }, field: 'config.optimizer', says: /'adamw'/ },
  { name: 'config.learningRate of 0', edit: (c) => { c.config.learningRate = 0; }, field: 'config.learningRate' },
  { name: 'config.hidden not a number', edit: (c) => { c.config.hidden = 'x'; }, field: 'config.hidden', says: /string 'x'/ },
  { name: 'config.batch missing', edit: (c) => { delete c.config.batch; }, field: 'config.batch', says: /missing/ },
  { name: 'config with an unknown key', edit: (c) => { c.config.size = 3; }, field: 'config', says: /size/ },
  { name: 'config.batch too large for the text', edit: (c) => { c.config.batch = 400; }, field: 'config.batch', says: /needed/ },
  { name: 'config.unknown \'map\' without an unknown symbol', edit: (c) => { c.config.unknown = 'map'; }, field: 'unknownId' },
  // the unknown symbol
  { name: 'an unknown-symbol id of 999', base: 'map', edit: (c) => { c.unknownId = 999; }, field: 'unknownId', says: /999/ },
  { name: 'an unknown-symbol id of "x"', base: 'map', edit: (c) => { c.unknownId = 'x'; }, field: 'unknownId', says: /string 'x'/ },
  { name: 'an unknown-symbol id that is not U+FFFD', base: 'map', edit: (c) => { c.unknownId = 3; }, field: 'unknownId', says: /FFFD/ },
  { name: 'an unknown-symbol id under unknown \'skip\'', edit: (c) => { c.unknownId = 3; }, field: 'unknownId', says: /-1/ },
  { name: 'unknownAdded not a boolean', base: 'map', edit: (c) => { c.unknownAdded = 'yes'; }, field: 'unknownAdded' },
  { name: 'unknownAdded under unknown \'skip\'', edit: (c) => { c.unknownAdded = true; }, field: 'unknownAdded' },
  { name: 'an added unknown symbol said to be the text\'s own', base: 'map', edit: (c) => { c.unknownAdded = false; }, field: 'vocab', says: /U\+FFFD/ },
  // the reading position
  { name: 'a data position of −1', edit: (c) => { c.chunk = -1; }, field: 'chunk', says: /-1/ },
  { name: 'a data position of 10⁶', edit: (c) => { c.chunk = 1e6; }, field: 'chunk', says: /19/ },
  { name: 'a data position of 2.5', edit: (c) => { c.chunk = 2.5; }, field: 'chunk' },
  { name: 'a data position of 10⁶ with the text unknown', load: {}, edit: (c) => { c.chunk = 1e6; }, field: 'chunk' },
  { name: 'a step of −7', edit: (c) => { c.step = -7; }, field: 'step', says: /-7/ },
  { name: 'a step of 1e300', edit: (c) => { c.step = 1e300; }, field: 'step', says: /1e\+300/ },
  { name: 'a step above the network\'s step count', edit: (c) => { c.step = STEPS + 19; c.epoch = 2; }, field: 'step', says: /21/ },
  { name: 'a step that disagrees with epoch and chunk', edit: (c) => { c.step = STEPS - 1; }, field: 'step', says: /1 × 19 \+ 2/ },
  { name: 'an epoch of −1', edit: (c) => { c.epoch = -1; }, field: 'epoch' },
  { name: 'an epoch of 1e300', edit: (c) => { c.epoch = 1e300; }, field: 'epoch' },
  { name: 'an epoch the steps do not reach', edit: (c) => { c.epoch = 2; }, field: 'epoch' },
  // the sampler PRNG
  { name: 'a sampler state of 3 words', edit: (c) => { c.sampler = [1, 2, 3]; }, field: 'sampler' },
  { name: 'a sampler state that is a string', edit: (c) => { c.sampler = 'x'; }, field: 'sampler' },
  { name: 'a sampler state of zeros', edit: (c) => { c.sampler = [0, 0, 0, 0]; }, field: 'sampler' },
  { name: 'a sampler word of 2^32', edit: (c) => { c.sampler[0] = 2 ** 32; }, field: 'sampler' },
  { name: 'no sampler state', edit: (c) => { delete c.sampler; }, field: 'sampler', says: /missing/ },
  // the fingerprint, the corpus and the embedded text
  { name: 'a fingerprint of −1 characters', edit: (c) => { c.fingerprint.chars = -1; }, field: 'fingerprint' },
  { name: 'a fingerprint hash that is not 8 hex digits', edit: (c) => { c.fingerprint.fnv = 'zz'; }, field: 'fingerprint' },
  { name: 'a corpus seed of −1', base: 'corpus', load: {}, edit: (c) => { c.corpus.seed = -1; }, field: 'corpus', says: /-1/ },
  { name: 'a corpus seed of "x"', base: 'corpus', load: {}, edit: (c) => { c.corpus.seed = 'x'; }, field: 'corpus', says: /string 'x'/ },
  { name: 'a corpus size of −1', base: 'corpus', load: {}, edit: (c) => { c.corpus.chars = -1; }, field: 'corpus' },
  { name: 'a corpus size of "x"', base: 'corpus', load: {}, edit: (c) => { c.corpus.chars = 'x'; }, field: 'corpus' },
  { name: 'a corpus with an unknown key', base: 'corpus', load: {}, edit: (c) => { c.corpus.lang = 'en'; }, field: 'corpus' },
  { name: 'a corpus size that disagrees with the fingerprint', base: 'corpus', load: {}, edit: (c) => { c.corpus.chars = 3001; }, field: 'corpus' },
  { name: 'a corpus setting that regenerates another text', base: 'corpus', load: {}, edit: (c) => { c.corpus.seed = 5; }, field: 'corpus', says: /fingerprint|FNV/ },
  { name: 'an embedded text that is a number', base: 'embedded', load: {}, edit: (c) => { c.text = 5; }, field: 'text' },
  { name: 'an embedded text with a lone surrogate', base: 'embedded', load: {}, edit: (c) => { c.text = c.text.slice(0, -1) + '\uD800'; }, field: 'text', says: /surrogate/ },
  { name: 'an embedded text that is not the trained one', base: 'embedded', load: {}, edit: (c) => { c.text = c.text.slice(0, -1) + 'a'; }, field: 'text', says: /FNV/ },
  // the meta itself
  { name: 'an unknown meta field', edit: (c) => { c.extra = 1; }, field: 'extra' },
  { name: 'an unknown top-level meta key', edit: (c, meta) => { meta.other = {}; }, field: 'other' },
  { name: 'no unknownId', edit: (c) => { delete c.unknownId; }, field: 'unknownId', says: /missing/ },
];

test(`CharModel files: ${CASES.length} malformed metas, each LstmError 'format' naming the field`, async (t) => {
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const bytes = await rewrite(await base(c.base ?? 'toy'), c.edit, c.network);
      let err;
      try {
        const m = await CharModel.load(bytes, c.load ?? { text: TOY });
        m.dispose();
      } catch (e) {
        err = e;
      }
      assert.ok(err, 'loaded without an error');
      assert.ok(err instanceof LstmError, `expected LstmError, got ${err.name}: ${err.message}`);
      assert.equal(err.code, 'format', err.message);
      assert.equal(err.argument, c.field, err.message);
      assert.match(err.message, /^CharModel\.load: /);
      assert.ok(err.message.includes(c.field), `the message names ${c.field}: ${err.message}`);
      assert.match(err.message, /expected .*, got /, err.message);
      if (c.says) assert.match(err.message, c.says);
      assert.doesNotMatch(err.message, /\n/);
    });
  }
});

test('a meta version this build does not read is LstmError \'version\' naming the field', async () => {
  const bytes = await rewrite(await base('toy'), (c) => { c.version = 2; });
  await assert.rejects(CharModel.load(bytes), (err) => err instanceof LstmError && err.code === 'version' &&
    err.argument === 'version' && /expected 1 .*got number 2$/.test(err.message));
});

test('the rewrite itself keeps a valid file valid, for every base', async () => {
  for (const name of ['toy', 'map', 'corpus', 'embedded']) {
    const bytes = await rewrite(await base(name), () => {});
    const m = await CharModel.load(bytes, name === 'toy' || name === 'map' ? { text: TOY } : {});
    assert.equal(m.step, STEPS, name);
    assert.ok(m.data, name);
    assert.equal(m.trainSteps(1).length, 1);
    m.dispose();
  }
});

test('a text given to load that is not the trained one stays LstmError \'arg\' naming text', async () => {
  await assert.rejects(CharModel.load(await base('toy'), { text: TOY + 'a' }), (err) =>
    err instanceof LstmError && err.code === 'arg' && err.argument === 'text' && /not the text/.test(err.message));
});

test('a network whose training settings were changed directly saves and loads (the file follows the network)', async () => {
  const m = await CharModel.create({ text: TOY, ...SMALL });
  m.trainSteps(2);
  m.network.setTrainingConfig({ learningRate: 0.0123, clip: { mode: 'none' }, dropout: 0 });
  assert.equal(m.config.learningRate, 0.0123);
  assert.equal(m.config.clip, 0);
  const again = await CharModel.load(m.save(), { text: TOY });
  assert.equal(again.config.learningRate, 0.0123);
  assert.equal(again.config.clip, 0);
  assert.deepEqual(again.trainSteps(2), m.trainSteps(2));
  m.dispose();
  again.dispose();
});

test('training settings in the meta that differ from the network\'s (an older save) load as the network has them', async () => {
  const bytes = await rewrite(await base('toy'), (c) => {
    Object.assign(c.config, { optimizer: 'sgd', learningRate: 0.5, clip: 0, dropout: 0.5 });
  });
  const m = await CharModel.load(bytes, { text: TOY });
  const tc = m.network.trainingConfig;
  assert.deepEqual([tc.optimizer, tc.learningRate, tc.clip.threshold, tc.dropout], ['adam', 0.002, 5, 0]);
  assert.deepEqual([m.config.optimizer, m.config.learningRate, m.config.clip, m.config.dropout], ['adam', 0.002, 5, 0]);
  const again = await CharModel.load(m.save(), { text: TOY });
  assert.deepEqual(again.config, m.config);
  m.dispose();
  again.dispose();
});
