/**
 * Deterministic input generation for the decoder fuzzers (test/codec/fuzz.test.ts and
 * test/fuzz/run-fuzz.ts): a seeded PRNG, random bytes, and mutations of valid encodings
 * (bit flips, msgpack-interesting bytes, truncation, insertion, deletion, duplication,
 * splicing with other encodings). Same seed, same inputs.
 */

/** sfc32: small, fast, and good enough to drive a fuzzer; seeded from one 32-bit integer. */
export class Rng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor (seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 16; i++) this.next()
  }

  /** Uniform 32-bit unsigned integer. */
  next (): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** Uniform integer in 0..n-1 (n >= 1). */
  int (n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n)
  }

  chance (p: number): boolean {
    return this.next() / 0x1_0000_0000 < p
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff
    return out
  }
}

/** Bytes that mean something to msgpack: type tags, length boundaries, fixint edges. */
export const INTERESTING_BYTES: readonly number[] = [
  0x00, 0x01, 0x1f, 0x20, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
  0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
  0xe0, 0xff
]

/** Multi-byte values worth planting: length fields and integers at their edges. */
const INTERESTING_WORDS: readonly number[][] = [
  [0x00, 0x00], [0xff, 0xff], [0x00, 0x10], [0x01, 0x00],
  [0x00, 0x00, 0x00, 0x00], [0xff, 0xff, 0xff, 0xff], [0x7f, 0xff, 0xff, 0xff], [0x00, 0x00, 0x01, 0x00],
  [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0xd3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], [0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],
  [0xd6, 0xff, 0x00, 0x00, 0x00, 0x00], [0xd4, 0x72, 0x00], [0xd6, 0x70, 0x00, 0x00, 0x00, 0x01]
]

export type MutationName =
  | 'flipBits' | 'setInterestingByte' | 'setRandomByte' | 'addToByte' | 'plantWord' | 'truncate'
  | 'insertRandom' | 'insertInteresting' | 'deleteRange' | 'duplicateRange' | 'splice' | 'appendTail'

export const MUTATIONS: readonly MutationName[] = [
  'flipBits', 'setInterestingByte', 'setRandomByte', 'addToByte', 'plantWord', 'truncate',
  'insertRandom', 'insertInteresting', 'deleteRange', 'duplicateRange', 'splice', 'appendTail'
]

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/**
 * One mutation of `input` (never modified: the result is a fresh array). `donors` are other
 * valid encodings to splice from; an empty input stays possible after truncation.
 */
export function mutateOnce (rng: Rng, input: Uint8Array, donors: readonly Uint8Array[], kind: MutationName = rng.pick(MUTATIONS)): Uint8Array {
  const len = input.length
  if (len === 0 && kind !== 'insertRandom' && kind !== 'insertInteresting' && kind !== 'splice') return rng.bytes(1 + rng.int(8))
  const out = new Uint8Array(input)
  switch (kind) {
    case 'flipBits': {
      const flips = 1 + rng.int(4)
      for (let i = 0; i < flips; i++) out[rng.int(len)]! ^= 1 << rng.int(8)
      return out
    }
    case 'setInterestingByte':
      out[rng.int(len)] = rng.pick(INTERESTING_BYTES)
      return out
    case 'setRandomByte':
      out[rng.int(len)] = rng.next() & 0xff
      return out
    case 'addToByte': {
      const at = rng.int(len)
      out[at] = (out[at]! + rng.pick([1, -1, 2, -2, 16, -16])) & 0xff
      return out
    }
    case 'plantWord': {
      const word = rng.pick(INTERESTING_WORDS)
      const at = rng.int(len)
      for (let i = 0; i < word.length && at + i < len; i++) out[at + i] = word[i]!
      return out
    }
    case 'truncate':
      return out.slice(0, rng.int(len))
    case 'insertRandom': {
      const at = rng.int(len + 1)
      return concat(out.subarray(0, at), rng.bytes(1 + rng.int(9)), out.subarray(at))
    }
    case 'insertInteresting': {
      const at = rng.int(len + 1)
      const inserted = rng.chance(0.5) ? Uint8Array.of(rng.pick(INTERESTING_BYTES)) : Uint8Array.from(rng.pick(INTERESTING_WORDS))
      return concat(out.subarray(0, at), inserted, out.subarray(at))
    }
    case 'deleteRange': {
      const at = rng.int(len)
      const n = 1 + rng.int(Math.min(16, len - at))
      return concat(out.subarray(0, at), out.subarray(at + n))
    }
    case 'duplicateRange': {
      const at = rng.int(len)
      const n = 1 + rng.int(Math.min(32, len - at))
      return concat(out.subarray(0, at + n), out.subarray(at, at + n), out.subarray(at + n))
    }
    case 'splice': {
      // a prefix of this input, then a suffix of another valid encoding (maybe of another type)
      const donor = donors.length > 0 ? rng.pick(donors) : rng.bytes(16)
      return concat(out.subarray(0, rng.int(len + 1)), donor.subarray(rng.int(donor.length + 1)))
    }
    case 'appendTail':
      return concat(out, rng.chance(0.5) ? rng.bytes(1 + rng.int(4)) : (donors.length > 0 ? rng.pick(donors) : Uint8Array.of(0)))
  }
}

/** One to three stacked mutations. */
export function mutate (rng: Rng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  let out = mutateOnce(rng, input, donors)
  const more = rng.int(3)
  for (let i = 0; i < more; i++) out = mutateOnce(rng, out, donors)
  return out
}

/** Random bytes; half of them start with an array header so the decoder gets past the first byte. */
export function randomInput (rng: Rng, maxLength: number): Uint8Array {
  const out = rng.bytes(rng.int(maxLength + 1))
  if (out.length > 0 && rng.chance(0.5)) out[0] = 0x90 | rng.int(16)
  return out
}
