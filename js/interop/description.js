// description.js — the plain model description that every mapping reads into and writes from,
// one step below Network: what Network.create needs plus what setParameters needs.
//
//   { config: { cell, vocab | input, hidden, layers, output, bidirectional, gateActivation,
//               loss? (when the file says: Keras softmax/linear Dense, ONNX Softmax) },
//     parameters: { 'l0.wx': {shape, data: Float32Array}, … },  // api-v2 names, see layouts.js
//     summary: 'sequence' | 'last',   // the head runs on every step, or on the final states
//     notes: [strings]                // what the conversion assumed or rounded
//     masking?: {token: 0} | {value: v} }  // Keras masks: pass `lengths` for the padded steps
//
// Token input: l0.wx has V rows, row v = what token v adds to the gates. Exporting it to a
// framework needs an embedding table E (V × E_in) and a layer-0 input weight (E_in × G·H) per
// direction with E · W = our wx exactly in float32. Two exact factorisations, and we write the
// smaller: E = identity (V × V), W = our wx (when V ≤ D·G·H); or E = [wx_forward | wx_reverse]
// (V × D·G·H), W = a 0/1 selection matrix. Each output is one product x·1 plus zeros, so the
// framework computes our numbers exactly, and importing folds E·W back to the same bits.

import { formatError } from './bytes.js';
import { GATES } from './layouts.js';

export const LIMITS = { layers: 4, hidden: 4096, input: 1 << 20, output: 1 << 20 };
export const DIRECTIONS = ['', '_reverse'];

/** The parameter names and shapes of a config, in our order (api-v2). */
export function parameterSpecs(config) {
  const { cell, hidden: H, layers: L, output: O } = config;
  const D = config.bidirectional ? 2 : 1, GH = GATES[cell] * H;
  const I0 = config.vocab ?? config.input;
  const specs = [];
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d];
      specs.push({ name: `l${l}.wx${s}`, shape: [l === 0 ? I0 : D * H, GH] }, { name: `l${l}.wh${s}`, shape: [H, GH] });
      if (cell === 'gru') specs.push({ name: `l${l}.bx${s}`, shape: [GH] }, { name: `l${l}.bh${s}`, shape: [GH] });
      else specs.push({ name: `l${l}.b${s}`, shape: [GH] });
    }
  }
  specs.push({ name: 'head.w', shape: [D * H, O] }, { name: 'head.b', shape: [O] });
  return specs;
}

const intIn = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

/** `parameters` re-keyed in our order (parameterSpecs); names not in the config are dropped. */
export function ordered(config, parameters) {
  const out = {};
  for (const s of parameterSpecs(config)) if (parameters[s.name]) out[s.name] = parameters[s.name];
  return out;
}

/** Checks a description's config against our limits and its parameters against the config. */
export function checkDescription(desc, what) {
  const c = desc.config;
  const bad = (m) => formatError(what, m);
  if (!['lstm', 'gru', 'rnn'].includes(c.cell)) throw bad(`cell '${c.cell}' (expected lstm, gru or rnn)`);
  if ((c.vocab === undefined) === (c.input === undefined)) throw bad('exactly one of vocab and input');
  if (!intIn(c.vocab ?? c.input, 1, LIMITS.input)) throw bad(`input width ${c.vocab ?? c.input} (1 to ${LIMITS.input})`);
  if (!intIn(c.hidden, 1, LIMITS.hidden)) throw bad(`hidden size ${c.hidden} (wasm-lstm supports 1 to ${LIMITS.hidden})`);
  if (!intIn(c.layers, 1, LIMITS.layers)) throw bad(`${c.layers} recurrent layers (wasm-lstm supports 1 to ${LIMITS.layers})`);
  if (!intIn(c.output, 1, LIMITS.output)) throw bad(`output width ${c.output} (1 to ${LIMITS.output})`);
  if (c.cell === 'rnn' && c.gateActivation !== 'sigmoid') throw bad("an RNN has no gates: gateActivation must be 'sigmoid'");
  if (!['sigmoid', 'hardSigmoid'].includes(c.gateActivation)) throw bad(`gate activation '${c.gateActivation}'`);
  for (const s of parameterSpecs(c)) {
    const p = desc.parameters[s.name];
    if (!p) throw bad(`parameter ${s.name} missing`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (!(p.data instanceof Float32Array) || p.data.length !== n || p.shape.join() !== s.shape.join()) {
      throw bad(`parameter ${s.name}: expected shape [${s.shape}], got [${p.shape}] with ${p.data?.length} values`);
    }
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(p.data[k])) throw bad(`parameter ${s.name} holds a non-finite value (${p.data[k]}) at index ${k}`);
    }
  }
  return desc;
}

