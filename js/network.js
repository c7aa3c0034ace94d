// network.js — the Network class: a recurrent network (LSTM, GRU or RNN) in its own WebAssembly
// instance, wrapping the C ABI of c/lstm.h. Async once (create/load compiles the shared module
// and instantiates it), synchronous after.
//
// What it does: validates every argument in JS (so the C core never sees a bad one), stages
// arrays in buffers inside wasm memory that are reused across calls (grown only when a bigger
// batch × steps arrives), calls C once per method, and copies results out. What it does not do:
// hand out views of wasm memory, or keep a typed-array view across a call that can allocate
// (memory growth detaches views; `Wasm` rebuilds them whenever memory.buffer changed).
//
// Legend: B batch, T steps, I input width, V vocabulary, H hidden, O outputs, L layers.

import { loadModule, instantiate, simdSupported } from './loader.js';
import { LstmError, statusError, describe, tagOf, argError, configError } from './errors.js';

// ---- constants mirrored from c/lstm.h (array index = the C enum value)

const CELLS = ['lstm', 'gru', 'rnn'];
const LOSSES = ['xent', 'mse', 'mse-last'];
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad'];
const CLIP_MODES = ['none', 'value', 'norm'];
const GATES = { lstm: 4, gru: 3, rnn: 1 };
const CHANNELS = { lstm: ['i', 'f', 'g', 'o', 'c', 'h'], gru: ['r', 'z', 'n', 'h'], rnn: ['h'] };
const INPUT_DENSE = 0, INPUT_TOKENS = 1;
const STATE_TRAIN = 0, STATE_PREDICT = 1;
const PREDICT_SOFTMAX = 1, PREDICT_LAST_ONLY = 2;
const LIMITS = { layers: 4, hidden: 4096, input: 1 << 20, output: 1 << 20, params: 64 << 20 };

// JS-side limits on one call: batch, steps and batch × steps; elements of any staged array.
const MAX_COUNT = 1 << 24;
const MAX_ELEMENTS = 1 << 26; // 256 MB of float32
const MAX_FLOAT32 = 3.4028234663852886e38;

// lstm_config and lstm_train_config: 4-byte fields in declaration order ('i' int32, 'f' float).
const CONFIG_FIELDS = ['cell', 'input_kind', 'input', 'hidden', 'layers', 'output', 'loss', 'seed'];
const CONFIG_INT_FIELDS = CONFIG_FIELDS.map((f) => [f, 'i']); // seed is u32: same bits
const TRAIN_FIELDS = [
  ['optimizer', 'i'], ['lr', 'f'], ['beta1', 'f'], ['beta2', 'f'], ['eps', 'f'],
  ['weight_decay', 'f'], ['clip_mode', 'i'], ['clip', 'f'], ['dropout', 'f'],
];

// A scratch block per instance for the structs and the C functions' out-parameters (bytes).
const S_TRAIN = 0, S_CONFIG = 48, S_STATUS = 80, S_LOSS = 84, S_DIMS = 88, S_OFFSET = 96;
const SCRATCH_BYTES = 128;

const MIN_FILE_BYTES = 16;

/** Internal: the option key (in save() and Network.load() options) that sets or expects the file
 *  kind, for CharModel ('char'). Not exported from index.js. */
export const KIND = Symbol('wasm-lstm file kind');
/** Internal, for tests: `network[WASM]` is the model's Wasm wrapper. */
export const WASM = Symbol('wasm-lstm instance');

const LOADERS = { network: 'Network.load', char: 'CharModel.load' };
const TOKEN = Symbol('Network constructor');

// ---- one WebAssembly instance: memory views, guarded calls, staging buffers

class Wasm {
  #buffer = null;
  #u8; #i32; #f32;

  constructor(instance) {
    this.x = instance.exports;
    this.memory = this.x.memory;
    this.trap = null; // the RuntimeError that made this instance unusable
    const c = this.call('lstm_config_size'), t = this.call('lstm_train_config_size');
    if (c !== CONFIG_FIELDS.length * 4 || t !== TRAIN_FIELDS.length * 4) {
      throw new LstmError('version', `the wasm build's lstm_config is ${c} bytes and lstm_train_config ` +
        `${t}; this JS expects ${CONFIG_FIELDS.length * 4} and ${TRAIN_FIELDS.length * 4}: rebuild with build.sh`);
    }
    this.scratch = this.malloc(SCRATCH_BYTES);
    this.slots = { in: { ptr: 0, bytes: 0 }, tg: { ptr: 0, bytes: 0 }, out: { ptr: 0, bytes: 0 } };
  }

