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

/**
 * The meta object stored in a model file: `{ kind: 'network' | 'char' | ..., ...user meta }`,
 * or null when the file has none. Checks the file like {@link Network.load} does (rejects with
 * 'format', 'version' or 'checksum').
 */
export function readMeta(bytes: Uint8Array | ArrayBuffer): Promise<Record<string, unknown> | null>;

/** `'lstm'` (PyTorch nn.LSTM, gates i,f,g,o), `'gru'` (nn.GRU, r,z,n) or `'rnn'` (tanh RNN). */
export type Cell = 'lstm' | 'gru' | 'rnn';

/**
 * `'xent'`: softmax cross-entropy over O classes at every step, mean over counted steps (targets
 * of -1 are ignored). `'mse'`: mean squared error at every step, mean over B·T·O.
 * `'mse-last'`: mean squared error at the last step only, mean over B·O (sequence regression).
 */
export type Loss = 'xent' | 'mse' | 'mse-last';

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
  /** Outputs O of the linear head (classes for `'xent'`, at least 2). */
  output: number;
  /** Default `'xent'`. */
  loss?: Loss;
  /** Seed of the initialisation and dropout RNG, an integer in [0, 2^32). Default 1. */
  seed?: number;
}

/** What {@link Network.create} accepts: architecture, training settings, and which build to use. */
export interface NetworkConfig extends ArchitectureConfig, TrainingConfig {
  /** `'auto'` (default): the SIMD build if the engine supports it, else the plain one. */
  simd?: 'auto' | boolean;
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
}

/** Dense inputs or regression targets: a Float32Array or a plain array of numbers (converted). */
export type FloatData = Float32Array | readonly number[];
/** Token inputs or class targets: an Int32Array or a plain array of integers (converted). */
export type IntData = Int32Array | readonly number[];
/** Inputs: {@link IntData} for a `vocab` model, {@link FloatData} for an `input` model. */
export type Inputs = FloatData | IntData;
/** Targets: class ids (B,T) in [-1, O) for `'xent'` (-1 = ignored), floats (B,T,O) for `'mse'`, (B,O) for `'mse-last'`. */
export type Targets = FloatData | IntData;

/** Sizes of a call. `batch` defaults to 1; `steps` to what the inputs' length implies. */
export interface BatchOptions {
  /** Sequences in the batch (B). The carried state continues only while B is unchanged. */
  batch?: number;
  /** Steps per sequence (T). */
  steps?: number;
}

/** A tensor: its shape and a copy of its data (row-major). */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Named tensors, in the order of c/lstm.h's tensor table. Per layer l: `l{l}.wx` (I_l, G·H),
 * `l{l}.wh` (H, G·H), and `l{l}.b` (G·H) for LSTM/RNN or `l{l}.bx`, `l{l}.bh` (3H) for GRU;
 * then `head.w` (H, O) and `head.b` (O). Gates are blocks of H along G·H: LSTM i,f,g,o; GRU r,z,n.
 */
export type Tensors = Record<string, Tensor>;

/** What setParameters/applyGradients accept per name: a tensor like {@link Tensors} has (shape optional, checked if given) or just its data. */
export type TensorInput = { shape?: readonly number[]; data: FloatData } | FloatData;

/** The result of {@link Network.inspect}. */
export interface Inspection {
  /** Channel names: LSTM `['i','f','g','o','c','h']`, GRU `['r','z','n','h']`, RNN `['h']`. */
  channels: string[];
  layers: number;
  steps: number;
  batch: number;
  hidden: number;
  /** All activations, (L, T, B, C, H). */
  data: Float32Array;
  /** The H activations of one channel (a name or an index): a view into `data`. */
  get(layer: number, step: number, seq: number, channel: string | number): Float32Array;
}

/** The result of {@link Network.stepGradientNorms}. */
export interface StepGradientNorms {
  layers: number;
  steps: number;
  /** (L, T): `norms[l * steps + t]` = ‖∂loss/∂h_t‖ of layer l (Frobenius over batch and units). */
  norms: Float32Array;
  /** The T norms of one layer: a view into `norms`. */
  get(layer: number): Float32Array;
  /** LSTM only, (L, T): ‖∂loss/∂c_t‖, the gradient travelling along the cell state (from h_t and from c_{t+1} through f). */
  cellNorms?: Float32Array;
  /** LSTM only: the T cell-state norms of one layer, a view into `cellNorms`. */
  getCell?(layer: number): Float32Array;
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
 * A recurrent network (LSTM, GRU or RNN, 1–4 layers) with a linear output head, trained by
 * truncated backpropagation through time on minibatches, in its own WebAssembly instance.
 * Create it with {@link Network.create} or {@link Network.load} (async), then every method is
 * synchronous. Every method validates its arguments and throws {@link LstmError}; a failed call
 * changes nothing. Results are always copies. Call {@link Network.dispose} when done.
 *
 * The network carries two recurrent states: the train state (advanced by train) and the predict
 * state (advanced by predict). A call continues from the previous call's final state of its kind
 * when the batch size is unchanged, and starts from zeros otherwise or after resetState.
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
  static load(bytes: Uint8Array | ArrayBuffer, options?: { simd?: 'auto' | boolean }): Promise<Network>;

