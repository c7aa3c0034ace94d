// charconfig.js — a CharModel's configuration: its keys, defaults and limits, and the checks of
// the options of CharModel.create and CharModel.fromNetwork (and of the config in a file).
//
// Every options object is read once (args.js readOptions: each key's getter runs once, into a
// frozen copy); only the copy is checked and used. The cell and optimizer names and the hidden and
// layer limits are the C build's (abi.js); seqLength and batch have CharModel's own limits (a batch
// of B·T ids is staged per step: 2^12 · 2^16 = 2^28 at most).
//
// Errors are LstmError 'config' whose `argument` names the option ('schedule' for schedule.every);
// an options object that is not an object, or has an unknown key, names `options` (`schedule`,
// `corpus` for those nested objects).

import { configError } from './errors.js';
import { readOptions, oneOf, intIn, numIn } from './args.js';
import { CELLS, OPTIMIZERS, LIMITS } from './abi.js';

/** The config of a CharModel, every key with its default (a file's config has exactly these keys). */
export const DEFAULTS = Object.freeze({
  cell: 'lstm', hidden: 128, layers: 2, seqLength: 64, batch: 32, optimizer: 'adam',
  learningRate: 2e-3, clip: 5, dropout: 0, schedule: null, seed: 1, valFraction: 0.05, unknown: 'skip',
});
export const CONFIG_KEYS = Object.freeze(Object.keys(DEFAULTS));

/** The largest value of each sized option (CharModel.limits). */
export const CHAR_LIMITS = Object.freeze({ hidden: LIMITS.hidden, layers: LIMITS.layers, seqLength: 1 << 16, batch: 1 << 12 });

// simd and threads choose how the Network runs; they are not part of the config (nor of the file)
export const CREATE_KEYS = Object.freeze(['text', 'corpus', 'simd', 'threads', 'minutes', ...CONFIG_KEYS]);

/**
 * Sizes for a training budget (CharModel.create({minutes}), CharModel.configFor): for budgets of
 * up to `upTo` minutes of one thread, the model and learning rate to train. The first row is
 * measured: on Tiny Shakespeare with train({minutes})'s 'auto' schedule (bench/quality.mjs, one
 * thread of the 2-core benchmark machine), 2×128 at 1e-2 reached 1.76 nats/char in 3 minutes and
 * beat 2×160 and 2×192 at 15 (bench/README.md has the curves). A bigger model learns more per step
 * but takes fewer steps in the time; the rows beyond 20 minutes follow the same trade-off further
 * (bigger, slower learning rate, dropout once overfitting can start) and are not measured yet.
 */
export const BUDGET_SIZES = Object.freeze([
  Object.freeze({ upTo: 20, hidden: 128, layers: 2, batch: 32, seqLength: 64, learningRate: 1e-2 }),
  Object.freeze({ upTo: 60, hidden: 192, layers: 2, batch: 32, seqLength: 64, learningRate: 7e-3 }),
  Object.freeze({ upTo: 180, hidden: 256, layers: 2, batch: 32, seqLength: 64, learningRate: 5e-3 }),
  Object.freeze({ upTo: Infinity, hidden: 512, layers: 2, batch: 32, seqLength: 64, learningRate: 3e-3, dropout: 0.1 }),
]);
/** What N threads are worth in one-thread minutes for sizing (bench/threads.mjs measured 1.6-1.9×
 *  on 2 threads; beyond, a projection). */
const THREAD_WORTH = 0.8;

/**
 * The config keys a budget of `minutes` picks (BUDGET_SIZES), for `threads` threads: a plain
 * object of hidden, layers, batch, seqLength, learningRate (and dropout for the largest).
 */
export function configForBudget(minutes, threads = 1) {
  const n = Number.isInteger(threads) && threads > 1 ? threads : 1;
  const worth = minutes * (1 + THREAD_WORTH * (n - 1));
  const { upTo, ...size } = BUDGET_SIZES.find((b) => worth <= b.upTo);
  return size;
}
// fromNetwork: the architecture and seed are the network's; the rest may be given
export const FROM_NETWORK_KEYS = Object.freeze(['vocabulary', 'text', 'seqLength', 'batch', 'optimizer', 'learningRate',
  'clip', 'dropout', 'schedule', 'valFraction', 'unknown']);

const DEFAULT_CORPUS = Object.freeze({ seed: 1, chars: 200_000 });
const UNKNOWN_POLICIES = ['skip', 'map'];
const SCHEDULE_KEYS = { step: ['type', 'every', 'factor'], exp: ['type', 'gamma'] };

