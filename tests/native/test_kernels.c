/*
 * test_kernels.c — every kernel twin against the other (bit-identical) and against a float64
 * reference, at sizes below, at, above and at multiples of the vector width, and odd sizes.
 * Built natively with SIMDe under AddressSanitizer + UBSan by scripts/native-tests.sh.
 *
 * Tolerances (absolute + relative, |got − ref| <= atol + rtol·|ref|), stated per kernel:
 *   sigmoid, tanh: atol 2e-7 / 3e-7 (the documented approximation bounds), rtol 0
 *   gemm: atol 1e-5, rtol 1e-5·K   (float32 accumulation of K products)
 *   cells fwd/bwd: atol 2e-6, rtol 1e-5, with both gate activations (sigmoid and hard sigmoid)
 *   softmax / xent: atol 1e-6, rtol 1e-5
 *   optimizers: atol 1e-6, rtol 1e-5
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static int passed, failed;
static uint64_t rs = 88172645463325252ULL;
static float urand(void) { /* [-1, 1) */
  rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
  return (float)((rs >> 40) * 0x1p-24) * 2.0f - 1.0f;
}
static void fill(float* x, int n, float scale) {
  for (int i = 0; i < n; i++) x[i] = urand() * scale;
}
static float* fa(int n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }
static double* da(int n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(double)); }

static void check(int ok, const char* what, int n, int at, double got, double ref) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s (size %d) at index %d: got %.9g expected %.9g\n", what, n, at, got, ref);
  }
}

/* bit-identical twins, then each close to the float64 reference */
static void expect(const char* what, int n, const float* a, const float* b, const double* ref, double atol,
                   double rtol) {
  int bad = -1;
  for (int i = 0; i < n && bad < 0; i++)
    if (memcmp(&a[i], &b[i], 4) != 0) bad = i;
  char msg[96];
  snprintf(msg, sizeof msg, "%s: scalar == simd", what);
  check(bad < 0, msg, n, bad, bad < 0 ? 0 : a[bad], bad < 0 ? 0 : b[bad]);
  bad = -1;
  for (int i = 0; i < n && bad < 0; i++)
    if (!(fabs(a[i] - ref[i]) <= atol + rtol * fabs(ref[i]))) bad = i;
  snprintf(msg, sizeof msg, "%s: vs float64", what);
  check(bad < 0, msg, n, bad, bad < 0 ? 0 : a[bad], bad < 0 ? 0 : ref[bad]);
}

static const int SIZES[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 100, 128, 130};
#define NS ((int)(sizeof SIZES / sizeof SIZES[0]))

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

static void test_activations(void) {
  /* every float in [-20, 20] on a fine grid, plus the extremes */
  double es = 0, et = 0;
  for (int i = -2000000; i <= 2000000; i++) {
    float x = (float)i * 1e-5f;
    es = fmax(es, fabs(k_sigmoid(x) - sig(x)));
    et = fmax(et, fabs(k_tanh(x) - tanh((double)x)));
  }
  /* relative accuracy where the values are tiny: e^z down to the clamp, sigmoid of very negative x
   * (an additive formula once lost 2^n below z = -16.6 and returned negative values there) */
  double re = 0, rs_ = 0;
  for (int i = 0; i <= 870000; i++) {
    float z = -(float)i * 1e-4f;
    double ref = exp((double)z);
    re = fmax(re, fabs(k_exp_neg(z) - ref) / ref);
    rs_ = fmax(rs_, fabs(k_sigmoid(z) - sig(z)) / sig(z));
  }
  check(re < 1e-6, "exp(z) relative error < 1e-6 on [-87, 0]", 870001, 0, re, 1e-6);
  check(rs_ < 1e-6, "sigmoid relative error < 1e-6 on [-87, 0]", 870001, 0, rs_, 1e-6);
  printf("activations: exp relative error %.3g, sigmoid (x < 0) relative error %.3g\n", re, rs_);
  check(es < 2e-7, "sigmoid max abs error < 2e-7", 4000001, 0, es, 2e-7);
  check(et < 3e-7, "tanh max abs error < 3e-7", 4000001, 0, et, 3e-7);
  printf("activations: sigmoid max abs error %.3g, tanh %.3g\n", es, et);
  const float big[] = {-1e30f, -100.0f, -88.0f, 88.0f, 100.0f, 1e30f, 0.0f, -0.0f};
  for (int i = 0; i < 8; i++) {
    float x = big[i];
    check(fabs(k_sigmoid(x) - sig(x)) < 1e-7 && fabs(k_tanh(x) - tanh(x)) < 1e-7, "activation extremes", 1, i,
          k_tanh(x), tanh(x));
  }
  check(k_tanh(1e-6f) == 1e-6f || fabs(k_tanh(1e-6f) - 1e-6) < 1e-12, "tanh accurate near 0", 1, 0, k_tanh(1e-6f), 1e-6);
}

