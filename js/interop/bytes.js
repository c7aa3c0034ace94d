// bytes.js — what every reader in js/interop/ shares: turning an input into bytes we own, a
// bounds-checked little-endian cursor, and the one error the readers throw.
//
// Rules the readers follow (see each file's header for its format):
//   - every offset and length read from a file is checked against the bytes that are really there
//     before it is used, so a hostile length can neither read out of bounds nor make us allocate
//     more than the input holds (the only exception, inflate, is bounded separately in inflate.js);
//   - every loop advances through the input, so no input can make a reader spin;
//   - a problem is LstmError 'format' whose message names the file part, what was expected and
//     what was found, and where (a byte offset).

import { LstmError, describe } from '../errors.js';

/** LstmError 'format' for a malformed or unsupported file: `${what}: ${message}`. */
export function formatError(what, message) {
  return new LstmError('format', `${what}: ${message}`, { argument: 'bytes' });
}

/**
 * The bytes of `input` (Uint8Array, ArrayBuffer, any ArrayBufferView) as a Uint8Array view; the
 * caller copies what it keeps. `name` names the argument in the error.
 */
export function asBytes(input, name = 'bytes') {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) {
    return new Uint8Array(input);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new LstmError('arg', `${name}: expected a Uint8Array or ArrayBuffer, got ${describe(input)}`, { argument: name });
}

/** A bounds-checked cursor over `bytes` for little-endian fields; errors name `what`. */
export class Cursor {
  constructor(bytes, what, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.what = what;
    this.pos = offset;
    this.end = end;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining() { return this.end - this.pos; }

  /** Throws unless `n` more bytes are there; `field` names what was being read. */
  need(n, field) {
    if (!(n >= 0) || n > this.end - this.pos) {
      throw formatError(this.what, `${field}: needs ${n} bytes at offset ${this.pos}, ` +
        `only ${Math.max(0, this.end - this.pos)} left (truncated?)`);
    }
  }

  u8(field) { this.need(1, field); return this.bytes[this.pos++]; }
  u16(field) { this.need(2, field); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(field) { this.need(4, field); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(field) { this.need(4, field); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f64be(field) { this.need(8, field); const v = this.view.getFloat64(this.pos, false); this.pos += 8; return v; }

  /** An unsigned 64-bit little-endian integer as a Number; above 2^53 it cannot be an offset
   *  or size in anything we read, so it is an error. */
  u64(field) {
    this.need(8, field);
    const lo = this.view.getUint32(this.pos, true), hi = this.view.getUint32(this.pos + 4, true);
    if (hi > 0x1fffff) throw formatError(this.what, `${field}: 64-bit value at offset ${this.pos} is too large (≥ 2^53)`);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  /** A view (not a copy) of the next n bytes. */
  take(n, field) {
    this.need(n, field);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n, field) { this.need(n, field); this.pos += n; }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding; malformed bytes are a format error naming `what`. */
export function decodeUtf8(bytes, what) {
  try {
    return utf8.decode(bytes);
  } catch {
    throw formatError(what, `not valid UTF-8 (${bytes.length} bytes)`);
  }
}

const encoder = new TextEncoder();
export function encodeUtf8(s) { return encoder.encode(s); }

/** Concatenates Uint8Arrays into one new Uint8Array. */
export function concatBytes(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** A growable little-endian byte writer for the encoders. */
export class Writer {
  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
    this.length = 0;
  }

  #reserve(n) {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u8(v) { this.#reserve(1); this.buf[this.length++] = v; }
  u16(v) { this.#reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  u32(v) { this.#reserve(4); this.view.setUint32(this.length, v >>> 0, true); this.length += 4; }
  i32(v) { this.#reserve(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  u64(v) {
    this.#reserve(8);
    this.view.setUint32(this.length, v % 0x100000000, true);
    this.view.setUint32(this.length + 4, Math.floor(v / 0x100000000), true);
    this.length += 8;
  }
  f64be(v) { this.#reserve(8); this.view.setFloat64(this.length, v, false); this.length += 8; }
  bytes(b) { this.#reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }

  /** Writes a Float32Array as little-endian bytes. */
  f32array(a) {
    this.#reserve(a.length * 4);
    for (let k = 0; k < a.length; k++) this.view.setFloat32(this.length + 4 * k, a[k], true);
    this.length += a.length * 4;
  }

  /** The written bytes (a copy sized exactly). */
  result() { return this.buf.slice(0, this.length); }
}

/** Little-endian float32 bytes → a new Float32Array (the bytes need no alignment). */
export function readF32LE(bytes, count, what) {
  if (bytes.length < count * 4) throw formatError(what, `expected ${count * 4} bytes of float32, got ${bytes.length}`);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
  if (!LITTLE_ENDIAN) {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    for (let k = 0; k < count; k++) out[k] = v.getFloat32(4 * k, true);
  }
  return out;
}

/** Float32Array → little-endian bytes (a new Uint8Array). */
export function f32ToBytes(a) {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.length * 4), v = new DataView(out.buffer);
  for (let k = 0; k < a.length; k++) v.setFloat32(4 * k, a[k], true);
  return out;
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half (binary16) bits → number. */
export function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits → number (the high half of a float32). */
const bf = new Float32Array(1), bfBits = new Uint32Array(bf.buffer);
export function bfloat16ToFloat(h) {
  bfBits[0] = h << 16;
  return bf[0];
}
