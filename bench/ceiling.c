/* The machine's wasm SIMD128 f32 arithmetic peak: the ceiling our kernels are judged against.
 *
 * 12 independent chains of v128 accumulators, each step acc = c + acc * m (one f32x4.mul and one
 * f32x4.add, 8 FLOPs). The multiplicand depends on the accumulator, so the compiler cannot hoist the
 * product out of the loop; with m just below 1 every chain converges to c / (1 - m) and stays a
 * normal number (no inf, no denormal slow path). 12 chains cover mul + add latency (2 x 3 cycles) at
 * 2 vector ops per cycle per kind, and with m and c still fit in the 16 x86 xmm registers.
 *
 * Build (bench/ceiling.mjs does this at bench time):
 *   emcc -O3 -msimd128 --no-entry -sSTANDALONE_WASM -sEXPORTED_FUNCTIONS=_ceiling_peak,_ceiling_flops_per_iter \
 *     bench/ceiling.c -o bench/build/ceiling.wasm
 */
#include <wasm_simd128.h>

#define CHAINS 12

/* FLOPs done by one loop iteration of ceiling_peak: CHAINS x (mul + add) x 4 lanes. */
int ceiling_flops_per_iter(void) { return CHAINS * 2 * 4; }

/* Runs `iters` iterations; returns a sum of all accumulators so that nothing is dead code. */
float ceiling_peak(int iters, float seed) {
  const v128_t m = wasm_f32x4_splat(0.999f);
  const v128_t c = wasm_f32x4_splat(seed);
  v128_t acc[CHAINS];
  for (int k = 0; k < CHAINS; k++) acc[k] = wasm_f32x4_splat(seed + (float)k);
  for (int i = 0; i < iters; i++) {
    /* Written out so that clang keeps one register per chain (no array in memory). */
    acc[0] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[0], m));
    acc[1] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[1], m));
    acc[2] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[2], m));
    acc[3] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[3], m));
    acc[4] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[4], m));
    acc[5] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[5], m));
    acc[6] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[6], m));
    acc[7] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[7], m));
    acc[8] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[8], m));
    acc[9] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[9], m));
    acc[10] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[10], m));
    acc[11] = wasm_f32x4_add(c, wasm_f32x4_mul(acc[11], m));
  }
  v128_t s = acc[0];
  for (int k = 1; k < CHAINS; k++) s = wasm_f32x4_add(s, acc[k]);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) +
         wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
}