static void test_gemm(void) {
  static const int MS[] = {1, 3, 4, 5, 8, 32, 133};
  for (int a = 0; a < 8; a++)
    for (int s = 0; s < NS; s++)
      for (int acc = 0; acc < 2; acc++) {
        /* the last round crosses every cache-block boundary (KC 128, NC 256, MC 128) */
        int M = a < 7 ? MS[a] : 300, N = a < 7 ? SIZES[s] : 8 * SIZES[s] + 5, K = a < 7 ? SIZES[(s * 7 + a) % NS] : 2 * SIZES[s] + 3;
        int lda = K + 1, ldb = N + 2, ldc = N + 3; /* leading dimensions wider than the data */
        float *A = fa(M * lda), *B = fa(K * ldb), *C1 = fa(M * ldc), *C2 = fa(M * ldc);
        double* R = da(M * ldc);
        fill(A, M * lda, 1), fill(B, K * ldb, 1), fill(C1, M * ldc, 1);
        memcpy(C2, C1, sizeof(float) * (size_t)(M * ldc));
        for (int i = 0; i < M * ldc; i++) R[i] = C1[i];
        for (int i = 0; i < M; i++)
          for (int j = 0; j < N; j++) {
            double c = acc ? C1[i * ldc + j] : 0.0;
            for (int k = 0; k < K; k++) c += (double)A[i * lda + k] * B[k * ldb + j];
            R[i * ldc + j] = c;
          }
        gemm__scalar(M, N, K, A, lda, B, ldb, C1, ldc, acc);
        gemm__wasmsimd(M, N, K, A, lda, B, ldb, C2, ldc, acc);
        char what[64];
        snprintf(what, sizeof what, "gemm M=%d N=%d K=%d acc=%d", M, N, K, acc);
        expect(what, M * ldc, C1, C2, R, 1e-5, 1e-5 * K);
        free(A), free(B), free(C1), free(C2), free(R);
      }
}

/* The gate activations in float64: the sigmoid, or the hard sigmoid clamp(0.2x + 0.5, 0, 1). */
static double gate(double x, int act) {
  if (act == K_ACT_SIGMOID) return sig(x);
  double t = 0.2 * x + 0.5;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}
static double gate_grad(double a, int act) { return act == K_ACT_SIGMOID ? a * (1 - a) : (a > 0 && a < 1 ? 0.2 : 0); }

/* Rows of H written with leading dimension ld: compact copy of the written halves, and whether
 * the rest of every row kept its sentinel (a kernel must not write past H). */
static int strided_ok(const float* x, int B, int H, int ld, float* compact) {
  int ok = 1;
  for (int b = 0; b < B; b++) {
    memcpy(compact + (size_t)b * H, x + (size_t)b * ld, sizeof(float) * (size_t)H);
    for (int j = H; j < ld; j++) ok &= x[(size_t)b * ld + j] == 42.0f;
  }
  return ok;
}

