// hostile-common.js — what the tests/hostile-*.test.js files share: the library under test, twin
// models, a snapshot of everything a model lets a caller observe, and hostile argument builders
// (getters that change their answer, arrays that grow while read, counting Proxies).
//
// The library is ../js/index.js, or the index.js named by WASM_LSTM_LIB: that is how these tests
// were shown to fail on the pre-rewrite code (commit 736f0b4, built in a directory of its own):
//   WASM_LSTM_LIB=/tmp/old/js/index.js node --test tests/hostile-reads.test.js
//
// "A failed call changes nothing" is checked against a twin: a model created with the same config
// and given the same history, which never sees the hostile call. Two models are the same when their
// files (parameters, optimizer moments, step count, RNG, train state), predict states, gradient
// norms and training configs are bit-identical; continueTwins then trains both further (dropout
// draws from the RNG) and compares again.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const where = process.env.WASM_LSTM_LIB;
export const lib = await import(where ? pathToFileURL(resolve(where)).href : '../js/index.js');
export const { Network, CharModel, LstmError, readMeta } = lib;
/** Whether the library under test is this checkout's (some assertions only make sense there). */
export const ownLib = !where;

// ---- comparisons

export const bytesOf = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
export const sameBytes = (a, b) => a.length === b.length && bytesOf(a).equals(bytesOf(b));

export function allFinite(values) {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** Asserts every value of a Float32Array (or of every array in an object of them) is finite. */
export function assertFinite(what, values) {
  if (ArrayBuffer.isView(values)) {
    const bad = values.findIndex((x) => !Number.isFinite(x));
    assert.equal(bad, -1, `${what}: non-finite value ${values[bad]} at index ${bad}`);
    return;
  }
  for (const [k, v] of Object.entries(values)) assertFinite(`${what}.${k}`, v.data ?? v);
}

/** Everything of a unidirectional or bidirectional Network that a caller can observe without changing it. */
export function snapshot(net) {
  const s = {
    file: net.save(),
    stepCount: net.stepCount,
    lastGradientNorm: net.lastGradientNorm,
    trainingConfig: JSON.stringify(net.trainingConfig),
  };
  if (!net.config.bidirectional) {
    for (const which of ['train', 'predict']) {
      const st = net.getState(which);
      s[which] = { batch: st.batch, h: st.h, c: st.c ?? new Float32Array(0) };
    }
  }
  return s;
}

export function assertSameSnapshot(a, b, what = 'model') {
  assert.ok(sameBytes(a.file, b.file), `${what}: save() bytes differ from the twin (parameters, moments, step count, RNG or train state)`);
  assert.equal(a.stepCount, b.stepCount, `${what}: stepCount`);
  assert.ok(Object.is(a.lastGradientNorm, b.lastGradientNorm), `${what}: lastGradientNorm ${a.lastGradientNorm}, the twin has ${b.lastGradientNorm}`);
  assert.equal(a.trainingConfig, b.trainingConfig, `${what}: trainingConfig`);
  for (const which of ['train', 'predict']) {
    if (!a[which]) continue;
    assert.equal(a[which].batch, b[which].batch, `${what}: ${which} state batch`);
    assert.ok(sameBytes(a[which].h, b[which].h) && sameBytes(a[which].c, b[which].c), `${what}: ${which} state differs from the twin`);
  }
}

/** Asserts two models are indistinguishable now. */
export function assertTwins(a, b, what) {
  assertSameSnapshot(snapshot(a), snapshot(b), what);
}

// A seeded xorshift32 generator of floats in [0, 1).
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Plain, valid inputs and targets for net.config: {inputs, targets, opts}. */
export function batchFor(config, B, T, rand) {
  const tokens = config.vocab !== undefined;
  const inputs = tokens
    ? Int32Array.from({ length: B * T }, () => Math.floor(rand() * config.vocab))
    : Float32Array.from({ length: B * T * config.input }, () => rand() * 2 - 1);
  const O = config.output;
  let targets;
  if (config.loss === 'xent') targets = Int32Array.from({ length: B * T }, () => Math.floor(rand() * O));
  else if (config.loss === 'xent-last') targets = Int32Array.from({ length: B }, () => Math.floor(rand() * O));
  else targets = Float32Array.from({ length: (config.loss === 'mse-last' ? B : B * T) * O }, () => rand() * 2 - 1);
  return { inputs, targets, opts: { batch: B, steps: T } };
}

/**
 * Two models with the same config and the same history (two train steps, a gradient computation,
 * two predictions), so that moments, carried states, the gradient buffer and the RNG are not at
 * their initial values when the hostile call comes.
 */
export async function twins(config, { B = 2, T = 3, seed = 7 } = {}) {
  const a = await Network.create(config), b = await Network.create(config);
  const rand = rng(seed);
  for (let k = 0; k < 2; k++) {
    const { inputs, targets, opts } = batchFor(a.config, B, T, rand);
    for (const n of [a, b]) {
      n.train(inputs, targets, opts);
      if (!config.bidirectional) n.predict(inputs, opts);
    }
  }
  const g = batchFor(a.config, B, T, rand);
  for (const n of [a, b]) n.lossAndGradients(g.inputs, g.targets, { ...g.opts, advance: false });
  return [a, b];
}

/**
 * Trains both twins further (dropout, when configured, draws from the RNG), applies their
 * gradient buffers, predicts from their predict states, and asserts they stay identical and finite.
 */
export function continueTwins(a, b, { B = 2, T = 3, seed = 99, what = 'continued' } = {}) {
  a.applyGradients();
  b.applyGradients();
  assertTwins(a, b, `${what}: after applyGradients() of the gradient buffer`);
  const rand = rng(seed);
  for (let k = 0; k < 3; k++) {
    const { inputs, targets, opts } = batchFor(a.config, B, T, rand);
    const la = a.train(inputs, targets, opts), lb = b.train(inputs, targets, opts);
    assert.ok(Object.is(la, lb), `${what}: train loss ${la}, the twin's ${lb}`);
    assert.ok(Number.isFinite(la), `${what}: train loss ${la}`);
    if (!a.config.bidirectional) {
      const pa = a.predict(inputs, opts), pb = b.predict(inputs, opts);
      assert.ok(sameBytes(pa, pb), `${what}: predict differs from the twin`);
      assertFinite(`${what}: predict`, pa);
    }
  }
  assertTwins(a, b, what);
}

// ---- outcomes

/** Runs fn: {ok: true, value} or {ok: false, error}; anything thrown must be an LstmError. */
export function outcome(fn, what = 'the call') {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    assert.ok(error instanceof LstmError, `${what}: threw ${error?.constructor?.name}: ${error?.message} (only LstmError may escape)`);
    assert.notEqual(error.code, 'trap', `${what}: ${error.message}`);
    return { ok: false, error };
  }
}

