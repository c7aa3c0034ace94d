// Types and documentation of wasm-lstm/worker: a Network or a CharModel in a worker of its own.
//
//   import { Trainer } from 'wasm-lstm/worker';
//   const trainer = await Trainer.create({ kind: 'char', config: { text } });
//   await trainer.train({ minutes: 3, onProgress: ({ step, loss }) => show(step, loss) });
//   for await (const ch of trainer.stream({ prime: 'ROMEO:', length: 300 })) out.append(ch);

import type {
  NetworkConfig, CharModelOptions, ResolvedConfig, CharModelConfig, ResolvedTrainingConfig, TrainingConfig,
  Inputs, Targets, BatchOptions, StateOptions, PredictOptions, Inspection, StepGradientNorms, Tensors, TensorInput,
  Metrics, SaveOptions, FitInputs, FitTargets, FitOptions, FitHistory, Evaluation, SampleOptions, CharInspection,
  CharData, CharTrainOptions, CharTrainHistory, FloatData,
} from './index.js';

/** What a trainer's worker holds, as it was when the model was created or loaded. */
export interface TrainerInfo {
  kind: 'network' | 'char';
  /** The network's architecture (kind 'network') or the CharModel's config (kind 'char'). */
  config: ResolvedConfig | Readonly<Required<CharModelConfig>>;
  /** Threads the network computes on in the worker (see {@link NetworkConfig.threads}). */
  threads: number;
  /** Why it runs on fewer threads than asked, or null. */
  threadsNote: string | null;
  simd: boolean;
  parameterCount: number;
  /** Steps done when it was created or loaded. */
  step: number;
  /** CharModel only: its vocabulary (a symbol per id). */
  vocabulary?: string;
  /** CharModel only: its data split (null without the training text). */
  data?: CharData | null;
}

/** Options of {@link Trainer.load}. */
export interface TrainerLoadOptions {
  /** Default: the file's own kind (its meta). */
  kind?: 'network' | 'char';
  /** A CharModel's training text (as {@link CharModel.load} takes it). */
  text?: string;
  threads?: number | 'auto';
  simd?: 'auto' | boolean;
}

/**
 * A model in a worker of its own (a module Web Worker in browsers, a worker_threads Worker in
 * Node), behind promises that mirror the in-thread API, so that a page never waits for training.
 * Create it with {@link Trainer.create} or {@link Trainer.load}: the result is a
 * {@link NetworkTrainer} or a {@link CharTrainer}.
 *
 * - Arguments are read once on the calling thread into copies and checked in the worker by the
 *   in-thread code: every call rejects only with {@link LstmError}, with the code, argument and
 *   message the in-thread call would give. Arguments that cannot cross (a function where data is
 *   expected, a class instance, a Map) are LstmError 'arg' naming them; so is a `schedule`
 *   function (give `{type: ...}`).
 * - Results are the worker's own copies, transferred (not copied again); model bytes cross as
 *   transferables in both directions.
 * - Callbacks (fit's on*, train's onProgress) run on the calling thread, in order, from the
 *   worker's events; the call resolves after the last of them. The worker does not wait for them
 *   (use pause()). A callback that throws aborts the call: LstmError 'aborted' whose `cause` is
 *   its error and `argument` its name.
 * - Calls run in the worker as they arrive, as the same calls would on one thread: while fit or
 *   train runs, any other call (save, sample, evaluate, status…) runs between two of its steps.
 * - A worker that dies rejects every pending and later call with LstmError 'trap'; one whose
 *   script cannot be loaded rejects create/load with LstmError 'load' naming the likely fix.
 * - In Node an idle trainer does not keep the process running; a pending call does.
 */
export class Trainer {
  protected constructor();

  /** A new model in a new worker: `config` is Network.create's config (kind 'network') or CharModel.create's options (kind 'char'), each with `threads` and `simd`. */
  static create(options: { kind: 'network'; config: NetworkConfig }): Promise<NetworkTrainer>;
  static create(options: { kind: 'char'; config?: CharModelOptions }): Promise<CharTrainer>;

  /**
   * A model from a file (Network.save or CharModel.save) in a new worker. When `bytes` is exactly
   * one whole ArrayBuffer it is transferred — detached here, no copy — else copied.
   */
  static load(bytes: Uint8Array | ArrayBuffer, options: TrainerLoadOptions & { kind: 'network' }): Promise<NetworkTrainer>;
  static load(bytes: Uint8Array | ArrayBuffer, options: TrainerLoadOptions & { kind: 'char' }): Promise<CharTrainer>;
  static load(bytes: Uint8Array | ArrayBuffer, options?: TrainerLoadOptions): Promise<NetworkTrainer | CharTrainer>;

  /** As it was when the model was created or loaded; {@link Trainer.status} has the live state. */
  readonly info: Readonly<TrainerInfo>;
  /** Whether dispose() was called or the worker stopped. Never throws. */
  readonly disposed: boolean;

