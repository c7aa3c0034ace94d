// bin/convert.js and bin/inspect.js through the CLI (`wasm-lstm convert IN OUT`, `wasm-lstm
// inspect FILE`): round trips of a character model and of a plain Network through every format
// (bit-identical parameters, the vocabulary beside the weights, identical samples), the
// vocabulary options, PyTorch name prefixes, a PyTorch-trained character model (the fixture
// made by tests/fixtures/interop/make_interop.py) whose loss after conversion is PyTorch's, what
// inspect prints, and one-line errors with exit codes (2 usage, 1 the rest).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharModel, Network, LstmError } from '../js/index.js';
import { inspectFile, fromPyTorch } from '../js/interop/index.js';

const BIN = fileURLToPath(new URL('../bin/wasm-lstm.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/interop/', import.meta.url));
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8'));
const TEXT = 'The cat, which already ate a bunch of food, was full.\nThe cats, which already ate, were full. ✓\n'.repeat(20);
let dir, charFile, charModel, netFile, net;

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args) {
  const r = await run(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, '', args.join(' '));
  return r;
}

// One line on stderr naming the problem, the exit code, nothing on stdout, no stack trace.
async function fails(args, code, pattern) {
  const r = await run(args);
  assert.equal(r.code, code, `${args.join(' ')}: exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', args.join(' '));
  assert.match(r.stderr, /^wasm-lstm: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stderr, pattern, args.join(' '));
  return r;
}

const p = (name) => join(dir, name);

// Parameters of two networks: the same names and shapes, and the same bits.
function assertSameParameters(a, b, what) {
  const pa = a.parameters(), pb = b.parameters();
  assert.deepEqual(Object.keys(pb), Object.keys(pa), what);
  for (const k of Object.keys(pa)) {
    assert.deepEqual(pb[k].shape, pa[k].shape, `${what}: ${k} shape`);
    assert.deepEqual(new Uint32Array(pb[k].data.buffer, pb[k].data.byteOffset, pb[k].data.length),
      new Uint32Array(pa[k].data.buffer, pa[k].data.byteOffset, pa[k].data.length), `${what}: ${k} bits`);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-cli-interop-'));
  writeFileSync(p('text.txt'), TEXT);
  charModel = await CharModel.create({ text: TEXT, hidden: 24, layers: 2, batch: 4, seqLength: 16, seed: 3 });
  charModel.trainSteps(30);
  charFile = p('char.bin');
  writeFileSync(charFile, charModel.save());
  net = await Network.create({ cell: 'gru', input: 3, hidden: 5, layers: 2, output: 2, loss: 'mse', bidirectional: true, seed: 9 });
  netFile = p('net.bin');
  writeFileSync(netFile, net.save());
});

after(() => {
  charModel?.dispose();
  net?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('--help of convert and inspect lists their options; the program help lists the commands', async () => {
  const c = await ok(['convert', '--help']);
  for (const flag of ['--from', '--to', '--vocab', '--vocab-from-text', '--no-vocab', '--rnn-prefix', '--embedding-prefix',
    '--head-prefix', '--no-strict', '--loss', '--summary', '--softmax', '--state-inputs', '--lengths', '.vocab.json']) {
    assert.ok(c.stdout.includes(flag), flag);
  }
  const i = await ok(['help', 'inspect']);
  for (const flag of ['--from', '--json']) assert.ok(i.stdout.includes(flag), flag);
  const m = await ok(['--help']);
  assert.match(m.stdout, /wasm-lstm convert IN OUT/);
  assert.match(m.stdout, /wasm-lstm inspect FILE/);
});

for (const [ext, what] of [['pt', 'PyTorch state_dict'], ['safetensors', 'safetensors file'], ['onnx', 'ONNX model'], ['json', 'TF.js layers model']]) {
  test(`a character model → .${ext} (+ .vocab.json) → .bin: the same bits, vocabulary and samples`, async () => {
    const sub = p(`rt-${ext}`);
    mkdirSync(sub);
    const out = join(sub, `model.${ext}`), back = join(sub, 'back.bin');
    const r = await ok(['convert', charFile, out]);
    assert.match(r.stdout, /^read .*char\.bin: wasm-lstm model file \(character model\): lstm 2×24, tokens \(vocab \d+\) → \d+, loss 'xent'\n/);
    assert.match(r.stdout, new RegExp(`wrote .*model\\.vocab\\.json \\(\\d+ bytes\\): ${what}`));
    // the vocabulary beside the weights: a JSON array of the characters by id
    assert.deepEqual(JSON.parse(readFileSync(join(sub, 'model.vocab.json'), 'utf8')), [...charModel.vocabulary]);
    if (ext === 'json') assert.ok(existsSync(join(sub, 'weights.bin')), 'TF.js weights.bin written beside model.json');
    const b = await ok(['convert', out, back]);
    assert.match(b.stdout, /vocabulary: \d+ characters from '.*model\.vocab\.json' \(beside model\./);
    assert.match(b.stdout, /wrote .*back\.bin \([\d.]+ KiB\): wasm-lstm character model \(CharModel\) file/);
    const m = await CharModel.load(readFileSync(back));
    assert.equal(m.vocabulary, charModel.vocabulary);
    assertSameParameters(charModel.network, m.network, `via .${ext}`);
    m.dispose();
    // and the CLI samples the same text from both files
    const args = ['--prime', 'The cat', '--length', '80', '--seed', '4', '--temperature', '0.7'];
    const s0 = await ok(['sample', charFile, ...args]), s1 = await ok(['sample', back, ...args]);
    assert.equal(s1.stdout, s0.stdout);
    assert.equal([...s1.stdout].length, 7 + 80);
  });
}

test('a plain Network (bidirectional GRU, dense input, mse) → each format → .bin: the same bits, no vocabulary file', async () => {
  for (const ext of ['pt', 'safetensors', 'onnx', 'json']) {
    const sub = p(`net-${ext}`);
    mkdirSync(sub);
    const out = join(sub, `net.${ext}`), back = join(sub, 'back.bin');
    await ok(['convert', netFile, out]);
    assert.ok(!existsSync(join(sub, 'net.vocab.json')), `.${ext}: no vocabulary for a non-character model`);
    const b = await ok(['convert', out, back, ...(ext === 'json' ? [] : ['--loss', 'mse'])]);
    assert.match(b.stdout, /wrote .*back\.bin .*: wasm-lstm Network file/);
    assert.doesNotMatch(b.stdout, /no vocabulary/, 'no vocabulary hint for a model that is not a character model');
    const n = await Network.load(readFileSync(back));
    assert.equal(n.config.loss, 'mse', `.${ext}`);
    assert.equal(n.config.bidirectional, true);
    assertSameParameters(net, n, `via .${ext}`);
    n.dispose();
  }
});

test('--lengths: a classifier of ragged sequences to ONNX with a lengths input, run by onnxruntime on a padded batch as predict', async () => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const cls = await Network.create({ cell: 'lstm', vocab: 10, hidden: 6, layers: 1, output: 3, loss: 'xent-last', bidirectional: true, seed: 2 });
  writeFileSync(p('cls.bin'), cls.save());
  await ok(['convert', p('cls.bin'), p('cls.onnx'), '--lengths', '--summary', 'last', '--state-inputs', 'none']);
  const B = 3, T = 5, lengths = Int32Array.of(5, 2, 4), x = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % 10);
  const want = cls.predict(x, { batch: B, steps: T, lengths, lastOnly: true });
  const session = await ort.InferenceSession.create(readFileSync(p('cls.onnx')));
  assert.deepEqual(session.inputNames, ['tokens', 'lengths']);
  const o = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(x, BigInt), [B, T]), lengths: new ort.Tensor('int32', lengths, [B]) });
  await session.release();
  assert.ok(want.every((v, i) => Math.abs(v - o.output.data[i]) <= 1e-5), `${want} vs ${o.output.data}`);
  cls.dispose();
  await fails(['convert', p('cls.bin'), p('cls.pt'), '--lengths'], 2, /--lengths: only for ONNX output/);
});

test('sample and eval take a character model in another format with its .vocab.json beside it: the .bin\'s samples', async () => {
  const sub = p('foreign');
  mkdirSync(sub);
  for (const ext of ['pt', 'onnx', 'json']) {
    const out = join(sub, ext === 'json' ? 'model.json' : `char.${ext}`);
    await ok(['convert', charFile, out]);
    const a = await ok(['sample', out, '--prime', 'The ', '--length', '60', '--seed', '4']);
    assert.equal(a.stdout, 'The ' + charModel.sample({ prime: 'The ', length: 60, seed: 4 }), `.${ext}`);
    const e = await ok(['eval', out, p('text.txt')]);
    const m = CharModel.fromNetwork(await fromPyTorch(readFileSync(join(sub, 'char.pt'))), { vocabulary: charModel.vocabulary });
    const r = m.evaluate(TEXT);
    m.dispose();
    assert.match(e.stdout, new RegExp(`^loss ${r.loss.toFixed(4)} nats/char .*\\(${r.chars} characters predicted: the whole file of text\\.txt\\)`), `.${ext}: ${e.stdout}`);
  }
  // resuming needs our file (a training state); a foreign one says how to get it
  await fails(['train', p('text.txt'), '--resume', join(sub, 'char.pt'), '--steps', '1'], 1, /char\.pt' is a PyTorch state_dict.*without a training state to resume: convert it first/);
  rmSync(join(sub, 'char.vocab.json'));
  await fails(['sample', join(sub, 'char.pt')], 1, /char\.pt' \(PyTorch state_dict \(torch\.save\)\) holds weights, not the characters .*char\.vocab\.json, which is not there/);
});

test('vocabularies: beside IN, --vocab (JSON of code points, or a text of the characters), --vocab-from-text, --no-vocab', async () => {
  await ok(['convert', charFile, p('v.pt')]);
  rmSync(p('v.vocab.json'));
  const expected = charModel.vocabulary;
  // no vocabulary beside it: a Network file, and a hint
  const plain = await ok(['convert', p('v.pt'), p('v-plain.bin')]);
  assert.match(plain.stdout, /note: no vocabulary \(no v\.vocab\.json beside v\.pt\), so this is a Network file; .*--vocab FILE or --vocab-from-text FILE/);
  (await Network.load(readFileSync(p('v-plain.bin')))).dispose();
  await assert.rejects(CharModel.load(readFileSync(p('v-plain.bin'))), (e) => e instanceof LstmError && e.code === 'format');
  // the vocabulary as code points in JSON, as a plain text of the characters, from the training text
  writeFileSync(p('cps.json'), JSON.stringify(Array.from(expected, (ch) => ch.codePointAt(0))));
  writeFileSync(p('chars.txt'), expected);
  for (const [flag, file] of [['--vocab', 'cps.json'], ['--vocab', 'chars.txt'], ['--vocab-from-text', 'text.txt']]) {
    const out = p(`v-${file}.bin`);
    const r = await ok(['convert', p('v.pt'), out, flag, p(file)]);
    assert.match(r.stdout, new RegExp(`vocabulary: ${[...expected].length} characters from `));
    const m = await CharModel.load(readFileSync(out));
    assert.equal(m.vocabulary, expected, `${flag} ${file}`);
    m.dispose();
  }
  // --no-vocab: a CharModel file becomes a plain Network file; no vocabulary beside a .pt
  await ok(['convert', charFile, p('stripped.bin'), '--no-vocab']);
  (await Network.load(readFileSync(p('stripped.bin')))).dispose();
  await ok(['convert', charFile, p('novocab.pt'), '--no-vocab']);
  assert.ok(!existsSync(p('novocab.vocab.json')));
  // a Network file plus a vocabulary is a CharModel file
  await ok(['convert', p('v-plain.bin'), p('v-again.bin'), '--vocab', p('cps.json')]);
  const again = await CharModel.load(readFileSync(p('v-again.bin')));
  assertSameParameters(charModel.network, again.network, 'Network file + --vocab');
  again.dispose();
});

test('a converted character model fine-tunes: train --resume with a text lowers its validation loss', async () => {
  await ok(['convert', charFile, p('ft.pt')]);
  await ok(['convert', p('ft.pt'), p('ft.bin'), '--batch', '4', '--seq', '16', '--lr', '0.01']);
  const before = await CharModel.load(readFileSync(p('ft.bin')), { text: TEXT });
  assert.deepEqual([before.config.batch, before.config.seqLength, before.config.learningRate], [4, 16, 0.01]);
  const loss0 = before.evaluate().loss;
  before.dispose();
  const r = await ok(['train', 'text.txt', '--resume', p('ft.bin'), '--steps', '40', '--out', p('ft2.bin'), '--sample-every', '0']);
  const val = Number(/val (\d+\.\d+) nats\/char/.exec(r.stdout)?.[1]);
  assert.ok(val < loss0, `validation loss ${loss0} → ${val}`);
});

test('PyTorch name prefixes: written as given, guessed back (same scope), or named on reading', async () => {
  const out = p('named.pt'), nested = p('nested.pt');
  await ok(['convert', charFile, out, '--rnn-prefix', 'net.lstm.', '--embedding-prefix', 'net.emb.', '--head-prefix', 'net.fc.']);
  const names = inspectFile(readFileSync(out)).tensors.map((t) => t.name);
  assert.ok(names.includes('net.emb.weight') && names.includes('net.lstm.weight_hh_l1') && names.includes('net.fc.bias'), names.join(' '));
  // the RNN one level deeper than the embedding and the head: the guess looks only beside the RNN
  await ok(['convert', charFile, nested, '--rnn-prefix', 'encoder.lstm.', '--embedding-prefix', 'emb.', '--head-prefix', 'decoder.']);
  await ok(['convert', out, p('named-guessed.bin')]);
  await ok(['convert', nested, p('named-given.bin'), '--rnn-prefix', 'encoder.lstm.', '--embedding-prefix', 'emb.', '--head-prefix', 'decoder.']);
  for (const f of ['named-guessed.bin', 'named-given.bin']) {
    const m = await CharModel.load(readFileSync(p(f)));
    assertSameParameters(charModel.network, m.network, f);
    m.dispose();
  }
  await fails(['convert', nested, p('x.bin')], 1, /expected a token-input network .* \(ignored: emb\.weight, decoder\.weight, decoder\.bias: name the modules with --rnn-prefix/);
  await fails(['convert', out, p('x.bin'), '--head-prefix', 'fc.'], 1, /'.*named\.pt' is not a usable PyTorch state_dict \(torch\.save\): .*fc\.weight/);
});

test("a PyTorch-trained character model (the fixture): after convert its loss is PyTorch's (≤ 1e-5)", async () => {
  const c = CASES.special.char;
  writeFileSync(p('fixture.vocab.json'), JSON.stringify([...c.vocab]));
  writeFileSync(p('fixture.pt'), readFileSync(join(FIXTURES, c.file)));
  const r = await ok(['convert', p('fixture.pt'), p('fixture.bin')]);
  assert.match(r.stdout, /vocabulary: 14 characters from '.*fixture\.vocab\.json'/);
  const m = await CharModel.load(readFileSync(p('fixture.bin')));
  assert.equal(m.vocabulary, c.vocab);
  const V = c.vocab.length, N = c.batch * c.steps;
  const probs = m.network.predict(Int32Array.from(c.x), { batch: c.batch, steps: c.steps, softmax: true, stateful: false });
  let loss = 0;
  for (let k = 0; k < N; k++) loss -= Math.log(probs[k * V + c.y[k]]);
  loss /= N;
  assert.ok(Math.abs(loss - c.loss) <= 1e-5, `ours ${loss}, PyTorch ${c.loss}`);
  // the CLI samples it: greedy continues the pattern it learnt, from the vocabulary only
  const s = await ok(['sample', p('fixture.bin'), '--prime', 'the cat ', '--length', '40', '--greedy']);
  assert.equal(s.stdout, `the cat ${m.sample({ prime: 'the cat ', length: 40, greedy: true })}`);
  assert.ok([...s.stdout].every((ch) => c.vocab.includes(ch)), s.stdout);
  m.dispose();
});

test('inspect: tensors, shapes, the model it runs as, the vocabulary beside it; --json is inspectFile', async () => {
  await ok(['convert', charFile, p('i.pt')]);
  const V = [...charModel.vocabulary].length;
  const r = await ok(['inspect', p('i.pt')]);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /i\.pt: PyTorch state_dict \(torch\.save\), 11 tensors, [\d.]+ KiB$/);
  assert.match(r.stdout, new RegExp(`\\n  embedding\\.weight +float32 +\\(${V}, ${V}\\)\\n`));
  assert.match(r.stdout, /\n {2}rnn\.weight_hh_l1 +float32 +\(96, 24\)\n/);
  assert.match(r.stdout, new RegExp(`\\nruns as: lstm 2×24, tokens \\(vocab ${V}\\) → ${V} per step, sigmoid gates\\n`));
  assert.match(r.stdout, /\n {2}note: embedding 'embedding\.weight' .* folded into l0\.wx/);
  assert.match(r.stdout, new RegExp(`\\nvocabulary: ${V} characters in .*i\\.vocab\\.json "\\\\n .*: a character model \\(wasm-lstm convert \\S*i\\.pt \\S*i\\.bin\\)\\n$`));
  const j = JSON.parse((await ok(['inspect', p('i.pt'), '--json'])).stdout);
  const expected = inspectFile(readFileSync(p('i.pt')));
  assert.deepEqual(j.tensors, expected.tensors);
  assert.deepEqual(j.model, JSON.parse(JSON.stringify(expected.model)));
  assert.equal(j.format, 'pt');
  assert.equal(j.vocabulary.size, V);
  assert.equal(j.vocabulary.problem, null);

  // a vocabulary that does not fit is reported
  writeFileSync(p('i.vocab.json'), '["a", "b"]');
  assert.match((await ok(['inspect', p('i.pt')])).stdout, new RegExp(`vocabulary: .*i\\.vocab\\.json: the model has ${V} tokens, the vocabulary 2 characters`));

  // ONNX: producer, inputs, outputs, ops
  await ok(['convert', netFile, p('i.onnx')]);
  const o = await ok(['inspect', p('i.onnx')]);
  assert.match(o.stdout, /\nproducer: wasm-lstm [\d.]+, IR 7, opsets ai\.onnx 14\n/);
  assert.match(o.stdout, /\ninputs: input \(B, T, 3\), h0 \(4, B, 5\)\n/);
  assert.match(o.stdout, /\nops: .*GRU ×2/);
  assert.match(o.stdout, /\nruns as: gru 2×5 bidirectional, dense input 3 → 2 per step, sigmoid gates\n/);

  // TF.js: the layers
  await ok(['convert', charFile, p('i.json')]);
  const k = await ok(['inspect', p('i.json')]);
  assert.match(k.stdout, /i\.json: TF\.js layers model, 9 tensors, [\d.]+ KiB in 2 files\n/);
  assert.match(k.stdout, /\nSequential .*: embedding \(Embedding\), .*\(LSTM\), .*head \(Dense\)\n/);

  // ours: the summary table, the vocabulary and the text
  const ours = await ok(['inspect', charFile]);
  assert.match(ours.stdout, /char\.bin: wasm-lstm character model \(CharModel\) file, [\d.]+ KiB, step 30\n/);
  assert.match(ours.stdout, /\nl1 lstm +24 +24 +wx wh b/);
  assert.match(ours.stdout, new RegExp(`\\nvocabulary: ${V} characters "\\\\n `));
  assert.match(ours.stdout, new RegExp(`\\ntraining text: not included \\(${[...TEXT].length} characters;`));
  const oj = JSON.parse((await ok(['inspect', netFile, '--json'])).stdout);
  assert.equal(oj.kind, 'network');
  assert.deepEqual(oj.config, JSON.parse(JSON.stringify(net.config)));
  assert.deepEqual(oj.tensors.map((t) => t.name), Object.keys(net.parameters()));
});

