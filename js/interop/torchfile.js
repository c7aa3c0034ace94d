// torchfile.js — the file torch.save(obj, 'm.pt') writes (PyTorch ≥ 1.6), read into named
// tensors, and written from them.
//
// The file is a zip archive (zip.js) whose entries all sit under one top-level folder (the archive
// name; 'archive' in recent PyTorch, the file's stem in older ones):
//   <name>/data.pkl      the pickled object (pickle.js), here a state_dict: an OrderedDict of
//                        name → torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)
//   <name>/data/<key>    one record per storage: its raw elements, little-endian (or as
//                        <name>/byteorder says), numel × element size bytes
//   <name>/version       the container format version ("3\n")
//   <name>/byteorder     'little' or 'big' (PyTorch ≥ 2.1; absent means little)
// A tensor is a strided view of its storage: element (i0, i1, …) is storage[offset + Σ ik·stride_k].
// So a transposed view saved as is (stride (1, n)) or a slice of a bigger storage is read right.
// Checkpoints that nest state_dicts (`{'model': sd, 'epoch': 3}`) are flattened with '.' between
// keys ('model.rnn.weight_ih_l0'); numbers and strings beside them are kept as `others`.
// A whole module (torch.save(model)) is read as its state_dict: pickle.js gives it as an inert
// object whose state is the module's __dict__; its tensors are, as Module.state_dict() orders
// them, its _parameters, its _buffers (but the non-persistent ones), then each of its _modules
// under '<name>.'. A TorchScript module (torch.jit.save: the same archive, plus code/ and
// constants.pkl, which are not read) pickles __torch__.* objects whose state holds the
// parameters and buffers as attributes beside the submodules: tensors first, then submodules.
//
// Element types: float32 as is; float16 and bfloat16 widened exactly; float64 rounded to the
// nearest float32 (reported in `converted`); integer and bool tensors are readable (inspect) but
// no mapping uses them. A tensor may not have more elements than its storage (an expanded
// view, stride 0, would make us allocate more than the file holds: save `t.contiguous()`).
//
// The legacy format (torch < 1.6, or _use_new_zipfile_serialization=False: pickles one after the
// other, no zip) is refused with that explanation.

import { formatError, readF32LE, halfToFloat, bfloat16ToFloat, decodeUtf8, encodeUtf8, f32ToBytes } from './bytes.js';
import { readZip, writeZip, looksLikeZip } from './zip.js';
import { unpickle, pickleStateDict, describeValue } from './pickle.js';

const MAX_DEPTH = 32;
const FLOAT_TYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/**
 * Reads a torch.save file. Returns `{ tensors: Map<name, {dtype, shape, data(): Float32Array}>,
 * others: [{name, value}], converted: [names rounded from float64], archive }`. `data()`
 * materialises the tensor as a contiguous row-major Float32Array (a new array each call);
 * integer/bool tensors give their values as float32 too (only for inspection).
 */
