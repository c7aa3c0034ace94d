// Forecasting a time series: an LSTM reads a noisy signal (two cycles of different periods) one
// value per step and predicts the next value; then it forecasts 48 steps ahead by feeding its own
// predictions back in, one step at a time, and is scored against the series' true continuation
// and two baselines: the last value repeated, and the value one period earlier.
//
//   node examples/forecast/forecast.mjs [--json FILE] [--out model.bin]   (≈ 3 s)
//
// It shows dense input (`input: 1`, one float per step), a regression loss (`loss: 'mse'`),
// fit() on windows of a long series, a stateful predict to read the recent past, and a stepper
// for the closed-loop forecast (`stepper().step(x)`: one step of the same predict state).

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Network } from 'wasm-lstm';

export const N = 4000, PERIOD = 24, HORIZON = 48, WINDOW = 48, RECENT = 200;

/** A seeded generator of numbers in [0, 1) (an LCG: the series is the same on every machine). */
function random(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** The clean signal at step t: a daily cycle of PERIOD steps and a faster one of 7.3 steps. */
export const signal = (t) => Math.sin((2 * Math.PI * t) / PERIOD) + 0.5 * Math.sin((2 * Math.PI * t) / 7.3);

/** `n` observed values: the signal plus uniform noise in ±0.1. */
export function makeSeries(n, seed) {
  const rand = random(seed);
  return Float32Array.from({ length: n }, (_, t) => signal(t) + 0.2 * (rand() - 0.5));
}

const rmse = (a, b) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / a.length);

/** Trains on the first N values and forecasts the HORIZON after them; `out`: where to save the model. */
export async function run({ out = null } = {}) {
  const n = N, series = makeSeries(n + HORIZON, 1), observed = series.subarray(0, n);
  // windows of WINDOW steps, every 8 steps: inputs x[t], targets x[t + 1] (dense: (N, T, 1) floats)
  const starts = [];
  for (let s = 0; s + WINDOW + 1 <= n; s += 8) starts.push(s);
  const inputs = starts.map((s) => observed.slice(s, s + WINDOW));
  const targets = starts.map((s) => observed.slice(s + 1, s + WINDOW + 1));
  const net = await Network.create({ input: 1, hidden: 32, output: 1, loss: 'mse', learningRate: 5e-3, seed: 1 });
  const t0 = performance.now();
  const history = await net.fit(inputs, targets, { epochs: 60, batch: 32, validation: 0.1 });
  const seconds = (performance.now() - t0) / 1000;

  // read the last RECENT observed values into the predict state, then step on its own predictions
  net.resetState('predict');
  const recent = observed.slice(n - RECENT);
  const warm = net.predict(recent, { batch: 1, steps: recent.length }); // (1, RECENT, 1): one-step predictions
  const stepper = net.stepper();
  const forecast = new Float32Array(HORIZON);
  let next = warm[warm.length - 1];
  for (let h = 0; h < HORIZON; h++) {
    forecast[h] = next;
    next = stepper.step(Float32Array.of(next))[0];
  }
  stepper.dispose();
  const truth = series.slice(n, n + HORIZON);
  const clean = Float32Array.from({ length: HORIZON }, (_, h) => signal(n + h));
  const last = new Float32Array(HORIZON).fill(observed[n - 1]);
  const seasonal = Float32Array.from({ length: HORIZON }, (_, h) => observed[n - PERIOD + (h % PERIOD)]);
  const result = {
    epochs: history.epoch.length, loss: history.loss.at(-1), valLoss: history.valLoss.at(-1), seconds,
    rmse: { lstm: rmse(forecast, truth), lastValue: rmse(last, truth), onePeriodAgo: rmse(seasonal, truth), noiseFloor: rmse(clean, truth) },
    forecast: Array.from(forecast), truth: Array.from(truth),
  };
  if (out) writeFileSync(out, net.save());
  net.dispose();
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
  const r = await run({ out: flag('--out') });
  console.log(`trained ${r.epochs} epochs in ${r.seconds.toFixed(1)} s: one-step mse ${r.loss.toFixed(4)}, validation ${r.valLoss.toFixed(4)}`);
  console.log(`\nforecast error over the next ${HORIZON} steps (RMSE, the noise alone is ${r.rmse.noiseFloor.toFixed(3)}):`);
  console.log(`  LSTM, feeding back its own predictions   ${r.rmse.lstm.toFixed(3)}`);
  console.log(`  the last value, repeated                  ${r.rmse.lastValue.toFixed(3)}`);
  console.log(`  the value ${PERIOD} steps earlier                 ${r.rmse.onePeriodAgo.toFixed(3)}`);
  console.log('\nsteps ahead  truth   LSTM');
  for (const h of [1, 2, 3, 6, 12, 24, 36, 48]) console.log(`${String(h).padStart(11)} ${r.truth[h - 1].toFixed(2).padStart(6)} ${r.forecast[h - 1].toFixed(2).padStart(6)}`);
  if (flag('--json')) writeFileSync(flag('--json'), JSON.stringify(r, null, 2));
}
