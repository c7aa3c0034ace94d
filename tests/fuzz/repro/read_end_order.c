/*
 * read_end_order.c — c/lstm.h and c/lstm_file.c disagree on which error a file with several gets.
 * lstm.h (lstm_read_end): "LSTM_OK, or why the file is refused (CHECKSUM first, then FORMAT,
 * VERSION, NOMEM)". lstm_file.c (its header, and lstm_read_end): "magic and version first, then
 * the checksum, then the structure and values" — so a file with a bad magic or an unknown version
 * AND a wrong CRC gets LSTM_ERR_FORMAT / LSTM_ERR_VERSION, not LSTM_ERR_CHECKSUM (format 1 did the
 * same: version before CRC). lstm_load and lstm_file_meta follow the code. Found reading the code
 * for the fuzz harness (the harness compares one piece with pieces, so it checks either order).
 * Suggested fix: the sentence in lstm.h ("magic and version first, then CHECKSUM, then FORMAT and
 * NOMEM"); this program then needs its expectation turned around, or removing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"

int main(void) {
  lstm_config c = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 1, 2, 1, 1, LSTM_LOSS_MSE, 1, 1, LSTM_GATE_SIGMOID};
  int st;
  lstm_model* m = lstm_new(&c, &st);
  int n = lstm_save_size(m, 0, 0);
  uint8_t* buf = malloc((size_t)n);
  lstm_save(m, 0, NULL, 0, buf, n);
  lstm_free(m);
  buf[n - 1] ^= 0xFF; /* a wrong CRC */
  uint8_t* v = malloc((size_t)n);
  memcpy(v, buf, (size_t)n);
  v[8] = 9; /* version 9 */
  buf[0] = 'X'; /* not the magic */
  int a, b;
  lstm_free(lstm_load(buf, n, &a));
  lstm_free(lstm_load(v, n, &b));
  printf("bad magic + bad CRC -> %d, version 9 + bad CRC -> %d (CHECKSUM = %d, FORMAT = %d, VERSION = %d)\n", a, b,
         LSTM_ERR_CHECKSUM, LSTM_ERR_FORMAT, LSTM_ERR_VERSION);
  free(buf), free(v);
  /* lstm.h (since the fix): FORMAT (magic), VERSION, then CHECKSUM */
  int mismatch = a != LSTM_ERR_FORMAT || b != LSTM_ERR_VERSION;
  printf("%s\n", mismatch ? "read_end_order: lstm.h's order is not what the reader does" : "read_end_order: as lstm.h says");
  return mismatch;
}
