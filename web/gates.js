// gates.js — the "inside the cell" view: per character, the gate and cell-state activations of a
// handful of units of one layer (canvas heatmap), and one chosen unit drawn over the text itself.
// Works on CharModel.inspect results (training.js gets them from its CharTrainer): values (T, C, H), channels
// LSTM i f g o c h, GRU r z n h, RNN h.

import { COLORS } from './plot.js';

// The channels drawn: all that inspect reports (the cell table's, js/abi.js), but h when the cell
// has a cell state c, since h = o ⊙ tanh(c) adds nothing to o and c.
const shownChannels = (channels) => (channels.includes('c') ? channels.filter((c) => c !== 'h') : channels.slice());
const SIGMOID = new Set(['i', 'f', 'o', 'r', 'z']);
const NAMES = {
  i: 'input gate', f: 'forget gate', g: 'candidate C̃', o: 'output gate', c: 'cell state (tanh c)',
  h: 'hidden state', r: 'reset gate', z: 'update gate', n: 'candidate',
};
const UNITS = 6; // the handful
const SIG_STOPS = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];
const TANH_STOPS = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'];

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const SIG_RGB = SIG_STOPS.map(hexToRgb), TANH_RGB = TANH_STOPS.map(hexToRgb);

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(x)), f = x - k;
  const a = stops[k], b = stops[k + 1];
  return [0, 1, 2].map((j) => Math.round(a[j] + (b[j] - a[j]) * f));
}

/** [r, g, b] for an activation of a channel; c is shown through tanh. */
export function colorOf(channel, v) {
  if (SIGMOID.has(channel)) return ramp(SIG_RGB, v);
  const x = channel === 'c' ? Math.tanh(v) : v;
  return ramp(TANH_RGB, (x + 1) / 2);
}

const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

