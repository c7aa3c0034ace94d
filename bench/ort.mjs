// Inference against onnxruntime-web: the same model (ours, exported with wasm-lstm/interop toONNX)
// run by both, one thread each, side by side in one run.
//
//   node bench/ort.mjs [--quick] [--json FILE] [--markdown]
//
// Workloads (a char-LM: tokens in, V = 65 logits out, LSTM):
//   sample H128 L1, sample H128 L2   stateful generation, one character per call: ours
//                                    Network.stepper({softmax: true}).step(token) (the same bits
//                                    as predict(…, {batch: 1, steps: 1, softmax, lastOnly}))
//                                    carrying its state; onnxruntime InferenceSession.run with the
//                                    state fed back (inputs tokens, h0, c0 → output, h, c), the
//                                    export ending in a Softmax; both draw the next character in
//                                    JS from the probabilities
//   predict B32 T64 H128 L1, H256 L1 a batch of 32 sequences of 64 tokens from zero states:
//                                    ours predict(…, {stateful: false}); onnxruntime run
// Each (runtime, workload) runs in its own child process (bench/util.mjs runInChild), warmed up,
// then timed; the figure is characters per CPU-second (steady on a shared machine), and the
// ratio ours ÷ onnxruntime is taken within the run. Targets of the interop issue: sampling ≥ 5×,
// batch predict ≥ 1.5×. onnxruntime-web 1.30: env.wasm.numThreads = 1, its SIMD build.
// Writes bench/results/ort.json (or --json FILE).

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { measure, syntheticTokens, runInChild, formatTable, fmt } from './util.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const V = 65;

export const WORKLOADS = [
  { kind: 'sample', H: 128, L: 1, target: 5 },
  { kind: 'sample', H: 128, L: 2, target: 5 },
  { kind: 'predict', H: 128, L: 1, B: 32, T: 64, target: 1.5 },
  { kind: 'predict', H: 256, L: 1, B: 32, T: 64, target: 1.5 },
];
const label = (w) => (w.kind === 'sample' ? `sample lstm H${w.H} L${w.L}` : `predict lstm H${w.H} L${w.L} B${w.B} T${w.T}`);
const budget = (quick) => (quick ? { warmup: 3, warmupSeconds: 0.3, minReps: 3, minSeconds: 1, maxSeconds: 3 }
  : { warmup: 5, warmupSeconds: 1, minReps: 5, minSeconds: 3, maxSeconds: 8 });

async function network(w) {
  const { Network } = await import('../js/index.js');
  return Network.create({ cell: 'lstm', vocab: V, hidden: w.H, layers: w.L, output: V, seed: 1 });
}

// The next character from probabilities p, by a deterministic walk (the same cost for both).
function drawer() {
  let r = 0.5;
  return (p) => {
    r = (r + 0.6180339887) % 1;
    let c = 0, k = 0;
    for (; k < p.length - 1; k++) { c += p[k]; if (c > r) break; }
    return k;
  };
}

/** Ours, in a child process: chars per CPU-second. */
export async function runOurs({ workload: w, quick }) {
  const net = await network(w);
  let step;
  if (w.kind === 'sample') {
    const s = net.stepper({ softmax: true }), draw = drawer();
    let x = 0;
    step = () => {
      for (let i = 0; i < 200; i++) x = draw(s.step(x));
      return 200;
    };
  } else {
    const x = syntheticTokens(w.B * w.T, V, 3), opts = { batch: w.B, steps: w.T, stateful: false };
    step = () => { net.predict(x, opts); return w.B * w.T; };
  }
  const t = await measure(step, budget(quick));
  net.dispose();
  return { charsPerCpuSec: t.units / t.cpuSeconds, charsPerSec: t.units / t.seconds };
}

