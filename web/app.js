// app.js — the demo page: wires the controls to the character model (training.js: a CharTrainer
// of wasm-lstm/worker) and to the two experiment workers (agree-worker.js), and draws what they
// report. The UI thread never trains: it only asks and paints. Text from users or models is
// inserted with textContent only.

import { simdSupported, agreementTask } from '../js/index.js';
import { chart, COLORS, onResize } from './plot.js';
import { GateView } from './gates.js';
import { Training } from './training.js';

const $ = (id) => document.getElementById(id);

const DEFAULTS = Object.freeze({
  corpus: 'default', cell: 'lstm', hidden: 128, layers: 1, seqLength: 64, batch: 32,
  learningRate: 3e-3, clip: 5,
});
const LR = { min: 1e-4, max: 1e-1 };
const CLIP = { min: 0.1, max: 100 }; // the slider's far right is "off"
const TEMP = { min: 0.1, max: 3 };
const MAX_RAW = 4000;
// This tab's session in the store (web/sessions.js): kept in sessionStorage, which lives as long
// as the tab and survives reloads, so that a reload continues this tab's model and no other.
const SESSION_KEY = 'wasm-lstm-demo-session';

// ---- small helpers

function logSlider(input, output, { min, max, format, off = false }) {
  const steps = Number(input.max) || 1000;
  const s = {
    get() {
      const pos = Number(input.value);
      if (off && pos >= steps) return 0;
      return min * (max / min) ** (pos / (off ? steps - 1 : steps));
    },
    set(v) {
      if (off && !(v > 0)) input.value = String(steps);
      else input.value = String(Math.round((Math.log(Math.min(max, Math.max(min, v)) / min) / Math.log(max / min)) * (off ? steps - 1 : steps)));
      s.show();
    },
    show() {
      const v = s.get();
      output.value = v === 0 ? 'off' : format(v);
      input.setAttribute('aria-valuetext', output.value);
    },
  };
  input.addEventListener('input', () => s.show());
  return s;
}

const sig = (v, n = 2) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(n) : v.toPrecision(n));
const fmtLr = (v) => (v >= 0.01 ? v.toFixed(3).replace(/0+$/, '') : v.toExponential(1).replace('e-', 'e−'));
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtBytes = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} kB`);

function showNotice(text, level = 'warn') {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${level === 'error' ? 'error' : level === 'info' ? 'info' : ''}`;
  n.hidden = false;
  n.dataset.level = level;
}

function thin(list, max) {
  if (list.length <= max) return;
  const kept = list.filter((_, i) => i % 2 === 0 || i === list.length - 1);
  list.length = 0;
  list.push(...kept);
}

// ---- controls

const lr = logSlider($('lr'), $('lr-out'), { ...LR, format: fmtLr });
const clip = logSlider($('clip'), $('clip-out'), { ...CLIP, format: (v) => String(Number(v.toPrecision(2))), off: true });
const temp = logSlider($('temp'), $('temp-out'), { ...TEMP, format: (v) => v.toFixed(2) });
lr.set(DEFAULTS.learningRate);
clip.set(DEFAULTS.clip);
temp.set(0.8);
const topp = $('topp');
const showTopp = () => { $('topp-out').value = Number(topp.value) >= 1 ? 'off' : Number(topp.value).toFixed(2); };
topp.addEventListener('input', showTopp);
showTopp();

for (const form of document.querySelectorAll('form')) form.addEventListener('submit', (e) => e.preventDefault());

let customText = '';

function readSettings() {
  return {
    corpus: $('corpus').value,
    cell: $('cell').value,
    hidden: Number($('hidden').value),
    layers: Number($('layers').value),
    seqLength: Number($('seq').value),
    batch: Number($('batch').value),
    learningRate: Number(lr.get().toPrecision(3)),
    clip: Number(clip.get().toPrecision(2)),
  };
}

function setSelect(sel, value) {
  const v = String(value);
  if (![...sel.options].some((o) => o.value === v)) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = v;
    sel.append(o);
  }
  sel.value = v;
}

