// js/loader.js: SIMD detection, variant choice, caching, instantiation, overrides and errors.
// Needs the modules from build.sh and wasm-objdump (wabt).
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { simdSupported, loadModule, instantiate } from '../js/loader.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOADER_URL = new URL('../js/loader.js', import.meta.url).href;
const SIMD_WASM = fileURLToPath(new URL('../js/build/lstm-simd.wasm', import.meta.url));
const PLAIN_WASM = fileURLToPath(new URL('../js/build/lstm-plain.wasm', import.meta.url));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// Any SIMD128 instruction as wasm-objdump prints it: v128.load, f32x4.mul, i8x16.shuffle, ...
const SIMD_OP = /\b(?:v128|[if](?:8x16|16x8|32x4|64x2))\.[a-z_0-9]+/;
const disassemble = (file) =>
  execFileSync('wasm-objdump', ['-d', file], { encoding: 'utf8', maxBuffer: 512 << 20 });

// Run a snippet in a fresh Node process (fresh loader cache, patchable globals); it prints JSON.
async function inChild(code) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

// The snippet wraps WebAssembly.compile to record which file's bytes were compiled.
const RECORD_COMPILES = `
  import { createHash } from 'node:crypto';
  const compiled = [];
  const realCompile = WebAssembly.compile;
  WebAssembly.compile = (bytes) => {
    const view = ArrayBuffer.isView(bytes) ? bytes : new Uint8Array(bytes);
    compiled.push(createHash('sha256').update(view).digest('hex'));
    return realCompile(bytes);
  };
`;

describe('simdSupported', () => {
  test('is true on Node 20+ (V8 ships SIMD128)', () => {
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20);
    assert.equal(simdSupported(), true);
    assert.equal(simdSupported(), true, 'cached answer is the same');
  });
});

