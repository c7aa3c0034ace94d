// train-worker.js — the character model's module Web Worker: trains in short slices, evaluates,
// samples, inspects and saves to IndexedDB, so that the page never waits on the model.
//
// Messages in (from app.js)                     Messages out
//   init {settings}                               ready {settings, step, restored, ...}
//   pause | resume                                state {running}
//   reset {settings, text}                        progress {step, losses, ema, msPerStep, charsPerSec}
//   setOpt {learningRate, clip}                   evaluation {step, loss, bpc}
//   generate {id, prime, temperature, ...}        samples {step, items: [{temperature, text}]}
//   stopGenerate {id}                             gen {id, text, done, error?}
//   inspect {id, text, layer}                     inspect {id, chars, channels, hidden, values, ...}
//   export                                        hist {step, gates, counts, saturated}
//   import {bytes, name}                          saved {step, bytes} | notice {level, text}
//                                                 export {bytes, step} | error {text}
//
// The model that trains is never used for sampling: samples and the interactive sampler read a
// snapshot (CharModel.load of the latest save()), so a stream is never interrupted by training or
// evaluation, and training is never paused by sampling.

import { CharModel, readMeta } from '../js/index.js';
import { defaultCorpus } from '../js/corpus.js';
import * as store from './store.js';

const CORPUS = Object.freeze({ seed: 1, chars: 200_000 }); // the package's default corpus
const SLICE_MS = 90; // train this long, then report and look at the message queue
const EVERY = { eval: 3000, save: 4000, samples: 5000, hist: 3000 };
const SAMPLE_TEMPS = [0.5, 0.8, 1.0];
const SAMPLE_LENGTH = 220;
const PROBE_CHARS = 400; // held-out characters read for the gate histogram
const EVAL_CHARS = 10_000; // at most this many held-out characters per evaluation
const BINS = 20;
const EMA = 0.92; // smoothing of the train loss
const MAX_HISTORY = 1500;

let model = null; // CharModel being trained
let settings = null; // {corpus, cell, hidden, layers, seqLength, batch, learningRate, clip}
let text = null; // the custom training text, or null for the default corpus
let textKey = null, textStored = false;
let probe = ''; // text for the gate histogram
let valSlice = null; // the held-out text to evaluate on when the whole held-out part is too long
let running = false, loopBusy = false, swapping = false;
let ema = null; // debiased exponential moving average of the train loss
let emaRaw = 0, emaN = 0;
let history = null; // {train: [[step, ema]], val: [[step, loss]], sat: [[step, share]]}
let hist0 = null; // the untrained model's histogram (kept across reloads)
let last = { eval: 0, save: 0, samples: 0, hist: 0 };
let savedStep = -1, dirty = true, saving = false, saveFailed = false;
let snap = { step: -1, bytes: null }; // the latest save() of the trained model
let sampler = null, samplerStep = -1; // CharModel for the periodic samples
let genId = 0; // the interactive sampler's current job (0 = none)

const post = (type, data = {}, transfer = []) => self.postMessage({ type, ...data }, transfer);
const notice = (level, text) => post('notice', { level, text });
const sleep0 = () => new Promise((resolve) => setTimeout(resolve, 0));
const message = (err) => (err && err.message) || String(err);

// ---- model lifecycle

function freshHistory() {
  return { train: [], val: [], sat: [] };
}

// The last `n` characters of the held-out end of the training text (CharModel's valFraction;
// counted in UTF-16 units here, which is close enough for a sample of it).
function heldOut(t, valFraction, n) {
  const val = t.slice(t.length - Math.floor(t.length * valFraction)) || t;
  const cps = [...val.slice(-4 * n)];
  return cps.slice(-n).join('');
}

function networkClip(clip) {
  return clip > 0 ? { mode: 'norm', threshold: clip } : { mode: 'none' };
}

async function createModel(s, customText) {
  const options = {
    cell: s.cell, hidden: s.hidden, layers: s.layers, seqLength: s.seqLength, batch: s.batch,
    learningRate: s.learningRate, clip: s.clip, seed: 1 + Math.floor(Math.random() * 1e9),
  };
  if (s.corpus === 'custom') options.text = customText;
  else options.corpus = { ...CORPUS };
  return CharModel.create(options);
}

// A new model (fresh settings, or a file uploaded under the name `imported`) takes over: its first
// evaluation, histogram and samples, then a save under a new key (the text is stored again).
async function start(m, modelSettings, text, imported) {
  adopt(m, modelSettings, text);
  textKey = null;
  textStored = false;
  saveFailed = false;
  post('ready', imported === undefined ? readyInfo(false) : { ...readyInfo(false, true), imported });
  evaluate();
  histogram();
  await samples();
  last.eval = last.hist = last.samples = performance.now();
  await save(true);
}

