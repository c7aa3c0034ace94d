/*
 * kernels_wasmsimd.c — SIMD128 twins of kernels_scalar.c: the same float operations in the same
 * order, four lanes at a time, with the scalar math of kernels.h for the tails. Compiled for wasm
 * with -msimd128, natively through SIMDe (USE_SIMDE) for sanitizer tests, and not at all otherwise.
 * Kernel bodies: constants splatted once -> main vector loop -> scalar tail; no out-of-bounds reads.
 */
#include "kernels.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(USE_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#if K_HAVE_SIMD
#include <math.h>

typedef v128_t f4;
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define SPLAT(x) wasm_f32x4_splat(x)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define DIV wasm_f32x4_div

/* ---- math: the four-lane k_exp_parts / k_exp_neg / k_sigmoid / k_tanh ------------------------ */
static inline void v_exp_parts(f4 z, f4* s_out, f4* tsp) {
  z = wasm_f32x4_pmax(z, SPLAT(K_ZMIN)); /* pmax(a, b) = a < b ? b : a, as the scalar clamp */
  const f4 magic = SPLAT(K_MAGIC);
  f4 nm = ADD(MUL(z, SPLAT(K_LOG2E)), magic), n = SUB(nm, magic);
  /* s = 2^n from nm's bits, as in k_exp_parts (i32x4.trunc_sat would cost a long V8 sequence) */
  f4 s = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(nm, magic), wasm_i32x4_splat(127)), 23);
  f4 t = SUB(z, MUL(n, SPLAT(K_LN2_HI)));
  t = SUB(t, MUL(n, SPLAT(K_LN2_LO)));
  f4 p = ADD(MUL(SPLAT(K_C5), t), SPLAT(K_C4));
  p = ADD(MUL(p, t), SPLAT(K_C3));
  p = ADD(MUL(p, t), SPLAT(K_C2));
  p = ADD(MUL(p, t), SPLAT(K_C1));
  *s_out = s;
  *tsp = MUL(MUL(t, s), p);
}

static inline f4 v_exp_neg(f4 z) {
  f4 s, tsp;
  v_exp_parts(z, &s, &tsp);
  return ADD(tsp, s);
}

static inline f4 v_sigmoid(f4 x) {
  f4 z = wasm_v128_or(x, wasm_i32x4_splat((int32_t)0x80000000u));
  f4 e = v_exp_neg(z);
  f4 f = DIV(e, ADD(e, SPLAT(1.0f)));
  return wasm_v128_bitselect(SUB(SPLAT(1.0f), f), f, wasm_f32x4_gt(x, SPLAT(0.0f)));
}

static inline f4 v_tanh(f4 x) {
  const f4 sign = wasm_i32x4_splat((int32_t)0x80000000u);
  f4 ax = wasm_v128_andnot(x, sign);
  f4 s, tsp;
  v_exp_parts(MUL(SPLAT(-2.0f), ax), &s, &tsp);
  f4 m = ADD(tsp, SUB(s, SPLAT(1.0f)));
  f4 y = DIV(wasm_f32x4_neg(m), ADD(m, SPLAT(2.0f)));
  return wasm_v128_or(wasm_v128_andnot(y, sign), wasm_v128_and(x, sign));
}

/* ---- gemm -------------------------------------------------------------------------------------
 * Register blocks of 4 rows × 8 columns (8 accumulators). For M >= 8, the classic cache blocking:
 * K in chunks of KC, N in chunks of NC whose 8-column panels of B are packed contiguously (no
 * strided rows, no TLB misses), M in chunks of MC rows of A that stay in L2 while every panel is
 * swept. Each C element still sums its k in order: a chunk stores the running sum and the next
 * chunk reloads it, so the result is bit-identical to the scalar twin. Small M (a single sequence)
 * streams B unpacked: packing would cost as much as the product. gemm_packed runs the same blocks
 * on panels the caller packed once (kernels.h): 8 wide for many rows, 32 wide for one. */
#define GEMM_KC 128
#define GEMM_NC 256
#define GEMM_MC 128
/* The blocks below are inlined into each caller, so that ldb (8, 32 or the caller's) is a constant
 * there: out of line, with a variable ld, the 4×8 block runs ~12 % slower. */
