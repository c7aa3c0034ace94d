// ONNX import and export, judged by onnxruntime-web (1.30, wasm, one thread) and PyTorch.
//
//   import   every torch.onnx.export fixture (tests/fixtures/interop/onnx): readONNX → our
//            parameters; reference2 (our equations in float64) on them must equal what
//            onnxruntime computes from the original file, and PyTorch's own outputs, ≤ 1e-5
//   export   random models of every kind → writeONNX → onnxruntime's outputs and final states
//            (also from a given h0/c0: the streaming inputs) must equal reference2 ≤ 1e-5; and
//            readONNX(writeONNX(d)) is d bit for bit
//   refusals graphs with peepholes, clip, input_forget, linear_before_reset = 0, other
//            activations, an unknown op, a reverse-only layer: LstmError 'format' naming node and
//            attribute
//   Network  fromONNX(file).predict = PyTorch ≤ 1e-5; toONNX(net) run by onnxruntime = net.predict
// The onnx checker's verdict on our files is in pytorch-check.test.js (it needs Python).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import { readONNX, writeONNX, fromONNX, toONNX } from '../../js/interop/index.js';
import { readOnnx, writeOnnx, tensorProto, attribute } from '../../js/interop/onnx.js';
import { expectError } from '../expect.js';
import { forward, randomDescription, rng } from './reference2.js';
import { CASES, fixture, inputsOf, maxDiff, coreV2, needsV2 } from './helpers.js';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error'; // our h0/c0 are initializers that are also inputs (optional): ORT warns about that
const TOL = 1e-5;

async function runOrt(bytes, feeds) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const tensorOf = (c, x, B, T) => (c.vocab !== undefined
  ? new ort.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(v)), [B, T])
  : new ort.Tensor('float32', Float32Array.from(x), [B, T, c.input]));

test('every torch.onnx.export fixture: our parameters compute what onnxruntime and PyTorch compute (≤ 1e-5)', async () => {
  let n = 0, maxOrt = 0, maxTorch = 0;
  const check = (what, d, tol = TOL) => { assert.ok(d <= tol, `${what}: ${d}`); return d; };
  for (const [name, c] of Object.entries(CASES.cases)) {
    if (!c.files.onnx) continue;
    const bytes = fixture(c.files.onnx);
    const desc = readONNX(bytes);
    const x = inputsOf(c), B = c.batch, T = c.steps;
    const r = forward(desc, x, { batch: B, steps: T });
    const o = await runOrt(bytes, { x: tensorOf(desc.config, x, B, T) });
    maxOrt = Math.max(maxOrt, check(`${name} y vs ORT`, maxDiff(r.outputs, o.y.data)), check(`${name} h vs ORT`, maxDiff(r.h, o.h.data)));
    maxTorch = Math.max(maxTorch, check(`${name} y vs PyTorch`, maxDiff(r.outputs, c.y)));
    if (c.cell === 'lstm') maxOrt = Math.max(maxOrt, check(`${name} c vs ORT`, maxDiff(r.c, o.c.data)));
    n++;
  }
  for (const [name, v] of Object.entries(CASES.onnxVariants)) {
    if (v.compare === 'packed') continue; // its own test below
    const bytes = fixture(v.file);
    const desc = readONNX(bytes);
    if (v.timeMajor) {
      const { batch: B, steps: T } = v, I = desc.config.input, O = desc.config.output;
      const bt = new Float32Array(B * T * I); // (T, B, I) → (B, T, I)
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) bt[(b * T + t) * I + i] = v.x[(t * B + b) * I + i];
      const r = forward(desc, bt, { batch: B, steps: T });
      const tb = new Float64Array(B * T * O);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < O; k++) tb[(t * B + b) * O + k] = r.outputs[(b * T + t) * O + k];
      const o = await runOrt(bytes, { x: new ort.Tensor('float32', Float32Array.from(v.x), [T, B, I]) });
      maxOrt = Math.max(maxOrt, check(`${name} vs ORT`, maxDiff(tb, o.y.data)));
      maxTorch = Math.max(maxTorch, check(`${name} vs PyTorch`, maxDiff(tb, v.y)));
      assert.ok(desc.notes.some((s) => /time-major/.test(s)));
      n++;
      continue;
    }
    const c = CASES.cases[v.base], x = inputsOf(c), B = c.batch, T = c.steps;
    const feeds = { x: tensorOf(desc.config, x, B, T) };
    let r, theirs;
    if (v.compare === 'init') {
      const D = c.bidirectional ? 2 : 1, dims = [c.layers * D, B, c.hidden];
      feeds.h0 = new ort.Tensor('float32', Float32Array.from(c.h0), dims);
      if (c.c0) feeds.c0 = new ort.Tensor('float32', Float32Array.from(c.c0), dims);
      r = forward(desc, x, { batch: B, steps: T, initialState: { h: c.h0, c: c.c0 } });
      theirs = c.y_init;
    } else {
      r = forward(desc, x, { batch: B, steps: T });
      theirs = v.compare === 'last' ? c.last : v.compare === 'headless' ? null : c.y;
    }
    const ours = v.compare === 'last' ? r.last : r.outputs;
    const o = await runOrt(bytes, feeds);
    const out = o[v.outputs[0]].data;
    maxOrt = Math.max(maxOrt, check(`${name} vs ORT`, maxDiff(ours, out)));
    if (theirs) maxTorch = Math.max(maxTorch, check(`${name} vs PyTorch`, maxDiff(ours, theirs)));
    assert.equal(desc.summary, v.compare === 'last' ? 'last' : 'sequence', name);
    n++;
  }
  console.log(`# ONNX import: ${n} PyTorch-exported models; max |reference(ours) − onnxruntime| = ${maxOrt.toExponential(2)}, − PyTorch = ${maxTorch.toExponential(2)}`);
  assert.ok(n >= 20);
});

