// convert.js — `wasm-lstm convert IN OUT`: a model from one format to another (our Network and
// CharModel files, PyTorch .pt / .safetensors, ONNX, TF.js model.json), through a Network: read
// (model-io.js), make it a CharModel when there is a vocabulary (vocabulary.js), write.
//
// A command module for bin/wasm-lstm.js: {name, help, positionals, options, run(args, {usage})};
// `usage(message)` makes the error that exits with status 2.

import { basename, dirname, join } from 'node:path';
import { CharModel, LstmError } from '../js/index.js';
import { FORMATS, FORMAT_LIST, formatNamed, formatOfName, readInput, loadInput, encodeOutput, networkLine } from './model-io.js';
import { vocabularyPath, readVocabularyFile, vocabularyOfText, vocabularyJson } from './vocabulary.js';
import { exists, checkWritable, writeAtomically } from './files.js';

const HELP = `Usage: wasm-lstm convert IN OUT [options]

Converts a model between wasm-lstm's files and PyTorch, ONNX and TF.js / Keras: [Embedding →]
LSTM | GRU | RNN (tanh), 1-4 layers, uni- or bidirectional [→ Linear]. IN's format is read from
its content, OUT's from its name:
  .bin, .lstm             wasm-lstm: a Network, or a CharModel (a character model)
  .pt, .pth               PyTorch: torch.save(model.state_dict())
  .safetensors            safetensors (PyTorch names)
  .onnx                   ONNX (what torch.onnx.export writes; h0/c0 in, h/c out)
  .json                   TF.js layers model: IN's weight files are read from beside it; OUT is
                          written as that .json and weights.bin in the same directory

Character models: PyTorch, ONNX and TF.js files hold no vocabulary, so it travels beside the
weights as NAME.vocab.json (model.pt → model.vocab.json), a JSON array of the characters by id.
Converting a CharModel file writes it beside OUT; converting a file with a vocabulary (beside
IN, or --vocab) to .bin makes a CharModel file for 'wasm-lstm sample' and 'train --resume'.

  --from FORMAT           IN's format, when its content does not say: ${FORMAT_LIST}
  --to FORMAT             OUT's format, whatever its name says
Vocabulary:
  --vocab FILE            the vocabulary: a .json array of the characters (or code points) by
                          id, or any other file: exactly its characters, in id order
  --vocab-from-text FILE  the distinct characters of the training text FILE sorted by code point
                          (Python's sorted(set(text)), the char-rnn convention)
  --no-vocab              ignore a vocabulary beside IN; write none beside OUT (a plain Network)
  --seq T, --batch B, --lr X   the training settings of a character model made from a vocabulary
                          (default 64, 32, 0.002), kept by 'wasm-lstm train --resume'
PyTorch names (reading: guessed when not given; writing: rnn., embedding., head.):
  --rnn-prefix P          the state_dict prefix of the nn.LSTM / GRU / RNN, e.g. 'lstm.'
  --embedding-prefix P    of the nn.Embedding ('none' on reading: there is none)
  --head-prefix P         of the nn.Linear head ('none' on reading: there is none)
  --no-strict             reading: ignore tensors of other modules instead of refusing them
Model:
  --loss L                xent, xent-last, mse or mse-last (a PyTorch, ONNX or TF.js file does
                          not say; default xent, or xent-last with --summary last)
  --summary S             sequence (the head on every step, default) or last (on the final
                          states, one output per sequence): PyTorch and ONNX input, ONNX and TF.js output
  --softmax               ONNX and TF.js output: end in a softmax (default: ONNX logits, as
                          PyTorch; TF.js a softmax Dense for classifiers (loss xent), as Keras)
  --state-inputs S        ONNX output: h0/c0 inputs 'required' (default), 'optional' or 'none'
  --lengths               ONNX output: a 'lengths' input (B) int32 of each sequence's valid
                          steps (sequence_lens), for padded batches of ragged sequences
  -h, --help              this help

Examples:
  wasm-lstm convert model.pt model.bin                 # + model.vocab.json beside it: a CharModel
  wasm-lstm convert model.pt model.bin --vocab-from-text input.txt
  wasm-lstm convert model.bin model.onnx               # writes model.vocab.json too (CharModel)
  wasm-lstm convert tfjs/model.json model.safetensors`;

const OPTIONS = {
  from: 'string', to: 'string', vocab: 'string', 'vocab-from-text': 'string', 'no-vocab': 'boolean',
  seq: 'string', batch: 'string', lr: 'string',
  'rnn-prefix': 'string', 'embedding-prefix': 'string', 'head-prefix': 'string', 'no-strict': 'boolean',
  loss: 'string', summary: 'string', softmax: 'boolean', 'state-inputs': 'string', lengths: 'boolean',
};

const LOSSES = ['xent', 'xent-last', 'mse', 'mse-last'];
const PYTORCH = ['pt', 'safetensors'];

