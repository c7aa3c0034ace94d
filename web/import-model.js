// import-model.js — the demo's Upload of models trained elsewhere, run in the training worker:
// PyTorch (.pt, .safetensors), ONNX (.onnx), a TF.js layers model (model.json with its weight
// files), or one of our Network files, chosen together with the character model's vocabulary,
// become a CharModel through the public interop API (wasm-lstm/interop), as `wasm-lstm convert`
// does. Loaded only when such a file is uploaded.
//
// The vocabulary: NAME.vocab.json chosen along with the model (what `wasm-lstm convert` and
// examples/pytorch/train.py write beside the weights): a JSON array of the characters by id.
// With the page's own text (the "My own text" corpus) the model continues training on it;
// without, it samples only.
//
// Every problem is an Error whose message says what is missing or wrong, for the page to show.

import { CharModel, Network, readMeta } from '../js/index.js';
import { detectFormat, readPyTorch, readONNX, readKeras, toNetwork } from '../js/interop/index.js';

const MAGIC = [0x57, 0x4c, 0x53, 0x54, 0x4d, 0x44, 0x4c, 0x00]; // WLSTMDL\0: our own files

/** Whether `bytes` is one of our own model files. */
const isOurs = (bytes) => bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b);

const WHAT = { pytorch: 'PyTorch', safetensors: 'safetensors', onnx: 'ONNX', tfjs: 'TF.js', ours: 'wasm-lstm Network' };
const KNOWN = '.pt, .safetensors, .onnx, a TF.js model.json with its weight files, or a .lstm/.bin of this page';

// The chosen files sorted into the vocabulary and the model: {vocab, format, model: bytes or a
// TF.js files object, name}.
function sortFiles(files) {
  const vocabs = files.filter((f) => f.name.toLowerCase().endsWith('.vocab.json'));
  const rest = files.filter((f) => !vocabs.includes(f));
  if (vocabs.length > 1) throw new Error(`choose one vocabulary file, not ${vocabs.length} (${vocabs.map((f) => f.name).join(', ')})`);
  const jsons = rest.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length > 1) throw new Error(`choose one TF.js model.json, not ${jsons.length} (${jsons.map((f) => f.name).join(', ')})`);
  const vocab = vocabs[0] ?? null;
  if (jsons.length === 1) {
    const tf = { 'model.json': jsons[0].bytes };
    for (const f of rest) if (f !== jsons[0]) tf[f.name] = f.bytes;
    return { vocab, format: 'tfjs', model: tf, name: jsons[0].name };
  }
  if (rest.length === 0) throw new Error(`${vocab ? `${vocab.name} is a vocabulary; choose` : 'Choose'} the model file with it (${KNOWN})`);
  if (rest.length > 1) {
    throw new Error(`choose one model file (and its .vocab.json), not ${rest.length}: ${rest.map((f) => f.name).join(', ')} ` +
      '(a TF.js model needs its model.json among them)');
  }
  const f = rest[0];
  const format = isOurs(f.bytes) ? 'ours' : detectFormat(f.bytes);
  if (!format) throw new Error(`${f.name} is not a model file this page reads (${KNOWN})`);
  return { vocab, format, model: f.bytes, name: f.name };
}

// The vocabulary file's characters by id (CharModel.fromNetwork checks them against the model).
function readVocabulary(f) {
  let v;
  try {
    v = JSON.parse(new TextDecoder().decode(f.bytes));
  } catch (err) {
    throw new Error(`${f.name} is not JSON (${err.message})`);
  }
  if (!Array.isArray(v)) throw new Error(`${f.name}: expected a JSON array of the characters by id, like ["\\n", " ", "a", …]`);
  return v;
}

// A description's model as a character model, or why it is not one.
function checkCharacterModel(c, name, what) {
  if (c.vocab === undefined) {
    throw new Error(`${name} is not a character model: its ${what} network takes dense inputs of width ${c.input}, ` +
      'not character ids (an Embedding). This page runs character models; wasm-lstm convert converts the others');
  }
  if (c.output !== c.vocab) {
    throw new Error(`${name} is not a character model: it reads ${c.vocab} tokens but has ${c.output} outputs ` +
      '(a character model predicts one of its input characters)');
  }
  if (c.bidirectional) throw new Error(`${name} is bidirectional: it reads the text backwards too, so it cannot generate text`);
}

/**
 * A CharModel from the uploaded files ([{name, bytes: Uint8Array}]): `text` (the page's training
 * text, or null) and `settings` (the page's seqLength, batch, learningRate, clip). Returns
 * `{model, settings, text, note}`: the demo's settings of the model and a sentence for the page.
 */
export async function importModel(files, { text, settings }) {
  const f = sortFiles(files);
  let network, config;
  if (f.format === 'ours') {
    const meta = await readMeta(f.model);
    if (meta?.kind === 'char') throw new Error(`${f.name} is a character model file: upload it alone`);
    network = await Network.load(f.model);
    config = network.config;
    try {
      checkCharacterModel(config, f.name, 'wasm-lstm');
    } catch (err) {
      network.dispose();
      throw err;
    }
  } else {
    const description = f.format === 'tfjs' ? readKeras(f.model)
      : f.format === 'onnx' ? readONNX(f.model) : readPyTorch(f.model);
    config = description.config;
    checkCharacterModel(config, f.name, WHAT[f.format]);
    if (!f.vocab) {
      const stem = f.name.replace(/\.[^.]*$/, '');
      throw new Error(`${f.name} holds the weights of a character model with ${config.vocab} characters, but not the characters: ` +
        `choose its vocabulary (${stem}.vocab.json, a JSON array of the ${config.vocab} characters by id, as wasm-lstm convert and ` +
        'examples/pytorch/train.py write it) together with it');
    }
    // a Dense head without softmax reads as regression ('mse'); with a vocabulary it is logits
    network = await toNetwork(description, { loss: 'xent' });
  }
  if (!f.vocab) {
    network.dispose();
    throw new Error(`${f.name} is a Network without its characters: choose its .vocab.json together with it`);
  }
  let model;
  try {
    model = CharModel.fromNetwork(network, {
      vocabulary: readVocabulary(f.vocab), seqLength: settings.seqLength, batch: settings.batch,
      learningRate: settings.learningRate, clip: settings.clip, ...(text !== null && { text }),
    });
  } catch (err) {
    network.dispose();
    throw new Error(err.message.replace(/^CharModel\.fromNetwork: /, ''));
  }
  const c = model.config;
  const s = {
    corpus: text !== null ? 'custom' : 'none', cell: c.cell, hidden: c.hidden, layers: c.layers,
    seqLength: c.seqLength, batch: c.batch, learningRate: settings.learningRate, clip: settings.clip,
  };
  const what = `a ${WHAT[f.format]} ${c.cell.toUpperCase()} ${c.layers}×${c.hidden} with ${model.vocab.length} characters`;
  const note = text !== null
    ? `${what}; it continues training on your text.`
    : `${what}. It samples only. To train it further here, choose "My own text" as the corpus, give its training text, and upload the model again.`;
  return { model, settings: s, text, note };
}