static void test_lstm_cell(void) {
  for (int act = 0; act < 2; act++)
    for (int s = 0; s < NS; s++)
      for (int B = 1; B <= 3; B += 2) {
        int H = SIZES[s], G = 4 * H, ld = 2 * H + 1; /* h rows as a bidirectional layer writes them */
        float *g1 = fa(B * G), *g2 = fa(B * G), *cp = fa(B * H), *c1 = fa(B * H), *c2 = fa(B * H);
        float *hs1 = fa(B * ld), *hs2 = fa(B * ld), *h1 = fa(B * H), *h2 = fa(B * H);
        double *rg = da(B * G), *rc = da(B * H), *rh = da(B * H);
        fill(g1, B * G, 4), fill(cp, B * H, 2);
        for (int i = 0; i < B * ld; i++) hs1[i] = hs2[i] = 42.0f;
        memcpy(g2, g1, sizeof(float) * (size_t)(B * G));
        for (int b = 0; b < B; b++)
          for (int j = 0; j < H; j++) {
            double i = gate(g1[b * G + j], act), f = gate(g1[b * G + H + j], act), g = tanh(g1[b * G + 2 * H + j]),
                   o = gate(g1[b * G + 3 * H + j], act);
            double c = f * cp[b * H + j] + i * g;
            rg[b * G + j] = i, rg[b * G + H + j] = f, rg[b * G + 2 * H + j] = g, rg[b * G + 3 * H + j] = o;
            rc[b * H + j] = c, rh[b * H + j] = o * tanh(c);
          }
        lstm_cell_fwd__scalar(B, H, act, g1, G, cp, c1, hs1, ld);
        lstm_cell_fwd__wasmsimd(B, H, act, g2, G, cp, c2, hs2, ld);
        check(strided_ok(hs1, B, H, ld, h1) && strided_ok(hs2, B, H, ld, h2), "lstm fwd writes h rows of ld only", H, 0, 0, 0);
        const char* nm = act ? "lstm(hard)" : "lstm";
        char what[64];
        snprintf(what, sizeof what, "%s fwd gates", nm), expect(what, B * G, g1, g2, rg, 2e-6, 1e-5);
        snprintf(what, sizeof what, "%s fwd c", nm), expect(what, B * H, c1, c2, rc, 2e-6, 1e-5);
        snprintf(what, sizeof what, "%s fwd h", nm), expect(what, B * H, h1, h2, rh, 2e-6, 1e-5);
        /* backward from the activations just computed */
        float *dh = fa(B * H), *dc1 = fa(B * H), *dc2 = fa(B * H), *dg1 = fa(B * G), *dg2 = fa(B * G);
        double *rdg = da(B * G), *rdc = da(B * H);
        fill(dh, B * H, 1), fill(dc1, B * H, 1);
        memcpy(dc2, dc1, sizeof(float) * (size_t)(B * H));
        for (int b = 0; b < B; b++)
          for (int j = 0; j < H; j++) {
            double i = g1[b * G + j], f = g1[b * G + H + j], g = g1[b * G + 2 * H + j], o = g1[b * G + 3 * H + j];
            double tc = tanh((double)c1[b * H + j]), d = dh[b * H + j];
            double dcv = dc1[b * H + j] + d * o * (1 - tc * tc);
            rdg[b * G + 3 * H + j] = d * tc * gate_grad(o, act);
            rdg[b * G + j] = dcv * g * gate_grad(i, act);
            rdg[b * G + H + j] = dcv * cp[b * H + j] * gate_grad(f, act);
            rdg[b * G + 2 * H + j] = dcv * i * (1 - g * g);
            rdc[b * H + j] = dcv * f;
          }
        lstm_cell_bwd__scalar(B, H, act, g1, G, cp, c1, dh, dc1, dg1);
        lstm_cell_bwd__wasmsimd(B, H, act, g1, G, cp, c1, dh, dc2, dg2);
        snprintf(what, sizeof what, "%s bwd dgates", nm), expect(what, B * G, dg1, dg2, rdg, 2e-6, 1e-5);
        snprintf(what, sizeof what, "%s bwd dc", nm), expect(what, B * H, dc1, dc2, rdc, 2e-6, 1e-5);
        /* in place: dgates over gates gives the same bits */
        float* gin = fa(B * G);
        memcpy(gin, g1, sizeof(float) * (size_t)(B * G));
        fill(dc2, B * H, 1), memcpy(dc1, dc2, sizeof(float) * (size_t)(B * H));
        lstm_cell_bwd__wasmsimd(B, H, act, g1, G, cp, c1, dh, dc1, dg2);
        lstm_cell_bwd__wasmsimd(B, H, act, gin, G, cp, c1, dh, dc2, gin);
        check(memcmp(gin, dg2, sizeof(float) * (size_t)(B * G)) == 0, "lstm bwd in place", H, 0, 0, 0);
        free(gin);
        free(g1), free(g2), free(cp), free(c1), free(c2), free(hs1), free(hs2), free(h1), free(h2);
        free(rg), free(rc), free(rh), free(dh), free(dc1), free(dc2), free(dg1), free(dg2), free(rdg), free(rdc);
      }
}

