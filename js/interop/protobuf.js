// protobuf.js — a minimal Protocol Buffers (proto2/proto3 wire format) decoder and encoder,
// driven by small schemas (onnx.js holds the ONNX ones).
//
// Wire format: a message is a sequence of fields, each a key varint = (field number << 3) | wire
// type, then the value:
//   0 varint            1–10 bytes, 7 bits each, least significant group first, high bit = more
//   1 64-bit            8 bytes little-endian (double, fixed64)
//   2 length-delimited  a varint length, then that many bytes (string, bytes, sub-message,
//                       packed repeated numbers)
//   5 32-bit            4 bytes little-endian (float, fixed32)
//   3, 4 groups         deprecated: refused
// Negative int32/int64 values are varints of their 64-bit two's complement (10 bytes). A
// repeated number field may come packed (one length-delimited run) or one field per value.
// Unknown fields are skipped (after checking their wire type and length). Later values of a
// singular field replace earlier ones, as protobuf specifies.
//
// Schema: { fieldNumber: [name, type, 'repeated'?] }, type one of 'int64' 'int32' 'uint64'
// 'bool' 'float' 'double' 'string' 'bytes' 'floats' (repeated float → Float32Array), or another
// schema (a sub-message; give a function returning it for recursive schemas).
// Integers: int64/uint64 values beyond ±2^53 saturate to ±Number.MAX_SAFE_INTEGER (they only
// appear as "to the end" markers such as Slice's INT64_MAX; any size that large fails the size
// checks anyway). Decoding is iterative per message and recursion is limited to MAX_DEPTH
// nested messages; every length is checked against the bytes left in its enclosing message.

import { formatError, decodeUtf8, encodeUtf8, readF32LE, Writer } from './bytes.js';

export const MAX_DEPTH = 24;
const SAFE = Number.MAX_SAFE_INTEGER;

/** Reads one varint at `c.pos` as {lo, hi} 32-bit halves. */
function varint64(c) {
  let lo = 0, hi = 0, shift = 0;
  for (let k = 0; k < 10; k++) {
    if (c.pos >= c.end) throw formatError(c.what, `varint truncated at offset ${c.pos}`);
    const b = c.bytes[c.pos++];
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >> 4; }
    else hi |= (b & 0x7f) << (shift - 32);
    shift += 7;
    if (!(b & 0x80)) return { lo: lo >>> 0, hi: hi >>> 0 };
  }
  throw formatError(c.what, `varint longer than 10 bytes at offset ${c.pos}`);
}

function toNumber({ lo, hi }, signed) {
  if (signed && hi & 0x80000000) { // negative: −(2^64 − v)
    const nlo = (~lo + 1) >>> 0, nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    const mag = nhi * 4294967296 + nlo;
    return mag > SAFE ? -SAFE : -mag;
  }
  const v = hi * 4294967296 + lo;
  return v > SAFE ? SAFE : v;
}

function length(c) {
  const n = toNumber(varint64(c), false);
  if (n > c.end - c.pos) throw formatError(c.what, `length ${n} at offset ${c.pos} exceeds the ${c.end - c.pos} bytes left (truncated?)`);
  return n;
}

function resolve(type) { return typeof type === 'function' ? type() : type; }

/**
 * Decodes the message in `bytes` (Uint8Array) with `schema`; returns a plain object whose keys
 * are the schema's names (repeated fields: arrays, absent fields: undefined). `what` names the
 * message in errors.
 */
export function decodeMessage(bytes, schema, what = 'protobuf') {
  return decode({ bytes, pos: 0, end: bytes.length, what }, schema, 0);
}

function decode(c, schema, depth) {
  if (depth > MAX_DEPTH) throw formatError(c.what, `messages nested deeper than ${MAX_DEPTH}`);
  const out = {};
  for (const [, [name, , rep]] of Object.entries(schema)) if (rep) out[name] = [];
  while (c.pos < c.end) {
    const keyAt = c.pos;
    const key = toNumber(varint64(c), false);
    const field = Math.floor(key / 8), wire = key % 8;
    if (field === 0) throw formatError(c.what, `field number 0 at offset ${keyAt}`);
    const spec = schema[field];
    if (!spec) { skip(c, wire, keyAt); continue; }
    const [name, rawType, rep] = spec;
    const type = resolve(rawType);
    const value = readValue(c, type, wire, name, keyAt, depth, !!rep);
    if (rep) {
      const list = out[name];
      if (value instanceof Float32Array) list.push(value); // a packed float run, joined below
      else if (Array.isArray(value) && typeof type === 'string') for (const x of value) list.push(x);
      else list.push(value);
    } else {
      out[name] = value;
    }
  }
  if (c.pos !== c.end) throw formatError(c.what, `message overruns its length at offset ${c.pos}`);
  for (const [, [name, rawType]] of Object.entries(schema)) {
    if (rawType === 'floats' && Array.isArray(out[name])) out[name] = joinFloats(out[name]);
  }
  return out;
}

// Packed runs (Float32Array) and single values (numbers) → one Float32Array.
function joinFloats(parts) {
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? 1 : p.length;
  const out = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') out[at++] = p;
    else { out.set(p, at); at += p.length; }
  }
  return out;
}

function skip(c, wire, at) {
  switch (wire) {
    case 0: varint64(c); return;
    case 1: need(c, 8, at); c.pos += 8; return;
    case 2: { const n = length(c); c.pos += n; return; }
    case 5: need(c, 4, at); c.pos += 4; return;
    default: throw formatError(c.what, `wire type ${wire} at offset ${at} (groups and types 6, 7 are not supported)`);
  }
}

