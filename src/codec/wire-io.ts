/**
 * The byte-level reader and writer behind the schemas (schema.ts): msgpack's array, bin,
 * str and integer forms, written in the smallest spelling, read in one pass that builds the
 * typed value directly (no generic unpack, no re-encode to compare).
 *
 * The reader runs only after prescan() accepted the input, so every header and body it
 * meets lies within the bytes and no bounds are checked here. It reads any scalar the way
 * msgpackr would decode it (so a schema judges the same values it always did) and marks
 * `nonCanonical` when a value is not in the spelling the writer would give it; decode()
 * reports that only if the whole value has no shape error, as the re-encode comparison did.
 */
import { CodecError, CodecErrorCode } from './errors.js'

const TWO_32 = 0x1_0000_0000
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true })
const utf8Encoder = new TextEncoder()

/** What readScalar gives for an array header (left unread): the caller expected a scalar. */
export const ARRAY = Symbol('array')

export class Reader {
  pos = 0
  /** a value was spelled otherwise than the writer would */
  nonCanonical = false
  #view: DataView | null = null

  constructor (readonly bytes: Uint8Array) {}

  get view (): DataView {
    this.#view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    return this.#view
  }

  u16 (at: number): number {
    const b = this.bytes
    return (b[at]! << 8) | b[at + 1]!
  }

  u32 (at: number): number {
    const b = this.bytes
    return b[at]! * 0x100_0000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!)
  }
}

/** Throws the shape error of a value at the reader's position (path added by the callers). */
export function fail (message: string): never {
  throw new CodecError(CodecErrorCode.WRONG_SHAPE, message)
}

/** Rethrows a CodecError from inside a field or item with that step prepended to its path. */
export function within (err: unknown, step: string): never {
  if (err instanceof CodecError) throw new CodecError(err.code, err.detail, step + err.path)
  throw err
}

/** The element count of an array at the position (consumed), or -1 if it is not an array (not consumed). */
export function readArrayHeader (r: Reader): number {
  const b = r.bytes[r.pos]!
  if (b >= 0x90 && b <= 0x9f) { r.pos++; return b & 0x0f }
  if (b === 0xdc) {
    const n = r.u16(r.pos + 1)
    r.pos += 3
    if (n < 0x10) r.nonCanonical = true
    return n
  }
  if (b === 0xdd) {
    const n = r.u32(r.pos + 1)
    r.pos += 5
    if (n < 0x1_0000) r.nonCanonical = true
    return n
  }
  return -1
}

/** Set by sizedBody: the length of the body it found. */
let bodyLength = 0

/**
 * The body start of a bin (lead8 0xc4) or str (lead8 0xd9) with an 8, 16 or 32-bit length
 * at the position, or -1 if the lead byte is none of the three (the 16 and 32-bit leads
 * follow lead8). A longer length form than the length needs is non-canonical; `min8` is the
 * shortest length the 8-bit form is the canonical one for (str has fixstr below 32).
 */
function sizedBody (r: Reader, lead8: number, min8: number): number {
  const lead = r.bytes[r.pos]!
  if (lead === lead8) {
    bodyLength = r.bytes[r.pos + 1]!
    if (bodyLength < min8) r.nonCanonical = true
    return r.pos + 2
  }
  if (lead === lead8 + 1) {
    bodyLength = r.u16(r.pos + 1)
    if (bodyLength < 0x100) r.nonCanonical = true
    return r.pos + 3
  }
  if (lead === lead8 + 2) {
    bodyLength = r.u32(r.pos + 1)
    if (bodyLength < 0x1_0000) r.nonCanonical = true
    return r.pos + 5
  }
  return -1
}

/** The body of a bin at the position (consumed, a view of the input), or null if it is not a bin (not consumed). */
export function readBin (r: Reader): Uint8Array | null {
  const start = sizedBody(r, 0xc4, 0)
  if (start < 0) return null
  r.pos = start + bodyLength
  return r.bytes.subarray(start, r.pos)
}

/** A str at the position (consumed), or null if it is not a str (not consumed). */
export function readStr (r: Reader): string | null {
  const b = r.bytes[r.pos]!
  let start: number
  if (b >= 0xa0 && b <= 0xbf) { bodyLength = b & 0x1f; start = r.pos + 1 } else {
    start = sizedBody(r, 0xd9, 0x20)
    if (start < 0) return null
  }
  r.pos = start + bodyLength
  const body = r.bytes.subarray(start, r.pos)
  try {
    return utf8Fatal.decode(body)
  } catch {
    // not UTF-8: the writer could not have produced these bytes from any string
    r.nonCanonical = true
    return utf8Lenient.decode(body)
  }
}

/**
 * Any scalar at the position, consumed, as msgpackr decodes it (int64 forms as a number when
 * within +-2^53, else a bigint); ARRAY, not consumed, for an array. Integer spellings are
 * not judged here (the integer schemas know their canonical form).
 */
