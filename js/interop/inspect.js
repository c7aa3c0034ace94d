// inspect.js — what a model file holds, in any of the formats (for `wasm-lstm inspect FILE` and
// for users deciding what to pass as options): its tensors, format-specific facts, and — when it
// is a model wasm-lstm can run — the model's config, or else why not (the read* error's message).

import { LstmError, describe as describeArg } from '../errors.js';
import { asBytes } from './bytes.js';
import { readTorchFile } from './torchfile.js';
import { readSafetensors } from './safetensors.js';
import { readOnnx } from './onnx.js';
import { readTfjs } from './tfjs.js';

/**
 * `{ format, tensors: [{name, dtype, shape}], details, model: {config, summary, notes} | null,
 *   problem: string | null }` for a file (bytes) or TF.js files / artifacts. `read` is the read*
 * function of that format (passed in by index.js, which owns them). Malformed files throw like
 * the readers do (LstmError 'format').
 */
export function inspectModel(input, format, read) {
  let tensors, details;
  switch (format) {
    case 'pytorch': {
      const f = readTorchFile(asBytes(input), 'PyTorch file');
      tensors = [...f.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
      details = { archive: f.archive, others: f.others };
      break;
    }
    case 'safetensors': {
      const f = readSafetensors(asBytes(input));
      tensors = [...f.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
      details = { metadata: f.metadata };
      break;
    }
    case 'onnx': {
      const m = readOnnx(asBytes(input));
      const dims = (vi) => (vi.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimValue ?? d.dimParam ?? '?');
      tensors = m.graph.initializer.map((t) => ({ name: t.name, dtype: t.dataType, shape: t.dims }));
      const ops = {};
      for (const n of m.graph.node) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
      details = {
        producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(), irVersion: m.irVersion,
        opsets: m.opsetImport.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`),
        inputs: m.graph.input.map((vi) => ({ name: vi.name, shape: dims(vi) })),
        outputs: m.graph.output.map((vi) => ({ name: vi.name, shape: dims(vi) })), ops,
      };
      break;
    }
    case 'tfjs': {
      const f = readTfjs(input);
      tensors = f.order.map((name) => ({ name, dtype: 'float32', shape: f.weights.get(name).shape }));
      const layers = f.topology.config?.layers;
      details = { class: f.topology.class_name, kerasVersion: f.topology.keras_version ?? null,
        layers: Array.isArray(layers) ? layers.map((l) => `${l?.config?.name} (${l?.class_name})`) : [], dequantized: f.dequantized };
      break;
    }
    default:
      throw new LstmError('format', `input: not a PyTorch, safetensors, ONNX or TF.js model (${describeArg(input)})`, { argument: 'input' });
  }
  let model = null, problem = null;
  try {
    const d = read(input);
    model = { config: d.config, summary: d.summary, notes: d.notes, ...(d.masking && { masking: d.masking }) };
  } catch (err) {
    if (!(err instanceof LstmError)) throw err;
    problem = err.message;
  }
  return { format, tensors, details, model, problem };
}
