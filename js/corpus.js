// corpus.js — the text the package ships for training without a file, written by a seeded
// generator (no third-party text): English-like sentences with long-range subject–verb agreement,
// the example LSTMs are known for:
//
//   The cat, which already ate a bunch of food, was full.
//   The cats, which already ate a bunch of food, were full.
//
// The verb (was/were, is/are, has/have, sleeps/sleep, does/do) agrees with a subject that a
// relative clause of variable length (with nouns of either number inside it) separates from it.
//
//   defaultCorpus({seed, chars})             -> string: varied paragraphs, for CharModel / the CLI
//   agreementTask({distance, count, seed})   -> word sequences for the RNN-vs-LSTM experiment
//
// Deterministic: the same options give the same text on every engine (js/rng.js, 32-bit integer
// arithmetic). ASCII only.

import { Rng } from './rng.js';

// ---- vocabulary: [singular, plural]; `who` marks people (relative pronoun who instead of which)

const ANIMALS = [
  ['cat', 'cats'], ['dog', 'dogs'], ['fox', 'foxes'], ['mouse', 'mice'], ['wolf', 'wolves'],
  ['horse', 'horses'], ['bird', 'birds'], ['owl', 'owls'], ['rabbit', 'rabbits'], ['goose', 'geese'],
  ['puppy', 'puppies'], ['monkey', 'monkeys'], ['bear', 'bears'], ['goat', 'goats'], ['duck', 'ducks'],
];
const PEOPLE = [
  ['child', 'children'], ['farmer', 'farmers'], ['sailor', 'sailors'], ['king', 'kings'],
  ['queen', 'queens'], ['baker', 'bakers'], ['teacher', 'teachers'], ['man', 'men'], ['woman', 'women'],
  ['boy', 'boys'], ['girl', 'girls'], ['fisherman', 'fishermen'], ['princess', 'princesses'],
  ['doctor', 'doctors'], ['traveller', 'travellers'], ['soldier', 'soldiers'], ['painter', 'painters'],
];
const NAMES = ['Anna', 'Tom', 'Mira', 'Oskar', 'Lena', 'Paul', 'Ida', 'Hugo', 'Nora', 'Felix'];
const THINGS = [
  'food', 'bread', 'soup', 'cheese', 'fish', 'corn', 'milk', 'honey', 'rice', 'porridge',
];
const THING_NPS = [
  'a bunch of food', 'a loaf of bread', 'a bowl of soup', 'two apples', 'the last of the cheese',
  'a basket of berries', 'some fish', 'the cake', 'a plate of rice', 'all the honey',
];
const PLACES = [
  'the river', 'the old bridge', 'the garden', 'the market', 'the forest', 'the hill', 'the barn',
  'the harbour', 'the village', 'the kitchen', 'the castle', 'the meadow', 'the well', 'the mill',
];
const ADJ = [
  'old', 'little', 'hungry', 'brown', 'clever', 'quiet', 'young', 'grey', 'lazy', 'brave', 'small',
  'big', 'black', 'white', 'sleepy', 'tall', 'kind', 'proud', 'noisy', 'gentle',
];
const STATES = [
  'full', 'tired', 'happy', 'hungry', 'asleep', 'late', 'quiet', 'afraid of the dark', 'very proud',
  'cold', 'wet', 'glad', 'still awake', 'far from home', 'angry', 'calm', 'busy', 'lost', 'ready',
];
const TIMES = [
  'in the morning', 'at night', 'after the storm', 'before dawn', 'on Sunday', 'every evening',
  'last winter', 'in the spring', 'that day', 'at noon', 'after supper', 'for a long time',
];
const ADVERBS = ['already', 'often', 'once', 'never', 'always', 'quietly', 'slowly', 'just'];
// transitive verbs, past tense (no agreement): [past, past participle]
const PAST = [
  ['ate', 'eaten'], ['saw', 'seen'], ['chased', 'chased'], ['liked', 'liked'], ['found', 'found'],
  ['watched', 'watched'], ['followed', 'followed'], ['fed', 'fed'], ['met', 'met'], ['heard', 'heard'],
  ['helped', 'helped'], ['called', 'called'], ['feared', 'feared'], ['carried', 'carried'],
];
// present tense: [third person singular, base]
const PRESENT = [
  ['sleeps', 'sleep'], ['runs', 'run'], ['sings', 'sing'], ['waits', 'wait'], ['walks', 'walk'],
  ['hides', 'hide'], ['works', 'work'], ['plays', 'play'], ['rests', 'rest'], ['dreams', 'dream'],
];
const PRESENT_PLACE = ['by the fire', 'near the door', 'under the table', 'in the sun', 'all day',
  'at the window', 'behind the barn', 'in the shade', 'on the roof', 'until dark'];
