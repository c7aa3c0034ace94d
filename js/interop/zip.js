// zip.js — reading zip archives (stored and deflated entries) and writing stored ones the way
// torch.save does, so that torch.load reads ours.
//
// The format (PKWARE APPNOTE 6.3), all integers little-endian:
//   local file header   PK\3\4, version needed (2), flags (2), method (2), time (2), date (2),
//                       crc-32 (4), compressed size (4), size (4), name length n (2),
//                       extra length m (2), name (n), extra (m), then the entry's data
//   [data descriptor]   when flag bit 3 is set the sizes and CRC in the local header are 0 and
//                       come after the data (optionally signed PK\7\8) — torch's writer does this
//   central directory   one record per entry: PK\1\2, version made by (2), version needed (2),
//                       flags (2), method (2), time (2), date (2), crc (4), compressed size (4),
//                       size (4), name length (2), extra length (2), comment length (2), disk (2),
//                       internal attrs (2), external attrs (4), local header offset (4), name,
//                       extra, comment
//   zip64 EOCD record   PK\6\6, record size (8), versions (2+2), disks (4+4), entries on disk (8),
//                       entries (8), directory size (8), directory offset (8)   [optional]
//   zip64 locator       PK\6\7, disk (4), zip64 EOCD offset (8), disks (4)       [optional]
//   end of central dir  PK\5\6, disks (2+2), entries on disk (2), entries (2), directory size (4),
//                       directory offset (4), comment length (2), comment
// A 0xFFFF / 0xFFFFFFFF in the classic fields means "see zip64": the zip64 EOCD, or the zip64
// extra field (id 0x0001) of a central record, which holds the 8-byte size, compressed size and
// offset that overflowed, in that order.
//
// Reading trusts the central directory (like every unzipper: the local sizes may be 0) and checks
// everything against the file: each record inside the directory, each local header at its offset
// with the same name, each entry's data inside the file and before the directory, no two entries
// sharing data, the CRC of what we extract. Compression: stored (0) and deflate (8) only;
// encrypted entries and multi-disk archives are refused. A deflated entry may declare at most
// 1032 times its compressed size (DEFLATE's maximum ratio) and at most `maxEntryBytes`; inflate.js
// stops at exactly the declared size. So extracting costs at most what the directory declares,
// which is itself bounded by the file size.
//
// Writing (torch.save's layout, read from PyTorch's caffe2/serialize/inline_container.cc
// behaviour): stored entries, every entry's data aligned to 64 bytes by padding the local extra
// field with an extra record of id 'FB' (0x4246) filled with 'Z', CRC and sizes in the local
// header (no data descriptor: equally valid, and simpler), a central directory, an EOCD. Names are
// ASCII in our use; flag bit 11 (UTF-8 names) is set anyway, as PyTorch does.

import { formatError, Cursor, Writer, decodeUtf8, encodeUtf8 } from './bytes.js';
import { crc32 } from './crc32.js';
import { inflateRaw } from './inflate.js';

const SIG_LOCAL = 0x04034b50, SIG_CENTRAL = 0x02014b50, SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50, SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22, MAX_COMMENT = 0xffff;
const MAX_DEFLATE_RATIO = 1032;
export const DEFAULT_MAX_ENTRY_BYTES = 1 << 30;
const ALIGN = 64;

