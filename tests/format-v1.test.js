// Model files of format 1, written by wasm-lstm 0.1 (tests/fixtures/v1/make.mjs, run at commit
// 736f0b4), still load: the same predictions, bit for bit, as the code that wrote them computed;
// training continues exactly as it continued there; saving writes format 2, which loads back to
// the same model. A CharModel file (meta version 1) samples and evaluates as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Network, CharModel } from '../js/index.js';
import { crc32 } from './reference.js';

const dir = new URL('./fixtures/v1/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8'));
const file = (name) => new Uint8Array(readFileSync(new URL(name, dir)));
const version = (bytes) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);

function sameFloats(got, want, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], Math.fround(want[i]))) assert.fail(`${what}: index ${i}: ${got[i]} !== ${want[i]} (format 1's result)`);
  }
}

for (const name of ['lstm-tokens', 'gru-dense']) {
  test(`format 1 (${name}): loads, predicts and continues training bit for bit as wasm-lstm 0.1 did`, async () => {
    const e = expected[name];
    const bytes = file(`${name}.bin`);
    assert.equal(version(bytes), 1, 'the fixture is a format-1 file');
    const net = await Network.load(bytes);
    assert.equal(net.config.cell, e.config.cell);
    assert.equal(net.config.bidirectional, false);
    assert.equal(net.config.gateActivation, 'sigmoid');
    assert.equal(net.stepCount, e.stepCount);
    assert.equal(net.parameterCount, e.parameterCount);
    assert.deepEqual(net.meta, { note: 'written by wasm-lstm 0.1' });
    const input = net.config.vocab ? Int32Array.from(e.input) : Float32Array.from(e.input);
    net.resetState('predict');
    sameFloats(net.predict(input, { batch: e.batch, steps: e.steps }), e.outputs, 'predict');
    // format 2 now: the same model back
    const v2 = net.save();
    assert.equal(version(v2), 2);
    const again = await Network.load(v2);
    assert.deepEqual(again.save(), v2, 'a format-2 file saves back to the same bytes');
    // training continues from the format-1 file exactly as it did in 0.1 (moments, train state, RNG)
    const trained = await Network.load(bytes);
    const T = e.train, tok = !!net.config.vocab;
    const x = tok ? Int32Array.from(T.x) : Float32Array.from(T.x), y = tok ? Int32Array.from(T.y) : Float32Array.from(T.y);
    const losses = [0, 1].map(() => trained.train(x, y, { batch: T.batch, steps: T.steps }));
    sameFloats(losses, e.losses, 'losses after load');
    sameFloats(trained.predict(input, { batch: e.batch, steps: e.steps }), e.afterTrain, 'predict after training');
    for (const m of [net, again, trained]) m.dispose();
  });
}

test('format 1 CharModel file: loads, samples and evaluates as wasm-lstm 0.1 did', async () => {
  const e = expected.char;
  const bytes = file('char.bin');
  assert.equal(version(bytes), 1);
  const model = await CharModel.load(bytes);
  assert.equal(model.step, e.step);
  assert.equal(model.sample({ length: 40, seed: 9, prime: 'The ' }), e.sample);
  const ev = model.evaluate();
  assert.equal(ev.chars, e.evaluate.chars);
  assert.ok(Math.abs(ev.loss - e.evaluate.loss) <= 1e-12 * Math.max(1, e.evaluate.loss), `loss ${ev.loss} vs ${e.evaluate.loss}`);
  const resaved = await CharModel.load(model.save({ includeText: true }));
  assert.equal(resaved.sample({ length: 40, seed: 9, prime: 'The ' }), e.sample);
  model.dispose();
  resaved.dispose();
});

test('a format-1 file with a loss format 1 did not have (xent-last) is refused as malformed', async () => {
  const bytes = file('lstm-tokens.bin').slice();
  const dv = new DataView(bytes.buffer);
  dv.setUint32(16 + 6 * 4, 3, true); // config.loss = LSTM_LOSS_XENT_LAST
  // a valid checksum, so that the field itself is what is refused
  dv.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  await assert.rejects(Network.load(bytes), (err) => err.code === 'format');
});
