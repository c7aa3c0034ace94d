/*
 * kernels.h — the hot kernels: contracts, the shared math, and the ONE dispatch block.
 *
 * Every kernel exists twice with the same signature and the same algorithm:
 *   name__scalar    (kernels_scalar.c)   the specification, one lane at a time
 *   name__wasmsimd  (kernels_wasmsimd.c) four lanes with WebAssembly SIMD128 intrinsics
 *                                        (natively through SIMDe, for sanitizer tests)
 * The twins perform the same float operations in the same order (no FMA: wasm has none, and native
 * builds use -ffp-contract=off), so their results are bit-identical; tests check that and compare
 * both with a float64 reference. Model code calls the unsuffixed names mapped at the end of this
 * file; there is no other ISA #if anywhere.
 *
 * Shapes: matrices are row-major with an explicit leading dimension (ld*, in floats).
 */
#ifndef LSTM_KERNELS_H
#define LSTM_KERNELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- sigmoid and tanh ----------------------------------------------------------------------
 * Both come from one approximation of e^z − 1 for z in [−87, 0] (XNNPACK's rr2-p5 scheme):
 *   n = round(z / ln2)                      (magic-number rounding)
 *   t = z − n·ln2                           (ln2 split in hi + lo: |t| ≤ ln2/2, exact reduction)
 *   p = c1 + t(c2 + t(c3 + t(c4 + t c5)))   (minimax: e^t ≈ 1 + t p)
 *   e^z = s + (t s) p,  e^z − 1 = (s − 1) + (t s) p,  s = 2^n   (built in the exponent bits)
 * sigmoid(x) = f or 1 − f with f = e/(1 + e), e = e^(−|x|)
 * tanh(x)    = sign(x) · −m/(2 + m) with m = e^(−2|x|) − 1 (accurate near 0: no cancellation)
 * Measured maximum absolute error on a 1e-5 grid over [−20, 20] (tests/native/test_kernels.c, which
 * asserts the bounds): sigmoid 9e-8 (bound 2e-7), tanh 1.5e-7 (bound 3e-7); float32 rounding of
 * the exact functions alone is up to 6e-8. Relative error of e^z on [−87, 0] 1.8e-7 and of
 * sigmoid(x < 0) 2.6e-7 (bound 1e-6): tiny values (softmax tails) stay accurate and positive. */
#define K_LOG2E 0x1.715476p+0f
#define K_MAGIC 0x1.8p23f /* adding and subtracting it rounds a float of magnitude < 2^22 to an integer */
#define K_LN2_HI 0x1.62E400p-1f
#define K_LN2_LO 0x1.7F7D1Cp-20f
#define K_C5 0x1.0F9F9Cp-7f
#define K_C4 0x1.573A1Ap-5f
#define K_C3 0x1.555A80p-3f
#define K_C2 0x1.FFFDC6p-2f
#define K_C1 0x1.FFFFF6p-1f
#define K_ZMIN (-87.0f)

static inline uint32_t k_f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float k_u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* e^z = s + tsp with s = 2^n and tsp = (t s) p, for z <= 0 (clamped at K_ZMIN). Callers add the
 * parts themselves: e^z = tsp + s, and e^z − 1 = tsp + (s − 1) (exact near 0, where s = 1). */
static inline void k_exp_parts(float z, float* s_out, float* tsp) {
  z = z < K_ZMIN ? K_ZMIN : z;
  float nm = z * K_LOG2E + K_MAGIC, n = nm - K_MAGIC;
  /* s = 2^n: n, an integer in [-126, 0], is in nm's low mantissa bits (no float-to-int
   * conversion, which V8 lowers to a long sequence for the SIMD twin; a NaN z makes t NaN) */
  float s = k_u2f((k_f2u(nm) - k_f2u(K_MAGIC) + 127u) << 23);
  float t = z - n * K_LN2_HI;
  t = t - n * K_LN2_LO;
  float p = K_C5 * t + K_C4;
  p = p * t + K_C3;
  p = p * t + K_C2;
  p = p * t + K_C1;
  *s_out = s;
  *tsp = (t * s) * p;
}

static inline float k_exp_neg(float z) { /* e^z for z <= 0 */
  float s, tsp;
  k_exp_parts(z, &s, &tsp);
  return tsp + s;
}

static inline float k_sigmoid(float x) {
  float z = k_u2f(k_f2u(x) | 0x80000000u); /* −|x| */
  float e = k_exp_neg(z);
  float f = e / (e + 1.0f);
  return x > 0.0f ? 1.0f - f : f;
}

static inline float k_tanh(float x) {
  float ax = k_u2f(k_f2u(x) & 0x7FFFFFFFu);
  float s, tsp;
  k_exp_parts(-2.0f * ax, &s, &tsp);
  float m = tsp + (s - 1.0f);
  float y = -m / (m + 2.0f);
  return k_u2f((k_f2u(y) & 0x7FFFFFFFu) | (k_f2u(x) & 0x80000000u));
}

/* ---- gate activations: the sigmoid gates (LSTM i f o, GRU r z) use one of two functions ---------
 *   K_ACT_SIGMOID  σ(x) = 1 / (1 + e^−x)                          (PyTorch, Keras default)
 *   K_ACT_HARD     hard σ(x) = max(0, min(1, 0.2·x + 0.5))        (TF.js's default recurrentActivation,
 *                                                                  Keras 2's hard_sigmoid)
 * Backward needs only the activation a: σ' = a(1 − a); hard σ' = 0.2 where 0 < a < 1, else 0 (at the
 * two kinks, a measure-zero set, the derivative is taken as 0). min/max are written as wasm's
 * pmin/pmax (b < a ? b : a / a < b ? b : a), so NaN propagates and both twins agree bit for bit. */
enum { K_ACT_SIGMOID = 0, K_ACT_HARD = 1 };
#define K_HARD_SLOPE 0.2f

static inline float k_hard_sigmoid(float x) {
  float t = K_HARD_SLOPE * x + 0.5f;
  t = 1.0f < t ? 1.0f : t;
  return t < 0.0f ? 0.0f : t;
}
static inline float k_gate(float x, int act) { return act == K_ACT_HARD ? k_hard_sigmoid(x) : k_sigmoid(x); }
static inline float k_gate_grad(float a, int act) {
  return act == K_ACT_HARD ? (a > 0.0f && a < 1.0f ? K_HARD_SLOPE : 0.0f) : a * (1.0f - a);
}

/* ---- one element of each elementwise kernel ---------------------------------------------------
 * The scalar twin's loop body and the SIMD twin's tail are these same functions, so the algorithm
 * is written once. Arguments are the rows' base pointers and the unit index j. */

/* LSTM forward: [i f g o] pre-activations -> activations (in place); c = f·cprev + i·g; h = o·tanh(c) */
static inline void k_lstm_fwd_unit(float* gi, float* gf, float* gg, float* go, const float* cp, float* c,
                                   float* h, int j, int act) {
  float i = k_gate(gi[j], act), f = k_gate(gf[j], act), g = k_tanh(gg[j]), o = k_gate(go[j], act);
  float cj = f * cp[j] + i * g; /* c' = f ⊙ c + i ⊙ g */
  gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o;
  c[j] = cj, h[j] = o * k_tanh(cj); /* h' = o ⊙ tanh(c') */
}

/* LSTM backward (see K_DECL_LSTM_BWD); reads every input of unit j before it writes (in place). */
static inline void k_lstm_bwd_unit(const float* gi, const float* gf, const float* gg, const float* go,
                                   const float* cp, const float* c, const float* dh, float* dc, float* di,
                                   float* df, float* dg, float* dout, int j, int act) {
  float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = k_tanh(c[j]);
  float dc_ = dc[j] + (dh[j] * o) * (1.0f - t * t);
  dout[j] = (dh[j] * t) * k_gate_grad(o, act);
  di[j] = (dc_ * g) * k_gate_grad(i, act);
  df[j] = (dc_ * cp[j]) * k_gate_grad(f, act);
  dg[j] = (dc_ * i) * (1.0f - g * g);
  dc[j] = dc_ * f;
}

/* GRU forward: x rows [r z n] (in: x Wx + bx; out: activations), gh rows [r z n] = h Wh + bh */
static inline void k_gru_fwd_unit(float* xr, float* xz, float* xn, const float* hr, const float* hz,
                                  const float* hn, const float* hp, float* h, int j, int act) {
  float r = k_gate(xr[j] + hr[j], act);
  float z = k_gate(xz[j] + hz[j], act);
  float n = k_tanh(xn[j] + r * hn[j]);
  xr[j] = r, xz[j] = z, xn[j] = n;
  h[j] = (1.0f - z) * n + z * hp[j];
}

/* GRU backward (see K_DECL_GRU_BWD): a = activations [r z n], hn = gh's n block, H the block
 * stride of dgx / dgh; reads every input of unit j before it writes (in place). */
static inline void k_gru_bwd_unit(const float* a, const float* hn, const float* hp, const float* dh, float* dgx,
                                  float* dgh, float* dhp, int H, int j, int act) {
  float r = a[j], z = a[H + j], n = a[2 * H + j], ghn = hn[j], d = dh[j];
  float dn = (d * (1.0f - z)) * (1.0f - n * n);
  float dz = (d * (hp[j] - n)) * k_gate_grad(z, act);
  float dr = (dn * ghn) * k_gate_grad(r, act);
  dgx[j] = dr, dgx[H + j] = dz, dgx[2 * H + j] = dn;
  dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
  dhp[j] = d * z;
}

/* Flush to zero: a value below the smallest normal float (2^-126) becomes 0. The optimizer flushes
 * what it stores, because moments of parameters that get no gradient (the embedding rows of unused
 * tokens) decay geometrically into denormals, whose arithmetic is many times slower on many CPUs
 * (wasm cannot switch the CPU's flush-to-zero mode on). Both twins flush the same values. */
#define K_MIN_NORMAL 0x1p-126f
static inline float k_ftz(float x) { return (x < K_MIN_NORMAL && x > -K_MIN_NORMAL) ? 0.0f : x; }

/* Optimizers, element k (see K_DECL_ADAM etc.); decay first, as PyTorch's AdamW; what is stored
 * is flushed to zero (k_ftz). */
static inline void k_adam_elem(float* p, const float* g, float* m, float* v, float a, float b1, float b2,
                               float rb2, float eps, float lrwd, int k) {
  float mk = b1 * m[k] + (1.0f - b1) * g[k];
  float vk = b2 * v[k] + (1.0f - b2) * (g[k] * g[k]);
  m[k] = k_ftz(mk), v[k] = k_ftz(vk);
  float pk = p[k] - lrwd * p[k];
  p[k] = k_ftz(pk - (a * mk) / (sqrtf(vk) * rb2 + eps));
}
static inline void k_sgd_elem(float* p, const float* g, float* m, float lr, float mu, float lrwd, int k) {
  float mk = mu * m[k] + g[k];
  m[k] = k_ftz(mk);
  float pk = p[k] - lrwd * p[k];
  p[k] = k_ftz(pk - lr * mk);
}
static inline void k_rmsprop_elem(float* p, const float* g, float* v, float lr, float rho, float eps, float lrwd,
                                  int k) {
  float vk = rho * v[k] + (1.0f - rho) * (g[k] * g[k]);
  v[k] = k_ftz(vk);
  float pk = p[k] - lrwd * p[k];
  p[k] = k_ftz(pk - (lr * g[k]) / (sqrtf(vk) + eps));
}
static inline void k_adagrad_elem(float* p, const float* g, float* v, float lr, float eps, float lrwd, int k) {
  float vk = v[k] + g[k] * g[k];
  v[k] = k_ftz(vk);
  float pk = p[k] - lrwd * p[k];
  p[k] = k_ftz(pk - (lr * g[k]) / (sqrtf(vk) + eps));
}

/* The largest of a row (softmax's shift), identical in both twins. */
static inline float k_row_max(int O, const float* x) {
  float mx = x[0];
  for (int k = 1; k < O; k++) mx = x[k] > mx ? x[k] : mx;
  return mx;
}

/* The row loops of softmax and softmax_xent, written once: each twin passes its own Σ e^(x − max)
 * (which also writes the terms) and its own scaling of a row. */
typedef float (*k_expsum_fn)(int O, const float* x, float mx, float* e);
typedef void (*k_scale_fn)(int n, float* y, float a);

static inline double k_softmax_xent_rows(int N, int O, const float* logits, const int32_t* tgt, float scale,
                                         float* dlogits, k_expsum_fn expsum, k_scale_fn scale_row) {
  double loss = 0.0;
  for (int r = 0; r < N; r++) {
    const float* x = logits + (size_t)r * O;
    float* d = dlogits + (size_t)r * O;
    int y = tgt[r];
    if (y < 0) {
      for (int k = 0; k < O; k++) d[k] = 0.0f;
      continue;
    }
    float mx = k_row_max(O, x);
    float xy = x[y];
    float sum = expsum(O, x, mx, d);
    loss += (double)logf(sum) - (double)(xy - mx);
    scale_row(O, d, scale / sum);
    d[y] -= scale;
  }
  return loss;
}

static inline void k_softmax_rows(int N, int O, const float* in, float* out, k_expsum_fn expsum,
                                  k_scale_fn scale_row) {
  for (int r = 0; r < N; r++) {
    const float* x = in + (size_t)r * O;
    float* y = out + (size_t)r * O;
    float mx = k_row_max(O, x);
    scale_row(O, y, 1.0f / expsum(O, x, mx, y));
  }
}

/* Kernels stay real functions (not inlined into the model code), so that profiles name them and
 * tests can check each SIMD twin's instructions in the built module. */
#if defined(__GNUC__) || defined(__clang__)
#define K_KERNEL __attribute__((noinline))
#else
#define K_KERNEL
#endif

/* ---- contracts -----------------------------------------------------------------------------
 * gemm: C (M,N) = [C +] A (M,K) · B (K,N). Each C element is accumulated in the order
 *   c = (acc ? C : 0); for k = 0..K-1: c += A[i,k]·B[k,j]
 * so any two correct kernels agree bit for bit. */
#define K_DECL_GEMM(sfx)                                                                            \
  K_KERNEL void gemm__##sfx(int M, int N, int K, const float* restrict A, int lda, const float* restrict B,   \
                   int ldb, float* restrict C, int ldc, int acc)

