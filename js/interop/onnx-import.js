// onnx-import.js — an ONNX graph of a recurrent model → our description.
//
// What torch.onnx.export (and tf2onnx) write for [Embedding →] LSTM/GRU/RNN × layers [→ Linear]
// is the recurrent ops plus glue: Shape/Gather/Unsqueeze/Concat/ConstantOfShape to build zero
// initial states of the batch's size, Slice to give each layer its rows of them, Transpose /
// Reshape / Squeeze between the ops' time-major (T, D, B, H) outputs and the next op's
// (T, B, D·H) input, Gather for an embedding, MatMul + Add or Gemm for the head. Instead of
// matching fixed patterns we interpret the graph abstractly, node by node in its (topological)
// order, tracking for every value what it is:
//   const   a concrete tensor (initializers, Constant, and glue computed on them)
//   sym     a small integer vector whose entries are numbers or the symbols B and T (Shape(x) …)
//   zeros   a float tensor of zeros of a symbolic shape (ConstantOfShape of a sym, …)
//   state   a graph input holding initial states (h0/c0), rows [start, end) of its first axis
//   lengths a graph input of sequence lengths (B), possibly permuted
//   perm    a permutation of the batch: pack_padded_sequence(enforce_sorted=False) sorts the batch
//           by length (TopK), runs the recurrent ops on the sorted batch, and un-sorts the result
//           with the inverse permutation (ScatterElements of a Range); a value's `perm` lists the
//           permutations applied to its batch axis, and a permutation followed by its inverse
//           cancels. The model's output must end with none.
//   tokens  the int64 token input (B, T)
//   act     an activation tensor: its axes labelled B, T, F (features), D (directions, each a
//           "part"), 1 (size one), L (the last time step, size one), and what its features are:
//           input (the dense input), embed (a Gather from a table), y (per-step outputs of some
//           recurrent directions, concatenated), state (final h or c of some directions), head
//           (a MatMul/Add or Gemm on one of those)
// Each op is defined on the kinds it can meet in these graphs; anything else — an unknown op, an
// op on a value it cannot be, an attribute we do not implement (peepholes P, clip, input_forget,
// activations other than sigmoid/hard-sigmoid + tanh, GRU linear_before_reset = 0, a reshape
// that mixes directions, an output at the last step of a reverse direction) — is LstmError
// 'format' naming the node, its op and the attribute or input. At the end the graph's first
// output must be the model's output (the head, or a top layer's outputs/final states when there is
// no head); other outputs may be final states (h_n, c_n). Walking back from that output gives
// the layers; their weights map by layouts.js.
// The data input is the graph's first non-initializer input; its axes are taken as (B, T, …)
// and, if the first recurrent op then receives them as (B, T) in layout 0, the graph is read
// again with the input as time-major (T, B, …) (batch_first=False models). Graph inputs that are
// also initializers (h0/c0 with default zeros, as our export writes them) are state inputs.

import { formatError } from './bytes.js';
import { readOnnx, DTYPE, ATTR } from './onnx.js';
import { GATES, GATE_ORDER, rowsToOurs, sumBiases } from './layouts.js';
import { DIRECTIONS, foldEmbedding, identityHead, checkDescription, ordered } from './description.js';

const WHAT = 'ONNX model';
const BIG = 2 ** 52;
const MAX_CONST = 1 << 20; // elements a glue op may compute concretely
const RECURRENT = { LSTM: 'lstm', GRU: 'gru', RNN: 'rnn' };

class TimeMajor extends Error {}

/** Our description from the bytes of an ONNX model. Options: loss, summary (override). */
export function readOnnxModel(bytes, options = {}) {
  const model = readOnnx(bytes, WHAT);
  const opset = opsetOf(model);
  try {
    return interpret(model, opset, false, options);
  } catch (err) {
    if (!(err instanceof TimeMajor)) throw err;
    return interpret(model, opset, true, options);
  }
}

function opsetOf(model) {
  let version = null;
  for (const o of model.opsetImport) {
    if (!o.domain || o.domain === 'ai.onnx') version = o.version;
  }
  if (version === null) throw formatError(WHAT, 'no opset import for the default (ai.onnx) domain');
  if (version < 7) throw formatError(WHAT, `opset ${version}: at least 7 is needed (the LSTM/GRU/RNN of opset 7)`);
  return version;
}

// ---- values

const sizeEq = (a, b) => (typeof a === 'number' || typeof b === 'number' ? a === b : a.s === b.s);
const showSize = (v) => (typeof v === 'number' ? String(v) : v.s);
const isConst = (v) => v && v.k === 'const';
const partKey = (p) => `${p.rec.index}:${p.dir}:${p.what}`;

// The type each attribute these ops use must have (onnx/defs): a mistyped one is refused rather
// than used as something it is not.
const ATTR_KIND = {
  value: ATTR.TENSOR, value_float: ATTR.FLOAT, value_floats: ATTR.FLOATS, value_int: ATTR.INT, value_ints: ATTR.INTS,
  to: ATTR.INT, axis: ATTR.INT, axes: ATTR.INTS, start: ATTR.INT, end: ATTR.INT, perm: ATTR.INTS, starts: ATTR.INTS,
  ends: ATTR.INTS, alpha: ATTR.FLOAT, beta: ATTR.FLOAT, transA: ATTR.INT, transB: ATTR.INT, clip: ATTR.FLOAT,
  input_forget: ATTR.INT, linear_before_reset: ATTR.INT, hidden_size: ATTR.INT, direction: ATTR.STRING, layout: ATTR.INT,
  activations: ATTR.STRINGS, activation_alpha: ATTR.FLOATS, activation_beta: ATTR.FLOATS, allowzero: ATTR.INT, seed: ATTR.INT,
  largest: ATTR.INT, sorted: ATTR.INT, keepdims: ATTR.INT, reduction: ATTR.STRING,
};
// Inputs an op needs (the rest are optional).
const MIN_INPUTS = { Identity: 1, Dropout: 1, Cast: 1, Shape: 1, Gather: 2, Unsqueeze: 1, Squeeze: 1, Concat: 1, Slice: 1,
  Transpose: 1, Reshape: 2, ConstantOfShape: 1, Expand: 2, Range: 3, Add: 2, Sub: 2, Mul: 2, Div: 2, MatMul: 2, Gemm: 2,
  Softmax: 1, LSTM: 3, GRU: 3, RNN: 3, Constant: 0, TopK: 2, ReduceProd: 1, ScatterElements: 3 };

function attrs(node) {
  const a = {};
  for (const x of node.attribute) {
    if (ATTR_KIND[x.name] !== undefined && x.type !== ATTR_KIND[x.name]) {
      throw nodeError(node, `attribute '${x.name}' has type ${x.type}, expected ${ATTR_KIND[x.name]} (see onnx.proto AttributeType)`);
    }
    if (x.refAttrName) throw nodeError(node, `attribute '${x.name}' refers to a function attribute: not supported`);
    switch (x.type) {
      case ATTR.FLOAT: a[x.name] = x.f ?? 0; break;
      case ATTR.INT: a[x.name] = x.i ?? 0; break;
      case ATTR.STRING: a[x.name] = new TextDecoder().decode(x.s ?? new Uint8Array()); break;
      case ATTR.TENSOR: a[x.name] = x.t; break;
      case ATTR.FLOATS: a[x.name] = x.floats; break;
      case ATTR.INTS: a[x.name] = x.ints; break;
      case ATTR.STRINGS: a[x.name] = x.strings.map((s) => new TextDecoder().decode(s)); break;
      default: throw nodeError(node, `attribute '${x.name}' of type ${x.type} (a graph or tensor list): not supported`);
    }
  }
  return a;
}

