// Loads the wasm-lstm WebAssembly modules built by build.sh (js/build/lstm-simd.wasm and
// js/build/lstm-plain.wasm). No dependencies; no Emscripten JS glue (it does not work in Node 20
// ESM): the modules are standalone and need one import, env.emscripten_notify_memory_growth.
//
// Works in Node >= 20 (ESM), browser pages, module Web Workers and bundlers that understand
// `new URL('./file', import.meta.url)` (Vite, webpack 5, Rollup, esbuild with a file loader).
// With the Vite <= 7 *dev server*, set `optimizeDeps: { exclude: ['wasm-lstm'] }`.
//
// Every failure is an LstmError: 'load' when the module cannot be fetched, read or compiled (the
// message names the URL and the likely fix: a missing build, a dev server answering with an HTML
// page), 'arg' for bad options.
//
//   const { module, simd } = await loadModule();   // compile once (cached per variant)
//   const instance = await instantiate(module);    // one instance per model

import { LstmError } from './errors.js';

// ---- SIMD detection

// The smallest module that uses a v128 op: (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

let simdCache;

/**
 * Whether this WebAssembly engine supports fixed-width SIMD (SIMD128).
 * @returns {boolean}
 */
export function simdSupported() {
  if (simdCache === undefined) {
    try {
      simdCache = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdCache = false;
    }
  }
  return simdCache;
}

// ---- compiling

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * A Node built-in module (`node:${name}`), imported so that browsers never load it and bundlers
 * (Vite, webpack, Rollup) leave it alone instead of shimming it or warning: a dynamic import of a
 * variable, with the bundlers' ignore comments.
 */
export function nodeModule(name) {
  const specifier = `node:${name}`;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
}

// Literal strings in `new URL(..., import.meta.url)` so that bundlers find and copy the files.
function defaultUrl(simd) {
  return simd
    ? new URL('./build/lstm-simd.wasm', import.meta.url)
    : new URL('./build/lstm-plain.wasm', import.meta.url);
}

function resolveUrl(url) {
  if (url instanceof URL) return url;
  if (typeof url !== 'string') {
    throw new LstmError('arg', `wasm-lstm: wasmUrl: expected a URL or string, got ${describe(url)}`, { argument: 'wasmUrl' });
  }
  return new URL(url, globalThis.location?.href ?? import.meta.url);
}

function loadError(message, cause) {
  return new LstmError('load', message, cause === undefined ? undefined : { cause });
}

// What bytes that should be a .wasm file look like, when they are not one.
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
function notWasm(bytes, what) {
  const b = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, Math.min(bytes.byteLength, 256));
  if (WASM_MAGIC.every((x, i) => b[i] === x)) return null;
  const head = new TextDecoder('utf-8', { fatal: false }).decode(b).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<')) {
    return loadError(`wasm-lstm: ${what} is an HTML page, not a WebAssembly module: the server answered ` +
      'with a page instead of the .wasm file. With the Vite <= 7 dev server add ' +
      "`optimizeDeps: { exclude: ['wasm-lstm'] }` to vite.config; with another host, serve " +
      "node_modules/wasm-lstm/js/build/*.wasm next to the script (or pass loadModule's wasmUrl)");
  }
  if (b.length === 0) return loadError(`wasm-lstm: ${what} is empty: not a WebAssembly module`);
  const hex = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return loadError(`wasm-lstm: ${what} is not a WebAssembly module (it starts with ${hex}, not 00 61 73 6d): ` +
    'a wrong file or a server answering with something else');
}

async function compileUrl(url) {
  if (isNode && url.protocol === 'file:') {
    // Node's fetch() cannot read file: URLs. A dynamic import of a variable, so browsers never
    // load it and bundlers (Vite, webpack, Rollup) leave it alone instead of shimming it.
    const { readFile } = await nodeModule('fs/promises');
    let bytes;
    try {
      bytes = await readFile(url);
    } catch (err) {
      throw loadError(`wasm-lstm: cannot read ${url.href} (${err.code ?? err.message}); ` +
        'build it with `npm run build` (bash build.sh)', err);
    }
    return compileBytes(bytes, url.href);
  }
  let resp;
  try {
    resp = await fetch(url);
  } catch (err) {
    throw loadError(`wasm-lstm: cannot fetch ${url.href}: ${err.message}`, err);
  }
  if (!resp.ok) {
    throw loadError(`wasm-lstm: cannot fetch ${url.href}: HTTP ${resp.status} ${resp.statusText}`);
  }
  // compileStreaming insists on `Content-Type: application/wasm`; when a server sends something
  // else, compile from the downloaded bytes instead.
  const type = (resp.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    const copy = resp.clone(); // to say what the server sent instead, if it is not a module
    try {
      return await WebAssembly.compileStreaming(resp);
    } catch (err) {
      const wrong = notWasm(new Uint8Array(await copy.arrayBuffer().catch(() => new ArrayBuffer(0))), url.href);
      throw wrong && !/^wasm-lstm: \S+ is empty/.test(wrong.message)
        ? wrong
        : loadError(`wasm-lstm: cannot compile ${url.href}: ${err.message}`, err);
    }
  }
  return compileBytes(await resp.arrayBuffer(), url.href);
}

