/*
 * test_model.c — the model through its public C ABI, natively under ASan + UBSan:
 * gradients against central differences (every cell, 1 and 2 layers, every loss, token and dense
 * input, carried state), training lowers the loss, exact save/load round trips, a checked loader,
 * non-finite steps rejected without a trace, determinism, no leaks (LeakSanitizer).
 *
 * Gradient check threshold, stated once: for each checked coordinate, with ε = 1e-2 (float32),
 *   |g − (f(θ+ε) − f(θ−ε)) / 2ε| <= 2e-3 + 5e-2·|g|
 * and the directional check, over all parameters at once with δ = 1e-3 and d ~ U(−1, 1),
 *   |g·d − (f(θ+δd) − f(θ−δd)) / 2δ| <= 1e-2·|g·d| + 2e-4.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"

static int passed, failed;
static void check(int ok, const char* what) {
  if (ok) passed++;
  else failed++, printf("FAIL %s\n", what);
}

static uint64_t rs = 0x1234567ULL;
static float urand(void) {
  rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
  return (float)((rs >> 40) * 0x1p-24);
}

typedef struct {
  lstm_config cfg;
  int B, T;
  void *x, *y;
} problem;

static void make_problem(problem* p, int cell, int kind, int layers, int loss, int B, int T) {
  lstm_config c = {cell, kind, kind == LSTM_INPUT_TOKENS ? 7 : 3, 5, layers, loss == LSTM_LOSS_XENT ? 6 : 2, loss, 42};
  p->cfg = c, p->B = B, p->T = T;
  int n = B * T;
  if (kind == LSTM_INPUT_TOKENS) {
    int32_t* x = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) x[i] = (int32_t)(urand() * c.input);
    p->x = x;
  } else {
    float* x = malloc(sizeof(float) * n * c.input);
    for (int i = 0; i < n * c.input; i++) x[i] = urand() * 2 - 1;
    p->x = x;
  }
  if (loss == LSTM_LOSS_XENT) {
    int32_t* y = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) y[i] = (int32_t)(urand() * c.output);
    y[1] = -1; /* one masked target */
    p->y = y;
  } else {
    int rows = loss == LSTM_LOSS_MSE_LAST ? B : n;
    float* y = malloc(sizeof(float) * rows * c.output);
    for (int i = 0; i < rows * c.output; i++) y[i] = urand() * 2 - 1;
    p->y = y;
  }
}

static float loss_at(lstm_model* m, problem* p) {
  float l = 0;
  int st = lstm_gradients(m, p->x, p->y, p->B, p->T, 0, &l);
  if (st) printf("lstm_gradients status %d\n", st);
  return l;
}

static void gradcheck(int cell, int kind, int layers, int loss, int carried) {
  problem p;
  make_problem(&p, cell, kind, layers, loss, 2, 5);
  int st;
  lstm_model* m = lstm_new(&p.cfg, &st);
  char what[128];
  snprintf(what, sizeof what, "gradcheck cell=%d kind=%d layers=%d loss=%d carried=%d", cell, kind, layers, loss,
           carried);
  if (!m) {
    check(0, what);
    return;
  }
  float* w = lstm_params(m);
  int P = lstm_param_count(m);
  for (int i = 0; i < P; i++) w[i] *= 3.0f; /* larger weights: gates away from their linear zone */
  if (carried) {
    float l;
    lstm_train_config tc;
    lstm_get_train_config(m, &tc);
    tc.lr = 1e-6f;
    lstm_set_train_config(m, &tc);
    lstm_train(m, p.x, p.y, p.B, p.T, &l); /* leaves a nonzero train state to carry */
  }
  float l0 = 0;
  lstm_gradients(m, p.x, p.y, p.B, p.T, 0, &l0);
  float* g = malloc(sizeof(float) * P);
  memcpy(g, lstm_grads(m), sizeof(float) * P);
  const float eps = 1e-2f;
  int bad = 0, checked = 0;
  for (int k = 0; k < lstm_tensor_count(m); k++) {
    int32_t d[2];
    int r = lstm_tensor_shape(m, k, d), off = lstm_tensor_offset(m, k);
    int n = r == 2 ? d[0] * d[1] : d[0];
    for (int s = 0; s < 6; s++) {
      int i = off + (int)(urand() * n);
      float keep = w[i];
      w[i] = keep + eps;
      float lp = loss_at(m, &p);
      w[i] = keep - eps;
      float lm = loss_at(m, &p);
      w[i] = keep;
      double num = ((double)lp - lm) / (2 * eps);
      checked++;
      if (!(fabs(g[i] - num) <= 2e-3 + 5e-2 * fabs(g[i]))) {
        if (bad++ < 3) printf("  %s[%d]: analytic %.6g numeric %.6g\n", lstm_tensor_name(m, k), i - off, g[i], num);
      }
    }
  }
  /* directional: one random direction over every parameter */
  float* dir = malloc(sizeof(float) * P);
  double gd = 0;
  for (int i = 0; i < P; i++) dir[i] = urand() * 2 - 1, gd += (double)g[i] * dir[i];
  float* keep = malloc(sizeof(float) * P);
  memcpy(keep, w, sizeof(float) * P);
  const float de = 1e-3f;
  for (int i = 0; i < P; i++) w[i] = keep[i] + de * dir[i];
  float lp = loss_at(m, &p);
  for (int i = 0; i < P; i++) w[i] = keep[i] - de * dir[i];
  float lm = loss_at(m, &p);
  memcpy(w, keep, sizeof(float) * P);
  double num = ((double)lp - lm) / (2 * de);
  int dir_ok = fabs(gd - num) <= 1e-2 * fabs(gd) + 2e-4;
  if (!dir_ok) printf("  directional: analytic %.6g numeric %.6g\n", gd, num);
  check(bad == 0 && dir_ok && checked > 0, what);
  free(g), free(dir), free(keep), free(p.x), free(p.y);
  lstm_free(m);
}

