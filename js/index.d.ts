// Types and documentation of the wasm-lstm package.
//
// Legend: B batch, T steps, I dense input width, V vocabulary, H hidden, O outputs, L layers.
// Arrays are flat and batch-first: dense inputs (B,T,I), token inputs (B,T), outputs (B,T,O).

/** Every `code` an {@link LstmError} can carry. */
export type LstmErrorCode =
  /** An argument has the wrong type, length, range or value; the message names it. */
  | 'arg'
  /** Out of WebAssembly memory (1 GB per model at most): use a smaller batch, steps or model. */
  | 'nomem'
  /** Not a wasm-lstm model file, truncated, malformed, or a file of another kind (e.g. a CharModel file given to Network.load). */
  | 'format'
  /** A model file of a format version this build does not read (or a wasm build that does not match this JS). */
  | 'version'
  /** A model file whose CRC-32 does not match: it was corrupted. */
  | 'checksum'
  /** The loss or gradient was not finite; the step was not applied and the model is unchanged. */
  | 'nonfinite'
  /** An invalid configuration value (Network.create, setTrainingConfig). */
  | 'config'
  /** The Network or CharModel was disposed (the message names the method or getter called). */
  | 'disposed'
  /** The model's WebAssembly instance trapped (a bug in wasm-lstm): it cannot be used any more. */
  | 'trap'
  /** The WebAssembly module could not be fetched, read, compiled or instantiated; the message names the URL and the likely fix (a missing build, a server answering with an HTML page). */
  | 'load'
  /** A call on a model while another call on the same model is in progress (e.g. from a getter or
   *  callback of an argument): refused, the running call is not disturbed. */
  | 'busy';

/** The codes, in a fixed order. */
export const ERROR_CODES: readonly LstmErrorCode[];

/**
 * The only error type the package throws (async functions reject with it). The message names the
 * argument, what was expected and what was received, e.g.
 * `targets: expected Int32Array or array of integers of length 2048 (batch 32 × steps 64), got Float32Array(64)`.
 */
export class LstmError extends Error {
  constructor(code: LstmErrorCode, message: string, options?: { cause?: unknown; argument?: string });
  readonly name: 'LstmError';
  /** What kind of failure this is; see {@link LstmErrorCode}. */
  readonly code: LstmErrorCode;
  /** The argument or option at fault (`'targets'`, `'text'`, `'batch'`, …) when one is, else null:
   *  for programs that react to it without parsing the message. */
  readonly argument: string | null;
}

/** Whether this WebAssembly engine supports SIMD128 (the fast build). */
export function simdSupported(): boolean;

/** What the C core supports, as its build describes itself (one source for the JS layer, the CLI and the demo). */
export const abi: {
  readonly cells: readonly Cell[];
  readonly losses: readonly Loss[];
  readonly gateActivations: readonly GateActivation[];
  readonly optimizers: readonly ('adam' | 'sgd' | 'rmsprop' | 'adagrad')[];
  readonly clipModes: readonly ('none' | 'value' | 'norm')[];
  /** inspect channel names per cell */
  readonly channels: Readonly<Record<Cell, readonly string[]>>;
  /** gate blocks along G·H per cell, in order */
  readonly gates: Readonly<Record<Cell, readonly string[]>>;
  readonly limits: { readonly layers: number; readonly hidden: number; readonly input: number; readonly output: number; readonly params: number; readonly batch: number; readonly rows: number; readonly directions: number };
};

/**
 * The meta object stored in a model file: `{ kind: 'network' | 'char' | ..., ...user meta }`,
 * or null when the file has none. Checks the file like {@link Network.load} does (rejects with
 * 'format', 'version' or 'checksum').
 */
export function readMeta(bytes: Uint8Array | ArrayBuffer): Promise<Record<string, unknown> | null>;

/**
 * The built-in corpus CharModel trains on without a text: English-like paragraphs with long-range
 * subject–verb agreement ("The cats, which …, were full"), ASCII, exactly `chars` characters
 * (default 200000), deterministic for a `seed` (default 1). Bad options are LstmError 'arg'.
 */
export function defaultCorpus(options?: { seed?: number; chars?: number }): string;

/** What {@link agreementTask} returns: (count, length) row-major token arrays. */
export interface AgreementTask {
  /** The words by token id (the same for every distance and seed). */
  vocab: string[];
  /** Token ids of the two verbs. */
  was: number;
  were: number;
  distance: number;
  /** Words per sequence: distance + 4. */
  length: number;
  count: number;
  /** Where the verb stands; it is predicted at input position verbIndex − 1. */
  verbIndex: number;
  tokens: Int32Array;
  /** The next word at every position (−1 after the last). */
  targets: Int32Array;
  /** The verb at verbIndex − 1, −1 (ignored by 'xent') elsewhere. */
  verbTargets: Int32Array;
  /** 1 where the subject (and verb) is plural. */
  plural: Uint8Array;
  sentences: string[];
}

/**
 * The long-term dependency experiment as word sequences: `the SUBJECT <distance−1 filler words>
 * was|were STATE .`, the filler holding nouns of either number, so that only the subject tells
 * the verb. `distance` 1–1000 (default 5), `count` sequences (default 256), `seed` (default 1).
 * Bad options are LstmError 'arg'.
 */
export function agreementTask(options?: { distance?: number; count?: number; seed?: number }): AgreementTask;

/** `'lstm'` (PyTorch nn.LSTM, gates i,f,g,o), `'gru'` (nn.GRU, r,z,n) or `'rnn'` (tanh RNN). */
export type Cell = 'lstm' | 'gru' | 'rnn';

/**
 * `'xent'`: softmax cross-entropy over O classes at every valid step, mean over counted steps
 * (targets of -1 are ignored): language models, taggers. `'xent-last'`: one class per sequence,
 * from its summary (below), mean over counted sequences: classifiers. `'mse'`: mean squared error
 * at every valid step, mean over valid steps × O. `'mse-last'`: mean squared error of the summary,
 * mean over B·O (sequence regression).
 *
 * A sequence's summary is the top layer's h at its last valid step (`lengths[b] − 1`, or T − 1),
 * and for bidirectional models [forward h at its last valid step | reverse h at step 0]: the final
 * states of both directions (PyTorch `cat(h_n[-2], h_n[-1])`, Keras `Bidirectional(return_sequences=False)`).
 */
