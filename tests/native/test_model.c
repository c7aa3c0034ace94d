/*
 * test_model.c — the model through its public C ABI, natively under ASan + UBSan:
 * gradients against central differences (every cell, 1 and 2 layers, every loss, token and dense
 * input, carried state), training lowers the loss, exact save/load round trips, a checked loader,
 * non-finite steps rejected without a trace, determinism, no leaks (LeakSanitizer).
 *
 * Gradient check threshold, stated once: for each checked coordinate, with ε = 1e-2 (float32), or
 * ε = 2.5e-3 where the loss is too curved for 1e-2 (checked again, never skipped, except for the
 * hard sigmoid when θ ± ε straddles a kink: then the two estimates disagree and the point is not
 * a valid check),
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
  int32_t* len; /* NULL: all T */
} problem;

static lstm_config config_of(int cell, int kind, int layers, int loss, int dirs, int act) {
  int xent = loss == LSTM_LOSS_XENT || loss == LSTM_LOSS_XENT_LAST;
  lstm_config c = {cell, kind, kind == LSTM_INPUT_TOKENS ? 7 : 3, 5, layers, xent ? 6 : 2, loss, 42, dirs, act};
  return c;
}

/* lens: 0 all T, 1 ragged (unsorted, one of length 1), 2 all length 1 */
static void make_problem(problem* p, lstm_config c, int B, int T, int lens) {
  p->cfg = c, p->B = B, p->T = T, p->len = NULL;
  int n = B * T;
  if (lens) {
    p->len = malloc(sizeof(int32_t) * B);
    for (int b = 0; b < B; b++) p->len[b] = lens == 2 ? 1 : 1 + (b * 3 + 2) % T;
    if (lens == 1 && B > 1) p->len[B - 1] = T, p->len[0] = 1;
  }
  if (c.input_kind == LSTM_INPUT_TOKENS) {
    int32_t* x = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) x[i] = (int32_t)(urand() * c.input);
    p->x = x;
  } else {
    float* x = malloc(sizeof(float) * n * c.input);
    for (int i = 0; i < n * c.input; i++) x[i] = urand() * 2 - 1;
    p->x = x;
  }
  if (c.loss == LSTM_LOSS_XENT || c.loss == LSTM_LOSS_XENT_LAST) {
    int rows = c.loss == LSTM_LOSS_XENT ? n : B;
    int32_t* y = malloc(sizeof(int32_t) * rows);
    for (int i = 0; i < rows; i++) y[i] = (int32_t)(urand() * c.output);
    if (rows > 2) y[1] = -1; /* one masked target */
    p->y = y;
  } else {
    int rows = c.loss == LSTM_LOSS_MSE_LAST ? B : n;
    float* y = malloc(sizeof(float) * rows * c.output);
    for (int i = 0; i < rows * c.output; i++) y[i] = urand() * 2 - 1;
    p->y = y;
  }
}

static void free_problem(problem* p) { free(p->x), free(p->y), free(p->len); }

static lstm_batch batch_of(const problem* p, int flags) {
  lstm_batch b = {.inputs = p->x, .targets = p->y, .lengths = p->len, .batch = p->B, .steps = p->T,
                  .flags = flags | (p->cfg.directions == 2 ? LSTM_CALL_STATELESS : 0)};
  return b;
}

static float loss_at(lstm_model* m, problem* p) {
  float l = 0;
  lstm_batch b = batch_of(p, 0);
  int st = lstm_gradients(m, &b, &l);
  if (st) printf("lstm_gradients status %d\n", st);
  return l;
}

