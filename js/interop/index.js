// wasm-lstm/interop: import and export PyTorch (.pt, .safetensors), ONNX and Keras / TF.js
// models. Types and documentation: ../interop.d.ts. Nothing here is loaded by the core package.
//
// Two levels:
//   read*/write*   bytes ↔ a plain model description (description.js), synchronous, no
//                  WebAssembly: what the tests check against the frameworks, what a CLI's
//                  `inspect` or `convert` needs
//   from*/to*      bytes ↔ Network (create + setParameters, parameters + config)

import { LstmError, describe as describeArg } from '../errors.js';
import { formatError, asBytes } from './bytes.js';
import { looksLikeZip } from './zip.js';
import { readTorchFile, writeTorchFile } from './torchfile.js';
import { readSafetensors, writeSafetensors, looksLikeSafetensors } from './safetensors.js';
import { looksLikeOnnx } from './onnx.js';
import { fromStateDict, toStateDict } from './pytorch.js';
import { checkDescription, describeNetwork, parameterSpecs } from './description.js';
import { readOnnxModel } from './onnx-import.js';
import { writeOnnxModel } from './onnx-export.js';
import { readKerasModel, writeKerasModel } from './keras.js';
import { readTfjs } from './tfjs.js';
import { inspectModel } from './inspect.js';

const PYTORCH_OPTIONS = ['names', 'strict', 'cell', 'nonlinearity', 'summary', 'loss'];
const ONNX_OPTIONS = ['loss', 'summary'];
const KERAS_OPTIONS = ['loss'];
const NETWORK_OPTION = 'network';

function options(what, o, allowed) {
  if (o === undefined) return {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new LstmError('arg', `${what}: options: expected an object, got ${describeArg(o)}`, { argument: 'options' });
  }
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new LstmError('arg', `${what}: options.${k}: unknown option (expected one of ${allowed.join(', ')})`, { argument: k });
    }
  }
  return o;
}

/** Which format `input` holds: 'pytorch' (torch.save zip), 'safetensors', 'onnx', 'tfjs'
 *  (a files object with a model.json, or ModelArtifacts), or null. */
export function detectFormat(input) {
  if (input && typeof input === 'object' && !ArrayBuffer.isView(input) && !(input instanceof ArrayBuffer)) {
    const keys = input instanceof Map ? [...input.keys()] : Object.keys(input);
    if ('modelTopology' in input || keys.some((k) => k.endsWith('.json'))) return 'tfjs';
    return null;
  }
  const b = asBytes(input, 'input');
  if (looksLikeZip(b)) return 'pytorch';
  if (looksLikeSafetensors(b)) return 'safetensors';
  if (looksLikeOnnx(b)) return 'onnx';
  return null;
}

// ---- PyTorch

/**
 * A model description from a PyTorch `torch.save(state_dict)` file (or of a whole module, or
 * TorchScript's torch.jit.save), or a `.safetensors` file
 * (told apart by their first bytes). See interop.d.ts for the options.
 */
export function readPyTorch(bytes, opts) {
  const o = options('readPyTorch', opts, PYTORCH_OPTIONS);
  const b = asBytes(bytes, 'bytes');
  let file, what;
  if (looksLikeSafetensors(b)) {
    what = 'safetensors file';
    file = readSafetensors(b, what);
  } else if (looksLikeZip(b) || (b.length >= 2 && b[0] === 0x80 && b[1] <= 5)) {
    what = 'PyTorch file';
    file = readTorchFile(b, what);
  } else {
    throw formatError('bytes', 'neither a torch.save file (a zip archive) nor a safetensors file (a u64 header length then JSON)');
  }
  const desc = fromStateDict(file.tensors, o, what);
  if (file.converted.length) desc.notes.push(`rounded from float64 to float32: ${file.converted.join(', ')}`);
  return desc;
}

