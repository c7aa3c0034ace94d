/*
 * kernels_scalar.c — the reference twins: one lane at a time, the specification of every kernel.
 * The SIMD twins in kernels_wasmsimd.c do exactly these float operations in this order.
 */
#include <math.h>

#include "kernels.h"

K_DECL_GEMM(scalar) {
  /* i-k-j order: every C element still sums its products in k order, as the contract says. */
  for (int i = 0; i < M; i++) {
    float* c = C + (size_t)i * ldc;
    if (!acc)
      for (int j = 0; j < N; j++) c[j] = 0.0f;
    for (int k = 0; k < K; k++) {
      float a = A[(size_t)i * lda + k];
      const float* b = B + (size_t)k * ldb;
      for (int j = 0; j < N; j++) c[j] += a * b[j];
    }
  }
}

/* gemm over a panel copy of B (pw columns per panel), the tail columns from B. */
static void gemm_from_panels(int M, int N, int K, const float* A, int lda, const float* P, int pw, const float* B,
                             int ldb, float* C, int ldc, int acc) {
  int Np = N & ~(pw - 1);
  for (int i = 0; i < M; i++) {
    const float* a = A + (size_t)i * lda;
    float* c = C + (size_t)i * ldc;
    for (int j = 0; j < Np; j++) {
      const float* p = P + (size_t)(j - j % pw) * K + j % pw;
      float s = acc ? c[j] : 0.0f;
      for (int k = 0; k < K; k++) s += a[k] * p[(size_t)k * pw];
      c[j] = s;
    }
  }
  if (Np < N) gemm__scalar(M, N - Np, K, A, lda, B + Np, ldb, C + Np, ldc, acc);
}

K_DECL_GEMM_PACKED(scalar) { gemm_from_panels(M, N, K, A, lda, P, 8, B, ldb, C, ldc, acc); }
K_DECL_GEMM_PANELS(scalar) { gemm_from_panels(M, N, K, A, lda, P, 32, B, ldb, C, ldc, acc); }

K_DECL_LSTM_FWD(scalar) {
  for (int b = 0; b < B; b++) {
    float* gi = gates + (size_t)b * ldg;
    size_t r = (size_t)b * H;
    for (int j = 0; j < H; j++)
      k_lstm_fwd_unit(gi, gi + H, gi + 2 * H, gi + 3 * H, cprev + r, c + r, h + (size_t)b * ldh, j, act);
  }
}

K_DECL_LSTM_BWD(scalar) {
  for (int b = 0; b < B; b++) {
    const float* gi = gates + (size_t)b * ldg;
    float* di = dgates + (size_t)b * ldg;
    size_t r = (size_t)b * H;
    for (int j = 0; j < H; j++)
      k_lstm_bwd_unit(gi, gi + H, gi + 2 * H, gi + 3 * H, cprev + r, c + r, dh + r, dc + r, di, di + H, di + 2 * H,
                      di + 3 * H, j, act);
  }
}

K_DECL_GRU_FWD(scalar) {
  for (int b = 0; b < B; b++) {
    float* x = gx + (size_t)b * 3 * H;
    const float* y = gh + (size_t)b * 3 * H;
    for (int j = 0; j < H; j++)
      k_gru_fwd_unit(x, x + H, x + 2 * H, y, y + H, y + 2 * H, hprev + (size_t)b * ldp, h + (size_t)b * ldh, j, act);
  }
}

K_DECL_GRU_BWD(scalar) {
  for (int b = 0; b < B; b++) {
    size_t g = (size_t)b * 3 * H, r = (size_t)b * H;
    for (int j = 0; j < H; j++)
      k_gru_bwd_unit(acts + g, gh + g + 2 * H, hprev + (size_t)b * ldp, dh + r, dgx + g, dgh + g, dhprev + r, H, j,
                     act);
  }
}

K_DECL_RNN_FWD(scalar) {
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) h[(size_t)b * ldh + j] = k_tanh(pre[(size_t)b * H + j]);
}

K_DECL_RNN_BWD(scalar) {
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) {
      float hj = h[(size_t)b * ldh + j];
      size_t r = (size_t)b * H + j;
      dpre[r] = dh[r] * (1.0f - hj * hj);
    }
}

/* Σ e^(x − max) over four interleaved partial sums (e gets the terms). */
static float row_expsum(int O, const float* x, float mx, float* e) {
  float s[4] = {0, 0, 0, 0};
  for (int k = 0; k < O; k++) {
    e[k] = k_exp_neg(x[k] - mx);
    s[k & 3] += e[k];
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

static void row_scale(int n, float* y, float a) {
  for (int k = 0; k < n; k++) y[k] = y[k] * a;
}

K_DECL_SOFTMAX_XENT(scalar) { return k_softmax_xent_rows(N, O, logits, tgt, scale, dlogits, row_expsum, row_scale); }

K_DECL_SOFTMAX(scalar) { k_softmax_rows(N, O, in, out, row_expsum, row_scale); }

K_DECL_SUMSQ(scalar) {
  double s[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; k++) s[k & 3] += (double)x[k] * (double)x[k];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

K_DECL_ADAM(scalar) {
  for (int k = 0; k < n; k++) k_adam_elem(p, g, m, v, a, b1, b2, rb2, eps, lrwd, k);
}

K_DECL_SGD(scalar) {
  for (int k = 0; k < n; k++) k_sgd_elem(p, g, m, lr, mu, lrwd, k);
}

K_DECL_RMSPROP(scalar) {
  for (int k = 0; k < n; k++) k_rmsprop_elem(p, g, v, lr, rho, eps, lrwd, k);
}

K_DECL_ADAGRAD(scalar) {
  for (int k = 0; k < n; k++) k_adagrad_elem(p, g, v, lr, eps, lrwd, k);
}