function choice(v, name, allowed, usage) {
  if (v[name] === undefined) return undefined;
  if (!allowed.includes(v[name])) throw usage(`--${name}: expected ${allowed.join(', ')}, got '${v[name]}'`);
  return v[name];
}

function formatFlag(v, name, usage) {
  if (v[name] === undefined) return undefined;
  const f = formatNamed(v[name]);
  if (!f) throw usage(`--${name}: expected one of ${FORMAT_LIST}, got '${v[name]}'`);
  return f;
}

// Each option that applies to only some formats is refused where it would do nothing.
function checkApplies(v, from, to, usage) {
  const rules = [
    [['rnn-prefix', 'embedding-prefix', 'head-prefix'], PYTORCH.includes(from) || PYTORCH.includes(to), 'PyTorch files (.pt, .safetensors)'],
    [['no-strict'], PYTORCH.includes(from), 'reading PyTorch files'],
    [['summary'], [...PYTORCH, 'onnx'].includes(from) || ['onnx', 'tfjs'].includes(to), 'PyTorch or ONNX input and ONNX or TF.js output'],
    [['loss'], from !== 'wasm-lstm', 'PyTorch, ONNX or TF.js input (a wasm-lstm file keeps its loss)'],
    [['softmax'], ['onnx', 'tfjs'].includes(to), 'ONNX or TF.js output'],
    [['state-inputs', 'lengths'], to === 'onnx', 'ONNX output'],
  ];
  for (const [names, ok, where] of rules) {
    const given = names.find((n) => v[n] !== undefined);
    if (given && !ok) throw usage(`--${given}: only for ${where}; here ${from} → ${to}`);
  }
}

// The reader and writer options of the flags.
function formatOptions(v, from, to, usage) {
  const summary = choice(v, 'summary', ['sequence', 'last'], usage);
  const loss = choice(v, 'loss', LOSSES, usage);
  const prefix = (name, reading) => {
    const p = v[`${name}-prefix`];
    if (p === undefined) return undefined;
    if (p === 'none') {
      if (!reading) throw usage(`--${name}-prefix: 'none' is for reading (a file without that module); writing always names it`);
      return null;
    }
    return p;
  };
  const names = (reading) => {
    const n = {};
    for (const m of ['rnn', 'embedding', 'head']) {
      const p = prefix(m, reading);
      if (p !== undefined) n[m] = p;
    }
    return Object.keys(n).length ? n : undefined;
  };
  const drop = (o) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
  const read = {
    pytorch: drop({ names: PYTORCH.includes(from) ? names(true) : undefined, strict: v['no-strict'] ? false : undefined, summary, loss }),
    onnx: drop({ summary, loss }),
    keras: drop({ loss }),
  };
  const write = {
    pytorch: drop({ names: PYTORCH.includes(to) ? names(false) : undefined }),
    onnx: drop({ summary, softmax: v.softmax, stateInputs: choice(v, 'state-inputs', ['required', 'optional', 'none'], usage), lengths: v.lengths }),
    keras: drop({ summary, softmax: v.softmax }),
  };
  // A TF.js classifier ends in a softmax Dense (what Keras models of a loss 'xent' network are,
  // and what reading it back takes for one); a linear Dense reads back as regression.
  if (to === 'tfjs' && v.softmax === undefined) write.keras.softmax = 'auto';
  return { read, write };
}

// The vocabulary to make a CharModel with: {vocabulary, source} or null.
function findVocabulary(v, input, loaded, usage) {
  const flag = ['vocab', 'vocab-from-text'].find((n) => v[n] !== undefined);
  if (loaded.kind === 'char') {
    if (flag) throw usage(`--${flag}: '${input.path}' is a character model with its own vocabulary`);
    return null;
  }
  if (flag === 'vocab') return { vocabulary: readVocabularyFile(v.vocab), source: `'${v.vocab}'`, file: true };
  if (flag === 'vocab-from-text') return { vocabulary: vocabularyOfText(v['vocab-from-text']), source: `the text '${v['vocab-from-text']}'` };
  if (v['no-vocab']) return null;
  const beside = vocabularyPath(input.path);
  if (input.format !== 'wasm-lstm' && exists(beside)) return { vocabulary: readVocabularyFile(beside), source: `'${beside}' (beside ${basename(input.path)})` };
  return null;
}

// The training settings of a CharModel made here (the rest are CharModel's defaults).
function trainingOptions(v, usage) {
  const o = {};
  for (const [flag, key] of [['seq', 'seqLength'], ['batch', 'batch']]) {
    if (v[flag] === undefined) continue;
    if (!/^[0-9]+$/.test(v[flag]) || Number(v[flag]) < 1) throw usage(`--${flag}: expected a positive integer, got '${v[flag]}'`);
    o[key] = Number(v[flag]);
  }
  if (v.lr !== undefined) {
    const x = /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(v.lr) ? Number(v.lr) : NaN;
    if (!(x > 0 && x <= 10)) throw usage(`--lr: expected a number in (0, 10], got '${v.lr}'`);
    o.learningRate = x;
  }
  return o;
}

