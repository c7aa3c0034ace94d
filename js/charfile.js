// charfile.js — the CharModel meta inside a Network file: what save() writes, and the checks of
// every field on load against the network and the training text (readCharMeta).
//
// The file is Network.save's, of kind 'char', with meta { char: {
//   version      META_VERSION (another: LstmError 'version')
//   config       every key of DEFAULTS (charconfig.js), valid as for create; cell, hidden, layers
//                and seed are the network's. optimizer, clip, dropout and (without a schedule)
//                learningRate are the network's training settings as of the save; where they
//                differ (files written before save took them from the network, after
//                model.network.setTrainingConfig, as the demo does), the network's settings in the
//                same file win: they are what trains, and config reports them
//   vocab        V strings of one code point (V = the network's vocab = its output size), by id;
//                when vocabFrom is 'text' the training text's code points, each once, sorted (then
//                U+FFFD when unknownAdded)
//   vocabFrom    'text' (create), or 'given' (fromNetwork: any order); absent means 'text'
//   unknownId    -1 when config.unknown is 'skip', else the id of U+FFFD
//   unknownAdded true when U+FFFD was added to the text's vocabulary (never sampled)
//   fingerprint  {chars, fnv} of the training text (scanText); null only for a given vocabulary
//                without a text (then nothing was trained: step, epoch and chunk are 0)
//   corpus       null, or the {seed, chars} of defaultCorpus: regenerated and checked
//   step, epoch, chunk  steps done = epoch × chunksPerEpoch + chunk, chunk < chunksPerEpoch,
//                step ≤ the network's step count
//   sampler      the sampler PRNG: 4 uint32 words, not all 0
//   text         optional: the training text itself (save({includeText: true}))
// } }
// A field that breaks any of this is LstmError 'format' whose `argument` names it; a text given
// to load that is not the training text is LstmError 'arg' (argument 'text').
//
// The meta is parsed JSON that Network.load hands over as a fresh copy (net.meta is a structured
// clone), so it is owned memory: its fields can be read more than once.

import { LstmError, describe, argError } from './errors.js';
import { isPlainObject } from './args.js';
import { CONFIG_KEYS, checkConfig } from './charconfig.js';
import {
  MAX_CODE_POINT, UNKNOWN_CP, isHigh, isLow, isSurrogate, hex, scanText, loneSurrogateMessage, showChar,
  seenCodePoints, SymbolIndex, encodeText, splitSizes,
} from './vocab.js';
import { defaultCorpus } from './corpus.js';

export const META_VERSION = 1;
const META_KEYS = ['version', 'config', 'vocab', 'vocabFrom', 'unknownId', 'unknownAdded', 'fingerprint',
  'corpus', 'step', 'epoch', 'chunk', 'sampler', 'text'];
const META_OPTIONAL = ['vocabFrom', 'text'];

function formatError(field, expected, got, argument = field) {
  return new LstmError('format', `CharModel.load: the file's ${field}: expected ${expected}, got ${got}`, { argument });
}

