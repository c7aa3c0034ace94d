// wasm.js — one WebAssembly instance of the C core: memory views, guarded calls, staging buffers,
// structs laid out as the C build describes them (abi.js), and model files streamed through a
// small buffer. Network (network.js) owns one; readMeta shares a small utility one.
//
// What it guarantees: a trap marks the instance unusable and becomes LstmError('trap'); views of
// memory are rebuilt whenever memory grew (growth detaches them); a file never has to be whole in
// wasm memory (it crosses in FILE_CHUNK pieces).

import { loadModule, instantiate } from './loader.js';
import { LstmError } from './errors.js';
import { ABI_TEXT, STRUCTS, STATUS } from './abi.js';

const STATUS_HINTS = {
  arg: 'the C core rejected an argument that the JS checks let through: this is a bug in wasm-lstm, please report it',
  nomem: 'out of WebAssembly memory (1 GB at most): use a smaller batch, steps or model',
  format: 'not a wasm-lstm model file, or truncated',
  version: 'a model file of a format version this build does not read',
  checksum: 'the file is corrupted (CRC-32 mismatch)',
  nonfinite: 'the loss or gradient was not finite; parameters, gradients, optimizer state and carried state were left unchanged: lower learningRate or enable gradient clipping',
  config: 'invalid configuration',
};

/** The LstmError for a nonzero C status (c/lstm.h LSTM_ERR_*) returned by `what`. */
export function statusError(status, what) {
  const code = status > 0 ? STATUS[status] : undefined;
  if (!code) return new LstmError('arg', `${what}: unexpected C status ${status}`);
  return new LstmError(code, `${what}: ${STATUS_HINTS[code]} (C status ${status})`);
}

const SCRATCH_BYTES = 256; // out-parameters and the call struct
export const S_STATUS = 0, S_OUT = 4, S_OUT2 = 8, S_DIMS = 16, S_STRUCT = 32, S_F64 = 128; // byte offsets in scratch
const FILE_CHUNK = 1 << 20;

export class Wasm {
  #buffer = null;
  #u8; #i32; #u32; #f32; #f64;

  constructor(instance) {
    this.x = instance.exports;
    this.memory = this.x.memory;
    this.trap = null; // the RuntimeError that made this instance unusable
    this.scratch = this.malloc(SCRATCH_BYTES);
    const own = this.#abiText();
    if (own !== ABI_TEXT) {
      throw new LstmError('version', 'this WebAssembly build describes another ABI than js/build/abi.js ' +
        '(a stale build or a mix of two builds): rebuild with build.sh');
    }
    this.slots = new Map(); // name -> { ptr, bytes }
  }

