#!/usr/bin/env node
// The demo's development server: serves exactly what the page needs from the repository on
// 127.0.0.1, with the headers that make the page cross-origin isolated, and nothing else.
//
//   node scripts/serve.mjs [--port 8080]     (--port 0 picks a free port)
//
// Prints the demo URL (http://127.0.0.1:PORT/web/) as its first line on stdout.
//
// What is served (everything else is 404, the same answer whether a file exists or not):
//   /web/...          the page: its HTML, CSS and JS modules (web/ and below)
//   /js/*.js          the package's modules, which the page imports (../js/index.js, ../js/worker.js
//                     and the trainer's worker, js/worker-entry.js, ...)
//   /js/interop/*.js  wasm-lstm/interop, which the demo's Upload of PyTorch/ONNX/TF.js files imports
//   /js/build/*.wasm  the built WebAssembly modules, as application/wasm, and js/build/abi.js
//   /                 redirects to /web/ (and /web to /web/)
// With another root (a test directory, a bundler's dist/), every file under that root. In both
// cases never a dotfile or dot-directory (/.git/config, /web/.env), never `..` (decoded or not),
// never a symlink that leads out of its directory, never a directory listing. Redirects go only to
// fixed paths of this origin. Only GET and HEAD. Requests whose Host is not this machine's
// loopback name are refused (a DNS-rebinding page cannot read the server through its own name).
//
// Every response carries Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp, so the page is cross-origin isolated (SharedArrayBuffer, the thread pool of the
// threads issue); every resource the demo loads is same-origin, so COEP blocks nothing.
//
// Idle connections are closed: a client must send its request headers within 5 s of connecting
// (a connection that never sends a byte is answered 408 and closed), the whole request within
// 10 s, a kept-alive connection is closed after 5 s without a new request, and a socket with no
// traffic at all for 30 s is destroyed.
//
// Why hand-written rather than a static-server devDependency (serve-handler, sirv, http-server):
// Node's http module already parses requests and enforces all four timeouts; what is specific to
// us (the allowlist of three directories, the isolation headers, the Host check) would be our code
// on top of any such package anyway. Staying dependency-free also keeps `npm start` working on a
// fresh clone before `npm ci`, and keeps a third-party package out of the one process that reads
// the developer's disk on behalf of a browser.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ico': 'image/x-icon',
};

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * What the repository serves: a directory (relative to the root, '/'-separated), whether files
 * in its subdirectories count, and the file extensions allowed there.
 */
export const DEMO_ALLOWLIST = Object.freeze([
  { dir: 'web', deep: true, exts: ['.html', '.js', '.css', '.svg', '.png', '.ico', '.txt', '.json'] },
  { dir: 'js', deep: false, exts: ['.js'] },
  { dir: 'js/interop', deep: false, exts: ['.js'] },
  { dir: 'js/build', deep: false, exts: ['.wasm', '.js'] },
]);

/** Timeouts in ms (see the top of this file). */
export const DEFAULT_TIMEOUTS = Object.freeze({ headers: 5000, request: 10_000, keepAlive: 5000, idle: 30_000 });

// Sent with every response, errors included.
const COMMON_HEADERS = {
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
// A path segment we serve: starts with a letter, digit or underscore (so never `.` or `..` or a
// dotfile), then only characters that need no escaping and cannot separate paths.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function isInside(dir, file) {
  const rel = relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function send(res, status, text, headers = {}) {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : `${status} ${text}\n`);
}

const notFound = (res) => send(res, 404, 'Not Found');

// A redirect to a path of this origin. `path` is one of our fixed paths (starting with a single
// '/'); the query is the request's own, after '?', so it cannot change the host or the path.
function redirect(res, status, path, query) {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) throw new Error(`not a same-origin path: ${path}`);
  send(res, status, status === 301 ? 'Moved Permanently' : 'Found', { Location: path + query });
}

/**
 * The request target as path segments, or a status to answer with.
 * '/web/app.js' -> {segments: ['web', 'app.js'], dir: false}; '/web/' -> {segments: ['web'], dir: true}.
 */
