// errors.js — LstmError, the one error type the package throws, and the helpers that word its
// messages: every message names the argument, what was expected and what was received, e.g.
//   targets: expected Int32Array or array of integers of length 2048 (batch 32 × steps 64), got Float32Array(64)
// It imports nothing, so that even a missing or broken build is reported as an LstmError.
// (The C status codes become LstmErrors in wasm.js, from the status names the C build lists.)

/** Every `code` an LstmError can carry (see index.d.ts for what each means). */
export const ERROR_CODES = Object.freeze([
  'arg', 'nomem', 'format', 'version', 'checksum', 'nonfinite', 'config', 'disposed', 'trap', 'busy', 'load',
  'aborted',
]);

export class LstmError extends Error {
  /**
   * @param {string} code one of ERROR_CODES
   * @param {string} message
   * @param {{cause?: unknown, argument?: string}} [options] `argument`: the argument or option at
   *   fault ('targets', 'text', 'batch', 'seqLength', ...), for programs that react to it (the CLI
   *   maps it to its flag) without parsing the message.
   */
  constructor(code, message, options) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LstmError';
    this.code = code;
    this.argument = options?.argument ?? null;
  }
}

/** A short description of a received value for messages: `Float32Array(64)`, `number 2.5`, `string '3'`. */
export function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `${tagOf(v)}(${v.length ?? v.byteLength})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  switch (typeof v) {
    case 'number': return `number ${v}`;
    case 'string': return `string '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
    case 'boolean': case 'bigint': return `${typeof v} ${v}`;
    case 'function': return 'function';
    default: return tagOf(v) === 'Object' ? 'object' : tagOf(v);
  }
}

/** The built-in type name of a value, robust across realms: 'Float32Array', 'Array', 'Object'... */
export function tagOf(v) {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** LstmError 'arg'; `argument` names the argument at fault (see LstmError). */
export function argError(message, argument) {
  return new LstmError('arg', message, { argument });
}

/** LstmError 'config'; `argument` names the option at fault (see LstmError). */
export function configError(message, argument) {
  return new LstmError('config', message, { argument });
}
