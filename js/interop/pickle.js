// pickle.js — a restricted unpickler for PyTorch state_dicts, and a pickler that writes one.
//
// A pickle is a program for a stack machine: each opcode (one byte, then its arguments) pushes,
// pops or combines values; STOP returns the top of the stack. Opcodes with side effects in Python
// are GLOBAL/STACK_GLOBAL (import any module attribute), REDUCE (call it with a tuple), BUILD
// (call __setstate__ or update __dict__), INST/OBJ/NEWOBJ/NEWOBJ_EX (construct any class),
// EXT1/2/4 (the copyreg registry), PERSID/BINPERSID (the loader's persistent_load hook). This
// reader executes nothing: it builds plain JS values, and it accepts what a state_dict of tensors
// uses — checkpoints that nest state_dicts in dicts and lists of numbers and strings too — and what
// a whole module pickles (torch.save(model), torch.jit.save of a scripted one):
//   globals   the callables below; the storage types torch.FloatStorage, DoubleStorage,
//             HalfStorage, BFloat16Storage, LongStorage, IntStorage, ShortStorage, CharStorage,
//             ByteStorage, BoolStorage (as the type field of a persistent id only); and classes —
//             a name whose last part starts with a capital (__main__.Net,
//             torch.nn.modules.rnn.LSTM, __torch__.Net): an inert {type:'class', name}, nothing
//             is imported. Any other global (os.system, builtins.eval, posix.system, …) is refused
//   REDUCE    only of collections.OrderedDict, torch._utils._rebuild_tensor_v2 /
//             _rebuild_parameter / _rebuild_parameter_with_state, builtins.set and TorchScript's
//             torch.jit._pickle.restore_type_tag / build_tensorlist / build_intlist /
//             build_doublelist / build_boollist, which we interpret (a tensor descriptor, an
//             ordered dict, a set or list, the value itself); a call of a class is refused
//   NEWOBJ    (NEWOBJ_EX) only of a class: an inert {type:'object', cls, state} — no __new__,
//             no __init__ runs
//   BUILD     on such an object (its state: a module's __dict__ or a TorchScript object's
//             attributes) or on an OrderedDict with a dict (state_dict()._metadata, the modules'
//             version numbers); recorded, not applied
//   BINPERSID only ('storage', <storage type>, key, location, numel): torch.save's storages
// and the data opcodes of protocols 2–5 (ints, floats, strings, bytes, tuples, lists, dicts, sets,
// the memo, MARK, FRAME). Anything else — a global that is neither (os.system, builtins.eval,
// builtins.getattr, posix.system, …), REDUCE of anything not above (subprocess.Popen is a class:
// named, never called), INST, OBJ, EXT, the text-mode opcodes of protocol 0 — is LstmError 'format'
// naming the opcode, its offset and the global. Memory: every opcode creates O(1) values or moves
// existing ones, the memo is a Map keyed by what the file says, strings are at most the file:
// nothing grows beyond the input.
//
// Values: None → null, bool, int → number (BigInt beyond 2^53), float → number, str → string,
// bytes → Uint8Array, tuple → {type:'tuple', items}, list → {type:'list', items},
// set → {type:'set', items}, dict / OrderedDict → {type:'dict', ordered, map: Map} (keys: str, int,
// bool, None), storage → {type:'storage', dtype, key, location, numel},
// tensor → {type:'tensor', storage, offset, shape, stride}, a class → {type:'class', name}, an
// object of one → {type:'object', cls, state}.
//
// The writer (pickleStateDict) produces what torch.save(state_dict) does at protocol 2: an
// OrderedDict of _rebuild_tensor_v2(storage, 0, shape, contiguous stride, False, OrderedDict()),
// each storage a persistent id ('storage', torch.FloatStorage, key, 'cpu', numel).

import { formatError, Cursor, Writer, decodeUtf8, encodeUtf8 } from './bytes.js';

