// charmodel.js — CharModel: a character language model (char-rnn) on top of Network.
//
//   const m = await CharModel.create({ text });            // vocabulary, split, Network
//   m.trainSteps(200);                                      // truncated BPTT, carried state
//   m.evaluate();                                           // { loss, bitsPerChar, perplexity, chars }
//   m.sample({ length: 200, temperature: 0.8, prime: 'The ' });
//   const bytes = m.save(); const m2 = await CharModel.load(bytes, { text });
//
// What it does, in data-flow order:
//   vocabulary  Unicode code points of the training text, sorted (emoji, CJK, combining marks are
//               one symbol each); characters never seen are skipped or mapped to one reserved
//               symbol (option `unknown`), never a crash.
//   data        char-rnn's recipe: the last `valFraction` of the text is held out; the rest is cut
//               into B streams of S characters read in consecutive chunks of T, so the Network's
//               train state carries from chunk to chunk; it is reset at every epoch boundary.
//   training    one Network.train call per step; the learning-rate schedule is applied per step.
//   evaluation  forward passes on the predict state (reset before and after), loss in float64.
//   sampling    one character per Network.predict call on the predict state: O(1) per character;
//               temperature, top-k, top-p, greedy; a seeded JS PRNG (js/rng.js), never Math.random.
//   files       Network's file with kind 'char' and this model's JSON meta: vocabulary, config,
//               step, data position and the sampler's PRNG, so that training resumes bit-exactly.
// What it does not do: word or BPE tokens; training text larger than memory; Worker management.
//
// Legend: B batch (streams), T seqLength, V vocabulary, S characters per stream, E eval streams.

import { Network, KIND, WASM } from './network.js';
import { LstmError, describe, argError, configError } from './errors.js';
import { Rng } from './rng.js';
import { defaultCorpus } from './corpus.js';

const META_VERSION = 1;
const UNKNOWN_CHAR = '\uFFFD'; // the reserved symbol of unknown: 'map'
const EVAL_STREAMS = 16; // at most, each of at least 4·T characters

const DEFAULTS = Object.freeze({
  cell: 'lstm', hidden: 128, layers: 2, seqLength: 64, batch: 32, optimizer: 'adam',
  learningRate: 2e-3, clip: 5, dropout: 0, schedule: null, seed: 1, valFraction: 0.05, unknown: 'skip',
});
const CREATE_KEYS = ['text', 'corpus', 'simd', ...Object.keys(DEFAULTS)];
const DEFAULT_CORPUS = Object.freeze({ seed: 1, chars: 200_000 });
const SAMPLE_KEYS = ['length', 'temperature', 'topK', 'topP', 'greedy', 'prime', 'seed'];

// ---- argument checks (LstmError 'config' for options of create, 'arg' for method arguments)

