#!/usr/bin/env node
// wasm-lstm — the command line: train a character model, sample from it, evaluate it.
//
//   wasm-lstm train [file] [options]      train (no file: the built-in corpus), save model.bin
//   wasm-lstm sample model.bin [options]  stream generated text to stdout
//   wasm-lstm eval model.bin file         loss and bits per character on a text
//   wasm-lstm convert IN OUT              a model between formats (bin/convert.js)
//   wasm-lstm inspect FILE                what a model file holds (bin/inspect.js)
//
// Errors are one line on stderr and a non-zero exit: 2 for usage (bad flags, missing arguments),
// 1 for everything else (unreadable files, not a model file, a model that could not be saved),
// 130 when training was interrupted (after saving). WASM_LSTM_DEBUG=1 prints stack traces.
// Errors of the library are told apart by LstmError's `code` and `argument`, never by message.
// Only the package's public entry point is imported; the cell names and the limits are the
// package's (abi: the C build's; CharModel.limits), never a list of our own.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { CharModel, LstmError, abi } from '../js/index.js';
import { convertCommand } from './convert.js';
import { checkWritable, writeAtomically } from './files.js';
import { inspectCommand } from './inspect.js';
import { readInput, loadInput, formatOfContent, FORMATS } from './model-io.js';
import { vocabularyPath, readVocabularyFile } from './vocabulary.js';

/** 'a, b or c' */
const either = (words) => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`);
const LIMITS = CharModel.limits; // hidden and layers are abi.limits'; seqLength and batch CharModel's own

// Commands that live in their own modules: {name, help, positionals, options, run(args, {usage})}.
const MODULES = [convertCommand, inspectCommand];

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

const HELP = {
  main: `wasm-lstm — character-level LSTM/GRU/RNN language models in WebAssembly

Usage:
  wasm-lstm train [file] [options]      train a model (no file: the built-in corpus)
  wasm-lstm sample model.bin [options]  generate text from a saved model
  wasm-lstm eval model.bin file         validation loss and bits per character
  wasm-lstm convert IN OUT [options]    convert a model: .bin, .pt, .safetensors, .onnx, model.json
  wasm-lstm inspect FILE                what a model file holds, in any of those formats
  wasm-lstm --version                   the version

Run 'wasm-lstm <command> --help' for a command's options.`,

  train: `Usage: wasm-lstm train [file] [options]

Trains a character language model on a UTF-8 text file (no file: the built-in English-like
corpus with long-range agreement) and saves it. The last 5% of the text is held out for
validation. Ctrl-C stops training and saves the model first.

Model:
${`  --cell ${abi.cells.join('|')}`.padEnd(26)}cell type (default lstm)
  --hidden N              units per layer, 1-${abi.limits.hidden} (default 128)
  --layers N              layers, 1-${abi.limits.layers} (default 2)
  --dropout P             dropout between layers while training, 0 <= P < 1 (default 0)
  --seed N                seed of the initialisation, dropout and sampling (default 1)
Training:
  --seq T                 characters per chunk, backpropagation length (default 64)
  --batch B               parallel streams (default 32)
  --lr X                  Adam learning rate (default 0.002)
  --lr-decay F            multiply the learning rate by F every --lr-every steps (default off)
  --lr-every N            steps between learning-rate decays (default 1000)
  --clip X                global gradient-norm clip, 0 = off (default 5)
  --val F                 fraction held out for validation (default 0.05)
  --steps N               training steps (default 1000)
  --minutes M             train for M minutes instead of a number of steps: a new model's
                          size, batch, seq and lr not given are then chosen for that budget
                          (as CharModel.configFor({ minutes }) picks them), and the learning
                          rate warms up, then decays over the time (unless the model has
                          --lr-decay)
  --resume model.bin      continue training a saved model (on the same text) exactly
  --threads N|auto        train on N threads (worker_threads), or 'auto': this machine's cores
                          (up to 8); default 1. A thread count gives the same result run to
                          run; another count differs by float rounding
Output:
  --out FILE              where to save (default model.bin): a new path or a regular file
                          (not a directory, device, FIFO or symbolic link); written to a
                          temporary file first, then renamed
  --checkpoint-every N    every N steps, also save a checkpoint next to --out named after the
                          step and the validation loss: model_step1200_val1.823.bin (without a
                          validation part: model_step1200.bin). If the final save fails, the
                          last checkpoint is kept and named
  --eval-every N          steps between validation evaluations (default 100)
  --sample-every N        steps between samples, 0 = never (default 500); the first sample
                          comes at the first evaluation when that is sooner
  --include-text          store the training text in the model file (and checkpoints)
  -h, --help              this help

Integers are decimal digits (1000, not 1e3 or 0x3e8); numbers are decimals (0.002 or 2e-3).`,

  sample: `Usage: wasm-lstm sample model.bin [options]

Streams generated text to stdout: the prime, then --length new characters. The model is a
character model file of ours, or the weights of one in another format (.pt, .safetensors, .onnx,
a TF.js model.json) with its characters in NAME.vocab.json beside it, as convert writes them.

  --prime TEXT            text to start from (default: none)
  --length N              characters to generate (default 500)
  --temperature T         < 1 more conservative, > 1 more random; 0 = greedy (default 1)
  --top-k K               sample among the K most likely characters only (default off)
  --top-p P               sample from the smallest set of characters with probability >= P
  --greedy                always take the most likely character
  --seed N                seed of this sample (default: the model's own sampler state)
  -h, --help              this help`,

  eval: `Usage: wasm-lstm eval model.bin file [options]

Prints the mean cross-entropy (nats and bits per character) and perplexity of the model on a
UTF-8 text file. When the file is the model's training text, only its validation part is used
(the part training never saw); otherwise the whole file. The model may be of another format
with NAME.vocab.json beside it, as for sample (then the whole file).

  --all                   use the whole file even if it is the training text
  -h, --help              this help`,
};