  #sync() {
    const b = this.memory.buffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#u8 = new Uint8Array(b);
      this.#i32 = new Int32Array(b);
      this.#f32 = new Float32Array(b);
    }
  }
  get u8() { this.#sync(); return this.#u8; }
  get i32() { this.#sync(); return this.#i32; }
  get f32() { this.#sync(); return this.#f32; }

  /** Calls an export (up to 7 arguments: lstm_gradients); a trap marks the instance unusable
   *  and becomes LstmError('trap'). */
  call(name, a, b, c, d, e, f, g) {
    try {
      return this.x[name](a, b, c, d, e, f, g);
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      this.trap = err;
      return trapped(name, err);
    }
  }

  malloc(bytes) {
    const ptr = this.call('malloc', Math.max(bytes, 4));
    if (!ptr) throw new LstmError('nomem', `cannot allocate ${bytes} bytes of WebAssembly memory (1 GB at most)`);
    return ptr;
  }

  free(ptr) {
    if (ptr && !this.trap) this.call('free', ptr);
  }

  /** The pointer of a staging buffer of at least `bytes`, grown (never shrunk) on demand. */
  slot(name, bytes) {
    const s = this.slots[name];
    if (s.bytes < bytes) {
      this.free(s.ptr);
      s.ptr = 0;
      s.bytes = 0;
      s.ptr = this.malloc(bytes);
      s.bytes = bytes;
    }
    return s.ptr;
  }

  string(ptr) {
    const u8 = this.u8;
    let end = ptr;
    while (end < u8.length && u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.subarray(ptr, end));
  }

  writeStruct(ptr, fields, values) {
    const i32 = this.i32, f32 = this.f32;
    fields.forEach(([, type], k) => {
      if (type === 'f') f32[(ptr >> 2) + k] = values[k];
      else i32[(ptr >> 2) + k] = values[k];
    });
  }

  readStruct(ptr, fields) {
    const i32 = this.i32, f32 = this.f32;
    return fields.map(([, type], k) => (type === 'f' ? f32 : i32)[(ptr >> 2) + k]);
  }
}

function trapped(name, err) {
  throw new LstmError('trap', `${name}: WebAssembly trap (${err.message}); this model's instance is ` +
    'now unusable. This is a bug in wasm-lstm: please report it', { cause: err });
}

async function newWasm(simd) {
  const { module } = await loadModule({ simd });
  return new Wasm(await instantiate(module));
}

// ---- configuration: architecture (fixed) and training (may change)

const TRAIN_KEYS = ['optimizer', 'learningRate', 'beta1', 'beta2', 'momentum', 'epsilon',
  'weightDecay', 'clip', 'dropout'];
const CREATE_KEYS = ['cell', 'input', 'vocab', 'hidden', 'layers', 'output', 'loss', 'seed', 'simd',
  ...TRAIN_KEYS];

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && tagOf(v) === 'Object';
}

function checkKeys(what, obj, allowed, makeError) {
  if (!isPlainObject(obj)) throw makeError(`${what}: expected an object, got ${describe(obj)}`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw makeError(`${what}: unknown key '${k}' (expected one of ${allowed.join(', ')})`);
    }
  }
}

function oneOf(name, v, choices) {
  if (!choices.includes(v)) {
    throw configError(`${name}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`);
  }
  return v;
}

