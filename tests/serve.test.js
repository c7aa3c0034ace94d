// scripts/serve.mjs: it serves only what the demo needs (web/, js/*.js, js/interop/*.js, js/build/*.{wasm,js}), never a
// dotfile (/.git/config) or anything outside, redirects only to this origin, answers every
// refusal with the same 404, sends the cross-origin-isolation headers, and closes idle
// connections. The browser side of isolation (crossOriginIsolated in the page) is tested in
// tests/browser/demo.test.js.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as serve from '../scripts/serve.mjs';

const { startServer } = serve;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A raw request: the path is sent exactly as given (fetch() would normalize `..` and `//` away). */
function get(port, path, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens a TCP connection, lets `talk(socket)` write what it wants (or nothing), and resolves with
 * how long the server took to close it and what it answered; gives up after `limit` ms.
 */
function closedWithin(port, limit, talk = () => {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let data = '';
    const socket = connect(port, '127.0.0.1', () => talk(socket));
    socket.on('data', (d) => { data += d; });
    socket.on('error', () => {});
    const timer = setTimeout(() => { socket.destroy(); resolve({ closed: false, ms: Date.now() - t0, data }); }, limit);
    socket.on('close', () => { clearTimeout(timer); resolve({ closed: true, ms: Date.now() - t0, data }); });
  });
}

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

// Redirects must stay on the server's own origin, whatever the request path looks like.
const ODD_PATHS = ['//web', '//web/', '///web', '//evil.example/web', '//evil.example', '/\\evil.example/', '/\\/evil.example/',
  '/%2f%2fevil.example/', '/%5cevil.example', '//127.0.0.2/web', '/web//', '/web/..', '//web?x=1', '/./web', '/web/.'];

// Refused whatever their encoding: `..` plain, %-encoded, with backslashes, and out of web/ or js/.
const TRAVERSALS = [
  '/../etc/passwd',
  '/../../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '/js/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/..%5c..%5c..%5cetc%5cpasswd',
  '/web/../../package.json',
  '/web/../package.json',
  '/web/%2e%2e/package.json',
  '/web/%2e%2e%2fpackage.json',
  '/web/.%2e/package.json',
  '/web/..%5cpackage.json',
  '/js/build/%2e%2e/%2e%2e/package.json',
  '/js/../.git/config',
  '/web/%2e%2e%2f.git%2fconfig',
  '/web/..;/package.json',
  '/web/%252e%252e/package.json',
];

