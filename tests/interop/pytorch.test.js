// PyTorch import and export, judged by PyTorch: the fixtures (tests/fixtures/interop, written by
// make_interop.py from torch 1.13) hold state_dicts and the outputs PyTorch computed from them.
//
// Levels:
//   description  readPyTorch(file) → our parameters; the float64 reference of our equations
//                (reference2.js) run on them must give PyTorch's outputs ≤ 1e-5, for every case
//                (y, h_n, c_n; packed sequences; the head on the final states; an initial state)
//   Network      fromPyTorch(file).predict(...) must give PyTorch's outputs ≤ 1e-5. Cases that need
//                the api-v2 core (bidirectional, lengths, initialState) skip with the reason until
//                the core has them.
//   round trip   ours → .pt / .safetensors → ours is bit-identical
// The export side judged by PyTorch itself (load_state_dict + forward) is pytorch-check.test.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPyTorch, writePyTorch, fromPyTorch, toPyTorch } from '../../js/interop/index.js';
import { expectError } from '../expect.js';
import { forward, randomDescription, rng } from './reference2.js';
import { CASES, fixture, inputsOf, maxDiff, coreV2, needsV2 } from './helpers.js';

const TOL = 1e-5;

// Every comparison of one description against one PyTorch case; returns the max differences.
function compareCase(desc, c) {
  const x = inputsOf(c), B = c.batch, T = c.steps;
  const r = forward(desc, x, { batch: B, steps: T });
  const d = { y: maxDiff(r.outputs, c.y), h: maxDiff(r.h, c.h) };
  if (c.c) d.c = maxDiff(r.c, c.c);
  const p = forward(desc, x, { batch: B, steps: T, lengths: Int32Array.from(c.lengths) });
  d.yPacked = maxDiff(p.outputs, c.y_packed);
  d.hPacked = maxDiff(p.h, c.h_packed);
  d.lastPacked = maxDiff(p.last, c.last_packed);
  if (c.c_packed) d.cPacked = maxDiff(p.c, c.c_packed);
  if (c.h0) {
    const s = forward(desc, x, { batch: B, steps: T, initialState: { h: Float64Array.from(c.h0), c: c.c0 && Float64Array.from(c.c0) } });
    d.yInit = maxDiff(s.outputs, c.y_init);
    d.hInit = maxDiff(s.h, c.h_init);
    if (c.c_init) d.cInit = maxDiff(s.c, c.c_init);
  }
  return d;
}

const worst = (diffs) => Math.max(...Object.values(diffs));

for (const kind of ['pt', 'safetensors']) {
  test(`every PyTorch ${kind} fixture maps to parameters that compute PyTorch's outputs (≤ ${TOL})`, () => {
    let n = 0, max = 0;
    for (const [name, c] of Object.entries(CASES.cases)) {
      if (!c.files[kind]) continue;
      const desc = readPyTorch(fixture(c.files[kind]));
      assert.equal(desc.config.cell, c.cell, name);
      assert.equal(desc.config.layers, c.layers, name);
      assert.equal(desc.config.bidirectional, c.bidirectional, name);
      assert.equal(desc.config.vocab, c.vocab, name);
      assert.equal(desc.config.input, c.input, name);
      assert.equal(desc.config.output, c.output, name);
      const d = compareCase(desc, c);
      assert.ok(worst(d) <= TOL, `${name}: max differences ${JSON.stringify(d)}`);
      max = Math.max(max, worst(d));
      n++;
    }
    assert.ok(n >= (kind === 'pt' ? 36 : 24), `${n} fixtures`);
    test.diagnostic?.(`${kind}: ${n} models, max |ours − PyTorch| = ${max.toExponential(2)}`);
    console.log(`# ${kind}: ${n} models, max |reference(ours) − PyTorch| = ${max.toExponential(2)}`);
  });
}

test('special files: a nested checkpoint, a strided view, float64, bfloat16, bias=False', () => {
  const sp = CASES.special;
  const chk = readPyTorch(fixture(sp.checkpoint.file));
  assert.ok(chk.notes.some((n) => /ignored: optimizer\./.test(n)), chk.notes.join('; '));
  assert.ok(worst(compareCase(chk, sp.checkpoint.case)) <= TOL);
  for (const k of ['strided', 'bfloat16', 'nobias']) {
    const d = compareCase(readPyTorch(fixture(sp[k].file)), sp[k].case);
    assert.ok(worst(d) <= TOL, `${k}: ${JSON.stringify(d)}`);
  }
  const f64 = readPyTorch(fixture(sp.float64.file));
  assert.ok(f64.notes.some((n) => /rounded from float64/.test(n)));
  const d = compareCase(f64, sp.float64.case); // float64 weights rounded to float32: still ≤ 1e-5 here
  assert.ok(worst(d) <= TOL, JSON.stringify(d));
});

