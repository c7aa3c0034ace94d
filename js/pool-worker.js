// pool-worker.js — one worker of the thread pool (pool.js): a replica of the network in its own
// WebAssembly instance that computes the gradient, outputs or loss of its share of a batch. It
// waits on the control words (Atomics.wait), reads its share from its io buffer, runs one C call,
// writes the results back and adds 1 to DONE. It holds parameters only: no optimizer moments, no
// carried state (the main thread gives each share its starting state and takes the final one).

import { Wasm, S_STRUCT, S_OUT, S_F64 } from './wasm.js';
import { instantiate, nodeModule } from './loader.js';
import { CMD, CTRL, H } from './pool.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
// No top-level await (bundlers build workers as classic scripts, where it is a syntax error): in
// Node the port comes a moment later, and its messages wait for the listener.
let port = isNode ? null : globalThis;
const post = (m) => port.postMessage(m);
const listen = (fn) => {
  if (!isNode) port.addEventListener('message', (e) => fn(e.data));
  else nodeModule('worker_threads').then(({ parentPort }) => { port = parentPort; port.on('message', fn); });
};

let w = null, m = 0, ctrl = null, params = null, io = null, seen = 0, version = -1;
const tc = new Int32Array(9);

listen(async (msg) => {
  try {
    if (msg.type === 'init') {
      w = new Wasm(await instantiate(msg.module));
      const bytes = new Uint8Array(msg.file);
      const { reader, status } = w.feedReader(bytes, true);
      if (status !== 0) throw new Error(`cannot load the network replica (C status ${status})`);
      m = w.call('lstm_read_model', reader);
      w.call('lstm_read_free', reader);
      ctrl = new Int32Array(msg.ctrl);
      params = new Float32Array(msg.params);
      setIo(msg.io);
      seen = Atomics.load(ctrl, CTRL.SEQ);
      post({ type: 'ready' });
      serve();
    } else if (msg.type === 'resize') {
      setIo(msg.io);
      ack();
      serve();
    }
  } catch (err) {
    post({ type: 'error', message: err.message, code: err.code });
  }
});

function setIo(sab) {
  io = { i32: new Int32Array(sab), f32: new Float32Array(sab), f64: new Float64Array(sab), u8: new Uint8Array(sab) };
}

function ack() {
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}

// The wait loop: one command per SEQ. RESIZE and STOP leave it (back to the event loop). `seen` is
// the last SEQ this worker knows of: set before 'ready' is posted (a command issued right after it
// must not be missed) and by the loop itself.
function serve() {
  for (;;) {
    Atomics.wait(ctrl, CTRL.SEQ, seen);
    const now = Atomics.load(ctrl, CTRL.SEQ);
    if (now === seen) continue;
    seen = now;
    const cmd = Atomics.load(ctrl, CTRL.CMD);
    if (cmd === CMD.STOP) return;
    if (cmd === CMD.RESIZE) {
      ack();
      return;
    }
    io.i32[H.STATUS] = run(cmd);
    ack();
  }
}

// One command on this worker's share; returns the C status.
function run(cmd) {
  const h = io.i32;
  if (h[H.PARAMS_VERSION] !== version) { // the parameters changed since the last command
    w.f32.set(params, w.call('lstm_params', m) >> 2);
    version = h[H.PARAMS_VERSION];
  }
  let tcChanged = false;
  for (let k = 0; k < 9; k++) if (tc[k] !== h[H.TC + k]) tc[k] = h[H.TC + k], tcChanged = true;
  if (tcChanged) { // dropout (and the rest) as the main network has it
    const s = w.scratch + S_STRUCT;
    w.i32.set(tc, s >> 2);
    const st = w.call('lstm_set_train_config', m, s);
    if (st) return st;
  }
  const B = h[H.B], S = h[H.N_S];
  const sections = [ // [name, offset word, element count, present]
    ['x', H.X, h[H.N_X], 1], ['y', H.Y, h[H.N_Y], h[H.HAS_Y]], ['len', H.LEN, B, h[H.HAS_LEN]],
    ['h0', H.H0, S, h[H.HAS_H0]], ['c0', H.C0, S, h[H.HAS_C0]],
  ];
  // allocate every staging buffer first (allocation can grow memory), then copy with fresh views
  const ptr = {};
  for (const [name, , n, has] of sections) ptr[name] = has ? w.slot(name, Math.max(4, 4 * n)) : 0;
  const hn = h[H.WANT_HN] ? w.slot('hn', Math.max(4, 4 * S)) : 0, cn = h[H.WANT_CN] ? w.slot('cn', Math.max(4, 4 * S)) : 0;
  const outLen = h[H.OUT_LEN], out = outLen ? w.slot('out', 4 * outLen) : 0;
  const u8 = w.u8;
  for (const [name, off, n] of sections) if (ptr[name]) u8.set(io.u8.subarray(h[off], h[off] + 4 * n), ptr[name]);
  const call = w.scratch + S_STRUCT, predict = cmd === CMD.PREDICT;
  w.writeStruct(call, 'lstm_batch', {
    inputs: ptr.x, targets: ptr.y, lengths: ptr.len, h0: ptr.h0, c0: ptr.c0, batch: B, steps: h[H.T],
    flags: h[H.FLAGS], norm: io.f32[H.NORM_F32], hn: predict ? 0 : hn, cn: predict ? 0 : cn,
    seed: h[H.SEED], seq_offset: h[H.SEQ_OFFSET],
  });
  const f64 = S_F64 >> 3, r = H.RESULT_F64;
  let st;
  if (cmd === CMD.GRAD) {
    st = w.call('lstm_gradients', m, call, w.scratch + S_OUT);
    if (st === 0) {
      const P = w.call('lstm_param_count', m), g = w.call('lstm_grads', m) >> 2;
      io.f32.set(w.f32.subarray(g, g + P), h[H.GRADS] >> 2);
      w.call('lstm_last_metrics', m, w.scratch + S_F64);
      io.f64[r] = w.f32[(w.scratch + S_OUT) >> 2];
      io.f64[r + 1] = w.f64[(w.scratch >> 3) + f64];
      io.f64[r + 2] = w.f64[(w.scratch >> 3) + f64 + 1];
    }
  } else if (predict) {
    st = w.call('lstm_predict', m, call, out, hn, cn);
    if (st === 0) io.f32.set(w.f32.subarray(out >> 2, (out >> 2) + outLen), h[H.OUT] >> 2);
  } else {
    st = w.call('lstm_evaluate', m, call, w.scratch + S_F64);
    if (st === 0) for (let k = 0; k < 3; k++) io.f64[r + k] = w.f64[(w.scratch >> 3) + f64 + k];
  }
  if (st === 0 && hn) io.f32.set(w.f32.subarray(hn >> 2, (hn >> 2) + S), h[H.HN] >> 2);
  if (st === 0 && cn) io.f32.set(w.f32.subarray(cn >> 2, (cn >> 2) + S), h[H.CN] >> 2);
  return st;
}