describe('serve.mjs on the repository: only what the demo needs', () => {
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

  test('MIME types of .js, .html and .css; HEAD has headers only', async () => {
    assert.equal((await get(srv.port, '/js/loader.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get(srv.port, '/web/index.html')).headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await get(srv.port, '/web/style.css')).headers['content-type'], 'text/css; charset=utf-8');
    const head = await get(srv.port, '/js/loader.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), readFileSync(join(ROOT, 'js/loader.js')).length);
    assert.equal(head.body.length, 0);
  });

  test('COOP same-origin and COEP require-corp on the page, its modules, the wasm, errors and redirects', async () => {
    for (const path of ['/web/', '/web/app.js', '/web/training.js', '/js/index.js', '/js/worker-entry.js', '/js/build/lstm-plain.wasm', '/no/such/file', '/']) {
      const r = await get(srv.port, path);
      for (const [k, v] of Object.entries(ISOLATION)) assert.equal(r.headers[k], v, `${path}: ${k}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    }
  });

  test('/ redirects to the demo; /web/ serves its index.html; /web redirects to /web/ with the query', async () => {
    const root = await get(srv.port, '/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/web/');
    const web = await get(srv.port, '/web/');
    assert.equal(web.status, 200);
    assert.deepEqual(web.body, readFileSync(join(ROOT, 'web/index.html')));
    const noSlash = await get(srv.port, '/web?x=1');
    assert.equal(noSlash.status, 301);
    assert.equal(noSlash.headers.location, '/web/?x=1');
  });

  test('serves every file of web/, every js/*.js and js/interop/*.js module, the built .wasm and the built abi.js', async () => {
    const files = [
      ...readdirSync(join(ROOT, 'web')).filter((f) => !f.startsWith('.')).map((f) => `/web/${f}`),
      ...readdirSync(join(ROOT, 'js')).filter((f) => f.endsWith('.js')).map((f) => `/js/${f}`),
      ...readdirSync(join(ROOT, 'js/interop')).filter((f) => f.endsWith('.js')).map((f) => `/js/interop/${f}`),
      ...readdirSync(join(ROOT, 'js/build')).filter((f) => /\.(wasm|js)$/.test(f)).map((f) => `/js/build/${f}`),
    ];
    assert.ok(files.includes('/js/build/abi.js'), 'js/build/abi.js (the ABI the JS layer imports) must be served');
    assert.ok(files.length >= 12, files.join(' '));
    for (const path of files) {
      const r = await get(srv.port, path);
      assert.equal(r.status, 200, path);
      assert.deepEqual(r.body, readFileSync(join(ROOT, path)), path);
    }
  });

  test('nothing else of the repository: package files, sources, tests, node_modules, listings are 404', async () => {
    for (const path of ['/package.json', '/package-lock.json', '/README.md', '/build.sh', '/js/index.d.ts', '/c/lstm.h',
      '/tests/serve.test.js', '/scripts/serve.mjs', '/bin/wasm-lstm.js', '/node_modules/playwright-core/package.json',
      '/js/', '/js', '/js/build/', '/c/', '/web/index.html/', '/WEB/index.html', '/index.html']) {
      const r = await get(srv.port, path);
      assert.equal(r.status, 404, `${path}: status ${r.status}`);
      assert.equal(r.body.toString(), '404 Not Found\n', path);
    }
  });

  test('dotfiles and dot-directories are 404: /.git/config, /.git, /.gitignore, /.ci/run, encoded or not', async () => {
    for (const path of ['/.git/config', '/.git/HEAD', '/.git', '/.git/', '/.gitignore', '/.ci/run', '/%2egit/config',
      '/.%67it/config', '/%2Egitignore', '/web/.gitignore', '/js/.x.js', '/web/.', '/web/..']) {
      const r = await get(srv.port, path);
      assert.equal(r.status, 404, `${path}: status ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /\[core\]|gitdir|node_modules/, path);
    }
  });

  for (const path of ODD_PATHS) {
    test(`a redirect never leaves this origin: ${path}`, async () => {
      const r = await get(srv.port, path);
      if (r.status >= 300 && r.status < 400) {
        const to = new URL(r.headers.location, srv.url);
        assert.equal(to.origin, new URL(srv.url).origin, `${path} -> ${r.headers.location}`);
        assert.doesNotMatch(r.headers.location, /^(\/\/|\/\\|[a-z]+:)/i, `${path} -> ${r.headers.location}`);
      } else {
        assert.equal(r.status, 404, `${path}: status ${r.status}`);
      }
    });
  }

  for (const path of TRAVERSALS) {
    test(`no traversal: ${path} is 404`, async () => {
      const r = await get(srv.port, path);
      assert.equal(r.status, 404, `status ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /root:|"name"|\[core\]/);
    });
  }

  test('missing files are 404', async () => {
    assert.equal((await get(srv.port, '/no/such/file.js')).status, 404);
    assert.equal((await get(srv.port, '/js/no-such-file.js')).status, 404);
    assert.equal((await get(srv.port, '/web/no-such-file.js')).status, 404);
  });

  test('only GET and HEAD; malformed escapes and NUL are 400', async () => {
    const post = await get(srv.port, '/js/loader.js', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await get(srv.port, '/js/%E0%A4%A.js')).status, 400);
    assert.equal((await get(srv.port, '/js/loader.js%00.html')).status, 400);
  });

  test('a Host that is not this machine is refused (DNS rebinding); 127.0.0.1, localhost and [::1] are fine', async () => {
    for (const host of ['evil.example', `evil.example:${srv.port}`, '127.0.0.1.evil.example', 'localhost.evil.example:80']) {
      const r = await get(srv.port, '/web/', { headers: { Host: host } });
      assert.equal(r.status, 403, `Host ${host}: status ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /wasm-lstm/);
    }
    for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`, 'LOCALHOST']) {
      assert.equal((await get(srv.port, '/web/', { headers: { Host: host } })).status, 200, `Host ${host}`);
    }
  });
});

describe('serve.mjs closes idle connections', () => {
  test('a connection that never sends a byte is closed within the headers timeout (default server)', { timeout: 20_000 }, async () => {
    const srv = await startServer({ port: 0 });
    try {
      const limit = serve.DEFAULT_TIMEOUTS.headers + 2000;
      const r = await closedWithin(srv.port, limit);
      assert.ok(r.closed, `still open after ${r.ms} ms (the headers timeout is ${serve.DEFAULT_TIMEOUTS.headers} ms)`);
      assert.ok(r.ms >= serve.DEFAULT_TIMEOUTS.headers - 500, `closed after ${r.ms} ms: too early`);
    } finally {
      await srv.close();
    }
  });

  test('the defaults: headers 5 s, request 10 s, kept-alive 5 s, silent socket 30 s', async () => {
    const srv = await startServer({ port: 0 });
    try {
      assert.equal(srv.server.headersTimeout, 5000);
      assert.equal(srv.server.requestTimeout, 10_000);
      assert.equal(srv.server.keepAliveTimeout, 5000);
      assert.equal(srv.server.timeout, 30_000);
    } finally {
      await srv.close();
    }
  });

  test('headers sent one byte at a time (slowloris) are cut off at the headers timeout with a 408', { timeout: 10_000 }, async () => {
    const srv = await startServer({ port: 0, timeouts: { headers: 1000 } });
    try {
      const head = `GET /web/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}`;
      const r = await closedWithin(srv.port, 4000, (socket) => {
        let i = 0;
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(head[i++ % head.length])), 100);
      });
      assert.ok(r.closed, `still open after ${r.ms} ms`);
      assert.ok(r.ms < 2500, `closed after ${r.ms} ms`);
      assert.match(r.data, /^HTTP\/1\.1 408 /);
    } finally {
      await srv.close();
    }
  });

  test('a kept-alive connection is closed after the keep-alive timeout', { timeout: 10_000 }, async () => {
    const srv = await startServer({ port: 0, timeouts: { keepAlive: 500 } });
    try {
      const r = await closedWithin(srv.port, 4000, (socket) => socket.write(`GET /web/style.css HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`));
      assert.match(r.data, /^HTTP\/1\.1 200 /);
      assert.ok(r.closed, `still open after ${r.ms} ms`);
      assert.ok(r.ms < 3000, `closed after ${r.ms} ms`);
    } finally {
      await srv.close();
    }
  });
});

describe('serve.mjs on scratch roots', () => {
  let dir;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasm-lstm-serve-'));
    // a repository-like tree, served through the demo's allowlist
    const repo = join(dir, 'repo');
    for (const d of ['.git', 'web', 'js/build', 'tests']) mkdirSync(join(repo, d), { recursive: true });
    writeFileSync(join(repo, '.git', 'config'), '[core]\n\tbare = false\n');
    writeFileSync(join(repo, 'package.json'), '{"name": "x"}');
    writeFileSync(join(repo, 'web', 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(repo, 'web', '.env'), 'SECRET=1');
    writeFileSync(join(repo, 'js', 'x.js'), 'export {};');
    writeFileSync(join(repo, 'js', 'build', 'x.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
    writeFileSync(join(repo, 'tests', 't.js'), 'test');
    symlinkSync(join(repo, 'package.json'), join(repo, 'web', 'pkg.js')); // out of web/, into the repository
    symlinkSync(join(repo, 'web', '.env'), join(repo, 'web', 'env.txt')); // to a dotfile inside web/
    // a bundler's output: served whole, but never its dotfiles or a way out
    const site = join(dir, 'site');
    for (const d of ['.git', 'assets', 'empty']) mkdirSync(join(site, d), { recursive: true });
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>site</title>');
    writeFileSync(join(site, 'assets', 'a.js'), 'export {};');
    writeFileSync(join(site, '.git', 'config'), '[core]\n');
    writeFileSync(join(site, '.env'), 'SECRET=1');
    symlinkSync(join(dir, 'secret.txt'), join(site, 'link.txt'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('with the demo allowlist: web/, js/*.js and js/build/*.wasm only; symlinks out of their directory are 404', async () => {
    const srv = await startServer({ root: join(dir, 'repo'), port: 0, allowlist: serve.DEMO_ALLOWLIST });
    try {
      assert.equal((await get(srv.port, '/web/')).status, 200);
      assert.equal((await get(srv.port, '/js/x.js')).status, 200);
      const wasm = await get(srv.port, '/js/build/x.wasm');
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers['content-type'], 'application/wasm');
      for (const path of ['/.git/config', '/package.json', '/tests/t.js', '/web/.env', '/web/pkg.js', '/web/env.txt', '/js/build/x.js']) {
        const r = await get(srv.port, path);
        assert.equal(r.status, 404, `${path}: status ${r.status}`);
        assert.doesNotMatch(r.body.toString(), /SECRET|\[core\]|"name"/, path);
      }
    } finally {
      await srv.close();
    }
  });

  test('another root is served whole: its index.html at /, files, no listings; never its dotfiles or a symlink out', async () => {
    const srv = await startServer({ root: join(dir, 'site'), port: 0 });
    try {
      const index = await get(srv.port, '/');
      assert.equal(index.status, 200);
      assert.match(index.body.toString(), /<title>site<\/title>/);
      assert.equal((await get(srv.port, '/assets/a.js')).headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal((await get(srv.port, '/empty/')).status, 404, 'no listings');
      const empty = await get(srv.port, '/empty');
      assert.equal(empty.status, 301);
      assert.equal(empty.headers.location, '/empty/');
      for (const path of ['/.git/config', '/.env', '/%2eenv', '/link.txt', '/../secret.txt', '/assets/../../secret.txt']) {
        const r = await get(srv.port, path);
        assert.equal(r.status, 404, `${path}: status ${r.status}`);
        assert.doesNotMatch(r.body.toString(), /secret|SECRET|\[core\]/, path);
      }
    } finally {
      await srv.close();
    }
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
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
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
