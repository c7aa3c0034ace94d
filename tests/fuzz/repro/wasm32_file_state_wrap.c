/*
 * wasm32_file_state_wrap.c — a model file whose carried-state size wraps around in 32-bit
 * size_t arithmetic (wasm32). Checks c/lstm_file.c, which must refuse it with LSTM_ERR_FORMAT;
 * a 64-bit build computes the size right and refuses it anyway, so this only means something as
 * wasm:
 *
 *   emcc -O1 -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=1GB -sMALLOC=emmalloc -sENVIRONMENT=node \
 *        -I c tests/fuzz/repro/wasm32_file_state_wrap.c c/[*].c -o build/fuzz/wasm32_file_state_wrap.cjs
 *   node --no-experimental-fetch build/fuzz/wasm32_file_state_wrap.cjs     (exit 0 = refused)
 *
 * An RNN with H = 1024 and L = 1 and a state of B = 2^20: the state takes 4*L*B*H = 2^32 bytes,
 * which is 0 in 32 bits, so a file with the state flag, B = 2^20 and no state bytes at all had
 * the size the loader expected; lstm_load then asked calloc for 2^30 * 4 = 0 bytes (emmalloc does
 * not check the product), got them, and returned a model whose train state claims 2^30 floats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 1, 1024, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  if (!m) return printf("lstm_new: %d\n", st), 2;
  int n = lstm_save_size(m, 0, 0);
  uint8_t* buf = malloc((size_t)n + 4);
  if (!buf || lstm_save(m, 0, NULL, 0, buf, n) != n) return printf("save failed\n"), 2;
  lstm_free(m);
  /* flags |= state; insert u32 B = 2^20 before the CRC and no state bytes; fix the CRC */
  uint32_t flags = 2, B = 1u << 20;
  memcpy(buf + 12, &flags, 4);
  memcpy(buf + n - 4, &B, 4);
  uint32_t crc = lstm_crc32(buf, n);
  memcpy(buf + n, &crc, 4);
  lstm_model* bad = lstm_load(buf, n + 4, &st);
  printf("sizeof(size_t) = %d: lstm_load -> status %d (%s)\n", (int)sizeof(size_t), st,
         bad ? "BUG: loaded" : st == LSTM_ERR_FORMAT ? "refused, as it must be" : "refused");
  if (bad) printf("  train state batch %d\n", lstm_state_batch(bad, LSTM_STATE_TRAIN));
  lstm_free(bad);
  free(buf);
  return bad ? 1 : 0;
}
