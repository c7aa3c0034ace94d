// examples/: each example runs as a user runs it (node examples/…), and what it prints is checked
// against the saved models, recomputed here another way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Network } from '../js/index.js';
import { makeData, BUCKETS, WORDS, VERBS } from '../examples/agreement/agreement.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('examples/agreement: the LSTM learns "was"/"were" across clauses of up to 80 words; its numbers are its models\'', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-agreement-'));
  try {
    const json = join(dir, 'out.json');
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/agreement/agreement.mjs', '--quick', '--json', json, '--out', dir], { cwd: ROOT });
    const { buckets, results } = JSON.parse(readFileSync(json, 'utf8'));
    assert.deepEqual(buckets, BUCKETS);
    assert.deepEqual(results.map((r) => r.cell), ['rnn', 'gru', 'lstm']);
    const lstm = results.find((r) => r.cell === 'lstm');
    for (const a of lstm.accuracy) assert.ok(a >= 0.95, `LSTM accuracy by clause length: ${lstm.accuracy}`);
    assert.equal(lstm.valAccuracy.length, 6);
    // before training the LSTM's cell state carries far more of the verb's gradient to the subject
    const ratio = Object.fromEntries(results.map((r) => [r.cell, r.gradientRatio]));
    assert.ok(ratio.rnn > 0 && ratio.lstm < 1, JSON.stringify(ratio));
    assert.ok(ratio.lstm > 1e6 * ratio.rnn, `gradient at the subject ÷ at the verb: ${JSON.stringify(ratio)}`);
    assert.match(stdout, new RegExp(`lstm {2}${lstm.gradientRatio.toExponential(1).replace('+', '\\+')}`));
    assert.match(stdout, /validation accuracy after each epoch\nrnn {2}/);
    assert.match(stdout, /^ {2}the (cat|dog|bird)s? , which .* (was|were) full$/m);
    // each saved model, one sentence at a time at its own length (no padding): the same accuracies
    const test = makeData(1200, 2);
    for (const r of results) {
      const net = await Network.load(readFileSync(join(dir, `agreement-${r.cell}.bin`)));
      assert.equal(net.config.vocab, WORDS.length);
      assert.equal(net.config.output, VERBS.length);
      const right = BUCKETS.map(() => 0), n = BUCKETS.map(() => 0);
      test.sentences.forEach((s, i) => {
        const y = net.predict(s, { batch: 1, steps: s.length, lastOnly: true, stateful: false });
        const k = BUCKETS.findIndex(([lo, hi]) => test.clause[i] >= lo && test.clause[i] <= hi);
        n[k]++;
        if ((y[1] > y[0] ? 1 : 0) === test.labels[i]) right[k]++;
      });
      assert.deepEqual(right.map((c, k) => c / n[k]), r.accuracy, `${r.cell}: the padded batch's accuracies`);
      net.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/forecast: the closed-loop forecast is near the noise and far below the baselines; it is the model\'s own', { timeout: 120_000 }, async () => {
  const { N, HORIZON, PERIOD, RECENT, makeSeries, signal } = await import('../examples/forecast/forecast.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-forecast-'));
  try {
    const json = join(dir, 'out.json'), model = join(dir, 'model.bin');
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/forecast/forecast.mjs', '--json', json, '--out', model], { cwd: ROOT });
    const r = JSON.parse(readFileSync(json, 'utf8'));
    // the baselines and the error, recomputed from the series
    const series = makeSeries(N + HORIZON, 1), truth = series.slice(N);
    const rmse = (f) => Math.sqrt(truth.reduce((s, x, h) => s + (f(h) - x) ** 2, 0) / HORIZON);
    assert.equal(r.rmse.lastValue, rmse(() => series[N - 1]));
    assert.equal(r.rmse.onePeriodAgo, rmse((h) => series[N - PERIOD + (h % PERIOD)]));
    assert.equal(r.rmse.noiseFloor, rmse((h) => Math.fround(signal(N + h))));
    assert.equal(r.rmse.lstm, rmse((h) => r.forecast[h]));
    assert.ok(r.rmse.lstm < 2 * r.rmse.noiseFloor && r.rmse.lstm < r.rmse.onePeriodAgo / 4, JSON.stringify(r.rmse));
    assert.match(stdout, new RegExp(`LSTM, feeding back its own predictions +${r.rmse.lstm.toFixed(3)}`));
    // the forecast is the saved model's: each value is a stateless predict of the recent past and
    // the forecast before it (no stepper, no carried state), bit for bit
    const net = await Network.load(readFileSync(model));
    const past = Array.from(series.subarray(N - RECENT, N));
    for (let h = 0; h < HORIZON; h++) {
      const x = Float32Array.from([...past, ...r.forecast.slice(0, h)]);
      const y = net.predict(x, { batch: 1, steps: x.length, lastOnly: true, stateful: false });
      assert.ok(Object.is(y[0], Math.fround(r.forecast[h])), `step ${h + 1}: ${y[0]} vs ${r.forecast[h]}`);
    }
    net.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