#define GEMM_INLINE static inline __attribute__((always_inline))

GEMM_INLINE void gemm_4x8(int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                            int acc) {
  f4 c00, c01, c10, c11, c20, c21, c30, c31;
  if (acc) {
    c00 = LD(C), c01 = LD(C + 4);
    c10 = LD(C + ldc), c11 = LD(C + ldc + 4);
    c20 = LD(C + 2 * ldc), c21 = LD(C + 2 * ldc + 4);
    c30 = LD(C + 3 * ldc), c31 = LD(C + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = SPLAT(0.0f);
  }
  const float *a0 = A, *a1 = A + lda, *a2 = A + 2 * lda, *a3 = A + 3 * lda;
  for (int k = 0; k < K; k++) {
    const float* b = B + (size_t)k * ldb;
    f4 b0 = LD(b), b1 = LD(b + 4);
    f4 x = wasm_v128_load32_splat(a0 + k);
    c00 = ADD(c00, MUL(x, b0)), c01 = ADD(c01, MUL(x, b1));
    x = wasm_v128_load32_splat(a1 + k);
    c10 = ADD(c10, MUL(x, b0)), c11 = ADD(c11, MUL(x, b1));
    x = wasm_v128_load32_splat(a2 + k);
    c20 = ADD(c20, MUL(x, b0)), c21 = ADD(c21, MUL(x, b1));
    x = wasm_v128_load32_splat(a3 + k);
    c30 = ADD(c30, MUL(x, b0)), c31 = ADD(c31, MUL(x, b1));
  }
  ST(C, c00), ST(C + 4, c01);
  ST(C + ldc, c10), ST(C + ldc + 4, c11);
  ST(C + 2 * ldc, c20), ST(C + 2 * ldc + 4, c21);
  ST(C + 3 * ldc, c30), ST(C + 3 * ldc + 4, c31);
}

GEMM_INLINE void gemm_1x8(int K, const float* A, const float* B, int ldb, float* C, int acc) {
  f4 c0 = acc ? LD(C) : SPLAT(0.0f), c1 = acc ? LD(C + 4) : SPLAT(0.0f);
  for (int k = 0; k < K; k++) {
    const float* b = B + (size_t)k * ldb;
    f4 x = wasm_v128_load32_splat(A + k);
    c0 = ADD(c0, MUL(x, LD(b))), c1 = ADD(c1, MUL(x, LD(b + 4)));
  }
  ST(C, c0), ST(C + 4, c1);
}

/* One row × 32 columns: eight independent accumulator chains hide the add latency that limits a
 * matrix-vector product (one sequence: sampling, batch-1 training). */
GEMM_INLINE void gemm_1x32(int K, const float* A, const float* B, int ldb, float* C, int acc) {
  f4 c[8];
  for (int q = 0; q < 8; q++) c[q] = acc ? LD(C + 4 * q) : SPLAT(0.0f);
  for (int k = 0; k < K; k++) {
    const float* b = B + (size_t)k * ldb;
    f4 x = wasm_v128_load32_splat(A + k);
    c[0] = ADD(c[0], MUL(x, LD(b))), c[1] = ADD(c[1], MUL(x, LD(b + 4)));
    c[2] = ADD(c[2], MUL(x, LD(b + 8))), c[3] = ADD(c[3], MUL(x, LD(b + 12)));
    c[4] = ADD(c[4], MUL(x, LD(b + 16))), c[5] = ADD(c[5], MUL(x, LD(b + 20)));
    c[6] = ADD(c[6], MUL(x, LD(b + 24))), c[7] = ADD(c[7], MUL(x, LD(b + 28)));
  }
  for (int q = 0; q < 8; q++) ST(C + 4 * q, c[q]);
}

GEMM_INLINE void gemm_1x4(int K, const float* A, const float* B, int ldb, float* C, int acc) {
  f4 c0 = acc ? LD(C) : SPLAT(0.0f);
  for (int k = 0; k < K; k++) c0 = ADD(c0, MUL(wasm_v128_load32_splat(A + k), LD(B + (size_t)k * ldb)));
  ST(C, c0);
}

/* Columns [j0, N) that do not fill an 8-wide panel: 4-wide, then one at a time. */
static void gemm_tail_cols(int M, int N, int j0, int K, const float* A, int lda, const float* B, int ldb,
                           float* C, int ldc, int acc) {
  int j = j0;
  for (; j + 4 <= N; j += 4)
    for (int i = 0; i < M; i++) gemm_1x4(K, A + (size_t)i * lda, B + j, ldb, C + (size_t)i * ldc + j, acc);
  for (; j < N; j++)
    for (int i = 0; i < M; i++) {
      float c = acc ? C[(size_t)i * ldc + j] : 0.0f;
      for (int k = 0; k < K; k++) c += A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
      C[(size_t)i * ldc + j] = c;
    }
}

/* Rows [i0, i1) against one 8-column panel of B (ld ldb, packed panels have ldb 8). */
GEMM_INLINE void gemm_rows_x8(int i0, int i1, int K, const float* A, int lda, const float* B, int ldb,
                                float* C, int ldc, int acc) {
  int i = i0;
  for (; i + 4 <= i1; i += 4) gemm_4x8(K, A + (size_t)i * lda, lda, B, ldb, C + (size_t)i * ldc, ldc, acc);
  for (; i < i1; i++) gemm_1x8(K, A + (size_t)i * lda, B, ldb, C + (size_t)i * ldc, acc);
}

/* One row × four 8-column panels (32 columns in four contiguous streams, 8·K apart): gemm_1x32 for
 * panels of 8. */
GEMM_INLINE void gemm_1x32p(int K, const float* A, const float* P, float* C, int acc) {
  f4 c[8];
  for (int q = 0; q < 8; q++) c[q] = acc ? LD(C + 4 * q) : SPLAT(0.0f);
  const float *p0 = P, *p1 = P + (size_t)8 * K, *p2 = P + (size_t)16 * K, *p3 = P + (size_t)24 * K;
  for (int k = 0; k < K; k++) {
    f4 x = wasm_v128_load32_splat(A + k);
    c[0] = ADD(c[0], MUL(x, LD(p0))), c[1] = ADD(c[1], MUL(x, LD(p0 + 4)));
    c[2] = ADD(c[2], MUL(x, LD(p1))), c[3] = ADD(c[3], MUL(x, LD(p1 + 4)));
    c[4] = ADD(c[4], MUL(x, LD(p2))), c[5] = ADD(c[5], MUL(x, LD(p2 + 4)));
    c[6] = ADD(c[6], MUL(x, LD(p3))), c[7] = ADD(c[7], MUL(x, LD(p3 + 4)));
    p0 += 8, p1 += 8, p2 += 8, p3 += 8;
  }
  for (int q = 0; q < 8; q++) ST(C + 4 * q, c[q]);
}

/* C (+)= A B with B's first N & ~7 columns either packed here per (KC, NC) block (P == NULL) or
 * read from the caller's 8-column panels P (gemm_packed); the tail columns always from B. Inlined
 * into both kernels: gemm's copy loses every P branch (P is NULL there). */
static inline __attribute__((always_inline)) void gemm_any(int M, int N, int K, const float* A, int lda,
                                                           const float* P, const float* B, int ldb, float* C,
                                                           int ldc, int acc) {
  int N8 = N & ~7;
  if (M < 4) {
    int N32 = N & ~31;
    for (int i = 0; i < M; i++) {
      const float* a = A + (size_t)i * lda;
      float* c = C + (size_t)i * ldc;
      for (int j = 0; j < N32; j += 32) {
        if (P) gemm_1x32p(K, a, P + (size_t)j * K, c + j, acc);
        else gemm_1x32(K, a, B + j, ldb, c + j, acc);
      }
      for (int j = N32; j < N8; j += 8) {
        if (P) gemm_1x8(K, a, P + (size_t)j * K, 8, c + j, acc);
        else gemm_1x8(K, a, B + j, ldb, c + j, acc);
      }
    }
    gemm_tail_cols(M, N, N8, K, A, lda, B, ldb, C, ldc, acc);
    return;
  }
  if (M < 8) {
    for (int j = 0; j < N8; j += 8) {
      if (P) gemm_rows_x8(0, M, K, A, lda, P + (size_t)j * K, 8, C + j, ldc, acc);
      else gemm_rows_x8(0, M, K, A, lda, B + j, ldb, C + j, ldc, acc);
    }
    gemm_tail_cols(M, N, N8, K, A, lda, B, ldb, C, ldc, acc);
    return;
  }
  float Bp[GEMM_KC * GEMM_NC]; /* packed panels: Bp[(p·kc + k)·8 + c] = B[k0 + k, j0 + 8p + c] */
  for (int k0 = 0; k0 < K || (K == 0 && k0 == 0); k0 += GEMM_KC) {
    int kc = K - k0 < GEMM_KC ? K - k0 : GEMM_KC;
    int a = acc || k0 > 0;
    for (int j0 = 0; j0 < N8; j0 += GEMM_NC) {
      int nc = N8 - j0 < GEMM_NC ? N8 - j0 : GEMM_NC;
      if (!P)
        for (int p = 0; p < nc / 8; p++)
          for (int k = 0; k < kc; k++) {
            const float* src = B + (size_t)(k0 + k) * ldb + j0 + 8 * p;
            float* dst = Bp + ((size_t)p * kc + k) * 8;
            ST(dst, LD(src)), ST(dst + 4, LD(src + 4));
          }
      for (int i0 = 0; i0 < M; i0 += GEMM_MC) {
        int i1 = M - i0 < GEMM_MC ? M : i0 + GEMM_MC;
        for (int p = 0; p < nc / 8; p++) {
          const float* panel = P ? P + (size_t)(j0 + 8 * p) * K + (size_t)k0 * 8 : Bp + (size_t)p * kc * 8;
          gemm_rows_x8(i0, i1, kc, A + k0, lda, panel, 8, C + j0 + 8 * p, ldc, a);
        }
      }
    }
    gemm_tail_cols(M, N, N8, kc, A + k0, lda, B + (size_t)k0 * ldb, ldb, C, ldc, a);
    if (K == 0) break;
  }
}

K_DECL_GEMM(wasmsimd) { gemm_any(M, N, K, A, lda, NULL, B, ldb, C, ldc, acc); }
K_DECL_GEMM_PACKED(wasmsimd) { gemm_any(M, N, K, A, lda, P, B, ldb, C, ldc, acc); }

/* One sequence on 32-column panels: one contiguous stream per 1×32 block; the rest through gemm. */
K_DECL_GEMM_PANELS(wasmsimd) {
  int N32 = N & ~31;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N32; j += 32)
      gemm_1x32(K, A + (size_t)i * lda, P + (size_t)j * K, 32, C + (size_t)i * ldc + j, acc);
  if (N32 < N) gemm__wasmsimd(M, N - N32, K, A, lda, B + N32, ldb, C + N32, ldc, acc);
}

