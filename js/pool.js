// pool.js — data-parallel training and batch inference on several threads (Node worker_threads,
// module Web Workers in cross-origin-isolated pages and in workers).
//
// The design, and why (measured on this 2-core machine; bench/README.md has the numbers): each
// worker holds a replica of the network in its own WebAssembly instance and computes the gradient
// (or the outputs) of a contiguous share of the batch; the main instance computes the first share
// itself. Shares are balanced by valid steps. Each share's loss is a mean over the WHOLE batch's
// count (lstm_batch.norm), so the share gradients sum to the batch's gradient; the main instance
// adds them in a fixed order (share 0, 1, 2, …) into its work buffer and applies the optimizer
// once (lstm_apply_work: the clipping and update of lstm_train). Only the main instance has
// optimizer moments and the carried state; before a command the workers receive the parameters
// (when they changed) and each share's starting state. Dropout masks are a function of (the
// step's seed, drawn once from the main RNG as on one thread, the layer, the sequence's index in
// the whole batch, the step, the unit): the same on any number of threads. So training is
// deterministic, saving/resuming is exact, and across thread counts only the order in which the
// shares' gradient sums are added differs (float rounding: tested).
//   Shared-memory threads inside one instance (splitting every GEMM) were the other design: they
// need a barrier per time step and layer (hundreds per step) and a threaded wasm build that
// Debian's emscripten cannot produce without its JS glue (shared notes: toolchain.md); one
// barrier per step here costs tens of microseconds against steps of milliseconds.
//
// Synchronisation: a SharedArrayBuffer of control words. The main thread writes a command and
// bumps SEQ (Atomics.notify); workers wait on SEQ (Atomics.wait), run the command, add 1 to DONE
// and notify; the main thread waits for DONE = workers (Atomics.wait, or Atomics.waitAsync on
// threads that must not block). Data crosses in one SharedArrayBuffer per worker (io) and one for
// the parameters; a bigger batch regrows them (RESIZE: the workers leave their wait loop, take the
// new buffers by message, and wait again).

import { LstmError } from './errors.js';
import { nodeModule } from './loader.js';

export const CMD = Object.freeze({ GRAD: 1, PREDICT: 2, EVAL: 3, RESIZE: 8, STOP: 9 });
export const CTRL = Object.freeze({ SEQ: 0, CMD: 1, DONE: 2, WORDS: 8 });
/** Header of a worker's io buffer: Int32 word indices (and the f32/f64 ones below). */
export const H = Object.freeze({
  STATUS: 0, B: 1, T: 2, FLAGS: 3, HAS_Y: 4, HAS_LEN: 5, HAS_H0: 6, HAS_C0: 7, WANT_HN: 8, WANT_CN: 9,
  PARAMS_VERSION: 10, SEED: 12, SEQ_OFFSET: 13, TC: 14 /* 9 words */, OUT_LEN: 23,
  X: 24, Y: 25, LEN: 26, H0: 27, C0: 28, GRADS: 29, HN: 30, CN: 31, OUT: 32 /* byte offsets */,
  N_X: 35, N_Y: 36, N_S: 37 /* element counts of x, y and of one state (L·D·B·H) */,
  NORM_F32: 40, RESULT_F64: 48 /* loss, counted, correct */,
});
export const HEADER_BYTES = 512;

const align = (n) => (n + 15) & ~15;

/**
 * Byte offsets of a command's payload in an io buffer: x, y, len, h0, c0 (inputs), grads, hn, cn,
 * out (results). Returns { offsets, bytes }.
 */
