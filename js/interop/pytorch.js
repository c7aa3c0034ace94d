// pytorch.js — a PyTorch state_dict (from a .pt or .safetensors file: named float tensors) ↔ our
// description, for [nn.Embedding →] nn.LSTM | nn.GRU | nn.RNN(tanh) [→ nn.Linear].
//
// Names. Module `rnn` (any number of layers, bidirectional or not) gives
//   <rnn>weight_ih_l{k}[_reverse] (G·H, I_k), <rnn>weight_hh_l{k}[_reverse] (G·H, H),
//   <rnn>bias_ih_l{k}[_reverse] (G·H), <rnn>bias_hh_l{k}[_reverse] (G·H)   (absent with bias=False)
// (proj_size adds weight_hr_l{k}: refused, our LSTM has no projection), an Embedding gives
// <embedding>weight (V, E), a Linear <head>weight (O, D·H) and <head>bias (O).
// Prefixes (`names: {rnn, embedding, head}` option, e.g. 'rnn.', 'model.encoder.'; null = none)
// are guessed when not given: the one prefix with a weight_ih_l0; an embedding is the one other
// 2-D `*.weight` without a bias whose width is the RNN's input size; the head the one 2-D
// `*.weight` whose width is D·H. A failed guess lists the tensors found.
// The cell comes from the shapes: G = rows(weight_hh) / H = 4 LSTM, 3 GRU, 1 RNN. A state_dict
// does not record an RNN's nonlinearity: tanh is assumed (our only one) and noted; pass
// `nonlinearity: 'relu'` to have such a file refused rather than misread.
// Tensors left over under the model's scope (the RNN prefix's parent) are an error (the model
// has parts we cannot run) unless `strict: false`; tensors outside it (an optimizer state beside
// `model.` in a checkpoint) are ignored.
// Values: layouts.js's table. The head is applied at every step unless `summary: 'last'`.

import { formatError } from './bytes.js';
import { LstmError } from '../errors.js';
import { GATES, GATE_ORDER, rowsToOurs, oursToRows, sumBiases, transpose } from './layouts.js';
import { DIRECTIONS, foldEmbedding, tokenFactors, identityHead, checkDescription, ordered } from './description.js';

const CELL_OF_G = { 4: 'lstm', 3: 'gru', 1: 'rnn' };
export const DEFAULT_NAMES = { embedding: 'embedding.', rnn: 'rnn.', head: 'head.' };

function normPrefix(p, option) {
  if (p === null) return null;
  if (typeof p !== 'string') throw new LstmError('arg', `names.${option}: expected a string prefix like 'rnn.' or null, got ${typeof p}`, { argument: `names.${option}` });
  return p === '' || p.endsWith('.') ? p : `${p}.`;
}

const listKeys = (tensors) => [...tensors].map(([k, t]) => `${k} [${t.shape}]`).join(', ');

/**
 * Our description from state_dict tensors (Map name → {shape, dtype, float, data()}).
 * Options: names, cell, nonlinearity, strict, summary, loss.
 */
