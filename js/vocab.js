// vocab.js — a CharModel's symbols: code points of a text, the vocabulary built from it or given
// with a network, text <-> ids, and char-rnn's train/validation split of the ids.
//
// A symbol is one Unicode code point (emoji, CJK, combining marks are one symbol each). Texts are
// walked by UTF-16 code unit, a surrogate pair being one code point: `for (ch of text)` would make
// a string per character (200 million for a 200 MB text). A lone surrogate is not a character: a
// text that has one is refused, never encoded.
//
// The split (char-rnn's recipe): the last ⌊N·valFraction⌋ of the N ids are validation; the train
// part is cut into B streams of S = ⌊(nTrain − 1) / (B·T)⌋·T ids (targets are the next id), read
// in `chunks` consecutive chunks of T per epoch.
//
// Legend: B batch (streams), T seqLength, V vocabulary size, N characters.

import { describe, configError } from './errors.js';

export const MAX_CODE_POINT = 0x10ffff;
export const UNKNOWN_CHAR = '\uFFFD'; // the reserved symbol of unknown: 'map'
export const UNKNOWN_CP = 0xfffd;

export const isHigh = (u) => u >= 0xd800 && u <= 0xdbff;
export const isLow = (u) => u >= 0xdc00 && u <= 0xdfff;
export const isSurrogate = (cp) => cp >= 0xd800 && cp <= 0xdfff;
export const hex = (cp) => cp.toString(16).toUpperCase().padStart(4, '0');

// ---- code points of a text

/**
 * The fingerprint that identifies a training text in a file — FNV-1a (32-bit) over each code
 * point's low then high 16 bits, and the count of code points — and whether the text is
 * well-formed. When `seen` (a Uint8Array(0x110000)) is given, marks the code points that occur
 * and counts the distinct ones.
 * @returns {{chars: number, fnv: string, lone: number, distinct: number}} lone: the index of the
 *   first lone surrogate (then the rest is not computed), or -1
 */
export function scanText(text, seen = null) {
  let h = 0x811c9dc5, n = 0, distinct = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    let cp = text.charCodeAt(i);
    if (isSurrogate(cp)) {
      const lo = i + 1 < len ? text.charCodeAt(i + 1) : 0;
      if (!isHigh(cp) || !isLow(lo)) return { chars: 0, fnv: '', lone: i, distinct: 0 };
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      i++;
    }
    h = Math.imul(h ^ (cp & 0xffff), 0x01000193);
    h = Math.imul(h ^ (cp >>> 16), 0x01000193);
    n++;
    if (seen && !seen[cp]) {
      seen[cp] = 1;
      distinct++;
    }
  }
  return { chars: n, fnv: (h >>> 0).toString(16).padStart(8, '0'), lone: -1, distinct };
}

export function loneSurrogateMessage(name, text, i) {
  return `${name}: expected well-formed UTF-16 (Unicode text), got a lone surrogate U+${hex(text.charCodeAt(i))} at index ${i}`;
}

/** Throws if text has a lone surrogate (not well-formed UTF-16): it is not a character. */
export function checkWellFormed(name, text, makeError) {
  if (typeof text.isWellFormed === 'function' && text.isWellFormed()) return text;
  const { lone } = scanText(text);
  if (lone >= 0) throw makeError(loneSurrogateMessage(name, text, lone), name);
  return text;
}

/** A string argument (a primitive: read once by nature), well-formed. */
export function textArg(name, v, makeError) {
  if (typeof v !== 'string') throw makeError(`${name}: expected a string, got ${describe(v)}`, name);
  return checkWellFormed(name, v, makeError);
}

/** A character for a one-line message: 'a', or U+000A when it is not visible (and U+FFFD). */
export function showChar(ch) {
  return ch !== UNKNOWN_CHAR && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch) ? `'${ch}'` : `U+${hex(ch.codePointAt(0))}`;
}

/** The code points marked in `seen`, ascending. */
export function seenCodePoints(seen) {
  const cps = [];
  for (let cp = 0; cp <= MAX_CODE_POINT; cp++) if (seen[cp]) cps.push(cp);
  return cps;
}

// ---- vocabularies

/** id by code point: a table for the BMP (where nearly every text lives), a Map above it. */
export class SymbolIndex {
  constructor(codePoints) {
    this.bmp = new Int32Array(0x10000).fill(-1);
    this.astral = new Map();
    codePoints.forEach((cp, id) => {
      if (cp < 0x10000) this.bmp[cp] = id;
      else this.astral.set(cp, id);
    });
  }

  get(cp) { return cp < 0x10000 ? this.bmp[cp] : this.astral.get(cp) ?? -1; }
}

/**
 * The vocabulary of a text built by create: its code points, sorted; with unknown 'map', U+FFFD
 * too (appended, `unknownAdded`, when the text does not have it).
 * @returns {{codePoints: number[], unknownId: number, unknownAdded: boolean}}
 */
