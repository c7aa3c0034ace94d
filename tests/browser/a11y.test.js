// Accessibility of the demo page at a desktop size (1280×800) and a phone size (390×844), once
// it has started training and drawn every section: axe-core (a devDependency, injected into the
// page from node_modules, never shipped in web/) must report zero violations; a section heading
// reached through the sticky navigation is not hidden under it; on a phone the training controls
// come before the live view. Full-page screenshots of both sizes go to artifacts/screenshots/.
// Also, in Node (what axe can only sample): the text over the gate view's coloured characters has
// 4.5:1 contrast for every activation value, not only for those on screen during the test.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromiumSkip } from '../chromium.js';
import { SHOTS, launch, openDemo, watch } from './harness.js';
import { colorOf, contrast, textOn } from '../../web/gates.js';
import { COLORS } from '../../web/plot.js';

const SKIP = chromiumSkip('the accessibility browser test');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

// One line per failing element: rule, impact, selector, and axe's reason (e.g. the contrast ratio).
function describeViolations(violations) {
  return violations.flatMap((v) => v.nodes.map((n) =>
    `${v.id} (${v.impact}) ${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 240)}`));
}

async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

describe('colours (no browser needed)', () => {
  test('text over the gate view\'s heatmap colours has ≥ 4.5:1 contrast for every value', () => {
    let worst = Infinity, at = null;
    for (const channel of ['i', 'f', 'o', 'g', 'c', 'h']) {
      for (let k = -4000; k <= 4000; k++) {
        const v = channel === 'c' ? k / 400 : ['g', 'h'].includes(channel) ? k / 4000 : 0.5 + k / 8000;
        const bg = colorOf(channel, v), fg = rgb(textOn(bg));
        const r = contrast(bg, fg);
        if (r < worst) { worst = r; at = { channel, v, bg }; }
      }
    }
    assert.ok(worst >= 4.5, `contrast ${worst.toFixed(2)} at ${JSON.stringify(at)}`);
  });

  test('the canvas colours used as text in the page (unit labels) have ≥ 4.5:1 on white', () => {
    for (const name of ['i', 'f', 'g', 'o', 'c', 'r', 'z', 'lstm', 'rnn', 'gru', 'val', 'accent', 'ink', 'muted']) {
      const r = contrast(rgb(COLORS[name]), [255, 255, 255]);
      assert.ok(r >= 4.5, `COLORS.${name} ${COLORS[name]}: ${r.toFixed(2)}:1`);
    }
  });
});

describe('demo page accessibility (axe-core) at desktop and phone sizes', { skip: SKIP, timeout: 200_000 }, () => {
  let browser, page, problems;
  before(async () => {
    browser = await launch({ viewport: { width: SIZES[0].width, height: SIZES[0].height } });
    page = await browser.firstPage();
    problems = watch(page);
    await openDemo(page, browser.srv);
    // every section drawn: training under way, samples shown, gate view and histogram rendered
    await page.waitForFunction(() => {
      const d = document.body.dataset;
      return Number(d.step) > 0 && 'samples' in d && Number(d.gates) > 0 && 'hist' in d;
    }, null, { timeout: 40_000 });
  });
  after(() => browser?.close());

  for (const size of SIZES) {
    test(`${size.name} ${size.width}×${size.height}: axe-core reports no violations`, { timeout: 60_000 }, async () => {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.evaluate(() => window.scrollTo(0, 0));
      // the canvases and the heatmap redraw for the new width on the next frames
      await page.waitForTimeout(400);
      const violations = await runAxe(page);
      assert.deepEqual(describeViolations(violations), [], 'axe-core violations');
      await page.screenshot({ path: join(SHOTS, `page-${size.name}.png`), fullPage: true });
      assert.deepEqual(problems, []);
    });

    test(`${size.name}: a heading reached from the sticky navigation is below the navigation, not under it`, async () => {
      await page.setViewportSize({ width: size.width, height: size.height });
      const links = await page.$$eval('nav.toc a', (as) => as.map((a) => a.getAttribute('href')));
      assert.ok(links.length >= 5, `nav links: ${links}`);
      for (const href of links) {
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.click(`nav.toc a[href="${href}"]`);
        await page.waitForFunction((h) => location.hash === h, href);
        await page.waitForTimeout(50);
        const r = await page.evaluate((h) => {
          const heading = document.querySelector(`${h} h2`);
          const nav = document.querySelector('nav.toc');
          return { headingTop: heading.getBoundingClientRect().top, navBottom: nav.getBoundingClientRect().bottom, scrollY: window.scrollY };
        }, href);
        assert.ok(r.scrollY > 0, `${href}: the page scrolled`);
        assert.ok(r.headingTop >= r.navBottom, `${href}: the heading top (${r.headingTop} px) must be at or below the nav bottom (${r.navBottom} px)`);
      }
    });
  }

  test('phone 390 px: the training controls come before the live view (and the sampler form before its output)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const top = (sel) => page.$eval(sel, (e) => e.getBoundingClientRect().top + window.scrollY);
    const controls = await top('#controls'), live = await top('#train .live');
    assert.ok(controls < live, `controls at ${controls} px, live view at ${live} px`);
    assert.ok(await top('#btn-run') < await top('#samples'), 'Pause/Resume above the samples');
    assert.ok(await top('#sampler-form') < await top('#gen-out'), 'sampler form above its output');
    // and one column: the live view starts below the controls end
    const controlsBottom = await page.$eval('#controls', (e) => e.getBoundingClientRect().bottom + window.scrollY);
    assert.ok(live >= controlsBottom, 'one column on a phone');
  });
});