class UsageError extends Error {}

// ---- argument parsing
//
// `--name value` or `--name=value` for the string options, `--name` for the boolean ones, `-h`
// for help, `--` ends the options. A value that starts with '-' must be written --name=VALUE, so
// that a forgotten value never swallows the next option. Unknown options get a suggestion: the
// option a single-dash spelling means (`-steps`, as char-rnn is run), a close spelling (edit
// distance), or char-rnn's name for it (`-rnn_size` → --hidden).

const COMMANDS = {
  train: {
    positionals: [0, 1],
    options: {
      cell: 'string', hidden: 'string', layers: 'string', dropout: 'string', seed: 'string', seq: 'string',
      batch: 'string', lr: 'string', 'lr-decay': 'string', 'lr-every': 'string', clip: 'string', val: 'string',
      steps: 'string', minutes: 'string', resume: 'string', out: 'string', 'checkpoint-every': 'string',
      'eval-every': 'string', 'sample-every': 'string', 'include-text': 'boolean', threads: 'string',
    },
  },
  sample: {
    positionals: [1, 1],
    options: {
      prime: 'string', length: 'string', temperature: 'string', 'top-k': 'string', 'top-p': 'string',
      greedy: 'boolean', seed: 'string',
    },
  },
  eval: { positionals: [2, 2], options: { all: 'boolean' } },
};
for (const m of MODULES) {
  HELP[m.name] = m.help;
  COMMANDS[m.name] = { positionals: m.positionals, options: m.options };
}

// char-rnn's flag names (for suggestions only)
const CHAR_RNN = {
  rnn_size: 'hidden', num_layers: 'layers', model: 'cell', seq_length: 'seq', batch_size: 'batch',
  learning_rate: 'lr', learning_rate_decay: 'lr-decay', learning_rate_decay_after: 'lr-every',
  grad_clip: 'clip', val_frac: 'val', max_epochs: 'steps', eval_val_every: 'checkpoint-every',
  checkpoint_dir: 'out', init_from: 'resume', primetext: 'prime', sample: 'greedy', data_dir: null,
};