test('refused: proj_size, tensors of other layers, a pickle that names a dangerous callable', () => {
  const sp = CASES.special;
  expectError(() => readPyTorch(fixture(sp.proj_size.file)), 'format', /proj_size/);
  expectError(() => readPyTorch(fixture(sp.extra_layernorm.file)), 'format', /norm\.weight \[3\].*strict: false/);
  const lenient = readPyTorch(fixture(sp.extra_layernorm.file), { strict: false });
  assert.ok(lenient.notes.some((n) => /ignored: .*norm\.weight/.test(n)));
  for (const k of ['evil_os_system', 'evil_eval', 'evil_subprocess']) {
    const global = sp[k].refused;
    const err = expectError(() => readPyTorch(fixture(sp[k].file)), 'format', /nothing was executed/);
    assert.ok(err.message.includes(`'${global}'`), `${k}: ${err.message}`);
  }
});

test('whole modules: torch.save(model) and a TorchScript torch.jit.save read as their state_dict — same names in order, same bits, PyTorch\'s outputs', async () => {
  const { readTorchFile } = await import('../../js/interop/torchfile.js');
  const sd = fixture(CASES.special.whole_module.stateDict);
  const want = readPyTorch(sd);
  for (const k of ['whole_module', 'scripted']) {
    const sp = CASES.special[k], c = sp.case, bytes = fixture(sp.file);
    assert.deepEqual([...readTorchFile(bytes).tensors.keys()], c.keys, `${k}: the state_dict's names, in its order`);
    const d = readPyTorch(bytes);
    assert.deepEqual(d.config, want.config, k);
    assert.deepEqual(d.notes, want.notes, k);
    for (const [name, p] of Object.entries(want.parameters)) {
      assert.ok(Buffer.from(d.parameters[name].data.buffer).equals(Buffer.from(p.data.buffer)), `${k}: ${name} not bit-identical to the state_dict's`);
    }
    const net = await fromPyTorch(bytes);
    assert.equal(net.config.bidirectional, true);
    const y = net.predict(Int32Array.from(c.x), { batch: c.batch, steps: c.steps, stateful: false });
    assert.ok(maxDiff(y, c.y) <= TOL, `${k}: Network vs PyTorch ${maxDiff(y, c.y)}`);
    net.dispose();
  }
});

test('names: prefixes are guessed, can be given, and a failed guess lists the tensors found', () => {
  const c = CASES.cases['lstm-L1-uni-emb']; // modules embedding / rnn / head
  const file = fixture(c.files.pt);
  const given = readPyTorch(file, { names: { rnn: 'rnn', embedding: 'embedding.', head: 'head.' } });
  assert.deepEqual(Object.keys(given.parameters), Object.keys(readPyTorch(file).parameters));
  expectError(() => readPyTorch(file, { names: { rnn: 'lstm.' } }), 'format', /no 'lstm\.weight_ih_l0'.*rnn\.weight_ih_l0 \[12,4\]/);
  const headless = readPyTorch(file, { names: { head: null }, strict: false });
  assert.equal(headless.config.output, 3);
  assert.ok(headless.notes.some((n) => /identity head/.test(n)));
  expectError(() => readPyTorch(file, { cell: 'gru' }), 'format', /shapes say 'lstm'/);
  const rnn = fixture(CASES.cases['rnn-L1-uni-dense'].files.pt);
  expectError(() => readPyTorch(rnn, { nonlinearity: 'relu' }), 'format', /tanh only/);
  expectError(() => readPyTorch(file, { bogus: 1 }), 'arg', /options\.bogus/);
  expectError(() => readPyTorch(new Uint8Array(100)), 'format', /neither a torch\.save file/);
});

// Random descriptions of every kind, through each file format and back: bit-identical.
const CONFIGS = [];
for (const cell of ['lstm', 'gru', 'rnn']) {
  for (const bidirectional of [false, true]) {
    CONFIGS.push({ cell, input: 5, hidden: 4, layers: 2, output: 3, bidirectional });
    CONFIGS.push({ cell, vocab: 7, hidden: 3, layers: 1, output: 7, bidirectional });      // identity embedding
    CONFIGS.push({ cell, vocab: 40, hidden: 2, layers: 3, output: 5, bidirectional });     // table embedding (V > D·G·H)
  }
}

test('round trips ours → .pt → ours and ours → .safetensors → ours are bit-identical', () => {
  const rand = rng(3);
  for (const config of CONFIGS) {
    const desc = randomDescription(config, rand);
    for (const format of ['pt', 'safetensors']) {
      const back = readPyTorch(writePyTorch(desc, { format }));
      assert.deepEqual(Object.keys(back.parameters), Object.keys(desc.parameters));
      for (const [name, p] of Object.entries(desc.parameters)) {
        assert.deepEqual(back.parameters[name].shape, p.shape, `${format} ${JSON.stringify(config)} ${name}`);
        assert.ok(Buffer.from(back.parameters[name].data.buffer).equals(Buffer.from(p.data.buffer)), `${format} ${JSON.stringify(config)} ${name} not bit-identical`);
      }
      for (const k of ['cell', 'hidden', 'layers', 'output', 'bidirectional', 'vocab', 'input']) assert.equal(back.config[k], desc.config[k], k);
    }
  }
});

