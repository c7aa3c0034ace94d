// Shared benchmark helpers: timing with warm-up, child processes with peak RSS, tables, JSON.
// Used by bench/peers.mjs, bench/ceiling.mjs and the combined bench/run.mjs.
//
// Run as a script with `--bench-child`, this file is the child side of runInChild().

import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/**
 * A benchmark workload, one thread: a char-level language model, or a sequence classifier.
 * @typedef {object} Workload
 * @property {'train'|'sample'|'classify'} kind  train = one optimizer step on B sequences of T chars
 *   (a loss at every step); sample = stateful generation, B = 1; classify = one optimizer step on B
 *   sequences with one label each at its last valid step (loss 'xent-last', O classes)
 * @property {'lstm'|'gru'|'rnn'} cell
 * @property {number} V  vocabulary size
 * @property {number} T  sequence length (truncated BPTT window) for training
 * @property {number} H  hidden size
 * @property {number} B  batch size (sequences per step)
 * @property {number} L  layers
 * @property {boolean} [bi]  bidirectional layers (forward and reverse directions, 2H into the next layer and the head)
 * @property {'ragged'|'half'} [lengths]  per-sequence lengths (see workloadLengths); absent: every sequence is T long
 * @property {number} [O]  classes of a classify workload
 */

/**
 * Default workloads of the side-by-side benchmark (char LM, V = 65, T = 64).
 * @type {Workload[]}
 */
export const DEFAULT_WORKLOADS = [
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 128, B: 32, L: 1 },
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 256, B: 32, L: 1 },
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 128, B: 1, L: 1 },
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 128, B: 32, L: 2 },
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 256, B: 32, L: 2 },
  { kind: 'train', cell: 'gru', V: 65, T: 64, H: 128, B: 32, L: 1 },
  { kind: 'train', cell: 'rnn', V: 65, T: 64, H: 128, B: 32, L: 1 },
  { kind: 'sample', cell: 'lstm', V: 65, T: 64, H: 128, B: 1, L: 1 },
  // the layers issue: a bidirectional tagger-shaped LM, and a bidirectional classifier of ragged sequences
  { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 128, B: 32, L: 1, bi: true },
  { kind: 'classify', cell: 'lstm', V: 65, T: 64, H: 128, B: 32, L: 1, bi: true, lengths: 'ragged', O: 8 },
];

/**
 * The per-sequence lengths of a workload, or null when every sequence is T long.
 *   'ragged': seeded uniform in [T/4, T] (a classifier's padded batch; mean ≈ 5T/8);
 *   'half':   b → round((2b + 1) T / 2B), from 1 to T − 1: half of the batch's steps are padding.
 * @param {Workload} w
 * @returns {Int32Array|null}
 */
export function workloadLengths(w) {
  if (!w.lengths) return null;
  const out = new Int32Array(w.B);
  if (w.lengths === 'half') {
    for (let b = 0; b < w.B; b++) out[b] = Math.max(1, Math.round(((2 * b + 1) * w.T) / (2 * w.B)));
    return out;
  }
  if (w.lengths !== 'ragged') throw new Error(`unknown lengths '${w.lengths}' (ragged, half)`);
  const lo = Math.max(1, Math.ceil(w.T / 4));
  const r = syntheticTokens(w.B, w.T - lo + 1, 5);
  for (let b = 0; b < w.B; b++) out[b] = lo + r[b];
  return out;
}

/** Characters (valid steps) one step of a workload processes: B T, or the sum of its lengths. */
export function workloadChars(w) {
  const len = workloadLengths(w);
  return len ? len.reduce((a, b) => a + b, 0) : w.B * w.T;
}

/**
 * Short stable label of a workload, e.g. "train lstm H128 B32 L1", "classify bilstm H128 B32 L1 ragged"
 * (V, T and O are shown only when not 65/64/8).
 * @param {Workload} w
 * @returns {string}
 */