function parse(command, args) {
  const spec = { ...COMMANDS[command].options, help: 'boolean' };
  const values = {}, positionals = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a === '-h') {
      values.help = true;
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const type = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (!type) throw unknownOption(command, eq < 0 ? a : a.slice(0, eq), name);
      if (type === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name}: takes no value, got '${a.slice(eq + 1)}'`);
        values[name] = true;
      } else if (eq >= 0) {
        values[name] = a.slice(eq + 1);
      } else {
        const next = args[i + 1];
        if (next === undefined || next.startsWith('--') || next === '-h') {
          throw new UsageError(`--${name}: expected a value, got ${next === undefined ? 'none' : `the option '${next}'`} (write --${name} VALUE)`);
        }
        if (next.startsWith('-') && next !== '-') {
          throw new UsageError(`--${name}: a value that starts with '-' must be written --${name}=VALUE`);
        }
        values[name] = next;
        i++;
      }
    } else if (a.startsWith('-') && a !== '-') {
      throw unknownOption(command, a.split('=')[0], a.slice(1).split('=')[0]);
    } else {
      positionals.push(a);
    }
  }
  if (values.help) return { help: true };
  const [lo, hi] = COMMANDS[command].positionals;
  if (positionals.length < lo || positionals.length > hi) {
    const want = `${lo === hi ? '' : 'at most '}${hi} file argument${hi > 1 ? 's' : ''}`;
    throw new UsageError(`${command}: expected ${want}, got ${positionals.length}` +
      `${positionals.length ? ` (${positionals.map((p) => `'${p}'`).join(' ')})` : ''} (see 'wasm-lstm ${command} --help')`);
  }
  return { values, positionals };
}

function unknownOption(command, written, name) {
  const known = [...Object.keys(COMMANDS[command].options), 'help'];
  const suggestion = suggest(name, known, written.startsWith('--'));
  let hint = suggestion ? `: did you mean '--${suggestion}'?` : '';
  if (!suggestion) {
    const other = Object.keys(COMMANDS).find((c) => c !== command && Object.hasOwn(COMMANDS[c].options, name));
    if (other) hint = ` (it is an option of 'wasm-lstm ${other}')`;
  }
  return new UsageError(`${command}: unknown option '${written}'${hint} (see 'wasm-lstm ${command} --help')`);
}

// The known option a mistyped name most likely means, or null: the same name after one dash or
// with '_' for '-', char-rnn's name for it, the one option it is a prefix of, or the nearest by
// edit distance (at most 1, or 2 for names of 6 letters or more).
function suggest(name, known, doubleDash) {
  const lower = name.toLowerCase(), dashed = lower.replaceAll('_', '-');
  if (!doubleDash && known.includes(lower)) return lower;
  if (known.includes(dashed)) return dashed;
  if (Object.hasOwn(CHAR_RNN, lower) && known.includes(CHAR_RNN[lower])) return CHAR_RNN[lower];
  if (dashed.length >= 3) {
    const prefixed = known.filter((k) => k.startsWith(dashed));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best = null, bestDistance = dashed.length >= 6 ? 3 : 2;
  for (const k of known) {
    const d = editDistance(dashed, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours ('stpes' → 'steps' is 1) each cost 1.
function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// Numbers: the whole string, strictly. Integers are decimal digits ('1e3', '0x10', ' 5', '5.0',
// '+5' and '' are refused: Number() would take them all); other numbers are decimals with an
// optional exponent ('0.002', '2e-3', not 'Infinity' or '0x1p3').
const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function intFlag(values, name, lo, hi) {
  const s = values[name];
  if (s === undefined) return undefined;
  const v = INTEGER.test(s) ? Number(s) : NaN;
  if (!(v >= lo && v <= hi)) {
    const meant = !INTEGER.test(s) && s.trim() !== '' && Number.isInteger(Number(s)) ? ` (integers are decimal digits: ${Number(s)})` : '';
    throw new UsageError(`--${name}: expected an integer in [${lo}, ${hi}], got '${s}'${meant}`);
  }
  return v;
}

function numFlag(values, name, lo, hi, openLo = false) {
  const s = values[name];
  if (s === undefined) return undefined;
  const v = DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v) || (openLo ? v <= lo : v < lo) || v > hi) {
    throw new UsageError(`--${name}: expected a number in ${openLo ? '(' : '['}${lo}, ${hi}], got '${s}'`);
  }
  return v;
}

// --threads: 'auto' or an integer in Network.create's range, [1, 64]
function threadsFlag(values) {
  const s = values.threads;
  if (s === undefined || s === 'auto') return s;
  if (!(INTEGER.test(s) && Number(s) >= 1 && Number(s) <= 64)) throw new UsageError(`--threads: expected 'auto' or an integer in [1, 64], got '${s}'`);
  return Number(s);
}

// ---- files

function cannotRead(file, err) {
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new Error(`cannot read '${file}': ${why}`);
}

function readBytes(file, encoding) {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return readFileSync(file, encoding);
  } catch (err) {
    throw cannotRead(file, err);
  }
}

// A UTF-8 file as a string: invalid bytes become U+FFFD and a byte-order mark is dropped, as
// TextDecoder does. Node decodes it without a Buffer the script would hold (20 MB less for a 20 MB
// file), and once a CharModel has the ids the string is dropped too.
function readText(file) {
  const text = readBytes(file, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

async function loadModel(file, options, { foreign = true } = {}) {
  const bytes = readBytes(file);
  const format = formatOfContent(bytes);
  if (format && format !== 'wasm-lstm') {
    if (!foreign) {
      throw new Error(`'${file}' is a ${FORMATS[format].what}, without a training state to resume: convert it first ` +
        `(wasm-lstm convert ${file} model.bin, with its .vocab.json beside it), then train --resume model.bin`);
    }
    return foreignModel(readInput(file, undefined, bytes));
  }
  try {
    return await CharModel.load(bytes, options);
  } catch (err) {
    if (err instanceof LstmError && ['format', 'version', 'checksum'].includes(err.code)) {
      throw new Error(`'${file}' is not a usable wasm-lstm character model: ${err.message}`);
    }
    throw err;
  }
}

// A character model from weights of another format (.pt, .safetensors, .onnx, a TF.js
// model.json), read as `convert` reads them, with the characters from NAME.vocab.json beside them.
// It has no training text: sample and eval (on a whole file) only.
async function foreignModel(input) {
  const file = input.path, vocab = vocabularyPath(file);
  if (!existsSync(vocab)) {
    throw new Error(`'${file}' (${FORMATS[input.format].what}) holds weights, not the characters they stand for: ` +
      `those come from ${vocab}, which is not there; write it beside the file (a JSON array of the characters by id), ` +
      `or convert the model with them: wasm-lstm convert ${file} model.bin --vocab FILE`);
  }
  const { network } = await loadInput(input);
  try {
    return CharModel.fromNetwork(network, { vocabulary: readVocabularyFile(vocab) });
  } catch (err) {
    network.dispose();
    if (err instanceof LstmError) throw new Error(`'${file}' with ${basename(vocab)}: ${withoutPrefix(err.message, 'CharModel.fromNetwork: ')}`);
    throw err;
  }
}

// A model is written only to a new path or over a regular file (bin/files.js checkWritable:
// the rename that replaces the file atomically replaces whatever is at the path, and a device, a
// FIFO, a socket, a directory or a symbolic link is not a model file), checked before training
// and again before each write (writeAtomically).

/** model_step1200_val1.823.bin next to model.bin (model_step1200.bin without a validation loss). */
function checkpointPath(out, step, val) {
  const ext = extname(out), stem = out.slice(0, out.length - ext.length);
  return `${stem}_step${step}${val === undefined ? '' : `_val${val.toFixed(3)}`}${ext}`;
}

// ---- formatting

const fmtLoss = (x) => (x === undefined ? '—' : x.toFixed(3));
function fmtRate(x) {
  return x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`;
}
function fmtTime(s) {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

// The progress bar, fitted to a terminal of `columns`: one column is left free (a line that
// fills the last column wraps on many terminals, and '\r' then rewrites only its second row,
// leaving stale lines). As the width shrinks the bar narrows, then the bar, the rate, the ETA,
// the validation loss and the train loss go, in that order; the step always stays.
function progressLine(fields, frac, columns) {
  const max = Math.max(8, (columns || 80) - 1);
  const f = { ...fields };
  let barWidth = 20;
  const render = () => {
    const bar = barWidth ? ` [${'#'.repeat(Math.round(frac * barWidth))}${'.'.repeat(barWidth - Math.round(frac * barWidth))}]` : '';
    return `${f.step}${bar}${[f.loss, f.val, f.rate, f.eta].filter(Boolean).map((x) => `  ${x}`).join('')}`;
  };
  let line = render();
  if (line.length > max) {
    barWidth = Math.max(8, barWidth - (line.length - max));
    line = render();
  }
  for (const drop of ['bar', 'rate', 'eta', 'val', 'loss']) {
    if (line.length <= max) break;
    if (drop === 'bar') barWidth = 0;
    else f[drop] = null;
    line = render();
  }
  return line.slice(0, max);
}

// A library message without the name it starts with, where the CLI says it another way.
function withoutPrefix(message, prefix) {
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

// ---- train

// `text` (the file's content) is handed to the library and not kept here: with it the CLI held
// the text, its bytes and its ids at once (1.9 GB for a 200 MB file).
async function createModel(v, file, text) {
  const cell = v.cell;
  if (cell !== undefined && !abi.cells.includes(cell)) {
    throw new UsageError(`--cell: expected ${either(abi.cells)}, got '${cell}'`);
  }
  const decay = numFlag(v, 'lr-decay', 0, 1, true);
  const options = {
    cell, hidden: intFlag(v, 'hidden', 1, abi.limits.hidden), layers: intFlag(v, 'layers', 1, abi.limits.layers),
    dropout: numFlag(v, 'dropout', 0, 0.99), seed: intFlag(v, 'seed', 0, 2 ** 32 - 1),
    seqLength: intFlag(v, 'seq', 1, LIMITS.seqLength), batch: intFlag(v, 'batch', 1, LIMITS.batch),
    learningRate: numFlag(v, 'lr', 0, 10, true), clip: numFlag(v, 'clip', 0, 1e9),
    valFraction: numFlag(v, 'val', 0, 0.5), minutes: numFlag(v, 'minutes', 0, 1e6, true), threads: threadsFlag(v),
    schedule: decay === undefined ? undefined : { type: 'step', every: intFlag(v, 'lr-every', 1, 2 ** 31 - 1) ?? 1000, factor: decay },
  };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  if (v['lr-every'] !== undefined && decay === undefined) throw new UsageError('--lr-every: needs --lr-decay');
  if (text !== undefined) options.text = text;
  try {
    return await CharModel.create(options);
  } catch (err) {
    if (!(err instanceof LstmError)) throw err;
    if (err.code === 'config' && err.argument === 'batch') { // the text is too short for batch × seq
      throw new UsageError(`${withoutPrefix(err.message, 'CharModel.create: ')} (--batch, --seq)`);
    }
    if (err.argument === 'text' && file !== undefined) { // the file's content, e.g. one distinct character
      throw new Error(`text of '${file}': ${withoutPrefix(err.message, 'text: ')}`);
    }
    throw err;
  } finally {
    delete options.text;
  }
}

// ', 2 threads' (nothing for one), or why 'auto' runs on one: ', 1 thread (threads unavailable: …)'
function threadsText(net) {
  if (net.threads > 1) return `, ${net.threads} threads`;
  return net.threadsNote ? `, 1 thread (${net.threadsNote})` : '';
}

async function resumeModel(v, file, text) {
  const fixed = ['cell', 'hidden', 'layers', 'dropout', 'seed', 'seq', 'batch', 'lr', 'lr-decay', 'lr-every', 'clip', 'val']
    .filter((k) => v[k] !== undefined);
  if (fixed.length) throw new UsageError(`train: --${fixed[0]} cannot change when resuming (the model file keeps its settings)`);
  let model;
  try {
    const threads = threadsFlag(v);
    model = await loadModel(v.resume, { ...(text !== undefined && { text }), ...(threads !== undefined && { threads }) }, { foreign: false });
  } catch (err) {
    if (err instanceof LstmError && err.code === 'arg' && err.argument === 'text') {
      throw new Error(`'${file}' is not the text '${v.resume}' was trained on: ${withoutPrefix(err.message, 'text: ')}`);
    }
    throw err;
  }
  if (!model.data) throw new Error(`'${v.resume}' was trained on a text file: give that file to resume`);
  return model;
}

async function train({ values: v, positionals }) {
  const file = positionals[0];
  const steps = intFlag(v, 'steps', 0, 2 ** 31 - 1);
  const minutes = numFlag(v, 'minutes', 0, 1e6, true);
  if (steps !== undefined && minutes !== undefined) throw new UsageError('train: give --steps or --minutes, not both');
  const evalEvery = intFlag(v, 'eval-every', 1, 2 ** 31 - 1) ?? 100;
  const sampleEvery = intFlag(v, 'sample-every', 0, 2 ** 31 - 1) ?? 500;
  const checkpointEvery = intFlag(v, 'checkpoint-every', 1, 2 ** 31 - 1);
  const out = v.out ?? 'model.bin';
  const includeText = !!v['include-text'];
  checkWritable(out); // before training, not after an hour of it

  const model = v.resume !== undefined
    ? await resumeModel(v, file, file === undefined ? undefined : readText(file))
    : await createModel(v, file, file === undefined ? undefined : readText(file));

  const c = model.config, d = model.data, tty = !!process.stdout.isTTY;
  const source = file === undefined ? `the built-in corpus (${d.chars} chars)` : `${basename(file)} (${d.chars} chars)`;
  console.log(`wasm-lstm: ${v.resume !== undefined ? `resuming ${v.resume} at step ${model.step}` : 'training'}: ` +
    `${c.cell} ${c.layers}×${c.hidden}, vocab ${model.vocab.length}, on ${source}: train ${d.trainChars}, ` +
    `val ${d.valChars}; batch ${c.batch} × seq ${c.seqLength}, lr ${c.learningRate}, ` +
    `${model.network.simd ? 'SIMD' : 'no SIMD'}${threadsText(model.network)}; ${steps !== undefined || minutes === undefined ? `${steps ?? 1000} steps` : `${minutes} min`} → ${out}`);

  // Training runs in CharModel#train: the same steps as trainSteps bit for bit, and with --minutes
  // the library's time budget and its 'auto' learning-rate schedule (unless the model has a
  // schedule of its own, --lr-decay). yieldEvery 0 makes onProgress come after every step, so
  // evaluations, samples and checkpoints land on exact steps, and Ctrl-C gets through between
  // any two (setImmediate); it aborts the call, and the model keeps the steps it completed.
  const ctl = new AbortController();
  let stop = null;
  const onSignal = (sig) => {
    if (stop) process.exit(130); // a second Ctrl-C: leave now
    stop = sig;
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const total = minutes === undefined ? steps ?? 1000 : Infinity;
  const t0 = performance.now();
  const deadline = minutes === undefined ? Infinity : t0 + minutes * 60_000;
  const charsPerStep = c.batch * c.seqLength;
  const firstSample = Math.min(sampleEvery, evalEvery);
  // stepTime/timed: the steps without an evaluation after them, for the rate and the ETA
  let done = 0, sum = 0, count = 0, val, valStep = -1, trainLoss, stepTime = 0, timed = 0, drawn = 0, reported = -1;
  let checkpoint = null, last = t0;
  const evaluate = () => {
    if (valStep !== model.step) {
      val = d.valChars >= 2 ? model.evaluate().loss : undefined;
      valStep = model.step;
    }
    return val;
  };

  const report = (final) => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = stepTime > 0 ? (timed * charsPerStep) / stepTime : 0;
    const left = minutes === undefined ? (total - done) * (stepTime / Math.max(timed, 1))
      : (deadline - performance.now()) / 1000;
    const stepText = minutes === undefined ? `${model.step}${v.resume === undefined ? `/${total}` : ''}` : `${model.step}`;
    if (tty) {
      const frac = Math.max(0, Math.min(1, minutes === undefined ? done / Math.max(total, 1) : 1 - left / (minutes * 60)));
      const line = progressLine({
        step: `step ${stepText}`, loss: `loss ${fmtLoss(trainLoss)}`, val: `val ${fmtLoss(val)}`,
        rate: `${fmtRate(rate)} chars/s`, eta: `ETA ${fmtTime(Math.max(0, left))}`,
      }, frac, process.stdout.columns);
      process.stdout.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    } else if (final !== null) {
      console.log(`step ${stepText}  loss ${fmtLoss(trainLoss)}  val ${fmtLoss(val)}  ${fmtRate(rate)} chars/s  ` +
        `elapsed ${fmtTime(elapsed)}  ETA ${fmtTime(Math.max(0, left))}`);
    }
  };
  const say = (line, stream = process.stdout) => {
    if (tty) process.stdout.write('\r\x1b[K');
    stream.write(`${line}\n`);
  };

  // After every step (p.losses holds its loss, p.valLoss the evaluation after it, if any), and
  // once more at the end with the final evaluation only.
  const onProgress = (p) => {
    if (p.valLoss !== undefined) {
      val = p.valLoss;
      valStep = p.step;
    }
    if (!p.losses.length) return;
    if (p.valLoss === undefined) {
      stepTime += (performance.now() - last) / 1000;
      timed++;
    }
    done++;
    sum += p.losses[0];
    count++;
    if (done === 1) {
      // A model can train and still not be saved (a 3 × 1400 LSTM: 'nomem' in save): find out
      // after one step (the optimizer moments exist from then on), not after the whole run.
      try {
        model.save({ includeText });
      } catch (err) {
        throw new Error(`this model trains but cannot be saved (${err.message}): stopped after step ${model.step} ` +
          'instead of losing the whole run; use a smaller model (--hidden, --layers)');
      }
    }
    if (tty && (done === 1 || performance.now() - drawn > 250)) { // redraw the bar 4 times a second
      drawn = performance.now();
      trainLoss = sum / count;
      report(null);
    }
    if (done % evalEvery === 0 && done !== total) { // the last step's line comes after the final evaluation
      trainLoss = sum / count;
      sum = count = 0;
      evaluate();
      report(false);
      reported = done;
    }
    if (checkpointEvery !== undefined && model.step % checkpointEvery === 0) {
      const path = checkpointPath(out, model.step, evaluate());
      try {
        writeAtomically(path, model.save({ includeText }));
        checkpoint = { path, step: model.step };
      } catch (err) { // training goes on; the final save is tried anyway
        say(`wasm-lstm: warning: checkpoint at step ${model.step} not written: ${err.message}`, process.stderr);
      }
    }
    if (sampleEvery > 0 && (done % sampleEvery === 0 || done === firstSample)) {
      say(`--- sample at step ${model.step} ---\n${model.sample({ length: 200, temperature: 0.8, seed: model.step })}\n---`);
    }
    last = performance.now();
  };

  if (total > 0) {
    try {
      await model.train({
        ...(minutes === undefined ? { steps: total } : { minutes }),
        ...(d.valChars >= 2 && { evalEvery }),
        ...(minutes !== undefined && model.config.schedule && { schedule: null }), // its own schedule, not 'auto'
        yieldEvery: 0, signal: ctl.signal, onProgress,
      });
    } catch (err) {
      if (!(stop && err instanceof LstmError && err.code === 'aborted')) throw err;
    }
  }
  if (count > 0) trainLoss = sum / count;
  if (reported !== done || done === 0) {
    evaluate();
    report(true);
  } else if (tty) {
    process.stdout.write('\n');
  }
  let size;
  try {
    const bytes = model.save({ includeText });
    writeAtomically(out, bytes);
    size = bytes.length;
  } catch (err) {
    const kept = checkpoint ? `the last checkpoint, '${checkpoint.path}' (step ${checkpoint.step}), is kept`
      : 'no checkpoint was written (--checkpoint-every N writes them)';
    throw new Error(`training reached step ${model.step}, but the model could not be saved: ${err.message}; ${kept}`);
  }
  const bpc = val === undefined ? '' : `, val ${val.toFixed(4)} nats/char = ${(val / Math.LN2).toFixed(3)} bits/char`;
  console.log(`${stop ? `interrupted (${stop}) at step ${model.step}: ` : ''}saved ${out} ` +
    `(${(size / 1024).toFixed(0)} KiB, step ${model.step}${bpc})`);
  model.dispose();
  process.exitCode = stop ? 130 : 0;
}

// ---- sample

async function sample({ values: v, positionals }) {
  const options = {
    length: intFlag(v, 'length', 0, 2 ** 31 - 1) ?? 500,
    temperature: numFlag(v, 'temperature', 0, 100),
    topK: intFlag(v, 'top-k', 1, 2 ** 31 - 1),
    topP: numFlag(v, 'top-p', 0, 1, true),
    greedy: v.greedy,
    prime: v.prime,
    seed: intFlag(v, 'seed', 0, 2 ** 32 - 1),
  };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  const model = await loadModel(positionals[0]);
  const out = process.stdout;
  let closed = false;
  out.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    closed = true; // `| head`: stop quietly
  });
  const write = (s) => new Promise((resolve) => (out.write(s) ? resolve() : out.once('drain', resolve)));
  if (options.prime) await write(options.prime);
  let buf = '';
  for await (const ch of model.streamAsync({ ...options, yieldEvery: 64 })) {
    if (closed) break;
    buf += ch;
    if (buf.length >= 256 || (out.isTTY && ch === '\n')) {
      await write(buf);
      buf = '';
    }
  }
  if (!closed) await write(buf + (out.isTTY ? '\n' : ''));
  model.dispose();
}