/* ---- gate activations: the four-lane k_gate / k_gate_grad --------------------------------------
 * act is the same for every call of a step, so the branch is perfectly predicted. */
static inline f4 v_hard_sigmoid(f4 x) {
  f4 t = ADD(MUL(SPLAT(K_HARD_SLOPE), x), SPLAT(0.5f));
  return wasm_f32x4_pmax(wasm_f32x4_pmin(t, SPLAT(1.0f)), SPLAT(0.0f));
}
static inline f4 v_gate(f4 x, int act) { return act == K_ACT_HARD ? v_hard_sigmoid(x) : v_sigmoid(x); }
static inline f4 v_gate_grad(f4 a, int act) {
  if (act == K_ACT_HARD) {
    f4 inside = wasm_v128_and(wasm_f32x4_gt(a, SPLAT(0.0f)), wasm_f32x4_lt(a, SPLAT(1.0f)));
    return wasm_v128_and(inside, SPLAT(K_HARD_SLOPE));
  }
  return MUL(a, SUB(SPLAT(1.0f), a));
}

/* ---- cells --------------------------------------------------------------------------------- */
K_DECL_LSTM_FWD(wasmsimd) {
  for (int b = 0; b < B; b++) {
    float* gi = gates + (size_t)b * ldg;
    float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    const float* cp = cprev + (size_t)b * H;
    float *cb = c + (size_t)b * H, *hb = h + (size_t)b * ldh;
    /* One activation per loop, not five per unit: each pass is a single exp chain per vector, so
     * the out-of-order window holds several of them at once (the fused loop's five long chains
     * per unit left it latency-bound). i and f are contiguous: one pass over 2H. */
    int H4 = H & ~3;
    for (int j = 0; j < H4; j += 4) ST(gi + j, v_gate(LD(gi + j), act)), ST(gf + j, v_gate(LD(gf + j), act));
    for (int j = 0; j < H4; j += 4) ST(go + j, v_gate(LD(go + j), act));
    for (int j = 0; j < H4; j += 4) ST(gg + j, v_tanh(LD(gg + j)));
    for (int j = 0; j < H4; j += 4) {
      f4 cj = ADD(MUL(LD(gf + j), LD(cp + j)), MUL(LD(gi + j), LD(gg + j)));
      ST(cb + j, cj), ST(hb + j, MUL(LD(go + j), v_tanh(cj)));
    }
    for (int j = H4; j < H; j++) k_lstm_fwd_unit(gi, gf, gg, go, cp, cb, hb, j, act);
  }
}