test('export names follow options.names; hardSigmoid models cannot go to PyTorch', () => {
  const desc = randomDescription({ cell: 'gru', vocab: 5, hidden: 2, layers: 1, output: 5 }, rng(4));
  const back = readPyTorch(writePyTorch(desc, { names: { embedding: 'enc.emb', rnn: 'enc.gru.', head: 'dec' } }));
  assert.ok(back.notes.some((n) => /enc\.emb\.weight/.test(n)));
  const hard = randomDescription({ cell: 'lstm', input: 3, hidden: 2, layers: 1, output: 1, gateActivation: 'hardSigmoid' }, rng(5));
  expectError(() => writePyTorch(hard), 'arg', /hardSigmoid.*ONNX or Keras/);
  expectError(() => writePyTorch(desc, { format: 'h5' }), 'arg', /'pt' or 'safetensors'/);
});

test('Network: fromPyTorch predicts what PyTorch computed (≤ 1e-5); toPyTorch round-trips bit-identically', async (t) => {
  const v2 = await coreV2();
  let n = 0, skipped = 0, max = 0;
  for (const [name, c] of Object.entries(CASES.cases)) {
    if (needsV2(c) && !v2.ok) { skipped++; continue; }
    const net = await fromPyTorch(fixture(c.files.pt));
    const y = net.predict(inputsOf(c), { batch: c.batch, steps: c.steps });
    const d = maxDiff(y, c.y);
    assert.ok(d <= TOL, `${name}: max |Network − PyTorch| = ${d}`);
    max = Math.max(max, d);
    if (v2.ok) {
      const lengths = Int32Array.from(c.lengths);
      const p = net.predict(inputsOf(c), { batch: c.batch, steps: c.steps, lengths, stateful: false, returnState: true });
      assert.ok(maxDiff(p.outputs, c.y_packed) <= TOL, `${name}: packed`);
      assert.ok(maxDiff(p.h, c.h_packed) <= TOL, `${name}: packed h_n`);
      const last = net.predict(inputsOf(c), { batch: c.batch, steps: c.steps, lengths, lastOnly: true, stateful: false });
      assert.ok(maxDiff(last, c.last_packed) <= TOL, `${name}: head on the final states`);
      if (c.h0) {
        const s = net.predict(inputsOf(c), { batch: c.batch, steps: c.steps, stateful: false,
          initialState: { h: Float32Array.from(c.h0), ...(c.c0 && { c: Float32Array.from(c.c0) }) } });
        assert.ok(maxDiff(s, c.y_init) <= TOL, `${name}: from an initial state`);
      }
    }
    const again = readPyTorch(toPyTorch(net));
    const p = net.parameters();
    for (const [k, v] of Object.entries(again.parameters)) {
      assert.ok(Buffer.from(v.data.buffer).equals(Buffer.from(p[k].data.buffer)), `${name} ${k}`);
    }
    net.dispose();
    n++;
  }
  console.log(`# Network from .pt: ${n} models, max |Network − PyTorch| = ${max.toExponential(2)}${skipped ? `; ${skipped} skipped: ${v2.why}` : ''}`);
  if (skipped) t.diagnostic(`${skipped} cases skipped: ${v2.why}`);
  assert.ok(n > 0);
});

test('a character LSTM trained in PyTorch: our loss on its batch is PyTorch\'s (≤ 1e-5), and training continues here (the loss on new text falls)', async () => {
  const c = CASES.special.char;
  const net = await fromPyTorch(fixture(c.file), { loss: 'xent', network: { learningRate: 0.01, seed: 1 } });
  assert.equal(net.config.vocab, c.vocab.length);
  const { loss } = net.lossAndGradients(Int32Array.from(c.x), Int32Array.from(c.y), { batch: c.batch, steps: c.steps, advance: false });
  assert.ok(Math.abs(loss - c.loss) <= 1e-5, `ours ${loss}, PyTorch ${c.loss}`);
  // new text in the same alphabet: "the log sat on the cat." — fine-tune on it
  const text = 'the log sat on the cat. the mat sat on the dog. '.repeat(3);
  const ids = Array.from(text, (ch) => c.vocab.indexOf(ch));
  assert.ok(ids.every((i) => i >= 0));
  const B = 4, T = 24, x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) { x[b * T + t] = ids[b * T + t]; y[b * T + t] = ids[b * T + t + 1]; }
  const opts = { batch: B, steps: T, advance: false };
  const before = net.lossAndGradients(x, y, opts).loss;
  for (let k = 0; k < 40; k++) { net.resetState('train'); net.train(x, y, { batch: B, steps: T }); }
  const after = net.lossAndGradients(x, y, opts).loss;
  assert.ok(after < before * 0.5, `loss on the new text ${before.toFixed(3)} → ${after.toFixed(3)}`);
  console.log(`# PyTorch char LSTM: loss ${loss.toFixed(6)} here vs ${c.loss.toFixed(6)} in PyTorch; fine-tuning on new text ${before.toFixed(3)} → ${after.toFixed(3)} in 40 steps`);
  net.dispose();
});
