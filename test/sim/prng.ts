/**
 * The simulator's only source of randomness: xoshiro128** (Blackman and Vigna, 2018),
 * seeded through splitmix32 so that nearby seeds give unrelated streams. `fork(label)`
 * derives an independent stream, so adding a draw in one part of the simulator (say the
 * network) does not shift every other choice of the same seed.
 */

function splitmix32 (state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

function hashLabel (label: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
  return h
}

export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor (seed: number) {
    const next = splitmix32(seed)
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32 (): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result
  }

  /** Uniform in [0, 1). */
  float (): number {
    return this.nextU32() / 0x1_0000_0000
  }

  /** Uniform integer in [min, max] (inclusive). */
  int (min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1))
  }

  chance (p: number): boolean {
    return p > 0 && this.float() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    return items[Math.floor(this.float() * items.length)]!
  }

  shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1))
      const tmp = items[i]!
      items[i] = items[j]!
      items[j] = tmp
    }
    return items
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      const v = this.nextU32()
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (v >>> (8 * k)) & 0xff
    }
    return out
  }

  /** An independent stream derived from this one's current state and a label. */
  fork (label: string): Prng {
    return new Prng((this.nextU32() ^ hashLabel(label)) >>> 0)
  }
}

function rotl (x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
