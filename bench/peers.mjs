// The peers' side of the benchmark: TF.js 4.22 (wasm and cpu backends) and brain.js 2.0.0-beta.24
// on the same char-LM workloads as ours, one thread, each (peer, workload) in its own child process
// so that its peak RSS is its own.
//
//   node bench/peers.mjs [--quick] [--markdown] [--peers id,id] [--workloads "train gru H128 B1 L1; ..."]
//   prints a table and writes bench/results/peers.json
//
// Method, FLOP formula and the pitfalls met here: bench/README.md.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { flopsPerChar } from './flops.mjs';
import {
  DEFAULT_WORKLOADS, fmt, formatTable, machineInfo, measure, parseWorkload, runInChild, syntheticTokens, workloadChars,
  workloadLabel, workloadLengths, writeJSON,
} from './util.mjs';

const require = createRequire(import.meta.url);

/** Peer ids and what they are. */
export const PEERS = {
  'tfjs-wasm': 'TF.js 4.22 wasm (SIMD, 1 thread), hand-written ops + Adam',
  'tfjs-wasm-layers': 'TF.js 4.22 wasm, tf.layers: model.trainOnBatch / layer.apply with carried state',
  'tfjs-cpu': 'TF.js 4.22 cpu backend, hand-written ops + Adam',
  'brainjs': 'brain.js 2.0.0-beta.24 recurrent.LSTM/GRU/RNN (batch 1, RMSProp)',
};

/** The slow reference peers run only the lstm H=128 L=1 workloads in --quick mode (to stay under ~2 minutes). */
const QUICK_REFERENCE_ONLY = new Set(['tfjs-wasm-layers', 'tfjs-cpu']);

/** Timing budget per (peer, workload): warm-up steps, then timed steps. */
function budget(quick) {
  return quick
    ? { warmup: 1, warmupSeconds: 1, minReps: 1, minSeconds: 1, maxSeconds: 30 }
    : { warmup: 1, warmupSeconds: 3, minReps: 3, minSeconds: 4, maxSeconds: 30 };
}

/**
 * Why `peer` cannot (or, in quick mode, does not) run workload `w`; null if it runs it.
 * @param {string} peer
 * @param {import('./util.mjs').Workload} w
 * @param {boolean} quick
 * @returns {string|null}
 */
export function notRunReason(peer, w, quick) {
  if (peer === 'brainjs' && (w.bi || w.kind === 'classify')) return 'no bidirectional layers or classifier';
  if (peer === 'brainjs' && w.kind === 'train' && w.B !== 1) return 'batch 1 only (one sequence per update)';
  if (quick && peer === 'tfjs-cpu' && (w.bi || w.kind === 'classify')) return 'skipped in --quick';
  if (quick && QUICK_REFERENCE_ONLY.has(peer) && !(w.cell === 'lstm' && w.H === 128 && w.L === 1)) return 'skipped in --quick';
  return null;
}

// ---------------------------------------------------------------------------------------------
// TF.js

const GATES = { lstm: 4, gru: 3, rnn: 1 };

/** Loads the TF.js umbrella package (core alone fails in Node) and selects a single-threaded backend. */
async function loadTf(backend) {
  const tf = require('@tensorflow/tfjs');
  const info = { tfjs: tf.version.tfjs, backend };
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1); // Node gets the non-threaded build anyway (WASM_HAS_MULTITHREAD_SUPPORT is false)
    await tf.setBackend('wasm');
    await tf.ready();
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.threads = wasm.getThreadsCount();
  } else {
    await tf.setBackend(backend);
    await tf.ready();
  }
  if (tf.getBackend() !== backend) throw new Error(`TF.js backend is ${tf.getBackend()}, wanted ${backend}`);
  return { tf, info };
}

/** Weights of a hand-written L-layer recurrent char LM: per layer Wx [in, G H], Wh [H, G H], b [G H]; head Wy [H, V], by [V]. */
function tfWeights(tf, { cell, V, H, L }) {
  const G = GATES[cell];
  const uniform = (shape, fanIn) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  const layers = [];
  for (let l = 0; l < L; l++) {
    const inDim = l === 0 ? V : H;
    layers.push({ Wx: uniform([inDim, G * H], inDim), Wh: uniform([H, G * H], H), b: tf.variable(tf.zeros([G * H])) });
  }
  return { layers, Wy: uniform([H, V], H), by: tf.variable(tf.zeros([V])) };
}