static void test_gru_rnn_cells(void) {
  for (int act = 0; act < 2; act++)
    for (int s = 0; s < NS; s++) {
      int B = 2, H = SIZES[s], G = 3 * H, ld = 2 * H + 1;
      float *x1 = fa(B * G), *x2 = fa(B * G), *gh = fa(B * G), *hpl = fa(B * ld), *hp = fa(B * H);
      float *hs1 = fa(B * ld), *hs2 = fa(B * ld), *h1 = fa(B * H), *h2 = fa(B * H);
      double *ra = da(B * G), *rh = da(B * H);
      fill(x1, B * G, 3), fill(gh, B * G, 3), fill(hpl, B * ld, 1);
      for (int b = 0; b < B; b++) memcpy(hp + b * H, hpl + b * ld, sizeof(float) * (size_t)H); /* hprev of ld ld */
      for (int i = 0; i < B * ld; i++) hs1[i] = hs2[i] = 42.0f;
      memcpy(x2, x1, sizeof(float) * (size_t)(B * G));
      for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
          double r = gate((double)x1[b * G + j] + gh[b * G + j], act);
          double z = gate((double)x1[b * G + H + j] + gh[b * G + H + j], act);
          double n = tanh(x1[b * G + 2 * H + j] + r * gh[b * G + 2 * H + j]);
          ra[b * G + j] = r, ra[b * G + H + j] = z, ra[b * G + 2 * H + j] = n;
          rh[b * H + j] = (1 - z) * n + z * hp[b * H + j];
        }
      gru_cell_fwd__scalar(B, H, act, x1, gh, hpl, ld, hs1, ld);
      gru_cell_fwd__wasmsimd(B, H, act, x2, gh, hpl, ld, hs2, ld);
      check(strided_ok(hs1, B, H, ld, h1) && strided_ok(hs2, B, H, ld, h2), "gru fwd writes h rows of ld only", H, 0, 0, 0);
      const char* nm = act ? "gru(hard)" : "gru";
      char what[64];
      snprintf(what, sizeof what, "%s fwd acts", nm), expect(what, B * G, x1, x2, ra, 2e-6, 1e-5);
      snprintf(what, sizeof what, "%s fwd h", nm), expect(what, B * H, h1, h2, rh, 2e-6, 1e-5);
      float *dh = fa(B * H), *dx1 = fa(B * G), *dx2 = fa(B * G), *dy1 = fa(B * G), *dy2 = fa(B * G);
      float *dp1 = fa(B * H), *dp2 = fa(B * H);
      double *rdx = da(B * G), *rdy = da(B * G), *rdp = da(B * H);
      fill(dh, B * H, 1);
      for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
          double r = x1[b * G + j], z = x1[b * G + H + j], n = x1[b * G + 2 * H + j], d = dh[b * H + j];
          double dn = d * (1 - z) * (1 - n * n), dz = d * (hp[b * H + j] - n) * gate_grad(z, act);
          double dr = dn * gh[b * G + 2 * H + j] * gate_grad(r, act);
          rdx[b * G + j] = dr, rdx[b * G + H + j] = dz, rdx[b * G + 2 * H + j] = dn;
          rdy[b * G + j] = dr, rdy[b * G + H + j] = dz, rdy[b * G + 2 * H + j] = dn * r;
          rdp[b * H + j] = d * z;
        }
      gru_cell_bwd__scalar(B, H, act, x1, gh, hpl, ld, dh, dx1, dy1, dp1);
      gru_cell_bwd__wasmsimd(B, H, act, x1, gh, hpl, ld, dh, dx2, dy2, dp2);
      snprintf(what, sizeof what, "%s bwd dgx", nm), expect(what, B * G, dx1, dx2, rdx, 2e-6, 1e-5);
      snprintf(what, sizeof what, "%s bwd dgh", nm), expect(what, B * G, dy1, dy2, rdy, 2e-6, 1e-5);
      snprintf(what, sizeof what, "%s bwd dhprev", nm), expect(what, B * H, dp1, dp2, rdp, 2e-6, 1e-5);
      free(x1), free(x2), free(gh), free(hpl), free(hp), free(hs1), free(hs2), free(h1), free(h2), free(ra), free(rh);
      free(dh), free(dx1), free(dx2), free(dy1), free(dy2), free(dp1), free(dp2), free(rdx), free(rdy), free(rdp);
    }
  /* rnn: h rows of ld ld */
  for (int s = 0; s < NS; s++) {
    int B = 2, H = SIZES[s], n = B * H, ld = 2 * H + 1;
    float *pre = fa(n), *hs1 = fa(B * ld), *hs2 = fa(B * ld), *r1 = fa(n), *r2 = fa(n), *dh = fa(n), *d1 = fa(n), *d2 = fa(n);
    double *rr = da(n), *rd = da(n);
    fill(pre, n, 6), fill(dh, n, 1);
    for (int i = 0; i < B * ld; i++) hs1[i] = hs2[i] = 42.0f;
    for (int i = 0; i < n; i++) rr[i] = tanh((double)pre[i]);
    rnn_cell_fwd__scalar(B, H, pre, hs1, ld);
    rnn_cell_fwd__wasmsimd(B, H, pre, hs2, ld);
    check(strided_ok(hs1, B, H, ld, r1) && strided_ok(hs2, B, H, ld, r2), "rnn fwd writes h rows of ld only", H, 0, 0, 0);
    expect("rnn fwd", n, r1, r2, rr, 3e-7, 0);
    for (int i = 0; i < n; i++) rd[i] = dh[i] * (1.0 - (double)r1[i] * r1[i]);
    rnn_cell_bwd__scalar(B, H, hs1, ld, dh, d1);
    rnn_cell_bwd__wasmsimd(B, H, hs1, ld, dh, d2);
    expect("rnn bwd", n, d1, d2, rd, 1e-6, 1e-5);
    free(pre), free(hs1), free(hs2), free(r1), free(r2), free(dh), free(d1), free(d2), free(rr), free(rd);
  }
}