K_DECL_LSTM_BWD(wasmsimd) {
  const f4 one = SPLAT(1.0f);
  for (int b = 0; b < B; b++) {
    const float* gi = gates + (size_t)b * ldg;
    const float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    float* di = dgates + (size_t)b * ldg;
    float *df = di + H, *dg = di + 2 * H, *dout = di + 3 * H;
    const float *cp = cprev + (size_t)b * H, *cb = c + (size_t)b * H, *dhb = dh + (size_t)b * H;
    float* dcb = dc + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      f4 i = LD(gi + j), f = LD(gf + j), g = LD(gg + j), o = LD(go + j), tj = v_tanh(LD(cb + j)), d = LD(dhb + j);
      f4 dc_ = ADD(LD(dcb + j), MUL(MUL(d, o), SUB(one, MUL(tj, tj))));
      ST(dout + j, MUL(MUL(d, tj), v_gate_grad(o, act)));
      ST(di + j, MUL(MUL(dc_, g), v_gate_grad(i, act)));
      ST(df + j, MUL(MUL(dc_, LD(cp + j)), v_gate_grad(f, act)));
      ST(dg + j, MUL(MUL(dc_, i), SUB(one, MUL(g, g))));
      ST(dcb + j, MUL(dc_, f));
    }
    for (; j < H; j++) k_lstm_bwd_unit(gi, gf, gg, go, cp, cb, dhb, dcb, di, df, dg, dout, j, act);
  }
}

