// tfjs.js — the TensorFlow.js layers-model format: model.json plus binary weight files, as
// `model.save()` in TF.js and `tensorflowjs_converter` from Keras write it; and the
// ModelArtifacts object that TF.js IOHandlers pass around (tf.io.withSaveHandler / fromMemory).
//
// model.json:
//   { "format": "layers-model", "generatedBy": …, "convertedBy": …,
//     "modelTopology": <Keras model config: {class_name, config, keras_version, backend}, or, from
//                       the Keras converter, {model_config: {class_name, config}, training_config, …}>,
//     "weightsManifest": [ { "paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"],
//                            "weights": [ {"name", "shape", "dtype", "quantization"?}, … ] }, … ] }
// Each manifest group's files, concatenated in order, hold its weights one after the other,
// row-major, little-endian: float32 and int32 4 bytes, bool 1. A quantised weight has
// "quantization": {"dtype": "uint8"|"uint16", "scale", "min"} (value = q·scale + min) or
// {"dtype": "float16"}: we dequantise it exactly as TF.js does (in float64, stored as float32).
// string and complex64 weights are refused. ModelArtifacts: {modelTopology, weightSpecs,
// weightData: ArrayBuffer (or an array of them)} — one group whose data is weightData.
// Every size is checked: weights inside their group's bytes, the group's bytes fully used.

import { formatError, asBytes, decodeUtf8, encodeUtf8, readF32LE, halfToFloat, f32ToBytes, concatBytes } from './bytes.js';
import { LstmError, describe } from '../errors.js';

const DTYPE_SIZE = { float32: 4, int32: 4, bool: 1 };
const QUANT_SIZE = { uint8: 1, uint16: 2, float16: 2 };
const MAX_JSON = 64 << 20;

/**
 * Reads a layers model from `input`: a map of file name → contents (`{'model.json': …, 'x.bin':
 * Uint8Array}`; model.json may be bytes, a string or the parsed object), or a ModelArtifacts
 * object. Returns `{ topology: <Keras model config {class_name, config}>, weights: Map<name,
 * {shape, data: Float32Array}>, order: [names in manifest order], dequantized: [names] }`.
 */