export function fromStateDict(tensors, options = {}, what = 'state_dict') {
  const names = options.names ?? {};
  const used = new Set();
  const notes = [];
  const get = (name) => {
    const t = tensors.get(name);
    if (!t) return null;
    if (!t.float) throw formatError(what, `tensor '${name}' is ${t.dtype}, expected a floating-point tensor`);
    used.add(name);
    return t;
  };

  // --- the recurrent module
  let rnn = names.rnn !== undefined ? normPrefix(names.rnn, 'rnn') : undefined;
  if (rnn === undefined) {
    const found = [...tensors.keys()].filter((k) => k.endsWith('weight_ih_l0')).map((k) => k.slice(0, -'weight_ih_l0'.length));
    if (found.length !== 1) {
      throw formatError(what, found.length
        ? `several recurrent modules (${found.map((p) => `'${p}'`).join(', ')}): choose one with names: {rnn: '<prefix>'}; tensors: ${listKeys(tensors)}`
        : `no nn.LSTM/GRU/RNN weights (a '<prefix>weight_ih_l0' tensor); tensors found: ${listKeys(tensors)}`);
    }
    rnn = found[0];
  } else if (rnn === null || !tensors.has(`${rnn}weight_ih_l0`)) {
    throw formatError(what, `no '${rnn ?? ''}weight_ih_l0' for names.rnn = ${JSON.stringify(names.rnn)}; tensors found: ${listKeys(tensors)}`);
  }
  if ([...tensors.keys()].some((k) => k.startsWith(`${rnn}weight_hr_l`))) {
    throw formatError(what, `'${rnn}weight_hr_l0' is there: an LSTM with proj_size, which wasm-lstm does not support`);
  }
  let L = 0;
  while (tensors.has(`${rnn}weight_ih_l${L}`)) L++;
  const D = tensors.has(`${rnn}weight_ih_l0_reverse`) ? 2 : 1;
  const hh0 = get(`${rnn}weight_hh_l0`);
  if (!hh0 || hh0.shape.length !== 2) throw formatError(what, `'${rnn}weight_hh_l0' missing or not 2-D`);
  const H = hh0.shape[1], G = hh0.shape[0] / H;
  let cell = CELL_OF_G[G];
  if (!cell) throw formatError(what, `'${rnn}weight_hh_l0' has shape [${hh0.shape}]: ${hh0.shape[0]} rows is not 4, 3 or 1 times the hidden size ${H}`);
  if (options.cell !== undefined && options.cell !== cell) {
    throw formatError(what, `options.cell is '${options.cell}' but the shapes say '${cell}' (weight_hh_l0 [${hh0.shape}])`);
  }
  if (cell === 'rnn') {
    if (options.nonlinearity !== undefined && options.nonlinearity !== 'tanh') {
      throw formatError(what, `an RNN with nonlinearity '${options.nonlinearity}': wasm-lstm's RNN is tanh only`);
    }
    if (options.nonlinearity === undefined) notes.push("RNN: nonlinearity assumed 'tanh' (a state_dict does not record it)");
  }
  const GH = G * H, order = GATE_ORDER[cell].pytorch;
  const ih0 = get(`${rnn}weight_ih_l0`);
  const I = ih0.shape[1];

  const parameters = {};
  const layerWx0 = [];
  for (let l = 0; l < L; l++) {
    const In = l === 0 ? I : D * H;
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d];
      const wih = get(`${rnn}weight_ih_l${l}${s}`), whh = get(`${rnn}weight_hh_l${l}${s}`);
      if (!wih || !whh) throw formatError(what, `'${rnn}weight_ih_l${l}${s}' or '${rnn}weight_hh_l${l}${s}' missing (layer ${l} of ${L}, ${D === 2 ? 'bidirectional' : 'unidirectional'})`);
      shape(what, `${rnn}weight_ih_l${l}${s}`, wih.shape, [GH, In]);
      shape(what, `${rnn}weight_hh_l${l}${s}`, whh.shape, [GH, H]);
      const bih = get(`${rnn}bias_ih_l${l}${s}`), bhh = get(`${rnn}bias_hh_l${l}${s}`);
      if (!!bih !== !!bhh) throw formatError(what, `layer ${l}${s}: one of bias_ih and bias_hh without the other`);
      if (bih) { shape(what, `${rnn}bias_ih_l${l}${s}`, bih.shape, [GH]); shape(what, `${rnn}bias_hh_l${l}${s}`, bhh.shape, [GH]); }
      const wx = rowsToOurs(wih.data(), In, H, order);
      if (l === 0) layerWx0.push(wx);
      else parameters[`l${l}.wx${s}`] = { shape: [In, GH], data: wx };
      parameters[`l${l}.wh${s}`] = { shape: [H, GH], data: rowsToOurs(whh.data(), H, H, order) };
      const zero = new Float32Array(GH);
      const bx = bih ? rowsToOurs(bih.data(), 1, H, order) : zero, bh = bhh ? rowsToOurs(bhh.data(), 1, H, order) : zero;
      if (cell === 'gru') {
        parameters[`l${l}.bx${s}`] = { shape: [GH], data: bx };
        parameters[`l${l}.bh${s}`] = { shape: [GH], data: bh };
      } else {
        parameters[`l${l}.b${s}`] = { shape: [GH], data: sumBiases(bx, bh) };
      }
    }
  }
  if (tensors.has(`${rnn}weight_ih_l${L}_reverse`)) throw formatError(what, `'${rnn}weight_ih_l${L}_reverse' without a forward layer ${L}`);

  const scope = rnn.includes('.') ? rnn.slice(0, rnn.slice(0, -1).lastIndexOf('.') + 1) : '';
  const candidates = (test) => [...tensors.keys()].filter((k) => !used.has(k) && k.startsWith(scope) && k.endsWith('weight') && test(tensors.get(k)))
    .map((k) => k.slice(0, -'weight'.length));

  // --- the embedding
  let emb = names.embedding !== undefined ? normPrefix(names.embedding, 'embedding') : undefined;
  if (emb === undefined) {
    const found = candidates((t) => t.shape.length === 2 && t.shape[1] === I).filter((p) => !tensors.has(`${p}bias`));
    if (found.length > 1) throw formatError(what, `several tensors could be the embedding (${found.map((p) => `'${p}weight'`).join(', ')}): choose with names: {embedding: '<prefix>'} or null`);
    emb = found[0] ?? null;
  }
  const config = { cell, hidden: H, layers: L, output: 0, bidirectional: D === 2, gateActivation: 'sigmoid' };
  if (emb !== null) {
    const E = get(`${emb}weight`);
    if (!E) throw formatError(what, `no '${emb}weight' for the embedding`);
    if (E.shape.length !== 2 || E.shape[1] !== I) throw formatError(what, `embedding '${emb}weight' has shape [${E.shape}], the RNN's input size is ${I}`);
    const V = E.shape[0], Ed = E.data();
    DIRECTIONS.slice(0, D).forEach((s, d) => { parameters[`l0.wx${s}`] = { shape: [V, GH], data: foldEmbedding(Ed, V, I, layerWx0[d], GH) }; });
    config.vocab = V;
    notes.push(`embedding '${emb}weight' (${V} × ${I}) folded into l0.wx (E · weight_ih_l0ᵀ in float64)`);
  } else {
    DIRECTIONS.slice(0, D).forEach((s, d) => { parameters[`l0.wx${s}`] = { shape: [I, GH], data: layerWx0[d] }; });
    config.input = I;
  }

  // --- the head
  let head = names.head !== undefined ? normPrefix(names.head, 'head') : undefined;
  if (head === undefined) {
    const found = candidates((t) => t.shape.length === 2 && t.shape[1] === D * H);
    if (found.length > 1) throw formatError(what, `several tensors could be the Linear head (${found.map((p) => `'${p}weight'`).join(', ')}): choose with names: {head: '<prefix>'} or null`);
    head = found[0] ?? null;
  }
  if (head !== null) {
    const W = get(`${head}weight`);
    if (!W) throw formatError(what, `no '${head}weight' for the head`);
    if (W.shape.length !== 2 || W.shape[1] !== D * H) throw formatError(what, `head '${head}weight' has shape [${W.shape}], expected [O, ${D * H}] (D·H = ${D} × ${H})`);
    const O = W.shape[0];
    const b = get(`${head}bias`);
    if (b) shape(what, `${head}bias`, b.shape, [O]);
    parameters['head.w'] = { shape: [D * H, O], data: transpose(W.data(), O, D * H) };
    parameters['head.b'] = { shape: [O], data: b ? b.data() : new Float32Array(O) };
    config.output = O;
  } else {
    Object.assign(parameters, identityHead(D * H));
    config.output = D * H;
    notes.push(`no Linear head: an identity head, so the outputs are the top layer's h (${D * H} wide)`);
  }

  const left = [...tensors.keys()].filter((k) => !used.has(k));
  const inScope = left.filter((k) => k.startsWith(scope));
  if (inScope.length && options.strict !== false) {
    throw formatError(what, `tensors that are not part of an Embedding → ${cell.toUpperCase()} → Linear model: ${inScope.map((k) => `${k} [${tensors.get(k).shape}]`).join(', ')} ` +
      '(pass strict: false to ignore them, or names: {…} if a guess was wrong)');
  }
  if (left.length) notes.push(`ignored: ${left.join(', ')}`);
  if (options.loss !== undefined) config.loss = options.loss;
  const desc = { config, parameters: ordered(config, parameters), summary: options.summary ?? 'sequence', notes };
  return checkDescription(desc, what);
}