test("inspect says why a file does not map (proj_size), and refuses a hostile pickle without running it", async () => {
  const r = await ok(['inspect', join(FIXTURES, 'special/proj_size.pt')]);
  assert.match(r.stdout, /\n {2}weight_hr_l0 +float32 +\(2, 5\)\n/);
  assert.match(r.stdout, /\ncannot run it: .*proj_size/);
  const marker = '/tmp/wasm-lstm-pwned';
  rmSync(marker, { force: true });
  await fails(['inspect', join(FIXTURES, 'special/evil_os_system.pt')], 1, /is not a usable PyTorch state_dict .*posix\.system/);
  await fails(['convert', join(FIXTURES, 'special/evil_os_system.pt'), p('evil.bin')], 1, /posix\.system/);
  assert.ok(!existsSync(marker), 'nothing was executed');
  assert.ok(!existsSync(p('evil.bin')));
});

test('errors: one line, exit 2 for usage, 1 for files and models; nothing written on failure', async () => {
  await fails(['convert', charFile], 2, /convert: expected 2 file arguments, got 1/);
  await fails(['convert', charFile, p('x.foo')], 2, /cannot tell the format of '.*x\.foo' from its name .*--to FORMAT/);
  await fails(['convert', charFile, p('x.pt'), '--to', 'zip'], 2, /--to: expected one of wasm-lstm, pt, safetensors, onnx, tfjs, got 'zip'/);
  await fails(['convert', charFile, p('x.onnx'), '--rnn-prefix', 'a.'], 2, /--rnn-prefix: only for PyTorch files .*here wasm-lstm → onnx/);
  await fails(['convert', charFile, p('x.pt'), '--state-inputs', 'none'], 2, /--state-inputs: only for ONNX output/);
  await fails(['convert', charFile, p('x.onnx'), '--state-inputs', 'maybe'], 2, /--state-inputs: expected required, optional, none, got 'maybe'/);
  await fails(['convert', charFile, p('x.pt'), '--loss', 'mse'], 2, /--loss: only for PyTorch, ONNX or TF\.js input/);
  await fails(['convert', charFile, p('x.bin'), '--vocab', p('cps.json')], 2, /--vocab: '.*char\.bin' is a character model with its own vocabulary/);
  await fails(['convert', p('v.pt'), p('x.bin'), '--vocab', 'a', '--no-vocab'], 2, /give one of --vocab and --no-vocab, not both/);
  await fails(['convert', charFile, p('x.onnx'), '--sumary', 'last'], 2, /unknown option '--sumary': did you mean '--summary'\?/);
  await fails(['inspect'], 2, /inspect: expected 1 file argument, got 0/);
  await fails(['inspect', 'a', '--from', 'h5'], 2, /--from: expected one of/);
  await fails(['convert', p('v.pt'), p('x.bin'), '--seq', '0', '--vocab', p('cps.json')], 2, /--seq: expected a positive integer, got '0'/);
  await fails(['convert', p('v.pt'), p('x.bin'), '--batch', '4'], 2, /--batch: only when a character model is made from a vocabulary/);

  await fails(['convert', p('missing.pt'), p('x.bin')], 1, /cannot read '.*missing\.pt': no such file/);
  await fails(['inspect', p('text.txt')], 1, /'.*text\.txt': not a model file of a known format/);
  writeFileSync(p('weights-only.bin'), new Uint8Array(64));
  await fails(['inspect', p('weights-only.bin')], 1, /not a wasm-lstm model file .*read through its model\.json/);
  const pt = readFileSync(p('v.pt'));
  writeFileSync(p('truncated.pt'), pt.subarray(0, pt.length >> 1));
  await fails(['convert', p('truncated.pt'), p('x.bin')], 1, /'.*truncated\.pt' is not a usable PyTorch state_dict/);
  writeFileSync(p('wrong.json'), '["a", "b"]');
  await fails(['convert', p('v.pt'), p('x.bin'), '--vocab', p('wrong.json')], 1,
    /cannot make a character model with the vocabulary of '.*wrong\.json': vocabulary: expected \d+ symbols .*got 2/);
  await fails(['convert', p('v.pt'), p('x.bin'), '--vocab', p('text.txt')], 1, /give it as --vocab-from-text/);
  writeFileSync(p('obj.json'), '{"a": 1}');
  await fails(['convert', p('v.pt'), p('x.bin'), '--vocab', p('obj.json')], 1, /expected a JSON array of the characters by id/);
  await fails(['convert', netFile, p('x.bin'), '--vocab', p('cps.json')], 1, /expected a token-input network/);
  // a TF.js model whose weight file is missing, or whose manifest leaves the directory
  mkdirSync(p('tf'));
  await ok(['convert', netFile, p('tf/model.json')]);
  rmSync(p('tf/weights.bin'));
  await fails(['inspect', p('tf/model.json')], 1, /cannot read '.*tf\/weights\.bin' \(a weight file named in model\.json\): no such file/);
  writeFileSync(p('tf/evil.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../text.txt'], weights: [] }] }));
  await fails(['convert', p('tf/evil.json'), p('x.bin')], 1, /names '\.\.\/text\.txt', outside the directory of the model\.json/);
  // a directory as OUT
  await fails(['convert', charFile, p('tf'), '--to', 'pt'], 1, /cannot write '.*tf': it is a directory, not a regular file/);
  assert.ok(!existsSync(p('x.bin')), 'no failed conversion wrote its output');
});
