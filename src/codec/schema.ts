/**
 * Tiny schema combinators for msgpack tuples. A schema both checks a decoded value
 * (strictly: exact arity, exact types, bounds) and prepares a value for encoding.
 *
 * Integer rule: msgpackr writes a JS number above 2^32-1 as a float64, so the encoder
 * hands such integers to msgpackr as bigints (written as int64, 0xd3) and the decoder
 * reads them back as numbers. Everything else is msgpackr's smallest form; the decoder
 * re-encodes and compares bytes, so any other encoding is refused as non-canonical.
 */
import { CodecError, CodecErrorCode } from './errors.js'

export interface Schema<T> {
  readonly name: string
  /** Checks a freshly unpacked value and returns it typed. Throws CodecError. */
  check (value: unknown, path: string): T
  /** Maps a typed value to what msgpackr should pack. */
  prepare (value: T): unknown
}

const U32_MAX = 0xffff_ffff

function fail (path: string, message: string): never {
  throw new CodecError(CodecErrorCode.WRONG_SHAPE, message, path)
}

/** A non-negative integer up to 2^53-1. */
export const uint: Schema<number> = {
  name: 'uint',
  check (value, path) {
    // A float64 or uint64 spelling of a safe integer also decodes to a number here: the
    // re-encode comparison in decode() refuses it as non-canonical.
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
    if (typeof value === 'bigint') fail(path, 'integer above 2^53-1')
    return fail(path, `expected a non-negative integer, got ${describe(value)}`)
  },
  prepare: (value) => value > U32_MAX ? BigInt(value) : value
}

export function uintMax (max: number): Schema<number> {
  return {
    name: `uint<=${max}`,
    check (value, path) {
      const n = uint.check(value, path)
      if (n > max) fail(path, `${n} exceeds ${max}`)
      return n
    },
    prepare: uint.prepare
  }
}

export function literal<const V extends number> (expected: V): Schema<V> {
  return {
    name: `literal ${expected}`,
    check (value, path) {
      if (value !== expected) {
        throw new CodecError(CodecErrorCode.UNSUPPORTED_VERSION, `expected version ${expected}, got ${describe(value)}`, path)
      }
      return expected
    },
    prepare: (value) => value
  }
}

export function bytes (opts: { length?: number, max?: number }): Schema<Uint8Array> {
  return {
    name: opts.length !== undefined ? `bytes[${opts.length}]` : `bytes<=${opts.max ?? 'any'}`,
    check (value, path) {
      if (!(value instanceof Uint8Array)) return fail(path, `expected bytes, got ${describe(value)}`)
      if (opts.length !== undefined && value.length !== opts.length) fail(path, `expected ${opts.length} bytes, got ${value.length}`)
      if (opts.max !== undefined && value.length > opts.max) throw new CodecError(CodecErrorCode.TOO_LARGE, `${value.length} bytes exceeds ${opts.max}`, path)
      return value
    },
    prepare: (value) => value
  }
}

export function string (max: number): Schema<string> {
  return {
    name: `string<=${max}`,
    check (value, path) {
      if (typeof value !== 'string') return fail(path, `expected a string, got ${describe(value)}`)
      if (value.length > max) throw new CodecError(CodecErrorCode.TOO_LARGE, `string longer than ${max}`, path)
      return value
    },
    prepare: (value) => value
  }
}

export function list<T> (item: Schema<T>, opts: { min?: number, max: number }): Schema<T[]> {
  return {
    name: `list<${item.name}>`,
    check (value, path) {
      if (!Array.isArray(value)) return fail(path, `expected an array, got ${describe(value)}`)
      if (value.length > opts.max) throw new CodecError(CodecErrorCode.TOO_LARGE, `${value.length} items exceeds ${opts.max}`, path)
      if (value.length < (opts.min ?? 0)) fail(path, `expected at least ${opts.min ?? 0} items, got ${value.length}`)
      return value.map((v, i) => item.check(v, `${path}[${i}]`))
    },
    prepare: (value) => value.map((v) => item.prepare(v))
  }
}

/**
 * A fixed-arity tuple mapped to and from an object; the tuple order is the order of the
 * fields in `shape` (string keys keep insertion order in JS).
 */
export function record<S extends Record<string, Schema<any>>> (name: string, shape: S): Schema<{ [K in keyof S]: Infer<S[K]> }> {
  const fields = Object.keys(shape)
  const items = fields.map((f) => shape[f]!)
  return {
    name,
    check (value, path) {
      if (!Array.isArray(value)) return fail(path, `${name}: expected a tuple, got ${describe(value)}`)
      if (value.length !== fields.length) fail(path, `${name}: expected ${fields.length} fields, got ${value.length}`)
      const out: Record<string, unknown> = {}
      for (let i = 0; i < fields.length; i++) out[fields[i]!] = items[i]!.check(value[i], `${path}.${fields[i]!}`)
      return out as { [K in keyof S]: Infer<S[K]> }
    },
    prepare (value) {
      const v = value as Record<string, unknown>
      return fields.map((f, i) => items[i]!.prepare(v[f]))
    }
  }
}

export type Infer<S> = S extends Schema<infer T> ? T : never

function describe (value: unknown): string {
  if (value === null) return 'nil'
  if (Array.isArray(value)) return 'array'
  if (value instanceof Uint8Array) return 'bytes'
  return typeof value
}
