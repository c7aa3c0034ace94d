// model-io.js — model files of every format the CLI reads and writes, for `convert` and
// `inspect`: which format a file is, its bytes (a TF.js model with its weight files), and a
// Network or CharModel from it; and the files a Network is written as.
//
//   format        names                  content
//   wasm-lstm     .bin, .lstm (the demo) our files: magic WLSTMDL\0; a Network or a CharModel
//   pt            .pt, .pth              torch.save(model.state_dict()): a zip
//   safetensors   .safetensors           u64 header length, then a JSON header
//   onnx          .onnx                  an ONNX ModelProto
//   tfjs          .json                  a TF.js layers model.json; its weight files (the
//                                        manifest's paths) next to it. Written as the named
//                                        .json and weights.bin in the same directory.
//
// An input's format is recognised from its content (the name decides only when the content does
// not: a TF.js model.json, or a file no reader recognises); --from forces it. An output's format
// is its name's; --to forces it. Only the package's public entry points are used.

import { basename, dirname, extname, join, isAbsolute, normalize, sep } from 'node:path';
import { Network, CharModel, LstmError, readMeta } from '../js/index.js';
import {
  detectFormat, readPyTorch, readONNX, readKeras, toNetwork, writePyTorch, writeONNX, writeKeras, describeModel,
} from '../js/interop/index.js';
import { readBytes } from './files.js';

export const FORMATS = {
  'wasm-lstm': { what: 'wasm-lstm model file', extensions: ['.bin', '.lstm'] },
  pt: { what: 'PyTorch state_dict (torch.save)', extensions: ['.pt', '.pth'] },
  safetensors: { what: 'safetensors file', extensions: ['.safetensors'] },
  onnx: { what: 'ONNX model', extensions: ['.onnx'] },
  tfjs: { what: 'TF.js layers model', extensions: ['.json'] },
};
const ALIASES = { bin: 'wasm-lstm', ours: 'wasm-lstm', pytorch: 'pt', keras: 'tfjs' };
export const FORMAT_LIST = 'wasm-lstm, pt, safetensors, onnx, tfjs';

/** A --from/--to value as a format name, or null when it is none. */
export function formatNamed(value) {
  const v = String(value).toLowerCase();
  return FORMATS[v] ? v : ALIASES[v] ?? null;
}

/** The format a file name says (its extension), or null. */
export function formatOfName(path) {
  const ext = extname(path).toLowerCase();
  return Object.keys(FORMATS).find((f) => FORMATS[f].extensions.includes(ext)) ?? null;
}

const MAGIC = [0x57, 0x4c, 0x53, 0x54, 0x4d, 0x44, 0x4c, 0x00]; // WLSTMDL\0

/** The format file bytes hold, from their first bytes, or null. */
export function formatOfContent(bytes) {
  if (bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b)) return 'wasm-lstm';
  const f = detectFormat(bytes);
  if (f) return f === 'pytorch' ? 'pt' : f;
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b ? 'tfjs' : null; // '{'
}

/**
 * An input model file: `{format, path, bytes}` (`files` too for TF.js: model.json and its weight
 * files by the names its manifest gives). `forced`: the --from format, or undefined; `bytes`: the
 * file's content when the caller has read it already.
 */
export function readInput(path, forced, bytes = readBytes(path)) {
  const sniffed = formatOfContent(bytes);
  const format = forced ?? sniffed ?? formatOfName(path);
  if (!forced && !sniffed && format === 'wasm-lstm') {
    throw new Error(`'${path}': not a wasm-lstm model file (it does not start with WLSTMDL), nor another known format` +
      ' (the weight files of a TF.js model are read through its model.json)');
  }
  if (!format) {
    throw new Error(`'${path}': not a model file of a known format (${FORMAT_LIST}: .bin/.lstm, .pt, .safetensors, .onnx, a TF.js model.json); ` +
      'give --from FORMAT if it is one');
  }
  const input = { format, path, bytes };
  if (format === 'tfjs') input.files = tfjsFiles(path, bytes);
  return input;
}

