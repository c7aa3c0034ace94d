// The machine's wasm SIMD128 f32 mul+add peak (GFLOP/s), measured in this process.
// Compiles bench/ceiling.c with emcc into bench/build/ (when missing or older than the source),
// warms it up with many short calls so that V8 tiers it up from Liftoff to TurboFan, and reports
// the best of several timed repeats.
//
//   node bench/ceiling.mjs [--quick]

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('./ceiling.c', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./build/', import.meta.url));
const WASM = `${OUT_DIR}ceiling.wasm`;

function mtime(path) {
  try { return statSync(path).mtimeMs; } catch { return -1; }
}

/** Builds bench/build/ceiling.wasm if needed; returns its path. */
function build() {
  if (mtime(WASM) > mtime(SRC)) return WASM;
  mkdirSync(OUT_DIR, { recursive: true });
  execFileSync('emcc', [
    '-O3', '-msimd128', '--no-entry', '-sSTANDALONE_WASM',
    '-sEXPORTED_FUNCTIONS=_ceiling_peak,_ceiling_flops_per_iter',
    SRC, '-o', WASM,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  return WASM;
}

/**
 * Measures the wasm SIMD f32x4 mul+add peak of one core (independent accumulator chains).
 * @param {{quick?: boolean}} [opts]  quick: fewer and shorter repeats (~0.5 s instead of ~2 s)
 * @returns {Promise<{gflops: number, repeats: number[]}>} best GFLOP/s and every repeat's GFLOP/s
 */
export async function measureCeiling({ quick = false } = {}) {
  const { instance } = await WebAssembly.instantiate(readFileSync(build()), {});
  const { ceiling_peak: peak, ceiling_flops_per_iter: flopsPerIter, _initialize } = instance.exports;
  if (_initialize) _initialize();
  const iters = 20000; // one call: ~0.1 ms at peak; short, so V8's tier-up kicks in between calls
  // Warm-up: many short calls (a single long call may stay in the baseline tier, Liftoff).
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink += peak(iters, 1 + (i & 7));
  const callsPerRepeat = quick ? 1000 : 2500;
  const repeats = [];
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    const t0 = performance.now();
    for (let i = 0; i < callsPerRepeat; i++) sink += peak(iters, 1 + (i & 7));
    const seconds = (performance.now() - t0) / 1000;
    repeats.push((callsPerRepeat * iters * flopsPerIter()) / seconds / 1e9);
  }
  if (!Number.isFinite(sink)) throw new Error('ceiling kernel produced a non-finite sum');
  return { gflops: Math.max(...repeats), repeats };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { gflops, repeats } = await measureCeiling({ quick: process.argv.includes('--quick') });
  console.log(`wasm SIMD f32x4 mul+add peak: ${gflops.toFixed(1)} GFLOP/s (repeats: ${repeats.map((g) => g.toFixed(1)).join(', ')})`);
}
