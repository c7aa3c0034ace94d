// bin/wasm-lstm.js, hardened: --out refuses what is not a regular file or a new path, periodic
// checkpoints named after step and validation loss (and a failed final save that keeps the last
// one), the progress bar fitted to the terminal width (in a real pseudo-terminal), --version,
// suggestions for unknown and single-dash options, strict integers, a first sample early, a
// bounded peak memory on a large text, and only the public entry points imported.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, mkdirSync, symlinkSync, lstatSync, readdirSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharModel } from '../js/index.js';
import { defaultCorpus } from '../js/corpus.js';

const BIN = fileURLToPath(new URL('../bin/wasm-lstm.js', import.meta.url));
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const TEXT = 'The cat, which already ate a bunch of food, was full.\nThe cats, which already ate a bunch of food, were full.\n'.repeat(30);
const SMALL = ['--hidden', '16', '--layers', '1', '--batch', '4', '--seq', '16'];
let dir, textFile;

function run(args, { onStdout, node = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...node, BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; onStdout?.(stdout, child); });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function assertOneLineError(r, code, pattern, what = '') {
  assert.equal(r.code, code, `${what} exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^wasm-lstm: [^\n]+\n$/, `${what} one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace or error class');
  assert.match(r.stderr.trimEnd(), pattern, what);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-cli-hard-'));
  textFile = join(dir, 'cats.txt');
  writeFileSync(textFile, TEXT);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--version prints the package version', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `wasm-lstm ${VERSION}\n`);
  assert.match((await run(['--help'])).stdout, /--version/);
});

