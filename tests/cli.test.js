// bin/wasm-lstm.js: train (file and built-in corpus, steps and minutes, Ctrl-C, resume), sample,
// eval, --help everywhere, and one-line errors with non-zero exits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharModel } from '../js/index.js';

const BIN = fileURLToPath(new URL('../bin/wasm-lstm.js', import.meta.url));
const TEXT = 'The cat, which already ate a bunch of food, was full.\nThe cats, which already ate a bunch of food, were full.\n'.repeat(30);
const SMALL = ['--hidden', '32', '--layers', '1', '--batch', '8', '--seq', '32'];
let dir, textFile, model;

function run(args, { onStdout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; onStdout?.(stdout, child); });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// One line on stderr, naming the problem, a non-zero exit, no stack trace, nothing on stdout.
function assertOneLineError(r, code, pattern) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wasm-lstm: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stderr, pattern);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-cli-'));
  textFile = join(dir, 'cats.txt');
  writeFileSync(textFile, TEXT);
  model = join(dir, 'model.bin');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--help for the program and every command', async () => {
  for (const args of [['--help'], ['-h'], ['help'], ['train', '--help'], ['sample', '-h'], ['eval', '--help'], ['help', 'sample']]) {
    const r = await run(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /Usage/);
  }
  const train = await run(['train', '--help']);
  for (const flag of ['--cell', '--hidden', '--layers', '--seq', '--batch', '--lr', '--clip', '--dropout', '--steps', '--minutes', '--seed', '--out']) {
    assert.ok(train.stdout.includes(flag), flag);
  }
  const sample = await run(['sample', '--help']);
  for (const flag of ['--prime', '--temperature', '--top-k', '--top-p', '--length', '--seed']) assert.ok(sample.stdout.includes(flag), flag);
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage/);
});

test('train on a small file: progress lines, a sample, a saved model', async () => {
  const r = await run(['train', textFile, ...SMALL, '--steps', '40', '--eval-every', '20', '--sample-every', '40',
    '--lr', '0.01', '--seed', '3', '--out', model]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /training: lstm 1×32, vocab \d+, on cats\.txt \(3300 chars\).*40 steps/);
  const progress = lines.filter((l) => l.startsWith('step '));
  assert.equal(progress.length, 2, r.stdout);
  assert.match(progress[0], /^step 20\/40 {2}loss \d\.\d{3} {2}val \d\.\d{3} {2}[\d.]+k? chars\/s {2}elapsed \d+s {2}ETA \d+s$/);
  assert.match(progress[1], /^step 40\/40 /);
  assert.match(r.stdout, /--- sample at step 40 ---\n[^]{200}\n---/);
  assert.match(lines.at(-2), /^saved .*model\.bin \(\d+ KiB, step 40, val \d\.\d{4} nats\/char = \d\.\d{3} bits\/char\)$/);
  const m = await CharModel.load(readFileSync(model), { text: TEXT });
  assert.equal(m.step, 40);
  assert.equal(m.config.learningRate, 0.01);
  assert.equal(m.config.hidden, 32);
  const val = Number(/val (\d\.\d{4}) nats/.exec(lines.at(-2))[1]);
  assert.ok(Math.abs(m.evaluate().loss - val) < 1e-4);
  m.dispose();
});

test('sample streams the prime and `length` characters; seeds and greedy are deterministic', async () => {
  assert.ok(existsSync(model), 'needs the model of the train test');
  const a = await run(['sample', model, '--prime', 'The cat', '--length', '120', '--seed', '5']);
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.startsWith('The cat'));
  assert.equal([...a.stdout].length, 7 + 120);
  const m = await CharModel.load(readFileSync(model));
  assert.equal(a.stdout, 'The cat' + m.sample({ prime: 'The cat', length: 120, seed: 5 }));
  assert.equal((await run(['sample', model, '--prime', 'The cat', '--length', '120', '--seed', '5'])).stdout, a.stdout);
  const greedy = await run(['sample', model, '--length', '60', '--greedy']);
  assert.equal(greedy.stdout, m.sample({ length: 60, greedy: true }));
  assert.equal((await run(['sample', model, '--length', '60', '--temperature', '0'])).stdout, greedy.stdout);
  assert.equal((await run(['sample', model, '--length', '60', '--top-k', '1', '--seed', '2'])).stdout, greedy.stdout);
  const p = await run(['sample', model, '--length', '80', '--top-p', '0.9', '--temperature', '0.7', '--seed', '1']);
  assert.equal(p.stdout, m.sample({ length: 80, topP: 0.9, temperature: 0.7, seed: 1 }));
  m.dispose();
});