static void test_gradients(void) {
  for (int cell = 0; cell < 3; cell++)
    for (int layers = 1; layers <= 2; layers++)
      for (int loss = 0; loss < 3; loss++)
        for (int kind = 0; kind < 2; kind++) gradcheck(cell, kind, layers, loss, 0);
  for (int cell = 0; cell < 3; cell++) gradcheck(cell, LSTM_INPUT_TOKENS, 2, LSTM_LOSS_XENT, 1);
}

/* memorize a short sequence: loss must fall below a small bound */
static void test_overfit(void) {
  for (int cell = 0; cell < 3; cell++) {
    lstm_config c = {cell, LSTM_INPUT_TOKENS, 5, 16, 1, 5, LSTM_LOSS_XENT, 7};
    int st;
    lstm_model* m = lstm_new(&c, &st);
    int32_t x[12] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}, y[12];
    for (int i = 0; i < 12; i++) y[i] = (x[i] + 1) % 5;
    lstm_train_config tc;
    lstm_get_train_config(m, &tc);
    tc.lr = 0.02f;
    lstm_set_train_config(m, &tc);
    float first = 0, l = 0;
    for (int s = 0; s < 300; s++) {
      lstm_reset_state(m, LSTM_STATE_TRAIN);
      lstm_train(m, x, y, 1, 12, &l);
      if (s == 0) first = l;
    }
    char what[64];
    snprintf(what, sizeof what, "overfit cell %d: %.3f -> %.4f", cell, first, l);
    check(first > 1.0f && l < 0.05f, what);
    lstm_free(m);
  }
}

static lstm_model* trained_model(int cell, int layers, float dropout) {
  lstm_config c = {cell, LSTM_INPUT_TOKENS, 9, 12, layers, 9, LSTM_LOSS_XENT, 3};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  lstm_train_config tc;
  lstm_get_train_config(m, &tc);
  tc.dropout = dropout;
  lstm_set_train_config(m, &tc);
  int32_t x[3 * 8], y[3 * 8];
  for (int i = 0; i < 24; i++) x[i] = (i * 5) % 9, y[i] = (i * 5 + 1) % 9;
  float l;
  for (int s = 0; s < 5; s++) lstm_train(m, x, y, 3, 8, &l);
  return m;
}