static void gradcheck(lstm_config cfg, int lens, int carried) {
  problem p;
  make_problem(&p, cfg, 3, 5, lens);
  int st;
  lstm_model* m = lstm_new(&p.cfg, &st);
  char what[160];
  snprintf(what, sizeof what, "gradcheck cell=%d kind=%d layers=%d loss=%d dirs=%d act=%d lens=%d carried=%d",
           cfg.cell, cfg.input_kind, cfg.layers, cfg.loss, cfg.directions, cfg.gate_act, lens, carried);
  if (!m) {
    check(0, what);
    free_problem(&p);
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
    lstm_batch b = batch_of(&p, 0);
    lstm_train(m, &b, &l); /* leaves a nonzero train state to carry */
  }
  float l0 = 0;
  lstm_batch b0 = batch_of(&p, 0);
  lstm_gradients(m, &b0, &l0);
  float* g = malloc(sizeof(float) * P);
  memcpy(g, lstm_grads(m), sizeof(float) * P);
  const float eps = 1e-2f;
  int bad = 0, checked = 0, skipped = 0;
  for (int k = 0; k < lstm_tensor_count(m); k++) {
    int32_t d[2];
    int r = lstm_tensor_shape(m, k, d), off = lstm_tensor_offset(m, k);
    int n = r == 2 ? d[0] * d[1] : d[0];
    for (int s = 0; s < 4; s++) {
      int i = off + (int)(urand() * n);
      float keep = w[i];
      w[i] = keep + eps;
      float lp = loss_at(m, &p);
      w[i] = keep - eps;
      float lm = loss_at(m, &p);
      w[i] = keep;
      double num = ((double)lp - lm) / (2 * eps);
      checked++;
      if (fabs(g[i] - num) > 2e-3 + 5e-2 * fabs(g[i])) {
        /* a strongly curved loss (saturated units, deep stacks) or, for the hard sigmoid, a kink
         * between θ ± ε: look again at ε/4. A wrong gradient is wrong at every ε. */
        w[i] = keep + eps / 4;
        float lp2 = loss_at(m, &p);
        w[i] = keep - eps / 4;
        float lm2 = loss_at(m, &p);
        w[i] = keep;
        double num2 = ((double)lp2 - lm2) / (eps / 2);
        if (cfg.gate_act == LSTM_GATE_HARD_SIGMOID && fabs(num2 - num) > 0.1 * fabs(num) + 1e-3) {
          skipped++;
          continue;
        }
        num = num2;
      }
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
  int dir_ok = fabs(gd - num) <= 1e-2 * fabs(gd) + 2e-4 || cfg.gate_act == LSTM_GATE_HARD_SIGMOID;
  if (!dir_ok) printf("  directional: analytic %.6g numeric %.6g\n", gd, num);
  check(bad == 0 && dir_ok && checked > 0 && skipped * 4 <= checked, what);
  free(g), free(dir), free(keep);
  free_problem(&p);
  lstm_free(m);
}

static void test_gradients(void) {
  /* unidirectional: every cell × layers × loss × input, full length */
  for (int cell = 0; cell < 3; cell++)
    for (int layers = 1; layers <= 2; layers++)
      for (int loss = 0; loss < 4; loss++)
        for (int kind = 0; kind < 2; kind++) gradcheck(config_of(cell, kind, layers, loss, 1, 0), 0, 0);
  for (int cell = 0; cell < 3; cell++) gradcheck(config_of(cell, LSTM_INPUT_TOKENS, 2, LSTM_LOSS_XENT, 1, 0), 1, 1);
  /* bidirectional × cell × {1, 3} layers × input × {xent, xent-last, mse} × {full, ragged, length 1} */
  static const int losses[] = {LSTM_LOSS_XENT, LSTM_LOSS_XENT_LAST, LSTM_LOSS_MSE};
  for (int cell = 0; cell < 3; cell++)
    for (int layers = 1; layers <= 3; layers += 2)
      for (int kind = 0; kind < 2; kind++)
        for (int li = 0; li < 3; li++)
          for (int lens = 0; lens < 3; lens++) gradcheck(config_of(cell, kind, layers, losses[li], 2, 0), lens, 0);
  /* ragged unidirectional, mse-last; the hard sigmoid (LSTM and GRU, both directions) */
  for (int cell = 0; cell < 3; cell++) gradcheck(config_of(cell, LSTM_INPUT_DENSE, 2, LSTM_LOSS_MSE_LAST, 1, 0), 1, 0);
  for (int cell = 0; cell < 2; cell++)
    for (int dirs = 1; dirs <= 2; dirs++)
      gradcheck(config_of(cell, LSTM_INPUT_DENSE, 2, LSTM_LOSS_XENT, dirs, LSTM_GATE_HARD_SIGMOID), dirs == 2, 0);
}

/* A full-length batch of the given data (carried state). */
static lstm_batch batch1(const void* x, const void* y, int B, int T) {
  lstm_batch b = {.inputs = x, .targets = y, .batch = B, .steps = T};
  return b;
}
static int train_(lstm_model* m, const void* x, const void* y, int B, int T, float* l) {
  lstm_batch b = batch1(x, y, B, T);
  return lstm_train(m, &b, l);
}
static int grads_(lstm_model* m, const void* x, const void* y, int B, int T, int advance, float* l) {
  lstm_batch b = batch1(x, y, B, T);
  b.flags = advance ? LSTM_CALL_ADVANCE : 0;
  return lstm_gradients(m, &b, l);
}
static int predict_(lstm_model* m, const void* x, int B, int T, int flags, float* out) {
  lstm_batch b = batch1(x, NULL, B, T);
  b.flags = flags;
  return lstm_predict(m, &b, out, NULL, NULL);
}

/* memorize a short sequence: loss must fall below a small bound */
static void test_overfit(void) {
  for (int cell = 0; cell < 3; cell++) {
    lstm_config c = {cell, LSTM_INPUT_TOKENS, 5, 16, 1, 5, LSTM_LOSS_XENT, 7, 1, 0};
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
      train_(m, x, y, 1, 12, &l);
      if (s == 0) first = l;
    }
    char what[64];
    snprintf(what, sizeof what, "overfit cell %d: %.3f -> %.4f", cell, first, l);
    check(first > 1.0f && l < 0.05f, what);
    lstm_free(m);
  }
}

static lstm_model* trained_model(int cell, int layers, float dropout) {
  lstm_config c = {cell, LSTM_INPUT_TOKENS, 9, 12, layers, 9, LSTM_LOSS_XENT, 3, 1, 0};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  lstm_train_config tc;
  lstm_get_train_config(m, &tc);
  tc.dropout = dropout;
  lstm_set_train_config(m, &tc);
  int32_t x[3 * 8], y[3 * 8];
  for (int i = 0; i < 24; i++) x[i] = (i * 5) % 9, y[i] = (i * 5 + 1) % 9;
  float l;
  for (int s = 0; s < 5; s++) train_(m, x, y, 3, 8, &l);
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
    for (int s = 0; s < 3; s++) train_(a, x, y, 3, 8, &la), train_(b, x, y, 3, 8, &lb);
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
    buf[8] = 3; /* a future version */
    check(!lstm_load(buf, n, &st) && st == LSTM_ERR_VERSION, "unknown version");
    buf[0] = 'X';
    check(!lstm_load(buf, n, &st) && st == LSTM_ERR_FORMAT, "foreign magic");
    free(buf);
    lstm_free(a), lstm_free(b);
  }
}

