// plot.js — small canvas charts for the demo: line/point charts with linear or log axes. No
// dependencies. Canvases are drawn at the device pixel ratio and redrawn by their owners on resize.

export const COLORS = {
  ink: '#1d2330', muted: '#5b6475', grid: '#e7ebf1', axis: '#b8c1cf',
  accent: '#2458d6', raw: '#b7c5e3', val: '#c2335b', lstm: '#0b776b', rnn: '#b34d1c', gru: '#7b4fd0',
  i: '#2458d6', f: '#0b776b', g: '#a05a00', o: '#7b4fd0', c: '#c2335b', r: '#2458d6', z: '#0b776b',
};

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Sizes the canvas backing store to its CSS width × height at the device pixel ratio. */
export function fit(canvas, cssHeight) {
  const dpr = Math.min(window.devicePixelRatio || 1, 3);
  const w = Math.max(50, Math.round(canvas.clientWidth || canvas.parentElement.clientWidth || 300));
  const h = cssHeight ?? (Number(canvas.getAttribute('height')) || 200);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.height = `${h}px`;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

/** About n round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function fmt(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10000) return `${(v / 1000).toFixed(0)}k`;
  if (a >= 1000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (a >= 10) return String(Math.round(v));
  if (a >= 1) return v.toFixed(1).replace(/\.0$/, '');
  return v.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
}

// Labels for evenly spaced ticks: as many decimals as the spacing needs (0.02 apart: 3.80, 3.82),
// so that neighbouring labels never read the same.
function tickFormat(ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  if (!(step > 0) || step >= 1 || ticks.some((v) => Math.abs(v) >= 1000)) return fmt;
  const decimals = Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return (v) => (v === 0 ? '0' : v.toFixed(decimals));
}

function supLog(e) {
  const sup = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
  return e === 0 ? '1' : `10${String(e).split('').map((ch) => sup[ch]).join('')}`;
}

/**
 * Draws a chart.
 * @param {HTMLCanvasElement} canvas
 * @param {object} o
 *   series: [{points: [[x, y]], color, width?, dash?, alpha?, dots?, step?}]
 *   x: {min?, max?, label?, ticks?, format?}; y: {min?, max?, label?, log?, ticks?, format?}
 *   hlines: [{y, label?, color?}]; empty: text shown when there is no data
 */
export function chart(canvas, o) {
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  const ylog = !!o.y?.log;
  const tf = (v) => (ylog ? Math.log10(Math.max(v, 1e-30)) : v);
  const all = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[0]) && Number.isFinite(tf(p[1])));
  let xmin = o.x?.min ?? Math.min(...all.map((p) => p[0]));
  let xmax = o.x?.max ?? Math.max(...all.map((p) => p[0]));
  let ymin = o.y?.min !== undefined ? tf(o.y.min) : Math.min(...all.map((p) => tf(p[1])));
  let ymax = o.y?.max !== undefined ? tf(o.y.max) : Math.max(...all.map((p) => tf(p[1])));
  if (!Number.isFinite(xmin) || !Number.isFinite(xmax)) { xmin = 0; xmax = 1; }
  if (!Number.isFinite(ymin) || !Number.isFinite(ymax)) { ymin = 0; ymax = 1; }
  if (xmax <= xmin) xmax = xmin + 1;
  if (ymax <= ymin) { const c = ymin; ymin = c - (ylog ? 1 : Math.abs(c) * 0.1 || 0.5); ymax = c + (ylog ? 1 : Math.abs(c) * 0.1 || 0.5); }
  if (o.y?.pad) { const p = (ymax - ymin) * o.y.pad; if (o.y.min === undefined) ymin -= p; if (o.y.max === undefined) ymax += p; }

  const left = o.y?.label ? 50 : 40, right = 12, top = 12, bottom = o.x?.label ? 36 : 24;
  const pw = Math.max(10, w - left - right), ph = Math.max(10, h - top - bottom);
  const X = (x) => left + ((x - xmin) / (xmax - xmin)) * pw;
  const Y = (y) => top + ph - ((tf(y) - ymin) / (ymax - ymin)) * ph;

  // grid and axes
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  ctx.fillStyle = COLORS.muted;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const yt = o.y?.ticks ?? (ylog
    ? range(Math.ceil(ymin), Math.floor(ymax), Math.max(1, Math.ceil((ymax - ymin) / 6))).map((e) => 10 ** e)
    : niceTicks(ymin, ymax, 5));
  const yfmt = tickFormat(yt);
  for (const v of yt) {
    const py = Math.round(Y(v)) + 0.5;
    if (py < top - 1 || py > top + ph + 1) continue;
    ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(left + pw, py); ctx.stroke();
    ctx.fillText(o.y?.format ? o.y.format(v) : ylog ? supLog(Math.round(Math.log10(v))) : yfmt(v), left - 6, py);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const xt = o.x?.ticks ?? niceTicks(xmin, xmax, Math.max(2, Math.floor(pw / 80)));
  const xfmt = tickFormat(xt);
  for (const v of xt) {
    const px = Math.round(X(v)) + 0.5;
    if (px < left - 1 || px > left + pw + 1) continue;
    ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + ph); ctx.stroke();
    ctx.fillText(o.x?.format ? o.x.format(v) : xfmt(v), px, top + ph + 5);
  }
  ctx.strokeStyle = COLORS.axis;
  ctx.beginPath(); ctx.moveTo(left + 0.5, top); ctx.lineTo(left + 0.5, top + ph + 0.5); ctx.lineTo(left + pw, top + ph + 0.5); ctx.stroke();
  if (o.x?.label) { ctx.fillStyle = COLORS.muted; ctx.fillText(o.x.label, left + pw / 2, h - 15); }
  if (o.y?.label) {
    ctx.save(); ctx.translate(11, top + ph / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle'; ctx.fillStyle = COLORS.muted; ctx.fillText(o.y.label, 0, 0); ctx.restore();
  }

  for (const l of o.hlines ?? []) {
    const py = Math.round(Y(l.y)) + 0.5;
    ctx.save();
    ctx.strokeStyle = l.color ?? COLORS.axis; ctx.setLineDash([4, 4]);
    ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(left + pw, py); ctx.stroke();
    ctx.restore();
    if (l.label) { ctx.fillStyle = COLORS.muted; ctx.textAlign = 'left'; ctx.textBaseline = 'top'; ctx.fillText(l.label, left + 6, py + 3); }
  }

  // series, clipped to the plot area
  ctx.save();
  ctx.beginPath(); ctx.rect(left, top - 2, pw, ph + 4); ctx.clip();
  for (const s of o.series) {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(tf(p[1])));
    if (!pts.length) continue;
    ctx.globalAlpha = s.alpha ?? 1;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width ?? 2;
    ctx.lineJoin = 'round';
    ctx.setLineDash(s.dash ?? []);
    if (s.line !== false) {
      ctx.beginPath();
      pts.forEach((p, i) => {
        const px = X(p[0]), py = Y(p[1]);
        if (i === 0) ctx.moveTo(px, py);
        else if (s.step) { ctx.lineTo(px, Y(pts[i - 1][1])); ctx.lineTo(px, py); }
        else ctx.lineTo(px, py);
      });
      ctx.stroke();
    }
    if (s.dots) {
      ctx.setLineDash([]);
      for (const p of pts) { ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), s.dots, 0, 2 * Math.PI); ctx.fill(); }
    }
  }
  ctx.restore();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);

  if (!all.length && o.empty) {
    ctx.fillStyle = COLORS.muted; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(o.empty, left + pw / 2, top + ph / 2);
  }
}

function range(a, b, step = 1) {
  const out = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
}

/** Calls fn when the element's width changes (debounced to animation frames). */
export function onResize(el, fn) {
  let last = el.clientWidth, queued = false;
  const ro = new ResizeObserver(() => {
    if (queued || el.clientWidth === last) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; last = el.clientWidth; fn(); });
  });
  ro.observe(el);
  return ro;
}
