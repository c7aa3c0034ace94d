// args.js — the one set of argument readers and validators of the package (Network, CharModel,
// the worker and interop use these; nothing else checks arguments).
//
// The rule they implement: every argument is read exactly ONCE, into memory the package owns, and
// only that copy is validated and used. A value that changes between a check and a use (a getter
// returning 0 then NaN, an array that grows while it is read, a typed array shared with another
// thread) can therefore never reach the C core unchecked.
//   - option objects are copied key by key (each getter runs once) into a frozen null-prototype
//     object; unknown keys are refused;
//   - typed arrays are recognised by their internal slot (not by Symbol.toStringTag, not by an own
//     `length` property) and copied with one bulk copy of their bytes;
//   - plain arrays have their length read once and each element read once, with its type checked
//     as it is read (so 2.5 can never truncate into an Int32Array, nor '3' become 3).
// Messages name the argument, what was expected and what was received (describe()).

import { describe, tagOf, argError, configError } from './errors.js';

export { argError, configError };

export const MAX_FLOAT32 = 3.4028234663852886e38;

// ---- brand checks that user code cannot fake

const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayName = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
const typedArrayLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'length').get;
const arrayBufferBytes = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const typedArrayBuffer = Object.getOwnPropertyDescriptor(TypedArrayProto, 'buffer').get;
const typedArrayOffset = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get;

/** The constructor name of a genuine typed array ('Float32Array'...), or undefined (any realm). */
export function typedArrayKind(v) {
  return typedArrayName.call(v);
}

/** The length of a genuine typed array, from its internal slot. */
export function typedLength(v) {
  return typedArrayLength.call(v);
}

export function isArrayBuffer(v) {
  if (v === null || typeof v !== 'object') return false;
  try {
    arrayBufferBytes.call(v);
    return true;
  } catch {
    return false;
  }
}

/**
 * One rule for "a plain object" everywhere: a non-null object whose prototype is Object.prototype
 * (of this or another realm) or null. Class instances, arrays, typed arrays, Maps are not.
 */
export function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typedArrayKind(v) !== undefined) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype ||
    (Object.getPrototypeOf(proto) === null && tagOf(v) === 'Object');
}

// ---- errors

/** The head of a dotted or indexed argument name, for LstmError.argument: 'clip.mode' -> 'clip'. */
function argName(name) {
  return String(name).split(/[.[\s(]/)[0];
}

// ---- option objects

/**
 * Copies an options object (undefined: none) key by key into a frozen null-prototype object.
 * Unknown keys are refused; undefined values are dropped (as if absent).
 * @param {string} what  the options' name in messages: 'train options', 'config'
 * @param {(msg: string, arg?: string) => LstmError} [makeError]
 */
export function readOptions(what, options, allowed, makeError = argError) {
  const out = Object.create(null);
  if (options === undefined) return Object.freeze(out);
  if (!isPlainObject(options)) throw makeError(`${what}: expected an object, got ${describe(options)}`, argName(what));
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw makeError(`${what}: unknown key '${k}' (expected one of ${allowed.join(', ')})`, k);
    }
    const v = options[k];
    if (v !== undefined) out[k] = v;
  }
  return Object.freeze(out);
}

// ---- scalars (options hold copies already; these only check them)

export function oneOf(name, v, choices, makeError = argError) {
  if (!choices.includes(v)) {
    throw makeError(`${name}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`, argName(name));
  }
  return v;
}

export function intIn(name, v, lo, hi, makeError = argError) {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw makeError(`${name}: expected an integer in [${lo}, ${hi}], got ${describe(v)}`, argName(name));
  }
  return v;
}

export function bool(name, v, fallback, makeError = argError) {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw makeError(`${name}: expected true or false, got ${describe(v)}`, argName(name));
  return v;
}

export function fn(name, v, makeError = argError) {
  if (v !== undefined && typeof v !== 'function') {
    throw makeError(`${name}: expected a function, got ${describe(v)}`, argName(name));
  }
  return v;
}