export function readTorchFile(bytes, what = 'PyTorch file') {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
      throw formatError(what, 'a legacy torch.save file (PyTorch < 1.6 or _use_new_zipfile_serialization=False): ' +
        'load it in PyTorch and save it again with a current version');
    }
    throw formatError(what, 'not a PyTorch file (torch.save writes a zip archive starting with "PK")');
  }
  const zip = readZip(bytes, { what });
  const pkl = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkl.length !== 1) {
    throw formatError(what, `expected one <archive>/data.pkl, found ${pkl.length} (entries: ${zip.entries.slice(0, 10).map((e) => e.name).join(', ')})`);
  }
  const archive = pkl[0].name.slice(0, -'/data.pkl'.length);
  let littleEndian = true;
  if (zip.has(`${archive}/byteorder`)) {
    const order = decodeUtf8(zip.read(`${archive}/byteorder`), `${what}: byteorder`).trim();
    if (order !== 'little' && order !== 'big') throw formatError(what, `byteorder record says '${order}', expected 'little' or 'big'`);
    littleEndian = order === 'little';
  }
  const root = unpickle(zip.read(pkl[0].name), `${what}: ${pkl[0].name}`);

  const found = [];
  const others = [];
  flatten(root, '', 0, new Set(), found, others, what);
  if (!found.length && !(root && root.type === 'dict')) {
    throw formatError(what, `the pickled object is ${describeValue(root)}, not a state_dict (a dict of tensors) or a module`);
  }

  const storages = new Map();
  const tensors = new Map();
  const converted = [];
  for (const { name, tensor } of found) {
    const s = tensor.storage;
    const label = `${what}: tensor '${name}'`;
    if (!storages.has(s.key)) {
      const record = `${archive}/data/${s.key}`;
      if (!zip.has(record)) throw formatError(label, `its storage record ${record} is missing`);
      const entry = zip.entries.find((e) => e.name === record);
      if (entry.size < s.numel * s.itemSize) {
        throw formatError(label, `storage ${record} holds ${entry.size} bytes, the pickle declares ${s.numel} × ${s.itemSize}`);
      }
      storages.set(s.key, { record, dtype: s.dtype, numel: s.numel, bytes: null });
    }
    const st = storages.get(s.key);
    if (st.dtype !== s.dtype) throw formatError(label, `storage ${s.key} is used as ${st.dtype} and ${s.dtype}`);
    const numel = checkView(tensor, st.numel, label);
    if (s.dtype === 'float64') converted.push(name);
    tensors.set(name, {
      dtype: s.dtype,
      shape: tensor.shape.slice(),
      float: FLOAT_TYPES.has(s.dtype),
      data: () => {
        if (!st.bytes) st.bytes = zip.read(st.record);
        return gather(st.bytes, s.dtype, s.itemSize, littleEndian, tensor, numel);
      },
    });
  }
  return { tensors, others, converted, archive };
}

// Walks dicts, lists and modules down to tensors; names joined with '.'. Cycles (a dict memoised
// into itself) and deep nesting are refused rather than followed.
function flatten(v, prefix, depth, seen, found, others, what) {
  if (v && typeof v === 'object' && v.type === 'tensor') { found.push({ name: prefix, tensor: v }); return; }
  const entries = moduleEntries(v);
  if (entries) {
    if (depth > MAX_DEPTH) throw formatError(what, `modules nested deeper than ${MAX_DEPTH} at '${prefix}'`);
    if (seen.has(v)) throw formatError(what, `'${prefix}' contains itself`);
    seen.add(v);
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, depth + 1, seen, found, others, what);
    seen.delete(v);
    return;
  }
  if (v && typeof v === 'object' && (v.type === 'dict' || v.type === 'list' || v.type === 'tuple')) {
    if (depth > MAX_DEPTH) throw formatError(what, `objects nested deeper than ${MAX_DEPTH} at '${prefix}'`);
    if (seen.has(v)) throw formatError(what, `'${prefix}' contains itself`);
    seen.add(v);
    const items = v.type === 'dict' ? v.map.entries() : v.items.entries();
    for (const [k, x] of items) flatten(x, prefix ? `${prefix}.${String(k)}` : String(k), depth + 1, seen, found, others, what);
    seen.delete(v);
    return;
  }
  others.push({ name: prefix, value: describeValue(v) });
}