const ING = ['sleeping', 'waiting', 'singing', 'hiding', 'playing', 'resting', 'working', 'watching'];
const NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven', 'ten', 'twelve'];
const SAID = ['said', 'asked', 'whispered', 'shouted', 'answered', 'replied'];

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const article = (word) => (/^[aeiou]/.test(word) ? 'an' : 'a');

// ---- phrases: each takes the Rng and returns a string

/** A noun phrase {text, plural, person}: determiner, maybe an adjective, a noun. */
function nounPhrase(r, { plural = r.chance(0.5), person = r.chance(0.4), plain = false } = {}) {
  const [sg, pl] = r.pick(person ? PEOPLE : ANIMALS);
  const noun = plural ? pl : sg;
  const adj = !plain && r.chance(0.35) ? r.pick(ADJ) + ' ' : '';
  const head = adj + noun;
  let det;
  if (plain) det = 'the';
  else if (plural) det = r.pick(['the', 'the', 'the', 'these', 'those', 'some', 'my', 'our', 'her', r.pick(NUMBERS)]);
  else det = r.pick(['the', 'the', 'the', 'this', 'that', 'my', 'our', 'his', article(head), 'every']);
  return { text: `${det} ${head}`, plural, person };
}

/** A relative clause about a head noun phrase; `depth` limits nesting. The clause's own verbs
 *  agree with the head (which was sleeping / who were sleeping) or with its own subject. */
function relativeClause(r, head, depth) {
  const wh = head.person ? 'who' : 'which';
  const be = head.plural ? 'were' : 'was';
  const have = head.plural ? 'have' : 'has';
  const adv = r.chance(0.4) ? r.pick(ADVERBS) + ' ' : '';
  switch (r.int(depth > 0 ? 6 : 5)) {
    case 0: return `${wh} ${adv}${r.pick(PAST)[0]} ${r.pick(THING_NPS)}`;
    case 1: { // object relative: the clause has its own subject of either number
      const sub = nounPhrase(r, { plain: r.chance(0.5) });
      return `that ${sub.text} ${adv}${r.pick(PAST)[0]}${r.chance(0.5) ? ' ' + r.pick(TIMES) : ''}`;
    }
    case 2: return `${wh} ${be} ${r.pick(ING)} ${r.chance(0.5) ? 'near' : 'in'} ${r.pick(PLACES)}${r.chance(0.4) ? ' ' + r.pick(TIMES) : ''}`;
    case 3: return `${wh} ${have} ${adv}${r.pick(PAST)[1]} ${nounPhrase(r).text}`;
    case 4: return `${wh} lived near ${r.pick(PLACES)}${r.chance(0.5) ? ' with ' + nounPhrase(r).text : ''}`;
    default: { // nested: who saw the dogs that chased the birds
      const obj = nounPhrase(r);
      return `${wh} ${r.pick(PAST)[0]} ${obj.text} ${relativeClause(r, obj, depth - 1)}`;
    }
  }
}

/** A subject with an optional relative clause; commas around which/who clauses. */
function subject(r) {
  if (r.chance(0.08)) return { text: r.pick(NAMES), plural: false, person: true, bare: true };
  if (r.chance(0.05)) {
    const a = r.pick(NAMES), b = r.pick(NAMES.filter((n) => n !== a));
    return { text: `${a} and ${b}`, plural: true, person: true, bare: true };
  }
  const np = nounPhrase(r);
  if (r.chance(0.6)) {
    const rc = relativeClause(r, np, 1);
    np.text += rc.startsWith('that') ? ` ${rc}` : `, ${rc},`;
  } else if (r.chance(0.3)) {
    np.text += ` from ${r.pick(PLACES)}`;
  }
  return np;
}

/** The predicate, agreeing with `plural`: was full / have eaten the bread / sleep by the fire. */
function predicate(r, plural) {
  switch (r.int(6)) {
    case 0: case 1: return `${plural ? 'were' : 'was'} ${r.pick(STATES)}`;
    case 2: return `${plural ? 'are' : 'is'} ${r.chance(0.5) ? r.pick(STATES) : r.pick(ING) + ' ' + r.pick(PRESENT_PLACE)}`;
    case 3: return `${plural ? 'have' : 'has'} ${r.pick(PAST)[1]} ${r.chance(0.5) ? r.pick(THING_NPS) : nounPhrase(r).text}`;
    case 4: { const v = r.pick(PRESENT); return `${plural ? v[1] : v[0]} ${r.pick(PRESENT_PLACE)}`; }
    default: return `${plural ? 'do' : 'does'} not like ${r.pick(THINGS)}`;
  }
}