/**
 * A finite number in a range; with float32, Math.fround(v) must be in it too (the C core stores a
 * float32: 1e39 is Infinity, 1e-50 is 0 and 0.99999999 is 1 as float32).
 * @param {{openLo?: boolean, openHi?: boolean, float32?: boolean, makeError?: Function}} [o]
 */
export function numIn(name, v, lo, hi, { openLo = false, openHi = false, float32 = false, makeError = argError } = {}) {
  const inRange = (x) => Number.isFinite(x) && (openLo ? x > lo : x >= lo) && (openHi ? x < hi : x <= hi);
  const range = `${openLo ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : hi + (openHi ? ')' : ']')}`;
  if (typeof v !== 'number' || !inRange(v)) {
    throw makeError(`${name}: expected a finite number in ${range}, got ${describe(v)}`, argName(name));
  }
  if (float32 && !inRange(Math.fround(v))) {
    throw makeError(`${name}: expected a finite number in ${range} (as float32), got ${v} (${Math.fround(v)} as float32)`, argName(name));
  }
  return v;
}

// ---- data arrays
//
// A data argument is read in two steps, so that its length can decide what its elements must be
// (the steps of a call follow from the length of its inputs) without reading anything twice:
//   const a = dataArg('inputs', v, 'i32', expectText);   // type checked, length read once
//   ... decide the expected length, compare with a.n (lengthError) ...
//   const copy = readArg(a, idCheck('inputs', 0, V, 'token ids', ' (vocab V)', valid));
// readArg reads each element exactly once and hands it to the check before storing it, so the
// message can show what the caller passed (1e39, not Infinity; 2.5, not 2; a bigint, a hole).

const KINDS = {
  f32: { type: 'Float32Array', noun: 'numbers', Array: Float32Array },
  i32: { type: 'Int32Array', noun: 'integers', Array: Int32Array },
};

/**
 * Checks a data argument's type and reads its length once: a genuine typed array of the kind (its
 * length from the internal slot) or a plain array (its `length` read once, at most maxLength).
 * @param {string} expect  what is expected after "expected Float32Array or array of numbers":
 *   " of length 10 (batch 2 × steps 5)"
 */
export function dataArg(name, v, kind, expect, maxLength = 1 << 26) {
  const { type, noun } = KINDS[kind];
  const ta = typedArrayKind(v);
  let n;
  if (ta === type) n = typedLength(v);
  else if (ta === undefined && Array.isArray(v)) n = v.length;
  else throw argError(`${name}: expected ${type} or array of ${noun}${expect}, got ${describe(v)}`, argName(name));
  if (!(n <= maxLength)) {
    throw argError(`${name}: ${n} elements, more than the limit of ${maxLength} per call: use a smaller batch or fewer steps`, argName(name));
  }
  return { name, v, kind, n, typed: ta === type, expect, got: ta ? `${ta}(${n})` : `Array(${n})` };
}

/** The error for a data argument of the wrong length. */
export function lengthError(a, expect = a.expect) {
  const { type, noun } = KINDS[a.kind];
  return argError(`${a.name}: expected ${type} or array of ${noun}${expect}, got ${a.got}`, argName(a.name));
}

/** Requires a.n === length. */
export function expectLength(a, length, expect = a.expect) {
  if (a.n !== length) throw lengthError(a, expect);
  return a;
}

/**
 * Reads a data argument into a fresh owned typed array: a typed array in one bulk copy (through
 * its internal slots: no user code runs), then each copied value is checked; a plain array
 * element by element, each read once and checked before it is stored. check(x, i) throws for a
 * bad value, or returns the value to store (0 for an ignored padded step).
 */