function nodeError(node, message) {
  return formatError(WHAT, `node '${node.name || '(unnamed)'}' (${node.opType}): ${message}`);
}

function constOf(t) {
  const float = t.dataType === DTYPE.FLOAT || t.dataType === DTYPE.DOUBLE || t.dataType === DTYPE.FLOAT16;
  return { k: 'const', float, dims: t.dims.slice(), data: t.data };
}

const numel = (dims) => dims.reduce((a, b) => a * b, 1);
const allZero = (v) => isConst(v) && v.float && v.dims.length >= 2 && v.data.every((x) => x === 0);

// ---- the interpreter

function interpret(model, opset, timeMajor, options) {
  const g = model.graph;
  const env = new Map();
  const records = []; // recurrent nodes, in graph order
  const initNames = new Set(g.initializer.map((t) => t.name));
  for (const t of g.initializer) env.set(t.name, constOf(t));

  // graph inputs
  const sizes = { B: { s: 'B' }, T: { s: 'T' } };
  let dataInput = null;
  for (const vi of g.input) {
    const tt = vi.type?.tensorType;
    const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined ? d.dimValue : { s: d.dimParam ?? '?' }));
    // A graph input with an initializer is that constant unless the caller overrides it (our
    // export's h0/c0 defaults; old exporters list every weight this way): read the constant.
    if (initNames.has(vi.name)) continue;
    if (!dataInput) {
      dataInput = vi.name;
      const [b, t] = timeMajor ? [1, 0] : [0, 1];
      if (typeof dims[b] === 'number') sizes.B = dims[b];
      if (typeof dims[t] === 'number') sizes.T = dims[t];
      const axes = timeMajor ? ['T', 'B'] : ['B', 'T'];
      if (tt?.elemType === DTYPE.INT64 || tt?.elemType === DTYPE.INT32) {
        if (dims.length !== 2) throw formatError(WHAT, `token input '${vi.name}' has ${dims.length} dimensions, expected 2 (batch, time)`);
        env.set(vi.name, { k: 'tokens', axes });
      } else if (tt?.elemType === DTYPE.FLOAT) {
        if (dims.length !== 3 || typeof dims[2] !== 'number') {
          throw formatError(WHAT, `input '${vi.name}' has shape [${dims.map(showSize)}], expected (batch, time, features) with a fixed feature size`);
        }
        env.set(vi.name, { k: 'act', kind: 'input', axes: [...axes, 'F'], width: dims[2] });
      } else {
        throw formatError(WHAT, `input '${vi.name}' has element type ${tt?.elemType}: expected float (dense input) or int64 (tokens)`);
      }
    } else if (tt?.elemType === DTYPE.FLOAT && dims.length === 3) {
      env.set(vi.name, { k: 'state', name: vi.name, rows: [0, dims[0]], defaultZero: true, required: true });
    } else if ((tt?.elemType === DTYPE.INT32 || tt?.elemType === DTYPE.INT64) && dims.length === 1) {
      env.set(vi.name, { k: 'lengths', name: vi.name, perm: [] });
    } else {
      throw formatError(WHAT, `graph input '${vi.name}' (element type ${tt?.elemType}, ${dims.length} dimensions) is neither the data input nor an initial state or sequence lengths`);
    }
  }
  if (!dataInput) throw formatError(WHAT, 'the graph has no input');

  const ctx = { env, records, sizes, opset, timeMajor, softmax: false, perms: 0 };
  for (const node of g.node) {
    if (node.domain && node.domain !== 'ai.onnx') throw nodeError(node, `operator domain '${node.domain}' is not supported (only the default ONNX domain)`);
    const ins = node.input.map((name) => {
      if (name === '') return undefined;
      if (!env.has(name)) throw nodeError(node, `input '${name}' is not computed before this node (the graph is not in topological order, or refers to a missing value)`);
      return env.get(name);
    });
    const need = MIN_INPUTS[node.opType] ?? 0;
    for (let k = 0; k < need; k++) if (ins[k] === undefined) throw nodeError(node, `input ${k} is missing (the op needs ${need})`);
    if (node.opType === 'Concat' && ins.some((v) => v === undefined)) throw nodeError(node, 'an empty input name');
    const outs = evaluate(node, ins, attrs(node), ctx);
    node.output.forEach((name, k) => { if (name !== '' && outs[k] !== undefined) env.set(name, outs[k]); });
  }

  return describe(g, ctx, options);
}