/** Storage type → {dtype, bytes per element}. */
export const STORAGE_TYPES = {
  'torch.FloatStorage': { dtype: 'float32', size: 4 },
  'torch.DoubleStorage': { dtype: 'float64', size: 8 },
  'torch.HalfStorage': { dtype: 'float16', size: 2 },
  'torch.BFloat16Storage': { dtype: 'bfloat16', size: 2 },
  'torch.LongStorage': { dtype: 'int64', size: 8 },
  'torch.IntStorage': { dtype: 'int32', size: 4 },
  'torch.ShortStorage': { dtype: 'int16', size: 2 },
  'torch.CharStorage': { dtype: 'int8', size: 1 },
  'torch.ByteStorage': { dtype: 'uint8', size: 1 },
  'torch.BoolStorage': { dtype: 'bool', size: 1 },
};

// TorchScript's list builders and type tags: each returns (the list in) its first argument
const PASS_THROUGH = new Set(['torch.jit._pickle.restore_type_tag', 'torch.jit._pickle.build_tensorlist',
  'torch.jit._pickle.build_intlist', 'torch.jit._pickle.build_doublelist', 'torch.jit._pickle.build_boollist']);
const CALLABLES = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state', 'builtins.set', '__builtin__.set',
  ...PASS_THROUGH]);
const ALLOWED_GLOBALS = new Set([...CALLABLES, ...Object.keys(STORAGE_TYPES)]);
// A class by Python's naming: its last part starts with a capital (Net, LSTM, Linear, Popen)
const CLASS_NAME = /^[A-Za-z_][\w.]*\.[A-Z]\w*$/;

// Opcode byte → name, for messages (all of protocol 0–5, allowed or not).
const NAMES = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1',
  0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4',
  0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const tuple = (items) => ({ type: 'tuple', items });
const isTuple = (v) => v !== null && typeof v === 'object' && v.type === 'tuple';
const isGlobal = (v) => v !== null && typeof v === 'object' && v.type === 'global';
const isDict = (v) => v !== null && typeof v === 'object' && v.type === 'dict';

