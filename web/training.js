// training.js — the demo's character model, on the page's side of wasm-lstm/worker: one
// CharTrainer (a CharModel in a module Web Worker of its own) that trains without pause while the
// page only paints, and what the page does with it: evaluations, the gate histogram, samples, the
// interactive sampler (a stream from a snapshot, so it never waits for training), the gate view,
// saving into this tab's session of the store and restoring it after a reload, download and
// upload, and the number of threads the worker's network trains on.
//
// Everything goes through the package's public API (wasm-lstm, wasm-lstm/worker, wasm-lstm/interop
// for uploads of foreign models): this file is an example of it. app.js gets events, as
//   emit(type, data): ready | state | progress | evaluation | samples | saved | notice | error |
//                     hist | inspect | gen | export | threads
//
// The training loop is one `trainer.train({steps: Infinity, onProgress})` call; Pause is
// trainer.pause() (the call holds after its current slice) and Resume trainer.resume(). A new
// model (Reset, Upload, a restored one, a new thread count) replaces the trainer: the running call
// is aborted first. The periodic jobs (evaluate, histogram, samples, save) are started from the
// progress events and run in the worker between training slices.
//
// Saving: the page claims one session of the store for its tab (sessions.js: a reload continues
// it, another tab never writes to it) and saves every model it trains there.

import { Trainer } from '../js/worker.js';
import { abi, defaultCorpus, readMeta } from '../js/index.js';
import * as store from './store.js';
import * as sessions from './sessions.js';

const CORPUS = Object.freeze({ seed: 1, chars: 200_000 }); // the package's default corpus
const SLICE_MS = 60; // the worker trains this long between progress events
const EVERY = { eval: 3000, save: 4000, samples: 5000, hist: 3000 };
const SAMPLE_TEMPS = [0.5, 0.8, 1.0];
const SAMPLE_LENGTH = 220;
const PROBE_CHARS = 400; // held-out characters read for the gate histogram
const EVAL_CHARS = 10_000; // at most this many held-out characters per evaluation
const BINS = 20;
const EMA = 0.92; // smoothing of the train loss
const MAX_HISTORY = 1500;
const GEN_FLUSH_MS = 12; // the interactive sampler shows what it has this often
export const SAMPLE_ONLY = 'It samples only. To train it further here, choose "My own text" as the corpus, give its training text, ' +
  'and upload the model again.';

// The sigmoid gates (values in (0, 1), where saturation means near 0 or 1): of the cell table's
// gates (abi.gates), all but the tanh candidates g (LSTM), n (GRU) and h (RNN).
const SIGMOID_GATES = new Set(['i', 'f', 'o', 'r', 'z']);

const message = (err) => (err && err.message) || String(err);
const networkClip = (clip) => (clip > 0 ? { mode: 'norm', threshold: clip } : { mode: 'none' });