export type Loss = 'xent' | 'xent-last' | 'mse' | 'mse-last';

/** The function of the sigmoid gates (LSTM i, f, o; GRU r, z): `'sigmoid'` (PyTorch, Keras) or
 *  `'hardSigmoid'`, max(0, min(1, 0.2·x + 0.5)) (TF.js's default `recurrentActivation`, Keras 2's
 *  `hard_sigmoid`). */
export type GateActivation = 'sigmoid' | 'hardSigmoid';

/**
 * Training settings; all may change between calls (e.g. learning-rate schedules). The C core
 * stores the numbers as float32, so each range applies to the float32 value too: 1e39 (Infinity as
 * float32), a learningRate or epsilon of 1e-50 (0 as float32) or a beta2 of 0.99999999 (1 as
 * float32) are rejected with LstmError 'config'.
 */
export interface TrainingConfig {
  /** Default `'adam'`. Changing the optimizer restarts its moments. */
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
  /** Learning rate > 0. Default 2e-3. */
  learningRate?: number;
  /** Adam β1; SGD momentum. In [0, 1). Default 0.9. */
  beta1?: number;
  /** Adam β2; RMSProp decay ρ. In [0, 1). Default 0.999 (for RMSProp consider 0.95). */
  beta2?: number;
  /** SGD only: an alias of beta1 (giving both with different values is an error). */
  momentum?: number;
  /** Adam/RMSProp/Adagrad ε > 0. Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay (AdamW style) on weight matrices, not biases. ≥ 0. Default 0. */
  weightDecay?: number;
  /** Gradient clipping: `'norm'` rescales the whole gradient to global L2 norm ≤ threshold,
   *  `'value'` clamps each component to [−threshold, threshold]. Default `{mode:'norm', threshold: 5}`.
   *  Partial updates keep the other key. */
  clip?: { mode?: 'none' | 'value' | 'norm'; threshold?: number };
  /** Probability of zeroing the input of layers ≥ 1 and of the head, in training only. In [0, 1). Default 0. */
  dropout?: number;
}

/** {@link TrainingConfig} with every key, as returned by {@link Network.trainingConfig}. */
export interface ResolvedTrainingConfig extends Required<Omit<TrainingConfig, 'momentum' | 'clip'>> {
  clip: { mode: 'none' | 'value' | 'norm'; threshold: number };
  /** Present for SGD: equals beta1. */
  momentum?: number;
}

/**
 * The architecture of a network: give exactly one of `input` (dense float inputs of width I) or
 * `vocab` (integer token ids in [0, V), looked up in the first layer's input weights).
 */
export interface ArchitectureConfig {
  /** Default `'lstm'`. */
  cell?: Cell;
  /** Dense input width I (1..2^20): inputs are Float32Array (B,T,I). */
  input?: number;
  /** Vocabulary size V (1..2^20) for token input: inputs are Int32Array (B,T). */
  vocab?: number;
  /** Hidden units per layer, 1..4096. */
  hidden: number;
  /** Stacked layers, 1..4. Default 1. */
  layers?: number;
  /** Outputs O of the linear head (classes for `'xent'` and `'xent-last'`, at least 2). */
  output: number;
  /** Default `'xent'`. */
  loss?: Loss;
  /**
   * Every layer runs a forward and a reverse direction with their own weights, and their outputs
   * are concatenated (2H) into the next layer and the head, as PyTorch `nn.LSTM(bidirectional=True)`.
   * A bidirectional network has no carried state: every call starts from zeros or `initialState`.
   * Default false.
   */
  bidirectional?: boolean;
  /** Default `'sigmoid'`; an `'rnn'` cell has no gates (only `'sigmoid'`). */
  gateActivation?: GateActivation;
  /** Seed of the initialisation and dropout RNG, an integer in [0, 2^32). Default 1. */
  seed?: number;
}

/** What {@link Network.create} accepts: architecture, training settings, and which build to use. */
export interface NetworkConfig extends ArchitectureConfig, TrainingConfig {
  /** `'auto'` (default): the SIMD build if the engine supports it, else the plain one. */
  simd?: 'auto' | boolean;
  /**
   * Threads for training, batch predict and evaluate (data-parallel: shares of a batch on worker
   * replicas, js/pool.js): an integer 1–64 or `'auto'` (the reported cores, at most 8). Default 1.
   * Where threads cannot run — no SharedArrayBuffer, a page that is not cross-origin isolated, a
   * page's main thread (which must not block: train in wasm-lstm/worker) — the network runs on one
   * thread and {@link Network.threadsNote} says why.
   */
  threads?: number | 'auto';
}

/** The architecture of an existing network (exactly one of `input` / `vocab` is present). */
export interface ResolvedConfig {
  cell: Cell;
  input?: number;
  vocab?: number;
  hidden: number;
  layers: number;
  output: number;
  loss: Loss;
  seed: number;
  bidirectional: boolean;
  gateActivation: GateActivation;
}

/** Dense inputs or regression targets: a Float32Array or a plain array of numbers (converted). */
export type FloatData = Float32Array | readonly number[];
/** Token inputs or class targets: an Int32Array or a plain array of integers (converted). */
export type IntData = Int32Array | readonly number[];
/** Inputs: {@link IntData} for a `vocab` model, {@link FloatData} for an `input` model. */
export type Inputs = FloatData | IntData;
/** Targets: class ids (B,T) in [-1, O) for `'xent'` (-1 = ignored), one class per sequence (B) for
 *  `'xent-last'`, floats (B,T,O) for `'mse'`, (B,O) for `'mse-last'`. Values at padded steps are ignored. */
export type Targets = FloatData | IntData;