/** A short description of a pickle value for messages. */
export function describeValue(v) {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `str '${v.length > 30 ? v.slice(0, 30) + '…' : v}'`;
  if (typeof v === 'number' || typeof v === 'bigint') return `${Number.isInteger(Number(v)) ? 'int' : 'float'} ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v.type === 'global') return `global ${v.name}`;
  if (v.type === 'class') return `class ${v.name}`;
  if (v.type === 'object') return `object of ${v.cls}`;
  if (v.type === 'tensor') return `tensor(${v.shape.join('×')})`;
  if (v.type === 'dict') return `${v.ordered ? 'OrderedDict' : 'dict'}(${v.map.size})`;
  if (v.items) return `${v.type}(${v.items.length})`;
  return v.type;
}

/**
 * Unpickles `bytes` (Uint8Array) under the rules above; returns the root value. `what` names the
 * pickle in errors (e.g. "model.pt: archive/data.pkl").
 */
export function unpickle(bytes, what = 'pickle') {
  const c = new Cursor(bytes, what);
  const stack = [];
  const marks = [];
  const memo = new Map();
  let at = 0;

  const fail = (op, message) => formatError(what, `opcode ${NAMES[op] ?? `0x${op.toString(16)}`} at offset ${at}: ${message}`);
  const pop = (op) => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw fail(op, 'stack underflow');
    return stack.pop();
  };
  const popMark = (op) => {
    if (!marks.length) throw fail(op, 'no MARK to pop to');
    const m = marks.pop();
    return stack.splice(m);
  };
  const top = (op) => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw fail(op, 'stack underflow');
    return stack[stack.length - 1];
  };
  const string = (n, field) => decodeUtf8(c.take(n, field), `${what}: string at offset ${c.pos}`);
  const checkGlobal = (op, module, name) => {
    const full = `${module}.${name}`;
    if (ALLOWED_GLOBALS.has(full)) return { type: 'global', name: full };
    if (CLASS_NAME.test(full)) return { type: 'class', name: full };
    throw fail(op, `global '${full}' is not one a PyTorch file uses (a state_dict, a module, a TorchScript module); ` +
      `refused, nothing was executed (allowed: ${[...ALLOWED_GLOBALS].join(', ')}, and classes)`);
  };
  const setItem = (op, dict, key, value) => {
    if (!isDict(dict)) throw fail(op, `SETITEM on ${describeValue(dict)}, not a dict`);
    if (!(key === null || typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint')) {
      throw fail(op, `dict key ${describeValue(key)}: only str, int, bool and None keys are supported`);
    }
    dict.map.set(key, value);
  };
  const appendTo = (op, list, items) => {
    if (list === null || typeof list !== 'object' || (list.type !== 'list' && list.type !== 'set')) {
      throw fail(op, `append to ${describeValue(list)}, not a list or set`);
    }
    for (const v of items) list.items.push(v);
  };
  const int = (v, op, field) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw fail(op, `${field}: expected an int, got ${describeValue(v)}`);
    return v;
  };

  for (;;) {
    at = c.pos;
    const op = c.u8('opcode (the pickle ends without STOP)');
    switch (op) {
      case 0x80: { const p = c.u8('protocol'); if (p > 5) throw fail(op, `protocol ${p} (this reader knows 2 to 5)`); break; }
      case 0x95: c.u64('frame length'); break; // FRAME: a hint for buffered readers
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) throw fail(op, `${stack.length} values on the stack and ${marks.length} marks at STOP (expected one value)`);
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break;
      case 0x30: pop(op); break;
      case 0x31: popMark(op); break;
      case 0x32: stack.push(top(op)); break;
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: stack.push(c.i32('BININT')); break;
      case 0x4b: stack.push(c.u8('BININT1')); break;
      case 0x4d: stack.push(c.u16('BININT2')); break;
      case 0x8a: case 0x8b: { // LONG1 / LONG4: little-endian two's complement of n bytes
        const n = op === 0x8a ? c.u8('LONG1 length') : c.u32('LONG4 length');
        if (n > 64) throw fail(op, `a ${n}-byte integer (at most 64 bytes supported)`);
        const b = c.take(n, 'LONG bytes');
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
        if (n && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(c.f64be('BINFLOAT')); break;
      case 0x58: stack.push(string(c.u32('BINUNICODE length'), 'BINUNICODE')); break;
      case 0x8c: stack.push(string(c.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE')); break;
      case 0x8d: stack.push(string(c.u64('BINUNICODE8 length'), 'BINUNICODE8')); break;
      case 0x54: case 0x55: { // BINSTRING / SHORT_BINSTRING: Python 2 str, read as Latin-1
        const n = op === 0x54 ? c.i32('BINSTRING length') : c.u8('SHORT_BINSTRING length');
        if (n < 0) throw fail(op, `negative length ${n}`);
        const b = c.take(n, 'BINSTRING');
        let str = '';
        for (let k = 0; k < b.length; k += 4096) str += String.fromCharCode.apply(null, b.subarray(k, k + 4096));
        stack.push(str);
        break;
      }
      case 0x42: stack.push(c.take(c.u32('BINBYTES length'), 'BINBYTES').slice()); break;
      case 0x43: stack.push(c.take(c.u8('SHORT_BINBYTES length'), 'SHORT_BINBYTES').slice()); break;
      case 0x8e: case 0x96: stack.push(c.take(c.u64('BINBYTES8 length'), 'BINBYTES8').slice()); break;
      case 0x29: stack.push(tuple([])); break;
      case 0x74: stack.push(tuple(popMark(op))); break;
      case 0x85: { const a = pop(op); stack.push(tuple([a])); break; }
      case 0x86: { const b = pop(op), a = pop(op); stack.push(tuple([a, b])); break; }
      case 0x87: { const z = pop(op), b = pop(op), a = pop(op); stack.push(tuple([a, b, z])); break; }
      case 0x5d: stack.push({ type: 'list', items: [] }); break;
      case 0x6c: stack.push({ type: 'list', items: popMark(op) }); break;
      case 0x61: { const v = pop(op); appendTo(op, top(op), [v]); break; }
      case 0x65: { const items = popMark(op); appendTo(op, top(op), items); break; }
      case 0x8f: stack.push({ type: 'set', items: [] }); break;
      case 0x90: { const items = popMark(op); appendTo(op, top(op), items); break; }
      case 0x91: stack.push({ type: 'set', items: popMark(op) }); break;
      case 0x7d: stack.push({ type: 'dict', ordered: false, map: new Map() }); break;
      case 0x64: {
        const items = popMark(op);
        if (items.length % 2) throw fail(op, 'odd number of items for a dict');
        const d = { type: 'dict', ordered: false, map: new Map() };
        for (let k = 0; k < items.length; k += 2) setItem(op, d, items[k], items[k + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { const v = pop(op), k = pop(op); setItem(op, top(op), k, v); break; }
      case 0x75: {
        const items = popMark(op);
        if (items.length % 2) throw fail(op, 'odd number of items for SETITEMS');
        const d = top(op);
        for (let k = 0; k < items.length; k += 2) setItem(op, d, items[k], items[k + 1]);
        break;
      }
      case 0x71: memo.set(c.u8('BINPUT index'), top(op)); break;
      case 0x72: memo.set(c.u32('LONG_BINPUT index'), top(op)); break;
      case 0x94: memo.set(memo.size, top(op)); break;
      case 0x68: case 0x6a: {
        const k = op === 0x68 ? c.u8('BINGET index') : c.u32('LONG_BINGET index');
        if (!memo.has(k)) throw fail(op, `memo index ${k} was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { // GLOBAL module\nname\n
        const module = line(c, op, fail), name = line(c, op, fail);
        stack.push(checkGlobal(op, module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(op), module = pop(op);
        if (typeof name !== 'string' || typeof module !== 'string') throw fail(op, 'module and name must be strings');
        stack.push(checkGlobal(op, module, name));
        break;
      }
      case 0x51: stack.push(persistentStorage(pop(op), (m) => fail(op, m))); break;
      case 0x52: { // REDUCE callable args
        const args = pop(op), fn = pop(op);
        if (!isGlobal(fn) || !CALLABLES.has(fn.name)) {
          const called = fn !== null && typeof fn === 'object' && fn.type === 'class' ? `global '${fn.name}'` : describeValue(fn);
          throw fail(op, `calls ${called}: only ${[...CALLABLES].join(', ')} may be called; refused, nothing was executed`);
        }
        if (!isTuple(args)) throw fail(op, `arguments of ${fn.name} are ${describeValue(args)}, not a tuple`);
        stack.push(reduce(fn.name, args.items, (m) => fail(op, `${fn.name}: ${m}`), int, op));
        break;
      }
      case 0x81: case 0x92: { // NEWOBJ cls args / NEWOBJ_EX cls args kwargs: an inert object of a class
        const kwargs = op === 0x92 ? pop(op) : null, args = pop(op), cls = pop(op);
        if (!(cls !== null && typeof cls === 'object' && cls.type === 'class')) {
          throw fail(op, `of ${describeValue(cls)}: only a class the pickle names may be constructed (inert; nothing runs); refused`);
        }
        if (!isTuple(args) || (kwargs !== null && !isDict(kwargs))) throw fail(op, `arguments ${describeValue(args)}: expected a tuple`);
        stack.push({ type: 'object', cls: cls.name, state: null }); // its arguments say nothing we read
        break;
      }
      case 0x62: { // BUILD: an object's state, or state_dict._metadata (an OrderedDict given a dict of attributes)
        const state = pop(op), obj = top(op);
        if (obj !== null && typeof obj === 'object' && obj.type === 'object') {
          obj.state = state;
          break;
        }
        if (!(isDict(obj) && obj.ordered && isDict(state))) {
          throw fail(op, `BUILD of ${describeValue(obj)} with ${describeValue(state)}: only an object's state or an OrderedDict's attribute dict (state_dict._metadata) is accepted; refused`);
        }
        obj.attributes = state;
        break;
      }
      default:
        throw fail(op, NAMES[op]
          ? 'not an opcode a state_dict uses (it constructs objects, runs code or is protocol-0 text); refused, nothing was executed'
          : 'unknown opcode');
    }
  }
}

