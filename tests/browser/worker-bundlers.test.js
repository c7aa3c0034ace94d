// wasm-lstm/worker as a user gets it: `npm pack` of this repository installed (offline) into a copy
// of tests/fixtures/worker-app/, an app that trains a CharModel and a Network in wasm-lstm/worker
// and on its page with the same seeds. The app runs in headless Chromium
//   - built by Vite 8 (`vite build`, no config), served from dist/ by scripts/serve.mjs;
//   - on the Vite 8 dev server (createServer, no config);
//   - on the Vite 7 dev server: without config the package's files are pre-bundled away from their
//     .wasm and worker files, and both the page and the trainer must fail with an LstmError 'load'
//     naming the fix; with `optimizeDeps: { exclude: ['wasm-lstm'] }` it works;
//   - built by webpack 5 (the CLI, no config file);
//   - as it is from a static host (scripts/serve.mjs with the app as its root, an import map for
//     the package's names).
// Each time: the worker's losses, parameters and stream equal the page's (same seeds, same wasm),
// an error crosses with its code and argument, the SIMD and plain builds both load, nothing fails
// on the page, and where the host makes the page cross-origin isolated the trainer's network runs
// on a thread pool (whose worker the bundlers bundle too).
//
// Needs Debian's /usr/bin/chromium and the wasm build; skipped with a message without Chromium.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from '../../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, chromiumSkip } from '../chromium.js';
import { ROOT } from './harness.js';

const SKIP = chromiumSkip('the worker bundler tests');
if (SKIP) console.log(`# ${SKIP}`);

const run = promisify(execFile);
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'worker-app');
const WORKER_FILES = ['js/worker.js', 'js/worker-entry.js', 'js/worker-protocol.js', 'js/worker.d.ts'];

