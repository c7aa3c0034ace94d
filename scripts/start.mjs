#!/usr/bin/env node
// `npm start`: make sure emcc is installed, build the wasm modules (incremental), then serve the
// demo (web/, js/*.js, js/build/*.wasm; cross-origin isolated: see serve.mjs) and print its URL.
//
//   npm start                 http://127.0.0.1:8080/web/
//   npm start -- --port 0     any free port
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parsePort, serveForever } from './serve.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`start: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`start: ${cmd} ${args.join(' ')} failed (exit code ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

let port;
try {
  port = parsePort(process.argv.slice(2));
} catch (err) {
  console.error(`start: ${err.message}`);
  process.exit(2);
}
run('bash', ['scripts/ensure-toolchain.sh', 'emcc']);
run('bash', ['build.sh']);
await serveForever(port);
