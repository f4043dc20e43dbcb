/**
 * Strict encode/decode of one schema'd value. Decoding refuses anything that is not
 * exactly what encode() would have produced: trailing bytes, other integer spellings,
 * maps, extensions and wrong shapes are all CodecErrors, never partial objects.
 */
import { CodecError, CodecErrorCode } from './errors.js'
import { prescan } from './prescan.js'
import { Reader, Writer } from './wire-io.js'
import type { Schema } from './schema.js'

/** Upper bound on any single encoded message we accept, before looking inside. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024

interface BufferLike { allocUnsafe: (n: number) => Uint8Array }
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/** In node a Buffer from its pool for small outputs (as msgpackr gave); a plain array in browsers. */
const allocate: (n: number) => Uint8Array = NodeBuffer !== undefined ? (n) => NodeBuffer.allocUnsafe(n) : (n) => new Uint8Array(n)

/** The encoded value; with `prefix`, prefix || encoding in one allocation (signing messages). */
export function encode<T> (schema: Schema<T>, value: T, prefix?: Uint8Array): Uint8Array {
  const head = prefix?.length ?? 0
  const size = head + schema.size(value)
  const w = new Writer(allocate(size))
  if (prefix !== undefined) { w.bytes.set(prefix); w.pos = head }
  schema.write(w, value)
  if (w.pos !== size) throw new Error(`${schema.name}: wrote ${w.pos} bytes, sized ${size}`)
  return w.bytes
}

export function decode<T> (schema: Schema<T>, bytes: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): T {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(CodecErrorCode.MALFORMED, 'input is not bytes')
  if (bytes.length > maxBytes) throw new CodecError(CodecErrorCode.TOO_LARGE, `${bytes.length} bytes exceeds ${maxBytes}`)
  if (bytes.length === 0) throw new CodecError(CodecErrorCode.MALFORMED, 'empty input')
  // Structure first (truncation, trailing bytes, maps, extensions, depth): the reader below
  // then never runs past the input nor builds anything for a hostile shape.
  prescan(bytes)
  const r = new Reader(bytes)
  let value: T
  try {
    value = schema.read(r)
  } catch (err) {
    if (err instanceof CodecError) throw new CodecError(err.code, err.detail, schema.name + err.path)
    throw err
  }
  if (r.nonCanonical) throw new CodecError(CodecErrorCode.NON_CANONICAL, 'non-canonical encoding')
  return value
}
