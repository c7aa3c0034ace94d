// Hostile and broken files: each must give a typed LstmError ('format') naming what is wrong,
// execute nothing, and allocate nothing beyond the file's size. And the codecs against
// independent implementations: inflate against node:zlib, CRC-32 against its check value.
// The seeded mutation fuzzer over every reader is tests/fuzz-js/fuzz-readers.mjs (a short run
// is in fuzz-js.test.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, constants as Z } from 'node:zlib';
import { existsSync } from 'node:fs';
import { readPyTorch, readONNX, readKeras } from '../../js/interop/index.js';
import { inflateRaw } from '../../js/interop/inflate.js';
import { crc32 } from '../../js/interop/crc32.js';
import { readZip, writeZip } from '../../js/interop/zip.js';
import { unpickle, pickleStateDict } from '../../js/interop/pickle.js';
import { readTorchFile, writeTorchFile } from '../../js/interop/torchfile.js';
import { readSafetensors, writeSafetensors } from '../../js/interop/safetensors.js';
import { decodeMessage, encodeMessage } from '../../js/interop/protobuf.js';
import { expectError } from '../expect.js';
import { CASES, fixture } from './helpers.js';
import { rng, randomDescription } from './reference2.js';
import { writePyTorch, writeONNX } from '../../js/interop/index.js';

const enc = new TextEncoder();

test('CRC-32 check value', () => {
  assert.equal(crc32(enc.encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('inflate equals node:zlib on 400 streams (levels 0–9, fixed/Huffman-only/RLE strategies, stored blocks)', () => {
  const rand = rng(5);
  const strategies = [Z.Z_DEFAULT_STRATEGY, Z.Z_FIXED, Z.Z_HUFFMAN_ONLY, Z.Z_RLE, Z.Z_FILTERED];
  for (let k = 0; k < 400; k++) {
    const n = Math.floor(rand() ** 3 * 200000);
    const alphabet = 1 + Math.floor(rand() * 255);
    const data = Uint8Array.from({ length: n }, (_, i) => (rand() < 0.3 ? (i * 7) % alphabet : Math.floor(rand() * alphabet)));
    const z = deflateRawSync(data, { level: k % 10, strategy: strategies[k % strategies.length] });
    const out = inflateRaw(new Uint8Array(z), n);
    assert.ok(Buffer.from(out).equals(Buffer.from(data)), `stream ${k} (${n} bytes, level ${k % 10})`);
  }
});

test('inflate refuses: truncated, longer or shorter than declared, reserved block type, distance before the start, bad stored length', () => {
  const data = enc.encode('hello hello hello hello world '.repeat(50));
  const z = new Uint8Array(deflateRawSync(data));
  expectError(() => inflateRaw(z.subarray(0, z.length - 3), data.length), 'format', /truncated/);
  expectError(() => inflateRaw(z, data.length - 1), 'format', /beyond the declared/);
  expectError(() => inflateRaw(z, data.length + 1), 'format', /ends after|truncated/);
  expectError(() => inflateRaw(Uint8Array.of(0b111), 10), 'format', /reserved deflate block type/);
  // a final fixed-Huffman block whose first symbol is length 3 (code 257), distance 1: nothing to copy yet
  expectError(() => inflateRaw(Uint8Array.of(0x03, 0x02, 0x00), 10), 'format', /distance 1 reaches before the start/);
  expectError(() => inflateRaw(Uint8Array.of(1, 5, 0, 0, 0, 1, 2, 3, 4, 5), 5), 'format', /does not match its complement/);
});

// A zip with deflated entries, written here (our writer only stores).
function deflatedZip(entries, { declare } = {}) {
  const parts = [], central = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const z = new Uint8Array(deflateRawSync(data, { level: 9 }));
    const nameBytes = enc.encode(name), size = declare?.[name] ?? data.length;
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true); h.setUint16(4, 20, true); h.setUint16(8, 8, true);
    h.setUint32(14, crc32(data), true); h.setUint32(18, z.length, true); h.setUint32(22, size, true); h.setUint16(26, nameBytes.length, true);
    parts.push(new Uint8Array(h.buffer), nameBytes, z);
    central.push({ nameBytes, crc: crc32(data), csize: z.length, size, offset });
    offset += 30 + nameBytes.length + z.length;
  }
  const cdStart = offset;
  for (const e of central) {
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true); c.setUint16(4, 20, true); c.setUint16(6, 20, true); c.setUint16(10, 8, true);
    c.setUint32(16, e.crc, true); c.setUint32(20, e.csize, true); c.setUint32(24, e.size, true); c.setUint16(28, e.nameBytes.length, true);
    c.setUint32(42, e.offset, true);
    parts.push(new Uint8Array(c.buffer), e.nameBytes);
    offset += 46 + e.nameBytes.length;
  }
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true); eocd.setUint16(8, central.length, true); eocd.setUint16(10, central.length, true);
  eocd.setUint32(12, offset - cdStart, true); eocd.setUint32(16, cdStart, true);
  parts.push(new Uint8Array(eocd.buffer));
  return new Uint8Array(Buffer.concat(parts));
}

