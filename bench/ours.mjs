// Our side of the benchmark: the same char-LM workloads as bench/peers.mjs, through the public
// `Network` API (what a user calls), one thread. Run by bench/run.mjs in a child process per
// workload, so peak RSS and V8's tier-up state are the workload's own.
//
//   node bench/ours.mjs [--quick]     (prints a table; bench/run.mjs is the full side-by-side run)

import { fileURLToPath } from 'node:url';
import { Network } from '../js/index.js';
import { DEFAULT_WORKLOADS, measure, syntheticTokens, workloadLabel, fmt, formatTable, peakRssMB } from './util.mjs';
import { flopsPerChar } from './flops.mjs';

function budget(quick) {
  return quick ? { warmup: 3, minReps: 3, minSeconds: 1.5, maxSeconds: 4 } : { warmup: 5, minReps: 5, minSeconds: 4, maxSeconds: 10 };
}

/** V8 runs new wasm code in its baseline tier first: many short calls let it tier up before timing. */
function tierUp(net, x, y, B, T) {
  const t = Math.min(4, T);
  const xs = x.subarray(0, B * t), ys = y.subarray(0, B * t);
  for (let i = 0; i < 60; i++) net.train(xs, ys, { batch: B, steps: t });
  net.resetState();
}

/**
 * Measures one workload in this process.
 * @param {{workload: import('./util.mjs').Workload, quick?: boolean, simd?: boolean}} arg
 */
export async function runOursWorkload({ workload: w, quick = false, simd = true }) {
  const net = await Network.create({ cell: w.cell, vocab: w.V, hidden: w.H, layers: w.L, output: w.V, seed: 1, simd });
  const info = { simd: net.simd, parameters: net.parameterCount };
  let step;
  if (w.kind === 'train') {
    // a char LM step: inputs are characters, targets the next characters, B streams of T
    const stream = syntheticTokens(w.B * w.T + 1, w.V, 7);
    const x = stream.subarray(0, w.B * w.T), y = stream.subarray(1, w.B * w.T + 1);
    tierUp(net, x, y, w.B, w.T);
    step = () => {
      const loss = net.train(x, y, { batch: w.B, steps: w.T });
      if (!Number.isFinite(loss)) throw new Error(`loss ${loss}`);
      return w.B * w.T;
    };
  } else {
    // stateful generation: one predict step per character, then sample from the softmax in JS
    const x = new Int32Array(1);
    const opts = { batch: 1, steps: 1, softmax: true, lastOnly: true };
    let r = 0.5;
    const chars = 200;
    step = () => {
      for (let i = 0; i < chars; i++) {
        const p = net.predict(x, opts);
        r = (r + 0.6180339887) % 1;
        let c = 0, k = 0;
        for (; k < p.length - 1; k++) { c += p[k]; if (c > r) break; }
        x[0] = k;
      }
      return chars;
    };
    for (let i = 0; i < 50; i++) step();
  }
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const rows = [];
  for (const w of DEFAULT_WORKLOADS) {
    const r = await runOursWorkload({ workload: w, quick });
    const gflops = r.charsPerSec * flopsPerChar({ cell: w.cell, V: w.V, H: w.H, L: w.L, mode: w.kind }) / 1e9;
    rows.push([workloadLabel(w), fmt(r.charsPerSec), fmt(gflops, 2), fmt(r.wasmMemoryMB, 1)]);
    console.log(rows.at(-1).join('  '));
  }
  console.log(formatTable(['workload', 'chars/s', 'GFLOP/s', 'wasm MB'], rows));
  console.log(`peak RSS ${fmt(peakRssMB())} MB`);
}
