// onnx.js — the subset of the ONNX file format (onnx/onnx.proto, IR version ≤ 8) that recurrent
// models use: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto
// (with TypeProto.Tensor and TensorShapeProto), OperatorSetIdProto, StringStringEntryProto.
// Field numbers below are onnx.proto's. Decoding gives plain objects with tensors already
// checked and converted; encoding takes the same shapes back.
//
// TensorProto data: either raw_data (little-endian elements, packed) or the typed repeated field
// for its type (float_data for FLOAT/FLOAT16 bits..., int32_data, int64_data, double_data); the
// element count must equal Π dims. Types read: FLOAT, DOUBLE (rounded to float32), FLOAT16,
// INT64, INT32, INT16, INT8, UINT8, UINT16, BOOL. External data (data_location = EXTERNAL, a
// separate .data file) is refused with that explanation.

import { formatError, readF32LE, halfToFloat, f32ToBytes } from './bytes.js';
import { decodeMessage, encodeMessage } from './protobuf.js';

export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16 };
const DTYPE_NAME = Object.fromEntries(Object.entries(DTYPE).map(([k, v]) => [v, k]));
const ELEMENT_SIZE = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 };

const StringStringEntry = { 1: ['key', 'string'], 2: ['value', 'string'] };
const OperatorSetId = { 1: ['domain', 'string'], 2: ['version', 'int64'] };
const Dimension = { 1: ['dimValue', 'int64'], 2: ['dimParam', 'string'], 3: ['denotation', 'string'] };
const TensorShape = { 1: ['dim', Dimension, 'repeated'] };
const TypeTensor = { 1: ['elemType', 'int32'], 2: ['shape', TensorShape] };
const TypeProto = { 1: ['tensorType', TypeTensor], 4: ['sequenceType', () => ({ 1: ['elemType', TypeProto] })],
  5: ['mapType', { 1: ['keyType', 'int32'] }], 6: ['denotation', 'string'], 8: ['sparseTensorType', TypeTensor],
  9: ['optionalType', () => ({ 1: ['elemType', TypeProto] })] };
const ValueInfo = { 1: ['name', 'string'], 2: ['type', TypeProto], 3: ['docString', 'string'] };
const Segment = { 1: ['begin', 'int64'], 2: ['end', 'int64'] };
const Tensor = {
  1: ['dims', 'int64', 'repeated'], 2: ['dataType', 'int32'], 3: ['segment', Segment],
  4: ['floatData', 'floats', 'repeated'], 5: ['int32Data', 'int32', 'repeated'], 6: ['stringData', 'bytes', 'repeated'],
  7: ['int64Data', 'int64', 'repeated'], 8: ['name', 'string'], 9: ['rawData', 'bytes'], 12: ['docString', 'string'],
  13: ['externalData', StringStringEntry, 'repeated'], 14: ['dataLocation', 'int32'],
  10: ['doubleData', 'double', 'repeated'], 11: ['uint64Data', 'uint64', 'repeated'],
};
const Attribute = {
  1: ['name', 'string'], 21: ['refAttrName', 'string'], 13: ['docString', 'string'], 20: ['type', 'int32'],
  2: ['f', 'float'], 3: ['i', 'int64'], 4: ['s', 'bytes'], 5: ['t', Tensor], 6: ['g', () => Graph],
  7: ['floats', 'float', 'repeated'], 8: ['ints', 'int64', 'repeated'], 9: ['strings', 'bytes', 'repeated'],
  10: ['tensors', Tensor, 'repeated'], 11: ['graphs', () => Graph, 'repeated'],
};
const Node = { 1: ['input', 'string', 'repeated'], 2: ['output', 'string', 'repeated'], 3: ['name', 'string'],
  4: ['opType', 'string'], 7: ['domain', 'string'], 5: ['attribute', Attribute, 'repeated'], 6: ['docString', 'string'] };
const Graph = {
  1: ['node', Node, 'repeated'], 2: ['name', 'string'], 5: ['initializer', Tensor, 'repeated'],
  15: ['sparseInitializer', { 1: ['values', Tensor] }, 'repeated'], 10: ['docString', 'string'],
  11: ['input', ValueInfo, 'repeated'], 12: ['output', ValueInfo, 'repeated'], 13: ['valueInfo', ValueInfo, 'repeated'],
};
const Model = {
  1: ['irVersion', 'int64'], 8: ['opsetImport', OperatorSetId, 'repeated'], 2: ['producerName', 'string'],
  3: ['producerVersion', 'string'], 4: ['domain', 'string'], 5: ['modelVersion', 'int64'], 6: ['docString', 'string'],
  7: ['graph', Graph], 14: ['metadataProps', StringStringEntry, 'repeated'],
  20: ['trainingInfo', { 1: ['initialization', () => Graph] }, 'repeated'],
  25: ['functions', { 1: ['name', 'string'] }, 'repeated'],
};

/** Whether `bytes` could be an ONNX model: a ModelProto starts with ir_version (field 1, varint). */
export function looksLikeOnnx(bytes) {
  return bytes.length > 2 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 0x20;
}

/**
 * Decodes an ONNX model. Returns the ModelProto as a plain object; every initializer and
 * tensor attribute is replaced by {name, dims, dataType, data} with `data` a Float32Array (float
 * types) or an Array of numbers (integer types), checked against its dims.
 */
export function readOnnx(bytes, what = 'ONNX model') {
  const m = decodeMessage(bytes, Model, what);
  if (!m.graph) throw formatError(what, 'no graph (field 7): not an ONNX model');
  convertGraph(m.graph, what);
  return m;
}

