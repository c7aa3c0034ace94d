// datasets.js — the package's built-in data, as public functions whose options are read once and
// checked (LstmError 'arg' naming the option), over the generators of corpus.js:
//
//   defaultCorpus({seed, chars})             the English-like text CharModel trains on by default
//   agreementTask({distance, count, seed})   "The cat(s), which …, was/were full" as word sequences:
//                                            the long-term dependency experiment of the demo
//
// Both are deterministic: the same options give the same data on every engine.

import { readOptions, intIn } from './args.js';
import { defaultCorpus as corpusText, agreementTask as agreementData } from './corpus.js';

/** The built-in corpus (see corpus.js): `chars` characters (default 200000) of seed `seed` (default 1). */
export function defaultCorpus(options) {
  const o = readOptions('defaultCorpus options', options, ['seed', 'chars']);
  return corpusText({
    seed: intIn('seed', o.seed ?? 1, 0, 2 ** 32 - 1),
    chars: intIn('chars', o.chars ?? 200_000, 0, 1 << 28),
  });
}

/** The agreement task (see corpus.js): `count` sequences (default 256) whose verb stands `distance` words (default 5) after its subject. */
export function agreementTask(options) {
  const o = readOptions('agreementTask options', options, ['distance', 'count', 'seed']);
  return agreementData({
    distance: intIn('distance', o.distance ?? 5, 1, 1000),
    count: intIn('count', o.count ?? 256, 1, 1 << 20),
    seed: intIn('seed', o.seed ?? 1, 0, 2 ** 32 - 1),
  });
}