static void test_softmax(void) {
  for (int s = 0; s < NS; s++) {
    int N = 3, O = SIZES[s] + 1; /* O >= 2 */
    float *x = fa(N * O), *d1 = fa(N * O), *d2 = fa(N * O), *p1 = fa(N * O), *p2 = fa(N * O);
    double *rp = da(N * O), *rd = da(N * O);
    int32_t tgt[3] = {0, O - 1, -1};
    fill(x, N * O, 8);
    double rloss = 0;
    float scale = 0.5f;
    for (int r = 0; r < N; r++) {
      double mx = -1e30, sum = 0;
      for (int k = 0; k < O; k++) mx = fmax(mx, x[r * O + k]);
      for (int k = 0; k < O; k++) sum += exp(x[r * O + k] - mx);
      for (int k = 0; k < O; k++) {
        rp[r * O + k] = exp(x[r * O + k] - mx) / sum;
        rd[r * O + k] = tgt[r] < 0 ? 0 : scale * (rp[r * O + k] - (k == tgt[r]));
      }
      if (tgt[r] >= 0) rloss += log(sum) - (x[r * O + tgt[r]] - mx);
    }
    double l1 = softmax_xent__scalar(N, O, x, tgt, scale, d1);
    double l2 = softmax_xent__wasmsimd(N, O, x, tgt, scale, d2);
    expect("softmax_xent dlogits", N * O, d1, d2, rd, 1e-6, 1e-5);
    check(l1 == l2 && fabs(l1 - rloss) < 1e-5 * (1 + rloss), "softmax_xent loss", O, 0, l1, rloss);
    memcpy(d1, x, sizeof(float) * (size_t)(N * O)); /* in place */
    softmax__scalar(N, O, d1, d1);
    softmax__wasmsimd(N, O, x, p2);
    memcpy(p1, d1, sizeof(float) * (size_t)(N * O));
    expect("softmax", N * O, p1, p2, rp, 1e-6, 1e-5);
    free(x), free(d1), free(d2), free(p1), free(p2), free(rp), free(rd);
  }
}

