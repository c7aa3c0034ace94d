// Network.getState / setState: copies of the carried states, checked whole before anything is
// written, and a restored state continues exactly where the saved one was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, LstmError } from '../js/index.js';

const x = Int32Array.from({ length: 12 }, (_, i) => (i * 5 + 2) % 7);

for (const cell of ['lstm', 'gru', 'rnn']) {
  test(`${cell}: a predict state saved and restored continues bit for bit`, async () => {
    const net = await Network.create({ cell, vocab: 7, hidden: 6, layers: 2, output: 7, seed: 4 });
    assert.equal(net.getState('predict').batch, 0);
    net.predict(x.subarray(0, 6));
    const s = net.getState('predict');
    assert.equal(s.batch, 1);
    assert.equal(s.h.length, 2 * 1 * 6);
    assert.equal(s.c?.length, cell === 'lstm' ? 12 : undefined);
    const next = net.predict(x.subarray(6));
    net.resetState('predict');
    net.predict(x.subarray(3, 9)); // something else in between
    net.setState('predict', s);
    assert.deepEqual(net.predict(x.subarray(6)), next);
    // the train state too: a copy, not a view
    net.train(x.subarray(0, 6), x.subarray(1, 7));
    const t = net.getState('train');
    t.h.fill(0);
    assert.notDeepEqual(net.getState('train').h, t.h);
    net.dispose();
  });
}

test('setState refuses what does not fit, and changes nothing', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: 7, hidden: 6, output: 7 });
  net.predict(x.subarray(0, 4));
  const s = net.getState('predict');
  const bad = [
    [() => net.setState('both', s), /which: expected 'train' or 'predict'/],
    [() => net.setState('predict', { ...s, batch: 0 }), /state\.batch: expected an integer/],
    [() => net.setState('predict', { ...s, h: new Float32Array(5) }), /state\.h: expected Float32Array .* of length 6/],
    [() => net.setState('predict', { batch: 1, h: s.h }), /state\.c: expected Float32Array/],
    [() => net.setState('predict', { ...s, c: Float32Array.of(0, 0, 0, NaN, 0, 0) }), /state\.c: expected finite/],
    [() => net.setState('predict', { ...s, extra: 1 }), /unknown key 'extra'/],
  ];
  for (const [call, message] of bad) {
    assert.throws(call, (e) => e instanceof LstmError && e.code === 'arg' && message.test(e.message), String(message));
    assert.deepEqual(net.getState('predict'), s);
  }
  const gru = await Network.create({ cell: 'gru', vocab: 7, hidden: 6, output: 7 });
  assert.throws(() => gru.setState('predict', { batch: 1, h: new Float32Array(6), c: new Float32Array(6) }),
    (e) => e.code === 'arg' && /only LSTM models have a cell state/.test(e.message));
  net.dispose();
  gru.dispose();
  assert.throws(() => net.getState('train'), (e) => e.code === 'disposed');
});
