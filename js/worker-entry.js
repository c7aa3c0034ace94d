// worker-entry.js — the worker of wasm-lstm/worker: one Network or CharModel, driven by the
// messages of worker.js (the protocol is described in worker-protocol.js). Runs as a module Web
// Worker in browsers and as a worker_threads Worker in Node; users never load it themselves.
//
// Every call runs as soon as its message arrives, as the same call would on the calling thread:
// synchronous methods run whole; fit and train run in slices and yield to this worker's event
// loop between them, so that pause, abort, sampling, saving and every other call are handled
// while they train (and see the model between two steps). pause() holds the running fit/train at
// the next batch (fit) or slice (train) until resume().
//
// Sampling never waits for training: stream() reads a snapshot of the parameters taken when it
// starts — a second, sampling-only CharModel in this worker whose parameters are copied from the
// training model's (a new snapshot only when training has moved on and no running stream still
// reads the old one) — and produces its characters in chunks between training slices. A stream
// without a seed draws its seed from the training model's sampler PRNG (so that streams differ
// and a saved model continues the sequence). sample(), evaluate() and inspect() run on the
// training model itself, as they would on the calling thread: they never change what training
// does next (CharModel's guarantee).

import { Network, CharModel, readMeta, LstmError } from './index.js';
import { DRAW_SEED } from './charmodel.js';
import { nextTick } from './fit.js';
import { nodeModule } from './loader.js';
import { errorToWire, buffersOf, withoutMethods } from './worker-protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
// No top-level await here or in anything it imports: bundlers build workers as classic scripts
// (Vite's default worker format is 'iife'), where it is a syntax error. In Node the port comes a
// moment later; its messages wait for the listener.
let port = isNode ? null : globalThis;
const post = (m, transfer = []) => port.postMessage(m, transfer);
const listen = (fn) => {
  if (!isNode) {
    port.addEventListener('message', (e) => fn(e.data));
    post({ ready: true });
    return;
  }
  nodeModule('worker_threads').then(({ parentPort }) => {
    port = parentPort;
    port.on('message', fn);
    post({ ready: true });
  });
};

const STREAM_SLICE_MS = 8; // a stream produces characters this long, then lets training go on
const STREAM_CHUNK_CHARS = 4096;
const STREAM_CREDIT = 4; // chunks sent ahead of the consumer

let kind = null; // 'network' | 'char'
let model = null; // the Network or CharModel

// ---- pause and abort of the running fit/train calls

const running = new Map(); // id -> { controller: AbortController, parked: boolean }
let paused = false, release = null, resumed = null;
const pauseWaiters = []; // resolve functions of pause requests waiting for every running call to park

function settlePause() {
  if (!paused) return;
  if ([...running.values()].every((r) => r.parked)) pauseWaiters.splice(0).forEach((f) => f());
}

// Where a running call holds while paused (after a batch of fit, a slice of train).
async function gate(id) {
  const r = running.get(id);
  while (paused && r && !r.controller.signal.aborted) {
    r.parked = true;
    settlePause();
    await Promise.race([resumed, new Promise((ok) => r.controller.signal.addEventListener('abort', ok, { once: true }))]);
    r.parked = false;
  }
}

function pause() {
  if (!paused) {
    paused = true;
    resumed = new Promise((ok) => { release = ok; });
  }
  return new Promise((ok) => { pauseWaiters.push(ok); settlePause(); });
}

function resume() {
  if (!paused) return;
  paused = false;
  release();
  pauseWaiters.splice(0).forEach((f) => f());
}

// Runs a fit/train call with its AbortController, registered so that pause and abort reach it.
async function trainingCall(id, aborted, body) {
  const controller = new AbortController();
  if (aborted) controller.abort(reasonError(aborted)); // the caller's signal was aborted already
  running.set(id, { controller, parked: false });
  try {
    return await body(controller.signal);
  } finally {
    running.delete(id);
    settlePause();
  }
}