function adopt(m, s, customText, { restoredHistory = null, restoredHist0 = null } = {}) {
  model?.dispose();
  sampler?.dispose();
  sampler = null;
  samplerStep = -1;
  snap = { step: -1, bytes: null };
  model = m;
  settings = s;
  text = s.corpus === 'custom' ? customText : null;
  const full = text ?? defaultCorpus(m.data?.corpus ?? CORPUS);
  probe = heldOut(full, m.config.valFraction, PROBE_CHARS);
  valSlice = (m.data?.valChars ?? 0) > EVAL_CHARS ? heldOut(full, m.config.valFraction, EVAL_CHARS) : null;
  history = restoredHistory ?? freshHistory();
  ema = history.train.length ? history.train[history.train.length - 1][1] : null;
  emaRaw = ema ?? 0; // a restored average is already debiased: continue it as if converged
  emaN = ema === null ? 0 : 1e9;
  hist0 = restoredHist0;
  last = { eval: 0, save: performance.now(), samples: 0, hist: 0 };
  dirty = true;
  savedStep = -1;
}

function readyInfo(restored, importedText = false) {
  const net = model.network;
  return {
    settings, restored, step: model.step, vocab: model.vocab.length, params: net.parameterCount,
    simd: net.simd, history, hist0, chars: model.data?.chars ?? 0, running,
    text: restored || importedText ? text : null, // so that the page can show the custom text again
  };
}

// A stored model, or null; a corrupted one is reported and removed.
async function restore() {
  let saved;
  try {
    saved = await store.loadModel();
  } catch (err) {
    notice('warn', `Could not read the model saved in this browser (${message(err)}). Training starts fresh.`);
    return null;
  }
  if (!saved) return null;
  const { record, bytes, text: storedText } = saved;
  try {
    const s = record.settings;
    if (!s || typeof s !== 'object') throw new Error('its settings are missing');
    if (!(bytes instanceof Uint8Array)) throw new Error('its bytes are missing');
    if (s.corpus === 'custom' && typeof storedText !== 'string') throw new Error('its training text is missing');
    const m = await CharModel.load(bytes, s.corpus === 'custom' ? { text: storedText } : {});
    if (!m.data) {
      m.dispose();
      throw new Error('its training text is missing');
    }
    m.network.setTrainingConfig({ learningRate: s.learningRate, clip: networkClip(s.clip) });
    return { m, s, text: s.corpus === 'custom' ? storedText : null, record };
  } catch (err) {
    notice('error', `The model saved in this browser was corrupted and could not be loaded ` +
      `(${message(err)}). It was discarded, and training starts fresh.`);
    try { await store.clear(); } catch { /* reported at the next save */ }
    return null;
  }
}

// Runs fn with the training loop stopped (it replaces the model), then restarts the loop.
async function exclusive(fn) {
  swapping = true;
  while (loopBusy) await sleep0();
  try {
    return await fn();
  } finally {
    swapping = false;
    if (running) loop();
  }
}

// ---- training loop

function trainSlice() {
  const t0 = performance.now();
  const losses = [];
  do {
    const [loss] = model.trainSteps(1);
    losses.push(loss);
  } while (performance.now() - t0 < SLICE_MS);
  const ms = (performance.now() - t0) / losses.length;
  for (const l of losses) {
    emaRaw = EMA * emaRaw + (1 - EMA) * l;
    emaN++;
    ema = emaRaw / (1 - EMA ** emaN);
  }
  pushHistory(history.train, [model.step, ema]);
  const { batch, seqLength } = model.config;
  dirty = true;
  post('progress', {
    step: model.step, losses, ema, msPerStep: ms, charsPerSec: (batch * seqLength * 1000) / ms,
    epoch: model.epoch,
  });
}

function pushHistory(list, point) {
  list.push(point);
  if (list.length > MAX_HISTORY) { // keep every other point, and the newest
    const kept = list.filter((_, i) => i % 2 === 0);
    if (kept[kept.length - 1] !== point) kept.push(point);
    list.length = 0;
    list.push(...kept);
  }
}

async function loop() {
  if (loopBusy || swapping) return;
  loopBusy = true;
  try {
    while (running && model && !swapping) {
      trainSlice();
      await periodic();
      await sleep0();
    }
  } catch (err) {
    running = false;
    post('state', { running });
    if (err?.code === 'nonfinite') {
      notice('error', `The loss became infinite or NaN at step ${model.step + 1}. That step was skipped and ` +
        'training paused. Lower the learning rate or turn on gradient clipping, then resume.');
    } else {
      post('error', { text: `Training stopped: ${message(err)}` });
    }
  } finally {
    loopBusy = false;
  }
}