// The [name, value] pairs of a module object's state_dict level (its tensors, then its submodules),
// or null for anything that is not a module.
function moduleEntries(v) {
  if (!(v && typeof v === 'object' && v.type === 'object' && v.state && v.state.type === 'dict')) return null;
  const st = v.state.map, dict = (k) => (st.get(k)?.type === 'dict' ? st.get(k).map : null);
  const isTensor = (x) => x && typeof x === 'object' && x.type === 'tensor';
  const isObject = (x) => x && typeof x === 'object' && x.type === 'object';
  if (dict('_parameters') || dict('_modules')) { // torch.nn.Module.__dict__
    const skip = new Set(st.get('_non_persistent_buffers_set')?.items ?? []);
    const out = [];
    for (const [k, x] of dict('_parameters') ?? []) if (x !== null) out.push([String(k), x]);
    for (const [k, x] of dict('_buffers') ?? []) if (x !== null && !skip.has(k)) out.push([String(k), x]);
    for (const [k, x] of dict('_modules') ?? []) if (x !== null) out.push([String(k), x]);
    return out;
  }
  if (v.cls.startsWith('__torch__.')) { // a TorchScript object: attributes
    const all = [...st].filter(([k]) => typeof k === 'string');
    return [...all.filter(([, x]) => isTensor(x)), ...all.filter(([, x]) => isObject(x))];
  }
  return null;
}

// Checks that the strided view lies inside its storage; returns its element count.
function checkView(t, storageNumel, label) {
  let numel = 1, last = t.offset;
  if (t.offset < 0) throw formatError(label, `negative storage offset ${t.offset}`);
  for (let k = 0; k < t.shape.length; k++) {
    if (t.shape[k] < 0 || t.stride[k] < 0) throw formatError(label, `size ${t.shape} / stride ${t.stride}: negative values`);
    numel *= t.shape[k];
    last += (t.shape[k] - 1) * t.stride[k];
  }
  if (numel === 0) return 0;
  if (numel > storageNumel) {
    throw formatError(label, `has ${numel} elements but its storage only ${storageNumel} (an expanded view with stride 0?): save tensor.contiguous()`);
  }
  if (last >= storageNumel) {
    throw formatError(label, `view (offset ${t.offset}, size [${t.shape}], stride [${t.stride}]) reaches element ${last}, its storage has ${storageNumel}`);
  }
  return numel;
}

// The view's elements in row-major order, as float32.
function gather(bytes, dtype, itemSize, le, t, numel) {
  const out = new Float32Array(numel);
  if (numel === 0) return out;
  const contiguous = t.shape.every((_, k) => t.shape[k] === 1 ||
    t.stride[k] === t.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  if (contiguous && dtype === 'float32' && le) {
    return readF32LE(bytes.subarray(t.offset * 4), numel, 'tensor');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = elementReader(view, dtype, le);
  const rank = t.shape.length;
  const index = new Array(rank).fill(0);
  let src = t.offset;
  for (let k = 0; k < numel; k++) {
    out[k] = read(src * itemSize);
    for (let d = rank - 1; d >= 0; d--) { // odometer over the dimensions
      index[d]++;
      src += t.stride[d];
      if (index[d] < t.shape[d]) break;
      src -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

function elementReader(v, dtype, le) {
  switch (dtype) {
    case 'float32': return (at) => v.getFloat32(at, le);
    case 'float64': return (at) => v.getFloat64(at, le);
    case 'float16': return (at) => halfToFloat(v.getUint16(at, le));
    case 'bfloat16': return (at) => bfloat16ToFloat(v.getUint16(at, le));
    case 'int64': return (at) => Number(v.getBigInt64(at, le));
    case 'int32': return (at) => v.getInt32(at, le);
    case 'int16': return (at) => v.getInt16(at, le);
    case 'int8': return (at) => v.getInt8(at);
    default: return (at) => v.getUint8(at); // uint8, bool
  }
}

/**
 * A torch.save(state_dict) file of float32 tensors: `tensors` is [[name, {shape, data}]] in
 * order. torch.load gives an OrderedDict of contiguous float32 CPU tensors.
 */
export function writeTorchFile(tensors, archive = 'archive') {
  const specs = tensors.map(([name, t], k) => ({ name, key: String(k), shape: t.shape }));
  const files = [[`${archive}/data.pkl`, pickleStateDict(specs)], [`${archive}/byteorder`, encodeUtf8('little')]];
  tensors.forEach(([, t], k) => files.push([`${archive}/data/${k}`, f32ToBytes(t.data)]));
  files.push([`${archive}/version`, encodeUtf8('3\n')]);
  return writeZip(files);
}