export function textVocabulary(seen, unknown) {
  const codePoints = seenCodePoints(seen);
  let unknownId = -1, unknownAdded = false;
  if (unknown === 'map') {
    unknownId = codePoints.indexOf(UNKNOWN_CP);
    if (unknownId < 0) {
      unknownAdded = true;
      unknownId = codePoints.push(UNKNOWN_CP) - 1;
    }
  }
  return { codePoints, unknownId, unknownAdded };
}

/**
 * A given vocabulary (fromNetwork) as code points: a string of distinct characters, or an array
 * of code points or one-character strings; V of them, distinct, no lone surrogates. An array has
 * its length read once and each entry read once (then only the copy is used). LstmError 'config',
 * argument 'vocabulary'.
 */
export function readGivenVocabulary(v, V) {
  const bad = (message) => configError(`vocabulary: ${message}`, 'vocabulary');
  const cps = [];
  if (typeof v === 'string') {
    const { lone } = scanText(v);
    if (lone >= 0) throw configError(loneSurrogateMessage('vocabulary', v, lone), 'vocabulary');
    for (const ch of v) cps.push(ch.codePointAt(0));
  } else if (Array.isArray(v)) {
    const n = v.length;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      let cp;
      if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_CODE_POINT) {
        cp = x;
      } else if (typeof x === 'string' && x.length > 0 && x.length <= 2 && x.codePointAt(0) > 0xffff === (x.length === 2)) {
        cp = x.codePointAt(0);
      } else {
        throw configError(`vocabulary[${i}]: expected a code point (an integer in [0, 0x10FFFF]) or a string of one character, ` +
          `got ${describe(x)}`, 'vocabulary');
      }
      if (isSurrogate(cp)) {
        throw configError(`vocabulary[${i}]: expected a character, got a lone surrogate U+${hex(cp)}`, 'vocabulary');
      }
      cps.push(cp);
    }
  } else {
    throw bad(`expected a string of distinct characters, or an array of code points or one-character strings, got ${describe(v)}`);
  }
  if (cps.length !== V) throw bad(`expected ${V} symbols (the network's vocab and output size), got ${cps.length}`);
  const first = new Map();
  cps.forEach((cp, i) => {
    if (first.has(cp)) {
      throw bad(`expected distinct symbols, got ${showChar(String.fromCodePoint(cp))} at ${first.get(cp)} and ${i}`);
    }
    first.set(cp, i);
  });
  return cps;
}

// ---- text <-> ids

/** The smallest array type for ids < V: a 200 MB text of 65 symbols is 200 MB of ids, not 800. */
function idArray(V, n) {
  if (V <= 0x100) return new Uint8Array(n);
  return V <= 0x10000 ? new Uint16Array(n) : new Int32Array(n);
}

/**
 * The ids of a well-formed text's code points. One the index does not have becomes `unknownId`,
 * or is skipped (counted) when unknownId < 0. `capacity` ≥ the code points (text.length always is).
 */
export function encodeText(text, index, unknownId, V, capacity = text.length) {
  let ids = idArray(V, capacity);
  let k = 0, skipped = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    let cp = text.charCodeAt(i);
    if (isHigh(cp)) cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    let id = index.get(cp);
    if (id < 0) {
      if (unknownId < 0) {
        skipped++;
        continue;
      }
      id = unknownId;
    }
    ids[k++] = id;
  }
  if (k < ids.length) ids = ids.slice(0, k);
  return { ids, skipped };
}

/** The text of ids (the inverse of encodeText when nothing was skipped or mapped). */
export function decodeIds(ids, codePoints) {
  const parts = [], piece = 8192, cps = [];
  for (let at = 0; at < ids.length; at += piece) {
    const end = Math.min(at + piece, ids.length);
    cps.length = 0;
    for (let i = at; i < end; i++) cps.push(codePoints[ids[i]]);
    parts.push(String.fromCodePoint(...cps));
  }
  return parts.join('');
}

// ---- the split

/** The split of N characters; chunks 0 (and S 0) when the train part is too short for one chunk. */
export function splitSizes(N, { batch: B, seqLength: T, valFraction }) {
  const nVal = Math.floor(N * valFraction), nTrain = N - nVal;
  const chunks = Math.floor((nTrain - 1) / (B * T));
  return chunks < 1 ? { nTrain, nVal, chunks: 0, S: 0 } : { nTrain, nVal, chunks, S: chunks * T };
}

function tooShortMessage(N, { nTrain }, { batch: B, seqLength: T }) {
  return `the training part of the text has ${nTrain} characters (of ${N}); batch × seqLength + 1 = ` +
    `${B * T + 1} are needed: use a longer text or a smaller batch or seqLength`;
}

/** {ids, nTrain, nVal, S, chunks, skipped} of a well-formed text; LstmError 'config' (argument
 *  'batch') when it is too short for one chunk. */
export function buildData(text, index, unknownId, V, config, what, capacity) {
  const { ids, skipped } = encodeText(text, index, unknownId, V, capacity);
  const split = splitSizes(ids.length, config);
  if (split.chunks < 1) throw configError(`${what}: ${tooShortMessage(ids.length, split, config)}`, 'batch');
  return { ids, skipped, ...split };
}
