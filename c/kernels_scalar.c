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

K_DECL_LSTM_FWD(scalar) {
  for (int b = 0; b < B; b++) {
    float* gi = gates + (size_t)b * ldg;
    float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    const float* cp = cprev + (size_t)b * H;
    float *cb = c + (size_t)b * H, *hb = h + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float i = k_sigmoid(gi[j]), f = k_sigmoid(gf[j]), g = k_tanh(gg[j]), o = k_sigmoid(go[j]);
      float cj = f * cp[j] + i * g; /* c' = f ⊙ c + i ⊙ g */
      gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o;
      cb[j] = cj, hb[j] = o * k_tanh(cj); /* h' = o ⊙ tanh(c') */
    }
  }
}

K_DECL_LSTM_BWD(scalar) {
  for (int b = 0; b < B; b++) {
    const float* gi = gates + (size_t)b * ldg;
    const float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    float* di = dgates + (size_t)b * ldg;
    float *df = di + H, *dg = di + 2 * H, *dout = di + 3 * H;
    const float *cp = cprev + (size_t)b * H, *cb = c + (size_t)b * H, *dhb = dh + (size_t)b * H;
    float* dcb = dc + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float i = gi[j], f = gf[j], g = gg[j], o = go[j], tj = k_tanh(cb[j]); /* all read before any write */
      float dc_ = dcb[j] + (dhb[j] * o) * (1.0f - tj * tj);
      dout[j] = (dhb[j] * tj) * (o * (1.0f - o));
      di[j] = (dc_ * g) * (i * (1.0f - i));
      df[j] = (dc_ * cp[j]) * (f * (1.0f - f));
      dg[j] = (dc_ * i) * (1.0f - g * g);
      dcb[j] = dc_ * f;
    }
  }
}

K_DECL_GRU_FWD(scalar) {
  for (int b = 0; b < B; b++) {
    float* xr = gx + (size_t)b * 3 * H;
    float *xz = xr + H, *xn = xr + 2 * H;
    const float* hr = gh + (size_t)b * 3 * H;
    const float *hz = hr + H, *hn = hr + 2 * H;
    const float* hp = hprev + (size_t)b * H;
    float* hb = h + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float r = k_sigmoid(xr[j] + hr[j]);
      float z = k_sigmoid(xz[j] + hz[j]);
      float n = k_tanh(xn[j] + r * hn[j]);
      xr[j] = r, xz[j] = z, xn[j] = n;
      hb[j] = (1.0f - z) * n + z * hp[j];
    }
  }
}

K_DECL_GRU_BWD(scalar) {
  for (int b = 0; b < B; b++) {
    const float* ar = acts + (size_t)b * 3 * H;
    const float *az = ar + H, *an = ar + 2 * H;
    const float* hn = gh + (size_t)b * 3 * H + 2 * H;
    const float *hp = hprev + (size_t)b * H, *d = dh + (size_t)b * H;
    float *xr = dgx + (size_t)b * 3 * H, *yr = dgh + (size_t)b * 3 * H;
    float* dhp = dhprev + (size_t)b * H;
    for (int j = 0; j < H; j++) {
      float r = ar[j], z = az[j], n = an[j], ghn = hn[j]; /* all read before any write */
      float dn = (d[j] * (1.0f - z)) * (1.0f - n * n);
      float dz = (d[j] * (hp[j] - n)) * (z * (1.0f - z));
      float dr = (dn * ghn) * (r * (1.0f - r));
      xr[j] = dr, xr[H + j] = dz, xr[2 * H + j] = dn;
      yr[j] = dr, yr[H + j] = dz, yr[2 * H + j] = dn * r;
      dhp[j] = d[j] * z;
    }
  }
}

K_DECL_RNN_FWD(scalar) {
  for (int j = 0; j < n; j++) h[j] = k_tanh(pre[j]);
}

K_DECL_RNN_BWD(scalar) {
  for (int j = 0; j < n; j++) dpre[j] = dh[j] * (1.0f - h[j] * h[j]);
}

/* max of a row, then Σ e^(x − max) over four interleaved partial sums. */
static float row_max(int O, const float* x) {
  float mx = x[0];
  for (int k = 1; k < O; k++) mx = x[k] > mx ? x[k] : mx;
  return mx;
}

static float row_expsum(int O, const float* x, float mx, float* e) {
  float s[4] = {0, 0, 0, 0};
  for (int k = 0; k < O; k++) {
    e[k] = k_exp_neg(x[k] - mx);
    s[k & 3] += e[k];
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

K_DECL_SOFTMAX_XENT(scalar) {
  double loss = 0.0;
  for (int r = 0; r < N; r++) {
    const float* x = logits + (size_t)r * O;
    float* d = dlogits + (size_t)r * O;
    int y = tgt[r];
    if (y < 0) {
      for (int k = 0; k < O; k++) d[k] = 0.0f;
      continue;
    }
    float mx = row_max(O, x);
    float xy = x[y];
    float sum = row_expsum(O, x, mx, d);
    loss += (double)logf(sum) - (double)(xy - mx);
    float inv = scale / sum;
    for (int k = 0; k < O; k++) d[k] = d[k] * inv;
    d[y] -= scale;
  }
  return loss;
}

K_DECL_SOFTMAX(scalar) {
  for (int r = 0; r < N; r++) {
    const float* x = in + (size_t)r * O;
    float* y = out + (size_t)r * O;
    float mx = row_max(O, x);
    float inv = 1.0f / row_expsum(O, x, mx, y);
    for (int k = 0; k < O; k++) y[k] = y[k] * inv;
  }
}

K_DECL_SUMSQ(scalar) {
  double s[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; k++) s[k & 3] += (double)x[k] * (double)x[k];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

K_DECL_ADAM(scalar) {
  float c1 = 1.0f - b1, c2 = 1.0f - b2;
  for (int k = 0; k < n; k++) {
    float mk = b1 * m[k] + c1 * g[k];
    float vk = b2 * v[k] + c2 * (g[k] * g[k]);
    m[k] = mk, v[k] = vk;
    float pk = p[k] - lrwd * p[k];
    p[k] = pk - (a * mk) / (sqrtf(vk) * rb2 + eps);
  }
}

K_DECL_SGD(scalar) {
  for (int k = 0; k < n; k++) {
    float mk = mu * m[k] + g[k];
    m[k] = mk;
    float pk = p[k] - lrwd * p[k];
    p[k] = pk - lr * mk;
  }
}

K_DECL_RMSPROP(scalar) {
  float c = 1.0f - rho;
  for (int k = 0; k < n; k++) {
    float vk = rho * v[k] + c * (g[k] * g[k]);
    v[k] = vk;
    float pk = p[k] - lrwd * p[k];
    p[k] = pk - (lr * g[k]) / (sqrtf(vk) + eps);
  }
}

K_DECL_ADAGRAD(scalar) {
  for (int k = 0; k < n; k++) {
    float vk = v[k] + g[k] * g[k];
    v[k] = vk;
    float pk = p[k] - lrwd * p[k];
    p[k] = pk - (lr * g[k]) / (sqrtf(vk) + eps);
  }
}
