// network.js — the Network class: a stack of recurrent layers (LSTM, GRU or RNN; uni- or
// bidirectional) and a linear head, in its own WebAssembly instance, wrapping the C ABI of
// c/lstm.h. Async once (create/load compiles the shared module and instantiates it), synchronous
// after.
//
// Every public method follows the same order, so that nothing a caller passes can change under a
// check or reach the C core unchecked: (1) enter (refuse a disposed, trapped or busy model), (2)
// read every argument once into owned copies (args.js), (3) validate the copies, (4) stage them in
// wasm memory and call C once, (5) copy results out. Nothing of the model changes before (4), and
// the C core changes nothing when it fails. Results are copies, never views of wasm memory.
//
// Legend: B batch, T steps, I input width, V vocabulary, H hidden, O outputs, L layers,
// D directions.

import { LstmError, describe } from './errors.js';
import {
  readOptions, oneOf, intIn, bool, numIn, isPlainObject, fileBytes, argError, configError, dataArg,
  expectLength, lengthError, readArg, finiteCheck, idCheck, withInspectionGet,
} from './args.js';
import {
  CELLS, CELL, LOSSES, GATE_ACTIVATIONS, OPTIMIZERS, CLIP_MODES, LIMITS, FLAGS, LAST_LOSSES, CLASS_LOSSES,
  INPUT_KINDS, STRUCTS,
} from './abi.js';
import { Wasm, newWasm, statusError, S_STATUS, S_OUT, S_DIMS, S_STRUCT, S_F64 } from './wasm.js';
import { simdSupported } from './loader.js';
import { formatSummary, formatOneLine } from './summary.js';
import { fit, TRAIN_ASYNC } from './fit.js';
import { Pool, threadsUnavailable, coreCount, AUTO_THREADS_CAP } from './pool.js';
import { parallelTrain, parallelTrainAsync, parallelPredict, parallelEvaluate, worthSplitting } from './parallel.js';
import { loadModule } from './loader.js';

// JS-side limit on the elements of one staged array (256 MB of float32).
const MAX_ELEMENTS = 1 << 26;
const MIN_FILE_BYTES = 16;
const STATE_SLOT = { train: 0, predict: 1 };

/** Internal: the option key (in save() and Network.load() options) that sets or expects the file
 *  kind, for CharModel ('char'). Not exported from index.js. */
export const KIND = Symbol('wasm-lstm file kind');
/** Internal, for tests: `network[WASM]` is the model's Wasm wrapper. */
export const WASM = Symbol('wasm-lstm instance');

const LOADERS = { network: 'Network.load', char: 'CharModel.load' };
const TOKEN = Symbol('Network constructor');

// ---- configuration: architecture (fixed) and training (may change)

const TRAIN_KEYS = ['optimizer', 'learningRate', 'beta1', 'beta2', 'momentum', 'epsilon',
  'weightDecay', 'clip', 'dropout'];
const CREATE_KEYS = ['cell', 'input', 'vocab', 'hidden', 'layers', 'output', 'loss', 'bidirectional',
  'gateActivation', 'seed', 'simd', 'threads', ...TRAIN_KEYS];

/** Internal, for tests: `network[POOL]` is its thread pool (or null); `Network[MIN_SPLIT_FLOPS]`
 *  the arithmetic per share below which a call stays on one thread (0: always split). */
export const POOL = Symbol('wasm-lstm pool');
const SPLIT = { minFlops: 2e6 };
export const MIN_SPLIT_FLOPS = Symbol('wasm-lstm min split flops');

/** The `threads` option: 'auto' (the reported cores, at most AUTO_THREADS_CAP), or an integer ≥ 1. */
function checkThreads(v, makeError) {
  if (v === undefined) return 1;
  if (v === 'auto') return 'auto';
  if (!Number.isInteger(v) || v < 1 || v > 64) throw makeError(`threads: expected 'auto' or an integer in [1, 64], got ${describe(v)}`, 'threads');
  return v;
}

function checkSimd(v, makeError) {
  if (v === undefined) return 'auto';
  if (v !== 'auto' && v !== true && v !== false) {
    throw makeError(`simd: expected 'auto', true or false, got ${describe(v)}`, 'simd');
  }
  if (v === true && !simdSupported()) {
    throw makeError("simd: true, but this WebAssembly engine does not support SIMD128: use 'auto' or false", 'simd');
  }
  return v;
}

/** Checks a Network.create config (read once): {arch, training, simd}. */
function parseCreateConfig(config) {
  if (config === undefined) throw configError('config: expected an object, got undefined', 'config');
  const o = readOptions('config', config, CREATE_KEYS, configError);
  const cell = oneOf('cell', o.cell ?? 'lstm', CELLS, configError);
  if ((o.input === undefined) === (o.vocab === undefined)) {
    throw configError('config: expected exactly one of input (dense input width) or vocab ' +
      `(token input), got ${o.input === undefined ? 'neither' : 'both'}`, o.input === undefined ? 'input' : 'vocab');
  }
  const tokens = o.vocab !== undefined;
  const loss = oneOf('loss', o.loss ?? 'xent', LOSSES, configError);
  const gateActivation = oneOf('gateActivation', o.gateActivation ?? 'sigmoid', GATE_ACTIVATIONS, configError);
  if (!CELL[cell].gateActivation && gateActivation !== 'sigmoid') {
    throw configError(`gateActivation: a '${cell}' cell has no sigmoid gates, so only 'sigmoid' (the default), got '${gateActivation}'`, 'gateActivation');
  }
  const arch = {
    cell,
    inputKind: tokens ? 'tokens' : 'dense',
    input: intIn(tokens ? 'vocab' : 'input', tokens ? o.vocab : o.input, 1, LIMITS.input, configError),
    hidden: intIn('hidden', o.hidden, 1, LIMITS.hidden, configError),
    layers: intIn('layers', o.layers ?? 1, 1, LIMITS.layers, configError),
    loss,
    // softmax over one class is constant: cross-entropy needs at least 2
    output: intIn('output', o.output, CLASS_LOSSES.includes(loss) ? 2 : 1, LIMITS.output, configError),
    seed: intIn('seed', o.seed ?? 1, 0, 2 ** 32 - 1, configError),
    bidirectional: bool('bidirectional', o.bidirectional, false, configError),
    gateActivation,
  };
  const simd = checkSimd(o.simd, configError);
  const threads = checkThreads(o.threads, configError);
  const training = {};
  for (const k of TRAIN_KEYS) if (o[k] !== undefined) training[k] = o[k];
  return { arch, training: checkTrainingPatch('config', training, training.optimizer ?? 'adam'), simd, threads };
}

function configToC(a) {
  return {
    cell: CELLS.indexOf(a.cell), input_kind: INPUT_KINDS.indexOf(a.inputKind), input: a.input, hidden: a.hidden,
    layers: a.layers, output: a.output, loss: LOSSES.indexOf(a.loss), seed: a.seed | 0,
    directions: a.bidirectional ? 2 : 1, gate_act: GATE_ACTIVATIONS.indexOf(a.gateActivation),
  };
}