  #abiText() {
    const n = this.call('lstm_abi', 0, 0);
    const p = this.malloc(n + 1);
    try {
      this.call('lstm_abi', p, n + 1);
      return new TextDecoder().decode(this.u8.subarray(p, p + n));
    } finally {
      this.free(p);
    }
  }

  #sync() {
    const b = this.memory.buffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#u8 = new Uint8Array(b);
      this.#i32 = new Int32Array(b);
      this.#u32 = new Uint32Array(b);
      this.#f32 = new Float32Array(b);
      this.#f64 = new Float64Array(b);
    }
  }
  get u8() { this.#sync(); return this.#u8; }
  get i32() { this.#sync(); return this.#i32; }
  get u32() { this.#sync(); return this.#u32; }
  get f32() { this.#sync(); return this.#f32; }
  get f64() { this.#sync(); return this.#f64; }

  /** Calls an export; a trap marks the instance unusable and becomes LstmError('trap'). */
  call(name, ...args) {
    try {
      return this.x[name](...args);
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      this.trap = err;
      throw new LstmError('trap', `${name}: WebAssembly trap (${err.message}); this model's instance is ` +
        'now unusable. This is a bug in wasm-lstm: please report it', { cause: err });
    }
  }

  malloc(bytes) {
    const ptr = this.call('malloc', Math.max(bytes, 4));
    if (!ptr) throw new LstmError('nomem', `cannot allocate ${bytes} bytes of WebAssembly memory (1 GB at most)`);
    return ptr;
  }

  free(ptr) {
    if (ptr && !this.trap) this.call('free', ptr);
  }

  /** The pointer of a named staging buffer of at least `bytes`, grown (never shrunk) on demand.
   *  Allocating may grow memory: take views after it. */
  slot(name, bytes) {
    let s = this.slots.get(name);
    if (!s) this.slots.set(name, s = { ptr: 0, bytes: 0 });
    if (s.bytes < bytes) {
      this.free(s.ptr);
      s.ptr = 0, s.bytes = 0;
      s.ptr = this.malloc(bytes);
      s.bytes = bytes;
    }
    return s.ptr;
  }

  /** A Float32Array / Int32Array view of `n` elements of a staging buffer (valid until the next
   *  call that can allocate). */
  slotView(name, kind, n) {
    const ptr = this.slot(name, Math.max(4 * n, 4));
    const view = kind === 'f32' ? this.f32 : this.i32;
    return { ptr, view: view.subarray(ptr >> 2, (ptr >> 2) + n) };
  }

  string(ptr) {
    const u8 = this.u8;
    let end = ptr;
    while (end < u8.length && u8[end] !== 0) end++;
    return new TextDecoder().decode(u8.subarray(ptr, end));
  }

  /** Writes a C struct (abi.js layout) at ptr from an object of field values (missing: 0). */
  writeStruct(ptr, name, values) {
    const { size, fields } = STRUCTS[name];
    this.u8.fill(0, ptr, ptr + size);
    const i32 = this.i32, f32 = this.f32;
    for (const [field, type, offset] of fields) {
      const v = values[field] ?? 0;
      if (type === 'f32') f32[(ptr + offset) >> 2] = v;
      else i32[(ptr + offset) >> 2] = v; // i32, u32 (same bits) and wasm32 pointers
    }
  }

  readStruct(ptr, name) {
    const out = {}, i32 = this.i32, u32 = this.u32, f32 = this.f32;
    for (const [field, type, offset] of STRUCTS[name].fields) {
      const k = (ptr + offset) >> 2;
      out[field] = type === 'f32' ? f32[k] : type === 'u32' ? u32[k] : i32[k];
    }
    return out;
  }

  /** The status the C core left in the scratch block. */
  get status() { return this.i32[(this.scratch + S_STATUS) >> 2]; }

  /**
   * Streams a model file out of the writer `w` (lstm_write_begin) into a new Uint8Array, through
   * one FILE_CHUNK staging buffer; frees the writer.
   */
  drainWriter(w, what) {
    try {
      const size = this.call('lstm_write_size', w);
      const out = new Uint8Array(size);
      const buf = this.slot('file', FILE_CHUNK);
      let at = 0;
      for (;;) {
        const n = this.call('lstm_write_chunk', w, buf, FILE_CHUNK);
        if (n < 0) throw statusError(-n, what);
        if (n === 0) break;
        out.set(this.u8.subarray(buf, buf + n), at);
        at += n;
      }
      if (at !== size) throw new LstmError('format', `${what}: the writer produced ${at} of ${size} bytes`);
      return out;
    } finally {
      this.call('lstm_write_free', w);
    }
  }

  /**
   * Streams `bytes` into a reader (lstm_read_begin) FILE_CHUNK at a time and checks it. Returns
   * { reader, status, meta (Uint8Array copy or null) }; the caller frees the reader
   * (lstm_read_free) after taking the model (lstm_read_model).
   */
  feedReader(bytes, withModel) {
    const r = this.call('lstm_read_begin', bytes.length, withModel ? 1 : 0, this.scratch + S_STATUS);
    if (!r) return { reader: 0, status: this.status, meta: null };
    let status = 0;
    const buf = this.slot('file', FILE_CHUNK);
    for (let at = 0; at < bytes.length && status === 0; at += FILE_CHUNK) {
      const n = Math.min(FILE_CHUNK, bytes.length - at);
      this.u8.set(bytes.subarray(at, at + n), buf); // views after every chunk: the model's allocation may grow memory
      status = this.call('lstm_read_chunk', r, buf, n);
    }
    if (status === 0) status = this.call('lstm_read_end', r);
    let meta = null;
    if (status === 0) {
      const p = this.call('lstm_read_meta', r, this.scratch + S_OUT);
      const n = this.i32[(this.scratch + S_OUT) >> 2];
      if (p && n > 0) meta = this.u8.slice(p, p + n);
    }
    return { reader: r, status, meta };
  }
}

export async function newWasm(simd) {
  const { module } = await loadModule({ simd });
  return new Wasm(await instantiate(module));
}