static void test_nonfinite(void) {
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 2, 8, 1, 1, LSTM_LOSS_MSE, 5, 1, 0};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float x[2 * 4 * 2], y[2 * 4];
  for (int i = 0; i < 16; i++) x[i] = urand();
  for (int i = 0; i < 8; i++) y[i] = urand();
  float l;
  train_(m, x, y, 2, 4, &l);
  int P = lstm_param_count(m);
  float* before = malloc(sizeof(float) * P);
  float* mom = malloc(sizeof(float) * P);
  memcpy(before, lstm_params(m), sizeof(float) * P);
  memcpy(mom, lstm_opt_state(m, 1), sizeof(float) * P);
  double step = lstm_step_count(m);
  x[3] = INFINITY;
  st = train_(m, x, y, 2, 4, &l);
  check(st == LSTM_ERR_NONFINITE, "infinite input -> LSTM_ERR_NONFINITE");
  check(memcmp(before, lstm_params(m), sizeof(float) * P) == 0 && memcmp(mom, lstm_opt_state(m, 1), sizeof(float) * P) == 0 &&
            lstm_step_count(m) == step,
        "rejected step leaves params, moments and step count");
  x[3] = 0.5f;
  check(train_(m, x, y, 2, 4, &l) == LSTM_OK && isfinite(l), "model trains after a rejected step");
  free(before), free(mom);
  lstm_free(m);
}