/** Whether `bytes` starts like a zip archive (a local header, or an empty archive's EOCD). */
export function looksLikeZip(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Reads the directory of the zip archive `bytes` (Uint8Array). Returns
 * `{ entries: [{name, method, size, compressedSize, crc, dataOffset}], read(name) }`, where
 * `read(name)` extracts one entry into a new Uint8Array (CRC-checked) and `entries` is in
 * directory order. `what` names the file in errors.
 */
export function readZip(bytes, { what = 'zip', maxEntryBytes = DEFAULT_MAX_ENTRY_BYTES } = {}) {
  const eocdAt = findEocd(bytes, what);
  const e = new Cursor(bytes, what, eocdAt + 4);
  const disk = e.u16('EOCD disk'), cdDisk = e.u16('EOCD directory disk');
  let countDisk = e.u16('EOCD entries on disk'), count = e.u16('EOCD entries');
  let cdSize = e.u32('EOCD directory size'), cdOffset = e.u32('EOCD directory offset');
  if (disk !== 0 || cdDisk !== 0) throw formatError(what, 'multi-disk (split) zip archives are not supported');
  let cdLimit = eocdAt; // the directory ends before the (zip64) end records

  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || hasZip64Locator(bytes, eocdAt)) {
    const loc = eocdAt - 20;
    if (loc < 0 || readU32(bytes, loc) !== SIG_ZIP64_LOCATOR) {
      if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
        throw formatError(what, `the end record at offset ${eocdAt} needs zip64 values but there is no zip64 locator`);
      }
    } else {
      const l = new Cursor(bytes, what, loc + 4);
      if (l.u32('zip64 locator disk') !== 0) throw formatError(what, 'multi-disk (split) zip archives are not supported');
      const at = l.u64('zip64 EOCD offset');
      if (at > loc - 56) throw formatError(what, `zip64 end record offset ${at} is outside the file`);
      const z = new Cursor(bytes, what, at);
      if (z.u32('zip64 EOCD signature') !== SIG_ZIP64_EOCD) throw formatError(what, `no zip64 end record at offset ${at}`);
      z.skip(8 + 4, 'zip64 EOCD size and versions');
      if (z.u32('zip64 disk') !== 0 || z.u32('zip64 directory disk') !== 0) throw formatError(what, 'multi-disk (split) zip archives are not supported');
      countDisk = z.u64('zip64 entries on disk');
      count = z.u64('zip64 entries');
      cdSize = z.u64('zip64 directory size');
      cdOffset = z.u64('zip64 directory offset');
      cdLimit = at;
    }
  }
  if (countDisk !== count) throw formatError(what, `EOCD counts ${countDisk} entries on this disk and ${count} in all`);
  if (cdOffset + cdSize > cdLimit) {
    throw formatError(what, `central directory [${cdOffset}, ${cdOffset + cdSize}) extends past its end records at ${cdLimit}`);
  }
  // A central record is at least 46 bytes: a count the directory cannot hold is a lie.
  if (count * 46 > cdSize) throw formatError(what, `EOCD declares ${count} entries, the ${cdSize}-byte directory holds at most ${Math.floor(cdSize / 46)}`);

  const entries = [];
  const byName = new Map();
  const c = new Cursor(bytes, what, cdOffset, cdOffset + cdSize);
  for (let k = 0; k < count; k++) {
    const at = c.pos;
    if (c.u32(`central record ${k} signature`) !== SIG_CENTRAL) throw formatError(what, `no central directory record ${k} at offset ${at}`);
    c.skip(4, 'versions');
    const flags = c.u16('flags'), method = c.u16('method');
    c.skip(4, 'time and date');
    const crc = c.u32('crc');
    let compressedSize = c.u32('compressed size'), size = c.u32('size');
    const nameLen = c.u16('name length'), extraLen = c.u16('extra length'), commentLen = c.u16('comment length');
    const diskStart = c.u16('disk');
    c.skip(6, 'attributes');
    let offset = c.u32('local header offset');
    const name = decodeUtf8(c.take(nameLen, `central record ${k} name`), `${what}: entry name at offset ${at}`);
    const extra = c.take(extraLen, `central record '${name}' extra field`);
    c.skip(commentLen, `central record '${name}' comment`);
    if (size === 0xffffffff || compressedSize === 0xffffffff || offset === 0xffffffff) {
      ({ size, compressedSize, offset } = zip64Extra(extra, { size, compressedSize, offset }, `${what}: entry '${name}'`));
    }
    const label = `${what}: entry '${name}'`;
    if (diskStart !== 0 && diskStart !== 0xffff) throw formatError(label, 'on another disk (split archive)');
    if (flags & 1) throw formatError(label, 'is encrypted');
    if (method !== 0 && method !== 8) throw formatError(label, `compression method ${method} is not supported (only stored and deflate)`);
    if (method === 0 && size !== compressedSize) throw formatError(label, `stored with size ${size} but compressed size ${compressedSize}`);
    if (byName.has(name)) throw formatError(label, 'appears twice in the central directory');
    if (size > maxEntryBytes) throw formatError(label, `declares ${size} bytes, more than the limit of ${maxEntryBytes}`);
    if (method === 8 && size > Math.max(compressedSize, 1) * MAX_DEFLATE_RATIO) {
      throw formatError(label, `declares ${size} bytes from ${compressedSize} compressed, beyond deflate's maximum ratio ${MAX_DEFLATE_RATIO}:1 (a zip bomb?)`);
    }
    // The local header: same name; its data must end before the central directory.
    if (offset + 30 > cdOffset) throw formatError(label, `local header offset ${offset} is not before the central directory at ${cdOffset}`);
    const lc = new Cursor(bytes, label, offset, cdOffset);
    if (lc.u32('local header signature') !== SIG_LOCAL) throw formatError(label, `no local header at offset ${offset}`);
    lc.skip(22, 'local header fields');
    const lNameLen = lc.u16('local name length'), lExtraLen = lc.u16('local extra length');
    const lName = lc.take(lNameLen, 'local name');
    if (lNameLen !== nameLen || decodeUtf8(lName, label) !== name) throw formatError(label, `the local header at offset ${offset} names another entry`);
    lc.skip(lExtraLen, 'local extra field');
    const dataOffset = lc.pos;
    if (dataOffset + compressedSize > cdOffset) {
      throw formatError(label, `data [${dataOffset}, ${dataOffset + compressedSize}) runs past the central directory at ${cdOffset} (truncated?)`);
    }
    const entry = { name, method, size, compressedSize, crc, offset, dataOffset };
    entries.push(entry);
    byName.set(name, entry);
  }
  if (c.pos !== c.end) throw formatError(what, `central directory has ${c.end - c.pos} bytes after its ${count} records`);
  checkDisjoint(entries, what);

  return {
    entries,
    has: (name) => byName.has(name),
    read(name) {
      const entry = byName.get(name);
      if (!entry) throw formatError(what, `no entry '${name}' (entries: ${entries.slice(0, 20).map((x) => x.name).join(', ')}${entries.length > 20 ? ', …' : ''})`);
      return extract(bytes, entry, `${what}: entry '${name}'`);
    },
  };
}

