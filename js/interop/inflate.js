// inflate.js — a bounded DEFLATE decoder (RFC 1951), written from the RFC.
//
// Why our own and not DecompressionStream('deflate-raw'): every reader in js/interop/ is a
// synchronous function of bytes we hold, and DecompressionStream is asynchronous (it would make
// every import async for a case — deflated entries — that torch.save never writes); it is also
// missing in older engines, and it cannot be told "stop after N bytes" before it has produced
// them. Here the caller gives the exact output size (the zip's declared size), we allocate that
// once, and any stream that would write one byte more, refers back before the start, ends early
// or runs out of input is an error. So a zip bomb costs at most what its declared size says,
// and zip.js bounds the declared size by DEFLATE's maximum ratio (1032:1) before calling us.
//
// The format, briefly. Bits are read least-significant first. A stream is a sequence of blocks,
// each starting with BFINAL (1 bit) and BTYPE (2 bits):
//   0 stored: skip to a byte boundary, LEN (16 bits), NLEN = ~LEN (16 bits), LEN raw bytes
//   1 fixed Huffman codes: literal/length codes 0-143 have 8 bits, 144-255 9, 256-279 7,
//     280-287 8; distance codes all 5 bits
//   2 dynamic codes: HLIT-257 (5 bits), HDIST-1 (5), HCLEN-4 (4), then HCLEN 3-bit lengths of the
//     code-length code in the order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1,15, then the
//     HLIT + HDIST code lengths in that code (16: repeat the previous length 3-6 times, 2 extra
//     bits; 17: 3-10 zeros, 3 bits; 18: 11-138 zeros, 7 bits)
//   3 reserved: error
// In a Huffman block, symbols 0-255 are literals, 256 ends the block, 257-285 are lengths
// (3-258, with extra bits) followed by a distance code (0-29, distance 1-32768 with extra bits):
// copy `length` bytes from `distance` back (the copy may overlap itself).
// Codes are canonical: from the code lengths alone, shorter codes first, then by symbol.

import { formatError } from './bytes.js';

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83,
  99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
  1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/**
 * A canonical Huffman code from code lengths: count[len] codes of each length and the symbols
 * ordered by (length, symbol). Over-subscribed codes (more codes than the bit lengths allow) are
 * an error; incomplete ones are allowed (a missing code is caught when it is read).
 */
function buildCode(lengths, what) {
  const count = new Uint16Array(MAX_BITS + 1);
  for (const l of lengths) count[l]++;
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = left * 2 - count[len];
    if (left < 0) throw formatError(what, `over-subscribed Huffman code (code length ${len})`);
  }
  const offs = new Uint16Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) offs[len + 1] = offs[len] + count[len];
  const symbol = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) symbol[offs[lengths[s]]++] = s;
  return { count, symbol };
}

const FIXED = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
  return { lit: buildCode(l, 'fixed'), dist: buildCode(new Uint8Array(30).fill(5), 'fixed') };
})();

/**
 * Decodes the raw DEFLATE stream `input` (Uint8Array) into exactly `size` bytes; `what` names
 * the entry in errors. Throws LstmError 'format' for a malformed stream, one that ends before
 * `size` bytes, or one that would produce more.
 */
export function inflateRaw(input, size, what = 'deflate stream') {
  const out = new Uint8Array(size);
  let outPos = 0;
  let inPos = 0, bitBuf = 0, bitCount = 0;

  const truncated = () => formatError(what, `truncated deflate stream (input ended after ${input.length} bytes, ${outPos} of ${size} bytes written)`);
  const bits = (n) => {
    while (bitCount < n) {
      if (inPos >= input.length) throw truncated();
      bitBuf |= input[inPos++] << bitCount;
      bitCount += 8;
    }
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return v;
  };
  // One symbol of `code`, one bit at a time (canonical decoding: the codes of each length are
  // consecutive integers following those of the previous length).
  const decode = (code) => {
    let c = 0, first = 0, index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      c |= bits(1);
      const n = code.count[len];
      if (c - first < n) return code.symbol[index + (c - first)];
      index += n;
      first = (first + n) << 1;
      c <<= 1;
    }
    throw formatError(what, `invalid Huffman code at input byte ${inPos}`);
  };
  const tooLong = () => formatError(what, `deflate stream inflates beyond the declared ${size} bytes`);

  let final = 0;
  while (!final) {
    final = bits(1);
    const type = bits(2);
    if (type === 0) {
      bitBuf = 0; bitCount = 0; // to a byte boundary: the bits left in the buffer are padding
      if (inPos + 4 > input.length) throw truncated();
      const len = input[inPos] | (input[inPos + 1] << 8), nlen = input[inPos + 2] | (input[inPos + 3] << 8);
      inPos += 4;
      if (len !== (~nlen & 0xffff)) throw formatError(what, `stored block length ${len} does not match its complement at input byte ${inPos - 4}`);
      if (inPos + len > input.length) throw truncated();
      if (outPos + len > size) throw tooLong();
      out.set(input.subarray(inPos, inPos + len), outPos);
      inPos += len;
      outPos += len;
      continue;
    }
    let lit, dist;
    if (type === 1) {
      ({ lit, dist } = FIXED);
    } else if (type === 2) {
      const nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
      if (nlen > 286 || ndist > 30) throw formatError(what, `dynamic block with ${nlen} length and ${ndist} distance codes (at most 286 and 30)`);
      const clens = new Uint8Array(19);
      for (let k = 0; k < ncode; k++) clens[CLEN_ORDER[k]] = bits(3);
      const clcode = buildCode(clens, what);
      const lengths = new Uint8Array(nlen + ndist);
      for (let k = 0; k < nlen + ndist;) {
        const sym = decode(clcode);
        if (sym < 16) { lengths[k++] = sym; continue; }
        let rep, val = 0;
        if (sym === 16) {
          if (k === 0) throw formatError(what, 'code length repeat with no previous length');
          val = lengths[k - 1];
          rep = 3 + bits(2);
        } else if (sym === 17) rep = 3 + bits(3);
        else rep = 11 + bits(7);
        if (k + rep > nlen + ndist) throw formatError(what, 'code length repeats past the end of the code lengths');
        lengths.fill(val, k, k + rep);
        k += rep;
      }
      if (!lengths[256]) throw formatError(what, 'dynamic block without an end-of-block code');
      lit = buildCode(lengths.subarray(0, nlen), what);
      dist = buildCode(lengths.subarray(nlen), what);
    } else {
      throw formatError(what, `reserved deflate block type 3 at input byte ${inPos}`);
    }
    for (;;) {
      const sym = decode(lit);
      if (sym < 256) {
        if (outPos >= size) throw tooLong();
        out[outPos++] = sym;
      } else if (sym === 256) {
        break;
      } else {
        const li = sym - 257;
        if (li >= 29) throw formatError(what, `invalid length symbol ${sym}`);
        const len = LENGTH_BASE[li] + bits(LENGTH_EXTRA[li]);
        const ds = decode(dist);
        if (ds >= 30) throw formatError(what, `invalid distance symbol ${ds}`);
        const d = DIST_BASE[ds] + bits(DIST_EXTRA[ds]);
        if (d > outPos) throw formatError(what, `distance ${d} reaches before the start of the output (at ${outPos})`);
        if (outPos + len > size) throw tooLong();
        for (let k = 0; k < len; k++, outPos++) out[outPos] = out[outPos - d];
      }
    }
  }
  if (outPos !== size) throw formatError(what, `deflate stream ends after ${outPos} bytes, the entry declares ${size}`);
  return out;
}