function intIn(name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw configError(`${name}: expected an integer in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

// A float in [lo, hi) (or (lo, hi) when openLo), finite. C stores it as a float32, so the value
// C will see, Math.fround(v), must be in range too: 1e39 is Infinity as float32, 1e-50 is 0 and
// 0.99999999 is 1. The message says so when only the float32 value is out of range.
function floatIn(name, v, lo, hi, openLo) {
  const inRange = (x) => Number.isFinite(x) && (openLo ? x > lo : x >= lo) && x < hi;
  const range = `${openLo ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi})`;
  if (typeof v !== 'number' || !inRange(v)) {
    throw configError(`${name}: expected a finite number in ${range}, got ${describe(v)}`);
  }
  const f = Math.fround(v);
  if (!inRange(f)) {
    throw configError(`${name}: expected a finite number in ${range} (as float32), got ${v} (${f} as float32)`);
  }
  return v;
}

function checkSimd(v = 'auto', makeError) {
  if (v !== 'auto' && v !== true && v !== false) {
    throw makeError(`simd: expected 'auto', true or false, got ${describe(v)}`);
  }
  if (v === true && !simdSupported()) {
    throw makeError("simd: true, but this WebAssembly engine does not support SIMD128: use 'auto' or false");
  }
  return v;
}

/** Checks and normalises a Network.create config: {arch, training, simd}. */
function parseCreateConfig(config) {
  checkKeys('config', config, CREATE_KEYS, configError);
  const cell = oneOf('cell', config.cell ?? 'lstm', CELLS);
  if ((config.input === undefined) === (config.vocab === undefined)) {
    throw configError('config: expected exactly one of input (dense input width) or vocab ' +
      `(token input), got ${config.input === undefined ? 'neither' : 'both'}`);
  }
  const tokens = config.vocab !== undefined;
  const arch = {
    cell,
    inputKind: tokens ? INPUT_TOKENS : INPUT_DENSE,
    input: intIn(tokens ? 'vocab' : 'input', tokens ? config.vocab : config.input, 1, LIMITS.input),
    hidden: intIn('hidden', config.hidden, 1, LIMITS.hidden),
    layers: intIn('layers', config.layers ?? 1, 1, LIMITS.layers),
    loss: oneOf('loss', config.loss ?? 'xent', LOSSES),
    seed: intIn('seed', config.seed ?? 1, 0, 2 ** 32 - 1),
  };
  // softmax over one class is constant: cross-entropy needs at least 2
  arch.output = intIn('output', config.output, arch.loss === 'xent' ? 2 : 1, LIMITS.output);
  const P = parameterCountOf(arch);
  if (P > LIMITS.params) {
    throw configError(`config: the model would have ${P} parameters, more than the limit of ${LIMITS.params}`);
  }
  const simd = checkSimd(config.simd, configError);
  const training = {};
  for (const k of TRAIN_KEYS) if (config[k] !== undefined) training[k] = config[k];
  checkTrainingPatch('config', training, training.optimizer ?? 'adam');
  return { arch, training, simd };
}

// Σ over layers of (I_l·GH + H·GH + biases) + head; as c/lstm.h's tensor table.
function parameterCountOf({ cell, input, hidden: H, layers: L, output: O }) {
  const GH = GATES[cell] * H, biases = cell === 'gru' ? 2 * GH : GH;
  let P = H * O + O;
  for (let l = 0; l < L; l++) P += (l === 0 ? input : H) * GH + H * GH + biases;
  return P;
}

/** Checks the keys a training-config patch sets (with `optimizer` the optimizer after it). */
function checkTrainingPatch(what, patch, optimizer) {
  checkKeys(what, patch, TRAIN_KEYS, configError);
  const p = patch;
  if (p.optimizer !== undefined) oneOf('optimizer', p.optimizer, OPTIMIZERS);
  if (p.learningRate !== undefined) floatIn('learningRate', p.learningRate, 0, Infinity, true);
  if (p.beta1 !== undefined) floatIn('beta1', p.beta1, 0, 1);
  if (p.beta2 !== undefined) floatIn('beta2', p.beta2, 0, 1);
  if (p.momentum !== undefined) {
    floatIn('momentum', p.momentum, 0, 1);
    if (optimizer !== 'sgd') {
      throw configError(`momentum: only for optimizer 'sgd' (this one is '${optimizer}'; Adam's first-moment decay is beta1)`);
    }
    if (p.beta1 !== undefined && p.beta1 !== p.momentum) {
      throw configError(`momentum: an alias of beta1 for SGD, but both are given and differ (${p.momentum} vs ${p.beta1})`);
    }
  }
  if (p.epsilon !== undefined) floatIn('epsilon', p.epsilon, 0, Infinity, true);
  if (p.weightDecay !== undefined) floatIn('weightDecay', p.weightDecay, 0, Infinity);
  if (p.dropout !== undefined) floatIn('dropout', p.dropout, 0, 1);
  if (p.clip !== undefined) {
    checkKeys('clip', p.clip, ['mode', 'threshold'], configError);
    if (p.clip.mode !== undefined) oneOf('clip.mode', p.clip.mode, CLIP_MODES);
    if (p.clip.threshold !== undefined) floatIn('clip.threshold', p.clip.threshold, 0, Infinity, true);
  }
}

// The shortest decimal that rounds to the float32 x: 2e-3, not 0.0020000000949949026.
function float32Decimal(x) {
  for (let p = 1; p < 10; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

function trainingFromC([opt, lr, beta1, beta2, eps, wd, clipMode, clip, dropout]) {
  const d = float32Decimal;
  const tc = {
    optimizer: OPTIMIZERS[opt], learningRate: d(lr), beta1: d(beta1), beta2: d(beta2),
    epsilon: d(eps), weightDecay: d(wd), clip: { mode: CLIP_MODES[clipMode], threshold: d(clip) },
    dropout: d(dropout),
  };
  if (tc.optimizer === 'sgd') tc.momentum = tc.beta1;
  return tc;
}

function trainingToC(tc) {
  return [OPTIMIZERS.indexOf(tc.optimizer), tc.learningRate, tc.beta1, tc.beta2, tc.epsilon,
    tc.weightDecay, CLIP_MODES.indexOf(tc.clip.mode), tc.clip.threshold, tc.dropout];
}

// ---- argument checks for the data methods

const DATA_KINDS = {
  floats: { type: 'Float32Array', noun: 'numbers' },
  ints: { type: 'Int32Array', noun: 'integers' },
};

function isData(v) {
  return Array.isArray(v) || tagOf(v) === 'Float32Array' || tagOf(v) === 'Int32Array';
}

// Type and length of a data argument; `why` explains the length: " (batch 2 × steps 8)".
function checkData(name, v, kind, length, why) {
  const { type, noun } = DATA_KINDS[kind];
  if (!(Array.isArray(v) || tagOf(v) === type) || v.length !== length) {
    throw argError(`${name}: expected ${type} or array of ${noun} of length ${length}${why}, got ${describe(v)}`);
  }
}

function checkFinite(name, v) {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !(Math.abs(x) <= MAX_FLOAT32)) {
      throw argError(`${name}: expected finite float32 numbers, got ${describe(x)} at index ${i}`);
    }
  }
}