function applySettings(s) {
  if (s.corpus !== 'none') { // 'none': an uploaded model without a text keeps the page's choice
    $('corpus').value = s.corpus;
    $('custom-box').hidden = s.corpus !== 'custom';
  }
  setSelect($('cell'), s.cell);
  setSelect($('hidden'), s.hidden);
  setSelect($('layers'), s.layers);
  setSelect($('seq'), s.seqLength);
  setSelect($('batch'), s.batch);
  lr.set(s.learningRate);
  clip.set(s.clip);
  const layerSel = $('gate-layer'), keep = Number(layerSel.value) || 0;
  layerSel.replaceChildren();
  for (let l = 0; l < s.layers; l++) {
    const o = document.createElement('option');
    o.value = String(l);
    o.textContent = String(l + 1);
    layerSel.append(o);
  }
  layerSel.value = String(Math.min(keep, s.layers - 1));
}

function showCustomSize() {
  const n = customText.length;
  $('custom-size').textContent = n ? `${fmtInt(n)} chars` : '';
}

$('corpus').addEventListener('change', () => { $('custom-box').hidden = $('corpus').value !== 'custom'; });
$('custom-text').addEventListener('input', () => { customText = $('custom-text').value; showCustomSize(); });
$('custom-file').addEventListener('change', async () => {
  const f = $('custom-file').files[0];
  if (!f) return;
  if (f.size > 20 * 1024 * 1024) { showNotice(`${f.name} is ${fmtBytes(f.size)}: please use a text under 20 MB.`); return; }
  customText = await f.text();
  $('custom-text').value = customText;
  showCustomSize();
  showNotice(`Loaded ${f.name} (${fmtInt(customText.length)} characters). Press Reset to train on it.`, 'info');
});

// ---- the character model (training.js), which reports through `handlers`

let running = false, ready = false, step = 0, cellNow = DEFAULTS.cell;
const plot = { raw: [], ema: [], val: [] };
let cps = null;
let lastProgress = null, lastEval = null;

const training = new Training((type, data) => {
  const h = handlers[type];
  if (h) h(data);
  else console.warn('unknown event from training.js', type);
});
// A call that fails outside of what training.js reports itself (a worker that died) is shown.
const ask = (promise) => Promise.resolve(promise).catch((err) => {
  console.error(err);
  showNotice(`The training worker failed: ${err?.message ?? err}`, 'error');
  $('worker-badge').textContent = 'worker: failed';
});

function setRunning(r) {
  running = r;
  $('btn-run').textContent = r ? 'Pause' : 'Resume';
  $('btn-run').setAttribute('aria-pressed', String(!r));
  $('worker-badge').textContent = r ? 'worker: training' : 'worker: paused';
  document.body.dataset.running = String(r);
}