function parseTarget(url) {
  const raw = url ?? '/';
  const q = raw.search(/[?#]/);
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 || raw[q] === '#' ? '' : raw.slice(q).split('#')[0];
  let path;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { status: 400 };
  }
  if (!path.startsWith('/') || path.includes('\0')) return { status: 400 };
  const dir = path.endsWith('/');
  const parts = path.slice(1, dir ? -1 : undefined);
  if (parts === '') return { segments: [], dir: true, query };
  const segments = parts.split('/');
  // An empty segment ('//web', '/web//x'), '.', '..', a dotfile, a backslash: nothing we serve.
  if (!segments.every((s) => SEGMENT.test(s))) return { status: 404 };
  return { segments, dir, query };
}

// The allowlist rule that admits a file at `segments` (its directory and extension), if any.
function allowedBy(allowlist, segments) {
  const dir = segments.slice(0, -1).join('/'), ext = extname(segments.at(-1)).toLowerCase();
  return allowlist.find((r) => (dir === r.dir || (r.deep && dir.startsWith(`${r.dir}/`))) && r.exts.includes(ext)) ?? null;
}

async function handle(site, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  }
  if (site.loopback && !LOOPBACK_NAMES.has(hostName(req.headers.host))) return send(res, 403, 'Forbidden: unknown Host');
  const target = parseTarget(req.url);
  if (target.status === 400) return send(res, 400, 'Bad Request');
  if (target.status) return notFound(res);
  let { segments, dir, query } = target;

  if (site.allowlist) {
    if (segments.length === 0) return redirect(res, 302, '/web/', query);
    if (segments.length === 1 && segments[0] === 'web' && !dir) return redirect(res, 301, '/web/', query);
  }
  if (dir) segments = [...segments, 'index.html'];
  // The directory a file must stay inside, through symlinks: the allowed directory, or the root.
  let base = site.root;
  if (site.allowlist) {
    const rule = allowedBy(site.allowlist, segments);
    if (!rule) return notFound(res);
    base = join(site.root, rule.dir);
  }
  let file, info;
  try {
    const realBase = await realpath(base);
    file = await realpath(join(site.root, ...segments));
    // inside its directory, and not a dotfile there either (a symlink named x.txt to .env)
    if (!isInside(realBase, file) || relative(realBase, file).split(sep).some((s) => s.startsWith('.'))) return notFound(res);
    info = await stat(file);
  } catch {
    return notFound(res);
  }
  if (!info.isFile()) {
    // a directory of a root without an allowlist: its index.html, under the slash-ended URL
    if (!site.allowlist && info.isDirectory() && !dir) {
      const path = `/${segments.join('/')}/`;
      return redirect(res, 301, path, query);
    }
    return notFound(res);
  }

  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') return res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

// 'localhost:8080' -> 'localhost', '[::1]:80' -> '[::1]'; undefined for a missing header.
function hostName(host) {
  if (typeof host !== 'string') return undefined;
  const m = host.toLowerCase().match(/^(\[[0-9a-f:.]+\]|[^:]+)(:\d+)?$/);
  return m ? m[1] : undefined;
}

/**
 * Start the server.
 * @param {{ root?: string, port?: number, host?: string, timeouts?: Partial<typeof DEFAULT_TIMEOUTS>, allowlist?: typeof DEMO_ALLOWLIST | null }} [options]
 *   root defaults to the repository root, which is served through DEMO_ALLOWLIST; another root is
 *   served whole (still no dotfiles, no way out) unless `allowlist` is given (null: the whole
 *   root; a list like DEMO_ALLOWLIST: only that). port 0 (the default here) picks a free port;
 *   host defaults to 127.0.0.1. timeouts: ms, see DEFAULT_TIMEOUTS.
 * @returns {Promise<{ url: string, demoUrl: string, port: number, server: import('node:http').Server, close: () => Promise<void> }>}
 *   `url` is the server root (`http://127.0.0.1:PORT/`, which redirects to /web/), `demoUrl` the demo page.
 */
export async function startServer({ root = REPO_ROOT, port = 0, host = '127.0.0.1', timeouts = {}, allowlist } = {}) {
  const realRoot = await realpath(resolve(root));
  const site = {
    root: realRoot,
    allowlist: allowlist !== undefined ? allowlist : realRoot === await realpath(REPO_ROOT) ? DEMO_ALLOWLIST : null,
    loopback: LOOPBACK_NAMES.has(host === '::1' ? '[::1]' : host),
  };
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const server = createServer({
    headersTimeout: t.headers,
    requestTimeout: t.request,
    keepAliveTimeout: t.keepAlive,
    // how often Node checks the headers and request timeouts (its default, 30 s, would let a
    // silent connection live up to 35 s)
    connectionsCheckingInterval: Math.max(100, Math.min(1000, t.headers / 4)),
  }, (req, res) => {
    handle(site, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  server.setTimeout(t.idle, (socket) => socket.destroy());
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actualPort = server.address().port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`;
  return {
    url,
    demoUrl: `${url}web/`,
    port: actualPort,
    server,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}

/** Parse `--port N` / `--port=N` (default 8080). */
export function parsePort(argv, fallback = 8080) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === '--port' ? argv[++i] : arg.startsWith('--port=') ? arg.slice(7) : null;
    if (value === null) continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`--port: expected an integer 0..65535, got ${JSON.stringify(value)}`);
    }
    return port;
  }
  return fallback;
}

/** Run the server until SIGINT/SIGTERM; prints the demo URL first. */
export async function serveForever(port) {
  let srv;
  try {
    srv = await startServer({ port });
  } catch (err) {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(srv.demoUrl);
  console.error(`serve: serving web/, js/*.js and js/build/*.{wasm,js} of ${REPO_ROOT} (Ctrl-C to stop)`);
  const stop = () => srv.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return srv;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let port;
  try {
    port = parsePort(process.argv.slice(2));
  } catch (err) {
    console.error(`serve: ${err.message}`);
    process.exit(2);
  }
  await serveForever(port);
}