// Evaluates one node on abstract values; returns the output values.
function evaluate(node, ins, a, ctx) {
  const op = node.opType;
  const fail = (m) => nodeError(node, m);
  if (RECURRENT[op]) return recurrent(node, ins, a, ctx);
  const [x] = ins;
  switch (op) {
    case 'Constant': {
      if (a.value) return [constOf(a.value)];
      if (a.value_float !== undefined) return [{ k: 'const', float: true, dims: [], data: Float32Array.of(a.value_float) }];
      if (a.value_floats) return [{ k: 'const', float: true, dims: [a.value_floats.length], data: Float32Array.from(a.value_floats) }];
      if (a.value_int !== undefined) return [{ k: 'const', float: false, dims: [], data: [a.value_int] }];
      if (a.value_ints) return [{ k: 'const', float: false, dims: [a.value_ints.length], data: a.value_ints.slice() }];
      throw fail('a Constant without a value, value_float(s) or value_int(s)');
    }
    case 'Identity': return [x];
    case 'Dropout': return [x]; // inference: identity (the mask output, if any, stays unused)
    case 'Cast': {
      if (isConst(x)) {
        const float = [DTYPE.FLOAT, DTYPE.DOUBLE, DTYPE.FLOAT16].includes(a.to);
        return [{ k: 'const', float, dims: x.dims, data: float ? Float32Array.from(x.data) : Array.from(x.data, Math.trunc) }];
      }
      if (x.k === 'act' && a.to !== DTYPE.FLOAT) throw fail(`a cast of activations to type ${a.to}`);
      return [x];
    }
    case 'Shape': return [shapeOf(node, x, a, ctx)];
    case 'Gather': return [gather(node, ins, a, ctx)];
    case 'Unsqueeze': return [unsqueeze(node, ins, a, ctx)];
    case 'Squeeze': return [squeeze(node, ins, a, ctx)];
    case 'Concat': return [concat(node, ins, a, ctx)];
    case 'Slice': return [slice(node, ins, a, ctx)];
    case 'Transpose': return [transposeOp(node, x, a)];
    case 'Reshape':
      if (a.allowzero) throw fail('allowzero = 1 (a 0 in the shape meaning size zero) is not supported');
      return [reshape(node, ins, a, ctx)];
    case 'ConstantOfShape': {
      const v = a.value ? constOf(a.value) : { data: [0], float: true };
      if (v.data.length !== 1) throw fail('value must hold one element');
      const shape = isConst(x) ? x.data.slice() : x.k === 'sym' ? x.items : null;
      if (!shape) throw fail('the shape input is not a shape computed from the graph');
      if (v.data[0] === 0) return [{ k: 'zeros', shape }];
      return [concrete(fail, shape, () => v.data[0], v.float)];
    }
    case 'Expand': {
      const [, shape] = ins;
      if (allZero(x)) return [{ k: 'zeros', shape: shape.k === 'sym' ? shape.items : isConst(shape) ? shape.data : x.dims }];
      if (x.k === 'zeros') return [{ k: 'zeros', shape: shape.k === 'sym' ? shape.items : isConst(shape) ? shape.data : x.shape }];
      if (x.k === 'state') return [x]; // a default state (LD, 1, H) broadcast over the batch
      if (isConst(x) && numel(x.dims) === 1 && (isConst(shape) || shape.k === 'sym')) {
        const items = isConst(shape) ? shape.data : shape.items;
        if (x.data[0] === 0 && x.float) return [{ k: 'zeros', shape: items }];
        if (isConst(shape)) return [concrete(fail, items, () => x.data[0], x.float)];
      }
      throw fail(`an Expand of ${kindOf(x)}: only zeros and initial-state defaults are expanded in these graphs`);
    }
    case 'Range': {
      const [s0, lim, d0] = ins;
      if (isConst(s0) && s0.data[0] === 0 && isConst(d0) && d0.data[0] === 1 && (lim.k === 'sym' && sizeEq(lim.items[0], ctx.sizes.B))) {
        return [{ k: 'iota' }]; // 0, 1, …, B − 1
      }
      if (!ins.every(isConst)) throw fail('Range of non-constant bounds');
      const [s, e, d] = ins.map((v) => v.data[0]);
      const n = Math.max(0, Math.ceil((e - s) / d));
      if (!(n <= MAX_CONST)) throw fail(`Range of ${n} elements`);
      return [{ k: 'const', float: ins[0].float, dims: [n], data: Array.from({ length: n }, (_, k) => s + k * d) }];
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      if (op === 'Add' && ins.some((v) => v.k === 'act')) return [addBias(node, ins)];
      if (ins.every(isConst)) return [elementwise(fail, op, ins[0], ins[1])];
      throw fail(`${op} of ${ins.map(kindOf).join(' and ')}`);
    }
    case 'TopK': {
      // sorting the lengths (descending) gives the sorted lengths and the permutation
      const [values, K] = ins;
      if (values.k !== 'lengths') throw fail(`a TopK of ${kindOf(values)}: only the sort of the sequence lengths that pack_padded_sequence exports`);
      const k = K.k === 'sym' ? K.items[0] : isConst(K) ? K.data[0] : null;
      if (k === null || !sizeEq(k, ctx.sizes.B)) throw fail('a TopK that does not sort the whole batch');
      if ((a.largest ?? 1) !== 1 || (a.sorted ?? 1) !== 1 || ![0, -1, undefined].includes(a.axis)) throw fail('a TopK other than a descending sort');
      const perm = { id: ctx.perms++, inverse: false };
      return [{ ...values, perm: [...values.perm, perm] }, { k: 'perm', perm }];
    }
    case 'ReduceProd': {
      const axes = axesArg(node, ins, a);
      if (x.k === 'sym' && x.dims.length === 1 && x.items.length === 1 && !axes) {
        return [a.keepdims === 0 ? { k: 'sym', dims: [], items: x.items } : x];
      }
      if (isConst(x) && !axes) {
        const v = x.data.reduce((p, q) => p * q, 1);
        return [{ k: 'const', float: x.float, dims: a.keepdims === 0 ? [] : x.dims.map(() => 1), data: [v] }];
      }
      throw fail(`a ReduceProd of ${kindOf(x)}`);
    }
    case 'ScatterElements': {
      // ScatterElements(zeros (B), P, Range(0, B)) along axis 0 is the inverse permutation of P
      const [data, indices, updates] = ins;
      if (data.k === 'zeros' && indices.k === 'perm' && updates.k === 'iota' && (a.axis ?? 0) === 0 && (a.reduction ?? 'none') === 'none') {
        return [{ k: 'perm', perm: { id: indices.perm.id, inverse: !indices.perm.inverse } }];
      }
      throw fail(`a ScatterElements of ${kindOf(data)}, ${kindOf(indices)}, ${kindOf(updates)}: only the inverse of the batch sort`);
    }
    case 'MatMul': return [matmul(node, ins)];
    case 'Gemm': return [gemm(node, ins, a)];
    case 'Softmax': {
      if (x.k !== 'act' || x.kind !== 'head') throw fail('a Softmax not on the output of the head');
      const axis = a.axis ?? (ctx.opset >= 13 ? -1 : 1);
      if (axis !== -1 && axis !== x.axes.length - 1) throw fail(`a Softmax over axis ${axis}, not the class axis`);
      ctx.softmax = true;
      return [{ ...x, softmax: true }];
    }
    default:
      throw fail('this operator is not one these models use (supported: LSTM, GRU, RNN, Gather, Shape, Constant, ' +
        'ConstantOfShape, Expand, Unsqueeze, Squeeze, Concat, Slice, Transpose, Reshape, Cast, Identity, Dropout, ' +
        'MatMul, Add, Gemm, Softmax, integer arithmetic on shapes, and the TopK / ScatterElements / Range / ReduceProd ' +
        'of a packed sequence\'s batch sort)');
  }
}

function kindOf(v) {
  if (!v) return 'nothing';
  if (v.k === 'act') return `${v.kind} activations (${v.axes.join(', ')})`;
  return v.k;
}

// A concrete tensor of `shape` (numbers) filled by f(k).
function concrete(fail, shape, f, float) {
  if (!shape.every((d) => typeof d === 'number' && d >= 0)) throw fail(`a constant of symbolic shape [${shape.map(showSize)}]`);
  const n = numel(shape);
  if (n > MAX_CONST) throw fail(`a constant of ${n} elements (more than ${MAX_CONST})`);
  const data = float ? new Float32Array(n) : new Array(n);
  for (let k = 0; k < n; k++) data[k] = f(k);
  return { k: 'const', float, dims: shape.slice(), data };
}

function elementwise(fail, op, a, b) {
  // numpy broadcasting for the small integer/float constants of shape glue
  const rank = Math.max(a.dims.length, b.dims.length);
  const da = Array(rank - a.dims.length).fill(1).concat(a.dims), db = Array(rank - b.dims.length).fill(1).concat(b.dims);
  const dims = da.map((d, k) => {
    if (d !== db[k] && d !== 1 && db[k] !== 1) throw fail(`shapes [${a.dims}] and [${b.dims}] do not broadcast`);
    return Math.max(d, db[k]);
  });
  const idx = (dd, k) => {
    let off = 0, rem = k, stride = 1;
    const coords = [];
    for (let i = rank - 1; i >= 0; i--) { coords[i] = rem % dims[i]; rem = Math.floor(rem / dims[i]); }
    for (let i = rank - 1; i >= 0; i--) { off += (dd[i] === 1 ? 0 : coords[i]) * stride; stride *= dd[i]; }
    return off;
  };
  const float = a.float || b.float;
  return concrete(fail, dims, (k) => {
    const x = a.data[idx(da, k)], y = b.data[idx(db, k)];
    switch (op) {
      case 'Add': return x + y;
      case 'Sub': return x - y;
      case 'Mul': return x * y;
      default: return float ? x / y : Math.trunc(x / y);
    }
  }, float);
}