/**
 * One time step of a cell. `xp` = input projection + bias [B, G H]; `s` = {h, c}. Returns the new {h, c}.
 * Gate order along G H: lstm i, f, o, g (one sigmoid over 3H); gru z, r, n (PyTorch's n = tanh(xn + r * (W_hn h))).
 */
function tfCellStep(tf, cell, xp, Wh, s, H) {
  const hw = tf.matMul(s.h, Wh);
  if (cell === 'rnn') return { h: tf.tanh(tf.add(xp, hw)) };
  if (cell === 'gru') {
    const zr = tf.sigmoid(tf.add(tf.slice(xp, [0, 0], [-1, 2 * H]), tf.slice(hw, [0, 0], [-1, 2 * H])));
    const [z, r] = tf.split(zr, 2, 1);
    const n = tf.tanh(tf.add(tf.slice(xp, [0, 2 * H], [-1, H]), tf.mul(r, tf.slice(hw, [0, 2 * H], [-1, H]))));
    return { h: tf.add(n, tf.mul(z, tf.sub(s.h, n))) }; // (1 - z) n + z h
  }
  const zs = tf.add(xp, hw);
  const [i, f, o] = tf.split(tf.sigmoid(tf.slice(zs, [0, 0], [-1, 3 * H])), 3, 1);
  const g = tf.tanh(tf.slice(zs, [0, 3 * H], [-1, H]));
  const c = tf.add(tf.mul(f, s.c), tf.mul(i, g));
  return { h: tf.mul(o, tf.tanh(c)), c };
}

function tfZeroState(tf, { cell, H, L }, B) {
  return Array.from({ length: L }, () => (cell === 'lstm' ? { h: tf.zeros([B, H]), c: tf.zeros([B, H]) } : { h: tf.zeros([B, H]) }));
}

function tfKeepState(tf, state) {
  for (const s of state) for (const t of Object.values(s)) tf.keep(t);
}

function tfDisposeState(state) {
  for (const s of state) for (const t of Object.values(s)) t.dispose();
}

/**
 * Time-major batches of a synthetic token stream: inputs[t * B + b] and the next-char targets.
 * @returns {Array<{x: Int32Array, y: Int32Array}>}
 */
function batches({ V, T }, B, count) {
  const tokens = syntheticTokens(count * B * T + 1, V, 7);
  const out = [];
  for (let k = 0; k < count; k++) {
    const x = new Int32Array(T * B);
    const y = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const off = (k * B + b) * T;
      for (let t = 0; t < T; t++) {
        x[t * B + b] = tokens[off + t];
        y[t * B + b] = tokens[off + t + 1];
      }
    }
    out.push({ x, y });
  }
  return out;
}

/**
 * Fastest training step found with TF.js ops: truncated BPTT over T steps with carried (detached)
 * state, Adam, softmax cross-entropy. The input projection of a whole sequence is one matmul
 * before the time loop (layer 0: one-hot @ Wx; tf.gather would be cheaper forward, but its gradient
 * (UnsortedSegmentSum) is missing on wasm and 4.5x slower on cpu), so each time step is one
 * matmul plus the gate ops.
 * @returns {() => number} one step on B sequences; returns the chars it trained on
 */