export function readTfjs(input, what = 'TF.js model') {
  let json, groups;
  if (input && typeof input === 'object' && 'modelTopology' in input && !('model.json' in input)) {
    if (input.weightSpecs !== undefined && !Array.isArray(input.weightSpecs)) {
      throw formatError(what, `weightSpecs: expected an array, got ${describe(input.weightSpecs)}`);
    }
    json = { modelTopology: input.modelTopology, weightsManifest: [{ paths: ['<weightData>'], weights: input.weightSpecs ?? [] }] };
    const wd = input.weightData;
    const parts = Array.isArray(wd) ? wd : wd === undefined ? [] : [wd];
    groups = [concatBytes(parts.map((p, k) => asBytes(p, `weightData[${k}]`)))];
  } else if (input && typeof input === 'object') {
    const files = input instanceof Map ? Object.fromEntries(input) : input;
    const key = Object.keys(files).find((k) => k === 'model.json' || k.endsWith('/model.json')) ??
      Object.keys(files).find((k) => k.endsWith('.json'));
    if (!key) throw new LstmError('arg', `files: expected a 'model.json' entry, got ${Object.keys(files).join(', ') || 'no files'}`, { argument: 'files' });
    json = parseJson(files[key], `${what}: ${key}`);
    const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    if (!Array.isArray(json.weightsManifest)) throw formatError(`${what}: ${key}`, 'no weightsManifest array');
    groups = json.weightsManifest.map((g, gi) => {
      if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw formatError(`${what}: ${key}`, `weightsManifest[${gi}]: expected {paths, weights}`);
      return concatBytes(g.paths.map((p) => {
        const name = typeof p === 'string' ? p : '';
        const data = files[name] ?? files[dir + name] ?? files[name.split('/').pop()];
        if (data === undefined) throw new LstmError('arg', `files: the manifest needs '${name}', which was not given (given: ${Object.keys(files).join(', ')})`, { argument: 'files' });
        return asBytes(data, `files['${name}']`);
      }));
    });
  } else {
    throw new LstmError('arg', `input: expected {'model.json': …, '<weights>.bin': Uint8Array} or TF.js ModelArtifacts, got ${describe(input)}`, { argument: 'input' });
  }

  let topology = json.modelTopology;
  if (topology && typeof topology === 'object' && topology.model_config) topology = topology.model_config;
  if (!topology || typeof topology !== 'object' || typeof topology.class_name !== 'string') {
    throw formatError(what, 'modelTopology is not a Keras model config ({class_name, config})');
  }

  const weights = new Map();
  const order = [];
  const dequantized = [];
  json.weightsManifest.forEach((g, gi) => {
    const bytes = groups[gi];
    let at = 0;
    g.weights.forEach((spec, wi) => {
      const label = `${what}: weightsManifest[${gi}].weights[${wi}]`;
      if (!spec || typeof spec.name !== 'string') throw formatError(label, 'expected {name, shape, dtype}');
      const { name, shape, dtype = 'float32', quantization } = spec;
      const l = `${what}: weight '${name}'`;
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw formatError(l, `shape ${JSON.stringify(shape)}: expected non-negative integers`);
      }
      if (!DTYPE_SIZE[dtype]) throw formatError(l, `dtype '${dtype}' is not supported (float32, int32, bool)`);
      const numel = shape.reduce((a, b) => a * b, 1);
      let size = DTYPE_SIZE[dtype];
      if (quantization) {
        size = QUANT_SIZE[quantization.dtype];
        if (!size) throw formatError(l, `quantization dtype '${quantization.dtype}' is not supported (uint8, uint16, float16)`);
        if (quantization.dtype !== 'float16' && !(Number.isFinite(quantization.scale) && Number.isFinite(quantization.min))) {
          throw formatError(l, `quantization ${JSON.stringify(quantization)}: needs finite scale and min`);
        }
      }
      if (at + numel * size > bytes.length) {
        throw formatError(l, `needs bytes [${at}, ${at + numel * size}) of its weight files, which hold ${bytes.length} (truncated?)`);
      }
      if (weights.has(name)) throw formatError(l, 'appears twice in the manifest');
      const raw = bytes.subarray(at, at + numel * size);
      at += numel * size;
      let data;
      if (quantization) {
        data = dequantize(raw, quantization, numel);
        dequantized.push(name);
      } else if (dtype === 'float32') {
        data = readF32LE(raw, numel, l);
      } else {
        const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        data = Float32Array.from({ length: numel }, (_, k) => (dtype === 'int32' ? v.getInt32(4 * k, true) : raw[k]));
      }
      weights.set(name, { shape: shape.slice(), data, dtype });
      order.push(name);
    });
    if (at !== bytes.length) throw formatError(`${what}: weightsManifest[${gi}]`, `its weights use ${at} bytes, its files hold ${bytes.length}`);
  });
  return { topology, weights, order, dequantized };
}

function parseJson(v, what) {
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) return v;
  const text = typeof v === 'string' ? v : decodeUtf8(asBytes(v, 'model.json'), what);
  if (text.length > MAX_JSON) throw formatError(what, `${text.length} characters of JSON (at most ${MAX_JSON})`);
  try {
    const j = JSON.parse(text);
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('not an object');
    return j;
  } catch (err) {
    throw formatError(what, `not a JSON object (${err.message})`);
  }
}

function dequantize(raw, q, numel) {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(numel);
  if (q.dtype === 'float16') for (let k = 0; k < numel; k++) out[k] = halfToFloat(v.getUint16(2 * k, true));
  else if (q.dtype === 'uint8') for (let k = 0; k < numel; k++) out[k] = raw[k] * q.scale + q.min;
  else for (let k = 0; k < numel; k++) out[k] = v.getUint16(2 * k, true) * q.scale + q.min;
  return out;
}

/**
 * A layers model from a Keras model config and weights [[name, {shape, data}]] in the order the
 * model's layers declare them. Returns `{ files: {'model.json': Uint8Array, 'weights.bin':
 * Uint8Array}, artifacts: ModelArtifacts (for tf.io.fromMemory) }`.
 */
export function writeTfjs(topology, weights, weightsFile = 'weights.bin') {
  const specs = weights.map(([name, t]) => ({ name, shape: t.shape, dtype: 'float32' }));
  const bin = concatBytes(weights.map(([, t]) => f32ToBytes(t.data)));
  const json = {
    format: 'layers-model', generatedBy: 'wasm-lstm', convertedBy: null,
    modelTopology: topology, weightsManifest: [{ paths: [weightsFile], weights: specs }],
  };
  return {
    files: { 'model.json': encodeUtf8(JSON.stringify(json)), [weightsFile]: bin },
    artifacts: { modelTopology: topology, weightSpecs: specs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), format: 'layers-model', generatedBy: 'wasm-lstm' },
  };
}
