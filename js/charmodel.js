// charmodel.js — CharModel: a character language model (char-rnn) on top of Network.
//
//   const m = await CharModel.create({ text });            // vocabulary, split, Network
//   m.trainSteps(200);                                      // truncated BPTT, carried state
//   m.evaluate();                                           // { loss, bitsPerChar, perplexity, chars }
//   m.sample({ length: 200, temperature: 0.8, prime: 'The ' });
//   const bytes = m.save(); const m2 = await CharModel.load(bytes, { text });
//   const m3 = CharModel.fromNetwork(network, { vocabulary: m.vocabulary });  // e.g. from PyTorch
//
// What it does, in data-flow order (and the module that does it):
//   options     read once each, into owned copies, and checked (charconfig.js, args.js): a getter
//               or Proxy cannot change a value after its check.
//   vocabulary  Unicode code points of the training text, sorted (emoji, CJK, combining marks are
//               one symbol each), or given with a Network (fromNetwork); characters not in it are
//               skipped or mapped to one reserved symbol (option `unknown`), never a crash
//               (vocab.js).
//   data        char-rnn's recipe: the last `valFraction` of the text is held out; the rest is cut
//               into B streams of S characters read in consecutive chunks of T, so the Network's
//               train state carries from chunk to chunk; it is reset at every epoch boundary. The
//               ids are kept in the smallest typed array that holds the vocabulary (1 byte per
//               character for up to 256 symbols), the text itself is not kept (vocab.js).
//   training    one Network.train call per step; the learning-rate schedule is applied per step.
//   evaluation  forward passes on the predict state (reset before and after), loss in float64.
//   sampling    the prime read in bounded pieces, then one character per Network.predict call on
//               the predict state: O(1) per character; temperature, top-k, top-p, greedy; a seeded
//               JS PRNG (js/rng.js), never Math.random (sampling.js).
//   files       Network's file with kind 'char' and this model's JSON meta: vocabulary, config,
//               step, data position and the sampler's PRNG, so that training resumes bit-exactly.
//               Every field is checked on load against the network and the text (charfile.js).
// What it does not do: word or BPE tokens; training text larger than memory; Worker management.
//
// Errors: LstmError 'config' for the options of create and fromNetwork, 'arg' for method
// arguments; `argument` names the option or argument at fault ('options' for an options object
// that is not one or has an unknown key).
//
// Legend: B batch (streams), T seqLength, V vocabulary, S characters per stream, E eval streams.

import { Network, KIND, WASM } from './network.js';
import { LstmError, describe } from './errors.js';
import { intIn, numIn, bool, fn, argError, configError, readOptions, isPlainObject } from './args.js';
import { CELL } from './abi.js';
import { Rng } from './rng.js';
import { defaultCorpus } from './corpus.js';
import {
  CHAR_LIMITS, CREATE_KEYS, FROM_NETWORK_KEYS, readOptionsOnce, checkConfig, freezeConfig, readCorpus, clipOf, configForBudget,
  clipToNetwork,
} from './charconfig.js';
import {
  MAX_CODE_POINT, UNKNOWN_CP, scanText, loneSurrogateMessage, textArg, showChar, SymbolIndex, textVocabulary,
  readGivenVocabulary, encodeText, decodeIds, buildData,
} from './vocab.js';
import { filterInPlace, softmaxInto, argmax, draw } from './sampling.js';
import { readCharMeta, charMeta } from './charfile.js';
import { nextTick, scheduleFunction } from './fit.js';
import { threadsUnavailable, coreCount, AUTO_THREADS_CAP } from './pool.js';

export { filterDistribution } from './sampling.js';

const EVAL_STREAMS = 16; // at most, each of at least 4·T characters
// A prime is read in pieces whose Network workspace stays near 16 MB (2^22 floats): a 150k-character
// prime read at once needs a workspace of 150k steps, more than the 1 GB of wasm memory.
const PRIME_WORKSPACE_FLOATS = 1 << 22;
const MAX_PRIME_CHUNK = 4096;

const SAMPLE_KEYS = ['length', 'temperature', 'topK', 'topP', 'greedy', 'prime', 'seed'];
const MAX_INT32 = 2 ** 31 - 1;

// Networks that belong to a CharModel: a second CharModel on the same network would share (and
// corrupt) its carried states.
const OWNED = new WeakSet();

/** Internal (wasm-lstm/worker): `model[DRAW_SEED]()` draws a uint32 from the sampler's PRNG, as
 *  the seed of a stream that runs on a snapshot of the model but should continue its draws. */
export const DRAW_SEED = Symbol('wasm-lstm draw a sampler seed');

const sameFloat32 = (a, b) => Math.fround(a) === Math.fround(b);

// Network's own accessors, called on the network given to fromNetwork: what it says is read from
// the network itself, not from own properties a caller may have defined over them (a `config`
// getter that says vocab 9, then 90).
const networkGetter = (name) => Object.getOwnPropertyDescriptor(Network.prototype, name).get;
const NETWORK = Object.freeze({
  disposed: networkGetter('disposed'), config: networkGetter('config'), trainingConfig: networkGetter('trainingConfig'),
  wasm: networkGetter(WASM),
});

/** Whether v is a Network made by Network.create or load (not an Object.create(Network.prototype):
 *  Network's getters check its private fields). */