export function workloadLabel(w) {
  let s = `${w.kind} ${w.bi ? 'bi' : ''}${w.cell} H${w.H}`;
  if (w.kind !== 'sample') s += ` B${w.B}`;
  s += ` L${w.L}`;
  if (w.V !== 65) s += ` V${w.V}`;
  if (w.kind !== 'sample' && w.T !== 64) s += ` T${w.T}`;
  if (w.kind === 'classify' && w.O !== 8) s += ` O${w.O}`;
  if (w.lengths) s += ` ${w.lengths}`;
  return s;
}

/**
 * Parses a workload label as written by workloadLabel (e.g. "train gru H128 B1 L1", "sample lstm H256 L2");
 * missing fields default to V 65, T 64, B 32 for train (1 for sample), L 1.
 * @param {string} label
 * @returns {Workload}
 */
export function parseWorkload(label) {
  const [kind, cellName, ...rest] = label.trim().split(/\s+/);
  const bi = /^bi(lstm|gru|rnn)$/.test(cellName ?? '');
  const cell = bi ? cellName.slice(2) : cellName;
  if (!['train', 'sample', 'classify'].includes(kind) || !['lstm', 'gru', 'rnn'].includes(cell)) throw new Error(`bad workload '${label}'`);
  const w = { kind, cell, V: 65, T: 64, H: 128, B: kind === 'sample' ? 1 : 32, L: 1 };
  if (bi) w.bi = true;
  if (kind === 'classify') w.O = 8;
  for (const f of rest) {
    if (f === 'ragged' || f === 'half') { w.lengths = f; continue; }
    const m = /^([VTHBLO])(\d+)$/.exec(f);
    if (!m) throw new Error(`bad workload field '${f}' in '${label}'`);
    w[m[1]] = Number(m[2]);
  }
  if (kind === 'sample') w.B = 1;
  return w;
}

/**
 * Deterministic pseudo-random token stream (uniform over [0, V)) to train on: throughput does not
 * depend on the text, and every peer sees the same kind of data.
 * @param {number} n  length
 * @param {number} V  vocabulary size
 * @param {number} [seed=1]
 * @returns {Int32Array}
 */
export function syntheticTokens(n, V, seed = 1) {
  let s = seed >>> 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * V);
  }
  return out;
}

/**
 * Times a step function after warming it up (V8 tier-up, graph/kernel caches, allocator).
 * Runs untimed calls until both `warmup` calls and `warmupSeconds` of process CPU time are done (CPU
 * time, so that a busy machine does not shorten the warm-up), then timed calls until
 * at least `minReps` calls and `minSeconds` have passed, or `maxReps` calls, or `maxSeconds`.
 * `step` may be async; if it returns a number (e.g. the characters it processed), `units` is the
 * sum over the timed calls. `cpuSeconds` is the process CPU time (all threads) over the timed calls:
 * unlike wall time it barely grows when other processes compete for the cores, so units / cpuSeconds
 * is the steadier figure on a shared machine (V8's GC/compiler threads count in it, for everyone).
 * @param {() => unknown} step
 * @param {{warmup?: number, warmupSeconds?: number, minReps?: number, maxReps?: number, minSeconds?: number, maxSeconds?: number}} [opts]
 * @returns {Promise<{reps: number, seconds: number, mean: number, best: number, median: number, units: number, cpuSeconds: number}>}
 *   seconds = total timed wall time; mean/best/median = seconds per call
 */
