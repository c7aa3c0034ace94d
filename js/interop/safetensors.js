// safetensors.js — the safetensors format (huggingface/safetensors), read and written.
//
//   bytes 0..7     N, the header length: unsigned 64-bit little-endian
//   bytes 8..8+N   the header: a UTF-8 JSON object, possibly padded at the end with spaces,
//                  { "<name>": { "dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end] },
//                    …, "__metadata__": { "<key>": "<string value>", … } (optional) }
//   bytes 8+N..    the data buffer; each tensor's bytes are buffer[begin, end), row-major,
//                  little-endian, end − begin = Π shape × element size
// Checked like the reference implementation does: N ≤ 100 MB and inside the file, the header is
// a JSON object starting with '{', names unique (JSON.parse would silently keep the last of a
// duplicate: we scan for that), dtype known, shape non-negative integers, offsets integers inside
// the buffer and matching the size, tensors neither overlapping nor leaving holes, and the
// buffer ending where the last tensor does. `__metadata__` must map strings to strings.
//
// Element types read: F32; F16, BF16 widened exactly; F64 rounded to float32 (reported in
// `converted`); integer and BOOL tensors are listed but their data is not float (data() gives
// their values as float32 for inspection only). The writer writes F32 only, tensors in the order
// given, the header padded with spaces to a multiple of 8 bytes (as the reference writer does,
// so that the data is aligned).

import { formatError, Cursor, decodeUtf8, encodeUtf8, readF32LE, halfToFloat, bfloat16ToFloat, f32ToBytes, concatBytes } from './bytes.js';

const MAX_HEADER = 100 * 1000 * 1000;
const DTYPES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8, BOOL: 1 };
const FLOAT = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Whether `bytes` could be a safetensors file (a plausible header length, then '{'). */
export function looksLikeSafetensors(bytes) {
  if (bytes.length < 10) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = v.getUint32(0, true), hi = v.getUint32(4, true);
  return hi === 0 && n >= 2 && n <= MAX_HEADER && 8 + n <= bytes.length && bytes[8] === 0x7b;
}

/**
 * Reads a safetensors file. Returns `{ tensors: Map<name, {dtype, shape, float, data()}>,
 * metadata: object|null, converted: [names rounded from F64] }`.
 */
export function readSafetensors(bytes, what = 'safetensors file') {
  const c = new Cursor(bytes, what);
  const n = c.u64('header length');
  if (n > MAX_HEADER) throw formatError(what, `header length ${n} is over the 100 MB limit`);
  if (n < 2 || 8 + n > bytes.length) throw formatError(what, `header length ${n} does not fit in the ${bytes.length}-byte file (truncated?)`);
  const text = decodeUtf8(bytes.subarray(8, 8 + n), `${what}: header`);
  if (text[0] !== '{') throw formatError(what, `the header does not start with '{' (got ${JSON.stringify(text.slice(0, 10))})`);
  let header;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw formatError(what, `the header is not JSON (${err.message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw formatError(what, 'the header is not a JSON object');
  checkNoDuplicateKeys(text, what);

  const bufStart = 8 + n, bufLen = bytes.length - bufStart;
  let metadata = null;
  const list = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info) || !Object.values(info).every((x) => typeof x === 'string')) {
        throw formatError(what, '__metadata__ must be an object of string values');
      }
      metadata = info;
      continue;
    }
    const label = `${what}: tensor '${name}'`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw formatError(label, 'expected {dtype, shape, data_offsets}');
    for (const k of Object.keys(info)) {
      if (!['dtype', 'shape', 'data_offsets'].includes(k)) throw formatError(label, `unknown field '${k}'`);
    }
    const { dtype, shape, data_offsets: offsets } = info;
    if (!Object.hasOwn(DTYPES, dtype)) throw formatError(label, `dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPES).join(', ')}`);
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw formatError(label, `shape ${JSON.stringify(shape)}: expected at most 8 non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
      throw formatError(label, `data_offsets ${JSON.stringify(offsets)}: expected [begin, end] with 0 ≤ begin ≤ end`);
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    if (offsets[1] > bufLen) throw formatError(label, `data_offsets [${offsets}] run past the ${bufLen}-byte data buffer (truncated?)`);
    if (offsets[1] - offsets[0] !== numel * DTYPES[dtype]) {
      throw formatError(label, `shape [${shape}] of ${dtype} needs ${numel * DTYPES[dtype]} bytes, data_offsets [${offsets}] give ${offsets[1] - offsets[0]}`);
    }
    list.push({ name, dtype, shape, begin: offsets[0], end: offsets[1], numel });
  }
  // No overlaps, no holes, the buffer ends with the last tensor (the reference's rule).
  const sorted = list.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const t of sorted) {
    if (t.begin < pos) throw formatError(what, `tensor '${t.name}' [${t.begin}, ${t.end}) overlaps another ending at ${pos}`);
    if (t.begin > pos) throw formatError(what, `bytes [${pos}, ${t.begin}) of the data buffer belong to no tensor (before '${t.name}')`);
    pos = t.end;
  }
  if (pos !== bufLen) throw formatError(what, `the data buffer is ${bufLen} bytes but the tensors end at ${pos}`);

  const tensors = new Map();
  const converted = [];
  for (const t of list) {
    if (t.dtype === 'F64') converted.push(t.name);
    tensors.set(t.name, {
      dtype: t.dtype,
      shape: t.shape.slice(),
      float: FLOAT.has(t.dtype),
      data: () => decode(bytes.subarray(bufStart + t.begin, bufStart + t.end), t.dtype, t.numel),
    });
  }
  return { tensors, metadata, converted };
}

// JSON.parse keeps the last of duplicate keys; a file with two entries of one name is
// ambiguous, so find top-level duplicates with a small scanner of the header's top level.
function checkNoDuplicateKeys(text, what) {
  const seen = new Set();
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (ch === '"') {
      let j = k + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let after = j + 1;
        while (after < text.length && /\s/.test(text[after])) after++;
        if (text[after] === ':') {
          const key = JSON.parse(text.slice(k, j + 1));
          if (seen.has(key)) throw formatError(what, `the header names '${key}' twice`);
          seen.add(key);
        }
      }
      k = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
}

function decode(b, dtype, numel) {
  if (dtype === 'F32') return readF32LE(b, numel, 'F32 tensor');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(numel);
  const read = {
    F64: (k) => v.getFloat64(8 * k, true), F16: (k) => halfToFloat(v.getUint16(2 * k, true)),
    BF16: (k) => bfloat16ToFloat(v.getUint16(2 * k, true)), I64: (k) => Number(v.getBigInt64(8 * k, true)),
    U64: (k) => Number(v.getBigUint64(8 * k, true)), I32: (k) => v.getInt32(4 * k, true),
    U32: (k) => v.getUint32(4 * k, true), I16: (k) => v.getInt16(2 * k, true), U16: (k) => v.getUint16(2 * k, true),
    I8: (k) => v.getInt8(k), U8: (k) => v.getUint8(k), BOOL: (k) => v.getUint8(k),
  }[dtype];
  for (let k = 0; k < numel; k++) out[k] = read(k);
  return out;
}

/**
 * A safetensors file of float32 tensors: `tensors` [[name, {shape, data}]] in order;
 * `metadata` an optional object of strings.
 */
export function writeSafetensors(tensors, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const raw = encodeUtf8(json);
  const padded = new Uint8Array(Math.ceil((raw.length) / 8) * 8).fill(0x20);
  padded.set(raw);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setUint32(0, padded.length, true);
  return concatBytes([len, padded, ...tensors.map(([, t]) => f32ToBytes(t.data))]);
}
