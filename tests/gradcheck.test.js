// Gradient checks: lossAndGradients against central finite differences of the model's own float32
// loss, for every cell × 1-2 layers × loss × input kind, from a carried (nonzero) train state;
// and stepGradientNorms against the reference and the vanishing-gradient picture.
//
// Finite differences in float32 (perturbed values are rounded to float32; the differences use
// the actual perturbation x+ − x−, so that rounding does not count as error):
//   directional   unit direction d = (r̂ + ĝ)/‖r̂ + ĝ‖ over all parameters, r random Gaussian
//                 (ĝ keeps g·d away from 0, where float32 noise would swamp Δf; the random part
//                 probes every coordinate), x± = x ± EPS_DIR·d:
//                 |Δf − g·(x+ − x−)| ≤ DIR_TOL·max(|Δf|, |g·(x+ − x−)|)   where Δf = f(x+) − f(x−)
//   per parameter x_k ± EPS for a sample of coordinates of every tensor (random ones and the one
//                 with the largest |g_k|): fd = Δf / (x+_k − x−_k), |fd − g_k| ≤ ATOL + RTOL·|g_k|
// The float32 loss is exact to ~1e-7 relative, so Δf carries ~1e-7·loss of noise: ATOL covers
// that noise divided by 2·EPS; the truncation error (EPS²·f''') stays below it. Measured over 6
// seeds: directional relative error ≤ 1.5e-4, per-parameter error ≤ 0.16 of its tolerance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../js/index.js';
import * as ref from './reference.js';

const EPS_DIR = 1e-2, DIR_TOL = 2e-3;
const EPS = 1e-2, ATOL = 5e-5, RTOL = 5e-3;
const COORDS_PER_TENSOR = 3;

const CELLS = ['lstm', 'gru', 'rnn'];
const PROBLEMS = [ // [loss, token input]
  ['xent', true], ['xent', false], ['mse', false], ['mse', true], ['mse-last', false],
];

function lossAt(net, data, params) {
  if (params) net.setParameters(params);
  return net.lossAndGradients(data.inputs, data.targets, { ...data.opts, advance: false }).loss;
}

/** The directional check: returns {analytic, numeric, rel}. */
function directional(net, data, gradients, rand) {
  const p0 = net.parameters();
  const d = {};
  const r = {};
  for (const [n, t] of Object.entries(p0)) r[n] = Float64Array.from(t.data, () => gaussian(rand));
  const rn = globalNorm(r), gn = globalNorm(Object.fromEntries(Object.entries(gradients).map(([n, t]) => [n, t.data])));
  for (const n of Object.keys(p0)) d[n] = r[n].map((v, i) => v / rn + gradients[n].data[i] / gn);
  const norm = globalNorm(d);
  const plus = {}, minus = {};
  let analytic = 0;
  for (const [n, t] of Object.entries(p0)) {
    plus[n] = t.data.map((x, i) => x + (EPS_DIR * d[n][i]) / norm);
    minus[n] = t.data.map((x, i) => x - (EPS_DIR * d[n][i]) / norm);
    const g = gradients[n].data;
    for (let i = 0; i < g.length; i++) analytic += g[i] * (plus[n][i] - minus[n][i]);
  }
  const numeric = lossAt(net, data, plus) - lossAt(net, data, minus);
  net.setParameters(p0);
  const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-30);
  return { analytic, numeric, rel };
}

/** Per-parameter checks on a sample of coordinates of every tensor: returns the failures. */
function perParameter(net, data, gradients, rand) {
  const p0 = net.parameters();
  const failures = [];
  let worst = 0;
  for (const [n, t] of Object.entries(p0)) {
    const g = gradients[n].data;
    const coords = Array.from({ length: COORDS_PER_TENSOR }, () => Math.floor(rand() * g.length));
    coords.push(g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]) ? i : best), 0));
    for (const k of coords) {
      const x = t.data[k];
      const xp = Math.fround(x + EPS), xm = Math.fround(x - EPS);
      const fp = lossAt(net, data, { [n]: t.data.map((v, i) => (i === k ? xp : v)) });
      const fm = lossAt(net, data, { [n]: t.data.map((v, i) => (i === k ? xm : v)) });
      net.setParameters({ [n]: t.data });
      const fd = (fp - fm) / (xp - xm);
      const err = Math.abs(fd - g[k]);
      worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(g[k])));
      if (!(err <= ATOL + RTOL * Math.abs(g[k]))) failures.push(`${n}[${k}]: analytic ${g[k]}, numeric ${fd}`);
    }
  }
  return { failures, worst };
}