describe('loadModule', () => {
  test('picks the SIMD build by default, the plain one with simd: false, and compiles each once', async () => {
    const r = await inChild(`${RECORD_COMPILES}
      const { loadModule } = await import(${JSON.stringify(LOADER_URL)});
      const auto = await loadModule();
      const forced = await loadModule({ simd: true });
      const plain = await loadModule({ simd: false });
      const plainAgain = await loadModule({ simd: false });
      console.log(JSON.stringify({
        compiled, auto: auto.simd, forced: forced.simd, plain: plain.simd,
        sameSimd: auto.module === forced.module, samePlain: plain.module === plainAgain.module,
        differ: auto.module !== plain.module,
      }));`);
    assert.deepEqual(r.compiled, [sha256(readFileSync(SIMD_WASM)), sha256(readFileSync(PLAIN_WASM))]);
    assert.equal(r.auto, true);
    assert.equal(r.forced, true);
    assert.equal(r.plain, false);
    assert.ok(r.sameSimd && r.samePlain, 'the compiled module is cached per variant');
    assert.ok(r.differ);
  });

  test('on an engine without SIMD, auto picks the plain build and simd: true is a clear error', async () => {
    const r = await inChild(`${RECORD_COMPILES}
      WebAssembly.validate = () => false;   // pretend SIMD128 is not supported
      const { loadModule, simdSupported } = await import(${JSON.stringify(LOADER_URL)});
      const auto = await loadModule();
      let error = null;
      try { await loadModule({ simd: true }); } catch (e) { error = e.message; }
      console.log(JSON.stringify({ supported: simdSupported(), compiled, auto: auto.simd, error }));`);
    assert.equal(r.supported, false);
    assert.equal(r.auto, false);
    assert.deepEqual(r.compiled, [sha256(readFileSync(PLAIN_WASM))]);
    assert.match(r.error, /simd: true.*does not support SIMD128/);
  });

  test('rejects a bad simd option with an LstmError that says what it got', async () => {
    await assert.rejects(loadModule({ simd: 'yes' }), {
      name: 'LstmError',
      code: 'arg',
      message: `wasm-lstm: simd: expected 'auto', true or false, got "yes"`,
    });
    await assert.rejects(loadModule({ simd: 1 }), /got number 1/);
  });

  test('wasmBytes override compiles the given bytes (not cached)', async () => {
    const bytes = readFileSync(PLAIN_WASM);
    const a = await loadModule({ simd: false, wasmBytes: bytes });
    const b = await loadModule({ simd: false, wasmBytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) });
    assert.equal(a.simd, false);
    assert.ok(a.module instanceof WebAssembly.Module);
    assert.notEqual(a.module, b.module);
    await assert.rejects(loadModule({ wasmBytes: 'lstm.wasm' }), /wasmBytes: expected an ArrayBuffer or typed array, got "lstm.wasm"/);
    await assert.rejects(loadModule({ wasmBytes: new Uint8Array([0, 97, 115, 109, 9, 9]) }), { name: 'LstmError', code: 'load', message: /cannot compile wasmBytes/ });
    await assert.rejects(loadModule({ wasmBytes: new Uint8Array([0x4d, 0x5a, 0x90, 0]) }),
      { code: 'load', message: /wasmBytes is not a WebAssembly module \(it starts with 4d 5a 90 00, not 00 61 73 6d\)/ });
  });

  test('a missing file is an error naming the file and how to build it', async () => {
    const url = new URL('./no-such-dir/lstm-simd.wasm', import.meta.url);
    await assert.rejects(loadModule({ wasmUrl: url }), (err) => {
      assert.equal(err.name, 'LstmError');
      assert.equal(err.code, 'load');
      assert.match(err.message, /cannot read .*no-such-dir\/lstm-simd\.wasm \(ENOENT\)/);
      assert.match(err.message, /npm run build/);
      return true;
    });
    await assert.rejects(loadModule({ wasmUrl: 42 }), { name: 'LstmError', code: 'arg' });
  });

  describe('over http (the browser code path)', () => {
    const wasm = readFileSync(SIMD_WASM);
    let server;
    let base;
    before(async () => {
      server = createServer((req, res) => {
        if (req.url === '/right.wasm') res.writeHead(200, { 'Content-Type': 'application/wasm' }).end(wasm);
        else if (req.url === '/wrong-mime.wasm') res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(wasm);
        // what a dev server that answers every path with its index page sends (Vite <= 7 without optimizeDeps.exclude)
        else if (req.url === '/spa.wasm') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>app</body></html>');
        else if (req.url === '/spa-as-wasm.wasm') res.writeHead(200, { 'Content-Type': 'application/wasm' }).end('<!DOCTYPE html>\n<html>');
        else res.writeHead(404).end();
      });
      await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
      base = `http://127.0.0.1:${server.address().port}/`;
    });
    after(() => new Promise((ok) => server.close(ok)));

    test('compiles with the right MIME type (streaming) and with a wrong one (fallback)', async () => {
      for (const name of ['right.wasm', 'wrong-mime.wasm']) {
        const { module, simd } = await loadModule({ wasmUrl: base + name });
        assert.equal(simd, true);
        const instance = await instantiate(module);
        assert.equal(typeof instance.exports.malloc, 'function', name);
      }
    });

    test('an HTML page where the module should be is named, with the fix (not "expected magic word")', async () => {
      for (const name of ['spa.wasm', 'spa-as-wasm.wasm']) {
        await assert.rejects(loadModule({ wasmUrl: base + name }), (err) => {
          assert.equal(err.name, 'LstmError');
          assert.equal(err.code, 'load');
          assert.match(err.message, /is an HTML page, not a WebAssembly module/);
          assert.match(err.message, /optimizeDeps: \{ exclude: \['wasm-lstm'\] \}/);
          assert.doesNotMatch(err.message, /magic word/);
          return true;
        }, name);
      }
    });

    test('an HTTP error status is reported', async () => {
      await assert.rejects(loadModule({ wasmUrl: `${base}missing.wasm` }), { code: 'load', message: /cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing\.wasm: HTTP 404/ });
    });
  });
});

