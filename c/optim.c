/*
 * optim.c — clipping and the optimizers: one flat loop per tensor over the parameter buffer, whose
 * gradient and moment buffers share its layout (the tensor table).
 *
 * Clipping (lstm_train_config.clip_mode): VALUE clips each gradient to [−θ, θ]; NORM rescales the
 * whole gradient to norm θ when its global L2 norm exceeds θ (the "threshold θ" of gradient
 * clipping against exploding gradients). Optimizers (kernels.h has their per-element equations):
 * Adam (PyTorch; decoupled AdamW weight decay), SGD with momentum, RMSProp, Adagrad.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "lstm_internal.h"

/* ---- moments -------------------------------------------------------------------------------- */
int lstm__moment_count(int optimizer) { return optimizer == LSTM_OPT_ADAM ? 2 : 1; }

int lstm__alloc_moments(lstm_model* m, int k, int zero) {
  size_t n = (size_t)k * (size_t)m->P;
  float* b = zero ? calloc(n, sizeof(float)) : malloc(n * sizeof(float));
  if (!b) return LSTM_ERR_NOMEM;
  free(m->mom_block);
  m->mom_block = b;
  m->mom[0] = b, m->mom[1] = k == 2 ? b + m->P : NULL;
  return LSTM_OK;
}

void lstm__free_moments(lstm_model* m) {
  free(m->mom_block);
  m->mom_block = m->mom[0] = m->mom[1] = NULL;
}

/* The moments the optimizer needs, allocated (zeroed) if missing; *fresh tells the caller to give
 * them back (lstm__free_moments) if its call fails later, so that memory is left as it was.
 * Changing the optimizer frees them (lstm_set_train_config). */
int lstm__ensure_moments(lstm_model* m, int* fresh) {
  *fresh = 0;
  if (m->mom_block) return LSTM_OK;
  int st = lstm__alloc_moments(m, lstm__moment_count(m->tc.optimizer), 1);
  *fresh = st == LSTM_OK;
  return st;
}

/* ---- clipping ------------------------------------------------------------------------------- */
static void clip_gradients(const lstm_model* m, float* g, float gnorm) {
  const lstm_train_config* tc = &m->tc;
  if (tc->clip_mode == LSTM_CLIP_VALUE) {
    float th = tc->clip;
    for (int i = 0; i < m->P; i++) g[i] = g[i] > th ? th : g[i] < -th ? -th : g[i];
  } else if (tc->clip_mode == LSTM_CLIP_NORM && gnorm > tc->clip) {
    float s = tc->clip / gnorm;
    for (int i = 0; i < m->P; i++) g[i] *= s;
  }
}

/* ---- the update ----------------------------------------------------------------------------- */
typedef struct {
  float a, rb2; /* Adam: bias-corrected step size and 1/√(1 − β2^t) */
} step_consts;

/* Applies the optimizer to one run of n elements of every buffer (params, grads, moments). */
static void apply_run(const lstm_model* m, const step_consts* k, float lrwd, int n, float* p, const float* g,
                      float* m0, float* m1) {
  const lstm_train_config* tc = &m->tc;
  switch (tc->optimizer) {
    case LSTM_OPT_ADAM: k_adam(n, p, g, m0, m1, k->a, tc->beta1, tc->beta2, k->rb2, tc->eps, lrwd); break;
    case LSTM_OPT_SGD: k_sgd(n, p, g, m0, tc->lr, tc->beta1, lrwd); break;
    case LSTM_OPT_RMSPROP: k_rmsprop(n, p, g, m0, tc->lr, tc->beta2, tc->eps, lrwd); break;
    default: k_adagrad(n, p, g, m0, tc->lr, tc->eps, lrwd); break;
  }
}

static int all_finite(int n, const float* x) {
  for (int i = 0; i < n; i++)
    if (!(x[i] - x[i] == 0.0f)) return 0; /* inf − inf and NaN − NaN are NaN */
  return 1;
}

/* The update runs twice over the same values: first on copies, chunk by chunk, to learn whether
 * any new parameter or moment would be non-finite (a huge learning rate, an overflowing moment);
 * only then in place. The optimizer is elementwise, so both runs compute the same bits, and a
 * rejected update changes nothing. */
#define UPDATE_CHUNK 1024
static int update_with_moments(lstm_model* m, float* g, float gnorm) {
  clip_gradients(m, g, gnorm);
  const lstm_train_config* tc = &m->tc;
  double step = m->step + 1.0;
  step_consts k = {tc->lr, 1.0f};
  if (tc->optimizer == LSTM_OPT_ADAM) {
    k.a = (float)(tc->lr / (1.0 - pow(tc->beta1, step)));
    k.rb2 = (float)(1.0 / sqrt(1.0 - pow(tc->beta2, step)));
  }
  int two = m->mom[1] != NULL && tc->optimizer == LSTM_OPT_ADAM;
  float cp[UPDATE_CHUNK], c0[UPDATE_CHUNK], c1[UPDATE_CHUNK];
  for (int pass = 0; pass < 2; pass++) {
    for (int t = 0; t < m->ntensors; t++) {
      const tensor_desc* d = &m->tensors[t];
      int n = d->dims[0] * d->dims[1];
      float lrwd = d->decay ? tc->lr * tc->weight_decay : 0.0f;
      float *p = m->params + d->offset, *gt = g + d->offset, *m0 = m->mom[0] + d->offset;
      float* m1 = two ? m->mom[1] + d->offset : NULL;
      if (pass == 1) {
        apply_run(m, &k, lrwd, n, p, gt, m0, m1);
        continue;
      }
      for (int i = 0; i < n; i += UPDATE_CHUNK) {
        int r = n - i < UPDATE_CHUNK ? n - i : UPDATE_CHUNK;
        memcpy(cp, p + i, sizeof(float) * r), memcpy(c0, m0 + i, sizeof(float) * r);
        if (m1) memcpy(c1, m1 + i, sizeof(float) * r);
        apply_run(m, &k, lrwd, r, cp, gt + i, c0, m1 ? c1 : NULL);
        if (!all_finite(r, cp) || !all_finite(r, c0) || (m1 && !all_finite(r, c1))) return LSTM_ERR_NONFINITE;
      }
    }
  }
  m->step = step;
  return LSTM_OK;
}

int lstm__update(lstm_model* m, float* g, float gnorm) {
  int fresh;
  m->panels_ok = 0; /* the parameters change: their panel copies (lstm.c) are stale */
  int st = lstm__ensure_moments(m, &fresh);
  if (st != LSTM_OK) return st;
  st = update_with_moments(m, g, gnorm);
  if (st != LSTM_OK && fresh) lstm__free_moments(m);
  return st;
}
