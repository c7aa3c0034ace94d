/*
 * state_reset.c — c/lstm.c compute_gradients calls state_size(m, LSTM_STATE_TRAIN, B) before the
 * forward pass. When B differs from the carried state's batch, the old state is freed and a zero
 * state of the new B takes its place, whatever happens next. lstm.h promises otherwise:
 *   lstm_train: "LSTM_ERR_NONFINITE leaves parameters, optimizer moments, step count and state
 *               exactly as they were"
 *   lstm_gradients: "with 0 [advance] it is left alone" (and lstm_step_gradient_norms "like
 *               lstm_gradients(advance = 0)")
 * Found by fuzz_model (and fuzz_load: a loaded file's train state of B = 3 was gone after a
 * gradient check with B = 1). Suggested fix: run the call on a scratch state (or a zero initial
 * state when B differs) and swap it in only in state_commit, on success with advance.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_LSTM, LSTM_INPUT_DENSE, 2, 3, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  int st, bugs = 0;
  lstm_model* m = lstm_new(&c, &st);
  float x[2 * 2 * 2] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, y[2 * 2] = {0.1f, 0.2f, 0.3f, 0.4f};
  float l, norms[2];
  lstm_batch b22 = {x, y, NULL, NULL, NULL, 2, 2, 0}, b12 = {x, y, NULL, NULL, NULL, 1, 2, 0};
  lstm_train(m, &b22, &l); /* train state: B = 2, nonzero */
  float h0 = lstm_state_h(m, LSTM_STATE_TRAIN)[0];
  printf("after training with B = 2: train state B = %d, h[0] = %g\n", lstm_state_batch(m, 0), h0);

  float y1[1] = {NAN}; /* a NaN target: NONFINITE from the loss (a NaN input would hit nan_cast_ub.c) */
  lstm_batch b11 = {x, y1, NULL, NULL, NULL, 1, 1, 0};
  st = lstm_train(m, &b11, &l); /* another B */
  printf("lstm_train(B = 1, NaN target) -> %d (NONFINITE = %d); train state B = %d\n", st, LSTM_ERR_NONFINITE,
         lstm_state_batch(m, 0));
  if (lstm_state_batch(m, 0) != 2) bugs++, printf("  BUG: a rejected step replaced the train state\n");

  lstm_reset_state(m, 0);
  lstm_train(m, &b22, &l);
  st = lstm_gradients(m, &b12, &l); /* without LSTM_CALL_ADVANCE */
  printf("lstm_gradients(B = 1, advance = 0) -> %d; train state B = %d\n", st, lstm_state_batch(m, 0));
  if (lstm_state_batch(m, 0) != 2) bugs++, printf("  BUG: advance = 0 replaced the train state\n");

  lstm_reset_state(m, 0);
  lstm_train(m, &b22, &l);
  st = lstm_step_gradient_norms(m, &b12, norms, NULL);
  printf("lstm_step_gradient_norms(B = 1) -> %d; train state B = %d\n", st, lstm_state_batch(m, 0));
  if (lstm_state_batch(m, 0) != 2) bugs++, printf("  BUG: step_gradient_norms replaced the train state\n");
  lstm_free(m);
  printf("%s\n", bugs ? "state_reset: BUG present" : "state_reset: fixed");
  return bugs ? 1 : 0;
}