/** Checks a training-config patch (already an owned copy; `clip` is read here once). */
function checkTrainingPatch(what, patch, optimizer) {
  const p = readOptions(what, patch, TRAIN_KEYS, configError);
  const out = { ...p };
  if (p.optimizer !== undefined) oneOf('optimizer', p.optimizer, OPTIMIZERS, configError);
  const f32 = (name, lo, hi, openLo, openHi) => numIn(name, p[name], lo, hi, { openLo, openHi, float32: true, makeError: configError });
  if (p.learningRate !== undefined) f32('learningRate', 0, Infinity, true);
  if (p.beta1 !== undefined) f32('beta1', 0, 1, false, true);
  if (p.beta2 !== undefined) f32('beta2', 0, 1, false, true);
  if (p.momentum !== undefined) {
    f32('momentum', 0, 1, false, true);
    if (optimizer !== 'sgd') {
      throw configError(`momentum: only for optimizer 'sgd' (this one is '${optimizer}'; Adam's first-moment decay is beta1)`, 'momentum');
    }
    if (p.beta1 !== undefined && p.beta1 !== p.momentum) {
      throw configError(`momentum: an alias of beta1 for SGD, but both are given and differ (${p.momentum} vs ${p.beta1})`, 'momentum');
    }
  }
  if (p.epsilon !== undefined) f32('epsilon', 0, Infinity, true);
  if (p.weightDecay !== undefined) f32('weightDecay', 0, Infinity);
  if (p.dropout !== undefined) f32('dropout', 0, 1, false, true);
  if (p.clip !== undefined) {
    const c = readOptions('clip', p.clip, ['mode', 'threshold'], configError);
    if (c.mode !== undefined) oneOf('clip.mode', c.mode, CLIP_MODES, configError);
    if (c.threshold !== undefined) numIn('clip.threshold', c.threshold, 0, Infinity, { openLo: true, float32: true, makeError: configError });
    out.clip = c;
  }
  return out;
}

