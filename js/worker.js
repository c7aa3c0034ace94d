// worker.js — wasm-lstm/worker: a Network or a CharModel in a worker of its own (a module Web
// Worker in browsers, a worker_threads Worker in Node), behind a promise API that mirrors the
// in-thread one, so that a page never waits for training.
//
//   import { Trainer } from 'wasm-lstm/worker';
//   const trainer = await Trainer.create({ kind: 'char', config: { text, hidden: 128 } });
//   const history = await trainer.train({ minutes: 3, onProgress: (p) => draw(p) });
//   for await (const ch of trainer.stream({ prime: 'ROMEO:', length: 300 })) out.append(ch);
//   const bytes = await trainer.save();   // transferred, not copied
//   trainer.dispose();
//
// The worker is started with `new Worker(new URL('./worker-entry.js', import.meta.url), { type:
// 'module' })`, the one pattern that Vite (build and dev server) and webpack 5 bundle with no
// configuration; in Node the same file runs as a worker_threads Worker. Users write no worker.
//
// Every argument is read once here into copies (worker-protocol.js) and the worker checks them
// with the in-thread code, so an LstmError arrives with the code, argument and message the
// in-thread call would give. Callbacks (fit's onEpochEnd…, train's onProgress) run on this thread,
// in order, from the worker's events; the worker does not wait for them (use pause()). Every
// call rejects with an LstmError only: a callback that throws aborts the running call, which
// rejects with LstmError 'aborted' whose `cause` is the callback's error. A worker that dies (or
// cannot start) rejects every pending and later call ('trap', or 'load' when its script could not
// be loaded). In Node an idle trainer does not keep the process alive.
//
// What it does not do: share one model between trainers (each has its own worker and memory), or
// run user code (custom schedule functions, callbacks) inside the worker.

import { LstmError, describe } from './errors.js';
import { readOptions, oneOf, fn, argError } from './args.js';
import { nodeModule } from './loader.js';
import {
  copyArg, splitOptions, fileBytesToSend, errorFromWire, reviveInspection, reviveNorms, reviveCharInspection,
} from './worker-protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const KINDS = ['network', 'char'];
const FIT_CALLBACKS = ['onEpochBegin', 'onEpochEnd', 'onBatchEnd', 'onTrainEnd'];
const LOAD_HINT = 'the worker script (wasm-lstm/js/worker-entry.js) could not be loaded: the server answered ' +
  'with an error or with something that is not that JavaScript module. With the Vite ≤ 7 dev server add ' +
  "`optimizeDeps: { exclude: ['wasm-lstm'] }` to vite.config; with another host, serve node_modules/wasm-lstm/js/ " +
  'as it is (worker-entry.js beside worker.js, build/*.wasm beside them), from the page\'s own origin';

/** Internal, for tests: `Trainer.create({ ..., [WORKER_URL]: url })` starts another worker script
 *  (a page's origin only); `trainer[WORKER]` is the raw Worker. */
export const WORKER_URL = Symbol('wasm-lstm worker url');
export const WORKER = Symbol('wasm-lstm worker');

// ---- starting the worker: one small adapter over the browser's and Node's Worker

// Node's URL of the worker, from a copy of import.meta.url: bundlers must see only the Web Worker
// pattern below (a `new URL('./worker-entry.js', import.meta.url)` of its own would make them
// copy the file as a raw asset besides bundling it).
const here = import.meta.url;

