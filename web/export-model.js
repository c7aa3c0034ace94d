// export-model.js — the demo's Download in other formats: the model the page trains, saved by its
// trainer, becomes PyTorch, safetensors, ONNX or TF.js files through the public interop API
// (wasm-lstm/interop), as `wasm-lstm convert` makes them, with the vocabulary beside the weights
// (NAME.vocab.json: those formats hold weights, not the characters the ids stand for; the demo's
// Upload and `wasm-lstm convert` read it back). Loaded only when such a download is asked for.

import { CharModel } from '../js/index.js';
import { toPyTorch, toONNX, toKeras, vocabularyJson } from '../js/interop/index.js';

const bytesOf = (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);

/** The files ([{name, bytes}]) of our model file `bytes` in `format`, named after `stem`. */
export async function exportModel(bytes, format, stem) {
  const model = await CharModel.load(bytes);
  try {
    const net = model.network, vocab = (name) => ({ name, bytes: bytesOf(vocabularyJson(model.vocabulary)) });
    switch (format) {
      case 'pt': return [{ name: `${stem}.pt`, bytes: toPyTorch(net) }, vocab(`${stem}.vocab.json`)];
      case 'safetensors': return [{ name: `${stem}.safetensors`, bytes: toPyTorch(net, { format: 'safetensors' }) }, vocab(`${stem}.vocab.json`)];
      case 'onnx': return [{ name: `${stem}.onnx`, bytes: toONNX(net) }, vocab(`${stem}.vocab.json`)];
      case 'tfjs': { // a classifier ends in a softmax Dense, as Keras's do; model.json names its weight file
        const { files } = toKeras(net, { softmax: true });
        return [...Object.entries(files).map(([name, b]) => ({ name, bytes: bytesOf(b) })), vocab('model.vocab.json')];
      }
      default: throw new Error(`no download format '${format}'`);
    }
  } finally {
    model.dispose();
  }
}
