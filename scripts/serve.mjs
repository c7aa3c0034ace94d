#!/usr/bin/env node
// A tiny static file server for the demo: serves the repository root (so that web/ can import
// ../js/...) on 127.0.0.1 with the MIME types wasm and ES modules need. No dependencies.
//
//   node scripts/serve.mjs [--port 8080]     (--port 0 picks a free port)
//
// Prints the demo URL (http://127.0.0.1:PORT/web/) as its first line on stdout.
// Only GET/HEAD, no directory listings, nothing outside the root, `Cache-Control: no-cache`.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
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

function isInside(root, file) {
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function send(res, status, text, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : `${status} ${text}\n`);
}

async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  }
  const rawPath = (req.url ?? '/').split(/[?#]/)[0];
  let path;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'Bad Request');
  }
  if (!path.startsWith('/') || path.includes('\0')) return send(res, 400, 'Bad Request');
  // Refuse any `..` segment outright (also after %2e%2e / %2f decoding, and with backslashes),
  // then check the resolved path (and its real path, through symlinks) is still under root.
  if (path.split(/[\\/]/).includes('..')) return send(res, 403, 'Forbidden');
  if (path === '/') return send(res, 302, 'Found', { Location: '/web/' });

  let file = resolve(join(root, path));
  if (!isInside(root, file)) return send(res, 403, 'Forbidden');
  let info;
  try {
    file = await realpath(file);
    if (!isInside(root, file)) return send(res, 403, 'Forbidden');
    info = await stat(file);
    if (info.isDirectory()) {
      if (!rawPath.endsWith('/')) {
        const query = (req.url ?? '').slice(rawPath.length);
        return send(res, 301, 'Moved Permanently', { Location: `${rawPath}/${query}` });
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return send(res, 404, 'Not Found');
  } catch {
    return send(res, 404, 'Not Found');
  }

  res.writeHead(200, {
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Start the server.
 * @param {{ root?: string, port?: number, host?: string }} [options] root defaults to the
 *   repository root; port 0 (the default here) picks a free port; host defaults to 127.0.0.1.
 * @returns {Promise<{ url: string, demoUrl: string, port: number, server: import('node:http').Server, close: () => Promise<void> }>}
 *   `url` is the server root (`http://127.0.0.1:PORT/`, which redirects to /web/), `demoUrl` the demo page.
 */
export async function startServer({ root = REPO_ROOT, port = 0, host = '127.0.0.1' } = {}) {
  const realRoot = await realpath(resolve(root));
  const server = createServer((req, res) => {
    handle(realRoot, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actualPort = server.address().port;
  const url = `http://${host}:${actualPort}/`;
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
  console.error(`serve: serving ${REPO_ROOT} (Ctrl-C to stop)`);
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
