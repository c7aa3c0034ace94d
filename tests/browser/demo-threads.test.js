// The demo's threads control (next to the SIMD badge): under the dev server the page is
// cross-origin isolated, so the worker's network trains on a pool of threads; the control shows
// how many, offers 1 … cores, and a new choice moves the model into a new trainer that continues
// from the same step (not a new model), kept after a reload.
//
// Needs Debian's /usr/bin/chromium and the wasm build; skipped with a message without Chromium.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumSkip } from '../chromium.js';
import { bodyData as body, launch, leave, num, openDemo, watch } from './harness.js';

const SKIP = chromiumSkip('the demo threads test');
if (SKIP) console.log(`# ${SKIP}`);

describe('demo threads control', { skip: SKIP, timeout: 150_000 }, () => {
  let browser, page, problems;

  before(async () => {
    browser = await launch();
    page = await browser.firstPage();
    problems = watch(page);
  });

  after(() => browser?.close());

  test('shows the worker\'s thread count; a change continues the same model with the new count, also after a reload', { timeout: 120_000 }, async () => {
    await openDemo(page, browser.srv);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const options = await page.$$eval('#threads option', (os) => os.map((o) => o.value));
    assert.deepEqual(options, Array.from({ length: Math.min(16, cores) }, (_, i) => String(i + 1)), 'the choices are 1 … cores');
    const auto = Math.min(cores, 8); // the pool's 'auto'
    assert.equal((await body(page)).threads, String(auto), 'the worker\'s network runs on every core (auto)');
    assert.equal(await page.$eval('#threads', (s) => s.value), String(auto));
    assert.equal(await page.$eval('#threads', (s) => s.disabled), false);
    await page.waitForFunction(() => Number(document.body.dataset.step) >= 10, null, { timeout: 30_000 });
    const session = (await body(page)).session;

    // one thread: the same model goes on
    await page.selectOption('#threads', '1');
    await page.waitForFunction(() => document.body.dataset.threads === '1' && document.body.dataset.status === 'ready', null, { timeout: 30_000 });
    const at = num((await body(page)).step);
    assert.ok(at >= 10, `the step is kept (${at}), the model was not replaced by a new one`);
    await page.waitForFunction((s) => Number(document.body.dataset.step) > s + 5, at, { timeout: 30_000 });
    assert.equal((await body(page)).startStep, '0', 'no new model was made (ready was not sent again)');
    assert.match(await page.getAttribute('#threads-badge', 'title'), /trains on 1 thread \(data-parallel/);

    // after a save, a reload restores the model with the chosen count
    const s0 = num((await body(page)).savedStep ?? -1);
    await page.waitForFunction((s) => Number(document.body.dataset.savedStep) > s, s0, { timeout: 30_000 });
    await leave(page, browser.srv);
    await openDemo(page, browser.srv);
    const b = await body(page);
    assert.equal(b.restored, 'true');
    assert.equal(b.session, session);
    assert.equal(b.threads, '1', 'the choice is kept with the model');
    if (cores > 1) {
      await page.selectOption('#threads', '2');
      await page.waitForFunction(() => document.body.dataset.threads === '2' && document.body.dataset.status === 'ready', null, { timeout: 30_000 });
      const again = num((await body(page)).step);
      await page.waitForFunction((s) => Number(document.body.dataset.step) > s + 5, again, { timeout: 30_000 });
    }
    assert.deepEqual(problems, []);
  });
});
