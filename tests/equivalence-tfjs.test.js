// Equivalence with TF.js 4.22 (issue 9): the Keras-style models a web developer builds —
//   classifier  Embedding(V, E, maskZero) → Bidirectional(LSTM(H), concat) → Dense(O)       one label per sequence
//   tagger      Embedding(V, E, maskZero) → Bidirectional(LSTM, returnSequences) ×2 → Dense  one label per step
//   rnn         Embedding(V, E, maskZero) → Bidirectional(SimpleRNN(H, tanh)) → Dense(O)
// over padded token batches (token 0 is padding, at the END of each row, rows of different lengths),
// run by TF.js itself (cpu backend), against our Network with the same weights and
// lengths[b] = the index of the first 0 in row b. Also unidirectional LSTM and SimpleRNN taggers over
// full rows, which today's API can already run. TF.js's GRU is reset_after=false only, a different
// cell from ours (PyTorch's): no GRU here.
//
// TF.js → our layout (Keras gate order i, f, c, o = our i, f, g, o):
//   layer 0  l0.wx = embeddings (V, E) · kernel (E, G·H), in float64, rounded to float32: our token
//            input reads row v of wx, TF.js computes embeddings[v] · kernel (row 0, the padding
//            token, is never read by either)
//   layer l  l{l}.wx = kernel (D·H, G·H) as is: Keras's (in, G·H) is already our orientation, and
//            Bidirectional(concat) feeds the next layer [forward | backward], as ours does
//            l{l}.wh = recurrent_kernel (H, G·H), l{l}.b = bias (G·H): Keras has one bias
//            backward_* weights → the same names with '_reverse'
//   head     head.w = Dense kernel (D·H, O), head.b = Dense bias
// Recurrent activation 'sigmoid' (TF.js's default is hardSigmoid, not ours); all weights are set
// explicitly from a seeded generator (no orthogonal initializer: slow on the cpu backend).
//
// Checks, all max abs ≤ TOL:
//   - now:   TF.js = a bidirectional composition of tests/reference.js (our float64 reference, run
//            per direction and sequence): proves the weight mapping and the masking semantics.
//   - now:   today's Network = TF.js on the unidirectional full-length taggers.
//   - later: Network = TF.js on every model, with { lengths, stateful: false } (lastOnly for the
//            classifiers; per step, at valid steps, for the tagger). Skipped, saying so, while
//            Network.create refuses the key 'bidirectional' (the issue-9 core has not landed).
// At masked steps TF.js's masked RNN carries the last output forward: the forward half of every
// masked step is the forward output at the last valid step, and the backward half (whose reversed
// pass starts on the padding) is 0; its tagger therefore outputs Dense([h_fwd(len−1) | 0]) there,
// where our predict writes zeros. The reference test asserts exactly that (it runs now).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network } from '../js/index.js';
import { layersApiSkip } from './fixtures.js';
import * as ref from './reference.js';

const TOL = 1e-5;

await tf.setBackend('cpu');
await tf.ready();

const SKIP_LAYERS = await layersApiSkip();

// V vocabulary (0 = padding), E embedding width; lengths of the padded rows (unsorted, with a 1 and a full row)
const MODELS = [
  { name: 'classifier: Embedding → Bidirectional(LSTM) → Dense', cell: 'lstm', bidirectional: true, layers: 1,
    perStep: false, V: 9, E: 4, H: 5, O: 3, T: 7, lengths: [4, 1, 7, 2, 5], seed: 11 },
  { name: 'tagger: Embedding → Bidirectional(LSTM, returnSequences) ×2 → Dense', cell: 'lstm', bidirectional: true,
    layers: 2, perStep: true, V: 8, E: 3, H: 4, O: 4, T: 6, lengths: [3, 6, 1, 5], seed: 12 },
  { name: 'rnn classifier: Embedding → Bidirectional(SimpleRNN) → Dense', cell: 'rnn', bidirectional: true, layers: 1,
    perStep: false, V: 7, E: 5, H: 6, O: 2, T: 6, lengths: [2, 6, 1, 4], seed: 13 },
  { name: 'unidirectional tagger: Embedding → LSTM ×2 → Dense, full rows', cell: 'lstm', bidirectional: false, layers: 2,
    perStep: true, V: 8, E: 4, H: 5, O: 3, T: 5, lengths: [5, 5, 5], seed: 14 },
  { name: 'unidirectional SimpleRNN tagger, full rows', cell: 'rnn', bidirectional: false, layers: 1,
    perStep: true, V: 6, E: 3, H: 4, O: 3, T: 6, lengths: [6, 6], seed: 15 },
];

