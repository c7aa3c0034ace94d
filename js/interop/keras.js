// keras.js — a Keras / TF.js layers model (topology + named weights, from tfjs.js) ↔ our
// description.
//
// Models: Sequential, or a functional Model whose layers form one chain (each layer has one
// inbound layer), of
//   [InputLayer] [Embedding | Masking] (LSTM | GRU | SimpleRNN | Bidirectional(one of them))+
//   [Dropout…] [Dense | TimeDistributed(Dense)] [Activation('softmax')]
// Dropout layers (and the RNNs' dropout / recurrent_dropout) do nothing at inference: ignored.
// Recurrent layers: activation 'tanh'; recurrent_activation 'sigmoid' or 'hard_sigmoid' (TF.js's
// default, 0.2x + 0.5 clipped = our gateActivation 'hardSigmoid'; Keras 3 redefined hard_sigmoid
// as relu6(x + 3)/6, so a Keras 3 model with it is refused); return_sequences true on all but the
// top layer; GRU reset_after true (Keras's default since 2.3 — TF.js itself cannot load these;
// reset_after false is another cell: refused); no go_backwards outside Bidirectional; Bidirectional
// merge_mode 'concat' only. Dense: activation 'linear' (loss 'mse') or 'softmax' (loss 'xent');
// after a top layer with return_sequences false the head runs on the final states (summary
// 'last', loss '…-last'). Embedding mask_zero / Masking: recorded in `masking`; with right-padded
// sequences Keras's masking equals passing `lengths` to predict.
//
// Weights by layouts.js: kernel (I, G·H) Keras gates i,f,c,o (LSTM) / z,r,h (GRU),
// recurrent_kernel (H, G·H), bias (G·H) — GRU bias (2, 3H) = [input bias; recurrent bias].
// Weights are found by name: '<layer>/…/kernel' etc. ('<bidirectional>/forward_…/kernel' and
// 'backward_…' for the two directions), as TF.js and tensorflowjs_converter name them.
//
// Export: a Sequential TF.js loads with tf.loadLayersModel (LSTM and SimpleRNN models; GRUs are
// written with reset_after = true, which Keras loads and TF.js refuses), named like TF.js names
// its layers, weights in model.weights order.

import { formatError } from './bytes.js';
import { GATES, GATE_ORDER, colsToOurs, oursToCols } from './layouts.js';
import { DIRECTIONS, foldEmbedding, tokenFactors, identityHead, checkDescription, ordered } from './description.js';
import { writeTfjs } from './tfjs.js';

const WHAT = 'Keras model';
const CELL_OF = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'rnn' };
const CLASS_OF = { lstm: 'LSTM', gru: 'GRU', rnn: 'SimpleRNN' };
const RNN_KEYS = new Set(['name', 'trainable', 'dtype', 'units', 'activation', 'recurrent_activation', 'use_bias',
  'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'unit_forget_bias', 'kernel_regularizer',
  'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint',
  'bias_constraint', 'dropout', 'recurrent_dropout', 'implementation', 'return_sequences', 'return_state',
  'go_backwards', 'stateful', 'unroll', 'reset_after', 'time_major', 'batch_input_shape', 'batch_shape',
  'input_shape', 'input_dim', 'input_length', 'seed', 'use_cudnn']);

const layerError = (layer, m) => formatError(WHAT, `layer '${layer?.config?.name ?? '?'}' (${layer?.class_name}): ${m}`);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Every layer (and the layer a wrapper holds) must be {class_name: string, config: {name: string, …}}:
// checked once here, so that the code below can read configs without guarding each access.
function checkLayer(l, where, depth = 0) {
  if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) {
    throw formatError(WHAT, `${where}: expected a layer {class_name, config}, got ${JSON.stringify(l)?.slice(0, 80)}`);
  }
  if (typeof l.config.name !== 'string') throw formatError(WHAT, `${where} (${l.class_name}): config.name must be a string`);
  if (depth < 2 && (l.class_name === 'Bidirectional' || l.class_name === 'TimeDistributed')) {
    checkLayer(l.config.layer, `${where}.config.layer`, depth + 1);
    if (l.config.backward_layer !== undefined) checkLayer(l.config.backward_layer, `${where}.config.backward_layer`, depth + 1);
  }
  return l;
}

const positive = (layer, key, v, max) => {
  if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw layerError(layer, `${key} is ${JSON.stringify(v)}: expected an integer in [1, ${max}]`);
  return v;
};