/** A shape check for tensors read from a file: `shape` must equal `expected`. */
export function expectShape(what, name, shape, expected) {
  if (shape.length !== expected.length || shape.some((d, k) => d !== expected[k])) {
    throw formatError(what, `${name} has shape [${shape}], expected [${expected}]`);
  }
}

/** E (V × Ein) · W (Ein × n) in float64, rounded once to float32: an embedding folded into wx. */
export function foldEmbedding(E, V, Ein, W, n) {
  const out = new Float32Array(V * n);
  const acc = new Float64Array(n);
  for (let v = 0; v < V; v++) {
    acc.fill(0);
    for (let e = 0; e < Ein; e++) {
      const x = E[v * Ein + e];
      if (x === 0) continue;
      const row = e * n;
      for (let j = 0; j < n; j++) acc[j] += x * W[row + j];
    }
    for (let j = 0; j < n; j++) out[v * n + j] = acc[j];
  }
  return out;
}

/**
 * For a token-input description: `{ table: {shape: [V, E], data}, wx: [per direction (E × G·H),
 * our gate layout], identity }` with table · wx[d] = l0.wx (direction d) exactly (see above).
 */
export function tokenFactors(desc) {
  const c = desc.config, V = c.vocab, D = c.bidirectional ? 2 : 1, GH = GATES[c.cell] * c.hidden;
  const wx = DIRECTIONS.slice(0, D).map((s) => desc.parameters[`l0.wx${s}`].data);
  if (V <= D * GH) {
    const I = new Float32Array(V * V);
    for (let v = 0; v < V; v++) I[v * V + v] = 1;
    return { table: { shape: [V, V], data: I }, wx, identity: true };
  }
  const E = D * GH, table = new Float32Array(V * E);
  for (let v = 0; v < V; v++) for (let d = 0; d < D; d++) table.set(wx[d].subarray(v * GH, (v + 1) * GH), v * E + d * GH);
  const select = wx.map((_, d) => {
    const S = new Float32Array(E * GH);
    for (let j = 0; j < GH; j++) S[(d * GH + j) * GH + j] = 1;
    return S;
  });
  return { table: { shape: [V, E], data: table }, wx: select, identity: false };
}

/** head.w = identity (width × width), head.b = 0: a model without a head outputs its top h. */
export function identityHead(width) {
  const w = new Float32Array(width * width);
  for (let k = 0; k < width; k++) w[k * width + k] = 1;
  return { 'head.w': { shape: [width, width], data: w }, 'head.b': { shape: [width], data: new Float32Array(width) } };
}

/** A description from a Network's config and parameters (both as the Network gives them). */
export function describeNetwork(config, parameters) {
  const c = {
    cell: config.cell, hidden: config.hidden, layers: config.layers, output: config.output,
    bidirectional: config.bidirectional ?? false, gateActivation: config.gateActivation ?? 'sigmoid', loss: config.loss,
  };
  if (config.vocab !== undefined) c.vocab = config.vocab; else c.input = config.input;
  return {
    config: c, parameters,
    summary: /-last$/.test(config.loss ?? '') ? 'last' : 'sequence', notes: [],
  };
}
