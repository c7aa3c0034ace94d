#!/usr/bin/env node
// A seeded mutation fuzzer for every reader in js/interop/ (zip, inflate, pickle, torch.save
// files, safetensors, ONNX/protobuf, TF.js layers files, and the mappings behind readPyTorch,
// readONNX and readKeras).
//
//   node tests/fuzz-js/fuzz-readers.mjs [--seconds S] [--iterations N] [--seed K] [--reader NAME]...
//                                       [--hang-ms 10000] [--slow-ms 2000] [--out DIR] [--json]
//   (default: 60 s; --iterations stops at N inputs, e.g. --iterations 1000000 for the long run)
//
// Each input is a mutation of a valid seed file (bit flips, interesting bytes, overwritten
// 16/32/64-bit length fields, truncation, deletion, duplication, splices from other seeds,
// mutations aimed at the fields after zip signatures, and for model.json values of the wrong type
// put anywhere in its tree), generated from (seed, iteration) alone so
// that any input can be regenerated. Every reader must return or throw LstmError; anything else
// (TypeError, RangeError, an assertion) is a finding. Limits, each a finding when crossed:
//   time    an input taking more than --slow-ms; a worker stuck more than --hang-ms on one input
//           (the main thread watches a shared counter and kills the worker)
//   memory  ArrayBuffer bytes allocated during one call more than 4 MB + 64 × the input's size
//           (1100 × for readers that inflate: DEFLATE's 1032:1 ratio), and the heap above 768 MB
// Findings are written to --out (default build/fuzz-js/findings/) as <reader>-<iteration>.bin
// with the seed and mutation, and the run exits 1. The summary gives inputs per reader and how
// they ended (accepted, or LstmError by code).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(ROOT, 'tests/fixtures/interop/');

function parseArgs(argv) {
  const o = { seconds: 60, iterations: Infinity, seed: 1, readers: [], hangMs: 10000, slowMs: 2000, out: join(ROOT, 'build/fuzz-js/findings'), json: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k], v = () => argv[++k];
    if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--iterations') o.iterations = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--reader') o.readers.push(v());
    else if (a === '--hang-ms') o.hangMs = Number(v());
    else if (a === '--slow-ms') o.slowMs = Number(v());
    else if (a === '--out') o.out = v();
    else if (a === '--json') o.json = true;
    else { console.error(`fuzz-readers: unknown argument ${a}`); process.exit(2); }
  }
  return o;
}

// ---- deterministic randomness: one generator per (seed, iteration)

function mulberry(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const mix = (seed, i) => Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);

// ---- mutations

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 64, 1032];

