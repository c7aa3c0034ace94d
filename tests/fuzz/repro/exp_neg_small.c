/*
 * exp_neg_small.c — c/kernels.h k_exp_neg (and v_exp_neg in kernels_wasmsimd.c) return
 * tsp + (sm1 + 1) with sm1 = s − 1, s = 2^n. Once s < 2^-24 (z below about −16.6) the float sum
 * (s − 1) + 1 is 0, s is lost, and what is left, tsp = s·t·p ≈ s·(e^t − 1), is wrong by up to
 * 141% of e^z and NEGATIVE whenever t < 0 (half of the range). The absolute error stays below
 * ~4e-8, which is why the kernel tests' absolute bounds pass. Effects through the ABI:
 *   - lstm_predict(..., LSTM_PREDICT_SOFTMAX) returns negative probabilities for classes whose
 *     logit is 16.6+ below the max (log(p) is then NaN: perplexity, sampling weights), and the
 *     small probabilities are wrong in relative terms;
 *   - sigmoid(x) for x < −16.6 is negative or off by up to 141% (gate activations);
 *   - the xent gradient p − onehot carries the same error (tiny in absolute terms).
 * Found by fuzz_model (a softmax row with p = -1.7e-34). Suggested fix: return tsp + s (keep s
 * from k_expm1_parts; e^z = s + s·t·p), in both twins so they stay bit-identical.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_TOKENS, 2, 1, 1, 2, LSTM_LOSS_XENT, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  int k = lstm_tensor_count(m);
  float* w = lstm_params(m);
  int32_t d[2];
  int wo = lstm_tensor_offset(m, k - 2), bo = lstm_tensor_offset(m, k - 1);
  lstm_tensor_shape(m, k - 2, d);
  for (int i = 0; i < d[0] * d[1]; i++) w[wo + i] = 0.0f; /* head.w = 0: logits = head.b */
  int bad = 0;
  for (int i = 0; i < 8; i++) {
    float gap = 16.0f + 0.5f * (float)i;
    w[bo] = 0.0f, w[bo + 1] = -gap;
    int32_t x[1] = {0};
    float p[2];
    lstm_reset_state(m, LSTM_STATE_PREDICT);
    lstm_batch b = {x, NULL, NULL, NULL, NULL, 1, 1, LSTM_PREDICT_SOFTMAX};
    lstm_predict(m, &b, p, NULL, NULL);
    double want = exp(-(double)gap) / (1.0 + exp(-(double)gap));
    printf("logits (0, -%.1f): p[1] = %.6e, exact %.6e%s\n", gap, p[1], want, p[1] < 0 ? "  NEGATIVE" : "");
    if (!(p[1] >= 0.0f) || fabs(p[1] - want) > 0.01 * want) bad++;
  }
  lstm_free(m);
  printf("%s\n", bad ? "exp_neg_small: BUG present" : "exp_neg_small: fixed");
  return bad ? 1 : 0;
}