function tfTrainStep(tf, w) {
  const { cell, V, T, H, B } = w;
  const W = tfWeights(tf, w);
  const vars = [...W.layers.flatMap((p) => [p.Wx, p.Wh, p.b]), W.Wy, W.by];
  const optimizer = tf.train.adam(2e-3);
  const data = batches(w, B, 8);
  let state = tfZeroState(tf, w, B);
  let k = 0;
  return () => {
    const { x, y } = data[k++ % data.length];
    const xs = tf.tensor1d(x, 'int32');
    const ys = tf.tensor1d(y, 'int32');
    let next;
    const cost = optimizer.minimize(() => {
      let seq = tf.cast(tf.oneHot(xs, V), 'float32'); // [T B, in]
      next = [];
      W.layers.forEach((p, l) => {
        const xp = tf.split(tf.add(tf.matMul(seq, p.Wx), p.b), T, 0);
        let s = state[l];
        const hs = [];
        for (let t = 0; t < T; t++) {
          s = tfCellStep(tf, cell, xp[t], p.Wh, s, H);
          hs.push(s.h);
        }
        next.push(s);
        seq = tf.concat(hs, 0);
      });
      tfKeepState(tf, next);
      const logits = tf.add(tf.matMul(seq, W.Wy), W.by);
      return tf.losses.softmaxCrossEntropy(tf.cast(tf.oneHot(ys, V), 'float32'), logits);
    }, true, vars);
    const loss = cost.dataSync()[0];
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    cost.dispose();
    xs.dispose();
    ys.dispose();
    tfDisposeState(state);
    state = next;
    return B * T;
  };
}

/**
 * Bidirectional training with TF.js ops, by the same method as tfTrainStep: per layer and
 * direction one input-projection matmul, then the time loop; the reverse direction walks
 * t = T−1 … 0, and the two directions' h are concatenated (2H) into the next layer and the head.
 * No state is carried between batches (the reverse direction reads the future). With lengths
 * (a classifier's padded batch) padded steps are masked as tf.layers masks them: h and c keep their
 * value where the mask is 0, so the forward state at T−1 is the one at the last valid step and the
 * reverse state stays zero until it. 'classify': softmax cross-entropy of one class per sequence
 * from [forward h at its last valid step | reverse h at step 0].
 * @returns {() => number} one step on B sequences; returns the valid steps it trained on
 */
function tfBiTrainStep(tf, w) {
  const { cell, V, T, H, B, L } = w;
  const classify = w.kind === 'classify';
  const O = classify ? w.O : V;
  const G = GATES[cell];
  const uniform = (shape, fanIn) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
  const layers = [];
  for (let l = 0; l < L; l++) {
    const inDim = l === 0 ? V : 2 * H;
    layers.push([0, 1].map(() => ({ Wx: uniform([inDim, G * H], inDim), Wh: uniform([H, G * H], H), b: tf.variable(tf.zeros([G * H])) })));
  }
  const Wy = uniform([2 * H, O], 2 * H), by = tf.variable(tf.zeros([O]));
  const vars = [...layers.flat().flatMap((p) => [p.Wx, p.Wh, p.b]), Wy, by];
  const optimizer = tf.train.adam(2e-3);
  const data = batches(w, B, 8);
  const lengths = workloadLengths(w);
  // masks[t]: [B, 1], 1 where step t is valid
  const masks = lengths && Array.from({ length: T }, (_, t) => tf.keep(tf.tensor2d(Float32Array.from(lengths, (n) => (t < n ? 1 : 0)), [B, 1])));
  const labels = classify && data.map(({ y }) => Int32Array.from({ length: B }, (_, b) => y[b] % O));
  const chars = workloadChars(w);
  const zeros = () => (cell === 'lstm' ? { h: tf.zeros([B, H]), c: tf.zeros([B, H]) } : { h: tf.zeros([B, H]) });
  const hold = (m, next, prev) => Object.fromEntries(Object.keys(next).map((k) => [k, tf.add(prev[k], tf.mul(m, tf.sub(next[k], prev[k])))]));
  let k = 0;
  return () => {
    const j = k++ % data.length;
    const xs = tf.tensor1d(data[j].x, 'int32');
    const ys = tf.tensor1d(classify ? labels[j] : data[j].y, 'int32');
    const cost = optimizer.minimize(() => {
      let seq = tf.cast(tf.oneHot(xs, V), 'float32'); // [T B, in]
      let last;
      for (const dirs of layers) {
        const outs = [], finals = [];
        dirs.forEach((p, d) => {
          const xp = tf.split(tf.add(tf.matMul(seq, p.Wx), p.b), T, 0);
          const hs = new Array(T);
          let s = zeros();
          for (let i = 0; i < T; i++) {
            const t = d === 0 ? i : T - 1 - i;
            const n = tfCellStep(tf, cell, xp[t], p.Wh, s, H);
            s = masks ? hold(masks[t], n, s) : n;
            hs[t] = s.h;
          }
          outs.push(tf.concat(hs, 0));
          finals.push(s.h);
        });
        seq = tf.concat(outs, 1); // [T B, 2H]
        last = tf.concat(finals, 1); // [B, 2H]
      }
      const feat = classify ? last : seq;
      const logits = tf.add(tf.matMul(feat, Wy), by);
      return tf.losses.softmaxCrossEntropy(tf.cast(tf.oneHot(ys, O), 'float32'), logits);
    }, true, vars);
    const loss = cost.dataSync()[0];
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    cost.dispose();
    xs.dispose();
    ys.dispose();
    return chars;
  };
}

