// Types and documentation of `wasm-lstm/interop`: import and export PyTorch (.pt, .safetensors),
// ONNX and Keras / TF.js recurrent models. Zero runtime dependencies; nothing here is loaded by
// the core package unless you import this entry point.
//
//   import { fromPyTorch, toONNX } from 'wasm-lstm/interop';
//   const net = await fromPyTorch(await readFile('model.pt'));        // torch.save(model.state_dict())
//   await writeFile('model.onnx', toONNX(net));
//
// Two levels. `read*` / `write*` convert between file bytes and a plain {@link ModelDescription}
// (synchronous, no WebAssembly: inspect a file, convert between formats). `from*` / `to*` do the
// same with a {@link Network}. Every malformed, hostile or unsupported file is an LstmError with
// code 'format' whose message names what is wrong and where; bad arguments are code 'arg'.
// Readers never execute anything from a file (the .pt pickle reader accepts only what a
// state_dict uses) and never allocate more than the file's size implies (a zip entry may inflate
// to at most its declared size, itself at most 1032 times its compressed size).
//
// Layouts (one table in js/interop/layouts.js): PyTorch gates i,f,g,o / r,z,n = ours; Keras
// i,f,c,o / z,r,h; ONNX i,o,f,c / z,r,h. A round trip ours → any format → ours is bit-identical.

import type { Network, Cell, LstmError } from './index.js';

/** A tensor: row-major float32 data of `shape`. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * A model one step below Network: what Network.create and setParameters need.
 * Parameter names and layouts as `Network.parameters()`: per layer l (and `_reverse` for the
 * reverse direction) `l{l}.wx` (I_l, G·H), `l{l}.wh` (H, G·H), `l{l}.b` (LSTM, RNN) or
 * `l{l}.bx`, `l{l}.bh` (GRU); `head.w` (D·H, O), `head.b` (O).
 */
export interface ModelDescription {
  config: {
    cell: Cell;
    /** Token input: the vocabulary size (l0.wx has one row per token, an embedding folded in). */
    vocab?: number;
    /** Dense input: the feature width. Exactly one of vocab and input. */
    input?: number;
    hidden: number;
    layers: number;
    output: number;
    bidirectional: boolean;
    /** 'hardSigmoid' = max(0, min(1, 0.2x + 0.5)), Keras 2 / TF.js's hard_sigmoid. */
    gateActivation: 'sigmoid' | 'hardSigmoid';
    /** Set when the file says (a Keras Dense activation, an ONNX Softmax); else undefined. */
    loss?: 'xent' | 'xent-last' | 'mse' | 'mse-last';
  };
  parameters: Record<string, Tensor>;
  /** Whether the head runs at every step ('sequence') or on the final states ('last': the
   *  forward h at the last valid step, concatenated with the reverse h at step 0). */
  summary: 'sequence' | 'last';
  /** What the conversion assumed, folded, rounded or ignored, in words. */
  notes: string[];
  /** Keras masking (Embedding mask_zero, Masking): pass `lengths` to predict for padded inputs. */
  masking?: { token: number } | { value: number };
}

/** Files of a TF.js layers model: 'model.json' (bytes, string or parsed object) and its weight files by name. */
export type TfjsFiles = Record<string, Uint8Array | ArrayBuffer | string | object> | Map<string, Uint8Array | ArrayBuffer | string | object>;

