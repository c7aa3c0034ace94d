// files.js — reading and writing the files of `wasm-lstm convert` and `wasm-lstm inspect`, with
// the one-line errors the CLI prints ("cannot read 'x.pt': no such file").
//
// Writes are atomic, as `train --out` is: a new temporary file next to the target (O_EXCL, so
// never through an existing file or link), flushed, then renamed over it; the target is only
// ever a new path or a regular file (not a directory, device, FIFO or symbolic link).
// (bin/wasm-lstm.js has its own copies of these for train/sample/eval; they could move here.)

import {
  readFileSync, statSync, lstatSync, accessSync, constants, openSync, writeSync, fsyncSync, closeSync,
  renameSync, unlinkSync, existsSync,
} from 'node:fs';
import { dirname } from 'node:path';

function reason(err) {
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message;
}

/** The bytes of `path` (a Uint8Array), or an Error "cannot read 'path'[ (why)]: reason". */
export function readBytes(path, why = '') {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    throw new Error(`cannot read '${path}'${why ? ` (${why})` : ''}: ${reason(err)}`);
  }
}

/** A UTF-8 text file as a string: invalid bytes become U+FFFD, a byte-order mark is dropped. */
export function readText(path, why = '') {
  const text = new TextDecoder('utf-8').decode(readBytes(path, why));
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export const exists = (path) => existsSync(path);

function kindOf(st) {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless `path` can be written: a new path or a regular file in a writable directory. */
export function checkWritable(path) {
  let st = null;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (err.code !== 'ENOENT') throw new Error(`cannot write '${path}': ${err.message}`);
  }
  if (st && !st.isFile()) throw new Error(`cannot write '${path}': it is ${kindOf(st)}, not a regular file`);
  const dir = dirname(path);
  let d;
  try {
    d = statSync(dir);
  } catch {
    throw new Error(`cannot write '${path}': no such directory '${dir}'`);
  }
  if (!d.isDirectory()) throw new Error(`cannot write '${path}': '${dir}' is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`cannot write '${path}': directory '${dir}' is not writable`);
  }
}

let temporaries = 0;
/** Writes `bytes` (Uint8Array or string) to `path` atomically; on failure the path is as it was. */
export function writeAtomically(path, bytes) {
  checkWritable(path);
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const tmp = `${path}.tmp-${process.pid}-${temporaries++}`;
  let fd = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* not created */ }
    throw new Error(`cannot write '${path}': ${err.code === 'ENOENT' ? 'no such directory' : err.code === 'ENOSPC' ? 'no space left on the device' : reason(err)}`);
  }
}