/** WCAG 2 relative luminance of an sRGB colour [r, g, b] (0..255). */
export function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours, 1..21. */
export function contrast(a, b) {
  const la = luminance(a), lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** Black or white, whichever contrasts more with `rgb`: on every colour of both ramps that is at
 *  least 4.59:1 (the worst case is a mid-tone, where black and white are about equal). */
export function textOn(rgb) {
  return contrast(rgb, [0, 0, 0]) >= contrast(rgb, [255, 255, 255]) ? '#000' : '#fff';
}
const shownChar = (ch) => (ch === '\n' ? '↵' : ch === '\t' ? '⇥' : ch);

export class GateView {
  /**
   * @param {{canvas, wrap, tip, chips, lines, title}} els
   * @param {(unit: number) => void} onPick called when the user picks a unit
   */
  constructor(els) {
    this.els = els;
    this.data = null;
    this.units = [];
    this.selected = null; // unit followed below the heatmap
    this.pinned = new Set(); // units the user picked (kept when the automatic choice changes)
    this.layout = null;
    this.key = '';
    this.chosenAt = 0; // the step at which the units were chosen
    els.canvas.addEventListener('click', (e) => this.#click(e));
    els.canvas.addEventListener('mousemove', (e) => this.#hover(e));
    els.canvas.addEventListener('mouseleave', () => { els.tip.hidden = true; });
  }

  /** New inspect result: choose units (keeping the user's), redraw everything. While only the
   *  model's step changes the units stay, so rows do not jump around, until the step has doubled
   *  (what a unit does changes as the model learns). */
  update(d) {
    const modelChanged = !this.data || this.data.hidden !== d.hidden || this.data.cell !== d.cell;
    const key = `${d.cell}|${d.hidden}|${d.layer}|${d.chars.join('')}`;
    this.data = d;
    if (modelChanged) { this.pinned.clear(); this.selected = null; }
    const grown = d.step >= 2 * this.chosenAt && d.step - this.chosenAt >= 50;
    if (key !== this.key || modelChanged || grown) {
      this.units = this.#chooseUnits();
      this.chosenAt = d.step;
    }
    this.key = key;
    if (this.selected === null || !this.units.includes(this.selected)) this.selected = this.units[0];
    this.#chips();
    this.draw();
    this.#lines();
  }

  pick(unit) {
    if (!this.data || !Number.isInteger(unit) || unit < 0 || unit >= this.data.hidden) return;
    this.selected = unit;
    if (!this.units.includes(unit)) {
      this.pinned.add(unit);
      this.units = this.#chooseUnits();
    }
    this.#chips();
    this.draw();
    this.#lines();
  }

  // The pinned units, then the most active ones: largest variance over the text of tanh(c) (a
  // cell with a cell state, LSTM) or h.
  #chooseUnits() {
    const d = this.data;
    const hasC = d.channels.includes('c');
    const ch = d.channels.indexOf(hasC ? 'c' : 'h');
    const C = d.channels.length, H = d.hidden, T = d.steps;
    const score = new Float64Array(H);
    for (let u = 0; u < H; u++) {
      let s = 0, s2 = 0;
      for (let t = 0; t < T; t++) {
        const v = d.values[(t * C + ch) * H + u];
        const x = hasC ? Math.tanh(v) : v;
        s += x; s2 += x * x;
      }
      score[u] = s2 / T - (s / T) ** 2;
    }
    const auto = [...score.keys()].sort((a, b) => score[b] - score[a]);
    const out = [...this.pinned].filter((u) => u < H);
    if (this.selected !== null && this.selected < H && !out.includes(this.selected)) out.push(this.selected);
    const n = Math.max(UNITS, out.length);
    for (const u of auto) { if (out.length >= n) break; if (!out.includes(u)) out.push(u); }
    return out.sort((a, b) => a - b);
  }

  #chips() {
    const box = this.els.chips;
    box.replaceChildren();
    for (const u of this.units) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `unit ${u}`;
      b.setAttribute('aria-pressed', String(u === this.selected));
      b.addEventListener('click', () => this.pick(u));
      box.append(b);
    }
  }

  /** Redraws the heatmap at the current size. */
  draw() {
    const d = this.data;
    if (!d) return;
    const shown = shownChannels(d.channels);
    const C = d.channels.length, H = d.hidden, T = d.steps;
    const rh = 13, head = 24, gap = 10, left = 78, blockHead = 16;
    // as wide a column per character as fits the container (then scroll), 11..16 px
    const avail = (this.els.wrap.clientWidth || 800) - left - 10;
    const cw = Math.max(11, Math.min(16, Math.floor(avail / T)));
    const blockH = blockHead + this.units.length * rh;
    const width = left + T * cw + 8;
    const height = head + shown.length * (blockH + gap);
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const cv = this.els.canvas;
    cv.width = Math.round(width * dpr);
    cv.height = Math.round(height * dpr);
    cv.style.width = `${width}px`;
    cv.style.height = `${height}px`;
    const ctx = cv.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '13px ui-monospace, Menlo, Consolas, monospace';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = COLORS.ink;
    for (let t = 0; t < T; t++) ctx.fillText(shownChar(d.chars[t]), left + t * cw + cw / 2, head / 2 + 1);
    const rows = [];
    shown.forEach((name, k) => {
      const c = d.channels.indexOf(name);
      const y0 = head + k * (blockH + gap);
      ctx.textAlign = 'left';
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillStyle = COLORS[name] ?? COLORS.ink;
      ctx.fillText(`${name}  ${NAMES[name]}`, 4, y0 + blockHead / 2);
      ctx.font = '11px ui-monospace, Menlo, Consolas, monospace';
      this.units.forEach((u, j) => {
        const y = y0 + blockHead + j * rh;
        rows.push({ y, name, c, u });
        ctx.fillStyle = u === this.selected ? COLORS.ink : COLORS.muted;
        ctx.textAlign = 'right';
        ctx.fillText(`${u === this.selected ? '▸ ' : ''}u${u}`, left - 6, y + rh / 2);
        for (let t = 0; t < T; t++) {
          ctx.fillStyle = css(colorOf(name, d.values[(t * C + c) * H + u]));
          ctx.fillRect(left + t * cw, y, cw - 1, rh - 1);
        }
        if (u === this.selected) {
          ctx.strokeStyle = COLORS.ink;
          ctx.lineWidth = 1.5;
          ctx.strokeRect(left - 0.5, y - 0.5, T * cw, rh);
        }
      });
    });
    this.layout = { cw, rh, left, rows, T };
  }

  #at(e) {
    const L = this.layout;
    if (!L) return null;
    const rect = this.els.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const row = L.rows.find((r) => y >= r.y && y < r.y + L.rh);
    if (!row) return null;
    const t = Math.floor((x - L.left) / L.cw);
    return { row, t: t >= 0 && t < L.T ? t : null, x, y };
  }

  #click(e) {
    const hit = this.#at(e);
    if (hit) this.pick(hit.row.u);
  }

  #hover(e) {
    const hit = this.#at(e), tip = this.els.tip;
    if (!hit || hit.t === null) { tip.hidden = true; return; }
    const d = this.data, C = d.channels.length, H = d.hidden;
    const v = d.values[(hit.t * C + hit.row.c) * H + hit.row.u];
    tip.textContent = `'${shownChar(d.chars[hit.t])}'  unit ${hit.row.u}\n${hit.row.name} = ${v.toFixed(3)}`;
    const wrapRect = this.els.wrap.getBoundingClientRect(), cvRect = this.els.canvas.getBoundingClientRect();
    tip.style.left = `${cvRect.left - wrapRect.left + hit.x}px`;
    tip.style.top = `${cvRect.top - wrapRect.top + hit.y - 4}px`;
    tip.hidden = false;
  }

  // The selected unit over the text, one line per channel (karpathy's "visualizing RNNs" view).
  #lines() {
    const d = this.data, u = this.selected, box = this.els.lines;
    const C = d.channels.length, H = d.hidden;
    this.els.title.textContent = `Unit ${u} of layer ${d.layer + 1}, over your text`;
    box.replaceChildren();
    for (const name of shownChannels(d.channels)) {
      const c = d.channels.indexOf(name);
      const line = document.createElement('div');
      line.className = 'unit-line';
      const lab = document.createElement('span');
      lab.className = 'lab';
      lab.textContent = name;
      lab.style.color = COLORS[name] ?? COLORS.ink;
      lab.title = NAMES[name];
      const txt = document.createElement('span');
      txt.className = 'txt';
      for (let t = 0; t < d.steps; t++) {
        const v = d.values[(t * C + c) * H + u];
        const rgb = colorOf(name, v);
        const s = document.createElement('span');
        s.textContent = shownChar(d.chars[t]);
        s.style.background = css(rgb);
        s.style.color = textOn(rgb);
        s.title = `${name} = ${v.toFixed(3)}`;
        txt.append(s);
      }
      line.append(lab, txt);
      box.append(line);
    }
  }
}