function globalNorm(arrays) {
  let sq = 0;
  for (const a of Object.values(arrays)) for (const v of a) sq += v * v;
  return Math.sqrt(sq);
}

function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

// A model with a nonzero carried train state: one training step first, then checks with advance: false.
async function setup(cell, layers, loss, tokens, rand) {
  const net = await Network.create({ cell, layers, loss, hidden: 5, output: 3, seed: 21, ...(tokens ? { vocab: 6 } : { input: 3 }) });
  const B = 2, T = 4;
  const warm = ref.randomBatch(net.config, B, T, rand);
  net.train(warm.inputs, warm.targets, { batch: B, steps: T });
  const data = { ...ref.randomBatch(net.config, B, T, rand, { mask: true }), opts: { batch: B, steps: T } };
  return { net, data };
}

for (const cell of CELLS) {
  test(`${cell}: gradients match finite differences (1-2 layers, xent/mse/mse-last, tokens/dense, carried state)`, async () => {
    const rand = ref.rng(100 + CELLS.indexOf(cell));
    for (const layers of [1, 2]) {
      for (const [loss, tokens] of PROBLEMS) {
        const what = `${cell} L${layers} ${loss} ${tokens ? 'tokens' : 'dense'}`;
        const { net, data } = await setup(cell, layers, loss, tokens, rand);
        const { loss: f0, gradients } = net.lossAndGradients(data.inputs, data.targets, { ...data.opts, advance: false });
        assert.equal(lossAt(net, data), f0, `${what}: advance:false repeats exactly`);
        for (let k = 0; k < 2; k++) {
          const r = directional(net, data, gradients, rand);
          assert.ok(r.rel <= DIR_TOL, `${what} directional: analytic ${r.analytic}, numeric ${r.numeric}, rel ${r.rel}`);
        }
        const { failures, worst } = perParameter(net, data, gradients, rand);
        if (process.env.GRADCHECK_VERBOSE) console.log(what, 'worst err/tol', worst.toFixed(3));
        assert.deepEqual(failures, [], what);
        assert.equal(lossAt(net, data), f0, `${what}: parameters restored`);
        net.dispose();
      }
    }
  });
}

// The layers issue: bidirectional stacks, ragged batches (a length-1 sequence among longer ones),
// one label per sequence, the hard sigmoid. Stateless calls (bidirectional networks carry no state).
const LAYER_CASES = [ // [loss, tokens, bidirectional, lengths or null, gateActivation]
  ['xent', true, true, [4, 1, 3], 'sigmoid'],
  ['xent-last', false, true, [2, 4, 1], 'sigmoid'],
  ['mse', true, true, null, 'sigmoid'],
  ['mse-last', false, false, [1, 4, 2], 'sigmoid'],
  ['xent-last', true, false, [3, 1, 4], 'hardSigmoid'],
  ['xent', false, true, [4, 2, 1], 'hardSigmoid'],
];
for (const cell of CELLS) {
  test(`${cell}: bidirectional, ragged, xent-last and hard-sigmoid gradients match finite differences (2 layers)`, async () => {
    const rand = ref.rng(200 + CELLS.indexOf(cell));
    for (const [loss, tokens, bidirectional, lengths, gateActivation] of LAYER_CASES) {
      if (cell === 'rnn' && gateActivation !== 'sigmoid') continue; // an RNN has no gates
      const what = `${cell} ${loss} ${tokens ? 'tokens' : 'dense'}${bidirectional ? ' bidirectional' : ''}${lengths ? ` lengths ${lengths}` : ''} ${gateActivation}`;
      const net = await Network.create({ cell, layers: 2, loss, hidden: 5, output: 3, seed: 22, bidirectional, gateActivation, ...(tokens ? { vocab: 6 } : { input: 3 }) });
      const B = 3, T = 4;
      const opts = { batch: B, steps: T, stateful: false, ...(lengths && { lengths: Int32Array.from(lengths) }) };
      const data = { ...ref.randomBatch(net.config, B, T, rand, { mask: true }), opts };
      // larger weights: gates away from their linear zone (and across the hard sigmoid's kinks)
      const p0 = net.parameters();
      net.setParameters(Object.fromEntries(Object.entries(p0).map(([n, t]) => [n, t.data.map((v) => v * 2)])));
      const { loss: f0, gradients } = net.lossAndGradients(data.inputs, data.targets, { ...opts, advance: false });
      assert.ok(Number.isFinite(f0), what);
      const r = directional(net, data, gradients, rand);
      // the hard sigmoid is piecewise linear: a direction may cross a kink, so allow more there
      const tol = gateActivation === 'hardSigmoid' ? 2e-2 : DIR_TOL;
      assert.ok(r.rel <= tol, `${what} directional: analytic ${r.analytic}, numeric ${r.numeric}, rel ${r.rel}`);
      if (gateActivation === 'sigmoid') assert.deepEqual(perParameter(net, data, gradients, rand).failures, [], what);
      net.dispose();
    }
  });
}