/* Rejected calls leave the carried state alone, even with another batch size; so does a gradient
 * computation that does not advance. A huge learning rate whose update would overflow is
 * rejected as a whole. (Found by the fuzzers: tests/fuzz/repro/.) */
static void test_rejections_leave_no_trace(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_DENSE, 2, 3, 1, 1, LSTM_LOSS_MSE, 1, 1, 0};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, y[4] = {0.1f, 0.2f, 0.3f, 0.4f}, l, norms[2];
  float bad_y[4] = {0.1f, NAN, 0.3f, 0.4f};
  double bytes0 = lstm_model_bytes(m);
  check(train_(m, x, bad_y, 2, 2, &l) == LSTM_ERR_NONFINITE && !lstm_opt_state(m, 0) && !lstm_opt_state(m, 1) &&
            lstm_step_count(m) == 0,
        "a rejected first step gives back the optimizer moments it allocated");
  (void)bytes0;
  train_(m, x, y, 2, 2, &l);
  float h0 = lstm_state_h(m, LSTM_STATE_TRAIN)[0];
  float nan_y[1] = {NAN};
  check(train_(m, x, nan_y, 1, 1, &l) == LSTM_ERR_NONFINITE && lstm_state_batch(m, 0) == 2 &&
            lstm_state_h(m, 0)[0] == h0,
        "a rejected step with another batch keeps the train state");
  grads_(m, x, y, 1, 2, 0, &l);
  lstm_batch nb = batch1(x, y, 1, 2);
  lstm_step_gradient_norms(m, &nb, norms, NULL);
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
  st = train_(m, x, y, 2, 2, &l);
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
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 9, 12, 1, 9, LSTM_LOSS_XENT, 1, 1, 0};
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
    predict_(m, x, 1, 10, 0, full);
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    predict_(m, x, 1, 5, 0, half);
    predict_(m, x + 5, 1, 5, 0, half + 45);
    check(memcmp(full, half, sizeof full) == 0, "predict: state carried across calls");
    float last[9];
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    predict_(m, x, 1, 10, LSTM_PREDICT_LAST_ONLY, last);
    check(memcmp(last, full + 81, sizeof last) == 0, "predict: last-only equals the last row");
    int C = lstm_inspect_channels(m);
    float* ins = malloc(sizeof(float) * 2 * 10 * C * 12);
    lstm_batch ib = batch1(x, NULL, 1, 10);
    check(lstm_inspect(m, &ib, ins) == LSTM_OK, "inspect runs");
    const float* h_top_last = ins + ((size_t)(1 * 10 + 9) * C + (C - 1)) * 12;
    check(memcmp(h_top_last, lstm_state_h(m, LSTM_STATE_PREDICT) + 12, 12 * sizeof(float)) == 0,
          "inspect: top layer's last h equals the predict state");
    free(ins);
    lstm_free(m);
  }
}

static void test_bad_args(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 4, 8, 1, 4, LSTM_LOSS_XENT, 1, 1, 0};
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
  check(train_(m, x, y, 1, 4, &l) == LSTM_ERR_ARG, "token out of range refused");
  x[3] = 3, y[2] = 4;
  check(train_(m, x, y, 1, 4, &l) == LSTM_ERR_ARG, "target out of range refused");
  y[2] = 2;
  check(train_(m, x, y, 0, 4, &l) == LSTM_ERR_ARG, "batch 0 refused");
  check(train_(m, x, y, 1, 4, &l) == LSTM_OK, "still trains");
  lstm_free(m);
}

/* A ragged batch computes exactly what each sequence computes alone (bit for bit: every matrix
 * product sums each element in the same order whatever the rows around it): outputs at valid
 * steps, zeros at padding, last-step outputs and final states; bidirectional too. */
