// worker-protocol.js — what crosses between wasm-lstm/worker (worker.js, the calling thread) and
// its worker (worker-entry.js): the messages, arguments read once into owned copies, errors, and
// results whose methods cannot be cloned.
//
// Messages (structured clone; every ArrayBuffer in them is transferred, never copied twice):
//   calling thread → worker
//     { id, op, args }              a call: op is 'create', 'load' or a method name ('fit', 'train',
//                                   'sample', 'stream', 'save', ...); args its arguments (copies)
//     { op: 'pause' | 'resume', id } the running fit/train calls stop at their next step boundary /
//                                   go on; answered when they have stopped (pause) or at once
//     { op: 'abort', target }       aborts call `target` (its signal), or every running one (no target)
//     { op: 'credit', target, n }   the consumer of stream `target` took n chunks: send n more
//     { op: 'cancel', target }      stream `target` is closed (return() or break)
//   worker → calling thread
//     { ready: true }               the worker's module is loaded (before it, an error event means
//                                   the script itself could not be loaded)
//     { id, result }                a call's result
//     { id, error }                 a call's failure: wire form of an LstmError (errorToWire)
//     { id, event, args }           a callback of call `id` to run here (onEpochEnd, onProgress, ...)
//     { id, chunk }                 stream `id`'s next characters (a string)
//
// Arguments are read exactly once on the calling thread, by copyArg, into copies that nothing
// else references (typed arrays and ArrayBuffers copied in one bulk copy through their internal
// slots, arrays and plain objects key by key with each value read once), so that a getter, Proxy
// or a buffer shared with another thread can never change what the worker checks and uses. The
// worker then validates the copies with the very code the in-thread API runs (args.js), so its
// LstmErrors — code, argument and message — are the in-thread ones, and they cross unchanged.

import { LstmError, ERROR_CODES, describe } from './errors.js';
import { typedArrayKind, isArrayBuffer, isPlainObject, argError, intIn, withInspectionGet } from './args.js';

const MAX_DEPTH = 8;
const arrayBufferSlice = ArrayBuffer.prototype.slice;