function readU32(bytes, at) {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function hasZip64Locator(bytes, eocdAt) {
  return eocdAt >= 20 && readU32(bytes, eocdAt - 20) === SIG_ZIP64_LOCATOR;
}

// The EOCD is the last 22 bytes plus a comment of up to 65535 bytes: search backwards for its
// signature, and take the first one whose comment length reaches exactly to the end of the file.
function findEocd(bytes, what) {
  if (bytes.length < EOCD_SIZE) throw formatError(what, `${bytes.length} bytes is too short for a zip archive (at least ${EOCD_SIZE})`);
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (bytes[at] === 0x50 && readU32(bytes, at) === SIG_EOCD) {
      const commentLen = bytes[at + 20] | (bytes[at + 21] << 8);
      if (at + EOCD_SIZE + commentLen === bytes.length) return at;
    }
  }
  throw formatError(what, 'no end-of-central-directory record: not a zip archive, or truncated');
}

// The zip64 extended information extra field: the 8-byte values that overflowed, in order size,
// compressed size, local header offset.
function zip64Extra(extra, v, label) {
  const c = new Cursor(extra, label);
  while (c.remaining >= 4) {
    const id = c.u16('extra id'), len = c.u16('extra length');
    const body = new Cursor(c.take(len, 'extra field'), `${label} zip64 extra field`);
    if (id !== 1) continue;
    const out = { ...v };
    if (v.size === 0xffffffff) out.size = body.u64('size');
    if (v.compressedSize === 0xffffffff) out.compressedSize = body.u64('compressed size');
    if (v.offset === 0xffffffff) out.offset = body.u64('offset');
    return out;
  }
  throw formatError(label, 'needs a zip64 extra field (0xFFFFFFFF sizes) but has none');
}

