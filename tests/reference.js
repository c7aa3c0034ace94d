// tests/reference.js — a float64 reference of the networks of c/lstm.h: forward pass, loss, and
// the gradient of the loss with respect to the outputs. Written from the header's equations and
// weight layout only (not from the C code), straight loops, no speed tricks: used as a check.
//
// Legend: B batch, T steps, I input width (or V vocab), H hidden, O outputs, L layers, G gates.
// Arrays are flat and batch-first like the API: inputs (B,T,I) or (B,T) token ids, outputs (B,T,O).

export const GATES = { lstm: 4, gru: 3, rnn: 1 };
export const CHANNELS = { lstm: ['i', 'f', 'g', 'o', 'c', 'h'], gru: ['r', 'z', 'n', 'h'], rnn: ['h'] };

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/** A zero state: h[l] and c[l] are Float64Array(B*H). */
export function zeroState(config, B) {
  const { layers: L, hidden: H } = config;
  return {
    h: Array.from({ length: L }, () => new Float64Array(B * H)),
    c: Array.from({ length: L }, () => new Float64Array(B * H)),
  };
}

/**
 * Forward pass of `config` (network.config) with `params` (network.parameters()) from `state`
 * (default zeros; not modified). Returns { outputs: Float64Array(B*T*O), state (the final one),
 * acts: Float64Array (L,T,B,C,H) laid out as network.inspect() }.
 */
export function forward(config, params, inputs, B, T, state = zeroState(config, B)) {
  const { cell, hidden: H, layers: L, output: O } = config;
  const GH = GATES[cell] * H, C = CHANNELS[cell].length;
  const tokens = config.vocab !== undefined, I0 = tokens ? config.vocab : config.input;
  const h = state.h.map((a) => Float64Array.from(a));
  const c = state.c.map((a) => Float64Array.from(a));
  const outputs = new Float64Array(B * T * O);
  const acts = new Float64Array(L * T * B * C * H);
  const headW = params['head.w'].data, headB = params['head.b'].data;

  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      let x = tokens ? null : inputs.slice((b * T + t) * I0, (b * T + t + 1) * I0);
      for (let l = 0; l < L; l++) {
        const wx = params[`l${l}.wx`].data, wh = params[`l${l}.wh`].data;
        // ax = x Wx (row x of Wx for a token), ah = h Wh
        const ax = new Float64Array(GH), ah = new Float64Array(GH);
        if (l === 0 && tokens) {
          const tok = inputs[b * T + t];
          for (let j = 0; j < GH; j++) ax[j] = wx[tok * GH + j];
        } else {
          for (let k = 0; k < x.length; k++) for (let j = 0; j < GH; j++) ax[j] += x[k] * wx[k * GH + j];
        }
        const hp = h[l].subarray(b * H, (b + 1) * H), cp = c[l].subarray(b * H, (b + 1) * H);
        for (let k = 0; k < H; k++) for (let j = 0; j < GH; j++) ah[j] += hp[k] * wh[k * GH + j];
        const ch = new Array(C); // the recorded channels, each Float64Array(H)
        const hn = new Float64Array(H);
        if (cell === 'lstm') {
          const bias = params[`l${l}.b`].data;
          const [i, f, g, o, cn] = [0, 1, 2, 3, 4].map(() => new Float64Array(H));
          for (let u = 0; u < H; u++) {
            const a = (q) => ax[q * H + u] + ah[q * H + u] + bias[q * H + u];
            i[u] = sigmoid(a(0)); f[u] = sigmoid(a(1)); g[u] = Math.tanh(a(2)); o[u] = sigmoid(a(3));
            cn[u] = f[u] * cp[u] + i[u] * g[u];   // c' = f ⊙ c + i ⊙ g
            hn[u] = o[u] * Math.tanh(cn[u]);      // h' = o ⊙ tanh(c')
          }
          cp.set(cn);
          ch.splice(0, C, i, f, g, o, cn, hn);
        } else if (cell === 'gru') {
          const bx = params[`l${l}.bx`].data, bh = params[`l${l}.bh`].data;
          const [r, z, n] = [0, 1, 2].map(() => new Float64Array(H));
          for (let u = 0; u < H; u++) {
            r[u] = sigmoid(ax[u] + bx[u] + ah[u] + bh[u]);
            z[u] = sigmoid(ax[H + u] + bx[H + u] + ah[H + u] + bh[H + u]);
            n[u] = Math.tanh(ax[2 * H + u] + bx[2 * H + u] + r[u] * (ah[2 * H + u] + bh[2 * H + u]));
            hn[u] = (1 - z[u]) * n[u] + z[u] * hp[u]; // h' = (1 − z) ⊙ n + z ⊙ h
          }
          ch.splice(0, C, r, z, n, hn);
        } else {
          const bias = params[`l${l}.b`].data;
          for (let u = 0; u < H; u++) hn[u] = Math.tanh(ax[u] + ah[u] + bias[u]);
          ch[0] = hn;
        }
        hp.set(hn);
        for (let q = 0; q < C; q++) acts.set(ch[q], ((((l * T + t) * B + b) * C) + q) * H);
        x = hn;
      }
      // head: y = h_top Wy + by
      for (let o = 0; o < O; o++) {
        let y = headB[o];
        for (let k = 0; k < H; k++) y += x[k] * headW[k * O + o];
        outputs[(b * T + t) * O + o] = y;
      }
    }
  }
  return { outputs, state: { h, c }, acts };
}