function axisSize(ctx, v, label) {
  switch (label) {
    case 'B': case 'T': return ctx.sizes[label];
    case 'F': return featureWidth(v);
    case 'D': return v.parts.length;
    default: return 1;
  }
}

function featureWidth(v) {
  if (v.kind === 'input') return v.width;
  if (v.kind === 'embed') return v.table.dims[1];
  if (v.kind === 'head') return v.W.dims[1];
  return v.axes.includes('D') ? v.parts[0].rec.H : v.parts.reduce((s, p) => s + p.rec.H, 0);
}

function shapeOf(node, x, a, ctx) {
  let items;
  if (x.k === 'act') items = x.axes.map((l) => axisSize(ctx, x, l));
  else if (x.k === 'tokens') items = x.axes.map((l) => ctx.sizes[l]);
  else if (isConst(x)) items = x.dims.slice();
  else if (x.k === 'zeros') items = x.shape.slice();
  else if (x.k === 'lengths' || x.k === 'perm' || x.k === 'iota') items = [ctx.sizes.B];
  else throw nodeError(node, `Shape of ${kindOf(x)}`);
  const start = a.start ?? 0, end = a.end ?? items.length;
  const norm = (i) => Math.min(Math.max(i < 0 ? i + items.length : i, 0), items.length);
  items = items.slice(norm(start), norm(end));
  return items.every((d) => typeof d === 'number') ? { k: 'const', float: false, dims: [items.length], data: items } : { k: 'sym', dims: [items.length], items };
}

const normAxis = (fail, axis, rank) => {
  const r = axis < 0 ? axis + rank : axis;
  if (!(r >= 0 && r < rank)) throw fail(`axis ${axis} out of range for rank ${rank}`);
  return r;
};

// Axes given as an attribute (opset < 13) or as the second input (≥ 13).
function axesArg(node, ins, a, k = 1) {
  if (a.axes) return a.axes;
  const v = ins[k];
  if (v === undefined) return null;
  if (!isConst(v)) throw nodeError(node, 'axes must be constant');
  return v.data.slice();
}

function gather(node, ins, a, ctx) {
  const [data, indices] = ins;
  const fail = (m) => nodeError(node, m);
  const axis = a.axis ?? 0;
  if (isConst(data) && data.float && data.dims.length === 2 && indices.k === 'tokens' && axis === 0) {
    return { k: 'act', kind: 'embed', axes: [...indices.axes, 'F'], table: data };
  }
  if ((isConst(data) || data.k === 'sym') && isConst(indices)) {
    const items = isConst(data) ? data.data : data.items;
    const dims = data.dims;
    if (dims.length !== 1 && !(isConst(data) && axis === 0)) throw fail('a Gather on a constant of rank > 1 other than along axis 0');
    const rows = dims[0], inner = dims.length > 1 ? numel(dims.slice(1)) : 1;
    const out = [];
    for (const i of indices.data) {
      const r = i < 0 ? i + rows : i;
      if (!(r >= 0 && r < rows)) throw fail(`index ${i} out of range for ${rows} rows`);
      for (let j = 0; j < inner; j++) out.push(items[r * inner + j]);
    }
    const outDims = [...indices.dims, ...dims.slice(1)];
    if (out.every((d) => typeof d === 'number')) return { k: 'const', float: isConst(data) && data.float, dims: outDims, data: isConst(data) && data.float ? Float32Array.from(out) : out };
    return { k: 'sym', dims: outDims, items: out };
  }
  if (indices.k === 'perm' && (data.k === 'act' || data.k === 'lengths')) {
    const ax = data.k === 'lengths' ? 0 : normAxis(fail, axis, data.axes.length);
    if (data.k === 'act' && data.axes[ax] !== 'B') throw fail(`a permutation of the ${data.axes[ax]} axis: only the batch axis is permuted`);
    return { ...data, perm: composePerm(data.perm ?? [], indices.perm) };
  }
  if (data.k === 'act' && isConst(indices) && indices.dims.length === 0) {
    const ax = normAxis(fail, axis, data.axes.length);
    const label = data.axes[ax], i = indices.data[0];
    const axes = data.axes.filter((_, k) => k !== ax);
    if (label === 'D') {
      const r = i < 0 ? i + data.parts.length : i;
      if (!(r >= 0 && r < data.parts.length)) throw fail(`direction index ${i} out of range`);
      return { ...data, axes, parts: [data.parts[r]] };
    }
    if (label === 'T') return lastStep(fail, data, axes, i, ctx);
    throw fail(`a Gather on the ${label} axis of activations`);
  }
  throw fail(`a Gather of ${kindOf(data)} at ${kindOf(indices)}`);
}

// Appends a permutation; a permutation right after its inverse (or the inverse after it) cancels.
function composePerm(list, p) {
  const last = list[list.length - 1];
  if (last && last.id === p.id && last.inverse !== p.inverse) return list.slice(0, -1);
  return [...list, p];
}
const permKey = (list) => (list ?? []).map((p) => `${p.inverse ? '~' : ''}${p.id}`).join();

// y[:, -1]: the outputs at the last step. For forward directions this is their final state
// (without padding); a reverse direction's output there is its first step, not a summary.
function lastStep(fail, data, axes, i, ctx) {
  const T = ctx.sizes.T;
  if (!(i === -1 || (typeof T === 'number' && i === T - 1))) throw fail(`outputs at time step ${i}: only the last step (-1) is a model output`);
  if (data.kind !== 'y') throw fail(`the last step of ${data.kind} values`);
  if (data.parts.some((p) => p.rec.directionOf(p.dir) !== 'forward')) {
    throw fail("the outputs of a reverse direction at the last time step (y[:, -1] of a bidirectional RNN) are its first step, not a summary of the sequence: use the final states h_n instead (torch.cat([h_n[-2], h_n[-1]], 1))");
  }
  return { ...data, axes, kind: 'state', parts: data.parts.map((p) => ({ ...p, what: 'h' })), fromLastStep: true };
}

function unsqueeze(node, ins, a, ctx) {
  const x = ins[0], axes = axesArg(node, ins, a);
  const fail = (m) => nodeError(node, m);
  if (!axes) throw fail('no axes');
  if (x.k === 'act') {
    const out = x.axes.slice();
    const rank = out.length + axes.length;
    for (const ax of axes.map((v) => normAxis(fail, v, rank)).sort((p, q) => p - q)) out.splice(ax, 0, '1');
    return { ...x, axes: out };
  }
  if (isConst(x) || x.k === 'sym') {
    const dims = x.dims.slice();
    const rank = dims.length + axes.length;
    for (const ax of axes.map((v) => normAxis(fail, v, rank)).sort((p, q) => p - q)) dims.splice(ax, 0, 1);
    return { ...x, dims };
  }
  if (x.k === 'zeros') {
    const shape = x.shape.slice();
    for (const ax of axes.map((v) => normAxis(fail, v, shape.length + axes.length)).sort((p, q) => p - q)) shape.splice(ax, 0, 1);
    return { k: 'zeros', shape };
  }
  throw fail(`an Unsqueeze of ${kindOf(x)}`);
}