/** onnxruntime-web, in a child process: chars per CPU-second, and its largest difference from ours. */
export async function runOrt({ workload: w, quick }) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const { toONNX } = await import('../js/interop/index.js');
  const net = await network(w);
  const session = await ort.InferenceSession.create(toONNX(net, { softmax: w.kind === 'sample' }), { logSeverityLevel: 3 });
  const S = w.L * (w.kind === 'sample' ? 1 : w.B) * w.H;
  const zeros = new ort.Tensor('float32', new Float32Array(S), [w.L, w.kind === 'sample' ? 1 : w.B, w.H]);
  let step, check;
  if (w.kind === 'sample') {
    const draw = drawer();
    let h = zeros, c = zeros, tok = 0n;
    step = async () => {
      for (let i = 0; i < 200; i++) {
        const r = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.of(tok), [1, 1]), h0: h, c0: c });
        h = r.h, c = r.c;
        tok = BigInt(draw(r.output.data));
      }
      return 200;
    };
    // the same first probabilities as ours
    const r = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.of(0n), [1, 1]), h0: zeros, c0: zeros });
    const ours = net.predict(new Int32Array(1), { batch: 1, steps: 1, softmax: true, lastOnly: true, stateful: false });
    check = Math.max(...Array.from(ours, (v, i) => Math.abs(v - r.output.data[i])));
  } else {
    const x = syntheticTokens(w.B * w.T, V, 3);
    const tokens = new ort.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(v)), [w.B, w.T]);
    step = async () => { await session.run({ tokens, h0: zeros, c0: zeros }); return w.B * w.T; };
    const r = await session.run({ tokens, h0: zeros, c0: zeros });
    const ours = net.predict(x, { batch: w.B, steps: w.T, stateful: false });
    let m = 0;
    for (let i = 0; i < ours.length; i++) m = Math.max(m, Math.abs(ours[i] - r.output.data[i]));
    check = m;
  }
  const t = await measure(step, budget(quick));
  await session.release();
  net.dispose();
  return { charsPerCpuSec: t.units / t.cpuSeconds, charsPerSec: t.units / t.seconds, maxDiff: check };
}

/** Both runtimes on every workload, alternating child processes; returns the rows. */
export async function runOrtBench({ quick = false, log = () => {} } = {}) {
  const rows = [];
  for (const w of WORKLOADS) {
    const ours = [], theirs = [];
    let maxDiff = 0;
    for (let r = 0; r < (quick ? 1 : 2); r++) {
      ours.push((await runInChild(new URL(import.meta.url), 'runOurs', { workload: w, quick })).result);
      const o = (await runInChild(new URL(import.meta.url), 'runOrt', { workload: w, quick })).result;
      theirs.push(o);
      maxDiff = Math.max(maxDiff, o.maxDiff);
    }
    const best = (xs) => Math.max(...xs.map((x) => x.charsPerCpuSec));
    const row = { workload: label(w), ours: best(ours), ort: best(theirs), ratio: best(ours) / best(theirs), target: w.target, maxDiff };
    log(`  ${row.workload}: ours ${fmt(row.ours)}, onnxruntime-web ${fmt(row.ort)} chars/cpu-s = ${row.ratio.toFixed(1)}× (target ${w.target}×; outputs agree to ${maxDiff.toExponential(1)})`);
    rows.push(row);
  }
  return rows;
}

export function ortTable(rows, opts) {
  return formatTable(['workload', 'ours chars/cpu-s', 'onnxruntime-web chars/cpu-s', 'ours/ort', 'target', ''],
    rows.map((r) => [r.workload, fmt(r.ours), fmt(r.ort), `${r.ratio.toFixed(1)}×`, `≥ ${r.target}×`, r.ratio >= r.target ? 'met' : 'MISSED']), opts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick'), markdown = args.includes('--markdown');
  const i = args.indexOf('--json');
  const file = i >= 0 ? args[i + 1] : join(ROOT, 'bench/results/ort.json');
  console.error(`bench/ort.mjs: ours vs onnxruntime-web 1.30 (wasm, 1 thread)${quick ? ', quick' : ''}`);
  const rows = await runOrtBench({ quick, log: (s) => console.error(s) });
  console.log(ortTable(rows, { markdown }));
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), quick, rows }, null, 1));
  console.error(`bench/ort.mjs: wrote ${file}`);
}