// Integers in [lo, hi); `what` names them: "token ids", "class ids".
function checkIds(name, v, lo, hi, what, note) {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isInteger(x) || x < lo || x >= hi) {
      throw argError(`${name}: expected ${what} in [${lo}, ${hi})${note}, got ${describe(x)} at index ${i}`);
    }
  }
}

// 'train' | 'predict' -> the C state index
function stateSlot(method, which) {
  if (which === 'train') return STATE_TRAIN;
  if (which === 'predict') return STATE_PREDICT;
  throw argError(`${method}: which: expected 'train' or 'predict', got ${describe(which)}`);
}

function readOptions(what, options, allowed) {
  if (options === undefined) return {};
  checkKeys(`${what} options`, options, allowed, argError);
  return options;
}

function flag(name, v) {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw argError(`${name}: expected true or false, got ${describe(v)}`);
  return v;
}

function count(name, v) {
  if (!Number.isInteger(v) || v < 1 || v > MAX_COUNT) {
    throw argError(`${name}: expected an integer in [1, ${MAX_COUNT}], got ${describe(v)}`);
  }
  return v;
}

function elements(name, n) {
  if (n > MAX_ELEMENTS) {
    throw argError(`${name}: ${n} elements, more than the limit of ${MAX_ELEMENTS} per call: use a smaller batch or fewer steps`);
  }
  return n;
}

function toBytes(name, v) {
  if (tagOf(v) === 'ArrayBuffer') return new Uint8Array(v);
  if (tagOf(v) === 'Uint8Array') return v;
  throw argError(`${name}: expected a Uint8Array (or ArrayBuffer) holding a model file, got ${describe(v)}`);
}

// ---- Network

const TRAIN_OPTIONS = ['batch', 'steps'];
const GRAD_OPTIONS = ['batch', 'steps', 'advance'];
const PREDICT_OPTIONS = ['batch', 'steps', 'softmax', 'lastOnly'];
const SAVE_OPTIONS = ['includeOptimizer', 'includeState', 'meta'];

export class Network {
  #w; // Wasm, or null once disposed
  #m; // lstm_model*
  #config;
  #tensors; // [{name, shape, offset, size}] from the C tensor table
  #byName;
  #meta;

  /** Not public: use Network.create or Network.load. */
  constructor(token, wasm, model, meta) {
    if (token !== TOKEN) throw new TypeError('use Network.create(config) or Network.load(bytes)');
    this.#w = wasm;
    this.#m = model;
    this.#meta = meta;
    this.#check(wasm.call('lstm_get_config', model, wasm.scratch + S_CONFIG), 'lstm_get_config');
    const [cell, inputKind, input, hidden, layers, output, loss, seed] =
      wasm.readStruct(wasm.scratch + S_CONFIG, CONFIG_INT_FIELDS);
    const c = { cell: CELLS[cell] };
    c[inputKind === INPUT_TOKENS ? 'vocab' : 'input'] = input;
    Object.assign(c, { hidden, layers, output, loss: LOSSES[loss], seed: seed >>> 0 });
    this.#config = Object.freeze(c);
    const channels = wasm.call('lstm_inspect_channels', model);
    if (channels !== CHANNELS[c.cell].length) {
      throw new LstmError('version', `lstm_inspect_channels: the wasm build records ${channels} channels ` +
        `for ${c.cell}, this JS expects ${CHANNELS[c.cell].join(', ')}: rebuild with build.sh`);
    }
    this.#tensors = this.#readTensorTable();
    this.#byName = new Map(this.#tensors.map((t) => [t.name, t]));
  }

  /**
   * Creates a model in its own WebAssembly instance (the module is compiled once and cached).
   * See index.d.ts for the config keys.
   */
  static async create(config) {
    const { arch, training, simd } = parseCreateConfig(config);
    const w = await newWasm(simd);
    const a = arch;
    w.writeStruct(w.scratch + S_CONFIG, CONFIG_INT_FIELDS, [CELLS.indexOf(a.cell),
      a.inputKind, a.input, a.hidden, a.layers, a.output, LOSSES.indexOf(a.loss), a.seed | 0]);
    const model = w.call('lstm_new', w.scratch + S_CONFIG, w.scratch + S_STATUS);
    if (!model) throw statusError(w.i32[(w.scratch + S_STATUS) >> 2], 'Network.create');
    const net = new Network(TOKEN, w, model, null);
    if (Object.keys(training).length) net.setTrainingConfig(training);
    return net;
  }