static void test_optimizers(void) {
  for (int s = 0; s < NS; s++) {
    int n = SIZES[s] * 3;
    for (int opt = 0; opt < 4; opt++) {
      float *p1 = fa(n), *p2 = fa(n), *g = fa(n), *m1 = fa(n), *m2 = fa(n), *v1 = fa(n), *v2 = fa(n);
      double *rp = da(n), *rm = da(n);
      fill(p1, n, 1), fill(g, n, 1), fill(m1, n, 0.1f);
      for (int i = 0; i < n; i++) v1[i] = fabsf(urand()) * 0.01f;
      memcpy(p2, p1, 4 * (size_t)n), memcpy(m2, m1, 4 * (size_t)n), memcpy(v2, v1, 4 * (size_t)n);
      float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 1e-4f, a = 0.05f, rb2 = 3.0f;
      for (int i = 0; i < n; i++) {
        double p = p1[i], gi = g[i], m = m1[i], v = v1[i];
        if (opt == 0) {
          m = b1 * m + (1 - b1) * gi, v = b2 * v + (1 - b2) * gi * gi;
          p = p - wd * p - a * m / (sqrt(v) * rb2 + eps);
        } else if (opt == 1) {
          m = 0.9 * m + gi, p = p - wd * p - lr * m;
        } else if (opt == 2) {
          v = 0.99 * v + 0.01 * gi * gi, p = p - wd * p - lr * gi / (sqrt(v) + eps);
        } else {
          v = v + gi * gi, p = p - wd * p - lr * gi / (sqrt(v) + eps);
        }
        rp[i] = p, rm[i] = opt == 0 || opt == 1 ? m : v;
      }
      const char* names[] = {"adam", "sgd", "rmsprop", "adagrad"};
      if (opt == 0) {
        adam__scalar(n, p1, g, m1, v1, a, b1, b2, rb2, eps, wd);
        adam__wasmsimd(n, p2, g, m2, v2, a, b1, b2, rb2, eps, wd);
        expect("adam m", n, m1, m2, rm, 1e-6, 1e-5);
      } else if (opt == 1) {
        sgd__scalar(n, p1, g, m1, lr, 0.9f, wd);
        sgd__wasmsimd(n, p2, g, m2, lr, 0.9f, wd);
        expect("sgd momentum", n, m1, m2, rm, 1e-6, 1e-5);
      } else if (opt == 2) {
        rmsprop__scalar(n, p1, g, v1, lr, 0.99f, eps, wd);
        rmsprop__wasmsimd(n, p2, g, v2, lr, 0.99f, eps, wd);
        expect("rmsprop v", n, v1, v2, rm, 1e-6, 1e-5);
      } else {
        adagrad__scalar(n, p1, g, v1, lr, eps, wd);
        adagrad__wasmsimd(n, p2, g, v2, lr, eps, wd);
        expect("adagrad v", n, v1, v2, rm, 1e-6, 1e-5);
      }
      expect(names[opt], n, p1, p2, rp, 1e-6, 1e-5);
      free(p1), free(p2), free(g), free(m1), free(m2), free(v1), free(v2), free(rp), free(rm);
    }
    float* x = fa(n);
    fill(x, n, 2);
    double r = 0;
    for (int i = 0; i < n; i++) r += (double)x[i] * x[i];
    double a1 = sumsq__scalar(n, x), a2 = sumsq__wasmsimd(n, x);
    check(a1 == a2 && fabs(a1 - r) <= 1e-12 * r, "sumsq", n, 0, a1, r);
    for (int i = 0; i < n; i++) x[i] *= 1e20f; /* squares beyond float32 */
    a1 = sumsq__scalar(n, x), a2 = sumsq__wasmsimd(n, x);
    check(a1 == a2 && isfinite(a1) && fabs(a1 - r * 1e40) <= 1e-6 * r * 1e40, "sumsq of large values", n, 0, a1, r * 1e40);
    free(x);
  }
}