export function readScalar (r: Reader): unknown {
  const b = r.bytes[r.pos]!
  if (b <= 0x7f) { r.pos++; return b }
  if (b >= 0xe0) { r.pos++; return b - 0x100 }
  if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) return ARRAY
  const str = readStr(r)
  if (str !== null) return str
  const bin = readBin(r)
  if (bin !== null) return bin
  const at = r.pos + 1
  switch (b) {
    case 0xc0: r.pos = at; return null
    case 0xc2: r.pos = at; return false
    case 0xc3: r.pos = at; return true
    case 0xcc: r.pos = at + 1; return r.bytes[at]
    case 0xcd: r.pos = at + 2; return r.u16(at)
    case 0xce: r.pos = at + 4; return r.u32(at)
    case 0xd0: r.pos = at + 1; return r.view.getInt8(at)
    case 0xd1: r.pos = at + 2; return r.view.getInt16(at)
    case 0xd2: r.pos = at + 4; return r.view.getInt32(at)
    case 0xca: r.pos = at + 4; return r.view.getFloat32(at)
    case 0xcb: r.pos = at + 8; return r.view.getFloat64(at)
    case 0xcf: { r.pos = at + 8; const v = r.view.getBigUint64(at); return v <= 2n ** 53n ? Number(v) : v }
    case 0xd3: { r.pos = at + 8; const v = r.view.getBigInt64(at); return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v }
    default:
      // maps and extensions never reach here (prescan refuses them)
      throw new CodecError(CodecErrorCode.WRONG_SHAPE, `msgpack type 0x${b.toString(16)} is not used by this protocol`)
  }
}

/** The first byte the writer gives a non-negative integer: compared with the one read. */
export function uintLead (n: number): number {
  if (n < 0x80) return n
  if (n < 0x100) return 0xcc
  if (n < 0x1_0000) return 0xcd
  if (n < TWO_32) return 0xce
  return 0xd3
}

export function describe (value: unknown): string {
  if (value === null) return 'nil'
  if (value === ARRAY || Array.isArray(value)) return 'array'
  if (value instanceof Uint8Array) return 'bytes'
  return typeof value
}

/** Writes into a buffer of the exact size, computed beforehand by the schemas' size(). */
export class Writer {
  pos = 0
  constructor (readonly bytes: Uint8Array) {}
}

export function uintSize (n: number): number {
  if (n < 0x80) return 1
  if (n < 0x100) return 2
  if (n < 0x1_0000) return 3
  if (n < TWO_32) return 5
  return 9
}

export function writeUint (w: Writer, n: number): void {
  const b = w.bytes
  let p = w.pos
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`cannot encode ${n} as a non-negative integer`)
  if (n < 0x80) b[p++] = n
  else if (n < 0x100) { b[p++] = 0xcc; b[p++] = n } else if (n < 0x1_0000) { b[p++] = 0xcd; b[p++] = n >>> 8; b[p++] = n & 0xff } else if (n < TWO_32) {
    b[p++] = 0xce; b[p++] = n >>> 24; b[p++] = (n >>> 16) & 0xff; b[p++] = (n >>> 8) & 0xff; b[p++] = n & 0xff
  } else {
    // int64, as msgpackr writes a bigint; exact for any integer a double holds below 2^63
    if (n >= 2 ** 63) throw new RangeError(`cannot encode ${n}: above int64`)
    const hi = Math.floor(n / TWO_32)
    const lo = n - hi * TWO_32
    b[p++] = 0xd3
    b[p++] = hi >>> 24; b[p++] = (hi >>> 16) & 0xff; b[p++] = (hi >>> 8) & 0xff; b[p++] = hi & 0xff
    b[p++] = lo >>> 24; b[p++] = (lo >>> 16) & 0xff; b[p++] = (lo >>> 8) & 0xff; b[p++] = lo & 0xff
  }
  w.pos = p
}

export function arrayHeaderSize (n: number): number {
  return n < 0x10 ? 1 : n < 0x1_0000 ? 3 : 5
}

export function writeArrayHeader (w: Writer, n: number): void {
  const b = w.bytes
  if (n < 0x10) b[w.pos++] = 0x90 | n
  else if (n < 0x1_0000) { b[w.pos] = 0xdc; b[w.pos + 1] = n >>> 8; b[w.pos + 2] = n & 0xff; w.pos += 3 } else writeLength32(w, 0xdd, n)
}

export function binSize (n: number): number {
  return n + (n < 0x100 ? 2 : n < 0x1_0000 ? 3 : 5)
}

export function writeBin (w: Writer, value: Uint8Array): void {
  const b = w.bytes
  const n = value.length
  if (n < 0x100) { b[w.pos] = 0xc4; b[w.pos + 1] = n; w.pos += 2 } else if (n < 0x1_0000) { b[w.pos] = 0xc5; b[w.pos + 1] = n >>> 8; b[w.pos + 2] = n & 0xff; w.pos += 3 } else writeLength32(w, 0xc6, n)
  b.set(value, w.pos)
  w.pos += n
}

export function strSize (value: string): number {
  const n = utf8Encoder.encode(value).length
  return n + (n < 0x20 ? 1 : n < 0x100 ? 2 : n < 0x1_0000 ? 3 : 5)
}

/** A lone surrogate becomes U+FFFD (TextEncoder), as msgpackr writes it. */
export function writeStr (w: Writer, value: string): void {
  const body = utf8Encoder.encode(value)
  const b = w.bytes
  const n = body.length
  if (n < 0x20) b[w.pos++] = 0xa0 | n
  else if (n < 0x100) { b[w.pos] = 0xd9; b[w.pos + 1] = n; w.pos += 2 } else if (n < 0x1_0000) { b[w.pos] = 0xda; b[w.pos + 1] = n >>> 8; b[w.pos + 2] = n & 0xff; w.pos += 3 } else writeLength32(w, 0xdb, n)
  b.set(body, w.pos)
  w.pos += n
}

function writeLength32 (w: Writer, lead: number, n: number): void {
  const b = w.bytes
  b[w.pos] = lead
  b[w.pos + 1] = n >>> 24
  b[w.pos + 2] = (n >>> 16) & 0xff
  b[w.pos + 3] = (n >>> 8) & 0xff
  b[w.pos + 4] = n & 0xff
  w.pos += 5
}