const handlers = {
  ready(m) {
    ready = true;
    step = m.step;
    cellNow = m.settings.cell;
    applySettings(m.settings);
    if (typeof m.text === 'string') {
      customText = m.text;
      $('custom-text').value = m.text;
      showCustomSize();
    }
    plot.raw = [];
    plot.ema = (m.history?.train ?? []).map((p) => p.slice());
    plot.val = (m.history?.val ?? []).map((p) => p.slice());
    cps = null;
    lastEval = plot.val.length ? { loss: plot.val.at(-1)[1], bpc: plot.val.at(-1)[1] / Math.LN2 } : null;
    setRunning(m.running);
    showThreads(m.threads, m.threadsNote);
    const simd = m.simd;
    $('simd-badge').textContent = `SIMD ${simd ? 'on' : 'off'}`;
    $('simd-badge').className = `badge ${simd ? 'on' : 'off'}`;
    $('simd-badge').title = simd ? 'Running the WebAssembly SIMD128 build' : 'This browser has no WebAssembly SIMD: running the plain build';
    $('model-summary').textContent = `${m.settings.cell.toUpperCase()} ${m.settings.layers}×${m.settings.hidden}, ` +
      `${fmtInt(m.params)} parameters, vocabulary ${m.vocab}, ${m.settings.corpus === 'none' ? 'no training text (samples only)' : `${fmtInt(m.chars)} characters of text`}`;
    rememberSession(m.session);
    if (m.restored) {
      showNotice(`Restored the model saved in this browser at step ${fmtInt(m.step)}. Training continues from there.`, 'info');
      document.body.dataset.restored = 'true';
    } else if (m.imported) {
      showNotice(`Loaded ${m.imported} (step ${fmtInt(m.step)}).${m.importNote ? ` ${m.importNote}` : ''}`, 'info');
    } else if (m.how === 'new' && m.busy > 0 && $('notice').hidden) {
      showNotice(`${m.busy === 1 ? 'Another tab of this page is' : `${m.busy} other tabs of this page are`} training ` +
        'the model saved in this browser, so this tab trains a new one. Both are kept.', 'info');
    }
    document.body.dataset.status = 'ready';
    document.body.dataset.step = String(step);
    document.body.dataset.startStep = String(m.step);
    $('btn-download').disabled = false;
    if (m.hist0) drawHist(m.hist0, m.hist0, m.history?.sat ?? []);
    updateStats();
    requestDraw();
    requestInspect();
  },
  state(m) { setRunning(m.running); },
  progress(m) {
    step = m.step;
    const first = m.step - m.losses.length + 1;
    m.losses.forEach((l, k) => plot.raw.push([first + k, l]));
    thin(plot.raw, MAX_RAW);
    plot.ema.push([m.step, m.ema]);
    thin(plot.ema, MAX_RAW);
    cps = cps === null ? m.charsPerSec : 0.8 * cps + 0.2 * m.charsPerSec;
    lastProgress = m;
    document.body.dataset.step = String(step);
    updateStats();
    requestDraw();
  },
  evaluation(m) {
    plot.val.push([m.step, m.loss]);
    lastEval = m;
    updateStats();
    requestDraw();
  },
  samples(m) {
    const pres = document.querySelectorAll('#samples pre');
    m.items.forEach((it, k) => {
      if (!pres[k]) return;
      pres[k].textContent = it.text;
      pres[k].closest('.sample').querySelector('.t-step').textContent = `step ${fmtInt(m.step)}`;
    });
    document.body.dataset.samples = String(m.step);
  },
  saved(m) {
    const t = new Date().toLocaleTimeString();
    $('save-status').textContent = `Saved in this browser at step ${fmtInt(m.step)} (${fmtBytes(m.bytes)}, ${t})`;
    document.body.dataset.savedStep = String(m.step);
  },
  notice(m) { showNotice(m.text, m.level); if (m.level === 'error') document.body.dataset.notice = 'error'; },
  error(m) {
    console.warn(m.text);
    showNotice(m.text, 'error');
  },
  hist(m) { drawHist(m, m.hist0, m.sat); },
  threads(m) {
    showThreads(m.threads, m.note);
    if (m.note) showNotice(`Training goes on with ${m.threads} thread${m.threads > 1 ? 's' : ''}: ${m.note}`, 'info');
  },
  inspect(m) { onInspect(m); },
  gen(m) { onGen(m); },
  export(m) {
    for (const f of m.files) {
      const blob = new Blob([f.bytes], { type: f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = f.name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }
  },
};

// ---- threads: how many the worker's network trains on (a pool of workers, when the page is
// cross-origin isolated, as under `npm start`); a change moves the model into a new trainer and
// training goes on from the same step.

const CORES = Math.max(1, Math.min(16, navigator.hardwareConcurrency || 1));
(function fillThreads() {
  const sel = $('threads');
  for (let n = 1; n <= CORES; n++) {
    const o = document.createElement('option');
    o.value = String(n);
    o.textContent = String(n);
    sel.append(o);
  }
  if (!crossOriginIsolated) {
    sel.disabled = true;
    $('threads-badge').title = 'One thread: this page is not cross-origin isolated (its server sends no COOP/COEP headers), so the worker cannot share memory with helper threads';
  }
})();

function showThreads(n, note) {
  const sel = $('threads');
  setSelect(sel, n);
  $('threads-badge').title = note ?? `The worker's network trains on ${n} thread${n > 1 ? 's' : ''} (data-parallel over the batch); choose 1 to ${CORES}`;
  document.body.dataset.threads = String(n);
}

$('threads').addEventListener('change', () => {
  const n = Number($('threads').value);
  document.body.dataset.status = 'threads';
  ask(training.setThreads(n)).then(() => { document.body.dataset.status = 'ready'; });
});

function rememberSession(id) {
  if (typeof id !== 'string') return;
  document.body.dataset.session = id;
  try { sessionStorage.setItem(SESSION_KEY, id); } catch { /* storage disabled: a reload starts a new session */ }
}

function previousSession() {
  try { return sessionStorage.getItem(SESSION_KEY); } catch { return null; }
}

function updateStats() {
  $('stat-step').textContent = fmtInt(step);
  const loss = plot.ema.at(-1)?.[1];
  $('stat-loss').textContent = loss === undefined ? '–' : loss.toFixed(3);
  $('stat-val').textContent = lastEval ? lastEval.loss.toFixed(3) : '–';
  $('stat-bpc').textContent = lastEval ? lastEval.bpc.toFixed(3) : '–';
  $('stat-cps').textContent = cps === null || !running ? '–' : fmtInt(cps);
  $('stat-ms').textContent = lastProgress && running ? lastProgress.msPerStep.toFixed(1) : '–';
}

let drawQueued = false;
function requestDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; drawLoss(); });
}