/** Draws an index from probabilities `p` (need not sum to 1) with a seeded LCG; returns [index, new seed]. */
function draw(p, seed) {
  const u = (seed * 16807) % 2147483647;
  let r = (u / 2147483647) * p.reduce((a, b) => a + b, 0);
  let i = 0;
  while (i < p.length - 1 && (r -= p[i]) > 0) i++;
  return [i, u];
}

/**
 * Stateful sampling with TF.js ops: keeps h (and c) tensors, feeds one char at a time (row gather
 * of Wx for layer 0), reads the softmax and draws the next char in JS (faster than tf.multinomial).
 * One call = `n` chars.
 */
function tfSampleStep(tf, w, n) {
  const { cell, H } = w;
  const W = tfWeights(tf, w);
  let state = tfZeroState(tf, w, 1);
  let idx = 0;
  let seed = 1;
  return () => {
    for (let j = 0; j < n; j++) {
      let next;
      const probs = tf.tidy(() => {
        let x = null;
        next = W.layers.map((p, l) => {
          const xp = l === 0 ? tf.gather(p.Wx, tf.tensor1d([idx], 'int32')) : tf.matMul(x, p.Wx);
          const s = tfCellStep(tf, cell, tf.add(xp, p.b), p.Wh, state[l], H);
          x = s.h;
          return s;
        });
        tfKeepState(tf, next);
        return tf.softmax(tf.add(tf.matMul(x, W.Wy), W.by));
      });
      [idx, seed] = draw(probs.dataSync(), seed);
      probs.dispose();
      tfDisposeState(state);
      state = next;
    }
    return n;
  };
}

/** A tf.layers model as a typical user writes it (one-hot input, like the TF.js text-generation example). */
function tfLayersModel(tf, { cell, V, H, L }, inputShape) {
  const layer = { lstm: tf.layers.lstm, gru: tf.layers.gru, rnn: tf.layers.simpleRNN }[cell];
  const model = tf.sequential();
  for (let l = 0; l < L; l++) {
    model.add(layer({
      units: H,
      returnSequences: true,
      ...(cell === 'rnn' ? {} : { recurrentActivation: 'sigmoid' }), // default hardSigmoid is not the usual cell
      recurrentInitializer: 'glorotUniform', // default orthogonal takes 24-199 s to initialize
      ...(l === 0 ? { inputShape } : {}),
    }));
  }
  model.add(tf.layers.dense({ units: V, activation: 'softmax' }));
  return model;
}

/** tf.layers training: model.trainOnBatch on one-hot [B, T, V] inputs, Adam, categorical cross-entropy. */
function tfLayersTrainStep(tf, w) {
  const { V, T, B } = w;
  const model = tfLayersModel(tf, w, [T, V]);
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' });
  // batch-major here: reuse the time-major batches transposed
  const data = batches(w, B, 8).map(({ x, y }) => {
    const xb = new Int32Array(B * T);
    const yb = new Int32Array(B * T);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) { xb[b * T + t] = x[t * B + b]; yb[b * T + t] = y[t * B + b]; }
    return { x: xb, y: yb };
  });
  let k = 0;
  return async () => {
    const { x, y } = data[k++ % data.length];
    const [xs, ys] = tf.tidy(() => [
      tf.cast(tf.oneHot(tf.tensor2d(x, [B, T], 'int32'), V), 'float32'),
      tf.cast(tf.oneHot(tf.tensor2d(y, [B, T], 'int32'), V), 'float32'),
    ]);
    const loss = await model.trainOnBatch(xs, ys);
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    xs.dispose();
    ys.dispose();
    return B * T;
  };
}

