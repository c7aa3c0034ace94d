// `npm run bench`: the side-by-side benchmark. In ONE run, on this machine:
//   1. the wasm SIMD f32x4 mul+add ceiling (bench/ceiling.mjs),
//   2. ours on every workload, one thread (bench/ours.mjs, a child process per workload), and what
//      padding costs (a batch with half its steps padding against a full one),
//   3. the peers on the same workloads (bench/peers.mjs: TF.js wasm and cpu, brain.js),
//   4. onnxruntime-web on the same ONNX model (bench/ort.mjs: stateful sampling, batch inference),
//   5. 1 against N threads (bench/threads.mjs; with --baseline DIR also one thread against the
//      build in DIR, e.g. the previous commit's),
// then ratios computed pair by pair within this run, and the targets of the issues with the figure
// reached and by how much a missed one is missed.
//
//   node bench/run.mjs [--quick] [--no-peers] [--no-ort] [--no-threads] [--baseline DIR] [--markdown]
// Prints tables and writes bench/results/bench.json.

import { fileURLToPath } from 'node:url';
import { measureCeiling } from './ceiling.mjs';
import { runPeers } from './peers.mjs';
import { runOrtBench, ortTable } from './ort.mjs';
import { runThreadsBench, threadsTables } from './threads.mjs';
import { flopsPerChar } from './flops.mjs';
import { DEFAULT_WORKLOADS, fmt, formatTable, machineInfo, runInChild, workloadLabel, writeJSON } from './util.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const markdown = args.includes('--markdown');
const withPeers = !args.includes('--no-peers');
const withOrt = !args.includes('--no-ort');
const withThreads = !args.includes('--no-threads');
const bi = args.indexOf('--baseline');
const baseline = bi >= 0 ? args[bi + 1] : null;
for (const [i, a] of args.entries()) {
  if (i === bi + 1 && bi >= 0) continue;
  if (!['--quick', '--markdown', '--no-peers', '--no-ort', '--no-threads', '--baseline'].includes(a)) {
    console.error(`bench/run.mjs: unknown argument '${a}' (expected --quick, --no-peers, --no-ort, --no-threads, --baseline DIR, --markdown)`);
    process.exit(2);
  }
}
if (bi >= 0 && !baseline) {
  console.error('bench/run.mjs: --baseline needs a directory (a checkout with js/build/ built)');
  process.exit(2);
}
const log = (s) => console.log(s);

log(`wasm-lstm benchmark${quick ? ' (quick)' : ''}: ${machineInfo().cpu}, Node ${process.version}`);

// ---- 1. ceiling
const ceiling = await measureCeiling({ quick });
log(`wasm SIMD f32x4 mul+add ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s`);

// ---- 2. ours
const ours = [];
for (const w of DEFAULT_WORKLOADS) {
  const { result, peakRssMB } = await runInChild(new URL('./ours.mjs', import.meta.url), 'runOursWorkload', { workload: w, quick });
  const fpc = flopsPerChar({ ...w, mode: w.kind });
  const row = { workload: workloadLabel(w), ...w, ...result, gflops: (result.charsPerSec * fpc) / 1e9, peakRssMB };
  ours.push(row);
  log(`ours  ${row.workload.padEnd(34)} ${fmt(row.charsPerSec).padStart(8)} chars/s  ${fmt(row.gflops, 2)} GFLOP/s  wasm ${fmt(row.wasmMemoryMB, 1)} MB  RSS ${fmt(peakRssMB)} MB`);
}
const padding = (await runInChild(new URL('./ours.mjs', import.meta.url), 'runPaddingCost', { quick })).result;
log(`ours  padding: ${padding.workload}, half of the steps padding: ${fmt(padding.halfMs, 1)} ms per step against ${fmt(padding.fullMs, 1)} ms full = ${padding.ratio.toFixed(2)}`);

// ---- 3. peers
let peers = { results: [] };
if (withPeers) {
  log('peers (each workload in its own child process; brain.js only at batch 1):');
  peers = await runPeers({ quick, workloads: DEFAULT_WORKLOADS, log: (s) => log(`peer  ${s}`) });
}

// ---- 4. onnxruntime-web
let ort = null;
if (withOrt) {
  log('onnxruntime-web 1.30 (wasm SIMD, 1 thread) on the same ONNX model, alternating child processes:');
  ort = await runOrtBench({ quick, log });
}

// ---- 5. threads
let threads = null;
if (withThreads) {
  log('threads: 1 against 2 threads, alternating rounds in one process:');
  threads = await runThreadsBench({ n: 2, quick, baseline, log });
}

// ---- ratios, pair by pair
const peerNames = [...new Set(peers.results.map((r) => r.peer))];
// Ratios use chars per CPU-second: on a shared machine wall time also counts the time other
// processes held the core, CPU time barely does (both are in bench/results/bench.json).
const rows = ours.map((o) => {
  const cells = [o.workload, fmt(o.charsPerSec), fmt(o.charsPerCpuSec), fmt(o.gflops, 2), `${fmt((100 * o.gflops) / ceiling.gflops)}%`];
  for (const p of peerNames) {
    const r = peers.results.find((x) => x.peer === p && x.workload === o.workload);
    cells.push(!r || r.na ? 'n/a' : `${fmt(r.charsPerCpuSec)} (${fmt(o.charsPerCpuSec / r.charsPerCpuSec, 1)}×)`);
    if (r && !r.na) o[`ratio_${p}`] = o.charsPerCpuSec / r.charsPerCpuSec;
  }
  return cells;
});
const header = ['workload', 'ours chars/s', 'ours chars/cpu-s', 'GFLOP/s', '% ceiling', ...peerNames.map((p) => `${p} chars/cpu-s (ours/peer)`)];

