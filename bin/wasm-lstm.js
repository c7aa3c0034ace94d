#!/usr/bin/env node
// wasm-lstm — the command line: train a character model, sample from it, evaluate it.
//
//   wasm-lstm train [file] [options]      train (no file: the built-in corpus), save model.bin
//   wasm-lstm sample model.bin [options]  stream generated text to stdout
//   wasm-lstm eval model.bin file         loss and bits per character on a text
//
// Errors are one line on stderr and a non-zero exit: 2 for usage (bad flags, missing arguments),
// 1 for everything else (unreadable files, not a model file), 130 when training was interrupted
// (after saving). WASM_LSTM_DEBUG=1 prints stack traces.

import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync, renameSync, statSync, accessSync, constants } from 'node:fs';
import { basename, dirname } from 'node:path';
import { CharModel } from '../js/charmodel.js';
import { LstmError } from '../js/errors.js';

const HELP = {
  main: `wasm-lstm — character-level LSTM/GRU/RNN language models in WebAssembly

Usage:
  wasm-lstm train [file] [options]      train a model (no file: the built-in corpus)
  wasm-lstm sample model.bin [options]  generate text from a saved model
  wasm-lstm eval model.bin file         validation loss and bits per character

Run 'wasm-lstm <command> --help' for a command's options.`,

  train: `Usage: wasm-lstm train [file] [options]

Trains a character language model on a UTF-8 text file (no file: the built-in English-like
corpus with long-range agreement) and saves it. The last 5% of the text is held out for
validation. Ctrl-C stops training and saves the model first.

Model:
  --cell lstm|gru|rnn     cell type (default lstm)
  --hidden N              units per layer (default 128)
  --layers N              layers, 1-4 (default 2)
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
  --minutes M             train for M minutes instead of a number of steps
  --resume model.bin      continue training a saved model (on the same text) exactly
Output:
  --out FILE              where to save (default model.bin)
  --eval-every N          steps between validation evaluations (default 100)
  --sample-every N        steps between samples, 0 = never (default 500)
  --include-text          store the training text in the model file
  -h, --help              this help`,

  sample: `Usage: wasm-lstm sample model.bin [options]

Streams generated text to stdout: the prime, then --length new characters.

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
(the part training never saw); otherwise the whole file.

  --all                   use the whole file even if it is the training text
  -h, --help              this help`,
};

class UsageError extends Error {}

// ---- argument parsing

const COMMANDS = {
  train: {
    positionals: [0, 1],
    options: {
      cell: { type: 'string' }, hidden: { type: 'string' }, layers: { type: 'string' },
      dropout: { type: 'string' }, seed: { type: 'string' }, seq: { type: 'string' },
      batch: { type: 'string' }, lr: { type: 'string' }, 'lr-decay': { type: 'string' },
      'lr-every': { type: 'string' }, clip: { type: 'string' }, val: { type: 'string' },
      steps: { type: 'string' }, minutes: { type: 'string' }, resume: { type: 'string' },
      out: { type: 'string' }, 'eval-every': { type: 'string' }, 'sample-every': { type: 'string' },
      'include-text': { type: 'boolean' },
    },
  },
  sample: {
    positionals: [1, 1],
    options: {
      prime: { type: 'string' }, length: { type: 'string' }, temperature: { type: 'string' },
      'top-k': { type: 'string' }, 'top-p': { type: 'string' }, greedy: { type: 'boolean' },
      seed: { type: 'string' },
    },
  },
  eval: { positionals: [2, 2], options: { all: { type: 'boolean' } } },
};

function parse(command, args) {
  const spec = COMMANDS[command];
  let parsed;
  try {
    parsed = parseArgs({
      args, strict: true, allowPositionals: true,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(err.message);
    if (ambiguous) { // `--lr -1`: parseArgs reads -1 as an option
      const o = ambiguous[1];
      throw new UsageError(`${o}: a value that starts with '-' must be written ${o}=VALUE`);
    }
    const msg = err.message.split('\n')[0].replace(/\. To specify a positional.*$/, '').replace(/\.$/, '');
    throw new UsageError(`${command}: ${msg} (see 'wasm-lstm ${command} --help')`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [lo, hi] = spec.positionals;
  if (positionals.length < lo || positionals.length > hi) {
    const want = `${lo === hi ? '' : 'at most '}${hi} file argument${hi > 1 ? 's' : ''}`;
    throw new UsageError(`${command}: expected ${want}, got ${positionals.length}` +
      `${positionals.length ? ` (${positionals.map((p) => `'${p}'`).join(' ')})` : ''} (see 'wasm-lstm ${command} --help')`);
  }
  return { values, positionals };
}

// Numeric flags: the whole string must be a number in range.
function intFlag(values, name, lo, hi) {
  const s = values[name];
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new UsageError(`--${name}: expected an integer in [${lo}, ${hi}], got '${s}'`);
  }
  return v;
}

function numFlag(values, name, lo, hi, openLo = false) {
  const s = values[name];
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || (openLo ? v <= lo : v < lo) || v > hi) {
    throw new UsageError(`--${name}: expected a number in ${openLo ? '(' : '['}${lo}, ${hi}], got '${s}'`);
  }
  return v;
}

function readText(file) {
  let bytes;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read '${file}': ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
  }
  return new TextDecoder('utf-8').decode(bytes); // invalid bytes become U+FFFD
}

function readBytes(file) {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read '${file}': ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
  }
}