// The shortest decimal that rounds to the float32 x: 2e-3, not 0.0020000000949949026.
function float32Decimal(x) {
  for (let p = 1; p < 10; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

function trainingFromC(s) {
  const d = float32Decimal;
  const tc = {
    optimizer: OPTIMIZERS[s.optimizer], learningRate: d(s.lr), beta1: d(s.beta1), beta2: d(s.beta2),
    epsilon: d(s.eps), weightDecay: d(s.weight_decay), clip: { mode: CLIP_MODES[s.clip_mode], threshold: d(s.clip) },
    dropout: d(s.dropout),
  };
  if (tc.optimizer === 'sgd') tc.momentum = tc.beta1;
  return tc;
}

function trainingToC(tc) {
  return {
    optimizer: OPTIMIZERS.indexOf(tc.optimizer), lr: tc.learningRate, beta1: tc.beta1, beta2: tc.beta2,
    eps: tc.epsilon, weight_decay: tc.weightDecay, clip_mode: CLIP_MODES.indexOf(tc.clip.mode),
    clip: tc.clip.threshold, dropout: tc.dropout,
  };
}

// ---- data arguments

/** A float32 data argument of an exact length, read once and checked (finite); denormals are
 *  flushed to 0 unless `flush` is false. */
function floats(name, v, length, why, flush = true) {
  const a = expectLength(dataArg(name, v, 'f32', ` of length ${length}${why}`, MAX_ELEMENTS), length);
  return readArg(a, finiteCheck(name, undefined, { flush }));
}

// ---- Network

// lstm_predict's status for `what` (predict, step): LstmError unless 0.
function checkPredict(st, what) {
  if (st === 6) {
    throw new LstmError('nonfinite', `${what}: an output or state would not be finite (inputs or weights too ` +
      'large for float32); nothing was returned and the predict state was kept');
  }
  check(st, what);
}

// predict's and stepper's softmax option: probabilities only for models with a class loss.
function softmaxOption(v, loss) {
  const softmax = bool('softmax', v, false);
  if (softmax && !CLASS_LOSSES.includes(loss)) {
    throw argError(`softmax: only for models with a class loss ('xent', 'xent-last'), this one has loss '${loss}'`, 'softmax');
  }
  return softmax;
}

const DATA_OPTIONS = ['batch', 'steps', 'lengths'];
const TRAIN_OPTIONS = [...DATA_OPTIONS, 'stateful', 'initialState'];
const GRAD_OPTIONS = [...TRAIN_OPTIONS, 'advance'];
const PREDICT_OPTIONS = [...TRAIN_OPTIONS, 'softmax', 'lastOnly', 'returnState'];
const INSPECT_OPTIONS = [...DATA_OPTIONS, 'initialState'];
const SAVE_OPTIONS = ['includeOptimizer', 'includeState', 'meta'];

// The memory of steppers dropped without dispose() goes back to their instance's allocator.
const STEPPERS = new FinalizationRegistry((s) => freeStepper(s));
function freeStepper(s) {
  if (s.freed) return;
  s.freed = true;
  s.w.free(s.base); // after a trap, free() does nothing
}

/** One step at a time through a Network's predict state (Network.stepper). */
export class Stepper {
  #s;
  #step;
  /** Not public: use Network.stepper(). */
  constructor(token, s, step) {
    if (token !== TOKEN) throw new TypeError('use network.stepper(options)');
    this.#s = s;
    this.#step = step;
  }

  /** The outputs (B, O) of one step for `input` (a token id, or B ids / B·I floats): the
   *  stepper's own array, overwritten by the next step (copy it to keep it). */
  step(input) { return this.#step(input); }

  /** The array step() returns. */
  get output() { return this.#s.output; }
  get batch() { return this.#s.B; }
  get disposed() { return this.#s.freed; }

  /** Frees the stepper's wasm memory (the network stays usable); later steps throw 'disposed'. */
  dispose() {
    STEPPERS.unregister(this.#s);
    freeStepper(this.#s);
  }
}

export class Network {
  #w; // Wasm, or null once disposed
  #m; // lstm_model*
  #config;
  #D;
  #tensors; // [{name, shape, offset, size}] from the C tensor table
  #byName;
  #meta;
  #busy = null; // the method in progress (re-entrant calls are refused)
  #pool = null; // the thread pool (pool.js), or null: one thread
  #threadsNote = null; // why fewer threads than asked, or null
  #version = 0; // of the parameters, for the pool's copies
  #ctx = null;

  /** Not public: use Network.create or Network.load. */
  constructor(token, wasm, model, meta) {
    if (token !== TOKEN) throw new TypeError('use Network.create(config) or Network.load(bytes)');
    this.#w = wasm;
    this.#m = model;
    this.#meta = meta;
    const s = wasm.scratch + S_STRUCT;
    check(wasm.call('lstm_get_config', model, s), 'lstm_get_config');
    const c = wasm.readStruct(s, 'lstm_config');
    const config = { cell: CELLS[c.cell] };
    config[INPUT_KINDS[c.input_kind] === 'tokens' ? 'vocab' : 'input'] = c.input;
    Object.assign(config, {
      hidden: c.hidden, layers: c.layers, output: c.output, loss: LOSSES[c.loss], seed: c.seed >>> 0,
      bidirectional: c.directions === 2, gateActivation: GATE_ACTIVATIONS[c.gate_act],
    });
    this.#config = Object.freeze(config);
    this.#D = c.directions;
    this.#tensors = this.#readTensorTable();
    this.#byName = new Map(this.#tensors.map((t) => [t.name, t]));
  }

  /**
   * Creates a model in its own WebAssembly instance (the module is compiled once and cached).
   * See index.d.ts for the config keys.
   */
  static async create(config) {
    const { arch, training, simd, threads } = parseCreateConfig(config);
    const w = await newWasm(simd);
    const s = w.scratch + S_STRUCT;
    w.writeStruct(s, 'lstm_config', configToC(arch));
    const P = w.call('lstm_config_param_count', s);
    if (P > LIMITS.params) {
      throw configError(`config: the model would have ${P} parameters, more than the limit of ${LIMITS.params}`, 'hidden');
    }
    const model = w.call('lstm_new', s, w.scratch + S_STATUS);
    if (!model) throw statusError(w.status, 'Network.create');
    const net = new Network(TOKEN, w, model, null);
    if (Object.keys(training).length) net.setTrainingConfig(training);
    await net.#startPool(threads, simd);
    return net;
  }

  // threads > 1: workers with replicas of this network (parameters only; pool.js). Where threads
  // cannot run (no SharedArrayBuffer, a page that is not cross-origin isolated, a page's main
  // thread, which must not block) the network runs on one thread and `threadsNote` says why.
  async #startPool(threads, simd) {
    const n = threads === 'auto' ? Math.min(await coreCount(), AUTO_THREADS_CAP) : threads;
    if (n <= 1) return;
    const why = threadsUnavailable();
    if (why) {
      this.#threadsNote = `1 thread of ${n}: ${why}`;
      return;
    }
    const isNode = typeof process !== 'undefined' && !!process.versions?.node;
    if (!isNode && !(typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope)) { // eslint-disable-line no-undef
      this.#threadsNote = `1 thread of ${n}: a page's main thread must not block; train in a worker (wasm-lstm/worker) to use threads`;
      return;
    }
    const file = this.save({ includeOptimizer: false, includeState: false });
    const { module } = await loadModule({ simd });
    this.#pool = await Pool.create({ threads: n, module, file, P: this.parameterCount });
  }

  /**
   * Loads a file written by save() (any format version this build reads). Rejects with LstmError
   * 'format' (not a model file, truncated, or another kind such as a CharModel file), 'version' or
   * 'checksum'. The file is checked once, as it streams into the new instance.
   */
  static async load(bytes, options) {
    const kind = options?.[KIND] ?? 'network';
    const o = readOptions('Network.load options', options, ['simd', 'threads']);
    const threads = checkThreads(o.threads, argError);
    const data = fileBytes('bytes', bytes);
    if (data.length < MIN_FILE_BYTES) {
      throw new LstmError('format', `bytes: expected a wasm-lstm model file, got ${describe(data)}: too short`, { argument: 'bytes' });
    }
    const w = await newWasm(checkSimd(o.simd, argError));
    const { reader, status, meta: metaBytes } = w.feedReader(data, true);
    try {
      if (status !== 0) throw statusError(status, LOADERS[kind]);
      const meta = parseMeta(metaBytes, LOADERS[kind]);
      const fileKind = meta?.kind ?? 'network';
      if (fileKind !== kind) {
        const hint = LOADERS[fileKind] ? `: use ${LOADERS[fileKind]}` : '';
        throw new LstmError('format', `${LOADERS[kind]}: this file holds a model of kind '${fileKind}', not '${kind}'${hint}`);
      }
      const model = w.call('lstm_read_model', reader);
      if (!model) throw statusError(3, LOADERS[kind]);
      let userMeta = null;
      if (meta) {
        const { kind: _, ...rest } = meta;
        userMeta = rest;
      }
      const net = new Network(TOKEN, w, model, userMeta);
      await net.#startPool(threads, checkSimd(o.simd, argError));
      return net;
    } finally {
      if (reader) w.call('lstm_read_free', reader);
    }
  }

  // ---- training

  #fitting = false;

  /**
   * Trains on a whole dataset of sequences (epochs, batches, shuffling, validation, early stopping,
   * schedules, callbacks, a time limit, an AbortSignal), yielding to the event loop between steps;
   * resolves with the history. See js/fit.js and index.d.ts.
   */
  async fit(inputs, targets, options) {
    this.#live('fit');
    if (this.#fitting) throw new LstmError('busy', 'fit: this Network is already fitting (await the running fit first)');
    this.#fitting = true;
    try {
      return await fit(this, inputs, targets, options);
    } finally {
      this.#fitting = false;
    }
  }

  /** One optimisation step; returns the mean loss of the batch before the update. */
  train(inputs, targets, options) {
    return this.#run('train', () => {
      const o = readOptions('train options', options, TRAIN_OPTIONS);
      const call = this.#read('train', inputs, targets, o);
      const sh = worthSplitting(this.#context(), call, SPLIT.minFlops);
      if (sh) return parallelTrain(this.#context(), call, sh);
      const w = this.#w;
      check(w.call('lstm_train', this.#m, this.#stage(call), w.scratch + S_OUT), 'train');
      this.#version++;
      return w.f32[(w.scratch + S_OUT) >> 2];
    });
  }

  /** Internal (fit): train, waiting for the thread pool without blocking the event loop. */
  async [TRAIN_ASYNC](inputs, targets, options) {
    const o = readOptions('train options', options, TRAIN_OPTIONS);
    this.#live('train');
    const call = this.#read('train', inputs, targets, o);
    const sh = worthSplitting(this.#context(), call, SPLIT.minFlops);
    if (!sh) return this.train(inputs, targets, options);
    if (this.#busy) this.#refuseBusy('train');
    this.#busy = 'train';
    try {
      return await parallelTrainAsync(this.#context(), call, sh);
    } finally {
      this.#busy = null;
    }
  }

  /** Loss and gradients without an update; `advance` (default true) moves the train state on. */
  lossAndGradients(inputs, targets, options) {
    return this.#run('lossAndGradients', () => {
      const o = readOptions('lossAndGradients options', options, GRAD_OPTIONS);
      const advance = bool('advance', o.advance, true);
      const call = this.#stage(this.#read('lossAndGradients', inputs, targets, o, advance ? FLAGS.advance : 0));
      const w = this.#w;
      check(w.call('lstm_gradients', this.#m, call, w.scratch + S_OUT), 'lossAndGradients');
      const loss = w.f32[(w.scratch + S_OUT) >> 2];
      return { loss, gradients: this.#readTensors(w.call('lstm_grads', this.#m)) };
    });
  }

  /** Applies the optimizer to the gradient buffer, after writing `gradients` (all or some tensors) into it. */
  applyGradients(gradients) {
    return this.#run('applyGradients', () => {
      const w = this.#w;
      if (gradients === undefined) {
        check(w.call('lstm_apply_gradients', this.#m), 'applyGradients');
        this.#version++;
        return;
      }
      // edited gradients replace the buffer only if the update succeeds: keep the old ones to restore
      const writes = this.#readTensorArg('gradients', gradients);
      const P = w.call('lstm_param_count', this.#m);
      const g = w.call('lstm_grads', this.#m); // allocated on first use (memory may grow): views after it
      if (!g) throw statusError(2, 'applyGradients');
      const keep = w.f32.slice(g >> 2, (g >> 2) + P);
      this.#writeTensors(writes, g);
      try {
        check(w.call('lstm_apply_gradients', this.#m), 'applyGradients');
        this.#version++;
      } catch (err) {
        w.f32.set(keep, w.call('lstm_grads', this.#m) >> 2);
        throw err;
      }
    });
  }

  /**
   * The loss on a batch without training: forward, loss and (class losses) accuracy, changing
   * nothing. From the predict state (stateful, the default for unidirectional networks: with
   * `advance` it moves on, for a long validation text read in pieces) or from zeros / initialState.
   * Returns { loss, count, correct, accuracy }: count is what the loss is a mean over (targets not
   * ignored; for mse the valid elements), accuracy = correct / count for class losses, else null.
   */
  evaluate(inputs, targets, options) {
    return this.#run('evaluate', () => {
      const o = readOptions('evaluate options', options, GRAD_OPTIONS);
      const advance = bool('advance', o.advance, false);
      const read = this.#read('evaluate', inputs, targets, o, advance ? FLAGS.advance : 0);
      const sh = !advance && !read.stateful && worthSplitting(this.#context(), read, SPLIT.minFlops);
      if (sh) {
        const r = parallelEvaluate(this.#context(), read, sh);
        return metricsOf(this.#config.loss, r.count, r.correct, r.loss);
      }
      const w = this.#w, out = w.scratch + S_F64;
      check(w.call('lstm_evaluate', this.#m, this.#stage(read), out), 'evaluate');
      const [loss, count, correct] = w.f64.subarray(out >> 3, (out >> 3) + 3);
      return metricsOf(this.#config.loss, count, correct, loss);
    });
  }

  /** The count and accuracy of the last successful train or lossAndGradients call (free: computed
   *  during its forward pass): { count, correct, accuracy } (accuracy null for regression). */
  get lastMetrics() {
    return this.#run('lastMetrics', () => {
      const w = this.#w, out = w.scratch + S_F64;
      check(w.call('lstm_last_metrics', this.#m, out), 'lastMetrics');
      const [count, correct] = w.f64.subarray(out >> 3, (out >> 3) + 2);
      const { loss: _, ...m } = metricsOf(this.#config.loss, count, correct, 0);
      return m;
    });
  }

  /** ‖∂loss/∂h_t‖ (and for LSTM ‖∂loss/∂c_t‖) per layer, direction and step; changes nothing. */
  stepGradientNorms(inputs, targets, options) {
    return this.#run('stepGradientNorms', () => {
      const o = readOptions('stepGradientNorms options', options, TRAIN_OPTIONS);
      const call = this.#stage(this.#read('stepGradientNorms', inputs, targets, o));
      const w = this.#w, T = this.#lastT, L = this.#config.layers, D = this.#D, n = L * D * T;
      const lstm = CELL[this.#config.cell].cellState;
      const out = w.slot('out', 2 * n * 4);
      check(w.call('lstm_step_gradient_norms', this.#m, call, out, lstm ? out + n * 4 : 0), 'stepGradientNorms');
      const norms = w.f32.slice(out >> 2, (out >> 2) + n);
      const pick = (arr, layer, direction) => {
        intIn('layer', layer, 0, L - 1);
        intIn('direction', direction, 0, D - 1);
        return arr.subarray((layer * D + direction) * T, (layer * D + direction + 1) * T);
      };
      const r = { layers: L, directions: D, steps: T, norms, get: (layer, direction = 0) => pick(norms, layer, direction) };
      if (lstm) {
        const cellNorms = w.f32.slice((out >> 2) + n, (out >> 2) + 2 * n);
        r.cellNorms = cellNorms;
        r.getCell = (layer, direction = 0) => pick(cellNorms, layer, direction);
      }
      return r;
    });
  }

  /** Zeroes the carried state: 'train', 'predict', or both (default). */
  resetState(which) {
    return this.#run('resetState', () => {
      if (which !== undefined && which !== 'train' && which !== 'predict') {
        throw argError(`which: expected 'train', 'predict' or undefined (both), got ${describe(which)}`, 'which');
      }
      const w = this.#w;
      if (which !== 'predict') check(w.call('lstm_reset_state', this.#m, STATE_SLOT.train), 'resetState');
      if (which !== 'train') check(w.call('lstm_reset_state', this.#m, STATE_SLOT.predict), 'resetState');
    });
  }

  /**
   * A copy of a carried state ('train' or 'predict'): `{batch, h, c}` with h (and for LSTM c) of
   * shape (L, B, H); batch 0 (and empty arrays) before any call of that kind.
   */
  getState(which) {
    return this.#run('getState', () => {
      const slot = this.#stateSlot('getState', which);
      const w = this.#w;
      const B = w.call('lstm_state_batch', this.#m, slot);
      const n = this.#config.layers * B * this.#config.hidden;
      const read = (fn) => {
        const ptr = w.call(fn, this.#m, slot);
        return B && ptr ? w.f32.slice(ptr >> 2, (ptr >> 2) + n) : new Float32Array(0);
      };
      const state = { batch: B, h: read('lstm_state_h') };
      if (CELL[this.#config.cell].cellState) state.c = read('lstm_state_c');
      return state;
    });
  }

  /**
   * Replaces a carried state with a copy of `state` (as getState returns it): the next call of that
   * kind with the same batch continues from it. Read once and checked whole before anything is written.
   */
  setState(which, state) {
    return this.#run('setState', () => {
      const slot = this.#stateSlot('setState', which);
      const s = readOptions('state', state, ['batch', 'h', 'c']);
      const lstm = CELL[this.#config.cell].cellState;
      const B = intIn('state.batch', s.batch, 1, LIMITS.batch);
      const n = this.#config.layers * B * this.#config.hidden;
      const why = ` (layers ${this.#config.layers} × batch ${B} × hidden ${this.#config.hidden})`;
      const copies = {};
      // kept exactly, denormals included: the state may be one the model computed (getState), and
      // restoring it must continue bit for bit
      for (const key of lstm ? ['h', 'c'] : ['h']) copies[key] = floats(`state.${key}`, s[key], n, why, false);
      if (!lstm && s.c !== undefined) {
        throw argError(`state.c: only LSTM models have a cell state (this one is '${this.#config.cell}'), got ${describe(s.c)}`, 'state');
      }
      const w = this.#w;
      check(w.call('lstm_state_set_batch', this.#m, slot, B), 'setState');
      // after the call: it allocated, so memory may have grown and old views are detached
      w.f32.set(copies.h, w.call('lstm_state_h', this.#m, slot) >> 2);
      if (lstm) w.f32.set(copies.c, w.call('lstm_state_c', this.#m, slot) >> 2);
    });
  }

  // ---- inference

  /**
   * Forward pass; a copy of the outputs (B,T,O) or (B,O) with lastOnly, zero at padded steps, or
   * with returnState `{outputs, h, c}` and the final states (L·D, B, H). Stateful (the default for
   * unidirectional models) continues from and updates the predict state; stateful: false (always
   * for bidirectional models) starts from zeros or initialState and leaves it alone.
   */
  predict(inputs, options) {
    return this.#run('predict', () => {
      const o = readOptions('predict options', options, PREDICT_OPTIONS);
      const softmax = softmaxOption(o.softmax, this.#config.loss), lastOnly = bool('lastOnly', o.lastOnly, false);
      const returnState = bool('returnState', o.returnState, false);
      const flags = (softmax ? FLAGS.softmax : 0) | (lastOnly ? FLAGS.lastOnly : 0);
      const read = this.#read('predict', inputs, undefined, o, flags);
      const sh = worthSplitting(this.#context(), read, SPLIT.minFlops);
      if (sh) {
        const r = parallelPredict(this.#context(), read, sh, { lastOnly, wantState: returnState });
        if (!returnState) return r.outputs;
        return CELL[this.#config.cell].cellState ? r : { outputs: r.outputs, h: r.h };
      }
      const call = this.#stage(read);
      const w = this.#w, B = this.#lastB, T = this.#lastT, O = this.#config.output;
      const n = (lastOnly ? B : B * T) * O;
      const S = this.#config.layers * this.#D * B * this.#config.hidden, lstm = CELL[this.#config.cell].cellState;
      if (n > MAX_ELEMENTS || S > MAX_ELEMENTS) {
        throw argError(`outputs: ${Math.max(n, S)} elements, more than the limit of ${MAX_ELEMENTS} per call: use a smaller batch or fewer steps`, 'batch');
      }
      const out = w.slot('out', n * 4);
      const hn = returnState ? w.slot('hn', S * 4) : 0, cn = returnState && lstm ? w.slot('cn', S * 4) : 0;
      checkPredict(w.call('lstm_predict', this.#m, call, out, hn, cn), 'predict');
      const f32 = w.f32, outputs = f32.slice(out >> 2, (out >> 2) + n);
      if (!returnState) return outputs;
      const r = { outputs, h: f32.slice(hn >> 2, (hn >> 2) + S) };
      if (lstm) r.c = f32.slice(cn >> 2, (cn >> 2) + S);
      return r;
    });
  }

  /**
   * A Stepper: the sampling loop's predict(x, {batch, steps: 1, lastOnly: true, softmax}) without
   * its per-call costs. Its options are read once here and its call is staged once, in wasm memory
   * it owns (struct, inputs, outputs); each step(x) checks x, writes it there, calls C and copies
   * the B·O outputs into the stepper's own Float32Array, which it returns (overwritten by the next
   * step). Same bits as predict, through the same predict state: steps and predict calls may
   * interleave. Unidirectional models only (a bidirectional one has no carried state).
   */
  stepper(options) {
    return this.#run('stepper', () => {
      const o = readOptions('stepper options', options, ['batch', 'softmax']);
      const B = o.batch === undefined ? 1 : intIn('batch', o.batch, 1, LIMITS.batch);
      const softmax = softmaxOption(o.softmax, this.#config.loss);
      if (this.#D !== 1) {
        throw argError('stepper: a bidirectional model has no carried state (its reverse direction reads the future): ' +
          'use predict with stateful: false on whole sequences', 'stepper');
      }
      const c = this.#config, w = this.#w, O = c.output;
      const width = c.vocab !== undefined ? 1 : c.input;
      if (B * O > MAX_ELEMENTS || B * width > MAX_ELEMENTS) {
        throw argError(`batch: ${B} × ${Math.max(O, width)} elements per step, more than the limit of ${MAX_ELEMENTS}`, 'batch');
      }
      const size = STRUCTS.lstm_batch.size; // a multiple of 4
      const base = w.malloc(size + 4 * B * (width + O));
      const s = { w, base, x: base + size, out: base + size + 4 * B * width, B, width, output: new Float32Array(B * O), freed: false };
      w.writeStruct(base, 'lstm_batch', { inputs: s.x, batch: B, steps: 1, flags: FLAGS.lastOnly | (softmax ? FLAGS.softmax : 0) });
      const stepper = new Stepper(TOKEN, s, (x) => this.#step(s, x));
      STEPPERS.register(stepper, s, s);
      return stepper;
    });
  }

  // One step of a stepper (see stepper()): a token id given as a number is the fast path; any
  // other input is read once into an owned copy like predict's.
  #step(s, x) {
    if (s.freed) throw new LstmError('disposed', 'step: this Stepper was disposed');
    return this.#run('step', () => {
      const w = this.#w, c = this.#config, n = s.B * s.width;
      if (c.vocab !== undefined && s.B === 1 && typeof x === 'number') {
        if (!(Number.isInteger(x) && x >= 0 && x < c.vocab)) {
          throw argError(`input: expected a token id in [0, ${c.vocab}) (vocab ${c.vocab}), got ${describe(x)}`, 'input');
        }
        w.i32[s.x >> 2] = x;
      } else if (c.vocab !== undefined) {
        const a = expectLength(dataArg('input', x, 'i32', ` of length ${n} (batch ${s.B}), or a number when batch is 1`), n);
        w.i32.set(readArg(a, idCheck('input', 0, c.vocab, 'token ids', ` (vocab ${c.vocab})`)), s.x >> 2);
      } else {
        const a = expectLength(dataArg('input', x, 'f32', ` of length ${n} (batch ${s.B} × input ${s.width})`), n);
        w.f32.set(readArg(a, finiteCheck('input')), s.x >> 2);
      }
      checkPredict(w.call('lstm_predict', this.#m, s.base, s.out, 0, 0), 'step');
      const f32 = w.f32, out = s.output, at = s.out >> 2;
      for (let i = 0; i < out.length; i++) out[i] = f32[at + i];
      return out;
    });
  }

  /** Activations per layer, direction, step, sequence and channel, from zeros or initialState
   *  (carried states untouched); zero at padded steps. */
  inspect(inputs, options) {
    return this.#run('inspect', () => {
      const o = readOptions('inspect options', options, INSPECT_OPTIONS);
      const call = this.#stage(this.#read('inspect', inputs, undefined, { ...o, stateful: false }, 0));
      const w = this.#w, B = this.#lastB, T = this.#lastT, D = this.#D;
      const { cell, layers: L, hidden: H } = this.#config;
      const channels = CELL[cell].channels, C = channels.length;
      const n = L * D * T * B * C * H;
      if (n > MAX_ELEMENTS) {
        throw argError(`activations: ${n} elements, more than the limit of ${MAX_ELEMENTS} per call: use a smaller batch or fewer steps`, 'batch');
      }
      const out = w.slot('out', n * 4);
      const st = w.call('lstm_inspect', this.#m, call, out);
      if (st === 6) throw new LstmError('nonfinite', 'inspect: an activation would not be finite (inputs or weights too large for float32)');
      check(st, 'inspect');
      const data = w.f32.slice(out >> 2, (out >> 2) + n);
      return withInspectionGet({ channels: channels.slice(), layers: L, directions: D, steps: T, batch: B, hidden: H, data });
    });
  }

  // ---- parameters

  /** Copies of every parameter tensor: { 'l0.wx': {shape, data}, ... }. */
  parameters() {
    return this.#run('parameters', () => this.#readTensors(this.#w.call('lstm_params', this.#m)));
  }

  /** Copies in some or all tensors ({name: {shape?, data} | data}); read once, all checked first. */
  setParameters(params) {
    return this.#run('setParameters', () => {
      const writes = this.#readTensorArg('parameters', params);
      this.#writeTensors(writes, this.#w.call('lstm_params', this.#m));
      this.#version++;
    });
  }

  // ---- configuration

  get config() { this.#live('config'); return { ...this.#config }; }

  get trainingConfig() {
    return this.#run('trainingConfig', () => this.#trainingConfig());
  }

  /** Changes some training settings (the others keep their values). */
  setTrainingConfig(patch) {
    return this.#run('setTrainingConfig', () => {
      const current = this.#trainingConfig();
      const copy = readOptions('setTrainingConfig', patch, TRAIN_KEYS, configError);
      const p = checkTrainingPatch('setTrainingConfig', { ...copy }, copy.optimizer ?? current.optimizer);
      const merged = { ...current, ...p, clip: { ...current.clip, ...p.clip } };
      if (p.momentum !== undefined) merged.beta1 = p.momentum;
      const w = this.#w, s = w.scratch + S_STRUCT;
      w.writeStruct(s, 'lstm_train_config', trainingToC(merged));
      check(w.call('lstm_set_train_config', this.#m, s), 'setTrainingConfig');
    });
  }

  get parameterCount() { return this.#run('parameterCount', () => this.#w.call('lstm_param_count', this.#m)); }
  get simd() { return this.#run('simd', () => this.#w.call('lstm_simd') === 1); }
  get stepCount() { return this.#run('stepCount', () => this.#w.call('lstm_step_count', this.#m)); }
  get lastGradientNorm() { return this.#run('lastGradientNorm', () => this.#w.call('lstm_last_gradient_norm', this.#m)); }
  /** The user meta of the file this network was loaded from (null if created). */
  get meta() { this.#live('meta'); return this.#meta && structuredClone(this.#meta); }
  /** Bytes of WebAssembly memory this model's instance holds now. */
  get memoryBytes() { return this.#live('memoryBytes').memory.buffer.byteLength; }
  get disposed() { return this.#w === null; }
  /** Threads this network computes on (1 without a pool). */
  get threads() { this.#live('threads'); return this.#pool && !this.#pool.broken ? this.#pool.size : 1; }
  /** Why it runs on fewer threads than it was asked for, or null. */
  get threadsNote() {
    this.#live('threadsNote');
    return this.#pool?.broken && this.#pool.broken !== 'stopped' ? `1 thread: ${this.#pool.broken}` : this.#threadsNote;
  }

  // ---- description

  /** A Keras-style table of layers, directions, shapes and parameter counts. */
  summary() {
    return this.#run('summary', () => formatSummary(this.#describe()));
  }

  toString() {
    const w = this.#w;
    if (!w) return 'Network (disposed)';
    if (w.trap) return 'Network (unusable: its WebAssembly instance trapped)';
    return formatOneLine({ config: this.#config, parameters: w.call('lstm_param_count', this.#m) });
  }

  [Symbol.for('nodejs.util.inspect.custom')]() { return this.toString(); }

  #describe() {
    return { config: this.#config, tensors: this.#tensors, training: this.#trainingConfig(),
      parameters: this.#w.call('lstm_param_count', this.#m), simd: this.#w.call('lstm_simd') === 1,
      steps: this.#w.call('lstm_step_count', this.#m) };
  }

  // ---- files

  /** The model as a file (Uint8Array): config, parameters, optionally optimizer and train state. */
  save(options) {
    return this.#run('save', () => {
      const kind = options?.[KIND] ?? 'network';
      const o = readOptions('save options', options, SAVE_OPTIONS);
      const includeOptimizer = bool('includeOptimizer', o.includeOptimizer, true);
      const includeState = bool('includeState', o.includeState, true);
      const meta = new TextEncoder().encode(metaJson(kind, o.meta));
      const flags = (includeOptimizer ? 1 : 0) | (includeState ? 2 : 0);
      const w = this.#w;
      const metaPtr = w.slot('meta', meta.length);
      w.u8.set(meta, metaPtr);
      const writer = w.call('lstm_write_begin', this.#m, flags, metaPtr, meta.length, w.scratch + S_STATUS);
      if (!writer) throw statusError(w.status, 'save');
      return w.drainWriter(writer, 'save');
    });
  }

  /** Frees the model and its instance; every later call throws LstmError 'disposed'. Idempotent. */
  dispose() {
    const w = this.#w;
    if (!w) return;
    if (this.#busy) this.#refuseBusy('dispose');
    this.#w = null;
    this.#pool?.stop();
    this.#pool = null;
    if (!w.trap) w.call('lstm_free', this.#m);
  }

  get [WASM]() { return this.#w; }
  get [POOL]() { return this.#pool; }
  static set [MIN_SPLIT_FLOPS](v) { SPLIT.minFlops = v; }
  static get [MIN_SPLIT_FLOPS]() { return SPLIT.minFlops; }

  // What parallel.js needs of this instance.
  #context() {
    if (!this.#pool) return { pool: null };
    const w = this.#w;
    this.#ctx ??= {
      m: this.#m, config: this.#config, D: this.#D, lstm: CELL[this.#config.cell].cellState,
      statusError, stage: (call) => this.#stage(call),
      params: () => w.f32.subarray(w.call('lstm_params', this.#m) >> 2, (w.call('lstm_params', this.#m) >> 2) + this.#ctx.P),
      version: () => this.#version, bump: () => { this.#version++; },
    };
    this.#ctx.w = w;
    this.#ctx.pool = this.#pool;
    this.#ctx.P ??= w.call('lstm_param_count', this.#m);
    return this.#ctx;
  }

  // ---- internals

  #live(what) {
    const w = this.#w;
    if (!w) throw new LstmError('disposed', `${what}: this Network was disposed`);
    if (w.trap) {
      throw new LstmError('trap', `${what}: this Network's WebAssembly instance trapped earlier ` +
        `(${w.trap.message}) and cannot be used: create or load a new one`);
    }
    return w;
  }

  #refuseBusy(what) {
    throw new LstmError('busy', `${what}: called while ${this.#busy} is in progress on this Network ` +
      '(from a getter, Proxy or callback of one of its arguments); the running call is not affected');
  }

  // One public call: refuses a disposed, trapped or busy model, and holds the model for the call.
  #run(what, body) {
    this.#live(what);
    if (this.#busy) this.#refuseBusy(what);
    this.#busy = what;
    try {
      return body();
    } finally {
      this.#busy = null;
    }
  }

  #stateSlot(method, which) {
    if (this.#D !== 1) {
      throw argError(`${method}: a bidirectional model has no carried state (its reverse direction reads the ` +
        'future): every call starts from zeros or from initialState', 'which');
    }
    if (which !== 'train' && which !== 'predict') {
      throw argError(`${method}: which: expected 'train' or 'predict', got ${describe(which)}`, 'which');
    }
    return STATE_SLOT[which];
  }

  #trainingConfig() {
    const w = this.#w, s = w.scratch + S_STRUCT;
    check(w.call('lstm_get_train_config', this.#m, s), 'trainingConfig');
    return trainingFromC(w.readStruct(s, 'lstm_train_config'));
  }

  #lastB = 0;
  #lastT = 0;

  /**
   * Reads and checks one call's data (inputs, targets unless undefined, lengths, initialState,
   * stateful) into owned copies: { B, T, width, x, y, len, h0, c0, stateful, flags }. Every
   * argument is read exactly once; from here on only the copies are used.
   */
  #read(what, inputs, targets, o, extraFlags = 0) {
    const c = this.#config, D = this.#D, tokens = c.vocab !== undefined;
    const width = tokens ? 1 : c.input;
    const B = o.batch === undefined ? 1 : intIn('batch', o.batch, 1, LIMITS.batch);
    const kindIn = tokens ? 'i32' : 'f32';
    const stepsGiven = o.steps !== undefined;
    let T = stepsGiven ? intIn('steps', o.steps, 1, LIMITS.rows) : 0;
    const per = B * width;
    const expectIn = stepsGiven
      ? ` of length ${B * T * width}${tokens ? ` (batch ${B} × steps ${T})` : ` (batch ${B} × steps ${T} × input ${width})`}`
      : ` of a length that is a positive multiple of ${tokens ? `batch ${B}` : `batch ${B} × input ${width} = ${per}`} (steps not given)`;
    const xa = dataArg('inputs', inputs, kindIn, expectIn, MAX_ELEMENTS);
    if (!stepsGiven) {
      if (xa.n === 0 || xa.n % per !== 0) throw lengthError(xa);
      T = xa.n / per;
    }
    if (B * T > LIMITS.rows) {
      throw argError(`batch × steps: expected at most ${LIMITS.rows}, got ${B} × ${T} = ${B * T}`, 'batch');
    }
    expectLength(xa, B * T * width);
    // lengths first: which steps are valid; values at padded steps are never checked nor used
    let len = null;
    if (o.lengths !== undefined) {
      const la = expectLength(dataArg('lengths', o.lengths, 'i32', ` of length ${B} (batch ${B})`), B);
      len = readArg(la, idCheck('lengths', 1, T + 1, 'lengths', ` (steps ${T})`));
    }
    const validStep = len ? (b, t) => t < len[b] : null;
    const x = tokens
      ? readArg(xa, idCheck('inputs', 0, c.vocab, 'token ids', ` (vocab ${c.vocab})`, validStep && ((i) => validStep((i / T) | 0, i % T))))
      : readArg(xa, finiteCheck('inputs', validStep && ((i) => { const r = (i / width) | 0; return validStep((r / T) | 0, r % T); })));
    // targets
    let y = null;
    if (targets !== undefined || (what !== 'predict' && what !== 'inspect')) {
      y = this.#readTargets(targets, B, T, validStep);
    }
    // where the call starts
    const stateful = bool('stateful', o.stateful, D === 1 && o.initialState === undefined);
    if (stateful && D !== 1) {
      throw argError('stateful: a bidirectional model has no carried state (its reverse direction reads the future): ' +
        'each call starts from zeros or from initialState', 'stateful');
    }
    if (stateful && o.initialState !== undefined) {
      throw argError('initialState: only for stateless calls (stateful: false); a stateful call continues from the carried state', 'initialState');
    }
    let h0 = null, c0 = null;
    if (o.initialState !== undefined) {
      const s = readOptions('initialState', o.initialState, ['h', 'c']);
      const n = c.layers * D * B * c.hidden;
      const sw = ` (layers ${c.layers} × directions ${D} × batch ${B} × hidden ${c.hidden})`;
      h0 = floats('initialState.h', s.h, n, sw);
      if (s.c !== undefined) {
        if (!CELL[c.cell].cellState) throw argError(`initialState.c: only LSTM models have a cell state (this one is '${c.cell}')`, 'initialState');
        c0 = floats('initialState.c', s.c, n, sw);
      }
    }
    const flags = extraFlags | (stateful ? 0 : FLAGS.stateless);
    this.#lastB = B, this.#lastT = T;
    return { B, T, width, x, y, len, h0, c0, stateful, flags };
  }

  /** Stages a call (#read, or a share of one) in wasm memory and writes the lstm_batch struct;
   *  returns its pointer. */
  #stage({ B, T, x, y, len, h0, c0, flags, norm = 0, hn = 0, cn = 0, seed = 0, seqOffset = 0 }) {
    // allocate every slot first (allocation can grow memory), then copy in with fresh views
    const w = this.#w;
    const parts = [['in', x], ['tg', y], ['len', len], ['h0', h0], ['c0', c0]];
    const ptrs = parts.map(([name, data]) => (data ? w.slot(name, Math.max(4, data.byteLength)) : 0));
    parts.forEach(([, data], k) => {
      if (!data) return;
      (data instanceof Int32Array ? w.i32 : w.f32).set(data, ptrs[k] >> 2);
    });
    const call = w.scratch + S_STRUCT;
    w.writeStruct(call, 'lstm_batch', {
      inputs: ptrs[0], targets: ptrs[1], lengths: ptrs[2], h0: ptrs[3], c0: ptrs[4], batch: B, steps: T, flags, norm, hn, cn,
      seed, seq_offset: seqOffset,
    });
    return call;
  }

  #readTargets(targets, B, T, validStep) {
    const { loss, output: O } = this.#config;
    if (loss === 'xent' || loss === 'xent-last') {
      const last = loss === 'xent-last';
      const n = last ? B : B * T;
      const why = last ? ` (batch ${B}; loss 'xent-last': one class per sequence)` : ` (batch ${B} × steps ${T})`;
      const a = expectLength(dataArg('targets', targets, 'i32', ` of length ${n}${why}`, MAX_ELEMENTS), n);
      return readArg(a, idCheck('targets', -1, O, 'class ids', ' (-1 = ignored)', !last && validStep && ((i) => validStep((i / T) | 0, i % T))));
    }
    const last = loss === 'mse-last';
    const n = (last ? B : B * T) * O;
    const why = last ? ` (batch ${B} × output ${O}; loss 'mse-last')` : ` (batch ${B} × steps ${T} × output ${O})`;
    const a = expectLength(dataArg('targets', targets, 'f32', ` of length ${n}${why}`, MAX_ELEMENTS), n);
    return readArg(a, finiteCheck('targets', !last && validStep && ((i) => { const r = (i / O) | 0; return validStep((r / T) | 0, r % T); })));
  }

  #readTensorTable() {
    const w = this.#w, m = this.#m, s = w.scratch;
    const table = [];
    const n = w.call('lstm_tensor_count', m);
    for (let k = 0; k < n; k++) {
      const name = w.string(w.call('lstm_tensor_name', m, k));
      const rank = w.call('lstm_tensor_shape', m, k, s + S_DIMS);
      const shape = Array.from(w.i32.subarray((s + S_DIMS) >> 2, ((s + S_DIMS) >> 2) + rank));
      const offset = w.call('lstm_tensor_offset', m, k);
      table.push({ name, shape, offset, size: shape.reduce((a, b) => a * b, 1) });
    }
    return table;
  }

  #readTensors(ptr) {
    const f32 = this.#w.f32, base = ptr >> 2;
    const out = {};
    for (const t of this.#tensors) {
      out[t.name] = { shape: t.shape.slice(), data: f32.slice(base + t.offset, base + t.offset + t.size) };
    }
    return out;
  }

  // Reads a {name: {shape?, data} | data} argument once into checked copies: [[tensor, Float32Array]].
  #readTensorArg(what, obj) {
    if (!isPlainObject(obj)) {
      throw argError(`${what}: expected an object of named tensors like parameters() returns, got ${describe(obj)}`, what);
    }
    const entries = Object.create(null);
    for (const k of Object.keys(obj)) { // each key and value read once
      if (!this.#byName.has(k)) {
        throw argError(`${what}: unknown tensor '${k}' (this model has ${this.#tensors.map((t) => t.name).join(', ')})`, what);
      }
      entries[k] = obj[k];
    }
    const writes = [];
    for (const name of Object.keys(entries)) {
      const t = this.#byName.get(name);
      const value = entries[name];
      let data = value, label = `${what}['${name}']`;
      if (isPlainObject(value)) {
        const v = readOptions(label, value, ['shape', 'data']);
        if (v.shape !== undefined) {
          let shape = v.shape;
          if (Array.isArray(shape)) { // one read of its length and of each element (as far as needed)
            const n = shape.length, copy = [];
            for (let i = 0; i < n && i <= t.shape.length; i++) copy.push(shape[i]);
            shape = n > t.shape.length ? [...copy, '…'] : copy;
          }
          if (!(Array.isArray(shape) && shape.length === t.shape.length && shape.every((d, i) => d === t.shape[i]))) {
            throw argError(`${label}.shape: expected [${t.shape.join(', ')}], got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`, what);
          }
        }
        data = v.data;
        label += '.data';
      }
      writes.push([t, floats(label, data, t.size, ` (shape [${t.shape.join(', ')}])`)]);
    }
    return writes;
  }

  #writeTensors(writes, ptr) {
    const base = ptr >> 2, f32 = this.#w.f32;
    for (const [t, data] of writes) f32.set(data, base + t.offset);
  }
}

function check(status, what) {
  if (status !== 0) throw statusError(status, what);
}

function metricsOf(loss, count, correct, value) {
  const classes = CLASS_LOSSES.includes(loss);
  return { loss: value, count, correct: classes ? correct : null, accuracy: classes && count > 0 ? correct / count : null };
}

// ---- files

function metaJson(kind, meta) {
  if (meta === undefined) return JSON.stringify({ kind });
  if (!isPlainObject(meta)) throw argError(`meta: expected a plain object (stored as JSON), got ${describe(meta)}`, 'meta');
  let text;
  try {
    text = JSON.stringify(meta); // one read of every value (getters and toJSON run once)
  } catch (err) {
    if (err instanceof LstmError) throw err; // e.g. 'busy' from a re-entrant call in a toJSON
    throw argError(`meta: expected JSON-serialisable values, got an error: ${err.message}`, 'meta');
  }
  const copy = JSON.parse(text);
  if (!isPlainObject(copy)) throw argError('meta: expected a plain object (stored as JSON)', 'meta');
  if ('kind' in copy) throw argError("meta.kind: reserved (the file kind, 'network'), choose another key", 'meta');
  return JSON.stringify({ kind, ...copy });
}

function parseMeta(bytes, what) {
  if (!bytes) return null;
  let meta;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new LstmError('format', `${what}: the file's meta is not UTF-8 JSON (${err.message})`);
  }
  if (!isPlainObject(meta)) throw new LstmError('format', `${what}: the file's meta is not a JSON object`);
  return meta;
}

let utility = null; // Promise<Wasm>: a small shared instance for readMeta

/** The meta object stored in a model file (with its `kind`: 'network', 'char'...), or null. */
export async function readMeta(bytes) {
  const data = fileBytes('bytes', bytes);
  if (data.length < MIN_FILE_BYTES) {
    throw new LstmError('format', `bytes: expected a wasm-lstm model file, got ${describe(data)}: too short`, { argument: 'bytes' });
  }
  let w = await utilityWasm();
  if (w.trap) {
    utility = null;
    w = await utilityWasm();
  }
  const { reader, status, meta } = w.feedReader(data, false);
  try {
    if (status !== 0) throw statusError(status, 'readMeta');
    return parseMeta(meta, 'readMeta');
  } finally {
    if (reader) w.call('lstm_read_free', reader);
  }
}

async function utilityWasm() {
  utility ??= newWasm('auto');
  try {
    return await utility;
  } catch (err) {
    utility = null;
    throw err;
  }
}

export { Wasm };