export async function measure(step, opts = {}) {
  const { warmup = 1, warmupSeconds = 0, minReps = 1, maxReps = Infinity, minSeconds = 1, maxSeconds = Infinity } = opts;
  const w0 = process.cpuUsage();
  const warmCpu = () => { const d = process.cpuUsage(w0); return (d.user + d.system) / 1e6; };
  for (let i = 0; i < warmup || warmCpu() < warmupSeconds; i++) await step();
  const times = [];
  let total = 0;
  let units = 0;
  const cpu0 = process.cpuUsage();
  while (times.length < maxReps && (times.length < minReps || total < minSeconds) && total < maxSeconds) {
    const t0 = performance.now();
    const u = await step();
    const dt = (performance.now() - t0) / 1000;
    units += typeof u === 'number' ? u : NaN;
    times.push(dt);
    total += dt;
  }
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    reps: times.length,
    seconds: total,
    mean: total / times.length,
    best: sorted[0],
    median: sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2,
    units,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Current resident set size of this process, MB. @returns {number} */
export function rssMB() {
  return process.memoryUsage().rss / 2 ** 20;
}

/** Peak resident set size of this process since it started (getrusage ru_maxrss), MB. @returns {number} */
export function peakRssMB() {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Calls `exportName(arg)` of the ES module `moduleUrl` in a fresh Node child process, so that its
 * memory (peak RSS) and JIT state are its own. Output of the child is captured, and shown in the
 * error if the child fails. Children run one at a time only if the caller awaits each call.
 * @param {string|URL} moduleUrl  absolute file: URL of the module (e.g. `new URL('./peers.mjs', import.meta.url)`)
 * @param {string} exportName  an async or sync exported function taking one structured-cloneable argument
 * @param {unknown} arg
 * @param {{timeoutSeconds?: number, execArgv?: string[]}} [opts]
 * @returns {Promise<{result: any, peakRssMB: number, rssMB: number, output: string}>}
 *   peakRssMB = the child's peak RSS over its whole life (Node itself is ~40 MB of it)
 */
export function runInChild(moduleUrl, exportName, arg, opts = {}) {
  const { timeoutSeconds = 600, execArgv = [] } = opts;
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--bench-child'], { silent: true, execArgv, serialization: 'advanced' });
    let output = '';
    let reply = null;
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutSeconds} s]`;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('message', (m) => { reply = m; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply && reply.ok) resolve({ result: reply.result, peakRssMB: reply.peakRssMB, rssMB: reply.rssMB, output });
      else {
        const why = reply ? reply.error : `exit ${code ?? signal}`;
        reject(new Error(`${exportName} in child failed: ${why}\n${output.trim()}`));
      }
    });
    child.send({ moduleUrl: String(moduleUrl), exportName, arg });
  });
}

async function childMain() {
  process.once('message', async ({ moduleUrl, exportName, arg }) => {
    let msg;
    try {
      const mod = await import(moduleUrl);
      const result = await mod[exportName](arg);
      msg = { ok: true, result, rssMB: rssMB(), peakRssMB: peakRssMB() };
    } catch (e) {
      msg = { ok: false, error: (e && e.stack) || String(e) };
    }
    process.send(msg, () => process.exit(0));
  });
}

/**
 * Formats rows as an aligned text table, or as a GitHub markdown table. Numbers are right-aligned.
 * @param {string[]} header
 * @param {Array<Array<string|number>>} rows  cells; numbers are shown as given by fmt() beforehand if wanted
 * @param {{markdown?: boolean}} [opts]
 * @returns {string}
 */
export function formatTable(header, rows, { markdown = false } = {}) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const right = header.map((_, j) => rows.some((r) => typeof r[j] === 'number' || /^[\d.,~+-]+[a-z%x×]*$/i.test(String(r[j]))));
  const width = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const pad = (s, j) => (right[j] ? s.padStart(width[j]) : s.padEnd(width[j]));
  const line = (r) => (markdown ? `| ${r.map(pad).join(' | ')} |` : r.map(pad).join('  ').trimEnd());
  const rule = markdown
    ? `|${width.map((w, j) => (right[j] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
    : width.map((w) => '-'.repeat(w)).join('  ');
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/**
 * Formats a number for tables: thousands separators, `digits` significant-ish decimals for small values.
 * @param {number} x
 * @param {number} [digits=0]  decimals
 * @returns {string}
 */
export function fmt(x, digits = 0) {
  if (x == null || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Writes `data` as pretty JSON, creating the directory.
 * @param {string|URL} path
 * @param {unknown} data
 */
export async function writeJSON(path, data) {
  const p = path instanceof URL ? fileURLToPath(path) : path;
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, JSON.stringify(data, null, 2) + '\n');
}

/** What the numbers were measured on, for result files. @returns {object} */
export function machineInfo() {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    platform: `${process.platform}-${process.arch}`,
  };
}

if (process.argv[1] === SELF && process.argv[2] === '--bench-child') childMain();