function isNetwork(v) {
  try {
    NETWORK.disposed.call(v);
    return true;
  } catch {
    return false;
  }
}

// ---- CharModel

const TOKEN = Symbol('CharModel constructor');

export class CharModel {
  #net;
  #config; // frozen; its training settings follow the network's (see #currentConfig)
  #vocab; // string[]: id -> character
  #codePoints; // number[]: id -> code point
  #index; // SymbolIndex: code point -> id
  #vocabFrom; // 'text' (built from the training text, sorted) or 'given' (fromNetwork)
  #unknownId; // id of the reserved unknown symbol, or -1 ('skip')
  #unknownAdded; // whether that symbol was added (then never sampled)
  #fingerprint; // of the training text, or null (fromNetwork without a text)
  #corpus; // {seed, chars} when trained on defaultCorpus, else null
  #text; // the training text when the ids cannot give it back (a given vocabulary), else null
  #data; // {ids, nTrain, nVal, S, chunks, skipped}, or null when the training text is not known
  #step = 0;
  #epoch = 0;
  #chunk = 0; // next chunk within the epoch
  #rng; // the sampler's PRNG (used when sample() has no seed)
  #lrSet = NaN; // the float32 learning rate last written to the Network
  #holder = null; // the running stream whose state is in the network's predict state now
  #stepper = null; // the network's stepper (one id in, logits out), made by the first stream that needs it
  #inputs = null;
  #targets = null;

  /** The largest hidden, layers, seqLength and batch a CharModel takes (hidden and layers are the
   *  C core's limits). Frozen. */
  static limits = CHAR_LIMITS;

  /** Not public: use CharModel.create, CharModel.load or CharModel.fromNetwork. */
  constructor(token, net, s) {
    if (token !== TOKEN) throw new TypeError('use CharModel.create(options), CharModel.load(bytes) or CharModel.fromNetwork(network, options)');
    OWNED.add(net);
    this.#net = net;
    this.#config = freezeConfig(s.config);
    this.#vocab = s.vocab;
    this.#codePoints = s.codePoints;
    this.#index = s.index;
    this.#vocabFrom = s.vocabFrom;
    this.#unknownId = s.unknownId;
    this.#unknownAdded = s.unknownAdded;
    this.#fingerprint = s.fingerprint;
    this.#corpus = s.corpus;
    this.#data = s.data;
    this.#text = s.data && s.vocabFrom === 'given' && !s.corpus ? s.text : null;
    this.#step = s.step;
    this.#epoch = s.epoch;
    this.#chunk = s.chunk;
    this.#rng = s.sampler ? Rng.fromState(s.sampler) : new Rng(s.config.seed);
  }

  /**
   * Builds the vocabulary from `text` (or from defaultCorpus(corpus) when no text is given), splits
   * it, and creates the Network. See index.d.ts for the options and their defaults.
   */
  static async create(options) {
    const o = readOptionsOnce('CharModel.create options', options, CREATE_KEYS, configError);
    const config = checkConfig(o.minutes === undefined ? o : { ...(await sizedFor(o)), ...definedKeys(o) });
    if (o.text !== undefined && o.corpus !== undefined) throw configError('text, corpus: give one of them, not both', 'text');
    let text, corpus = null;
    if (o.text === undefined) {
      corpus = readCorpus(o.corpus);
      text = defaultCorpus(corpus);
    } else {
      text = o.text;
      if (typeof text !== 'string') throw configError(`text: expected a string, got ${describe(text)}`, 'text');
    }
    const seen = new Uint8Array(MAX_CODE_POINT + 1);
    const scan = scanText(text, seen);
    if (scan.lone >= 0) throw configError(loneSurrogateMessage('text', text, scan.lone), 'text');
    const { codePoints, unknownId, unknownAdded } = textVocabulary(seen, config.unknown);
    const V = codePoints.length, index = new SymbolIndex(codePoints);
    // the split is checked before paying for the Network
    const data = buildData(text, index, unknownId, V, config, 'CharModel.create', scan.chars);
    if (V < 2) { // the Network's softmax needs 2 classes (unknown: 'map' adds one)
      throw configError(`text: expected at least 2 distinct characters, got ${scan.distinct}` +
        `${scan.distinct ? ` (${showChar(String.fromCodePoint(codePoints[0]))})` : ''}`, 'text');
    }
    const net = await Network.create({
      cell: config.cell, vocab: V, output: V, hidden: config.hidden, layers: config.layers, loss: 'xent',
      seed: config.seed, optimizer: config.optimizer, learningRate: config.learningRate,
      clip: clipToNetwork(config.clip), dropout: config.dropout, simd: o.simd ?? 'auto',
      ...(o.threads !== undefined && { threads: o.threads }),
    });
    return new CharModel(TOKEN, net, {
      config, vocab: codePoints.map((cp) => String.fromCodePoint(cp)), codePoints, index, vocabFrom: 'text',
      unknownId, unknownAdded, fingerprint: { chars: scan.chars, fnv: scan.fnv }, corpus, text, data,
      step: 0, epoch: 0, chunk: 0, sampler: null,
    });
  }

