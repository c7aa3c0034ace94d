#!/usr/bin/env node
// fuzz-api.mjs — a seeded fuzzer of the JS API (Network, CharModel) with hostile arguments.
//
//   node tests/fuzz-js/fuzz-api.mjs [--seconds N] [--iterations N] [--seed S] [--only K]
//                                   [--ops N] [--strict] [--verbose] [--lib path/to/index.js]
//
//   --seconds N     stop starting iterations after N seconds (default 10)
//   --iterations N  stop after N iterations (whichever comes first)
//   --seed S        the run's seed (default 1); iteration K draws from a generator seeded by (S, K)
//   --only K        run iteration K of seed S alone (a reproducer) and print every call it makes
//   --ops N         calls per iteration (default 40)
//   --timeout N     a call that does not return within N seconds is a finding (default 60)
//   --strict        also generate the arguments of the known open bugs (KNOWN below; none open)
//   --lib PATH      fuzz another build of the package (e.g. the pre-rewrite commit's js/index.js)
// Exit status 0 when nothing was found, 1 on a finding (printed with its reproducer), 2 on bad usage.
//
// An iteration builds a small model and its twin (same config, same history): every cell, uni- and
// bidirectional, token or dense input, every loss and gate activation, random training settings;
// or, one time in eight, a CharModel pair on a random text. Then it makes --ops random calls on the
// model with random, often hostile, arguments — wrong types and lengths; NaN, ±Infinity, −0,
// subnormals, ±3e38; getters that answer a valid value first and an invalid one after; arrays that
// grow or shrink while read; counting Proxies; fake typed arrays (Symbol.toStringTag, own length
// accessors, lying subclasses, typed-array prototypes, other realms); resizable and detached
// buffers; SharedArrayBuffer views rewritten by a worker thread; getters, Proxy traps and toJSON
// that call back into the model (re-entrancy) — interleaved with save/load/dispose.
//
// Invariants checked after every call:
//   - only LstmError escapes (never TypeError, RangeError, RuntimeError), its code is one of
//     ERROR_CODES and never 'trap';
//   - a call into the same model from inside a call is refused with 'busy';
//   - the hostile call and the twin's call with the clean equivalent (one consistent read of every
//     argument) have the same outcome and bit-identical results; a hostile argument with no valid
//     single read (a fake typed array, a shrinking array) is refused;
//   - after any call the two models are bit-identical (save() bytes with moments, step count, RNG
//     and train state; predict state; lastGradientNorm; training config), so a rejected call
//     changed nothing; the model can still be saved (its parameters and states are finite);
//   - every number a call returns is finite; a Proxy saw each element and option read once;
//   - wasm memory (memoryBytes) stays below 256 MB; after dispose every call says 'disposed'.
// Arguments whose one read cannot be replayed (a buffer a worker rewrites) are checked for finite
// results and the twin is then synchronised from the model.

import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

// ---- command line