K_DECL_GRU_FWD(wasmsimd) {
  const f4 one = SPLAT(1.0f);
  for (int b = 0; b < B; b++) {
    float* xr = gx + (size_t)b * 3 * H;
    float *xz = xr + H, *xn = xr + 2 * H;
    const float* hr = gh + (size_t)b * 3 * H;
    const float *hz = hr + H, *hn = hr + 2 * H;
    const float* hp = hprev + (size_t)b * ldp;
    float* hb = h + (size_t)b * ldh;
    /* one activation per loop (see lstm_cell_fwd): r and z are contiguous, one pass over 2H */
    int H4 = H & ~3;
    for (int j = 0; j < H4; j += 4) {
      ST(xr + j, v_gate(ADD(LD(xr + j), LD(hr + j)), act));
      ST(xz + j, v_gate(ADD(LD(xz + j), LD(hz + j)), act));
    }
    for (int j = 0; j < H4; j += 4) {
      f4 n = v_tanh(ADD(LD(xn + j), MUL(LD(xr + j), LD(hn + j)))), z = LD(xz + j);
      ST(xn + j, n), ST(hb + j, ADD(MUL(SUB(one, z), n), MUL(z, LD(hp + j))));
    }
    for (int j = H4; j < H; j++) k_gru_fwd_unit(xr, xz, xn, hr, hz, hn, hp, hb, j, act);
  }
}