// {raw, post, terminate, ref, unref, on: {message, fail}}: `on` holds the current handlers, so
// that the start-up code and then the trainer can listen in turn.
async function spawn(url) {
  const on = { message() {}, fail() {} };
  if (isNode) {
    const { Worker: NodeWorker } = await nodeModule('worker_threads');
    // The worker inherits this process's flags, except under `node --input-type=module -e`: a
    // worker that runs a file refuses --input-type, and a list given instead is checked flag by
    // flag (V8's process-wide flags are refused), so it then gets none.
    const inputType = process.execArgv.some((a) => a.startsWith('--input-type'));
    const w = new NodeWorker(url ?? new URL('./worker-entry.js', here), inputType ? { execArgv: [] } : {});
    w.on('message', (m) => on.message(m));
    // an uncaught error, or an exit that dispose() did not ask for
    w.on('error', (e) => on.fail(e?.message ?? String(e)));
    w.on('exit', (code) => on.fail(`it exited with code ${code}`));
    return {
      raw: w, on, post: (m, transfer) => w.postMessage(m, transfer),
      terminate: () => w.terminate().then(() => {}), ref: () => w.ref(), unref: () => w.unref(),
    };
  }
  const w = url === undefined
    ? new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' })
    : new Worker(url, { type: 'module' });
  w.addEventListener('message', (e) => on.message(e.data));
  w.addEventListener('error', (e) => {
    e.preventDefault?.(); // reported as an LstmError, not as an uncaught error of the page
    on.fail(e?.message || 'an uncaught error, or its script could not be loaded');
  });
  w.addEventListener('messageerror', () => on.fail('a message from it could not be deserialized'));
  return {
    raw: w, on, post: (m, transfer) => w.postMessage(m, transfer),
    terminate: async () => w.terminate(), ref() {}, unref() {},
  };
}

// Starts a worker and its model (the create or load call, id 0): resolves with the port and the
// model's info, or rejects with an LstmError ('load' when the worker's script did not load).
async function boot(url, what, op, args, transfer) {
  let port;
  try {
    port = await spawn(url);
  } catch (err) { // e.g. a SecurityError: a worker script of another origin than the page
    throw deadError(what, 'load', `${err?.name ?? 'Error'}: ${err?.message ?? err}`);
  }
  let ready = false;
  try {
    const info = await new Promise((resolve, reject) => {
      port.on.message = (m) => {
        if (m?.ready) ready = true;
        else if (m?.id === 0 && m.error !== undefined) reject(errorFromWire(m.error));
        else if (m?.id === 0) resolve(m.result);
      };
      port.on.fail = (reason) => reject(deadError(what, ready ? 'trap' : 'load', reason));
      port.post({ id: 0, op, args }, transfer);
    });
    return { port, info };
  } catch (err) {
    port.terminate().catch(() => {});
    throw err;
  }
}

function deadError(what, code, reason) {
  return code === 'load'
    ? new LstmError('load', `${what}: ${LOAD_HINT} (${reason})`)
    : new LstmError('trap', `${what}: the worker stopped (${reason}); this Trainer cannot be used any more`);
}

// Module-private methods of Trainer for its subclasses.
const SEND = Symbol('send'), PLAIN = Symbol('plain'), CALL = Symbol('call'), CONTROL = Symbol('control'), REF = Symbol('ref'), UNREF = Symbol('unref');

// ---- the trainer

const TOKEN = Symbol('Trainer constructor');

export class Trainer {
  #port;
  #info;
  #calls = new Map(); // id -> { what, resolve, reject, event?, chunk?, unref? }
  #nextId = 1;
  #dead = null; // {code, reason} once the worker stopped
  #disposed = false;
  #refs = 0;

  /**
   * A trainer with a new model: `kind` 'network' (config: Network.create's config, with
   * `threads` and `simd`) or 'char' (config: CharModel.create's options, with `text`, `threads`
   * and `simd`). Resolves when the model exists in its worker.
   * @param {{kind: 'network'|'char', config?: object}} options
   */
  static async create(options) {
    const o = readOptions('Trainer.create options', options, ['kind', 'config']);
    const kind = oneOf('kind', o.kind, KINDS);
    const transfer = [];
    const config = copyArg('config', o.config, transfer);
    return Trainer.#start(options?.[WORKER_URL], 'Trainer.create', 'create', { kind, config }, transfer);
  }