// A value from a file for a one-line message: a string with its control characters escaped,
// describe() for other scalars, short JSON for objects and arrays.
function shown(v) {
  if (typeof v === 'string') {
    const s = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v).slice(1, -1).replace(/\\"/g, '"');
    return `string '${s}'`;
  }
  if (v === null || typeof v !== 'object') return describe(v);
  const json = JSON.stringify(v);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

/** The checked constructor state of a CharModel from a loaded network's meta (see above). */
export function readCharMeta(net, givenText) {
  const meta = net.meta;
  if (!isPlainObject(meta?.char)) throw formatError('char', 'an object (the CharModel meta)', shown(meta?.char));
  for (const k of Object.keys(meta)) {
    if (k !== 'char') throw formatError(k, "no meta but 'char'", `a key '${k}'`);
  }
  const m = meta.char;
  if (m.version !== META_VERSION) {
    throw new LstmError('version', `CharModel.load: the file's version: expected ${META_VERSION} (the CharModel meta ` +
      `version this build reads), got ${shown(m.version)}`, { argument: 'version' });
  }
  for (const k of Object.keys(m)) {
    if (!META_KEYS.includes(k)) throw formatError(k, `only the fields ${META_KEYS.join(', ')}`, `an unknown field '${k}'`);
  }
  for (const k of META_KEYS) {
    if (!META_OPTIONAL.includes(k) && !Object.hasOwn(m, k)) throw formatError(k, 'a value', 'nothing (missing)');
  }

  // the network
  const nc = net.config;
  if (nc.vocab === undefined) throw formatError('network', 'token input (a network created with vocab)', `dense input of width ${nc.input}`);
  if (nc.bidirectional) throw formatError('network', 'a unidirectional network (a CharModel writes left to right)', 'a bidirectional one');
  if (nc.loss !== 'xent') throw formatError('network', "loss 'xent'", `loss '${nc.loss}'`);
  if (nc.output !== nc.vocab) throw formatError('network', 'output = vocab (one class per symbol)', `vocab ${nc.vocab}, output ${nc.output}`);
  const V = nc.vocab;
  const vocabFrom = m.vocabFrom ?? 'text';
  if (vocabFrom !== 'text' && vocabFrom !== 'given') throw formatError('vocabFrom', "'text' or 'given'", shown(m.vocabFrom));

  const config = checkFileConfig(m.config, net);

  // the vocabulary and the unknown symbol
  if (typeof m.unknownAdded !== 'boolean') throw formatError('unknownAdded', 'true or false', shown(m.unknownAdded));
  const codePoints = checkFileVocab(m.vocab, V, vocabFrom, m.unknownAdded);
  const unknownId = m.unknownId;
  if (config.unknown === 'skip') {
    if (unknownId !== -1) throw formatError('unknownId', "-1 (config.unknown is 'skip')", shown(unknownId));
    if (m.unknownAdded) throw formatError('unknownAdded', "false (config.unknown is 'skip')", 'true');
  } else {
    if (!Number.isInteger(unknownId) || unknownId < 0 || unknownId >= V) {
      throw formatError('unknownId', `the id of U+FFFD, in [0, ${V}) (config.unknown is 'map')`, shown(unknownId));
    }
    if (codePoints[unknownId] !== UNKNOWN_CP) {
      const fffd = codePoints.indexOf(UNKNOWN_CP);
      throw formatError('unknownId', `the id of U+FFFD${fffd >= 0 ? ` (${fffd})` : ''}`,
        `${unknownId} (${showChar(m.vocab[unknownId])})`);
    }
    if (m.unknownAdded && vocabFrom === 'given') throw formatError('unknownAdded', 'false (a given vocabulary has nothing added)', 'true');
    if (m.unknownAdded && unknownId !== V - 1) throw formatError('unknownAdded', `false (an added U+FFFD is the last symbol, ${V - 1})`, `true with U+FFFD at ${unknownId}`);
  }

  // the fingerprint, the corpus and the texts
  const fp = checkFingerprint(m.fingerprint, vocabFrom);
  let corpus = null;
  if (m.corpus !== null) {
    const c = m.corpus;
    if (!isPlainObject(c) || Object.keys(c).length !== 2 || !Object.hasOwn(c, 'seed') || !Object.hasOwn(c, 'chars')) {
      throw formatError('corpus', 'null or {seed, chars} (the built-in corpus)', shown(c));
    }
    if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 2 ** 32 - 1) {
      throw formatError('corpus.seed', 'an integer in [0, 4294967295]', shown(c.seed), 'corpus');
    }
    if (!Number.isInteger(c.chars) || c.chars < 2 || c.chars > 1 << 28) {
      throw formatError('corpus.chars', `an integer in [2, ${1 << 28}]`, shown(c.chars), 'corpus');
    }
    if (!fp || c.chars !== fp.chars) throw formatError('corpus.chars', `the fingerprint's ${fp?.chars} characters`, `${c.chars}`, 'corpus');
    corpus = { seed: c.seed, chars: c.chars };
  }
  if (m.text !== undefined && typeof m.text !== 'string') throw formatError('text', 'a string (the embedded training text)', shown(m.text));
  const untrained = fp === null; // a given vocabulary that never had a text
  if (untrained && (corpus || m.text !== undefined)) throw formatError('fingerprint', '{chars, fnv} of the training text this file has', 'null');
  // each source of the text must be the fingerprinted one; the last one read is used
  let text = null, seen = null, distinct = 0;
  const read = (t, mismatch, lone) => {
    const s = new Uint8Array(MAX_CODE_POINT + 1);
    const scan = scanText(t, s);
    if (scan.lone >= 0) throw lone(scan.lone);
    if (scan.chars !== fp.chars || scan.fnv !== fp.fnv) throw mismatch(scan);
    text = t;
    seen = s;
    distinct = scan.distinct;
  };
  const trained = !untrained && `the training text (${fp.chars} characters with FNV-1a ${fp.fnv})`;
  const got = (scan) => `${scan.chars} characters with FNV-1a ${scan.fnv}`;
  if (corpus) {
    read(defaultCorpus(corpus), (scan) => formatError('corpus', `settings that regenerate ${trained}`, `settings that give ${got(scan)}`),
      () => formatError('corpus', 'settings of an ASCII text', 'a lone surrogate'));
  }
  if (m.text !== undefined) {
    read(m.text, (scan) => formatError('text', trained, got(scan)),
      (i) => formatError('text', 'well-formed UTF-16', `a lone surrogate U+${hex(m.text.charCodeAt(i))} at index ${i}`));
  }
  let fingerprint = untrained ? null : { chars: fp.chars, fnv: fp.fnv };
  if (givenText !== undefined && !untrained) {
    read(givenText, (scan) => argError(`text: not the text this model was trained on (expected ${fp.chars} characters ` +
      `with FNV-1a ${fp.fnv}, got ${scan.chars} with ${scan.fnv})`, 'text'),
    (i) => argError(loneSurrogateMessage('text', givenText, i), 'text'));
  } else if (givenText !== undefined) { // nothing was trained: this text becomes the training text
    const scan = scanText(givenText);
    text = givenText;
    fingerprint = { chars: scan.chars, fnv: scan.fnv };
  }

  // the text's characters are the vocabulary (when built from it)
  if (seen && vocabFrom === 'text') {
    const own = V - (m.unknownAdded ? 1 : 0);
    for (let i = 0; i < own; i++) {
      if (!seen[codePoints[i]]) throw formatError('vocab', 'only characters of the training text', `${showChar(m.vocab[i])}, which it does not contain`);
    }
    if (m.unknownAdded && seen[UNKNOWN_CP]) throw formatError('unknownAdded', 'false (the training text has U+FFFD itself)', 'true');
    if (distinct !== own) {
      const known = new SymbolIndex(codePoints);
      const missing = seenCodePoints(seen).find((cp) => known.get(cp) < 0);
      throw formatError('vocab', 'every character of the training text', `none for ${showChar(String.fromCodePoint(missing))}`);
    }
  }

  // the data and the reading position: the split of the text (or, for a vocabulary built from
  // the text, of its fingerprint's N characters: every one is a symbol)
  const index = new SymbolIndex(codePoints);
  let data = null, split = null;
  if (text !== null) {
    const { ids, skipped } = encodeText(text, index, unknownId, V, fingerprint.chars);
    split = splitSizes(ids.length, config);
    data = { ids, skipped, ...split };
  } else if (vocabFrom === 'text') {
    split = splitSizes(fingerprint.chars, config);
  }
  if (split && split.chunks < 1) {
    throw formatError('config.batch', 'batch × seqLength + 1 ≤ the characters of the text\'s training part',
      `${config.batch} × ${config.seqLength} + 1 = ${config.batch * config.seqLength + 1} needed, ${split.nTrain} there`);
  }
  const { step, epoch, chunk } = m;
  const stepCount = net.stepCount;
  if (!Number.isSafeInteger(step) || step < 0 || step > stepCount) {
    throw formatError('step', `an integer in [0, ${stepCount}] (the network's step count)`, shown(step));
  }
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw formatError('epoch', 'an integer ≥ 0', shown(epoch));
  if (!Number.isSafeInteger(chunk) || chunk < 0) throw formatError('chunk', 'an integer ≥ 0', shown(chunk));
  if (untrained) {
    if (step !== 0 || epoch !== 0 || chunk !== 0) {
      throw formatError('step', '0, with epoch and chunk 0 (the model never had a training text)', `step ${step}, epoch ${epoch}, chunk ${chunk}`);
    }
  } else if (split) {
    const chunks = split.chunks;
    if (chunk >= chunks) throw formatError('chunk', `an integer in [0, ${chunks}) (chunks per epoch)`, shown(chunk));
    const most = Math.floor(step / chunks);
    if (epoch > most) throw formatError('epoch', `at most ⌊step / chunksPerEpoch⌋ = ⌊${step} / ${chunks}⌋ = ${most}`, shown(epoch));
    const expected = epoch * chunks + chunk;
    if (step !== expected) {
      throw formatError('step', `epoch × chunksPerEpoch + chunk = ${epoch} × ${chunks} + ${chunk} = ${expected}`, shown(step));
    }
  }

  const sampler = m.sampler;
  if (!Array.isArray(sampler) || sampler.length !== 4 || !sampler.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
      sampler.every((w) => w === 0)) {
    throw formatError('sampler', '4 uint32 words, not all 0 (the sampler PRNG state)', shown(sampler));
  }

  return {
    config, vocab: m.vocab.slice(), codePoints, index, vocabFrom, unknownId, unknownAdded: m.unknownAdded,
    fingerprint, corpus, text, data, step, epoch, chunk, sampler,
  };
}