function sentence(r) {
  if (r.chance(0.03)) { // the seed's own example, in both numbers
    const plural = r.chance(0.5), [sg, pl] = r.pick(ANIMALS);
    return `The ${plural ? pl : sg}, which already ate ${r.pick(THING_NPS)}, ${plural ? 'were' : 'was'} ${r.pick(['full', 'full', 'tired', 'happy'])}.`;
  }
  const s = subject(r);
  switch (r.int(10)) {
    case 0: { // question: Were the cats, which ate the fish, still hungry?
      const be = s.plural ? 'Were' : 'Was';
      return `${be} ${s.text} ${r.chance(0.3) ? 'still ' : ''}${r.pick(STATES)}?`;
    }
    case 1: { // compound: ... , but the wolves were not.
      const t = nounPhrase(r, { plural: !s.plural });
      return `${cap(s.text)} ${s.plural ? 'were' : 'was'} ${r.pick(STATES)}, but ${t.text} ${t.plural ? 'were' : 'was'} not.`;
    }
    case 2: { // quoted speech
      const speaker = nounPhrase(r, { person: true });
      return `"${cap(s.text)} ${predicate(r, s.plural)}," ${r.pick(SAID)} ${speaker.text}.`;
    }
    case 3: { // existential with a count
      const plural = r.chance(0.5);
      const np = nounPhrase(r, { plural, plain: true });
      const what = np.text.replace(/^the /, plural ? `${r.pick(NUMBERS)} ` : `${article(np.text.slice(4))} `);
      return `There ${plural ? 'were' : 'was'} ${what} in ${r.pick(PLACES)} ${r.pick(TIMES)}.`;
    }
    case 4: // time first
      return `${cap(r.pick(TIMES))}, ${s.text} ${predicate(r, s.plural)}.`;
    case 5: { // pronoun follow-up: The dogs ate. They were full.
      const np = nounPhrase(r);
      const pron = np.plural ? 'They' : np.person ? r.pick(['He', 'She']) : 'It';
      const be = np.plural ? 'were' : 'was';
      return `${cap(np.text)} ${r.pick(PAST)[0]} ${r.pick(THING_NPS)}. ${pron} ${be} ${r.pick(STATES)}.`;
    }
    default:
      return `${cap(s.text)} ${predicate(r, s.plural)}.`;
  }
}

/**
 * English-like text with long-range agreement, in paragraphs of 2–6 sentences separated by a
 * blank line. Exactly `chars` characters (ASCII; the last sentence may be cut).
 * @param {{seed?: number, chars?: number}} [options] seed (default 1), chars (default 200000)
 * @returns {string}
 */
export function defaultCorpus({ seed = 1, chars = 200_000 } = {}) {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`seed: expected a uint32, got ${seed}`);
  if (!Number.isInteger(chars) || chars < 0 || chars > 1 << 28) throw new RangeError(`chars: expected an integer in [0, 2^28], got ${chars}`);
  const r = new Rng(seed);
  const parts = [];
  let n = 0;
  while (n < chars) {
    const k = 2 + r.int(5);
    const para = [];
    for (let i = 0; i < k; i++) para.push(sentence(r));
    const p = para.join(' ') + '\n\n';
    parts.push(p);
    n += p.length;
  }
  return parts.join('').slice(0, chars);
}

// ---- the agreement experiment

// Word lists of the task (fixed, so the vocabulary does not depend on the seed).
const T_SUBJECTS = [['cat', 'cats'], ['dog', 'dogs'], ['bird', 'birds'], ['fox', 'foxes'],
  ['horse', 'horses'], ['wolf', 'wolves'], ['mouse', 'mice'], ['child', 'children']];
const T_OBJECTS = [['apple', 'apples'], ['fish', 'fishes'], ['bone', 'bones'], ['tree', 'trees'],
  ['farmer', 'farmers'], ['boat', 'boats']];