static void test_files(void) {
  for (int cell = 0; cell < 3; cell++) {
    lstm_model* a = trained_model(cell, 2, 0.25f);
    const char meta[] = "{\"kind\":\"network\"}";
    int n = lstm_save_size(a, 3, (int)strlen(meta));
    uint8_t* buf = malloc((size_t)n);
    int w = lstm_save(a, 3, (const uint8_t*)meta, (int)strlen(meta), buf, n);
    check(w == n, "save writes lstm_save_size bytes");
    int st, off = -1;
    lstm_model* b = lstm_load(buf, n, &st);
    check(b && st == LSTM_OK, "load what was saved");
    check(lstm_file_meta(buf, n, &off) == (int)strlen(meta) && off > 0 && memcmp(buf + off, meta, strlen(meta)) == 0,
          "meta round trip");
    /* continuing training on both gives identical parameters, bit for bit */
    int32_t x[24], y[24];
    for (int i = 0; i < 24; i++) x[i] = (i * 5) % 9, y[i] = (i * 5 + 1) % 9;
    float la, lb;
    for (int s = 0; s < 3; s++) lstm_train(a, x, y, 3, 8, &la), lstm_train(b, x, y, 3, 8, &lb);
    check(la == lb && memcmp(lstm_params(a), lstm_params(b), sizeof(float) * lstm_param_count(a)) == 0,
          "resume after load is bit-exact (params, moments, state, rng)");
    /* every corruption is caught: flip each byte in turn (a sample), truncate at every length */
    int caught = 1;
    for (int i = 0; i < n; i += 7) {
      buf[i] ^= 0x5A;
      lstm_model* c = lstm_load(buf, n, &st);
      if (c) caught = 0, lstm_free(c);
      buf[i] ^= 0x5A;
    }
    check(caught, "flipped bytes are rejected");
    int trunc_ok = 1;
    for (int len = 0; len < n; len += 3) {
      lstm_model* c = lstm_load(buf, len, &st);
      if (c || (st != LSTM_ERR_FORMAT && st != LSTM_ERR_CHECKSUM)) trunc_ok = 0;
      if (c) lstm_free(c);
    }
    check(trunc_ok, "truncated files are rejected with format/checksum");
    buf[8] = 2; /* a future version */
    check(!lstm_load(buf, n, &st) && st == LSTM_ERR_VERSION, "unknown version");
    buf[0] = 'X';
    check(!lstm_load(buf, n, &st) && st == LSTM_ERR_FORMAT, "foreign magic");
    free(buf);
    lstm_free(a), lstm_free(b);
  }
}

static void test_nonfinite(void) {
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 2, 8, 1, 1, LSTM_LOSS_MSE, 5};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float x[2 * 4 * 2], y[2 * 4];
  for (int i = 0; i < 16; i++) x[i] = urand();
  for (int i = 0; i < 8; i++) y[i] = urand();
  float l;
  lstm_train(m, x, y, 2, 4, &l);
  int P = lstm_param_count(m);
  float* before = malloc(sizeof(float) * P);
  float* mom = malloc(sizeof(float) * P);
  memcpy(before, lstm_params(m), sizeof(float) * P);
  memcpy(mom, lstm_opt_state(m, 1), sizeof(float) * P);
  double step = lstm_step_count(m);
  x[3] = INFINITY;
  st = lstm_train(m, x, y, 2, 4, &l);
  check(st == LSTM_ERR_NONFINITE, "infinite input -> LSTM_ERR_NONFINITE");
  check(memcmp(before, lstm_params(m), sizeof(float) * P) == 0 && memcmp(mom, lstm_opt_state(m, 1), sizeof(float) * P) == 0 &&
            lstm_step_count(m) == step,
        "rejected step leaves params, moments and step count");
  x[3] = 0.5f;
  check(lstm_train(m, x, y, 2, 4, &l) == LSTM_OK && isfinite(l), "model trains after a rejected step");
  free(before), free(mom);
  lstm_free(m);
}

/* Rejected calls leave the carried state alone, even with another batch size; so does a gradient
 * computation that does not advance. A huge learning rate whose update would overflow is
 * rejected as a whole. (Found by the fuzzers: tests/fuzz/repro/.) */
static void test_rejections_leave_no_trace(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_DENSE, 2, 3, 1, 1, LSTM_LOSS_MSE, 1};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, y[4] = {0.1f, 0.2f, 0.3f, 0.4f}, l, norms[2];
  float bad_y[4] = {0.1f, NAN, 0.3f, 0.4f};
  double bytes0 = lstm_model_bytes(m);
  check(lstm_train(m, x, bad_y, 2, 2, &l) == LSTM_ERR_NONFINITE && !lstm_opt_state(m, 0) && !lstm_opt_state(m, 1) &&
            lstm_step_count(m) == 0,
        "a rejected first step gives back the optimizer moments it allocated");
  (void)bytes0;
  lstm_train(m, x, y, 2, 2, &l);
  float h0 = lstm_state_h(m, LSTM_STATE_TRAIN)[0];
  float nan_y[1] = {NAN};
  check(lstm_train(m, x, nan_y, 1, 1, &l) == LSTM_ERR_NONFINITE && lstm_state_batch(m, 0) == 2 &&
            lstm_state_h(m, 0)[0] == h0,
        "a rejected step with another batch keeps the train state");
  lstm_gradients(m, x, y, 1, 2, 0, &l);
  lstm_step_gradient_norms(m, x, y, 1, 2, norms, NULL);
  check(lstm_state_batch(m, 0) == 2 && lstm_state_h(m, 0)[0] == h0, "advance = 0 and norms keep the train state");
  lstm_train_config tc;
  lstm_get_train_config(m, &tc);
  tc.eps = 0.0f;
  check(lstm_set_train_config(m, &tc) == LSTM_ERR_CONFIG, "eps = 0 refused (0/0 for zero gradients)");
  tc.eps = 1e-8f, tc.lr = 1e38f, tc.clip_mode = LSTM_CLIP_NONE;
  lstm_set_train_config(m, &tc);
  int P = lstm_param_count(m);
  float* before = malloc(sizeof(float) * P);
  memcpy(before, lstm_params(m), sizeof(float) * P);
  double step = lstm_step_count(m);
  st = lstm_train(m, x, y, 2, 2, &l);
  check(st == LSTM_ERR_NONFINITE && memcmp(before, lstm_params(m), sizeof(float) * P) == 0 &&
            lstm_step_count(m) == step && lstm_state_h(m, 0)[0] == h0,
        "an update that would overflow is rejected whole (params, step, state)");
  free(before);
  lstm_free(m);
}

