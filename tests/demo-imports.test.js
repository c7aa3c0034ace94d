// The demo (web/) is an example of the package's public API: its modules import only the
// package's entry points (wasm-lstm = js/index.js, wasm-lstm/worker = js/worker.js,
// wasm-lstm/interop = js/interop/index.js) and each other, statically or dynamically, and start
// workers only from its own files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const PUBLIC = ['../js/index.js', '../js/worker.js', '../js/interop/index.js'];

test('web/ imports only the package\'s public entry points and its own modules', () => {
  const files = readdirSync(WEB).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('app.js') && files.includes('training.js'), files.join(' '));
  const used = new Set();
  for (const f of files) {
    const source = readFileSync(join(WEB, f), 'utf8');
    const specifiers = [
      ...[...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]),
      ...[...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]),
    ];
    for (const s of specifiers) {
      const own = /^\.\/[\w-]+\.js$/.test(s) && files.includes(s.slice(2));
      assert.ok(PUBLIC.includes(s) || own, `${f} imports ${s}`);
      if (PUBLIC.includes(s)) used.add(s);
    }
    for (const [, url] of source.matchAll(/new Worker\(new URL\('([^']+)'/g)) {
      assert.ok(/^\.\/[\w-]+\.js$/.test(url) && files.includes(url.slice(2)), `${f} starts a worker from ${url}`);
    }
  }
  assert.deepEqual([...used].sort(), [...PUBLIC].sort(), 'the demo uses wasm-lstm, wasm-lstm/worker and wasm-lstm/interop');
  assert.ok(!files.includes('train-worker.js'), 'the private training worker is gone');
});
