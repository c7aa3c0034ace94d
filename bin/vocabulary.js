// vocabulary.js — the vocabulary of a character model outside our own files.
//
// A PyTorch, ONNX or TF.js file holds weights, not the characters the ids stand for, so a
// character model travels with a sidecar file beside its weights:
//
//   model.pt  →  model.vocab.json      (also model.safetensors, model.onnx, model.json: the
//                                        model file's name without its extension + .vocab.json)
//   content:     a JSON array of the characters by id, ["\n", " ", "!", …, "z"]: id i is input
//                token i and output class i. What Python's json.dump(chars, f) writes; on reading,
//                code points (integers) are accepted too. One symbol is one Unicode code point.
//
// `convert` writes it whenever the model is a CharModel, and reads it from beside the input
// when it is there (or from --vocab). --vocab also takes a plain text file holding exactly the
// vocabulary characters in id order (read exactly: a final newline is a symbol), and
// --vocab-from-text the training text itself: its distinct characters sorted by code point, the
// char-rnn convention (Python: sorted(set(text)); CharModel.create builds the same).

import { basename, dirname, extname, join } from 'node:path';
import { readText } from './files.js';

export { vocabularyJson } from '../js/interop/index.js'; // the sidecar's content for a vocabulary string

/** The sidecar vocabulary file of a model file: `dir/model.pt` → `dir/model.vocab.json`. */
export function vocabularyPath(modelPath) {
  const name = basename(modelPath), ext = extname(name);
  return join(dirname(modelPath), `${ext ? name.slice(0, -ext.length) : name}.vocab.json`);
}

/** Whether a file name is a vocabulary sidecar (name.vocab.json), not a TF.js model.json. */
export const isVocabularyName = (name) => name.toLowerCase().endsWith('.vocab.json');

/**
 * The vocabulary in a file, for CharModel.fromNetwork: from a `.json` file a JSON array (of
 * one-character strings or code points), from any other file its exact text (a string).
 */
export function readVocabularyFile(path) {
  const text = readText(path, 'the vocabulary');
  if (extname(path).toLowerCase() !== '.json') return text;
  let v;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`vocabulary '${path}': not JSON (${err.message})`);
  }
  if (!Array.isArray(v)) {
    throw new Error(`vocabulary '${path}': expected a JSON array of the characters by id (["\\n", " ", "a", …]), got ${v === null ? 'null' : typeof v}`);
  }
  return v;
}

/** The vocabulary of a training text: its distinct characters (code points) sorted by code point. */
export function vocabularyOfText(path) {
  const text = readText(path, 'the training text');
  const cps = [...new Set(Array.from(text, (ch) => ch.codePointAt(0)))].sort((a, b) => a - b);
  if (cps.length < 2) throw new Error(`'${path}': a training text needs at least 2 distinct characters, got ${cps.length}`);
  return cps.map((cp) => String.fromCodePoint(cp)).join('');
}