/** What TF.js IOHandlers pass around (tf.io.withSaveHandler, tf.io.fromMemory). */
export interface TfjsArtifacts {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' | 'int32' | 'bool'; quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number } }[];
  weightData: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Network.create keys that a model file does not set: seed, simd and training settings. */
export type NetworkOptions = Record<string, unknown>;

// ---- PyTorch

export interface ReadPyTorchOptions {
  /**
   * Module prefixes of the state_dict keys, e.g. `{rnn: 'encoder.lstm.', embedding: 'emb.', head: 'fc.'}`;
   * null = that module is absent. Guessed when not given (the one `…weight_ih_l0`; the one other 2-D
   * weight without a bias as wide as the RNN's input; the one 2-D weight D·H wide); a failed guess
   * is an LstmError listing the tensors found.
   */
  names?: { rnn?: string; embedding?: string | null; head?: string | null };
  /** Tensors of other modules under the model's scope are an error unless `strict: false` (default true). */
  strict?: boolean;
  /** Asserts the cell (otherwise read from the shapes: weight_hh rows / H = 4, 3, 1). */
  cell?: Cell;
  /** A state_dict does not record nn.RNN's nonlinearity; 'tanh' is assumed; 'relu' is refused. */
  nonlinearity?: 'tanh' | 'relu';
  /** How the head is applied (a state_dict does not say): default 'sequence'. */
  summary?: 'sequence' | 'last';
  loss?: 'xent' | 'xent-last' | 'mse' | 'mse-last';
}

/**
 * A description from `torch.save(model.state_dict())` (a .pt zip; checkpoints nesting the
 * state_dict in dicts work: keys are joined with '.'), from `torch.save(model)` or a TorchScript
 * `torch.jit.save` file (read as the module's state_dict: its classes are named, never imported
 * or called), or from a `.safetensors` file, of
 * [nn.Embedding →] nn.LSTM | nn.GRU | nn.RNN(tanh) (any layers, bidirectional) [→ nn.Linear].
 * An embedding is folded into l0.wx (E · weight_ih_l0ᵀ in float64); the two biases of LSTM/RNN are
 * summed; no Linear gives an identity head (outputs = top h). float16/bfloat16 tensors are widened
 * exactly, float64 rounded (noted). Refused: proj_size, non-float tensors where weights belong,
 * a legacy (pre-1.6) .pt, any pickle that names a function other than the few a PyTorch file
 * uses, or calls a class.
 */
export function readPyTorch(bytes: Uint8Array | ArrayBuffer, options?: ReadPyTorchOptions): ModelDescription;

/**
 * A `.pt` (`format: 'pt'`, default; what torch.save writes: torch.load + load_state_dict read it)
 * or `.safetensors` file of `embedding.` (token models) → `rnn.` → `head.` tensors (rename with
 * `names`). A token model's embedding is exported exactly: Embedding(V, V) = identity with
 * weight_ih_l0 = our wx, or, when smaller, Embedding(V, D·G·H) = our wx with a 0/1 weight_ih_l0.
 * LSTM/RNN biases go to bias_ih (bias_hh = 0). Refused (LstmError 'arg'): hardSigmoid gates.
 */
export function writePyTorch(description: ModelDescription, options?: { format?: 'pt' | 'safetensors'; names?: { rnn?: string; embedding?: string; head?: string } }): Uint8Array;

// ---- ONNX

/**
 * A description from an ONNX model of these networks as torch.onnx.export writes them (opset ≥ 7;
 * LSTM / GRU with linear_before_reset = 1 / RNN with Tanh; forward, bidirectional, or separate
 * forward and reverse nodes concatenated; the glue ops Shape, Gather, Unsqueeze, Squeeze, Concat,
 * Slice, Transpose, Reshape, ConstantOfShape, Expand, Cast, Identity, Dropout; MatMul + Add or
 * Gemm heads on the outputs or on the final states; an optional Softmax; time-major inputs;
 * initial-state and sequence_lens graph inputs, including the sort of the batch by length and
 * its undoing (TopK, ScatterElements, Range) that pack_padded_sequence(enforce_sorted=False)
 * exports). Anything else — peepholes, clip, input_forget, other activations, other ops — is an
 * LstmError 'format' naming the node and attribute.
 */
export function readONNX(bytes: Uint8Array | ArrayBuffer, options?: { summary?: 'sequence' | 'last'; loss?: ModelDescription['config']['loss'] }): ModelDescription;

export interface WriteOnnxOptions {
  /** Head on every step (output (B, T, O), default from the description) or on the final states (B, O). */
  summary?: 'sequence' | 'last';
  /** End in a Softmax over the classes. Default false (logits, like PyTorch). */
  softmax?: boolean;
  /** The graph's name. */
  name?: string;
  /**
   * The initial states h0, c0 (L·D, B, H): 'required' graph inputs (default; feed zeros to start;
   * feed the outputs h, c back to stream), 'optional' (inputs with zero initializers: onnxruntime
   * for Python/Node/C++ lets a feed override them, onnxruntime-web does not accept such feeds), or
   * 'none' (always zeros).
   */
  stateInputs?: 'required' | 'optional' | 'none';
  /**
   * A graph input 'lengths' (B) int32: each sequence's valid steps, given to every layer's op as
   * its sequence_lens, for padded batches of sequences of different lengths. The final states and
   * the 'last' summary are then those of each sequence's last valid step (as predict with
   * `lengths`); with the 'sequence' summary a padded step's output is the head of a zero state
   * (head.b), where predict writes 0. Default false.
   */
  lengths?: boolean;
}

/**
 * An ONNX model (opset 14, IR 7) of the same ops torch.onnx.export uses: inputs 'input' (B, T, I)
 * float or 'tokens' (B, T) int64, and h0/c0; outputs 'output', and 'h', 'c' (L·D, B, H): the final
 * states in PyTorch's h_n layout. Accepted by onnx.checker and run by onnxruntime(-web);
 * hardSigmoid gates are written as activations HardSigmoid (alpha 0.2, beta 0.5).
 */
export function writeONNX(description: ModelDescription, options?: WriteOnnxOptions): Uint8Array;

// ---- Keras / TF.js

/**
 * A description from a TF.js layers model (files or artifacts): Sequential or single-chain
 * functional models of [InputLayer] [Embedding | Masking] LSTM | GRU (reset_after = true) |
 * SimpleRNN (tanh) | Bidirectional(concat) … [Dropout] [Dense linear | softmax] [Activation
 * softmax]. recurrent_activation 'hard_sigmoid' (TF.js's default) → gateActivation 'hardSigmoid'.
 * Quantised weights (uint8, uint16, float16) are dequantised as TF.js does. Refused with the
 * reason: GRU reset_after = false (what TF.js itself trains), Keras 3's hard_sigmoid (another
 * function), merge modes other than concat, other layers and activations.
 */
export function readKeras(input: TfjsFiles | TfjsArtifacts, options?: { loss?: ModelDescription['config']['loss'] }): ModelDescription;

/**
 * A TF.js layers model: `files` ('model.json' and 'weights.bin', as model.save('file://…') writes
 * them) and `artifacts` (for tf.loadLayersModel(tf.io.fromMemory(artifacts))). LSTM and SimpleRNN
 * models load in TF.js; GRUs are written with reset_after = true (Keras's GRU), which TF.js refuses
 * to load (tfjs#5728) but Keras reads.
 */
export function writeKeras(description: ModelDescription, options?: { summary?: 'sequence' | 'last'; softmax?: boolean; name?: string }): {
  files: { 'model.json': Uint8Array; 'weights.bin': Uint8Array };
  artifacts: TfjsArtifacts;
};

// ---- Network

/**
 * A Network from a description: Network.create with its config, loss = options.loss ??
 * config.loss ?? ('xent-last' for summary 'last', else 'xent'), and options.network (seed, simd,
 * training settings); then setParameters. Needs the api-v2 core for bidirectional models,
 * hardSigmoid gates and '…-last' classification.
 */
export function toNetwork(description: ModelDescription, options?: { loss?: ModelDescription['config']['loss']; network?: NetworkOptions }): Promise<Network>;

/** The description of a Network: its config and a copy of its parameters. */
export function describeModel(network: Network): ModelDescription;

/** readPyTorch, then toNetwork. */
export function fromPyTorch(bytes: Uint8Array | ArrayBuffer, options?: ReadPyTorchOptions & { network?: NetworkOptions }): Promise<Network>;
/** readONNX, then toNetwork. */
export function fromONNX(bytes: Uint8Array | ArrayBuffer, options?: { summary?: 'sequence' | 'last'; loss?: ModelDescription['config']['loss']; network?: NetworkOptions }): Promise<Network>;
/** readKeras, then toNetwork. */
export function fromKeras(input: TfjsFiles | TfjsArtifacts, options?: { loss?: ModelDescription['config']['loss']; network?: NetworkOptions }): Promise<Network>;

/** writePyTorch of a Network. */
export function toPyTorch(network: Network, options?: Parameters<typeof writePyTorch>[1]): Uint8Array;
/** writeONNX of a Network. */
export function toONNX(network: Network, options?: WriteOnnxOptions): Uint8Array;
/** writeKeras of a Network. */
export function toKeras(network: Network, options?: Parameters<typeof writeKeras>[1]): ReturnType<typeof writeKeras>;

/**
 * Which format the input holds, from its first bytes: 'pytorch' (a zip), 'safetensors', 'onnx',
 * 'tfjs' (an object with a model.json or modelTopology), or null.
 */
export function detectFormat(input: Uint8Array | ArrayBuffer | TfjsFiles | TfjsArtifacts): 'pytorch' | 'safetensors' | 'onnx' | 'tfjs' | null;

/**
 * What a model file holds, in any format: its tensors, format facts (`details`: the .pt's
 * non-tensor entries, the safetensors metadata, the ONNX producer/opsets/inputs/outputs/op counts,
 * the TF.js layers), and `model` (config, summary, notes) when wasm-lstm can run it with default
 * options, else `problem`: the reason, as readPyTorch/readONNX/readKeras word it. A malformed file
 * throws LstmError 'format'.
 */
export function inspectFile(input: Uint8Array | ArrayBuffer | TfjsFiles | TfjsArtifacts): {
  format: 'pytorch' | 'safetensors' | 'onnx' | 'tfjs';
  tensors: { name: string; dtype: string | number; shape: number[] }[];
  details: Record<string, unknown>;
  model: Pick<ModelDescription, 'config' | 'summary' | 'notes' | 'masking'> | null;
  problem: string | null;
};

/**
 * The vocabulary sidecar of a character model in a foreign format (NAME.vocab.json beside
 * NAME.pt, NAME.onnx or model.json, which hold weights only): a JSON array of the characters by
 * id (what Python's json.dump(chars, f) writes), for a CharModel's `vocabulary`.
 */
export function vocabularyJson(vocabulary: string): string;

/** Gate blocks along G·H in each framework's order, as indices of our gate order. */
export const GATE_ORDER: Readonly<Record<Cell, { gates: string[]; pytorch: number[]; keras: number[]; onnx: number[] }>>;

export type { LstmError };
