// layouts.js — THE table of how our parameters map to PyTorch, Keras/TF.js and ONNX, cell by
// cell, and the block permutations that implement it. Every mapping file uses only this.
//
// Ours (c/lstm.h, api-v2): per layer l and direction (suffix '' or '_reverse'):
//   l{l}.wx (I_l, G·H), l{l}.wh (H, G·H), LSTM/RNN l{l}.b (G·H), GRU l{l}.bx (3H), l{l}.bh (3H);
//   head.w (D·H, O), head.b (O). Along G·H: blocks of H, one per gate.
//
// The table itself (gate orders, tensor names and shapes, biases, embeddings, directions, gate
// activations) is written once, in c/lstm.h ("The same parameters in other frameworks"); this file
// is its code: GATE_ORDER and the permutations every mapping file uses.

/** Gate blocks in each framework's order, as indices of our gate order (ours: identity). */
export const GATE_ORDER = {
  lstm: { gates: ['i', 'f', 'g', 'o'], pytorch: [0, 1, 2, 3], keras: [0, 1, 2, 3], onnx: [0, 3, 1, 2] },
  gru: { gates: ['r', 'z', 'n'], pytorch: [0, 1, 2], keras: [1, 0, 2], onnx: [1, 0, 2] },
  rnn: { gates: ['h'], pytorch: [0], keras: [0], onnx: [0] },
};

export const GATES = { lstm: 4, gru: 3, rnn: 1 };

/**
 * Framework weight (G·H rows × n columns, row-major, gate blocks of rows in `order`) → ours
 * (n rows × G·H columns, our gate order): ours[j][order[k]·H + u] = W[k·H + u][j].
 */
export function rowsToOurs(W, n, H, order) {
  const G = order.length, GH = G * H;
  const out = new Float32Array(n * GH);
  for (let k = 0; k < G; k++) {
    const dst = order[k] * H;
    for (let u = 0; u < H; u++) {
      const row = (k * H + u) * n;
      for (let j = 0; j < n; j++) out[j * GH + dst + u] = W[row + j];
    }
  }
  return out;
}

/** Ours (n × G·H) → framework rows (G·H × n) in `order`: the inverse of rowsToOurs. */
export function oursToRows(A, n, H, order) {
  const G = order.length, GH = G * H;
  const out = new Float32Array(GH * n);
  for (let k = 0; k < G; k++) {
    const src = order[k] * H;
    for (let u = 0; u < H; u++) {
      const row = (k * H + u) * n;
      for (let j = 0; j < n; j++) out[row + j] = A[j * GH + src + u];
    }
  }
  return out;
}

/** Framework columns (n × G·H, gate blocks of columns in `order`) → ours (n × G·H). */
export function colsToOurs(K, n, H, order) {
  const G = order.length, GH = G * H;
  const out = new Float32Array(n * GH);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < G; k++) out.set(K.subarray(j * GH + k * H, j * GH + (k + 1) * H), j * GH + order[k] * H);
  }
  return out;
}

/** Ours (n × G·H) → framework columns in `order`: the inverse of colsToOurs. */
export function oursToCols(A, n, H, order) {
  const G = order.length, GH = G * H;
  const out = new Float32Array(n * GH);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < G; k++) out.set(A.subarray(j * GH + order[k] * H, j * GH + (order[k] + 1) * H), j * GH + k * H);
  }
  return out;
}

/** A gate vector (G·H) in `order` → ours, and back. */
export const vecToOurs = (v, H, order) => colsToOurs(v, 1, H, order);
export const oursToVec = (v, H, order) => oursToCols(v, 1, H, order);

/** Row-major transpose of an (r × c) matrix. */
export function transpose(A, r, c) {
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = A[i * c + j];
  return out;
}

/** b_ih + b_hh as float32 (what one bias must hold to compute the same pre-activations). */
export function sumBiases(a, b) {
  const out = new Float32Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k] + b[k];
  return out;
}