/** A `.pt` (torch.save of the state_dict, default) or `.safetensors` file of a description. */
export function writePyTorch(description, opts) {
  const o = options('writePyTorch', opts, ['format', 'names']);
  const d = checkDescription(description, 'description');
  const tensors = toStateDict(d, { names: o.names });
  const format = o.format ?? 'pt';
  if (format === 'pt') return writeTorchFile(tensors);
  if (format === 'safetensors') return writeSafetensors(tensors, { format: 'pt' });
  throw new LstmError('arg', `options.format: expected 'pt' or 'safetensors', got ${describeArg(format)}`, { argument: 'format' });
}

// ---- ONNX

/** A model description from an ONNX model (torch.onnx.export or tf2onnx graphs of these models). */
export function readONNX(bytes, opts) {
  const o = options('readONNX', opts, ONNX_OPTIONS);
  return readOnnxModel(asBytes(bytes, 'bytes'), o);
}

/** An ONNX model (opset 14) of a description: h0/c0 inputs (required, optional or none), optionally
 *  a lengths input, and h/c outputs. */
export function writeONNX(description, opts) {
  const o = options('writeONNX', opts, ['summary', 'softmax', 'name', 'stateInputs', 'lengths']);
  if (o.lengths !== undefined && typeof o.lengths !== 'boolean') {
    throw new LstmError('arg', `options.lengths: expected a boolean, got ${describeArg(o.lengths)}`, { argument: 'lengths' });
  }
  if (o.stateInputs !== undefined && !['required', 'optional', 'none'].includes(o.stateInputs)) {
    throw new LstmError('arg', `options.stateInputs: expected 'required', 'optional' or 'none', got ${describeArg(o.stateInputs)}`, { argument: 'stateInputs' });
  }
  if (o.summary !== undefined && !['sequence', 'last'].includes(o.summary)) {
    throw new LstmError('arg', `options.summary: expected 'sequence' or 'last', got ${describeArg(o.summary)}`, { argument: 'summary' });
  }
  return writeOnnxModel(checkDescription(description, 'description'), o);
}

// ---- Keras / TF.js

/** A model description from a TF.js layers model ({'model.json', weight files} or ModelArtifacts). */
export function readKeras(input, opts) {
  const o = options('readKeras', opts, KERAS_OPTIONS);
  return readKerasModel(readTfjs(input), o);
}

/** A TF.js layers model of a description: `{files: {'model.json', 'weights.bin'}, artifacts}`. */
export function writeKeras(description, opts) {
  const o = options('writeKeras', opts, ['summary', 'name', 'softmax']);
  return writeKerasModel(checkDescription(description, 'description'), o);
}

// ---- Network

let networkModule = null;
async function NetworkClass() {
  networkModule ??= import('../network.js');
  return (await networkModule).Network;
}

/**
 * A Network made from a description: Network.create with its config (plus `options.loss` and
 * `options.network`: seed, simd, training settings), then setParameters.
 */
export async function toNetwork(description, opts) {
  const o = options('toNetwork', opts, ['loss', NETWORK_OPTION]);
  const d = checkDescription(description, 'description');
  const c = d.config;
  const net = o.network ?? {};
  if (net === null || typeof net !== 'object' || Array.isArray(net)) {
    throw new LstmError('arg', `options.network: expected an object of Network.create keys, got ${describeArg(net)}`, { argument: 'network' });
  }
  for (const k of ['cell', 'vocab', 'input', 'hidden', 'layers', 'output', 'bidirectional', 'gateActivation', 'loss']) {
    if (k in net) throw new LstmError('arg', `options.network.${k}: set by the model file, not an option`, { argument: k });
  }
  const loss = o.loss ?? c.loss ?? (d.summary === 'last' ? 'xent-last' : 'xent');
  const config = { cell: c.cell, hidden: c.hidden, layers: c.layers, output: c.output, loss, ...net };
  if (c.vocab !== undefined) config.vocab = c.vocab; else config.input = c.input;
  // Keys the core has had since before api-v2 only when they differ from the default, so that a
  // unidirectional sigmoid model loads into a core without the v2 keys too.
  if (c.bidirectional) config.bidirectional = true;
  if (c.gateActivation !== 'sigmoid') config.gateActivation = c.gateActivation;
  const Network = await NetworkClass();
  const network = await Network.create(config);
  try {
    network.setParameters(d.parameters);
  } catch (err) {
    network.dispose();
    throw err;
  }
  return network;
}

