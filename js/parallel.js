// parallel.js — one Network call split over the thread pool (pool.js): the shares of the batch, what
// each worker is given, and how the results come back together. network.js calls these with a
// context of its instance; everything about threads that is not the pool itself is here.
//
// A call (read once, checked: network.js #read) is { B, T, width, x, y, len, h0, c0, stateful,
// flags }. Share r is the sequences [start, end) (pool.js shares()): its rows of x, y, len and of the
// starting state. The main instance computes share 0 while the workers compute the others.
//
//   train:    each share's gradient with norm = the batch's count (so they sum to the batch's);
//             share 0 in the main instance's work buffer (LSTM_CALL_KEEP), the others added to it in
//             share order; then lstm_apply_work (clipping, the optimizer) — all or nothing.
//   predict:  each share's outputs (B_r, T, O) or (B_r, O): concatenated (batch-first).
//   evaluate: losses (each already over the batch's count) and counts added.
// Stateful calls start each share from its rows of the carried state and put the final states back.

import { CMD, H, ioLayout, shares } from './pool.js';
import { FLAGS, CLASS_LOSSES, LAST_LOSSES, STRUCTS } from './abi.js';
import { S_STRUCT, S_OUT, S_F64 } from './wasm.js';

/** The count the batch's mean loss is over: the norm every share is given. */
function batchCount(config, call) {
  const { B, T, y, len } = call, O = config.output, loss = config.loss;
  const valid = (b, t) => !len || t < len[b];
  if (loss === 'xent-last') {
    let n = 0;
    for (let b = 0; b < B; b++) n += y[b] >= 0;
    return n;
  }
  if (loss === 'xent') {
    let n = 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) n += valid(b, t) && y[b * T + t] >= 0;
    return n;
  }
  if (loss === 'mse-last') return B * O;
  let steps = 0;
  for (let b = 0; b < B; b++) steps += len ? len[b] : T;
  return steps * O;
}

function perSequence(config, call) {
  const O = config.output, T = call.T, loss = config.loss;
  return { x: T * call.width, y: loss === 'xent' ? T : loss === 'xent-last' ? 1 : loss === 'mse' ? T * O : O };
}

/** Rows [s, e) of a (K, B, H) state. */
function stateRows(st, K, B, H, s, e) {
  if (!st) return null;
  const out = new Float32Array(K * (e - s) * H);
  for (let k = 0; k < K; k++) out.set(st.subarray((k * B + s) * H, (k * B + e) * H), k * (e - s) * H);
  return out;
}
function putStateRows(dst, part, K, B, H, s, e) {
  for (let k = 0; k < K; k++) dst.set(part.subarray(k * (e - s) * H, (k + 1) * (e - s) * H), (k * B + s) * H);
}

/** The state (h, c) a stateful call of batch B starts from: copies of the carried one, or null (zeros). */
function carried(ctx, slot, B) {
  const { w, m } = ctx;
  if (w.call('lstm_state_batch', m, slot) !== B) return { h: null, c: null };
  const n = ctx.config.layers * B * ctx.config.hidden, read = (fn) => {
    const p = w.call(fn, m, slot);
    return p ? w.f32.slice(p >> 2, (p >> 2) + n) : null;
  };
  return { h: read('lstm_state_h'), c: ctx.lstm ? read('lstm_state_c') : null };
}

function setCarried(ctx, slot, B, h, c) {
  const { w, m } = ctx;
  if (w.call('lstm_state_batch', m, slot) !== B && w.call('lstm_state_set_batch', m, slot, B) !== 0) return false;
  w.f32.set(h, w.call('lstm_state_h', m, slot) >> 2);
  if (c) w.f32.set(c, w.call('lstm_state_c', m, slot) >> 2);
  return true;
}

/**
 * Writes share `r` (1-based worker r − 1) of `call` into the worker's io buffer: header, x, y,
 * lengths, the starting state; `outLen` outputs expected back.
 */