async function loadModel(file, options) {
  const bytes = readBytes(file);
  try {
    return await CharModel.load(bytes, options);
  } catch (err) {
    if (err instanceof LstmError && ['format', 'version', 'checksum'].includes(err.code)) {
      throw new Error(`'${file}' is not a usable wasm-lstm character model: ${err.message}`);
    }
    throw err;
  }
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

function saveModel(model, out, includeText) {
  const bytes = model.save({ includeText });
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, out);
  } catch (err) {
    throw new Error(`cannot write '${out}': ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
  }
  return bytes.length;
}

// Fails early when `out` cannot be written: its directory is missing or not writable, or it is a
// directory. Nothing is created.
function checkWritable(out) {
  const dir = dirname(out);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`cannot write '${out}': no such directory '${dir}'`);
  }
  if (!st.isDirectory()) throw new Error(`cannot write '${out}': '${dir}' is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`cannot write '${out}': directory '${dir}' is not writable`);
  }
  let o = null;
  try { o = statSync(out); } catch { /* a new file */ }
  if (o && o.isDirectory()) throw new Error(`cannot write '${out}': it is a directory`);
}

// ---- train

async function train({ values: v, positionals }) {
  const file = positionals[0];
  const text = file === undefined ? undefined : readText(file);
  const steps = intFlag(v, 'steps', 0, 2 ** 31 - 1);
  const minutes = numFlag(v, 'minutes', 0, 1e6, true);
  if (steps !== undefined && minutes !== undefined) throw new UsageError('train: give --steps or --minutes, not both');
  const evalEvery = intFlag(v, 'eval-every', 1, 2 ** 31 - 1) ?? 100;
  const sampleEvery = intFlag(v, 'sample-every', 0, 2 ** 31 - 1) ?? 500;
  const out = v.out ?? 'model.bin';
  const includeText = !!v['include-text'];
  checkWritable(out); // before training, not after an hour of it

  let model;
  if (v.resume !== undefined) {
    const fixed = ['cell', 'hidden', 'layers', 'dropout', 'seed', 'seq', 'batch', 'lr', 'lr-decay', 'lr-every', 'clip', 'val']
      .filter((k) => v[k] !== undefined);
    if (fixed.length) throw new UsageError(`train: --${fixed[0]} cannot change when resuming (the model file keeps its settings)`);
    model = await loadModel(v.resume, text === undefined ? {} : { text });
    if (!model.data) throw new Error(`'${v.resume}' was trained on a text file: give that file to resume`);
  } else {
    const cell = v.cell;
    if (cell !== undefined && !['lstm', 'gru', 'rnn'].includes(cell)) {
      throw new UsageError(`--cell: expected lstm, gru or rnn, got '${cell}'`);
    }
    const decay = numFlag(v, 'lr-decay', 0, 1, true);
    const options = {
      cell, hidden: intFlag(v, 'hidden', 1, 4096), layers: intFlag(v, 'layers', 1, 4),
      dropout: numFlag(v, 'dropout', 0, 0.99), seed: intFlag(v, 'seed', 0, 2 ** 32 - 1),
      seqLength: intFlag(v, 'seq', 1, 65536), batch: intFlag(v, 'batch', 1, 4096),
      learningRate: numFlag(v, 'lr', 0, 10, true), clip: numFlag(v, 'clip', 0, 1e9),
      valFraction: numFlag(v, 'val', 0, 0.5),
      schedule: decay === undefined ? undefined : { type: 'step', every: intFlag(v, 'lr-every', 1, 2 ** 31 - 1) ?? 1000, factor: decay },
    };
    for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
    if (v['lr-every'] !== undefined && decay === undefined) throw new UsageError('--lr-every: needs --lr-decay');
    if (text !== undefined) options.text = text;
    try {
      model = await CharModel.create(options);
    } catch (err) {
      if (err instanceof LstmError && err.code === 'config' && /needed/.test(err.message)) {
        throw new UsageError(`${err.message.replace(/^CharModel\.create: /, '')} (--batch, --seq)`);
      }
      if (err instanceof LstmError && file !== undefined && /^text: /.test(err.message)) {
        // a problem of the file's content (e.g. one distinct character): name the file
        throw new Error(err.message.replace(/^text: /, `text of '${file}': `));
      }
      throw err;
    }
  }

  const c = model.config, d = model.data, tty = !!process.stdout.isTTY;
  const source = file === undefined ? `the built-in corpus (${d.chars} chars)` : `${basename(file)} (${d.chars} chars)`;
  console.log(`wasm-lstm: ${v.resume !== undefined ? `resuming ${v.resume} at step ${model.step}` : 'training'}: ` +
    `${c.cell} ${c.layers}×${c.hidden}, vocab ${model.vocab.length}, on ${source}: train ${d.trainChars}, ` +
    `val ${d.valChars}; batch ${c.batch} × seq ${c.seqLength}, lr ${c.learningRate}, ` +
    `${model.network.simd ? 'SIMD' : 'no SIMD'}; ${steps !== undefined || minutes === undefined ? `${steps ?? 1000} steps` : `${minutes} min`} → ${out}`);

  let stop = null;
  const onSignal = (sig) => {
    if (stop) process.exit(130); // a second Ctrl-C: leave now
    stop = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const total = minutes === undefined ? steps ?? 1000 : Infinity;
  const deadline = minutes === undefined ? Infinity : performance.now() + minutes * 60_000;
  const charsPerStep = c.batch * c.seqLength;
  const t0 = performance.now();
  let done = 0, sum = 0, count = 0, val, trainLoss, trainTime = 0, drawn = 0;
  const evaluate = () => (d.valChars >= 2 ? model.evaluate().loss : undefined);

  const report = (final) => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = trainTime > 0 ? (done * charsPerStep) / trainTime : 0;
    const left = minutes === undefined ? (total - done) * (trainTime / Math.max(done, 1))
      : (deadline - performance.now()) / 1000;
    const stepText = minutes === undefined ? `${model.step}${v.resume === undefined ? `/${total}` : ''}` : `${model.step}`;
    if (tty) {
      const frac = minutes === undefined ? done / Math.max(total, 1) : 1 - left / (minutes * 60);
      const w = 20, filled = Math.max(0, Math.min(w, Math.round(frac * w)));
      process.stdout.write(`\r\x1b[Kstep ${stepText} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ` +
        `loss ${fmtLoss(trainLoss)}  val ${fmtLoss(val)}  ${fmtRate(rate)} chars/s  ETA ${fmtTime(Math.max(0, left))}` +
        (final ? '\n' : ''));
    } else if (final !== null) {
      console.log(`step ${stepText}  loss ${fmtLoss(trainLoss)}  val ${fmtLoss(val)}  ${fmtRate(rate)} chars/s  ` +
        `elapsed ${fmtTime(elapsed)}  ETA ${fmtTime(Math.max(0, left))}`);
    }
  };

  while (done < total && performance.now() < deadline && !stop) {
    const s = performance.now();
    const [loss] = model.trainSteps(1);
    trainTime += (performance.now() - s) / 1000;
    done++;
    sum += loss;
    count++;
    if (tty && (done === 1 || performance.now() - drawn > 250)) { // redraw the bar 4 times a second
      drawn = performance.now();
      trainLoss = sum / count;
      report(null);
    }
    if (done % evalEvery === 0) {
      trainLoss = sum / count;
      sum = count = 0;
      val = evaluate();
      report(false);
    }
    if (sampleEvery > 0 && done % sampleEvery === 0) {
      if (tty) process.stdout.write('\r\x1b[K');
      console.log(`--- sample at step ${model.step} ---\n${model.sample({ length: 200, temperature: 0.8, seed: model.step })}\n---`);
    }
    await new Promise((resolve) => setImmediate(resolve)); // lets Ctrl-C through
  }
  if (count > 0) trainLoss = sum / count;
  if (done % evalEvery !== 0 || done === 0) {
    val = evaluate();
    report(true);
  } else if (tty) {
    process.stdout.write('\n');
  }
  const bytes = saveModel(model, out, includeText);
  const bpc = val === undefined ? '' : `, val ${val.toFixed(4)} nats/char = ${(val / Math.LN2).toFixed(3)} bits/char`;
  console.log(`${stop ? `interrupted (${stop}) at step ${model.step}: ` : ''}saved ${out} ` +
    `(${(bytes / 1024).toFixed(0)} KiB, step ${model.step}${bpc})`);
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
  const bytes = readBytes(modelFile);
  const text = readText(textFile);
  let model, part;
  try {
    model = await CharModel.load(bytes, v.all ? {} : { text });
    part = v.all ? 'the whole file' : `the validation part (last ${model.config.valFraction * 100}%) of the training text`;
  } catch (err) {
    if (err instanceof LstmError && ['format', 'version', 'checksum'].includes(err.code)) {
      throw new Error(`'${modelFile}' is not a usable wasm-lstm character model: ${err.message}`);
    }
    if (!(err instanceof LstmError && err.code === 'arg' && /not the text/.test(err.message))) throw err;
    model = await CharModel.load(bytes);
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

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    const topic = command === 'help' && rest[0];
    if (topic && !HELP[topic]) throw new UsageError(`help: unknown command '${topic}' (commands: train, sample, eval)`);
    if (command === undefined) { // no command: usage on stderr, exit 2
      process.stderr.write(`${HELP.main}\n`);
      process.exitCode = 2;
    } else {
      console.log(HELP[topic || 'main']);
    }
    return;
  }
  if (!RUN[command]) throw new UsageError(`unknown command '${command}' (commands: train, sample, eval; see 'wasm-lstm --help')`);
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
