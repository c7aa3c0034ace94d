// Bad arguments raise LstmError with the right code and a message that names the argument; and a
// failed call changes nothing: after each one the model trains and predicts exactly like a twin
// that never saw it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, LstmError, ERROR_CODES, readMeta } from '../js/index.js';
import { KIND, WASM } from '../js/network.js';
import { statusError } from '../js/wasm.js';
import { crc32 } from './reference.js';
import * as ref from './reference.js';
import { expectError, expectReject } from './expect.js';

const B = 2, T = 4;
const TOKENS = { cell: 'lstm', vocab: 5, hidden: 6, layers: 2, output: 5, seed: 3 };
const DENSE = { cell: 'gru', input: 3, hidden: 4, output: 2, loss: 'mse', seed: 3 };
const LAST = { cell: 'rnn', input: 2, hidden: 4, output: 3, loss: 'mse-last', seed: 3 };

// Runs each case on `net`, then one identical train + predict on `net` and `twin`: bit-equal results.
async function casesOn(t, config, cases) {
  const net = await Network.create(config), twin = await Network.create(config);
  const rand = ref.rng(5);
  for (const [what, fn, code, pattern] of cases) {
    await t.test(what, () => {
      expectError(() => fn(net), code, pattern);
      const { inputs, targets } = ref.randomBatch(net.config, B, T, rand);
      assert.equal(net.train(inputs, targets, { batch: B, steps: T }), twin.train(inputs, targets, { batch: B, steps: T }));
      assert.deepEqual(net.predict(inputs, { batch: B, steps: T }), twin.predict(inputs, { batch: B, steps: T }));
    });
  }
  assert.ok(ref.sameParameters(net.parameters(), twin.parameters()));
  net.dispose();
  twin.dispose();
}

const ok = { batch: B, steps: T };
const tok = (n = B * T) => new Int32Array(n);
const f32 = (n) => new Float32Array(n);

test('token model: bad data arguments', (t) => casesOn(t, TOKENS, [
  ['inputs of the wrong typed array', (n) => n.train(f32(8), tok(), ok), 'arg',
    /^inputs: expected Int32Array or array of integers of length 8 \(batch 2 × steps 4\), got Float32Array\(8\)$/],
  ['targets of the wrong length', (n) => n.train(tok(), tok(7), ok), 'arg',
    /^targets: expected Int32Array or array of integers of length 8 \(batch 2 × steps 4\), got Int32Array\(7\)$/],
  ['a token id = vocab', (n) => n.train(Int32Array.of(0, 1, 2, 5, 0, 0, 0, 0), tok(), ok), 'arg',
    /^inputs: expected token ids in \[0, 5\) \(vocab 5\), got number 5 at index 3$/],
  ['a negative token id', (n) => n.predict([0, -1], { batch: 2 }), 'arg', /^inputs: .*got number -1 at index 1$/],
  ['a fractional token id in a plain array', (n) => n.predict([0, 1.5, 2]), 'arg', /^inputs: .*got number 1\.5 at index 1$/],
  ['a string token id', (n) => n.predict([0, '1']), 'arg', /^inputs: .*got string '1' at index 1$/],
  ['a class id = output', (n) => n.train(tok(), Int32Array.of(0, 0, 0, 0, 0, 0, 0, 5), ok), 'arg',
    /^targets: expected class ids in \[-1, 5\) \(-1 = ignored\), got number 5 at index 7$/],
  ['a class id of -2', (n) => n.lossAndGradients(tok(), [0, 0, -2, 0, 0, 0, 0, 0], ok), 'arg', /^targets: .*got number -2 at index 2$/],
  ['batch 0', (n) => n.train(tok(), tok(), { batch: 0, steps: T }), 'arg', /^batch: expected an integer in \[1, 1048576\], got number 0$/],
  ['fractional batch', (n) => n.predict(tok(), { batch: 2.5 }), 'arg', /^batch: .*got number 2\.5$/],
  ['batch as a string', (n) => n.predict(tok(), { batch: '2' }), 'arg', /^batch: .*got string '2'$/],
  ['negative steps', (n) => n.train(tok(), tok(), { batch: B, steps: -4 }), 'arg', /^steps: .*got number -4$/],
  ['huge steps', (n) => n.predict(tok(), { batch: 1, steps: 2 ** 31 }), 'arg', /^steps: .*got number 2147483648$/],
  ['batch × steps over the limit', (n) => n.predict(tok(), { batch: 2 ** 13, steps: 2 ** 12 }), 'arg', /^batch × steps: expected at most 16777216/],
  ['an unknown option', (n) => n.train(tok(), tok(), { batchSize: 2 }), 'arg', /^train options: unknown key 'batchSize' \(expected one of batch, steps, lengths, stateful, initialState\)$/],
  ['options that are not an object', (n) => n.predict(tok(), 2), 'arg', /^predict options: expected an object, got number 2$/],
  ['inputs not a multiple of batch (steps inferred)', (n) => n.predict(tok(7), { batch: 2 }), 'arg', /^inputs: .*positive multiple of batch 2 .*got Int32Array\(7\)$/],
  ['inputs null', (n) => n.predict(null), 'arg', /^inputs: .*got null$/],
  ['empty inputs', (n) => n.predict([]), 'arg', /^inputs: .*got Array\(0\)$/],
  ['a non-boolean flag', (n) => n.predict(tok(), { ...ok, lastOnly: 'yes' }), 'arg', /^lastOnly: expected true or false, got string 'yes'$/],
  ['advance as a number', (n) => n.lossAndGradients(tok(), tok(), { ...ok, advance: 1 }), 'arg', /^advance: expected true or false, got number 1$/],
  ['resetState of an unknown state', (n) => n.resetState('both'), 'arg', /^which: expected 'train', 'predict' or undefined \(both\), got string 'both'$/],
  ['inspect.get with an unknown channel', (n) => n.inspect(tok(), ok).get(0, 0, 0, 'x'), 'arg', /^channel: expected one of i, f, g, o, c, h .*got string 'x'$/],
  ['inspect.get past the last step', (n) => n.inspect(tok(), ok).get(0, T, 0, 'h'), 'arg', /^step: expected an integer in \[0, 4\), got number 4$/],
  ['more working memory than 1 GB (C says nomem)', (n) => n.predict(tok(2 ** 24), { batch: 1, steps: 2 ** 24, lastOnly: true }), 'nomem',
    /^predict: out of WebAssembly memory \(1 GB at most\): use a smaller batch, steps or model \(C status 2\)$/],
]));

