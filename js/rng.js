// rng.js — a small seeded PRNG for the JS side (sampling, the default corpus): xoshiro128**
// (Blackman & Vigna 2018) seeded through splitmix32. 32-bit integer arithmetic only, so every
// engine produces the same stream; the state is four uint32 words that save() can store.
// Never Math.random.

/** splitmix32: spreads one 32-bit seed into well-mixed words (used to seed xoshiro). */
function splitmix32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x, k) => (x << k) | (x >>> (32 - k));

export class Rng {
  /** @param {number} seed an integer; only its low 32 bits are used */
  constructor(seed = 1) {
    const sm = splitmix32(seed);
    this.s = new Uint32Array([sm(), sm(), sm(), sm()]);
    if (!this.s.some((w) => w !== 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** A generator continuing from a saved state (four uint32 words, as `state` returns). */
  static fromState(words) {
    const r = new Rng(0);
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
      throw new TypeError(`rng state: expected 4 uint32 words, got ${JSON.stringify(words)}`);
    }
    r.s.set(words);
    if (!r.s.some((w) => w !== 0)) r.s[0] = 1;
    return r;
  }

  get state() { return Array.from(this.s); }

  /** The next uint32. */
  next() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  uniform() { return this.next() / 4294967296; }

  /** An integer in [0, n) (n ≤ 2^32; the modulo bias is below 2^-20 for n < 4096). */
  int(n) { return Math.floor(this.uniform() * n); }

  /** A uniformly chosen element of a non-empty array. */
  pick(arr) { return arr[this.int(arr.length)]; }

  /** true with probability p. */
  chance(p) { return this.uniform() < p; }
}
