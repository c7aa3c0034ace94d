// Threads: what the data-parallel pool (js/pool.js) gains, measured side by side in one run.
//
//   node bench/threads.mjs [--quick] [--threads 2] [--baseline DIR] [--json FILE] [--markdown]
//
// 1. Speed-up: for each workload, two networks with the same seed in this process, one on 1 thread
//    and one on --threads, stepped in alternating rounds (1, N, 1, N, …) so that whatever else the
//    machine runs hits both alike; wall-clock chars/s of each is the median over the rounds, the
//    speed-up their ratio. The targets of the threads issue are checked against it.
// 2. Synchronisation: the cost of one pool command (issue, the workers' wake-up, their DONE) with
//    next to no work, from a tiny network forced to split (Network[MIN_SPLIT_FLOPS] = 0): the step
//    time on N threads minus that on 1.
// 3. One thread against a baseline build (--baseline DIR: a checkout of an earlier commit with its
//    js/build/ built, e.g. `git worktree add /tmp/base main && (cd /tmp/base && bash build.sh)`):
//    the same 1-thread workloads in child processes, alternating between the two builds, chars per
//    CPU-second (steady on a shared machine); the issue allows ±3 %.
//
// 4. What the machine itself gives: one process training batch B alone, against two processes
//    training B/2 each at the same time (their timed windows start together), chars/s summed: the
//    speed-up that perfect data parallelism would get here, with no synchronisation or reduction
//    at all. On a shared VM this is below 2×; the pool's speed-up is best read against it.
//
// Writes bench/results/threads.json (or --json FILE). Needs SharedArrayBuffer and worker_threads
// (Node ≥ 20). The numbers in bench/README.md come from a full run on an otherwise idle machine.

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { syntheticTokens, formatTable, fmt, runInChild } from './util.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const V = 65;

/** The workloads of the threads issue and their targets (speed-up on 2 threads). */
export const WORKLOADS = [
  { kind: 'train', cell: 'lstm', H: 256, B: 32, T: 64, L: 1, target: 1.75 },
  { kind: 'train', cell: 'lstm', H: 128, B: 32, T: 64, L: 1, target: 1.6 },
  { kind: 'train', cell: 'lstm', H: 256, B: 32, T: 64, L: 2, target: 1.75 },
  { kind: 'train', cell: 'gru', H: 256, B: 32, T: 64, L: 1, target: 1.6 },
  { kind: 'train', cell: 'rnn', H: 256, B: 32, T: 64, L: 1, target: 1.6 },
  { kind: 'predict', cell: 'lstm', H: 256, B: 32, T: 64, L: 1, target: 1.7 },
];
const label = (w) => `${w.kind} ${w.cell} H${w.H} B${w.B} T${w.T} L${w.L}`;