/* Flush to zero: moments and parameters that would be denormal are stored as 0, by both twins alike
 * (and NaN stays NaN, for the update's finiteness check). */
static void test_ftz(void) {
  for (int s = 0; s < NS; s++) {
    int n = SIZES[s];
    float *p1 = fa(n), *p2 = fa(n), *g = fa(n), *m1 = fa(n), *m2 = fa(n), *v1 = fa(n), *v2 = fa(n);
    for (int i = 0; i < n; i++) {
      p1[i] = p2[i] = i % 3 ? 1e-38f : 0.5f; /* decays below 2^-126 with weight decay */
      m1[i] = m2[i] = i % 2 ? 1.2e-38f : -1.25e-38f; /* 0.9 × that is denormal */
      v1[i] = v2[i] = 1.1755e-38f, g[i] = 0.0f; /* 0.999 × that too */
    }
    if (n > 2) g[2] = NAN;
    adam__scalar(n, p1, g, m1, v1, 1e-3f, 0.9f, 0.999f, 1.0f, 1e-8f, 0.1f);
    adam__wasmsimd(n, p2, g, m2, v2, 1e-3f, 0.9f, 0.999f, 1.0f, 1e-8f, 0.1f);
    int ok = memcmp(p1, p2, 4 * (size_t)n) == 0 && memcmp(m1, m2, 4 * (size_t)n) == 0 && memcmp(v1, v2, 4 * (size_t)n) == 0;
    for (int i = 0; i < n; i++) {
      if (i == 2 && n > 2) {
        ok &= isnan(m1[i]) && isnan(p1[i]);
        continue;
      }
      ok &= m1[i] == 0.0f && v1[i] == 0.0f && (p1[i] == 0.0f || fabsf(p1[i]) >= 0x1p-126f);
    }
    check(ok, "optimizers flush denormals to zero, twins alike", n, 0, 0, 0);
    free(p1), free(p2), free(g), free(m1), free(m2), free(v1), free(v2);
  }
}

int main(void) {
  test_ftz();
  test_activations();
  test_gemm();
  test_lstm_cell();
  test_gru_rnn_cells();
  test_softmax();
  test_optimizers();
  printf("native kernels: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