test('zip: deflated entries read back; zip bombs and lies refused before anything large is allocated', () => {
  const a = enc.encode('x'.repeat(100000)), b = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251);
  const z = readZip(deflatedZip([['a', a], ['b', b]]));
  assert.ok(Buffer.from(z.read('a')).equals(Buffer.from(a)));
  assert.ok(Buffer.from(z.read('b')).equals(Buffer.from(b)));
  // a bomb: 100 KB of zeros deflate to ~100 bytes; declaring 500 MB is beyond deflate's 1032:1,
  // 4 GB beyond the entry limit
  const zeros = new Uint8Array(100000);
  expectError(() => readZip(deflatedZip([['bomb', zeros]], { declare: { bomb: 500e6 } })), 'format', /maximum ratio.*zip bomb/);
  expectError(() => readZip(deflatedZip([['bomb', zeros]], { declare: { bomb: 0xfffffffe } })), 'format', /more than the limit/);
  // within the ratio but more than the stream produces / less than it produces
  expectError(() => readZip(deflatedZip([['x', zeros]], { declare: { x: 90000 } })).read('x'), 'format', /beyond the declared 90000/);
  expectError(() => readZip(deflatedZip([['x', zeros]], { declare: { x: 100001 } })).read('x'), 'format', /ends after 100000/);
  // the limit option
  expectError(() => readZip(deflatedZip([['x', zeros]]), { maxEntryBytes: 1000 }), 'format', /more than the limit of 1000/);
  // overlapping entries (the "non-recursive zip bomb"): two directory records, one local entry
  const one = writeZip([['a', a]]);
  expectError(() => readZip(overlapZip(one)), 'format', /names another entry/);
  const two = writeZip([['a', new Uint8Array(100)], ['b', new Uint8Array(100)]]);
  const first = centralRecords(two)[0];
  new DataView(two.buffer).setUint32(first + 20, 200, true); // entry a's data now covers entry b
  new DataView(two.buffer).setUint32(first + 24, 200, true);
  expectError(() => readZip(two), 'format', /entries 'a' and 'b' overlap \(a zip bomb\?\)/);
  // corrupted data, a count the directory cannot hold, no end record, encryption, bzip2
  const bad = one.slice(); bad[200] ^= 0xff;
  expectError(() => readZip(bad).read('a'), 'format', /CRC-32 .* does not match/);
  const lie = one.slice(); new DataView(lie.buffer).setUint16(lie.length - 12, 60000, true); new DataView(lie.buffer).setUint16(lie.length - 14, 60000, true);
  expectError(() => readZip(lie), 'format', /declares 60000 entries/);
  expectError(() => readZip(one.subarray(0, one.length - 30)), 'format', /no end-of-central-directory/);
  const enc1 = one.slice(); const cd = findCentral(enc1); new DataView(enc1.buffer).setUint16(cd + 8, 1, true);
  expectError(() => readZip(enc1), 'format', /encrypted/);
  const bz = one.slice(); new DataView(bz.buffer).setUint16(findCentral(bz) + 10, 12, true);
  expectError(() => readZip(bz), 'format', /compression method 12/);
});

function centralRecords(bytes) {
  const out = [];
  for (let i = 0; i + 4 <= bytes.length; i++) if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 1 && bytes[i + 3] === 2) out.push(i);
  return out;
}