// ---- targets (this 2-core VM, Node 20, one thread)
const find = (label) => ours.find((o) => o.workload === label);
const peerOf = (label, peer) => peers.results.find((r) => r.workload === label && r.peer === peer && !r.na);
const t128 = find('train lstm H128 B32 L1');
const tfw = peerOf('train lstm H128 B32 L1', 'tfjs-wasm');
// the layers issue's targets are against the faster of TF.js's two wasm ways (hand-written ops, tf.layers)
const bestTf = (label) => {
  const rs = ['tfjs-wasm', 'tfjs-wasm-layers'].map((p) => peerOf(label, p)).filter(Boolean);
  return rs.length ? rs.reduce((a, b) => (a.charsPerCpuSec >= b.charsPerCpuSec ? a : b)) : null;
};
const vsTf = (label) => { const o = find(label), p = bestTf(label); return p ? o.charsPerCpuSec / p.charsPerCpuSec : NaN; };
const biLabel = 'train bilstm H128 B32 L1', clsLabel = 'classify bilstm H128 B32 L1 ragged';
const targets = [
  { what: 'train LSTM H=128 B=32 T=64', target: '≥ 25,000 chars/s', value: t128.charsPerSec, ok: t128.charsPerSec >= 25000, need: 25000 },
  { what: '  … vs TF.js wasm in this run (per CPU-second)', target: '≥ 10×', value: tfw ? t128.charsPerCpuSec / tfw.charsPerCpuSec : NaN, ok: tfw ? t128.charsPerCpuSec / tfw.charsPerCpuSec >= 10 : null, need: 10, unit: '×' },
  { what: 'train LSTM H=256 B=32', target: '≥ 7,500 chars/s', value: find('train lstm H256 B32 L1').charsPerSec, need: 7500 },
  { what: 'train LSTM H=128 B=1', target: '≥ 8,000 chars/s', value: find('train lstm H128 B1 L1').charsPerSec, need: 8000 },
  { what: 'sample LSTM H=128, stateful', target: '≥ 50,000 chars/s', value: find('sample lstm H128 L1').charsPerSec, need: 50000 },
  { what: 'wasm memory, H=128 B=32 T=64 training', target: '≤ 8 MB', value: t128.wasmMemoryMB, need: 8, unit: ' MB', max: true },
  { what: 'GFLOP/s in H=128 B=32 training', target: '≥ 45% of ceiling', value: (100 * t128.gflops) / ceiling.gflops, need: 45, unit: '%' },
  { what: 'train BiLSTM H=128 B=32 T=64 vs TF.js wasm (faster way, per CPU-s)', target: '≥ 10×', value: vsTf(biLabel), ok: withPeers ? vsTf(biLabel) >= 10 : null, need: 10, unit: '×' },
  { what: 'classify BiLSTM H=128 B=32, ragged, vs TF.js wasm (faster way, per CPU-s)', target: '≥ 10×', value: vsTf(clsLabel), ok: withPeers ? vsTf(clsLabel) >= 10 : null, need: 10, unit: '×' },
  { what: 'GFLOP/s in BiLSTM H=128 B=32 training', target: '≥ 70% of ceiling', value: (100 * find(biLabel).gflops) / ceiling.gflops, need: 70, unit: '%' },
  { what: 'step time, half the steps padding / none (LSTM H=128 B=32 T=64)', target: '≈ 0.5 (≤ 0.55)', value: padding.ratio, need: 0.55, max: true, unit: '' },
  ...(ort ?? []).map((r) => ({ what: `${r.workload} vs onnxruntime-web (per CPU-s)`, target: `≥ ${r.target}×`, value: r.ratio, need: r.target, unit: '×' })),
  ...(threads?.results ?? []).map((r) => ({ what: `${r.workload}: 2 threads / 1 thread`, target: `≥ ${r.target}×`, value: r.speedup, need: r.target, unit: '×' })),
  ...(threads?.baseline?.rows ?? []).map((r) => ({ what: `${r.workload}, 1 thread, against the baseline build`, target: '± 3 %', value: 100 * r.change, ok: r.change >= -0.03, missBy: 'slower', need: -3, unit: ' %' })),
];
for (const t of targets) {
  if (t.ok === undefined) t.ok = t.max ? t.value <= t.need : t.value >= t.need;
  if (t.ok === false && !t.missBy) t.missBy = t.max ? `${fmt((100 * (t.value - t.need)) / t.need)}% over` : `${fmt((100 * (t.need - t.value)) / t.need)}% short`;
}
const targetRows = targets.map((t) => [t.what, t.target,
  Number.isFinite(t.value) ? `${fmt(t.value, t.unit === '×' || t.unit === ' MB' || t.unit === ' %' ? 1 : t.unit === '' ? 2 : 0)}${t.unit ?? ''}` : 'n/a',
  t.ok === null ? 'no peer' : t.ok ? 'met' : `MISSED (${t.missBy})`]);

log('');
log(`ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s (wasm SIMD f32x4 mul+add, this run)`);
log(formatTable(header, rows, { markdown }));
if (ort) {
  log('');
  log(ortTable(ort, { markdown }));
}
if (threads) {
  log('');
  log(threadsTables(threads, { markdown }));
}
log('');
log(formatTable(['target', 'wanted', 'reached', ''], targetRows, { markdown }));

const out = new URL('./results/bench.json', import.meta.url);
await writeJSON(out, { meta: { ...machineInfo(), quick }, ceiling, ours, padding, peers, ort, threads, targets });
log(`\nwrote ${fileURLToPath(out)}`);
