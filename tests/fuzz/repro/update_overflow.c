/*
 * update_overflow.c — c/lstm.c update() does not check what it computes. A finite Adam state
 * with a large first moment and a small second moment (written here through lstm_opt_state, as
 * the JS layer can; a loaded file can hold it too) gives p -= a·m/(√v·rb2 + ε) = ∓inf, and
 * lstm_train returns LSTM_OK with infinite parameters, in a model that lstm_save then refuses
 * (-LSTM_ERR_NONFINITE). Found by fuzz_load: a mutated (CRC-fixed) file with m down to -2.5e38,
 * v <= 6e-5, norm clipping on: tests/fuzz/regress/load/update_overflow_adam_state (fixed in
 * 02b3428: such an update is now refused with LSTM_ERR_NONFINITE; npm test replays the file).
 * lstm.h's NONFINITE contract covers the loss and the gradient, not the update. Suggested fix:
 * check the updated parameters and moments (O(P)), and on a non-finite value restore them and
 * return LSTM_ERR_NONFINITE — or bound the step.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  /* tokens: row 4 of l0.wx (token 4 never appears) has gradient 0, so its v stays 0 */
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_TOKENS, 5, 3, 1, 2, LSTM_LOSS_XENT, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  int32_t x[2] = {0, 1}, y[2] = {1, 0};
  float l;
  lstm_batch b = {x, y, NULL, NULL, NULL, 1, 2, 0};
  lstm_train(m, &b, &l); /* Adam moments exist now */
  int k = 4 * 3;                 /* l0.wx[4][0]: row 4 of (V, G*H) = (5, 3) */
  lstm_opt_state(m, 0)[k] = -2.5e38f, lstm_opt_state(m, 1)[k] = 0.0f; /* both finite */
  st = lstm_train(m, &b, &l);
  int inf = 0;
  for (int i = 0; i < lstm_param_count(m); i++) inf += !isfinite(lstm_params(m)[i]);
  printf("lstm_train -> %d (loss %g), non-finite parameters afterwards: %d (l0.wx[4][0] = %g)\n", st, l, inf,
         lstm_params(m)[k]);
  lstm_free(m);
  int bug = st == LSTM_OK && inf > 0;
  printf("%s\n", bug ? "update_overflow: BUG present" : "update_overflow: fixed");
  return bug;
}
