// The package's built-in data as public functions (js/datasets.js): the same data as the
// generators of corpus.js, and options read once and checked, LstmError 'arg' naming the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCorpus, agreementTask, LstmError } from '../js/index.js';
import * as corpus from '../js/corpus.js';

test('defaultCorpus and agreementTask give the generators\' data, with their defaults', () => {
  assert.equal(defaultCorpus(), corpus.defaultCorpus());
  assert.equal(defaultCorpus({ seed: 3, chars: 5000 }), corpus.defaultCorpus({ seed: 3, chars: 5000 }));
  assert.equal(defaultCorpus({ chars: 0 }), '');
  assert.deepEqual(agreementTask(), corpus.agreementTask());
  const t = agreementTask({ distance: 7, count: 9, seed: 4 });
  assert.deepEqual(t, corpus.agreementTask({ distance: 7, count: 9, seed: 4 }));
  assert.equal(t.length, 11);
  assert.equal(t.tokens.length, 9 * 11);
});

test('bad options are LstmError arg naming the option', () => {
  const cases = [
    [() => defaultCorpus({ chars: -1 }), 'chars', /^chars: expected an integer in \[0, /],
    [() => defaultCorpus({ seed: 1.5 }), 'seed', /^seed: expected an integer/],
    [() => defaultCorpus({ size: 3 }), 'size', /^defaultCorpus options: unknown key 'size'/],
    [() => defaultCorpus('big'), 'defaultCorpus', /^defaultCorpus options: expected an object/],
    [() => agreementTask({ distance: 0 }), 'distance', /^distance: expected an integer in \[1, 1000\]/],
    [() => agreementTask({ count: 2 ** 21 }), 'count', /^count: /],
    [() => agreementTask({ seed: -1 }), 'seed', /^seed: /],
  ];
  for (const [call, argument, pattern] of cases) {
    assert.throws(call, (e) => e instanceof LstmError && e.code === 'arg' && e.argument === argument && pattern.test(e.message));
  }
});
