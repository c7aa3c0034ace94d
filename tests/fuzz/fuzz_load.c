/*
 * fuzz_load.c — libFuzzer target: arbitrary bytes into lstm_load and lstm_file_meta.
 * Input: 1 mode byte (bit 0: recompute the CRC so mutations reach the parser) + a model file.
 * The body is fz_load_one in fuzz_common.h, shared with tests/native/test_file_fuzz_regress.c.
 * Build and run: scripts/fuzz.sh (npm run fuzz -- --seconds N).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fz_load_one(data, size); }