function squeeze(node, ins, a, ctx) {
  const x = ins[0];
  const fail = (m) => nodeError(node, m);
  let axes = axesArg(node, ins, a);
  if (x.k === 'act') {
    if (!axes) axes = x.axes.map((l, k) => (axisSize(ctx, x, l) === 1 ? k : -1)).filter((k) => k >= 0);
    const drop = new Set(axes.map((v) => normAxis(fail, v, x.axes.length)));
    let out = { ...x };
    for (const k of drop) {
      const l = x.axes[k];
      if (l === 'L') out = lastStep(fail, out, out.axes, -1, ctx);
      else if (!(l === '1' || (l === 'D' && x.parts.length === 1))) throw fail(`squeezing the ${l} axis of activations (size ${showSize(axisSize(ctx, x, l))})`);
    }
    return { ...out, axes: x.axes.filter((_, k) => !drop.has(k)) };
  }
  if (isConst(x) || x.k === 'sym') {
    const drop = new Set((axes ?? x.dims.map((d, k) => (d === 1 ? k : -1)).filter((k) => k >= 0)).map((v) => normAxis(fail, v, x.dims.length)));
    return { ...x, dims: x.dims.filter((_, k) => !drop.has(k)) };
  }
  if (x.k === 'zeros') return { k: 'zeros', shape: x.shape.filter((d) => d !== 1) };
  throw fail(`a Squeeze of ${kindOf(x)}`);
}

function concat(node, ins, a, ctx) {
  const fail = (m) => nodeError(node, m);
  const axis = a.axis;
  if (axis === undefined) throw fail('no axis attribute');
  if (ins.every((v) => isConst(v) || v.k === 'sym')) {
    if (!ins.every((v) => v.dims.length === 1)) throw fail('a Concat of constants of rank > 1');
    const items = ins.flatMap((v) => Array.from(isConst(v) ? v.data : v.items));
    if (items.every((d) => typeof d === 'number')) return { k: 'const', float: ins.every((v) => v.float), dims: [items.length], data: items };
    return { k: 'sym', dims: [items.length], items };
  }
  if (ins.every((v) => v.k === 'zeros')) return { k: 'zeros', shape: ins[0].shape };
  if (ins.every((v) => v.k === 'act' && (v.kind === 'y' || v.kind === 'state'))) {
    const first = ins[0], ax = normAxis(fail, axis, first.axes.length);
    if (!ins.every((v) => permKey(v.perm) === permKey(first.perm))) throw fail('a Concat of activations in different batch orders');
    if (!ins.every((v) => v.kind === first.kind && v.axes.join() === first.axes.join())) {
      throw fail(`a Concat of activations with different layouts (${ins.map((v) => `${v.kind} (${v.axes.join(', ')})`).join('; ')})`);
    }
    const label = first.axes[ax];
    const parts = ins.flatMap((v) => v.parts);
    if (label === 'D') return { ...first, parts };
    if (label === 'F' && !first.axes.includes('D')) return { ...first, parts };
    if (label === '1') return { ...first, axes: first.axes.map((l, k) => (k === ax ? 'D' : l)), parts };
    throw fail(`a Concat along the ${label} axis of activations`);
  }
  throw fail(`a Concat of ${ins.map(kindOf).join(', ')}`);
}

function slice(node, ins, a, ctx) {
  const x = ins[0];
  const fail = (m) => nodeError(node, m);
  let starts, ends, axes, steps;
  if (a.starts) ({ starts, ends } = a), axes = a.axes ?? starts.map((_, k) => k), steps = starts.map(() => 1);
  else {
    const arg = (k) => {
      if (ins[k] === undefined) return undefined;
      if (!isConst(ins[k])) throw fail(`input ${k} must be constant`);
      return ins[k].data.slice();
    };
    starts = arg(1); ends = arg(2); axes = arg(3); steps = arg(4);
    if (!starts || !ends) throw fail('starts and ends are needed');
    axes ??= starts.map((_, k) => k);
    steps ??= starts.map(() => 1);
  }
  if (steps.some((s) => s !== 1)) throw fail(`steps ${steps}: only 1 is supported`);
  const range = (k, n) => {
    const clamp = (v) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    return [clamp(starts[k]), clamp(ends[k])];
  };
  if (x.k === 'state') {
    if (axes.length !== 1 || axes[0] !== 0) throw fail('a Slice of an initial-state input other than along its first axis');
    const n = x.rows[1] - x.rows[0];
    const [s, e] = range(0, n);
    return { ...x, rows: [x.rows[0] + s, x.rows[0] + e] };
  }
  if (x.k === 'zeros' || allZero(x)) return { k: 'zeros', shape: x.shape ?? x.dims };
  if (isConst(x) || x.k === 'sym') {
    if (x.dims.length !== 1 || axes.length !== 1 || axes[0] !== 0 && axes[0] !== -1) throw fail('a Slice of a constant of rank > 1');
    const items = isConst(x) ? Array.from(x.data) : x.items;
    const [s, e] = range(0, items.length);
    const out = items.slice(s, e);
    if (out.every((d) => typeof d === 'number')) return { k: 'const', float: isConst(x) && x.float, dims: [out.length], data: isConst(x) && x.float ? Float32Array.from(out) : out };
    return { k: 'sym', dims: [out.length], items: out };
  }
  if (x.k === 'act') {
    let out = { ...x, axes: x.axes.slice() };
    axes.forEach((axis, k) => {
      const ax = normAxis(fail, axis, x.axes.length), label = x.axes[ax];
      if (label === 'T') {
        if (starts[k] === -1 && ends[k] >= BIG) out.axes[ax] = 'L';
        else if (starts[k] === 0 && ends[k] >= BIG) { /* the whole axis */ }
        else throw fail(`a Slice [${starts[k]}, ${ends[k]}) of the time axis: only the last step is a model output`);
      } else if (label === 'D' || (label === 'F' && (x.kind === 'y' || x.kind === 'state') && !x.axes.includes('D'))) {
        let n = x.parts.length, unit = 1;
        if (label === 'F') { unit = x.parts[0].rec.H; n *= unit; }
        const [s, e] = range(k, n);
        if (s % unit || e % unit) throw fail(`a Slice [${s}, ${e}) of the features that does not fall on direction boundaries (multiples of ${unit})`);
        out = { ...out, parts: out.parts.slice(s / unit, e / unit) };
      } else if (!(starts[k] === 0 && ends[k] >= BIG)) {
        throw fail(`a Slice of the ${label} axis of activations`);
      }
    });
    return out;
  }
  throw fail(`a Slice of ${kindOf(x)}`);
}

function transposeOp(node, x, a) {
  const fail = (m) => nodeError(node, m);
  if (x.k === 'act') {
    const perm = a.perm ?? x.axes.map((_, k) => x.axes.length - 1 - k);
    if (perm.length !== x.axes.length) throw fail(`perm [${perm}] for ${x.axes.length} axes`);
    return { ...x, axes: perm.map((p) => x.axes[p]) };
  }
  if (x.k === 'zeros') return x;
  if (isConst(x) && x.dims.length <= 1) return x;
  throw fail(`a Transpose of ${kindOf(x)}`);
}