function shape(what, name, s, expected) {
  if (s.length !== expected.length || s.some((d, k) => d !== expected[k])) {
    throw formatError(what, `'${name}' has shape [${s}], expected [${expected}]`);
  }
}

/**
 * State_dict tensors [[name, {shape, data}]] of Embedding (token models) → RNN → Linear, in
 * PyTorch's module order; names from `names` (default embedding., rnn., head.).
 */
export function toStateDict(desc, options = {}) {
  const names = { ...DEFAULT_NAMES, ...options.names };
  for (const k of ['embedding', 'rnn', 'head']) names[k] = normPrefix(names[k], k) ?? '';
  const c = desc.config, H = c.hidden, D = c.bidirectional ? 2 : 1, GH = GATES[c.cell] * H;
  const order = GATE_ORDER[c.cell].pytorch, p = desc.parameters;
  if (c.gateActivation !== 'sigmoid') {
    throw new LstmError('arg', `model: gateActivation '${c.gateActivation}' has no PyTorch equivalent (nn.LSTM and nn.GRU gates are sigmoid): export it to ONNX or Keras instead`, { argument: 'model' });
  }
  const out = [];
  let wx0 = null, I0 = c.input;
  if (c.vocab !== undefined) {
    const f = tokenFactors(desc);
    out.push([`${names.embedding}weight`, f.table]);
    wx0 = f.wx;
    I0 = f.table.shape[1];
  }
  for (let l = 0; l < c.layers; l++) {
    const In = l === 0 ? I0 : D * H;
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d], r = names.rnn;
      const wx = l === 0 && wx0 ? wx0[d] : p[`l${l}.wx${s}`].data;
      out.push([`${r}weight_ih_l${l}${s}`, { shape: [GH, In], data: oursToRows(wx, In, H, order) }]);
      out.push([`${r}weight_hh_l${l}${s}`, { shape: [GH, H], data: oursToRows(p[`l${l}.wh${s}`].data, H, H, order) }]);
      const bx = c.cell === 'gru' ? p[`l${l}.bx${s}`].data : p[`l${l}.b${s}`].data;
      const bh = c.cell === 'gru' ? p[`l${l}.bh${s}`].data : new Float32Array(GH);
      out.push([`${r}bias_ih_l${l}${s}`, { shape: [GH], data: oursToRows(bx, 1, H, order) }]);
      out.push([`${r}bias_hh_l${l}${s}`, { shape: [GH], data: oursToRows(bh, 1, H, order) }]);
    }
  }
  out.push([`${names.head}weight`, { shape: [c.output, D * H], data: transpose(p['head.w'].data, D * H, c.output) }]);
  out.push([`${names.head}bias`, { shape: [c.output], data: p['head.b'].data.slice() }]);
  return out;
}