function drawLoss() {
  chart($('loss-plot'), {
    series: [
      { points: plot.raw, color: COLORS.raw, width: 1 },
      { points: plot.ema, color: COLORS.accent, width: 2.5 },
      { points: plot.val, color: COLORS.val, width: 2, dots: 3 },
    ],
    x: { label: 'training step', min: 0 },
    y: {
      label: 'loss (nats per char)', pad: 0.06,
      min: Math.min(...plot.raw.map((p) => p[1]), ...plot.ema.map((p) => p[1]), ...plot.val.map((p) => p[1])),
      max: Math.max(...plot.raw.map((p) => p[1]), ...plot.ema.map((p) => p[1]), ...plot.val.map((p) => p[1])),
    },
    empty: 'starting…',
  });
}

function drawHist(h, h0, sat) {
  const legend = $('hist-legend');
  if (!h.gates.length) {
    chart($('hist'), { series: [], x: { min: 0, max: 1 }, y: { min: 0, max: 1 }, empty: 'A plain RNN has no gates' });
    legend.replaceChildren();
    chart($('sat'), { series: [], x: { min: 0 }, y: { min: 0, max: 100 }, empty: 'no gates' });
    return;
  }
  const frac = (counts) => {
    const n = counts.reduce((a, b) => a + b, 0) || 1;
    return counts.map((c, k) => [(k + 0.5) / counts.length, c / n]);
  };
  const series = [];
  for (const g of h.gates) {
    if (h0 && h0.counts[g] && h0.step !== h.step) series.push({ points: frac(h0.counts[g]), color: COLORS[g], width: 1.5, alpha: 0.35, dash: [4, 3] });
  }
  for (const g of h.gates) series.push({ points: frac(h.counts[g]), color: COLORS[g], width: 2.5 });
  chart($('hist'), {
    series, x: { min: 0, max: 1, label: 'gate value', ticks: [0, 0.1, 0.5, 0.9, 1] },
    y: { min: 0, label: 'share of values', format: (v) => `${Math.round(v * 100)}%` },
  });
  legend.replaceChildren();
  for (const g of h.gates) {
    const s = document.createElement('span');
    s.className = `k-${g}`;
    s.textContent = { i: 'i input', f: 'f forget', o: 'o output', r: 'r reset', z: 'z update' }[g];
    legend.append(s);
  }
  const note = document.createElement('span');
  note.className = 'small';
  note.textContent = `step ${fmtInt(h.step)}: ${(h.saturated * 100).toFixed(0)}% below 0.1 or above 0.9`;
  legend.append(note);
  chart($('sat'), {
    series: [{ points: sat.map(([s, v]) => [s, v * 100]), color: COLORS.ink, width: 2 }],
    x: { min: 0, label: 'training step' }, y: { min: 0, max: 100, format: (v) => `${v}%` },
    empty: 'waiting for training…',
  });
  document.body.dataset.hist = String(h.step);
  lastHist = { h, h0, sat };
}
let lastHist = null;

$('btn-run').addEventListener('click', () => {
  const next = !running;
  setRunning(next); // training.js confirms (or refuses) with a state event
  if (next) training.resume();
  else ask(training.pause());
});

$('btn-reset').addEventListener('click', () => {
  const s = readSettings();
  if (s.corpus === 'custom') {
    customText = $('custom-text').value;
    if (customText.length < 2000) {
      showNotice('Your own text needs at least a few thousand characters (the more the better). Paste some or upload a file.');
      return;
    }
  }
  $('notice').hidden = true;
  document.body.dataset.status = 'resetting';
  ask(training.reset(s, s.corpus === 'custom' ? customText : null));
});