/** The layers of a Sequential or chain-shaped functional model, in order. */
function chain(topology) {
  const cls = topology.class_name, cfg = topology.config;
  if (cls === 'Sequential') {
    const layers = Array.isArray(cfg) ? cfg : cfg?.layers;
    if (!Array.isArray(layers)) throw formatError(WHAT, 'a Sequential without a layers list');
    return layers.map((l, k) => checkLayer(l, `layers[${k}]`));
  }
  if (cls === 'Model' || cls === 'Functional') {
    const layers = cfg?.layers;
    if (!Array.isArray(layers)) throw formatError(WHAT, `a ${cls} without a layers list`);
    layers.forEach((l, k) => checkLayer(l, `layers[${k}]`));
    const byName = new Map(layers.map((l) => [l.config?.name ?? l.name, l]));
    const inboundOf = (l) => {
      const nodes = l.inbound_nodes ?? [];
      if (!Array.isArray(nodes)) throw layerError(l, 'inbound_nodes is not a list');
      if (nodes.length === 0) return null;
      if (nodes.length > 1) throw layerError(l, 'is called more than once (shared layer): only a chain of layers is supported');
      const n = nodes[0];
      const names = Array.isArray(n) ? n.map((x) => (Array.isArray(x) ? x[0] : undefined)) // Keras 2: [[name, node, tensor, kwargs], …]
        : isObject(n) && Array.isArray(n.args) ? n.args.flatMap((a) => (Array.isArray(a?.config?.keras_history) ? [a.config.keras_history[0]] : [])) // Keras 3
          : [];
      if (!names.every((x) => typeof x === 'string')) throw layerError(l, 'inbound_nodes names no layer');
      if (names.length !== 1) throw layerError(l, `has ${names.length} inputs: only a chain of layers is supported`);
      return names[0];
    };
    const next = new Map();
    let start = null;
    for (const l of layers) {
      const from = inboundOf(l);
      const name = l.config?.name ?? l.name;
      if (from === null) {
        if (start) throw formatError(WHAT, `two input layers ('${start}', '${name}'): only one input is supported`);
        start = name;
      } else {
        if (next.has(from)) throw formatError(WHAT, `layer '${from}' feeds two layers: only a chain is supported`);
        next.set(from, name);
      }
    }
    const out = [];
    for (let name = start; name !== undefined; name = next.get(name)) {
      if (out.length > layers.length) throw formatError(WHAT, 'the layer graph has a cycle');
      out.push(byName.get(name));
    }
    if (out.length !== layers.length) throw formatError(WHAT, 'not every layer is on the one path from input to output');
    return out;
  }
  throw formatError(WHAT, `model class '${cls}': expected Sequential, Model or Functional`);
}

