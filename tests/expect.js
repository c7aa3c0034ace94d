// Assertions on LstmError shared by the test files: the right class, code and message.
import assert from 'node:assert/strict';
import { LstmError } from '../js/index.js';

/** Calls fn; it must throw an LstmError with `code`, whose message matches `pattern` when given. */
export function expectError(fn, code, pattern) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected LstmError '${code}'${pattern ? ` matching ${pattern}` : ''}, nothing was thrown`);
  assert.ok(err instanceof LstmError, `expected LstmError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, err.message);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

/** The promise must reject with an LstmError with `code` whose message matches `pattern`. */
export async function expectReject(promise, code, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof LstmError, `expected LstmError, got ${e?.name}: ${e?.message}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}