function line(c, op, fail) {
  const start = c.pos;
  const nl = c.bytes.indexOf(0x0a, start);
  if (nl < 0 || nl >= c.end || nl - start > 256) throw fail(op, 'GLOBAL name not terminated by a newline within 256 bytes');
  c.pos = nl + 1;
  return decodeUtf8(c.bytes.subarray(start, nl), 'GLOBAL name');
}

// ('storage', <storage type global>, key, location, numel)
function persistentStorage(pid, fail) {
  if (!isTuple(pid) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    throw fail(`persistent id ${describeValue(pid)}: expected ('storage', type, key, location, numel) as torch.save writes`);
  }
  const [, type, key, location, numel] = pid.items;
  if (!isGlobal(type) || !STORAGE_TYPES[type.name]) throw fail(`storage type ${describeValue(type)} is not a torch storage type`);
  if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) throw fail(`storage key ${describeValue(key)}: expected a short name`);
  if (typeof location !== 'string') throw fail(`storage location ${describeValue(location)}: expected a string like 'cpu'`);
  if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) throw fail(`storage size ${describeValue(numel)}: expected an int ≥ 0`);
  return { type: 'storage', dtype: STORAGE_TYPES[type.name].dtype, itemSize: STORAGE_TYPES[type.name].size, key, location, numel };
}