  /**
   * The config keys that create({minutes}) picks for a training budget of `minutes` on `threads`
   * threads (an integer, default 1): {hidden, layers, batch, seqLength, learningRate[, dropout]}.
   * The sizes and the measurements behind them: charconfig.js BUDGET_SIZES, bench/README.md.
   */
  static configFor(options) {
    const o = readOptionsOnce('CharModel.configFor options', options, ['minutes', 'threads'], configError);
    const minutes = numIn('minutes', o.minutes, 0, 1e9, { openLo: true, makeError: configError });
    const threads = o.threads === undefined ? 1 : intIn('threads', o.threads, 1, 64, configError);
    return configForBudget(minutes, threads);
  }

  /**
   * A CharModel on an existing Network (for example one converted from PyTorch) and its
   * vocabulary: `vocabulary` is a string of distinct characters, or an array of code points or
   * one-character strings, in id order (id i is the network's input token i and output class i).
   * The network must take tokens, have one output per symbol and loss 'xent'; the CharModel takes
   * it over (dispose() frees it). Optional: `text` to train on (characters outside the vocabulary
   * follow `unknown`), and the training settings of create (optimizer, learningRate, clip and
   * dropout default to the network's own and are written to it when given). Synchronous.
   */
  static fromNetwork(network, options) {
    if (!isNetwork(network)) throw argError(`network: expected a Network, got ${describe(network)}`, 'network');
    // every user value is read before the network is checked and taken: a getter that makes
    // another CharModel of it, or disposes it, runs before the checks, not between them
    if (options === undefined) throw configError('CharModel.fromNetwork options: expected an object, got undefined', 'options');
    const o = readOptionsOnce('CharModel.fromNetwork options', options, FROM_NETWORK_KEYS, configError);
    if (NETWORK.disposed.call(network)) throw new LstmError('disposed', 'CharModel.fromNetwork: network: this Network was disposed', { argument: 'network' });
    if (NETWORK.wasm.call(network).trap) throw new LstmError('trap', 'CharModel.fromNetwork: network: its WebAssembly instance trapped earlier and cannot be used', { argument: 'network' });
    if (OWNED.has(network)) {
      throw argError('network: expected a Network of its own, got the network of another CharModel (they would share its carried states)', 'network');
    }
    const nc = NETWORK.config.call(network);
    if (nc.vocab === undefined) {
      throw argError(`network: expected a token-input network (created with vocab), got dense input of width ${nc.input}`, 'network');
    }
    if (nc.bidirectional) {
      throw argError('network: expected a unidirectional network, got a bidirectional one (a CharModel writes text left ' +
        'to right, carrying its state; a reverse direction would need the characters not yet written)', 'network');
    }
    if (nc.loss !== 'xent') throw argError(`network: expected loss 'xent' (a softmax over the vocabulary), got loss '${nc.loss}'`, 'network');
    if (nc.output !== nc.vocab) {
      throw argError(`network: expected as many outputs as input tokens (one class per symbol), got vocab ${nc.vocab}, output ${nc.output}`, 'network');
    }
    const V = nc.vocab;
    const codePoints = readGivenVocabulary(o.vocabulary, V);
    const tc = NETWORK.trainingConfig.call(network);
    const clip = o.clip ?? clipOf(tc);
    if (clip === undefined) {
      throw configError(`clip: the network clips gradients by value (threshold ${tc.clip.threshold}), which a CharModel ` +
        'config cannot say: expected clip (a global-norm threshold, or 0 for none), got undefined', 'clip');
    }
    const config = checkConfig({ // o's settings, and the network's architecture and seed
      ...o, cell: nc.cell, hidden: nc.hidden, layers: nc.layers, seed: nc.seed, clip,
      optimizer: o.optimizer ?? tc.optimizer, learningRate: o.learningRate ?? tc.learningRate,
      dropout: o.dropout ?? tc.dropout,
    });
    let unknownId = -1;
    if (config.unknown === 'map') {
      unknownId = codePoints.indexOf(UNKNOWN_CP);
      if (unknownId < 0) {
        throw configError("unknown: 'map' reads unknown characters as U+FFFD, which must be in the given vocabulary: " +
          'expected a vocabulary with U+FFFD, got none', 'unknown');
      }
    }
    const index = new SymbolIndex(codePoints);
    let fingerprint = null, data = null;
    if (o.text !== undefined) {
      if (typeof o.text !== 'string') throw configError(`text: expected a string, got ${describe(o.text)}`, 'text');
      const scan = scanText(o.text);
      if (scan.lone >= 0) throw configError(loneSurrogateMessage('text', o.text, scan.lone), 'text');
      data = buildData(o.text, index, unknownId, V, config, 'CharModel.fromNetwork', scan.chars);
      fingerprint = { chars: scan.chars, fnv: scan.fnv };
    }
    // everything is checked: now the network's training settings
    const patch = {};
    if (o.optimizer !== undefined) patch.optimizer = config.optimizer;
    if (o.learningRate !== undefined) patch.learningRate = config.learningRate;
    if (o.dropout !== undefined) patch.dropout = config.dropout;
    if (o.clip !== undefined) patch.clip = clipToNetwork(config.clip);
    // again, after the last user code (the vocabulary's entries): the network is still free and alive
    if (NETWORK.disposed.call(network)) throw new LstmError('disposed', 'CharModel.fromNetwork: network: this Network was disposed', { argument: 'network' });
    if (OWNED.has(network)) {
      throw argError('network: expected a Network of its own, got the network of another CharModel (they would share its carried states)', 'network');
    }
    if (Object.keys(patch).length) Network.prototype.setTrainingConfig.call(network, patch);
    return new CharModel(TOKEN, network, {
      config, vocab: codePoints.map((cp) => String.fromCodePoint(cp)), codePoints, index, vocabFrom: 'given',
      unknownId, unknownAdded: false, fingerprint, corpus: null, text: o.text ?? null, data,
      step: 0, epoch: 0, chunk: 0, sampler: null,
    });
  }