// Entries whose data overlap are how "non-recursive" zip bombs multiply one compressed block
// into many outputs; no archive writer produces them.
function checkDisjoint(entries, what) {
  const sorted = entries.slice().sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1];
    if (sorted[k].offset < prev.dataOffset + prev.compressedSize) {
      throw formatError(what, `entries '${prev.name}' and '${sorted[k].name}' overlap (a zip bomb?)`);
    }
  }
}

function extract(bytes, entry, label) {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  const data = entry.method === 0 ? raw.slice() : inflateRaw(raw, entry.size, label);
  const crc = crc32(data);
  if (crc !== entry.crc) {
    throw formatError(label, `CRC-32 ${hex(crc)} does not match the directory's ${hex(entry.crc)} (corrupted)`);
  }
  return data;
}

const hex = (v) => `0x${v.toString(16).padStart(8, '0')}`;

/**
 * A zip archive of stored entries, each entry's data aligned to 64 bytes (torch.save's layout).
 * `files`: [[name, Uint8Array], ...] in order. Returns a Uint8Array.
 */
export function writeZip(files) {
  const w = new Writer(1 << 16);
  const central = [];
  for (const [name, data] of files) {
    const nameBytes = encodeUtf8(name);
    const crc = crc32(data);
    const offset = w.length;
    // Pad the local extra field so that the data starts on a multiple of 64: an 'FB' record of
    // at least 4 bytes (its own header), filled with 'Z'.
    const headerEnd = offset + 30 + nameBytes.length;
    let pad = (ALIGN - ((headerEnd + 4) % ALIGN)) % ALIGN;
    const extraLen = 4 + pad;
    if (data.length > 0xfffffffe || offset > 0xfffffffe) throw formatError('zip writer', `entry '${name}' needs zip64 (over 4 GB): not supported`);
    w.u32(SIG_LOCAL); w.u16(20); w.u16(0x0800); w.u16(0); w.u16(0); w.u16(0x21); // 1980-01-01
    w.u32(crc); w.u32(data.length); w.u32(data.length);
    w.u16(nameBytes.length); w.u16(extraLen);
    w.bytes(nameBytes);
    w.u16(0x4246); w.u16(pad);
    w.bytes(new Uint8Array(pad).fill(0x5a));
    w.bytes(data);
    central.push({ nameBytes, crc, size: data.length, offset });
  }
  const cdOffset = w.length;
  for (const e of central) {
    w.u32(SIG_CENTRAL); w.u16(20); w.u16(20); w.u16(0x0800); w.u16(0); w.u16(0); w.u16(0x21);
    w.u32(e.crc); w.u32(e.size); w.u32(e.size);
    w.u16(e.nameBytes.length); w.u16(0); w.u16(0); w.u16(0); w.u16(0); w.u32(0); w.u32(e.offset);
    w.bytes(e.nameBytes);
  }
  const cdSize = w.length - cdOffset;
  if (central.length > 0xfffe) throw formatError('zip writer', `${central.length} entries need zip64: not supported`);
  w.u32(SIG_EOCD); w.u16(0); w.u16(0); w.u16(central.length); w.u16(central.length);
  w.u32(cdSize); w.u32(cdOffset); w.u16(0);
  return w.result();
}