/** Softmax over the last axis of (N, O) logits. */
export function softmax(y, O) {
  const p = new Float64Array(y.length);
  for (let s = 0; s < y.length; s += O) {
    let max = -Infinity;
    for (let o = 0; o < O; o++) max = Math.max(max, y[s + o]);
    let sum = 0;
    for (let o = 0; o < O; o++) sum += (p[s + o] = Math.exp(y[s + o] - max));
    for (let o = 0; o < O; o++) p[s + o] /= sum;
  }
  return p;
}

/** The mean loss of outputs (B,T,O) against targets, per config.loss (c/lstm.h conventions). */
export function loss(config, outputs, targets, B, T) {
  const O = config.output;
  if (config.loss === 'xent') {
    const p = softmax(outputs, O);
    let sum = 0, n = 0;
    for (let s = 0; s < B * T; s++) {
      if (targets[s] === -1) continue;
      sum -= Math.log(p[s * O + targets[s]]);
      n++;
    }
    return n ? sum / n : 0;
  }
  let sum = 0;
  if (config.loss === 'mse') {
    for (let k = 0; k < B * T * O; k++) sum += (outputs[k] - targets[k]) ** 2;
    return sum / (B * T * O);
  }
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) sum += (outputs[(b * T + T - 1) * O + o] - targets[b * O + o]) ** 2;
  }
  return sum / (B * O);
}

/** ∂loss/∂outputs, (B,T,O). */
export function outputGradient(config, outputs, targets, B, T) {
  const O = config.output;
  const dy = new Float64Array(outputs.length);
  if (config.loss === 'xent') {
    const p = softmax(outputs, O);
    let n = 0;
    for (let s = 0; s < B * T; s++) n += targets[s] !== -1;
    for (let s = 0; s < B * T; s++) {
      if (targets[s] === -1) continue;
      for (let o = 0; o < O; o++) dy[s * O + o] = (p[s * O + o] - (o === targets[s])) / n;
    }
  } else if (config.loss === 'mse') {
    for (let k = 0; k < dy.length; k++) dy[k] = (2 * (outputs[k] - targets[k])) / (B * T * O);
  } else {
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        const k = (b * T + T - 1) * O + o;
        dy[k] = (2 * (outputs[k] - targets[b * O + o])) / (B * O);
      }
    }
  }
  return dy;
}

/** ‖∂loss/∂h_t‖ over batch and units of the top layer's output at step t through the head only:
 *  dh = dy_t Wyᵀ. At t = T−1 this is the whole gradient reaching h_t (there is no step T). */
export function headGradientNorm(config, params, dy, B, T, t) {
  const { hidden: H, output: O } = config;
  const W = params['head.w'].data;
  let sum = 0;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < H; k++) {
      let d = 0;
      for (let o = 0; o < O; o++) d += dy[(b * T + t) * O + o] * W[k * O + o];
      sum += d * d;
    }
  }
  return Math.sqrt(sum);
}

// ---- data and comparisons for the tests

/** A seeded xorshift32 generator of floats in [0, 1). */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Random inputs and targets of the right types for `config` (network.config). With `mask`,
 *  some class targets are -1 (ignored). */
export function randomBatch(config, B, T, rand, { mask = false } = {}) {
  const O = config.output;
  const inputs = config.vocab !== undefined
    ? Int32Array.from({ length: B * T }, () => Math.floor(rand() * config.vocab))
    : Float32Array.from({ length: B * T * config.input }, () => rand() * 2 - 1);
  let targets;
  if (config.loss === 'xent' || config.loss === 'xent-last') {
    const n = config.loss === 'xent' ? B * T : B;
    targets = Int32Array.from({ length: n }, () => (mask && rand() < 0.25 ? -1 : Math.floor(rand() * O)));
  } else {
    const n = (config.loss === 'mse-last' ? B : B * T) * O;
    targets = Float32Array.from({ length: n }, () => rand() * 2 - 1);
  }
  return { inputs, targets };
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise; names the first failure. */
export function assertClose(actual, expected, atol, rtol, what = 'value') {
  if (typeof expected === 'number') {
    actual = [actual];
    expected = [expected];
  }
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let k = 0; k < expected.length; k++) {
    const err = Math.abs(actual[k] - expected[k]);
    if (!(err <= atol + rtol * Math.abs(expected[k]))) {
      throw new Error(`${what}[${k}]: got ${actual[k]}, expected ${expected[k]} ` +
        `(|error| ${err.toExponential(2)} > ${atol} + ${rtol}·|expected|)`);
    }
  }
}

/** The largest |a − b| over two arrays. */
export function maxAbsDiff(a, b) {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

/** Whether two parameter sets (network.parameters()) are bit-identical. */
export function sameParameters(p, q) {
  const names = Object.keys(p);
  if (names.join() !== Object.keys(q).join()) return false;
  return names.every((n) => {
    const a = new Uint32Array(p[n].data.buffer), b = new Uint32Array(q[n].data.buffer);
    return a.length === b.length && a.every((x, i) => x === b[i]);
  });
}

/** CRC-32 (IEEE, as zlib and model files), bit by bit from its definition: for tests that rewrite
 *  a file and must give it a valid checksum. */
export function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
