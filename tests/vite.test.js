// The package in a Vite app, as a user gets it: `npm pack` of this repository, installed from the
// tarball (offline) into a copy of tests/fixtures/vite-app/, `vite build` with no Vite config, and
// the dist/ folder served over http and opened in headless Chromium. The app trains a CharModel
// (SIMD build) and a Network (plain build) in the page and in a module Web Worker that Vite bundles.
//
// Checks: vite build prints no warning (in particular none about `node:fs/promises`, which the
// loader imports only in Node, through a variable); both .wasm files are emitted as assets,
// byte-identical to js/build/, and referenced by the page and worker bundles; in Chromium both the
// page and the worker load them (SIMD and plain), the losses are finite and fall, the worker's
// results equal the page's, the losses equal those of the same app code run in Node on the
// installed package, and there is no console error, page error or failed request.
//
// Needs Debian's /usr/bin/chromium (bash scripts/ensure-toolchain.sh chromium) and the wasm build
// (bash build.sh); skipped with a message when Chromium is absent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from './chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'vite-app');
const WASM = ['lstm-simd', 'lstm-plain'];
const SKIP = chromiumSkip('the vite build test');
if (SKIP) console.log(`# ${SKIP}`);

const run = promisify(execFile);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// The losses of a run of the fixture's train.js: finite, and the last ones well below the first.
function assertLearns(losses, n, what) {
  assert.equal(losses.length, n, `${what}: ${n} losses`);
  assert.ok(losses.every(Number.isFinite), `${what}: non-finite loss in ${losses}`);
  const first = mean(losses.slice(0, 5)), last = mean(losses.slice(-5));
  assert.ok(last < 0.8 * first, `${what}: the loss did not fall: first ${first}, last ${last} (${losses})`);
}