/** Sizes of a call. `batch` defaults to 1; `steps` to what the inputs' length implies. */
export interface BatchOptions {
  /** Sequences in the batch (B, at most 2^20). The carried state continues only while B is unchanged. */
  batch?: number;
  /** Steps per sequence (T); B·T at most 2^24. */
  steps?: number;
  /**
   * Valid steps of each sequence: B integers in 1..T (an Int32Array or array). Steps at or after a
   * sequence's length are padding: they change no state, add no loss and no gradient, cost no
   * arithmetic, and predict writes zeros there; their input and target values are never read (pad
   * with anything). The reverse direction starts at each sequence's own last step; the carried state
   * afterwards is each sequence's state at its own last valid step (PyTorch `pack_padded_sequence`).
   */
  lengths?: IntData;
}

/** A recurrent state in PyTorch's h_0/h_n layout: (L·D, B, H), index layer·D + direction. */
export interface RecurrentState {
  h: FloatData;
  /** LSTM only: the cell state, same shape. */
  c?: FloatData;
}

/** Where a call starts. */
export interface StateOptions {
  /**
   * true (the default for unidirectional networks): continue from the carried state of this kind
   * of call (train or predict) and leave the final state there. false (always for bidirectional
   * networks): start from zeros or `initialState` and leave the carried state alone, so the same
   * inputs give the same outputs every time.
   */
  stateful?: boolean;
  /** The state to start from (implies, and requires, `stateful: false`). */
  initialState?: RecurrentState;
}

