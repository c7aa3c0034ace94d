// Every kernel twin of c/kernels.h, called directly in the real WebAssembly builds (build.sh exports
// them): the SIMD twin must equal the scalar twin bit for bit, and both must match a float64 JS
// reference, at sizes below, at, above and at multiples of the vector width (4), odd sizes, and
// sizes that cross the GEMM's cache blocks (KC 128, NC 256, MC 128).
//
// Tolerances, |got − ref| <= atol + rtol·|ref|, per kernel:
//   sigmoid/tanh inside the cells: atol 3e-7 (the documented approximation bound, c/kernels.h)
//   gemm: atol 1e-5, rtol 1e-5·K          cells fwd/bwd: atol 2e-6, rtol 1e-5
//   softmax, softmax_xent: atol 1e-6, rtol 1e-5      optimizers: atol 1e-6, rtol 1e-5
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModule, instantiate } from '../js/loader.js';

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 100, 128, 130];

let seed = 0x2545f491;
function rand() { // xorshift32 in [-1, 1)
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return ((seed >>> 0) / 4294967296) * 2 - 1;
}
const randArray = (n, scale = 1) => Float32Array.from({ length: n }, () => rand() * scale);
const sig = (x) => 1 / (1 + Math.exp(-x));

/** A tiny allocator over one wasm instance: copy arrays in, read them back. */
async function wasmKernels(simd) {
  const { module } = await loadModule({ simd });
  const inst = await instantiate(module);
  const e = inst.exports;
  const ptrs = [];
  const f32 = () => new Float32Array(e.memory.buffer);
  return {
    e,
    put(arr) {
      const p = e.malloc(Math.max(4, arr.length * 4));
      assert.ok(p, 'malloc failed');
      ptrs.push(p);
      if (arr instanceof Int32Array) new Int32Array(e.memory.buffer).set(arr, p >> 2);
      else f32().set(arr, p >> 2);
      return p;
    },
    get(p, n) { return f32().slice(p >> 2, (p >> 2) + n); },
    freeAll() { while (ptrs.length) e.free(ptrs.pop()); },
  };
}

const K = await wasmKernels(true);

