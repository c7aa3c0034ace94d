// Keras / TF.js import and export, judged by TF.js 4.22 (cpu backend) itself.
//
//   import   TF.js models built here (Embedding / Masking / dense input; LSTM with TF.js's
//            default hard-sigmoid gates and with sigmoid, SimpleRNN; Bidirectional; Dropout;
//            Dense linear / softmax; Sequential and functional), trained a few steps with
//            model.fit, saved through tf.io.withSaveHandler: readKeras → our parameters;
//            reference2 on them must equal model.predict ≤ 1e-5. The same through the
//            files form ({'model.json', 'group1-shard1of1.bin'}) and with a uint8-quantised
//            weight (TF.js dequantises it the same way when it loads it)
//   Keras    Keras-format files that TF.js cannot make (GRU reset_after = true, converter naming,
//            functional model_config) written by make_interop.py from PyTorch weights: outputs
//            equal PyTorch's
//   export   writeKeras → tf.loadLayersModel(tf.io.fromMemory(…)).predict = reference2 ≤ 1e-5
//            (LSTM, SimpleRNN; GRUs need reset_after = true, which TF.js refuses to load — checked
//            as such); readKeras(writeKeras(d)) is d bit for bit
//   Network  fromKeras(...).predict = model.predict where the core supports the model

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { readKeras, writeKeras, fromKeras, toKeras } from '../../js/interop/index.js';
import { expectError } from '../expect.js';
import { forward, randomDescription, rng } from './reference2.js';
import { CASES, fixture, inputsOf, maxDiff, coreV2, needsV2 } from './helpers.js';

await tf.setBackend('cpu');
const TOL = 1e-5;
const init = { kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' }; // orthogonal is slow on cpu

async function save(model) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  return artifacts;
}

function softmaxRows(y, O) {
  const out = new Float64Array(y.length);
  for (let r = 0; r < y.length / O; r++) {
    let m = -Infinity, s = 0;
    for (let k = 0; k < O; k++) m = Math.max(m, y[r * O + k]);
    for (let k = 0; k < O; k++) s += Math.exp(y[r * O + k] - m);
    for (let k = 0; k < O; k++) out[r * O + k] = Math.exp(y[r * O + k] - m) / s;
  }
  return out;
}

const B = 3, T = 6, V = 8, I = 4;
const rand = rng(9);
const tokens = Int32Array.from({ length: B * T }, () => 1 + Math.floor(rand() * (V - 1)));
const dense = Float32Array.from({ length: B * T * I }, () => rand() * 2 - 1);

// [name, build(), input kind, loss, fit targets shape]
const MODELS = [
  ['char LSTM, TF.js default hard-sigmoid gates, softmax head', () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: V, outputDim: 5, inputLength: T }));
    m.add(tf.layers.lstm({ units: 4, returnSequences: true, ...init }));
    m.add(tf.layers.dense({ units: V, activation: 'softmax' }));
    return m;
  }, 'tokens', 'categoricalCrossentropy', [B, T, V]],
  ['Embedding(maskZero) → 2 × Bidirectional(LSTM sigmoid) → Dropout → Dense on the final states', () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: V, outputDim: 3, inputLength: T, maskZero: true }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', ...init }), mergeMode: 'concat' }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: false, recurrentActivation: 'sigmoid', ...init }), mergeMode: 'concat' }));
    m.add(tf.layers.dropout({ rate: 0.2 }));
    m.add(tf.layers.dense({ units: 2 }));
    return m;
  }, 'tokens', 'meanSquaredError', [B, 2]],
  ['dense input → 2 × SimpleRNN → Dense', () => {
    const m = tf.sequential();
    m.add(tf.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [T, I], ...init }));
    m.add(tf.layers.simpleRNN({ units: 5, returnSequences: true, ...init }));
    m.add(tf.layers.dense({ units: 3 }));
    return m;
  }, 'dense', 'meanSquaredError', [B, T, 3]],
  ['dense input → Bidirectional(SimpleRNN) on the final states → softmax', () => {
    const m = tf.sequential();
    m.add(tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, ...init }), inputShape: [T, I] }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    return m;
  }, 'dense', 'categoricalCrossentropy', [B, 2]],
  ['Masking → LSTM (hard sigmoid) on the final states → Dense (functional model)', () => {
    const input = tf.input({ shape: [T, I] });
    const masked = tf.layers.masking({ maskValue: 0 }).apply(input);
    const h = tf.layers.lstm({ units: 4, ...init }).apply(masked);
    const y = tf.layers.dense({ units: 1 }).apply(h);
    return tf.model({ inputs: input, outputs: y });
  }, 'dense', 'meanSquaredError', [B, 1]],
];