/** A tensor: its shape and a copy of its data (row-major). */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Named tensors, in the order of c/lstm.h's tensor table. Per layer l and direction: `l{l}.wx`
 * (I_l, G·H) with I_0 the input width or vocabulary and I_l = D·H above, `l{l}.wh` (H, G·H), and
 * `l{l}.b` (G·H) for LSTM/RNN or `l{l}.bx`, `l{l}.bh` (3H) for GRU; the reverse direction's names
 * end in `_reverse` (`l0.wx_reverse`, as PyTorch's `weight_ih_l0_reverse`); then `head.w` (D·H, O)
 * and `head.b` (O). Gates are blocks of H along G·H: LSTM i,f,g,o; GRU r,z,n.
 */
export type Tensors = Record<string, Tensor>;

/** What setParameters/applyGradients accept per name: a tensor like {@link Tensors} has (shape optional, checked if given) or just its data. */
export type TensorInput = { shape?: readonly number[]; data: FloatData } | FloatData;

/** The result of {@link Network.inspect}. */
export interface Inspection {
  /** Channel names: LSTM `['i','f','g','o','c','h']`, GRU `['r','z','n','h']`, RNN `['h']`. */
  channels: string[];
  layers: number;
  /** 1, or 2 for bidirectional networks (0 forward, 1 reverse). */
  directions: number;
  steps: number;
  batch: number;
  hidden: number;
  /** All activations, (L, D, T, B, C, H); zero at padded steps. */
  data: Float32Array;
  /** The H activations of one channel (a name or an index): a view into `data`. */
  get(layer: number, step: number, seq: number, channel: string | number, direction?: number): Float32Array;
}

/** The result of {@link Network.stepGradientNorms}. */
export interface StepGradientNorms {
  layers: number;
  /** 1, or 2 for bidirectional networks. */
  directions: number;
  steps: number;
  /** (L·D, T): `norms[(l·D + d)·steps + t]` = ‖∂loss/∂h_t‖ of layer l, direction d (Frobenius over valid sequences and units; 0 where no sequence is that long). */
  norms: Float32Array;
  /** The T norms of one layer and direction (default 0, forward): a view into `norms`. */
  get(layer: number, direction?: number): Float32Array;
  /** LSTM only, (L·D, T): ‖∂loss/∂c_t‖, the gradient travelling along the cell state (from h_t and from the next step through f). */
  cellNorms?: Float32Array;
  /** LSTM only: the T cell-state norms of one layer and direction, a view into `cellNorms`. */
  getCell?(layer: number, direction?: number): Float32Array;
}

/** Options of {@link Network.predict}. */
export interface PredictOptions extends BatchOptions, StateOptions {
  /** Probabilities instead of logits (models with a class loss). */
  softmax?: boolean;
  /** One output per sequence, from its summary (see {@link Loss}): (B, O). */
  lastOnly?: boolean;
  /** Return `{outputs, h, c}` with the final states (L·D, B, H) too (PyTorch's h_n, c_n). */
  returnState?: boolean;
}

/** Options of {@link Network.stepper}. */
export interface StepperOptions {
  /** Sequences stepped together (default 1). */
  batch?: number;
  /** Probabilities instead of logits (models with a class loss). */
  softmax?: boolean;
}

/**
 * One step at a time through a network's predict state, made by {@link Network.stepper}. Steps,
 * predict and evaluate calls share that state and may interleave; resetState and setState act on
 * it. Its options are read once and its call staged once in wasm memory it owns.
 */
export interface Stepper {
  /**
   * The outputs (B, O) of one step: for a token-input network a token id (a number, when batch is
   * 1) or B ids; for dense input B·I floats. Returns {@link Stepper.output}, which the next step
   * overwrites: copy it to keep it. Bad input is LstmError 'arg' (argument 'input') and changes
   * nothing; an output that would not be finite is 'nonfinite' and the state is kept.
   */
  step(input: number | Inputs): Float32Array;
  /** The stepper's own output array, (B, O). */
  readonly output: Float32Array;
  readonly batch: number;
  readonly disposed: boolean;
  /** Frees the stepper's memory now (else it goes when the stepper is collected); the network stays usable. Later steps throw 'disposed'. */
  dispose(): void;
}

/** Options of {@link Network.save}. */
export interface SaveOptions {
  /** Store the optimizer moments, for an exact resume. Default true. */
  includeOptimizer?: boolean;
  /** Store the carried train state, for an exact resume. Default true. */
  includeState?: boolean;
  /** Your own JSON-serialisable data, stored in the file and returned by {@link Network.meta} and {@link readMeta}. The key `kind` is reserved. */
  meta?: Record<string, unknown>;
}

/**
 * A recurrent network (LSTM, GRU or RNN, 1–4 layers, uni- or bidirectional) with a linear output
 * head, trained by truncated backpropagation through time on minibatches of sequences of any
 * lengths, in its own WebAssembly instance. Create it with {@link Network.create} or
 * {@link Network.load} (async), then every method is synchronous. Every method reads each argument
 * once, validates it and throws {@link LstmError}; a failed call changes nothing (parameters,
 * gradients, moments, states, RNG). Results are always copies. A call made while another call on
 * the same network is in progress (from a getter or callback of an argument) throws 'busy'.
 * Call {@link Network.dispose} when done.
 *
 * A unidirectional network carries two recurrent states: the train state (advanced by train) and
 * the predict state (advanced by predict). A stateful call continues from the previous call's final
 * state of its kind when the batch size is unchanged, and starts from zeros otherwise or after
 * resetState. Bidirectional networks carry none (`stateful: false` always).
 */
export class Network {
  private constructor();

  /** Creates a network (compiling the module once per build, then one instance per network). */
  static create(config: NetworkConfig): Promise<Network>;

  /**
   * Loads a file written by {@link Network.save}, with its parameters, training config, step
   * count, RNG, and (if saved) optimizer moments and train state: training continues bit-exactly.
   * Rejects with LstmError 'format' (not a model file, or a file of another kind: a CharModel
   * file says to use CharModel.load), 'version' or 'checksum'.
   */
  static load(bytes: Uint8Array | ArrayBuffer, options?: { simd?: 'auto' | boolean; threads?: number | 'auto' }): Promise<Network>;

  /**
   * Trains on a whole dataset of sequences without blocking the event loop (js/fit.js documents
   * the epoch exactly; it equals a loop over {@link Network.train} bit for bit): epochs, batches,
   * seeded shuffling, truncated BPTT, validation, early stopping, schedules, callbacks, a time
   * limit and an AbortSignal. Resolves with the history; rejects with LstmError ('aborted' with
   * `history` when the signal aborts, 'busy' for a second concurrent fit, 'arg' for bad data or
   * options) or with the error a callback threw; the network keeps the steps it completed.
   */
  fit(inputs: FitInputs, targets: FitTargets, options?: FitOptions): Promise<FitHistory>;

  /** One optimisation step (forward, BPTT, clip, update); advances the train state (stateful calls). Returns the mean loss of the batch before the update. */
  train(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions): number;

  /**
   * The loss and gradients without an update (no dropout). With `advance` (default true) the train
   * state moves on as in train, so lossAndGradients + applyGradients equals train; with false it is
   * left alone and repeated calls give identical results.
   */
  lossAndGradients(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions & { advance?: boolean }): { loss: number; gradients: Tensors };

  /**
   * Applies the optimizer (after clipping) to the gradient buffer, i.e. the gradients of the last
   * lossAndGradients or train call; if `gradients` is given (all or some tensors) they are written
   * into it first: custom loops, gradient surgery.
   */
  applyGradients(gradients?: Record<string, TensorInput>): void;

  /** ‖∂loss/∂h_t‖ for every layer, direction and step: the vanishing-gradient picture. Changes nothing (not the train state, not the gradient buffer). */
  stepGradientNorms(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions): StepGradientNorms;

  /**
   * The loss (and for class losses the accuracy) on a batch, changing nothing; from the predict
   * state (stateful; with `advance` it moves on) or from zeros / initialState.
   */
  evaluate(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions & { advance?: boolean }): Metrics;

  /** Zeroes the carried state: `'train'`, `'predict'`, or both (default). */
  resetState(which?: 'train' | 'predict'): void;

  /** A copy of a carried state: h (and for LSTM c) of shape (L, B, H); `batch` 0 before any call of that kind. Unidirectional networks only. */
  getState(which: 'train' | 'predict'): { batch: number; h: Float32Array; c?: Float32Array };

  /** Replaces a carried state with a copy of `state` (as {@link getState} returns it); the next call of that kind with the same batch continues from it. */
  setState(which: 'train' | 'predict', state: { batch: number; h: FloatData; c?: FloatData }): void;

  /**
   * Forward pass. Stateful (the default for unidirectional networks): continues from the predict
   * state, for generation one step at a time. Stateless (`stateful: false`, or `initialState`;
   * always for bidirectional networks): from zeros or the given state, the same inputs give the same
   * outputs every time. Returns outputs (B,T,O) (zero at padded steps), or (B,O) with `lastOnly`;
   * with `softmax` probabilities; with `returnState` `{outputs, h, c}`. An output or state that would
   * not be finite (inputs or weights too large for float32) is LstmError 'nonfinite', and the predict
   * state is kept.
   */
  predict(inputs: Inputs, options?: PredictOptions & { returnState?: false }): Float32Array;
  predict(inputs: Inputs, options: PredictOptions & { returnState: true }): { outputs: Float32Array; h: Float32Array; c?: Float32Array };

  /**
   * A {@link Stepper} over the predict state: one step of `batch` sequences per call, the same
   * bits as `predict(x, {batch, steps: 1, lastOnly: true, softmax})` without that call's per-call
   * costs (for sampling one token at a time). Unidirectional networks only.
   */
  stepper(options?: StepperOptions): Stepper;

  /** Every activation per layer, direction, step, sequence and channel, from zeros or `initialState` (neither carried state changes). */
  inspect(inputs: Inputs, options?: BatchOptions & { initialState?: RecurrentState }): Inspection;

  /** Copies of all parameters with their shapes. */
  parameters(): Tensors;

  /** Copies in all or some tensors; names, shapes, lengths and finiteness are checked first (all or nothing). */
  setParameters(params: Record<string, TensorInput>): void;

  /** Changes some training settings; the others keep their values. */
  setTrainingConfig(patch: TrainingConfig): void;

  /** The model as a file: config, parameters, training config, step count, RNG, and optionally optimizer moments and train state. CRC-checked. */
  save(options?: SaveOptions): Uint8Array;

  /** Frees the model and its WebAssembly instance. Every later call throws LstmError 'disposed'; calling dispose again does nothing. */
  dispose(): void;

  /** A Keras-style table: layers and directions, input and output widths, tensors and parameter counts, totals, training settings, build. */
  summary(): string;

  /** One line: `Network(lstm 2×128 bidirectional, tokens (vocab 65) → 65, loss 'xent', 412,417 parameters)` (also what console.log shows). */
  toString(): string;

  /** The architecture. */
  readonly config: ResolvedConfig;
  /** The training settings, every key (numbers are the float32 values C holds, shortest decimal). */
  readonly trainingConfig: ResolvedTrainingConfig;
  /** Number of float parameters. */
  readonly parameterCount: number;
  /** Whether this network runs the SIMD128 build. */
  readonly simd: boolean;
  /** Optimizer steps taken (train and applyGradients calls that succeeded). */
  readonly stepCount: number;
  /** Global L2 norm of the gradient of the last successful train/lossAndGradients/applyGradients call, before clipping. */
  readonly lastGradientNorm: number;
  /** The user meta of the file this network was loaded from (without `kind`); null if it was created. */
  readonly meta: Record<string, unknown> | null;
  /** Bytes of WebAssembly memory this network's instance holds now (it grows for bigger batch × steps, never shrinks). */
  readonly memoryBytes: number;
  /** Whether dispose() was called. Never throws. */
  readonly disposed: boolean;
  /** Count and accuracy of the last train or lossAndGradients call (accuracy null for regression). */
  readonly lastMetrics: { count: number; correct: number | null; accuracy: number | null };
  /** Threads this network computes on (1 without a thread pool). */
  readonly threads: number;
  /** Why it runs on fewer threads than it was asked for, or null. */
  readonly threadsNote: string | null;
}

/** What {@link Network.evaluate} returns: `loss` is a mean over `count` (targets not ignored; for mse the valid elements); accuracy = correct / count for class losses, else null. */
export interface Metrics {
  loss: number;
  count: number;
  correct: number | null;
  accuracy: number | null;
}

/** A learning-rate schedule of {@link Network.fit} and {@link CharModel.train}, per step s
 *  (0-based, counted from the start of the call) from the base rate lr: `'step'` lr·factor^⌊s/every⌋;
 *  `'exp'` lr·gamma^s; `'cosine'` a linear warm-up over `warmup` steps, then a cosine from lr down
 *  to min·lr at step `total`; or a function (step, epoch, lr) → the step's rate. */
export type StepSchedule =
  | { type: 'step'; every: number; factor: number }
  | { type: 'exp'; gamma: number }
  | { type: 'cosine'; total: number; warmup?: number; min?: number }
  | ((step: number, epoch: number, learningRate: number) => number);

/** The data of {@link Network.fit}: one flat array of N sequences of `sequenceLength` steps, or an array of per-sequence arrays of any lengths. */
export type FitInputs = Inputs | ReadonlyArray<Inputs>;
/** Targets per the loss, flat (N·…) or per sequence (an array of per-sequence targets; for 'xent-last' an array of class ids). */
export type FitTargets = Targets | ReadonlyArray<Targets | number>;

/** What fit's onEpochEnd receives. */
export interface EpochLogs {
  loss: number;
  accuracy?: number | null;
  valLoss?: number;
  valAccuracy?: number | null;
  seconds: number;
  learningRate: number;
}

/** What fit's onBatchEnd receives. */
export interface BatchLogs {
  loss: number;
  accuracy?: number | null;
  /** Sequences in the batch. */
  size: number;
  /** Optimisation steps so far in this fit. */
  step: number;
  epoch: number;
  learningRate: number;
}

/** fit's callbacks; each may return a promise, which fit awaits. */
export interface FitCallbacks {
  onEpochBegin?: (epoch: number, logs: Record<string, never>) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  onTrainEnd?: (history: FitHistory) => void | Promise<void>;
}

/** Options of {@link Network.fit}. */
export interface FitOptions extends FitCallbacks {
  /** Default 1. */
  epochs?: number;
  /** Sequences per step. Default 32. */
  batch?: number;
  /** Truncated BPTT: chunks of this many steps with the state carried between them (unidirectional, full-length sequences). Default: whole sequences. */
  steps?: number;
  /** T, for flat inputs. */
  sequenceLength?: number;
  /** Valid steps per sequence, for flat inputs. */
  lengths?: IntData;
  /** Shuffle the sequences every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Of the shuffling. Default the network's seed. */
  seed?: number;
  /** A fraction in (0, 1) of the sequences (the last ones), or separate data. */
  validation?: number | { inputs: FitInputs; targets: FitTargets; lengths?: IntData; sequenceLength?: number };
  /** More callbacks (objects with the on* keys). */
  callbacks?: FitCallbacks | FitCallbacks[];
  /** Stop when the monitored loss has not improved for `patience` epochs (default 0), by more than minDelta; restoreBest (default true) restores the best epoch's parameters. `true`: the defaults. */
  earlyStopping?: boolean | { monitor?: 'valLoss' | 'loss'; patience?: number; minDelta?: number; restoreBest?: boolean };
  schedule?: StepSchedule;
  /** Seconds. */
  timeLimit?: number;
  signal?: AbortSignal;
  /** Yield to the event loop at least this often, in ms. Default 16. */
  yieldEvery?: number;
}

/** What {@link Network.fit} resolves with. */
export interface FitHistory {
  epoch: number[];
  loss: number[];
  accuracy?: (number | null)[];
  valLoss?: number[];
  valAccuracy?: (number | null)[];
  seconds: number[];
  learningRate: number[];
  /** Optimisation steps taken. */
  steps: number;
  stopped: 'epochs' | 'earlyStopping' | 'timeLimit' | 'aborted';
  bestEpoch: number | null;
}

// =================================================================================================
// ---- CharModel: a character language model on top of Network (js/charmodel.js)
// =================================================================================================

/** A learning-rate schedule, applied per training step s (0-based): `'step'`: lr·factor^⌊s/every⌋;
 *  `'exp'`: lr·gamma^s. Per step, not per epoch, because epochs vary with the text; for char-rnn's
 *  per-epoch decay use `{type: 'step', every: model.data.chunksPerEpoch, factor: 0.97}`. */
export type LearningRateSchedule =
  | { type: 'step'; every: number; factor: number }
  | { type: 'exp'; gamma: number };

/** The configuration of a {@link CharModel} (every key has a char-rnn-like default). */
export interface CharModelConfig {
  /** Default `'lstm'`. */
  cell?: Cell;
  /** Units per layer. Default 128. */
  hidden?: number;
  /** Layers, 1–4. Default 2. */
  layers?: number;
  /** T: characters per training chunk (the backpropagation length). Default 64. */
  seqLength?: number;
  /** B: parallel streams per step. Default 32. */
  batch?: number;
  /** Default `'adam'`. */
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
  /** > 0, also as float32 (see {@link TrainingConfig}). Default 2e-3. */
  learningRate?: number;
  /** Global gradient-norm clip θ; 0 turns clipping off; a positive θ must be finite and positive as float32. Default 5. */
  clip?: number;
  /** Dropout probability between layers and before the head, training only (in the C core). In [0, 1), also as float32. Default 0. */
  dropout?: number;
  /** Default null (constant). */
  schedule?: LearningRateSchedule | null;
  /** Seeds the initialisation and dropout (C) and the sampler's PRNG (JS). Default 1. */
  seed?: number;
  /** The last ⌊N·valFraction⌋ characters are held out for {@link CharModel.evaluate}. 0–0.5, default 0.05. */
  valFraction?: number;
  /**
   * Characters the vocabulary does not have (in a prime, an evaluated or inspected text):
   * `'skip'` (default) drops them; `'map'` reads them as one reserved symbol, U+FFFD, added to the
   * vocabulary (or the text's own U+FFFD). The reserved symbol is never sampled. Not an error;
   * but a lone surrogate (malformed UTF-16) in any text or prime is: LstmError 'arg'.
   */
  unknown?: 'skip' | 'map';
}

/** Options of {@link CharModel.create}: the config plus the text. */
export interface CharModelOptions extends CharModelConfig {
  /**
   * The training text. Without it, `defaultCorpus(corpus)` (the built-in English-like corpus).
   * Must be well-formed UTF-16 (a lone surrogate is LstmError 'config' naming its index) and have
   * at least 2 distinct characters (with unknown 'skip').
   */
  text?: string;
  /** Which built-in corpus, when there is no text. Default `{seed: 1, chars: 200000}`. */
  corpus?: { seed?: number; chars?: number };
  /** Which wasm build. Default 'auto'. */
  simd?: 'auto' | boolean;
  /** Threads of the Network (see {@link NetworkConfig.threads}); not stored in the file. Default 1. */
  threads?: number | 'auto';
  /**
   * Size the model for a training budget of this many minutes (on `threads` threads): the keys of
   * {@link CharModel.configFor} fill in hidden, layers, batch, seqLength and learningRate (and
   * dropout for long budgets) where they are not given. Then train with
   * `model.train({ minutes })`. Not stored in the file (the chosen config is).
   */
  minutes?: number;
}

/** What {@link CharModel.configFor} picks for a budget. */
export interface BudgetConfig {
  hidden: number;
  layers: number;
  batch: number;
  seqLength: number;
  learningRate: number;
  dropout?: number;
}

/** Options of {@link CharModel.train}: exactly one of `steps`, `epochs` or `minutes`. */
export interface CharTrainOptions {
  /** This many steps; `Infinity` trains until the signal aborts. */
  steps?: number;
  /** Until the end of the epoch `epochs` from now (from the middle of an epoch, that epoch counts as the first). */
  epochs?: number;
  /** Until this much time has passed (checked before each step). The steps depend on the machine's speed, so the number of steps is not reproducible; every step taken is (the same as trainSteps). */
  minutes?: number;
  /** Evaluate the validation part every this many steps (and always at the end, when there is one). Default: only at the end; with `minutes`, after every quarter of the time. */
  evalEvery?: number;
  /** After every slice (about every yieldEvery ms) and every evaluation. A returned promise is awaited (training waits). */
  onProgress?: (progress: CharTrainProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** Yield to the event loop at least this often, in ms. Default 16. */
  yieldEvery?: number;
  /**
   * A learning-rate schedule for this call's steps (step 0 is the first step of the call), from
   * the model's base rate (config.learningRate); it replaces the model's own schedule for the
   * call, and the rate is restored afterwards. A cosine without `total` spans the budget (steps
   * or epochs); with `minutes` give `total`. `'auto'`: a linear warm-up over the first 3% of the
   * budget, then a cosine down to 5% of the rate at its end, where the budget's fraction is the
   * elapsed time for `minutes` (so each step's rate depends on the machine's speed) and the
   * steps otherwise. Default: `'auto'` with `minutes`, none (the model's own rate and schedule,
   * as trainSteps) with `steps` and `epochs`; `null` for none.
   */
  schedule?: StepSchedule | { type: 'cosine'; total?: number; warmup?: number; min?: number } | 'auto' | null;
}

/** What onProgress of {@link CharModel.train} receives. */
export interface CharTrainProgress {
  /** The model's step (steps done in all). */
  step: number;
  epoch: number;
  /** Mean train loss of the slice's steps (NaN for a slice of none). */
  loss: number;
  /** The slice's per-step train losses. */
  losses: number[];
  /** Present after an evaluation: the validation loss at `step`. */
  valLoss?: number;
  /** The rate of the slice's last step. */
  learningRate: number;
  /** Seconds since train started. */
  elapsed: number;
  /** Training characters (batch × seqLength per step) per second over the slice. */
  charsPerSecond: number;
}

/** What {@link CharModel.train} resolves with (and `error.history` of an abort). */
export interface CharTrainHistory {
  /** Steps taken by this call. */
  steps: number;
  /** Their train losses, one per step. */
  loss: number[];
  /** The evaluations: validation loss at the model's step. */
  valLoss: { step: number; loss: number }[];
  /** Seconds. */
  elapsed: number;
  stopped: 'steps' | 'epochs' | 'minutes' | 'aborted' | 'error';
}

/** Options of {@link CharModel.sample} and {@link CharModel.stream}. */
export interface SampleOptions {
  /** New characters (code points) to generate, not counting the prime. Default 200. */
  length?: number;
  /** Divides the logits: < 1 more conservative, > 1 more random; 0 is greedy. Default 1. */
  temperature?: number;
  /** Sample among the K most probable characters only; 0 = off (default). */
  topK?: number;
  /** Sample from the smallest set of most probable characters whose probability reaches P (after topK); 1 = off (default). */
  topP?: number;
  /** Always take the most probable character (ties: the lower id). Default false. */
  greedy?: boolean;
  /** Text read before generating (unknown characters per the `unknown` policy; a lone surrogate is LstmError 'arg'). Default: a newline, else a space, else the first symbol. */
  prime?: string;
  /** Seeds a fresh PRNG for this call. Without it the model's own sampler PRNG continues (and is saved by save()). */
  seed?: number;
}

/** The result of {@link CharModel.evaluate}. */
export interface Evaluation {
  /** Mean cross-entropy, nats per character. */
  loss: number;
  /** loss / ln 2. */
  bitsPerChar: number;
  /** e^loss. */
  perplexity: number;
  /** Characters predicted (the text's known characters minus one). */
  chars: number;
  /** Unknown characters dropped (policy 'skip'). */
  skipped: number;
}

/** The result of {@link CharModel.inspect}: activations of one layer while reading a text. */
export interface CharInspection {
  /** The characters read (after the unknown policy), one per step. */
  chars: string[];
  /** LSTM `['i','f','g','o','c','h']`, GRU `['r','z','n','h']`, RNN `['h']`. */
  channels: string[];
  layer: number;
  layers: number;
  hidden: number;
  steps: number;
  /** (T, C, H): `values[(t·C + c)·H + j]` is unit j of channel c after reading chars[t]. */
  values: Float32Array;
  /** The H values of one channel (name or index) at one step: a view into `values`. */
  get(step: number, channel: string | number): Float32Array;
}

/** The data split and reading position of a {@link CharModel}. */
export interface CharData {
  /** Characters (code points) of the training text that are read: all of them for a vocabulary built from the text; for fromNetwork, those in the vocabulary (or mapped, unknown 'map'). */
  chars: number;
  /** Characters of the training text outside a given vocabulary, left out (unknown 'skip'); 0 for a vocabulary built from the text. */
  skipped: number;
  trainChars: number;
  valChars: number;
  /** B. */
  streams: number;
  /** S: characters per stream; stream b reads train characters [b·S, (b+1)·S]. */
  streamLength: number;
  /** S / T: steps per epoch. */
  chunksPerEpoch: number;
  epoch: number;
  /** The chunk the next step reads. */
  chunk: number;
  /** The built-in corpus used, or null for a given text. */
  corpus: { seed: number; chars: number } | null;
}

/** Options of {@link CharModel.fromNetwork}: the vocabulary, an optional text, and the settings a network does not fix (cell, hidden, layers and seed are the network's). */
export interface FromNetworkOptions {
  /**
   * The symbols in the network's id order (id i is input token i and output class i): a string of
   * distinct characters, or an array of code points or one-character strings. Exactly
   * network.config.vocab of them; a duplicate, a lone surrogate or another count is LstmError
   * 'config' (argument 'vocabulary').
   */
  vocabulary: string | ReadonlyArray<number | string>;
  /** A text to train on. Characters outside the vocabulary follow `unknown` (counted in data.skipped). */
  text?: string;
  seqLength?: number;
  batch?: number;
  valFraction?: number;
  schedule?: LearningRateSchedule | null;
  /** 'map' reads unknown characters as U+FFFD, which must then be in the vocabulary. Default 'skip'. */
  unknown?: 'skip' | 'map';
  /** These four default to the network's training settings and are written to it when given. A network that clips by value needs `clip`. */
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
  learningRate?: number;
  clip?: number;
  dropout?: number;
}

/**
 * A character language model (char-rnn) on a {@link Network}: a vocabulary of Unicode code points
 * (emoji, CJK, combining marks are one symbol each), the text read as B parallel streams in chunks
 * of T characters with the train state carried from chunk to chunk and reset each epoch, evaluation
 * on the held-out tail, O(1)-per-character sampling on the predict state, and files that resume
 * training bit-exactly. Sampling, evaluate() and inspect() never change what training does next.
 *
 * Every options object (and its nested schedule or corpus) is read once, key by key, into a copy
 * that alone is checked and used: a getter or Proxy that changes its answer cannot change a value
 * after its check. An options object is a plain object (or has a null prototype); one that is not,
 * or has an unknown key, is LstmError 'config' (create, fromNetwork) or 'arg' (methods) with
 * `argument` 'options'.
 *
 * ```js
 * const model = await CharModel.create({ text, hidden: 128, layers: 2 });
 * model.trainSteps(500, { onProgress: ({ step, loss }) => {} });
 * model.evaluate();                       // { loss, bitsPerChar, perplexity, chars, skipped }
 * model.sample({ prime: 'ROMEO:', length: 300, temperature: 0.8, topP: 0.95 });
 * const again = await CharModel.load(model.save(), { text });
 * ```
 */
export class CharModel {
  private constructor();

  /** The largest `hidden`, `layers` (the C core's limits, as in `abi.limits`), `seqLength` (65536) and `batch` (4096) a CharModel takes; the smallest is 1. */
  static readonly limits: Readonly<{ hidden: number; layers: number; seqLength: number; batch: number }>;

  /**
   * Builds the vocabulary (sorted code points) and the train/validation split, and creates the
   * Network. Rejects with LstmError 'config' for a bad option, a text too short for
   * batch × seqLength + 1 training characters, a text with fewer than 2 distinct characters, or
   * a text with a lone surrogate.
   */
  static create(options?: CharModelOptions): Promise<CharModel>;

  /**
   * The config that `create({ minutes })` picks for a budget of `minutes` on `threads` threads
   * (default 1): the model size and learning rate that trained best on Tiny Shakespeare in that
   * time on one core of a current x86 machine (bench/README.md has the curves). A bad value is
   * LstmError 'config' naming it.
   */
  static configFor(options: { minutes: number; threads?: number }): BudgetConfig;

  /**
   * Loads a file written by {@link CharModel.save}. Every field of its CharModel meta is checked
   * against the network and the training text: a malformed one is LstmError 'format' whose
   * `argument` names it ('vocab', 'step', 'config.hidden', 'corpus', ...). To train further or
   * evaluate() the validation part, the training text is needed: pass it as `text` (LstmError 'arg',
   * argument 'text', if it is not the same text), or save with `includeText`; a built-in corpus is
   * regenerated and checked. Rejects a plain Network file with 'format'; 'version', 'checksum' as Network.load.
   */
  static load(bytes: Uint8Array | ArrayBuffer, options?: { text?: string; simd?: 'auto' | boolean; threads?: number | 'auto' }): Promise<CharModel>;

  /**
   * A CharModel on an existing Network (e.g. converted from PyTorch): token input, output = vocab,
   * loss 'xent'. The CharModel takes the network over (dispose() frees it; a second CharModel on it
   * is LstmError 'arg'). Bad networks are LstmError 'arg' (argument 'network'), bad options
   * 'config' naming the option; nothing is written to the network unless every check passes.
   * Synchronous. A model made without a text can be saved and given its training text at load.
   */
  static fromNetwork(network: Network, options: FromNetworkOptions): CharModel;

  /**
   * n optimisation steps on consecutive chunks. Returns the n train losses (nats per character,
   * before each update). `onProgress` is called after every step. `options` is an object or
   * undefined (null or an unknown key: LstmError 'arg').
   */
  trainSteps(n: number, options?: {
    onProgress?: (progress: { step: number; epoch: number; loss: number; learningRate: number }) => void;
  }): number[];

  /**
   * Trains without blocking the event loop: the steps of {@link CharModel.trainSteps}, bit for bit
   * (the same seed and text give the same parameters either way), taken in slices; between slices
   * it yields to the event loop (at least every `yieldEvery` ms), calls onProgress, and every
   * `evalEvery` steps (and at the end) evaluates the validation part — in pieces, yielding too.
   * Exactly one budget: `steps`, `epochs` or `minutes`. Resolves with the history. Rejects with
   * LstmError 'aborted' (the signal aborted; `error.history` holds what was done), 'busy' (a train
   * already runs), 'nonfinite' (a step was rejected), 'arg' (bad options, no training text), or
   * with the error onProgress threw; the model then stays at its last completed step.
   */
  train(options: CharTrainOptions): Promise<CharTrainHistory>;

  /**
   * Mean cross-entropy of every next character (float64) over the validation part, or over `text`.
   * Reads up to 16 parallel pieces from zero states on the predict state (reset before and after).
   * A `text` with a lone surrogate is LstmError 'arg'.
   */
  evaluate(text?: string): Evaluation;

  /** `length` generated characters as a string (without the prime). */
  sample(options?: SampleOptions): string;

  /**
   * The same characters one at a time: one single-step Network.predict each (O(1) per character).
   * The options (and dispose) are checked at the call, not at the first next().
   * Streams, sample() and evaluate() may interleave: each stream keeps its own recurrent state
   * (stashed and restored only when another user of the predict state came in between). Streams
   * without a `seed` draw from the model's one sampler PRNG, so interleaving those changes their
   * draws; give each stream a seed for independent streams.
   */
  stream(options?: SampleOptions): Generator<string, void, undefined>;

  /** stream() as an async iterator that yields to the event loop every `yieldEvery` (64) characters. */
  streamAsync(options?: SampleOptions & { yieldEvery?: number }): AsyncGenerator<string, void, undefined>;

  /**
   * Gate and state activations of one layer (default the top one) while reading `text` from a
   * zero state; the carried states are untouched.
   */
  inspect(text: string, options?: { layer?: number }): CharInspection;

  /**
   * The model as a file: Network.save of kind 'char' (parameters, optimizer moments, train state,
   * C RNG) with the config, vocabulary, step, data position and sampler PRNG in its meta.
   * `includeText` (default false) stores the training text too. `options` is an object or
   * undefined (null or an unknown key: LstmError 'arg').
   */
  save(options?: { includeText?: boolean }): Uint8Array;

  /**
   * Frees the Network. Later calls of every method and getter but `disposed` throw LstmError
   * 'disposed' naming it (`sample: this CharModel was disposed`). Idempotent.
   */
  dispose(): void;

  /** The vocabulary: one character (code point) per id. A copy. */
  readonly vocab: string[];
  /** Training steps done. */
  readonly step: number;
  /** Epochs completed. */
  readonly epoch: number;
  /** The vocabulary as one string, a symbol (code point) per id: what fromNetwork takes; for exporting beside the weights. */
  readonly vocabulary: string;
  /** The configuration, defaults filled in. optimizer, clip, dropout and (without a schedule) learningRate are the network's current training settings, which save() stores. */
  readonly config: Readonly<Required<CharModelConfig>>;
  /** The underlying network (parameters, trainingConfig, ...). Do not train or resetState it directly. A CharModel made by fromNetwork owns it. */
  readonly network: Network;
  /** The id of the reserved unknown symbol (unknown: 'map'), or -1. */
  readonly unknownId: number;
  /** The learning rate of the next step. */
  readonly learningRate: number;
  /** The split and reading position; null when loaded without the training text. */
  readonly data: CharData | null;
  /** Whether dispose() was called. Never throws. */
  readonly disposed: boolean;
}

/**
 * Keeps the topK most probable entries, then the smallest set whose probability reaches topP
 * (of what topK left), renormalised; the rest become 0. Ties: the lower index first. The sampler's
 * filter, for tests and custom samplers. `probs` (an array or typed array, read once, not
 * modified) must hold finite numbers ≥ 0 with a positive total; topK is an integer ≥ 0 (0: off),
 * topP in (0, 1]; otherwise LstmError 'arg'.
 */
export function filterDistribution(probs: ArrayLike<number>, options?: { topK?: number; topP?: number }): Float64Array;