K_DECL_GRU_BWD(wasmsimd) {
  const f4 one = SPLAT(1.0f);
  for (int b = 0; b < B; b++) {
    const float* ar = acts + (size_t)b * 3 * H;
    const float *az = ar + H, *an = ar + 2 * H;
    const float* hn = gh + (size_t)b * 3 * H + 2 * H;
    const float *hp = hprev + (size_t)b * ldp, *d = dh + (size_t)b * H;
    float *xr = dgx + (size_t)b * 3 * H, *yr = dgh + (size_t)b * 3 * H;
    float* dhp = dhprev + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      f4 r = LD(ar + j), z = LD(az + j), n = LD(an + j), ghn = LD(hn + j), dj = LD(d + j);
      f4 dn = MUL(MUL(dj, SUB(one, z)), SUB(one, MUL(n, n)));
      f4 dz = MUL(MUL(dj, SUB(LD(hp + j), n)), v_gate_grad(z, act));
      f4 dr = MUL(MUL(dn, ghn), v_gate_grad(r, act));
      ST(xr + j, dr), ST(xr + H + j, dz), ST(xr + 2 * H + j, dn);
      ST(yr + j, dr), ST(yr + H + j, dz), ST(yr + 2 * H + j, MUL(dn, r));
      ST(dhp + j, MUL(dj, z));
    }
    for (; j < H; j++) k_gru_bwd_unit(ar, hn, hp, d, xr, yr, dhp, H, j, act);
  }
}

K_DECL_RNN_FWD(wasmsimd) {
  for (int b = 0; b < B; b++) {
    const float* p = pre + (size_t)b * H;
    float* hb = h + (size_t)b * ldh;
    int j = 0;
    for (; j + 4 <= H; j += 4) ST(hb + j, v_tanh(LD(p + j)));
    for (; j < H; j++) hb[j] = k_tanh(p[j]);
  }
}

K_DECL_RNN_BWD(wasmsimd) {
  const f4 one = SPLAT(1.0f);
  for (int b = 0; b < B; b++) {
    const float* hb = h + (size_t)b * ldh;
    const float* d = dh + (size_t)b * H;
    float* o = dpre + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      f4 hj = LD(hb + j);
      ST(o + j, MUL(LD(d + j), SUB(one, MUL(hj, hj))));
    }
    for (; j < H; j++) o[j] = d[j] * (1.0f - hb[j] * hb[j]);
  }
}

/* ---- softmax ------------------------------------------------------------------------------- */
static float v_row_expsum(int O, const float* x, float mx, float* e) {
  f4 s = SPLAT(0.0f), m = SPLAT(mx);
  int k = 0;
  for (; k + 4 <= O; k += 4) {
    f4 v = v_exp_neg(SUB(LD(x + k), m));
    ST(e + k, v);
    s = ADD(s, v);
  }
  float l[4] = {wasm_f32x4_extract_lane(s, 0), wasm_f32x4_extract_lane(s, 1), wasm_f32x4_extract_lane(s, 2),
                wasm_f32x4_extract_lane(s, 3)};
  for (; k < O; k++) {
    e[k] = k_exp_neg(x[k] - mx);
    l[k & 3] += e[k];
  }
  return (l[0] + l[1]) + (l[2] + l[3]);
}

static void v_scale(int n, float* y, float a) {
  f4 va = SPLAT(a);
  int k = 0;
  for (; k + 4 <= n; k += 4) ST(y + k, MUL(LD(y + k), va));
  for (; k < n; k++) y[k] = y[k] * a;
}

K_DECL_SOFTMAX_XENT(wasmsimd) { return k_softmax_xent_rows(N, O, logits, tgt, scale, dlogits, v_row_expsum, v_scale); }

K_DECL_SOFTMAX(wasmsimd) { k_softmax_rows(N, O, in, out, v_row_expsum, v_scale); }