/** A step function of `net` for workload `w`: returns the characters it processed. */
function stepper(net, w, { portable = false } = {}) {
  const stream = syntheticTokens(w.B * w.T + 1, V, 7);
  const x = stream.subarray(0, w.B * w.T), y = stream.subarray(1);
  if (w.kind === 'train') {
    return () => {
      const loss = net.train(x, y, { batch: w.B, steps: w.T });
      if (!Number.isFinite(loss)) throw new Error(`${label(w)}: loss ${loss}`);
      return w.B * w.T;
    };
  }
  // portable: options an earlier build (the --baseline one) also takes; the carried predict state
  // then goes from call to call, which costs the same
  const opts = portable ? { batch: w.B, steps: w.T } : { batch: w.B, steps: w.T, stateful: false };
  return () => {
    const out = net.predict(x, opts);
    if (!Number.isFinite(out[0])) throw new Error(`${label(w)}: output ${out[0]}`);
    return w.B * w.T;
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Seconds per call of `fn`, run `reps` times. */
function timeCalls(fn, reps) {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / 1000 / reps;
}

/** Part 1: chars/s on 1 and n threads in alternating rounds. */
export async function speedup(w, n, quick, root = ROOT) {
  const { Network } = await import(pathToFileURL(join(root, 'js/index.js')).href);
  const make = (threads) => Network.create({ cell: w.cell, vocab: V, hidden: w.H, layers: w.L, output: V, seed: 1, threads });
  const one = await make(1), many = await make(n);
  try {
    const s1 = stepper(one, w), sn = stepper(many, w);
    for (let i = 0; i < (quick ? 3 : 6); i++) s1(), sn(); // V8 tier-up, buffers, the workers' first commands
    const rounds = quick ? 5 : 15, reps = w.kind === 'train' ? 2 : 6;
    const t1 = [], tn = [];
    for (let r = 0; r < rounds; r++) {
      t1.push(timeCalls(s1, reps));
      tn.push(timeCalls(sn, reps));
    }
    const c = w.B * w.T;
    return { workload: label(w), threads: many.threads, note: many.threadsNote, chars1: c / median(t1), charsN: c / median(tn),
      speedup: median(t1) / median(tn), target: w.target };
  } finally {
    one.dispose();
    many.dispose();
  }
}

/** Part 2: the cost of one pool command with (next to) nothing to compute, in microseconds. */
export async function syncCost(n, quick) {
  const { Network } = await import('../js/index.js');
  const { MIN_SPLIT_FLOPS } = await import('../js/network.js');
  const saved = Network[MIN_SPLIT_FLOPS];
  Network[MIN_SPLIT_FLOPS] = 0;
  const make = (threads) => Network.create({ cell: 'lstm', vocab: 4, hidden: 2, layers: 1, output: 4, seed: 1, threads });
  const one = await make(1), many = await make(n);
  try {
    const x = new Int32Array([1, 2]), y = new Int32Array([2, 3]);
    const cases = {
      train: (net) => () => net.train(x, y, { batch: 2, steps: 1 }),
      predict: (net) => () => net.predict(x, { batch: 2, steps: 1, stateful: false }),
    };
    const out = {};
    for (const [name, mk] of Object.entries(cases)) {
      const f1 = mk(one), fn = mk(many);
      for (let i = 0; i < 2000; i++) f1(), fn();
      const a = [], b = [];
      for (let r = 0; r < (quick ? 5 : 21); r++) a.push(timeCalls(f1, 500)), b.push(timeCalls(fn, 500));
      out[name] = { oneThreadUs: median(a) * 1e6, nThreadsUs: median(b) * 1e6, overheadUs: (median(b) - median(a)) * 1e6 };
    }
    return out;
  } finally {
    Network[MIN_SPLIT_FLOPS] = saved;
    one.dispose();
    many.dispose();
  }
}

/** Part 3 (in a child process): chars per CPU-second of 1 thread with the package at `root`. */
export async function oneThread({ root, workload: w, quick }) {
  const { Network } = await import(pathToFileURL(join(root, 'js/index.js')).href);
  const net = await Network.create({ cell: w.cell, vocab: V, hidden: w.H, layers: w.L, output: V, seed: 1 });
  const step = stepper(net, w, { portable: true });
  // warm-up by time, not steps: V8 tiers hot wasm functions up (Liftoff → TurboFan) after a budget
  // of calls, and a few short steps (H = 128) may not reach it in both builds alike
  const warm = performance.now();
  while (performance.now() - warm < (quick ? 500 : 2000)) step();
  let reps = 0;
  const c0 = process.cpuUsage();
  const cpu = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
  while (cpu() < (quick ? 1 : 3)) step(), reps++;
  const c = process.cpuUsage(c0);
  net.dispose();
  return (w.B * w.T * reps) / ((c.user + c.system) / 1e6);
}

/** Part 4 (in a child process): wall chars/s of one thread training batch `B`, timed from `startAt` (ms since the epoch). */
export async function soloRate({ workload: w, B, startAt, seconds }) {
  const { Network } = await import(pathToFileURL(join(ROOT, 'js/index.js')).href);
  const net = await Network.create({ cell: w.cell, vocab: V, hidden: w.H, layers: w.L, output: V, seed: 1, threads: 1 });
  const step = stepper(net, { ...w, B });
  for (let i = 0; i < 4; i++) step();
  while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 5));
  let chars = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) chars += step();
  const rate = chars / ((performance.now() - t0) / 1000);
  net.dispose();
  return rate;
}

/** Part 4: two processes on B/2 each against one on B (median over rounds). */
export async function machineScaling(w, quick) {
  const seconds = quick ? 2 : 4, ratios = [];
  const child = (B, startAt) => runInChild(new URL(import.meta.url), 'soloRate', { workload: w, B, startAt, seconds }).then((r) => r.result);
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const one = await child(w.B, Date.now() + 5000);
    const at = Date.now() + 5000;
    const [a, b] = await Promise.all([child(w.B / 2, at), child(w.B / 2, at)]);
    ratios.push((a + b) / one);
  }
  return { workload: label(w), twoProcesses: median(ratios), rounds: ratios };
}

async function vsBaseline(baseline, quick, log) {
  const rows = [];
  for (const w of WORKLOADS.filter((x) => x.kind === 'train' || !quick)) {
    const ours = [], base = [];
    for (let r = 0; r < (quick ? 2 : 5); r++) { // alternate the builds: drift on the machine hits both
      base.push((await runInChild(new URL(import.meta.url), 'oneThread', { root: baseline, workload: w, quick })).result);
      ours.push((await runInChild(new URL(import.meta.url), 'oneThread', { root: ROOT, workload: w, quick })).result);
    }
    const row = { workload: label(w), ours: median(ours), baseline: median(base), change: median(ours) / median(base) - 1 };
    log(`  ${row.workload}: ${fmt(row.ours)} vs ${fmt(row.baseline)} chars/cpu-s (${(100 * row.change).toFixed(1)} %)`);
    rows.push(row);
  }
  return rows;
}