// An abort's reason as it crossed ({name, message}) as an Error again.
const reasonError = (r) => Object.assign(new Error(r?.message ?? 'aborted'), { name: r?.name ?? 'AbortError' });

// ---- snapshots for streams

const samplers = []; // [{ model: CharModel, step, streams }] the newest last

async function snapshot() {
  const newest = samplers.at(-1);
  const step = model.step;
  if (newest && newest.step === step) return newest;
  if (newest && newest.streams === 0) { // nobody reads it: bring its parameters up to date
    newest.model.network.setParameters(model.network.parameters());
    newest.step = step;
    return newest;
  }
  const s = { model: await CharModel.load(model.save()), step, streams: 0 };
  samplers.push(s);
  return s;
}

// Samplers older than the newest that no stream reads any more are freed.
function prune() {
  for (let i = samplers.length - 2; i >= 0; i--) {
    if (samplers[i].streams === 0) samplers.splice(i, 1)[0].model.dispose();
  }
}

const streams = new Map(); // id -> { credit, more: () => void, cancelled }

async function stream(id, options) {
  const o = { ...options };
  // registered first: a cancel may come while the snapshot is taken
  const st = { credit: STREAM_CREDIT, wake: null, cancelled: false };
  streams.set(id, st);
  let s;
  try {
    s = await snapshot();
  } catch (err) {
    streams.delete(id);
    throw err;
  }
  s.streams++;
  try {
    if (st.cancelled) return { done: true, cancelled: true };
    let it = s.model.stream(o); // its options are checked here, as at the in-thread call
    if (o.seed === undefined && o.length !== 0) it = s.model.stream({ ...o, seed: model[DRAW_SEED]() });
    post({ id, event: 'start', args: [{ step: s.step }] });
    for (;;) {
      while (st.credit === 0 && !st.cancelled) await new Promise((ok) => { st.wake = ok; });
      if (st.cancelled) return { done: true, cancelled: true };
      const t0 = performance.now();
      let chunk = '', done = false;
      while (chunk.length < STREAM_CHUNK_CHARS && performance.now() - t0 < STREAM_SLICE_MS) {
        const r = it.next();
        if (r.done) { done = true; break; }
        chunk += r.value;
      }
      if (chunk) {
        st.credit--;
        post({ id, chunk });
      }
      if (done) return { done: true };
      await nextTick();
    }
  } finally {
    streams.delete(id);
    s.streams--;
    prune();
  }
}

// ---- calls

function info() {
  const net = kind === 'char' ? model.network : model;
  const out = { kind, config: model.config, threads: net.threads, threadsNote: net.threadsNote, simd: net.simd, parameterCount: net.parameterCount };
  if (kind === 'char') {
    out.vocabulary = model.vocabulary;
    out.step = model.step;
    out.data = model.data;
  } else {
    out.step = net.stepCount;
  }
  return out;
}

function status() {
  if (kind === 'char') {
    return { step: model.step, epoch: model.epoch, learningRate: model.learningRate, config: model.config, data: model.data,
      trainingConfig: model.network.trainingConfig, paused };
  }
  return { stepCount: model.stepCount, trainingConfig: model.trainingConfig, lastGradientNorm: model.lastGradientNorm,
    memoryBytes: model.memoryBytes, threads: model.threads, threadsNote: model.threadsNote, paused };
}

// The fit options with this worker's own callbacks: the events the caller asked for, and the
// pause gate after every batch.
function fitOptions(id, options = {}, events = []) {
  const send = (event) => (...args) => post({ id, event, args });
  const o = { ...options };
  for (const e of ['onEpochBegin', 'onEpochEnd', 'onTrainEnd']) if (events.includes(e)) o[e] = send(e);
  const onBatch = events.includes('onBatchEnd') ? send('onBatchEnd') : null;
  o.onBatchEnd = async (...args) => {
    onBatch?.(...args);
    await gate(id);
  };
  return o;
}