function mutate(seedBytes, others, rand) {
  let b = seedBytes.slice();
  const n = 1 + Math.floor(rand() ** 2 * 6);
  const pick = (len) => Math.floor(rand() * Math.max(1, len));
  const log = [];
  for (let m = 0; m < n; m++) {
    const kind = Math.floor(rand() * 10);
    const at = pick(b.length);
    switch (kind) {
      case 0: case 1: { // bit flips
        const flips = 1 + pick(8);
        for (let f = 0; f < flips && b.length; f++) b[pick(b.length)] ^= 1 << pick(8);
        log.push(`flip×${flips}`);
        break;
      }
      case 2: { // interesting byte
        if (b.length) b[at] = [0, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x28, 0x2e][pick(8)];
        log.push(`byte@${at}`);
        break;
      }
      case 3: case 4: { // overwrite a length field (16, 32 or 64 bit little-endian)
        const w = [2, 4, 8][pick(3)];
        if (at + w <= b.length) {
          const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
          const current = b.length >= 4 ? dv.getUint32(Math.min(at, b.length - 4), true) : 0;
          const v = rand() < 0.5 ? INTERESTING_32[pick(INTERESTING_32.length)] : (current + [1, -1, 8, -8, 1 << 20][pick(5)]) >>> 0;
          if (w === 2) dv.setUint16(at, v & 0xffff, true);
          else if (w === 4) dv.setUint32(at, v >>> 0, true);
          else { dv.setUint32(at, v >>> 0, true); dv.setUint32(at + 4, rand() < 0.8 ? 0 : 0xffffffff, true); }
          log.push(`len${w * 8}@${at}=${v}`);
        }
        break;
      }
      case 5: { // truncate
        b = b.slice(0, at);
        log.push(`truncate@${at}`);
        break;
      }
      case 6: { // delete a range
        const len = 1 + pick(Math.min(64, b.length - at));
        b = concat(b.subarray(0, at), b.subarray(at + len));
        log.push(`delete@${at}+${len}`);
        break;
      }
      case 7: { // duplicate a range
        const len = 1 + pick(Math.min(256, b.length - at));
        b = concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
        log.push(`dup@${at}+${len}`);
        break;
      }
      case 8: { // splice from another seed
        const o = others[pick(others.length)];
        const from = pick(o.length), len = 1 + pick(Math.min(512, o.length - from));
        b = concat(b.subarray(0, at), o.subarray(from, from + len), b.subarray(at));
        log.push(`splice@${at}+${len}`);
        break;
      }
      default: { // a field right after a zip signature (PK\1\2, PK\3\4, PK\5\6, PK\6\6)
        const sigs = [];
        for (let k = 0; k + 4 <= b.length && sigs.length < 64; k++) if (b[k] === 0x50 && b[k + 1] === 0x4b && b[k + 2] <= 7) sigs.push(k);
        if (sigs.length) {
          const s = sigs[pick(sigs.length)], off = s + 4 + pick(40);
          if (off + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(off, INTERESTING_32[pick(INTERESTING_32.length)], true);
          log.push(`zipfield@${off}`);
        }
      }
    }
  }
  return { bytes: b, log };
}

// Structure-aware mutation of a JSON seed: replace, delete or duplicate a random value anywhere
// in the tree with a value of another type (type confusion that byte flips rarely reach).
const ODD_VALUES = [null, 0, -1, 1.5, 2 ** 31, 1e300, '', 'x', 'hard_sigmoid', true, [], [null], {}, { class_name: 'LSTM' }, [0, 0, -1]];
function mutateJson(bytes, rand) {
  let root;
  try { root = JSON.parse(new TextDecoder().decode(bytes)); } catch { return null; }
  const nodes = [];
  const walk = (v, depth) => {
    if (depth > 40 || v === null || typeof v !== 'object') return;
    for (const k of Object.keys(v)) { nodes.push([v, k]); walk(v[k], depth + 1); }
  };
  walk(root, 0);
  const log = [];
  for (let m = 0; m < 1 + Math.floor(rand() * 3) && nodes.length; m++) {
    const [parent, key] = nodes[Math.floor(rand() * nodes.length)];
    const r = rand();
    if (r < 0.6) { parent[key] = structuredClone(ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)]); log.push(`json set ${key}`); }
    else if (r < 0.8) { if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete parent[key]; log.push(`json delete ${key}`); }
    else { const other = nodes[Math.floor(rand() * nodes.length)]; parent[key] = structuredClone(other[0][other[1]]); log.push(`json copy to ${key}`); }
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(root)), log };
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// ---- seeds and readers (loaded in the worker)

