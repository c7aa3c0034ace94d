// fit.js — Network#fit: training over a whole dataset of sequences without freezing the page.
//
//   const history = await net.fit(inputs, targets, { epochs: 10, batch: 32, validation: 0.1,
//     earlyStopping: { patience: 2 }, onEpochEnd: (e, logs) => console.log(e, logs.valLoss) });
//
// What one epoch is, exactly (a hand-written loop over Network#train reproduces it bit for bit;
// tests/fit.test.js does):
//   1. order = the training sequences' indices; with shuffle, Fisher–Yates (for i from N−1 down to
//      1, swap i with rng.int(i + 1)) with the fit's Rng (js/rng.js, seeded by `seed`, default the
//      network's seed; one generator for the whole fit: epoch e continues it);
//   2. for each run of `batch` indices of `order` (the last one may be shorter): gather those
//      sequences (inputs, targets, lengths) into batch-first arrays and call
//        net.train(x, y, { batch, steps: T, lengths, stateful: false })        (whole sequences), or,
//        with `steps` < T (truncated BPTT, unidirectional, full-length sequences only):
//        net.resetState('train'); then for each chunk k of `steps` steps
//        net.train(x_k, y_k, { batch, steps, stateful: true })                 (state carried);
//      before each call the learning rate of the schedule for that step is set, if it changed;
//   3. validation: net.evaluate on the validation sequences in batches of `batch`, stateless (or in
//      chunks from a reset predict state, which fit restores afterwards).
// Between calls fit yields to the event loop whenever `yieldEvery` ms have passed since the last
// yield, so a page keeps drawing: one call is the unit of work (keep batch × steps small enough
// that one step takes well under a frame, or train in the worker: wasm-lstm/worker).
//
// Data: either one flat typed array with `sequenceLength` (T) — inputs (N, T) tokens or (N, T, I)
// dense, targets per the loss ((N, T), (N), (N, T, O) or (N, O)), `lengths` optional — or arrays of
// per-sequence arrays of any lengths (padded and measured here).

import { LstmError, describe } from './errors.js';
import {
  readOptions, intIn, bool, fn, numIn, isPlainObject, argError, oneOf, dataArg, expectLength, readArg,
  finiteCheck, idCheck,
} from './args.js';
import { CLASS_LOSSES, LAST_LOSSES } from './abi.js';
import { Rng } from './rng.js';

/** Internal: Network's train that waits for its thread pool without blocking (a worker that dies
 *  is noticed); the same as train on one thread. */
export const TRAIN_ASYNC = Symbol('wasm-lstm train, waiting for the pool without blocking');

const FIT_KEYS = ['epochs', 'batch', 'steps', 'sequenceLength', 'lengths', 'shuffle', 'seed', 'validation',
  'callbacks', 'onEpochBegin', 'onEpochEnd', 'onBatchEnd', 'onTrainEnd', 'earlyStopping', 'schedule',
  'timeLimit', 'signal', 'yieldEvery'];
const CALLBACK_KEYS = ['onEpochBegin', 'onEpochEnd', 'onBatchEnd', 'onTrainEnd'];