export function readArg(a, check) {
  if (a.typed) {
    // its current length (0 once detached or out of bounds) before the copy, which would throw
    const now = typedLength(a.v);
    if (now !== a.n) throw lengthError({ ...a, got: `${KINDS[a.kind].type}(${now}) (resized or detached while read)` });
    const out = new KINDS[a.kind].Array(a.v);
    if (check) for (let i = 0; i < a.n; i++) out[i] = check(out[i], i);
    return out;
  }
  const out = new KINDS[a.kind].Array(a.n);
  const v = a.v;
  for (let i = 0; i < a.n; i++) out[i] = check(v[i], i);
  return out;
}

/** The smallest normal float32, 2^-126: below it (denormals) values are read as 0 (flush to zero,
 *  as most ML hardware runs): denormal arithmetic is many times slower on many CPUs, and a value
 *  that small carries no information a float32 network can use. */
export const MIN_NORMAL_FLOAT32 = 1.1754943508222875e-38;

/** Finite float32 numbers, denormals flushed to ±0 (at the indices valid(i) says matter; others
 *  are read as 0). `flush: false` keeps denormals (setState: a state getState returned, which
 *  the model itself may have computed, is restored exactly). */
export function finiteCheck(name, valid, { flush = true } = {}) {
  return (x, i) => {
    if (valid && !valid(i)) return typeof x === 'number' && Number.isFinite(x) ? x : 0;
    if (typeof x !== 'number' || !(Math.abs(x) <= MAX_FLOAT32)) {
      throw argError(`${name}: expected finite float32 numbers, got ${describe(x)} at index ${i}`, argName(name));
    }
    return flush && Math.abs(x) < MIN_NORMAL_FLOAT32 ? x * 0 : x;
  };
}

/** Integers in [lo, hi) ("token ids", "class ids"), at the indices valid(i) says matter. */
export function idCheck(name, lo, hi, what, note = '', valid) {
  return (x, i) => {
    if (valid && !valid(i)) return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647 ? x : 0;
    if (!Number.isInteger(x) || x < lo || x >= hi) {
      throw argError(`${name}: expected ${what} in [${lo}, ${hi})${note}, got ${describe(x)} at index ${i}`, argName(name));
    }
    return x;
  };
}

/**
 * Model-file bytes: a genuine Uint8Array (any realm, any buffer) or an ArrayBuffer, as a
 * Uint8Array view (not a copy: the file is streamed into wasm memory once, and its checksum
 * catches bytes that change while it is read).
 */
export function fileBytes(name, v) {
  // a plain Uint8Array over the same bytes, from the internal slots: a subclass's length,
  // subarray() or iterator are never used
  if (typedArrayKind(v) === 'Uint8Array') return new Uint8Array(typedArrayBuffer.call(v), typedArrayOffset.call(v), typedLength(v));
  if (isArrayBuffer(v)) return new Uint8Array(v);
  throw argError(`${name}: expected a Uint8Array (or ArrayBuffer) holding a model file, got ${describe(v)}`, argName(name));
}

/**
 * An inspect result { channels, layers, directions, steps, batch, hidden, data } given its
 * get(layer, step, seq, channel, direction): the H activations of one unit row, every index
 * checked (Network.inspect, and the worker's copy of it).
 */
export function withInspectionGet(r) {
  const { channels, layers: L, directions: D, steps: T, batch: B, hidden: H, data } = r, C = channels.length;
  r.get = (layer, step, seq, channel, direction = 0) => {
    const c = typeof channel === 'string' ? channels.indexOf(channel) : channel;
    const at = [[layer, L, 'layer'], [step, T, 'step'], [seq, B, 'seq'], [c, C, 'channel'], [direction, D, 'direction']];
    for (const [v, size, name] of at) {
      if (!Number.isInteger(v) || v < 0 || v >= size) {
        const what = name === 'channel' ? `one of ${channels.join(', ')} or an index < ${C}` : `an integer in [0, ${size})`;
        throw argError(`${name}: expected ${what}, got ${describe(name === 'channel' ? channel : v)}`, name);
      }
    }
    const k = (((((layer * D + direction) * T + step) * B + seq) * C) + c) * H;
    return data.subarray(k, k + H);
  };
  return r;
}
