// agree-worker.js — one side of the RNN-vs-LSTM experiment, in its own module Web Worker.
//
// The task is the seed's "The cat, which …, was full / The cats, which …, were full" as word
// sequences (agreementTask of the package): the verb stands `d` words after its subject, and the
// words in between contain nouns of either number as distractors. The network is a next-word
// model trained on every position (a language model, as in the seed). Training mixes distances
// 2..max so that both cells see short and long dependencies. We measure:
//   accuracy  on fixed test sentences per distance: is the logit of the right verb (was/were)
//             above the wrong one at the position that predicts the verb?
//   gradient  ‖∂L/∂h_t‖ of layer 1 for a loss on the verb only (Network.stepGradientNorms), at
//             every word between the subject and the verb: the vanishing-gradient picture.
//
// In:  run {cell, hidden, steps, maxDistance, clip, learningRate, batch, seed, evalEvery} | stop
// Out: progress {step, steps, loss} | measure {step, acc: [[d, accuracy]], grad: [[back, norm]]}
//      | done {step, ms} | error {text}

import { Network, agreementTask } from '../js/index.js';

const DISTANCES = [2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 48, 56, 64];
const TEST_COUNT = 256, GRAD_COUNT = 64;
const SLICE_MS = 40;

let job = 0; // the current run; a new run or stop increments it

const post = (type, data = {}) => self.postMessage({ type, ...data });
const sleep0 = () => new Promise((resolve) => setTimeout(resolve, 0));

function distancesUpTo(max) {
  const ds = DISTANCES.filter((d) => d < max);
  ds.push(max);
  return ds;
}

function accuracy(net, sets) {
  return sets.map((t) => {
    const V = t.vocab.length, T = t.length;
    net.resetState('predict');
    const y = net.predict(t.tokens, { batch: t.count, steps: T });
    let ok = 0;
    for (let b = 0; b < t.count; b++) {
      const at = (b * T + t.verbIndex - 1) * V; // the output that predicts the verb
      const saysPlural = y[at + t.were] > y[at + t.was];
      if (saysPlural === (t.plural[b] === 1)) ok++;
    }
    return [t.distance, ok / t.count];
  });
}

// ‖∂L/∂h_t‖ / ‖∂L/∂h_verb‖ for t from the word before the verb back to the subject, where L is the
// loss on the verb alone; `back` counts words back from the verb (1 = the word before it). For the
// LSTM also ‖∂L/∂c_t‖ (same reference): the gradient travelling back along the cell state.
function gradient(net, g) {
  const r = net.stepGradientNorms(g.tokens, g.verbTargets, { batch: g.count, steps: g.length });
  const n = r.get(0), c = r.getCell ? r.getCell(0) : null;
  const at = g.verbIndex - 1; // the step whose output predicts the verb
  const ref = n[at] || 1;
  const h = [], cell = [];
  for (let t = at; t >= 1; t--) {
    h.push([at - t + 1, n[t] / ref]);
    if (c) cell.push([at - t + 1, c[t] / ref]);
  }
  return { h, cell };
}

async function run(o, id) {
  const t0 = performance.now();
  const probe = agreementTask({ distance: 2, count: 1 });
  const V = probe.vocab.length;
  const net = await Network.create({
    cell: o.cell, vocab: V, output: V, hidden: o.hidden, layers: 1, loss: 'xent', seed: o.seed,
    optimizer: 'adam', learningRate: o.learningRate, clip: { mode: 'norm', threshold: o.clip },
  });
  try {
    const ds = distancesUpTo(o.maxDistance);
    const tests = ds.map((d) => agreementTask({ distance: d, count: TEST_COUNT, seed: 900_000 + d }));
    const gset = agreementTask({ distance: o.maxDistance, count: GRAD_COUNT, seed: 424_242 });
    const report = (step) => {
      const { h, cell } = gradient(net, gset);
      post('measure', { step, acc: accuracy(net, tests), grad: h, cgrad: cell });
    };
    report(0);
    let step = 0, lossSum = 0, lossN = 0;
    while (step < o.steps) {
      const s0 = performance.now();
      while (step < o.steps && performance.now() - s0 < SLICE_MS) {
        const d = ds[(step * 7 + (step >> 3)) % ds.length]; // every distance, in a scrambled order
        const t = agreementTask({ distance: d, count: o.batch, seed: (o.seed * 100_003 + step) >>> 0 });
        net.resetState('train'); // sentences are independent: no carried state
        lossSum += net.train(t.tokens, t.targets, { batch: o.batch, steps: t.length });
        lossN++;
        step++;
        if (step % o.evalEvery === 0 || step === o.steps) report(step);
      }
      post('progress', { step, steps: o.steps, loss: lossSum / Math.max(1, lossN) });
      lossSum = 0;
      lossN = 0;
      await sleep0();
      if (job !== id) return;
    }
    post('done', { step, ms: performance.now() - t0 });
  } finally {
    net.dispose();
  }
}

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === 'stop') {
    job++;
    return;
  }
  if (msg.type === 'run') {
    const id = ++job;
    try {
      await run(msg, id);
    } catch (err) {
      post('error', { text: err?.message ?? String(err) });
    }
  }
};