// Reshape of activations: the candidate layouts are the input's with a (D, F) pair merged into F
// and size-one axes dropped; the target must describe one of them.
function reshape(node, ins, a, ctx) {
  const [x, shapeV] = ins;
  const fail = (m) => nodeError(node, m);
  if (!shapeV || !(isConst(shapeV) || shapeV.k === 'sym')) throw fail('the shape must be computed from constants and shapes');
  const target = isConst(shapeV) ? Array.from(shapeV.data) : shapeV.items;
  if (x.k === 'zeros') return { k: 'zeros', shape: target };
  if (isConst(x)) {
    if (!target.every((d) => typeof d === 'number')) throw fail('a symbolic reshape of a constant');
    const n = numel(x.dims);
    let dims = target.map((d, k) => (d === 0 ? x.dims[k] : d));
    if (dims.includes(-1)) dims = dims.map((d) => (d === -1 ? n / numel(dims.filter((e) => e !== -1)) : d));
    if (numel(dims) !== n) throw fail(`reshape of [${x.dims}] to [${target}]`);
    return { ...x, dims };
  }
  if (x.k !== 'act') throw fail(`a Reshape of ${kindOf(x)}`);
  const candidates = [];
  const variants = (axes) => {
    const list = [axes];
    const di = axes.indexOf('D');
    if (di >= 0 && axes[di + 1] === 'F') list.push([...axes.slice(0, di), 'F', ...axes.slice(di + 2)]);
    return list;
  };
  for (const v of variants(x.axes)) {
    candidates.push(v);
    const dropped = v.filter((l) => !(l === '1' || (l === 'D' && x.parts?.length === 1)));
    if (dropped.length !== v.length) candidates.push(dropped);
  }
  for (const axes of candidates) {
    if (axes.length !== target.length) continue;
    const merged = !axes.includes('D') && x.axes.includes('D');
    const probe = merged ? { ...x, axes } : { ...x, axes };
    let inferred = 0, ok = true;
    axes.forEach((l, k) => {
      const t = target[k], size = axisSize(ctx, probe, l);
      if (t === -1) inferred++;
      else if (t === 0) ok &&= k < x.axes.length && x.axes[k] === l;
      else ok &&= sizeEq(t, size);
    });
    if (ok && inferred <= 1) return { ...x, axes };
  }
  throw fail(`a reshape of activations (${x.axes.join(', ')}) to [${target.map((t) => (typeof t === 'number' ? t : t.s))}] that does not only merge the directions into the features or drop size-one axes`);
}

function matmul(node, ins) {
  const [x, W] = ins;
  const fail = (m) => nodeError(node, m);
  if (!(x.k === 'act' && isConst(W) && W.float && W.dims.length === 2)) {
    throw fail(`a MatMul of ${kindOf(x)} by ${kindOf(W)}: only activations times a constant (features, outputs) matrix is a head`);
  }
  if (x.kind === 'head' || x.kind === 'input' || x.kind === 'embed') throw fail(`a MatMul on ${x.kind} values: only the recurrent layers' outputs go into the head`);
  if (x.axes[x.axes.length - 1] !== 'F' || x.axes.includes('D')) throw fail(`a MatMul over the ${x.axes[x.axes.length - 1]} axis`);
  if (W.dims[0] !== featureWidth(x)) throw fail(`the matrix has ${W.dims[0]} rows, the features are ${featureWidth(x)} wide`);
  return { k: 'act', kind: 'head', axes: x.axes, src: x, W, bias: null, perm: x.perm };
}

function addBias(node, ins) {
  const fail = (m) => nodeError(node, m);
  const act = ins.find((v) => v.k === 'act'), b = ins.find((v) => v !== act);
  if (!(act.kind === 'head' && !act.bias && isConst(b) && b.float)) throw fail(`an Add of ${ins.map(kindOf).join(' and ')}: only a bias added to the head's MatMul`);
  const O = act.W.dims[1];
  if (numel(b.dims) !== O || b.dims.some((d, k) => d !== 1 && k !== b.dims.length - 1)) throw fail(`a bias of shape [${b.dims}] for ${O} outputs`);
  return { ...act, bias: Float32Array.from(b.data) };
}

function gemm(node, ins, a) {
  const [x, Bm, C] = ins;
  const fail = (m) => nodeError(node, m);
  if ((a.alpha ?? 1) !== 1 || (a.beta ?? 1) !== 1 || a.transA) throw fail('a Gemm with alpha, beta ≠ 1 or transA');
  if (!(x.k === 'act' && x.axes.length === 2 && x.axes[1] === 'F' && isConst(Bm) && Bm.float && Bm.dims.length === 2)) {
    throw fail(`a Gemm of ${kindOf(x)} by ${kindOf(Bm)}`);
  }
  let W = Bm;
  if (a.transB) {
    const [r, c] = Bm.dims, t = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = Bm.data[i * c + j];
    W = { ...Bm, dims: [c, r], data: t };
  }
  const head = matmul(node, [x, W]);
  return C === undefined ? head : addBias(node, [head, C]);
}

// ---- recurrent ops

const ALLOWED_ATTRS = {
  LSTM: ['hidden_size', 'direction', 'activations', 'activation_alpha', 'activation_beta', 'clip', 'input_forget', 'layout'],
  GRU: ['hidden_size', 'direction', 'activations', 'activation_alpha', 'activation_beta', 'clip', 'linear_before_reset', 'layout'],
  RNN: ['hidden_size', 'direction', 'activations', 'activation_alpha', 'activation_beta', 'clip', 'layout'],
};
const PARAM_ACTIVATIONS = new Set(['Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softplus']);

