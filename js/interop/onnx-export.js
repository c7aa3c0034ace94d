// onnx-export.js — our description → an ONNX model (opset 14, IR version 7) that onnxruntime and
// the onnx checker accept, made of the same ops torch.onnx.export uses, and nothing else.
//
// Graph (D directions, L layers; names in quotes are graph inputs/outputs):
//   'input' (B, T, I) float              | 'tokens' (B, T) int64 → Gather(table) → (B, T, E)
//   Transpose [1, 0, 2]                    → X0 (T, B, ·)
//   'h0', 'c0' (L·D, B, H): the initial states (PyTorch's h_0 layout), by options.stateInputs:
//     'required' (default)  graph inputs the caller feeds (zeros to start): what streaming needs,
//                           and the only form onnxruntime-web accepts (its JS API refuses feeds
//                           for names outside session.inputNames)
//     'optional'            graph inputs that also have an initializer of zeros (L·D, 1, H), so a
//                           caller that does not feed them gets zeros (onnxruntime for Python/Node
//                           and C++ let a feed override such an input; onnxruntime-web does not)
//     'none'                no state inputs: zeros
//   either way Expanded to (L·D, B, H) with B from Shape(input)
//   'lengths' (B) int32, with options.lengths: each sequence's valid steps, the sequence_lens of
//     every layer's op (a padded batch; Y is zero past a sequence's end, Y_h its state at its last
//     valid step forward and at step 0 in reverse: what predict's `lengths` computes)
//   layer l: LSTM | GRU | RNN(X_l, W_l, R_l, B_l, '', h0[l·D:(l+1)·D], c0[…]),
//            direction forward | bidirectional, GRU linear_before_reset = 1,
//            activations HardSigmoid (alpha 0.2, beta 0.5 = ONNX's defaults) when our gates are hard
//            → Y (T, D, B, H), Y_h (D, B, H), Y_c
//            next input: D = 1 Squeeze axis 1; D = 2 Transpose [0, 2, 1, 3] + Reshape [0, 0, -1]
//   'h', 'c' = Concat(Y_h of all layers) (L·D, B, H): the final states, PyTorch's h_n layout, for
//              streaming (feed them back as h0, c0)
//   head, summary 'sequence': Transpose [1, 0, 2] → (B, T, D·H) → MatMul(head.w) → Add(head.b)
//         summary 'last': Y_h of the top layer (D, B, H) → Transpose [1, 0, 2] → Reshape [0, -1]
//                         → (B, D·H) = [forward | reverse] final states → MatMul → Add
//   'output' (B, T, O) or (B, O), optionally → Softmax
// Weights by layouts.js's table; a token model's embedding as description.js's tokenFactors.

import { writeOnnx, tensorProto, attribute, valueInfo, DTYPE } from './onnx.js';
import { GATES, GATE_ORDER, oursToRows } from './layouts.js';
import { DIRECTIONS, tokenFactors } from './description.js';
import { VERSION } from '../version.js';

const OPS = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };

/** The ONNX model bytes of a checked description; options {summary, softmax, name, stateInputs, lengths}. */
export function writeOnnxModel(desc, options = {}) {
  const c = desc.config, p = desc.parameters;
  const { cell, hidden: H, layers: L, output: O } = c;
  const D = c.bidirectional ? 2 : 1, GH = GATES[cell] * H, order = GATE_ORDER[cell].onnx;
  const summary = options.summary ?? desc.summary ?? 'sequence';
  const nodes = [], inits = [];
  let n = 0;
  const node = (opType, inputs, outputs, attrs = []) => {
    nodes.push({ opType, input: inputs, output: outputs, name: `${opType}_${n++}`, attribute: attrs });
    return outputs[0];
  };
  const init = (name, dims, data, type) => { inits.push(tensorProto(name, dims, data, type)); return name; };
  const declared = new Set();
  const ints = (name, values) => {
    if (!declared.has(name)) { declared.add(name); init(name, [values.length], values, DTYPE.INT64); }
    return name;
  };

  const tokens = c.vocab !== undefined;
  const inputName = tokens ? 'tokens' : 'input';
  const inputs = [valueInfo(inputName, tokens ? DTYPE.INT64 : DTYPE.FLOAT, tokens ? ['B', 'T'] : ['B', 'T', c.input])];
  let x = inputName, wx0 = null, I0 = c.input;
  if (tokens) {
    const f = tokenFactors(desc);
    init('embedding', f.table.shape, f.table.data);
    x = node('Gather', ['embedding', inputName], ['embedded'], [attribute('axis', 0)]);
    wx0 = f.wx;
    I0 = f.table.shape[1];
  }
  let X = node('Transpose', [x], ['x_time_major'], [attribute('perm', [1, 0, 2])]);

  // initial states: optional inputs with zero defaults, broadcast to the batch
  const stateNames = cell === 'lstm' ? ['h0', 'c0'] : ['h0'];
  node('Shape', [inputName], ['input_shape']);
  ints('zero', [0]);
  node('Gather', ['input_shape', 'zero'], ['batch'], [attribute('axis', 0)]);
  ints('state_rows', [L * D]);
  ints('hidden_size', [H]);
  node('Concat', ['state_rows', 'batch', 'hidden_size'], ['state_shape'], [attribute('axis', 0)]);
  const stateInputs = options.stateInputs ?? 'required';
  for (const s of stateNames) {
    if (stateInputs !== 'required') init(s, [L * D, 1, H], new Float32Array(L * D * H));
    if (stateInputs !== 'none') inputs.push(valueInfo(s, DTYPE.FLOAT, [L * D, 'B', H]));
    node('Expand', [s, 'state_shape'], [`${s}_expanded`]);
  }
  ints('axis0', [0]);
  const lengths = options.lengths ? 'lengths' : '';
  if (lengths) inputs.push(valueInfo(lengths, DTYPE.INT32, ['B']));

  const yh = [], yc = [];
  for (let l = 0; l < L; l++) {
    const In = l === 0 ? I0 : D * H;
    const W = new Float32Array(D * GH * In), R = new Float32Array(D * GH * H), Bv = new Float32Array(D * 2 * GH);
    for (let d = 0; d < D; d++) {
      const s = DIRECTIONS[d];
      const wx = l === 0 && wx0 ? wx0[d] : p[`l${l}.wx${s}`].data;
      W.set(oursToRows(wx, In, H, order), d * GH * In);
      R.set(oursToRows(p[`l${l}.wh${s}`].data, H, H, order), d * GH * H);
      const wb = cell === 'gru' ? p[`l${l}.bx${s}`].data : p[`l${l}.b${s}`].data;
      Bv.set(oursToRows(wb, 1, H, order), d * 2 * GH);
      if (cell === 'gru') Bv.set(oursToRows(p[`l${l}.bh${s}`].data, 1, H, order), d * 2 * GH + GH);
    }
    init(`W${l}`, [D, GH, In], W);
    init(`R${l}`, [D, GH, H], R);
    init(`B${l}`, [D, 2 * GH], Bv);
    ints(`rows${l}_start`, [l * D]);
    ints(`rows${l}_end`, [(l + 1) * D]);
    const slices = stateNames.map((s) => node('Slice', [`${s}_expanded`, `rows${l}_start`, `rows${l}_end`, 'axis0'], [`${s}_l${l}`]));
    const attrs = [attribute('hidden_size', H), attribute('direction', D === 2 ? 'bidirectional' : 'forward')];
    if (cell === 'gru') attrs.push(attribute('linear_before_reset', 1));
    if (c.gateActivation === 'hardSigmoid') {
      const per = cell === 'lstm' ? ['HardSigmoid', 'Tanh', 'Tanh'] : ['HardSigmoid', 'Tanh'];
      attrs.push(attribute('activations', Array(D).fill(per).flat()));
    }
    const outs = [`Y${l}`, `Y_h${l}`, ...(cell === 'lstm' ? [`Y_c${l}`] : [])];
    node(OPS[cell], [X, `W${l}`, `R${l}`, `B${l}`, lengths, ...slices], outs, attrs);
    yh.push(`Y_h${l}`);
    if (cell === 'lstm') yc.push(`Y_c${l}`);
    if (D === 1) {
      ints('axis1', [1]);
      X = node('Squeeze', [`Y${l}`, 'axis1'], [`X${l + 1}`]);
    } else {
      node('Transpose', [`Y${l}`], [`Y${l}_tbdh`], [attribute('perm', [0, 2, 1, 3])]);
      ints('merge_directions', [0, 0, -1]);
      X = node('Reshape', [`Y${l}_tbdh`, 'merge_directions'], [`X${l + 1}`]);
    }
  }
  const states = [];
  node('Concat', yh, ['h'], [attribute('axis', 0)]);
  states.push('h');
  if (cell === 'lstm') { node('Concat', yc, ['c'], [attribute('axis', 0)]); states.push('c'); }

  init('head_w', [D * H, O], p['head.w'].data);
  init('head_b', [O], p['head.b'].data);
  let features, outDims;
  if (summary === 'last') {
    node('Transpose', [`Y_h${L - 1}`], ['final_bdh'], [attribute('perm', [1, 0, 2])]);
    ints('flatten_directions', [0, -1]);
    features = node('Reshape', ['final_bdh', 'flatten_directions'], ['summary']);
    outDims = ['B', O];
  } else {
    features = node('Transpose', [X], ['top_batch_major'], [attribute('perm', [1, 0, 2])]);
    outDims = ['B', 'T', O];
  }
  node('MatMul', [features, 'head_w'], ['head_matmul']);
  let out = node('Add', ['head_matmul', 'head_b'], [options.softmax ? 'logits' : 'output']);
  if (options.softmax) out = node('Softmax', [out], ['output'], [attribute('axis', -1)]);

  const outputs = [valueInfo('output', DTYPE.FLOAT, outDims), ...states.map((s) => valueInfo(s, DTYPE.FLOAT, [L * D, 'B', H]))];
  return writeOnnx({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 14 }],
    producerName: 'wasm-lstm',
    producerVersion: VERSION,
    graph: { name: options.name ?? 'wasm_lstm', node: nodes, initializer: inits, input: inputs, output: outputs },
  });
}
