// The demo page (web/) in headless Chromium: it is cross-origin isolated (the dev server's
// COOP/COEP), loads without console errors, trains in a worker (the loss falls within seconds),
// shows samples, renders the gate view for typed text, runs the RNN-vs-LSTM experiment, restores
// its model from IndexedDB after a reload, and reports a corrupted stored model and starts fresh.
// Screenshots of each view go to artifacts/screenshots/. Several tabs: tabs.test.js; axe-core and
// layout: a11y.test.js.
//
// Needs Debian's /usr/bin/chromium (bash scripts/ensure-toolchain.sh chromium) and the wasm build
// (bash build.sh); skipped with a message when Chromium is absent.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromiumSkip } from '../chromium.js';
import { SHOTS, bodyData as body, launch, leave as leaveDemo, num, openDemo, watch } from './harness.js';

const SKIP = chromiumSkip('the browser tests');
if (SKIP) console.log(`# ${SKIP}`);

// The page exposes its progress as data-* attributes on <body> (status, step, startStep, restored,
// session, samples, savedStep, gates, exp, expLstm, expRnn, generated, hist): the tests wait on those.

describe('demo page (web/) in headless Chromium', { skip: SKIP, timeout: 150_000 }, () => {
  let browser, srv, page, profile;
  let problems = []; // console errors, page errors, failed requests

  async function shot(name) {
    await page.locator(`#${name}`).screenshot({ path: join(SHOTS, `${name}.png`) });
  }

  const open = () => openDemo(page, srv, { staticNav: true });
  const leave = () => leaveDemo(page, srv);

  before(async () => {
    browser = await launch();
    ({ srv, profile } = browser);
    page = await browser.firstPage();
    problems = watch(page);
  });

  after(() => browser?.close());

  test('the page and its workers are cross-origin isolated (COOP/COEP from the dev server)', { timeout: 30_000 }, async () => {
    const response = await page.goto(srv.demoUrl);
    assert.equal(response.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');
    await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 30_000 });
    const iso = await page.evaluate(async () => {
      const worker = new Worker(URL.createObjectURL(new Blob(['postMessage([crossOriginIsolated, typeof SharedArrayBuffer])'])));
      const inWorker = await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
      worker.terminate();
      return { page: crossOriginIsolated, sab: typeof SharedArrayBuffer, worker: inWorker };
    });
    assert.deepEqual(iso, { page: true, sab: 'function', worker: [true, 'function'] });
    assert.deepEqual(problems, []);
  });

  test('loads without console errors, and training lowers the loss within seconds', { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    await open();
    // the first smoothed loss is about ln(vocabulary) ≈ 3.8 nats; wait for a clear fall
    await page.waitForFunction(() => {
      const v = Number(document.getElementById('stat-loss').textContent);
      return v > 0 && v < 3.0;
    }, null, { timeout: 30_000 });
    const secs = (Date.now() - t0) / 1000;
    const b = await body(page);
    assert.ok(num(b.step) > 0, 'steps are counted');
    assert.match(await page.textContent('#simd-badge'), /SIMD (on|off)/);
    assert.notEqual(await page.textContent('#stat-cps'), '–', 'chars/s shown');
    console.log(`# loss below 3.0 nats/char after ${secs.toFixed(1)} s (step ${b.step})`);
    // the page is responsive while training: a click is handled at once
    const t1 = Date.now();
    await page.click('#btn-run');
    await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 2000 });
    await page.click('#btn-run');
    await page.waitForFunction(() => document.body.dataset.running === 'true', null, { timeout: 2000 });
    assert.ok(Date.now() - t1 < 2000, 'pause/resume answered within 2 s');
    await page.waitForFunction(() => Number(document.body.dataset.samples) > 0, null, { timeout: 20_000 });
    await shot('train');
    assert.deepEqual(problems, []);
  });

  test('samples appear, and the interactive sampler streams text', { timeout: 40_000 }, async () => {
    const texts = await page.$$eval('#samples pre', (els) => els.map((e) => e.textContent));
    assert.equal(texts.length, 3);
    for (const t of texts) assert.ok(t.length >= 100 && t !== '…', `a sample: ${JSON.stringify(t.slice(0, 40))}`);
    await page.locator('#sampler').scrollIntoViewIfNeeded();
    await page.fill('#prime', 'The cat, which');
    await page.fill('#length', '300');
    await page.click('#btn-generate');
    await page.waitForFunction(() => Number(document.body.dataset.generated) >= 1, null, { timeout: 20_000 });
    const out = await page.textContent('#gen-out');
    assert.ok(out.startsWith('The cat, which'), 'the prime is shown first');
    assert.ok([...out].length >= 'The cat, which'.length + 300, `300 characters generated: ${JSON.stringify(out.slice(0, 60))}`);
    assert.match(await page.textContent('#gen-info'), /Generated 300 characters/);
    await shot('sampler');
    assert.deepEqual(problems, []);
  });

  test('the gate view renders for typed text', { timeout: 30_000 }, async () => {
    await page.locator('#gates').scrollIntoViewIfNeeded();
    const text = 'The dogs, which saw the cat, were happy.';
    await page.fill('#gate-text', text);
    await page.waitForFunction((n) => Number(document.body.dataset.gates) === n, text.length, { timeout: 10_000 });
    const chips = await page.$$eval('#unit-chips button', (els) => els.map((e) => e.textContent));
    assert.ok(chips.length >= 6, `unit buttons: ${chips}`);
    const lines = await page.$$eval('#unit-lines .unit-line', (els) => els.map((e) => e.querySelector('.txt').textContent));
    assert.deepEqual(lines, Array(5).fill(text), 'i, f, g, o, c lines over the typed text');
    const size = await page.$eval('#heatmap', (c) => [c.width, c.height]);
    assert.ok(size[0] > 300 && size[1] > 200, `heatmap drawn: ${size}`);
    // click another unit: it becomes the followed one
    await page.click('#unit-chips button:nth-child(2)');
    const pressed = await page.$eval('#unit-chips button[aria-pressed="true"]', (e) => e.textContent);
    assert.equal(pressed, chips[1]);
    assert.match(await page.textContent('#unit-title'), new RegExp(`^Unit ${chips[1].slice(5)} of layer 1`));
    await page.waitForFunction(() => Number(document.body.dataset.hist) > 0, null, { timeout: 10_000 });
    await shot('gates');
    assert.deepEqual(problems, []);
  });

  test('the RNN-vs-LSTM panel trains both cells and plots accuracy against distance', { timeout: 80_000 }, async () => {
    await page.locator('#experiment').scrollIntoViewIfNeeded();
    await page.$eval('#exp-dist', (el) => { el.value = '24'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.fill('#exp-steps', '300');
    await page.click('#btn-exp');
    await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 5000 });
    await page.waitForFunction(() => document.body.dataset.exp === 'done', null, { timeout: 60_000 });
    const b = await body(page);
    // distances 2, 3, 4, 6, 8, 12, 16 and 24: one accuracy point each, for both cells
    assert.equal(num(b.expLstm), 8, 'LSTM accuracy points');
    assert.equal(num(b.expRnn), 8, 'RNN accuracy points');
    for (const cell of ['lstm', 'rnn']) assert.match(await page.textContent(`#exp-txt-${cell}`), /^300 {2}loss \d/);
    await page.waitForFunction(() => document.body.dataset.running === 'true', null, { timeout: 5000 });
    await shot('experiment');
    assert.deepEqual(problems, []);
  });

  test('the model downloads as a file and uploads again', { timeout: 40_000 }, async () => {
    await page.locator('#train').scrollIntoViewIfNeeded();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-download')]);
    const name = download.suggestedFilename();
    assert.match(name, /^wasm-lstm-lstm-step(\d+)\.lstm$/);
    const step = Number(name.match(/step(\d+)/)[1]);
    const file = join(profile, 'model.lstm');
    await download.saveAs(file);
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction(() => /^Loaded model\.lstm/.test(document.getElementById('notice').textContent), null, { timeout: 20_000 });
    assert.equal(num((await body(page)).startStep), step, 'training continues from the file\'s step');
    assert.deepEqual(problems, []);
  });

  test('the model downloads in the other formats with its vocabulary; each reads back as the same weights', { timeout: 60_000 }, async () => {
    const { readFileSync } = await import('node:fs');
    const { readPyTorch, readONNX, readKeras } = await import('../../js/interop/index.js');
    const { CharModel } = await import('../../js/index.js');
    await page.locator('#train').scrollIntoViewIfNeeded();
    await page.click('#btn-run');
    await page.waitForFunction(() => document.body.dataset.running === 'false', null, { timeout: 10_000 });
    const save = async (format, n) => {
      await page.selectOption('#download-format', format);
      const files = {};
      const got = new Promise((resolve) => {
        const on = async (d) => {
          const path = join(profile, `${format}-${d.suggestedFilename()}`);
          await d.saveAs(path);
          files[d.suggestedFilename()] = new Uint8Array(readFileSync(path));
          if (Object.keys(files).length === n) { page.off('download', on); resolve(); }
        };
        page.on('download', on);
      });
      await page.click('#btn-download');
      await got;
      return files;
    };
    const ours = await save('wasm-lstm', 1);
    const [lstmName] = Object.keys(ours);
    const stem = lstmName.replace(/\.lstm$/, '');
    const model = await CharModel.load(ours[lstmName]);
    const want = model.network.parameters(), vocab = [...model.vocabulary];
    const same = (desc, what) => {
      for (const [k, p] of Object.entries(want)) {
        assert.ok(Buffer.from(desc.parameters[k].data.buffer, desc.parameters[k].data.byteOffset, p.data.byteLength)
          .equals(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)), `${what}: ${k}`);
      }
    };
    const json = (b) => JSON.parse(new TextDecoder().decode(b));
    const pt = await save('pt', 2);
    assert.deepEqual(Object.keys(pt).sort(), [`${stem}.pt`, `${stem}.vocab.json`]);
    same(readPyTorch(pt[`${stem}.pt`]), '.pt');
    assert.deepEqual(json(pt[`${stem}.vocab.json`]), vocab);
    const st = await save('safetensors', 2);
    same(readPyTorch(st[`${stem}.safetensors`]), '.safetensors');
    const onnx = await save('onnx', 2);
    same(readONNX(onnx[`${stem}.onnx`]), '.onnx');
    const tf = await save('tfjs', 3);
    assert.deepEqual(Object.keys(tf).sort(), ['model.json', 'model.vocab.json', 'weights.bin']);
    const k = readKeras({ 'model.json': tf['model.json'], 'weights.bin': tf['weights.bin'] });
    same(k, 'TF.js');
    assert.equal(k.config.loss, 'xent', 'a softmax Dense: a classifier');
    assert.deepEqual(json(tf['model.vocab.json']), vocab);
    model.dispose();
    await page.selectOption('#download-format', 'wasm-lstm');
    await page.click('#btn-run');
    await page.waitForFunction(() => document.body.dataset.running === 'true', null, { timeout: 10_000 });
    assert.deepEqual(problems, []);
  });

  test('after a reload the model is restored from IndexedDB and training continues', { timeout: 60_000 }, async () => {
    // wait for a save after the experiment, so that the stored step is recent
    const before = num((await body(page)).step);
    await page.waitForFunction((s) => Number(document.body.dataset.savedStep) > s, before, { timeout: 20_000 });
    const saved = num((await body(page)).savedStep);
    await leave();
    await open();
    const b = await body(page);
    assert.equal(b.restored, 'true');
    assert.ok(num(b.startStep) >= saved, `continues from step ${b.startStep} ≥ saved ${saved}, not from 0`);
    assert.match(await page.textContent('#notice'), /Restored the model saved in this browser at step/);
    await page.waitForFunction((s) => Number(document.body.dataset.step) > s, num(b.startStep), { timeout: 20_000 });
    await page.locator('#intro').screenshot({ path: join(SHOTS, 'intro.png') });
    await shot('train');
    assert.deepEqual(problems, []);
  });

  test('a corrupted stored model gives a visible message and fresh training', { timeout: 40_000 }, async () => {
    await page.waitForFunction(() => Number(document.body.dataset.savedStep) > 0, null, { timeout: 20_000 });
    await leave();
    // flip 64 bytes in the middle of this tab's stored model file (its CRC-32 no longer matches)
    const corrupted = await page.evaluate(() => new Promise((resolve, reject) => {
      const id = sessionStorage.getItem('wasm-lstm-demo-session');
      const req = indexedDB.open('wasm-lstm-demo', 2);
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const db = req.result;
        const tx = db.transaction(['sessions', 'models'], 'readwrite');
        const rec = tx.objectStore('sessions').get(id);
        let step = -1;
        rec.onsuccess = () => {
          step = rec.result.step;
          const models = tx.objectStore('models');
          const get = models.get(id);
          get.onsuccess = () => {
            const bytes = new Uint8Array(get.result);
            const mid = bytes.length >> 1;
            for (let i = 0; i < 64; i++) bytes[mid + i] ^= 0xa5;
            models.put(bytes, id);
          };
        };
        tx.oncomplete = () => { db.close(); resolve(step); };
        tx.onerror = () => reject(tx.error);
      };
    }));
    assert.ok(corrupted > 0, 'a stored model was found and corrupted');
    await open();
    const b = await body(page);
    assert.notEqual(b.restored, 'true');
    assert.equal(b.startStep, '0', 'fresh training starts at step 0');
    assert.equal(await page.isVisible('#notice'), true);
    assert.match(await page.textContent('#notice'), /corrupted and could not be loaded .*discarded, and training starts fresh/);
    await page.waitForFunction(() => Number(document.body.dataset.step) > 0, null, { timeout: 20_000 });
    await page.locator('#train').screenshot({ path: join(SHOTS, 'corrupted.png') });
    assert.deepEqual(problems, []);
  });
});