/** Our description from readTfjs's {topology, weights}. Options: loss. */
export function readKerasModel({ topology, weights, dequantized }, options = {}) {
  const keras3 = /^3\./.test(String(topology.keras_version ?? ''));
  if (!isObject(topology.config) && !Array.isArray(topology.config)) throw formatError(WHAT, 'modelTopology.config is not an object');
  const layers = chain(topology);
  const used = new Set();
  const notes = [];
  if (dequantized?.length) notes.push(`dequantised: ${dequantized.join(', ')}`);
  const weightOf = (layer, prefix, suffix, shape) => {
    const candidates = [...weights.keys()].filter((n) => n.startsWith(`${prefix}/`) && (n === `${prefix}/${suffix}` || n.endsWith(`/${suffix}`)) &&
      n.slice(prefix.length + 1).split('/').every((part) => !/^(forward|backward)_/.test(part) || prefix.includes(part)));
    if (candidates.length !== 1) {
      throw layerError(layer, `${candidates.length ? 'several weights' : 'no weight'} '${prefix}/…/${suffix}' (weights: ${[...weights.keys()].join(', ')})`);
    }
    const w = weights.get(candidates[0]);
    if (w.shape.length !== shape.length || w.shape.some((d, k) => d !== shape[k])) {
      throw layerError(layer, `weight '${candidates[0]}' has shape [${w.shape}], expected [${shape}]`);
    }
    used.add(candidates[0]);
    return w.data;
  };
  const directionPrefix = (layer, name, which) => {
    const sub = [...weights.keys()].filter((n) => n.startsWith(`${name}/`)).map((n) => n.slice(name.length + 1).split('/')[0])
      .filter((p) => p.startsWith(`${which}_`));
    const unique = [...new Set(sub)];
    if (unique.length !== 1) throw layerError(layer, `no single '${name}/${which}_…' group of weights (weights: ${[...weights.keys()].join(', ')})`);
    return `${name}/${unique[0]}`;
  };

  let k = 0;
  const skipNoOps = () => {
    while (k < layers.length && ['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'].includes(layers[k].class_name)) k++;
  };
  let embedding = null, masking = null, inputWidth = null;
  if (layers[k]?.class_name === 'InputLayer') {
    const shape = layers[k].config.batch_input_shape ?? layers[k].config.batch_shape;
    if (Array.isArray(shape) && shape.length === 3) inputWidth = positive(layers[k], 'the input width', shape[2], 1 << 20);
    k++;
  }
  if (layers[k]?.class_name === 'Embedding') {
    const l = layers[k], c = l.config;
    const V = c.input_dim, E = c.output_dim;
    if (!(Number.isInteger(V) && Number.isInteger(E) && V > 0 && E > 0)) throw layerError(l, `input_dim ${V}, output_dim ${E}`);
    embedding = { V, E, table: weightOf(l, c.name, 'embeddings', [V, E]) };
    if (c.mask_zero) { masking = { token: 0 }; notes.push('mask_zero: token 0 is padding; pass lengths to predict for right-padded sequences'); }
    k++;
  } else if (layers[k]?.class_name === 'Masking') {
    masking = { value: layers[k].config.mask_value ?? 0 };
    notes.push(`Masking(${masking.value}): steps whose features all equal it are padding; pass lengths to predict for right-padded sequences`);
    k++;
  }
  skipNoOps();

  const recurrent = [];
  while (k < layers.length && (CELL_OF[layers[k].class_name] || layers[k].class_name === 'Bidirectional')) {
    const l = layers[k];
    let inner = l, D = 1;
    if (l.class_name === 'Bidirectional') {
      if ((l.config.merge_mode ?? 'concat') !== 'concat') throw layerError(l, `merge_mode '${l.config.merge_mode}': only 'concat' is supported`);
      inner = l.config.layer;
      if (!CELL_OF[inner.class_name]) throw layerError(l, `wraps ${inner.class_name}: only LSTM, GRU or SimpleRNN`);
      if (l.config.backward_layer && l.config.backward_layer.class_name !== inner.class_name) throw layerError(l, 'forward and backward layers of different kinds');
      D = 2;
    }
    const c = inner.config;
    for (const key of Object.keys(c)) if (!RNN_KEYS.has(key)) throw layerError(inner, `option '${key}' is not supported`);
    const cell = CELL_OF[inner.class_name];
    if ((c.activation ?? 'tanh') !== 'tanh') throw layerError(inner, `activation '${c.activation}': only tanh`);
    let gate = 'sigmoid';
    if (cell !== 'rnn') {
      const ra = c.recurrent_activation ?? (keras3 ? 'sigmoid' : 'hard_sigmoid');
      if (ra === 'hard_sigmoid' || ra === 'hardSigmoid') {
        if (keras3) throw layerError(inner, "recurrent_activation 'hard_sigmoid' in a Keras 3 model is relu6(x + 3) / 6, not 0.2x + 0.5: not supported");
        gate = 'hardSigmoid';
      } else if (ra !== 'sigmoid') throw layerError(inner, `recurrent_activation '${ra}': only sigmoid or hard_sigmoid`);
    }
    if (cell === 'gru' && c.reset_after !== true) {
      throw layerError(inner, `reset_after ${c.reset_after ?? false}: only GRUs with reset_after = true (Keras's default, r ⊙ (h·U + b_h)) are supported; reset_after = false applies r before the recurrent matrix, another cell`);
    }
    if (c.go_backwards && D === 1) throw layerError(inner, 'go_backwards outside Bidirectional: a reverse-only layer has no wasm-lstm equivalent');
    if (c.time_major) throw layerError(inner, 'time_major = true is not supported');
    if (c.return_state) throw layerError(inner, 'return_state = true: not a chain of layers');
    if (c.stateful) notes.push(`layer '${c.name}' is stateful in Keras: our predict carries state the same way when stateful`);
    positive(inner, 'units', c.units, 4096);
    recurrent.push({ layer: l, inner, cell, D, H: c.units, gate, useBias: c.use_bias ?? true, returnSequences: !!c.return_sequences });
    k++;
    skipNoOps();
  }
  if (!recurrent.length) throw formatError(WHAT, `no LSTM, GRU, SimpleRNN or Bidirectional layer where one was expected (layers: ${layers.map((l) => `${l.config?.name} (${l.class_name})`).join(', ')})`);

  let head = null, softmax = false;
  if (k < layers.length) {
    let l = layers[k];
    if (l.class_name === 'TimeDistributed') l = { ...l.config.layer, config: { ...l.config.layer.config, name: l.config.name } };
    if (l.class_name !== 'Dense') throw layerError(layers[k], 'is not a layer these models may have (after the recurrent layers: Dropout, Dense, Activation)');
    positive(l, 'units', l.config.units, 1 << 20);
    const act = l.config.activation ?? 'linear';
    if (act !== 'linear' && act !== 'softmax') throw layerError(l, `activation '${act}': only linear or softmax`);
    softmax = act === 'softmax';
    head = { layer: l, units: l.config.units, useBias: l.config.use_bias ?? true };
    k++;
    skipNoOps();
    if (k < layers.length && layers[k].class_name === 'Activation') {
      if (layers[k].config.activation !== 'softmax' || softmax) throw layerError(layers[k], 'only one softmax after the Dense head');
      softmax = true;
      k++;
    }
    skipNoOps();
  }
  if (k < layers.length) throw layerError(layers[k], 'is not a layer these models may have (after the head: nothing, Dropout or Activation softmax)');

  const first = recurrent[0], { cell, H, D, gate } = first;
  for (const [i, r] of recurrent.entries()) {
    if (r.cell !== cell || r.H !== H || r.D !== D || r.gate !== gate) {
      throw layerError(r.layer, `layer ${i} is a ${r.D === 2 ? 'bidirectional ' : ''}${r.inner.class_name}(${r.H}, ${r.gate}), layer 0 a ${D === 2 ? 'bidirectional ' : ''}${first.inner.class_name}(${H}, ${gate}): all layers must be alike`);
    }
    if (i < recurrent.length - 1 && !r.returnSequences) throw layerError(r.layer, 'return_sequences = false below the top recurrent layer');
  }
  const G = GATES[cell], GH = G * H, order = GATE_ORDER[cell].keras;
  const parameters = {};
  const config = { cell, hidden: H, layers: recurrent.length, output: 0, bidirectional: D === 2, gateActivation: gate };
  let In = embedding ? embedding.E : null;
  recurrent.forEach((r, l) => {
    const name = r.layer.config.name;
    if (In === null) {
      const k0 = [...weights.keys()].find((n) => n.startsWith(`${name}/`) && n.endsWith('/kernel'));
      In = inputWidth ?? weights.get(k0)?.shape[0];
      if (!Number.isInteger(In)) throw layerError(r.layer, 'cannot tell the input width (no input shape, no kernel)');
    }
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d];
      const prefix = D === 2 ? directionPrefix(r.layer, name, d ? 'backward' : 'forward') : name;
      const kernel = colsToOurs(weightOf(r.layer, prefix, 'kernel', [In, GH]), In, H, order);
      parameters[`l${l}.wh${s}`] = { shape: [H, GH], data: colsToOurs(weightOf(r.layer, prefix, 'recurrent_kernel', [H, GH]), H, H, order) };
      if (l === 0 && embedding) {
        parameters[`l0.wx${s}`] = { shape: [embedding.V, GH], data: foldEmbedding(embedding.table, embedding.V, In, kernel, GH) };
      } else {
        parameters[`l${l}.wx${s}`] = { shape: [In, GH], data: kernel };
      }
      if (cell === 'gru') {
        const b = r.useBias ? weightOf(r.layer, prefix, 'bias', [2, GH]) : new Float32Array(2 * GH);
        parameters[`l${l}.bx${s}`] = { shape: [GH], data: colsToOurs(b.subarray(0, GH), 1, H, order) };
        parameters[`l${l}.bh${s}`] = { shape: [GH], data: colsToOurs(b.subarray(GH), 1, H, order) };
      } else {
        const b = r.useBias ? weightOf(r.layer, prefix, 'bias', [GH]) : new Float32Array(GH);
        parameters[`l${l}.b${s}`] = { shape: [GH], data: colsToOurs(b, 1, H, order) };
      }
    }
    if (l === 0) { if (embedding) config.vocab = embedding.V; else config.input = In; }
    In = D * H;
  });
  const summary = recurrent[recurrent.length - 1].returnSequences ? 'sequence' : 'last';
  if (head) {
    const O = head.units, name = head.layer.config.name;
    parameters['head.w'] = { shape: [D * H, O], data: weightOf(head.layer, name, 'kernel', [D * H, O]) };
    parameters['head.b'] = { shape: [O], data: head.useBias ? weightOf(head.layer, name, 'bias', [O]) : new Float32Array(O) };
    config.output = O;
    config.loss = (softmax ? 'xent' : 'mse') + (summary === 'last' ? '-last' : '');
    if (softmax) notes.push('the Dense head has a softmax: use predict({softmax: true}) for its outputs');
  } else {
    Object.assign(parameters, identityHead(D * H));
    config.output = D * H;
    notes.push('no Dense head: an identity head, so the outputs are the top layer\'s');
  }
  if (options.loss !== undefined) config.loss = options.loss;
  const unused = [...weights.keys()].filter((n) => !used.has(n));
  if (unused.length) throw formatError(WHAT, `weights no layer of this model uses: ${unused.join(', ')}`);
  const desc = { config, parameters: ordered(config, parameters), summary, notes };
  if (masking) desc.masking = masking;
  return checkDescription(desc, WHAT);
}

