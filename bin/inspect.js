// inspect.js — `wasm-lstm inspect FILE`: what a model file holds, in any format the CLI reads:
// its tensors and shapes, what the format records (the .pt's other entries, safetensors
// metadata, ONNX producer / opsets / inputs / outputs / ops, TF.js layers), and the model it
// runs as here — or why it does not (inspectFile of wasm-lstm/interop gives most of it); for our
// own files the network's summary and the character model's vocabulary and text. `--json`
// prints the same as one JSON object.
//
// A command module for bin/wasm-lstm.js (see convert.js). A file that is malformed is an error
// (exit 1); a well-formed file that wasm-lstm cannot run is an answer (exit 0, "cannot run it").

import { extname } from 'node:path';
import { Network, CharModel, LstmError, readMeta } from '../js/index.js';
import { inspectFile } from '../js/interop/index.js';
import { FORMATS, FORMAT_LIST, formatNamed, readInput } from './model-io.js';
import { vocabularyPath, readVocabularyFile } from './vocabulary.js';
import { exists } from './files.js';

const HELP = `Usage: wasm-lstm inspect FILE [options]

Prints what a model file holds: its tensors and their shapes, what the format records, and the
model wasm-lstm runs it as (cell, layers × hidden, input, outputs, bidirectional, gates) or why
it cannot, with the options that change that. Any format 'wasm-lstm convert' reads: .bin/.lstm
(ours: the network and, for a character model, its vocabulary), .pt/.pth, .safetensors, .onnx,
a TF.js model.json (its weight files beside it). A vocabulary beside a foreign file
(model.pt → model.vocab.json) is checked against the model.

  --from FORMAT           FILE's format, when its content does not say: ${FORMAT_LIST}
  --json                  print one JSON object instead of text
  -h, --help              this help`;

const OPTIONS = { from: 'string', json: 'boolean' };