describe('wasm-lstm/worker under bundlers and hosts', { skip: SKIP, timeout: 400_000 }, () => {
  let tmp, app, ctx, packed;

  before(async () => {
    for (const name of ['lstm-simd', 'lstm-plain']) {
      assert.ok(existsSync(join(ROOT, 'js', 'build', `${name}.wasm`)), `js/build/${name}.wasm missing: run bash build.sh first`);
    }
    tmp = mkdtempSync(join(tmpdir(), 'wasm-lstm-worker-app-'));
    app = join(tmp, 'app');
    // --ignore-scripts: prepack (build.sh) has run already
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT });
    packed = JSON.parse(stdout)[0];
    cpSync(FIXTURE, app, { recursive: true });
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], { cwd: app });
    const { chromium } = await import('playwright-core');
    ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await ctx?.close().catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // Opens `url`, waits for the app, returns its result and what went wrong on the page.
  async function openApp(url) {
    const page = await ctx.newPage();
    const problems = [], workers = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
    try {
      await page.goto(url);
      await page.waitForFunction(() => document.title === 'done', null, { timeout: 90_000 });
      return { result: await page.evaluate(() => window.__result), problems, workers };
    } finally {
      await page.close();
    }
  }

  // The app worked: the worker computed exactly what the page did.
  function assertWorks({ result, problems }, where) {
    const { worker: w, page: p } = result;
    assert.ok(!w.failed, `${where}: the worker part failed: ${w.code} ${w.message}`);
    assert.ok(!p.failed, `${where}: the page part failed: ${p.code} ${p.message}`);
    assert.equal(w.losses.length, 30);
    assert.ok(w.losses.every(Number.isFinite) && w.losses.at(-1) < w.losses[0], `${where}: losses ${w.losses}`);
    assert.deepEqual(w.losses, p.losses, `${where}: worker and page losses`);
    assert.deepEqual(w.params, p.params, `${where}: worker and page parameters`);
    assert.equal(w.stream, p.stream, `${where}: the stream`);
    assert.equal([...w.stream].length, 24);
    assert.deepEqual([w.simd, p.simd, w.netSimd], [true, true, false], `${where}: the SIMD and the plain builds`);
    assert.deepEqual(w.netLoss, p.netLoss, `${where}: Network fit`);
    assert.deepEqual(w.netParams, p.netParams);
    assert.deepEqual([w.error?.lstm, w.error?.code, w.error?.argument], [true, 'arg', 'topK'], `${where}: ${JSON.stringify(w.error)}`);
    assert.match(w.error.message, /^topK: expected an integer in \[0, /);
    assert.ok(w.bytes > 1000);
    assert.deepEqual(problems, [], `${where}: console errors, page errors or failed requests`);
  }

  test('npm pack ships wasm-lstm/worker with its types first', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of WORKER_FILES) assert.ok(files.includes(f), `${f} missing from the package`);
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'wasm-lstm', 'package.json'), 'utf8'));
    assert.deepEqual(pkg.exports['./worker'], { types: './js/worker.d.ts', default: './js/worker.js' });
    assert.equal(Object.keys(pkg.exports['./worker'])[0], 'types');
  });

  test('Vite 8 build, no config', { timeout: 120_000 }, async () => {
    const { build, createLogger } = await import('vite');
    const logger = createLogger('warn', { allowClearScreen: false });
    const warnings = [];
    logger.warn = (m) => warnings.push(m);
    logger.warnOnce = (m) => warnings.push(m);
    logger.error = (m) => warnings.push(`error: ${m}`);
    await build({ root: app, configFile: false, customLogger: logger, logLevel: 'warn', build: { outDir: 'dist' } });
    assert.deepEqual(warnings, [], 'vite build printed warnings');
    const assets = readdirSync(join(app, 'dist', 'assets'));
    const entry = assets.filter((f) => f.startsWith('worker-entry-') && f.endsWith('.js'));
    assert.equal(entry.length, 1, `one bundle of the trainer's worker: ${assets.join(', ')}`);
    // the worker bundle imports nothing it would have to fetch unbundled
    assert.ok(!/from\s*["']\.\/(index|network|charmodel)\.js["']/.test(readFileSync(join(app, 'dist', 'assets', entry[0]), 'utf8')));
    const srv = await startServer({ root: join(app, 'dist'), port: 0 });
    try {
      const r = await openApp(`${srv.url}index.html`);
      assert.ok(r.workers.includes(`/assets/${entry[0]}`), `the bundled worker ran: ${r.workers}`);
      assertWorks(r, 'vite build');
      // served with COOP/COEP: the trainer's network runs on a pool, whose worker Vite bundled too
      assert.deepEqual(r.result.threads, { threads: 2, note: null, steps: 3, isolated: true });
    } finally {
      await srv.close();
    }
  });

  test('Vite 8 dev server, no config', { timeout: 120_000 }, async () => {
    const { createServer } = await import('vite');
    rmSync(join(app, 'node_modules', '.vite'), { recursive: true, force: true });
    const server = await createServer({ root: app, configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' } });
    await server.listen();
    try {
      const r = await openApp(server.resolvedUrls.local[0]);
      assertWorks(r, 'vite 8 dev server');
      // the dev server sends no COOP/COEP: one thread, and the trainer says why
      assert.equal(r.result.threads.threads, 1);
      assert.match(r.result.threads.note, /^1 thread of 2: the page is not cross-origin isolated/);
    } finally {
      await server.close();
    }
  });

  test('Vite 7 dev server: an LstmError naming optimizeDeps.exclude without it; works with it', { timeout: 120_000 }, async () => {
    const { createServer } = await import(pathToFileURL(join(ROOT, 'node_modules', 'vite7', 'dist', 'node', 'index.js')).href);
    for (const exclude of [false, true]) {
      rmSync(join(app, 'node_modules', '.vite'), { recursive: true, force: true });
      const server = await createServer({
        root: app, configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' },
        ...(exclude && { optimizeDeps: { exclude: ['wasm-lstm'] } }),
      });
      await server.listen();
      try {
        const r = await openApp(server.resolvedUrls.local[0]);
        if (exclude) {
          assertWorks(r, 'vite 7 dev server with optimizeDeps.exclude');
          continue;
        }
        const { worker: w, page: p } = r.result;
        for (const [part, where] of [[w, 'the trainer'], [p, 'the page']]) {
          assert.ok(part.failed && part.lstm && part.code === 'load', `${where}: ${JSON.stringify(part)}`);
          assert.match(part.message, /optimizeDeps: \{ exclude: \['wasm-lstm'\] \}/, `${where} names the fix`);
        }
        assert.match(w.message, /^Trainer.create: the worker script/);
        assert.match(p.message, /is an HTML page, not a WebAssembly module/);
      } finally {
        await server.close();
      }
    }
  });

  test('webpack 5, no config file', { timeout: 120_000 }, async () => {
    const cli = join(ROOT, 'node_modules', 'webpack-cli', 'bin', 'cli.js');
    const { stdout } = await run(process.execPath, [cli, '--mode', 'production', '--entry', './main.js', '--output-path', './wp-dist'], { cwd: app });
    assert.match(stdout, /compiled successfully/, stdout);
    assert.doesNotMatch(stdout, /WARNING|ERROR/, stdout);
    const out = readdirSync(join(app, 'wp-dist'));
    assert.equal(out.filter((f) => f.endsWith('.wasm')).length, 2, `both wasm builds emitted: ${out}`);
    writeFileSync(join(app, 'wp-dist', 'index.html'),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pending</title><link rel="icon" href="data:,"></head>' +
      '<body><script src="./main.js"></script></body></html>');
    const srv = await startServer({ root: join(app, 'wp-dist'), port: 0 });
    try {
      const r = await openApp(`${srv.url}index.html`);
      assert.equal(r.workers.length >= 1, true, 'a worker ran');
      assertWorks(r, 'webpack');
      assert.deepEqual(r.result.threads, { threads: 2, note: null, steps: 3, isolated: true });
    } finally {
      await srv.close();
    }
  });

  test('a static host, no bundler: the package\'s files as they are', { timeout: 120_000 }, async () => {
    const srv = await startServer({ root: app, port: 0 });
    try {
      const r = await openApp(`${srv.url}static.html`);
      assert.ok(r.workers.includes('/node_modules/wasm-lstm/js/worker-entry.js'), `the package's worker ran: ${r.workers}`);
      assertWorks(r, 'static host');
      // the host sends COOP/COEP (scripts/serve.mjs): the trainer's network runs on a pool of 2
      assert.deepEqual(r.result.threads, { threads: 2, note: null, steps: 3, isolated: true });
    } finally {
      await srv.close();
    }
  });
});
