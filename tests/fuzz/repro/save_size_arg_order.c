/*
 * save_size_arg_order.c — c/lstm_file.c lstm_save_size checks meta_len < 0 only after
 * lstm_write_begin(m, flags, NULL, 0) has checked the model's values, so for a model with a
 * non-finite saved value (here a NaN written into the train state, as the JS layer can) a bad
 * argument is reported as -LSTM_ERR_NONFINITE, while lstm_write_begin with the same meta_len says
 * LSTM_ERR_ARG, and lstm_save_size with a bad flag says -LSTM_ERR_ARG too: the argument checks come
 * first everywhere else. Low severity (a negative status either way), but the JS layer names the
 * argument only for LSTM_ERR_ARG. Found by fuzz_model. Suggested fix: in lstm_save_size, refuse
 * meta_len < 0 before calling lstm_write_begin.
 */
#include <math.h>
#include <stdio.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_GRU, LSTM_INPUT_DENSE, 2, 3, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  lstm_state_set_batch(m, LSTM_STATE_TRAIN, 1);
  lstm_state_h(m, LSTM_STATE_TRAIN)[0] = NAN;
  int size = lstm_save_size(m, 2, -1);
  lstm_writer* w = lstm_write_begin(m, 2, NULL, -1, &st);
  printf("lstm_save_size(flags 2, meta_len -1) -> %d; lstm_write_begin(flags 2, meta_len -1) -> status %d\n", size,
         st);
  lstm_write_free(w);
  lstm_free(m);
  int bug = size != -LSTM_ERR_ARG;
  printf("%s\n", bug ? "save_size_arg_order: BUG present (a bad meta_len reported as NONFINITE)" : "save_size_arg_order: fixed");
  return bug;
}