// ---- the TF.js model, its weights, and the same weights in our layout

function tfModel(m) {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: m.V, outputDim: m.E, maskZero: true, inputLength: m.T, embeddingsInitializer: 'zeros' }));
  for (let l = 0; l < m.layers; l++) {
    const common = { units: m.H, returnSequences: m.perStep || l < m.layers - 1, kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros', biasInitializer: 'zeros' };
    const rnn = m.cell === 'lstm'
      ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false })
      : tf.layers.simpleRNN({ ...common, activation: 'tanh' });
    model.add(m.bidirectional ? tf.layers.bidirectional({ layer: rnn, mergeMode: 'concat' }) : rnn);
  }
  model.add(tf.layers.dense({ units: m.O, kernelInitializer: 'zeros' }));
  return model;
}

/** Sets every TF.js weight to U(−0.5, 0.5) (embeddings U(−1, 1)) and returns them in our layout. */
function setWeights(model, m) {
  const rand = ref.rng(m.seed);
  const ours = {};
  let embeddings = null;
  model.layers.forEach((layer, index) => {
    const values = layer.weights.map((w) => {
      const scale = index === 0 ? 2 : 1;
      return Float32Array.from({ length: w.shape.reduce((a, b) => a * b) }, () => (rand() - 0.5) * scale);
    });
    layer.setWeights(values.map((v, k) => tf.tensor(v, layer.weights[k].shape)));
    layer.weights.forEach((w, k) => {
      const data = values[k];
      if (index === 0) {
        embeddings = data;
        return;
      }
      const kind = w.name.match(/\/(kernel|recurrent_kernel|bias)$/)?.[1];
      assert.ok(kind, `unexpected TF.js weight ${w.name}`);
      if (index === model.layers.length - 1) {
        ours[kind === 'kernel' ? 'head.w' : 'head.b'] = { shape: w.shape, data };
        return;
      }
      const l = index - 1, s = /backward_/.test(w.name) ? '_reverse' : '';
      assert.equal(/forward_|backward_/.test(w.name), m.bidirectional, `${w.name}: direction`);
      const name = `l${l}.${{ kernel: 'wx', recurrent_kernel: 'wh', bias: 'b' }[kind]}${s}`;
      ours[name] = l === 0 && kind === 'kernel' ? { shape: [m.V, w.shape[1]], data: embedThrough(embeddings, data, m.V, m.E, w.shape[1]) }
        : { shape: w.shape, data };
    });
  });
  return ours;
}

/** embeddings (V, E) · kernel (E, N) in float64, rounded once to float32. */
function embedThrough(emb, kernel, V, E, N) {
  const out = new Float32Array(V * N);
  for (let v = 0; v < V; v++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += emb[v * E + e] * kernel[e * N + j];
      out[v * N + j] = s;
    }
  }
  return out;
}

/** Padded rows: tokens 1..V−1 at t < lengths[b], 0 (padding) after. */
function paddedTokens(m) {
  const rand = ref.rng(m.seed + 100), B = m.lengths.length;
  return Int32Array.from({ length: B * m.T }, (_, k) => ((k % m.T) < m.lengths[(k / m.T) | 0] ? 1 + Math.floor(rand() * (m.V - 1)) : 0));
}