function need(c, n, at) {
  if (c.end - c.pos < n) throw formatError(c.what, `field at offset ${at} needs ${n} bytes, ${c.end - c.pos} left (truncated?)`);
}

const NUMERIC_WIRE = { int64: 0, int32: 0, uint64: 0, bool: 0, float: 5, floats: 5, double: 1 };

function readValue(c, type, wire, name, at, depth, repeated) {
  if (typeof type === 'object') {
    if (wire !== 2) throw wireError(c, name, wire, at);
    const n = length(c);
    const sub = { bytes: c.bytes, pos: c.pos, end: c.pos + n, what: c.what };
    const v = decode(sub, type, depth + 1);
    c.pos += n;
    return v;
  }
  if (type === 'string' || type === 'bytes') {
    if (wire !== 2) throw wireError(c, name, wire, at);
    const n = length(c);
    const b = c.bytes.subarray(c.pos, c.pos + n);
    c.pos += n;
    return type === 'string' ? decodeUtf8(b, `${c.what}: field '${name}'`) : b.slice();
  }
  const expected = NUMERIC_WIRE[type];
  if (repeated && wire === 2) { // packed run
    const n = length(c);
    const end = c.pos + n;
    if (type === 'float' || type === 'floats') {
      if (n % 4) throw formatError(c.what, `packed floats '${name}' at offset ${at}: ${n} bytes is not a multiple of 4`);
      const v = readF32LE(c.bytes.subarray(c.pos, end), n / 4, name);
      c.pos = end;
      return type === 'floats' ? v : Array.from(v);
    }
    if (type === 'double') {
      if (n % 8) throw formatError(c.what, `packed doubles '${name}' at offset ${at}: ${n} bytes is not a multiple of 8`);
      const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, n);
      const out = [];
      for (let k = 0; k < n; k += 8) out.push(dv.getFloat64(k, true));
      c.pos = end;
      return out;
    }
    const sub = { bytes: c.bytes, pos: c.pos, end, what: c.what };
    const out = [];
    while (sub.pos < end) out.push(scalar(sub, type, 0, name, sub.pos));
    c.pos = end;
    return out;
  }
  if (wire !== expected) throw wireError(c, name, wire, at);
  const v = scalar(c, type, wire, name, at);
  return repeated ? [v] : v;
}

function scalar(c, type, wire, name, at) {
  switch (type) {
    case 'int64': return toNumber(varint64(c), true);
    case 'uint64': return toNumber(varint64(c), false);
    case 'int32': return varint64(c).lo | 0;
    case 'bool': return toNumber(varint64(c), false) !== 0;
    case 'float': case 'floats': {
      need(c, 4, at);
      const v = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 4).getFloat32(0, true);
      c.pos += 4;
      return v;
    }
    case 'double': {
      need(c, 8, at);
      const v = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 8).getFloat64(0, true);
      c.pos += 8;
      return v;
    }
    default: throw formatError(c.what, `field '${name}': unknown schema type ${type}`);
  }
}

function wireError(c, name, wire, at) {
  return formatError(c.what, `field '${name}' at offset ${at} has wire type ${wire}, which its type does not use`);
}

// ---- encoder

function writeVarint(w, v) {
  // v: a safe integer (negative: 10-byte two's complement, as protobuf writes int32/int64).
  if (v < 0) {
    const big = BigInt.asUintN(64, BigInt(v));
    let x = big;
    for (let k = 0; k < 9; k++) { w.u8(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    w.u8(Number(x));
    return;
  }
  while (v >= 0x80) { w.u8((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
  w.u8(v);
}

/** Encodes `obj` with `schema` (fields in field-number order; undefined/null fields omitted;
 *  repeated numbers packed). Returns a Uint8Array. */
export function encodeMessage(obj, schema) {
  const w = new Writer(256);
  encodeInto(w, obj, schema);
  return w.result();
}

function encodeInto(w, obj, schema) {
  const fields = Object.keys(schema).map(Number).sort((a, b) => a - b);
  for (const f of fields) {
    const [name, rawType, rep] = schema[f];
    const v = obj[name];
    if (v === undefined || v === null) continue;
    const type = resolve(rawType);
    if (rep) {
      if (typeof type === 'object' || type === 'string' || type === 'bytes') {
        for (const x of v) writeField(w, f, type, x);
      } else if (v.length) { // packed
        const inner = new Writer(64);
        for (const x of v) writeScalar(inner, type, x);
        writeVarint(w, f * 8 + 2);
        const b = inner.result();
        writeVarint(w, b.length);
        w.bytes(b);
      }
    } else {
      writeField(w, f, type, v);
    }
  }
}

function writeField(w, f, type, v) {
  if (typeof type === 'object') {
    const b = encodeMessage(v, type);
    writeVarint(w, f * 8 + 2); writeVarint(w, b.length); w.bytes(b);
  } else if (type === 'string' || type === 'bytes') {
    const b = type === 'string' ? encodeUtf8(v) : v;
    writeVarint(w, f * 8 + 2); writeVarint(w, b.length); w.bytes(b);
  } else {
    writeVarint(w, f * 8 + NUMERIC_WIRE[type]);
    writeScalar(w, type, v);
  }
}

function writeScalar(w, type, v) {
  switch (type) {
    case 'float': case 'floats': { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); w.bytes(b); return; }
    case 'double': { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, true); w.bytes(b); return; }
    case 'bool': writeVarint(w, v ? 1 : 0); return;
    default: writeVarint(w, v);
  }
}