// The file's config: exactly CONFIG_KEYS (the keys of DEFAULTS), valid as for create, and the network's
// architecture and seed.
function checkFileConfig(c, net) {
  if (!isPlainObject(c)) throw formatError('config', 'an object', shown(c));
  const keys = CONFIG_KEYS;
  for (const k of Object.keys(c)) {
    if (!keys.includes(k)) throw formatError('config', `only the keys ${keys.join(', ')}`, `an unknown key '${k}'`);
  }
  for (const k of keys) if (!Object.hasOwn(c, k)) throw formatError(`config.${k}`, 'a value', 'nothing (missing)');
  let config;
  try {
    config = checkConfig(c);
  } catch (err) {
    if (!(err instanceof LstmError)) throw err;
    throw new LstmError('format', `CharModel.load: the file's config.${err.message}`, { argument: `config.${err.argument ?? ''}` });
  }
  const nc = net.config;
  const bare = (v) => (typeof v === 'string' ? `'${v}'` : String(v));
  const mismatch = (k, theirs, what) => formatError(`config.${k}`, `${bare(theirs)} (the network's ${what})`, shown(config[k]));
  for (const k of ['cell', 'hidden', 'layers', 'seed']) if (config[k] !== nc[k]) throw mismatch(k, nc[k], k);
  return config;
}