const NETWORK_METHODS = ['train', 'evaluate', 'predict', 'inspect', 'lossAndGradients', 'applyGradients',
  'stepGradientNorms', 'resetState', 'getState', 'setState', 'parameters', 'setParameters', 'setTrainingConfig',
  'summary'];
const CHAR_METHODS = ['trainSteps', 'evaluate', 'sample', 'inspect'];

async function call(id, op, args) {
  if (op === 'create' || op === 'load') {
    if (model) throw new LstmError('busy', `${op}: this worker already holds a model`);
    if (op === 'create') {
      kind = args.kind;
      model = kind === 'char' ? await CharModel.create(args.config) : await Network.create(args.config);
    } else {
      const o = args.options;
      // the file's kind; a file readMeta refuses goes to Network.load, which says why in its words
      kind = o.kind ?? ((await readMeta(args.bytes).catch(() => null))?.kind === 'char' ? 'char' : 'network');
      const load = { ...(o.simd !== undefined && { simd: o.simd }), ...(o.threads !== undefined && { threads: o.threads }) };
      model = kind === 'char' ? await CharModel.load(args.bytes, { ...load, ...(o.text !== undefined && { text: o.text }) }) : await Network.load(args.bytes, load);
    }
    return info();
  }
  if (!model) throw new LstmError('disposed', `${op}: no model in this worker`);
  switch (op) {
    case 'status': return status();
    case 'save': return model.save(args[0]);
    case 'setTrainingConfig': return (kind === 'char' ? model.network : model).setTrainingConfig(args[0]);
    case 'parameters': return (kind === 'char' ? model.network : model).parameters();
    case 'fit':
      if (kind !== 'network') break;
      return trainingCall(id, args.aborted, (signal) => model.fit(args.inputs, args.targets, { ...fitOptions(id, args.options, args.events), signal }));
    case 'train':
      if (kind !== 'char') return model.train(...args); // Network#train: one step
      return trainingCall(id, args.aborted, (signal) => model.train({
        ...args.options, signal,
        onProgress: async (p) => {
          if (args.events.includes('onProgress')) post({ id, event: 'onProgress', args: [p] });
          await gate(id);
        },
      }));
    case 'stream':
      if (kind !== 'char') break;
      return stream(id, args[0]);
    default: {
      const methods = kind === 'char' ? CHAR_METHODS : NETWORK_METHODS;
      if (!methods.includes(op)) break;
      if (op === 'trainSteps' && args.events?.includes('onProgress')) {
        return model.trainSteps(args.n, { ...args.options, onProgress: (p) => post({ id, event: 'onProgress', args: [p] }) });
      }
      if (op === 'trainSteps') return model.trainSteps(args.n, args.options);
      return model[op](...args);
    }
  }
  throw new LstmError('arg', `${op}: not a method of a ${kind === 'char' ? 'CharModel' : 'Network'} trainer`);
}

async function run(id, op, args) {
  let result;
  try {
    result = await call(id, op, args);
  } catch (err) {
    post({ id, error: errorToWire(err, op) });
    return;
  }
  const out = withoutMethods(result);
  try {
    post({ id, result: out }, buffersOf(out));
  } catch (err) {
    post({ id, error: errorToWire(err, op) });
  }
}

listen((msg) => {
  switch (msg?.op) {
    case 'pause': pause().then(() => post({ id: msg.id, result: undefined })); return;
    case 'resume': resume(); post({ id: msg.id, result: undefined }); return;
    case 'abort':
      for (const [id, r] of running) {
        if (msg.target === undefined || msg.target === id) {
          r.controller.abort(reasonError(msg.reason));
        }
      }
      return;
    case 'credit': {
      const st = streams.get(msg.target);
      if (st) { st.credit += msg.n; st.wake?.(); }
      return;
    }
    case 'cancel': {
      const st = streams.get(msg.target);
      if (st) { st.cancelled = true; st.wake?.(); }
      return;
    }
    default: run(msg.id, msg.op, msg.args);
  }
});