async function trained([, build, kind, loss, targetShape]) {
  const model = build();
  model.compile({ optimizer: tf.train.adam(0.05), loss });
  const x = kind === 'tokens' ? tf.tensor2d(tokens, [B, T], 'float32') : tf.tensor3d(dense, [B, T, I]);
  const n = targetShape.reduce((a, b) => a * b, 1);
  const O = targetShape[targetShape.length - 1];
  const yData = loss === 'categoricalCrossentropy'
    ? Float32Array.from({ length: n }, (_, k) => (k % O === (Math.floor(k / O) * 7) % O ? 1 : 0))
    : Float32Array.from({ length: n }, (_, k) => Math.sin(k));
  const y = tf.tensor(yData, targetShape);
  await model.fit(x, y, { epochs: 3, batchSize: B, verbose: 0 });
  const predicted = model.predict(x).dataSync();
  tf.dispose([x, y]);
  return { model, predicted, input: kind === 'tokens' ? tokens : dense };
}

const ours = (desc, input) => {
  const r = forward(desc, input, { batch: B, steps: T });
  const y = desc.summary === 'last' ? r.last : r.outputs;
  return /^xent/.test(desc.config.loss) ? softmaxRows(y, desc.config.output) : y;
};

const results = [];
test(`TF.js models trained a few steps (${MODELS.length}), saved through an IOHandler: our parameters predict what TF.js predicts (≤ 1e-5)`, async () => {
  let max = 0;
  for (const spec of MODELS) {
    const { model, predicted, input } = await trained(spec);
    const artifacts = await save(model);
    const desc = readKeras(artifacts);
    const d = maxDiff(ours(desc, input), predicted);
    assert.ok(d <= TOL, `${spec[0]}: ${d}`);
    // the files form, as model.save('file://…') writes them
    const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy,
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }] };
    const fromFiles = readKeras({ 'model.json': JSON.stringify(json), 'group1-shard1of1.bin': new Uint8Array(artifacts.weightData) });
    assert.deepEqual(Object.keys(fromFiles.parameters), Object.keys(desc.parameters));
    results.push({ spec, model, artifacts, desc, predicted, input });
    max = Math.max(max, d);
  }
  assert.equal(results[0].desc.config.gateActivation, 'hardSigmoid');
  assert.equal(results[1].desc.summary, 'last');
  assert.deepEqual(results[1].desc.masking, { token: 0 });
  assert.equal(results[0].desc.config.loss, 'xent');
  console.log(`# TF.js import: ${MODELS.length} trained models, max |reference(ours) − TF.js predict| = ${max.toExponential(2)}`);
});

test('a uint8-quantised weight is dequantised as TF.js does it', async () => {
  const { artifacts, input } = results[0];
  const specs = artifacts.weightSpecs.map((s) => ({ ...s }));
  const data = new Uint8Array(artifacts.weightData);
  const parts = [];
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const f = new Float32Array(data.slice(at, at + 4 * n).buffer);
    at += 4 * n;
    if (s.name.endsWith('dense_Dense1/kernel') || /dense_Dense\d+\/kernel$/.test(s.name)) {
      const min = Math.min(...f), max = Math.max(...f), scale = (max - min) / 255;
      s.quantization = { dtype: 'uint8', scale, min };
      parts.push(Uint8Array.from(f, (v) => Math.round((v - min) / scale)));
    } else parts.push(new Uint8Array(f.buffer));
  }
  assert.ok(specs.some((s) => s.quantization), 'a Dense kernel was quantised');
  const weightData = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { weightData.set(p, o); o += p.length; }
  const q = { modelTopology: artifacts.modelTopology, weightSpecs: specs, weightData: weightData.buffer };
  const desc = readKeras(q);
  assert.ok(desc.notes.some((n) => /dequantised/.test(n)));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(q));
  const x = tf.tensor2d(input, [B, T], 'float32');
  const theirs = loaded.predict(x).dataSync();
  x.dispose();
  assert.ok(maxDiff(ours(desc, input), theirs) <= TOL);
});

test('Keras-format files TF.js cannot make (GRU reset_after, converter names, functional model_config): PyTorch\'s outputs (≤ 1e-5)', () => {
  for (const [name, k] of Object.entries(CASES.keras)) {
    const desc = readKeras({ 'model.json': fixture(k.json), [`${name}.bin`]: fixture(k.bin) });
    const c = CASES.cases[k.base];
    const r = forward(desc, inputsOf(c), { batch: c.batch, steps: c.steps });
    assert.ok(maxDiff(r.outputs, c.y) <= TOL, name);
    assert.equal(desc.config.cell, c.cell);
  }
});

const EXPORTS = [];
for (const cell of ['lstm', 'rnn', 'gru']) {
  for (const bidirectional of [false, true]) {
    for (const summary of ['sequence', 'last']) {
      EXPORTS.push([{ cell, vocab: V, hidden: 3, layers: 2, output: 4, bidirectional }, summary]);
      EXPORTS.push([{ cell, input: I, hidden: 2, layers: 1, output: 3, bidirectional, ...(cell === 'lstm' && { gateActivation: 'hardSigmoid' }) }, summary]);
    }
  }
}

