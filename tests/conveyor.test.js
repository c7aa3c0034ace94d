// The seed's conveyor belt, measured: with the forget gate open (f ≈ 1) the gradient travels back
// along the LSTM's cell state almost undiminished; with it shut (f ≈ 0) the belt is cut. Also checks
// ‖∂L/∂c_t‖ at the last step against its definition from the inspected activations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../js/index.js';

const T = 30, V = 6, H = 8;
const x = Int32Array.from({ length: T }, (_, i) => (i * 5 + 1) % V);
const y = Int32Array.from({ length: T }, (_, i) => (i === T - 1 ? 2 : -1)); // loss at the last step only

async function lstmWithForgetBias(bias) {
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: H, output: V, seed: 3 });
  const { 'l0.b': b, 'l0.wh': wh } = net.parameters();
  b.data.fill(0, 0, 4 * H);
  b.data.fill(bias, H, 2 * H); // the forget block of [i f g o]
  wh.data.fill(0);             // no recurrent path through h: only the belt carries the gradient back
  net.setParameters({ 'l0.b': b, 'l0.wh': wh });
  return net;
}

test('LSTM cell-state gradient: the forget gate opens and cuts the conveyor belt', async () => {
  const open = await lstmWithForgetBias(12);
  const shut = await lstmWithForgetBias(-12);
  const o = open.stepGradientNorms(x, y, { steps: T }), s = shut.stepGradientNorms(x, y, { steps: T });
  for (const r of [o, s]) {
    assert.equal(r.cellNorms.length, T);
    assert.ok(r.cellNorms.every((v) => Number.isFinite(v) && v >= 0));
  }
  const ratioOpen = o.cellNorms[0] / o.cellNorms[T - 1];
  const ratioShut = s.cellNorms[0] / s.cellNorms[T - 1];
  assert.ok(ratioOpen > 0.9, `open belt: ‖∂L/∂c_0‖/‖∂L/∂c_T‖ = ${ratioOpen}, expected ≈ 1`);
  assert.ok(ratioShut < 1e-6, `shut belt: ratio ${ratioShut}, expected ≈ 0`);
  // h_t's gradient (no recurrent weights) is zero before the last step either way
  assert.ok(o.norms[0] < 1e-12 && o.norms[T - 1] > 0);
  open.dispose(), shut.dispose();
});

test('‖∂L/∂c_T‖ equals ‖∂L/∂h_T ⊙ o ⊙ (1 − tanh² c_T)‖ at the last step', async () => {
  const net = await Network.create({ cell: 'lstm', vocab: V, hidden: H, output: V, seed: 5, layers: 1 });
  const r = net.stepGradientNorms(x, y, { steps: T });
  const ins = net.inspect(x, { steps: T });
  const { 'head.w': hw } = net.parameters();
  // ∂L/∂y at the last step = softmax(y) − onehot(target); ∂L/∂h = Wy · that
  const logits = net.predict(x, { steps: T, lastOnly: true });
  net.resetState('predict');
  const mx = Math.max(...logits), e = Array.from(logits, (v) => Math.exp(v - mx)), z = e.reduce((a, b) => a + b, 0);
  const dy = e.map((v, k) => v / z - (k === 2 ? 1 : 0));
  const o = ins.get(0, T - 1, 0, 'o'), c = ins.get(0, T - 1, 0, 'c');
  let ss = 0, sh = 0;
  for (let j = 0; j < H; j++) {
    let dh = 0;
    for (let k = 0; k < V; k++) dh += hw.data[j * V + k] * dy[k];
    const t = Math.tanh(c[j]);
    ss += (dh * o[j] * (1 - t * t)) ** 2;
    sh += dh * dh;
  }
  assert.ok(Math.abs(r.cellNorms[T - 1] - Math.sqrt(ss)) <= 1e-5 + 1e-4 * Math.sqrt(ss), `${r.cellNorms[T - 1]} vs ${Math.sqrt(ss)}`);
  assert.ok(Math.abs(r.norms[T - 1] - Math.sqrt(sh)) <= 1e-5 + 1e-4 * Math.sqrt(sh), `${r.norms[T - 1]} vs ${Math.sqrt(sh)}`);
  net.dispose();
});

test('GRU and RNN have no cell state: no cellNorms', async () => {
  for (const cell of ['gru', 'rnn']) {
    const net = await Network.create({ cell, vocab: V, hidden: H, output: V });
    const r = net.stepGradientNorms(x, y, { steps: T });
    assert.equal(r.cellNorms, undefined);
    assert.equal(r.norms.length, T);
    net.dispose();
  }
});