// ---- a bidirectional stack composed from tests/reference.js (float64), one sequence at a time:
// the forward direction runs the n valid steps, the reverse one the same steps backwards; layer
// l > 0 reads [forward h_t | reverse h_t] as dense input; summary [forward h(n−1) | reverse h(0)];
// `masked` (B, O) is what TF.js's tagger outputs at masked steps: the head on [forward h(n−1) | 0].

function referenceStack(m, P, tokens) {
  const { cell, H, O, T, layers: L } = m, D = m.bidirectional ? 2 : 1, B = m.lengths.length;
  const hAt = ref.CHANNELS[cell].indexOf('h'), C = ref.CHANNELS[cell].length;
  const outputs = new Float64Array(B * T * O), last = new Float64Array(B * O), masked = new Float64Array(B * O);
  const head = (x) => Array.from({ length: O }, (_, o) => x.reduce((s, v, k) => s + v * P['head.w'].data[k * O + o], P['head.b'].data[o]));
  for (let b = 0; b < B; b++) {
    const n = m.lengths[b];
    let input = tokens.slice(b * T, b * T + n), width = 1; // layer 0: token ids
    for (let l = 0; l < L; l++) {
      const out = new Float64Array(n * D * H);
      for (let d = 0; d < D; d++) {
        const s = d ? '_reverse' : '';
        const config = { cell, hidden: H, layers: 1, output: 1, loss: 'mse', ...(l === 0 ? { vocab: m.V } : { input: width }) };
        const params = { 'l0.wx': P[`l${l}.wx${s}`], 'l0.wh': P[`l${l}.wh${s}`], 'l0.b': P[`l${l}.b${s}`],
          'head.w': { data: new Float32Array(H) }, 'head.b': { data: new Float32Array(1) } };
        const seq = new input.constructor(input.length); // this direction's order of the n steps
        for (let t = 0; t < n; t++) seq.set(input.subarray((d ? n - 1 - t : t) * width, ((d ? n - 1 - t : t) + 1) * width), t * width);
        const { acts } = ref.forward(config, params, seq, 1, n);
        for (let t = 0; t < n; t++) {
          const step = d ? n - 1 - t : t;
          out.set(acts.subarray((t * C + hAt) * H, (t * C + hAt + 1) * H), (step * D + d) * H);
        }
      }
      input = out;
      width = D * H;
    }
    for (let t = 0; t < n; t++) outputs.set(head(Array.from(input.subarray(t * width, (t + 1) * width))), (b * T + t) * O);
    const summary = [...input.subarray((n - 1) * width, (n - 1) * width + H), ...(D === 2 ? input.subarray(H, 2 * H) : [])];
    last.set(head(summary), b * O);
    masked.set(head([...summary.slice(0, H), ...(D === 2 ? new Array(H).fill(0) : [])]), b * O);
  }
  return { outputs, last, masked };
}

// ---- comparisons

const worst = {};
function expectClose(what, actual, expected, tol = TOL) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let diff = 0, at = 0;
  for (let k = 0; k < expected.length; k++) {
    const d = Math.abs(actual[k] - expected[k]);
    if (Number.isNaN(d)) { diff = NaN; at = k; break; } // fails below
    if (d > diff) [diff, at] = [d, k];
  }
  worst[what] = Math.max(worst[what] ?? 0, diff);
  assert.ok(diff <= tol, `${what}: max |difference| ${diff} > ${tol} at [${at}] (${actual[at]} vs ${expected[at]})`);
}

/** The (B, T, O) rows of `a` at valid steps only, as one flat array. */
function validSteps(a, m) {
  const out = [];
  m.lengths.forEach((n, b) => out.push(...a.subarray(b * m.T * m.O, (b * m.T + n) * m.O)));
  return Float64Array.from(out);
}

function runTf(model, m, tokens) {
  const B = m.lengths.length;
  const y = tf.tidy(() => model.predict(tf.tensor2d(tokens, [B, m.T], 'int32')));
  const data = y.dataSync().slice();
  y.dispose();
  return data; // (B, T, O) for taggers, (B, O) for classifiers
}

