/*
 * wasm32_size_wrap.c — reproducer for the lead (c/lstm.c): on wasm32, size_t is 32 bits and
 * emmalloc's calloc does not check num*size for overflow, so buffer sizes that are fine in 64-bit
 * builds wrap around. Native 64-bit builds (and so the fuzzers) cannot see this; run it as wasm:
 *
 *   emcc -O1 -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=1GB -sMALLOC=emmalloc -sENVIRONMENT=node \
 *        -I c tests/fuzz/repro/wasm32_size_wrap.c c/[*].c -o build/fuzz/wasm32_size_wrap.cjs
 *   node --no-experimental-fetch build/fuzz/wasm32_size_wrap.cjs
 *
 * 1. ws_prepare / ws_layout: `need` is summed in size_t; for an RNN with H = 4096 and B*T = 2^20
 *    the terms T*B*G*H = 2^32 (and T*B*H) wrap to 0, the "need * 4 > 2 GB" check passes on the
 *    wrapped value, a few MB are allocated, and forward() writes 16 GB through it: a wasm
 *    "memory access out of bounds" trap (or silent corruption of the heap below the end).
 *    Natively the same call returns LSTM_ERR_NOMEM.
 * 2. state_size: calloc(L*B*H, 4) with L*B*H = 2^30 asks emmalloc for 2^32 bytes = 0 bytes and
 *    succeeds, so lstm_state_set_batch(m, 0, 2^20) on an H = 1024 model returns LSTM_OK with a
 *    0-byte state that lstm_state_h / lstm_save then treat as 2^30 floats.
 * Fix suggestion: do the size arithmetic of state_size and ws_layout in uint64_t and refuse
 * (LSTM_ERR_NOMEM) anything over the wasm limit before calling malloc/calloc.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lstm.h"

int main(void) {
  printf("sizeof(size_t) = %d\n", (int)sizeof(size_t));
  int st;
  /* case 2: the state */
  lstm_config c2 = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 1, 1024, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  lstm_model* m2 = lstm_new(&c2, &st);
  if (!m2) return printf("lstm_new(H=1024): %d\n", st), 1;
  st = lstm_state_set_batch(m2, LSTM_STATE_TRAIN, 1 << 20);
  printf("case 2: lstm_state_set_batch(B = 2^20) on H = 1024 -> %d (native: NOMEM or OK with 4 GB; "
         "expected LSTM_ERR_NOMEM in 1 GB of wasm memory)\n", st);
  if (st == LSTM_OK)
    printf("case 2: BUG: a state of L*B*H = 2^30 floats 'allocated'; lstm_save_size(flags=2) = %d\n",
           lstm_save_size(m2, 2, 0));
  lstm_free(m2);

  /* case 1: the workspace */
  lstm_config c1 = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 1, 4096, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  lstm_model* m = lstm_new(&c1, &st);
  if (!m) return printf("lstm_new(H=4096): %d\n", st), 1;
  int T = 1 << 20;
  float* x = calloc((size_t)T, sizeof(float));
  float* out = calloc((size_t)T, sizeof(float));
  if (!x || !out) return printf("no memory for the inputs\n"), 1;
  printf("case 1: lstm_predict(B = 1, T = 2^20) on an RNN with H = 4096 (needs 16 GB of workspace)...\n");
  fflush(stdout);
  lstm_batch b = {x, NULL, NULL, NULL, NULL, 1, T, 0};
  st = lstm_predict(m, &b, out, NULL, NULL);
  printf("case 1: lstm_predict -> %d (expected LSTM_ERR_NOMEM = %d)\n", st, LSTM_ERR_NOMEM);
  free(x), free(out);
  lstm_free(m);
  return 0;
}