  /**
   * Loads a file written by save(), checking every field of its CharModel meta against the
   * network and the training text (LstmError 'format' naming the field). Training and evaluate()
   * without a text need the training text: pass it as `text` (checked against the file's
   * fingerprint: LstmError 'arg'), or save with includeText, or train on the default corpus
   * (regenerated and checked). Rejects a plain Network file with LstmError 'format'.
   * @param {Uint8Array|ArrayBuffer} bytes
   * @param {{text?: string, simd?: boolean|'auto', threads?: number|'auto'}} [options]
   */
  static async load(bytes, options) {
    const { text, simd, threads } = readOptionsOnce('CharModel.load options', options, ['text', 'simd', 'threads'], argError);
    if (text !== undefined) textArg('text', text, argError);
    const net = await Network.load(bytes, { [KIND]: 'char', ...(simd !== undefined && { simd }), ...(threads !== undefined && { threads }) });
    try {
      return new CharModel(TOKEN, net, readCharMeta(net, text));
    } catch (err) {
      net.dispose();
      throw err;
    }
  }

  // ---- properties

  // Every getter but `disposed` throws LstmError 'disposed' after dispose(), as Network's do.

  /** The vocabulary: characters (one code point each) by id. A copy. */
  get vocab() { this.#live('vocab'); return this.#vocab.slice(); }
  /** The vocabulary as one string, a symbol (code point) per id: for fromNetwork and exports. */
  get vocabulary() { this.#live('vocabulary'); return this.#vocab.join(''); }
  /** Training steps done. */
  get step() { this.#live('step'); return this.#step; }
  /** Epochs completed (an epoch ends when every stream has been read once). */
  get epoch() { this.#live('epoch'); return this.#epoch; }
  /** The configuration (defaults filled in; training settings as the network has them). Frozen. */
  get config() { this.#live('config'); return this.#currentConfig(); }
  /** The underlying Network (advanced use: parameters, trainingConfig). */
  get network() { this.#live('network'); return this.#net; }
  get disposed() { return this.#net.disposed; }
  /** The id of the reserved unknown symbol (unknown: 'map'), or -1. */
  get unknownId() { this.#live('unknownId'); return this.#unknownId; }
  /** The learning rate of the next step (after the schedule). */
  get learningRate() { this.#live('learningRate'); return this.#lrAt(this.#step, this.#currentConfig()); }

  /** Sizes of the data split and the reading position; null when the training text is not known. */
  get data() {
    this.#live('data');
    const d = this.#data;
    if (!d) return null;
    return {
      chars: d.ids.length, trainChars: d.nTrain, valChars: d.nVal, streams: this.#config.batch,
      streamLength: d.S, chunksPerEpoch: d.chunks, epoch: this.#epoch, chunk: this.#chunk,
      corpus: this.#corpus && { ...this.#corpus }, skipped: d.skipped,
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
    intIn('n', n, 0, MAX_INT32);
    const o = readOptionsOnce('trainSteps options', options, ['onProgress'], argError);
    this.#live('trainSteps'); // a getter of the options may have disposed the model
    const onProgress = fn('onProgress', o.onProgress);
    this.#dataOrThrow('trainSteps');
    const losses = [];
    // without a schedule the rate is the network's (the user may set it through model.network)
    const fixedRate = this.#config.schedule ? null : this.#net.trainingConfig.learningRate;
    for (let i = 0; i < n; i++) {
      if (i > 0) this.#live('trainSteps'); // onProgress may have disposed the model
      const learningRate = fixedRate ?? this.#applySchedule();
      const loss = this.#stepOnce();
      losses.push(loss);
      onProgress?.({ step: this.#step, epoch: this.#epoch, loss, learningRate });
    }
    return losses;
  }

  // One optimisation step on the next chunk of every stream, at the network's current learning
  // rate: the one primitive of trainSteps and train, so that both take bit-identical steps.
  #stepOnce() {
    const d = this.#data, ids = d.ids;
    const { batch: B, seqLength: T } = this.#config;
    this.#inputs ??= new Int32Array(B * T);
    this.#targets ??= new Int32Array(B * T);
    const x = this.#inputs, y = this.#targets;
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
    return loss;
  }

  #training = false;

  /**
   * Trains for a budget of `steps`, `epochs` or `minutes` (exactly one) without blocking: the same
   * steps as trainSteps (bit for bit), taken in slices between which it yields to the event loop
   * (at least every `yieldEvery` ms), with an evaluation of the validation part every `evalEvery`
   * steps and at the end, onProgress after every slice and evaluation, an AbortSignal, and an
   * optional learning-rate schedule over the budget. See index.d.ts; resolves with the history,
   * rejects with LstmError ('aborted' carrying `history`, 'nonfinite' …) or the error onProgress
   * threw; the model then stays at its last completed step.
   */
  async train(options) {
    this.#live('train');
    const o = this.#trainOptions(options);
    if (this.#training) throw new LstmError('busy', 'train: this CharModel is already training (await the running train first)');
    this.#training = true;
    try {
      return await this.#trainLoop(o);
    } finally {
      this.#training = false;
    }
  }

  // The options of train, read once (each key once) and checked; nothing runs before all pass.
  #trainOptions(options) {
    const raw = readOptionsOnce('train options', options, TRAIN_KEYS, argError);
    const d = this.#dataOrThrow('train');
    const budgets = ['steps', 'epochs', 'minutes'].filter((k) => raw[k] !== undefined);
    if (budgets.length !== 1) {
      throw argError(`train options: expected exactly one budget of steps, epochs or minutes, got ${budgets.length ? budgets.join(', ') : 'none'}`,
        budgets[1] ?? 'steps');
    }
    const o = { budget: budgets[0] };
    if (o.budget === 'steps') {
      o.steps = raw.steps === Infinity ? Infinity : intIn('steps', raw.steps, 1, Number.MAX_SAFE_INTEGER);
      o.total = o.steps;
    } else if (o.budget === 'epochs') {
      o.epochs = intIn('epochs', raw.epochs, 1, MAX_INT32);
      o.total = o.epochs * d.chunks - this.#chunk; // to the end of the epoch `epochs` from here
    } else {
      o.minutes = numIn('minutes', raw.minutes, 0, 1e9, { openLo: true });
      o.total = Infinity;
    }
    o.evalEvery = raw.evalEvery === undefined ? Infinity : intIn('evalEvery', raw.evalEvery, 1, Number.MAX_SAFE_INTEGER);
    // a budget of minutes without evalEvery: an evaluation after every quarter of the time (and at the end)
    o.evalQuarters = o.budget === 'minutes' && raw.evalEvery === undefined && d.nVal >= 2;
    if (raw.evalEvery !== undefined && d.nVal < 2) {
      throw argError(`evalEvery: the validation part has ${d.nVal} characters (valFraction ${this.#config.valFraction}): nothing to evaluate`, 'evalEvery');
    }
    o.onProgress = fn('onProgress', raw.onProgress);
    o.yieldEvery = numIn('yieldEvery', raw.yieldEvery ?? 16, 0, 1e9);
    const signal = raw.signal;
    if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
      throw argError(`signal: expected an AbortSignal, got ${describe(signal)}`, 'signal');
    }
    o.signal = signal;
    o.schedule = readTrainSchedule(raw.schedule === undefined && o.budget === 'minutes' ? 'auto' : raw.schedule, o.total, o.budget);
    return Object.freeze(o);
  }

  async #trainLoop(o) {
    const net = this.#net, { batch: B, seqLength: T } = this.#config;
    const history = { steps: 0, loss: [], valLoss: [], elapsed: 0, stopped: null };
    const t0 = now();
    let lastYield = t0, slice = { losses: [], t: t0 }, learningRate = NaN;
    const elapsed = () => (now() - t0) / 1000;
    // A schedule of this call replaces the model's for its steps, from the model's base rate; the
    // network's rate is restored afterwards (as Network#fit does).
    const networkRate = net.trainingConfig.learningRate;
    const base = this.#currentConfig().learningRate;
    let lrSet = Math.fround(networkRate);
    // the fraction of the budget done: time for minutes, steps otherwise (the 'auto' schedule)
    const done = (i) => (o.minutes !== undefined ? (now() - t0) / (o.minutes * 60_000) : i / o.total);
    const rateOfStep = (i) => {
      if (o.schedule) {
        const lr = Math.max(1e-30, o.schedule === AUTO ? autoRate(base, done(i)) : o.schedule(i, this.#epoch, base));
        if (!(lr > 0 && Number.isFinite(lr))) throw argError(`schedule: returned ${describe(lr)} at step ${i}: expected a positive number`, 'schedule');
        if (Math.fround(lr) !== lrSet) {
          net.setTrainingConfig({ learningRate: lr });
          lrSet = Math.fround(lr);
        }
        return lr;
      }
      return this.#config.schedule ? this.#applySchedule() : net.trainingConfig.learningRate;
    };
    const progress = async (valLoss) => {
      if (!o.onProgress) return;
      const t = now(), n = slice.losses.length;
      const p = {
        step: this.#step, epoch: this.#epoch, loss: n ? slice.losses.reduce((a, b) => a + b, 0) / n : NaN,
        losses: slice.losses, learningRate, elapsed: (t - t0) / 1000,
        charsPerSecond: n && t > slice.t ? (n * B * T * 1000) / (t - slice.t) : 0,
      };
      if (valLoss !== undefined) p.valLoss = valLoss;
      slice = { losses: [], t };
      const r = o.onProgress(p);
      if (r && typeof r.then === 'function') await r;
      this.#live('train'); // onProgress may have disposed the model
    };
    const pause = async () => {
      if (now() - lastYield >= o.yieldEvery) {
        await nextTick();
        lastYield = now();
        this.#live('train');
      }
      if (o.signal?.aborted) throw trainAborted(o.signal, history, elapsed());
    };
    const evaluate = async () => {
      const gen = this.#crossEntropySteps(this.#data.ids.subarray(this.#data.nTrain));
      for (let r = gen.next(); ; r = gen.next()) {
        if (r.done) {
          history.valLoss.push({ step: this.#step, loss: r.value });
          return r.value;
        }
        await pause();
      }
    };
    try {
      if (o.signal?.aborted) throw trainAborted(o.signal, history, 0);
      let i = 0, lastEval = -1, quarter = 0;
      for (;;) {
        if (i >= o.total) {
          history.stopped = o.budget;
          break;
        }
        if (o.minutes !== undefined && now() - t0 >= o.minutes * 60_000) {
          history.stopped = 'minutes';
          break;
        }
        learningRate = rateOfStep(i);
        const loss = this.#stepOnce();
        i++;
        history.steps = i;
        history.loss.push(loss);
        slice.losses.push(loss);
        if ((i % o.evalEvery === 0 && i < o.total) || (o.evalQuarters && done(i) >= (quarter + 1) / 4 && quarter < 3)) {
          if (o.evalQuarters) quarter = Math.min(3, Math.floor(4 * done(i)));
          lastEval = i;
          await progress(await evaluate());
          await pause();
        } else if (now() - lastYield >= o.yieldEvery) {
          await progress();
          await pause();
        } else if (o.signal?.aborted) {
          throw trainAborted(o.signal, history, elapsed());
        }
      }
      let valLoss;
      if (this.#data.nVal >= 2 && lastEval !== i) valLoss = await evaluate();
      if (slice.losses.length || valLoss !== undefined) await progress(valLoss);
      history.elapsed = elapsed();
      return history;
    } catch (err) {
      if (err instanceof LstmError && !err.history) err.history = { ...history, elapsed: elapsed(), stopped: err.code === 'aborted' ? 'aborted' : 'error' };
      throw err;
    } finally {
      if (o.schedule && !this.#net.disposed) {
        try { net.setTrainingConfig({ learningRate: networkRate }); } catch { /* trapped */ }
        this.#lrSet = NaN; // the model's own schedule writes its rate again at its next step
      }
    }
  }

  // lr(step): constant, ×factor every `every` steps, or ×gamma per step.
  #lrAt(step, config = this.#config) {
    const { learningRate: lr, schedule: s } = config;
    if (!s) return lr;
    const v = s.type === 'step' ? lr * s.factor ** Math.floor(step / s.every) : lr * s.gamma ** step;
    return Math.max(v, 1e-30);
  }

  // Writes this step's rate of the schedule to the network (when its float32 changes).
  #applySchedule() {
    const lr = this.#lrAt(this.#step);
    if (Math.fround(lr) !== this.#lrSet) {
      this.#net.setTrainingConfig({ learningRate: lr });
      this.#lrSet = Math.fround(lr);
    }
    return lr;
  }

  // The config with the network's training settings: model.network.setTrainingConfig is how the
  // demo changes the learning rate and clip of a running model, and a file must say what the
  // network does. Kept when equal as float32 (2e-3 stays 2e-3); the schedule's base rate is ours.
  #currentConfig() {
    const c = this.#config, tc = this.#net.trainingConfig;
    const live = { optimizer: tc.optimizer, dropout: tc.dropout, clip: clipOf(tc) ?? c.clip };
    if (!c.schedule) live.learningRate = tc.learningRate;
    const changed = Object.keys(live).filter((k) => (typeof c[k] === 'number' ? !sameFloat32(c[k], live[k]) : c[k] !== live[k]));
    if (changed.length) this.#config = freezeConfig({ ...c, ...Object.fromEntries(changed.map((k) => [k, live[k]])) });
    return this.#config;
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
        throw argError(`evaluate: the validation part has ${d.nVal} characters (valFraction ${this.#config.valFraction}): pass a text`, 'text');
      }
      ids = d.ids.subarray(d.nTrain);
    } else {
      textArg('text', text, argError);
      ({ ids, skipped } = this.#encode(text));
      if (ids.length < 2) throw argError(`evaluate: text has ${ids.length} known characters; at least 2 are needed`, 'text');
    }
    const loss = this.#crossEntropy(ids);
    return { loss, bitsPerChar: loss / Math.LN2, perplexity: Math.exp(loss), chars: ids.length - 1, skipped };
  }

  // The mean cross-entropy of ids, evaluated to the end at once.
  #crossEntropy(ids) {
    const gen = this.#crossEntropySteps(ids);
    for (;;) {
      const r = gen.next();
      if (r.done) return r.value;
    }
  }

  // E streams from zero states, each a contiguous piece; padded positions are not scored. A
  // generator that yields after each piece of T steps (one Network.predict), so that train() can
  // evaluate between its slices without blocking; it holds the predict state as a stream does
  // (stashed when another user takes it over in between, restored when it goes on).
  *#crossEntropySteps(ids) {
    const net = this.#net, T = this.#config.seqLength, V = this.#vocab.length;
    const N = ids.length - 1; // predictions
    const E = Math.max(1, Math.min(EVAL_STREAMS, Math.floor(N / (4 * T))));
    const len = Math.ceil(N / E);
    const x = new Int32Array(E * T);
    const me = { saved: null, stash: () => { me.saved = net.getState('predict'); } };
    this.#claimPredict(me);
    net.resetState('predict');
    let total = 0;
    try {
      for (let k = 0; k < len; k += T) {
        if (this.#holder !== me) { // someone sampled in between: back to where this evaluation was
          this.#live('evaluate');
          this.#claimPredict(me);
          if (me.saved.batch) net.setState('predict', me.saved);
          else net.resetState('predict');
        }
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
        if (k + T < len) yield;
      }
    } finally {
      if (this.#holder === me && !net.disposed) {
        net.resetState('predict');
        this.#holder = null;
      }
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
   * prime (text to read first, of any length; default: a newline, a space or the first vocabulary
   * symbol), seed (a fresh PRNG; without it the model's own sampler PRNG continues and is saved).
   */
  stream(options) {
    // checked here, at the call; only the generator's body runs lazily
    this.#live('stream');
    return this.#generate(this.#sampleOptions('stream', options));
  }

  /** stream() as an async iterator that yields to the event loop every `yieldEvery` (64) characters. */
  streamAsync(options) {
    this.#live('streamAsync');
    const o = this.#sampleOptions('streamAsync', options, ['yieldEvery']);
    const gen = this.#generate(o);
    const yieldEvery = o.yieldEvery;
    return (async function* () {
      let i = 0;
      for (const ch of gen) {
        yield ch;
        if (++i % yieldEvery === 0) await nextTick();
      }
    })();
  }

  // The sampling options, read once (each key once, into a frozen copy) and checked; `extra`:
  // the keys of the caller's own (yieldEvery), checked first.
  #sampleOptions(what, options, extra = []) {
    const raw = readOptionsOnce(`${what} options`, options, [...SAMPLE_KEYS, ...extra], argError);
    const o = {};
    if (extra.includes('yieldEvery')) o.yieldEvery = intIn('yieldEvery', raw.yieldEvery ?? 64, 1, MAX_INT32);
    o.length = intIn('length', raw.length ?? 200, 0, MAX_INT32);
    o.temperature = numIn('temperature', raw.temperature ?? 1, 0, Infinity);
    o.topK = intIn('topK', raw.topK ?? 0, 0, MAX_INT32);
    o.topP = numIn('topP', raw.topP ?? 1, 0, 1, { openLo: true });
    o.greedy = bool('greedy', raw.greedy ?? false, false) || o.temperature === 0; // temperature 0 is greedy
    o.prime = textArg('prime', raw.prime ?? '', argError);
    o.seed = raw.seed === undefined ? undefined : intIn('seed', raw.seed, 0, 2 ** 32 - 1);
    return Object.freeze(o);
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
    let logits = this.#readPrime(ids);
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
      // the stepper's own logits array: read (above) before the next step overwrites it
      logits = (this.#stepper ??= net.stepper()).step(id);
    }
  }

  // The prime through the predict state in pieces, the logits after its last character. A piece
  // is as long as a workspace of PRIME_WORKSPACE_FLOATS allows (the C workspace holds, per step,
  // every layer's gates and states and the head's outputs), so any prime fits in memory; the
  // state carries from piece to piece exactly as within one call.
  #readPrime(ids) {
    const { cell, layers: L, hidden: H } = this.#config;
    // per layer: the gate activations (and for a cell with two biases, GRU, its h Wh + bh too),
    // the hidden state and at most a cell state; then the head's logits and the token
    const { gates: G, biases } = CELL[cell];
    const perStep = L * (biases * G * H + 2 * H) + this.#vocab.length + 1;
    const piece = Math.min(ids.length, MAX_PRIME_CHUNK, Math.max(1, Math.floor(PRIME_WORKSPACE_FLOATS / perStep)));
    const x = new Int32Array(piece);
    let logits;
    for (let at = 0; at < ids.length; at += piece) {
      const k = Math.min(piece, ids.length - at);
      const xs = k === piece ? x : x.subarray(0, k);
      xs.set(ids.subarray(at, at + k));
      logits = this.#net.predict(xs, { batch: 1, steps: k, lastOnly: true });
    }
    return logits;
  }

  // The predict state passes to `owner` (a stream, or null for evaluation); the stream holding it
  // keeps a copy to resume from.
  #claimPredict(owner) {
    if (this.#holder && this.#holder !== owner) this.#holder.stash();
    this.#holder = owner;
  }

  // The start symbol when there is no (known) prime: a newline, else a space, else id 0.
  #startId() {
    for (const cp of [0x0a, 0x20]) {
      const id = this.#index.get(cp);
      if (id >= 0) return id;
    }
    return 0;
  }

  // ---- inspection

  /**
   * Gate and state activations while reading `text` from a zero state (unknown characters follow
   * the `unknown` policy): values (T, C, H) for one layer (default the top one), where channels
   * are LSTM i f g o c h, GRU r z n h, RNN h. get(step, channel) is the H values at one step.
   */
  inspect(text, options) {
    this.#live('inspect');
    const o = readOptionsOnce('inspect options', options, ['layer'], argError);
    textArg('text', text, argError);
    const chars = [], known = [];
    for (const ch of text) { // inspected texts are short: the characters are returned anyway
      let id = this.#index.get(ch.codePointAt(0));
      if (id < 0) {
        if (this.#unknownId < 0) continue;
        id = this.#unknownId;
      }
      known.push(id);
      chars.push(ch);
    }
    const ids = Int32Array.from(known);
    if (ids.length === 0) throw argError('inspect: text has no known characters', 'text');
    const L = this.#config.layers;
    const layer = intIn('layer', o.layer ?? L - 1, 0, L - 1);
    const r = this.#net.inspect(ids, { batch: 1, steps: ids.length });
    const T = ids.length, C = r.channels.length, H = r.hidden, size = T * C * H;
    const values = r.data.slice(layer * size, (layer + 1) * size); // (T, B = 1, C, H)
    const channels = r.channels;
    return {
      chars, channels, layer, layers: L, hidden: H, steps: T, values,
      get(step, channel) {
        const c = typeof channel === 'string' ? channels.indexOf(channel) : channel;
        intIn('step', step, 0, T - 1);
        if (!Number.isInteger(c) || c < 0 || c >= C) {
          throw argError(`channel: expected one of ${channels.join(', ')} or an index < ${C}, got ${describe(channel)}`, 'channel');
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
    const o = readOptionsOnce('save options', options, ['includeText'], argError);
    const includeText = bool('includeText', o.includeText, false);
    if (includeText && !this.#data) throw argError('save: includeText, but this model was loaded without its training text', 'includeText');
    const meta = charMeta({
      config: this.#currentConfig(), vocab: this.#vocab, vocabFrom: this.#vocabFrom, unknownId: this.#unknownId,
      unknownAdded: this.#unknownAdded, fingerprint: this.#fingerprint, corpus: this.#corpus, step: this.#step,
      epoch: this.#epoch, chunk: this.#chunk, sampler: this.#rng.state,
    }, includeText ? this.#text ?? decodeIds(this.#data.ids, this.#codePoints) : undefined);
    return this.#net.save({ meta, [KIND]: 'char' });
  }

  [DRAW_SEED]() {
    this.#live('stream');
    return this.#rng.next();
  }

  /** Frees the Network; later calls throw LstmError 'disposed'. */
  dispose() {
    this.#net.dispose();
    this.#data = null;
    this.#text = null;
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

  // {ids, skipped}: the code points of a well-formed text as ids under the unknown policy.
  #encode(text) {
    return encodeText(text, this.#index, this.#unknownId, this.#vocab.length);
  }

  #dataOrThrow(what) {
    if (!this.#data) {
      throw argError(`${what}: this model was loaded without its training text: pass it to ` +
        'CharModel.load(bytes, {text}) (or save with {includeText: true})', 'text');
    }
    return this.#data;
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


const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** create's options without the keys that are undefined (so that they do not hide a sized key). */
function definedKeys(o) {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'minutes'));
}

/** The config keys create's `minutes` picks (charconfig.js BUDGET_SIZES) for the threads the
 *  network will get: `threads` as given, 'auto' as the cores it would use here, else 1. */
async function sizedFor(o) {
  const minutes = numIn('minutes', o.minutes, 0, 1e9, { openLo: true, makeError: configError });
  let threads = 1;
  if (Number.isInteger(o.threads)) threads = o.threads;
  else if (o.threads === 'auto' && !threadsUnavailable()) threads = Math.min(await coreCount(), AUTO_THREADS_CAP);
  return configForBudget(minutes, threads);
}

const TRAIN_KEYS = ['steps', 'epochs', 'minutes', 'evalEvery', 'onProgress', 'signal', 'yieldEvery', 'schedule'];

/**
 * train's 'auto' schedule, its default for a budget of minutes: a linear warm-up over the first
 * AUTO.warmup of the budget, then a cosine from the model's learning rate down to AUTO.min of it at
 * the end of the budget. The budget's fraction is the elapsed time for minutes (so the rate of a
 * step depends on the machine's speed, as the number of steps in a time budget does) and the
 * call's steps for steps and epochs. bench/quality.mjs chose it (bench/README.md).
 */
const AUTO = Object.freeze({ warmup: 0.03, min: 0.05 });
function autoRate(base, done) {
  if (done < AUTO.warmup) return base * Math.max(0.02, done / AUTO.warmup);
  const p = Math.min(1, (done - AUTO.warmup) / (1 - AUTO.warmup));
  return base * (AUTO.min + (1 - AUTO.min) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/**
 * train's `schedule` as a function (i, epoch, base) → rate of the call's step i, or AUTO: the schedules of
 * Network#fit (js/fit.js: 'step', 'exp', 'cosine' or a function). A cosine without `total` spans
 * the budget, which must then be known in steps (steps or epochs; with minutes give `total`,
 * since a schedule over time would make the steps depend on the machine's speed).
 */
function readTrainSchedule(s, total, budget) {
  if (s === undefined || s === null || typeof s === 'function') return s ?? null;
  if (s === 'auto') {
    if (budget !== 'minutes' && !Number.isFinite(total)) {
      throw argError("schedule: 'auto' spans the budget, and steps: Infinity has no end: give a number of steps, epochs or minutes", 'schedule');
    }
    return AUTO;
  }
  if (!isPlainObject(s)) throw argError(`schedule: expected an object or a function, got ${describe(s)}`, 'schedule');
  const o = { ...readOptions('schedule', s, ['type', 'every', 'factor', 'gamma', 'total', 'warmup', 'min']) };
  if (o.type === 'cosine' && o.total === undefined) {
    if (!Number.isFinite(total)) {
      throw argError("schedule: a cosine schedule over a budget of minutes (or of steps: Infinity) needs its `total` steps: the number of steps in a time budget depends on the machine's speed", 'schedule');
    }
    o.total = Math.min(total, 2 ** 31 - 1);
  }
  return scheduleFunction('schedule', o);
}

function trainAborted(signal, history, elapsed) {
  history.stopped = 'aborted';
  history.elapsed = elapsed;
  const err = new LstmError('aborted', 'train: aborted by its signal; the model keeps the steps it completed', { cause: signal.reason });
  err.history = history;
  return err;
}