static void test_determinism(void) {
  lstm_model *a = trained_model(LSTM_CELL_LSTM, 2, 0.3f), *b = trained_model(LSTM_CELL_LSTM, 2, 0.3f);
  check(memcmp(lstm_params(a), lstm_params(b), sizeof(float) * lstm_param_count(a)) == 0, "same seed, same params");
  lstm_free(a), lstm_free(b);
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 9, 12, 1, 9, LSTM_LOSS_XENT, 1};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  c.seed = 2;
  lstm_model* n = lstm_new(&c, &st);
  check(memcmp(lstm_params(m), lstm_params(n), sizeof(float) * lstm_param_count(m)) != 0, "other seed, other params");
  lstm_free(m), lstm_free(n);
}

static void test_predict_stateful(void) {
  /* two predict calls of T/2 equal one call of T; inspect's last h equals predict's state */
  for (int cell = 0; cell < 3; cell++) {
    lstm_model* m = trained_model(cell, 2, 0.0f);
    int32_t x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 1};
    float full[10 * 9], half[10 * 9];
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    lstm_predict(m, x, 1, 10, 0, full);
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    lstm_predict(m, x, 1, 5, 0, half);
    lstm_predict(m, x + 5, 1, 5, 0, half + 45);
    check(memcmp(full, half, sizeof full) == 0, "predict: state carried across calls");
    float last[9];
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    lstm_predict(m, x, 1, 10, LSTM_PREDICT_LAST_ONLY, last);
    check(memcmp(last, full + 81, sizeof last) == 0, "predict: last-only equals the last row");
    int C = lstm_inspect_channels(m);
    float* ins = malloc(sizeof(float) * 2 * 10 * C * 12);
    check(lstm_inspect(m, x, 1, 10, ins) == LSTM_OK, "inspect runs");
    const float* h_top_last = ins + ((size_t)(1 * 10 + 9) * C + (C - 1)) * 12;
    check(memcmp(h_top_last, lstm_state_h(m, LSTM_STATE_PREDICT) + 12, 12 * sizeof(float)) == 0,
          "inspect: top layer's last h equals the predict state");
    free(ins);
    lstm_free(m);
  }
}

static void test_bad_args(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 4, 8, 1, 4, LSTM_LOSS_XENT, 1};
  int st;
  lstm_config bad = c;
  bad.hidden = 0;
  check(!lstm_new(&bad, &st) && st == LSTM_ERR_CONFIG, "hidden 0 refused");
  bad = c, bad.layers = 5;
  check(!lstm_new(&bad, &st) && st == LSTM_ERR_CONFIG, "5 layers refused");
  bad = c, bad.hidden = 4096, bad.input = 1 << 20;
  check(!lstm_new(&bad, &st) && st == LSTM_ERR_NOMEM, "too many parameters refused before allocating");
  lstm_model* m = lstm_new(&c, &st);
  int32_t x[4] = {0, 1, 2, 9}, y[4] = {0, 1, 2, 3};
  float l;
  check(lstm_train(m, x, y, 1, 4, &l) == LSTM_ERR_ARG, "token out of range refused");
  x[3] = 3, y[2] = 4;
  check(lstm_train(m, x, y, 1, 4, &l) == LSTM_ERR_ARG, "target out of range refused");
  y[2] = 2;
  check(lstm_train(m, x, y, 0, 4, &l) == LSTM_ERR_ARG, "batch 0 refused");
  check(lstm_train(m, x, y, 1, 4, &l) == LSTM_OK, "still trains");
  lstm_free(m);
}

int main(void) {
  test_gradients();
  test_overfit();
  test_files();
  test_nonfinite();
  test_rejections_leave_no_trace();
  test_determinism();
  test_predict_stateful();
  test_bad_args();
  printf("native model: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