test('vite build of an app that installs wasm-lstm runs in Chromium (page and module worker)',
  { skip: SKIP, timeout: 90_000 }, async (t) => {
    for (const name of WASM) {
      assert.ok(existsSync(join(ROOT, 'js', 'build', `${name}.wasm`)), `js/build/${name}.wasm missing: run bash build.sh first`);
    }
    const tmp = mkdtempSync(join(tmpdir(), 'wasm-lstm-vite-'));
    const app = join(tmp, 'app'), dist = join(app, 'dist');
    let srv, ctx;
    try {
      // ---- the package as npm would publish it, installed like `npm install wasm-lstm`
      let t0 = Date.now();
      // --ignore-scripts: prepack (build.sh) has run already (test.sh builds before the tests).
      const { stdout: packJson } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT });
      const tarball = join(tmp, JSON.parse(packJson)[0].filename);
      cpSync(FIXTURE, app, { recursive: true });
      // --offline: the package has no dependencies, so nothing may be downloaded.
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app });
      assert.ok(existsSync(join(app, 'node_modules', 'wasm-lstm', 'js', 'build', 'lstm-simd.wasm')), 'the installed package has no wasm');
      t.diagnostic(`npm pack + install: ${Date.now() - t0} ms`);

      // ---- vite build, zero config, its warnings and errors collected
      t0 = Date.now();
      const { build, createLogger } = await import('vite');
      const logger = createLogger('warn', { allowClearScreen: false });
      const warnings = [];
      logger.warn = (msg) => warnings.push(msg);
      logger.warnOnce = (msg) => warnings.push(msg);
      logger.error = (msg) => warnings.push(`error: ${msg}`);
      await build({ root: app, configFile: false, customLogger: logger, logLevel: 'warn', build: { outDir: 'dist' } });
      t.diagnostic(`vite build: ${Date.now() - t0} ms`);
      assert.ok(!warnings.some((w) => /fs\/promises|externalized/.test(w)), `vite warned about node:fs:\n${warnings.join('\n')}`);
      assert.deepEqual(warnings, [], 'vite build printed warnings');

      // ---- the emitted files
      const assets = readdirSync(join(dist, 'assets'));
      const assetUrl = {};
      for (const name of WASM) {
        const files = assets.filter((f) => f.startsWith(`${name}-`) && f.endsWith('.wasm'));
        assert.equal(files.length, 1, `dist/assets/${name}-*.wasm: expected one, got ${assets.join(', ')}`);
        assert.ok(readFileSync(join(dist, 'assets', files[0])).equals(readFileSync(join(ROOT, 'js', 'build', `${name}.wasm`))),
          `${files[0]} differs from js/build/${name}.wasm`);
        assetUrl[name] = `/assets/${files[0]}`;
      }
      const scripts = assets.filter((f) => f.endsWith('.js'));
      const worker = scripts.filter((f) => f.startsWith('worker-'));
      assert.equal(worker.length, 1, `one worker bundle expected: ${scripts.join(', ')}`);
      // the thread pool's worker is bundled too (new Worker(new URL(...)) in js/pool.js); it gets the
      // compiled module by message, so it needs no .wasm URL of its own
      const poolWorker = scripts.filter((f) => f.startsWith('pool-worker-'));
      assert.equal(poolWorker.length, 1, `one thread-pool worker bundle expected: ${scripts.join(', ')}`);
      for (const file of scripts.filter((f) => !poolWorker.includes(f))) {
        const code = readFileSync(join(dist, 'assets', file), 'utf8');
        for (const name of WASM) assert.ok(code.includes(assetUrl[name]), `${file} does not reference ${assetUrl[name]}`);
        assert.ok(!/build\/lstm-(simd|plain)\.wasm/.test(code), `${file} still refers to the unbundled build/*.wasm path`);
      }

      // ---- the built app in Chromium, served from dist/ only
      srv = await startServer({ root: dist, port: 0 });
      const { chromium } = await import('playwright-core');
      ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
      const page = ctx.pages()[0] ?? await ctx.newPage();
      const problems = [], wasmResponses = [], workers = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location()?.url ?? '?'})`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
        if (r.url().endsWith('.wasm')) wasmResponses.push(new URL(r.url()).pathname);
      });
      page.on('worker', (w) => workers.push(new URL(w.url()).pathname));

      t0 = Date.now();
      await page.goto(`${srv.url}index.html`);
      await page.waitForFunction(() => document.title !== 'pending', null, { timeout: 45_000 });
      const result = await page.evaluate(() => window.__result);
      t.diagnostic(`page + worker training in Chromium: ${Date.now() - t0} ms`);
      assert.equal(result.error, undefined, `the app failed: ${result.error}`);
      assert.deepEqual(problems, [], 'console errors, page errors or failed requests');
      assert.deepEqual(workers, [`/assets/${worker[0]}`], 'the module worker Vite bundled');
      for (const name of WASM) assert.ok(wasmResponses.includes(assetUrl[name]), `${assetUrl[name]} was not fetched: ${wasmResponses}`);

      for (const where of ['page', 'worker']) {
        const r = result[where];
        assert.equal(r.simdSupported, true, `${where}: Chromium supports SIMD128`);
        assert.equal(r.simd, true, `${where}: the CharModel runs the SIMD build`);
        assert.equal(r.plainSimd, false, `${where}: the simd:false Network runs the plain build`);
        assertLearns(r.charLosses, 40, `${where} CharModel`);
        assertLearns(r.netLosses, 40, `${where} Network`);
        assert.equal(typeof r.sample, 'string');
        assert.equal([...r.sample].length, 24, `${where}: sample ${JSON.stringify(r.sample)}`);
      }
      // Same seeds, same wasm, same engine: the worker computes exactly what the page does.
      assert.deepEqual(result.worker, result.page, 'the worker and the page disagree');

      // The bundled code computes what the unbundled package computes in Node (same wasm builds;
      // Node also has SIMD128, so the CharModel runs the SIMD build there too).
      const inNode = await (await import(pathToFileURL(join(app, 'train.js')).href)).run();
      assert.equal(inNode.simd, true);
      assert.deepEqual(result.page.charLosses, inNode.charLosses, 'CharModel losses: Chromium (vite bundle) vs Node (package)');
      assert.deepEqual(result.page.netLosses, inNode.netLosses, 'Network losses: Chromium (vite bundle) vs Node (package)');
    } finally {
      await ctx?.close().catch(() => {});
      await srv?.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
