/*
 * eps_zero_nan.c — lstm__train_config_check accepts eps = 0 ("!(eps >= 0)" refuses only
 * negatives), and the Adam/RMSProp/Adagrad kernels divide by sqrt(v) + eps: every parameter
 * whose gradient has been 0 so far (an unused embedding row, a token never seen) gets
 * 0 / 0 = NaN, and lstm_train returns LSTM_OK. Found by fuzz_model.
 * Suggested fix: require eps > 0 (and say so in lstm.h), or guard the division.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  int bugs = 0;
  for (int opt = LSTM_OPT_ADAM; opt <= LSTM_OPT_ADAGRAD; opt++) {
    if (opt == LSTM_OPT_SGD) continue;
    lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 5, 4, 1, 5, LSTM_LOSS_XENT, 1, 1, LSTM_GATE_SIGMOID};
    int st;
    lstm_model* m = lstm_new(&c, &st);
    lstm_train_config tc;
    lstm_train_config_default(&tc);
    tc.optimizer = opt, tc.eps = 0.0f;
    st = lstm_set_train_config(m, &tc);
    int32_t x[3] = {0, 1, 0}, y[3] = {1, 0, 1}; /* tokens 2..4 never appear: their rows get gradient 0 */
    float l;
    lstm_batch b = {x, y, NULL, NULL, NULL, 1, 3, 0};
    int tr = lstm_train(m, &b, &l);
    int nan = 0;
    for (int i = 0; i < lstm_param_count(m); i++) nan += isnan(lstm_params(m)[i]);
    printf("optimizer %d: set eps = 0 -> %d, lstm_train -> %d, NaN parameters: %d of %d\n", opt, st, tr, nan,
           lstm_param_count(m));
    if (st == LSTM_OK && tr == LSTM_OK && nan) bugs++;
    lstm_free(m);
  }
  printf("%s\n", bugs ? "eps_zero_nan: BUG present" : "eps_zero_nan: fixed");
  return bugs ? 1 : 0;
}