function reduce(name, args, fail, int, op) {
  const ints = (v, field) => {
    if (!isTuple(v)) throw fail(`${field}: expected a tuple of ints, got ${describeValue(v)}`);
    if (v.items.length > 8) throw fail(`${field}: ${v.items.length} dimensions (at most 8)`);
    return v.items.map((x) => int(x, op, field));
  };
  switch (name) {
    case 'collections.OrderedDict': {
      const d = { type: 'dict', ordered: true, map: new Map() };
      if (args.length === 0) return d;
      if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && args[0].type === 'list') {
        for (const pair of args[0].items) {
          if (!isTuple(pair) || pair.items.length !== 2 || typeof pair.items[0] !== 'string') throw fail('expected a list of (str, value) pairs');
          d.map.set(pair.items[0], pair.items[1]);
        }
        return d;
      }
      throw fail(`unexpected arguments (${args.map(describeValue).join(', ')})`);
    }
    case 'torch._utils._rebuild_tensor_v2': {
      if (args.length < 4 || args.length > 7) throw fail(`expected (storage, offset, size, stride, requires_grad, hooks[, metadata]), got ${args.length} arguments`);
      const [storage, offset] = args;
      if (!storage || storage.type !== 'storage') throw fail(`first argument ${describeValue(storage)} is not a storage`);
      const shape = ints(args[2], 'size'), stride = ints(args[3], 'stride');
      if (shape.length !== stride.length) throw fail(`size has ${shape.length} dimensions, stride ${stride.length}`);
      return { type: 'tensor', storage, offset: int(offset, op, 'storage offset'), shape, stride };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      if (args.length < 1) throw fail('expected (tensor, requires_grad, hooks), got no arguments');
      const t = args[0];
      if (!t || t.type !== 'tensor') throw fail(`first argument ${describeValue(t)} is not a tensor`);
      return t;
    }
    case 'builtins.set':
    case '__builtin__.set': {
      if (args.length === 0) return { type: 'set', items: [] };
      const l = args[0];
      if (args.length !== 1 || l === null || typeof l !== 'object' || l.type !== 'list') throw fail(`expected (list,), got (${args.map(describeValue).join(', ')})`);
      return { type: 'set', items: l.items }; // shared, not copied: no opcode may grow memory beyond the input
    }
    default:
      if (PASS_THROUGH.has(name)) {
        if (args.length < 1) throw fail('expected a value');
        return args[0];
      }
      throw fail('not callable');
  }
}

// ---- writer