// ---- eval

async function evaluate({ values: v, positionals }) {
  const [modelFile, textFile] = positionals;
  const text = readText(textFile);
  let model, part;
  try {
    model = await loadModel(modelFile, v.all ? {} : { text });
    part = v.all || !model.data ? 'the whole file' // a model of another format has no training text
      : `the validation part (last ${model.config.valFraction * 100}%) of the training text`;
  } catch (err) {
    if (!(err instanceof LstmError && err.code === 'arg' && err.argument === 'text')) throw err;
    model = await loadModel(modelFile); // another text: all of it is new to the model
    part = 'the whole file';
  }
  const r = part === 'the whole file' ? model.evaluate(text) : model.evaluate();
  const skipped = r.skipped ? `; ${r.skipped} unknown characters skipped` : '';
  console.log(`loss ${r.loss.toFixed(4)} nats/char  ${r.bitsPerChar.toFixed(4)} bits/char  ` +
    `perplexity ${r.perplexity.toFixed(3)}  (${r.chars} characters predicted: ${part} of ${basename(textFile)}${skipped})`);
  model.dispose();
}

// ---- main

const RUN = { train, sample, eval: evaluate };
for (const m of MODULES) RUN[m.name] = (args) => m.run(args, { usage: (message) => new UsageError(message) });
const COMMAND_LIST = Object.keys(RUN).join(', ');

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    console.log(`wasm-lstm ${VERSION}`);
    return;
  }
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    const topic = command === 'help' && rest[0];
    if (topic && !HELP[topic]) throw new UsageError(`help: unknown command '${topic}' (commands: ${COMMAND_LIST})`);
    if (command === undefined) { // no command: usage on stderr, exit 2
      process.stderr.write(`${HELP.main}\n`);
      process.exitCode = 2;
    } else {
      console.log(HELP[topic || 'main']);
    }
    return;
  }
  if (!RUN[command]) {
    const near = suggest(command.replace(/^-+/, ''), Object.keys(RUN), true);
    const hint = command.startsWith('-') ? " (options come after the command: 'wasm-lstm train --steps 100')"
      : near ? `: did you mean '${near}'?` : '';
    throw new UsageError(`unknown command '${command}'${hint} (commands: ${COMMAND_LIST}; see 'wasm-lstm --help')`);
  }
  const args = parse(command, rest);
  if (args.help) {
    console.log(HELP[command]);
    return;
  }
  await RUN[command](args);
}

main(process.argv.slice(2)).catch((err) => {
  if (process.env.WASM_LSTM_DEBUG) console.error(err);
  const msg = String(err?.message ?? err).split('\n')[0];
  process.stderr.write(`wasm-lstm: ${msg}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