test('eval prints loss and bits per char: the validation part of the training text, or a whole other file', async () => {
  const m = await CharModel.load(readFileSync(model), { text: TEXT });
  const val = m.evaluate();
  const r = await run(['eval', model, textFile]);
  assert.equal(r.code, 0, r.stderr);
  const [, loss, bits] = /^loss (\d+\.\d{4}) nats\/char {2}(\d+\.\d{4}) bits\/char {2}perplexity \d+\.\d{3} {2}\((\d+) characters predicted: the validation part/.exec(r.stdout) ?? [];
  assert.ok(loss, r.stdout);
  assert.equal(loss, val.loss.toFixed(4));
  assert.equal(bits, val.bitsPerChar.toFixed(4));
  assert.match(r.stdout, new RegExp(`\\(${val.chars} characters predicted`));
  const all = await run(['eval', model, textFile, '--all']);
  assert.match(all.stdout, new RegExp(`^loss ${m.evaluate(TEXT).loss.toFixed(4)} .*the whole file of cats\\.txt\\)\\n$`));
  const other = join(dir, 'other.txt');
  writeFileSync(other, 'The cats were full. The cat was full. Zebras?');
  const o = await run(['eval', model, other]);
  assert.equal(o.code, 0);
  assert.match(o.stdout, /the whole file of other\.txt; 2 unknown characters skipped\)/);
  m.dispose();
});

test('train with no file uses the built-in corpus; --minutes stops on time', async () => {
  const out = join(dir, 'corpus.bin');
  const t0 = performance.now();
  const r = await run(['train', '--minutes', '0.03', '--hidden', '16', '--layers', '1', '--seq', '16', '--batch', '4',
    '--eval-every', '1000000', '--sample-every', '0', '--out', out]);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /on the built-in corpus \(200000 chars\).*0\.03 min/);
  assert.ok(seconds < 15, `${seconds} s`);
  const m = await CharModel.load(readFileSync(out));
  assert.ok(m.step > 5, `${m.step} steps`);
  assert.deepEqual(m.data.corpus, { seed: 1, chars: 200_000 });
  m.dispose();
});

test('--minutes sizes what is not given as CharModel.configFor does, and schedules the rate over the time', async () => {
  const sized = join(dir, 'sized.bin');
  const r = await run(['train', textFile, '--minutes', '0.01', '--batch', '4', '--seq', '16', '--sample-every', '0', '--out', sized]);
  assert.equal(r.code, 0, r.stderr);
  const pick = CharModel.configFor({ minutes: 0.01 });
  const m = await CharModel.load(readFileSync(sized), { text: TEXT });
  for (const k of ['hidden', 'layers', 'learningRate']) assert.equal(m.config[k], pick[k], k);
  assert.equal(m.config.batch, 4, 'a flag given wins over the budget');
  assert.equal(m.config.seqLength, 16);
  assert.match(r.stdout, new RegExp(`training: lstm ${pick.layers}×${pick.hidden}, .*lr ${pick.learningRate}, .*0\\.01 min`));
  // the 'auto' schedule: the same steps at the constant rate end elsewhere ...
  const flat = await CharModel.create({ text: TEXT, hidden: pick.hidden, layers: pick.layers, learningRate: pick.learningRate, batch: 4, seqLength: 16 });
  assert.ok(m.step >= 1, `${m.step} steps`);
  flat.trainSteps(m.step);
  const differ = (a, b) => Object.keys(a).some((k) => a[k].data.some((x, i) => !Object.is(x, b[k].data[i])));
  assert.ok(differ(m.network.parameters(), flat.network.parameters()), 'trained at the constant rate');
  // ... and a model with its own schedule (--lr-decay) keeps it: bit for bit trainSteps at that schedule
  const own = join(dir, 'own.bin');
  const o = await run(['train', textFile, ...SMALL, '--minutes', '0.01', '--lr', '0.01', '--lr-decay', '0.5', '--lr-every', '3',
    '--sample-every', '0', '--out', own]);
  assert.equal(o.code, 0, o.stderr);
  const mo = await CharModel.load(readFileSync(own), { text: TEXT });
  const twin = await CharModel.create({ text: TEXT, hidden: 32, layers: 1, batch: 8, seqLength: 32, learningRate: 0.01,
    schedule: { type: 'step', every: 3, factor: 0.5 } });
  assert.ok(mo.step > 3, `${mo.step} steps`);
  twin.trainSteps(mo.step);
  assert.equal(differ(mo.network.parameters(), twin.network.parameters()), false);
  for (const x of [m, flat, mo, twin]) x.dispose();
});