for (const id of ['lr', 'clip']) {
  $(id).addEventListener('change', () => {
    const s = readSettings();
    ask(training.setOpt({ learningRate: s.learningRate, clip: s.clip }));
  });
}

$('btn-download').disabled = true;
$('btn-download').addEventListener('click', () => ask(training.export($('download-format').value)));
$('btn-upload').addEventListener('click', () => $('model-file').click());
// One of our files, or a model trained elsewhere chosen together with its vocabulary (and a TF.js
// model.json with its weight files), converted by import-model.js. The text of "My own text",
// when chosen, is what it trains on.
$('model-file').addEventListener('change', async () => {
  const chosen = [...$('model-file').files];
  if (!chosen.length) return;
  const files = await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
  $('model-file').value = '';
  const text = $('corpus').value === 'custom' && customText ? customText : null;
  ask(training.import({ files, text, settings: readSettings() }));
});

// ---- sampler

let genId = 0, genOut = null;
const caret = document.createElement('span');
caret.className = 'caret';

function onGen(m) {
  if (m.id !== genId) return;
  if (m.text) genOut.data += m.text;
  if (m.error) $('gen-info').textContent = `Sampling failed: ${m.error}`;
  else if (m.step !== undefined) $('gen-info').textContent = `Sampling the model as it was at step ${fmtInt(m.step)}…`;
  if (m.done) {
    caret.remove();
    $('btn-generate').disabled = false;
    $('btn-stop-gen').disabled = true;
    if (!m.error) {
      const n = [...genOut.data].length;
      $('gen-info').textContent = `${m.stopped ? 'Stopped after' : 'Generated'} ${fmtInt(n)} characters.`;
    }
    document.body.dataset.generated = String(genId);
  }
}

function generate() {
  if (!ready) return;
  genId++;
  const out = $('gen-out');
  out.replaceChildren();
  const prime = $('prime').value;
  if (prime) {
    const p = document.createElement('span');
    p.className = 'prime';
    p.textContent = prime;
    out.append(p);
  }
  genOut = document.createTextNode('');
  out.append(genOut, caret);
  $('btn-generate').disabled = true;
  $('btn-stop-gen').disabled = false;
  const topK = Math.max(0, Math.floor(Number($('topk').value) || 0));
  const length = Math.min(5000, Math.max(1, Math.floor(Number($('length').value) || 400)));
  ask(training.generate({
    id: genId, prime, temperature: Number(temp.get().toFixed(3)), topK,
    topP: Math.min(1, Math.max(0.05, Number(topp.value))), length,
  }));
}
$('btn-generate').addEventListener('click', generate);
$('prime').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); generate(); } });
$('btn-stop-gen').addEventListener('click', () => training.stopGenerate(genId));

// ---- gates

const gateView = new GateView({
  canvas: $('heatmap'), wrap: $('heat-wrap'), tip: $('heat-tip'), chips: $('unit-chips'),
  lines: $('unit-lines'), title: $('unit-title'),
});
let inspectId = 0, inspectTimer = 0, inspectedStep = -1;
const MAX_GATE_CHARS = 160;

function requestInspect() {
  clearTimeout(inspectTimer);
  inspectTimer = setTimeout(() => {
    if (!ready) return;
    const text = [...$('gate-text').value].slice(0, MAX_GATE_CHARS).join('');
    if (!text) return;
    inspectId++;
    ask(training.inspect({ id: inspectId, text, layer: Number($('gate-layer').value) || 0 }));
  }, 200);
}

function onInspect(m) {
  if (m.id !== inspectId) return;
  if (m.error) {
    $('gates-step').textContent = m.error;
    return;
  }
  inspectedStep = m.step;
  const skipped = m.asked - m.steps;
  $('gates-step').textContent = `${m.cell.toUpperCase()} layer ${m.layer + 1} of ${m.layers}, ${m.hidden} units, at step ${fmtInt(m.step)}` +
    (skipped > 0 ? ` (${skipped} character${skipped > 1 ? 's' : ''} not in the model's vocabulary skipped)` : '');
  gateView.update(m);
  document.body.dataset.gates = String(m.steps);
}