function writeShare(ctx, call, [s, e], index, common) {
  const { config } = ctx, per = perSequence(config, call), Bs = e - s;
  const K = config.layers * ctx.D, S = K * Bs * config.hidden;
  const xLen = Bs * per.x, yLen = call.y ? Bs * per.y : 0;
  const { offsets, bytes } = ioLayout({ xLen, yLen, B: Bs, S, P: common.grads ? ctx.P : 0, outLen: common.outLen ? common.outLen(Bs) : 0 });
  const io = ctx.pool.io(index, bytes);
  const h = io.i32;
  h.fill(0, 0, 64);
  h[H.B] = Bs, h[H.T] = call.T, h[H.FLAGS] = common.flags;
  h[H.HAS_Y] = call.y ? 1 : 0, h[H.HAS_LEN] = call.len ? 1 : 0;
  h[H.N_X] = xLen, h[H.N_Y] = yLen, h[H.N_S] = S;
  h[H.PARAMS_VERSION] = common.version;
  h.set(common.tc, H.TC);
  h[H.SEED] = common.seed ?? 0, h[H.SEQ_OFFSET] = s;
  h[H.OUT_LEN] = common.outLen ? common.outLen(Bs) : 0;
  h[H.WANT_HN] = common.wantState ? 1 : 0, h[H.WANT_CN] = common.wantState && ctx.lstm ? 1 : 0;
  io.f32[H.NORM_F32] = common.norm ?? 0;
  const put = (word, off, data) => {
    h[word] = off;
    if (data) (data instanceof Int32Array ? io.i32 : io.f32).set(data, off >> 2);
  };
  put(H.X, offsets.x, call.x.subarray(s * per.x, e * per.x));
  put(H.Y, offsets.y, call.y ? call.y.subarray(s * per.y, e * per.y) : null);
  put(H.LEN, offsets.len, call.len ? call.len.subarray(s, e) : null);
  const h0 = stateRows(common.h0, K, call.B, config.hidden, s, e), c0 = stateRows(common.c0, K, call.B, config.hidden, s, e);
  h[H.HAS_H0] = h0 ? 1 : 0, h[H.HAS_C0] = c0 ? 1 : 0;
  put(H.H0, offsets.h0, h0);
  put(H.C0, offsets.c0, c0);
  h[H.GRADS] = offsets.grads, h[H.HN] = offsets.hn, h[H.CN] = offsets.cn, h[H.OUT] = offsets.out;
  return io;
}

/** The training settings as the 9 raw words of lstm_train_config (workers copy them as they are). */
function trainWords(ctx) {
  const { w, m } = ctx, s = w.scratch + S_STRUCT;
  w.call('lstm_get_train_config', m, s);
  return w.i32.slice(s >> 2, (s >> 2) + STRUCTS.lstm_train_config.size / 4);
}

/** Share 0 of `call`, staged in the main instance with `flags` (stateless, from h0/c0). */
function stageShare0(ctx, call, [s, e], flags, extra) {
  const per = perSequence(ctx.config, call), K = ctx.config.layers * ctx.D, H_ = ctx.config.hidden;
  return ctx.stage({
    B: e - s, T: call.T, x: call.x.subarray(s * per.x, e * per.x), y: call.y ? call.y.subarray(s * per.y, e * per.y) : null,
    len: call.len ? call.len.subarray(s, e) : null, h0: stateRows(extra.h0, K, call.B, H_, s, e),
    c0: stateRows(extra.c0, K, call.B, H_, s, e), flags, norm: extra.norm, hn: extra.hn, cn: extra.cn,
    seed: extra.seed ?? 0, seqOffset: s,
  });
}

// Starting states of a call: the carried ones (stateful) or the caller's / zeros.
function startStates(ctx, call, slot) {
  if (call.stateful) return carried(ctx, slot, call.B);
  return { h: call.h0, c: call.c0 };
}

function failure(ctx, ios, what) {
  for (const io of ios) if (io.i32[H.STATUS] !== 0) return ctx.statusError(io.i32[H.STATUS], what);
  return null;
}

/** One data-parallel training step, synchronous (the main thread blocks while the workers run). */
export function parallelTrain(ctx, call, sh) {
  const g = trainSteps(ctx, call, sh);
  let r = g.next();
  while (!r.done) {
    let failed = null;
    try { ctx.pool.waitSync(); } catch (err) { failed = err; }
    r = failed ? g.throw(failed) : g.next();
  }
  return r.value;
}

/** The same without blocking (Atomics.waitAsync): a worker that dies is noticed (fit uses it). */
export async function parallelTrainAsync(ctx, call, sh) {
  const g = trainSteps(ctx, call, sh);
  let r = g.next();
  while (!r.done) {
    let failed = null;
    try { await ctx.pool.waitAsync(); } catch (err) { failed = err; }
    r = failed ? g.throw(failed) : g.next();
  }
  return r.value;
}