function usage(msg) {
  console.error(`fuzz-api: ${msg}\nusage: node tests/fuzz-js/fuzz-api.mjs [--seconds N] [--iterations N] [--seed S] [--only K] [--ops N] [--timeout N] [--strict] [--verbose] [--lib PATH]`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { seconds: 10, iterations: Infinity, seed: 1, only: null, ops: 40, strict: false, verbose: false, lib: null, timeout: 60 };
  const num = (flag, v) => {
    if (v === undefined || !/^\d+$/.test(v)) usage(`${flag} wants a whole number, got ${v === undefined ? 'nothing' : `'${v}'`}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') o.seconds = num(a, argv[++i]);
    else if (a === '--iterations') o.iterations = num(a, argv[++i]);
    else if (a === '--seed') o.seed = num(a, argv[++i]);
    else if (a === '--only') o.only = num(a, argv[++i]);
    else if (a === '--ops') o.ops = num(a, argv[++i]);
    else if (a === '--timeout') o.timeout = num(a, argv[++i]);
    else if (a === '--strict') o.strict = true;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--lib') o.lib = argv[++i] ?? usage('--lib wants a path');
    else if (a === '-h' || a === '--help') { console.log(readHelp()); process.exit(0); }
    else usage(`unknown argument '${a}'`);
  }
  return o;
}

function readHelp() {
  return 'fuzz-api.mjs: a seeded fuzzer of the wasm-lstm JS API with hostile arguments (see the comment at the top of the file and tests/fuzz-js/README.md)';
}

// Known open bugs: none. (While one is open, its arguments are generated only with --strict, so
// that the fuzzer keeps looking for new ones: list it here as KNOWN.name and guard its generator
// with o.strict. The bugs found so far and fixed are in tests/fuzz-js/README.md.)
const KNOWN = {};

// ---- a seeded generator (xorshift32), one per iteration

function makeRng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const r = {
    float: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    weighted: (table) => { // {name: weight}
      let total = 0;
      for (const w of Object.values(table)) total += w;
      let u = next() * total;
      for (const [k, w] of Object.entries(table)) if ((u -= w) < 0) return k;
      return Object.keys(table)[0];
    },
  };
  return r;
}

const mix = (seed, k) => {
  let h = (Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f)) >>> 0;
  h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d) >>> 0; h ^= h >>> 12;
  return h >>> 0;
};

// ---- findings

class Finding extends Error {}
const fail = (msg) => { throw new Finding(msg); };

// ---- comparisons

const bytes = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a, b) => a.byteLength === b.byteLength && bytes(a).equals(bytes(b));

/** Bit-identical results (typed arrays by bytes, numbers with Object.is, objects key by key; functions skipped). */
function same(x, y) {
  if (typeof x === 'function' && typeof y === 'function') return true;
  if (typeof x !== typeof y) return false;
  if (x === null || y === null || typeof x !== 'object') return Object.is(x, y);
  if (ArrayBuffer.isView(x)) return ArrayBuffer.isView(y) && x.constructor === y.constructor && sameBytes(x, y);
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const kx = Object.keys(x), ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k) => same(x[k], y[k]));
}

/** The first non-finite number in a result, as a path, or null. */
function nonFinite(x, path = 'result') {
  if (typeof x === 'number') return Number.isFinite(x) ? null : `${path} = ${x}`;
  if (x === null || typeof x !== 'object') return null;
  if (ArrayBuffer.isView(x)) {
    if (!(x instanceof Float32Array || x instanceof Float64Array)) return null;
    const i = x.findIndex((v) => !Number.isFinite(v));
    return i < 0 ? null : `${path}[${i}] = ${x[i]}`;
  }
  for (const [k, v] of Object.entries(x)) {
    const bad = nonFinite(v, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

// ---- the worker that rewrites a SharedArrayBuffer as fast as it can

const SAB_FLOATS = 4096;
function startWriter() {
  const sab = new SharedArrayBuffer(8 * SAB_FLOATS + 4);
  const worker = new Worker(`
    const { workerData } = require('node:worker_threads');
    const f = new Float32Array(workerData.sab, 0, ${SAB_FLOATS}), n = new Int32Array(workerData.sab, ${4 * SAB_FLOATS}, ${SAB_FLOATS});
    const stop = new Int32Array(workerData.sab, ${8 * SAB_FLOATS}, 1);
    // about half the time: the machine is shared, and a race needs the writer running, not always
    const nap = new Int32Array(new SharedArrayBuffer(4));
    let spin = 0;
    while (Atomics.load(stop, 0) === 0) {
      for (let pass = 0; pass < 50; pass++) {
        for (let i = 0; i < f.length; i++) { f[i] = NaN; n[i] = 1000000000; }
        for (let i = 0; i < f.length; i++) { f[i] = 0.25; n[i] = 1; }
        for (let j = 0; j < 2000; j++) spin += Atomics.load(stop, 0);
      }
      Atomics.wait(nap, 0, 0, 1);
    }`, { eval: true, workerData: { sab } });
  worker.unref();
  return {
    f32: (n) => new Float32Array(sab, 0, n),
    i32: (n) => new Int32Array(sab, 4 * SAB_FLOATS, n),
    stop: async () => { Atomics.store(new Int32Array(sab, 8 * SAB_FLOATS, 1), 0, 1); await worker.terminate(); },
  };
}

// ---- a watchdog thread: a call that hangs is a finding too
//
// The main thread writes a heartbeat and the description of the call it is about to make into a
// shared buffer; when the heartbeat stops for `seconds`, the watchdog writes that description to
// stderr (with writeSync: the main thread, which relays a worker's console, is stuck) and kills
// the process.

function startWatchdog(seconds, seed) {
  const sab = new SharedArrayBuffer(8 + 4096);
  const beat = new Int32Array(sab, 0, 2), text = new Uint8Array(sab, 8);
  const worker = new Worker(`
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const beat = new Int32Array(workerData.sab, 0, 2), text = new Uint8Array(workerData.sab, 8);
    let last = -1, since = Date.now();
    setInterval(() => {
      const now = Atomics.load(beat, 0);
      if (Atomics.load(beat, 1) === 1) process.exit(0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since > ${seconds * 1000}) {
        const n = text.indexOf(0);
        const what = new TextDecoder().decode(text.slice(0, n < 0 ? text.length : n));
        writeSync(2, 'fuzz-api: FINDING: a call did not return within ${seconds} s (seed ${seed}):\\n  ' + what + '\\n');
        if (process.env.FUZZ_API_REPORT) { process.kill(process.pid, 'SIGUSR2'); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 5000); return; }
        process.kill(process.pid, 'SIGKILL');
      }
    }, 500);`, { eval: true, workerData: { sab } });
  worker.unref();
  const encoder = new TextEncoder();
  return {
    beat(what) {
      const { written } = encoder.encodeInto(what, text.subarray(0, text.length - 1));
      text[written] = 0;
      Atomics.add(beat, 0, 1);
    },
    stop() { Atomics.store(beat, 1, 1); },
  };
}

// ---- the fuzzer

export async function fuzz(options) {
  const o = { seconds: 10, iterations: Infinity, seed: 1, only: null, ops: 40, strict: false, verbose: false, lib: null, log: console.log, ...options };
  const lib = await import(o.lib ? pathToFileURL(resolve(o.lib)).href : '../../js/index.js');
  const { Network, CharModel, LstmError, ERROR_CODES } = lib;
  const CODES = ERROR_CODES ?? ['arg', 'nomem', 'format', 'version', 'checksum', 'nonfinite', 'config', 'disposed', 'trap', 'busy', 'load'];
  const writer = startWriter();
  const watchdog = startWatchdog(o.timeout ?? 60, o.seed);
  const started = performance.now();
  const stats = { iterations: 0, calls: 0, refused: 0, byCode: {}, networks: 0, charModels: 0, variants: {}, racy: { accepted: 0, refused: 0 } };
  let finding = null;

  // One call: {ok, value} or {ok: false, error}; anything but a proper LstmError is a finding.
  const attempt = (fn, what) => {
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      if (e instanceof Finding) throw e;
      if (!(e instanceof LstmError)) fail(`${what}: threw ${e?.constructor?.name ?? typeof e}: ${e?.message ?? e} (only LstmError may escape)\n${e?.stack ?? ''}`);
      if (!CODES.includes(e.code)) fail(`${what}: LstmError with unknown code '${e.code}': ${e.message}`);
      if (e.code === 'trap') fail(`${what}: a WebAssembly trap: ${e.message}`);
      return { ok: false, error: e };
    }
  };
  const attemptAsync = async (fn, what) => {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      if (e instanceof Finding) throw e;
      if (!(e instanceof LstmError)) fail(`${what}: rejected with ${e?.constructor?.name ?? typeof e}: ${e?.message ?? e} (only LstmError may escape)`);
      if (e.code === 'trap') fail(`${what}: a WebAssembly trap: ${e.message}`);
      return { ok: false, error: e };
    }
  };

  try {
    for (let k = o.only ?? 0; ; k++) {
      if (o.only !== null && k > o.only) break;
      if (o.only === null && (stats.iterations >= o.iterations || (performance.now() - started) / 1000 >= o.seconds)) break;
      const rng = makeRng(mix(o.seed, k));
      const trace = [];
      const say = (line) => {
        if (line.length > 400) line = `${line.slice(0, 400)}…`;
        trace.push(line);
        watchdog.beat(`iteration ${k}: ${line}`);
        if (o.verbose || o.only !== null) o.log(`  ${line}`);
      };
      try {
        if (rng.chance(1 / 8)) {
          stats.charModels++;
          await charEpisode({ rng, say, o, lib, attempt, attemptAsync, stats });
        } else {
          stats.networks++;
          await networkEpisode({ rng, say, o, lib, attempt, attemptAsync, stats, writer });
        }
      } catch (e) {
        const what = e instanceof Finding ? e.message : `the fuzzer itself failed: ${e?.stack ?? e}`;
        finding = { seed: o.seed, iteration: k, message: what, trace: trace.slice(-12) };
        break;
      }
      stats.iterations++;
    }
  } finally {
    watchdog.stop();
    await writer.stop();
  }
  stats.seconds = (performance.now() - started) / 1000;
  return { ...stats, finding };
}

// ---- Network episodes

function abiOf(lib) {
  return lib.abi ?? { cells: ['lstm', 'gru', 'rnn'], losses: ['xent', 'mse', 'mse-last'], gateActivations: ['sigmoid'], optimizers: ['adam', 'sgd', 'rmsprop', 'adagrad'] };
}

function randomConfig(rng, ABI, strictFeatures) {
  const cell = rng.pick(ABI.cells);
  const tokens = rng.chance(0.5);
  const loss = rng.pick(ABI.losses);
  const c = { cell, hidden: rng.int(1, 5), output: rng.int(loss.startsWith('xent') ? 2 : 1, 4), loss, seed: rng.int(0, 2 ** 32 - 1) };
  if (tokens) c.vocab = rng.int(2, 6);
  else c.input = rng.int(1, 4);
  if (rng.chance(0.5)) c.layers = rng.int(1, 3);
  if (strictFeatures.bidirectional && rng.chance(0.3)) c.bidirectional = true;
  if (cell !== 'rnn' && ABI.gateActivations.length > 1 && rng.chance(0.3)) c.gateActivation = rng.pick(ABI.gateActivations);
  if (rng.chance(0.5)) c.optimizer = rng.pick(ABI.optimizers);
  if (rng.chance(0.4)) c.dropout = rng.pick([0, 0.1, 0.5]);
  if (rng.chance(0.3)) c.clip = rng.pick([{ mode: 'none' }, { mode: 'value', threshold: 0.5 }, { mode: 'norm', threshold: 1 }]);
  if (rng.chance(0.3)) c.learningRate = rng.pick([1e-3, 0.05, 0.5]);
  if (rng.chance(0.04)) { // a few hundred thousand parameters: allocations grow wasm memory, detaching views
    delete c.input;
    c.vocab = rng.int(2000, 4000);
    c.hidden = rng.int(32, 64);
    c.layers = 1;
  }
  return c;
}

async function networkEpisode(env) {
  const { rng, say, o, lib, attempt, attemptAsync, stats, writer } = env;
  const { Network } = lib;
  const features = { bidirectional: !!lib.abi, lengths: !!lib.abi }; // builds before the rewrite have neither
  let config = randomConfig(rng, abiOf(lib), features);
  say(`Network.create(${JSON.stringify(config)}) ×2`);
  let net = await Network.create(config), twin = await Network.create(config);
  const bystander = await Network.create({ vocab: 3, hidden: 2, output: 3, seed: 1 });
  const live = () => !net.disposed;
  const ctx = {
    rng, o, lib, say, features, writer, bystander, inner: [], resizers: [], noRacy: false, lastFile: null, variants: stats.variants,
    get net() { return net; },
    get twin() { return twin; },
    replace(a, b) { net = a; twin = b; },
  };
  try {
    for (let op = 0; op < o.ops; op++) {
      if (!live()) {
        // after dispose: every call says so; then a new pair, created or loaded from a file
        for (const [what, fn] of [['predict', () => net.predict([0])], ['stepCount', () => net.stepCount], ['save', () => net.save()]]) {
          const r = attempt(fn, `${what} after dispose`);
          if (r.ok || r.error.code !== 'disposed') fail(`${what} after dispose: ${r.ok ? 'succeeded' : r.error.code}`);
        }
        if (ctx.lastFile && rng.chance(0.5)) {
          say('Network.load(last saved file) ×2');
          net = await Network.load(ctx.lastFile);
          twin = await Network.load(ctx.lastFile);
        } else {
          config = randomConfig(rng, abiOf(lib), features);
          say(`Network.create(${JSON.stringify(config)}) ×2`);
          net = await Network.create(config);
          twin = await Network.create(config);
        }
      }
      const action = rng.weighted(NETWORK_ACTIONS);
      stats.calls++;
      ctx.resizers = [];
      ctx.noRacy = false;
      await NETWORK_OPS[action](ctx, env);
      if (live()) checkPair(ctx, env, action);
    }
    if (live()) finalCheck(ctx, env);
  } finally {
    for (const n of [net, twin, bystander]) if (!n.disposed) n.dispose();
  }
}

const STEPPERS = new WeakMap(); // network -> Map(options -> its Stepper)

const NETWORK_ACTIONS = {
  train: 12, lossAndGradients: 8, stepGradientNorms: 4, predict: 14, step: 6, inspect: 5, applyGradients: 6, setParameters: 6,
  parameters: 2, setState: 5, getState: 2, resetState: 3, setTrainingConfig: 5, save: 5, reload: 2, getters: 3,
  dispose: 1, loadHostile: 2, huge: 1,
};

// The model and its twin must be indistinguishable after every call.
function snapshotOf(n, attempt, who) {
  const file = attempt(() => n.save(), `${who}.save()`);
  if (!file.ok) fail(`${who} can no longer be saved: ${file.error.code}: ${file.error.message}`);
  const s = { file: file.value, steps: n.stepCount, norm: n.lastGradientNorm, tc: JSON.stringify(n.trainingConfig), mem: n.memoryBytes };
  if (!n.config.bidirectional) {
    s.train = n.getState('train');
    s.predict = n.getState('predict');
  }
  return s;
}

function checkPair(ctx, env, action) {
  const a = snapshotOf(ctx.net, env.attempt, 'the model'), b = snapshotOf(ctx.twin, env.attempt, 'the twin');
  if (!sameBytes(a.file, b.file)) fail(`after ${action}: the model's file differs from the twin's (parameters, moments, step count, RNG or train state)`);
  if (a.steps !== b.steps) fail(`after ${action}: stepCount ${a.steps} vs the twin's ${b.steps}`);
  if (!Object.is(a.norm, b.norm)) fail(`after ${action}: lastGradientNorm ${a.norm} vs the twin's ${b.norm}`);
  if (!Number.isFinite(a.norm)) fail(`after ${action}: lastGradientNorm is ${a.norm}`);
  if (a.tc !== b.tc) fail(`after ${action}: trainingConfig ${a.tc} vs the twin's ${b.tc}`);
  if (a.predict && !same(a.predict, b.predict)) fail(`after ${action}: the predict state differs from the twin's`);
  if (a.train && !same(a.train, b.train)) fail(`after ${action}: the train state differs from the twin's`);
  if (a.mem > 256 * 2 ** 20) fail(`after ${action}: the model holds ${a.mem} bytes of wasm memory`);
}

// At the end of an iteration both still train and predict identically and finite.
function finalCheck(ctx, env) {
  const { net, twin } = ctx;
  const c = net.config, B = 2, T = 3;
  const x = c.vocab !== undefined ? Int32Array.from({ length: B * T }, (_, i) => i % c.vocab) : Float32Array.from({ length: B * T * c.input }, (_, i) => Math.sin(i));
  const y = targetsFor(c, B, T, (i) => i);
  const opts = { batch: B, steps: T };
  const ra = env.attempt(() => net.train(x, y, opts), 'final train'), rb = env.attempt(() => twin.train(x, y, opts), 'final twin train');
  if (ra.ok !== rb.ok || (ra.ok && !Object.is(ra.value, rb.value))) fail('final train: the model and its twin differ');
  if (ra.ok && !Number.isFinite(ra.value)) fail(`final train: loss ${ra.value}`);
  checkPair(ctx, env, 'the final train');
}

function targetsFor(c, B, T, f) {
  const O = c.output;
  if (c.loss === 'xent') return Int32Array.from({ length: B * T }, (_, i) => f(i) % O);
  if (c.loss === 'xent-last') return Int32Array.from({ length: B }, (_, i) => f(i) % O);
  return Float32Array.from({ length: (c.loss === 'mse-last' ? B : B * T) * O }, (_, i) => Math.cos(f(i)));
}

// ---- hostile arguments
//
// Every builder returns an argument {value, clean, mode, after?}: `value` is what the model gets,
// `clean` what its twin gets (one consistent read of `value`), or:
//   mode 'fail'  no single read of `value` is valid: the call must be refused;
//   mode 'lazy'  `clean` is a function, evaluated after the call (a resizable buffer);
//   mode 'racy'  a buffer another thread rewrites: no replay, the twin is synchronised;
// `after()` checks, after a successful call, how often a Proxy or getter was read.

const STRICT = 'strict', FAIL = 'fail', LAZY = 'lazy', RACY = 'racy';
const worst = (modes) => (modes.includes(FAIL) ? FAIL : modes.includes(RACY) ? RACY : modes.includes(LAZY) ? LAZY : STRICT);

function specialFloat(rng) {
  return rng.pick([0, -0, 1e-40, -1e-45, 1.17e-38, 3e38, -3e38, 1e20, 1, -1, 65504, 1e-8]);
}
function floatValue(rng, scale = 1) {
  return rng.chance(0.06) ? specialFloat(rng) : (rng.float() * 2 - 1) * scale;
}
function badFloat(rng) {
  return rng.pick([NaN, Infinity, -Infinity, 1e39, -3.5e38, '0.5', null, undefined, 1n, {}, [1], true]);
}
function badId(rng, lo, hi) {
  return rng.pick([hi, lo - 1, 2.5, NaN, '1', 1n, 2 ** 31, -(2 ** 31) - 1, null, undefined, Infinity, -0.5]);
}

/**
 * A data argument of `n` elements: kind 'f32' or 'i32', good(i) a valid value at index i,
 * bad() an invalid value, matters(i) whether index i is checked (padded steps are not),
 * fixedLength whether another length is an error (else it may be read as other steps).
 */
function dataArgument(ctx, spec) {
  const a = arg(dataArgumentRaw(ctx, spec));
  ctx.variants[a.variant] = (ctx.variants[a.variant] ?? 0) + 1;
  return a;
}

function dataArgumentRaw(ctx, { kind, n, good, bad, matters = () => true, fixedLength = true, optional = false }) {
  const { rng, o } = ctx;
  const TA = kind === 'f32' ? Float32Array : Int32Array;
  const values = Array.from({ length: n }, (_, i) => good(i));
  const mattering = values.map((_, i) => i).filter(matters);
  const at = mattering.length ? rng.pick(mattering) : -1;
  const v = rng.weighted({
    typed: 34, plain: 14, flip: 7, flipBad: 3, grow: 4, shrink: 3, proxy: 5, hook: 4, fakeTag: 2, protoFake: 1,
    ownLength: 2, subclass: 2, liar: 2, realm: 1, resizable: 3, detached: 1, sab: 3, wrongType: 3, wrongLength: 3, badValue: 4,
  });
  const plain = () => values.slice();
  const typed = () => TA.from(values);
  return { ...variantOf(), variant: v };
  function variantOf() {
  switch (v) {
    case 'typed': return { value: typed(), clean: typed(), mode: STRICT, desc: `${TA.name}(${n})` };
    case 'plain': return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
    case 'flip': {
      if (at < 0) return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
      const later = bad();
      const a = plain();
      let reads = 0;
      Object.defineProperty(a, at, { get() { return reads++ === 0 ? values[at] : later; }, enumerable: true });
      return { value: a, clean: plain(), mode: STRICT, desc: `Array(${n}) whose [${at}] reads ${values[at]} then ${String(later)}`,
        after: () => { if (reads !== 1) fail(`element ${at} of a data argument was read ${reads} times`); } };
    }
    case 'flipBad': {
      if (at < 0) return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
      const first = bad();
      const a = plain();
      let reads = 0;
      Object.defineProperty(a, at, { get() { return reads++ === 0 ? first : values[at]; }, enumerable: true });
      return { value: a, mode: FAIL, desc: `Array(${n}) whose [${at}] reads ${String(first)} then ${values[at]}` };
    }
    case 'grow': {
      const a = plain();
      const idx = n ? rng.int(0, n - 1) : 0, extra = rng.pick([1, 100, 100000]);
      if (n) {
        let done = false;
        Object.defineProperty(a, idx, { get() { if (!done) { done = true; for (let k = 0; k < extra; k++) a.push(kind === 'f32' ? NaN : -7); } return values[idx]; }, enumerable: true });
      }
      return { value: a, clean: plain(), mode: STRICT, desc: `Array(${n}) that grows by ${extra} when [${idx}] is read` };
    }
    case 'shrink': {
      if (n < 2) return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
      const a = plain();
      const drop = rng.int(1, n - 1);
      let done = false;
      Object.defineProperty(a, 0, { get() { if (!done) { done = true; a.length -= drop; } return values[0]; }, enumerable: true });
      // a missing element is undefined: refused where it matters, read as 0 where it does not
      const lost = values.map((_, i) => i).filter((i) => i >= n - drop);
      if (!lost.some(matters)) return { value: a, clean: plain().map((x, i) => (i >= n - drop ? 0 : x)), mode: STRICT, desc: `Array(${n}) that loses ${drop} (padding only)` };
      return { value: a, mode: FAIL, desc: `Array(${n}) that loses its last ${drop} when [0] is read` };
    }
    case 'proxy': {
      const gets = new Map();
      const p = new Proxy(plain(), { get(t, k, r) { gets.set(k, (gets.get(k) ?? 0) + 1); return Reflect.get(t, k, r); } });
      return { value: p, clean: plain(), mode: STRICT, desc: `Proxy(Array(${n}))`,
        after: () => {
          if (gets.get('length') !== 1) fail(`a Proxy of a data argument had its length read ${gets.get('length') ?? 0} times`);
          for (let i = 0; i < n; i++) if (gets.get(String(i)) !== 1) fail(`a Proxy of a data argument had element ${i} read ${gets.get(String(i)) ?? 0} times`);
        } };
    }
    case 'hook': {
      if (!n) return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
      const a = plain();
      const idx = rng.int(0, n - 1), hook = reentrant(ctx);
      Object.defineProperty(a, idx, { get() { hook.run(); return values[idx]; }, enumerable: true });
      return { value: a, clean: plain(), mode: STRICT, desc: `Array(${n}) whose [${idx}] getter calls ${hook.desc}` };
    }
    case 'fakeTag': return { value: { ...values, length: n, [Symbol.toStringTag]: TA.name }, mode: FAIL, desc: `{[Symbol.toStringTag]: '${TA.name}', length: ${n}}` };
    case 'protoFake': return { value: Object.setPrototypeOf({ ...values, length: n }, TA.prototype), mode: FAIL, desc: `an object with ${TA.name}.prototype` };
    case 'ownLength': {
      // where its real length is read as more steps, not too many: the call then really runs
      const extra = rng.pick([1, 7, fixedLength ? 100000 : 1000]);
      const t = new TA(n + extra);
      t.set(values);
      Object.defineProperty(t, 'length', { get: () => n });
      // its real length counts: wrong where the length is fixed, other steps where it is not
      const desc = `${TA.name}(${n + extra}) with an own length answering ${n}`;
      return fixedLength ? { value: t, mode: FAIL, desc } : { value: t, clean: new TA(t), mode: STRICT, desc };
    }
    case 'subclass': {
      const extra = rng.pick([1, fixedLength ? 100000 : 1000]);
      class Short extends TA { get length() { return n; } }
      const t = new Short(n + extra);
      t.set(values);
      const desc = `a ${TA.name} subclass of ${n + extra} whose length answers ${n}`;
      return fixedLength ? { value: t, mode: FAIL, desc } : { value: t, clean: new TA(t), mode: STRICT, desc };
    }
    case 'liar': {
      class Liar extends TA {
        get length() { return n + 3; }
        subarray() { return new TA(1 << 20); }
        slice() { return new TA(1 << 20); }
        [Symbol.iterator]() { return [NaN, NaN][Symbol.iterator](); }
      }
      const t = new Liar(n);
      TA.prototype.set.call(t, values);
      return { value: t, clean: typed(), mode: STRICT, desc: `a ${TA.name} subclass of ${n} with a lying length, subarray, slice and iterator` };
    }
    case 'realm': {
      const t = vm.runInNewContext(`new ${TA.name}(${n})`);
      t.set(values);
      return { value: t, clean: typed(), mode: STRICT, desc: `a ${TA.name}(${n}) of another realm` };
    }
    case 'resizable': {
      if (typeof ArrayBuffer.prototype.resize !== 'function') return { value: typed(), clean: typed(), mode: STRICT, desc: `${TA.name}(${n})` };
      const ab = new ArrayBuffer(4 * n, { maxByteLength: 4 * (n + 16) });
      const t = new TA(ab); // length-tracking
      t.set(values);
      const size = 4 * rng.int(Math.max(0, n - 3), n + 3);
      // the resize happens in a getter of the call's options (ctx.resizers), before or after the read
      ctx.resizers.push(() => ab.resize(size));
      const fixed = rng.chance(0.5); // a fixed-length view put out of bounds (js/args.js readArg, fixed)
      const view = fixed ? new TA(ab, 0, n) : t;
      return { value: view, clean: () => TA.from(view), mode: LAZY, desc: `a ${fixed ? 'fixed-length' : 'length-tracking'} ${TA.name}(${n}) on a resizable buffer resized to ${size / 4}` };
    }
    case 'detached': {
      const t = typed();
      structuredClone(t.buffer, { transfer: [t.buffer] });
      if (n === 0) return { value: t, clean: new TA(0), mode: STRICT, desc: `a detached ${TA.name}` };
      return { value: t, mode: FAIL, desc: `a detached ${TA.name}(${n})` };
    }
    case 'sab': {
      // only for calls after which the twin can be synchronised (not a gradient step)
      if (n > SAB_FLOATS || ctx.noRacy) return { value: typed(), clean: typed(), mode: STRICT, desc: `${TA.name}(${n})` };
      return { value: kind === 'f32' ? ctx.writer.f32(n) : ctx.writer.i32(n), mode: RACY, desc: `a ${TA.name}(${n}) on a SharedArrayBuffer a worker rewrites` };
    }
    case 'wrongType': {
      if (optional) return { value: typed(), clean: typed(), mode: STRICT, desc: `${TA.name}(${n})` };
      const other = kind === 'f32' ? Int32Array : Float32Array;
      const w = rng.pick(['string', 42, null, {}, new Float64Array(n), new other(n), new Uint8Array(n), new Map(), () => 0, new DataView(new ArrayBuffer(4 * n))]);
      return { value: w, mode: FAIL, desc: `a wrong type (${Object.prototype.toString.call(w)})` };
    }
    case 'wrongLength': {
      if (!fixedLength) return { value: typed(), clean: typed(), mode: STRICT, desc: `${TA.name}(${n})` };
      const len = rng.pick([n + 1, Math.max(0, n - 1), 0, 2 * n + 1].filter((x) => x !== n));
      const t = new TA(len);
      t.set(values.slice(0, len).map((x) => (typeof x === 'number' ? x : 0)));
      return { value: t, mode: FAIL, desc: `${TA.name}(${len}) (expected ${n})` };
    }
    case 'badValue': {
      if (at < 0) return { value: plain(), clean: plain(), mode: STRICT, desc: `Array(${n})` };
      const a = plain();
      const b = bad();
      if (b === undefined && rng.chance(0.5)) delete a[at]; // a hole
      else a[at] = b;
      return { value: a, mode: FAIL, desc: `Array(${n}) with ${String(b)} at ${at}` };
    }
    default: throw new Error(v);
  }
  }
}

// A re-entrant hook: calls the same model (must be refused 'busy') or, sometimes, another model
// (must work); sometimes lets the 'busy' error out of the hook. Records what happened in ctx.inner.
function reentrant(ctx) {
  const { rng } = ctx;
  const other = rng.chance(0.15);
  let inner = rng.pick(INNER_CALLS);
  if (other && inner.name === 'dispose()') inner = INNER_CALLS[1];
  const escape = !other && !inner.unguarded && rng.chance(0.2);
  const desc = `${inner.name} on ${other ? 'another' : 'the same'} model${escape ? ' (its error escapes)' : ''}`;
  return {
    desc,
    run: () => {
      const target = other ? ctx.bystander : ctx.net;
      let error = null;
      try {
        inner.run(target);
      } catch (e) {
        error = e;
      }
      ctx.inner.push({ desc, other, unguarded: inner.unguarded, error, escape });
      if (escape && error) throw error;
    },
  };
}

const INNER_CALLS = [
  { name: 'dispose()', run: (n) => n.dispose() },
  { name: 'predict()', run: (n) => n.predict([0, 1], { batch: 1 }) },
  { name: 'train()', run: (n) => n.train([0, 1], [1, 2], { batch: 1 }) },
  { name: 'save()', run: (n) => n.save() },
  { name: 'setParameters()', run: (n) => n.setParameters({ 'head.b': new Float32Array(n.config.output).fill(5) }) },
  { name: 'resetState()', run: (n) => n.resetState() },
  { name: 'applyGradients()', run: (n) => n.applyGradients() },
  { name: 'stepCount', run: (n) => n.stepCount },
  { name: 'lastGradientNorm', run: (n) => n.lastGradientNorm },
  { name: 'trainingConfig', run: (n) => n.trainingConfig },
  { name: 'setTrainingConfig()', run: (n) => n.setTrainingConfig({ learningRate: 0.3 }) },
  { name: 'getState()', run: (n) => n.getState('predict') },
  { name: 'inspect()', run: (n) => n.inspect([0]) },
  { name: 'config', run: (n) => n.config, unguarded: true },
  { name: 'memoryBytes', run: (n) => n.memoryBytes, unguarded: true },
  { name: 'disposed', run: (n) => n.disposed, unguarded: true },
];

const isArg = (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === ArgProto;
const ArgProto = {};
/** Marks {value, clean, mode, desc, after?} as an argument (so that options can nest them). */
const arg = (a) => Object.assign(Object.create(ArgProto), a);

/**
 * An options object from {key: value or nested argument} (undefined values left out), often
 * hostile. With takeResizers, the getters of these options resize the resizable buffers of the
 * call's data arguments (ctx.resizers): top-level options only, which a call reads before its data.
 */
function optionsArgument(ctx, entries, { takeResizers = false } = {}) {
  const { rng } = ctx;
  const keys = Object.keys(entries).filter((k) => entries[k] !== undefined);
  const nested = keys.map((k) => entries[k]).filter(isArg);
  const val = Object.fromEntries(keys.map((k) => [k, isArg(entries[k]) ? entries[k].value : entries[k]]));
  const cleanOf = () => Object.fromEntries(keys.map((k) => [k, isArg(entries[k]) ? resolveLazy(entries[k].clean) : entries[k]]));
  const lazy = nested.some((n) => n.mode === LAZY);
  const clean = lazy ? cleanOf : cleanOf();
  const v = rng.weighted({ plain: 50, undefinedIfEmpty: 6, getters: 14, proxy: 10, flip: 5, hook: 6, nullProto: 3, frozen: 2, unknownKey: 2, notObject: 2 });
  ctx.variants[`options:${v}`] = (ctx.variants[`options:${v}`] ?? 0) + 1;
  const resizers = takeResizers ? ctx.resizers.splice(0) : [];
  const resizeAll = () => { for (const r of resizers.splice(0)) r(); };
  const done = (a) => arg({
    ...a,
    mode: worst([a.mode ?? STRICT, ...nested.map((n) => n.mode)]),
    after: () => { a.after?.(); for (const n of nested) n.after?.(); },
  });
  const desc = () => `{${keys.map((k) => `${k}: ${isArg(entries[k]) ? entries[k].desc : String(entries[k])}`).join(', ')}}`;
  switch (v) {
    case 'plain':
    case 'undefinedIfEmpty': {
      if (v === 'undefinedIfEmpty' && keys.length === 0) { resizeAll(); return done({ value: undefined, clean: undefined, desc: 'undefined' }); }
      const obj = { ...val };
      if (resizers.length) { // a resizable data argument: resized by a getter of these options
        const k = keys.length ? rng.pick(keys) : null;
        if (k) Object.defineProperty(obj, k, { get() { resizeAll(); return val[k]; }, enumerable: true });
        else resizeAll();
      }
      return done({ value: obj, clean, desc: desc() });
    }
    case 'getters': {
      const reads = {};
      const obj = {};
      for (const k of keys) {
        reads[k] = 0;
        Object.defineProperty(obj, k, { get() { reads[k]++; resizeAll(); return val[k]; }, enumerable: true });
      }
      if (!keys.length) resizeAll();
      return done({ value: obj, clean, desc: `getters ${desc()}`,
        after: () => { for (const k of keys) if (reads[k] !== 1) fail(`option ${k} was read ${reads[k]} times`); } });
    }
    case 'proxy': {
      resizeAll();
      const gets = new Map();
      const p = new Proxy({ ...val }, { get(t, k, r) { gets.set(k, (gets.get(k) ?? 0) + 1); return Reflect.get(t, k, r); } });
      return done({ value: p, clean, desc: `Proxy ${desc()}`,
        after: () => {
          for (const [k, c] of gets) {
            if (typeof k !== 'string' || k === 'toJSON') continue; // JSON.stringify asks every object for toJSON
            if (!keys.includes(k)) fail(`an option that was not given (${k}) was read`);
            if (c !== 1) fail(`option ${k} of a Proxy was read ${c} times`);
          }
        } });
    }
    case 'flip': {
      resizeAll();
      const k = keys.filter((x) => !isArg(entries[x])).length ? rng.pick(keys.filter((x) => !isArg(entries[x]))) : null;
      if (!k) return done({ value: { ...val }, clean, desc: desc() });
      const later = rng.pick([NaN, -1, 'x', null, 1e9, {}, 2.5]);
      let reads = 0;
      const obj = { ...val };
      Object.defineProperty(obj, k, { get() { return reads++ === 0 ? val[k] : later; }, enumerable: true });
      return done({ value: obj, clean, desc: `${desc()} whose ${k} reads ${String(val[k])} then ${String(later)}`,
        after: () => { if (reads !== 1) fail(`option ${k} was read ${reads} times`); } });
    }
    case 'hook': {
      resizeAll();
      const obj = { ...val };
      const k = keys.length ? rng.pick(keys) : null;
      if (!k) return done({ value: obj, clean, desc: desc() });
      const hook = reentrant(ctx);
      Object.defineProperty(obj, k, { get() { hook.run(); return val[k]; }, enumerable: true });
      return done({ value: obj, clean, desc: `${desc()} whose ${k} getter calls ${hook.desc}` });
    }
    case 'nullProto': resizeAll(); return done({ value: Object.assign(Object.create(null), val), clean, desc: `null-prototype ${desc()}` });
    case 'frozen': resizeAll(); return done({ value: Object.freeze({ ...val }), clean, desc: `frozen ${desc()}` });
    case 'unknownKey': {
      resizeAll();
      return done({ value: { ...val, bogus: 1 }, clean: lazy ? () => ({ ...cleanOf(), bogus: 1 }) : { ...clean, bogus: 1 }, desc: `${desc()} + an unknown key` });
    }
    case 'notObject': {
      resizeAll();
      const w = rng.pick([null, [], 'x', 3, new Map(), new (class Opts {})()]);
      return arg({ value: w, clean: w, mode: STRICT, desc: `options ${Object.prototype.toString.call(w)}` });
    }
    default: throw new Error(v);
  }
}

function resolveLazy(v) {
  return typeof v === 'function' ? v() : v;
}

// ---- one call with hostile arguments, checked against the twin

/**
 * Runs `call(model, ...args)` with the hostile values on the model and, per the arguments' modes,
 * with the clean ones on the twin; checks every invariant of a single call.
 * sync(net, twin) brings the twin to the model's state after a racy call that succeeded.
 */
function hostileCall(ctx, env, name, args, call, { sync, finite = true } = {}) {
  const { attempt, say, stats } = env;
  const mode = worst(args.map((a) => a.mode));
  say(`${name}(${args.map((a) => a.desc).join(', ')}) [${mode}]`);
  ctx.inner = [];
  const r = attempt(() => call(ctx.net, ...args.map((a) => a.value)), name);
  // re-entrant calls: refused with 'busy' on the same model, working on another
  let escaped = false;
  for (const i of ctx.inner) {
    if (i.other) {
      if (i.error && i.error.code === 'busy') fail(`${i.desc} inside ${name} was refused with 'busy': the guard must be per model`);
      if (i.error && !(i.error instanceof env.lib.LstmError)) fail(`${i.desc} inside ${name} threw ${i.error}`);
    } else if (!i.unguarded) {
      if (!i.error) fail(`${i.desc} inside ${name} was accepted: it must be refused with LstmError 'busy'`);
      if (!(i.error instanceof env.lib.LstmError) || i.error.code !== 'busy') fail(`${i.desc} inside ${name}: ${i.error?.constructor?.name} ${i.error?.code}: ${i.error?.message} (expected 'busy')`);
      if (i.escape) escaped = true;
    }
  }
  if (ctx.net.disposed) fail(`the model was disposed during ${name}`);
  if (!r.ok) {
    stats.refused++;
    stats.byCode[r.error.code] = (stats.byCode[r.error.code] ?? 0) + 1;
  }
  if (escaped) {
    // the hook let the 'busy' error out: the call fails with it
    const ok = !r.ok && r.error.code === 'busy';
    if (!ok) fail(`${name}: a re-entrant call's 'busy' escaped from a hook, yet the call ${r.ok ? 'succeeded' : `failed with '${r.error.code}'`}`);
    return r;
  }
  let rt = null;
  switch (mode) {
    case FAIL:
      if (r.ok) fail(`${name} accepted an argument that no single read makes valid`);
      break;
    case STRICT:
      rt = attempt(() => call(ctx.twin, ...args.map((a) => a.clean)), `the twin's ${name}`);
      if (r.ok !== rt.ok) {
        fail(r.ok ? `${name} succeeded with hostile arguments, but its twin refused their clean read (${rt.error.code}: ${rt.error.message})`
          : `${name} refused hostile arguments (${r.error.code}: ${r.error.message}), but its twin accepted their clean read`);
      }
      if (!r.ok && r.error.code !== rt.error.code) fail(`${name}: refused with '${r.error.code}' (${r.error.message}), the twin with '${rt.error.code}' (${rt.error.message})`);
      if (r.ok && !same(r.value, rt.value)) fail(`${name}: the result differs from the twin's with the clean arguments`);
      break;
    case LAZY:
      if (r.ok) {
        rt = attempt(() => call(ctx.twin, ...args.map((a) => resolveLazy(a.clean))), `the twin's ${name}`);
        if (!rt.ok) fail(`${name} succeeded on a resized buffer, the twin refused what it then held: ${rt.error.message}`);
        if (!same(r.value, rt.value)) fail(`${name}: the result on a resized buffer differs from the twin's on its final contents`);
      }
      break;
    case RACY:
      stats.racy[r.ok ? 'accepted' : 'refused']++;
      if (r.ok) {
        if (!sync) fail(`internal: a racy argument given to ${name}, which cannot be synchronised`);
        try {
          sync(ctx.net, ctx.twin);
        } catch (e) {
          fail(`after ${name} read a buffer another thread rewrites, the model holds what its twin refuses: ${e.message}`);
        }
      }
      break;
  }
  if (r.ok) {
    for (const a of args) a.after?.();
    if (finite) {
      const bad = nonFinite(r.value);
      if (bad) fail(`${name} returned a non-finite number: ${bad}`);
    }
  }
  return r;
}

// ---- the calls

// B, T, lengths and whether steps are given, for a data call.
function shapeOf(ctx, { allowLengths = true } = {}) {
  const { rng } = ctx;
  const B = rng.int(1, 3), T = rng.int(1, 4), stepsGiven = rng.chance(0.75);
  // lengths only with steps given: without, T follows from the inputs' real length, which a
  // hostile inputs argument may change, and with it which lengths are valid
  const lengths = stepsGiven && allowLengths && ctx.features.lengths && rng.chance(0.25) ? Array.from({ length: B }, () => rng.int(1, T)) : null;
  return { B, T, stepsGiven, lengths };
}

function inputsArg(ctx, shape) {
  const c = ctx.net.config, { rng } = ctx;
  const tokens = c.vocab !== undefined, I = tokens ? 1 : c.input;
  const { B, T, lengths } = shape;
  const matters = (i) => { const r = Math.floor(i / I); return !lengths || (r % T) < lengths[Math.floor(r / T)]; };
  return dataArgument(ctx, {
    kind: tokens ? 'i32' : 'f32', n: B * T * I, matters, fixedLength: shape.stepsGiven,
    good: tokens ? () => rng.int(0, c.vocab - 1) : () => floatValue(rng),
    bad: tokens ? () => badId(rng, 0, c.vocab) : () => badFloat(rng),
  });
}

function targetsArg(ctx, shape) {
  const c = ctx.net.config, { rng } = ctx;
  const { B, T, lengths } = shape, O = c.output;
  const valid = (b, t) => !lengths || t < lengths[b];
  if (c.loss === 'xent' || c.loss === 'xent-last') {
    const last = c.loss === 'xent-last';
    // without steps, T follows from the inputs' real length, which a hostile inputs argument may
    // change (a resized buffer, a lying length): then another targets length may be the right one
    return dataArgument(ctx, {
      kind: 'i32', n: last ? B : B * T, fixedLength: shape.stepsGiven || last, matters: (i) => last || valid(Math.floor(i / T), i % T),
      good: () => rng.int(-1, O - 1), bad: () => badId(rng, -1, O),
    });
  }
  const last = c.loss === 'mse-last';
  return dataArgument(ctx, {
    kind: 'f32', n: (last ? B : B * T) * O, fixedLength: shape.stepsGiven || last, matters: (i) => { const r = Math.floor(i / O); return last || valid(Math.floor(r / T), r % T); },
    good: () => floatValue(rng, 2), bad: () => badFloat(rng),
  });
}

function lengthsArg(ctx, shape) {
  const { rng } = ctx;
  // never racy: which steps are checked follows from the lengths, so they must be known
  const noRacy = ctx.noRacy;
  ctx.noRacy = true;
  const a = dataArgument(ctx, { kind: 'i32', n: shape.B, good: (i) => shape.lengths[i], bad: () => badId(rng, 1, shape.T + 1) });
  ctx.noRacy = noRacy;
  return a;
}

function stateArrays(ctx, B, { D = ctx.net.config.bidirectional ? 2 : 1 } = {}) {
  const c = ctx.net.config, { rng } = ctx;
  const n = c.layers * D * B * c.hidden;
  const one = () => dataArgument(ctx, { kind: 'f32', n, good: () => floatValue(rng), bad: () => badFloat(rng) });
  return { h: one(), c: c.cell === 'lstm' || rng.chance(0.1) ? one() : null };
}

const NETWORK_OPS = {
  train: (ctx, env) => dataOp(ctx, env, 'train', true, { stateful: true, initialState: true }),
  lossAndGradients: (ctx, env) => dataOp(ctx, env, 'lossAndGradients', true, { stateful: true, initialState: true, advance: true }),
  stepGradientNorms: (ctx, env) => dataOp(ctx, env, 'stepGradientNorms', true, { stateful: true, initialState: true }),
  predict: (ctx, env) => dataOp(ctx, env, 'predict', false, { stateful: true, initialState: true, softmax: true, lastOnly: true, returnState: true }),
  inspect: (ctx, env) => dataOp(ctx, env, 'inspect', false, { initialState: true }),

  // a step of a stepper (made on first use, per network and options, and kept: steps continue
  // the predict state like stateful predict calls, so they interleave with the other actions)
  step(ctx, env) {
    const { rng } = ctx;
    const c = ctx.net.config, tokens = c.vocab !== undefined;
    if (typeof ctx.net.stepper !== 'function') return undefined; // an older build (--lib)
    const B = rng.int(1, 2), softmax = rng.chance(0.5);
    const stepperOf = (n) => {
      if (!STEPPERS.has(n)) STEPPERS.set(n, new Map());
      const mine = STEPPERS.get(n), key = `${B} ${softmax}`;
      if (!mine.has(key)) mine.set(key, n.stepper({ batch: B, softmax })); // refused for bidirectional models and softmax on mse
      return mine.get(key);
    };
    let x;
    if (tokens && B === 1 && rng.chance(0.4)) {
      const v = rng.chance(0.85) ? rng.int(0, c.vocab - 1) : badId(rng, 0, c.vocab);
      x = arg({ value: v, clean: v, mode: STRICT, desc: String(v) });
    } else {
      x = dataArgument(ctx, tokens ? { kind: 'i32', n: B, good: () => rng.int(0, c.vocab - 1), bad: () => badId(rng, 0, c.vocab) }
        : { kind: 'f32', n: B * c.input, good: () => floatValue(rng), bad: () => badFloat(rng) });
    }
    return hostileCall(ctx, env, `stepper({batch: ${B}, softmax: ${softmax}}).step`, [x], (n, v) => stepperOf(n).step(v).slice(), {
      sync: (net, twin) => twin.setState('predict', net.getState('predict')),
    });
  },

  applyGradients(ctx, env) {
    const { rng } = ctx;
    if (rng.chance(0.4)) return hostileCall(ctx, env, 'applyGradients', [], (n) => n.applyGradients());
    ctx.noRacy = true; // an optimizer step on a racy read cannot be replayed into the twin
    const tensors = Object.entries(ctx.net.parameters());
    const chosen = tensors.filter(() => rng.chance(0.4));
    const bound = 3e38; // gradients whose norm overflows float32 (c/lstm.c lstm_apply_gradients, fixed)
    const args = chosen.map(([name, t]) => [name, dataArgument(ctx, { kind: 'f32', n: t.data.length, good: () => Math.max(-bound, Math.min(bound, floatValue(ctx.rng))), bad: () => badFloat(rng) })]);
    const obj = tensorObject(ctx, args);
    return hostileCall(ctx, env, 'applyGradients', [obj], (n, g) => n.applyGradients(g));
  },

  setParameters(ctx, env) {
    const { rng } = ctx;
    const tensors = Object.entries(ctx.net.parameters());
    const chosen = tensors.filter(() => rng.chance(0.4));
    if (rng.chance(0.05)) chosen.push(['no.such.tensor', { data: new Float32Array(2) }]);
    const args = chosen.map(([name, t]) => [name, dataArgument(ctx, { kind: 'f32', n: t.data.length, good: () => floatValue(rng, 0.5), bad: () => badFloat(rng) })]);
    const obj = tensorObject(ctx, args, tensors);
    return hostileCall(ctx, env, 'setParameters', [obj], (n, p) => n.setParameters(p), {
      sync: (net, twin) => twin.setParameters(net.parameters()),
    });
  },

  parameters: (ctx, env) => hostileCall(ctx, env, 'parameters', [], (n) => n.parameters()),

  setState(ctx, env) {
    const { rng } = ctx;
    const B = rng.int(1, 3);
    const s = stateArrays(ctx, B, { D: 1 });
    const which = rng.pick(['train', 'predict', 'predict', 'other', undefined]);
    const state = optionsArgument(ctx, { batch: rng.chance(0.9) ? B : rng.pick([0, -1, 2.5, '1']), h: s.h, c: s.c ?? undefined }, { takeResizers: true });
    return hostileCall(ctx, env, 'setState', [arg({ value: which, clean: which, mode: STRICT, desc: String(which) }), state], (n, w, st) => n.setState(w, st), {
      sync: (net, twin) => twin.setState(which, net.getState(which)),
    });
  },

  getState(ctx, env) {
    const which = ctx.rng.pick(['train', 'predict', 'x']);
    return hostileCall(ctx, env, 'getState', [{ value: which, clean: which, mode: STRICT, desc: which }], (n, w) => n.getState(w));
  },

  resetState(ctx, env) {
    const which = ctx.rng.pick(['train', 'predict', undefined, 'both', 0]);
    return hostileCall(ctx, env, 'resetState', [{ value: which, clean: which, mode: STRICT, desc: String(which) }], (n, w) => n.resetState(w));
  },

  setTrainingConfig(ctx, env) {
    const { rng } = ctx;
    const patch = {};
    const pool = {
      optimizer: () => rng.pick(['adam', 'sgd', 'rmsprop', 'adagrad', 'lbfgs']),
      learningRate: () => rng.pick([1e-3, 0.01, 0.3, 0, -1, 1e39, NaN, 1e-50, '0.1', 3e38]),
      beta1: () => rng.pick([0, 0.5, 0.9, 1, -0.1]),
      beta2: () => rng.pick([0.9, 0.999, 0.99999999, 1]),
      momentum: () => rng.pick([0, 0.9, 1]),
      epsilon: () => rng.pick([1e-8, 1e-3, 0]),
      weightDecay: () => rng.pick([0, 1e-4, 0.1, -1]),
      dropout: () => rng.pick([0, 0.2, 0.5, 1, -0.1]),
      clip: () => rng.pick([{ mode: 'none' }, { mode: 'norm', threshold: 1 }, { mode: 'value' }, { threshold: 0.5 }, { threshold: 0 }, { mode: 'bogus' }, null, 5]),
    };
    for (const k of Object.keys(pool)) if (rng.chance(0.2)) patch[k] = pool[k]();
    const opt = optionsArgument(ctx, patch);
    return hostileCall(ctx, env, 'setTrainingConfig', [opt], (n, p) => n.setTrainingConfig(p));
  },

  save(ctx, env) {
    const { rng } = ctx;
    const entries = {};
    if (rng.chance(0.3)) entries.includeOptimizer = rng.pick([true, false, 1]);
    if (rng.chance(0.3)) entries.includeState = rng.pick([true, false, 'yes']);
    if (rng.chance(0.4)) {
      const kind = rng.weighted({ plain: 5, toJSON: 2, getter: 2, bigint: 1, kind: 1, cyclic: 1 });
      if (kind === 'plain') entries.meta = { note: 'fuzz', n: rng.int(0, 99), list: [1, 2] };
      else if (kind === 'toJSON' || kind === 'getter') {
        const hook = reentrant(ctx);
        const m = kind === 'toJSON' ? { x: { toJSON: () => { hook.run(); return 7; } } } : {};
        if (kind === 'getter') Object.defineProperty(m, 'x', { get() { hook.run(); return 7; }, enumerable: true });
        entries.meta = arg({ value: m, clean: { x: 7 }, mode: STRICT, desc: `meta with a ${kind} calling ${hook.desc}` });
      } else if (kind === 'bigint') entries.meta = { n: 1n };
      else if (kind === 'kind') entries.meta = { kind: 'x' };
      else { const c = {}; c.self = c; entries.meta = c; }
    }
    const opt = optionsArgument(ctx, entries);
    const r = hostileCall(ctx, env, 'save', [opt], (n, o) => n.save(o), { finite: false });
    if (r.ok) ctx.lastFile = r.value;
    return r;
  },

  async reload(ctx, env) {
    // both models through a file: the loaded pair continues exactly where the other stopped
    const { say, attemptAsync } = env;
    const includeOptimizer = ctx.rng.chance(0.8);
    const file = ctx.net.save({ includeOptimizer, includeState: true });
    const twinFile = ctx.twin.save({ includeOptimizer, includeState: true });
    if (!sameBytes(file, twinFile)) fail('reload: the model and its twin save different files');
    say(`reload through a file (includeOptimizer ${includeOptimizer})`);
    const a = await attemptAsync(() => env.lib.Network.load(file), 'Network.load');
    const b = await attemptAsync(() => env.lib.Network.load(file), 'Network.load');
    if (!a.ok || !b.ok) fail(`Network.load of a file save() just wrote failed: ${(a.error ?? b.error).message}`);
    const predictA = ctx.net.config.bidirectional ? null : ctx.net.getState('predict');
    ctx.net.dispose();
    ctx.twin.dispose();
    // the predict state is not in the file: carry it over by hand
    if (predictA && predictA.batch) for (const n of [a.value, b.value]) n.setState('predict', predictA);
    ctx.replace(a.value, b.value);
  },

  getters(ctx, env) {
    const name = ctx.rng.pick(['stepCount', 'lastGradientNorm', 'parameterCount', 'trainingConfig', 'config', 'simd', 'meta', 'memoryBytes', 'summary', 'toString']);
    if (name === 'memoryBytes') { // not the twin's: a refused call may have grown the staging buffers
      const r = env.attempt(() => ctx.net.memoryBytes, 'memoryBytes');
      if (!r.ok || !(r.value > 0 && r.value <= 256 * 2 ** 20)) fail(`memoryBytes: ${r.ok ? r.value : r.error.message}`);
      return r;
    }
    return hostileCall(ctx, env, name, [], (n) => (name === 'summary' ? n.summary() : name === 'toString' ? String(n) : n[name]));
  },

  dispose(ctx, env) {
    env.say('dispose() ×2');
    ctx.net.dispose();
    ctx.twin.dispose();
    ctx.net.dispose(); // idempotent
  },

  async loadHostile(ctx, env) {
    const { rng, say } = ctx;
    const file = ctx.net.save();
    const variant = rng.weighted({ flip: 4, truncate: 3, extend: 1, arrayBuffer: 1, sab: 1, fakeTag: 1, ownLength: 1, subclass: 2, plainArray: 1 });
    let value, mustFail = false;
    switch (variant) {
      case 'flip': value = Uint8Array.from(file); value[rng.int(0, value.length - 1)] ^= 1 << rng.int(0, 7); mustFail = true; break;
      case 'truncate': value = file.slice(0, rng.int(0, file.length - 1)); mustFail = true; break;
      case 'extend': value = Uint8Array.from([...file, 0, 0, 0, 0]); mustFail = true; break;
      case 'arrayBuffer': value = Uint8Array.from(file).buffer; break;
      case 'sab': { const s = new SharedArrayBuffer(file.length); value = new Uint8Array(s); value.set(file); break; }
      case 'fakeTag': value = { ...file, length: file.length, [Symbol.toStringTag]: 'Uint8Array' }; mustFail = true; break;
      case 'ownLength': value = Uint8Array.from(file); Object.defineProperty(value, 'length', { get: () => file.length * 2 }); break;
      case 'subclass': { // a lying subarray() (js/args.js fileBytes, fixed)
        class Long extends Uint8Array { subarray(s, e) { const r = new Uint8Array(e - s + (1 << 20) + 4096); r.set(Uint8Array.prototype.subarray.call(this, s, e)); return r; } }
        value = Long.from(file);
        break;
      }
      case 'plainArray': value = Array.from(file); mustFail = true; break;
    }
    say(`Network.load(${variant})`);
    const r = await env.attemptAsync(() => env.lib.Network.load(value), `Network.load(${variant})`);
    if (r.ok) {
      if (mustFail) fail(`Network.load accepted ${variant} bytes`);
      if (!sameBytes(r.value.save(), file)) fail(`Network.load(${variant}) loaded something else than the file`);
      r.value.dispose();
    }
    const m = await env.attemptAsync(() => env.lib.readMeta(value), `readMeta(${variant})`);
    if (m.ok && mustFail) fail(`readMeta accepted ${variant} bytes`);
  },

  huge(ctx, env) {
    // calls over the limits (batch 2^20, batch × steps 2^24): refused before anything is allocated
    const c = ctx.net.config;
    const tokens = c.vocab !== undefined;
    const opts = ctx.rng.pick([{ batch: 1 << 20, steps: 17 }, { batch: (1 << 20) + 1, steps: 1 }, { batch: 1, steps: (1 << 24) + 1 }]);
    const x = new (tokens ? Int32Array : Float32Array)(17 * (tokens ? 1 : c.input));
    return hostileCall(ctx, env, 'predict (over the limits)', [arg({ value: x, clean: x, mode: STRICT, desc: `${x.length} elements` }),
      arg({ value: opts, clean: opts, mode: STRICT, desc: JSON.stringify(opts) })], (n, a, o) => n.predict(a, o));
  },
};

// {name: data} or {name: {shape, data}}, often hostile, from [[name, dataArgument]].
function tensorObject(ctx, args, tensors = null) {
  const { rng } = ctx;
  const shapes = tensors ? Object.fromEntries(tensors.map(([k, t]) => [k, t.shape])) : Object.fromEntries(Object.entries(ctx.net.parameters()).map(([k, t]) => [k, t.shape]));
  const value = {}, cleanParts = [];
  const modes = [], afters = [];
  for (const [name, a] of args) {
    modes.push(a.mode);
    if (a.after) afters.push(a.after);
    const wrap = rng.weighted({ data: 5, withShape: 2, withBadShape: 1, withoutShape: 1 });
    // [name, how to wrap the clean data]
    if (wrap === 'data') { value[name] = a.value; cleanParts.push([name, a, (d) => d]); }
    else if (wrap === 'withShape' && shapes[name]) { value[name] = { shape: shapes[name].slice(), data: a.value }; cleanParts.push([name, a, (d) => ({ shape: shapes[name].slice(), data: d })]); }
    else if (wrap === 'withBadShape' && shapes[name]) { const sh = [...shapes[name], 1]; value[name] = { shape: sh, data: a.value }; cleanParts.push([name, a, (d) => ({ shape: sh.slice(), data: d })]); }
    else { value[name] = { data: a.value }; cleanParts.push([name, a, (d) => ({ data: d })]); }
  }
  const cleanOf = () => Object.fromEntries(cleanParts.map(([name, a, wrapData]) => [name, wrapData(resolveLazy(a.clean))]));
  const clean = modes.includes(LAZY) ? cleanOf : modes.includes(FAIL) || modes.includes(RACY) ? null : cleanOf();
  const hostile = rng.weighted({ plain: 6, getter: 1, proxy: 1, hook: 1, notObject: 0.3 });
  let v = value;
  if (hostile === 'getter' || hostile === 'hook') {
    v = {};
    const hook = hostile === 'hook' ? reentrant(ctx) : null;
    for (const k of Object.keys(value)) Object.defineProperty(v, k, { get() { hook?.run(); return value[k]; }, enumerable: true });
  } else if (hostile === 'proxy') {
    v = new Proxy(value, {});
  } else if (hostile === 'notObject') {
    v = rng.pick([null, [], 'x', new Map()]);
    return { value: v, clean: v, mode: STRICT, desc: `tensors ${Object.prototype.toString.call(v)}` };
  }
  return { value: v, clean, mode: worst(modes), desc: `{${args.map(([k, a]) => `${k}: ${a.desc}`).join(', ')}}${hostile === 'plain' ? '' : ` (${hostile})`}`,
    after: () => { for (const f of afters) f(); } };
}

function dataOp(ctx, env, name, withTargets, allowed) {
  const { rng } = ctx;
  const c = ctx.net.config;
  const uni = !c.bidirectional;
  // a racy read can be replayed into the twin only where it changes no more than a state
  ctx.noRacy = name === 'train' || name === 'lossAndGradients';
  const shape = shapeOf(ctx);
  const x = inputsArg(ctx, shape);
  const y = withTargets ? targetsArg(ctx, shape) : null;
  const entries = { batch: shape.B === 1 && rng.chance(0.3) ? undefined : shape.B, steps: shape.stepsGiven ? shape.T : undefined };
  if (shape.lengths) entries.lengths = lengthsArg(ctx, shape);
  if (ctx.features.lengths) { // the options of the new API
    if (allowed.stateful && rng.chance(0.2)) entries.stateful = rng.pick([true, false, false, 'no']);
    if (allowed.initialState && rng.chance(0.15)) {
      if (allowed.stateful) entries.stateful = false;
      const s = stateArrays(ctx, shape.B);
      entries.initialState = optionsArgument(ctx, { h: s.h, c: s.c ?? undefined });
    }
    if (allowed.returnState && rng.chance(0.15)) entries.returnState = true;
  }
  if (allowed.softmax && rng.chance(0.2)) entries.softmax = rng.pick([true, false]);
  if (allowed.lastOnly && rng.chance(0.2)) entries.lastOnly = rng.pick([true, false, 1]);
  if (allowed.advance && rng.chance(0.4)) entries.advance = rng.pick([true, false]);
  const opt = optionsArgument(ctx, entries, { takeResizers: true });
  ctx.noRacy = false;
  const args = withTargets ? [x, y, opt] : [x, opt];
  const stateful = uni && (entries.stateful ?? (entries.initialState === undefined));
  return hostileCall(ctx, env, name, args, (n, ...a) => n[name](...a), {
    // a racy call that succeeded: copy what it changed into the twin
    sync: (net, twin) => { if (name === 'predict' && stateful) twin.setState('predict', net.getState('predict')); },
  });
}

// ---- CharModel episodes

const ALPHABETS = ['ab', 'abc \n', 'The cat sat. ', 'aé😀中\n', '0123456789+-'];

async function charEpisode(env) {
  const { rng, say, o, lib, attempt, attemptAsync } = env;
  const { CharModel } = lib;
  const alphabet = [...rng.pick(ALPHABETS)];
  const text = Array.from({ length: rng.int(150, 500) }, () => rng.pick(alphabet)).join('');
  const head = (n) => [...text].slice(0, n).join(''); // whole code points (a slice of UTF-16 may cut a pair)
  const config = {
    text, hidden: rng.int(1, 6), layers: rng.int(1, 2), batch: rng.int(1, 3), seqLength: rng.int(2, 8),
    cell: rng.pick(['lstm', 'gru', 'rnn']), seed: rng.int(0, 1000), valFraction: rng.pick([0, 0.05, 0.2]),
    unknown: rng.pick(['skip', 'map']), dropout: rng.pick([0, 0.2]),
    ...(rng.chance(0.3) ? { schedule: rng.pick([{ type: 'exp', gamma: 0.9 }, { type: 'step', every: 2, factor: 0.5 }]) } : {}),
  };
  say(`CharModel.create(${JSON.stringify({ ...config, text: `${text.length} chars of ${JSON.stringify(alphabet.join(''))}` })}) ×2`);
  const made = await attemptAsync(() => CharModel.create(config), 'CharModel.create');
  if (!made.ok) return; // a text too short for the batch × seqLength: refused, fine
  let a = made.value, b = await CharModel.create(config);
  const observe = () => { // what an onProgress or option getter may do without changing anything
    const what = rng.pick(['evaluate', 'sample', 'inspect', 'stepCount', 'save']);
    try {
      if (what === 'evaluate') a.evaluate(head(20));
      else if (what === 'sample') a.sample({ length: 3, seed: 1 });
      else if (what === 'inspect') a.inspect(head(5));
      else if (what === 'stepCount') void a.network.stepCount;
      else a.save();
    } catch (e) {
      if (!(e instanceof lib.LstmError)) fail(`${what} from inside a CharModel call threw ${e?.constructor?.name}: ${e?.message}`);
      if (e.code !== 'nonfinite') fail(`${what} from inside a CharModel call: ${e.code}: ${e.message}`);
    }
  };
  const compare = (what) => {
    if (a.disposed) return;
    const fa = attempt(() => a.save(), 'CharModel.save'), fb = attempt(() => b.save(), 'the twin CharModel.save');
    if (!fa.ok || !fb.ok) fail(`${what}: a CharModel can no longer be saved: ${(fa.error ?? fb.error).message}`);
    if (!sameBytes(fa.value, fb.value)) fail(`${what}: the CharModel's file differs from its twin's`);
  };
  try {
    for (let op = 0; op < Math.ceil(o.ops / 3); op++) {
      if (a.disposed) return;
      const action = rng.weighted({ trainSteps: 5, sample: 5, stream: 3, evaluate: 2, inspect: 2, save: 1, reload: 1, dispose: 0.3 });
      env.stats.calls++;
      const both = (fnA, fnB, what) => {
        const ra = attempt(fnA, what), rb = attempt(fnB, `the twin's ${what}`);
        if (ra.ok !== rb.ok || (ra.ok && !same(ra.value, rb.value)) || (!ra.ok && ra.error.code !== rb.error.code)) {
          fail(`${what}: the CharModel and its twin differ (${ra.ok ? 'ok' : ra.error.message} vs ${rb.ok ? 'ok' : rb.error.message})`);
        }
        if (ra.ok) { const bad = nonFinite(ra.value); if (bad) fail(`${what} returned ${bad}`); }
        return ra;
      };
      switch (action) {
        case 'trainSteps': {
          const n = rng.int(0, 3);
          const hook = rng.weighted({ none: 3, observe: 2, disposeLast: 0.3, getter: 1 });
          say(`trainSteps(${n}, ${hook})`);
          if (hook === 'none') both(() => a.trainSteps(n), () => b.trainSteps(n), 'trainSteps');
          else if (hook === 'observe') both(() => a.trainSteps(n, { onProgress: observe }), () => b.trainSteps(n), 'trainSteps(onProgress)');
          else if (hook === 'getter') {
            let reads = 0;
            both(() => a.trainSteps(n, { get onProgress() { reads++; observe(); return undefined; } }), () => b.trainSteps(n), 'trainSteps(getter)');
            if (reads !== 1) fail(`trainSteps read its onProgress option ${reads} times`);
          } else {
            const r = attempt(() => a.trainSteps(n + 1, { onProgress: ({ step }) => { if (step === a.step && rng.chance(0.5)) a.dispose(); } }), 'trainSteps(dispose)');
            if (!r.ok && r.error.code !== 'disposed') fail(`trainSteps with onProgress disposing: ${r.error.code}: ${r.error.message}`);
            if (a.disposed) { b.dispose(); return; }
            b.trainSteps(n + 1);
          }
          break;
        }
        case 'sample': {
          const opts = {};
          if (rng.chance(0.7)) opts.length = rng.pick([0, 1, 5, 20, -1, 2.5]);
          if (rng.chance(0.4)) opts.temperature = rng.pick([0, 0.5, 1, 2, NaN, -1, 1e-30, 1e30]);
          if (rng.chance(0.3)) opts.topK = rng.pick([0, 1, 3, -1]);
          if (rng.chance(0.3)) opts.topP = rng.pick([0.5, 1, 0, 1.5]);
          if (rng.chance(0.3)) opts.prime = rng.pick(['', head(10), 'zzz', '\uD800', text.slice(0, 9), 'a'.repeat(5000)]);
          if (rng.chance(0.5)) opts.seed = rng.int(0, 100);
          if (rng.chance(0.1)) opts.greedy = rng.pick([true, 'yes']);
          const hostile = rng.weighted({ plain: 4, getters: 1, proxy: 1 });
          let value = { ...opts }, reads = null;
          if (hostile === 'getters') {
            value = {};
            reads = {};
            for (const k of Object.keys(opts)) { reads[k] = 0; Object.defineProperty(value, k, { get() { reads[k]++; observe(); return opts[k]; }, enumerable: true }); }
          } else if (hostile === 'proxy') value = new Proxy({ ...opts }, {});
          say(`sample(${JSON.stringify(opts)}, ${hostile})`);
          const r = both(() => a.sample(value), () => b.sample(opts), 'sample');
          if (r.ok && reads) for (const [k, c] of Object.entries(reads)) if (c !== 1) fail(`sample option ${k} read ${c} times`);
          break;
        }
        case 'stream': {
          const length = rng.int(1, 12), take = rng.int(0, length);
          say(`stream({length: ${length}}) taking ${take}, with an evaluate in between`);
          const ia = a.stream({ length, seed: 3 }), ib = b.stream({ length, seed: 3 });
          let sa = '', sb = '';
          for (let i = 0; i < take; i++) {
            sa += ia.next().value ?? '';
            if (i === 1) observe();
            sb += ib.next().value ?? '';
          }
          if (sa !== sb) fail(`stream: ${JSON.stringify(sa)} vs the twin's ${JSON.stringify(sb)}`);
          break;
        }
        case 'evaluate': {
          const t = rng.pick([undefined, 'The cat sat.', head(30), text.slice(0, 29), 'x', '\uDC00a', 3]);
          say(`evaluate(${JSON.stringify(t)})`);
          both(() => a.evaluate(t), () => b.evaluate(t), 'evaluate');
          break;
        }
        case 'inspect': {
          const t = rng.pick([head(8), 'ab', '', '😀', null, text.slice(0, 7)]);
          const layer = rng.pick([undefined, 0, 1, 5, -1]);
          say(`inspect(${JSON.stringify(t)}, {layer: ${layer}})`);
          both(() => a.inspect(t, layer === undefined ? undefined : { layer }), () => b.inspect(t, layer === undefined ? undefined : { layer }), 'inspect');
          break;
        }
        case 'save': {
          const includeText = rng.pick([undefined, true, false, 1]);
          say(`save({includeText: ${includeText}})`);
          both(() => a.save(includeText === undefined ? undefined : { includeText }), () => b.save(includeText === undefined ? undefined : { includeText }), 'CharModel.save');
          break;
        }
        case 'reload': {
          const withText = rng.chance(0.5);
          say(`reload (${withText ? 'with' : 'without'} the text)`);
          const file = a.save({ includeText: !withText });
          const la = await attemptAsync(() => CharModel.load(file, withText ? { text } : {}), 'CharModel.load');
          const lb = await attemptAsync(() => CharModel.load(file, withText ? { text } : {}), 'CharModel.load');
          if (!la.ok || !lb.ok) fail(`CharModel.load of a file save() just wrote failed: ${(la.error ?? lb.error).message}`);
          a.dispose();
          b.dispose();
          a = la.value;
          b = lb.value;
          break;
        }
        case 'dispose': {
          say('dispose');
          a.dispose();
          b.dispose();
          const r = attempt(() => a.sample({ length: 2 }), 'sample after dispose');
          if (r.ok || r.error.code !== 'disposed') fail(`sample after dispose: ${r.ok ? 'succeeded' : r.error.code}`);
          return;
        }
      }
      compare(action);
    }
  } finally {
    if (!a.disposed) a.dispose();
    if (!b.disposed) b.dispose();
  }
}

// ---- main

const isMain = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain && !process.execArgv.includes('--no-concurrent-recompilation')) {
  // Node 20 deadlocks now and then while it awaits a WebAssembly instantiation: the main thread
  // waits in NodePlatform::DrainTasks for a background TurboFan job that waits for a main-thread
  // GC (nodejs/node#54918; seen here mid-run, within a minute of fuzzing, in most runs). Without
  // concurrent recompilation that cannot happen: run again with it off.
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (isMain) {
  const o = parseArgs(process.argv.slice(2));
  if (o.only !== null) console.log(`fuzz-api: replaying iteration ${o.only} of seed ${o.seed}`);
  const r = await fuzz(o);
  const codes = Object.entries(r.byCode).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`fuzz-api: seed ${o.seed}: ${r.iterations} iterations (${r.networks} Network, ${r.charModels} CharModel), ` +
    `${r.calls} calls, ${r.refused} refused (${codes || 'none'}) in ${r.seconds.toFixed(1)} s${o.strict ? ' (strict)' : ''}`);
  if (r.finding) {
    console.log(`fuzz-api: FINDING at seed ${r.finding.seed}, iteration ${r.finding.iteration}:\n  ${r.finding.message}`);
    console.log('  the last calls of that iteration:');
    for (const line of r.finding.trace) console.log(`    ${line}`);
    console.log(`  reproduce: node tests/fuzz-js/fuzz-api.mjs --seed ${r.finding.seed} --only ${r.finding.iteration}${o.ops !== 40 ? ` --ops ${o.ops}` : ''}${o.strict ? ' --strict' : ''}${o.lib ? ` --lib ${o.lib}` : ''}`);
    process.exit(1);
  }
  const variants = Object.entries(r.variants).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`fuzz-api: arguments made: ${variants}`);
  console.log(`fuzz-api: calls reading a buffer a worker rewrites: ${r.racy.accepted} accepted, ${r.racy.refused} refused (torn reads)`);
  console.log('fuzz-api: no findings');
}