test('--steps trains the steps of CharModel#trainSteps bit for bit; evaluations, samples and checkpoints on exact steps', async () => {
  const out = join(dir, 'exact.bin');
  const r = await run(['train', textFile, ...SMALL, '--steps', '13', '--eval-every', '4', '--sample-every', '6',
    '--checkpoint-every', '5', '--seed', '7', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const twin = await CharModel.create({ text: TEXT, hidden: 32, layers: 1, batch: 8, seqLength: 32, seed: 7 });
  const vals = [], ckptNames = [];
  for (let i = 1; i <= 13; i++) {
    twin.trainSteps(1);
    if (i % 4 === 0 || i === 13) vals.push([i, twin.evaluate().loss]);
    if (i % 5 === 0) ckptNames.push(`exact_step${i}_val${twin.evaluate().loss.toFixed(3)}.bin`);
  }
  const m = await CharModel.load(readFileSync(out), { text: TEXT });
  const p = m.network.parameters(), q = twin.network.parameters();
  for (const k of Object.keys(p)) assert.deepEqual(p[k].data, q[k].data, k);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('step '));
  assert.deepEqual(lines.map((l) => [Number(/^step (\d+)/.exec(l)[1]), Number(/val (\d\.\d{3})/.exec(l)[1])]),
    vals.map(([i, v]) => [i, Number(v.toFixed(3))]));
  assert.deepEqual([...r.stdout.matchAll(/--- sample at step (\d+) ---/g)].map((x) => Number(x[1])), [4, 6, 12]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('exact_step')).sort(), ckptNames.sort());
  m.dispose();
  twin.dispose();
});

test('--threads trains on a pool as the library does with that count, also when resuming', async () => {
  const a = join(dir, 'threads-a.bin'), b = join(dir, 'threads-b.bin');
  const r = await run(['train', textFile, ...SMALL, '--threads', '2', '--steps', '6', '--eval-every', '3', '--sample-every', '0', '--out', a]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /SIMD, 2 threads; 6 steps/);
  const twin = await CharModel.create({ text: TEXT, hidden: 32, layers: 1, batch: 8, seqLength: 32, threads: 2 });
  assert.equal(twin.network.threads, 2);
  twin.trainSteps(6);
  const same = (m) => {
    const p = m.network.parameters(), q = twin.network.parameters();
    return Object.keys(p).every((k) => p[k].data.every((x, i) => Object.is(x, q[k].data[i])));
  };
  const ma = await CharModel.load(readFileSync(a), { text: TEXT });
  assert.ok(same(ma), 'the CLI on 2 threads trained to other parameters than the library on 2');
  const res = await run(['train', textFile, '--resume', a, '--threads', '2', '--steps', '4', '--sample-every', '0', '--out', b]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout.split('\n')[0], /resuming .* 2 threads; 4 steps/);
  twin.trainSteps(4);
  const mb = await CharModel.load(readFileSync(b), { text: TEXT });
  assert.equal(mb.step, 10);
  assert.ok(same(mb), 'resumed on 2 threads');
  for (const m of [twin, ma, mb]) m.dispose();
  for (const bad of ['0', '65', 'x', '2.5']) {
    assertOneLineError(await run(['train', '--threads', bad, '--steps', '1']), 2, new RegExp(`--threads: expected 'auto' or an integer in \\[1, 64\\], got '${bad.replace('.', '\\.')}'`));
  }
});

