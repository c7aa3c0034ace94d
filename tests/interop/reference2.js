// tests/interop/reference2.js — a float64 forward pass of a model description in our layout
// (api-v2: bidirectional, lengths, gateActivation, initial state, 'last' summary), written from
// the equations of c/lstm.h and the semantics of notes/api-v2.md, not from any mapping code. It
// is the judge of the mappings while the core's v2 features are not on main: a mapping is right
// when reference2(mapped parameters) equals the framework's own outputs.
//
// forward(desc, inputs, {batch: B, steps: T, lengths?, initialState?: {h, c?} (L·D, B, H)})
//   → { outputs (B, T, O) with zeros at padded steps, last (B, O): the head on the summary,
//       h, c (L·D, B, H): final states, index layer·D + direction }

const GATES = { lstm: 4, gru: 3, rnn: 1 };
const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const hardSigmoid = (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5));

export function forward(desc, inputs, { batch: B, steps: T, lengths, initialState } = {}) {
  const c = desc.config, p = desc.parameters;
  const { cell, hidden: H, layers: L, output: O } = c;
  const D = c.bidirectional ? 2 : 1, GH = GATES[cell] * H;
  const gate = c.gateActivation === 'hardSigmoid' ? hardSigmoid : sigmoid;
  const tokens = c.vocab !== undefined, I0 = c.vocab ?? c.input;
  const len = (b) => (lengths ? lengths[b] : T);
  const hN = new Float64Array(L * D * B * H), cN = new Float64Array(L * D * B * H);

  // layer input: x[b][t] = Float64Array(width)
  let xs = [];
  for (let b = 0; b < B; b++) {
    xs.push([]);
    for (let t = 0; t < T; t++) {
      if (tokens) xs[b].push(inputs[b * T + t]);
      else xs[b].push(Float64Array.from(inputs.subarray((b * T + t) * I0, (b * T + t + 1) * I0)));
    }
  }
  for (let l = 0; l < L; l++) {
    const ys = Array.from({ length: B }, () => Array.from({ length: T }, () => new Float64Array(D * H)));
    for (let d = 0; d < D; d++) {
      const s = d ? '_reverse' : '';
      const wx = p[`l${l}.wx${s}`].data, wh = p[`l${l}.wh${s}`].data;
      const bias = cell === 'gru' ? null : p[`l${l}.b${s}`].data;
      const bx = cell === 'gru' ? p[`l${l}.bx${s}`].data : null, bh = cell === 'gru' ? p[`l${l}.bh${s}`].data : null;
      const k = l * D + d;
      for (let b = 0; b < B; b++) {
        const h = new Float64Array(H), cs = new Float64Array(H);
        if (initialState) {
          for (let u = 0; u < H; u++) {
            h[u] = initialState.h[(k * B + b) * H + u];
            if (initialState.c) cs[u] = initialState.c[(k * B + b) * H + u];
          }
        }
        const n = len(b);
        for (let step = 0; step < n; step++) {
          const t = d ? n - 1 - step : step; // reverse starts at the sequence's own last valid step
          const ax = new Float64Array(GH), ah = new Float64Array(GH);
          const x = xs[b][t];
          if (l === 0 && tokens) for (let j = 0; j < GH; j++) ax[j] = wx[x * GH + j];
          else for (let i = 0; i < x.length; i++) for (let j = 0; j < GH; j++) ax[j] += x[i] * wx[i * GH + j];
          for (let i = 0; i < H; i++) for (let j = 0; j < GH; j++) ah[j] += h[i] * wh[i * GH + j];
          const hn = new Float64Array(H);
          for (let u = 0; u < H; u++) {
            if (cell === 'lstm') {
              const a = (q) => ax[q * H + u] + ah[q * H + u] + bias[q * H + u];
              const ig = gate(a(0)), fg = gate(a(1)), gg = Math.tanh(a(2)), og = gate(a(3));
              cs[u] = fg * cs[u] + ig * gg;
              hn[u] = og * Math.tanh(cs[u]);
            } else if (cell === 'gru') {
              const r = gate(ax[u] + bx[u] + ah[u] + bh[u]);
              const z = gate(ax[H + u] + bx[H + u] + ah[H + u] + bh[H + u]);
              const nn = Math.tanh(ax[2 * H + u] + bx[2 * H + u] + r * (ah[2 * H + u] + bh[2 * H + u]));
              hn[u] = (1 - z) * nn + z * h[u];
            } else {
              hn[u] = Math.tanh(ax[u] + ah[u] + bias[u]);
            }
          }
          h.set(hn);
          ys[b][t].set(hn, d * H);
        }
        hN.set(h, (k * B + b) * H);
        cN.set(cs, (k * B + b) * H);
      }
    }
    xs = ys;
  }
  const hw = p['head.w'].data, hb = p['head.b'].data, W = D * H;
  const head = (v, out, at) => {
    for (let o = 0; o < O; o++) {
      let acc = hb[o];
      for (let i = 0; i < W; i++) acc += v[i] * hw[i * O + o];
      out[at + o] = acc;
    }
  };
  const outputs = new Float64Array(B * T * O), last = new Float64Array(B * O);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < len(b); t++) head(xs[b][t], outputs, (b * T + t) * O);
    // summary: forward h at its last valid step | reverse h at step 0 (= the final states)
    const top = (L - 1) * D, v = new Float64Array(W);
    for (let d = 0; d < D; d++) v.set(hN.subarray(((top + d) * B + b) * H, ((top + d) * B + b + 1) * H), d * H);
    head(v, last, b * O);
  }
  return { outputs, last, h: hN, c: cN };
}

/** Max |a − b| over two arrays of equal length. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

/** A random description of `config` (all parameters U(−s, s)) from a seeded generator. */
export function randomDescription(config, rand, s = 0.5) {
  const { cell, hidden: H, layers: L, output: O } = config;
  const D = config.bidirectional ? 2 : 1, GH = GATES[cell] * H, I0 = config.vocab ?? config.input;
  const parameters = {};
  const put = (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    parameters[name] = { shape, data: Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s) };
  };
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const sfx = d ? '_reverse' : '';
      put(`l${l}.wx${sfx}`, [l ? D * H : I0, GH]);
      put(`l${l}.wh${sfx}`, [H, GH]);
      if (cell === 'gru') { put(`l${l}.bx${sfx}`, [GH]); put(`l${l}.bh${sfx}`, [GH]); } else put(`l${l}.b${sfx}`, [GH]);
    }
  }
  put('head.w', [D * H, O]);
  put('head.b', [O]);
  return { config: { gateActivation: 'sigmoid', bidirectional: false, ...config }, parameters, summary: 'sequence', notes: [] };
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
