// The JS API fuzzer (tests/fuzz-js/fuzz-api.mjs) for a bounded time in `npm test`: about 20 s
// from a fixed seed, so that a regression of any invariant it checks (only LstmError escapes, a
// rejected call changes nothing, re-entrant calls are 'busy', one read per argument, finite
// results, bounded memory) fails the suite. Longer runs with other seeds: tests/fuzz-js/README.md.
//
// It runs in a child process (with --no-concurrent-recompilation, see the fuzzer) so that a hang
// or a crash is reported, not inherited; WASM_LSTM_LIB fuzzes another build, as for the other
// hostile tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FUZZER = fileURLToPath(new URL('./fuzz-js/fuzz-api.mjs', import.meta.url));
const SECONDS = 20, SEED = 20261202;

test(`the JS API fuzzer runs ${SECONDS} s from seed ${SEED} without a finding`, (t) => {
  const args = ['--no-concurrent-recompilation', FUZZER, '--seconds', String(SECONDS), '--seed', String(SEED), '--timeout', '60'];
  if (process.env.WASM_LSTM_LIB) args.push('--lib', process.env.WASM_LSTM_LIB);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (SECONDS + 120) * 1000 });
  const out = `${r.stdout}${r.stderr}`;
  for (const line of out.trim().split('\n').slice(-3)) t.diagnostic(line);
  assert.equal(r.error, undefined, `the fuzzer did not finish: ${r.error?.message}`);
  assert.equal(r.status, 0, `the fuzzer found something (exit status ${r.status}, signal ${r.signal}):\n${out}`);
  const m = /(\d+) iterations .*?, (\d+) calls/.exec(out);
  assert.ok(m && Number(m[1]) >= 10 && Number(m[2]) >= 400, `the fuzzer made too few calls to mean anything:\n${out}`);
});
