// `npm run bench`: the side-by-side benchmark. In ONE run, on one thread each, on this machine:
//   1. the wasm SIMD f32x4 mul+add ceiling (bench/ceiling.mjs),
//   2. ours on every workload (bench/ours.mjs, a child process per workload),
//   3. the peers on the same workloads (bench/peers.mjs: TF.js wasm and cpu, brain.js),
// then ratios ours/peer computed pair by pair within this run, and the targets of the performance
// issue with the figure reached and by how much a missed one is missed.
//
//   node bench/run.mjs [--quick] [--no-peers] [--markdown]
// Prints tables and writes bench/results/bench.json.

import { fileURLToPath } from 'node:url';
import { measureCeiling } from './ceiling.mjs';
import { runPeers } from './peers.mjs';
import { flopsPerChar } from './flops.mjs';
import { DEFAULT_WORKLOADS, fmt, formatTable, machineInfo, runInChild, workloadLabel, writeJSON } from './util.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const markdown = args.includes('--markdown');
const withPeers = !args.includes('--no-peers');
for (const a of args) {
  if (!['--quick', '--markdown', '--no-peers'].includes(a)) {
    console.error(`bench/run.mjs: unknown argument '${a}' (expected --quick, --no-peers, --markdown)`);
    process.exit(2);
  }
}
const log = (s) => console.log(s);

log(`wasm-lstm benchmark${quick ? ' (quick)' : ''}: ${machineInfo().cpu}, Node ${process.version}, one thread`);

// ---- 1. ceiling
const ceiling = await measureCeiling({ quick });
log(`wasm SIMD f32x4 mul+add ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s`);

// ---- 2. ours
const ours = [];
for (const w of DEFAULT_WORKLOADS) {
  const { result, peakRssMB } = await runInChild(new URL('./ours.mjs', import.meta.url), 'runOursWorkload', { workload: w, quick });
  const fpc = flopsPerChar({ cell: w.cell, V: w.V, H: w.H, L: w.L, mode: w.kind });
  const row = { workload: workloadLabel(w), ...w, ...result, gflops: (result.charsPerSec * fpc) / 1e9, peakRssMB };
  ours.push(row);
  log(`ours  ${row.workload.padEnd(24)} ${fmt(row.charsPerSec).padStart(8)} chars/s  ${fmt(row.gflops, 2)} GFLOP/s  wasm ${fmt(row.wasmMemoryMB, 1)} MB  RSS ${fmt(peakRssMB)} MB`);
}

// ---- 3. peers
let peers = { results: [] };
if (withPeers) {
  log('peers (each workload in its own child process; brain.js only at batch 1):');
  peers = await runPeers({ quick, workloads: DEFAULT_WORKLOADS, log: (s) => log(`peer  ${s}`) });
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
const targets = [
  { what: 'train LSTM H=128 B=32 T=64', target: '≥ 25,000 chars/s', value: t128.charsPerSec, ok: t128.charsPerSec >= 25000, need: 25000 },
  { what: '  … vs TF.js wasm in this run (per CPU-second)', target: '≥ 10×', value: tfw ? t128.charsPerCpuSec / tfw.charsPerCpuSec : NaN, ok: tfw ? t128.charsPerCpuSec / tfw.charsPerCpuSec >= 10 : null, need: 10, unit: '×' },
  { what: 'train LSTM H=256 B=32', target: '≥ 7,500 chars/s', value: find('train lstm H256 B32 L1').charsPerSec, need: 7500 },
  { what: 'train LSTM H=128 B=1', target: '≥ 8,000 chars/s', value: find('train lstm H128 B1 L1').charsPerSec, need: 8000 },
  { what: 'sample LSTM H=128, stateful', target: '≥ 50,000 chars/s', value: find('sample lstm H128 L1').charsPerSec, need: 50000 },
  { what: 'wasm memory, H=128 B=32 T=64 training', target: '≤ 8 MB', value: t128.wasmMemoryMB, need: 8, unit: ' MB', max: true },
  { what: 'GFLOP/s in H=128 B=32 training', target: '≥ 45% of ceiling', value: (100 * t128.gflops) / ceiling.gflops, need: 45, unit: '%' },
];
for (const t of targets) {
  if (t.ok === undefined) t.ok = t.max ? t.value <= t.need : t.value >= t.need;
  if (t.ok === false) t.missBy = t.max ? `${fmt((100 * (t.value - t.need)) / t.need)}% over` : `${fmt((100 * (t.need - t.value)) / t.need)}% short`;
}
const targetRows = targets.map((t) => [t.what, t.target,
  Number.isFinite(t.value) ? `${fmt(t.value, t.unit === '×' || t.unit === ' MB' ? 1 : 0)}${t.unit ?? ''}` : 'n/a',
  t.ok === null ? 'no peer' : t.ok ? 'met' : `MISSED (${t.missBy})`]);

log('');
log(`ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s (wasm SIMD f32x4 mul+add, this run)`);
log(formatTable(header, rows, { markdown }));
log('');
log(formatTable(['target', 'wanted', 'reached', ''], targetRows, { markdown }));

const out = new URL('./results/bench.json', import.meta.url);
await writeJSON(out, { meta: { ...machineInfo(), quick }, ceiling, ours, peers, targets });
log(`\nwrote ${fileURLToPath(out)}`);
