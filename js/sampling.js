// sampling.js — from a model's logits to the next symbol: softmax with temperature, top-k and
// top-p (nucleus) filtering, greedy argmax, and one draw from a seeded PRNG (js/rng.js).
//
//   p_i = exp((z_i − max z) / τ) / Σ_j exp((z_j − max z) / τ)        (float64; the masked id gets 0)
//   top-k: keep the k largest p_i; top-p: then the smallest prefix of them (by p, ties by the lower
//   index) whose mass reaches topP of theirs; renormalise; draw i with u ~ U[0, 1): the first i
//   where the running sum of p exceeds u.
// A `masked` id (the reserved unknown symbol a CharModel added) is never produced.

import { describe } from './errors.js';
import { readOptions, intIn, numIn, typedArrayKind, typedLength, argError } from './args.js';

/**
 * Keeps the `topK` most probable entries, then the smallest set of the most probable whose total
 * is at least `topP` (the nucleus), and renormalises; everything else becomes 0. Ties are broken by
 * the lower index. `probs` need not sum to 1; it is read once (each entry a finite number ≥ 0) and
 * not modified.
 * @param {ArrayLike<number>} probs
 * @param {{topK?: number, topP?: number}} [options] topK ≥ 0 (0 or undefined: all), topP in (0, 1]
 * @returns {Float64Array}
 */
export function filterDistribution(probs, options) {
  const o = readOptions('filterDistribution options', options, ['topK', 'topP'], (message) => argError(message, 'options'));
  const topK = intIn('topK', o.topK ?? 0, 0, 2 ** 31 - 1);
  const topP = numIn('topP', o.topP ?? 1, 0, 1, { openLo: true });
  const p = readProbabilities(probs);
  filterInPlace(p, topK, topP, new Int32Array(p.length));
  return p;
}

// probs as an owned Float64Array: a typed array in one copy through its internal slots, another
// array-like with its length and each entry read once; every entry checked on the copy.
function readProbabilities(probs) {
  const kind = typedArrayKind(probs);
  let p;
  if (kind !== undefined && !kind.startsWith('Big')) {
    p = new Float64Array(typedLength(probs));
    p.set(probs);
  } else if (kind === undefined && probs !== null && typeof probs === 'object') {
    const n = probs.length; // read once (a getter may return another value the second time)
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      throw argError(`probs: expected an array or typed array of numbers, got ${describe(probs)} of length ${describe(n)}`, 'probs');
    }
    p = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = probs[i];
      if (typeof x !== 'number') throw argError(`probs: expected finite numbers ≥ 0, got ${describe(x)} at index ${i}`, 'probs');
      p[i] = x;
    }
  } else {
    throw argError(`probs: expected an array or typed array of numbers, got ${describe(probs)}`, 'probs');
  }
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] < Infinity)) throw argError(`probs: expected finite numbers ≥ 0, got number ${p[i]} at index ${i}`, 'probs');
  }
  return p;
}

/** The filter in place, for the sampler (order: scratch of p.length indices). */
export function filterInPlace(p, topK, topP, order) {
  const V = p.length;
  let total = 0;
  for (let i = 0; i < V; i++) total += p[i];
  if (!(total > 0)) throw argError(`probs: expected a positive total, got ${total}`, 'probs');
  const k = topK > 0 ? Math.min(topK, V) : V;
  if (k < V || topP < 1) {
    for (let i = 0; i < V; i++) order[i] = i;
    order.sort((a, b) => p[b] - p[a] || a - b);
    let kept = k, topKTotal = 0;
    for (let j = 0; j < k; j++) topKTotal += p[order[j]];
    if (topP < 1) { // keep j while the mass before it is below topP
      let cum = 0;
      kept = 0;
      while (kept < k && (kept === 0 || cum < topP * topKTotal)) cum += p[order[kept++]];
    }
    for (let j = kept; j < V; j++) p[order[j]] = 0;
  }
  total = 0;
  for (let i = 0; i < V; i++) total += p[i];
  for (let i = 0; i < V; i++) p[i] /= total;
  return p;
}

/** softmax(logits / temperature) in float64 into out; the entry `masked` becomes 0. */
export function softmaxInto(out, logits, temperature, masked) {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (i !== masked && logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = i === masked ? 0 : Math.exp((logits[i] - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The index of the largest logit but `masked` (the lowest index on ties). */
export function argmax(logits, masked) {
  let best = -1;
  for (let i = 0; i < logits.length; i++) {
    if (i !== masked && (best < 0 || logits[i] > logits[best])) best = i;
  }
  return best;
}

/** An index drawn from p (sums to 1) with one uniform draw of rng. */
export function draw(p, rng) {
  const u = rng.uniform();
  let cum = 0, last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) {
      cum += p[i];
      last = i;
      if (u < cum) return i;
    }
  }
  return last; // rounding: u ≥ the float64 total
}