const OP = { PROTO: 0x80, GLOBAL: 0x63, BINPUT: 0x71, BINGET: 0x68, LONG_BINPUT: 0x72, LONG_BINGET: 0x6a,
  EMPTY_TUPLE: 0x29, REDUCE: 0x52, MARK: 0x28, BINUNICODE: 0x58, TUPLE: 0x74, TUPLE1: 0x85,
  TUPLE2: 0x86, TUPLE3: 0x87, BINPERSID: 0x51, BININT1: 0x4b, BININT2: 0x4d, BININT: 0x4a,
  NEWFALSE: 0x89, SETITEMS: 0x75, STOP: 0x2e };

class Pickler {
  constructor() { this.w = new Writer(4096); this.memo = new Map(); this.next = 0; }
  op(o) { this.w.u8(o); }
  put() {
    const k = this.next++;
    if (k < 256) { this.op(OP.BINPUT); this.w.u8(k); } else { this.op(OP.LONG_BINPUT); this.w.u32(k); }
    return k;
  }
  get(k) {
    if (k < 256) { this.op(OP.BINGET); this.w.u8(k); } else { this.op(OP.LONG_BINGET); this.w.u32(k); }
  }
  // Globals and repeated strings are written once and fetched from the memo after, as pickle does.
  memoized(key, write) {
    if (this.memo.has(key)) return this.get(this.memo.get(key));
    write();
    this.memo.set(key, this.put());
  }
  global(module, name) {
    this.memoized(`global:${module}.${name}`, () => { this.op(OP.GLOBAL); this.w.bytes(encodeUtf8(`${module}\n${name}\n`)); });
  }
  str(s, memoize = true) {
    const write = () => { const b = encodeUtf8(s); this.op(OP.BINUNICODE); this.w.u32(b.length); this.w.bytes(b); };
    if (memoize) this.memoized(`str:${s}`, write); else { write(); this.put(); }
  }
  int(v) {
    if (v >= 0 && v < 256) { this.op(OP.BININT1); this.w.u8(v); }
    else if (v >= 0 && v < 65536) { this.op(OP.BININT2); this.w.u16(v); }
    else if (v >= -(2 ** 31) && v < 2 ** 31) { this.op(OP.BININT); this.w.i32(v); }
    else throw formatError('pickle writer', `integer ${v} out of the 32-bit range`);
  }
  tuple(items) {
    const n = items.length;
    if (n === 0) { this.op(OP.EMPTY_TUPLE); return; }
    if (n > 3) this.op(OP.MARK);
    for (const v of items) this.int(v);
    this.op(n === 1 ? OP.TUPLE1 : n === 2 ? OP.TUPLE2 : n === 3 ? OP.TUPLE3 : OP.TUPLE);
    this.put();
  }
  orderedDict() { this.global('collections', 'OrderedDict'); this.op(OP.EMPTY_TUPLE); this.op(OP.REDUCE); this.put(); }
}

/**
 * The data.pkl of torch.save(state_dict): `tensors` is [{name, key, shape}] in order, each a
 * contiguous float32 tensor stored whole in the storage record data/<key>.
 */
export function pickleStateDict(tensors) {
  const p = new Pickler();
  p.op(OP.PROTO); p.w.u8(2);
  p.orderedDict();
  p.op(OP.MARK);
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const stride = t.shape.map((_, k) => t.shape.slice(k + 1).reduce((a, b) => a * b, 1));
    p.str(t.name, false);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(OP.MARK);
    p.op(OP.MARK); // the persistent id tuple
    p.str('storage');
    p.global('torch', 'FloatStorage');
    p.str(t.key, false);
    p.str('cpu');
    p.int(numel);
    p.op(OP.TUPLE); p.put();
    p.op(OP.BINPERSID); p.put();
    p.int(0);
    p.tuple(t.shape);
    p.tuple(stride);
    p.op(OP.NEWFALSE);
    p.orderedDict();
    p.op(OP.TUPLE); p.put();
    p.op(OP.REDUCE); p.put();
  }
  p.op(OP.SETITEMS);
  p.op(OP.STOP);
  return p.w.result();
}
