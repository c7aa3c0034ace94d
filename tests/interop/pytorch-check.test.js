// Our exports judged by the real frameworks in Python: PyTorch loads our .pt (torch.load +
// load_state_dict(strict=True)) and our .safetensors (read by make_interop.py's own reader of the
// format) into nn.Embedding/LSTM/GRU/RNN/Linear modules and runs them; the outputs must equal ours
// ≤ 1e-5 (whole sequences, packed sequences with lengths, and the head on the final states); the
// onnx checker (full_check) must accept our .onnx files.
// "Ours" is the Network's predict where the core on this branch runs the model, else the float64
// reference of our equations (reference2.js), which the other tests tie to the frameworks.
// Needs Debian's /usr/bin/python3 with python3-torch and python3-onnx: skipped, saying so, without.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePyTorch, writeONNX, toNetwork } from '../../js/interop/index.js';
import { forward, randomDescription, rng, maxAbsDiff } from './reference2.js';
import { FIXTURES, coreV2, needsV2 } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(FIXTURES, 'make_interop.py');
const TOL = 1e-5;

function pythonReady() {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} cannot import torch and onnx (apt-get install python3-torch python3-onnx): ${r.stderr.trim().split('\n').pop()}`;
  return null;
}

test('PyTorch loads our .pt and .safetensors and computes our outputs (≤ 1e-5); the onnx checker accepts our .onnx', async (t) => {
  const missing = pythonReady();
  if (missing) return t.skip(missing);
  const v2 = await coreV2();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-interop-'));
  try {
    const rand = rng(77);
    const files = [];
    let viaNetwork = 0, viaReference = 0;
    const B = 3, T = 5, lengths = [5, 2, 4];
    for (const cell of ['lstm', 'gru', 'rnn']) {
      for (const bidirectional of [false, true]) {
        for (const config of [
          { cell, input: 4, hidden: 3, layers: 2, output: 2, bidirectional },
          { cell, vocab: 6, hidden: 3, layers: 1, output: 6, bidirectional },   // identity embedding
          { cell, vocab: 40, hidden: 2, layers: 3, output: 3, bidirectional },  // table embedding
        ]) {
          const desc = randomDescription(config, rand);
          const x = config.vocab ? Array.from({ length: B * T }, () => Math.floor(rand() * config.vocab))
            : Array.from({ length: B * T * config.input }, () => rand() * 2 - 1);
          const xs = config.vocab ? Int32Array.from(x) : Float32Array.from(x);
          const r = forward(desc, xs, { batch: B, steps: T });
          const p = forward(desc, xs, { batch: B, steps: T, lengths: Int32Array.from(lengths) });
          let y = Array.from(r.outputs), h = Array.from(r.h);
          if (!needsV2(desc.config) || v2.ok) {
            const net = await toNetwork(desc, { loss: 'mse' });
            const ny = net.predict(xs, { batch: B, steps: T });
            assert.ok(maxAbsDiff(ny, r.outputs) <= TOL, 'Network vs reference');
            y = Array.from(ny);
            net.dispose();
            viaNetwork++;
          } else viaReference++;
          const name = `${cell}-${config.vocab ? `V${config.vocab}` : 'dense'}-L${config.layers}-${bidirectional ? 'bi' : 'uni'}`;
          const pt = writePyTorch(desc);
          const st = writePyTorch(desc, { format: 'safetensors' });
          writeFileSync(join(dir, `${name}.pt`), pt);
          writeFileSync(join(dir, `${name}.safetensors`), st);
          // the embedding width our export chose (description.js tokenFactors): V, or D·G·H if smaller
          const DGH = (bidirectional ? 2 : 1) * { lstm: 4, gru: 3, rnn: 1 }[cell] * config.hidden;
          const embeddingDim = config.vocab ? Math.min(config.vocab, DGH) : null;
          const common = { config: { ...config, embeddingDim }, x, batch: B, steps: T, y, h, lengths, y_packed: Array.from(p.outputs), last_packed: Array.from(p.last) };
          files.push({ name, kind: 'pt', file: `${name}.pt`, ...common }, { name, kind: 'safetensors', file: `${name}.safetensors`, ...common });
          for (const [suffix, options] of [['', {}], ['-last', { summary: 'last' }], ['-optional', { stateInputs: 'optional', softmax: true }], ['-none', { stateInputs: 'none' }], ['-lengths', { lengths: true, summary: 'last' }]]) {
            writeFileSync(join(dir, `${name}${suffix}.onnx`), writeONNX(desc, options));
            files.push({ name: `${name}${suffix}`, kind: 'onnx', file: `${name}${suffix}.onnx` });
          }
          if (cell !== 'rnn') {
            const hard = { ...desc, config: { ...desc.config, gateActivation: 'hardSigmoid' } };
            writeFileSync(join(dir, `${name}-hard.onnx`), writeONNX(hard));
            files.push({ name: `${name}-hard`, kind: 'onnx', file: `${name}-hard.onnx` });
          }
        }
      }
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ files }));
    const run = spawnSync(PYTHON, [SCRIPT, '--check', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    let max = 0, checked = 0;
    for (const r of report.results) {
      assert.ok(!r.error, `${r.kind} ${r.name}: ${r.error}`);
      if (r.kind === 'onnx') {
        assert.equal(r.checker, 'ok', r.name);
        assert.ok(r.opset >= 14, `${r.name}: opset ${r.opset}`);
      } else {
        for (const k of ['max_diff', 'max_diff_h', 'max_diff_packed', 'max_diff_last']) {
          assert.ok(r[k] <= TOL, `${r.kind} ${r.name}: ${k} = ${r[k]}`);
          max = Math.max(max, r[k]);
        }
      }
      checked++;
    }
    assert.equal(checked, files.length);
    const onnx = files.filter((f) => f.kind === 'onnx').length;
    console.log(`# torch ${report.torch}: ${files.length - onnx} of our .pt/.safetensors files loaded with load_state_dict(strict=True), ` +
      `max |PyTorch − ours| = ${max.toExponential(2)} (ours = Network for ${viaNetwork} models, reference2 for ${viaReference}: ${v2.ok ? '' : v2.why}); ` +
      `onnx.checker accepted ${onnx} of our .onnx files`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