function recurrent(node, ins, a, ctx) {
  const op = node.opType, cell = RECURRENT[op];
  const fail = (m) => nodeError(node, m);
  for (const k of Object.keys(a)) if (!ALLOWED_ATTRS[op].includes(k)) throw fail(`attribute '${k}' is not supported`);
  if (a.clip !== undefined) throw fail(`attribute 'clip' (${a.clip}): cell clipping is not supported`);
  if (a.input_forget) throw fail("attribute 'input_forget' = 1 (coupled input and forget gates) is not supported");
  if (op === 'GRU' && a.linear_before_reset !== 1) {
    throw fail(`attribute 'linear_before_reset' is ${a.linear_before_reset ?? 0}: only 1 (PyTorch's and Keras reset_after's GRU, r ⊙ (h·R + Rb)) is supported`);
  }
  const H = a.hidden_size;
  if (!(Number.isInteger(H) && H >= 1 && H <= 4096)) throw fail(`attribute 'hidden_size' is ${H}: expected an integer in [1, 4096]`);
  const direction = a.direction ?? 'forward';
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw fail(`direction '${direction}'`);
  const D = direction === 'bidirectional' ? 2 : 1;
  const layout = a.layout ?? 0;
  if (layout !== 0 && layout !== 1) throw fail(`layout ${layout}`);
  const G = GATES[cell], GH = G * H;
  const [X, W, R, Bv, lens, h0, c0, P] = ins;
  if (P !== undefined) throw fail("input P (peephole weights) is not supported");
  if (!(X && X.k === 'act' && ['input', 'embed', 'y'].includes(X.kind))) throw fail(`input X is ${kindOf(X)}, not the model input or a previous layer's outputs`);
  const want = layout === 0 ? ['T', 'B', 'F'] : ['B', 'T', 'F'];
  if (X.axes.join() !== want.join()) {
    if (!ctx.timeMajor && X.axes.join() === [want[1], want[0], 'F'].join() && ctx.records.length === 0) throw new TimeMajor();
    throw fail(`input X has axes (${X.axes.join(', ')}), expected (${want.join(', ')}) for layout ${layout}`);
  }
  if (X.kind === 'y' && X.parts.some((p) => p.what !== 'y')) throw fail('input X mixes outputs and states');
  const In = featureWidth(X);
  for (const [name, v, dims] of [['W', W, [D, GH, In]], ['R', R, [D, GH, H]]]) {
    if (!isConst(v) || !v.float) throw fail(`input ${name} must be a constant float tensor, got ${kindOf(v)}`);
    if (v.dims.join() !== dims.join()) throw fail(`input ${name} has shape [${v.dims}], expected [${dims}] (directions, ${G}·hidden_size, ${name === 'W' ? 'input size' : 'hidden_size'})`);
  }
  let bias = null;
  if (Bv !== undefined) {
    if (!isConst(Bv) || !Bv.float || Bv.dims.join() !== [D, 2 * GH].join()) throw fail(`input B must be a constant [${D}, ${2 * GH}], got ${isConst(Bv) ? `[${Bv.dims}]` : kindOf(Bv)}`);
    bias = Bv.data;
  }
  let lengths = false;
  if (lens !== undefined) {
    const full = lens.k === 'sym' && lens.items.every((v) => sizeEq(v, ctx.sizes.T));
    if (lens.k !== 'lengths' && !full) throw fail(`input sequence_lens is ${kindOf(lens)}: only a graph input of lengths is supported`);
    if (lens.k === 'lengths') {
      if (permKey(lens.perm) !== permKey(X.perm)) throw fail('input sequence_lens is in another batch order than input X');
      lengths = true;
    }
  }
  const gateAct = activations(node, a, op, D);
  const state = (v, name) => {
    if (v === undefined || v.k === 'zeros') return null;
    if (isConst(v) && v.data.every((x) => x === 0)) return null;
    if (v.k === 'state') {
      if (v.rows[1] - v.rows[0] !== D) throw fail(`input ${name} takes rows [${v.rows}) of '${v.name}', expected ${D}`);
      return { input: v.name, rows: v.rows };
    }
    throw fail(`input ${name} is ${kindOf(v)}: only zeros or a graph input of initial states are supported`);
  };
  const rec = {
    index: ctx.records.length, node, op, cell, H, D, direction, input: X, W: W.data, R: R.data, B: bias, In, gateAct,
    initialH: state(h0, 'initial_h'), initialC: op === 'LSTM' ? state(c0, 'initial_c') : null,
    directionOf: (d) => (direction === 'bidirectional' ? (d ? 'reverse' : 'forward') : direction),
  };
  ctx.records.push(rec);
  const parts = (what) => Array.from({ length: D }, (_, d) => ({ rec, dir: d, what }));
  rec.lengths = lengths;
  const Y = { k: 'act', kind: 'y', axes: layout === 0 ? ['T', 'D', 'B', 'F'] : ['B', 'T', 'D', 'F'], parts: parts('y'), perm: X.perm };
  const Yh = { k: 'act', kind: 'state', axes: layout === 0 ? ['D', 'B', 'F'] : ['B', 'D', 'F'], parts: parts('h'), perm: X.perm };
  const Yc = op === 'LSTM' ? { ...Yh, parts: parts('c') } : undefined;
  return [Y, Yh, Yc];
}

// The gate activation of this node ('sigmoid' | 'hardSigmoid'), after checking the others are tanh.
function activations(node, a, op, D) {
  const fail = (m) => nodeError(node, m);
  const per = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] }[op];
  const list = a.activations ?? Array(D).fill(per).flat();
  if (list.length !== per.length * D) throw fail(`attribute 'activations' has ${list.length} entries, expected ${per.length * D}`);
  const alpha = a.activation_alpha ?? [], beta = a.activation_beta ?? [];
  // alpha/beta: one per activation in order (how onnxruntime reads them), or one per
  // activation that takes parameters; either way a HardSigmoid here must be 0.2x + 0.5.
  let q = 0;
  const gate = new Set();
  list.forEach((name, k) => {
    const role = per[k % per.length];
    const takes = PARAM_ACTIVATIONS.has(name);
    const al = alpha.length === list.length ? alpha[k] : takes ? alpha[q] : undefined;
    const be = beta.length === list.length ? beta[k] : takes ? beta[q] : undefined;
    if (takes) q++;
    if (role === 'Tanh') {
      if (name !== 'Tanh') throw fail(`attribute 'activations': '${name}' where wasm-lstm has tanh (entry ${k}); only sigmoid or hard-sigmoid gates with tanh are supported`);
      return;
    }
    if (name === 'Sigmoid') gate.add('sigmoid');
    else if (name === 'HardSigmoid') {
      if ((al !== undefined && al !== Math.fround(0.2)) || (be !== undefined && be !== Math.fround(0.5))) {
        throw fail(`attribute 'activation_alpha'/'activation_beta': HardSigmoid with alpha ${al}, beta ${be}; only 0.2, 0.5 (Keras's hard_sigmoid) is supported`);
      }
      gate.add('hardSigmoid');
    } else {
      throw fail(`attribute 'activations': '${name}' as the gate activation (entry ${k}); only Sigmoid and HardSigmoid are supported`);
    }
  });
  if (gate.size > 1) throw fail("attribute 'activations': the two directions use different gate activations");
  return op === 'RNN' ? 'sigmoid' : [...gate][0];
}

// ---- from the interpreted graph to our description