// The step, as a generator that yields where it waits for the workers (so one body serves both).
function* trainSteps(ctx, call, sh) {
  const { w, m, pool, config } = ctx;
  const K = config.layers * ctx.D, S = K * call.B * config.hidden;
  const start = startStates(ctx, call, 0);
  const norm = batchCount(config, call);
  const rng0 = [w.call('lstm_rng_get', m, 0), w.call('lstm_rng_get', m, 1)];
  const tc = trainWords(ctx), dropout = new Float32Array(tc.buffer)[8] > 0; // lstm_train_config.dropout
  // one seed for the step's dropout masks, drawn when one thread would draw it
  const seed = dropout ? w.call('lstm_rng_next', m) : 0, seedFlag = dropout ? FLAGS.seed | FLAGS.dropout : 0;
  try {
    const version = pool.setParams(ctx.params(), ctx.version());
    const common = { flags: FLAGS.stateless | seedFlag, version, tc, norm, grads: true, wantState: call.stateful,
      h0: start.h, c0: start.c, seed };
    const ios = sh.slice(1).map((r, i) => writeShare(ctx, call, r, i, common));
    pool.start(CMD.GRAD);
    // share 0 here, meanwhile: its gradient stays in the work buffer
    let st0 = 0, err0 = null, hn = 0, cn = 0;
    try { // the workers are running: wait for them whatever happens here
      hn = call.stateful ? w.slot('hn0', 4 * S) : 0, cn = call.stateful && ctx.lstm ? w.slot('cn0', 4 * S) : 0;
      const ptr = stageShare0(ctx, call, sh[0], FLAGS.stateless | FLAGS.keep | seedFlag, { h0: start.h, c0: start.c, norm, hn, cn, seed });
      st0 = w.call('lstm_gradients', m, ptr, w.scratch + S_OUT);
    } catch (err) {
      err0 = err;
    }
    yield 'wait';
    if (err0) throw err0;
    if (st0 !== 0) throw ctx.statusError(st0, 'train');
    const bad = failure(ctx, ios, 'train');
    if (bad) throw bad;
    let loss = w.f32[(w.scratch + S_OUT) >> 2];
    w.call('lstm_last_metrics', m, w.scratch + S_F64);
    let counted = w.f64[((w.scratch + S_F64) >> 3) + 2], correct = w.f64[((w.scratch + S_F64) >> 3) + 3];
    // the gradient: share 0's, then each worker's, added in share order
    const work = w.call('lstm_work', m) >> 2, f32 = w.f32, P = ctx.P;
    for (const io of ios) {
      const g = io.f32, at = io.i32[H.GRADS] >> 2;
      for (let i = 0; i < P; i++) f32[work + i] += g[at + i];
      loss += io.f64[H.RESULT_F64], counted += io.f64[H.RESULT_F64 + 1], correct += io.f64[H.RESULT_F64 + 2];
    }
    const st = w.call('lstm_apply_work', m, counted, correct);
    if (st !== 0) throw ctx.statusError(st, 'train');
    ctx.bump();
    if (call.stateful) {
      const hAll = new Float32Array(S), cAll = ctx.lstm ? new Float32Array(S) : null;
      const Bs0 = sh[0][1] - sh[0][0], S0 = K * Bs0 * config.hidden;
      putStateRows(hAll, w.f32.subarray(hn >> 2, (hn >> 2) + S0), K, call.B, config.hidden, ...sh[0]);
      if (cAll) putStateRows(cAll, w.f32.subarray(cn >> 2, (cn >> 2) + S0), K, call.B, config.hidden, ...sh[0]);
      ios.forEach((io, i) => {
        const [s, e] = sh[i + 1], n = K * (e - s) * config.hidden;
        putStateRows(hAll, io.f32.subarray(io.i32[H.HN] >> 2, (io.i32[H.HN] >> 2) + n), K, call.B, config.hidden, s, e);
        if (cAll) putStateRows(cAll, io.f32.subarray(io.i32[H.CN] >> 2, (io.i32[H.CN] >> 2) + n), K, call.B, config.hidden, s, e);
      });
      setCarried(ctx, 0, call.B, hAll, cAll);
    }
    return loss;
  } catch (err) {
    w.call('lstm_rng_set', m, rng0[0], rng0[1]); // a failed step changes nothing
    throw err;
  }
}

/**
 * Data-parallel predict: the outputs (B, T, O) or (B, O) and the final states (for returnState and
 * the carried predict state).
 */
