export { CodecError, CodecErrorCode } from './errors.js'
export { encode, decode, MAX_MESSAGE_BYTES } from './msgpack.js'
export type { Schema, Infer } from './schema.js'
export * from './wire-types.js'