test('a packed-sequence export (pack_padded_sequence sorts the batch by length, runs with sequence_lens, un-sorts): PyTorch and onnxruntime agree with our lengths semantics', async () => {
  const v = CASES.onnxVariants['lstm-L2-bi-dense-packed'];
  const c = CASES.cases[v.base], B = c.batch, T = c.steps, O = c.output;
  const bytes = fixture(v.file);
  const desc = readONNX(bytes);
  assert.ok(desc.notes.some((n) => /sequence lengths/.test(n)), desc.notes.join('; '));
  const x = inputsOf(c), lengths = Int32Array.from(c.lengths);
  const r = forward(desc, x, { batch: B, steps: T, lengths });
  assert.ok(maxDiff(r.outputs, c.y_packed) <= TOL, `vs PyTorch: ${maxDiff(r.outputs, c.y_packed)}`);
  const o = await runOrt(bytes, { x: tensorOf(desc.config, x, B, T), lengths: new ort.Tensor('int64', BigInt64Array.from(c.lengths, BigInt), [B]) });
  const valid = (y) => Array.from(y).filter((_, k) => Math.floor(k / O) % T < c.lengths[Math.floor(k / (O * T))]); // ONNX gives head(0) at padded steps
  assert.ok(maxDiff(valid(r.outputs), valid(o.y.data)) <= TOL, 'vs onnxruntime');
  // a sort that is not undone, or lengths in another order than the batch, are refused
  const m = readOnnx(bytes);
  const unsort = m.graph.node.find((n) => n.opType === 'Gather' && m.graph.node.some((s) => s.opType === 'ScatterElements' && s.output[0] === n.input[1]));
  unsort.opType = 'Identity';
  unsort.input.length = 1;
  expectError(() => readONNX(reencode(m)), 'format', /another batch order than the input/);
});

const EXPORTS = [];
for (const cell of ['lstm', 'gru', 'rnn']) {
  for (const bidirectional of [false, true]) {
    for (const summary of ['sequence', 'last']) {
      EXPORTS.push([{ cell, input: 4, hidden: 3, layers: 2, output: 2, bidirectional }, summary]);
      EXPORTS.push([{ cell, vocab: 6, hidden: 3, layers: 1, output: 6, bidirectional }, summary]);
      EXPORTS.push([{ cell, vocab: 50, hidden: 2, layers: 3, output: 4, bidirectional }, summary]);
    }
    if (cell !== 'rnn') EXPORTS.push([{ cell, input: 3, hidden: 4, layers: 2, output: 3, bidirectional, gateActivation: 'hardSigmoid' }, 'sequence']);
  }
}