export async function outcomeAsync(fn, what = 'the call') {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    assert.ok(error instanceof LstmError, `${what}: threw ${error?.constructor?.name}: ${error?.message} (only LstmError may escape)`);
    assert.notEqual(error.code, 'trap', `${what}: ${error.message}`);
    return { ok: false, error };
  }
}

/** fn must throw LstmError with `code` (message matching pattern, when given). */
export function expectCode(fn, code, pattern, what = 'the call') {
  const r = outcome(fn, what);
  assert.ok(!r.ok, `${what}: expected LstmError '${code}', it succeeded`);
  assert.equal(r.error.code, code, `${what}: ${r.error.message}`);
  if (pattern) assert.match(r.error.message, pattern);
  return r.error;
}

// ---- hostile arguments

/**
 * A plain array of `values` whose element `at` is an accessor: the first read returns `first`,
 * every later read `later`. `reads()` counts the reads.
 */
export function flipArray(values, at, first, later) {
  const a = Array.from(values);
  let n = 0;
  Object.defineProperty(a, at, { get() { return n++ === 0 ? first : later; }, enumerable: true, configurable: true });
  a.reads = () => n;
  return a;
}

/** A plain array whose element `at`, when read, pushes `extra` more elements (once). */
export function growingArray(values, at, extra, fill = 0) {
  const a = Array.from(values);
  const v = a[at];
  let done = false;
  Object.defineProperty(a, at, {
    get() {
      if (!done) {
        done = true;
        for (let k = 0; k < extra; k++) a.push(fill);
      }
      return v;
    },
    enumerable: true, configurable: true,
  });
  return a;
}

/** A plain array whose element `at`, when read, removes its last `drop` elements (once). */
export function shrinkingArray(values, at, drop) {
  const a = Array.from(values);
  const v = a[at];
  let done = false;
  Object.defineProperty(a, at, {
    get() {
      if (!done) {
        done = true;
        a.length -= drop;
      }
      return v;
    },
    enumerable: true, configurable: true,
  });
  return a;
}

/** A Proxy of `target` counting its `get` calls per key: {proxy, gets: Map<key, count>}. */
export function countingProxy(target, onGet) {
  const gets = new Map();
  const proxy = new Proxy(target, {
    get(t, key, receiver) {
      gets.set(key, (gets.get(key) ?? 0) + 1);
      onGet?.(key);
      return Reflect.get(t, key, receiver);
    },
  });
  return { proxy, gets };
}

/** Asserts a counting Proxy of an array had its length and every element read exactly once (and nothing else read). */
export function assertReadOnce(what, gets, n) {
  assert.equal(gets.get('length'), 1, `${what}: length read ${gets.get('length') ?? 0} times`);
  for (let i = 0; i < n; i++) {
    const c = gets.get(String(i)) ?? 0;
    if (c !== 1) assert.fail(`${what}: element ${i} read ${c} times (expected exactly once)`);
  }
  const other = [...gets.keys()].filter((k) => k !== 'length' && !(typeof k === 'string' && /^\d+$/.test(k) && +k < n));
  assert.deepEqual(other.map(String), [], `${what}: other keys read`);
}

/** An options object whose every key is a getter counting its reads; {options, reads: {key: count}}. */
export function countingOptions(values, onRead) {
  const reads = {};
  const options = {};
  for (const [k, v] of Object.entries(values)) {
    reads[k] = 0;
    Object.defineProperty(options, k, { get() { reads[k]++; onRead?.(k); return v; }, enumerable: true });
  }
  return { options, reads };
}
