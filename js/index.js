// wasm-lstm: LSTM, GRU and RNN training and inference in WebAssembly SIMD.
// The package entry: re-exports only. Types and documentation: index.d.ts.

export { Network, readMeta } from './network.js';
export { LstmError, ERROR_CODES } from './errors.js';
export { simdSupported } from './loader.js';
export { CharModel, filterDistribution } from './charmodel.js';
export { PUBLIC_ABI as abi } from './abi.js';
export { defaultCorpus, agreementTask } from './datasets.js';
