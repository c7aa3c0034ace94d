// scripts/serve.mjs: MIME types, redirects, errors, and no way out of the served root.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A raw request: the path is sent exactly as given (fetch() would normalize `..` away). */
function get(port, path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve.mjs on the repository', () => {
  let srv;
  before(async () => {
    srv = await startServer({ root: ROOT, port: 0 });
  });
  after(() => srv.close());

  test('startServer binds 127.0.0.1 on a free port', () => {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(srv.demoUrl, `${srv.url}web/`);
    assert.ok(srv.port > 0);
  });

  test('.wasm is application/wasm, with the file as body and no-cache', async () => {
    const r = await get(srv.port, '/js/build/lstm-simd.wasm');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/wasm');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.deepEqual(r.body, readFileSync(join(ROOT, 'js/build/lstm-simd.wasm')));
  });

  test('MIME types of .js, .html and .json; HEAD has headers only', async () => {
    assert.equal((await get(srv.port, '/js/loader.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get(srv.port, '/web/index.html')).headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await get(srv.port, '/package.json')).headers['content-type'], 'application/json; charset=utf-8');
    const head = await get(srv.port, '/js/loader.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), readFileSync(join(ROOT, 'js/loader.js')).length);
    assert.equal(head.body.length, 0);
  });

  test('/ redirects to the demo; a directory serves its index.html; /web redirects to /web/', async () => {
    const root = await get(srv.port, '/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/web/');
    const web = await get(srv.port, '/web/');
    assert.equal(web.status, 200);
    assert.match(web.body.toString(), /wasm-lstm/);
    const noSlash = await get(srv.port, '/web?x=1');
    assert.equal(noSlash.status, 301);
    assert.equal(noSlash.headers.location, '/web/?x=1');
  });

  test('missing files are 404', async () => {
    assert.equal((await get(srv.port, '/no/such/file.js')).status, 404);
    assert.equal((await get(srv.port, '/js/no-such-file.js')).status, 404);
  });

  test('only GET and HEAD; malformed escapes are 400', async () => {
    const post = await get(srv.port, '/js/loader.js', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await get(srv.port, '/js/%E0%A4%A.js')).status, 400);
    assert.equal((await get(srv.port, '/js/loader.js%00.html')).status, 400);
  });

  for (const path of [
    '/../etc/passwd',
    '/../../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/js/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/..%5c..%5c..%5cetc%5cpasswd',
    '/web/../../package.json',
  ]) {
    test(`no traversal: ${path} is refused`, async () => {
      const r = await get(srv.port, path);
      assert.ok(r.status === 403 || r.status === 404, `status ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /root:|"name"/);
    });
  }
});

describe('serve.mjs on a scratch root (empty directory, symlink out of the root)', () => {
  let dir;
  let srv;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-serve-'));
    mkdirSync(join(dir, 'site', 'empty'), { recursive: true });
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    writeFileSync(join(dir, 'site', 'ok.txt'), 'ok');
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'site', 'link.txt'));
    srv = await startServer({ root: join(dir, 'site'), port: 0 });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a directory without index.html is 404 (no listings)', async () => {
    assert.equal((await get(srv.port, '/empty/')).status, 404);
    assert.equal((await get(srv.port, '/empty')).status, 301);
  });

  test('files inside are served, a symlink pointing outside is 403', async () => {
    const ok = await get(srv.port, '/ok.txt');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(ok.body.toString(), 'ok');
    const link = await get(srv.port, '/link.txt');
    assert.equal(link.status, 403);
    assert.doesNotMatch(link.body.toString(), /secret/);
  });
});

describe('node scripts/serve.mjs', () => {
  test('--port 0: prints the demo URL first, then serves it', async () => {
    const child = spawn(process.execPath, ['scripts/serve.mjs', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const firstLine = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no URL printed within 10 s')), 10_000);
        child.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
        createInterface({ input: child.stdout }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
      const m = firstLine.match(/^http:\/\/127\.0\.0\.1:(\d+)\/web\/$/);
      assert.ok(m, `first line: ${firstLine}`);
      const r = await get(Number(m[1]), '/web/');
      assert.equal(r.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('a bad --port is an error', async () => {
    const child = spawn(process.execPath, ['scripts/serve.mjs', '--port', 'abc'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--port: expected an integer 0\.\.65535, got "abc"/);
  });
});
