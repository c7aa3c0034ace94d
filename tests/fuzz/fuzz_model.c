/*
 * fuzz_model.c — libFuzzer target: bytes decoded into a config, a train config and a short
 * sequence of API calls (train, gradients, step norms, predict, inspect, state, save/load,
 * apply_gradients, schedules), with invariants checked after every call.
 * The body is fz_model_one in fuzz_common.h, shared with tests/native/test_file_fuzz_regress.c.
 * Build and run: scripts/fuzz.sh (npm run fuzz -- --seconds N).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fz_model_one(data, size); }