async function loadReaders() {
  const zlib = await import('node:zlib');
  const { LstmError } = await import('../../js/errors.js');
  const interop = await import('../../js/interop/index.js');
  const { readZip, writeZip } = await import('../../js/interop/zip.js');
  const { inflateRaw } = await import('../../js/interop/inflate.js');
  const { unpickle } = await import('../../js/interop/pickle.js');
  const { readTorchFile } = await import('../../js/interop/torchfile.js');
  const { readSafetensors } = await import('../../js/interop/safetensors.js');
  const file = (p) => new Uint8Array(readFileSync(join(FIX, p)));
  const cases = JSON.parse(readFileSync(join(FIX, 'cases.json'), 'utf8'));

  const pts = ['pt/lstm-L1-uni-emb.pt', 'pt/gru-L2-bi-dense.pt', 'pt/rnn-L1-bi-emb.pt', 'special/checkpoint.pt', 'special/strided.pt',
    'special/bfloat16.pt', 'special/float64.pt', 'special/evil_os_system.pt', 'special/whole_module.pt', 'special/scripted.pt'].map(file);
  const sts = ['safetensors/lstm-L2-bi-emb.safetensors', 'safetensors/gru-L1-uni-dense.safetensors'].map(file);
  const onnxs = ['onnx/lstm-L2-bi-emb.onnx', 'onnx/gru-L1-uni-emb.onnx', 'onnx/rnn-L2-bi-dense.onnx', 'onnx/lstm-L2-bi-emb-last.onnx',
    'onnx/lstm-L2-uni-dense-state.onnx', 'onnx/lstm-L2-bi-timemajor.onnx', 'onnx/lstm-L2-bi-dense-packed.onnx'].map(file);
  const ours = interop.writeONNX(interop.readPyTorch(pts[1]), { summary: 'last' });
  onnxs.push(ours, interop.writeONNX(interop.readPyTorch(pts[1]), { lengths: true, stateInputs: 'optional' }));
  const pkls = [...pts.slice(0, 5), ...pts.slice(-2)].map((b) => { const z = readZip(b); return z.read(z.entries.find((e) => e.name.endsWith('data.pkl')).name); });
  const text = new Uint8Array(Buffer.from('the cat, which ate, was full. '.repeat(40)));
  const deflated = [text, Uint8Array.from({ length: 3000 }, (_, i) => (i * i) % 251)].flatMap((d) =>
    [1, 6, 9].map((level) => ({ z: new Uint8Array(zlib.deflateRawSync(d, { level })), size: d.length })));
  deflated.push({ z: new Uint8Array(zlib.deflateRawSync(text, { strategy: zlib.constants.Z_FIXED })), size: text.length });
  const zips = [pts[0], writeZip([['a.txt', text], ['b', new Uint8Array(10)]]), deflatedZip(zlib, [['x', text], ['y', deflated[3].z.subarray(0, 100)]])];
  const kerasSeeds = Object.entries(cases.keras).map(([name, k]) => ({ json: file(k.json), bin: file(k.bin), name }));
  const exportedKeras = interop.writeKeras(interop.readPyTorch(pts[0]));
  kerasSeeds.push({ json: exportedKeras.files['model.json'], bin: exportedKeras.files['weights.bin'], name: 'weights' });

  const drain = (r) => { for (const t of r.tensors.values()) t.data(); };
  const readers = {
    zip: { seeds: zips, inflates: true, run: (b) => { const z = readZip(b); for (const e of z.entries) z.read(e.name); } },
    inflate: { seeds: deflated.map((d) => d.z), inflates: true, run: (b, k) => inflateRaw(b, deflated[k % deflated.length].size) },
    pickle: { seeds: pkls, run: (b) => unpickle(b) },
    torch: { seeds: pts, inflates: true, run: (b) => drain(readTorchFile(b)) },
    pytorch: { seeds: [...pts, ...sts], inflates: true, run: (b) => interop.readPyTorch(b) },
    safetensors: { seeds: sts, run: (b) => drain(readSafetensors(b)) },
    onnx: { seeds: onnxs, run: (b) => interop.readONNX(b) },
    keras: {
      seeds: kerasSeeds.flatMap((s) => [s.json, s.bin]),
      json: (k) => k % 2 === 0,
      // mutate the model.json or the weights of one seed model; the other part stays valid
      run: (b, k) => {
        const s = kerasSeeds[Math.floor(k / 2) % kerasSeeds.length];
        const isJson = k % 2 === 0;
        return interop.readKeras({ 'model.json': isJson ? b : s.json, [`${s.name}.bin`]: isJson ? s.bin : b, 'weights.bin': isJson ? s.bin : b });
      },
    },
  };
  return { readers, LstmError };
}