test(`our ONNX exports (${EXPORTS.length} models) run in onnxruntime with our outputs and states, also from h0/c0 (≤ 1e-5), and read back bit-identically`, async () => {
  const rand = rng(21);
  let max = 0;
  for (const [config, summary] of EXPORTS) {
    const desc = { ...randomDescription(config, rand), summary };
    const bytes = writeONNX(desc);
    const what = `${JSON.stringify(config)} ${summary}`;
    const back = readONNX(bytes);
    assert.equal(back.summary, summary, what);
    assert.deepEqual(back.config, { ...desc.config }, what);
    for (const [k, p] of Object.entries(desc.parameters)) {
      assert.ok(Buffer.from(back.parameters[k].data.buffer).equals(Buffer.from(p.data.buffer)), `${what}: ${k} not bit-identical`);
    }
    const B = 3, T = 4, D = config.bidirectional ? 2 : 1, L = config.layers, H = config.hidden;
    const x = config.vocab ? Int32Array.from({ length: B * T }, () => Math.floor(rand() * config.vocab))
      : Float32Array.from({ length: B * T * config.input }, () => rand() * 2 - 1);
    const zeros = new ort.Tensor('float32', new Float32Array(L * D * B * H), [L * D, B, H]);
    const feeds = { [config.vocab ? 'tokens' : 'input']: tensorOf(config, x, B, T), h0: zeros, ...(config.cell === 'lstm' && { c0: zeros }) };
    const r = forward(desc, x, { batch: B, steps: T });
    const o = await runOrt(bytes, feeds);
    const ours = summary === 'last' ? r.last : r.outputs;
    const d = Math.max(maxDiff(ours, o.output.data), maxDiff(r.h, o.h.data), config.cell === 'lstm' ? maxDiff(r.c, o.c.data) : 0);
    assert.ok(d <= TOL, `${what}: ${d}`);
    // streaming: feed an initial state
    const h0 = Float32Array.from({ length: L * D * B * H }, () => rand() - 0.5);
    const c0 = Float32Array.from({ length: L * D * B * H }, () => rand() - 0.5);
    feeds.h0 = new ort.Tensor('float32', h0, [L * D, B, H]);
    if (config.cell === 'lstm') feeds.c0 = new ort.Tensor('float32', c0, [L * D, B, H]);
    const rs = forward(desc, x, { batch: B, steps: T, initialState: { h: h0, c: c0 } });
    const os = await runOrt(bytes, feeds);
    const ds = Math.max(maxDiff(summary === 'last' ? rs.last : rs.outputs, os.output.data), maxDiff(rs.h, os.h.data));
    assert.ok(ds <= TOL, `${what} from h0/c0: ${ds}`);
    max = Math.max(max, d, ds);
  }
  console.log(`# ONNX export: ${EXPORTS.length} models, max |onnxruntime − reference(ours)| = ${max.toExponential(2)}`);
});