/**
 * Parts 1–3: the speed-ups on `n` threads, the sync cost, and (with `baseline`) one thread against
 * the baseline build. Returns what bench/results/threads.json holds.
 */
export async function runThreadsBench({ n = 2, quick = false, baseline = null, log = () => {} } = {}) {
  if (baseline && !existsSync(join(baseline, 'js/build/lstm-simd.wasm'))) {
    throw new Error(`bench/threads.mjs: ${baseline}/js/build/lstm-simd.wasm missing: build the baseline first (cd ${baseline} && bash build.sh)`);
  }
  const results = [];
  for (const w of WORKLOADS) {
    const r = await speedup(w, n, quick);
    log(`  ${r.workload}: ${fmt(r.chars1)} → ${fmt(r.charsN)} chars/s on ${r.threads} threads = ${r.speedup.toFixed(2)}× (target ${r.target}×)`);
    results.push(r);
  }
  if (n === 2) {
    for (const r of results.filter((x) => x.workload.startsWith('train'))) {
      const m = await machineScaling(WORKLOADS.find((w) => label(w) === r.workload), quick);
      r.twoProcesses = m.twoProcesses;
      log(`  ${r.workload}: two processes on B/2 each give ${m.twoProcesses.toFixed(2)}× one on B (rounds ${m.rounds.map((x) => x.toFixed(2)).join(', ')})`);
    }
  }
  const sync = await syncCost(n, quick);
  log(`  one pool command: train ${sync.train.overheadUs.toFixed(1)} µs, predict ${sync.predict.overheadUs.toFixed(1)} µs (tiny network, ${n} − 1 threads)`);
  const base = baseline ? await vsBaseline(baseline, quick, log) : null;
  return { date: new Date().toISOString(), cores: availableParallelism(), threads: n, quick, results, sync, baseline: base && { dir: baseline, rows: base } };
}

/** The tables of a runThreadsBench report, as text or markdown. */
export function threadsTables(report, { markdown = false } = {}) {
  const { results, sync, threads: n } = report;
  const out = [formatTable(['workload', '1 thread chars/s', `${n} threads chars/s`, 'speed-up', 'target', '', '2 processes, B/2 each', 'pool / 2 processes'],
    results.map((r) => [r.workload, fmt(r.chars1), fmt(r.charsN), `${r.speedup.toFixed(2)}×`, `≥ ${r.target}×`, r.speedup >= r.target ? 'met' : 'MISSED',
      r.twoProcesses ? `${r.twoProcesses.toFixed(2)}×` : '', r.twoProcesses ? `${fmt((100 * r.speedup) / r.twoProcesses)} %` : '']),
    { markdown })];
  out.push(`synchronisation per pool command (${n} threads, next to no work): train step +${sync.train.overheadUs.toFixed(1)} µs, batch predict +${sync.predict.overheadUs.toFixed(1)} µs`);
  if (report.baseline) {
    out.push(formatTable(['workload (1 thread)', 'this build chars/cpu-s', 'baseline chars/cpu-s', 'change', 'target', ''],
      report.baseline.rows.map((r) => [r.workload, fmt(r.ours), fmt(r.baseline), `${(100 * r.change).toFixed(1)} %`, '± 3 %', Math.abs(r.change) <= 0.03 ? 'met' : r.change > 0 ? 'faster' : 'MISSED']), { markdown }));
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (k) => { const i = args.indexOf(`--${k}`); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick'), markdown = args.includes('--markdown');
  const n = Number(opt('threads') ?? 2);
  const baseline = opt('baseline');
  if (baseline && !existsSync(join(baseline, 'js/build/lstm-simd.wasm'))) {
    console.error(`bench/threads.mjs: ${baseline}/js/build/lstm-simd.wasm missing: build the baseline first (cd ${baseline} && bash build.sh)`);
    process.exit(2);
  }
  const log = (s) => console.error(s);
  log(`bench/threads.mjs: 1 vs ${n} threads (${availableParallelism()} cores reported)${quick ? ', quick' : ''}`);
  const report = await runThreadsBench({ n, quick, baseline, log });
  console.log(threadsTables(report, { markdown }));
  const file = opt('json') ?? join(ROOT, 'bench/results/threads.json');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 1));
  log(`bench/threads.mjs: wrote ${file}`);
}