/* gemm_packed, gemm_panels: gemm with the columns of B that fill whole panels of pw columns,
 * j < N & ~(pw − 1), read from a copy P packed panel by panel:
 *   P[(j/pw)·pw·K + pw·k + j%pw] = B[k, j]   (k_pack_panels)
 * gemm_packed reads panels of pw = 8, gemm_panels of pw = 32; the other columns are read from B.
 * gemm packs B itself for every call; a caller that multiplies by the same weights many times packs
 * once and calls these instead: gemm_packed for the per-step products of a batch (its 4×8 block
 * reads one contiguous panel), gemm_panels for one sequence (sampling: its 1×32 block reads one
 * contiguous stream where B's rows lie ldb apart). Any M works with either. The same sums in the
 * same order as gemm, so all three agree bit for bit. */
#define K_DECL_GEMM_PACKED(sfx)                                                                     \
  K_KERNEL void gemm_packed__##sfx(int M, int N, int K, const float* restrict A, int lda,            \
                                   const float* restrict P, const float* restrict B, int ldb,       \
                                   float* restrict C, int ldc, int acc)
#define K_DECL_GEMM_PANELS(sfx)                                                                     \
  K_KERNEL void gemm_panels__##sfx(int M, int N, int K, const float* restrict A, int lda,            \
                                   const float* restrict P, const float* restrict B, int ldb,       \
                                   float* restrict C, int ldc, int acc)