// Hands control back to the event loop. Node: setImmediate (timers, I/O and the check phase all
// get their turn). Browsers: a task of 'background' priority (scheduler.postTask, where it exists)
// so that input, timers and rendering go first and training takes what is left; else a 0 ms
// timeout (clamped to 4 ms when nested, but it never starves the page's timers, which a
// MessageChannel loop would).
let tick;
export function nextTick() {
  if (!tick) {
    if (typeof setImmediate === 'function') {
      tick = () => new Promise((resolve) => setImmediate(resolve));
    } else if (typeof globalThis.scheduler?.postTask === 'function') {
      tick = () => globalThis.scheduler.postTask(() => {}, { priority: 'background' });
    } else {
      tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return tick();
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// ---- learning-rate schedules (per step s, 0-based, from the base rate lr)

/**
 * A schedule as a function of the step: `{type: 'step', every, factor}` lr·factor^⌊s/every⌋;
 * `{type: 'exp', gamma}` lr·gamma^s; `{type: 'cosine', total, warmup = 0, min = 0}` a linear
 * warm-up over `warmup` steps, then a cosine from lr down to min·lr at step `total`; or a function
 * (step, epoch) → lr.
 */
export function scheduleFunction(what, s) {
  if (s === undefined || s === null) return null;
  if (typeof s === 'function') return s;
  const o = readOptions(what, s, ['type', 'every', 'factor', 'gamma', 'total', 'warmup', 'min']);
  const type = oneOf(`${what}.type`, o.type, ['step', 'exp', 'cosine']);
  const allow = { step: ['type', 'every', 'factor'], exp: ['type', 'gamma'], cosine: ['type', 'total', 'warmup', 'min'] }[type];
  for (const k of Object.keys(o)) {
    if (!allow.includes(k)) throw argError(`${what}: key '${k}' is not for type '${type}' (expected ${allow.join(', ')})`, 'schedule');
  }
  if (type === 'step') {
    const every = intIn(`${what}.every`, o.every, 1, 2 ** 31 - 1), factor = numIn(`${what}.factor`, o.factor, 0, 1, { openLo: true });
    return (step, _e, lr) => lr * factor ** Math.floor(step / every);
  }
  if (type === 'exp') {
    const gamma = numIn(`${what}.gamma`, o.gamma, 0, 1, { openLo: true });
    return (step, _e, lr) => lr * gamma ** step;
  }
  const total = intIn(`${what}.total`, o.total, 1, 2 ** 31 - 1);
  const warmup = intIn(`${what}.warmup`, o.warmup ?? 0, 0, total - 1);
  const min = numIn(`${what}.min`, o.min ?? 0, 0, 1);
  return (step, _e, lr) => {
    if (step < warmup) return (lr * (step + 1)) / (warmup + 1);
    const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
    return lr * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
}

// ---- the dataset

/**
 * The training data as flat batch-first arrays: {N, T, width, tokens, x, y, len (Int32Array N),
 * ragged, yPer (targets per sequence)}. Arrays of sequences are padded to the longest.
 */
function readDataset(what, net, inputs, targets, o) {
  const c = net.config, tokens = c.vocab !== undefined, width = tokens ? 1 : c.input, O = c.output;
  const loss = c.loss, last = LAST_LOSSES.includes(loss), classes = CLASS_LOSSES.includes(loss);
  if (Array.isArray(inputs) && inputs.length > 0 && typeof inputs[0] === 'object' && inputs[0] !== null) {
    return readSequences(what, c, inputs, targets, { tokens, width, O, last, classes });
  }
  const T = intIn(`${what}: sequenceLength`, o.sequenceLength, 1, 1 << 24);
  const xa = dataArg(`${what} inputs`, inputs, tokens ? 'i32' : 'f32', ` of a length that is a multiple of sequenceLength ${T}${tokens ? '' : ` × input ${width}`}`);
  if (xa.n === 0 || xa.n % (T * width) !== 0) {
    throw argError(`${what} inputs: expected a length that is a positive multiple of sequenceLength ${T}${tokens ? '' : ` × input ${width}`}, got ${xa.got}`, 'inputs');
  }
  const N = xa.n / (T * width);
  let len = null;
  if (o.lengths !== undefined) {
    const la = expectLength(dataArg(`${what} lengths`, o.lengths, 'i32', ` of length ${N} (one per sequence)`), N);
    len = readArg(la, idCheck(`${what} lengths`, 1, T + 1, 'lengths', ` (sequenceLength ${T})`));
  }
  const valid = len ? (i) => { const r = (i / width) | 0; return (r % T) < len[(r / T) | 0]; } : null;
  const x = readArg(xa, tokens ? idCheck(`${what} inputs`, 0, c.vocab, 'token ids', ` (vocab ${c.vocab})`, valid) : finiteCheck(`${what} inputs`, valid));
  const yPer = last ? (classes ? 1 : O) : T * (classes ? 1 : O);
  const ya = expectLength(dataArg(`${what} targets`, targets, classes ? 'i32' : 'f32', ` of length ${N * yPer}`), N * yPer);
  const yValid = len && !last ? (i) => { const r = classes ? i : (i / O) | 0; return (r % T) < len[(r / T) | 0]; } : null;
  const y = readArg(ya, classes ? idCheck(`${what} targets`, -1, O, 'class ids', ' (-1 = ignored)', yValid) : finiteCheck(`${what} targets`, yValid));
  return { N, T, width, tokens, x, y, len: len ?? new Int32Array(N).fill(T), ragged: !!len, yPer };
}

// Arrays of per-sequence arrays: each read once, padded with 0 to the longest.
function readSequences(what, c, inputs, targets, { tokens, width, O, last, classes }) {
  const seqs = Array.from(inputs); // one read of the outer array
  const N = seqs.length;
  const ys = Array.isArray(targets) ? Array.from(targets) : null;
  if (!ys || ys.length !== N) {
    throw argError(`${what} targets: expected an array of ${N} targets (one per input sequence), got ${describe(targets)}`, 'targets');
  }
  const xs = seqs.map((s, i) => {
    const a = dataArg(`${what} inputs[${i}]`, s, tokens ? 'i32' : 'f32', tokens ? '' : ` of a length that is a multiple of input ${width}`);
    if (a.n === 0 || a.n % width !== 0) throw argError(`${what} inputs[${i}]: expected a non-empty sequence${tokens ? '' : ` whose length is a multiple of input ${width}`}, got ${a.got}`, 'inputs');
    return readArg(a, tokens ? idCheck(`${what} inputs[${i}]`, 0, c.vocab, 'token ids', ` (vocab ${c.vocab})`) : finiteCheck(`${what} inputs[${i}]`));
  });
  const len = Int32Array.from(xs, (a) => a.length / width);
  const T = len.reduce((m, v) => Math.max(m, v), 0);
  const x = tokens ? new Int32Array(N * T) : new Float32Array(N * T * width);
  xs.forEach((a, i) => x.set(a, i * T * width));
  const yPer = last ? (classes ? 1 : O) : T * (classes ? 1 : O);
  const y = classes ? new Int32Array(N * yPer).fill(-1) : new Float32Array(N * yPer);
  ys.forEach((t, i) => {
    if (last && classes) {
      y[i] = idCheck(`${what} targets[${i}]`, -1, O, 'class ids', ' (-1 = ignored)')(t, 0);
      return;
    }
    const n = last ? O : len[i] * (classes ? 1 : O);
    const a = expectLength(dataArg(`${what} targets[${i}]`, t, classes ? 'i32' : 'f32', ` of length ${n}`), n);
    y.set(readArg(a, classes ? idCheck(`${what} targets[${i}]`, -1, O, 'class ids', ' (-1 = ignored)') : finiteCheck(`${what} targets[${i}]`)), i * yPer);
  });
  return { N, T, width, tokens, x, y, len, ragged: len.some((v) => v !== T), yPer };
}

/** Sequences `idx` of the dataset as one batch: {x, y, lengths}. */
function gather(d, idx) {
  const B = idx.length, per = d.T * d.width;
  const x = new d.x.constructor(B * per), y = new d.y.constructor(B * d.yPer), lengths = new Int32Array(B);
  idx.forEach((s, b) => {
    x.set(d.x.subarray(s * per, (s + 1) * per), b * per);
    y.set(d.y.subarray(s * d.yPer, (s + 1) * d.yPer), b * d.yPer);
    lengths[b] = d.len[s];
  });
  return { x, y, lengths };
}

/** Steps [t0, t0 + n) of a batch (full-length sequences): the chunk's inputs and targets. */
function chunk(d, batch, t0, n) {
  const B = batch.lengths.length, w = d.width, yw = d.yPer / d.T;
  const x = new d.x.constructor(B * n * w), y = new d.y.constructor(B * n * yw);
  for (let b = 0; b < B; b++) {
    x.set(batch.x.subarray((b * d.T + t0) * w, (b * d.T + t0 + n) * w), b * n * w);
    y.set(batch.y.subarray((b * d.T + t0) * yw, (b * d.T + t0 + n) * yw), b * n * yw);
  }
  return { x, y };
}

function subset(d, idx) {
  const g = gather(d, idx);
  return { ...d, N: idx.length, x: g.x, y: g.y, len: g.lengths };
}

// ---- fit

/**
 * Trains `net` on a dataset; see the top of this file and index.d.ts. Resolves with the history;
 * rejects with LstmError ('aborted' when the signal aborts, with `history` on the error) or with
 * the error a callback threw (the network stays usable, at its last completed step).
 */
export async function fit(net, inputs, targets, options) {
  const o = readOptions('fit options', options, FIT_KEYS);
  const c = net.config;
  const epochs = intIn('epochs', o.epochs ?? 1, 1, 2 ** 31 - 1);
  const B = intIn('batch', o.batch ?? 32, 1, 1 << 20);
  const shuffle = bool('shuffle', o.shuffle, true);
  const seed = intIn('seed', o.seed ?? c.seed, 0, 2 ** 32 - 1);
  const yieldEvery = numIn('yieldEvery', o.yieldEvery ?? 16, 0, Infinity);
  const timeLimit = o.timeLimit === undefined ? Infinity : numIn('timeLimit', o.timeLimit, 0, Infinity, { openLo: true });
  const signal = o.signal;
  if (signal !== undefined && !(signal && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw argError(`signal: expected an AbortSignal, got ${describe(signal)}`, 'signal');
  }
  const schedule = scheduleFunction('schedule', o.schedule);
  if (schedule !== null && typeof schedule !== 'function') throw argError('schedule: expected an object or a function', 'schedule');
  const callbacks = readCallbacks(o);
  const early = readEarlyStopping(o.earlyStopping);

  const all = readDataset('fit', net, inputs, targets, o);
  let train = all, val = null;
  const v = o.validation;
  if (typeof v === 'number') {
    numIn('validation', v, 0, 1, { openLo: true, openHi: true });
    const nVal = Math.floor(all.N * v);
    if (nVal < 1 || nVal >= all.N) {
      throw argError(`validation: a fraction ${v} of ${all.N} sequences leaves ${nVal} for validation and ${all.N - nVal} for training: both need at least 1`, 'validation');
    }
    const idx = Array.from({ length: all.N }, (_, i) => i);
    train = subset(all, idx.slice(0, all.N - nVal));
    val = subset(all, idx.slice(all.N - nVal));
  } else if (v !== undefined) {
    if (!isPlainObject(v)) throw argError(`validation: expected a fraction in (0, 1) or {inputs, targets, lengths?}, got ${describe(v)}`, 'validation');
    const vo = readOptions('validation', v, ['inputs', 'targets', 'lengths', 'sequenceLength']);
    val = readDataset('validation', net, vo.inputs, vo.targets, { sequenceLength: vo.sequenceLength ?? all.T, lengths: vo.lengths });
  }
  if (early && early.monitor === 'valLoss' && !val) {
    throw argError("earlyStopping: monitors 'valLoss', but there is no validation data (give validation, or monitor: 'loss')", 'earlyStopping');
  }
  const steps = o.steps === undefined ? train.T : intIn('steps', o.steps, 1, train.T);
  const chunked = steps < train.T;
  if (chunked) {
    if (c.bidirectional) throw argError('steps: truncated BPTT (steps < the sequence length) needs a unidirectional network: a bidirectional one reads each whole sequence', 'steps');
    if (train.ragged || val?.ragged) throw argError('steps: truncated BPTT (steps < the sequence length) needs full-length sequences (no lengths)', 'steps');
    if (LAST_LOSSES.includes(c.loss)) throw argError(`steps: truncated BPTT needs a per-step loss, this network has '${c.loss}'`, 'steps');
  }

  const baseLr = net.trainingConfig.learningRate;
  const rng = new Rng(seed);
  const history = { epoch: [], loss: [], seconds: [], learningRate: [], steps: 0, stopped: 'epochs', bestEpoch: null };
  const classes = CLASS_LOSSES.includes(c.loss);
  if (classes) history.accuracy = [];
  if (val) {
    history.valLoss = [];
    if (classes) history.valAccuracy = [];
  }
  const t0 = now();
  let lastYield = now(), lrSet = Math.fround(baseLr), step = 0, best = null, sinceBest = 0;
  const pause = async () => {
    if (now() - lastYield >= yieldEvery) {
      await nextTick();
      lastYield = now();
    }
    if (signal?.aborted) throw abortError(signal, history);
  };
  const setLr = (epoch) => {
    if (!schedule) return baseLr;
    const lr = Math.max(1e-30, schedule(step, epoch, baseLr));
    if (!(lr > 0 && Number.isFinite(lr))) throw argError(`schedule: returned ${describe(lr)} at step ${step}: expected a positive number`, 'schedule');
    if (Math.fround(lr) !== lrSet) {
      net.setTrainingConfig({ learningRate: lr });
      lrSet = Math.fround(lr);
    }
    return lr;
  };

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      await call(callbacks.onEpochBegin, epoch, {});
      const te = now();
      const order = Array.from({ length: train.N }, (_, i) => i);
      if (shuffle) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      let lossSum = 0, countSum = 0, correctSum = 0, batches = 0, lr = baseLr;
      for (let b0 = 0; b0 < order.length; b0 += B) {
        const batch = gather(train, order.slice(b0, b0 + B));
        const nb = batch.lengths.length;
        let bLoss = 0, bCount = 0, bCorrect = 0;
        const account = (loss) => {
          const m = net.lastMetrics;
          bLoss += loss * m.count, bCount += m.count, bCorrect += m.correct ?? 0;
          step++;
        };
        if (!chunked) {
          lr = setLr(epoch);
          account(await net[TRAIN_ASYNC](batch.x, batch.y, { batch: nb, steps: train.T, lengths: batch.lengths, stateful: false }));
        } else {
          net.resetState('train');
          for (let k = 0; k < train.T; k += steps) {
            const n = Math.min(steps, train.T - k);
            const ch = chunk(train, batch, k, n);
            lr = setLr(epoch);
            account(await net[TRAIN_ASYNC](ch.x, ch.y, { batch: nb, steps: n, stateful: true }));
            if (k + n < train.T) await pause();
          }
        }
        lossSum += bLoss, countSum += bCount, correctSum += bCorrect, batches++;
        history.steps = step;
        await call(callbacks.onBatchEnd, batches - 1, { loss: bCount ? bLoss / bCount : 0, ...(classes && { accuracy: bCount ? bCorrect / bCount : null }), size: nb, step, epoch, learningRate: lr });
        if (now() - t0 >= timeLimit * 1000) break;
        await pause();
      }
      const logs = { loss: countSum ? lossSum / countSum : 0 };
      if (classes) logs.accuracy = countSum ? correctSum / countSum : null;
      if (val) {
        const r = validate(net, val, B, chunked ? steps : val.T);
        logs.valLoss = r.loss;
        if (classes) logs.valAccuracy = r.accuracy;
      }
      logs.seconds = (now() - te) / 1000;
      logs.learningRate = lr;
      history.epoch.push(epoch);
      for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'seconds', 'learningRate']) {
        if (history[k] && k in logs) history[k].push(logs[k]);
      }
      await call(callbacks.onEpochEnd, epoch, logs);
      if (early) {
        const value = early.monitor === 'valLoss' ? logs.valLoss : logs.loss;
        if (best === null || value < best.value - early.minDelta) {
          best = { value, epoch, params: early.restoreBest ? net.parameters() : null };
          sinceBest = 0;
        } else if (++sinceBest > early.patience) {
          history.stopped = 'earlyStopping';
          break;
        }
      }
      if (now() - t0 >= timeLimit * 1000) {
        history.stopped = epoch + 1 < epochs ? 'timeLimit' : history.stopped;
        break;
      }
      await pause();
    }
    if (best) {
      history.bestEpoch = best.epoch;
      if (early.restoreBest && history.stopped === 'earlyStopping') net.setParameters(best.params);
    }
    await call(callbacks.onTrainEnd, history);
    return history;
  } finally {
    if (schedule && Math.fround(baseLr) !== lrSet) {
      try { net.setTrainingConfig({ learningRate: baseLr }); } catch { /* disposed by a callback */ }
    }
  }
}

/** The loss (and accuracy) on the validation set: weighted means over batches, nothing changed. */
function validate(net, d, B, steps) {
  let loss = 0, count = 0, correct = 0;
  const saved = steps < d.T ? net.getState('predict') : null;
  try {
    for (let b0 = 0; b0 < d.N; b0 += B) {
      const idx = Array.from({ length: Math.min(B, d.N - b0) }, (_, i) => b0 + i);
      const batch = gather(d, idx);
      const nb = idx.length;
      const add = (r) => { loss += r.loss * r.count, count += r.count, correct += r.correct ?? 0; };
      if (steps >= d.T) {
        add(net.evaluate(batch.x, batch.y, { batch: nb, steps: d.T, lengths: batch.lengths, stateful: false }));
      } else {
        net.resetState('predict');
        for (let k = 0; k < d.T; k += steps) {
          const n = Math.min(steps, d.T - k);
          const ch = chunk(d, batch, k, n);
          add(net.evaluate(ch.x, ch.y, { batch: nb, steps: n, stateful: true, advance: true }));
        }
      }
    }
  } finally {
    if (saved) {
      if (saved.batch) net.setState('predict', saved);
      else net.resetState('predict');
    }
  }
  return { loss: count ? loss / count : 0, accuracy: count ? correct / count : null };
}

function readCallbacks(o) {
  const lists = Object.fromEntries(CALLBACK_KEYS.map((k) => [k, []]));
  const add = (obj, where) => {
    const cb = readOptions(where, obj, CALLBACK_KEYS);
    for (const k of CALLBACK_KEYS) if (cb[k] !== undefined) lists[k].push(fn(`${where}.${k}`, cb[k]));
  };
  for (const k of CALLBACK_KEYS) if (o[k] !== undefined) lists[k].push(fn(k, o[k]));
  if (o.callbacks !== undefined) {
    if (Array.isArray(o.callbacks)) Array.from(o.callbacks).forEach((cb, i) => add(cb, `callbacks[${i}]`));
    else add(o.callbacks, 'callbacks');
  }
  return lists;
}

async function call(list, ...args) {
  for (const f of list) await f(...args);
}

function readEarlyStopping(v) {
  if (v === undefined || v === false) return null;
  const e = readOptions('earlyStopping', v === true ? {} : v, ['monitor', 'patience', 'minDelta', 'restoreBest']);
  return {
    monitor: oneOf('earlyStopping.monitor', e.monitor ?? 'valLoss', ['valLoss', 'loss']),
    patience: intIn('earlyStopping.patience', e.patience ?? 0, 0, 2 ** 31 - 1),
    minDelta: numIn('earlyStopping.minDelta', e.minDelta ?? 0, 0, Infinity),
    restoreBest: bool('earlyStopping.restoreBest', e.restoreBest, true),
  };
}

function abortError(signal, history) {
  const err = new LstmError('aborted', 'fit: aborted by its signal; the network keeps the steps it completed', { cause: signal.reason });
  history.stopped = 'aborted';
  err.history = history;
  return err;
}