// A zip with deflated entries (for seeds; our writer only stores).
function deflatedZip(zlib, entries) {
  const parts = [], central = [];
  let offset = 0;
  const crcOf = (d) => zlib.crc32 ? zlib.crc32(d) >>> 0 : crcSlow(d);
  for (const [name, data] of entries) {
    const z = new Uint8Array(zlib.deflateRawSync(data)), nameBytes = new TextEncoder().encode(name);
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true); h.setUint16(4, 20, true); h.setUint16(8, 8, true);
    h.setUint32(14, crcOf(data), true); h.setUint32(18, z.length, true); h.setUint32(22, data.length, true); h.setUint16(26, nameBytes.length, true);
    parts.push(new Uint8Array(h.buffer), nameBytes, z);
    central.push({ nameBytes, crc: crcOf(data), csize: z.length, size: data.length, offset });
    offset += 30 + nameBytes.length + z.length;
  }
  const cd = offset;
  for (const e of central) {
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true); c.setUint16(10, 8, true); c.setUint32(16, e.crc, true); c.setUint32(20, e.csize, true);
    c.setUint32(24, e.size, true); c.setUint16(28, e.nameBytes.length, true); c.setUint32(42, e.offset, true);
    parts.push(new Uint8Array(c.buffer), e.nameBytes);
    offset += 46 + e.nameBytes.length;
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true); end.setUint16(8, central.length, true); end.setUint16(10, central.length, true);
  end.setUint32(12, offset - cd, true); end.setUint32(16, cd, true);
  parts.push(new Uint8Array(end.buffer));
  return concat(...parts);
}

function crcSlow(d) {
  let c = 0xffffffff;
  for (const x of d) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
  return (c ^ 0xffffffff) >>> 0;
}

/** The input of iteration i: which reader, which seed, the mutated bytes (a pure function). */
function inputOf(readers, names, seed, i) {
  const rand = mulberry(mix(seed, i));
  const name = names[i % names.length];
  const r = readers[name];
  const k = Math.floor(rand() * r.seeds.length);
  if (r.json?.(k) && rand() < 0.5) {
    const j = mutateJson(r.seeds[k], rand);
    if (j) return { name, k, ...j };
  }
  const { bytes, log } = mutate(r.seeds[k], r.seeds, rand);
  return { name, k, bytes, log };
}

// ---- the worker: runs inputs, reports progress through a shared counter

async function workerMain() {
  const { seed, readerNames, iterations, deadline, slowMs, shared } = workerData;
  const progress = new Int32Array(shared);
  const { readers, LstmError } = await loadReaders();
  const names = readerNames.length ? readerNames : Object.keys(readers);
  for (const n of names) if (!readers[n]) throw new Error(`unknown reader ${n} (readers: ${Object.keys(readers).join(', ')})`);
  const stats = Object.fromEntries(names.map((n) => [n, { inputs: 0, accepted: 0, errors: {} }]));
  const findings = [];
  let maxMs = 0, maxAllocRatio = 0, maxHeap = 0;
  let i = 0;
  for (; i < iterations && Date.now() < deadline; i++) {
    Atomics.store(progress, 0, i);
    const { name, k, bytes, log } = inputOf(readers, names, seed, i);
    const r = readers[name];
    const s = stats[name];
    s.inputs++;
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    let verdict;
    try {
      r.run(bytes, k);
      s.accepted++;
    } catch (err) {
      if (err instanceof LstmError) s.errors[err.code] = (s.errors[err.code] ?? 0) + 1;
      else verdict = `${err?.name ?? typeof err}: ${err?.message ?? err}`.slice(0, 500);
    }
    const ms = performance.now() - t0;
    const alloc = process.memoryUsage().arrayBuffers - before;
    const bound = 4 * 2 ** 20 + (r.inflates ? 1100 : 64) * bytes.length;
    maxMs = Math.max(maxMs, ms);
    maxAllocRatio = Math.max(maxAllocRatio, alloc / Math.max(bytes.length, 1));
    if (!verdict && ms > slowMs) verdict = `slow: ${ms.toFixed(0)} ms`;
    if (!verdict && alloc > bound) verdict = `allocated ${alloc} bytes of ArrayBuffers for a ${bytes.length}-byte input (bound ${bound})`;
    if (verdict) {
      findings.push({ reader: name, iteration: i, seedIndex: k, mutations: log, verdict, size: bytes.length });
      parentPort.postMessage({ type: 'finding', finding: findings.at(-1), bytes });
    }
    if ((i & 1023) === 0) {
      const heap = process.memoryUsage().heapUsed;
      maxHeap = Math.max(maxHeap, heap);
      if (heap > 768 * 2 ** 20) {
        findings.push({ reader: name, iteration: i, verdict: `heap at ${heap} bytes` });
        break;
      }
    }
  }
  parentPort.postMessage({ type: 'done', iterations: i, stats, findings, maxMs, maxAllocRatio, maxHeap });
}