// Each periodic job runs every EVERY[job] ms, or less often when it is slow (big models): at most
// about 1/8 of the time goes to any one of them.
const cost = { eval: 0, hist: 0, samples: 0, save: 0 };
async function periodic() {
  const jobs = { eval: evaluate, hist: histogram, samples, save };
  for (const [k, job] of Object.entries(jobs)) {
    const now = performance.now();
    if (now - last[k] < Math.max(EVERY[k], 8 * cost[k])) continue;
    last[k] = now;
    await job();
    cost[k] = performance.now() - now;
  }
}

function evaluate() {
  const r = (valSlice ? model.evaluate(valSlice) : model.evaluate());
  pushHistory(history.val, [model.step, r.loss]);
  post('evaluation', { step: model.step, loss: r.loss, bpc: r.bitsPerChar });
}

// Histogram of gate values over every layer and unit while reading the probe text.
function histogram() {
  const gates = { lstm: ['i', 'f', 'o'], gru: ['r', 'z'], rnn: [] }[model.config.cell];
  const counts = {};
  let saturated = 0, total = 0;
  for (const g of gates) counts[g] = new Array(BINS).fill(0);
  if (gates.length) {
    for (let layer = 0; layer < model.config.layers; layer++) {
      const r = model.inspect(probe, { layer });
      for (let t = 0; t < r.steps; t++) {
        for (const g of gates) {
          const v = r.get(t, g), c = counts[g];
          for (let k = 0; k < v.length; k++) {
            const x = v[k];
            c[Math.min(BINS - 1, Math.max(0, Math.floor(x * BINS)))]++;
            if (x < 0.1 || x > 0.9) saturated++;
          }
          total += v.length;
        }
      }
    }
  }
  const share = total ? saturated / total : 0;
  const h = { step: model.step, gates, counts, saturated: share };
  if (!hist0) hist0 = h;
  if (gates.length) pushHistory(history.sat, [model.step, share]);
  post('hist', { ...h, hist0, sat: history.sat });
}

// The latest save() of the model (shared by the store and the samplers).
function snapshot() {
  if (snap.step !== model.step || !snap.bytes) {
    snap = { step: model.step, bytes: model.save() };
  }
  return snap.bytes;
}

async function samplerModel() {
  if (sampler && samplerStep === model.step) return sampler;
  const m = model, bytes = snapshot(), step = m.step;
  const s = await CharModel.load(bytes);
  if (m !== model) { s.dispose(); return null; }
  sampler?.dispose();
  sampler = s;
  samplerStep = step;
  return sampler;
}

async function samples() {
  const s = await samplerModel();
  if (!s) return;
  const items = SAMPLE_TEMPS.map((temperature) => ({
    temperature, text: s.sample({ length: SAMPLE_LENGTH, temperature, prime: '\n' }),
  }));
  post('samples', { step: samplerStep, items });
}

async function save(force = false) {
  if (!model || saving || saveFailed && !force) return;
  if (!dirty && savedStep === model.step && !force) return;
  saving = true;
  const m = model;
  try {
    const bytes = snapshot();
    const step = m.step;
    const needText = text !== null && !textStored;
    if (text !== null && !textKey) textKey = `text-${Date.now().toString(36)}`;
    await store.saveModel({
      bytes,
      record: { step, settings, history, hist0, app: 'wasm-lstm demo', version: 1 },
      text: needText ? text : null,
      textKey: text !== null ? textKey : null,
    });
    if (m === model) {
      textStored = textStored || needText;
      savedStep = step;
      dirty = false;
    }
    post('saved', { step, bytes: bytes.length });
  } catch (err) {
    saveFailed = true;
    notice('warn', `Could not save the model in this browser (${message(err)}). Training goes on; ` +
      'use Download to keep it.');
  } finally {
    saving = false;
  }
}

// ---- interactive sampler

async function generate({ id, prime, temperature, topK, topP, length }) {
  genId = id;
  let g = null;
  try {
    g = await CharModel.load(snapshot());
    const step = g.step;
    post('gen', { id, text: '', done: false, step });
    const it = g.stream({ prime, temperature, topK, topP, length });
    let done = false;
    while (!done) {
      if (genId !== id) break;
      const t0 = performance.now();
      let chunk = '';
      while (performance.now() - t0 < 12) {
        const r = it.next();
        if (r.done) { done = true; break; }
        chunk += r.value;
      }
      post('gen', { id, text: chunk, done });
      if (!done) await sleep0();
    }
    if (!done) post('gen', { id, text: '', done: true, stopped: true });
  } catch (err) {
    post('gen', { id, text: '', done: true, error: message(err) });
  } finally {
    g?.dispose();
    if (genId === id) genId = 0;
  }
}