// The file's vocabulary as code points: V one-code-point strings; sorted and distinct when built
// from the text (but an added U+FFFD, last), distinct when given.
function checkFileVocab(vocab, V, vocabFrom, unknownAdded) {
  if (!Array.isArray(vocab)) throw formatError('vocab', `an array of ${V} one-code-point strings`, shown(vocab));
  if (vocab.length !== V) throw formatError('vocab', `${V} symbols (the network's vocab and output size)`, `${vocab.length}`);
  const cps = new Array(V);
  for (let i = 0; i < V; i++) {
    const s = vocab[i];
    if (typeof s !== 'string' || s.length === 0 || s.length > 2 || (s.length === 2 && !(isHigh(s.charCodeAt(0)) && isLow(s.charCodeAt(1))))) {
      throw formatError(`vocab[${i}]`, 'a string of one code point', shown(s), 'vocab');
    }
    const cp = s.codePointAt(0);
    if (isSurrogate(cp)) throw formatError(`vocab[${i}]`, 'a character', `a lone surrogate U+${hex(cp)}`, 'vocab');
    cps[i] = cp;
  }
  if (vocabFrom === 'text') {
    const sorted = unknownAdded ? V - 1 : V;
    for (let i = 1; i < sorted; i++) {
      if (cps[i] <= cps[i - 1]) {
        throw formatError('vocab', 'distinct symbols sorted by code point (a vocabulary built from the text)',
          `${showChar(vocab[i - 1])} at ${i - 1} ${cps[i] === cps[i - 1] ? 'and again' : 'before ' + showChar(vocab[i])} at ${i}`);
      }
    }
    if (unknownAdded && cps[V - 1] !== UNKNOWN_CP) throw formatError('unknownAdded', `false (the last symbol is ${showChar(vocab[V - 1])}, not U+FFFD)`, 'true');
    if (unknownAdded && cps.indexOf(UNKNOWN_CP) < V - 1) throw formatError('vocab', 'distinct symbols', `U+FFFD at ${cps.indexOf(UNKNOWN_CP)} and ${V - 1}`);
  } else {
    const first = new Map();
    for (let i = 0; i < V; i++) {
      if (first.has(cps[i])) throw formatError('vocab', 'distinct symbols', `${showChar(vocab[i])} at ${first.get(cps[i])} and ${i}`);
      first.set(cps[i], i);
    }
  }
  return cps;
}

function checkFingerprint(fp, vocabFrom) {
  if (fp === null && vocabFrom === 'given') return null;
  if (!isPlainObject(fp) || Object.keys(fp).length !== 2 || !Number.isSafeInteger(fp.chars) || fp.chars < 0 ||
      typeof fp.fnv !== 'string' || !/^[0-9a-f]{8}$/.test(fp.fnv)) {
    throw formatError('fingerprint', '{chars: an integer ≥ 0, fnv: 8 hex digits} of the training text', shown(fp));
  }
  return fp;
}


/**
 * The meta of a CharModel file (see above) from the model's state; `text` (the training text) only
 * when the file is to embed it.
 */
export function charMeta(s, text) {
  const char = {
    version: META_VERSION, config: { ...s.config }, vocab: s.vocab, vocabFrom: s.vocabFrom,
    unknownId: s.unknownId, unknownAdded: s.unknownAdded, fingerprint: s.fingerprint,
    corpus: s.corpus, step: s.step, epoch: s.epoch, chunk: s.chunk, sampler: s.sampler,
  };
  if (text !== undefined) char.text = text;
  return { char };
}