function sameBits(a, b, what) {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: scalar and SIMD twins differ at ${i}: ${a[i]} vs ${b[i]}`);
  }
}
function close(got, ref, atol, rtol, what) {
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= atol + rtol * Math.abs(ref[i]))) {
      assert.fail(`${what}: index ${i}: got ${got[i]}, float64 reference ${ref[i]} (|diff| ${d})`);
    }
  }
}

/** Runs a kernel's two twins on identical copies of the inputs; returns the outputs of each. */
function twins(name, make, call, outputs) {
  const res = {};
  for (const sfx of ['scalar', 'wasmsimd']) {
    const args = make();
    const ptr = {};
    for (const [k, v] of Object.entries(args)) ptr[k] = typeof v === 'number' ? v : K.put(v);
    const ret = call(K.e[`${name}__${sfx}`], ptr);
    res[sfx] = { ret };
    for (const [k, n] of Object.entries(outputs)) res[sfx][k] = K.get(ptr[k], n);
    K.freeAll();
  }
  return res;
}

test('gemm: twins bit-identical and close to float64, all tile edges and cache blocks', () => {
  const shapes = [];
  for (const M of [1, 3, 4, 5, 8, 33]) for (const N of SIZES) shapes.push([M, N, SIZES[(N * 7 + M) % SIZES.length]]);
  shapes.push([130, 300, 260], [257, 9, 129]);
  for (const [M, N, Kd] of shapes) {
    for (const acc of [0, 1]) {
      const lda = Kd + 1, ldb = N + 2, ldc = N + 3;
      const A = randArray(M * lda), B = randArray(Kd * ldb), C = randArray(M * ldc);
      const ref = Float64Array.from(C);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let c = acc ? C[i * ldc + j] : 0;
        for (let k = 0; k < Kd; k++) c += A[i * lda + k] * B[k * ldb + j];
        ref[i * ldc + j] = c;
      }
      const r = twins('gemm', () => ({ A, B, C: C.slice() }),
        (f, p) => f(M, N, Kd, p.A, lda, p.B, ldb, p.C, ldc, acc), { C: M * ldc });
      const what = `gemm M=${M} N=${N} K=${Kd} acc=${acc}`;
      sameBits(r.scalar.C, r.wasmsimd.C, what);
      close(r.wasmsimd.C, ref, 1e-5, 1e-5 * Kd, what);
    }
  }
});

// gemm_packed and gemm_panels read the columns of B that fill whole panels of pw = 8 or 32 columns
// from a packed copy (c/kernels.h k_pack_panels): P[(j/pw)·pw·K + pw·k + j%pw] = B[k, j], made here
// in JS from the contract, the rest
// from B itself. Both twins must give exactly gemm's bits (the same sums in the same order) on
// every path (1–3 rows, 4–7 rows, the blocked path across KC/NC/MC blocks), and read the panels,
// not B: panels of 2·B must double exactly the panel columns and leave the others alone.
test('gemm_packed, gemm_panels: twins bit-identical to gemm on every path, panel columns read from the panels', () => {
  const panelsOf = (Bm, Kd, N, ldb, pw, scale = 1) => {
    const Np = N & ~(pw - 1), P = new Float32Array(Math.max(1, Kd * Np));
    for (let j = 0; j < Np; j++) for (let k = 0; k < Kd; k++) P[(j - (j % pw)) * Kd + k * pw + (j % pw)] = scale * Bm[k * ldb + j];
    return P;
  };
  const shapes = [];
  for (const M of [1, 2, 3, 4, 7, 8, 33]) for (const N of [1, 7, 8, 31, 32, 33, 65, 100]) shapes.push([M, N, [1, 7, 128, 130][(M + N) % 4]]);
  shapes.push([1, 512, 128], [32, 512, 128], [32, 128, 512], [130, 300, 260], [257, 9, 129]);
  for (const [M, N, Kd] of shapes) for (const pw of [8, 32]) {
    for (const acc of [0, 1]) {
      const ldb = N + 2, ldc = N + 3, lda = Kd + 1;
      const A = randArray(M * lda), B = randArray(Kd * ldb), C = randArray(M * ldc);
      const what = `${pw === 8 ? 'gemm_packed' : 'gemm_panels'} M=${M} N=${N} K=${Kd} acc=${acc}`;
      const g = twins('gemm', () => ({ A, B, C: C.slice() }), (f, p) => f(M, N, Kd, p.A, lda, p.B, ldb, p.C, ldc, acc), { C: M * ldc });
      const kernel = pw === 8 ? 'gemm_packed' : 'gemm_panels';
      const run = (P, C0) => twins(kernel, () => ({ A, P, B, C: C0.slice() }),
        (f, p) => f(M, N, Kd, p.A, lda, p.P, p.B, ldb, p.C, ldc, acc), { C: M * ldc });
      const r = run(panelsOf(B, Kd, N, ldb, pw), C);
      sameBits(r.scalar.C, r.wasmsimd.C, what);
      sameBits(g.scalar.C, r.wasmsimd.C, `${what} vs gemm`);
      if (acc) continue;
      const r2 = run(panelsOf(B, Kd, N, ldb, pw, 2), C); // ×2 is exact: the panel columns double exactly
      sameBits(r2.scalar.C, r2.wasmsimd.C, `${what} doubled panels`);
      const Np = N & ~(pw - 1);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        const want = j < Np ? 2 * r.wasmsimd.C[i * ldc + j] : r.wasmsimd.C[i * ldc + j];
        if (r2.wasmsimd.C[i * ldc + j] !== want) assert.fail(`${what}: column ${j} (row ${i}) does not come from ${j < Np ? 'the panels' : 'B'}`);
      }
    }
  }
});

// The gate activations (c/kernels.h K_ACT_*): 0 the sigmoid, 1 the hard sigmoid clamp(0.2x + 0.5, 0, 1).
const gate = (x, act) => (act === 0 ? sig(x) : Math.min(1, Math.max(0, 0.2 * x + 0.5)));
const gateGrad = (a, act) => (act === 0 ? a * (1 - a) : a > 0 && a < 1 ? 0.2 : 0);
const ACTS = [[0, 'sigmoid'], [1, 'hard sigmoid']];

// h written with a leading dimension (as a bidirectional layer writes each direction's half):
// the first H of each row, the rest untouched.
function strided(view, B, H, ld, what) {
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    out.set(view.subarray(b * ld, b * ld + H), b * H);
    for (let j = H; j < ld; j++) if (view[b * ld + j] !== 42) assert.fail(`${what}: wrote past H at row ${b}, column ${j}`);
  }
  return out;
}
const sentinel = (n) => new Float32Array(n).fill(42);

test('lstm_cell_fwd / lstm_cell_bwd: twins bit-identical, float64 reference, both gate activations', () => {
  for (const [act, name] of ACTS) for (const H of SIZES) for (const B of [1, 3]) {
    const G = 4 * H, ld = 2 * H + 1;
    const pre = randArray(B * G, 4), cprev = randArray(B * H, 2);
    const f = twins('lstm_cell_fwd', () => ({ g: pre.slice(), cp: cprev, c: new Float32Array(B * H), h: sentinel(B * ld) }),
      (fn, p) => fn(B, H, act, p.g, G, p.cp, p.c, p.h, ld), { g: B * G, c: B * H, h: B * ld });
    const rg = new Float64Array(B * G), rc = new Float64Array(B * H), rh = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const o0 = b * G;
      const i = gate(pre[o0 + j], act), fg = gate(pre[o0 + H + j], act), g = Math.tanh(pre[o0 + 2 * H + j]), o = gate(pre[o0 + 3 * H + j], act);
      const c = fg * cprev[b * H + j] + i * g;
      rg[o0 + j] = i; rg[o0 + H + j] = fg; rg[o0 + 2 * H + j] = g; rg[o0 + 3 * H + j] = o;
      rc[b * H + j] = c; rh[b * H + j] = o * Math.tanh(c);
    }
    for (const k of ['g', 'c', 'h']) sameBits(f.scalar[k], f.wasmsimd[k], `lstm (${name}) fwd ${k} H=${H}`);
    close(f.wasmsimd.g, rg, 3e-7, 1e-5, `lstm (${name}) fwd gates H=${H}`);
    close(f.wasmsimd.c, rc, 2e-6, 1e-5, `lstm (${name}) fwd c H=${H}`);
    close(strided(f.wasmsimd.h, B, H, ld, `lstm (${name}) fwd h`), rh, 2e-6, 1e-5, `lstm (${name}) fwd h H=${H}`);
    // backward from those activations, in place over the gates as the model runs it
    const acts = f.scalar.g, c = f.scalar.c, dh = randArray(B * H), dc0 = randArray(B * H);
    const bw = twins('lstm_cell_bwd', () => ({ g: acts.slice(), cp: cprev, c, dh, dc: dc0.slice() }),
      (fn, p) => fn(B, H, act, p.g, G, p.cp, p.c, p.dh, p.dc, p.g), { g: B * G, dc: B * H });
    const rdg = new Float64Array(B * G), rdc = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const o0 = b * G;
      const i = acts[o0 + j], fg = acts[o0 + H + j], g = acts[o0 + 2 * H + j], o = acts[o0 + 3 * H + j];
      const tc = Math.tanh(c[b * H + j]), d = dh[b * H + j];
      const dcv = dc0[b * H + j] + d * o * (1 - tc * tc);
      rdg[o0 + 3 * H + j] = d * tc * gateGrad(o, act);
      rdg[o0 + j] = dcv * g * gateGrad(i, act);
      rdg[o0 + H + j] = dcv * cprev[b * H + j] * gateGrad(fg, act);
      rdg[o0 + 2 * H + j] = dcv * i * (1 - g * g);
      rdc[b * H + j] = dcv * fg;
    }
    sameBits(bw.scalar.g, bw.wasmsimd.g, `lstm (${name}) bwd H=${H}`);
    sameBits(bw.scalar.dc, bw.wasmsimd.dc, `lstm (${name}) bwd dc H=${H}`);
    close(bw.wasmsimd.g, rdg, 2e-6, 1e-5, `lstm (${name}) bwd dgates H=${H}`);
    close(bw.wasmsimd.dc, rdc, 2e-6, 1e-5, `lstm (${name}) bwd dc H=${H}`);
  }
});

test('gru_cell_fwd / gru_cell_bwd and rnn cells: twins bit-identical, float64 reference, both gate activations', () => {
  for (const [act, name] of ACTS) for (const H of SIZES) {
    const B = 2, G = 3 * H, ld = 2 * H + 1;
    const gx = randArray(B * G, 3), gh = randArray(B * G, 3), hpl = randArray(B * ld);
    const hp = Float32Array.from({ length: B * H }, (_, i) => hpl[((i / H) | 0) * ld + (i % H)]); // hprev rows of ld ld
    const f = twins('gru_cell_fwd', () => ({ gx: gx.slice(), gh, hp: hpl, h: sentinel(B * ld) }),
      (fn, p) => fn(B, H, act, p.gx, p.gh, p.hp, ld, p.h, ld), { gx: B * G, h: B * ld });
    const ra = new Float64Array(B * G), rh = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const o = b * G;
      const r = gate(gx[o + j] + gh[o + j], act), z = gate(gx[o + H + j] + gh[o + H + j], act);
      const n = Math.tanh(gx[o + 2 * H + j] + r * gh[o + 2 * H + j]);
      ra[o + j] = r; ra[o + H + j] = z; ra[o + 2 * H + j] = n;
      rh[b * H + j] = (1 - z) * n + z * hp[b * H + j];
    }
    sameBits(f.scalar.gx, f.wasmsimd.gx, `gru (${name}) fwd H=${H}`);
    sameBits(f.scalar.h, f.wasmsimd.h, `gru (${name}) fwd h H=${H}`);
    close(f.wasmsimd.gx, ra, 3e-7, 1e-5, `gru (${name}) fwd acts H=${H}`);
    close(strided(f.wasmsimd.h, B, H, ld, `gru (${name}) fwd h`), rh, 2e-6, 1e-5, `gru (${name}) fwd h H=${H}`);
    const acts = f.scalar.gx, dh = randArray(B * H);
    const bw = twins('gru_cell_bwd', () => ({ a: acts.slice(), gh: gh.slice(), hp: hpl, dh, dhp: new Float32Array(B * H) }),
      (fn, p) => fn(B, H, act, p.a, p.gh, p.hp, ld, p.dh, p.a, p.gh, p.dhp), { a: B * G, gh: B * G, dhp: B * H });
    const rdx = new Float64Array(B * G), rdy = new Float64Array(B * G), rdp = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const o = b * G;
      const r = acts[o + j], z = acts[o + H + j], n = acts[o + 2 * H + j], d = dh[b * H + j];
      const dn = d * (1 - z) * (1 - n * n), dz = d * (hp[b * H + j] - n) * gateGrad(z, act);
      const dr = dn * gh[o + 2 * H + j] * gateGrad(r, act);
      rdx[o + j] = dr; rdx[o + H + j] = dz; rdx[o + 2 * H + j] = dn;
      rdy[o + j] = dr; rdy[o + H + j] = dz; rdy[o + 2 * H + j] = dn * r;
      rdp[b * H + j] = d * z;
    }
    for (const k of ['a', 'gh', 'dhp']) sameBits(bw.scalar[k], bw.wasmsimd[k], `gru (${name}) bwd ${k} H=${H}`);
    close(bw.wasmsimd.a, rdx, 2e-6, 1e-5, `gru (${name}) bwd dgx H=${H}`);
    close(bw.wasmsimd.gh, rdy, 2e-6, 1e-5, `gru (${name}) bwd dgh H=${H}`);
    close(bw.wasmsimd.dhp, rdp, 2e-6, 1e-5, `gru (${name}) bwd dhprev H=${H}`);
    if (act !== 0) continue;
    // rnn (no gates): h = tanh(pre) into rows of ld ld; dpre = dh (1 − h²)
    const n = B * H, pre = randArray(n, 4);
    const rf = twins('rnn_cell_fwd', () => ({ pre, h: sentinel(B * ld) }), (fn, p) => fn(B, H, p.pre, p.h, ld), { h: B * ld });
    sameBits(rf.scalar.h, rf.wasmsimd.h, `rnn fwd H=${H}`);
    close(strided(rf.wasmsimd.h, B, H, ld, 'rnn fwd h'), Array.from(pre, (x) => Math.tanh(x)), 3e-7, 0, `rnn fwd H=${H}`);
    const hs = rf.scalar.h, h = strided(hs, B, H, ld, 'rnn h');
    const rb = twins('rnn_cell_bwd', () => ({ h: hs, dh, d: new Float32Array(n) }), (fn, p) => fn(B, H, p.h, ld, p.dh, p.d), { d: n });
    sameBits(rb.scalar.d, rb.wasmsimd.d, `rnn bwd H=${H}`);
    close(rb.wasmsimd.d, Array.from(h, (v, i) => dh[i] * (1 - v * v)), 1e-6, 1e-5, `rnn bwd H=${H}`);
  }
});

test('softmax and softmax_xent: twins bit-identical, float64 reference, masked rows', () => {
  for (const s of SIZES) {
    const N = 3, O = s + 1, scale = 0.5;
    const x = randArray(N * O, 8), tgt = Int32Array.from([0, O - 1, -1]);
    const rp = new Float64Array(N * O), rd = new Float64Array(N * O);
    let rloss = 0;
    for (let r = 0; r < N; r++) {
      const row = Array.from(x.subarray(r * O, (r + 1) * O));
      const mx = Math.max(...row), sum = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      row.forEach((v, k) => {
        rp[r * O + k] = Math.exp(v - mx) / sum;
        rd[r * O + k] = tgt[r] < 0 ? 0 : scale * (rp[r * O + k] - (k === tgt[r] ? 1 : 0));
      });
      if (tgt[r] >= 0) rloss += Math.log(sum) - (row[tgt[r]] - mx);
    }
    const r = twins('softmax_xent', () => ({ x: x.slice(), t: tgt }), (fn, p) => fn(N, O, p.x, p.t, scale, p.x), { x: N * O });
    sameBits(r.scalar.x, r.wasmsimd.x, `softmax_xent O=${O}`);
    assert.equal(r.scalar.ret, r.wasmsimd.ret, `softmax_xent loss O=${O}`);
    close(r.wasmsimd.x, rd, 1e-6, 1e-5, `softmax_xent dlogits O=${O}`);
    close([r.wasmsimd.ret], [rloss], 1e-5, 1e-5, `softmax_xent loss O=${O}`);
    const p = twins('softmax', () => ({ x: x.slice() }), (fn, q) => fn(N, O, q.x, q.x), { x: N * O });
    sameBits(p.scalar.x, p.wasmsimd.x, `softmax O=${O}`);
    close(p.wasmsimd.x, rp, 1e-6, 1e-5, `softmax O=${O}`);
  }
});

test('optimizers and sumsq: twins bit-identical, float64 reference', () => {
  for (const s of SIZES) {
    const n = 3 * s;
    const p0 = randArray(n), g = randArray(n), m0 = randArray(n, 0.1), v0 = Float32Array.from(randArray(n, 0.01), Math.abs);
    const lr = 0.01, wd = 1e-4, a = 0.05, rb2 = 3, eps = 1e-8;
    const cases = {
      adam: [(fn, q) => fn(n, q.p, q.g, q.m, q.v, a, 0.9, 0.999, rb2, eps, wd),
        (p, gi, m, v) => { m = 0.9 * m + 0.1 * gi; v = 0.999 * v + 0.001 * gi * gi; return [p - wd * p - a * m / (Math.sqrt(v) * rb2 + eps), m, v]; }],
      sgd: [(fn, q) => fn(n, q.p, q.g, q.m, lr, 0.9, wd),
        (p, gi, m, v) => { m = 0.9 * m + gi; return [p - wd * p - lr * m, m, v]; }],
      rmsprop: [(fn, q) => fn(n, q.p, q.g, q.v, lr, 0.99, eps, wd),
        (p, gi, m, v) => { v = 0.99 * v + 0.01 * gi * gi; return [p - wd * p - lr * gi / (Math.sqrt(v) + eps), m, v]; }],
      adagrad: [(fn, q) => fn(n, q.p, q.g, q.v, lr, eps, wd),
        (p, gi, m, v) => { v = v + gi * gi; return [p - wd * p - lr * gi / (Math.sqrt(v) + eps), m, v]; }],
    };
    for (const [name, [call, ref]] of Object.entries(cases)) {
      const r = twins(name, () => ({ p: p0.slice(), g, m: m0.slice(), v: v0.slice() }), call, { p: n, m: n, v: n });
      for (const k of ['p', 'm', 'v']) sameBits(r.scalar[k], r.wasmsimd[k], `${name} ${k} n=${n}`);
      const rp = new Float64Array(n), rm = new Float64Array(n), rv = new Float64Array(n);
      for (let i = 0; i < n; i++) [rp[i], rm[i], rv[i]] = ref(p0[i], g[i], m0[i], v0[i]);
      close(r.wasmsimd.p, rp, 1e-6, 1e-5, `${name} params n=${n}`);
      close(r.wasmsimd.m, rm, 1e-6, 1e-5, `${name} m n=${n}`);
      close(r.wasmsimd.v, rv, 1e-6, 1e-5, `${name} v n=${n}`);
    }
    const x = randArray(n, 2);
    const r = twins('sumsq', () => ({ x }), (fn, q) => fn(n, q.x), {});
    assert.equal(r.scalar.ret, r.wasmsimd.ret, `sumsq n=${n}`);
    close([r.wasmsimd.ret], [x.reduce((acc, v) => acc + v * v, 0)], 0, 1e-5, `sumsq n=${n}`);
  }
});

test("the plain build's gemm computes the same bits as the SIMD build's", async () => {
  const P = await wasmKernels(false);
  const M = 33, N = 70, Kd = 130, A = randArray(M * Kd), B = randArray(Kd * N);
  const out = [];
  for (const k of [K, P]) {
    const pa = k.put(A), pb = k.put(B), pc = k.put(new Float32Array(M * N));
    k.e.lstm_simd() ? k.e.gemm__wasmsimd(M, N, Kd, pa, Kd, pb, N, pc, N, 0) : k.e.gemm__scalar(M, N, Kd, pa, Kd, pb, N, pc, N, 0);
    out.push(k.get(pc, M * N));
    k.freeAll();
  }
  assert.equal(K.e.lstm_simd(), 1);
  assert.equal(P.e.lstm_simd(), 0);
  sameBits(out[0], out[1], 'SIMD build gemm vs plain build gemm');
});
