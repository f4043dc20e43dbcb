/**
 * The SDK's view of the strict wire codec (docs/PROTOCOL.md, Encoding): the node's own
 * encoder and decoder (browser-safe: no Buffer, no node builtins), with bytes handed out as
 * plain Uint8Arrays.
 */
import { decode as strictDecode, encode as strictEncode, MAX_MESSAGE_BYTES } from '../codec/msgpack.js'
import type { Schema } from '../codec/schema.js'

export { MAX_MESSAGE_BYTES }

export function encode<T> (schema: Schema<T>, value: T): Uint8Array {
  return plainBytes(strictEncode(schema, value))
}

/**
 * A plain Uint8Array view of the same memory. In node, the encoder hands out pooled Buffers (and decoded bytes are views of a Buffer input), whose
 * slice() is a view rather than a copy; SDK users get the same type everywhere.
 */
export function plainBytes (bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The node's strict decoder (throws CodecError for anything `encode` would not produce). */
export function decode<T> (schema: Schema<T>, bytes: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): T {
  return strictDecode(schema, bytes, maxBytes)
}