export function ioLayout({ xLen, yLen, B, S, P, outLen }) {
  let at = HEADER_BYTES;
  const take = (n) => { const o = at; at += align(4 * n); return o; };
  const offsets = { x: take(xLen), y: take(yLen), len: take(B), h0: take(S), c0: take(S), grads: take(P),
    hn: take(S), cn: take(S), out: take(outLen) };
  return { offsets, bytes: at };
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Whether this thread may block (Atomics.wait): Node everywhere, browsers only in workers. */
function canBlock() {
  if (isNode) return true;
  return typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope; // eslint-disable-line no-undef
}

/** Why threads cannot be used here, or null. */
export function threadsUnavailable() {
  if (!isNode && globalThis.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'no SharedArrayBuffer / Atomics in this environment';
  if (typeof Worker === 'undefined' && !isNode) return 'no Worker in this environment';
  return null;
}

/** The cores this environment reports. */
export async function coreCount() {
  if (isNode) {
    const os = await nodeModule('os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/** `threads: 'auto'` = the reported cores, at most this many (data parallelism over a batch of 32
 *  gains little beyond 8 shares of 4 sequences). */
export const AUTO_THREADS_CAP = 8;

// Bundlers (Vite, webpack) turn exactly `new Worker(new URL('./x.js', import.meta.url), {type:
// 'module'})` into a bundled worker of its own; a bare `new URL('./pool-worker.js', import.meta.url)`
// would be copied as a raw asset (whose imports do not resolve, and which webpack's minifier
// cannot parse). So the browser's worker is written that way, and Node's URL is made from a copy
// of import.meta.url, which bundlers do not take for an asset reference.
const here = import.meta.url;

async function spawn() {
  if (isNode) {
    const { Worker: NodeWorker } = await nodeModule('worker_threads');
    return new NodeWorker(new URL('./pool-worker.js', here));
  }
  return new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module' });
}

function onMessage(w, fn) {
  if (isNode) w.on('message', fn);
  else w.addEventListener('message', (e) => fn(e.data));
}
function onExit(w, fn) {
  if (isNode) {
    w.on('exit', fn);
    w.on('error', fn);
  } else {
    w.addEventListener('error', fn);
  }
}

export class Pool {
  #workers = [];
  #ctrl;        // Int32Array over the control SharedArrayBuffer
  #io = [];     // per worker: { sab, i32, f32, f64, u8, bytes }
  #params;      // { sab, f32 }
  #P;
  #dead = null; // the reason the pool stopped working
  #pending = 0; // workers running the current command
  #version = -1; // of the parameters in #params (none yet)
  #blocking = canBlock();
  #timeoutMs;

  /**
   * Starts `threads − 1` workers, each loading `file` (a model file of the network, parameters
   * only) into its own instance of `module`. Resolves when they are ready.
   */
  static async create({ threads, module, file, P, timeoutMs = 60_000 }) {
    const pool = new Pool();
    pool.#P = P;
    pool.#timeoutMs = timeoutMs;
    pool.#ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL.WORDS));
    pool.#params = { sab: new SharedArrayBuffer(Math.max(4, 4 * P)) };
    pool.#params.f32 = new Float32Array(pool.#params.sab);
    const ready = [];
    try {
      for (let i = 1; i < threads; i++) {
        const w = await spawn();
        pool.#workers.push(w);
        pool.#io.push(pool.#newIo(HEADER_BYTES + (1 << 16)));
        ready.push(new Promise((resolve, reject) => {
          onMessage(w, (m) => {
            if (m?.type === 'ready') resolve();
            else if (m?.type === 'error') reject(new LstmError(m.code ?? 'load', `thread pool worker ${i}: ${m.message}`));
          });
          onExit(w, (e) => {
            pool.#dead ??= `worker ${i} stopped (${e?.message ?? `exit code ${e}`})`;
            reject(new LstmError('load', `thread pool worker ${i} stopped before it was ready`));
          });
        }));
        w.postMessage({ type: 'init', module, file, ctrl: pool.#ctrl.buffer, params: pool.#params.sab, io: pool.#io[i - 1].sab, index: i });
      }
      await Promise.all(ready);
    } catch (err) {
      pool.stop();
      throw err;
    }
    return pool;
  }

  #newIo(bytes) {
    const sab = new SharedArrayBuffer(bytes);
    return { sab, bytes, i32: new Int32Array(sab), f32: new Float32Array(sab), f64: new Float64Array(sab), u8: new Uint8Array(sab) };
  }

  /** Threads in use, the main one included. */
  get size() { return this.#workers.length + 1; }
  get broken() { return this.#dead; }

  #told = false;
  /** Throws, once, the LstmError of a pool that stopped working (a worker died between commands):
   *  the call that would have used it fails; later calls run on one thread. */
  tellBroken() {
    if (this.#dead && this.#dead !== 'stopped' && !this.#told) {
      this.#told = true;
      throw new LstmError('trap', `the thread pool stopped working: ${this.#dead}; this network runs on one thread from now on`);
    }
  }
  get blocking() { return this.#blocking; }

  /** Worker i's io buffer (0-based over the workers), grown to at least `bytes`. */
  io(i, bytes) {
    if (this.#io[i].bytes >= bytes) return this.#io[i];
    this.#resize(Math.max(bytes, 2 * this.#io[i].bytes));
    return this.#io[i];
  }

  // Every worker gets a bigger io buffer: they leave their wait loop (RESIZE), receive it by
  // message, and acknowledge.
  #resize(bytes) {
    this.#issue(CMD.RESIZE);
    this.#waitSync();
    this.#io = this.#io.map(() => this.#newIo(align(bytes)));
    this.#pending = this.#workers.length;
    Atomics.store(this.#ctrl, CTRL.DONE, 0);
    this.#workers.forEach((w, i) => w.postMessage({ type: 'resize', io: this.#io[i].sab }));
    this.#waitSync();
  }

  /** The parameters the workers will use: copied when `version` is new. */
  setParams(f32View, version) {
    if (version !== this.#version) {
      this.#params.f32.set(f32View);
      this.#version = version;
    }
    return this.#version;
  }

  #issue(cmd) {
    if (this.#dead) {
      this.#told = true;
      throw new LstmError('trap', `the thread pool stopped working: ${this.#dead}`);
    }
    const c = this.#ctrl;
    Atomics.store(c, CTRL.CMD, cmd);
    Atomics.store(c, CTRL.DONE, 0);
    this.#pending = this.#workers.length;
    Atomics.add(c, CTRL.SEQ, 1);
    Atomics.notify(c, CTRL.SEQ);
  }

  /** Starts `cmd` on every worker (their io buffers are written by the caller). */
  start(cmd) { this.#issue(cmd); }

  /** Waits, blocking this thread, until every worker finished the command. */
  waitSync() { this.#waitSync(); }

  #waitSync() {
    const c = this.#ctrl, t0 = Date.now();
    for (;;) {
      const done = Atomics.load(c, CTRL.DONE);
      if (done >= this.#pending) return;
      this.#failIfDead(done, t0);
      Atomics.wait(c, CTRL.DONE, done, 1000);
    }
  }

  #failIfDead(done, t0) {
    if (!this.#dead && Date.now() - t0 > this.#timeoutMs) {
      this.#dead = `no answer from ${this.#pending - done} worker(s) in ${this.#timeoutMs / 1000} s`;
    }
    if (this.#dead) {
      this.#told = true;
      throw new LstmError('trap', `the thread pool stopped working: ${this.#dead}`);
    }
  }

  /** Waits without blocking (Atomics.waitAsync), noticing a worker that dies. */
  async waitAsync() {
    const c = this.#ctrl, t0 = Date.now();
    for (;;) {
      const done = Atomics.load(c, CTRL.DONE);
      if (done >= this.#pending) return;
      this.#failIfDead(done, t0);
      const r = Atomics.waitAsync(c, CTRL.DONE, done, 100);
      // a timer races the wait: Node does not keep its event loop alive for Atomics.waitAsync alone
      let timer;
      await Promise.race([r.async ? r.value : null, new Promise((resolve) => { timer = setTimeout(resolve, r.async ? 100 : 0); })]);
      clearTimeout(timer);
    }
  }

  /** Ends every worker. Idempotent. */
  stop() {
    if (!this.#dead) this.#dead = 'stopped';
    try {
      const c = this.#ctrl;
      if (c) {
        Atomics.store(c, CTRL.CMD, CMD.STOP);
        Atomics.add(c, CTRL.SEQ, 1);
        Atomics.notify(c, CTRL.SEQ);
      }
    } catch { /* nothing to tell */ }
    const ws = this.#workers;
    this.#workers = [];
    return Promise.all(ws.map((w) => w.terminate()));
  }

  /** For tests: the workers (to count them, or to kill one). */
  get workers() { return this.#workers.slice(); }
}

/**
 * Contiguous shares [start, end) of a batch of B sequences for `n` threads, balanced by valid
 * steps (lengths) so that no thread waits for another; at most B shares.
 */
export function shares(B, n, lengths, T) {
  const k = Math.min(n, B);
  const w = (b) => (lengths ? lengths[b] : T);
  let total = 0;
  for (let b = 0; b < B; b++) total += w(b);
  const out = [];
  let start = 0, acc = 0;
  for (let s = 0; s < k; s++) {
    if (s === k - 1) {
      out.push([start, B]);
      break;
    }
    const goal = (total * (s + 1)) / k;
    let end = start + 1; // every share gets at least one sequence, and leaves one for each after it
    acc += w(start);
    while (end < B - (k - 1 - s) && acc + w(end) / 2 <= goal) acc += w(end++);
    out.push([start, end]);
    start = end;
  }
  return out;
}