function convertGraph(g, what) {
  g.initializer = g.initializer.map((t) => convertTensor(t, `${what}: initializer '${t.name}'`));
  for (const n of g.node) {
    for (const a of n.attribute) {
      if (a.t) a.t = convertTensor(a.t, `${what}: node '${n.name}' attribute '${a.name}'`);
      if (a.g) convertGraph(a.g, what);
      for (const sub of a.graphs) convertGraph(sub, what);
      a.tensors = a.tensors.map((t) => convertTensor(t, `${what}: node '${n.name}' attribute '${a.name}'`));
    }
  }
}

function convertTensor(t, what) {
  if (t.dataLocation === 1 || t.externalData.length) {
    throw formatError(what, 'stored as external data (a separate file next to the .onnx): save the model with all tensors inside it');
  }
  if (t.segment) throw formatError(what, 'a segmented tensor: not supported');
  const type = t.dataType ?? 0;
  const size = ELEMENT_SIZE[type];
  if (!size) throw formatError(what, `data type ${DTYPE_NAME[type] ?? type} is not supported`);
  let numel = 1;
  for (const d of t.dims) {
    if (!(d >= 0)) throw formatError(what, `dims [${t.dims}]: negative`);
    numel *= d;
  }
  const out = { name: t.name ?? '', dims: t.dims.slice(), dataType: type };
  if (t.rawData !== undefined) {
    if (t.rawData.length !== numel * size) {
      throw formatError(what, `dims [${t.dims}] of ${DTYPE_NAME[type]} need ${numel * size} bytes of raw_data, got ${t.rawData.length}`);
    }
    out.data = fromRaw(t.rawData, type, numel);
    return out;
  }
  let values;
  if (type === DTYPE.FLOAT) values = t.floatData;
  else if (type === DTYPE.INT64) values = t.int64Data;
  else if (type === DTYPE.DOUBLE) values = t.doubleData;
  else if (type === DTYPE.UINT64 || type === DTYPE.UINT32) values = t.uint64Data;
  else values = t.int32Data; // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16/BFLOAT16 bits
  const n = values?.length ?? 0;
  if (n !== numel) throw formatError(what, `dims [${t.dims}] need ${numel} values, the tensor has ${n}`);
  if (type === DTYPE.FLOAT) out.data = values;
  else if (type === DTYPE.DOUBLE) out.data = Float32Array.from(values);
  else if (type === DTYPE.FLOAT16) out.data = Float32Array.from(values, halfToFloat);
  else if (type === DTYPE.BFLOAT16) throw formatError(what, 'bfloat16 tensors are not supported');
  else out.data = Array.from(values);
  return out;
}

function fromRaw(raw, type, numel) {
  if (type === DTYPE.FLOAT) return readF32LE(raw, numel, 'raw_data');
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = {
    [DTYPE.DOUBLE]: (k) => v.getFloat64(8 * k, true),
    [DTYPE.FLOAT16]: (k) => halfToFloat(v.getUint16(2 * k, true)),
    [DTYPE.BFLOAT16]: (k) => new Float32Array(new Uint32Array([v.getUint16(2 * k, true) << 16]).buffer)[0],
    [DTYPE.INT64]: (k) => saturate(v.getBigInt64(8 * k, true)),
    [DTYPE.UINT64]: (k) => saturate(v.getBigUint64(8 * k, true)),
    [DTYPE.INT32]: (k) => v.getInt32(4 * k, true), [DTYPE.UINT32]: (k) => v.getUint32(4 * k, true),
    [DTYPE.INT16]: (k) => v.getInt16(2 * k, true), [DTYPE.UINT16]: (k) => v.getUint16(2 * k, true),
    [DTYPE.INT8]: (k) => v.getInt8(k), [DTYPE.UINT8]: (k) => v.getUint8(k), [DTYPE.BOOL]: (k) => v.getUint8(k),
  }[type];
  const float = type === DTYPE.DOUBLE || type === DTYPE.FLOAT16 || type === DTYPE.BFLOAT16;
  const out = float ? new Float32Array(numel) : new Array(numel);
  for (let k = 0; k < numel; k++) out[k] = read(k);
  return out;
}

const saturate = (b) => (b > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER
  : b < -BigInt(Number.MAX_SAFE_INTEGER) ? -Number.MAX_SAFE_INTEGER : Number(b));

// ---- encoding

/** A TensorProto for encoding: float32 data as raw_data, int64 as int64_data. */
export function tensorProto(name, dims, data, dataType = DTYPE.FLOAT) {
  if (dataType === DTYPE.FLOAT) return { name, dims, dataType, rawData: f32ToBytes(Float32Array.from(data)) };
  if (dataType === DTYPE.INT64) return { name, dims, dataType, int64Data: Array.from(data) };
  if (dataType === DTYPE.INT32) return { name, dims, dataType, int32Data: Array.from(data) };
  throw formatError('ONNX writer', `data type ${dataType} not supported`);
}

/** An AttributeProto from a JS value: number (int unless `float`), string, number[], tensor. */
export function attribute(name, value, kind) {
  if (kind === 'float') return { name, type: ATTR.FLOAT, f: value };
  if (kind === 'floats') return { name, type: ATTR.FLOATS, floats: value };
  if (kind === 'tensor') return { name, type: ATTR.TENSOR, t: value };
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { name, type: ATTR.STRINGS, strings: value.map((v) => new TextEncoder().encode(v)) };
    return { name, type: ATTR.INTS, ints: value };
  }
  return { name, type: ATTR.INT, i: value };
}

/** A ValueInfoProto of a tensor: dims are numbers or strings (symbolic). */
export function valueInfo(name, elemType, dims) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

/** Encodes a ModelProto given as a plain object (same names as readOnnx gives). */
export function writeOnnx(model) {
  return encodeMessage(model, Model);
}