const ONNX_TYPES = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16' };
const shapeText = (s) => `(${s.join(', ')})`;
const kib = (n) => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`);

// The first characters of a vocabulary, escaped where they would not show.
function preview(vocabulary, n = 40) {
  const cps = [...vocabulary];
  const shown = cps.slice(0, n).join('');
  return JSON.stringify(shown).slice(0, -1) + (cps.length > n ? '…"' : '"');
}

// "lstm 2×128, tokens (vocab 65) → 65 per step, sigmoid gates" for a description's config.
function modelLine(c, summary) {
  const input = c.vocab !== undefined ? `tokens (vocab ${c.vocab})` : `dense input ${c.input}`;
  const head = summary === 'last' ? 'one output per sequence (from the final states)' : 'per step';
  return `${c.cell} ${c.layers}×${c.hidden}${c.bidirectional ? ' bidirectional' : ''}, ${input} → ${c.output} ${head}, ` +
    `${c.gateActivation === 'hardSigmoid' ? 'hard-sigmoid' : 'sigmoid'} gates${c.loss ? `, loss '${c.loss}'` : ''}`;
}

function detailLines(format, d) {
  const lines = [];
  if (format === 'pt') {
    lines.push(`archive '${d.archive}'`);
    for (const o of d.others ?? []) lines.push(`entry ${o.name}: ${o.value}`);
  } else if (format === 'safetensors') {
    if (d.metadata) for (const [k, x] of Object.entries(d.metadata)) lines.push(`metadata ${k}: ${x.length > 200 ? `${x.slice(0, 200)}…` : x}`);
  } else if (format === 'onnx') {
    const io = (list) => list.map((x) => `${x.name} ${shapeText(x.shape)}`).join(', ') || 'none';
    lines.push(`producer: ${d.producer || '?'}, IR ${d.irVersion}, opsets ${d.opsets.join(', ')}`);
    lines.push(`inputs: ${io(d.inputs)}`, `outputs: ${io(d.outputs)}`);
    lines.push(`ops: ${Object.entries(d.ops).map(([op, n]) => `${op}${n > 1 ? ` ×${n}` : ''}`).join(', ')}`);
  } else if (format === 'tfjs') {
    lines.push(`${d.class}${d.kerasVersion ? ` (Keras ${d.kerasVersion})` : ''}: ${d.layers.join(', ') || 'no layers'}`);
    if (d.dequantized?.length) lines.push(`dequantized: ${d.dequantized.join(', ')}`);
  }
  return lines;
}

// The vocabulary beside a foreign file, and whether it fits the model.
function besideVocabulary(path, model) {
  const p = vocabularyPath(path);
  if (!exists(p)) return null;
  let v, problem = null;
  try {
    v = readVocabularyFile(p);
  } catch (err) {
    return { path: p, size: null, problem: err.message };
  }
  const size = typeof v === 'string' ? [...v].length : v.length;
  const c = model?.config;
  if (c && (c.vocab === undefined || c.vocab !== c.output)) problem = 'the model is not a character model (token input with one output per token)';
  else if (c && c.vocab !== size) problem = `the model has ${c.vocab} tokens, the vocabulary ${size} characters`;
  return { path: p, size, problem, preview: typeof v === 'string' ? v : v.map((x) => (typeof x === 'number' ? String.fromCodePoint(x) : String(x))).join('') };
}

async function inspectForeign(input, json) {
  const r = inspectFile(input.files ?? input.bytes);
  const format = input.format;
  const vocab = besideVocabulary(input.path, r.model);
  if (json) {
    const { preview: _, ...v } = vocab ?? {};
    console.log(JSON.stringify({ file: input.path, ...r, format, vocabulary: vocab ? v : null }, null, 2));
    return;
  }
  const size = input.files ? Object.values(input.files).reduce((a, b) => a + b.length, 0) : input.bytes.length;
  const out = [`${input.path}: ${FORMATS[format].what}, ${r.tensors.length} tensor${r.tensors.length === 1 ? '' : 's'}, ${kib(size)}` +
    `${input.files ? ` in ${Object.keys(input.files).length} files` : ''}`];
  const width = Math.min(48, Math.max(8, ...r.tensors.map((t) => t.name.length)));
  for (const t of r.tensors) {
    const dtype = typeof t.dtype === 'number' ? ONNX_TYPES[t.dtype] ?? `type ${t.dtype}` : String(t.dtype).toLowerCase();
    out.push(`  ${t.name.padEnd(width)}  ${dtype.padEnd(8)}  ${shapeText(t.shape)}`);
  }
  for (const l of detailLines(format, r.details)) out.push(l);
  if (r.model) {
    out.push(`runs as: ${modelLine(r.model.config, r.model.summary)}`);
    for (const n of r.model.notes) out.push(`  note: ${n}`);
    if (r.model.masking) out.push(`  note: masking ${JSON.stringify(r.model.masking)}: pass lengths for padded inputs`);
  } else {
    out.push(`cannot run it: ${r.problem}`);
  }
  const toBin = `wasm-lstm convert ${input.path} ${input.path.slice(0, input.path.length - extname(input.path).length)}.bin`;
  if (vocab?.problem) out.push(`vocabulary: ${vocab.path}: ${vocab.problem}`);
  else if (vocab) out.push(`vocabulary: ${vocab.size} characters in ${vocab.path} ${preview(vocab.preview)}: a character model (${toBin})`);
  console.log(out.join('\n'));
}

async function inspectOurs(input, json) {
  let meta, model, network;
  try {
    meta = await readMeta(input.bytes);
    if (meta?.kind === 'char') {
      model = await CharModel.load(input.bytes);
      network = model.network;
    } else {
      network = await Network.load(input.bytes);
    }
  } catch (err) {
    if (err instanceof LstmError && ['format', 'version', 'checksum'].includes(err.code)) {
      throw new Error(`'${input.path}' is not a usable wasm-lstm model file: ${err.message}`);
    }
    throw err;
  }
  try {
    const char = meta?.char;
    const tensors = Object.entries(network.parameters()).map(([name, t]) => ({ name, dtype: 'float32', shape: t.shape }));
    if (json) {
      const { kind: _, char: __, ...userMeta } = meta ?? {};
      console.log(JSON.stringify({
        file: input.path, format: 'wasm-lstm', kind: model ? 'char' : 'network', config: network.config,
        trainingConfig: network.trainingConfig, step: network.stepCount, tensors,
        ...(model && { vocabulary: model.vocabulary, text: typeof char?.text === 'string' ? 'included' : char?.corpus ? 'built-in corpus' : char?.fingerprint ? 'not included' : 'none' }),
        ...(Object.keys(userMeta).length && { meta: userMeta }),
      }, null, 2));
      return;
    }
    const out = [`${input.path}: wasm-lstm ${model ? 'character model (CharModel)' : 'Network'} file, ${kib(input.bytes.length)}, step ${network.stepCount}`];
    out.push(network.summary());
    if (model) {
      out.push(`vocabulary: ${model.vocab.length} characters ${preview(model.vocabulary)}`);
      const fp = char?.fingerprint;
      if (char?.corpus) out.push(`training text: the built-in corpus (${char.corpus.chars} characters, regenerated on load)`);
      else if (typeof char?.text === 'string') out.push(`training text: included (${fp?.chars ?? '?'} characters)`);
      else if (fp) out.push(`training text: not included (${fp.chars} characters; give it to 'wasm-lstm train --resume' or 'eval')`);
      else out.push("training text: none yet (a converted model: 'wasm-lstm train --resume FILE text.txt' fine-tunes it on a text)");
    }
    console.log(out.join('\n'));
  } finally {
    (model ?? network).dispose();
  }
}

async function run({ values: v, positionals: [path] }, { usage }) {
  let forced;
  if (v.from !== undefined) {
    forced = formatNamed(v.from);
    if (!forced) throw usage(`--from: expected one of ${FORMAT_LIST}, got '${v.from}'`);
  }
  const input = readInput(path, forced);
  if (input.format === 'wasm-lstm') return inspectOurs(input, !!v.json);
  try {
    return await inspectForeign(input, !!v.json);
  } catch (err) {
    if (err instanceof LstmError && err.code === 'format') throw new Error(`'${path}' is not a usable ${FORMATS[input.format].what}: ${err.message}`);
    throw err;
  }
}

export const inspectCommand = { name: 'inspect', help: HELP, positionals: [1, 1], options: OPTIONS, run };