// ---- the main thread: a watchdog, findings to disk, the summary

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const shared = new SharedArrayBuffer(4);
  const progress = new Int32Array(shared);
  const started = Date.now();
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { seed: o.seed, readerNames: o.readers, iterations: o.iterations, deadline: started + o.seconds * 1000, slowMs: o.slowMs, shared },
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
  });
  const saved = [];
  const save = (f, bytes) => {
    mkdirSync(o.out, { recursive: true });
    const path = join(o.out, `${f.reader}-${f.iteration}.bin`);
    writeFileSync(path, bytes);
    writeFileSync(`${path}.json`, JSON.stringify({ ...f, seed: o.seed }, null, 1));
    saved.push(path);
  };
  const result = await new Promise((resolve) => {
    let last = -1, since = Date.now();
    const timer = setInterval(async () => {
      const i = Atomics.load(progress, 0);
      if (i !== last) { last = i; since = Date.now(); return; }
      if (Date.now() - since > o.hangMs) {
        clearInterval(timer);
        await worker.terminate();
        const { readers } = await loadReaders();
        const names = o.readers.length ? o.readers : Object.keys(readers);
        const input = inputOf(readers, names, o.seed, i);
        const f = { reader: input.name, iteration: i, seedIndex: input.k, mutations: input.log, verdict: `hang: no progress for ${o.hangMs} ms` };
        save(f, input.bytes);
        resolve({ iterations: i, stats: {}, findings: [f], hung: true });
      }
    }, 250);
    worker.on('message', (m) => {
      if (m.type === 'finding') save(m.finding, m.bytes);
      else if (m.type === 'done') { clearInterval(timer); resolve(m); }
    });
    worker.on('error', (err) => { clearInterval(timer); resolve({ iterations: Atomics.load(progress, 0), stats: {}, findings: [{ verdict: `worker died: ${err.stack ?? err}` }] }); });
  });
  const seconds = (Date.now() - started) / 1000;
  const summary = { seed: o.seed, seconds: Number(seconds.toFixed(1)), iterations: result.iterations, perReader: result.stats,
    maxMsPerInput: Number((result.maxMs ?? 0).toFixed(1)), maxAllocatedPerInputByte: Number((result.maxAllocRatio ?? 0).toFixed(1)),
    maxHeapMB: Math.round((result.maxHeap ?? 0) / 2 ** 20), findings: result.findings, saved };
  if (o.json) console.log(JSON.stringify(summary));
  else {
    console.log(`fuzz-readers: ${summary.iterations} inputs in ${summary.seconds} s (seed ${o.seed}); slowest ${summary.maxMsPerInput} ms; ` +
      `at most ${summary.maxAllocatedPerInputByte} ArrayBuffer bytes per input byte; heap ≤ ${summary.maxHeapMB} MB`);
    for (const [n, s] of Object.entries(summary.perReader)) {
      console.log(`  ${n.padEnd(12)} ${String(s.inputs).padStart(8)} inputs: ${s.accepted} accepted, ${Object.entries(s.errors).map(([c, k]) => `${k} LstmError '${c}'`).join(', ') || 'no errors'}`);
    }
    for (const f of summary.findings) console.log(`  FINDING ${f.reader} #${f.iteration}: ${f.verdict} (${(f.mutations ?? []).join(' ')})`);
    if (saved.length) console.log(`  inputs saved: ${saved.join(', ')}`);
  }
  process.exit(summary.findings.length ? 1 : 0);
}

if (isMainThread) await main();
else await workerMain();