$('gate-text').addEventListener('input', requestInspect);
$('gate-layer').addEventListener('change', requestInspect);
// follow training: refresh the heatmap every few seconds while the section is on screen
let gatesVisible = false;
new IntersectionObserver((entries) => { gatesVisible = entries.some((e) => e.isIntersecting); }).observe($('gates'));
setInterval(() => { if (ready && gatesVisible && step !== inspectedStep) requestInspect(); }, 4000);

// ---- the RNN vs LSTM experiment

const exp = {
  workers: {}, acc: { lstm: [], rnn: [] }, grad: { lstm: [], rnn: [] }, grad0: { lstm: [], rnn: [] }, cgrad: [],
  done: { lstm: false, rnn: false }, running: false, resumeTraining: false, maxDistance: 48,
};

let examplePlural = 1;
function showExample() {
  const d = Number($('exp-dist').value);
  $('exp-dist-out').value = `${d} words`;
  const t = agreementTask({ distance: d, count: 8, seed: 3 });
  examplePlural = 1 - examplePlural; // alternate: singular, plural, singular…
  let i = [...t.plural].indexOf(examplePlural);
  if (i < 0) i = 0;
  const words = t.sentences[i].split(' ');
  const box = $('exp-example');
  box.replaceChildren();
  words.forEach((w, k) => {
    const s = document.createElement('span');
    s.textContent = w;
    if (k === 1) s.className = 'subj';
    if (k === t.verbIndex) s.className = 'verb';
    const sep = k + 1 < words.length && /^[\w]/.test(words[k + 1]) ? ' ' : '';
    box.append(s, document.createTextNode(sep));
  });
}
$('exp-dist').addEventListener('input', showExample);

function expWorker(cell) {
  if (exp.workers[cell]) return exp.workers[cell];
  const w = new Worker(new URL('./agree-worker.js', import.meta.url), { type: 'module' });
  w.onerror = (e) => {
    console.error(`agree-worker (${cell}) failed:`, e.message ?? e);
    $(`exp-txt-${cell}`).textContent = 'failed';
  };
  w.onmessage = (e) => onExp(cell, e.data);
  exp.workers[cell] = w;
  return w;
}

function onExp(cell, m) {
  if (m.type === 'progress') {
    $(`exp-bar-${cell}`).style.width = `${(100 * m.step) / m.steps}%`;
    $(`exp-txt-${cell}`).textContent = `${fmtInt(m.step)}  loss ${m.loss.toFixed(2)}`;
  } else if (m.type === 'measure') {
    exp.acc[cell] = m.acc;
    exp.grad[cell] = m.grad;
    if (m.step === 0) exp.grad0[cell] = m.grad;
    if (cell === 'lstm') exp.cgrad = m.cgrad ?? [];
    exp.evalStep = Math.max(exp.evalStep ?? 0, m.step);
    drawExp();
    document.body.dataset[`exp${cell === 'lstm' ? 'Lstm' : 'Rnn'}`] = String(m.acc.length);
  } else if (m.type === 'done') {
    exp.done[cell] = true;
    $(`exp-txt-${cell}`).textContent += `  (${(m.ms / 1000).toFixed(1)} s)`;
    if (exp.done.lstm && exp.done.rnn) endExperiment();
  } else if (m.type === 'error') {
    console.error(`agree-worker (${cell}):`, m.text);
    $(`exp-txt-${cell}`).textContent = `error: ${m.text}`;
    exp.done[cell] = true;
    if (exp.done.lstm && exp.done.rnn) endExperiment();
  }
}