  /** One optimisation step (forward, BPTT, clip, update); advances the train state. Returns the mean loss of the batch before the update. */
  train(inputs: Inputs, targets: Targets, options?: BatchOptions): number;

  /**
   * The loss and gradients without an update (no dropout). With `advance` (default true) the train
   * state moves on as in train, so lossAndGradients + applyGradients equals train; with false it is
   * left alone and repeated calls give identical results.
   */
  lossAndGradients(inputs: Inputs, targets: Targets, options?: BatchOptions & { advance?: boolean }): { loss: number; gradients: Tensors };

  /**
   * Applies the optimizer (after clipping) to the gradient buffer, i.e. the gradients of the last
   * lossAndGradients or train call; if `gradients` is given (all or some tensors) they are written
   * into it first: custom loops, gradient surgery.
   */
  applyGradients(gradients?: Record<string, TensorInput>): void;

  /** ‖∂loss/∂h_t‖ for every layer and step: the vanishing-gradient picture. Leaves the train state alone. */
  stepGradientNorms(inputs: Inputs, targets: Targets, options?: BatchOptions): StepGradientNorms;

  /** Zeroes the carried state: `'train'`, `'predict'`, or both (default). */
  resetState(which?: 'train' | 'predict'): void;

  /** A copy of a carried state: h (and for LSTM c) of shape (L, B, H); `batch` 0 before any call of that kind. */
  getState(which: 'train' | 'predict'): { batch: number; h: Float32Array; c?: Float32Array };

  /** Replaces a carried state with a copy of `state` (as {@link getState} returns it); the next call of that kind with the same batch continues from it. */
  setState(which: 'train' | 'predict', state: { batch: number; h: FloatData; c?: FloatData }): void;

  /**
   * Forward pass continuing from the predict state (stateful generation: feed one step at a time).
   * Returns outputs (B,T,O), or (B,O) with `lastOnly`; with `softmax` (xent models) probabilities.
   */
  predict(inputs: Inputs, options?: BatchOptions & { softmax?: boolean; lastOnly?: boolean }): Float32Array;

  /** Every activation per layer, step, sequence and channel, from a zero state (neither carried state changes). */
  inspect(inputs: Inputs, options?: BatchOptions): Inspection;

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
  /** Global L2 norm of the gradient of the last train/lossAndGradients/applyGradients call, before clipping. */
  readonly lastGradientNorm: number;
  /** The user meta of the file this network was loaded from (without `kind`); null if it was created. */
  readonly meta: Record<string, unknown> | null;
  /** Bytes of WebAssembly memory this network's instance holds now (it grows for bigger batch × steps, never shrinks). */
  readonly memoryBytes: number;
  /** Whether dispose() was called. Never throws. */
  readonly disposed: boolean;
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
  /** Characters (code points) of the training text. */
  chars: number;
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

/**
 * A character language model (char-rnn) on a {@link Network}: a vocabulary of Unicode code points
 * (emoji, CJK, combining marks are one symbol each), the text read as B parallel streams in chunks
 * of T characters with the train state carried from chunk to chunk and reset each epoch, evaluation
 * on the held-out tail, O(1)-per-character sampling on the predict state, and files that resume
 * training bit-exactly. Sampling, evaluate() and inspect() never change what training does next.
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

  /**
   * Builds the vocabulary (sorted code points) and the train/validation split, and creates the
   * Network. Rejects with LstmError 'config' for a bad option, a text too short for
   * batch × seqLength + 1 training characters, a text with fewer than 2 distinct characters, or
   * a text with a lone surrogate.
   */
  static create(options?: CharModelOptions): Promise<CharModel>;

  /**
   * Loads a file written by {@link CharModel.save}. To train further or evaluate() the validation
   * part, the training text is needed: pass it as `text` (checked: LstmError 'arg' if it is not
   * the same text), or save with `includeText`; a built-in corpus is regenerated. Rejects a plain
   * Network file with LstmError 'format'; 'version', 'checksum' as Network.load.
   */
  static load(bytes: Uint8Array | ArrayBuffer, options?: { text?: string; simd?: 'auto' | boolean }): Promise<CharModel>;

  /**
   * n optimisation steps on consecutive chunks. Returns the n train losses (nats per character,
   * before each update). `onProgress` is called after every step. `options` is an object or
   * undefined (null or an unknown key: LstmError 'arg').
   */
  trainSteps(n: number, options?: {
    onProgress?: (progress: { step: number; epoch: number; loss: number; learningRate: number }) => void;
  }): number[];

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
  /** The configuration, defaults filled in. */
  readonly config: Readonly<Required<CharModelConfig>>;
  /** The underlying network (parameters, trainingConfig, ...). Do not train or resetState it directly. */
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
 * filter, for tests and custom samplers.
 */
export function filterDistribution(probs: ArrayLike<number>, options?: { topK?: number; topP?: number }): Float64Array;