/** A TF.js layers model of a checked description; options {summary, name, softmax}. */
export function writeKerasModel(desc, options = {}) {
  const c = desc.config, p = desc.parameters;
  const { cell, hidden: H, layers: L, output: O } = c;
  const D = c.bidirectional ? 2 : 1, GH = GATES[cell] * H, order = GATE_ORDER[cell].keras;
  const summary = options.summary ?? desc.summary ?? 'sequence';
  const weights = [];
  const layers = [];
  let wx0 = null, In = c.input;
  if (c.vocab !== undefined) {
    const f = tokenFactors(desc);
    const name = 'embedding';
    layers.push({ class_name: 'Embedding', config: { name, trainable: true, input_dim: c.vocab, output_dim: f.table.shape[1], mask_zero: false, batch_input_shape: [null, null], dtype: 'float32' } });
    weights.push([`${name}/embeddings`, f.table]);
    wx0 = f.wx;
    In = f.table.shape[1];
  }
  for (let l = 0; l < L; l++) {
    const inner = `${cell}_${l + 1}`;
    const cfg = {
      name: inner, trainable: true, units: H, activation: 'tanh', use_bias: true,
      return_sequences: l < L - 1 || summary === 'sequence', return_state: false, go_backwards: false,
      stateful: false, unroll: false, dropout: 0, recurrent_dropout: 0,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      recurrent_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
    };
    if (cell !== 'rnn') cfg.recurrent_activation = c.gateActivation === 'hardSigmoid' ? 'hard_sigmoid' : 'sigmoid';
    if (cell === 'gru') cfg.reset_after = true;
    if (l === 0 && c.vocab === undefined) cfg.batch_input_shape = [null, null, c.input];
    let layer = { class_name: CLASS_OF[cell], config: cfg };
    const outer = D === 2 ? `bidirectional_${l + 1}` : inner;
    if (D === 2) {
      const wrapper = { name: outer, trainable: true, merge_mode: 'concat', layer };
      if (cfg.batch_input_shape) { wrapper.batch_input_shape = cfg.batch_input_shape; delete cfg.batch_input_shape; }
      layer = { class_name: 'Bidirectional', config: wrapper };
    }
    layers.push(layer);
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d];
      const prefix = D === 2 ? `${outer}/${d ? 'backward' : 'forward'}_${inner}` : inner;
      const n = l === 0 ? In : D * H;
      const wx = l === 0 && wx0 ? wx0[d] : p[`l${l}.wx${s}`].data;
      weights.push([`${prefix}/kernel`, { shape: [n, GH], data: oursToCols(wx, n, H, order) }]);
      weights.push([`${prefix}/recurrent_kernel`, { shape: [H, GH], data: oursToCols(p[`l${l}.wh${s}`].data, H, H, order) }]);
      if (cell === 'gru') {
        const b = new Float32Array(2 * GH);
        b.set(oursToCols(p[`l${l}.bx${s}`].data, 1, H, order));
        b.set(oursToCols(p[`l${l}.bh${s}`].data, 1, H, order), GH);
        weights.push([`${prefix}/bias`, { shape: [2, GH], data: b }]);
      } else {
        weights.push([`${prefix}/bias`, { shape: [GH], data: oursToCols(p[`l${l}.b${s}`].data, 1, H, order) }]);
      }
    }
  }
  layers.push({ class_name: 'Dense', config: { name: 'head', trainable: true, units: O, activation: options.softmax ? 'softmax' : 'linear', use_bias: true,
    kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} } } });
  weights.push(['head/kernel', { shape: [D * H, O], data: p['head.w'].data }]);
  weights.push(['head/bias', { shape: [O], data: p['head.b'].data }]);
  const topology = {
    class_name: 'Sequential',
    config: { name: options.name ?? 'wasm_lstm', layers },
    keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js',
  };
  return writeTfjs(topology, weights);
}