/* The panel copy: B's columns j < N & ~(pw − 1) (K rows of ld ldb), K · (N & ~(pw − 1)) floats. */
static inline size_t k_panel_floats(int K, int N, int pw) { return (size_t)K * (size_t)(N & ~(pw - 1)); }
static inline void k_pack_panels(int K, int N, const float* B, int ldb, float* P, int pw) {
  for (int j0 = 0; j0 + pw <= N; j0 += pw)
    for (int k = 0; k < K; k++)
      for (int q = 0; q < pw; q++) P[(size_t)j0 * K + (size_t)k * pw + q] = B[(size_t)k * ldb + j0 + q];
}

/* lstm_cell_fwd: one step of B rows; act = K_ACT_* is the gate function σ of i, f, o.
 *   gates (B, 4H) ld ldg: in = pre-activations [i f g o]; out = activations σ(i) σ(f) tanh(g) σ(o)
 *   c = f ⊙ cprev + i ⊙ g;  h = o ⊙ tanh(c).  cprev, c: (B, H) rows of ld H; h: (B, H) rows of ld ldh
 *   (a bidirectional layer writes each direction's h into its half of one (B, 2H) row). */
#define K_DECL_LSTM_FWD(sfx)                                                                        \
  K_KERNEL void lstm_cell_fwd__##sfx(int B, int H, int act, float* restrict gates, int ldg,         \
                                     const float* restrict cprev, float* restrict c, float* restrict h, int ldh)