test(`our Keras exports (${EXPORTS.length}) load in TF.js with tf.loadLayersModel and predict our outputs (≤ 1e-5); they read back bit-identically`, async () => {
  const r = rng(12);
  let max = 0, n = 0;
  for (const [config, summary] of EXPORTS) {
    const desc = { ...randomDescription(config, r), summary };
    const what = `${JSON.stringify(config)} ${summary}`;
    const { files, artifacts } = writeKeras(desc);
    for (const back of [readKeras(files), readKeras(artifacts)]) {
      assert.equal(back.summary, summary, what);
      for (const [k, p] of Object.entries(desc.parameters)) {
        assert.ok(Buffer.from(back.parameters[k].data.buffer).equals(Buffer.from(p.data.buffer)), `${what}: ${k}`);
      }
    }
    const input = config.vocab ? tokens : Float32Array.from({ length: B * T * I }, () => r() - 0.5);
    if (config.cell === 'gru') {
      await assert.rejects(tf.loadLayersModel(tf.io.fromMemory(artifacts)), /reset_after/, 'TF.js refuses GRUs with reset_after = true (tfjs#5728)');
      continue;
    }
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = config.vocab ? tf.tensor2d(input, [B, T], 'float32') : tf.tensor3d(input, [B, T, I]);
    const theirs = model.predict(x).dataSync();
    x.dispose();
    const rr = forward(desc, input, { batch: B, steps: T });
    const d = maxDiff(summary === 'last' ? rr.last : rr.outputs, theirs);
    assert.ok(d <= TOL, `${what}: ${d}`);
    max = Math.max(max, d);
    n++;
  }
  console.log(`# Keras export: ${n} models loaded by TF.js, max |TF.js − reference(ours)| = ${max.toExponential(2)}`);
});

test('refused with the reason: TF.js GRU (reset_after false), Keras 3 hard_sigmoid, merge_mode sum, other layers and activations, missing or short weights', async () => {
  const gru = tf.sequential();
  gru.add(tf.layers.gru({ units: 2, inputShape: [T, I], ...init }));
  const gruArtifacts = await save(gru);
  expectError(() => readKeras(gruArtifacts), 'format', /reset_after false/);
  const base = results[0].artifacts;
  const edit = (f) => { const t = structuredClone(base.modelTopology); f(t); return { ...base, modelTopology: t }; };
  expectError(() => readKeras(edit((t) => { t.keras_version = '3.4.1'; })), 'format', /Keras 3 model is relu6/);
  expectError(() => readKeras(edit((t) => { t.config.layers[1].config.activation = 'relu'; })), 'format', /activation 'relu': only tanh/);
  expectError(() => readKeras(edit((t) => { t.config.layers.splice(2, 0, { class_name: 'Conv1D', config: { name: 'conv' } }); })), 'format', /'conv' \(Conv1D\)/);
  const bi = results[1].artifacts;
  const t2 = structuredClone(bi.modelTopology);
  t2.config.layers[1].config.merge_mode = 'sum';
  expectError(() => readKeras({ ...bi, modelTopology: t2 }), 'format', /merge_mode 'sum'/);
  expectError(() => readKeras({ ...base, weightData: base.weightData.slice(0, 40) }), 'format', /truncated/);
  const first = base.weightSpecs[0].shape.reduce((a, b) => a * b, 4);
  expectError(() => readKeras({ ...base, weightSpecs: base.weightSpecs.slice(1), weightData: base.weightData.slice(first) }), 'format', /no weight 'embedding/);
  expectError(() => readKeras({ ...base, weightSpecs: [{ ...base.weightSpecs[0], dtype: 'string' }, ...base.weightSpecs.slice(1)] }), 'format', /dtype 'string'/);
  expectError(() => readKeras({ 'model.json': '{"modelTopology": 3' }), 'format', /not a JSON object/);
  expectError(() => readKeras({ 'x.bin': new Uint8Array(4) }), 'arg', /model\.json/);
});
test('Network: fromKeras predicts what TF.js predicts; toKeras loads in TF.js (where the core supports the model)', async (t) => {
  const v2 = await coreV2();
  let n = 0, skipped = 0;
  for (const { spec, artifacts, desc, predicted, input } of results) {
    if ((needsV2(desc.config) || /-last$/.test(desc.config.loss) && desc.config.loss !== 'mse-last') && !v2.ok) { skipped++; continue; }
    const net = await fromKeras(artifacts);
    const softmax = /^xent/.test(net.config.loss);
    const y = net.predict(input, { batch: B, steps: T, softmax, lastOnly: desc.summary === 'last' });
    assert.ok(maxDiff(y, predicted) <= TOL, `${spec[0]}: ${maxDiff(y, predicted)}`);
    const model = await tf.loadLayersModel(tf.io.fromMemory(toKeras(net, { softmax }).artifacts));
    const x = spec[2] === 'tokens' ? tf.tensor2d(input, [B, T], 'float32') : tf.tensor3d(input, [B, T, I]);
    assert.ok(maxDiff(model.predict(x).dataSync(), predicted) <= TOL, `${spec[0]}: toKeras`);
    x.dispose();
    net.dispose();
    n++;
  }
  if (skipped) t.diagnostic(`${skipped} of ${results.length} skipped: ${v2.why}`);
  console.log(`# Network ↔ Keras: ${n} models${skipped ? `, ${skipped} skipped: ${v2.why}` : ''}`);
});
