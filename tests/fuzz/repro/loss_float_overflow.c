/*
 * loss_float_overflow.c — c/lstm.c compute_gradients tests isfinite(lv) on the double loss, then
 * stores (float)lv: a mean loss between FLT_MAX and DBL_MAX (a huge MSE target)
 * passes the test and comes back as *loss = inf with LSTM_OK, while the gradient (~1e19 per
 * element, norm-clipped to 5) is finite, so the step is applied. Here: B = 2, O = 3, one target
 * of -5.0625e19: mean squared error 4.3e38 > FLT_MAX. lstm.h: NONFINITE is "loss or
 * gradient not finite". Found by fuzz_model. Suggested fix: test the float that is returned,
 * isfinite((float)lv), or compute and report the loss as double.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 4, 5, 1, 3, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  int32_t x[2] = {0, 0};
  float y[6] = {-5.0625e19f, 0, 0, 0, 0, 0}, loss = 0.0f;
  lstm_batch b = {x, y, NULL, NULL, NULL, 2, 1, 0};
  st = lstm_train(m, &b, &loss);
  printf("lstm_train(B = 2, T = 1, a target of -5.0625e19) -> %d, loss %g, step count %g\n", st, loss,
         lstm_step_count(m));
  lstm_free(m);
  int bug = st == LSTM_OK && !isfinite(loss);
  printf("%s\n", bug ? "loss_float_overflow: BUG present (LSTM_OK with an infinite loss)" : "loss_float_overflow: fixed");
  return bug;
}