/* lstm_cell_bwd: gates (B,4H) ld ldg the activations from forward, c (B,H) the cell state they
 * produced; dh (B,H) is ∂L/∂h; dc (B,H) holds ∂L/∂c from step t+1 on entry and ∂L/∂c_prev on exit;
 * dgates (B,4H) ld ldg gets ∂L/∂(pre-activations) and may be `gates` itself (in place: the
 * activations are not needed after this step's backward). tanh(c) is recomputed, not stored.
 * σ'(a) is k_gate_grad(a, act): a(1 − a) for the sigmoid.
 *   dtc = dh ⊙ o;  dc += dtc ⊙ (1 − tanh²c)
 *   do = dh ⊙ tanh c ⊙ σ'(o);  di = dc ⊙ g ⊙ σ'(i);  df = dc ⊙ cprev ⊙ σ'(f);  dg = dc ⊙ i ⊙ (1−g²)
 *   dc_prev = dc ⊙ f */
#define K_DECL_LSTM_BWD(sfx)                                                                        \
  K_KERNEL void lstm_cell_bwd__##sfx(int B, int H, int act, const float* gates, int ldg,            \
                                     const float* restrict cprev, const float* restrict c,          \
                                     const float* restrict dh, float* restrict dc, float* dgates)

/* gru_cell_fwd: gx (B,3H) = x Wx + bx (in; out: activations r z n), gh (B,3H) = h Wh + bh (in),
 *   r = σ(gx_r + gh_r); z = σ(gx_z + gh_z); n = tanh(gx_n + r ⊙ gh_n); h = (1 − z) ⊙ n + z ⊙ hprev
 * with σ the gate function act; hprev rows of ld ldp, h rows of ld ldh. */