static void test_ragged_equals_separate(void) {
  for (int cell = 0; cell < 3; cell++)
    for (int dirs = 1; dirs <= 2; dirs++)
      for (int kind = 0; kind < 2; kind++) {
        problem p;
        lstm_config c = config_of(cell, kind, 2, LSTM_LOSS_MSE, dirs, 0);
        make_problem(&p, c, 5, 6, 1);
        int st;
        lstm_model* m = lstm_new(&c, &st);
        int B = p.B, T = p.T, O = c.output, H = c.hidden, LD = c.layers * dirs, I = c.input;
        float *out = malloc(sizeof(float) * B * T * O), *last = malloc(sizeof(float) * B * O);
        float *hn = malloc(sizeof(float) * LD * B * H), *cn = malloc(sizeof(float) * LD * B * H);
        lstm_batch b = batch_of(&p, LSTM_CALL_STATELESS);
        int ok = lstm_predict(m, &b, out, hn, cn) == LSTM_OK;
        b.flags |= LSTM_PREDICT_LAST_ONLY;
        ok &= lstm_predict(m, &b, last, NULL, NULL) == LSTM_OK;
        for (int s = 0; s < B && ok; s++) {
          int len = p.len[s];
          float *o1 = malloc(sizeof(float) * len * O), l1[8], h1[64], c1[64];
          const void* x1 = kind == LSTM_INPUT_TOKENS ? (const void*)((int32_t*)p.x + s * T) : (const void*)((float*)p.x + s * T * I);
          lstm_batch one = {.inputs = x1, .batch = 1, .steps = len, .flags = LSTM_CALL_STATELESS};
          ok &= lstm_predict(m, &one, o1, h1, c1) == LSTM_OK;
          ok &= memcmp(o1, out + s * T * O, sizeof(float) * len * O) == 0;
          for (int t = len; t < T; t++)
            for (int k = 0; k < O; k++) ok &= out[(s * T + t) * O + k] == 0.0f;
          one.flags |= LSTM_PREDICT_LAST_ONLY;
          ok &= lstm_predict(m, &one, l1, NULL, NULL) == LSTM_OK && memcmp(l1, last + s * O, sizeof(float) * O) == 0;
          for (int k = 0; k < LD; k++) {
            ok &= memcmp(h1 + k * H, hn + (k * B + s) * H, sizeof(float) * H) == 0;
            if (cell == LSTM_CELL_LSTM) ok &= memcmp(c1 + k * H, cn + (k * B + s) * H, sizeof(float) * H) == 0;
          }
          free(o1);
        }
        char what[96];
        snprintf(what, sizeof what, "ragged batch == each sequence alone (cell %d, dirs %d, kind %d)", cell, dirs, kind);
        check(ok, what);
        free(out), free(last), free(hn), free(cn);
        free_problem(&p);
        lstm_free(m);
      }
}

/* Bidirectional models have no carried state; stateless calls never touch a carried state. */
static void test_state_rules(void) {
  lstm_config c = config_of(LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 1, LSTM_LOSS_XENT, 2, 0);
  problem p;
  make_problem(&p, c, 2, 4, 0);
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float l, out[2 * 4 * 6];
  lstm_batch b = batch_of(&p, 0);
  b.flags = 0;
  check(lstm_train(m, &b, &l) == LSTM_ERR_ARG && lstm_predict(m, &b, out, NULL, NULL) == LSTM_ERR_ARG,
        "bidirectional: a call that would carry state is refused");
  check(lstm_state_set_batch(m, LSTM_STATE_PREDICT, 2) == LSTM_ERR_ARG, "bidirectional: no state to size");
  b.flags = LSTM_CALL_STATELESS;
  check(lstm_train(m, &b, &l) == LSTM_OK && lstm_state_batch(m, LSTM_STATE_TRAIN) == 0, "bidirectional trains stateless");
  lstm_free(m);
  free_problem(&p);
  c = config_of(LSTM_CELL_GRU, LSTM_INPUT_TOKENS, 1, LSTM_LOSS_XENT, 1, 0);
  make_problem(&p, c, 2, 4, 0);
  m = lstm_new(&c, &st);
  b = batch_of(&p, 0);
  lstm_predict(m, &b, out, NULL, NULL);
  float h0 = lstm_state_h(m, LSTM_STATE_PREDICT)[3];
  float a1[2 * 4 * 6], a2[2 * 4 * 6];
  b.flags = LSTM_CALL_STATELESS;
  lstm_predict(m, &b, a1, NULL, NULL), lstm_predict(m, &b, a2, NULL, NULL);
  check(memcmp(a1, a2, sizeof a1) == 0 && lstm_state_h(m, LSTM_STATE_PREDICT)[3] == h0,
        "stateless predict: same output twice, carried state untouched");
  lstm_free(m);
  free_problem(&p);
}