test('lengths: a padded batch of ragged sequences through sequence_lens — onnxruntime gives predict\'s outputs and final states; it reads back bit-identically with lengths', async () => {
  const rand = rng(44);
  let max = 0, n = 0;
  for (const cell of ['lstm', 'gru', 'rnn']) {
    for (const [config, summary] of [
      [{ cell, vocab: 9, hidden: 3, layers: 2, output: 4, bidirectional: true }, 'last'],
      [{ cell, input: 3, hidden: 4, layers: 2, output: 3 }, 'sequence'],
      [{ cell, input: 2, hidden: 3, layers: 1, output: 2, bidirectional: true }, 'sequence'],
    ]) {
      const desc = { ...randomDescription(config, rand), summary };
      const bytes = writeONNX(desc, { lengths: true, stateInputs: 'none' });
      const what = `${JSON.stringify(config)} ${summary}`;
      const back = readONNX(bytes);
      assert.equal(back.summary, summary, what);
      assert.deepEqual(back.config, { ...desc.config }, what);
      assert.ok(back.notes.some((t) => /sequence_lens.*pass lengths to predict/.test(t)), `${what}: ${back.notes}`);
      for (const [k, p] of Object.entries(desc.parameters)) {
        assert.ok(Buffer.from(back.parameters[k].data.buffer).equals(Buffer.from(p.data.buffer)), `${what}: ${k} not bit-identical`);
      }
      const B = 4, T = 6, O = config.output, lengths = Int32Array.of(6, 2, 5, 1);
      const x = config.vocab ? Int32Array.from({ length: B * T }, () => Math.floor(rand() * config.vocab))
        : Float32Array.from({ length: B * T * config.input }, () => rand() * 2 - 1);
      const o = await runOrt(bytes, { [config.vocab ? 'tokens' : 'input']: tensorOf(config, x, B, T), lengths: new ort.Tensor('int32', lengths, [B]) });
      const r = forward(desc, x, { batch: B, steps: T, lengths });
      let d = Math.max(maxDiff(r.h, o.h.data), config.cell === 'lstm' ? maxDiff(r.c, o.c.data) : 0);
      if (summary === 'last') {
        d = Math.max(d, maxDiff(r.last, o.output.data));
      } else { // valid steps: predict's outputs; a padded step: the head of a zero state, head.b
        const bias = desc.parameters['head.b'].data;
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            const at = (b * T + t) * O;
            const want = t < lengths[b] ? r.outputs.subarray(at, at + O) : bias;
            d = Math.max(d, maxDiff(want, o.output.data.subarray(at, at + O)));
          }
        }
      }
      assert.ok(d <= TOL, `${what}: ${d}`);
      max = Math.max(max, d);
      n++;
    }
  }
  // and on a Network: the classifier people train on ragged batches, exported and run as one
  const { Network } = await import('../../js/index.js');
  const net = await Network.create({ cell: 'lstm', vocab: 12, hidden: 8, layers: 2, output: 3, loss: 'xent-last', bidirectional: true, seed: 4 });
  const B = 5, T = 7, lengths = Int32Array.of(7, 3, 1, 6, 4);
  const x = Int32Array.from({ length: B * T }, () => 1 + Math.floor(rand() * 11));
  const y = net.predict(x, { batch: B, steps: T, lengths, lastOnly: true, softmax: true });
  const o = await runOrt(toONNX(net, { lengths: true, softmax: true, stateInputs: 'none' }), {
    tokens: tensorOf(net.config, x, B, T), lengths: new ort.Tensor('int32', lengths, [B]),
  });
  assert.deepEqual(o.output.dims, [B, 3]);
  assert.ok(maxDiff(y, o.output.data) <= TOL, `Network vs onnxruntime with lengths: ${maxDiff(y, o.output.data)}`);
  // without lengths the same padded batch is another computation (the padding is read as tokens)
  const unpadded = await runOrt(toONNX(net, { softmax: true, stateInputs: 'none' }), { tokens: tensorOf(net.config, x, B, T) });
  assert.ok(maxDiff(y, unpadded.output.data) > 1e-3, 'lengths made no difference');
  net.dispose();
  const desc = randomDescription({ cell: 'gru', input: 2, hidden: 2, layers: 1, output: 2 }, rand);
  assert.equal(expectError(() => writeONNX(desc, { lengths: 1 }), 'arg', /^options\.lengths: expected a boolean, got number 1$/).argument, 'lengths');
  console.log(`# ONNX export with lengths: ${n} models + a Network, max |onnxruntime − reference(ours)| = ${max.toExponential(2)}`);
});

test("stateInputs 'optional' (zero defaults) and 'none' give the same outputs without feeding a state", async () => {
  const desc = randomDescription({ cell: 'lstm', input: 3, hidden: 2, layers: 2, output: 2, bidirectional: true }, rng(8));
  const x = Float32Array.from({ length: 2 * 3 * 3 }, (_, k) => Math.sin(k));
  const r = forward(desc, x, { batch: 2, steps: 3 });
  for (const stateInputs of ['optional', 'none']) {
    const bytes = writeONNX(desc, { stateInputs });
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    assert.deepEqual(session.inputNames, ['input'], stateInputs); // onnxruntime-web lists no overridable initializers
    const o = await session.run({ input: new ort.Tensor('float32', x, [2, 3, 3]) });
    await session.release();
    assert.ok(maxDiff(r.outputs, o.output.data) <= TOL, stateInputs);
    assert.equal(readONNX(bytes).config.layers, 2);
  }
  expectError(() => writeONNX(desc, { stateInputs: 'maybe' }), 'arg', /stateInputs/);
});

// ---- refusals: mutate one of our exports

function mutate(desc, edit) {
  const m = readOnnx(writeONNX(desc));
  edit(m.graph);
  return reencode(m);
}