/** An error maker whose errors all name `argument` (for an options object as a whole). */
export const naming = (argument, makeError = configError) => (message) => makeError(message, argument);

/** An options object read once (see readOptions); its errors name `argument`. */
export function readOptionsOnce(what, options, allowed, makeError, argument = 'options') {
  return readOptions(what, options, allowed, naming(argument, makeError));
}

/**
 * The checked schedule of the config: null (constant rate), {type: 'step', every, factor}
 * (×factor every `every` steps) or {type: 'exp', gamma} (×gamma per step). Read once.
 */
function readSchedule(s) {
  if (s === null || s === undefined) return null;
  const o = readOptionsOnce('schedule', s, SCHEDULE_KEYS.step.concat('gamma'), configError, 'schedule');
  const type = oneOf('schedule.type', o.type, Object.keys(SCHEDULE_KEYS), configError);
  const allowed = SCHEDULE_KEYS[type];
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw configError(`schedule: unknown key '${k}' (expected one of ${allowed.join(', ')})`, 'schedule');
  }
  if (type === 'step') {
    return Object.freeze({
      type, every: intIn('schedule.every', o.every, 1, 2 ** 31 - 1, configError),
      factor: numIn('schedule.factor', o.factor, 0, 1, { openLo: true, makeError: configError }),
    });
  }
  return Object.freeze({ type, gamma: numIn('schedule.gamma', o.gamma, 0, 1, { openLo: true, makeError: configError }) });
}

/**
 * The full, checked config (frozen) from `o`, an owned copy of options (a readOptions result, or
 * a file's parsed JSON) whose keys are CONFIG_KEYS or a subset: absent or undefined ones get
 * their defaults. Each key is read once.
 */
export function checkConfig(o) {
  const c = {};
  for (const k of CONFIG_KEYS) {
    const v = o[k];
    c[k] = v === undefined ? DEFAULTS[k] : v;
  }
  const f32 = { float32: true, makeError: configError };
  oneOf('cell', c.cell, CELLS, configError);
  intIn('hidden', c.hidden, 1, CHAR_LIMITS.hidden, configError);
  intIn('layers', c.layers, 1, CHAR_LIMITS.layers, configError);
  intIn('seqLength', c.seqLength, 1, CHAR_LIMITS.seqLength, configError);
  intIn('batch', c.batch, 1, CHAR_LIMITS.batch, configError);
  oneOf('optimizer', c.optimizer, OPTIMIZERS, configError);
  numIn('learningRate', c.learningRate, 0, Infinity, { ...f32, openLo: true });
  numIn('clip', c.clip, 0, Infinity, f32);
  if (c.clip > 0 && Math.fround(c.clip) === 0) { // 0 means off: a positive clip must stay positive
    throw configError(`clip: expected 0 (off) or a number that is positive as float32, got ${c.clip} (0 as float32)`, 'clip');
  }
  numIn('dropout', c.dropout, 0, 1, { ...f32, openHi: true });
  c.schedule = readSchedule(c.schedule);
  intIn('seed', c.seed, 0, 2 ** 32 - 1, configError);
  numIn('valFraction', c.valFraction, 0, 0.5, { makeError: configError });
  oneOf('unknown', c.unknown, UNKNOWN_POLICIES, configError);
  return freezeConfig(c);
}

/** A frozen copy of a config (and of its schedule). */
export function freezeConfig(c) {
  return Object.freeze({ ...c, schedule: c.schedule && Object.freeze({ ...c.schedule }) });
}

/** The corpus option of create (undefined or null: the defaults), read once: {seed, chars} of
 *  defaultCorpus. */
export function readCorpus(corpus) {
  const o = readOptionsOnce('corpus', corpus ?? undefined, ['seed', 'chars'], configError, 'corpus');
  return Object.freeze({
    seed: intIn('corpus.seed', o.seed ?? DEFAULT_CORPUS.seed, 0, 2 ** 32 - 1, configError),
    chars: intIn('corpus.chars', o.chars ?? DEFAULT_CORPUS.chars, 2, 1 << 28, configError),
  });
}

/** The Network clip of a CharModel clip (0 = off, else a global-norm threshold). */
export function clipToNetwork(clip) {
  return clip > 0 ? { mode: 'norm', threshold: clip } : { mode: 'none' };
}

/** The CharModel clip of a Network training config; undefined for clipping by value, which a
 *  CharModel config cannot say. */
export function clipOf(tc) {
  if (tc.clip.mode === 'none') return 0;
  return tc.clip.mode === 'norm' ? tc.clip.threshold : undefined;
}
