// Shared by the interop tests: the PyTorch-made fixtures (tests/fixtures/interop, written by
// make_interop.py), inputs in the shapes our API takes, and what the core on this branch supports.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Network, LstmError } from '../../js/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));
export const fixture = (rel) => new Uint8Array(readFileSync(join(FIXTURES, rel)));
export const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8'));

/** The input of a case as our API takes it: Int32Array tokens (B,T) or Float32Array (B,T,I). */
export const inputsOf = (c) => (c.embedding ? Int32Array.from(c.x) : Float32Array.from(c.x));

/** Max |a − b|, asserting equal lengths. */
export function maxDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

let v2 = null;
/**
 * Whether the core has the api-v2 features (bidirectional, lengths, gateActivation,
 * initialState, returnState: true, xent-last): Network.create with bidirectional: true must not throw
 * LstmError 'config'. Resolves to {ok, why}.
 */
export function coreV2() {
  v2 ??= (async () => {
    try {
      const net = await Network.create({ cell: 'lstm', input: 2, hidden: 2, layers: 1, output: 1, loss: 'mse', bidirectional: true });
      net.dispose();
      return { ok: true, why: '' };
    } catch (err) {
      if (err instanceof LstmError && err.code === 'config') {
        return { ok: false, why: `the core on this branch has no api-v2 features yet (Network.create({bidirectional: true}): ${err.message})` };
      }
      throw err;
    }
  })();
  return v2;
}

/** Whether a case (or a description's config) needs api-v2 features of the core. */
export const needsV2 = (c) => !!c.bidirectional || (c.gateActivation ?? 'sigmoid') !== 'sigmoid';