/**
 * tf.layers bidirectional training as a user writes it: one-hot [B, T, V] input, a Masking layer
 * when sequences are padded (padded steps are all-zero rows), tf.layers.bidirectional (merge mode
 * concat) over the recurrent layer, a softmax Dense head at every step (LM) or once per sequence
 * (classify: the last layer returns its final states), Adam, categorical cross-entropy, trainOnBatch.
 */
function tfLayersBiTrainStep(tf, w) {
  const { cell, V, T, H, B, L } = w;
  const classify = w.kind === 'classify';
  const O = classify ? w.O : V;
  const layer = { lstm: tf.layers.lstm, gru: tf.layers.gru, rnn: tf.layers.simpleRNN }[cell];
  const lengths = workloadLengths(w);
  const model = tf.sequential();
  if (lengths) model.add(tf.layers.masking({ maskValue: 0, inputShape: [T, V] }));
  for (let l = 0; l < L; l++) {
    model.add(tf.layers.bidirectional({
      layer: layer({
        units: H,
        returnSequences: !classify || l < L - 1,
        ...(cell === 'rnn' ? {} : { recurrentActivation: 'sigmoid' }),
        recurrentInitializer: 'glorotUniform',
      }),
      mergeMode: 'concat',
      ...(l === 0 && !lengths ? { inputShape: [T, V] } : {}),
    }));
  }
  model.add(tf.layers.dense({ units: O, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' });
  const chars = workloadChars(w);
  // batch-major one-hot inputs (zero rows at padded steps) and one-hot targets, made once
  const data = batches(w, B, 8).map(({ x, y }) => {
    const xb = new Float32Array(B * T * V);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < (lengths ? lengths[b] : T); t++) xb[(b * T + t) * V + x[t * B + b]] = 1;
    }
    const yb = classify ? new Float32Array(B * O) : new Float32Array(B * T * V);
    if (classify) for (let b = 0; b < B; b++) yb[b * O + (y[b] % O)] = 1;
    else for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) yb[(b * T + t) * V + y[t * B + b]] = 1;
    return { xs: tf.keep(tf.tensor3d(xb, [B, T, V])), ys: tf.keep(classify ? tf.tensor2d(yb, [B, O]) : tf.tensor3d(yb, [B, T, V])) };
  });
  let k = 0;
  return async () => {
    const { xs, ys } = data[k++ % data.length];
    const loss = await model.trainOnBatch(xs, ys);
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    return chars;
  };
}

/**
 * tf.layers sampling, the fastest correct way found: the recurrent layers applied eagerly to one
 * char with `initialState` and `returnState`, carrying the state tensors ourselves. (A stateful model
 * with batchInputShape [1, 1, V] and model.predict() per char is ~4x slower: it reassigns state
 * variables on every call; a stateless one-step predict is fast but forgets the context.)
 */
function tfLayersSampleStep(tf, { cell, V, H, L }, n) {
  const layer = { lstm: tf.layers.lstm, gru: tf.layers.gru, rnn: tf.layers.simpleRNN }[cell];
  const rnns = Array.from({ length: L }, () => layer({
    units: H,
    returnState: true,
    ...(cell === 'rnn' ? {} : { recurrentActivation: 'sigmoid' }),
    recurrentInitializer: 'glorotUniform',
  }));
  const head = tf.layers.dense({ units: V, activation: 'softmax' });
  let state = rnns.map(() => Array.from({ length: cell === 'lstm' ? 2 : 1 }, () => tf.zeros([1, H])));
  let idx = 0;
  let seed = 1;
  return () => {
    for (let j = 0; j < n; j++) {
      const next = [];
      const probs = tf.tidy(() => {
        let x = tf.cast(tf.oneHot(tf.tensor2d([[idx]], [1, 1], 'int32'), V), 'float32'); // [1, 1, V]
        let out;
        rnns.forEach((rnn, l) => {
          const [o, ...s] = rnn.apply(x, { initialState: state[l] });
          next.push(s.map((t) => tf.keep(t)));
          out = o; // [1, H]
          x = tf.expandDims(o, 1);
        });
        return head.apply(out);
      });
      [idx, seed] = draw(probs.dataSync(), seed);
      probs.dispose();
      for (const s of state) for (const t of s) t.dispose();
      state = next;
    }
    return n;
  };
}