function describe(g, ctx, options) {
  const outs = g.output.map((o) => ({ name: o.name, v: ctx.env.get(o.name) }));
  if (!outs.length || outs.some((o) => o.v === undefined)) throw formatError(WHAT, 'graph outputs that no node computes');
  const main = outs[0];
  const v = main.v;
  if (v.k !== 'act' || !['head', 'y', 'state'].includes(v.kind)) throw formatError(WHAT, `the first output '${main.name}' is ${kindOf(v)}, not the model's output`);
  const notes = [];
  if (permKey(v.perm)) throw formatError(WHAT, `output '${main.name}' is in another batch order than the input (a sort of the batch that is not undone)`);
  const src = v.kind === 'head' ? v.src : v;
  let summary;
  if (src.kind === 'y' && src.axes.join() === 'B,T,F') summary = 'sequence';
  else if (src.kind === 'y' && src.axes.join() === 'T,B,F') { summary = 'sequence'; notes.push(`output '${main.name}' is time-major (T, B, O)`); }
  else if (src.kind === 'state' && src.axes.join() === 'B,F' && !src.axes.includes('D')) summary = 'last';
  else throw formatError(WHAT, `output '${main.name}' has layout (${src.axes.join(', ')}) of ${src.kind} values: expected per-step outputs (B, T, F) or final states (B, F)`);
  if (ctx.timeMajor) notes.push('the model input is time-major (T, B, …): batch_first=False; our inputs are batch-first');

  // the top layer: its directions in order
  const top = src.parts;
  const layers = [];
  let parts = top;
  for (;;) {
    const recs = parts.map((p) => p.rec);
    const dirs = parts.map((p) => p.rec.directionOf(p.dir));
    if (!(dirs.join() === 'forward' || dirs.join() === 'forward,reverse')) {
      throw formatError(WHAT, `a layer made of the directions (${dirs.join(', ')}) of nodes ${recs.map((r) => `'${r.node.name}'`).join(', ')}: expected forward, or forward then reverse`);
    }
    if (recs.length === 2 && recs[0] !== recs[1] && !sameSource(recs[0].input, recs[1].input)) {
      throw formatError(WHAT, `nodes '${recs[0].node.name}' and '${recs[1].node.name}' are one layer's directions but read different inputs`);
    }
    layers.unshift(parts);
    const input = recs[0].input;
    if (input.kind !== 'y') break;
    parts = input.parts;
  }
  const expectKind = summary === 'last' ? 'h' : 'y';
  if (top.some((p) => p.what !== expectKind)) throw formatError(WHAT, `output '${main.name}' uses ${top.map((p) => p.what).join(', ')} of the top layer`);

  const first = layers[0][0].rec, cell = first.cell, H = first.H, D = layers[0].length;
  const gateActivation = first.gateAct;
  for (const [l, ps] of layers.entries()) {
    for (const p of ps) {
      const r = p.rec;
      if (r.cell !== cell || r.H !== H) throw formatError(WHAT, `node '${r.node.name}' (layer ${l}) is a ${r.op} of hidden size ${r.H}, layer 0 a ${first.op} of ${H}: all layers must be alike`);
      if (r.gateAct !== gateActivation) throw formatError(WHAT, `node '${r.node.name}' uses ${r.gateAct} gates, layer 0 ${gateActivation}`);
    }
    if (ps.length !== D) throw formatError(WHAT, `layer ${l} has ${ps.length} directions, layer 0 has ${D}`);
  }
  const used = new Set(layers.flat().map((p) => p.rec));
  if (ctx.records.some((r) => !used.has(r))) notes.push(`recurrent nodes not on the path to the output were ignored: ${ctx.records.filter((r) => !used.has(r)).map((r) => r.node.name).join(', ')}`);
  checkStates(layers, D);

  const G = GATES[cell], GH = G * H, order = GATE_ORDER[cell].onnx;
  const parameters = {};
  const config = { cell, hidden: H, layers: layers.length, output: 0, bidirectional: D === 2, gateActivation };
  layers.forEach((ps, l) => {
    ps.forEach((p, d) => {
      const r = p.rec, s = DIRECTIONS[d], In = r.In, k = p.dir;
      const wx = rowsToOurs(r.W.subarray(k * GH * In, (k + 1) * GH * In), In, H, order);
      const wh = rowsToOurs(r.R.subarray(k * GH * H, (k + 1) * GH * H), H, H, order);
      const zero = new Float32Array(GH);
      const wb = r.B ? rowsToOurs(r.B.subarray(k * 2 * GH, k * 2 * GH + GH), 1, H, order) : zero;
      const rb = r.B ? rowsToOurs(r.B.subarray(k * 2 * GH + GH, (k + 1) * 2 * GH), 1, H, order) : zero;
      if (l === 0 && r.input.kind === 'embed') {
        const E = r.input.table, V = E.dims[0];
        parameters[`l0.wx${s}`] = { shape: [V, GH], data: foldEmbedding(E.data, V, In, wx, GH) };
        config.vocab = V;
      } else {
        parameters[`l${l}.wx${s}`] = { shape: [In, GH], data: wx };
        if (l === 0) config.input = In;
      }
      parameters[`l${l}.wh${s}`] = { shape: [H, GH], data: wh };
      if (cell === 'gru') {
        parameters[`l${l}.bx${s}`] = { shape: [GH], data: wb };
        parameters[`l${l}.bh${s}`] = { shape: [GH], data: rb };
      } else {
        parameters[`l${l}.b${s}`] = { shape: [GH], data: sumBiases(wb, rb) };
      }
    });
    if (l > 0) {
      const input = ps[0].rec.input;
      const prev = layers[l - 1].map(partKey).join();
      if (input.parts.map(partKey).join() !== prev) throw formatError(WHAT, `layer ${l} reads the outputs of layer ${l - 1} in another order than forward, reverse`);
    }
  });
  if (config.vocab !== undefined) notes.push('the embedding Gather is folded into l0.wx (table · Wᵀ in float64)');
  if (layers.some((ps) => ps.some((p) => p.rec.lengths))) notes.push('the graph takes sequence lengths (sequence_lens): pass lengths to predict');
  if (v.kind === 'head') {
    const O = v.W.dims[1];
    parameters['head.w'] = { shape: [D * H, O], data: Float32Array.from(v.W.data) };
    parameters['head.b'] = { shape: [O], data: v.bias ?? new Float32Array(O) };
    config.output = O;
  } else {
    Object.assign(parameters, identityHead(D * H));
    config.output = D * H;
    notes.push(`no head: an identity head, so the outputs are the top layer's ${summary === 'last' ? 'final states' : 'outputs'}`);
  }
  if (v.softmax) { config.loss = summary === 'last' ? 'xent-last' : 'xent'; notes.push('the graph ends in a Softmax: use predict({softmax: true})'); }
  if (options.loss !== undefined) config.loss = options.loss;
  for (const o of outs.slice(1)) {
    if (!(o.v.k === 'act' && o.v.kind === 'state')) throw formatError(WHAT, `output '${o.name}' is ${kindOf(o.v)}: only final states may be outputs besides the model's`);
    if (permKey(o.v.perm)) throw formatError(WHAT, `output '${o.name}' holds final states in the sorted batch order of a packed sequence`);
  }
  return checkDescription({ config, parameters: ordered(config, parameters), summary: options.summary ?? summary, notes }, WHAT);
}

// Whether two recurrent nodes read the same thing (separate forward and reverse nodes of a layer).
function sameSource(a, b) {
  if (a.kind !== b.kind || a.axes.join() !== b.axes.join()) return false;
  if (a.kind === 'embed') return a.table === b.table;
  if (a.kind === 'y') return a.parts.map(partKey).join() === b.parts.map(partKey).join();
  return true; // the model input
}

// Initial-state inputs must follow PyTorch's h_0 layout: layer l reads rows [l·D, (l+1)·D) of
// one input, so that predict's initialState means the same thing.
function checkStates(layers, D) {
  for (const which of ['initialH', 'initialC']) {
    const given = layers.map((ps) => ps[0].rec[which]);
    if (given.every((s) => s === null)) continue;
    given.forEach((s, l) => {
      if (!s || s.rows[0] !== l * D || s.input !== given[0]?.input) {
        throw formatError(WHAT, `${which === 'initialH' ? 'initial_h' : 'initial_c'} of layer ${l} is ${s ? `rows [${s.rows}) of '${s.input}'` : 'zeros'}: expected rows [${l * D}, ${(l + 1) * D}) of one input for every layer (PyTorch's h_0 layout)`);
      }
    });
  }
}