// The last `n` characters of the held-out end of the training text (CharModel's valFraction;
// counted in UTF-16 units here, which is close enough for a sample of it).
function heldOut(t, valFraction, n) {
  const val = t.slice(t.length - Math.floor(t.length * valFraction)) || t;
  const cps = [...val.slice(-4 * n)];
  return cps.slice(-n).join('');
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

export class Training {
  #emit;
  trainer = null; // CharTrainer
  settings = null; // {corpus ('default' | 'custom' | 'none': no text), cell, hidden, layers, seqLength, batch, learningRate, clip, threads}
  #text = null; // the custom training text, or null for the default corpus
  #textKey = null; // the store's key of that text (a new one for every new model)
  #session = null; // {id, how, busy, release}: this tab's session in the store
  #probe = ''; // text for the gate histogram
  #valSlice = null; // the held-out text to evaluate on when the whole held-out part is too long
  running = false; // the user's choice (Pause/Resume)
  #call = null; // {trainer, done: Promise, abort: AbortController} of the running train call
  #swapping = false;
  #step = 0; // the step of the latest progress event
  #ema = null;
  #emaRaw = 0;
  #emaN = 0;
  #history = null; // {train: [[step, ema]], val: [[step, loss]], sat: [[step, share]]}
  #hist0 = null; // the untrained model's histogram (kept across reloads)
  #last = { eval: 0, save: 0, samples: 0, hist: 0 };
  #cost = { eval: 0, hist: 0, samples: 0, save: 0 };
  #jobsBusy = false;
  #savedStep = -1;
  #dirty = true;
  #saving = false;
  #saveFailed = false;
  #gen = null; // {id, stream} of the interactive sampler

  /** @param {(type: string, data?: object) => void} emit */
  constructor(emit) {
    this.#emit = emit;
  }

  #notice(level, text) { this.#emit('notice', { level, text }); }

  // ---- model lifecycle

  // A new trainer of `s` (the page's settings) on the default corpus or a custom text.
  #create(s, customText) {
    const config = {
      cell: s.cell, hidden: s.hidden, layers: s.layers, seqLength: s.seqLength, batch: s.batch,
      learningRate: s.learningRate, clip: s.clip, seed: 1 + Math.floor(Math.random() * 1e9), threads: s.threads ?? 'auto',
    };
    if (s.corpus === 'custom') config.text = customText;
    else config.corpus = { ...CORPUS };
    return Trainer.create({ kind: 'char', config });
  }

  // Makes `t` the current trainer (the previous one is disposed) and resets what the page shows.
  async #adopt(t, s, customText, { restoredHistory = null, restoredHist0 = null } = {}) {
    this.#stopGen();
    const old = this.trainer;
    this.trainer = t;
    old?.dispose();
    this.settings = { ...s, threads: s.threads ?? 'auto' };
    this.#text = s.corpus === 'custom' ? customText : null;
    this.#textKey = this.#text === null ? null : `text-${sessions.newSessionId()}`;
    const data = t.info.data;
    // without a text (an uploaded model that samples only) the gates are probed on its own sample
    const full = this.#text ?? (s.corpus === 'none' ? null : defaultCorpus(data?.corpus ?? CORPUS));
    const valFraction = t.info.config.valFraction;
    this.#probe = full === null ? await t.sample({ length: PROBE_CHARS, temperature: 0.8, seed: 1 }) : heldOut(full, valFraction, PROBE_CHARS);
    this.#valSlice = full !== null && (data?.valChars ?? 0) > EVAL_CHARS ? heldOut(full, valFraction, EVAL_CHARS) : null;
    this.#history = restoredHistory ?? { train: [], val: [], sat: [] };
    const train = this.#history.train;
    this.#ema = train.length ? train[train.length - 1][1] : null;
    this.#emaRaw = this.#ema ?? 0; // a restored average is already debiased: continue it as if converged
    this.#emaN = this.#ema === null ? 0 : 1e9;
    this.#hist0 = restoredHist0;
    this.#step = t.info.step;
    this.#last = { eval: 0, save: performance.now(), samples: 0, hist: 0 };
    this.#dirty = true;
    this.#savedStep = -1;
    this.#saveFailed = false;
  }

  #readyInfo(restored, extra = {}) {
    const t = this.trainer;
    return {
      settings: this.settings, restored, step: t.info.step, vocab: [...t.info.vocabulary].length, params: t.info.parameterCount,
      simd: t.info.simd, threads: t.info.threads, threadsNote: t.info.threadsNote, history: this.#history, hist0: this.#hist0,
      chars: t.info.data?.chars ?? 0, running: this.running,
      text: restored || extra.importedText ? this.#text : null, // so that the page can show the custom text again
      session: this.#session.id, how: this.#session.how, busy: this.#session.busy, ...extra,
    };
  }

  // A new model takes over (fresh settings, or an uploaded file): its first evaluation,
  // histogram and samples, then a save into this tab's session.
  async #start(t, s, customText, imported, importNote) {
    await this.#adopt(t, s, customText);
    if (!t.info.data && this.running) { // nothing to train on: it samples only
      this.running = false;
      this.#emit('state', { running: false });
    }
    this.#emit('ready', imported === undefined ? this.#readyInfo(false) : this.#readyInfo(false, { imported, importNote, importedText: true }));
    await this.#firstLook();
    await this.#save(true);
  }

  async #firstLook() {
    await this.#evaluate();
    await this.#histogram();
    await this.#samples();
    this.#last.eval = this.#last.hist = this.#last.samples = performance.now();
  }

  // This tab's stored model as a trainer, or null; a corrupted one is reported and its session's
  // data removed (only this session's: other tabs' models are not touched).
  async #restore(threads) {
    let saved;
    try {
      saved = await store.loadSession(this.#session.id);
    } catch (err) {
      this.#notice('warn', `Could not read the model saved in this browser (${message(err)}). Training starts fresh.`);
      return null;
    }
    if (!saved) return null;
    const { record, bytes, text } = saved;
    let t = null;
    try {
      const s = record.settings;
      if (!s || typeof s !== 'object') throw new Error('its settings are missing');
      if (!(bytes instanceof Uint8Array)) throw new Error('its bytes are missing');
      if (s.corpus === 'custom' && typeof text !== 'string') throw new Error('its training text is missing');
      t = await Trainer.load(bytes, { kind: 'char', threads: threads ?? s.threads ?? 'auto', ...(s.corpus === 'custom' && { text }) });
      if (!t.info.data && s.corpus !== 'none') throw new Error('its training text is missing');
      await t.setTrainingConfig({ learningRate: s.learningRate, clip: networkClip(s.clip) });
      return { t, s, text: s.corpus === 'custom' ? text : null, record };
    } catch (err) {
      t?.dispose();
      this.#notice('error', 'The model saved in this browser was corrupted and could not be loaded ' +
        `(${message(err)}). It was discarded, and training starts fresh.`);
      try { await store.deleteSession(this.#session.id); } catch { /* reported at the next save */ }
      return null;
    }
  }

  // Runs fn with the training loop stopped (it replaces the trainer), then restarts the loop; one
  // at a time, in the order asked (a thread change while the first model is still being looked
  // at waits for that).
  #queue = Promise.resolve();

  #exclusive(fn) {
    const run = this.#queue.then(() => this.#alone(fn));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #alone(fn) {
    this.#swapping = true;
    try {
      if (this.#call) {
        this.#call.abort.abort();
        await this.#call.done;
      }
      return await fn();
    } finally {
      this.#swapping = false;
      if (this.running) this.#loop();
    }
  }

  // ---- the training loop: one train call while running (held by pause)

  #loop() {
    const t = this.trainer;
    if (this.#call || this.#swapping || !this.running || !t) return;
    const abort = new AbortController();
    const call = { trainer: t, abort };
    this.#call = call;
    call.done = t.train({ steps: Infinity, yieldEvery: SLICE_MS, signal: abort.signal, onProgress: (p) => this.#progress(t, p) })
      .then(() => {}, (err) => this.#stopped(t, err))
      .finally(() => { if (this.#call === call) this.#call = null; });
  }

  async #stopped(t, err) {
    if (err?.code === 'aborted' || err?.code === 'disposed' || t !== this.trainer) return;
    this.running = false;
    this.#emit('state', { running: false });
    if (err?.code === 'nonfinite') {
      const step = await t.status().then((s) => s.step, () => this.#step);
      this.#notice('error', `The loss became infinite or NaN at step ${step + 1}. That step was skipped and ` +
        'training paused. Lower the learning rate or turn on gradient clipping, then resume.');
    } else {
      this.#emit('error', { text: `Training stopped: ${message(err)}` });
    }
  }

  #progress(t, p) {
    if (t !== this.trainer || !p.losses.length) return;
    for (const l of p.losses) {
      this.#emaRaw = EMA * this.#emaRaw + (1 - EMA) * l;
      this.#emaN++;
      this.#ema = this.#emaRaw / (1 - EMA ** this.#emaN);
    }
    this.#step = p.step;
    pushHistory(this.#history.train, [p.step, this.#ema]);
    this.#dirty = true;
    const { batch, seqLength } = t.info.config;
    this.#emit('progress', {
      step: p.step, losses: p.losses, ema: this.#ema, epoch: p.epoch, charsPerSec: p.charsPerSecond,
      msPerStep: p.charsPerSecond > 0 ? (batch * seqLength * 1000) / p.charsPerSecond : 0,
    });
    this.#periodic(); // not awaited: the jobs run in the worker between slices
  }

  // Each periodic job runs every EVERY[job] ms, or less often when it is slow (big models): at most
  // about 1/8 of the time goes to any one of them.
  async #periodic() {
    if (this.#jobsBusy) return;
    this.#jobsBusy = true;
    const t = this.trainer;
    try {
      const jobs = { eval: () => this.#evaluate(), hist: () => this.#histogram(), samples: () => this.#samples(), save: () => this.#save() };
      for (const [k, job] of Object.entries(jobs)) {
        const now = performance.now();
        if (now - this.#last[k] < Math.max(EVERY[k], 8 * this.#cost[k])) continue;
        this.#last[k] = now;
        await job();
        this.#cost[k] = performance.now() - now;
        if (t !== this.trainer) return;
      }
    } catch (err) {
      if (t === this.trainer && err?.code !== 'disposed') this.#emit('error', { text: message(err) });
    } finally {
      this.#jobsBusy = false;
    }
  }

  async #evaluate() {
    const t = this.trainer;
    if (!t.info.data) return; // no text, nothing held out
    const r = await (this.#valSlice ? t.evaluate(this.#valSlice) : t.evaluate());
    if (t !== this.trainer) return;
    pushHistory(this.#history.val, [this.#step, r.loss]);
    this.#emit('evaluation', { step: this.#step, loss: r.loss, bpc: r.bitsPerChar });
  }

  // Histogram of gate values over every layer and unit while reading the probe text.
  async #histogram() {
    const t = this.trainer, { cell, layers } = t.info.config;
    const gates = (abi.gates[cell] ?? []).filter((g) => SIGMOID_GATES.has(g));
    const counts = {};
    let saturated = 0, total = 0;
    for (const g of gates) counts[g] = new Array(BINS).fill(0);
    if (gates.length) {
      for (let layer = 0; layer < layers; layer++) {
        const r = await t.inspect(this.#probe, { layer });
        for (let s = 0; s < r.steps; s++) {
          for (const g of gates) {
            const v = r.get(s, g), c = counts[g];
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
    if (t !== this.trainer) return;
    const h = { step: this.#step, gates, counts, saturated: total ? saturated / total : 0 };
    if (!this.#hist0) this.#hist0 = h;
    if (gates.length) pushHistory(this.#history.sat, [this.#step, h.saturated]);
    this.#emit('hist', { ...h, hist0: this.#hist0, sat: this.#history.sat });
  }

  async #samples() {
    const t = this.trainer, step = this.#step;
    const items = [];
    for (const temperature of SAMPLE_TEMPS) {
      items.push({ temperature, text: await t.sample({ length: SAMPLE_LENGTH, temperature, prime: '\n' }) });
    }
    if (t === this.trainer) this.#emit('samples', { step, items });
  }

  async #save(force = false) {
    const t = this.trainer;
    if (!t || this.#saving || (this.#saveFailed && !force)) return;
    if (!this.#dirty && !force) return;
    this.#saving = true;
    try {
      const bytes = await t.save();
      const step = (await readMeta(bytes)).char.step; // the step of these very bytes
      await store.saveModel(this.#session.id, {
        bytes, text: this.#text, textKey: this.#textKey,
        record: { step, settings: this.settings, history: this.#history, hist0: this.#hist0, app: 'wasm-lstm demo', version: 2 },
      });
      if (t === this.trainer) {
        this.#savedStep = step;
        this.#dirty = step !== this.#step;
      }
      this.#emit('saved', { step, bytes: bytes.length });
    } catch (err) {
      if (t !== this.trainer || err?.code === 'disposed') return;
      this.#saveFailed = true;
      this.#notice('warn', `Could not save the model in this browser (${message(err)}). Training goes on; ` +
        'use Download to keep it.');
    } finally {
      this.#saving = false;
    }
  }

  // ---- what the page asks for

  /** Claims this tab's session, restores its model or starts a new one, and starts training. */
  async init({ settings, session, autostart }) {
    await this.#exclusive(async () => {
      try {
        this.#session = await sessions.claim(session ?? null);
      } catch (err) {
        // no store (private mode, an old tab blocking the upgrade): a new model under a new id;
        // the first save reports it if the store stays unavailable
        this.#session = { id: sessions.newSessionId(), saved: false, how: 'new', busy: 0, release() {} };
        this.#notice('warn', `Could not open the models saved in this browser (${message(err)}). Training starts fresh.`);
      }
      const r = this.#session.saved ? await this.#restore() : null;
      if (r) {
        await this.#adopt(r.t, r.s, r.text, { restoredHistory: r.record.history ?? null, restoredHist0: r.record.hist0 ?? null });
        this.#textKey = r.record.textKey ?? null;
        this.#savedStep = r.t.info.step;
        this.#dirty = false;
        this.running = autostart !== false && !!r.t.info.data;
        this.#emit('ready', this.#readyInfo(true));
      } else {
        await this.#adopt(await this.#create(settings, null), settings, null);
        this.running = autostart !== false;
        this.#emit('ready', this.#readyInfo(false));
      }
      await this.#firstLook();
    });
  }

  pause() {
    this.running = false;
    this.#emit('state', { running: false });
    return this.trainer?.pause().then(() => this.#save(), () => {});
  }

  resume() {
    if (!this.trainer?.info.data) {
      this.#emit('state', { running: false });
      this.#notice('info', `This model has no training text here. ${SAMPLE_ONLY}`);
      return;
    }
    this.running = true;
    this.#emit('state', { running: true });
    this.trainer.resume().catch(() => {});
    this.#loop();
  }

  /** A new model of the page's settings (and text). */
  reset(settings, text) {
    return this.#exclusive(async () => {
      let t;
      try {
        t = await this.#create({ ...settings, threads: this.settings?.threads ?? settings.threads }, text);
      } catch (err) {
        this.#emit('error', { text: `Cannot start with these settings: ${message(err)}`, reset: true });
        return;
      }
      await this.#start(t, { ...settings, threads: this.settings?.threads ?? settings.threads }, text);
    });
  }

  async setOpt({ learningRate, clip }) {
    if (!this.trainer) return;
    this.settings = { ...this.settings, learningRate, clip };
    await this.trainer.setTrainingConfig({ learningRate, clip: networkClip(clip) });
    this.#dirty = true;
    if (!this.running) await this.#save(true);
  }

  /**
   * Trains on with `threads` threads (1 … cores, or 'auto'): the model moves, as a file, into a
   * new trainer whose network has that many, and training continues from the same step.
   */
  setThreads(threads) {
    return this.#exclusive(async () => {
      const old = this.trainer;
      if (!old) return;
      const bytes = await old.save();
      const t = await Trainer.load(bytes, { kind: 'char', threads, ...(this.#text !== null && { text: this.#text }) });
      await t.setTrainingConfig({ learningRate: this.settings.learningRate, clip: networkClip(this.settings.clip) });
      this.#stopGen();
      this.trainer = t;
      old.dispose();
      this.settings = { ...this.settings, threads };
      this.#dirty = true;
      this.#emit('threads', { threads: t.info.threads, note: t.info.threadsNote, asked: threads });
    });
  }

  // ---- the interactive sampler: a stream from a snapshot, shown every GEN_FLUSH_MS

  async generate({ id, prime, temperature, topK, topP, length }) {
    this.#stopGen();
    const t = this.trainer;
    if (!t) return;
    const stream = t.stream({ prime, temperature, topK, topP, length });
    const gen = { id, stream };
    this.#gen = gen;
    let pending = '', timer = 0;
    const flush = () => {
      timer = 0;
      if (pending && this.#gen === gen) this.#emit('gen', { id, text: pending, done: false });
      pending = '';
    };
    try {
      this.#emit('gen', { id, text: '', done: false, step: await stream.step });
      for await (const ch of stream) {
        if (this.#gen !== gen) break;
        pending += ch;
        timer ||= setTimeout(flush, GEN_FLUSH_MS);
      }
      clearTimeout(timer);
      flush();
      const stopped = this.#gen !== gen;
      this.#emit('gen', { id, text: '', done: true, ...(stopped && { stopped: true }) });
    } catch (err) {
      clearTimeout(timer);
      if (err?.code === 'disposed' || this.#gen !== gen) this.#emit('gen', { id, text: pending, done: true, stopped: true });
      else this.#emit('gen', { id, text: pending, done: true, error: message(err) });
    } finally {
      if (this.#gen === gen) this.#gen = null;
    }
  }

  stopGenerate(id) {
    if (this.#gen?.id === id) this.#stopGen();
  }

  #stopGen() {
    const g = this.#gen;
    this.#gen = null;
    g?.stream.return();
  }

  // ---- the gate view

  async inspect({ id, text, layer }) {
    const t = this.trainer;
    if (!t) return;
    try {
      const { cell, layers } = t.info.config;
      const r = await t.inspect(text, { layer: Math.min(layer, layers - 1) });
      this.#emit('inspect', {
        id, step: this.#step, chars: r.chars, channels: r.channels, hidden: r.hidden, steps: r.steps, layer: r.layer,
        layers: r.layers, cell, values: r.values, asked: [...text].length,
      });
    } catch (err) {
      this.#emit('inspect', { id, error: message(err) });
    }
  }

  // ---- files

  /** Download: our file (the optimizer state and the text too, for an exact resume), or the
   *  weights in another format with the vocabulary beside them (export-model.js). */
  async export(format = 'wasm-lstm') {
    const t = this.trainer;
    if (!t) return;
    const bytes = await t.save({ includeText: format === 'wasm-lstm' && this.#text !== null });
    const stem = `wasm-lstm-${t.info.config.cell}-step${(await readMeta(bytes)).char.step}`;
    if (format === 'wasm-lstm') {
      this.#emit('export', { files: [{ name: `${stem}.lstm`, bytes }] });
      return;
    }
    const { exportModel } = await import('./export-model.js');
    this.#emit('export', { files: await exportModel(bytes, format, stem) });
  }

  /**
   * Upload: one of our CharModel files (continued as it was), or a model trained elsewhere with its
   * vocabulary (converted on this page by import-model.js, then moved into a trainer as a file).
   * `text`: the page's own text, or null.
   */
  import({ files: chosen, text, settings }) {
    return this.#exclusive(async () => {
      const files = chosen.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) }));
      const name = files.map((f) => f.name).join(' + ') || 'that file';
      const threads = this.settings?.threads ?? 'auto';
      const meta = files.length === 1 ? await readMeta(files[0].bytes).catch(() => null) : null;
      let t = null, s, fileText = null, note;
      try {
        if (meta?.kind !== 'char') { // a model trained elsewhere, with its vocabulary
          const { importModel } = await import('./import-model.js');
          const r = await importModel(files, { text: text ?? null, settings });
          const bytes = r.model.save();
          r.model.dispose();
          t = await Trainer.load(bytes, { kind: 'char', threads, ...(r.text !== null && { text: r.text }) });
          s = { ...r.settings, threads };
          fileText = r.text;
          note = r.note;
        } else {
          if (!meta.char) throw new Error('not a character model file (CharModel.save)');
          const own = typeof meta.char.text === 'string' ? meta.char.text : null;
          const isDefault = !!meta.char.corpus;
          let corpus = isDefault ? 'default' : 'custom';
          if (!meta.char.fingerprint) {
            // a model that never had a text here (wasm-lstm convert of a PyTorch model): the page's
            // text becomes its training text, or it samples only
            fileText = text ?? null;
            t = await Trainer.load(files[0].bytes, { kind: 'char', threads, ...(fileText !== null && { text: fileText }) });
            if (fileText === null) {
              corpus = 'none';
              note = SAMPLE_ONLY;
            }
          } else {
            if (!own && !isDefault && this.#text === null) {
              throw new Error('the file does not contain its training text, so it cannot continue training here');
            }
            t = await Trainer.load(files[0].bytes, { kind: 'char', threads, ...(!own && !isDefault && { text: this.#text }) });
            fileText = isDefault ? null : own ?? this.#text;
          }
          const tc = (await t.status()).trainingConfig, c = t.info.config;
          s = {
            corpus, cell: c.cell, hidden: c.hidden, layers: c.layers, seqLength: c.seqLength, batch: c.batch,
            learningRate: tc.learningRate, clip: tc.clip.mode === 'none' ? 0 : tc.clip.threshold, threads,
          };
        }
      } catch (err) {
        t?.dispose();
        this.#emit('error', { text: `Cannot load ${name}: ${message(err)}` });
        return;
      }
      await this.#start(t, s, fileText, name, note);
    });
  }
}