const T_VERBS = ['ate', 'saw', 'chased', 'liked', 'found', 'watched', 'followed'];
const T_ADJ = ['old', 'big', 'small', 'brown'];
const T_PREPS = ['near', 'under', 'behind', 'with'];
const T_ADV1 = ['today', 'again', 'there', 'also'];
const T_STATES = ['full', 'tired', 'happy', 'hungry'];
const TASK_VOCAB = [...new Set(['.', 'the', 'which', 'was', 'were', ...T_SUBJECTS.flat(), ...T_OBJECTS.flat(),
  ...T_VERBS, ...T_ADJ, ...T_PREPS, ...T_ADV1, ...T_STATES])];

// Exactly k filler words between the subject and the verb, number-neutral as a whole but with
// distractor nouns of either number: "which already ate the big apples near the boat".
function filler(r, k) {
  if (k === 0) return [];
  if (k === 1) return [r.pick(T_ADV1)];
  const w = ['which', r.pick(T_VERBS)];
  let left = k - 2, first = true;
  const np = (size) => { // 'the' [adj] noun: 2 or 3 words
    const [sg, pl] = r.pick(T_OBJECTS);
    const noun = r.chance(0.5) ? pl : sg;
    return size === 3 ? ['the', r.pick(T_ADJ), noun] : ['the', noun];
  };
  while (left > 0) {
    if (first && left >= 2) { // the object: 'the' [adj] noun
      const size = left === 2 ? 2 : left === 3 ? 3 : 2 + r.int(2);
      w.push(...np(size)); left -= size; first = false;
    } else if (left >= 3) { // a prepositional phrase: 3 or 4 words
      const size = left === 3 ? 3 : 3 + r.int(2);
      w.push(r.pick(T_PREPS), ...np(size - 1)); left -= size;
    } else { // 1 or 2 words left: adverbs
      w.push(r.pick(T_ADV1)); left -= 1;
    }
  }
  return w;
}

/**
 * The seed experiment "The cat, which …, was full / The cats, which …, were full" as word
 * sequences: `the SUBJECT <distance−1 filler words> was|were STATE .` so the verb stands
 * `distance` words after the subject. Subjects are singular or plural with probability 1/2; the
 * filler contains nouns of either number, so only the subject tells the verb.
 *
 * Every sequence has `length = distance + 4` words. Token id = index in `vocab` (the same for
 * every distance and seed). For a next-word model, the verb must be predicted at input position
 * `verbIndex − 1` (after reading the word before the verb): `verbTargets` holds the verb id there
 * and −1 (ignored by Network's 'xent' loss) everywhere else; `targets` is the full next-word task.
 *
 * @param {{distance?: number, count?: number, seed?: number}} [options]
 *   distance ≥ 1 (default 5), count ≥ 1 sequences (default 256), seed (default 1)
 * @returns {{vocab: string[], was: number, were: number, distance: number, length: number,
 *   count: number, verbIndex: number, tokens: Int32Array, targets: Int32Array,
 *   verbTargets: Int32Array, plural: Uint8Array, sentences: string[]}}
 *   tokens, targets, verbTargets are (count, length) row-major; plural[i] = 1 if sequence i's
 *   subject (and verb) is plural.
 */
export function agreementTask({ distance = 5, count = 256, seed = 1 } = {}) {
  if (!Number.isInteger(distance) || distance < 1 || distance > 1000) throw new RangeError(`distance: expected an integer in [1, 1000], got ${distance}`);
  if (!Number.isInteger(count) || count < 1 || count > 1 << 20) throw new RangeError(`count: expected an integer in [1, 2^20], got ${count}`);
  const r = new Rng(seed);
  const id = new Map(TASK_VOCAB.map((w, i) => [w, i]));
  const length = distance + 4, verbIndex = distance + 1;
  const tokens = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  const verbTargets = new Int32Array(count * length).fill(-1);
  const plural = new Uint8Array(count);
  const sentences = [];
  for (let i = 0; i < count; i++) {
    const pl = r.chance(0.5);
    const words = ['the', r.pick(T_SUBJECTS)[pl ? 1 : 0], ...filler(r, distance - 1),
      pl ? 'were' : 'was', r.pick(T_STATES), '.'];
    const row = i * length;
    words.forEach((w, t) => { tokens[row + t] = id.get(w); });
    for (let t = 0; t < length; t++) targets[row + t] = t + 1 < length ? tokens[row + t + 1] : -1;
    verbTargets[row + verbIndex - 1] = tokens[row + verbIndex];
    plural[i] = pl ? 1 : 0;
    sentences.push(words.join(' '));
  }
  return {
    vocab: TASK_VOCAB.slice(), was: id.get('was'), were: id.get('were'), distance, length, count,
    verbIndex, tokens, targets, verbTargets, plural, sentences,
  };
}