function plainObject(v) {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

function checkKeys(what, obj, allowed, makeError) {
  if (!plainObject(obj)) throw makeError(`${what}: expected an object, got ${describe(obj)}`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw makeError(`${what}: unknown key '${k}' (expected one of ${allowed.join(', ')})`);
  }
  return obj;
}

function int(name, v, lo, hi, makeError = configError) {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw makeError(`${name}: expected an integer in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

// float32: the value goes to the Network's C core as a float32, so Math.fround(v) must be in the
// range too (1e39 is Infinity as float32, 1e-50 is 0, 0.99999999 is 1).
function num(name, v, lo, hi, { openLo = false, openHi = false, float32 = false, makeError = configError } = {}) {
  const inRange = (x) => Number.isFinite(x) && (openLo ? x > lo : x >= lo) && (openHi ? x < hi : x <= hi);
  const range = `${openLo ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : hi + (openHi ? ')' : ']')}`;
  if (typeof v !== 'number' || !inRange(v)) {
    throw makeError(`${name}: expected a finite number in ${range}, got ${describe(v)}`);
  }
  if (float32 && !inRange(Math.fround(v))) {
    throw makeError(`${name}: expected a finite number in ${range} (as float32), got ${v} (${Math.fround(v)} as float32)`);
  }
  return v;
}

/** Throws if text has a lone surrogate (not well-formed UTF-16): it is not a character. */
function checkWellFormed(name, text, makeError) {
  if (typeof text.isWellFormed === 'function' && text.isWellFormed()) return text;
  const i = text.search(/\p{Cs}/u); // in a /u regex only unpaired surrogates are code points Cs
  if (i >= 0) {
    const hex = text.charCodeAt(i).toString(16).toUpperCase();
    throw makeError(`${name}: expected well-formed UTF-16 (Unicode text), got a lone surrogate U+${hex} at index ${i}`);
  }
  return text;
}

function oneOf(name, v, choices, makeError = configError) {
  if (!choices.includes(v)) {
    throw makeError(`${name}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`);
  }
  return v;
}

function checkSchedule(s) {
  if (s === null || s === undefined) return null;
  checkKeys('schedule', s, ['type', 'every', 'factor', 'gamma'], configError);
  oneOf('schedule.type', s.type, ['step', 'exp']);
  if (s.type === 'step') {
    checkKeys('schedule', s, ['type', 'every', 'factor'], configError);
    return { type: 'step', every: int('schedule.every', s.every, 1, 2 ** 31 - 1), factor: num('schedule.factor', s.factor, 0, 1, { openLo: true }) };
  }
  checkKeys('schedule', s, ['type', 'gamma'], configError);
  return { type: 'exp', gamma: num('schedule.gamma', s.gamma, 0, 1, { openLo: true }) };
}

/** The full, checked config from create options (defaults filled in). */
function checkConfig(o) {
  const c = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) if (o[k] !== undefined) c[k] = o[k];
  oneOf('cell', c.cell, ['lstm', 'gru', 'rnn']);
  int('hidden', c.hidden, 1, 4096);
  int('layers', c.layers, 1, 4);
  int('seqLength', c.seqLength, 1, 1 << 16);
  int('batch', c.batch, 1, 1 << 12);
  oneOf('optimizer', c.optimizer, ['adam', 'sgd', 'rmsprop', 'adagrad']);
  num('learningRate', c.learningRate, 0, Infinity, { openLo: true, float32: true });
  num('clip', c.clip, 0, Infinity, { float32: true });
  if (c.clip > 0 && Math.fround(c.clip) === 0) { // 0 means off: a positive clip must stay positive
    throw configError(`clip: expected 0 (off) or a number that is positive as float32, got ${c.clip} (0 as float32)`);
  }
  num('dropout', c.dropout, 0, 1, { openHi: true, float32: true });
  c.schedule = checkSchedule(c.schedule);
  int('seed', c.seed, 0, 2 ** 32 - 1);
  num('valFraction', c.valFraction, 0, 0.5);
  oneOf('unknown', c.unknown, ['skip', 'map']);
  return c;
}

// ---- text: code points, vocabulary, fingerprint

/** FNV-1a (32-bit) over the code points and their count: identifies a training text in a file. */
function fingerprint(text) {
  let h = 0x811c9dc5, n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    h = Math.imul(h ^ (cp & 0xffff), 0x01000193);
    h = Math.imul(h ^ (cp >>> 16), 0x01000193);
    n++;
  }
  return { chars: n, fnv: (h >>> 0).toString(16).padStart(8, '0') };
}

/** A character for a one-line message: 'a', or U+000A when it is not visible. */
function showChar(ch) {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch) ? `'${ch}'`
    : `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Sorted distinct code points of the text, as one-symbol strings. */
function vocabularyOf(text) {
  const seen = new Set();
  for (const ch of text) seen.add(ch.codePointAt(0));
  return [...seen].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp));
}

// ---- sampling helpers (exported for tests and custom samplers)

/**
 * Keeps the `topK` most probable entries, then the smallest set of the most probable whose total
 * is at least `topP` (the nucleus), and renormalises; everything else becomes 0. Ties are broken by
 * the lower index. `probs` need not sum to 1; it is not modified.
 * @param {ArrayLike<number>} probs
 * @param {{topK?: number, topP?: number}} [options] topK ≥ 1 (0 or undefined: all), topP in (0, 1]
 * @returns {Float64Array}
 */
export function filterDistribution(probs, { topK = 0, topP = 1 } = {}) {
  const p = Float64Array.from(probs);
  filterInPlace(p, topK, topP, new Int32Array(p.length));
  return p;
}

// The in-place filter the sampler uses (order: scratch of p.length indices).
function filterInPlace(p, topK, topP, order) {
  const V = p.length;
  let total = 0;
  for (let i = 0; i < V; i++) total += p[i];
  if (!(total > 0)) throw argError('probabilities: expected a positive total');
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

/** softmax(logits / temperature) in float64 into out; entries with mask[i] set become 0. */
function softmaxInto(out, logits, temperature, masked) {
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

function argmax(logits, masked) {
  let best = -1;
  for (let i = 0; i < logits.length; i++) {
    if (i !== masked && (best < 0 || logits[i] > logits[best])) best = i;
  }
  return best;
}

// An index drawn from p (sums to 1) with one uniform draw.
function draw(p, rng) {
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

// Hands control back to the event loop without timer clamping.
let tick;
function nextTick() {
  if (!tick) {
    if (typeof setImmediate === 'function') {
      tick = () => new Promise((resolve) => setImmediate(resolve));
    } else {
      const channel = new MessageChannel(), waiting = [];
      channel.port1.onmessage = () => waiting.shift()();
      tick = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });
    }
  }
  return tick();
}

// ---- CharModel

const TOKEN = Symbol('CharModel constructor');

export class CharModel {
  #net;
  #config;
  #vocab; // string[]: id -> character
  #index; // Map code point -> id
  #unknownId; // id of the reserved unknown symbol, or -1 ('skip')
  #unknownAdded; // whether that symbol was added (then never sampled)
  #fingerprint; // of the training text
  #corpus; // {seed, chars} when trained on defaultCorpus, else null
  #text; // the training text, or null when loaded without it
  #data = null; // {ids, nTrain, nVal, S, chunks}: built from #text on first use
  #step = 0;
  #epoch = 0;
  #chunk = 0; // next chunk within the epoch
  #rng; // the sampler's PRNG (used when sample() has no seed)
  #lrSet = NaN; // the float32 learning rate last written to the Network
  #holder = null; // the running stream whose state is in the network's predict state now
  #inputs = null;
  #targets = null;

  /** Not public: use CharModel.create or CharModel.load. */
  constructor(token, net, s) {
    if (token !== TOKEN) throw new TypeError('use CharModel.create(options) or CharModel.load(bytes)');
    this.#net = net;
    this.#config = Object.freeze({ ...s.config, schedule: s.config.schedule && Object.freeze({ ...s.config.schedule }) });
    this.#vocab = s.vocab;
    this.#index = new Map(s.vocab.map((ch, i) => [ch.codePointAt(0), i]));
    this.#unknownId = s.unknownId;
    this.#unknownAdded = s.unknownAdded;
    this.#fingerprint = s.fingerprint;
    this.#corpus = s.corpus;
    this.#text = s.text;
    this.#step = s.step ?? 0;
    this.#epoch = s.epoch ?? 0;
    this.#chunk = s.chunk ?? 0;
    this.#rng = s.sampler ? Rng.fromState(s.sampler) : new Rng(s.config.seed);
    this.#data = s.data ?? null;
  }

  /**
   * Builds the vocabulary from `text` (or from defaultCorpus(corpus) when no text is given), splits
   * it, and creates the Network. See index.d.ts for the options and their defaults.
   */
  static async create(options = {}) {
    checkKeys('CharModel.create options', options, CREATE_KEYS, configError);
    const config = checkConfig(options);
    let { text, corpus } = options;
    if (text !== undefined && corpus !== undefined) throw configError('text, corpus: give one of them, not both');
    if (text === undefined) {
      corpus = checkKeys('corpus', corpus ?? {}, ['seed', 'chars'], configError);
      corpus = { seed: corpus.seed ?? DEFAULT_CORPUS.seed, chars: corpus.chars ?? DEFAULT_CORPUS.chars };
      int('corpus.seed', corpus.seed, 0, 2 ** 32 - 1);
      int('corpus.chars', corpus.chars, 2, 1 << 28);
      text = defaultCorpus(corpus);
    } else {
      corpus = null;
      if (typeof text !== 'string') throw configError(`text: expected a string, got ${describe(text)}`);
      checkWellFormed('text', text, configError);
    }
    const vocab = vocabularyOf(text);
    const distinct = vocab.length;
    let unknownId = -1, unknownAdded = false;
    if (config.unknown === 'map') {
      unknownId = vocab.indexOf(UNKNOWN_CHAR);
      if (unknownId < 0) {
        unknownAdded = true;
        unknownId = vocab.push(UNKNOWN_CHAR) - 1;
      }
    }
    // the split is checked before paying for the Network
    const index = new Map(vocab.map((ch, i) => [ch.codePointAt(0), i]));
    const data = splitData(encodeAll(text, index), config, 'CharModel.create');
    if (vocab.length < 2) { // the Network's softmax needs 2 classes (unknown: 'map' adds one)
      throw configError(`text: expected at least 2 distinct characters, got ${distinct}` +
        `${distinct ? ` (${showChar(vocab[0])})` : ''}`);
    }
    const state = { config, vocab, unknownId, unknownAdded, fingerprint: fingerprint(text), corpus, text, data };
    const V = vocab.length;
    const net = await Network.create({
      cell: config.cell, vocab: V, output: V, hidden: config.hidden, layers: config.layers, loss: 'xent',
      seed: config.seed, optimizer: config.optimizer, learningRate: config.learningRate,
      clip: config.clip > 0 ? { mode: 'norm', threshold: config.clip } : { mode: 'none' },
      dropout: config.dropout, simd: options.simd ?? 'auto',
    });
    return new CharModel(TOKEN, net, state);
  }

  /**
   * Loads a file written by save(). Training and evaluate() without a text need the training text:
   * pass it as `text` (checked against the file's fingerprint), or save with includeText, or train
   * on the default corpus (regenerated). Rejects a plain Network file with LstmError 'format'.
   * @param {Uint8Array|ArrayBuffer} bytes
   * @param {{text?: string, simd?: boolean|'auto'}} [options]
   */
  static async load(bytes, options = {}) {
    checkKeys('CharModel.load options', options, ['text', 'simd'], argError);
    const net = await Network.load(bytes, { [KIND]: 'char', ...(options.simd !== undefined && { simd: options.simd }) });
    try {
      const m = net.meta?.char;
      if (!plainObject(m)) throw new LstmError('format', 'CharModel.load: the file has no CharModel meta');
      if (m.version !== META_VERSION) {
        throw new LstmError('version', `CharModel.load: CharModel meta version ${describe(m.version)}, this build reads ${META_VERSION}`);
      }
      const ok = Array.isArray(m.vocab) && m.vocab.length === net.config.vocab &&
        m.vocab.every((ch) => typeof ch === 'string' && [...ch].length === 1) && plainObject(m.config) &&
        plainObject(m.fingerprint) && Number.isInteger(m.step) && Number.isInteger(m.epoch) && Number.isInteger(m.chunk);
      if (!ok) throw new LstmError('format', 'CharModel.load: the CharModel meta is malformed');
      let config;
      try {
        config = checkConfig(m.config);
      } catch (err) {
        throw new LstmError('format', `CharModel.load: the file's config is invalid (${err.message})`);
      }
      let text = null;
      if (options.text !== undefined) {
        if (typeof options.text !== 'string') throw argError(`text: expected a string, got ${describe(options.text)}`);
        text = options.text;
      } else if (typeof m.text === 'string') {
        text = m.text;
      }
      if (text !== null) {
        const f = fingerprint(text);
        if (f.chars !== m.fingerprint.chars || f.fnv !== m.fingerprint.fnv) {
          throw argError(`text: not the text this model was trained on (expected ${m.fingerprint.chars} characters ` +
            `with FNV-1a ${m.fingerprint.fnv}, got ${f.chars} with ${f.fnv})`);
        }
      }
      return new CharModel(TOKEN, net, {
        config, vocab: m.vocab, unknownId: m.unknownId ?? -1, unknownAdded: !!m.unknownAdded,
        fingerprint: m.fingerprint, corpus: m.corpus ?? null, text, step: m.step, epoch: m.epoch,
        chunk: m.chunk, sampler: m.sampler,
      });
    } catch (err) {
      net.dispose();
      throw err;
    }
  }

  // ---- properties

  // Every getter but `disposed` throws LstmError 'disposed' after dispose(), as Network's do.

  /** The vocabulary: characters (one code point each) by id. A copy. */
  get vocab() { this.#live('vocab'); return this.#vocab.slice(); }
  /** Training steps done. */
  get step() { this.#live('step'); return this.#step; }
  /** Epochs completed (an epoch ends when every stream has been read once). */
  get epoch() { this.#live('epoch'); return this.#epoch; }
  /** The configuration (defaults filled in). Frozen. */
  get config() { this.#live('config'); return this.#config; }
  /** The underlying Network (advanced use: parameters, trainingConfig). */
  get network() { this.#live('network'); return this.#net; }
  get disposed() { return this.#net.disposed; }
  /** The id of the reserved unknown symbol (unknown: 'map'), or -1. */
  get unknownId() { this.#live('unknownId'); return this.#unknownId; }
  /** The learning rate of the next step (after the schedule). */
  get learningRate() { this.#live('learningRate'); return this.#lrAt(this.#step); }

  /** Sizes of the data split and the reading position; null when the training text is not known. */
  get data() {
    this.#live('data');
    const d = this.#dataOrNull();
    if (!d) return null;
    return {
      chars: d.ids.length, trainChars: d.nTrain, valChars: d.nVal, streams: this.#config.batch,
      streamLength: d.S, chunksPerEpoch: d.chunks, epoch: this.#epoch, chunk: this.#chunk,
      corpus: this.#corpus && { ...this.#corpus },
    };
  }

  // ---- training

  /**
   * n optimisation steps on consecutive chunks; returns their train losses (nats per character,
   * before each update). onProgress({step, epoch, loss, learningRate}) is called after each step.
   * A step rejected by the Network (LstmError 'nonfinite') leaves the model as it was and throws.
   */
  trainSteps(n, options) {
    this.#live('trainSteps');
    int('n', n, 0, 2 ** 31 - 1, argError);
    const { onProgress } = options === undefined ? {} : checkKeys('trainSteps options', options, ['onProgress'], argError);
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw argError(`onProgress: expected a function, got ${describe(onProgress)}`);
    }
    const d = this.#dataOrThrow('trainSteps');
    const { batch: B, seqLength: T } = this.#config;
    this.#inputs ??= new Int32Array(B * T);
    this.#targets ??= new Int32Array(B * T);
    const x = this.#inputs, y = this.#targets, ids = d.ids;
    const losses = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) this.#live('trainSteps'); // onProgress may have disposed the model
      const learningRate = this.#applySchedule();
      for (let b = 0; b < B; b++) { // stream b, chunk k: ids[b·S + k·T ...]
        const at = b * d.S + this.#chunk * T;
        x.set(ids.subarray(at, at + T), b * T);
        y.set(ids.subarray(at + 1, at + T + 1), b * T);
      }
      const loss = this.#net.train(x, y, { batch: B, steps: T });
      this.#step++;
      if (++this.#chunk === d.chunks) {
        this.#chunk = 0;
        this.#epoch++;
        this.#net.resetState('train');
      }
      losses.push(loss);
      onProgress?.({ step: this.#step, epoch: this.#epoch, loss, learningRate });
    }
    return losses;
  }

  // lr(step): constant, ×factor every `every` steps, or ×gamma per step.
  #lrAt(step) {
    const { learningRate: lr, schedule: s } = this.#config;
    if (!s) return lr;
    const v = s.type === 'step' ? lr * s.factor ** Math.floor(step / s.every) : lr * s.gamma ** step;
    return Math.max(v, 1e-30);
  }

  #applySchedule() {
    const lr = this.#lrAt(this.#step);
    if (this.#config.schedule && Math.fround(lr) !== this.#lrSet) {
      this.#net.setTrainingConfig({ learningRate: lr });
      this.#lrSet = Math.fround(lr);
    }
    return lr;
  }

  // ---- evaluation

  /**
   * Mean cross-entropy over the validation part (no argument) or over `text` (every character
   * predicted from the ones before it). Runs on the predict state (reset before and after); the
   * training state, parameters and RNGs are not touched. Unknown characters in `text` are skipped
   * (unknown: 'skip', counted in `skipped`) or read and scored as the unknown symbol ('map').
   * @returns {{loss: number, bitsPerChar: number, perplexity: number, chars: number, skipped: number}}
   */
  evaluate(text) {
    this.#live('evaluate');
    let ids, skipped = 0;
    if (text === undefined) {
      const d = this.#dataOrThrow('evaluate');
      if (d.nVal < 2) {
        throw argError(`evaluate: the validation part has ${d.nVal} characters (valFraction ${this.#config.valFraction}): pass a text`);
      }
      ids = d.ids.subarray(d.nTrain);
    } else {
      if (typeof text !== 'string') throw argError(`text: expected a string, got ${describe(text)}`);
      checkWellFormed('text', text, argError);
      ({ ids, skipped } = this.#encode(text));
      if (ids.length < 2) throw argError(`evaluate: text has ${ids.length} known characters; at least 2 are needed`);
    }
    const loss = this.#crossEntropy(ids);
    return { loss, bitsPerChar: loss / Math.LN2, perplexity: Math.exp(loss), chars: ids.length - 1, skipped };
  }

  // E streams from zero states, each a contiguous piece; padded positions are not scored.
  #crossEntropy(ids) {
    const net = this.#net, T = this.#config.seqLength, V = this.#vocab.length;
    const N = ids.length - 1; // predictions
    const E = Math.max(1, Math.min(EVAL_STREAMS, Math.floor(N / (4 * T))));
    const len = Math.ceil(N / E);
    const x = new Int32Array(E * T);
    this.#claimPredict(null);
    net.resetState('predict');
    let total = 0;
    try {
      for (let k = 0; k < len; k += T) {
        const steps = Math.min(T, len - k);
        const xs = steps === T ? x : x.subarray(0, E * steps);
        xs.fill(0);
        for (let e = 0; e < E; e++) {
          const from = e * len + k, to = Math.min(e * len + k + steps, N);
          if (to > from) xs.set(ids.subarray(from, to), e * steps);
        }
        const logits = net.predict(xs, { batch: E, steps });
        for (let e = 0; e < E; e++) {
          for (let t = 0; t < steps; t++) {
            const i = e * len + k + t;
            if (i >= N) break;
            total += nll(logits, (e * steps + t) * V, V, ids[i + 1]);
          }
        }
      }
    } finally {
      net.resetState('predict');
    }
    return total / N;
  }

  // ---- sampling

  /**
   * `length` new characters (code points) after the prime, as a string (the prime is not
   * included). See stream() for the options.
   */
  sample(options) {
    this.#live('sample');
    let s = '';
    for (const ch of this.#generate(this.#sampleOptions('sample', options))) s += ch;
    return s;
  }

  /**
   * A sync iterator of `length` characters, one Network.predict step each. Options: length
   * (default 200), temperature (default 1; 0 = greedy), topK (0 = off), topP (1 = off), greedy,
   * prime (text to read first; default: a newline, a space or the first vocabulary symbol),
   * seed (a fresh PRNG; without it the model's own sampler PRNG continues and is saved).
   * Starting another stream, sample() or evaluate() invalidates this iterator.
   */
  stream(options) {
    // checked here, at the call; only the generator's body runs lazily
    this.#live('stream');
    return this.#generate(this.#sampleOptions('stream', options));
  }

  /** stream() as an async iterator that yields to the event loop every `yieldEvery` (64) characters. */
  streamAsync(options) {
    this.#live('streamAsync');
    const { yieldEvery = 64, ...rest } = plainObject(options) ? options : {};
    int('yieldEvery', yieldEvery, 1, 2 ** 31 - 1, argError);
    const o = this.#sampleOptions('streamAsync', plainObject(options) ? rest : options);
    const gen = this.#generate(o);
    return (async function* () {
      let i = 0;
      for (const ch of gen) {
        yield ch;
        if (++i % yieldEvery === 0) await nextTick();
      }
    })();
  }

  #sampleOptions(what, options = {}) {
    checkKeys(`${what} options`, options, SAMPLE_KEYS, argError);
    const o = {
      length: int('length', options.length ?? 200, 0, 2 ** 31 - 1, argError),
      temperature: num('temperature', options.temperature ?? 1, 0, Infinity, { makeError: argError }),
      topK: int('topK', options.topK ?? 0, 0, 2 ** 31 - 1, argError),
      topP: num('topP', options.topP ?? 1, 0, 1, { openLo: true, makeError: argError }),
      greedy: options.greedy ?? false,
      prime: options.prime ?? '',
      seed: options.seed,
    };
    if (typeof o.greedy !== 'boolean') throw argError(`greedy: expected true or false, got ${describe(o.greedy)}`);
    if (typeof o.prime !== 'string') throw argError(`prime: expected a string, got ${describe(o.prime)}`);
    checkWellFormed('prime', o.prime, argError);
    if (o.seed !== undefined) int('seed', o.seed, 0, 2 ** 32 - 1, argError);
    if (o.temperature === 0) o.greedy = true;
    return o;
  }

  *#generate(o) {
    const net = this.#net, V = this.#vocab.length;
    const rng = o.seed === undefined ? this.#rng : new Rng(o.seed);
    const masked = this.#unknownAdded ? this.#unknownId : -1;
    const p = new Float64Array(V), order = new Int32Array(V);
    if (o.length === 0) return;
    this.#live('stream'); // disposed between stream() and the first next()
    // Streams share the network's one predict state: whoever takes it over first stashes the
    // running stream's state (O(L·H), only when streams interleave), and the stream restores it
    // when it resumes, so interleaved streams, sample() and evaluate() do not disturb each other.
    const me = { saved: null, stash: () => { me.saved = net.getState('predict'); } };
    this.#claimPredict(me);
    net.resetState('predict');
    let { ids } = this.#encode(o.prime);
    if (ids.length === 0) ids = Int32Array.of(this.#startId());
    let logits = net.predict(ids, { batch: 1, steps: ids.length, lastOnly: true });
    const next = new Int32Array(1);
    for (let n = 0; n < o.length; n++) {
      let id;
      if (o.greedy) {
        id = argmax(logits, masked);
      } else {
        softmaxInto(p, logits, o.temperature, masked);
        if (o.topK > 0 || o.topP < 1) filterInPlace(p, o.topK, o.topP, order);
        id = draw(p, rng);
      }
      yield this.#vocab[id];
      if (n + 1 === o.length) break;
      this.#live('stream');
      if (this.#holder !== me) {
        this.#claimPredict(me);
        net.setState('predict', me.saved);
      }
      next[0] = id;
      logits = net.predict(next, { batch: 1, steps: 1, lastOnly: true });
    }
  }

  // The predict state passes to `owner` (a stream, or null for evaluation); the stream holding it
  // keeps a copy to resume from.
  #claimPredict(owner) {
    if (this.#holder && this.#holder !== owner) this.#holder.stash();
    this.#holder = owner;
  }

  // The start symbol when there is no (known) prime: a newline, else a space, else id 0.
  #startId() {
    for (const ch of ['\n', ' ']) {
      const id = this.#index.get(ch.codePointAt(0));
      if (id !== undefined) return id;
    }
    return 0;
  }

  // ---- inspection

  /**
   * Gate and state activations while reading `text` from a zero state (unknown characters follow
   * the `unknown` policy): values (T, C, H) for one layer (default the top one), where channels
   * are LSTM i f g o c h, GRU r z n h, RNN h. get(step, channel) is the H values at one step.
   */
  inspect(text, options = {}) {
    this.#live('inspect');
    checkKeys('inspect options', options, ['layer'], argError);
    if (typeof text !== 'string') throw argError(`text: expected a string, got ${describe(text)}`);
    checkWellFormed('text', text, argError);
    const { ids, chars } = this.#encode(text, true);
    if (ids.length === 0) throw argError('inspect: text has no known characters');
    const L = this.#config.layers;
    const layer = int('layer', options.layer ?? L - 1, 0, L - 1, argError);
    const r = this.#net.inspect(ids, { batch: 1, steps: ids.length });
    const T = ids.length, C = r.channels.length, H = r.hidden, size = T * C * H;
    const values = r.data.slice(layer * size, (layer + 1) * size); // (T, B = 1, C, H)
    const channels = r.channels;
    return {
      chars, channels, layer, layers: L, hidden: H, steps: T, values,
      get(step, channel) {
        const c = typeof channel === 'string' ? channels.indexOf(channel) : channel;
        int('step', step, 0, T - 1, argError);
        if (!Number.isInteger(c) || c < 0 || c >= C) {
          throw argError(`channel: expected one of ${channels.join(', ')} or an index < ${C}, got ${describe(channel)}`);
        }
        return values.subarray((step * C + c) * H, (step * C + c + 1) * H);
      },
    };
  }

  // ---- files

  /**
   * The model as a file (Uint8Array): parameters, optimizer moments, train state and C RNG (by
   * Network.save), and in the meta the config, vocabulary, step, data position and sampler PRNG.
   * includeText (default false) stores the training text too, so load() needs no `text`.
   */
  save(options) {
    this.#live('save');
    const { includeText = false } = options === undefined ? {} : checkKeys('save options', options, ['includeText'], argError);
    if (typeof includeText !== 'boolean') throw argError(`includeText: expected true or false, got ${describe(includeText)}`);
    const char = {
      version: META_VERSION, config: { ...this.#config }, vocab: this.#vocab, unknownId: this.#unknownId,
      unknownAdded: this.#unknownAdded, fingerprint: this.#fingerprint, corpus: this.#corpus,
      step: this.#step, epoch: this.#epoch, chunk: this.#chunk, sampler: this.#rng.state,
    };
    if (includeText) {
      if (this.#text === null) throw argError('save: includeText, but this model was loaded without its training text');
      char.text = this.#text;
    }
    return this.#net.save({ meta: { char }, [KIND]: 'char' });
  }

  /** Frees the Network; later calls throw LstmError 'disposed'. */
  dispose() {
    this.#net.dispose();
    this.#data = null;
  }

  // ---- internals

  // Every public method and getter (but `disposed`) starts here, so that errors name it, not the
  // Network call it makes.
  #live(what) {
    if (this.#net.disposed) throw new LstmError('disposed', `${what}: this CharModel was disposed`);
    const trap = this.#net[WASM]?.trap;
    if (trap) {
      throw new LstmError('trap', `${what}: this CharModel's WebAssembly instance trapped earlier ` +
        `(${trap.message}) and cannot be used: create or load a new one`);
    }
  }

  // {ids, skipped[, chars]}: the code points of text as ids under the unknown policy.
  #encode(text, withChars = false) {
    const out = [], chars = withChars ? [] : null;
    let skipped = 0;
    for (const ch of text) {
      let id = this.#index.get(ch.codePointAt(0));
      if (id === undefined) {
        if (this.#unknownId < 0) { skipped++; continue; }
        id = this.#unknownId;
      }
      out.push(id);
      chars?.push(ch);
    }
    return { ids: Int32Array.from(out), skipped, chars };
  }

  #dataOrNull() {
    if (this.#data) return this.#data;
    if (this.#text === null && this.#corpus) this.#text = defaultCorpus(this.#corpus);
    if (this.#text === null) return null;
    this.#data = splitData(encodeAll(this.#text, this.#index), this.#config, 'CharModel');
    return this.#data;
  }

  #dataOrThrow(what) {
    const d = this.#dataOrNull();
    if (!d) {
      throw argError(`${what}: this model was loaded without its training text: pass it to ` +
        'CharModel.load(bytes, {text}) (or save with {includeText: true})');
    }
    return d;
  }
}

// -log softmax(logits[at .. at+V))[target] in float64.
function nll(logits, at, V, target) {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[at + v] > max) max = logits[at + v];
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[at + v] - max);
  return Math.log(sum) + max - logits[at + target];
}

// Every code point of a training text as an id (all are in the vocabulary).
function encodeAll(text, index) {
  const ids = new Int32Array(text.length); // ≥ the number of code points
  let n = 0;
  for (const ch of text) ids[n++] = index.get(ch.codePointAt(0));
  return ids.slice(0, n);
}

// char-rnn's split: the last ⌊N·valFraction⌋ characters are validation; the train part is cut into
// B streams of S = ⌊(nTrain − 1) / (B·T)⌋·T characters (targets are the next character).
function splitData(ids, { batch: B, seqLength: T, valFraction }, what) {
  const N = ids.length;
  const nVal = Math.floor(N * valFraction), nTrain = N - nVal;
  const chunks = Math.floor((nTrain - 1) / (B * T));
  if (chunks < 1) {
    throw configError(`${what}: the training part of the text has ${nTrain} characters (of ${N}); ` +
      `batch × seqLength + 1 = ${B * T + 1} are needed: use a longer text or a smaller batch or seqLength`);
  }
  return { ids, nTrain, nVal, S: chunks * T, chunks };
}