test('unknown options: single-dash spellings, typos and char-rnn names get a suggestion', async () => {
  const cases = [
    [['train', '-steps', '5'], /train: unknown option '-steps': did you mean '--steps'\?/],
    [['train', '--stpes', '5'], /unknown option '--stpes': did you mean '--steps'\?/],
    [['train', '--step', '5'], /unknown option '--step': did you mean '--steps'\?/],
    [['train', '--hiden=8'], /unknown option '--hiden': did you mean '--hidden'\?/],
    [['train', '-rnn_size', '128'], /unknown option '-rnn_size': did you mean '--hidden'\?/],
    [['train', '-seq_length', '50'], /did you mean '--seq'\?/],
    [['train', '--eval_every', '5'], /unknown option '--eval_every': did you mean '--eval-every'\?/],
    [['train', '--sampel-every', '5'], /did you mean '--sample-every'\?/],
    [['sample', 'm.bin', '--temprature', '0.5'], /sample: unknown option '--temprature': did you mean '--temperature'\?/],
    [['sample', 'm.bin', '-temperature', '0.5'], /did you mean '--temperature'\?/],
    [['sample', 'm.bin', '--temp', '0.5'], /did you mean '--temperature'\?/],
    [['sample', 'm.bin', '--steps', '5'], /unknown option '--steps' \(it is an option of 'wasm-lstm train'\)/],
    [['train', '--greedy'], /\(it is an option of 'wasm-lstm sample'\)/],
    [['train', '--xyzzy'], /^wasm-lstm: train: unknown option '--xyzzy' \(see 'wasm-lstm train --help'\)$/],
    [['trian'], /unknown command 'trian': did you mean 'train'\?/],
    [['--steps', '5'], /unknown command '--steps' \(options come after the command/],
    [['train', '--include-text=yes'], /--include-text: takes no value, got 'yes'/],
    [['train', '--lr'], /--lr: expected a value, got none \(write --lr VALUE\)/],
    [['train', '--lr', '--steps', '5'], /--lr: expected a value, got the option '--steps'/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  cases.forEach(([args, pattern], k) => {
    assertOneLineError(results[k], 2, pattern, args.join(' '));
    assert.equal(results[k].stdout, '');
  });
});

test('integer flags are strict decimal integers; number flags decimals', async () => {
  const bad = [
    ['--steps', '1e3', /--steps: expected an integer in \[0, 2147483647\], got '1e3' \(integers are decimal digits: 1000\)$/],
    ['--steps', '0x10', /got '0x10' \(integers are decimal digits: 16\)$/],
    ['--steps', ' 5', /got ' 5' \(integers are decimal digits: 5\)$/],
    ['--steps', '5 ', /got '5 '/],
    ['--steps', '5.0', /got '5\.0' \(integers are decimal digits: 5\)$/],
    ['--steps', '+5', /got '\+5'/],
    ['--steps', '', /got ''$/],
    ['--steps', '1_000', /got '1_000'$/],
    ['--steps', '٣', /got '٣'$/],
    ['--hidden', '0b11', /--hidden: expected an integer in \[1, 4096\], got '0b11'/],
    ['--seed', '1e3', /--seed: .*got '1e3'/],
    ['--checkpoint-every', '0', /--checkpoint-every: expected an integer in \[1, /],
    ['--lr', '0x10', /--lr: expected a number in \(0, 10\], got '0x10'$/],
    ['--lr', 'Infinity', /--lr: .*got 'Infinity'$/],
    ['--lr', ' 0.1', /--lr: .*got ' 0\.1'$/],
    ['--lr', '', /--lr: .*got ''$/],
    ['--lr', '2e-3x', /--lr: .*got '2e-3x'$/],
  ];
  const results = await Promise.all(bad.map(([flag, value]) => run(['train', textFile, ...SMALL, `${flag}=${value}`])));
  bad.forEach(([flag, value, pattern], k) => {
    assertOneLineError(results[k], 2, pattern, `${flag} '${value}'`);
    assert.equal(results[k].stdout, '', 'refused before training');
  });
  // and the good spellings are taken
  const out = join(dir, 'numbers.bin');
  const r = await run(['train', textFile, ...SMALL, '--steps', '0', '--lr', '2e-3', '--clip', '.5', '--val', '0.1', '--seed', '007', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const m = await CharModel.load(readFileSync(out), { text: TEXT });
  assert.deepEqual([m.config.learningRate, m.config.clip, m.config.valFraction, m.config.seed], [0.002, 0.5, 0.1, 7]);
  m.dispose();
});

test('--out must be a new path or a regular file: directories, links, FIFOs and devices are refused before training', async (t) => {
  const target = join(dir, 'target.bin');
  writeFileSync(target, 'precious');
  mkdirSync(join(dir, 'adir'));
  symlinkSync(target, join(dir, 'link.bin'));
  symlinkSync(join(dir, 'nowhere.bin'), join(dir, 'dangling.bin'));
  execFileSync('mkfifo', [join(dir, 'fifo.bin')]);
  const cases = [
    ['adir', /it is a directory, not a regular file/],
    ['link.bin', /it is a symbolic link, not a regular file/],
    ['dangling.bin', /it is a symbolic link, not a regular file/],
    ['fifo.bin', /it is a FIFO \(named pipe\), not a regular file/],
  ];
  // a character device node like /dev/null (the null device itself, made here, so that a
  // regression replaces this node and not the machine's /dev/null); needs root
  try {
    execFileSync('mknod', [join(dir, 'null.bin'), 'c', '1', '3'], { stdio: 'ignore' });
    cases.push(['null.bin', /it is a character device, not a regular file/]);
  } catch {
    t.diagnostic('mknod is not allowed here: the character-device case is skipped');
  }
  const results = await Promise.all(cases.map(([out]) => run(['train', textFile, ...SMALL, '--steps', '3', '--out', join(dir, out)])));
  cases.forEach(([out, pattern], k) => {
    assertOneLineError(results[k], 1, new RegExp(`cannot write '.*${out}': ${pattern.source}`), out);
    assert.equal(results[k].stdout, '', `${out}: refused before training`);
  });
  assert.equal(readFileSync(target, 'utf8'), 'precious', 'the link target is untouched');
  assert.ok(lstatSync(join(dir, 'link.bin')).isSymbolicLink());
  assert.ok(lstatSync(join(dir, 'fifo.bin')).isFIFO());
  if (existsSync(join(dir, 'null.bin'))) assert.ok(lstatSync(join(dir, 'null.bin')).isCharacterDevice());
  assert.ok(statSync('/dev/null').isCharacterDevice());
  // a regular file is replaced, a new path created; no temporary file is left
  const r = await run(['train', textFile, ...SMALL, '--steps', '2', '--out', target]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await CharModel.load(readFileSync(target))).step, 2);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('--checkpoint-every: checkpoints named after the step and validation loss, each a full training state', async () => {
  const sub = join(dir, 'ckpt');
  mkdirSync(sub);
  const out = join(sub, 'm.bin');
  const r = await run(['train', textFile, ...SMALL, '--steps', '12', '--checkpoint-every', '5', '--eval-every', '4',
    '--sample-every', '0', '--seed', '2', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(sub).sort();
  assert.equal(files.length, 3, files.join(' '));
  const named = files.filter((f) => f !== 'm.bin').map((f) => /^m_step(\d+)_val(\d\.\d{3})\.bin$/.exec(f));
  assert.ok(named.every(Boolean), files.join(' '));
  assert.deepEqual(named.map((x) => Number(x[1])), [10, 5]);
  for (const [file, step, val] of named) {
    const m = await CharModel.load(readFileSync(join(sub, file)), { text: TEXT });
    assert.equal(m.step, Number(step));
    assert.equal(m.evaluate().loss.toFixed(3), val, `${file}: the name's loss is the checkpoint's validation loss`);
    m.dispose();
  }
  // resuming the step-5 checkpoint for 7 steps gives the 12-step model exactly
  const resumed = join(sub, 'resumed.bin');
  const rr = await run(['train', textFile, '--resume', join(sub, named.find((x) => x[1] === '5')[0]), '--steps', '7', '--out', resumed]);
  assert.equal(rr.code, 0, rr.stderr);
  const a = await CharModel.load(readFileSync(resumed)), b = await CharModel.load(readFileSync(out));
  const pa = a.network.parameters(), pb = b.network.parameters();
  for (const k of Object.keys(pa)) assert.deepEqual(pa[k].data, pb[k].data, k);
  a.dispose();
  b.dispose();
  // no validation part: the name has the step only
  const noVal = join(dir, 'noval.bin');
  const n = await run(['train', textFile, ...SMALL, '--steps', '4', '--val', '0', '--checkpoint-every', '2', '--out', noVal]);
  assert.equal(n.code, 0, n.stderr);
  assert.ok(existsSync(join(dir, 'noval_step2.bin')) && existsSync(join(dir, 'noval_step4.bin')));
  const help = await run(['train', '--help']);
  assert.match(help.stdout, /--checkpoint-every N [^]*?model_step1200_val1\.823\.bin/);
});

test('a final save that fails says so and names the last checkpoint, which stays', async () => {
  const out = join(dir, 'lost.bin');
  let made = false;
  const r = await run(['train', textFile, ...SMALL, '--steps', '100000000', '--checkpoint-every', '3', '--eval-every', '3',
    '--sample-every', '0', '--out', out], {
    onStdout: (s, child) => {
      // once a checkpoint is on disk, the --out path turns into a directory, then Ctrl-C
      if (!made && /^step 6\//m.test(s)) {
        made = true;
        mkdirSync(out);
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(made, r.stdout.slice(-200));
  assertOneLineError(r, 1, /training reached step (\d+), but the model could not be saved: cannot write '.*lost\.bin': it is a directory, not a regular file; the last checkpoint, '(.*lost_step(\d+)_val\d\.\d{3}\.bin)' \(step \d+\), is kept$/);
  const [, path, step] = /the last checkpoint, '(.*lost_step(\d+)_val[\d.]+\.bin)'/.exec(r.stderr);
  const m = await CharModel.load(readFileSync(path), { text: TEXT });
  assert.equal(m.step, Number(step));
  assert.ok(m.step >= 6);
  m.dispose();
  // without checkpoints, the message says none was written
  const out2 = join(dir, 'lost2.bin');
  let made2 = false;
  const r2 = await run(['train', textFile, ...SMALL, '--steps', '100000000', '--eval-every', '3', '--sample-every', '0', '--out', out2], {
    onStdout: (s, child) => {
      if (!made2 && /^step 3\//m.test(s)) {
        made2 = true;
        mkdirSync(out2);
        child.kill('SIGINT');
      }
    },
  });
  assertOneLineError(r2, 1, /could not be saved: .*; no checkpoint was written \(--checkpoint-every N writes them\)$/);
});

test('a model that trains but cannot be saved stops after its first step, or saves', async () => {
  // 3 × 1400 LSTM (39M parameters): save() needed more than the 1 GB of wasm memory. Either the
  // run stops at step 1 saying so, or (once save streams) it finishes and the file loads.
  const out = join(dir, 'huge.bin');
  const r = await run(['train', textFile, '--hidden', '1400', '--layers', '3', '--batch', '1', '--seq', '4', '--steps', '3',
    '--eval-every', '1000000', '--sample-every', '0', '--out', out]);
  if (r.code === 0) {
    assert.equal((await CharModel.load(readFileSync(out))).step, 3);
  } else {
    assertOneLineError(r, 1, /this model trains but cannot be saved \(.*\): stopped after step 1 instead of losing the whole run/);
    assert.ok(!existsSync(out));
  }
});

// The CLI under a pseudo-terminal of `columns` (script(1) from util-linux; stty sets the width).
function runInTerminal(columns, args) {
  const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = `stty cols ${columns} rows 24; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the progress bar fits the terminal: no line longer than the width, at 80, 40 and 24 columns', async (t) => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    return t.skip('script(1) is not installed: no pseudo-terminal');
  }
  for (const columns of [80, 40, 24]) {
    const r = await runInTerminal(columns, ['train', textFile, ...SMALL, '--steps', '60', '--eval-every', '5',
      '--sample-every', '0', '--out', join(dir, `pty${columns}.bin`)]);
    assert.equal(r.code, 0, r.out.slice(-300));
    // the bar is redrawn with \r and cleared with ESC[K: every piece between \r and \n is a line
    const pieces = r.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r\n|\r|\n/);
    const bars = pieces.filter((p) => /^step \d+/.test(p));
    assert.ok(bars.length >= 3, `${bars.length} progress lines`);
    for (const line of bars) assert.ok([...line].length < columns, `${columns} columns: ${JSON.stringify(line)} (${line.length})`);
    if (columns === 80) assert.ok(bars.some((l) => l.includes('[#') && l.includes('ETA')), 'at 80 columns the whole bar');
    else assert.ok(bars.every((l) => l.includes('loss')), `at ${columns} columns still the loss: ${bars[0]}`);
  }
});

test('a first sample comes at the first evaluation, not only after --sample-every steps', async () => {
  const r = await run(['train', textFile, ...SMALL, '--steps', '20', '--eval-every', '10', '--sample-every', '500', '--out', join(dir, 'early.bin')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--- sample at step 10 ---\n[^]{200}\n---/);
  assert.equal(r.stdout.match(/--- sample at step/g).length, 1);
  const none = await run(['train', textFile, ...SMALL, '--steps', '20', '--eval-every', '10', '--sample-every', '0', '--out', join(dir, 'early.bin')]);
  assert.doesNotMatch(none.stdout, /sample at step/);
});

test('resuming on another text names both files', async () => {
  const a = join(dir, 'res.bin');
  assert.equal((await run(['train', textFile, ...SMALL, '--steps', '2', '--out', a])).code, 0);
  const other = join(dir, 'other.txt');
  writeFileSync(other, TEXT.replace('cat', 'dog'));
  assertOneLineError(await run(['train', other, '--resume', a, '--steps', '2']), 1,
    /'.*other\.txt' is not the text '.*res\.bin' was trained on: not the text this model was trained on \(expected 3300 characters/);
});

test('peak memory on a large text: the RSS beyond a small run stays under 5 × the file (it was 8.5 ×; ~2 × now)', async (t) => {
  const big = join(dir, 'big.txt'), small = join(dir, 'small.txt');
  writeFileSync(big, defaultCorpus({ chars: 2_000_000, seed: 3 }).repeat(8)); // 16 MB
  writeFileSync(small, defaultCorpus({ chars: 20_000, seed: 3 }));
  const size = statSync(big).size;
  // the child writes its peak RSS (process.resourceUsage().maxRSS, KiB) to a file as it exits
  const peak = async (file) => {
    const rss = join(dir, `rss-${Math.random()}.txt`);
    const hook = `data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(${JSON.stringify(rss)},String(process.resourceUsage().maxRSS)))`;
    const r = await run(['train', file, ...SMALL, '--steps', '2', '--eval-every', '1000000', '--sample-every', '0', '--out', join(dir, 'mem.bin')], { node: ['--import', hook] });
    assert.equal(r.code, 0, r.stderr);
    return Number(readFileSync(rss, 'utf8')) * 1024;
  };
  const base = await peak(small), top = await peak(big);
  const ratio = (top - base) / size;
  t.diagnostic(`peak RSS ${(top / 1e6).toFixed(0)} MB on ${(size / 1e6).toFixed(0)} MB of text, ${(base / 1e6).toFixed(0)} MB on 20 kB: ${ratio.toFixed(2)} × the file`);
  assert.ok(ratio < 5, `${ratio.toFixed(2)} × the file`);
});

test('bin/ imports only node: built-ins, the package entry points (wasm-lstm, wasm-lstm/interop) and its own modules', () => {
  const dir = dirname(BIN);
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('wasm-lstm.js'), files.join(' '));
  for (const f of files) {
    const source = readFileSync(join(dir, f), 'utf8');
    const specifiers = [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
    if (f === 'wasm-lstm.js') assert.ok(specifiers.includes('../js/index.js'), specifiers.join(' '));
    for (const s of specifiers) {
      const ok = s.startsWith('node:') || s === '../js/index.js' || s === '../js/interop/index.js' || (/^\.\/[\w-]+\.js$/.test(s) && files.includes(s.slice(2)));
      assert.ok(ok, `${f} imports ${s}`);
    }
    assert.doesNotMatch(source, /\.test\(err\.message\)|err\.message\.match|\/\.test\(err/, `${f}: errors are classified by code and argument`);
  }
});