  /**
   * Loads a file written by save(). Rejects with LstmError 'format' (not a model file, truncated,
   * or another kind such as a CharModel file), 'version' or 'checksum'.
   */
  static async load(bytes, options) {
    const o = readOptions('Network.load', options, ['simd']);
    const kind = options?.[KIND] ?? 'network';
    const data = toBytes('bytes', bytes);
    if (data.length < MIN_FILE_BYTES) {
      throw new LstmError('format', `bytes: expected a wasm-lstm model file, got ${describe(data)}: too short`);
    }
    const w = await newWasm(checkSimd(o.simd, argError));
    const ptr = w.malloc(data.length);
    w.u8.set(data, ptr);
    const meta = fileMeta(w, ptr, data.length, LOADERS[kind]);
    const fileKind = meta?.kind ?? 'network';
    if (fileKind !== kind) {
      const hint = LOADERS[fileKind] ? `: use ${LOADERS[fileKind]}` : '';
      throw new LstmError('format', `${LOADERS[kind]}: this file holds a model of kind '${fileKind}', ` +
        `not '${kind}'${hint}`);
    }
    const model = w.call('lstm_load', ptr, data.length, w.scratch + S_STATUS);
    const status = w.i32[(w.scratch + S_STATUS) >> 2];
    w.free(ptr);
    if (!model) throw statusError(status, LOADERS[kind]);
    let userMeta = null;
    if (meta) {
      const { kind: _, ...rest } = meta;
      userMeta = rest;
    }
    return new Network(TOKEN, w, model, userMeta);
  }

  // ---- training

  /** One optimisation step; returns the mean loss of the batch before the update. */
  train(inputs, targets, options) {
    const o = readOptions('train', options, TRAIN_OPTIONS);
    const w = this.#live('train');
    const [B, T] = this.#batchSteps(inputs, o);
    this.#stageInputs(inputs, B, T);
    this.#stageTargets(targets, B, T);
    const s = w.scratch;
    this.#check(w.call('lstm_train', this.#m, w.slots.in.ptr, w.slots.tg.ptr, B, T, s + S_LOSS), 'train');
    return w.f32[(s + S_LOSS) >> 2];
  }