function setup(m) {
  const model = tfModel(m);
  const params = setWeights(model, m);
  const tokens = paddedTokens(m);
  return { model, params, tokens, tfOut: runTf(model, m, tokens) };
}

for (const m of MODELS) {
  test(`TF.js = our float64 reference (tests/reference.js per direction): ${m.name}`, () => {
    const { model, params, tokens, tfOut } = setup(m);
    const r = referenceStack(m, params, tokens);
    if (m.perStep) {
      expectClose(`${m.name}: TF.js vs reference, valid steps`, validSteps(tfOut, m), validSteps(r.outputs, m));
      m.lengths.forEach((n, b) => {
        for (let t = n; t < m.T; t++) {
          const at = (b * m.T + t) * m.O;
          expectClose(`${m.name}: TF.js at masked steps vs head([forward h(len−1) | 0])`, tfOut.subarray(at, at + m.O), r.masked.subarray(b * m.O, (b + 1) * m.O));
        }
      });
    } else {
      expectClose(`${m.name}: TF.js vs reference`, tfOut, r.last);
    }
    assert.ok(Math.max(...tfOut.map(Math.abs)) > 0.1, `${m.name}: outputs are not trivially small`);
    model.dispose();
  });
}

for (const m of MODELS.filter((x) => !x.bidirectional)) {
  test(`today's Network = TF.js: ${m.name}`, async () => {
    const { model, params, tokens, tfOut } = setup(m);
    const net = await Network.create({ cell: m.cell, vocab: m.V, hidden: m.H, layers: m.layers, output: m.O, loss: 'xent' });
    try {
      net.setParameters(params);
      net.resetState('predict');
      expectClose(`${m.name}: ours vs TF.js`, net.predict(tokens, { batch: m.lengths.length, steps: m.T }), tfOut);
    } finally {
      net.dispose();
      model.dispose();
    }
  });
}

for (const m of MODELS) {
  test(`Network = TF.js: ${m.name}`, { skip: SKIP_LAYERS }, async () => {
    const { model, params, tokens, tfOut } = setup(m);
    const B = m.lengths.length, D = m.bidirectional ? 2 : 1;
    // lengths from the padding: the index of the first 0 of each row (T when there is none)
    const lengths = Int32Array.from({ length: B }, (_, b) => {
      const row = tokens.subarray(b * m.T, (b + 1) * m.T), z = row.indexOf(0);
      return z === -1 ? m.T : z;
    });
    assert.deepEqual(Array.from(lengths), m.lengths);
    const net = await Network.create({ cell: m.cell, vocab: m.V, hidden: m.H, layers: m.layers, output: m.O,
      loss: m.perStep ? 'xent' : 'xent-last', bidirectional: m.bidirectional });
    try {
      net.setParameters(params);
      const opts = { batch: B, steps: m.T, lengths, stateful: false };
      if (!m.perStep) {
        expectClose(`${m.name}: ours vs TF.js`, net.predict(tokens, { ...opts, lastOnly: true }), tfOut);
        return;
      }
      const outputs = net.predict(tokens, opts);
      expectClose(`${m.name}: ours vs TF.js, valid steps`, validSteps(outputs, m), validSteps(tfOut, m));
      m.lengths.forEach((n, b) => {
        const padded = outputs.subarray((b * m.T + n) * m.O, (b + 1) * m.T * m.O);
        assert.ok(padded.every((v) => v === 0), `${m.name}: ours: zeros at the padded steps of row ${b}, got ${padded}`);
      });
    } finally {
      net.dispose();
      model.dispose();
    }
  });
}

test('the largest differences from TF.js', (t) => {
  for (const [what, diff] of Object.entries(worst)) t.diagnostic(`${what}: ${diff.toExponential(2)}`);
  assert.ok(Object.keys(worst).length > 0, 'something was compared');
});