test('dense models: non-finite and mis-sized floats', (t) => casesOn(t, DENSE, [
  ['NaN in inputs', (n) => n.train(Float32Array.of(0, 0, 0, NaN, ...f32(20)), f32(16), ok), 'arg',
    /^inputs: expected finite float32 numbers, got number NaN at index 3$/],
  ['Infinity in targets', (n) => n.train(f32(24), [...f32(15), Infinity], ok), 'arg', /^targets: .*got number Infinity at index 15$/],
  ['a plain number beyond float32', (n) => n.predict([1e39, 0, 0]), 'arg', /^inputs: .*got number 1e\+39 at index 0$/],
  ['Int32Array inputs to a dense model', (n) => n.predict(new Int32Array(3)), 'arg', /^inputs: expected Float32Array or array of numbers .*got Int32Array\(3\)$/],
  ['Float64Array inputs', (n) => n.predict(new Float64Array(3)), 'arg', /got Float64Array\(3\)$/],
  ['targets of the wrong length', (n) => n.train(f32(24), f32(15), ok), 'arg',
    /^targets: expected Float32Array or array of numbers of length 16 \(batch 2 × steps 4 × output 2\), got Float32Array\(15\)$/],
  ['softmax on an mse model', (n) => n.predict(f32(3), { softmax: true }), 'arg', /^softmax: only for models with a class loss \('xent', 'xent-last'\), this one has loss 'mse'$/],
  ['setParameters: unknown tensor', (n) => n.setParameters({ 'l0.w': f32(3) }), 'arg', /^parameters: unknown tensor 'l0.w' \(this model has l0.wx, l0.wh, l0.bx, l0.bh, head.w, head.b\)$/],
  ['setParameters: wrong shape', (n) => n.setParameters({ 'l0.wx': { shape: [12, 3], data: f32(36) } }), 'arg',
    /^parameters\['l0.wx'\].shape: expected \[3, 12\], got \[12, 3\]$/],
  ['setParameters: NaN', (n) => n.setParameters({ 'head.w': f32(8), 'head.b': [0, NaN] }), 'arg', /^parameters\['head.b'\]: .*got number NaN at index 1$/],
  ['setParameters: wrong length', (n) => n.setParameters({ 'head.b': { data: f32(3) } }), 'arg',
    /^parameters\['head.b'\].data: expected Float32Array or array of numbers of length 2 \(shape \[2\]\), got Float32Array\(3\)$/],
  ['setParameters: not an object', (n) => n.setParameters([1, 2]), 'arg', /^parameters: expected an object of named tensors .*got Array\(2\)$/],
  ['applyGradients: wrong shape', (n) => n.applyGradients({ 'head.w': { shape: [2], data: f32(8) } }), 'arg', /^gradients\['head.w'\].shape: expected \[4, 2\], got \[2\]$/],
]));

test('mse-last: targets are (batch, output)', (t) => casesOn(t, LAST, [
  ['targets per step', (n) => n.train(f32(16), f32(24), ok), 'arg',
    /^targets: expected Float32Array or array of numbers of length 6 \(batch 2 × output 3; loss 'mse-last'\), got Float32Array\(24\)$/],
]));