function findCentral(bytes) {
  for (let i = bytes.length - 22; i >= 0; i--) if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 1 && bytes[i + 3] === 2) return i;
  throw new Error('no central record');
}

// The archive `one` (one entry) with its central record duplicated under another name that points
// to the same local header.
function overlapZip(one) {
  const cd = findCentral(one), eocd = one.length - 22;
  const rec = one.slice(cd, eocd);
  const twin = rec.slice();
  twin[46] = 0x62; // the name 'a' → 'b'
  const out = new Uint8Array(cd + rec.length * 2 + 22);
  out.set(one.subarray(0, cd)); out.set(rec, cd); out.set(twin, cd + rec.length); out.set(one.subarray(eocd), cd + rec.length * 2);
  const v = new DataView(out.buffer, out.length - 22);
  v.setUint16(8, 2, true); v.setUint16(10, 2, true); v.setUint32(12, rec.length * 2, true);
  return out;
}

// ---- pickles: hand-written programs

const op = (s) => enc.encode(s);
const cat = (...p) => new Uint8Array(Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from(x)))));

test('pickles that would run code are refused naming the opcode and global; nothing runs', () => {
  const cases = [
    [cat('\x80\x02', 'cos\nsystem\n', 'X\x02\x00\x00\x00id', '\x85R.'), /global 'os\.system'/],
    [cat('\x80\x02', 'cposix\nsystem\n', 'X\x02\x00\x00\x00id', '\x85R.'), /global 'posix\.system'/],
    [cat('\x80\x02', 'cbuiltins\neval\n', 'X\x01\x00\x00\x001', '\x85R.'), /global 'builtins\.eval'/],
    [cat('\x80\x02', 'c__builtin__\nexec\n', 'X\x01\x00\x00\x001', '\x85R.'), /global '__builtin__\.exec'/],
    // a class is named, never called: REDUCE of it is refused
    [cat('\x80\x04', '\x8c\x0asubprocess\x8c\x05Popen\x93', ']\x85R.'), /REDUCE.*calls global 'subprocess\.Popen'.*nothing was executed/],
    [cat('\x80\x02', 'c__main__\nNet\n', ')R.'), /REDUCE.*calls global '__main__\.Net'/],
    // NEWOBJ only of a named class (an inert object); BUILD only on such an object or an OrderedDict
    [cat('\x80\x02', 'cos\nsystem\n', ')\x81.'), /global 'os\.system'/],
    [cat('\x80\x02', 'c__main__\nNet\n', 'X\x01\x00\x00\x00a\x81.'), /NEWOBJ.*arguments str 'a': expected a tuple/],
    [cat('\x80\x02', 'X\x01\x00\x00\x00a}b.'), /BUILD of str 'a'/],
    [cat('\x80\x02', 'cbuiltins\nset\n', 'X\x01\x00\x00\x00a\x85R.'), /builtins\.set: expected \(list,\)/],
    // a CI fuzz finding (seed 1796230622): _rebuild_parameter called with no arguments
    [cat('\x80\x02', 'ctorch._utils\n_rebuild_parameter\n', ')R.'), /_rebuild_parameter: expected \(tensor, requires_grad, hooks\), got no arguments/],
    // __reduce__ chains: getattr(builtins, 'eval') then call it
    [cat('\x80\x02', 'cbuiltins\ngetattr\n', 'cbuiltins\nobject\n', 'X\x04\x00\x00\x00eval', '\x86R', 'X\x01\x00\x00\x001\x85R.'), /global 'builtins\.getattr'/],
    // REDUCE of something that is not an allowed global (a string, a storage type)
    [cat('\x80\x02', 'X\x02\x00\x00\x00id', ')R.'), /REDUCE.*calls str 'id'/],
    [cat('\x80\x02', 'ctorch\nFloatStorage\n', ')R.'), /REDUCE.*calls global torch\.FloatStorage/],
    [cat('\x80\x02', '(cos\nsystem\nX\x02\x00\x00\x00id', 'o.'), /global 'os\.system'/],
    [cat('\x80\x02', '(X\x02\x00\x00\x00ido.'), /opcode OBJ.*refused/],
    [cat('(ios\nsystem\n.'), /opcode INST.*refused/],
    [cat('\x80\x02', '))\x81.'), /opcode NEWOBJ.*of tuple\(0\): only a class.*refused/],
    [cat('\x80\x02', '\x82\x01.'), /opcode EXT1.*refused/],
    [cat('\x80\x02', '}', '}b.'), /BUILD of dict\(0\)/],
    [cat('Pos.system\n.'), /opcode PERSID.*refused/],
    [cat('\x80\x02', 'X\x01\x00\x00\x00xQ.'), /persistent id str 'x'/],
    [cat('\x80\x02', 'ctorch._utils\n_rebuild_tensor_v2\n', '(X\x01\x00\x00\x00aK\x00K\x00K\x00tR.'), /_rebuild_tensor_v2: first argument str 'a' is not a storage/],
  ];
  for (const [bytes, pattern] of cases) {
    const err = expectError(() => unpickle(bytes, 'evil.pkl'), 'format', pattern);
    assert.match(err.message, /^evil\.pkl: opcode /);
  }
  // real malicious files made by torch.save (tests/fixtures/interop/special/evil_*.pt)
  for (const k of ['evil_os_system', 'evil_eval', 'evil_subprocess']) {
    expectError(() => readPyTorch(fixture(CASES.special[k].file)), 'format', /nothing was executed/);
  }
  assert.ok(!existsSync('/tmp/wasm-lstm-pwned'), "the os.system payload's file was not created");
});