  /** The model as a file (options of Network.save / CharModel.save), transferred from the worker. Runs between two steps of a running fit/train. */
  save(options?: SaveOptions & { includeText?: boolean }): Promise<Uint8Array>;
  /** Copies of every parameter tensor of the network. */
  parameters(): Promise<Tensors>;
  /** Network#setTrainingConfig (of a CharModel's network too: learning rate, clip…). */
  setTrainingConfig(patch: TrainingConfig): Promise<void>;
  /**
   * Holds the running fit/train at its next batch (fit) or slice (train) boundary until resume();
   * calls started while paused hold at their first. Resolves once every running one is held (at
   * once when none runs). Time paused counts towards fit's timeLimit and train's minutes.
   */
  pause(): Promise<void>;
  /** Lets held fit/train calls go on. */
  resume(): Promise<void>;
  /** Aborts every running fit/train: each rejects with LstmError 'aborted' (with its `history`, and `reason` as its cause); the model keeps the steps it completed. */
  abort(reason?: unknown): void;
  /** Ends the worker and frees the model; pending and later calls reject with LstmError 'disposed'. Idempotent. */
  dispose(): Promise<void>;
}

/** The live state of a {@link NetworkTrainer}. */
export interface NetworkStatus {
  stepCount: number;
  trainingConfig: ResolvedTrainingConfig;
  lastGradientNorm: number;
  memoryBytes: number;
  threads: number;
  threadsNote: string | null;
  paused: boolean;
}

/** A {@link Network} in a worker: its methods as promises. */
export class NetworkTrainer extends Trainer {
  status(): Promise<NetworkStatus>;
  /** Network#fit in the worker (callbacks on this thread, `signal`, pause/resume). */
  fit(inputs: FitInputs, targets: FitTargets, options?: FitOptions): Promise<FitHistory>;
  train(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions): Promise<number>;
  evaluate(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions & { advance?: boolean }): Promise<Metrics>;
  predict(inputs: Inputs, options?: PredictOptions & { returnState?: false }): Promise<Float32Array>;
  predict(inputs: Inputs, options: PredictOptions & { returnState: true }): Promise<{ outputs: Float32Array; h: Float32Array; c?: Float32Array }>;
  inspect(inputs: Inputs, options?: BatchOptions & { initialState?: { h: FloatData; c?: FloatData } }): Promise<Inspection>;
  lossAndGradients(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions & { advance?: boolean }): Promise<{ loss: number; gradients: Tensors }>;
  applyGradients(gradients?: Record<string, TensorInput>): Promise<void>;
  stepGradientNorms(inputs: Inputs, targets: Targets, options?: BatchOptions & StateOptions): Promise<StepGradientNorms>;
  resetState(which?: 'train' | 'predict'): Promise<void>;
  getState(which: 'train' | 'predict'): Promise<{ batch: number; h: Float32Array; c?: Float32Array }>;
  setState(which: 'train' | 'predict', state: { batch: number; h: FloatData; c?: FloatData }): Promise<void>;
  setParameters(params: Record<string, TensorInput>): Promise<void>;
  summary(): Promise<string>;
}

/** The live state of a {@link CharTrainer}. */
export interface CharStatus {
  step: number;
  epoch: number;
  /** Of the next step. */
  learningRate: number;
  config: Readonly<Required<CharModelConfig>>;
  data: CharData | null;
  trainingConfig: ResolvedTrainingConfig;
  paused: boolean;
}

/** An async iterator of characters from {@link CharTrainer.stream}. */
export interface TrainerStream extends AsyncIterableIterator<string> {
  /** The step of the snapshot it samples. */
  readonly step: Promise<number>;
}

/** A {@link CharModel} in a worker: its methods as promises; streams sample a snapshot. */
export class CharTrainer extends Trainer {
  status(): Promise<CharStatus>;
  /** CharModel#train in the worker: onProgress on this thread, `signal`, pause/resume. Bit-exact with the in-thread train and trainSteps. */
  train(options: CharTrainOptions): Promise<CharTrainHistory>;
  /** CharModel#trainSteps in the worker (runs whole, between other calls); onProgress per step on this thread. */
  trainSteps(n: number, options?: { onProgress?: (progress: { step: number; epoch: number; loss: number; learningRate: number }) => void }): Promise<number[]>;
  /** CharModel#evaluate on the training model (it changes nothing of training). */
  evaluate(text?: string): Promise<Evaluation>;
  /** CharModel#sample on the training model, between two steps of a running train; without a seed it continues the model's sampler PRNG, as in-thread. */
  sample(options?: SampleOptions): Promise<string>;
  /**
   * Characters generated in the worker from a snapshot of the parameters taken when the stream
   * starts, so that sampling never waits for training nor changes it: training goes on while it
   * streams, and chunks of characters are produced between training slices. Without a seed, its
   * seed is drawn from the model's sampler PRNG (streams differ; runs are reproducible). Options
   * are checked in the worker: a bad one rejects the first next(). `break` or return() ends it.
   */
  stream(options?: SampleOptions): TrainerStream;
  /** CharModel#inspect on the training model. */
  inspect(text: string, options?: { layer?: number }): Promise<CharInspection>;
}