function drawExp() {
  const max = exp.maxDistance;
  chart($('acc-plot'), {
    series: [
      { points: exp.acc.rnn, color: COLORS.rnn, width: 2.5, dots: 3.5 },
      { points: exp.acc.lstm, color: COLORS.lstm, width: 2.5, dots: 3.5 },
    ],
    x: { min: 0, max, label: 'distance d from subject to verb (words)' },
    y: { min: 0.3, max: 1.02, label: 'verb accuracy', ticks: [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], format: (v) => `${Math.round(v * 100)}%` },
    hlines: [{ y: 0.5, label: 'guessing' }],
    empty: 'press Run experiment',
  });
  const now = exp.evalStep ?? 0;
  const grads = [...exp.grad0.rnn, ...exp.grad0.lstm, ...exp.grad.rnn, ...exp.grad.lstm, ...exp.cgrad].map((p) => p[1]).filter((v) => v > 0);
  const lo = grads.length ? Math.max(1e-14, Math.min(...grads)) : 1e-8;
  chart($('grad-plot'), {
    series: [
      { points: exp.grad0.rnn, color: COLORS.rnn, width: 2.5 },
      { points: exp.grad0.lstm, color: COLORS.lstm, width: 2.5 },
      ...(now > 0 ? [
        { points: exp.grad.rnn, color: COLORS.rnn, width: 1.6, dash: [5, 4], alpha: 0.8 },
        { points: exp.grad.lstm, color: COLORS.lstm, width: 1.6, dash: [5, 4], alpha: 0.8 },
      ] : []),
      { points: exp.cgrad, color: COLORS.lstm, width: 1.4, dash: [1.5, 3], alpha: 0.95 },
    ],
    x: { min: 1, max, label: `words back from the verb (the subject is at ${max})` },
    y: { log: true, label: '‖∂L/∂hₜ‖ relative to the verb', min: 10 ** Math.floor(Math.log10(lo)), max: 10 },
    empty: 'press Run experiment',
  });
  $('grad-now').textContent = now > 0 ? `after ${fmtInt(now)} steps` : 'after training';
}

function runExperiment() {
  const maxDistance = Number($('exp-dist').value);
  const steps = Math.min(20000, Math.max(50, Math.floor(Number($('exp-steps').value) || 1000)));
  const clipT = Math.max(0.01, Number($('exp-clip').value) || 1);
  const hidden = Number($('exp-hidden').value);
  Object.assign(exp, {
    acc: { lstm: [], rnn: [] }, grad: { lstm: [], rnn: [] }, grad0: { lstm: [], rnn: [] }, cgrad: [],
    done: { lstm: false, rnn: false }, running: true, maxDistance, evalStep: 0,
  });
  exp.resumeTraining = running;
  if (running) { ask(training.pause()); setRunning(false); }
  $('btn-exp').disabled = true;
  $('btn-exp-stop').disabled = false;
  $('btn-run').disabled = true;
  document.body.dataset.exp = 'running';
  const evalEvery = Math.max(25, Math.round(steps / 20 / 25) * 25);
  for (const cell of ['lstm', 'rnn']) {
    $(`exp-bar-${cell}`).style.width = '0%';
    $(`exp-txt-${cell}`).textContent = 'starting…';
    expWorker(cell).postMessage({
      type: 'run', cell, hidden, steps, maxDistance, clip: clipT, learningRate: 0.01, batch: 32, seed: 7, evalEvery,
    });
  }
  drawExp();
}

function endExperiment() {
  exp.running = false;
  $('btn-exp').disabled = false;
  $('btn-exp-stop').disabled = true;
  $('btn-run').disabled = false;
  document.body.dataset.exp = 'done';
  if (exp.resumeTraining) { training.resume(); setRunning(true); }
}

$('btn-exp').addEventListener('click', runExperiment);
$('btn-exp-stop').addEventListener('click', () => {
  for (const w of Object.values(exp.workers)) w.postMessage({ type: 'stop' });
  for (const cell of ['lstm', 'rnn']) $(`exp-txt-${cell}`).textContent += ' (stopped)';
  endExperiment();
});

// ---- start

$('simd-badge').textContent = `SIMD ${simdSupported() ? 'on' : 'off'}`;
$('simd-badge').className = `badge ${simdSupported() ? 'on' : 'off'}`;
$('simd-text').textContent = simdSupported() ? 'SIMD128: on in this browser' : 'no SIMD128 in this browser: the plain build';
applySettings(DEFAULTS);
showExample();
drawExp();
drawLoss();
for (const [id, fn] of [['loss-plot', drawLoss], ['hist', () => lastHist && drawHist(lastHist.h, lastHist.h0, lastHist.sat)],
  ['sat', () => lastHist && drawHist(lastHist.h, lastHist.h0, lastHist.sat)], ['acc-plot', drawExp], ['grad-plot', drawExp]]) {
  onResize($(id), fn);
}
onResize($('heat-wrap'), () => gateView.draw());
ask(training.init({ settings: { ...DEFAULTS }, session: previousSession(), autostart: new URLSearchParams(location.search).get('autostart') !== '0' }));