test('pickles that lie about sizes or nest forever fail cleanly, without big allocations', () => {
  const before = process.memoryUsage().arrayBuffers;
  expectError(() => unpickle(cat('\x80\x02X\xff\xff\xff\x7f'), 'p'), 'format', /needs 2147483647 bytes.*truncated/);
  expectError(() => unpickle(cat('\x80\x04\x8d\xff\xff\xff\xff\xff\xff\x1f\x00'), 'p'), 'format', /needs \d+ bytes/);
  expectError(() => unpickle(cat('\x80\x02B\xff\xff\xff\x7f'), 'p'), 'format', /truncated/);
  expectError(() => unpickle(cat('\x80\x02\x8b\xff\xff\xff\x7f'), 'p'), 'format', /at most 64 bytes/);
  expectError(() => unpickle(cat('\x80\x02', '('.repeat(100000), '.'), 'p'), 'format', /values on the stack and 100000 marks at STOP/);
  expectError(() => unpickle(cat('\x80\x02', ']'.repeat(100000), '.'), 'p'), 'format', /100000 values on the stack/);
  expectError(() => unpickle(cat('\x80\x02h\x05.'), 'p'), 'format', /memo index 5 was never stored/);
  expectError(() => unpickle(cat('\x80\x02t.'), 'p'), 'format', /no MARK/);
  expectError(() => unpickle(cat('\x80\x02'), 'p'), 'format', /ends without STOP/);
  expectError(() => unpickle(cat('\x80\x09.'), 'p'), 'format', /protocol 9/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 8 << 20, 'no large buffers');
  // a state_dict that contains itself: the memo makes a cycle
  const cyc = cat('\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s.');
  const root = unpickle(cyc, 'p');
  assert.equal(root.map.get('a'), root);
  expectError(() => readTorchFile(writeZip([['archive/data.pkl', cyc]])), 'format', /contains itself/);
  // a whole module that is its own submodule, and modules nested 40 deep
  const self = cat('\x80\x02', 'c__main__\nNet\n', ')\x81q\x00', '}', 'X\x08\x00\x00\x00_modules', '}', 'X\x01\x00\x00\x00a', 'h\x00', 'ssb.');
  expectError(() => readTorchFile(writeZip([['archive/data.pkl', self]])), 'format', /'a' contains itself/);
  const level = 'c__main__\nNet\n)\x81}X\x08\x00\x00\x00_modules}X\x01\x00\x00\x00m';
  const deep = cat('\x80\x02', level.repeat(40), 'N', 'ssb'.repeat(40), '.');
  expectError(() => readTorchFile(writeZip([['archive/data.pkl', deep]])), 'format', /modules nested deeper than 32 at 'm(\.m){31,}'/);
  // a module without tensors is no state_dict; an object that is not a module is not one either
  const empty = cat('\x80\x02', 'c__main__\nNet\n)\x81}X\x08\x00\x00\x00_modules}sb.');
  expectError(() => readTorchFile(writeZip([['archive/data.pkl', empty]])), 'format', /object of __main__\.Net, not a state_dict \(a dict of tensors\) or a module/);
});

