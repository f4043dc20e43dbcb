/**
 * Tiny schema combinators for msgpack tuples. A schema reads its value straight from the
 * bytes (strictly: exact arity, exact types, bounds, and the one canonical spelling), and
 * writes it (size() first, so encode() allocates once).
 *
 * Integer rule: msgpackr writes a JS number above 2^32-1 as a float64, so our writer spells
 * such integers as int64 (0xd3), as msgpackr does for a bigint, and the reader reads them
 * back as numbers. Everything else is the smallest form; any other spelling is
 * non-canonical (wire-io.ts).
 */
import { CodecError, CodecErrorCode } from './errors.js'
import {
  arrayHeaderSize, binSize, describe, fail, readArrayHeader, readBin, readScalar, readStr, strSize, uintLead,
  uintSize, within, writeArrayHeader, writeBin, writeStr, writeUint, type Reader, type Writer
} from './wire-io.js'

export interface Schema<T> {
  readonly name: string
  /** Reads one value at the reader's position. Throws CodecError (path relative to this value). */
  read (r: Reader): T
  /** Encoded size of a value. */
  size (value: T): number
  write (w: Writer, value: T): void
  /** The plain tuple msgpackr would pack for a value (tests build non-canonical variants from it). */
  prepare (value: T): unknown
}

const U32_MAX = 0xffff_ffff

/** The old check of a decoded value as a non-negative integer up to 2^53-1. */
function asUint (value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  if (typeof value === 'bigint') fail('integer above 2^53-1')
  return fail(`expected a non-negative integer, got ${describe(value)}`)
}

function readUint (r: Reader): number {
  const lead = r.bytes[r.pos]!
  if (lead < 0x80) { r.pos++; return lead }
  const n = asUint(readScalar(r))
  // a float64 or uint64 spelling of a safe integer reads as a number too: not the writer's
  if (uintLead(n) !== lead) r.nonCanonical = true
  return n
}

/** A non-negative integer up to 2^53-1. */
export const uint: Schema<number> = {
  name: 'uint',
  read: readUint,
  size: uintSize,
  write: writeUint,
  prepare: (value) => value > U32_MAX ? BigInt(value) : value
}

export function uintMax (max: number): Schema<number> {
  return {
    name: `uint<=${max}`,
    read (r) {
      const n = readUint(r)
      if (n > max) fail(`${n} exceeds ${max}`)
      return n
    },
    size: uintSize,
    write: writeUint,
    prepare: uint.prepare
  }
}

export function literal<const V extends number> (expected: V): Schema<V> {
  return {
    name: `literal ${expected}`,
    read (r) {
      const lead = r.bytes[r.pos]!
      if (lead === expected && lead < 0x80) { r.pos++; return expected }
      const value = readScalar(r)
      if (value !== expected) {
        throw new CodecError(CodecErrorCode.UNSUPPORTED_VERSION, `expected version ${expected}, got ${describe(value)}`)
      }
      if (uintLead(expected) !== lead) r.nonCanonical = true
      return expected
    },
    size: uintSize,
    write: writeUint,
    prepare: (value) => value
  }
}

export function bytes (opts: { length?: number, max?: number }): Schema<Uint8Array> {
  const { length, max } = opts
  return {
    name: length !== undefined ? `bytes[${length}]` : `bytes<=${max ?? 'any'}`,
    read (r) {
      const value = readBin(r)
      if (value === null) return fail(`expected bytes, got ${describe(readScalar(r))}`)
      if (length !== undefined && value.length !== length) fail(`expected ${length} bytes, got ${value.length}`)
      if (max !== undefined && value.length > max) throw new CodecError(CodecErrorCode.TOO_LARGE, `${value.length} bytes exceeds ${max}`)
      return value
    },
    size: (value) => binSize(value.length),
    write: writeBin,
    prepare: (value) => value
  }
}

export function string (max: number): Schema<string> {
  return {
    name: `string<=${max}`,
    read (r) {
      const value = readStr(r)
      if (value === null) return fail(`expected a string, got ${describe(readScalar(r))}`)
      if (value.length > max) throw new CodecError(CodecErrorCode.TOO_LARGE, `string longer than ${max}`)
      return value
    },
    size: strSize,
    write: writeStr,
    prepare: (value) => value
  }
}

export function list<T> (item: Schema<T>, opts: { min?: number, max: number }): Schema<T[]> {
  const min = opts.min ?? 0
  return {
    name: `list<${item.name}>`,
    read (r) {
      const n = readArrayHeader(r)
      if (n < 0) return fail(`expected an array, got ${describe(readScalar(r))}`)
      if (n > opts.max) throw new CodecError(CodecErrorCode.TOO_LARGE, `${n} items exceeds ${opts.max}`)
      if (n < min) fail(`expected at least ${min} items, got ${n}`)
      const out = new Array<T>(n)
      let i = 0
      try {
        for (; i < n; i++) out[i] = item.read(r)
      } catch (err) {
        within(err, `[${i}]`)
      }
      return out
    },
    size (value) {
      let n = arrayHeaderSize(value.length)
      for (const v of value) n += item.size(v)
      return n
    },
    write (w, value) {
      writeArrayHeader(w, value.length)
      for (const v of value) item.write(w, v)
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
  const header = arrayHeaderSize(fields.length)
  return {
    name,
    read (r) {
      const n = readArrayHeader(r)
      if (n < 0) return fail(`${name}: expected a tuple, got ${describe(readScalar(r))}`)
      if (n !== fields.length) fail(`${name}: expected ${fields.length} fields, got ${n}`)
      const out: Record<string, unknown> = {}
      let i = 0
      try {
        for (; i < fields.length; i++) out[fields[i]!] = items[i]!.read(r)
      } catch (err) {
        within(err, `.${fields[i]!}`)
      }
      return out as { [K in keyof S]: Infer<S[K]> }
    },
    size (value) {
      const v = value as Record<string, unknown>
      let n = header
      for (let i = 0; i < fields.length; i++) n += items[i]!.size(v[fields[i]!])
      return n
    },
    write (w, value) {
      const v = value as Record<string, unknown>
      writeArrayHeader(w, fields.length)
      for (let i = 0; i < fields.length; i++) items[i]!.write(w, v[fields[i]!])
    },
    prepare (value) {
      const v = value as Record<string, unknown>
      return fields.map((f, i) => items[i]!.prepare(v[f]))
    }
  }
}

export type Infer<S> = S extends Schema<infer T> ? T : never
