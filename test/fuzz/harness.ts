/**
 * The decoder fuzz loop shared by test/codec/fuzz.test.ts (a short run in the suite) and
 * test/fuzz/run-fuzz.ts (long runs). For each input, decode may only throw a CodecError
 * with one of the fixed codes, and whatever it accepts must re-encode to exactly the input.
 * Decoders outside the codec (p2p frames, consensus messages, the client's slice
 * verifier) are targets of the same loop, with their own rules (targets.ts).
 */
import fc from 'fast-check'
import { CodecError, CodecErrorCode, decode, encode } from '../../src/codec/index.js'
import { WIRE_TYPES, type WireType } from '../codec/arbitraries.js'
import { EXAMPLES } from '../codec/fixtures.js'
import { Rng, mutate, randomInput } from './mutate.js'

const CODES = new Set<string>(Object.values(CodecErrorCode))

export class FuzzFailure extends Error {
  constructor (readonly schemaName: string, readonly input: Uint8Array, readonly reason: string, readonly error?: unknown) {
    super(`${schemaName}: ${reason} for input ${toHex(input)}${error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : `\n${String(error)}`}`)
    this.name = 'FuzzFailure'
  }
}

export interface SchemaStats {
  inputs: number
  /** Inputs decode accepted (and that re-encoded to themselves). */
  accepted: number
  /** CodecErrors by code. */
  rejected: Record<string, number>
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

/** Decodes one input under the fuzz rules; returns 'accepted' or the CodecError's code, throws FuzzFailure otherwise. */
export function checkInput (target: WireType, input: Uint8Array): string {
  const before = toHex(input)
  let value: unknown
  try {
    value = decode(target.schema, input)
  } catch (err) {
    if (!(err instanceof CodecError)) throw new FuzzFailure(target.name, input, 'decode threw something other than a CodecError', err)
    if (!CODES.has(err.code)) throw new FuzzFailure(target.name, input, `CodecError with an unknown code ${String(err.code)}`, err)
    if (toHex(input) !== before) throw new FuzzFailure(target.name, input, 'decode modified its input')
    return err.code
  }
  let again: Uint8Array
  try {
    again = encode(target.schema, value)
  } catch (err) {
    throw new FuzzFailure(target.name, input, 'a decoded value does not encode', err)
  }
  if (!sameBytes(again, input)) throw new FuzzFailure(target.name, input, `accepted, but re-encodes to ${toHex(again)}`)
  if (toHex(input) !== before) throw new FuzzFailure(target.name, input, 'decode modified its input')
  return 'accepted'
}

/** Anything the loop can fuzz: valid inputs to start from, and the rules of one input. */
export interface FuzzTarget {
  name: string
  /** valid inputs (deterministic for the seed) that mutations start from */
  corpus: (seed: number, count: number) => Uint8Array[]
  /** 'accepted' or the typed error's code; throws FuzzFailure when a rule is broken */
  check: (input: Uint8Array) => string
}

/** A wire type of the codec as a fuzz target: its arbitrary and fixtures, and checkInput. */
export function wireTarget (type: WireType): FuzzTarget {
  return {
    name: type.name,
    corpus: (seed, count) => {
      const values = fc.sample(type.arb, { seed, numRuns: count })
      const examples = EXAMPLES.filter((e) => e.name === type.name).map((e) => e.value)
      return [...examples, ...values].map((v) => encode(type.schema, v))
    },
    check: (input) => checkInput(type, input)
  }
}

export const WIRE_TARGETS: readonly FuzzTarget[] = WIRE_TYPES.map(wireTarget)

/**
 * Generates and checks inputs for every target in turn. Deterministic for a seed: the
 * corpus of valid encodings comes from the fast-check arbitraries with that seed.
 */
export class Fuzzer {
  readonly stats = new Map<string, SchemaStats>()
  readonly #rng: Rng
  readonly #targets: readonly FuzzTarget[]
  readonly #corpus = new Map<string, Uint8Array[]>()
  readonly #all: Uint8Array[] = []
  #next = 0

  constructor (readonly seed: number, opts: { corpusPerType?: number, targets?: readonly FuzzTarget[] } = {}) {
    this.#rng = new Rng(seed)
    this.#targets = opts.targets ?? WIRE_TARGETS
    for (const target of this.#targets) {
      const encodings = target.corpus(seed, opts.corpusPerType ?? 48)
      this.#corpus.set(target.name, encodings)
      this.#all.push(...encodings)
      this.stats.set(target.name, { inputs: 0, accepted: 0, rejected: {} })
    }
  }

  /** Generates and checks the next input; throws FuzzFailure on a broken rule. */
  step (): void {
    const rng = this.#rng
    const target = this.#targets[this.#next++ % this.#targets.length]!
    const own = this.#corpus.get(target.name)!
    const roll = rng.int(100)
    let input: Uint8Array
    if (roll < 15) input = randomInput(rng, 64)
    else if (roll < 25) input = rng.chance(0.5) ? rng.pick(this.#all) : mutate(rng, rng.pick(this.#all), this.#all)
    else if (roll < 28) input = rng.pick(own)
    else input = mutate(rng, rng.pick(own), this.#all)
    const result = target.check(this.#present(input))
    const stats = this.stats.get(target.name)!
    stats.inputs++
    if (result === 'accepted') stats.accepted++
    else stats.rejected[result] = (stats.rejected[result] ?? 0) + 1
  }

  /** The same bytes as a Buffer, a plain Uint8Array, or a view into the middle of a larger buffer. */
  #present (input: Uint8Array): Uint8Array {
    const roll = this.#rng.int(10)
    if (roll < 6) return Buffer.from(input)
    if (roll < 8) return new Uint8Array(input)
    const before = this.#rng.int(16)
    const outer = Buffer.from(this.#rng.bytes(before + input.length + 1 + this.#rng.int(16)))
    outer.set(input, before)
    return outer.subarray(before, before + input.length)
  }
}