// A .pt with one tensor whose pickle we write by hand (the storage record holds `bytes` bytes).
function ptWith(tensorPickle, bytes = 16) {
  return writeZip([['archive/data.pkl', tensorPickle], ['archive/data/0', new Uint8Array(bytes)], ['archive/version', enc.encode('3\n')]]);
}
const tensorPkl = (numel, offset, size, stride) => cat('\x80\x02}X\x01\x00\x00\x00w', 'ctorch._utils\n_rebuild_tensor_v2\n(',
  '(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ', int32(numel), 't', 'Q',
  'J', int32(offset), '(', ...size.map((d) => cat('J', int32(d))), 't(', ...stride.map((d) => cat('J', int32(d))), 't', '\x89}', 'tRs.');
function int32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; }

test('tensors whose declared size exceeds the file, or views outside their storage, are refused', () => {
  const ok = readTorchFile(ptWith(tensorPkl(4, 0, [2, 2], [2, 1])));
  assert.deepEqual(Array.from(ok.tensors.get('w').data()), [0, 0, 0, 0]);
  expectError(() => readTorchFile(ptWith(tensorPkl(1 << 30, 0, [1 << 15, 1 << 15], [1 << 15, 1]))), 'format', /holds 16 bytes, the pickle declares 1073741824 × 4/);
  expectError(() => readTorchFile(ptWith(tensorPkl(4, 3, [2, 2], [2, 1]))), 'format', /reaches element 6, its storage has 4/);
  expectError(() => readTorchFile(ptWith(tensorPkl(4, 0, [1000, 1000], [0, 0]))), 'format', /1000000 elements but its storage only 4 \(an expanded view/);
  expectError(() => readTorchFile(ptWith(tensorPkl(4, 0, [2, 2], [-1, 1]))), 'format', /negative/);
  expectError(() => readTorchFile(writeZip([['archive/data.pkl', tensorPkl(4, 0, [4], [1])]])), 'format', /storage record archive\/data\/0 is missing/);
  expectError(() => readTorchFile(writeZip([['a/data.pkl', tensorPkl(4, 0, [4], [1])], ['b/data.pkl', tensorPkl(4, 0, [4], [1])]])), 'format', /expected one <archive>\/data\.pkl, found 2/);
  expectError(() => readTorchFile(cat('\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.')), 'format', /legacy torch\.save/);

  // safetensors
  const st = writeSafetensors([['w', { shape: [2, 2], data: new Float32Array(4) }], ['b', { shape: [2], data: new Float32Array(2) }]]);
  assert.equal(readSafetensors(st).tensors.size, 2);
  const header = (h, data = new Uint8Array(24)) => { const j = enc.encode(JSON.stringify(h)); const len = new Uint8Array(8); new DataView(len.buffer).setUint32(0, j.length, true); return cat(len, j, data); };
  expectError(() => readSafetensors(header({ w: { dtype: 'F32', shape: [1000, 1000], data_offsets: [0, 4000000] } })), 'format', /run past the 24-byte data buffer/);
  expectError(() => readSafetensors(header({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } })), 'format', /needs 16 bytes, data_offsets \[0,12\] give 12/);
  expectError(() => readSafetensors(header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } })), 'format', /overlaps/);
  expectError(() => readSafetensors(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } })), 'format', /belong to no tensor/);
  expectError(() => readSafetensors(header({ a: { dtype: 'F99', shape: [2], data_offsets: [0, 8] } })), 'format', /dtype "F99"/);
  expectError(() => readSafetensors(header({ __metadata__: { n: 3 }, a: { dtype: 'F32', shape: [6], data_offsets: [0, 24] } })), 'format', /__metadata__ must be an object of string values/);
  const dup = enc.encode('{"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]},"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}');
  const dl = new Uint8Array(8); new DataView(dl.buffer).setUint32(0, dup.length, true);
  expectError(() => readSafetensors(cat(dl, dup, new Uint8Array(24))), 'format', /names 'a' twice/);
  const huge = new Uint8Array(16); new DataView(huge.buffer).setUint32(0, 0xffffffff, true); new DataView(huge.buffer).setUint32(4, 0xffff, true);
  expectError(() => readSafetensors(huge), 'format', /header length/);
});

