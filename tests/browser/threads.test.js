// Threads in headless Chromium: in a cross-origin-isolated page (scripts/serve.mjs sends COOP and
// COEP) a module worker trains on 2 threads and equals 1 thread to float rounding, and runs the
// same from run to run; a page's main thread (which must not block) and a page that is not
// isolated fall back to one thread, without an error, and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromiumSkip } from '../chromium.js';
import { launch, ROOT } from './harness.js';

const skip = chromiumSkip('the thread tests in Chromium');

// What the page runs: in a module worker (blob URL) that imports the package from the server.
const WORKER = (base) => `
import { Network } from '${base}js/index.js';
import { MIN_SPLIT_FLOPS } from '${base}js/network.js';
Network[MIN_SPLIT_FLOPS] = 0;
const hex = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (b) => b.toString(16).padStart(2, '0')).join('');
async function run(threads) {
  const net = await Network.create({ cell: 'lstm', vocab: 9, hidden: 12, layers: 2, output: 9, seed: 5, dropout: 0.1, threads });
  let s = 3;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const losses = [];
  for (let k = 0; k < 6; k++) {
    const x = Int32Array.from({ length: 6 * 7 }, () => Math.floor(rand() * 9)), y = x.map((v) => (v + 1) % 9);
    losses.push(net.train(x, y, { batch: 6, steps: 7 }));
  }
  const p = net.parameters();
  const out = { threads: net.threads, note: net.threadsNote, losses, params: Object.fromEntries(Object.entries(p).map(([n, t]) => [n, Array.from(t.data)])), file: hex(net.save()) };
  net.dispose();
  return out;
}
self.onmessage = async () => {
  try {
    self.postMessage({ isolated: self.crossOriginIsolated, one: await run(1), two: await run(2), twoAgain: await run(2) });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack || e) });
  }
};`;

const PAGE = (base) => `(async () => {
  const src = ${JSON.stringify(WORKER(base))};
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
  const r = await new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => resolve({ error: e.message }); w.postMessage(0); });
  w.terminate();
  const { Network } = await import('${base}js/index.js');
  const main = await Network.create({ vocab: 5, hidden: 4, output: 5, threads: 2 });
  r.main = { threads: main.threads, note: main.threadsNote, isolated: self.crossOriginIsolated };
  main.dispose();
  return r;
})()`;

function maxRelDiff(a, b) {
  let d = 0, m = 0;
  for (const n of Object.keys(a)) for (let i = 0; i < a[n].length; i++) d = Math.max(d, Math.abs(a[n][i] - b[n][i])), m = Math.max(m, Math.abs(a[n][i]));
  return d / m;
}

test('cross-origin isolated: a worker trains on 2 threads = 1 thread to rounding, the same every run; the main thread stays on 1', { skip }, async () => {
  const b = await launch();
  try {
    const page = await b.firstPage();
    await page.goto(`${b.srv.url}web/style.css`);
    const r = await page.evaluate(PAGE(b.srv.url));
    assert.ok(!r.error, r.error);
    assert.equal(r.isolated, true);
    assert.equal(r.one.threads, 1);
    assert.equal(r.two.threads, 2, `2 threads in a worker of an isolated page: ${r.two.note}`);
    assert.equal(r.two.file, r.twoAgain.file, 'two runs on 2 threads: the same file, bit for bit');
    const d = maxRelDiff(r.one.params, r.two.params);
    assert.ok(d <= 1e-5, `2 threads vs 1: parameters differ by ${d} (relative)`);
    r.one.losses.forEach((l, k) => assert.ok(Math.abs(l - r.two.losses[k]) <= 1e-5 * Math.max(1, l), `loss ${k}`));
    assert.deepEqual([r.main.threads, r.main.isolated], [1, true]);
    assert.match(r.main.note, /main thread must not block/);
  } finally {
    await b.close();
  }
});

test('not cross-origin isolated: one thread, no error, and a note that says why', { skip }, async () => {
  // a plain server: the package's files, no COOP/COEP
  const srv = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!/^\/js\/[\w/.-]+\.(js|wasm)$/.test(path) && path !== '/') return res.writeHead(404).end();
    if (path === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>plain</title>');
    try {
      const body = await readFile(join(ROOT, path));
      res.writeHead(200, { 'Content-Type': path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}/`;
  const b = await launch();
  try {
    const page = await b.firstPage();
    await page.goto(base);
    const r = await page.evaluate(PAGE(base));
    assert.ok(!r.error, r.error);
    assert.equal(r.isolated, false);
    assert.equal(r.two.threads, 1);
    assert.match(r.two.note, /not cross-origin isolated/);
    assert.equal(r.one.file, r.two.file, 'one thread either way: the same results');
  } finally {
    await b.close();
    await new Promise((r) => srv.close(r));
  }
});
