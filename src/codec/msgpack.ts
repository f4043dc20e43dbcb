/**
 * Strict encode/decode of one schema'd value. Decoding refuses anything that is not
 * exactly what encode() would have produced: trailing bytes, other integer spellings,
 * maps, extensions and wrong shapes are all CodecErrors, never partial objects.
 */
import { Packr } from 'msgpackr'
import { CodecError, CodecErrorCode } from './errors.js'
import { prescan } from './prescan.js'
import { equalBytes } from '../crypto/hex.js'
import type { Schema } from './schema.js'

const packr = new Packr({ useRecords: false, int64AsType: 'auto' as 'number', mapsAsObjects: false, moreTypes: false })

/** Upper bound on any single encoded message we accept, before looking inside. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024

interface BufferLike { from: (b: ArrayBufferLike, o: number, l: number) => { equals: (o: Uint8Array) => boolean } }
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/** memcmp through Buffer in node (batches are megabytes); a plain loop in browsers. */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (NodeBuffer !== undefined) return NodeBuffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  return equalBytes(a, b)
}

export function encode<T> (schema: Schema<T>, value: T): Uint8Array {
  return packr.pack(schema.prepare(value))
}

export function decode<T> (schema: Schema<T>, bytes: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): T {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(CodecErrorCode.MALFORMED, 'input is not bytes')
  if (bytes.length > maxBytes) throw new CodecError(CodecErrorCode.TOO_LARGE, `${bytes.length} bytes exceeds ${maxBytes}`)
  if (bytes.length === 0) throw new CodecError(CodecErrorCode.MALFORMED, 'empty input')
  prescan(bytes)
  let raw: unknown
  let end = -1
  try {
    // unpackMultiple stops after the first value and says where it ended. Plain unpack() also
    // refuses trailing bytes, but JSON.stringify-s the whole value for its error message first:
    // ~0.7 s for a 4 MiB payload plus one byte, a cheap way for a peer to stall the node.
    packr.unpackMultiple(bytes, (value: unknown, _start?: number, stop?: number) => { raw = value; end = stop ?? -1; return false })
  } catch (err) {
    throw new CodecError(CodecErrorCode.MALFORMED, `not msgpack: ${(err as Error)?.message ?? String(err)}`)
  }
  if (end !== bytes.length) throw new CodecError(CodecErrorCode.MALFORMED, `trailing bytes after the value (${bytes.length - end} bytes)`)
  const value = schema.check(raw, schema.name)
  let again: Uint8Array
  try {
    again = packr.pack(schema.prepare(value))
  } catch (err) {
    throw new CodecError(CodecErrorCode.NON_CANONICAL, `cannot re-encode: ${(err as Error).message}`)
  }
  if (!sameBytes(again, bytes)) {
    throw new CodecError(CodecErrorCode.NON_CANONICAL, again.length === bytes.length ? 'non-canonical encoding' : 'trailing bytes or non-canonical encoding')
  }
  return value
}
