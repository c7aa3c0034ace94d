// The long-term dependency of "The cat, which already ate …, was full" / "The cats, which already
// ate …, were full": a classifier reads a sentence up to the verb and says "was" or "were". Only
// the subject's number decides, and a clause of 1 to 40 words stands between the subject and the
// verb, so a model has to carry one bit across the whole clause — past other nouns of either
// number. A tanh RNN, a GRU and an LSTM get the same data, size and training; the output shows
// how much of the verb's gradient reaches the subject before training (‖∂L/∂h_t‖ from
// stepGradientNorms: the LSTM's cell state carries ~10¹² times more of it than the RNN's repeated
// tanh), their validation accuracy after every epoch (the LSTM and the GRU learn to hold the bit
// within a few epochs, the RNN stays at chance for many more), then the accuracy on new sentences
// by the clause's length.
//
//   node examples/agreement/agreement.mjs [--quick] [--json FILE] [--out DIR]
//
// It builds what people bring to a sequence library: sentences of different lengths in one padded
// batch (`lengths`), one label per sequence (loss 'xent-last'), fit() with validation and early
// stopping, and predict({ lastOnly }) for the answers. --out DIR saves each model there
// (agreement-lstm.bin, …); --json FILE writes the table's numbers.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Network } from 'wasm-lstm';

export const WORDS = ['<pad>', 'the', ',', 'which', 'cat', 'cats', 'dog', 'dogs', 'bird', 'birds',
  'already', 'ate', 'a', 'bunch', 'of', 'food', 'fish', 'slept', 'in', 'sun', 'and', 'chased',
  'mice', 'yesterday', 'near', 'house', 'after', 'long', 'day', 'quietly', 'garden', 'small'];
export const SUBJECTS = [['cat', 'cats'], ['dog', 'dogs'], ['bird', 'birds']];
// The clause: filler words, and nouns of either number ("which chased the dogs near the house"),
// so the noun nearest the verb is the subject only by chance: the model has to hold the first one.
const CLAUSE = WORDS.slice(WORDS.indexOf('already')).concat(...SUBJECTS, ...SUBJECTS);
export const VERBS = ['was', 'were']; // the two classes
export const MAX_CLAUSE = 80;

/** A seeded generator of numbers in [0, 1) (an LCG: the data is the same on every machine). */
function random(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * `n` sentences "the cat(s) , which w1 … wk ," as word ids, with clause lengths k spread evenly over
 * 1..MAX_CLAUSE, and their labels (0 'was' for a singular subject, 1 'were' for a plural one).
 */
export function makeData(n, seed) {
  const rand = random(seed), id = (w) => WORDS.indexOf(w);
  const sentences = [], labels = [], clause = [];
  for (let i = 0; i < n; i++) {
    const plural = rand() < 0.5 ? 1 : 0;
    const subject = SUBJECTS[Math.floor(rand() * SUBJECTS.length)][plural];
    const k = 1 + (i % MAX_CLAUSE);
    const words = ['the', subject, ',', 'which'];
    for (let j = 0; j < k; j++) words.push(CLAUSE[Math.floor(rand() * CLAUSE.length)]);
    words.push(',');
    sentences.push(Int32Array.from(words, id));
    labels.push(plural);
    clause.push(k);
  }
  return { sentences, labels, clause };
}

export const BUCKETS = [[1, 10], [11, 40], [41, MAX_CLAUSE]];

/** Accuracy of `net` on `data` by clause-length bucket, from one padded predict call. */
export function accuracyByClause(net, data) {
  const B = data.sentences.length, T = Math.max(...data.sentences.map((s) => s.length));
  const x = new Int32Array(B * T); // padded with 0; `lengths` says where each sentence ends
  data.sentences.forEach((s, b) => x.set(s, b * T));
  const lengths = Int32Array.from(data.sentences, (s) => s.length);
  const out = net.predict(x, { batch: B, steps: T, lengths, lastOnly: true, stateful: false }); // (B, 2)
  return BUCKETS.map(([lo, hi]) => {
    let n = 0, right = 0;
    for (let b = 0; b < B; b++) {
      if (data.clause[b] < lo || data.clause[b] > hi) continue;
      n++;
      if ((out[2 * b + 1] > out[2 * b] ? 1 : 0) === data.labels[b]) right++;
    }
    return right / n;
  });
}

export async function run({ quick = false, out = null } = {}) {
  const train = makeData(4000, 1), test = makeData(1200, 2);
  const results = [];
  for (const cell of ['rnn', 'gru', 'lstm']) {
    const net = await Network.create({ cell, vocab: WORDS.length, hidden: 32, output: VERBS.length, loss: 'xent-last',
      learningRate: 3e-3, clip: { mode: 'norm', threshold: 1 }, seed: 1 });
    // before training: how much of the verb's gradient reaches the subject across the longest
    // clause, ‖∂L/∂h‖ at the subject ÷ at the last step (stepGradientNorms: the seed's vanishing
    // gradient, measured)
    const at = test.clause.indexOf(MAX_CLAUSE), longest = test.sentences[at], T = longest.length;
    const norms = net.stepGradientNorms(longest, Int32Array.of(test.labels[at]), { batch: 1, steps: T }).get(0, 0);
    const gradientRatio = norms[1] / norms[T - 1];
    const t0 = performance.now();
    const history = await net.fit(train.sentences, train.labels, { epochs: quick ? 6 : 20, batch: 32, validation: 0.15 });
    const seconds = (performance.now() - t0) / 1000;
    results.push({ cell, gradientRatio, valAccuracy: history.valAccuracy, accuracy: accuracyByClause(net, test), seconds });
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `agreement-${cell}.bin`), net.save());
    }
    net.dispose();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2), flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
  const results = await run({ quick: args.includes('--quick'), out: flag('--out') });
  const { sentences, labels } = makeData(2, 3);
  for (let i = 0; i < 2; i++) console.log(`  ${[...sentences[i]].map((w) => WORDS[w]).join(' ')} ${VERBS[labels[i]]} full`);
  const pct = (a) => `${Math.round(100 * a)}%`.padStart(5);
  console.log(`\nbefore training, the gradient at the subject ÷ at the verb across ${MAX_CLAUSE} words (‖∂L/∂h_t‖)`);
  for (const r of results) console.log(`${r.cell.padEnd(5)} ${r.gradientRatio.toExponential(1)}`);
  console.log('\nvalidation accuracy after each epoch');
  for (const r of results) console.log(`${r.cell.padEnd(5)} ${r.valAccuracy.map(pct).join('')}`);
  console.log(`\naccuracy on 1200 new sentences, by the words between the subject and the verb`);
  console.log(`cell ${BUCKETS.map(([lo, hi]) => `${lo}–${hi}`.padStart(8)).join('')}  seconds`);
  for (const r of results) console.log(`${r.cell.padEnd(4)} ${r.accuracy.map((a) => pct(a).padStart(8)).join('')}  ${r.seconds.toFixed(1).padStart(7)}`);
  const json = flag('--json');
  if (json) writeFileSync(json, JSON.stringify({ buckets: BUCKETS, results }, null, 2));
}