K_DECL_SUMSQ(wasmsimd) {
  f4 lo = wasm_f64x2_splat(0.0), hi = wasm_f64x2_splat(0.0); /* lanes 0,1 and 2,3 in float64 */
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    f4 v = LD(x + k);
    f4 a = wasm_f64x2_promote_low_f32x4(v), b = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    lo = wasm_f64x2_add(lo, wasm_f64x2_mul(a, a));
    hi = wasm_f64x2_add(hi, wasm_f64x2_mul(b, b));
  }
  double l[4] = {wasm_f64x2_extract_lane(lo, 0), wasm_f64x2_extract_lane(lo, 1), wasm_f64x2_extract_lane(hi, 0),
                 wasm_f64x2_extract_lane(hi, 1)};
  for (; k < n; k++) l[k & 3] += (double)x[k] * (double)x[k];
  return (l[0] + l[1]) + (l[2] + l[3]);
}

/* ---- optimizers ---------------------------------------------------------------------------- */
/* k_ftz on four lanes: 0 where |x| < 2^-126, x elsewhere (NaN stays NaN) */
static inline f4 v_ftz(f4 x) { return wasm_v128_andnot(x, wasm_f32x4_lt(wasm_f32x4_abs(x), SPLAT(K_MIN_NORMAL))); }

K_DECL_ADAM(wasmsimd) {
  const f4 vb1 = SPLAT(b1), vb2 = SPLAT(b2), vc1 = SPLAT(1.0f - b1), vc2 = SPLAT(1.0f - b2);
  const f4 va = SPLAT(a), vrb2 = SPLAT(rb2), veps = SPLAT(eps), vwd = SPLAT(lrwd);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    f4 gk = LD(g + k), pk = LD(p + k);
    f4 mk = ADD(MUL(vb1, LD(m + k)), MUL(vc1, gk));
    f4 vk = ADD(MUL(vb2, LD(v + k)), MUL(vc2, MUL(gk, gk)));
    ST(m + k, v_ftz(mk)), ST(v + k, v_ftz(vk));
    pk = SUB(pk, MUL(vwd, pk));
    ST(p + k, v_ftz(SUB(pk, DIV(MUL(va, mk), ADD(MUL(wasm_f32x4_sqrt(vk), vrb2), veps)))));
  }
  for (; k < n; k++) k_adam_elem(p, g, m, v, a, b1, b2, rb2, eps, lrwd, k);
}

K_DECL_SGD(wasmsimd) {
  const f4 vmu = SPLAT(mu), vlr = SPLAT(lr), vwd = SPLAT(lrwd);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    f4 mk = ADD(MUL(vmu, LD(m + k)), LD(g + k));
    ST(m + k, v_ftz(mk));
    f4 pk = LD(p + k);
    pk = SUB(pk, MUL(vwd, pk));
    ST(p + k, v_ftz(SUB(pk, MUL(vlr, mk))));
  }
  for (; k < n; k++) k_sgd_elem(p, g, m, lr, mu, lrwd, k);
}

K_DECL_RMSPROP(wasmsimd) {
  const f4 vrho = SPLAT(rho), vc = SPLAT(1.0f - rho), vlr = SPLAT(lr), veps = SPLAT(eps), vwd = SPLAT(lrwd);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    f4 gk = LD(g + k);
    f4 vk = ADD(MUL(vrho, LD(v + k)), MUL(vc, MUL(gk, gk)));
    ST(v + k, v_ftz(vk));
    f4 pk = LD(p + k);
    pk = SUB(pk, MUL(vwd, pk));
    ST(p + k, v_ftz(SUB(pk, DIV(MUL(vlr, gk), ADD(wasm_f32x4_sqrt(vk), veps)))));
  }
  for (; k < n; k++) k_rmsprop_elem(p, g, v, lr, rho, eps, lrwd, k);
}

K_DECL_ADAGRAD(wasmsimd) {
  const f4 vlr = SPLAT(lr), veps = SPLAT(eps), vwd = SPLAT(lrwd);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    f4 gk = LD(g + k);
    f4 vk = ADD(LD(v + k), MUL(gk, gk));
    ST(v + k, v_ftz(vk));
    f4 pk = LD(p + k);
    pk = SUB(pk, MUL(vwd, pk));
    ST(p + k, v_ftz(SUB(pk, DIV(MUL(vlr, gk), ADD(wasm_f32x4_sqrt(vk), veps)))));
  }
  for (; k < n; k++) k_adagrad_elem(p, g, v, lr, eps, lrwd, k);
}

#endif /* K_HAVE_SIMD */