/* A failed call changes nothing observable: a rejected train leaves the gradient and its norm of
 * the last successful call, so applying them still works. */
static void test_failed_call_no_trace(void) {
  lstm_config c = config_of(LSTM_CELL_LSTM, LSTM_INPUT_DENSE, 1, LSTM_LOSS_MSE, 1, 0);
  problem p;
  make_problem(&p, c, 2, 3, 0);
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float l;
  lstm_batch b = batch_of(&p, 0);
  lstm_gradients(m, &b, &l);
  int P = lstm_param_count(m);
  float* g = malloc(sizeof(float) * P);
  memcpy(g, lstm_grads(m), sizeof(float) * P);
  float n0 = lstm_last_gradient_norm(m);
  ((float*)p.y)[0] = NAN;
  check(lstm_train(m, &b, &l) == LSTM_ERR_NONFINITE && lstm_last_gradient_norm(m) == n0 &&
            memcmp(g, lstm_grads(m), sizeof(float) * P) == 0,
        "a rejected step leaves the gradient buffer and its norm");
  check(lstm_apply_gradients(m) == LSTM_OK, "the earlier gradient still applies");
  free(g);
  lstm_free(m);
  free_problem(&p);
}

/* Finite parameters and finite inputs can still overflow: the call refuses, the state stays. */
static void test_nonfinite_outputs(void) {
  lstm_config c = config_of(LSTM_CELL_RNN, LSTM_INPUT_DENSE, 1, LSTM_LOSS_XENT, 1, 0);
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float x[3] = {1, 0.5f, -1}, out[6];
  lstm_batch b = {.inputs = x, .batch = 1, .steps = 1};
  lstm_predict(m, &b, out, NULL, NULL);
  float h = lstm_state_h(m, LSTM_STATE_PREDICT)[0];
  float huge[3] = {3e38f, -3e38f, 3e38f};
  b.inputs = huge;
  float* w = lstm_params(m);
  for (int i = 0; i < lstm_param_count(m); i++) w[i] = 3e38f; /* x Wx = inf − inf + inf = NaN */
  check(lstm_predict(m, &b, out, NULL, NULL) == LSTM_ERR_NONFINITE && lstm_state_h(m, LSTM_STATE_PREDICT)[0] == h,
        "non-finite outputs refused, predict state kept");
  lstm_free(m);
}

/* The streaming writer and reader in pieces of every size give the whole-file bytes and model. */
static void test_streaming_files(void) {
  lstm_model* a = trained_model(LSTM_CELL_LSTM, 2, 0.0f);
  const uint8_t meta[] = "{\"kind\":\"network\"}";
  int n = lstm_save_size(a, 3, (int)sizeof meta - 1);
  uint8_t *whole = malloc((size_t)n), *pieces = malloc((size_t)n);
  check(lstm_save(a, 3, meta, (int)sizeof meta - 1, whole, n) == n, "save whole");
  int ok = 1;
  for (int cap = 1; cap <= 97; cap += 16) {
    int st;
    lstm_writer* w = lstm_write_begin(a, 3, meta, (int)sizeof meta - 1, &st);
    int at = 0, k;
    while ((k = lstm_write_chunk(w, pieces + at, cap)) > 0) at += k;
    lstm_write_free(w);
    ok &= at == n && memcmp(whole, pieces, (size_t)n) == 0;
    lstm_reader* r = lstm_read_begin(n, 1, &st);
    for (int i = 0; i < n; i += cap) lstm_read_chunk(r, whole + i, n - i < cap ? n - i : cap);
    ok &= lstm_read_end(r) == LSTM_OK;
    lstm_model* b = lstm_read_model(r);
    lstm_read_free(r);
    ok &= b && memcmp(lstm_params(a), lstm_params(b), sizeof(float) * lstm_param_count(a)) == 0 &&
          memcmp(lstm_opt_state(a, 1), lstm_opt_state(b, 1), sizeof(float) * lstm_param_count(a)) == 0;
    lstm_free(b);
  }
  check(ok, "writer and reader in pieces of 1..97 bytes");
  /* a flipped value byte read in pieces: still the checksum error */
  whole[n - 20] ^= 0x40;
  int st;
  lstm_reader* r = lstm_read_begin(n, 1, &st);
  for (int i = 0; i < n; i += 7) lstm_read_chunk(r, whole + i, n - i < 7 ? n - i : 7);
  check(lstm_read_end(r) == LSTM_ERR_CHECKSUM && !lstm_read_model(r), "pieces: checksum");
  lstm_read_free(r);
  free(whole), free(pieces);
  lstm_free(a);
}