describe('the two builds', () => {
  test('both validate; the SIMD build contains SIMD128 instructions, the plain build none', () => {
    const simd = readFileSync(SIMD_WASM);
    const plain = readFileSync(PLAIN_WASM);
    assert.ok(WebAssembly.validate(simd) && WebAssembly.validate(plain));
    assert.notEqual(sha256(simd), sha256(plain));
    const simdOps = disassemble(SIMD_WASM).split('\n').filter((l) => SIMD_OP.test(l)).length;
    assert.ok(simdOps > 0, 'lstm-simd.wasm has no v128/f32x4/... instruction: is -msimd128 passed?');
    const plainSimd = disassemble(PLAIN_WASM).split('\n').filter((l) => SIMD_OP.test(l));
    assert.deepEqual(plainSimd.slice(0, 5), [], 'lstm-plain.wasm must run on engines without SIMD');
  });
});

describe('instantiate', () => {
  for (const simd of [true, false]) {
    test(`${simd ? 'SIMD' : 'plain'} build: exports memory, malloc, free and lstm_ functions`, async () => {
      const { module } = await loadModule({ simd });
      const { exports } = await instantiate(module);
      assert.ok(exports.memory instanceof WebAssembly.Memory);
      const initial = Number(/-sINITIAL_MEMORY=(\d+)MB/.exec(readFileSync(new URL('../build.sh', import.meta.url), 'utf8'))[1]);
      assert.equal(exports.memory.buffer.byteLength, initial << 20, `INITIAL_MEMORY=${initial}MB as build.sh sets it`);
      assert.equal(typeof exports.malloc, 'function');
      assert.equal(typeof exports.free, 'function');
      const api = Object.keys(exports).filter((k) => k.startsWith('lstm_'));
      assert.ok(api.length > 0, `no lstm_ export among ${Object.keys(exports).join(', ')}`);
      for (const name of api) assert.equal(typeof exports[name], 'function', name);
    });
  }

  test('two instances of one module have separate memories', async () => {
    const { module } = await loadModule();
    const a = (await instantiate(module)).exports;
    const b = (await instantiate(module)).exports;
    assert.notEqual(a.memory, b.memory);
    const pa = a.malloc(256);
    const pb = b.malloc(256);
    assert.ok(pa > 0 && pb > 0);
    new Uint8Array(a.memory.buffer, pa, 256).fill(0xab);
    new Uint8Array(b.memory.buffer, pb, 256).fill(0x11);
    assert.ok(new Uint8Array(a.memory.buffer, pa, 256).every((x) => x === 0xab));
    assert.ok(new Uint8Array(b.memory.buffer, pb, 256).every((x) => x === 0x11));
    a.free(pa);
    b.free(pb);
  });

  test('memory grows on demand; malloc past MAXIMUM_MEMORY=1GB returns 0 without trapping', async () => {
    const { module } = await loadModule();
    const { exports } = await instantiate(module);
    const n = 32 << 20;
    const p = exports.malloc(n);
    assert.ok(p > 0);
    assert.ok(exports.memory.buffer.byteLength >= p + n, 'memory grew');
    new Uint8Array(exports.memory.buffer, p, n).fill(7); // fresh view: growth detaches old ones
    exports.free(p);
    assert.equal(exports.malloc(1100 * 1024 * 1024), 0);
  });

  test('any other imported function is a stub that throws naming the import', async () => {
    // (module (import "wasi_snapshot_preview1" "fd_write" (func)) (func (export "run") call 0))
    const str = (s) => [s.length, ...Buffer.from(s)];
    const section = (id, body) => [id, body.length, ...body];
    const bytes = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0,
      ...section(1, [1, 0x60, 0, 0]),
      ...section(2, [1, ...str('wasi_snapshot_preview1'), ...str('fd_write'), 0, 0]),
      ...section(3, [1, 0]),
      ...section(7, [1, ...str('run'), 0, 1]),
      ...section(10, [1, 4, 0, 0x10, 0, 0x0b]),
    ]);
    const instance = await instantiate(new WebAssembly.Module(bytes));
    assert.throws(() => instance.exports.run(), /called wasi_snapshot_preview1\.fd_write, which is not provided/);
  });

  test('rejects what is not a WebAssembly.Module', async () => {
    await assert.rejects(instantiate(readFileSync(PLAIN_WASM)), {
      name: 'LstmError',
      code: 'arg',
      message: 'wasm-lstm: instantiate: expected a WebAssembly.Module, got Buffer',
    });
    await assert.rejects(instantiate(undefined), /got undefined/);
  });
});