function charModelOf(network, { vocabulary, source, file }, { foreign, notes, training }) {
  try {
    return CharModel.fromNetwork(network, { vocabulary, ...training });
  } catch (err) {
    if (!(err instanceof LstmError)) throw err;
    const msg = err.message.replace(/^CharModel\.fromNetwork: /, '');
    let hint = '';
    if (foreign && err.argument === 'network' && network.config.loss !== 'xent') hint = ' (if its outputs are class scores, give --loss xent)';
    const ignored = notes.find((n) => n.startsWith('ignored: '));
    if (err.argument === 'network' && ignored) hint = ` (${ignored}: name the modules with --rnn-prefix, --embedding-prefix, --head-prefix)`;
    const V = network.config.vocab;
    if (file && typeof vocabulary === 'string' && V !== undefined && [...vocabulary].length > V) {
      hint = ' (if that file is the training text, give it as --vocab-from-text)';
    }
    throw new Error(`cannot make a character model with the vocabulary of ${source}: ${msg}${hint}`);
  }
}

const kib = (n) => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`);

async function run({ values: v, positionals: [inPath, outPath] }, { usage }) {
  const forcedFrom = formatFlag(v, 'from', usage);
  const to = formatFlag(v, 'to', usage) ?? formatOfName(outPath);
  if (!to) {
    throw usage(`convert: cannot tell the format of '${outPath}' from its name (.bin, .lstm, .pt, .pth, .safetensors, .onnx, .json; or --to FORMAT)`);
  }
  const vocabFlags = ['vocab', 'vocab-from-text', 'no-vocab'].filter((n) => v[n] !== undefined);
  if (vocabFlags.length > 1) throw usage(`convert: give one of --${vocabFlags[0]} and --${vocabFlags[1]}, not both`);
  const training = trainingOptions(v, usage);
  // every file this writes, checked before the work (a directory, a device, no such directory)
  const outputs = [outPath, ...(to === 'tfjs' ? [join(dirname(outPath), 'weights.bin')] : []), ...(to !== 'wasm-lstm' && !v['no-vocab'] ? [vocabularyPath(outPath)] : [])];
  for (const f of outputs) checkWritable(f);
  const input = readInput(inPath, forcedFrom);
  checkApplies(v, input.format, to, usage);
  const { read, write } = formatOptions(v, input.format, to, usage);

  const loaded = await loadInput(input, read);
  let charModel = loaded.charModel;
  try {
    const found = findVocabulary(v, input, loaded, usage);
    const given = Object.keys(training);
    if (given.length && !found) {
      throw usage(`--${{ seqLength: 'seq', batch: 'batch', learningRate: 'lr' }[given[0]]}: only when a character model is made from a vocabulary (--vocab, or one beside IN)`);
    }
    if (found) charModel = charModelOf(loaded.network, found, { foreign: loaded.kind === 'foreign', notes: loaded.notes, training });
    const keepVocab = charModel !== null && !v['no-vocab'];
    console.log(`read ${inPath}: ${FORMATS[input.format].what}${loaded.kind === 'char' ? ' (character model)' : ''}: ${networkLine(loaded.network)}`);
    for (const note of loaded.notes) console.log(`  note: ${note}`);
    if (found) console.log(`vocabulary: ${[...found.vocabulary].length} characters from ${found.source}`);

    const files = encodeOutput(loaded.network, to, outPath, { write, charModel: keepVocab ? charModel : null });
    if (keepVocab && to !== 'wasm-lstm') files.push({ path: vocabularyPath(outPath), bytes: vocabularyJson(charModel.vocabulary) });
    for (const f of files) writeAtomically(f.path, f.bytes);
    const what = to === 'wasm-lstm' ? `wasm-lstm ${keepVocab ? 'character model (CharModel)' : 'Network'} file` : FORMATS[to].what;
    console.log(`wrote ${files.map((f) => `${f.path} (${kib(typeof f.bytes === 'string' ? Buffer.byteLength(f.bytes) : f.bytes.length)})`).join(', ')}: ${what}`);
    const c = loaded.network.config;
    if (!keepVocab && to === 'wasm-lstm' && c.vocab !== undefined && c.vocab === c.output && c.loss === 'xent' && !v['no-vocab']) {
      console.log(`note: no vocabulary (no ${basename(vocabularyPath(inPath))} beside ${basename(inPath)}), so this is a Network file; ` +
        "for a character model that 'wasm-lstm sample' can use, give --vocab FILE or --vocab-from-text FILE");
    }
  } finally {
    (charModel ?? loaded.network).dispose();
    if (!loaded.network.disposed) loaded.network.dispose();
  }
}

export const convertCommand = { name: 'convert', help: HELP, positionals: [2, 2], options: OPTIONS, run };