// A model as readOnnx gives it → bytes again (tensors back to TensorProto form).
function reencode(m) {
  m.graph.initializer = m.graph.initializer.map((t) => tensorProto(t.name, t.dims, t.data, t.dataType));
  for (const n of m.graph.node) {
    for (const a of n.attribute) if (a.t) a.t = tensorProto(a.t.name, a.t.dims, a.t.data, a.t.dataType);
  }
  return writeOnnx(m);
}
const rnnNode = (g) => g.node.find((n) => ['LSTM', 'GRU', 'RNN'].includes(n.opType));
const setAttr = (n, a) => { n.attribute = n.attribute.filter((x) => x.name !== a.name).concat(a); };

test('refused, naming node and attribute: peepholes, clip, input_forget, linear_before_reset = 0, other activations, unknown ops, a reverse-only layer', () => {
  const lstm = randomDescription({ cell: 'lstm', input: 3, hidden: 2, layers: 1, output: 2 }, rng(1));
  const gru = randomDescription({ cell: 'gru', input: 3, hidden: 2, layers: 1, output: 2 }, rng(2));
  const cases = [
    [lstm, (g) => { const n = rnnNode(g); g.initializer.push({ name: 'P', dims: [1, 6], dataType: 1, data: new Float32Array(6) }); n.input.length = 7; n.input.push('P'); }, /LSTM.*input P \(peephole/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('clip', 3, 'float')), /LSTM.*'clip'/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('input_forget', 1)), /LSTM.*'input_forget'/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('activations', ['Sigmoid', 'Relu', 'Tanh'])), /LSTM.*'activations': 'Relu'/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('activations', ['HardSigmoid', 'Tanh', 'Tanh'])) || setAttr(rnnNode(g), attribute('activation_alpha', [0.25, 0, 0], 'floats')), /activation_alpha.*alpha 0\.25/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('direction', 'reverse')), /directions \(reverse\)/],
    [lstm, (g) => setAttr(rnnNode(g), attribute('mystery', 1)), /LSTM.*attribute 'mystery'/],
    [gru, (g) => setAttr(rnnNode(g), attribute('linear_before_reset', 0)), /GRU.*'linear_before_reset' is 0/],
    [gru, (g) => { const m = g.node.find((n) => n.opType === 'MatMul'); m.opType = 'Relu'; }, /\(Relu\): this operator is not one/],
    [gru, (g) => { rnnNode(g).domain = 'com.microsoft'; }, /domain 'com\.microsoft'/],
  ];
  for (const [desc, edit, pattern] of cases) expectError(() => readONNX(mutate(desc, edit)), 'format', pattern);
  expectError(() => readONNX(new Uint8Array([8, 7, 0x3a, 200])), 'format', /exceeds|truncated/);
  expectError(() => readONNX(new Uint8Array([8, 7])), 'format', /no graph/);
});

test('Network: fromONNX predicts what PyTorch computed; toONNX runs in onnxruntime with the Network\'s outputs (≤ 1e-5)', async (t) => {
  const v2 = await coreV2();
  let n = 0, skipped = 0, max = 0;
  for (const [name, c] of Object.entries(CASES.cases)) {
    if (!c.files.onnx) continue;
    if (needsV2(c) && !v2.ok) { skipped++; continue; }
    const net = await fromONNX(fixture(c.files.onnx));
    const x = inputsOf(c), B = c.batch, T = c.steps;
    // from a zero state each time: stateful: false where the core has it, else a reset between calls
    const opts = { batch: B, steps: T, ...(v2.ok && { stateful: false }) };
    const y = net.predict(x, opts);
    max = Math.max(max, maxDiff(y, c.y));
    assert.ok(maxDiff(y, c.y) <= TOL, `${name}: Network vs PyTorch ${maxDiff(y, c.y)}`);
    if (!v2.ok) net.resetState();
    const o = await runOrt(toONNX(net, { stateInputs: 'none' }), { [c.vocab ? 'tokens' : 'input']: tensorOf(net.config, x, B, T) });
    const y2 = net.predict(x, opts);
    assert.ok(maxDiff(y2, o.output.data) <= TOL, `${name}: Network vs onnxruntime on toONNX(net)`);
    max = Math.max(max, maxDiff(y2, o.output.data));
    net.dispose();
    n++;
  }
  console.log(`# Network ↔ ONNX: ${n} models, max difference ${max.toExponential(2)}${skipped ? `; ${skipped} skipped: ${v2.why}` : ''}`);
  if (skipped) t.diagnostic(`${skipped} skipped: ${v2.why}`);
  assert.ok(n > 0);
});

