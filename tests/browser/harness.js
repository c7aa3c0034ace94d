// The browser tests' shared set-up: the dev server (scripts/serve.mjs) on a free port, Debian's
// Chromium in a fresh persistent profile (one browser context: its pages are tabs of one origin
// sharing IndexedDB and Web Locks), and a recorder of what must never happen on a page (console
// errors, page errors, failed requests, HTTP errors). Not a test file itself (no `.test.js`).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'artifacts', 'screenshots');

/** The page's progress, from the data-* attributes app.js keeps on <body>. */
export const bodyData = (page) => page.evaluate(() => ({ ...document.body.dataset }));
export const num = (s) => Number(String(s).replace(/,/g, ''));

/**
 * Starts the server and a browser.
 * @param {{viewport?: {width: number, height: number}}} [options]
 * @returns {Promise<{srv, ctx, profile, firstPage: () => Promise<import('playwright-core').Page>, close: () => Promise<void>}>}
 */
export async function launch({ viewport = { width: 1280, height: 900 } } = {}) {
  assert.ok(existsSync(join(ROOT, 'js', 'build', 'lstm-simd.wasm')), 'js/build/*.wasm missing: run bash build.sh first');
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  const srv = await startServer({ port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'wasm-lstm-chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, acceptDownloads: true,
    });
  } catch (err) {
    await srv.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    srv, ctx, profile,
    /** The tab a persistent context opens with. */
    firstPage: async () => ctx.pages()[0] ?? ctx.newPage(),
    async close() {
      try {
        await ctx.close();
      } finally {
        await srv.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Records what must never happen on `page`; returns the (live) list. */
export function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    // a non-HTML page (see leave()) makes Chromium ask for /favicon.ico, which does not exist
    if (m.type() === 'error' && !m.location()?.url?.endsWith('/favicon.ico')) {
      problems.push(`console: ${m.text()} (${m.location()?.url ?? '?'})`);
    }
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // navigating away aborts the model download of a worker that is being torn down
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** Opens the demo and waits until its model is ready (restored or new). */
export async function openDemo(page, srv, { staticNav = false } = {}) {
  await page.goto(srv.demoUrl);
  // the sticky section nav would cover the top of element screenshots
  if (staticNav) await page.addStyleTag({ content: 'nav.toc { position: static !important; }' });
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 30_000 });
}

/** Leaves the demo for another page of the same origin (its workers stop, IndexedDB stays readable). */
export async function leave(page, srv) {
  await page.goto(`${srv.url}web/style.css`);
}