test('training config: bad values raise config errors and change nothing', (t) => casesOn(t, TOKENS, [
  ['negative learning rate', (n) => n.setTrainingConfig({ learningRate: -1 }), 'config', /^learningRate: expected a finite number in \(0, ∞\), got number -1$/],
  ['unknown optimizer', (n) => n.setTrainingConfig({ optimizer: 'adamw' }), 'config', /^optimizer: expected one of 'adam', 'sgd', 'rmsprop', 'adagrad', got string 'adamw'$/],
  ['momentum with Adam', (n) => n.setTrainingConfig({ momentum: 0.9 }), 'config', /^momentum: only for optimizer 'sgd'/],
  ['momentum and beta1 that differ', (n) => n.setTrainingConfig({ optimizer: 'sgd', momentum: 0.9, beta1: 0.5 }), 'config', /^momentum: an alias of beta1/],
  ['zero clip threshold', (n) => n.setTrainingConfig({ clip: { mode: 'norm', threshold: 0 } }), 'config', /^clip.threshold: .*got number 0$/],
  ['unknown clip mode', (n) => n.setTrainingConfig({ clip: { mode: 'global' } }), 'config', /^clip.mode: .*got string 'global'$/],
  ['dropout 1', (n) => n.setTrainingConfig({ dropout: 1 }), 'config', /^dropout: expected a finite number in \[0, 1\), got number 1$/],
  ['beta2 NaN', (n) => n.setTrainingConfig({ beta2: NaN }), 'config', /^beta2: .*got number NaN$/],
  ['an unknown key', (n) => n.setTrainingConfig({ lr: 0.1 }), 'config', /^setTrainingConfig: unknown key 'lr' \(expected one of optimizer, learningRate/],
  ['save with meta.kind', (n) => n.save({ meta: { kind: 'x' } }), 'arg', /^meta.kind: reserved/],
  ['save with circular meta', (n) => { const m = {}; m.m = m; n.save({ meta: m }); }, 'arg', /^meta: expected JSON-serialisable values/],
  ['save with a non-boolean flag', (n) => n.save({ includeOptimizer: 'no' }), 'arg', /^includeOptimizer: expected true or false/],
]));

test('Network.create: bad configs reject with code config, naming the key', async () => {
  const cases = [
    [{ hidden: 4, output: 2 }, /^config: expected exactly one of input \(dense input width\) or vocab \(token input\), got neither$/],
    [{ input: 2, vocab: 3, hidden: 4, output: 2 }, /got both$/],
    [{ vocab: 3, hidden: 0, output: 3 }, /^hidden: expected an integer in \[1, 4096\], got number 0$/],
    [{ vocab: 3, hidden: 4097, output: 3 }, /^hidden: .*got number 4097$/],
    [{ vocab: 3, hidden: 4, layers: 5, output: 3 }, /^layers: expected an integer in \[1, 4\], got number 5$/],
    [{ vocab: 3, hidden: 4, output: 1 }, /^output: expected an integer in \[2, 1048576\], got number 1$/],
    [{ vocab: 3, hidden: 4, output: 3, cell: 'lstm2' }, /^cell: expected one of 'lstm', 'gru', 'rnn', got string 'lstm2'$/],
    [{ vocab: 3, hidden: 4, output: 3, loss: 'ce' }, /^loss: expected one of 'xent', 'mse', 'mse-last', 'xent-last', got string 'ce'$/],
    [{ vocab: 3, hidden: 4, output: 3, seed: -1 }, /^seed: expected an integer in \[0, 4294967295\], got number -1$/],
    [{ vocab: 3, hiddenSize: 4, output: 3 }, /^config: unknown key 'hiddenSize'/],
    [{ vocab: 3, hidden: 4, output: 3, simd: 'yes' }, /^simd: expected 'auto', true or false, got string 'yes'$/],
    [{ vocab: 3, hidden: 4, output: 3, learningRate: 0 }, /^learningRate: .*got number 0$/],
    [{ vocab: 1 << 20, hidden: 4096, output: 2 }, /^config: the model would have \d+ parameters, more than the limit of 67108864$/],
    [null, /^config: expected an object, got null$/],
  ];
  for (const [config, pattern] of cases) await expectReject(Network.create(config), 'config', pattern);
});

test('Network.load and readMeta: wrong kind, corrupted, truncated, wrong version, not bytes', async () => {
  const net = await Network.create(TOKENS);
  const good = net.save();
  await expectReject(Network.load(net.save({ [KIND]: 'char' })), 'format', /^Network.load: this file holds a model of kind 'char', not 'network': use CharModel.load$/);
  const flipped = good.slice();
  flipped[good.length >> 1] ^= 1;
  await expectReject(Network.load(flipped), 'checksum', /^Network.load: the file is corrupted \(CRC-32 mismatch\)/);
  await expectReject(readMeta(flipped), 'checksum', /^readMeta: /);
  await assert.rejects(Network.load(good.subarray(0, good.length - 10)), (e) => ['checksum', 'format'].includes(e.code));
  await expectReject(Network.load(good.subarray(0, 8)), 'format', /^bytes: .*too short$/);
  const magic = good.slice();
  magic[0] = 0x58;
  await expectReject(Network.load(magic), 'format', /^Network.load: not a wasm-lstm model file/);
  // a future version (3) with a valid checksum
  const v2 = good.slice();
  new DataView(v2.buffer).setUint32(8, 3, true);
  new DataView(v2.buffer).setUint32(v2.length - 4, crc32(v2.subarray(0, v2.length - 4)), true);
  await expectReject(Network.load(v2), 'version', /^Network.load: a model file of a format version this build does not read/);
  await expectReject(Network.load('model.bin'), 'arg', /^bytes: expected a Uint8Array \(or ArrayBuffer\) holding a model file, got string 'model.bin'$/);
  await expectReject(Network.load(good, { simd: true, kind: 'char' }), 'arg', /^Network.load options: unknown key 'kind'/);
  await expectReject(Network.load(good, { simd: 'fast' }), 'arg', /^simd: expected 'auto', true or false, got string 'fast'$/);
  // an ArrayBuffer is accepted too; the good file still loads
  const copy = await Network.load(good.slice().buffer);
  assert.ok(ref.sameParameters(copy.parameters(), net.parameters()));
  assert.deepEqual(await readMeta(good), { kind: 'network' });
  copy.dispose();
  net.dispose();
});

test('after dispose every method throws LstmError disposed; dispose is idempotent', async () => {
  const net = await Network.create(TOKENS);
  net.dispose();
  net.dispose();
  assert.equal(net.disposed, true);
  const calls = {
    train: () => net.train(tok(), tok(), ok), predict: () => net.predict(tok()), inspect: () => net.inspect(tok()),
    lossAndGradients: () => net.lossAndGradients(tok(), tok(), ok), applyGradients: () => net.applyGradients(),
    stepGradientNorms: () => net.stepGradientNorms(tok(), tok(), ok), resetState: () => net.resetState(),
    parameters: () => net.parameters(), setParameters: () => net.setParameters({}), save: () => net.save(),
    setTrainingConfig: () => net.setTrainingConfig({}), trainingConfig: () => net.trainingConfig, config: () => net.config,
    parameterCount: () => net.parameterCount, simd: () => net.simd, stepCount: () => net.stepCount,
    lastGradientNorm: () => net.lastGradientNorm, meta: () => net.meta, memoryBytes: () => net.memoryBytes,
  };
  for (const [name, fn] of Object.entries(calls)) expectError(fn, 'disposed', new RegExp(`^${name}: this Network was disposed$`));
});

test('a non-finite step is rejected with code nonfinite and leaves the model unchanged', async () => {
  const net = await Network.create(DENSE);
  const rand = ref.rng(3);
  const { inputs, targets } = ref.randomBatch(net.config, B, T, rand);
  net.train(inputs, targets, ok);
  const huge = net.parameters()['head.w'].data.map(() => 3e38);
  net.setParameters({ 'head.w': huge });
  const before = net.parameters(), steps = net.stepCount;
  expectError(() => net.train(inputs, targets, ok), 'nonfinite', /^train: the loss or gradient was not finite/);
  assert.ok(ref.sameParameters(net.parameters(), before));
  assert.equal(net.stepCount, steps);
  net.dispose();
});

test('a wasm trap marks the instance unusable (code trap), and dispose still works', async () => {
  const net = await Network.create(TOKENS);
  // force a trap the public API cannot cause: a pointer past the end of memory
  expectError(() => net[WASM].call('lstm_crc32', 0x7ffffff0, 16), 'trap', /^lstm_crc32: WebAssembly trap/);
  expectError(() => net.predict(tok()), 'trap', /^predict: this Network's WebAssembly instance trapped earlier/);
  net.dispose();
  expectError(() => net.predict(tok()), 'disposed', /disposed/);
});

test('every C status maps to its code', () => {
  const want = [null, 'arg', 'nomem', 'format', 'version', 'checksum', 'nonfinite', 'config'];
  for (let s = 1; s < want.length; s++) assert.equal(statusError(s, 'f').code, want[s]);
  assert.equal(statusError(99, 'f').code, 'arg');
  assert.deepEqual(ERROR_CODES, ['arg', 'nomem', 'format', 'version', 'checksum', 'nonfinite', 'config', 'disposed', 'trap', 'busy', 'load', 'aborted']);
  const e = new LstmError('arg', 'x');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'LstmError');
});