/* Shards with the whole batch's count as their norm: their losses and gradients sum to the batch's
 * (the data-parallel pool's rule), up to float rounding; lstm_evaluate's loss is lstm_gradients's,
 * and it counts the targets and the right argmax predictions. */
static void test_norm_and_evaluate(void) {
  static const int losses[] = {LSTM_LOSS_XENT, LSTM_LOSS_XENT_LAST, LSTM_LOSS_MSE, LSTM_LOSS_MSE_LAST};
  for (int li = 0; li < 4; li++) {
    lstm_config c = config_of(LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 2, losses[li], 2, 0);
    problem p;
    make_problem(&p, c, 4, 5, 1);
    int st;
    lstm_model* m = lstm_new(&c, &st);
    int P = lstm_param_count(m);
    float l_all, l_a, l_b;
    lstm_batch all = batch_of(&p, 0);
    lstm_gradients(m, &all, &l_all);
    double met[4], ev[3];
    lstm_last_metrics(m, met);
    int xent = losses[li] == LSTM_LOSS_XENT || losses[li] == LSTM_LOSS_XENT_LAST;
    float* g_all = malloc(sizeof(float) * P);
    memcpy(g_all, lstm_grads(m), sizeof(float) * P);
    check(lstm_evaluate(m, &all, ev) == LSTM_OK && fabs(ev[0] - l_all) <= 1e-6 * fabs(l_all) + 1e-7 && ev[1] == met[0] &&
              ev[2] == met[1] && ev[1] > 0 && (xent || ev[2] == 0),
          "lstm_evaluate: the loss and counts of lstm_gradients");
    /* shards of 2 sequences with norm = the whole batch's count */
    int last = losses[li] == LSTM_LOSS_MSE_LAST;
    int T = p.T, O = c.output, B2 = 2;
    size_t ty = xent ? sizeof(int32_t) : sizeof(float);
    size_t per_y = (size_t)(losses[li] == LSTM_LOSS_XENT ? T : losses[li] == LSTM_LOSS_XENT_LAST ? 1 : last ? O : T * O);
    lstm_batch a = all, bb = all;
    a.batch = bb.batch = B2;
    a.norm = bb.norm = (float)met[0];
    bb.inputs = (const int32_t*)p.x + B2 * T;
    bb.targets = (const char*)p.y + B2 * per_y * ty;
    bb.lengths = p.len + B2;
    lstm_gradients(m, &a, &l_a);
    float* g = malloc(sizeof(float) * P);
    memcpy(g, lstm_grads(m), sizeof(float) * P);
    lstm_gradients(m, &bb, &l_b);
    const float* gb = lstm_grads(m);
    double worst = 0, scale = 0;
    for (int i = 0; i < P; i++) worst = fmax(worst, fabs((double)g[i] + gb[i] - g_all[i])), scale = fmax(scale, fabs(g_all[i]));
    char what[96];
    snprintf(what, sizeof what, "loss %d: shard losses and gradients sum to the batch's (%.2g of %.2g)", losses[li], worst, scale);
    check(fabs((double)l_a + l_b - l_all) <= 1e-6 * fabs(l_all) + 1e-7 && worst <= 1e-6 * scale + 1e-9, what);
    free(g), free(g_all);
    free_problem(&p);
    lstm_free(m);
  }
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
  test_ragged_equals_separate();
  test_state_rules();
  test_failed_call_no_trace();
  test_nonfinite_outputs();
  test_streaming_files();
  test_norm_and_evaluate();
  printf("native model: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