#define K_DECL_GRU_FWD(sfx)                                                                         \
  K_KERNEL void gru_cell_fwd__##sfx(int B, int H, int act, float* restrict gx, const float* restrict gh,     \
                           const float* restrict hprev, int ldp, float* restrict h, int ldh)

/* gru_cell_bwd: acts (B,3H) = r z n, gh (B,3H) as in forward, hprev rows of ld ldp, dh (B,H) = ∂L/∂h.
 * Writes dgx (B,3H), dgh (B,3H) (∂L/∂ pre-activations on each side; in place over acts and gh is
 * allowed) and dhprev (B,H) = dh ⊙ z (the direct path; the caller adds dgh · Whᵀ).
 *   dn = dh(1−z)(1−n²); dz = dh(hprev − n) σ'(z); dr = dn gh_n σ'(r)
 *   dgx = [dr dz dn]; dgh = [dr dz dn ⊙ r] */
#define K_DECL_GRU_BWD(sfx)                                                                         \
  K_KERNEL void gru_cell_bwd__##sfx(int B, int H, int act, const float* acts, const float* gh,       \
                                    const float* restrict hprev, int ldp, const float* restrict dh,  \
                                    float* dgx, float* dgh, float* restrict dhprev)

/* rnn_cell_fwd: h = tanh(pre) for B rows of H: pre (B, H) contiguous, h rows of ld ldh.
 * rnn_cell_bwd: dpre = dh ⊙ (1 − h²): h rows of ld ldh, dh and dpre (B, H) contiguous. */
#define K_DECL_RNN_FWD(sfx)                                                                         \
  K_KERNEL void rnn_cell_fwd__##sfx(int B, int H, const float* restrict pre, float* restrict h, int ldh)
#define K_DECL_RNN_BWD(sfx)                                                                         \
  K_KERNEL void rnn_cell_bwd__##sfx(int B, int H, const float* restrict h, int ldh, const float* restrict dh, \
                                    float* restrict dpre)

/* softmax_xent: N rows of O logits (ld O). For each row r with target y = tgt[r] >= 0:
 *   p = softmax(logits_r); loss += log Σ e^(l − max) − (l_y − max); dlogits_r = scale · (p − onehot(y))
 * rows with y < 0 get dlogits 0. Returns the summed loss (float64). dlogits may alias logits.
 * The row sum runs over four interleaved partial sums (lane j takes k ≡ j mod 4), combined as
 * (s0 + s1) + (s2 + s3), in both twins. */
#define K_DECL_SOFTMAX_XENT(sfx)                                                                    \
  K_KERNEL double softmax_xent__##sfx(int N, int O, const float* logits, const int32_t* restrict tgt,        \
                             float scale, float* dlogits)

/* softmax: N rows of O, out may alias in. Same summation order as softmax_xent. */
#define K_DECL_SOFTMAX(sfx) K_KERNEL void softmax__##sfx(int N, int O, const float* in, float* out)

/* sumsq: Σ x² in float64 (squares of large finite floats overflow float32), four interleaved partial
 * sums (lane j takes k ≡ j mod 4) combined as (s0 + s1) + (s2 + s3). */
#define K_DECL_SUMSQ(sfx) K_KERNEL double sumsq__##sfx(int n, const float* restrict x)

