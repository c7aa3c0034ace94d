// Our side of the benchmark: the same char-LM workloads as bench/peers.mjs, through the public
// `Network` API (what a user calls), one thread. Run by bench/run.mjs in a child process per
// workload, so peak RSS and V8's tier-up state are the workload's own.
//
//   node bench/ours.mjs [--quick]     (prints a table; bench/run.mjs is the full side-by-side run)

import { fileURLToPath } from 'node:url';
import { Network } from '../js/index.js';
import {
  DEFAULT_WORKLOADS, measure, syntheticTokens, workloadChars, workloadLabel, workloadLengths, fmt, formatTable, peakRssMB,
} from './util.mjs';
import { flopsPerChar } from './flops.mjs';

function budget(quick) {
  return quick ? { warmup: 3, minReps: 3, minSeconds: 1.5, maxSeconds: 4 } : { warmup: 5, minReps: 5, minSeconds: 4, maxSeconds: 10 };
}

/** V8 runs new wasm code in its baseline tier first: many short calls let it tier up before timing. */
function tierUp(step) {
  const t0 = performance.now();
  for (let i = 0; i < 20 && performance.now() - t0 < 1500; i++) step();
}

/**
 * One training step of a workload as a user writes it: a char LM (targets = the next characters,
 * a loss at every step), or a classifier (loss 'xent-last', one class per sequence, `lengths`).
 * @returns {{net: Network, step: () => number}} step returns the characters (valid steps) it trained on
 */
export async function trainer(w, { simd = true, lengths = workloadLengths(w) } = {}) {
  const classify = w.kind === 'classify';
  const net = await Network.create({
    cell: w.cell, vocab: w.V, hidden: w.H, layers: w.L, output: classify ? w.O : w.V, seed: 1, simd,
    ...(w.bi ? { bidirectional: true } : {}), ...(classify ? { loss: 'xent-last' } : {}),
  });
  const stream = syntheticTokens(w.B * w.T + 1, w.V, 7);
  const x = stream.subarray(0, w.B * w.T);
  const y = classify ? Int32Array.from({ length: w.B }, (_, b) => stream[b * w.T + 7] % w.O) : stream.subarray(1, w.B * w.T + 1);
  const opts = { batch: w.B, steps: w.T, ...(lengths ? { lengths } : {}) };
  const chars = lengths ? lengths.reduce((a, b) => a + b, 0) : w.B * w.T;
  const step = () => {
    const loss = net.train(x, y, opts);
    if (!Number.isFinite(loss)) throw new Error(`loss ${loss}`);
    return chars;
  };
  return { net, step };
}

/**
 * Measures one workload in this process.
 * @param {{workload: import('./util.mjs').Workload, quick?: boolean, simd?: boolean}} arg
 */
export async function runOursWorkload({ workload: w, quick = false, simd = true }) {
  let net, step;
  if (w.kind === 'sample') {
    net = await Network.create({ cell: w.cell, vocab: w.V, hidden: w.H, layers: w.L, output: w.V, seed: 1, simd });
    // stateful generation: one step per character (Network.stepper, the same bits as a predict
    // call of one step), then sample from the softmax in JS
    const stepper = net.stepper({ softmax: true });
    let r = 0.5, x = 0;
    const chars = 200;
    step = () => {
      for (let i = 0; i < chars; i++) {
        const p = stepper.step(x);
        r = (r + 0.6180339887) % 1;
        let c = 0, k = 0;
        for (; k < p.length - 1; k++) { c += p[k]; if (c > r) break; }
        x = k;
      }
      return chars;
    };
    for (let i = 0; i < 50; i++) step();
  } else {
    ({ net, step } = await trainer(w, { simd }));
    tierUp(step);
  }
  const info = { simd: net.simd, parameters: net.parameterCount };
  const t = await measure(step, budget(quick));
  const result = {
    charsPerSec: t.units / t.reps / t.median,
    charsPerCpuSec: t.units / t.cpuSeconds,
    steps: t.reps,
    seconds: t.seconds,
    wasmMemoryMB: net.memoryBytes / 2 ** 20,
    info,
  };
  net.dispose();
  return result;
}

/**
 * What padding costs: the same network trained on a full batch (every sequence T long) and on a
 * batch whose lengths leave half of its steps padding (workloadLengths 'half'), in alternating
 * rounds in this process. Returns the median step times and their ratio (ideal 0.5).
 * @param {{workload?: import('./util.mjs').Workload, quick?: boolean}} arg
 */
export async function runPaddingCost({ workload = { kind: 'train', cell: 'lstm', V: 65, T: 64, H: 128, B: 32, L: 1 }, quick = false } = {}) {
  const full = await trainer(workload, { lengths: null });
  const half = await trainer({ ...workload, lengths: 'half' });
  tierUp(full.step);
  tierUp(half.step);
  const rounds = quick ? 5 : 15, reps = quick ? 5 : 10;
  const tFull = [], tHalf = [];
  const time = (step) => { const t0 = performance.now(); for (let i = 0; i < reps; i++) step(); return (performance.now() - t0) / reps; };
  for (let r = 0; r < rounds; r++) { tFull.push(time(full.step)); tHalf.push(time(half.step)); }
  const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  full.net.dispose();
  half.net.dispose();
  const fullMs = median(tFull), halfMs = median(tHalf);
  return { workload: workloadLabel(workload), fullMs, halfMs, ratio: halfMs / fullMs, paddedFraction: 1 - workloadChars({ ...workload, lengths: 'half' }) / (workload.B * workload.T) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const rows = [];
  for (const w of DEFAULT_WORKLOADS) {
    const r = await runOursWorkload({ workload: w, quick });
    const gflops = r.charsPerSec * flopsPerChar({ ...w, mode: w.kind }) / 1e9;
    rows.push([workloadLabel(w), fmt(r.charsPerSec), fmt(gflops, 2), fmt(r.wasmMemoryMB, 1)]);
    console.log(rows.at(-1).join('  '));
  }
  console.log(formatTable(['workload', 'chars/s', 'GFLOP/s', 'wasm MB'], rows));
  console.log(`peak RSS ${fmt(peakRssMB())} MB`);
}
