/*
 * norms_sumsq_overflow.c — c/lstm.c backward_layer: norms[l*T + t] = sqrtf(k_sumsq(BH, dh)), and
 * k_sumsq sums squares in float. With elements of ∂L/∂h_t near 1e20 the norm (~1e21) is a
 * perfectly good float but the sum of squares (~1e41) overflows: lstm_step_gradient_norms returns
 * LSTM_OK with norms = inf. Found by fuzz_model (parameters grown to 2.5e27 by lr = 1e30).
 * The same float sum of squares forms the global gradient norm (compute_gradients, per tensor):
 * a finite gradient with elements above ~1.8e19 gets norm inf and the step is refused as
 * LSTM_ERR_NONFINITE instead of being clipped. Low severity (extreme values only). Suggested fix:
 * accumulate the squares in double (or scale by the max), for the norms and for last_gnorm.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  /* RNN, tokens: wx = 100 saturates tanh (h = ±1 exactly, so dG = dh·(1 − h²) = 0 and the weight
   * gradients stay finite), head.w = 1e20 makes ∂L/∂h = dY·head.wᵀ ~ 1e20 */
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_TOKENS, 2, 4, 1, 2, LSTM_LOSS_XENT, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  float* w = lstm_params(m);
  int32_t d[2];
  int k = lstm_tensor_count(m);
  lstm_tensor_shape(m, 0, d);
  for (int i = 0; i < d[0] * d[1]; i++) w[lstm_tensor_offset(m, 0) + i] = 100.0f; /* l0.wx */
  lstm_tensor_shape(m, 1, d);
  for (int i = 0; i < d[0] * d[1]; i++) w[lstm_tensor_offset(m, 1) + i] = 0.0f;   /* l0.wh */
  lstm_tensor_shape(m, k - 2, d);
  for (int i = 0; i < d[0] * d[1]; i++) w[lstm_tensor_offset(m, k - 2) + i] = (i % 2 ? 1e20f : -1e20f);
  int32_t x[2] = {0, 1}, y[2] = {1, 0};
  float norms[2], loss;
  lstm_batch b = {x, y, NULL, NULL, NULL, 1, 2, 0};
  st = lstm_step_gradient_norms(m, &b, norms, NULL);
  lstm_gradients(m, &b, &loss);
  printf("lstm_step_gradient_norms -> %d, norms %g %g (loss %g, gradient norm %g)\n", st, norms[0], norms[1], loss,
         lstm_last_gradient_norm(m));
  lstm_free(m);
  int bug = st == LSTM_OK && (!isfinite(norms[0]) || !isfinite(norms[1]));
  printf("%s\n", bug ? "norms_sumsq_overflow: BUG present (LSTM_OK, infinite norms)" : "norms_sumsq_overflow: fixed");
  return bug;
}