// The head of a dotted or indexed name, for LstmError.argument: 'inputs[3]' -> 'inputs'.
const argName = (name) => String(name).split(/[.[\s(]/)[0];

/**
 * A copy of an argument that can be posted to the worker; `transfer` collects the ArrayBuffers
 * of the copy (they are the copy's own, so transferring them detaches nothing of the caller's).
 * Numbers, strings, booleans, bigints, null and undefined are kept; typed arrays and ArrayBuffers
 * are copied whole; arrays and plain objects are copied element by element (each read once).
 * Anything else (a function, a class instance, a Map, a DataView) cannot be sent: LstmError 'arg'
 * naming the argument.
 */
export function copyArg(name, v, transfer, depth = 0) {
  if (v === null || v === undefined) return v;
  const t = typeof v;
  if (t === 'number' || t === 'string' || t === 'boolean' || t === 'bigint') return v;
  if (depth > MAX_DEPTH) throw argError(`${name}: nested more than ${MAX_DEPTH} levels deep: cannot be sent to the worker`, argName(name));
  const kind = typedArrayKind(v);
  if (kind !== undefined) {
    const copy = new globalThis[kind](v); // one bulk copy of its current elements, no user code runs
    transfer.push(copy.buffer);
    return copy;
  }
  if (isArrayBuffer(v)) {
    const copy = arrayBufferSlice.call(v, 0);
    transfer.push(copy);
    return copy;
  }
  if (Array.isArray(v)) {
    const n = v.length; // read once
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = copyArg(`${name}[${i}]`, v[i], transfer, depth + 1);
    return out;
  }
  if (isPlainObject(v)) {
    const out = {};
    for (const k of Object.keys(v)) out[k] = copyArg(`${name}.${k}`, v[k], transfer, depth + 1);
    return out;
  }
  throw argError(`${name}: ${t === 'function' ? 'a function' : describe(v)} cannot be sent to the worker ` +
    '(expected numbers, strings, booleans, arrays, typed arrays or plain objects)', argName(name));
}

/**
 * An options object read once: undefined, or a plain object whose keys are each read once. The
 * keys in `local` (callbacks, signal) stay on this thread and come back apart; the rest is
 * copied for the worker (which checks the keys and values itself). Not an object: LstmError
 * 'arg' worded as the in-thread call words it (`argument`: what it names).
 * @returns {{ local: Record<string, unknown>, send: Record<string, unknown> | undefined }}
 */
export function splitOptions(what, options, local, transfer, argument = argName(what)) {
  if (options === undefined) return { local: {}, send: undefined };
  if (!isPlainObject(options)) throw argError(`${what}: expected an object, got ${describe(options)}`, argument);
  const mine = {}, send = {};
  for (const k of Object.keys(options)) {
    const v = options[k];
    if (local.includes(k)) mine[k] = v;
    else send[k] = copyArg(k, v, transfer, 1);
  }
  return { local: mine, send };
}

/**
 * Model-file bytes to send: a Uint8Array or ArrayBuffer whose memory is handed over to the worker
 * (transferred: the caller's buffer is detached) when it is exactly the bytes of one ordinary
 * ArrayBuffer, else copied (a view into a larger buffer, a SharedArrayBuffer, a resizable one).
 */
export function fileBytesToSend(name, v, transfer) {
  let view;
  if (typedArrayKind(v) === 'Uint8Array') view = v;
  else if (isArrayBuffer(v)) view = new Uint8Array(v);
  else throw argError(`${name}: expected a Uint8Array (or ArrayBuffer) holding a model file, got ${describe(v)}`, name);
  const buf = view.buffer;
  const whole = isArrayBuffer(buf) && !buf.resizable && view.byteOffset === 0 && view.byteLength === buf.byteLength;
  if (whole) {
    transfer.push(buf);
    return view;
  }
  const copy = new Uint8Array(view);
  transfer.push(copy.buffer);
  return copy;
}

/** The ArrayBuffers of the typed arrays in a result (the worker's own copies) to transfer. */
export function buffersOf(v, out = [], depth = 0) {
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return out;
  if (ArrayBuffer.isView(v)) {
    if (isArrayBuffer(v.buffer) && !out.includes(v.buffer)) out.push(v.buffer);
    return out;
  }
  for (const x of Array.isArray(v) ? v : Object.values(v)) buffersOf(x, out, depth + 1);
  return out;
}

// ---- errors

/** An error as it crosses: the LstmError's code, message, argument (and an abort's history). */
export function errorToWire(err, what) {
  if (err instanceof LstmError) {
    const wire = { code: err.code, message: err.message, argument: err.argument ?? null };
    if (err.history !== undefined) wire.history = err.history;
    if (err.cause !== undefined) wire.cause = causeToWire(err.cause);
    return wire;
  }
  // not ours (a bug, or the engine running out of memory): reported as a failure of the model
  return { code: 'trap', message: `${what}: the worker failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`, argument: null };
}

function causeToWire(c) {
  if (c === undefined || c === null || typeof c !== 'object') return c;
  return { name: String(c.name ?? 'Error'), message: String(c.message ?? '') };
}

/** The LstmError of a wire form: the same code, message and argument (and history, cause). */
export function errorFromWire(wire) {
  const code = ERROR_CODES.includes(wire?.code) ? wire.code : 'trap';
  const cause = wire?.cause && typeof wire.cause === 'object' ? Object.assign(new Error(wire.cause.message), { name: wire.cause.name }) : wire?.cause;
  const err = new LstmError(code, String(wire?.message ?? 'the worker failed'), { argument: wire?.argument ?? undefined, ...(cause !== undefined && { cause }) });
  if (wire?.history !== undefined) err.history = wire.history;
  return err;
}

// ---- results with methods (which cannot be cloned): the data crosses, the methods are rebuilt

/** Network.inspect's result again, with get(layer, step, seq, channel, direction) (args.js). */
export const reviveInspection = withInspectionGet;

/** Network.stepGradientNorms's result again, with get (and getCell for LSTM). */
export function reviveNorms(r) {
  const { layers: L, directions: D, steps: T } = r;
  const pick = (arr, layer, direction) => {
    intIn('layer', layer, 0, L - 1);
    intIn('direction', direction, 0, D - 1);
    return arr.subarray((layer * D + direction) * T, (layer * D + direction + 1) * T);
  };
  r.get = (layer, direction = 0) => pick(r.norms, layer, direction);
  if (r.cellNorms) r.getCell = (layer, direction = 0) => pick(r.cellNorms, layer, direction);
  return r;
}

/** CharModel.inspect's result again, with get(step, channel). */
export function reviveCharInspection(r) {
  const { channels, steps: T, hidden: H, values } = r, C = channels.length;
  r.get = (step, channel) => {
    const c = typeof channel === 'string' ? channels.indexOf(channel) : channel;
    intIn('step', step, 0, T - 1);
    if (!Number.isInteger(c) || c < 0 || c >= C) {
      throw argError(`channel: expected one of ${channels.join(', ')} or an index < ${C}, got ${describe(channel)}`, 'channel');
    }
    return values.subarray((step * C + c) * H, (step * C + c + 1) * H);
  };
  return r;
}

/** Drops the methods of a result before it is posted (they are rebuilt on the other side). */
export function withoutMethods(r) {
  if (r === null || typeof r !== 'object' || ArrayBuffer.isView(r) || Array.isArray(r)) return r;
  const out = {};
  for (const [k, v] of Object.entries(r)) if (typeof v !== 'function') out[k] = v;
  return out;
}
