// examples/pytorch/: train.py trains a character LSTM in PyTorch for a few steps, then the
// commands of its README convert it (`wasm-lstm convert model.pt model.bin`, the vocabulary
// beside it) and sample from it. PyTorch is the judge: the converted model's next-character
// probabilities on a probe text equal those of train.py's own model loaded with
// load_state_dict (≤ 1e-5).
//
// Needs PyTorch under Debian's /usr/bin/python3 (apt-get install python3-torch); skipped, saying
// so, without it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharModel } from '../js/index.js';

const PYTHON = '/usr/bin/python3';
const EXAMPLE = fileURLToPath(new URL('../examples/pytorch/', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/wasm-lstm.js', import.meta.url));
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const SKIP = probe.status === 0 ? false
  : `PyTorch is not available under ${PYTHON} (${(probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || 'import torch failed'}): ` +
    'skipping the examples/pytorch test (apt-get install python3-torch)';
if (SKIP) console.log(`# ${SKIP}`);

const TEXT = ('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n' +
  'First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n').repeat(25);
const PROBE = 'First Citizen:\nSpeak, resolved.';
let dir;

function run(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-example-'));
  writeFileSync(join(dir, 'input.txt'), TEXT);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('train.py → model.pt + model.vocab.json → wasm-lstm convert → sample; probabilities equal PyTorch\'s', { skip: SKIP, timeout: 240_000 }, async () => {
  const t = await run(PYTHON, [join(EXAMPLE, 'train.py'), '--text', 'input.txt', '--steps', '30', '--hidden', '32', '--layers', '2',
    '--embed', '16', '--batch', '8', '--seq', '32', '--lr', '0.01'], dir);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^input\.txt: [\d,]+ characters, vocabulary \d+;/);
  assert.match(t.stdout, /\n30 steps in \d+ s: validation \d+\.\d{3} nats\/char/);
  assert.match(t.stdout, /\nsaved model\.pt and model\.vocab\.json\n/);
  const chars = JSON.parse(readFileSync(join(dir, 'model.vocab.json'), 'utf8'));
  assert.deepEqual(chars, [...new Set(TEXT)].sort((a, b) => a.codePointAt(0) - b.codePointAt(0)), 'the vocabulary is sorted(set(text))');

  // the README's commands
  const c = await run(process.execPath, [BIN, 'convert', 'model.pt', 'model.bin'], dir);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^read model\.pt: PyTorch state_dict \(torch\.save\): lstm 2×32, tokens \(vocab \d+\) → \d+, loss 'xent'\n/);
  assert.match(c.stdout, /\n {2}note: embedding 'embed\.weight' \(\d+ × 16\) folded into l0\.wx/);
  assert.match(c.stdout, /\nvocabulary: \d+ characters from 'model\.vocab\.json' \(beside model\.pt\)\n/);
  assert.ok(existsSync(join(dir, 'model.bin')));
  const s = await run(process.execPath, [BIN, 'sample', 'model.bin', '--prime', 'All:', '--length', '120', '--seed', '3'], dir);
  assert.equal(s.code, 0, s.stderr);
  const m = await CharModel.load(readFileSync(join(dir, 'model.bin')));
  assert.equal(s.stdout, `All:${m.sample({ prime: 'All:', length: 120, seed: 3 })}`);
  assert.equal([...s.stdout].length, 4 + 120);
  assert.ok([...s.stdout].every((ch) => chars.includes(ch)), 'only characters of the vocabulary');

  // the judge: train.py's model, load_state_dict of model.pt, softmax of its logits on PROBE
  const judge = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(EXAMPLE)})
from train import CharLSTM
chars = json.load(open('model.vocab.json', encoding='utf-8'))
sd = torch.load('model.pt')
layers = sum(1 for k in sd if k.startswith('lstm.weight_ih_l'))
m = CharLSTM(len(chars), sd['lstm.weight_hh_l0'].shape[1], layers, sd['embed.weight'].shape[1])
m.load_state_dict(sd)
m.eval()
ids = torch.tensor([[chars.index(ch) for ch in sys.argv[1]]])
with torch.no_grad():
    print(json.dumps(torch.softmax(m(ids)[0][0], -1).reshape(-1).tolist()))
`;
  const j = await run(PYTHON, ['-c', judge, PROBE], dir);
  assert.equal(j.code, 0, j.stderr);
  const theirs = JSON.parse(j.stdout);
  const ids = Int32Array.from([...PROBE], (ch) => chars.indexOf(ch));
  const ours = m.network.predict(ids, { batch: 1, steps: ids.length, softmax: true, stateful: false });
  assert.equal(ours.length, theirs.length);
  let max = 0;
  for (let k = 0; k < ours.length; k++) max = Math.max(max, Math.abs(ours[k] - theirs[k]));
  assert.ok(max <= 1e-5, `max |ours − PyTorch| = ${max}`);
  console.log(`# converted model vs PyTorch: max |Δp| = ${max.toExponential(2)} over ${ids.length} steps × ${chars.length} characters`);
  m.dispose();
});