/* adam: m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²; p −= a · m / (√v · rb2 + ε) − wd·p·lr
 *   with a = lr / (1 − β1^t) and rb2 = 1/√(1 − β2^t) (PyTorch Adam, AdamW-style decay). */
#define K_DECL_ADAM(sfx)                                                                            \
  K_KERNEL void adam__##sfx(int n, float* restrict p, const float* restrict g, float* restrict m,            \
                   float* restrict v, float a, float b1, float b2, float rb2, float eps, float lrwd)
/* sgd (momentum μ, PyTorch): m = μ m + g; p −= lr m + lrwd p */
#define K_DECL_SGD(sfx)                                                                             \
  K_KERNEL void sgd__##sfx(int n, float* restrict p, const float* restrict g, float* restrict m, float lr,   \
                  float mu, float lrwd)
/* rmsprop (PyTorch, no momentum): v = ρ v + (1−ρ) g²; p −= lr g / (√v + ε) + lrwd p */
#define K_DECL_RMSPROP(sfx)                                                                         \
  K_KERNEL void rmsprop__##sfx(int n, float* restrict p, const float* restrict g, float* restrict v,         \
                      float lr, float rho, float eps, float lrwd)
/* adagrad: v += g²; p −= lr g / (√v + ε) + lrwd p */
#define K_DECL_ADAGRAD(sfx)                                                                         \
  K_KERNEL void adagrad__##sfx(int n, float* restrict p, const float* restrict g, float* restrict v,         \
                      float lr, float eps, float lrwd)

#define K_DECL_ALL(sfx)                                                                             \
  K_DECL_GEMM(sfx);                                                                                 \
  K_DECL_GEMM_PACKED(sfx);                                                                          \
  K_DECL_GEMM_PANELS(sfx);                                                                           \
  K_DECL_LSTM_FWD(sfx);                                                                             \
  K_DECL_LSTM_BWD(sfx);                                                                             \
  K_DECL_GRU_FWD(sfx);                                                                              \
  K_DECL_GRU_BWD(sfx);                                                                              \
  K_DECL_RNN_FWD(sfx);                                                                              \
  K_DECL_RNN_BWD(sfx);                                                                              \
  K_DECL_SOFTMAX_XENT(sfx);                                                                         \
  K_DECL_SOFTMAX(sfx);                                                                              \
  K_DECL_SUMSQ(sfx);                                                                                \
  K_DECL_ADAM(sfx);                                                                                 \
  K_DECL_SGD(sfx);                                                                                  \
  K_DECL_RMSPROP(sfx);                                                                              \
  K_DECL_ADAGRAD(sfx)

K_DECL_ALL(scalar);

/* ---- the one dispatch point ---------------------------------------------------------------- */
#if defined(__wasm_simd128__) || defined(USE_SIMDE)
#define K_HAVE_SIMD 1
K_DECL_ALL(wasmsimd);
#define K_VARIANT wasmsimd
#else
#define K_HAVE_SIMD 0
#define K_VARIANT scalar
#endif

#define K_CAT_(a, b) a##__##b
#define K_CAT(a, b) K_CAT_(a, b)
#define k_gemm K_CAT(gemm, K_VARIANT)
#define k_gemm_packed K_CAT(gemm_packed, K_VARIANT)
#define k_gemm_panels K_CAT(gemm_panels, K_VARIANT)
#define k_lstm_cell_fwd K_CAT(lstm_cell_fwd, K_VARIANT)
#define k_lstm_cell_bwd K_CAT(lstm_cell_bwd, K_VARIANT)
#define k_gru_cell_fwd K_CAT(gru_cell_fwd, K_VARIANT)
#define k_gru_cell_bwd K_CAT(gru_cell_bwd, K_VARIANT)
#define k_rnn_cell_fwd K_CAT(rnn_cell_fwd, K_VARIANT)
#define k_rnn_cell_bwd K_CAT(rnn_cell_bwd, K_VARIANT)
#define k_softmax_xent K_CAT(softmax_xent, K_VARIANT)
#define k_softmax K_CAT(softmax, K_VARIANT)
#define k_sumsq K_CAT(sumsq, K_VARIANT)
#define k_adam K_CAT(adam, K_VARIANT)
#define k_sgd K_CAT(sgd, K_VARIANT)
#define k_rmsprop K_CAT(rmsprop, K_VARIANT)
#define k_adagrad K_CAT(adagrad, K_VARIANT)

#endif