test('a bidirectional layer as two nodes (forward and reverse, as tf2onnx can write it): Squeeze, Concat, Identity, Cast; onnxruntime agrees', async () => {
  const { GATE_ORDER, oursToRows } = await import('../../js/interop/layouts.js');
  const { valueInfo, DTYPE } = await import('../../js/interop/onnx.js');
  const desc = randomDescription({ cell: 'lstm', input: 3, hidden: 2, layers: 1, output: 2, bidirectional: true }, rng(31));
  const p = desc.parameters, H = 2, GH = 8, I = 3, order = GATE_ORDER.lstm.onnx;
  const init = [];
  const t = (name, dims, data, type) => init.push(tensorProto(name, dims, data, type));
  for (const [d, s] of [['f', ''], ['r', '_reverse']]) {
    t(`W_${d}`, [1, GH, I], oursToRows(p[`l0.wx${s}`].data, I, H, order));
    t(`R_${d}`, [1, GH, H], oursToRows(p[`l0.wh${s}`].data, H, H, order));
    const B = new Float32Array(2 * GH);
    B.set(oursToRows(p[`l0.b${s}`].data, 1, H, order));
    t(`B_${d}`, [1, 2 * GH], B);
  }
  t('axes1', [1], [1], DTYPE.INT64);
  t('head_w', [2 * H, 2], p['head.w'].data);
  t('head_b', [2], p['head.b'].data);
  const n = (opType, input, output, attribute = []) => ({ opType, input, output, name: `${opType}_${output[0]}`, attribute });
  const node = [
    n('Cast', ['x'], ['xf'], [attribute('to', DTYPE.FLOAT)]),
    n('Transpose', ['xf'], ['xt'], [attribute('perm', [1, 0, 2])]),
    n('LSTM', ['xt', 'W_f', 'R_f', 'B_f'], ['Yf'], [attribute('hidden_size', H), attribute('direction', 'forward')]),
    n('LSTM', ['xt', 'W_r', 'R_r', 'B_r'], ['Yr'], [attribute('hidden_size', H), attribute('direction', 'reverse')]),
    n('Squeeze', ['Yf', 'axes1'], ['yf']),
    n('Squeeze', ['Yr', 'axes1'], ['yr']),
    n('Concat', ['yf', 'yr'], ['y2'], [attribute('axis', 2)]),
    n('Identity', ['y2'], ['y3']),
    n('Transpose', ['y3'], ['yb'], [attribute('perm', [1, 0, 2])]),
    n('MatMul', ['yb', 'head_w'], ['mm']),
    n('Add', ['mm', 'head_b'], ['out']),
  ];
  const bytes = writeOnnx({ irVersion: 7, opsetImport: [{ domain: '', version: 14 }], producerName: 'test',
    graph: { name: 'g', node, initializer: init, input: [valueInfo('x', DTYPE.FLOAT, ['B', 'T', I])], output: [valueInfo('out', DTYPE.FLOAT, ['B', 'T', 2])] } });
  const back = readONNX(bytes);
  assert.equal(back.config.bidirectional, true);
  for (const [k, v] of Object.entries(p)) assert.ok(Buffer.from(back.parameters[k].data.buffer).equals(Buffer.from(v.data.buffer)), k);
  const x = Float32Array.from({ length: 2 * 4 * I }, (_, k) => Math.cos(k));
  const o = await runOrt(bytes, { x: new ort.Tensor('float32', x, [2, 4, I]) });
  assert.ok(maxDiff(forward(back, x, { batch: 2, steps: 4 }).outputs, o.out.data) <= TOL);
  // the two nodes in the wrong order (reverse first) are refused
  node[6].input = ['yr', 'yf'];
  const swapped = writeOnnx({ irVersion: 7, opsetImport: [{ domain: '', version: 14 }], producerName: 'test',
    graph: { name: 'g', node, initializer: init, input: [valueInfo('x', DTYPE.FLOAT, ['B', 'T', I])], output: [valueInfo('out', DTYPE.FLOAT, ['B', 'T', 2])] } });
  expectError(() => readONNX(swapped), 'format', /directions \(reverse, forward\)/);
});