// model.json and the weight files its manifest names, read from its directory. The paths are
// relative to model.json (as TF.js resolves them against its URL); one that leaves the directory
// is refused rather than read.
function tfjsFiles(path, bytes) {
  let json;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Error(`'${path}': not a TF.js model.json (${err.message})`);
  }
  const files = { 'model.json': bytes };
  const manifest = json?.weightsManifest;
  if (!Array.isArray(manifest)) return files; // readKeras says what is missing
  for (const group of manifest) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof p !== 'string' || p in files) continue;
      const rel = normalize(p);
      if (isAbsolute(p) || rel === '..' || rel.startsWith(`..${sep}`) || /^[a-z]+:/i.test(p)) {
        throw new Error(`'${path}': its weightsManifest names '${p}', outside the directory of the model.json`);
      }
      files[p] = readBytes(join(dirname(path), rel), `a weight file named in ${basename(path)}`);
    }
  }
  return files;
}

/**
 * A model from an input: `{network, charModel (or null), notes: [what the conversion assumed or
 * folded], kind: 'char' | 'network' | 'foreign'}`. `read` holds the reader options:
 * {pytorch: readPyTorch options, onnx: readONNX options, keras: readKeras options}.
 */
export async function loadInput(input, read = {}) {
  const { format, path, bytes } = input;
  if (format === 'wasm-lstm') {
    let meta;
    try {
      meta = await readMeta(bytes);
    } catch (err) {
      throw fileError(path, err, FORMATS[format].what);
    }
    const kind = meta?.kind ?? 'network';
    if (kind !== 'char' && kind !== 'network') throw new Error(`'${path}': a wasm-lstm file of kind '${kind}', which convert does not know`);
    try {
      if (kind === 'char') {
        const charModel = await CharModel.load(bytes);
        return { network: charModel.network, charModel, notes: [], kind };
      }
      return { network: await Network.load(bytes), charModel: null, notes: [], kind };
    } catch (err) {
      throw fileError(path, err, FORMATS[format].what);
    }
  }
  let description;
  try {
    if (format === 'pt' || format === 'safetensors') description = readPyTorch(bytes, read.pytorch);
    else if (format === 'onnx') description = readONNX(bytes, read.onnx);
    else description = readKeras(input.files, read.keras);
  } catch (err) {
    throw fileError(path, err, FORMATS[format].what);
  }
  const network = await toNetwork(description);
  return { network, charModel: null, notes: description.notes, kind: 'foreign', summary: description.summary };
}

// A reader's LstmError 'format' (or 'version', 'checksum') as "'path': message"; others as they are.
function fileError(path, err, what) {
  if (err instanceof LstmError && ['format', 'version', 'checksum'].includes(err.code)) {
    return new Error(`'${path}' is not a usable ${what}: ${err.message}`);
  }
  return err;
}

/**
 * The files a Network is written as in `format` at `path`: [{path, bytes}], weight files first.
 * `write` holds the writer options: {pytorch: {names}, onnx: writeONNX options, keras: writeKeras
 * options}; `charModel` writes a CharModel file (format wasm-lstm).
 */
export function encodeOutput(network, format, path, { write = {}, charModel = null } = {}) {
  switch (format) {
    case 'wasm-lstm':
      return [{ path, bytes: charModel ? charModel.save() : network.save() }];
    case 'pt':
    case 'safetensors':
      return [{ path, bytes: writePyTorch(describeModel(network), { format, ...write.pytorch }) }];
    case 'onnx':
      return [{ path, bytes: writeONNX(describeModel(network), write.onnx) }];
    case 'tfjs': {
      const keras = { ...write.keras };
      if (keras.softmax === 'auto') keras.softmax = network.config.loss.startsWith('xent');
      const { files } = writeKeras(describeModel(network), keras);
      return [
        { path: join(dirname(path), 'weights.bin'), bytes: files['weights.bin'] },
        { path, bytes: files['model.json'] },
      ];
    }
    default:
      throw new Error(`unknown output format '${format}'`);
  }
}

/** One line about a network: "lstm 2×128, tokens (vocab 65) → 65, loss 'xent'". */
export function networkLine(network) {
  const c = network.config;
  const input = c.vocab !== undefined ? `tokens (vocab ${c.vocab})` : `dense input ${c.input}`;
  return `${c.cell} ${c.layers}×${c.hidden}${c.bidirectional ? ' bidirectional' : ''}, ${input} → ${c.output}, loss '${c.loss}'` +
    `${c.gateActivation === 'hardSigmoid' ? ', hard-sigmoid gates' : ''}`;
}
