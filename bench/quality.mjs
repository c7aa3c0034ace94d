// Quality of character models for a time budget: validation loss (nats per character) against
// minutes of training on Tiny Shakespeare, first 90% train, last 10% validation, one thread.
//
//   node bench/quality.mjs --minutes 3 [--threads 1] [--label name]
//       what a user gets: CharModel.create({ text, minutes, valFraction: 0.1 }) (the size for
//       the budget, CharModel.configFor) and train({ minutes }) (its 'auto' warm-up + cosine
//       schedule by elapsed time, and an evaluation after every quarter of the budget, all in
//       the budget's wall-clock time); --hidden, --layers, --batch, --seq, --lr, --dropout,
//       --cell override the sized config
//   node bench/quality.mjs --manual --minutes 15 [--warmup 200] [--final 0.05] [--every 1]
//       [--step-ms ms] [...]
//       for exploring: our own loop (warm-up over --warmup steps, then a cosine down to
//       --final × lr at the end of the budget), evaluation every --every minutes with the clock
//       stopped, and with --step-ms a virtual clock of that many ms per step (for a busy machine,
//       with a step time measured on a quiet one; the result says "virtual": true)
//
// Writes bench/results/quality-<label>.json and prints the curve. The curves in bench/README.md
// are from the first form, on an otherwise idle machine.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CharModel } from '../js/index.js';

const args = process.argv.slice(2);
const has = (name) => args.includes(`--${name}`);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = args[i + 1];
  return typeof def === 'number' || def === undefined && /^[\d.e+-]+$/.test(v) ? Number(v) : v;
};
const manual = has('manual');
const minutes = opt('minutes', 3), threads = opt('threads', 1);
const overrides = Object.fromEntries(Object.entries({
  cell: opt('cell'), hidden: opt('hidden'), layers: opt('layers'), batch: opt('batch'), seqLength: opt('seq'),
  learningRate: opt('lr'), dropout: opt('dropout'),
}).filter(([, v]) => v !== undefined));
const textPath = fileURLToPath(new URL('../../shared/data/tinyshakespeare.txt', import.meta.url));
let text;
try {
  text = readFileSync(textPath, 'utf8');
} catch {
  console.error(`bench/quality.mjs: ${textPath} not found: skipped (it is the shared Tiny Shakespeare text)`);
  process.exit(0);
}

const model = await CharModel.create({ text, minutes, threads, valFraction: 0.1, seed: 1, ...overrides });
const cfg = model.config;
const label = opt('label', `${manual ? 'manual-' : ''}${cfg.cell}${cfg.layers}x${cfg.hidden}-b${cfg.batch}-t${cfg.seqLength}-lr${cfg.learningRate}-${minutes}m${threads > 1 ? `-${threads}t` : ''}`);
const curve = [];
const point = (min, steps, loss) => {
  curve.push({ minutes: min, steps, valLoss: loss, bitsPerChar: loss / Math.LN2 });
  console.log(`${min.toFixed(2).padStart(6)} min  step ${String(steps).padStart(6)}  val ${loss.toFixed(4)} nats/char  (${(loss / Math.LN2).toFixed(3)} bits)`);
};
point(0, 0, model.evaluate().loss);
let steps, trainedMs, stepMs = 0;

if (!manual) {
  // what a user gets
  const t0 = performance.now();
  const history = await model.train({
    minutes,
    onProgress: (p) => { if (p.valLoss !== undefined) point(p.elapsed / 60, p.step, p.valLoss); },
  });
  steps = history.steps;
  trainedMs = performance.now() - t0;
} else {
  const warmup = opt('warmup', 200), final = opt('final', 0.05), every = opt('every', 1);
  stepMs = opt('step-ms', 0);
  const net = model.network, lr = cfg.learningRate, budget = minutes * 60_000;
  const lrAt = (step, frac) => (step < warmup ? lr * (step + 1) / (warmup + 1)
    : lr * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, frac)))));
  let trained = 0, nextEval = every * 60_000;
  steps = 0;
  while (trained < budget) {
    net.setTrainingConfig({ learningRate: Math.max(1e-6, lrAt(steps, trained / budget)) });
    const t0 = performance.now();
    model.trainSteps(1);
    trained += stepMs > 0 ? stepMs : performance.now() - t0;
    steps++;
    if (trained >= nextEval && trained < budget) {
      point(trained / 60_000, steps, model.evaluate().loss);
      nextEval += every * 60_000;
    }
  }
  point(trained / 60_000, steps, model.evaluate().loss);
  trainedMs = trained;
}
const charsPerSecond = (steps * cfg.batch * cfg.seqLength) / (trainedMs / 1000);
const out = {
  label, mode: manual ? 'manual' : 'api', minutes, threads: model.network.threads, config: cfg, virtual: stepMs > 0,
  date: new Date().toISOString(), steps, charsPerSecond, final: curve.at(-1), curve,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/quality-${label}.json`, import.meta.url), JSON.stringify(out, null, 1));
console.log(`${label}: ${steps} steps, ${Math.round(charsPerSecond)} chars/s, final validation ${curve.at(-1).valLoss.toFixed(4)} nats/char`);
model.dispose();