test('Ctrl-C saves the model before exiting (code 130)', async () => {
  const out = join(dir, 'interrupted.bin');
  let sent = false;
  const r = await run(['train', textFile, ...SMALL, '--steps', '100000000', '--eval-every', '5', '--out', out], {
    onStdout: (s, child) => { if (!sent && /^step 10\//m.test(s)) { sent = true; child.kill('SIGINT'); } },
  });
  assert.ok(sent);
  assert.equal(r.code, 130, r.stderr);
  const [, step] = /interrupted \(SIGINT\) at step (\d+): saved .*interrupted\.bin/.exec(r.stdout) ?? [];
  assert.ok(Number(step) >= 10, r.stdout.slice(-300));
  const m = await CharModel.load(readFileSync(out), { text: TEXT });
  assert.equal(m.step, Number(step));
  m.dispose();
});

test('--resume continues exactly: 15 + 10 steps == 25 steps', async () => {
  const a = join(dir, 'a.bin'), b = join(dir, 'b.bin'), c = join(dir, 'c.bin');
  const common = [textFile, ...SMALL, '--dropout', '0.1', '--sample-every', '7', '--eval-every', '5'];
  assert.equal((await run(['train', ...common, '--layers', '2', '--steps', '15', '--out', a])).code, 0);
  const resumed = await run(['train', textFile, '--resume', a, '--steps', '10', '--sample-every', '3', '--out', b]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming .*a\.bin at step 15/);
  assert.equal((await run(['train', ...common, '--layers', '2', '--steps', '25', '--out', c])).code, 0);
  const mb = await CharModel.load(readFileSync(b)), mc = await CharModel.load(readFileSync(c));
  assert.equal(mb.step, 25);
  const pb = mb.network.parameters(), pc = mc.network.parameters();
  for (const k of Object.keys(pb)) assert.deepEqual(pb[k].data, pc[k].data, k);
  mb.dispose();
  mc.dispose();
  const r = await run(['train', textFile, '--resume', a, '--hidden', '64']);
  assertOneLineError(r, 2, /--hidden cannot change when resuming/);
});

test('bad flags and unreadable files: one line on stderr, non-zero exit', async () => {
  assertOneLineError(await run(['train', '--bogus']), 2, /unknown option '--bogus'.*train --help/);
  assertOneLineError(await run(['train', '--hidden', 'abc']), 2, /--hidden: expected an integer in \[1, 4096\], got 'abc'/);
  assertOneLineError(await run(['train', '--lr=-1']), 2, /--lr: expected a number in \(0, 10\], got '-1'/);
  assertOneLineError(await run(['train', '--lr', '-1']), 2, /--lr: a value that starts with '-' must be written --lr=VALUE/);
  assertOneLineError(await run(['train', '--lr']), 2, /--lr: expected a value, got none/);
  assertOneLineError(await run(['train', '--cell', 'lsmt']), 2, /--cell: expected lstm, gru or rnn, got 'lsmt'/);
  assertOneLineError(await run(['train', '--steps', '5', '--minutes', '1']), 2, /--steps or --minutes, not both/);
  assertOneLineError(await run(['train', textFile, '--batch', '64', '--seq', '64']), 2, /needed.*--batch, --seq/);
  assertOneLineError(await run(['train', join(dir, 'missing.txt')]), 1, /cannot read '.*missing\.txt': no such file/);
  assertOneLineError(await run(['train', dir]), 1, /is a directory/);
  assertOneLineError(await run(['train', textFile, 'extra.txt']), 2, /train: expected at most 1 file argument, got 2/);
  assertOneLineError(await run(['sample']), 2, /sample: expected 1 file argument, got 0/);
  assertOneLineError(await run(['sample', join(dir, 'missing.bin')]), 1, /cannot read/);
  assertOneLineError(await run(['sample', textFile]), 1, /not a usable wasm-lstm character model/);
  assertOneLineError(await run(['sample', model, '--top-p', '0']), 2, /--top-p: expected a number in \(0, 1\]/);
  assertOneLineError(await run(['sample', model, '--length', '1e3x']), 2, /--length/);
  assertOneLineError(await run(['eval', model]), 2, /eval: expected 2 file arguments, got 1/);
  assertOneLineError(await run(['eval', model, join(dir, 'missing.txt')]), 1, /cannot read/);
  assertOneLineError(await run(['frobnicate']), 2, /unknown command 'frobnicate'/);
  assertOneLineError(await run(['help', 'frobnicate']), 2, /unknown command/);
});