  /**
   * A trainer with a model from a file (Network.save or CharModel.save). `kind` defaults to the
   * file's (its meta). `text`: a CharModel's training text (as CharModel.load takes it). The
   * bytes are transferred to the worker when they are one whole ArrayBuffer (which is then
   * detached here), else copied.
   */
  static async load(bytes, options) {
    const o = readOptions('Trainer.load options', options, ['kind', 'text', 'threads', 'simd']);
    if (o.kind !== undefined) oneOf('kind', o.kind, KINDS);
    const transfer = [];
    const sendOptions = copyArg('options', { ...o }, transfer);
    const data = fileBytesToSend('bytes', bytes, transfer);
    return Trainer.#start(options?.[WORKER_URL], 'Trainer.load', 'load', { bytes: data, options: sendOptions }, transfer);
  }

  static async #start(url, what, op, args, transfer) {
    const { port, info } = await boot(url, what, op, args, transfer);
    const Class = info.kind === 'char' ? CharTrainer : NetworkTrainer;
    return new Class(TOKEN, port, info);
  }

  /** Not public: use Trainer.create or Trainer.load. */
  constructor(token, port, info) {
    if (token !== TOKEN) throw new TypeError('use Trainer.create(options) or Trainer.load(bytes, options)');
    this.#port = port;
    this.#info = Object.freeze(info);
    port.on.message = (m) => this.#receive(m);
    port.on.fail = (reason) => this.#fail(reason);
    port.unref(); // an idle trainer does not keep Node running; a pending call does (REF)
  }

  // ---- messages

  #receive(m) {
    const c = this.#calls.get(m?.id);
    if (!c) return;
    if (m.event !== undefined) {
      c.event?.(m.event, m.args);
    } else if (m.chunk !== undefined) {
      c.chunk?.(m.chunk);
    } else {
      this.#calls.delete(m.id);
      if (!c.unref) this[UNREF]();
      if (m.error !== undefined) c.reject(errorFromWire(m.error));
      else c.resolve(m.result);
    }
  }

  #fail(reason) {
    if (this.#dead || this.#disposed) return;
    this.#dead = { code: 'trap', reason };
    for (const [id, c] of this.#calls) {
      this.#calls.delete(id);
      c.reject(deadError(c.what, 'trap', reason));
    }
    this.#shutdown();
  }

  [REF]() {
    if (this.#refs++ === 0) this.#port?.ref();
  }

  [UNREF]() {
    if (this.#refs > 0 && --this.#refs === 0) this.#port?.unref();
  }

  /** A call whose arguments are all data: copied, trailing undefined ones dropped (so that the
   *  worker's call sees as many arguments as the caller gave). */
  [PLAIN](op, args, names) {
    const transfer = [];
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    const copies = args.slice(0, n).map((a, i) => copyArg(names[i], a, transfer));
    return this[SEND](op, op, copies, transfer);
  }

  /** Posts a call; resolves with its result. hooks: event(name, args) and chunk(text) receive its
   *  events, started(id) is told its id, unref: it does not keep Node running. */
  [SEND](what, op, args, transfer = [], hooks = {}) {
    if (this.#disposed) return Promise.reject(new LstmError('disposed', `${what}: this Trainer was disposed`));
    if (this.#dead) return Promise.reject(deadError(what, this.#dead.code, this.#dead.reason));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { what, resolve, reject, ...hooks });
      if (!hooks.unref) this[REF]();
      try {
        this.#port.post({ id, op, args }, transfer);
      } catch (err) { // copyArg lets nothing through that cannot be cloned; this is a safety net
        this.#calls.delete(id);
        if (!hooks.unref) this[UNREF]();
        reject(new LstmError('arg', `${what}: its arguments cannot be sent to the worker (${err.message})`));
        return;
      }
      hooks.started?.(id);
    });
  }

  [CONTROL](m) {
    if (this.#disposed || this.#dead || !this.#port) return;
    this.#port.post(m, []);
  }

  /** A call with callbacks run here from the worker's events, in order; the call resolves after
   *  the last of them. A callback that throws aborts the call (LstmError 'aborted', its cause). */
  async [CALL](what, op, args, transfer, { callbacks = {}, signal } = {}) {
    let chain = Promise.resolve(), failed = null, id = 0;
    const abortCall = (reason) => this[CONTROL]({ op: 'abort', target: id, reason: reasonOf(reason) });
    const onAbort = () => abortCall(signal.reason);
    const event = (name, eventArgs) => {
      const list = callbacks[name];
      if (!list?.length) return;
      chain = chain.then(async () => {
        if (failed) return;
        for (const f of list) {
          try {
            await f(...eventArgs);
          } catch (err) {
            failed = { name, err };
            abortCall(err);
            return;
          }
        }
      });
    };
    if (signal?.aborted) args.aborted = reasonOf(signal.reason) ?? { name: 'AbortError', message: 'aborted' };
    let result, error;
    try {
      result = await this[SEND](what, op, args, transfer, {
        event,
        started: (callId) => {
          id = callId;
          if (!signal?.aborted) signal?.addEventListener('abort', onAbort, { once: true });
        },
      });
    } catch (err) {
      error = err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    await chain;
    if (failed) {
      const e = new LstmError('aborted', `${what}: stopped because ${failed.name} threw: ${failed.err?.message ?? String(failed.err)}`,
        { cause: failed.err, argument: failed.name });
      const history = error?.history ?? (op === 'trainSteps' ? undefined : result);
      if (history !== undefined) e.history = history;
      throw e;
    }
    if (error) throw error;
    return result;
  }

  // ---- common API

  /** What the worker holds: {kind, config, threads, threadsNote, simd, parameterCount} (and the
   *  vocabulary of a CharModel), as it was when the model was created or loaded. */
  get info() { return this.#info; }

  /** Whether dispose() was called or the worker stopped. Never throws. */
  get disposed() { return this.#disposed || this.#dead !== null; }

  /** The live state: step count, training config, threads, paused (see worker.d.ts). */
  async status() { return this[SEND]('status', 'status', []); }

  /**
   * The model as a file (Network.save / CharModel.save options), transferred from the worker (not
   * copied). Runs between two steps of a running fit/train.
   */
  async save(options) {
    const transfer = [];
    return this[SEND]('save', 'save', [copyArg('options', options, transfer)], transfer);
  }

  /** Copies of every parameter tensor (Network#parameters). */
  async parameters() { return this[SEND]('parameters', 'parameters', []); }

  /** Changes some training settings of the network (Network#setTrainingConfig). */
  async setTrainingConfig(patch) {
    const transfer = [];
    return this[SEND]('setTrainingConfig', 'setTrainingConfig', [copyArg('patch', patch, transfer)], transfer);
  }

  /** Holds the running fit/train calls at their next batch (fit) or slice (train) boundary until
   *  resume(), and calls started while paused at their first; resolves once every running one is
   *  held (at once when none runs). */
  async pause() { await this[SEND]('pause', 'pause'); }

  /** Lets the held fit/train calls go on. */
  async resume() { await this[SEND]('resume', 'resume'); }

  /** Aborts every running fit/train call: each rejects with LstmError 'aborted' (with its
   *  history); the model keeps the steps it completed. */
  abort(reason) { this[CONTROL]({ op: 'abort', reason: reasonOf(reason) }); }

  /**
   * Ends the worker and frees the model. Pending calls reject, and later calls reject, with
   * LstmError 'disposed'. Idempotent; resolves when the worker has ended.
   */
  dispose() {
    if (this.#disposed) return Promise.resolve();
    this.#disposed = true;
    for (const [id, c] of this.#calls) {
      this.#calls.delete(id);
      c.reject(new LstmError('disposed', `${c.what}: this Trainer was disposed`));
    }
    return this.#shutdown();
  }

  #shutdown() {
    const port = this.#port;
    this.#port = null;
    this.#refs = 0;
    return port ? port.terminate().catch(() => {}) : Promise.resolve();
  }

  get [WORKER]() { return this.#port?.raw ?? null; }
}

function reasonOf(reason) {
  if (reason === undefined) return undefined;
  if (reason && typeof reason === 'object') return { name: String(reason.name ?? 'Error'), message: String(reason.message ?? '') };
  return { name: 'Error', message: String(reason) };
}

function checkSignal(signal) {
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw argError(`signal: expected an AbortSignal, got ${describe(signal)}`, 'signal');
  }
  return signal;
}

// fit's callbacks: the on* keys and `callbacks` (an object or an array of them), each a function.
function readFitCallbacks(local) {
  const lists = Object.fromEntries(FIT_CALLBACKS.map((k) => [k, []]));
  const add = (obj, where) => {
    const cb = readOptions(where, obj, FIT_CALLBACKS);
    for (const k of FIT_CALLBACKS) if (cb[k] !== undefined) lists[k].push(fn(`${where}.${k}`, cb[k]));
  };
  for (const k of FIT_CALLBACKS) if (local[k] !== undefined) lists[k].push(fn(k, local[k]));
  if (local.callbacks !== undefined) {
    if (Array.isArray(local.callbacks)) Array.from(local.callbacks).forEach((cb, i) => add(cb, `callbacks[${i}]`));
    else add(local.callbacks, 'callbacks');
  }
  return lists;
}

const eventsOf = (lists) => Object.keys(lists).filter((k) => lists[k].length);

// ---- a Network in a worker

/** A {@link Network} in its own worker: the same methods, as promises. */
export class NetworkTrainer extends Trainer {
  /**
   * Network#fit in the worker. Callbacks run here, in order, from the worker's events (it does not
   * wait for them); `signal` aborts; pause() holds the fit after its current batch.
   */
  async fit(inputs, targets, options) {
    const transfer = [];
    const x = copyArg('inputs', inputs, transfer), y = copyArg('targets', targets, transfer);
    const { local, send } = splitOptions('fit options', options, [...FIT_CALLBACKS, 'callbacks', 'signal'], transfer);
    const callbacks = readFitCallbacks(local);
    const signal = checkSignal(local.signal);
    return this[CALL]('fit', 'fit', { inputs: x, targets: y, options: send, events: eventsOf(callbacks) }, transfer, { callbacks, signal });
  }

  async train(inputs, targets, options) { return this[PLAIN]('train', [inputs, targets, options], ['inputs', 'targets', 'options']); }
  async evaluate(inputs, targets, options) { return this[PLAIN]('evaluate', [inputs, targets, options], ['inputs', 'targets', 'options']); }
  async predict(inputs, options) { return this[PLAIN]('predict', [inputs, options], ['inputs', 'options']); }
  async inspect(inputs, options) { return reviveInspection(await this[PLAIN]('inspect', [inputs, options], ['inputs', 'options'])); }
  async lossAndGradients(inputs, targets, options) { return this[PLAIN]('lossAndGradients', [inputs, targets, options], ['inputs', 'targets', 'options']); }
  async applyGradients(gradients) { return this[PLAIN]('applyGradients', [gradients], ['gradients']); }
  async stepGradientNorms(inputs, targets, options) { return reviveNorms(await this[PLAIN]('stepGradientNorms', [inputs, targets, options], ['inputs', 'targets', 'options'])); }
  async resetState(which) { return this[PLAIN]('resetState', [which], ['which']); }
  async getState(which) { return this[PLAIN]('getState', [which], ['which']); }
  async setState(which, state) { return this[PLAIN]('setState', [which, state], ['which', 'state']); }
  async setParameters(params) { return this[PLAIN]('setParameters', [params], ['parameters']); }
  async summary() { return this[PLAIN]('summary', [], []); }
}

// ---- a CharModel in a worker

/** A {@link CharModel} in its own worker: the same methods, as promises; sampling streams from a snapshot. */
export class CharTrainer extends Trainer {
  /**
   * CharModel#train in the worker: onProgress runs here from the worker's events (the worker does
   * not wait for it); `signal` aborts; pause() holds training after its current slice.
   */
  async train(options) {
    const transfer = [];
    const { local, send } = splitOptions('train options', options, ['onProgress', 'signal'], transfer, 'options');
    const onProgress = fn('onProgress', local.onProgress);
    const signal = checkSignal(local.signal);
    const callbacks = { onProgress: onProgress ? [onProgress] : [] };
    return this[CALL]('train', 'train', { options: send ?? {}, events: eventsOf(callbacks) }, transfer, { callbacks, signal });
  }

  /** CharModel#trainSteps in the worker (it runs whole, between other calls); onProgress events. */
  async trainSteps(n, options) {
    const transfer = [];
    const { local, send } = splitOptions('trainSteps options', options, ['onProgress'], transfer, 'options');
    const onProgress = fn('onProgress', local.onProgress);
    const callbacks = { onProgress: onProgress ? [onProgress] : [] };
    return this[CALL]('trainSteps', 'trainSteps', { n: copyArg('n', n, transfer), options: send, events: eventsOf(callbacks) }, transfer, { callbacks });
  }

  async evaluate(text) { return this[PLAIN]('evaluate', [text], ['text']); }
  async sample(options) { return this[PLAIN]('sample', [options], ['options']); }
  async inspect(text, options) { return reviveCharInspection(await this[PLAIN]('inspect', [text, options], ['text', 'options'])); }

  /**
   * The characters of CharModel#stream, one at a time, as an async iterator, generated in the
   * worker from a snapshot of the parameters taken when the stream starts (training goes on
   * meanwhile; `stream.step` resolves with the snapshot's step). Its options are checked in the
   * worker: a bad one rejects the first next(). return() (or `break` in for await) ends it.
   */
  stream(options) {
    const self = this;
    const chunks = []; // [{chars, at}]: chunks received, their characters not all taken yet
    const waiting = []; // {resolve, reject} of next() calls
    let done = false, closed = false, failure = null, id = 0, stepResolve, stepReject;
    const step = new Promise((ok, no) => { stepResolve = ok; stepReject = no; });
    step.catch(() => {});
    // The next character; a chunk taken whole is paid back to the worker (it keeps a few ahead).
    const take = () => {
      const c = chunks[0], ch = c.chars[c.at++];
      if (c.at === c.chars.length) {
        chunks.shift();
        if (!done) self[CONTROL]({ op: 'credit', target: id, n: 1 });
      }
      return ch;
    };
    const settle = () => {
      while (waiting.length && (chunks.length || done || failure)) {
        const w = waiting.shift();
        self[UNREF]();
        if (chunks.length) {
          w.resolve({ value: take(), done: false });
        } else if (failure) {
          w.reject(failure);
          failure = null; // reported once; the iterator is done after it
        } else {
          w.resolve({ value: undefined, done: true });
        }
      }
    };
    let sent;
    try {
      const transfer = [];
      const o = copyArg('options', options, transfer);
      sent = this[SEND]('stream', 'stream', [o], transfer, {
        unref: true,
        started: (callId) => { id = callId; },
        event: (name, args) => { if (name === 'start') stepResolve(args[0].step); },
        chunk: (text) => {
          if (closed) return;
          chunks.push({ chars: [...text], at: 0 });
          settle();
        },
      });
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(() => { done = true; stepReject(new LstmError('aborted', 'stream: ended before it started')); settle(); },
      (err) => { if (!closed) failure = err; done = true; stepReject(err); settle(); });
    return {
      step,
      next() {
        if (!chunks.length && (done || failure) && !waiting.length) {
          if (failure) {
            const f = failure;
            failure = null; // reported once, then the iterator is done
            return Promise.reject(f);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          waiting.push({ resolve, reject });
          self[REF](); // a pending next() keeps Node running
          settle();
        });
      },
      return() {
        if (!done) self[CONTROL]({ op: 'cancel', target: id });
        done = closed = true;
        chunks.length = 0;
        settle();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }
}