async function compileBytes(bytes, what) {
  const wrong = notWasm(bytes, what);
  if (wrong) throw wrong;
  try {
    return await WebAssembly.compile(bytes);
  } catch (err) {
    throw loadError(`wasm-lstm: cannot compile ${what}: ${err.message}`, err);
  }
}

const moduleCache = new Map(); // 'simd' | 'plain' -> Promise<{ module, simd }>

/**
 * Compile the wasm-lstm module (once per variant; later calls return the same promise).
 *
 * @param {object} [options]
 * @param {'auto' | boolean} [options.simd='auto'] `'auto'`: the SIMD build if this engine
 *   supports SIMD128, else the plain build. `true`: the SIMD build, or throw if unsupported.
 *   `false`: the plain build.
 * @param {URL | string} [options.wasmUrl] For unusual hosts (a CDN, a bundler that does not copy
 *   assets): where to fetch the .wasm file of the chosen variant from. Relative strings resolve
 *   against the page (browsers) or this file (Node). Not cached.
 * @param {BufferSource} [options.wasmBytes] The .wasm file's bytes of the chosen variant, e.g.
 *   read by the host itself. Not cached.
 * @returns {Promise<{ module: WebAssembly.Module, simd: boolean }>} `simd` tells which build it is.
 */
export function loadModule({ simd = 'auto', wasmUrl, wasmBytes } = {}) {
  if (simd !== 'auto' && simd !== true && simd !== false) {
    return Promise.reject(
      new LstmError('arg', `wasm-lstm: simd: expected 'auto', true or false, got ${describe(simd)}`, { argument: 'simd' }),
    );
  }
  if (typeof WebAssembly !== 'object') {
    return Promise.reject(loadError('wasm-lstm: this JavaScript engine has no WebAssembly'));
  }
  if (simd === true && !simdSupported()) {
    return Promise.reject(
      new LstmError('arg', "wasm-lstm: simd: true, but this WebAssembly engine does not support SIMD128; use simd: 'auto' or false", { argument: 'simd' }),
    );
  }
  const useSimd = simd === 'auto' ? simdSupported() : simd;

  if (wasmBytes !== undefined) {
    if (!(wasmBytes instanceof ArrayBuffer || ArrayBuffer.isView(wasmBytes))) {
      return Promise.reject(
        new LstmError('arg', `wasm-lstm: wasmBytes: expected an ArrayBuffer or typed array, got ${describe(wasmBytes)}`, { argument: 'wasmBytes' }),
      );
    }
    return compileBytes(wasmBytes, 'wasmBytes').then((module) => ({ module, simd: useSimd }));
  }
  if (wasmUrl !== undefined) {
    let url;
    try {
      url = resolveUrl(wasmUrl);
    } catch (err) {
      return Promise.reject(err);
    }
    return compileUrl(url).then((module) => ({ module, simd: useSimd }));
  }

  const key = useSimd ? 'simd' : 'plain';
  let promise = moduleCache.get(key);
  if (!promise) {
    promise = compileUrl(defaultUrl(useSimd)).then((module) => ({ module, simd: useSimd }));
    moduleCache.set(key, promise);
    // A failed load (network hiccup, missing file) should not be cached forever.
    promise.catch(() => {
      if (moduleCache.get(key) === promise) moduleCache.delete(key);
    });
  }
  return promise;
}

// ---- instantiating

/**
 * Instantiate a module from loadModule(): one instance (and so one linear memory) per model.
 * Calls the module's `_initialize` export (C constructors) if it has one.
 *
 * Provides `env.emscripten_notify_memory_growth` (a no-op: callers must rebuild typed-array
 * views of `instance.exports.memory.buffer` after any call that can allocate). Any other function
 * import gets a stub that throws when called, naming the import.
 *
 * @param {WebAssembly.Module} module
 * @returns {Promise<WebAssembly.Instance>}
 */
export async function instantiate(module) {
  if (!(module instanceof WebAssembly.Module)) {
    throw new LstmError('arg', `wasm-lstm: instantiate: expected a WebAssembly.Module, got ${describe(module)}`, { argument: 'module' });
  }
  const imports = { env: { emscripten_notify_memory_growth() {} } };
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (ns === 'env' && name === 'emscripten_notify_memory_growth') continue;
    if (kind !== 'function') {
      throw loadError(`wasm-lstm: the module imports ${ns}.${name} (a ${kind}), which this loader cannot provide`);
    }
    imports[ns] ??= {};
    imports[ns][name] = () => {
      throw loadError(
        `wasm-lstm: the module called ${ns}.${name}, which is not provided ` +
          '(the C library must not use stdio, abort or exit)',
      );
    };
  }
  let instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (err) {
    throw loadError(`wasm-lstm: cannot instantiate the module: ${err.message}`, err);
  }
  if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
  return instance;
}

function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