export function parallelPredict(ctx, call, sh, { lastOnly, wantState }) {
  const { w, m, pool, config } = ctx;
  const K = config.layers * ctx.D, S = K * call.B * config.hidden, O = config.output;
  const start = startStates(ctx, call, 1);
  const needState = wantState || call.stateful;
  const outLen = (Bs) => (lastOnly ? Bs : Bs * call.T) * O;
  const version = pool.setParams(ctx.params(), ctx.version());
  const common = { flags: FLAGS.stateless | (call.flags & (FLAGS.softmax | FLAGS.lastOnly)), version, tc: trainWords(ctx),
    outLen, wantState: needState, h0: start.h, c0: start.c };
  const ios = sh.slice(1).map((r, i) => writeShare(ctx, call, r, i, common));
  pool.start(CMD.PREDICT);
  const Bs0 = sh[0][1] - sh[0][0], n0 = outLen(Bs0), S0 = K * Bs0 * config.hidden;
  let st0 = 0, err0 = null, out = 0, hn = 0, cn = 0;
  try { // the workers are running: wait for them whatever happens here
    out = w.slot('out', 4 * n0), hn = needState ? w.slot('hn0', 4 * S0) : 0, cn = needState && ctx.lstm ? w.slot('cn0', 4 * S0) : 0;
    const ptr = stageShare0(ctx, call, sh[0], common.flags, { h0: start.h, c0: start.c });
    st0 = w.call('lstm_predict', m, ptr, out, hn, cn);
  } catch (err) {
    err0 = err;
  }
  pool.waitSync();
  if (err0) throw err0;
  if (st0 !== 0) throw ctx.statusError(st0, 'predict');
  const bad = failure(ctx, ios, 'predict');
  if (bad) throw bad;
  const outputs = new Float32Array(outLen(call.B));
  outputs.set(w.f32.subarray(out >> 2, (out >> 2) + n0), 0);
  const hAll = needState ? new Float32Array(S) : null, cAll = needState && ctx.lstm ? new Float32Array(S) : null;
  if (hAll) putStateRows(hAll, w.f32.subarray(hn >> 2, (hn >> 2) + S0), K, call.B, config.hidden, ...sh[0]);
  if (cAll) putStateRows(cAll, w.f32.subarray(cn >> 2, (cn >> 2) + S0), K, call.B, config.hidden, ...sh[0]);
  ios.forEach((io, i) => {
    const [s, e] = sh[i + 1], Bs = e - s, n = K * Bs * config.hidden;
    outputs.set(io.f32.subarray(io.i32[H.OUT] >> 2, (io.i32[H.OUT] >> 2) + outLen(Bs)), outLen(s));
    if (hAll) putStateRows(hAll, io.f32.subarray(io.i32[H.HN] >> 2, (io.i32[H.HN] >> 2) + n), K, call.B, config.hidden, s, e);
    if (cAll) putStateRows(cAll, io.f32.subarray(io.i32[H.CN] >> 2, (io.i32[H.CN] >> 2) + n), K, call.B, config.hidden, s, e);
  });
  if (call.stateful && !setCarried(ctx, 1, call.B, hAll, cAll)) throw ctx.statusError(2, 'predict');
  return { outputs, h: hAll, c: cAll };
}

/** Data-parallel evaluate: { loss, count, correct }. */
export function parallelEvaluate(ctx, call, sh) {
  const { w, m, pool, config } = ctx;
  const norm = batchCount(config, call);
  const start = startStates(ctx, call, 1);
  const version = pool.setParams(ctx.params(), ctx.version());
  const common = { flags: FLAGS.stateless, version, tc: trainWords(ctx), norm, h0: start.h, c0: start.c };
  const ios = sh.slice(1).map((r, i) => writeShare(ctx, call, r, i, common));
  pool.start(CMD.EVAL);
  let st0 = 0, err0 = null;
  try { // the workers are running: wait for them whatever happens here
    const ptr = stageShare0(ctx, call, sh[0], FLAGS.stateless, { h0: start.h, c0: start.c, norm });
    st0 = w.call('lstm_evaluate', m, ptr, w.scratch + S_F64);
  } catch (err) {
    err0 = err;
  }
  pool.waitSync();
  if (err0) throw err0;
  if (st0 !== 0) throw ctx.statusError(st0, 'evaluate');
  const bad = failure(ctx, ios, 'evaluate');
  if (bad) throw bad;
  const f = (w.scratch + S_F64) >> 3;
  let loss = w.f64[f], count = w.f64[f + 1], correct = w.f64[f + 2];
  for (const io of ios) loss += io.f64[H.RESULT_F64], count += io.f64[H.RESULT_F64 + 1], correct += io.f64[H.RESULT_F64 + 2];
  return { loss, count, correct };
}

/** Whether a call is worth splitting: enough sequences and enough arithmetic per share. */
export function worthSplitting(ctx, call, minFlops) {
  if (!ctx.pool) return null;
  ctx.pool.tellBroken(); // a worker died since the last call: this call says so, later ones run on one thread
  if (ctx.pool.broken || call.B < 2) return null;
  const sh = shares(call.B, ctx.pool.size, call.len, call.T);
  if (sh.length < 2) return null;
  const c = ctx.config, G = { lstm: 4, gru: 3, rnn: 1 }[c.cell], Hh = c.hidden, D = ctx.D;
  let rows = 0;
  for (let b = 0; b < call.B; b++) rows += call.len ? call.len[b] : call.T;
  const flops = 2 * rows * D * G * Hh * (Hh * (2 * c.layers - 1) + (c.input ?? 0)) / sh.length;
  return flops >= minFlops ? sh : null;
}

export { CLASS_LOSSES, LAST_LOSSES };