/** The description of a Network (its config and a copy of its parameters). */
export function describeModel(network) {
  if (!network || typeof network.parameters !== 'function' || typeof network.config !== 'object') {
    throw new LstmError('arg', `network: expected a Network, got ${describeArg(network)}`, { argument: 'network' });
  }
  const d = describeNetwork(network.config, network.parameters());
  const expected = parameterSpecs(d.config).map((s) => s.name);
  const missing = expected.filter((n) => !(n in d.parameters));
  if (missing.length) throw new LstmError('arg', `network: parameters ${missing.join(', ')} missing for its config`, { argument: 'network' });
  return checkDescription(d, 'network');
}

const split = (o) => {
  const { network, ...rest } = o ?? {};
  return [rest, network];
};
const withNetwork = async (desc, loss, network) => toNetwork(desc, { ...(loss !== undefined && { loss }), ...(network !== undefined && { network }) });

/** A Network from a PyTorch .pt / .safetensors file (options as readPyTorch, plus `network`). */
export async function fromPyTorch(bytes, opts) {
  const [o, network] = split(options('fromPyTorch', opts, [...PYTORCH_OPTIONS, NETWORK_OPTION]));
  return withNetwork(readPyTorch(bytes, o), o.loss, network);
}

/** A Network from an ONNX model (options as readONNX, plus `network`). */
export async function fromONNX(bytes, opts) {
  const [o, network] = split(options('fromONNX', opts, [...ONNX_OPTIONS, NETWORK_OPTION]));
  return withNetwork(readONNX(bytes, o), o.loss, network);
}

/** A Network from a TF.js layers model (options as readKeras, plus `network`). */
export async function fromKeras(input, opts) {
  const [o, network] = split(options('fromKeras', opts, [...KERAS_OPTIONS, NETWORK_OPTION]));
  return withNetwork(readKeras(input, o), o.loss, network);
}

/** A PyTorch file of a Network (options as writePyTorch). */
export function toPyTorch(network, opts) { return writePyTorch(describeModel(network), opts); }
/** An ONNX model of a Network (options as writeONNX). */
export function toONNX(network, opts) { return writeONNX(describeModel(network), opts); }
/** A TF.js layers model of a Network (options as writeKeras). */
export function toKeras(network, opts) { return writeKeras(describeModel(network), opts); }

/**
 * What a model file holds (any format): its tensors, format facts, and the model config when
 * wasm-lstm can run it, else the reason it cannot (with default options).
 */
export function inspectFile(input) {
  const format = detectFormat(input);
  const read = { pytorch: readPyTorch, safetensors: readPyTorch, onnx: readONNX, tfjs: readKeras }[format];
  return inspectModel(input, format, read);
}

export { GATE_ORDER } from './layouts.js';

/**
 * The vocabulary sidecar of a character model in a foreign format (NAME.vocab.json beside
 * NAME.pt, NAME.onnx, model.json: those files hold weights, not the characters the ids stand
 * for): a JSON array of the characters by id, one code point each, what Python's
 * json.dump(chars, f) writes. `vocabulary` is a CharModel's (a string).
 */
export function vocabularyJson(vocabulary) {
  if (typeof vocabulary !== 'string') {
    throw new LstmError('arg', `vocabulary: expected a string of the characters by id, got ${describeArg(vocabulary)}`, { argument: 'vocabulary' });
  }
  return `${JSON.stringify(Array.from(vocabulary))}\n`;
}