// ---------------------------------------------------------------------------------------------
// brain.js

/**
 * brain.js's self-contained bundle: dist/index.js requires its peer gpu.js, whose native `gl`
 * dependency does not install here; dist/browser.js has gpu.js's browser build inlined and the
 * recurrent nets are the same code (pure JS on the CPU).
 */
function loadBrain() {
  return require('brain.js/dist/browser.js');
}

/** V distinct printable chars, and `count` strings of length T over them (the first ones cover all V). */
function brainStrings({ V, T }, count) {
  const alphabet = Array.from({ length: V }, (_, i) => String.fromCharCode(33 + i));
  const tokens = syntheticTokens(count * T, V, 11);
  for (let i = 0; i < V; i++) tokens[i] = i;
  return Array.from({ length: count }, (_, k) => Array.from(tokens.subarray(k * T, (k + 1) * T), (t) => alphabet[t]).join(''));
}

function brainNet(brain, { cell, H, L }) {
  const Net = { lstm: brain.recurrent.LSTM, gru: brain.recurrent.GRU, rnn: brain.recurrent.RNN }[cell];
  return new Net({ hiddenLayers: Array(L).fill(H) });
}

/** brain.js training: one train() iteration over `count` strings of T chars (one update per string). */
function brainTrainStep(brain, w, count) {
  const net = brainNet(brain, w);
  const strings = brainStrings(w, count);
  return () => {
    const { error } = net.train(strings, { iterations: 1, errorThresh: 0, log: false });
    if (!Number.isFinite(error)) throw new Error(`brain.js training error is ${error}`);
    return count * w.T;
  };
}

/** brain.js generation: net.run('', true) samples until END or maxPredictionLength (100); a call makes >= 200 chars. */
function brainSampleStep(brain, w) {
  const net = brainNet(brain, w);
  net.train(brainStrings(w, 2), { iterations: 1, errorThresh: 0, log: false }); // sets up vocabulary and model
  return () => {
    let chars = 0;
    while (chars < 200) chars += net.run('', true).length + 1; // + the END token it also computed
    return chars;
  };
}

// ---------------------------------------------------------------------------------------------
// One (peer, workload), in a child process

/**
 * Measures one peer on one workload in this process (runPeers calls it in a child process).
 * @param {{peer: string, workload: import('./util.mjs').Workload, quick?: boolean}} arg
 * @returns {Promise<{charsPerSec: number, charsPerCpuSec: number, steps: number, seconds: number, cpuSeconds: number, chars: number, info: object}>}
 *   charsPerSec from the median step wall time; charsPerCpuSec from process CPU time (see util.measure)
 */
export async function runPeerWorkload({ peer, workload: w, quick = false }) {
  let step; // returns the characters it processed
  let info;
  if (peer.startsWith('tfjs-')) {
    const loaded = await loadTf(peer === 'tfjs-cpu' ? 'cpu' : 'wasm');
    const { tf } = loaded;
    info = loaded.info;
    const layers = peer.endsWith('-layers');
    if (w.bi || w.kind === 'classify') step = layers ? tfLayersBiTrainStep(tf, w) : tfBiTrainStep(tf, w);
    else if (w.kind === 'train') step = layers ? tfLayersTrainStep(tf, w) : tfTrainStep(tf, w);
    else step = layers ? tfLayersSampleStep(tf, w, 100) : tfSampleStep(tf, w, 100);
  } else if (peer === 'brainjs') {
    const brain = loadBrain();
    info = { brain: '2.0.0-beta.24 (dist/browser.js)' };
    step = w.kind === 'train' ? brainTrainStep(brain, w, 8) : brainSampleStep(brain, w);
  } else {
    throw new Error(`unknown peer '${peer}' (${Object.keys(PEERS).join(', ')})`);
  }
  const t = await measure(step, budget(quick));
  // median step time: robust to the odd step slowed by another process on a shared machine
  return {
    charsPerSec: t.units / t.reps / t.median,
    charsPerCpuSec: t.units / t.cpuSeconds,
    steps: t.reps,
    seconds: t.seconds,
    cpuSeconds: t.cpuSeconds,
    chars: t.units,
    info,
  };
}