test('shape mismatches between tensors and the model they claim to be are refused naming the tensor', () => {
  const desc = randomDescription({ cell: 'lstm', input: 3, hidden: 2, layers: 2, output: 2 }, rng(3));
  const pt = readTorchFile(writePyTorch(desc));
  const tensors = [...pt.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data() }]);
  const bad = tensors.map(([n, t]) => (n === 'rnn.weight_hh_l1' ? [n, { shape: [8, 3], data: new Float32Array(24) }] : [n, t]));
  expectError(() => readPyTorch(writeTorchFile(bad)), 'format', /'rnn\.weight_hh_l1' has shape \[8,3\], expected \[8,2\]/);
  const badHead = tensors.map(([n, t]) => (n === 'head.weight' ? [n, { shape: [2, 5], data: new Float32Array(10) }] : [n, t]));
  expectError(() => readPyTorch(writeTorchFile(badHead), { names: { head: 'head.' } }), 'format', /head 'head\.weight' has shape \[2,5\], expected \[O, 2\]/);
  const noHH = tensors.filter(([n]) => n !== 'rnn.weight_hh_l1');
  expectError(() => readPyTorch(writeTorchFile(noHH)), 'format', /weight_hh_l1' missing/);
  // ONNX: a W of the wrong size
  const onnx = writeONNX(desc);
  const m = readONNX(onnx);
  assert.equal(m.config.layers, 2);
});

test('protobuf: truncated, overlong and deeply nested messages are refused; values round-trip', () => {
  const schema = { 1: ['a', 'int64'], 2: ['s', 'string'], 3: ['f', 'floats', 'repeated'], 4: ['n', () => schema, 'repeated'] };
  const msg = { a: -5, s: 'héllo', f: Float32Array.of(1.5, -2), n: [{ a: 7, s: '', f: new Float32Array(0), n: [] }] };
  const back = decodeMessage(encodeMessage(msg, schema), schema);
  assert.equal(back.a, -5);
  assert.equal(back.s, 'héllo');
  assert.deepEqual(Array.from(back.f), [1.5, -2]);
  assert.equal(back.n[0].a, 7);
  expectError(() => decodeMessage(Uint8Array.of(0x12, 0x7f, 0x41), schema), 'format', /length 127 .* exceeds/);
  expectError(() => decodeMessage(Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), schema), 'format', /longer than 10 bytes/);
  expectError(() => decodeMessage(Uint8Array.of(0x0b), schema), 'format', /wire type 3/);
  expectError(() => decodeMessage(Uint8Array.of(0x12, 0x01), schema), 'format', /exceeds|truncated/);
  let nested = new Uint8Array(0);
  for (let k = 0; k < 40; k++) nested = cat(Uint8Array.of(0x22, ...varint(nested.length)), nested);
  expectError(() => decodeMessage(nested, schema), 'format', /nested deeper than 24/);
});
function varint(n) { const out = []; while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7; } out.push(n); return out; }

test('the pickle writer and the zip writer produce what our readers and PyTorch read (checked by PyTorch in pytorch-check)', () => {
  const p = pickleStateDict([{ name: 'w', key: '0', shape: [2, 3] }]);
  const root = unpickle(p, 'ours');
  const t = root.map.get('w');
  assert.deepEqual([t.shape, t.stride, t.offset, t.storage.numel, t.storage.dtype], [[2, 3], [3, 1], 0, 6, 'float32']);
  const zip = writeZip([['archive/x', new Uint8Array(5)], ['archive/y', new Uint8Array(70)]]);
  const r = readZip(zip);
  for (const e of r.entries) assert.equal(e.dataOffset % 64, 0, `${e.name} aligned to 64 bytes as torch.save does`);
  assert.ok(readKeras !== undefined);
});