test('the checks can fail: a gradient 1% too large or one wrong tensor is caught', async () => {
  const rand = ref.rng(7);
  const { net, data } = await setup('lstm', 2, 'xent', true, rand);
  const { gradients } = net.lossAndGradients(data.inputs, data.targets, { ...data.opts, advance: false });
  const scaled = Object.fromEntries(Object.entries(gradients).map(([n, t]) => [n, { ...t, data: t.data.map((g) => g * 1.01) }]));
  assert.ok(directional(net, data, scaled, rand).rel > DIR_TOL, 'scaled gradient passes the directional check');
  const wrong = { ...gradients, 'l0.wh': { ...gradients['l0.wh'], data: gradients['l0.wh'].data.map((g) => -g) } };
  assert.ok(perParameter(net, data, wrong, rand).failures.length > 0, 'negated l0.wh passes the per-parameter check');
  net.dispose();
});

// ---- stepGradientNorms

test('stepGradientNorms: last step of the top layer equals the head gradient from the reference', async () => {
  const rand = ref.rng(31);
  const B = 3, T = 6;
  for (const cell of CELLS) {
    for (const [loss, tokens] of PROBLEMS) {
      const net = await Network.create({ cell, layers: 2, loss, hidden: 7, output: 4, ...(tokens ? { vocab: 5 } : { input: 2 }) });
      const { inputs, targets } = ref.randomBatch(net.config, B, T, rand, { mask: true });
      const r = net.stepGradientNorms(inputs, targets, { batch: B, steps: T });
      assert.deepEqual([r.layers, r.steps, r.norms.length], [2, T, 2 * T]);
      assert.ok(r.norms.every((x) => Number.isFinite(x) && x >= 0), 'finite, nonnegative');
      const params = net.parameters();
      const { outputs } = ref.forward(net.config, params, inputs, B, T);
      const dy = ref.outputGradient(net.config, outputs, targets, B, T);
      const want = ref.headGradientNorm(net.config, params, dy, B, T, T - 1);
      ref.assertClose(r.get(1)[T - 1], want, 1e-7, 1e-4, `${cell} ${loss} top layer, last step`);
      assert.equal(r.get(1)[T - 1], r.norms[2 * T - 1]);
      // it did not move the train state: the loss from the same state is unchanged
      const l0 = net.lossAndGradients(inputs, targets, { batch: B, steps: T, advance: false }).loss;
      net.stepGradientNorms(inputs, targets, { batch: B, steps: T });
      assert.equal(net.lossAndGradients(inputs, targets, { batch: B, steps: T, advance: false }).loss, l0);
      net.dispose();
    }
  }
});

test('stepGradientNorms: with contracting recurrent weights and loss at the last step only, norms decay backwards in time', async () => {
  const rand = ref.rng(32);
  const B = 2, T = 12;
  for (const layers of [1, 2]) {
    const net = await Network.create({ cell: 'rnn', input: 3, hidden: 8, layers, output: 2, loss: 'mse-last' });
    const p = net.parameters();
    for (let l = 0; l < layers; l++) net.setParameters({ [`l${l}.wh`]: p[`l${l}.wh`].data.map((w) => w * 0.5) });
    const { inputs, targets } = ref.randomBatch(net.config, B, T, rand);
    const r = net.stepGradientNorms(inputs, targets, { batch: B, steps: T });
    for (let l = 0; l < layers; l++) {
      const n = r.get(l);
      assert.ok(n[T - 1] > 0, `layer ${l}: gradient reaches the last step`);
      for (let t = 0; t < T - 1; t++) {
        assert.ok(n[t] < n[t + 1], `layer ${l}: norm at step ${t} (${n[t]}) < at step ${t + 1} (${n[t + 1]})`);
      }
      assert.ok(n[0] < n[T - 1] * 0.05, `layer ${l}: vanished over ${T} steps (${n[0]} vs ${n[T - 1]})`);
    }
    net.dispose();
  }
});