  /** Loss and gradients without an update; `advance` (default true) moves the train state on. */
  lossAndGradients(inputs, targets, options) {
    const o = readOptions('lossAndGradients', options, GRAD_OPTIONS);
    const w = this.#live('lossAndGradients');
    const [B, T] = this.#batchSteps(inputs, o);
    const advance = o.advance === undefined ? true : flag('advance', o.advance);
    this.#stageInputs(inputs, B, T);
    this.#stageTargets(targets, B, T);
    const s = w.scratch;
    this.#check(w.call('lstm_gradients', this.#m, w.slots.in.ptr, w.slots.tg.ptr, B, T,
      advance ? 1 : 0, s + S_LOSS), 'lossAndGradients');
    const loss = w.f32[(s + S_LOSS) >> 2];
    return { loss, gradients: this.#readTensors(w.call('lstm_grads', this.#m)) };
  }

  /** Applies the optimizer to the gradient buffer, after writing `gradients` (all or some tensors) into it. */
  applyGradients(gradients) {
    const w = this.#live('applyGradients');
    if (gradients !== undefined) {
      this.#writeTensors('gradients', gradients, () => w.call('lstm_grads', this.#m));
    }
    this.#check(w.call('lstm_apply_gradients', this.#m), 'applyGradients');
  }

  /** ‖∂loss/∂h_t‖ (and for LSTM ‖∂loss/∂c_t‖) per layer and step (the train state is left alone). */
  stepGradientNorms(inputs, targets, options) {
    const o = readOptions('stepGradientNorms', options, TRAIN_OPTIONS);
    const w = this.#live('stepGradientNorms');
    const [B, T] = this.#batchSteps(inputs, o);
    const L = this.#config.layers, n = L * T, lstm = this.#config.cell === 'lstm';
    this.#stageInputs(inputs, B, T);
    this.#stageTargets(targets, B, T);
    const out = w.slot('out', 2 * n * 4);
    this.#check(w.call('lstm_step_gradient_norms', this.#m, w.slots.in.ptr, w.slots.tg.ptr, B, T, out,
      lstm ? out + n * 4 : 0), 'stepGradientNorms');
    const norms = w.f32.slice(out >> 2, (out >> 2) + n);
    const r = { layers: L, steps: T, norms, get: (layer) => norms.subarray(layer * T, (layer + 1) * T) };
    if (lstm) {
      const cellNorms = w.f32.slice((out >> 2) + n, (out >> 2) + 2 * n);
      r.cellNorms = cellNorms;
      r.getCell = (layer) => cellNorms.subarray(layer * T, (layer + 1) * T);
    }
    return r;
  }

  /** Zeroes the carried state: 'train', 'predict', or both (default). */
  resetState(which) {
    const w = this.#live('resetState');
    if (which !== undefined && which !== 'train' && which !== 'predict') {
      throw argError(`which: expected 'train', 'predict' or undefined (both), got ${describe(which)}`);
    }
    if (which !== 'predict') this.#check(w.call('lstm_reset_state', this.#m, STATE_TRAIN), 'resetState');
    if (which !== 'train') this.#check(w.call('lstm_reset_state', this.#m, STATE_PREDICT), 'resetState');
  }

  /**
   * A copy of a carried state ('train' or 'predict'): `{batch, h, c}` with h (and for LSTM c) of
   * shape (L, B, H); batch 0 (and empty arrays) before any call of that kind.
   */
  getState(which) {
    const w = this.#live('getState');
    const slot = stateSlot('getState', which);
    const B = w.call('lstm_state_batch', this.#m, slot);
    const n = this.#config.layers * B * this.#config.hidden;
    const read = (fn) => {
      const ptr = w.call(fn, this.#m, slot);
      return B && ptr ? w.f32.slice(ptr >> 2, (ptr >> 2) + n) : new Float32Array(0);
    };
    const state = { batch: B, h: read('lstm_state_h') };
    if (this.#config.cell === 'lstm') state.c = read('lstm_state_c');
    return state;
  }

  /**
   * Replaces a carried state with a copy of `state` (as getState returns it): the next call of that
   * kind with the same batch continues from it. Checked whole before anything is written.
   */
  setState(which, state) {
    const w = this.#live('setState');
    const slot = stateSlot('setState', which);
    checkKeys('state', state, ['batch', 'h', 'c'], argError);
    const lstm = this.#config.cell === 'lstm';
    const B = state.batch;
    if (!Number.isInteger(B) || B < 1 || B > 2 ** 20) {
      throw argError(`state.batch: expected an integer in [1, ${2 ** 20}], got ${describe(B)}`);
    }
    const n = this.#config.layers * B * this.#config.hidden;
    const why = ` (layers ${this.#config.layers} × batch ${B} × hidden ${this.#config.hidden})`;
    for (const key of lstm ? ['h', 'c'] : ['h']) {
      checkData(`state.${key}`, state[key], 'floats', n, why);
      checkFinite(`state.${key}`, state[key]);
    }
    if (!lstm && state.c !== undefined) {
      throw argError(`state.c: only LSTM models have a cell state (this one is '${this.#config.cell}'), got ${describe(state.c)}`);
    }
    this.#check(w.call('lstm_state_set_batch', this.#m, slot, B), 'setState');
    // after the call: it allocated, so memory may have grown and old views are detached
    w.f32.set(state.h, w.call('lstm_state_h', this.#m, slot) >> 2);
    if (lstm) w.f32.set(state.c, w.call('lstm_state_c', this.#m, slot) >> 2);
  }

  // ---- inference

  /** Forward pass continuing from the predict state; a copy of the outputs (B,T,O) or (B,O). */
  predict(inputs, options) {
    const o = readOptions('predict', options, PREDICT_OPTIONS);
    const w = this.#live('predict');
    const [B, T] = this.#batchSteps(inputs, o);
    const softmax = flag('softmax', o.softmax), lastOnly = flag('lastOnly', o.lastOnly);
    if (softmax && this.#config.loss !== 'xent') {
      throw argError(`softmax: only for loss 'xent' models, this one has loss '${this.#config.loss}'`);
    }
    const n = elements('outputs', (lastOnly ? B : B * T) * this.#config.output);
    this.#stageInputs(inputs, B, T);
    const out = w.slot('out', n * 4);
    const flags = (softmax ? PREDICT_SOFTMAX : 0) | (lastOnly ? PREDICT_LAST_ONLY : 0);
    this.#check(w.call('lstm_predict', this.#m, w.slots.in.ptr, B, T, flags, out), 'predict');
    return w.f32.slice(out >> 2, (out >> 2) + n);
  }

  /** Activations per layer, step, sequence and channel, from a zero state (carried states untouched). */
  inspect(inputs, options) {
    const o = readOptions('inspect', options, TRAIN_OPTIONS);
    const w = this.#live('inspect');
    const [B, T] = this.#batchSteps(inputs, o);
    const { cell, layers: L, hidden: H } = this.#config;
    const channels = CHANNELS[cell], C = channels.length;
    const n = elements('activations', L * T * B * C * H);
    this.#stageInputs(inputs, B, T);
    const out = w.slot('out', n * 4);
    this.#check(w.call('lstm_inspect', this.#m, w.slots.in.ptr, B, T, out), 'inspect');
    const data = w.f32.slice(out >> 2, (out >> 2) + n);
    const get = (layer, step, seq, channel) => {
      const c = typeof channel === 'string' ? channels.indexOf(channel) : channel;
      const at = [[layer, L, 'layer'], [step, T, 'step'], [seq, B, 'seq'], [c, C, 'channel']];
      for (const [v, size, name] of at) {
        if (!Number.isInteger(v) || v < 0 || v >= size) {
          const what = name === 'channel' ? `one of ${channels.join(', ')} or an index < ${C}` : `an integer in [0, ${size})`;
          throw argError(`${name}: expected ${what}, got ${describe(name === 'channel' ? channel : v)}`);
        }
      }
      const k = (((layer * T + step) * B + seq) * C + c) * H;
      return data.subarray(k, k + H);
    };
    return { channels: channels.slice(), layers: L, steps: T, batch: B, hidden: H, data, get };
  }

  // ---- parameters

  /** Copies of every parameter tensor: { 'l0.wx': {shape, data}, ... }. */
  parameters() {
    const w = this.#live('parameters');
    return this.#readTensors(w.call('lstm_params', this.#m));
  }

  /** Copies in some or all tensors ({name: {shape?, data} | data}); checks names, shapes and values first. */
  setParameters(params) {
    const w = this.#live('setParameters');
    this.#writeTensors('parameters', params, () => w.call('lstm_params', this.#m));
  }

  // ---- configuration

  get config() { this.#live('config'); return { ...this.#config }; }

  get trainingConfig() {
    const w = this.#live('trainingConfig');
    this.#check(w.call('lstm_get_train_config', this.#m, w.scratch + S_TRAIN), 'trainingConfig');
    return trainingFromC(w.readStruct(w.scratch + S_TRAIN, TRAIN_FIELDS));
  }

  /** Changes some training settings (the others keep their values). */
  setTrainingConfig(patch) {
    this.#live('setTrainingConfig');
    const current = this.trainingConfig;
    checkTrainingPatch('setTrainingConfig', patch, patch?.optimizer ?? current.optimizer);
    const merged = { ...current, ...patch, clip: { ...current.clip, ...patch.clip } };
    if (patch.momentum !== undefined) merged.beta1 = patch.momentum;
    const w = this.#w;
    w.writeStruct(w.scratch + S_TRAIN, TRAIN_FIELDS, trainingToC(merged));
    this.#check(w.call('lstm_set_train_config', this.#m, w.scratch + S_TRAIN), 'setTrainingConfig');
  }

  get parameterCount() { return this.#live('parameterCount').call('lstm_param_count', this.#m); }
  get simd() { return this.#live('simd').call('lstm_simd') === 1; }
  get stepCount() { return this.#live('stepCount').call('lstm_step_count', this.#m); }
  get lastGradientNorm() { return this.#live('lastGradientNorm').call('lstm_last_gradient_norm', this.#m); }
  /** The user meta of the file this network was loaded from (null if created). */
  get meta() { this.#live('meta'); return this.#meta && structuredClone(this.#meta); }
  /** Bytes of WebAssembly memory this model's instance holds now. */
  get memoryBytes() { return this.#live('memoryBytes').memory.buffer.byteLength; }
  get disposed() { return this.#w === null; }

  // ---- files

  /** The model as a file (Uint8Array): config, parameters, optionally optimizer and train state. */
  save(options) {
    const o = readOptions('save', options, SAVE_OPTIONS);
    const w = this.#live('save');
    const kind = options?.[KIND] ?? 'network';
    const includeOptimizer = o.includeOptimizer === undefined ? true : flag('includeOptimizer', o.includeOptimizer);
    const includeState = o.includeState === undefined ? true : flag('includeState', o.includeState);
    const meta = new TextEncoder().encode(metaJson(kind, o.meta));
    const flags = (includeOptimizer ? 1 : 0) | (includeState ? 2 : 0);
    const size = w.call('lstm_save_size', this.#m, flags, meta.length);
    if (size < 0) throw statusError(-size, 'save');
    const metaPtr = w.malloc(meta.length);
    let buf = 0;
    try {
      buf = w.malloc(size);
      w.u8.set(meta, metaPtr);
      const n = w.call('lstm_save', this.#m, flags, metaPtr, meta.length, buf, size);
      if (n < 0) throw statusError(-n, 'save');
      return w.u8.slice(buf, buf + n);
    } finally {
      w.free(buf);
      w.free(metaPtr);
    }
  }

  /** Frees the model and its instance; every later call throws LstmError 'disposed'. Idempotent. */
  dispose() {
    const w = this.#w;
    if (!w) return;
    this.#w = null;
    if (!w.trap) w.call('lstm_free', this.#m);
  }

  get [WASM]() { return this.#w; }

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

  #check(status, what) {
    if (status !== 0) throw statusError(status, what);
  }

  // batch defaults to 1; steps to what the inputs' length implies.
  #batchSteps(inputs, o) {
    const B = o.batch === undefined ? 1 : count('batch', o.batch);
    let T;
    if (o.steps !== undefined) {
      T = count('steps', o.steps);
    } else {
      const width = this.#config.input ?? 1;
      const per = B * width;
      if (!isData(inputs) || inputs.length === 0 || inputs.length % per !== 0) {
        const { type, noun } = DATA_KINDS[this.#config.vocab ? 'ints' : 'floats'];
        const why = this.#config.vocab ? `batch ${B}` : `batch ${B} × input ${width} = ${per}`;
        throw argError(`inputs: expected ${type} or array of ${noun} of a length that is a positive ` +
          `multiple of ${why} (steps not given), got ${describe(inputs)}`);
      }
      T = count('steps', inputs.length / per);
    }
    if (B * T > MAX_COUNT) {
      throw argError(`batch × steps: expected at most ${MAX_COUNT}, got ${B} × ${T} = ${B * T}`);
    }
    return [B, T];
  }

  #stageInputs(inputs, B, T) {
    const c = this.#config, w = this.#w;
    if (c.vocab !== undefined) {
      checkData('inputs', inputs, 'ints', B * T, ` (batch ${B} × steps ${T})`);
      checkIds('inputs', inputs, 0, c.vocab, 'token ids', ` (vocab ${c.vocab})`);
      const ptr = w.slot('in', B * T * 4); // may grow memory: take the view after
      w.i32.set(inputs, ptr >> 2);
    } else {
      const n = elements('inputs', B * T * c.input);
      checkData('inputs', inputs, 'floats', n, ` (batch ${B} × steps ${T} × input ${c.input})`);
      checkFinite('inputs', inputs);
      const ptr = w.slot('in', n * 4);
      w.f32.set(inputs, ptr >> 2);
    }
  }

  #stageTargets(targets, B, T) {
    const { loss, output: O } = this.#config, w = this.#w;
    if (loss === 'xent') {
      checkData('targets', targets, 'ints', B * T, ` (batch ${B} × steps ${T})`);
      checkIds('targets', targets, -1, O, 'class ids', ' (-1 = ignored)');
      const ptr = w.slot('tg', B * T * 4);
      w.i32.set(targets, ptr >> 2);
    } else {
      const last = loss === 'mse-last';
      const n = elements('targets', (last ? B : B * T) * O);
      const why = last ? ` (batch ${B} × output ${O}; loss 'mse-last')` : ` (batch ${B} × steps ${T} × output ${O})`;
      checkData('targets', targets, 'floats', n, why);
      checkFinite('targets', targets);
      const ptr = w.slot('tg', n * 4);
      w.f32.set(targets, ptr >> 2);
    }
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

  // Checks every entry, then copies them all in (nothing is written if any entry is bad).
  #writeTensors(what, obj, pointer) {
    if (!isPlainObject(obj)) {
      throw argError(`${what}: expected an object of named tensors like parameters() returns, got ${describe(obj)}`);
    }
    const writes = [];
    for (const [name, value] of Object.entries(obj)) {
      const t = this.#byName.get(name);
      if (!t) {
        throw argError(`${what}: unknown tensor '${name}' (this model has ${this.#tensors.map((x) => x.name).join(', ')})`);
      }
      let data = value, label = `${what}['${name}']`;
      if (isPlainObject(value)) {
        const { shape } = value;
        if (shape !== undefined && !(Array.isArray(shape) && shape.length === t.shape.length &&
            shape.every((d, i) => d === t.shape[i]))) {
          throw argError(`${label}.shape: expected [${t.shape.join(', ')}], got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`);
        }
        data = value.data;
        label += '.data';
      }
      checkData(label, data, 'floats', t.size, ` (shape [${t.shape.join(', ')}])`);
      checkFinite(label, data);
      writes.push([t, data]);
    }
    const base = pointer() >> 2, f32 = this.#w.f32;
    for (const [t, data] of writes) f32.set(data, base + t.offset);
  }
}

// ---- files

function metaJson(kind, meta) {
  if (meta === undefined) return JSON.stringify({ kind });
  if (!isPlainObject(meta)) throw argError(`meta: expected a plain object (stored as JSON), got ${describe(meta)}`);
  if ('kind' in meta) throw argError("meta.kind: reserved (the file kind, 'network'), choose another key");
  try {
    return JSON.stringify({ kind, ...meta });
  } catch (err) {
    throw argError(`meta: expected JSON-serialisable values, got an error: ${err.message}`);
  }
}

// The meta object of the file at ptr (null when empty), after the C checks (format, version, CRC).
function fileMeta(w, ptr, len, what) {
  const n = w.call('lstm_file_meta', ptr, len, w.scratch + S_OFFSET);
  if (n < 0) throw statusError(-n, what);
  if (n === 0) return null;
  const at = ptr + w.i32[(w.scratch + S_OFFSET) >> 2];
  let meta;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(w.u8.subarray(at, at + n)));
  } catch (err) {
    throw new LstmError('format', `${what}: the file's meta is not UTF-8 JSON (${err.message})`);
  }
  if (!isPlainObject(meta)) throw new LstmError('format', `${what}: the file's meta is not a JSON object`);
  return meta;
}

let utility = null; // Promise<Wasm>: a small shared instance for readMeta

/** The meta object stored in a model file (with its `kind`: 'network', 'char'...), or null. */
export async function readMeta(bytes) {
  const data = toBytes('bytes', bytes);
  if (data.length < MIN_FILE_BYTES) {
    throw new LstmError('format', `bytes: expected a wasm-lstm model file, got ${describe(data)}: too short`);
  }
  let w = await utilityWasm();
  if (w.trap) {
    utility = null;
    w = await utilityWasm();
  }
  const ptr = w.malloc(data.length);
  try {
    w.u8.set(data, ptr);
    return fileMeta(w, ptr, data.length, 'readMeta');
  } finally {
    w.free(ptr);
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