// ---- messages

async function handle(msg) {
  switch (msg.type) {
    case 'init': {
      await exclusive(async () => {
        const r = await restore();
        if (r) {
          adopt(r.m, r.s, r.text, { restoredHistory: r.record.history ?? null, restoredHist0: r.record.hist0 ?? null });
          textKey = r.record.textKey ?? null;
          textStored = !!textKey;
          savedStep = r.m.step;
          dirty = false;
          running = msg.autostart !== false;
          post('ready', readyInfo(true));
        } else {
          adopt(await createModel(msg.settings, null), msg.settings, null);
          textKey = null;
          textStored = false;
          running = msg.autostart !== false;
          post('ready', readyInfo(false));
        }
        evaluate();
        histogram();
        await samples();
        last.eval = last.hist = last.samples = performance.now();
      });
      break;
    }
    case 'pause':
      running = false;
      post('state', { running });
      await save();
      break;
    case 'resume':
      running = true;
      post('state', { running });
      loop();
      break;
    case 'reset': {
      await exclusive(async () => {
        let m;
        try {
          m = await createModel(msg.settings, msg.text);
        } catch (err) {
          post('error', { text: `Cannot start with these settings: ${message(err)}`, reset: true });
          return;
        }
        await start(m, msg.settings, msg.text);
      });
      break;
    }
    case 'setOpt': {
      if (!model) break;
      settings = { ...settings, learningRate: msg.learningRate, clip: msg.clip };
      model.network.setTrainingConfig({ learningRate: msg.learningRate, clip: networkClip(msg.clip) });
      dirty = true;
      if (!running) await save(true);
      break;
    }
    case 'generate': // not awaited: stopGenerate and other messages are handled meanwhile
      if (model) generate(msg);
      break;
    case 'stopGenerate':
      if (genId === msg.id) genId = 0;
      break;
    case 'inspect': {
      if (!model) break;
      try {
        const layer = Math.min(msg.layer, model.config.layers - 1);
        const r = model.inspect(msg.text, { layer });
        post('inspect', {
          id: msg.id, step: model.step, chars: r.chars, channels: r.channels, hidden: r.hidden,
          steps: r.steps, layer: r.layer, layers: r.layers, cell: model.config.cell, values: r.values,
          asked: [...msg.text].length,
        }, [r.values.buffer]);
      } catch (err) {
        post('inspect', { id: msg.id, error: message(err) });
      }
      break;
    }
    case 'export': {
      if (!model) break;
      const bytes = model.save({ includeText: text !== null });
      post('export', { bytes, step: model.step, cell: model.config.cell }, [bytes.buffer]);
      break;
    }
    case 'import': {
      await exclusive(async () => {
        let m, s, t = null;
        try {
          const bytes = new Uint8Array(msg.bytes);
          const meta = await readMeta(bytes);
          if (meta?.kind !== 'char' || !meta.char) throw new Error('not a character model file (CharModel.save)');
          const fileText = typeof meta.char.text === 'string' ? meta.char.text : null;
          const isDefault = !!meta.char.corpus;
          if (!fileText && !isDefault && text === null) {
            throw new Error('the file does not contain its training text, so it cannot continue training here');
          }
          m = await CharModel.load(bytes, !fileText && !isDefault ? { text } : {});
          t = isDefault ? null : fileText ?? text;
          const c = m.config;
          s = {
            corpus: isDefault ? 'default' : 'custom', cell: c.cell, hidden: c.hidden, layers: c.layers,
            seqLength: c.seqLength, batch: c.batch, learningRate: m.network.trainingConfig.learningRate,
            clip: m.network.trainingConfig.clip.mode === 'none' ? 0 : m.network.trainingConfig.clip.threshold,
          };
        } catch (err) {
          post('error', { text: `Cannot load ${msg.name ?? 'that file'}: ${message(err)}` });
          return;
        }
        await start(m, s, t, msg.name ?? 'file');
      });
      break;
    }
    default:
      post('error', { text: `train-worker: unknown message type ${JSON.stringify(msg.type)}` });
  }
}

// Messages are handled one at a time, in order.
let queue = Promise.resolve();
self.onmessage = (e) => {
  queue = queue.then(() => handle(e.data)).catch((err) => {
    post('error', { text: `train-worker: ${message(err)}` });
  });
};