// ---------------------------------------------------------------------------------------------
// All peers, side by side

/**
 * Runs every peer on every workload, one child process at a time.
 * @param {{quick?: boolean, workloads?: import('./util.mjs').Workload[], peers?: string[], log?: (s: string) => void}} [opts]
 * @returns {Promise<{meta: object, peers: object, workloads: object[], results: object[]}>}
 *   results[i] = {peer, workload (label), charsPerSec, charsPerCpuSec, gflops, peakRssMB, steps, seconds, cpuSeconds, chars, info}
 *   or {peer, workload, na}; gflops from charsPerSec and flopsPerChar
 */
export async function runPeers({ quick = false, workloads = DEFAULT_WORKLOADS, peers = Object.keys(PEERS), log = () => {} } = {}) {
  const results = [];
  for (const w of workloads) {
    const label = workloadLabel(w);
    const fpc = flopsPerChar({ ...w, mode: w.kind });
    for (const peer of peers) {
      const na = notRunReason(peer, w, quick);
      if (na) {
        results.push({ peer, workload: label, na });
        continue;
      }
      try {
        const { result: r, peakRssMB } = await runInChild(new URL(import.meta.url), 'runPeerWorkload', { peer, workload: w, quick });
        const row = { peer, workload: label, ...r, gflops: (r.charsPerSec * fpc) / 1e9, peakRssMB };
        results.push(row);
        log(`${label.padEnd(24)} ${peer.padEnd(17)} ${fmt(row.charsPerSec).padStart(7)} chars/s (${fmt(row.charsPerCpuSec)} per cpu-s)  ${fmt(row.gflops, 2)} GFLOP/s  ${fmt(peakRssMB)} MB`);
      } catch (e) {
        const msg = String(e.message).split('\n')[0].replace(/^.*? in child failed: (Error: )?/, '').slice(0, 100);
        results.push({ peer, workload: label, na: `failed: ${msg}` });
        log(`${label.padEnd(24)} ${peer.padEnd(17)} FAILED ${String(e.message).slice(0, 2000)}`);
      }
    }
  }
  return {
    meta: { ...machineInfo(), quick },
    peers: Object.fromEntries(peers.map((p) => [p, PEERS[p]])),
    workloads: workloads.map((w) => ({ label: workloadLabel(w), ...w, flopsPerChar: flopsPerChar({ ...w, mode: w.kind }) })),
    results,
  };
}

/**
 * The peer results as a table (text or markdown).
 * @param {{results: object[]}} report  what runPeers returned
 * @param {{markdown?: boolean}} [opts]
 * @returns {string}
 */
export function peersTable(report, opts) {
  const rows = report.results.map((r) => (r.na
    ? [r.workload, r.peer, 'n/a', 'n/a', 'n/a', 'n/a', r.na]
    : [r.workload, r.peer, fmt(r.charsPerSec), fmt(r.charsPerCpuSec), fmt(r.gflops, 2), fmt(r.peakRssMB), '']));
  return formatTable(['workload', 'peer', 'chars/s', 'chars/cpu-s', 'GFLOP/s', 'peak RSS MB', 'note'], rows, opts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  if (args.includes('--help')) {
    console.log(`node bench/peers.mjs [--quick] [--markdown] [--peers id,id] [--workloads "train lstm H128 B32 L1; sample lstm H128 L1"]
peers: ${Object.keys(PEERS).join(', ')}`);
    process.exit(0);
  }
  const quick = args.includes('--quick');
  const workloads = opt('--workloads') ? opt('--workloads').split(';').map(parseWorkload) : DEFAULT_WORKLOADS;
  const peers = opt('--peers') ? opt('--peers').split(',') : Object.keys(PEERS);
  const t0 = performance.now();
  const report = await runPeers({ quick, workloads, peers, log: (s) => console.error(s) });
  const out = new URL('./results/peers.json', import.meta.url);
  await writeJSON(out, report);
  console.log(peersTable(report, { markdown: args.includes('--markdown') }));
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s; written ${fileURLToPath(out)}`);
}
