// abi.js — everything the JS layer knows about the C core, taken from the C build itself:
// js/build/abi.js is written by build.sh from lstm_abi (c/abi.c), which prints the enums of
// c/lstm.h, the cell table of c/cells.c and the struct layouts. Nothing here is a hand-kept copy;
// the Wasm wrapper (wasm.js) checks every instance against this description at load.
//
// In every name list the index is the C enum value.

import abi, { text } from './build/abi.js';

/** The exact JSON text of the description (what each instance must report). */
export const ABI_TEXT = text;

function deepFreeze(o) {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The description as an object: { status, inputKinds, losses, gateActivations, optimizers,
 *  clipModes, states, flags, limits, cells: [{name, gates, biases, cellState, gateActivation,
 *  gateNames, channels}], structs: {name: {size, fields: [[name, type, offset]]}}, fileVersion }. */
export const ABI = deepFreeze(abi);

export const CELLS = ABI.cells.map((c) => c.name);
/** name -> the cell's row of the C cell table, plus its enum value */
export const CELL = Object.freeze(Object.fromEntries(ABI.cells.map((c, index) => [c.name, Object.freeze({ ...c, index })])));
export const LOSSES = ABI.losses;
export const GATE_ACTIVATIONS = ABI.gateActivations;
export const OPTIMIZERS = ABI.optimizers;
export const CLIP_MODES = ABI.clipModes;
export const LIMITS = ABI.limits;
export const FLAGS = ABI.flags;
export const STATUS = ABI.status;
export const INPUT_KINDS = ABI.inputKinds;
export const STATE_SLOTS = ABI.states;
export const STRUCTS = ABI.structs;

/** Losses with one target per sequence, on the sequence summary. */
export const LAST_LOSSES = Object.freeze(['mse-last', 'xent-last']);
/** Losses whose targets are class ids. */
export const CLASS_LOSSES = Object.freeze(['xent', 'xent-last']);

/** What the package shows of the ABI (index.js exports it as `abi`): the names and limits a program
 *  may want to list (the CLI's help, the demo's controls). */
export const PUBLIC_ABI = deepFreeze({
  cells: CELLS.slice(),
  losses: LOSSES.slice(),
  gateActivations: GATE_ACTIVATIONS.slice(),
  optimizers: OPTIMIZERS.slice(),
  clipModes: CLIP_MODES.slice(),
  channels: Object.fromEntries(ABI.cells.map((c) => [c.name, c.channels.slice()])),
  gates: Object.fromEntries(ABI.cells.map((c) => [c.name, c.gateNames.slice()])),
  limits: { ...LIMITS },
});
