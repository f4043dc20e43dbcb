/**
 * Checks of path and query parameters, done once at the edge of each route, and the
 * msgpack content negotiation. Each check throws ApiError with the reply to send.
 */
import { HASH_LENGTH } from '../codec/index.js'
import { hexToBytes } from '../crypto/index.js'
import { ApiError, ApiErrorCode } from './errors.js'
import type { ApiBackend, RollupInfo } from './types.js'

export const MSGPACK_CONTENT_TYPE = 'application/msgpack'

const DECIMAL = /^(?:0|[1-9][0-9]*)$/
const HASH_HEX = new RegExp(`^[0-9a-fA-F]{${HASH_LENGTH * 2}}$`)

/** A non-negative decimal integer up to 2^53-1, or null. */
export function parseUint (text: string | undefined): number | null {
  if (text === undefined || !DECIMAL.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : null
}

export function requireUint (text: string | undefined, name: string): number {
  const n = parseUint(text)
  if (n === null) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, `${name} must be a non-negative integer`)
  return n
}

export function requireTxHash (text: string): Uint8Array {
  const bytes = HASH_HEX.test(text) ? hexToBytes(text) : null
  if (bytes === null) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, `hash must be ${HASH_LENGTH * 2} hex characters`)
  return bytes
}

/** `idOrName` is a rollup id or name; 404 UNKNOWN_ROLLUP otherwise. */
export function requireRollup (backend: ApiBackend, idOrName: string): RollupInfo {
  const rollup = backend.resolveRollup(idOrName)
  if (rollup === null) throw new ApiError(404, ApiErrorCode.UNKNOWN_ROLLUP, `unknown rollup ${JSON.stringify(idOrName)}`)
  return rollup
}

/** True when the Accept header lists application/msgpack (with a non-zero q). */
export function wantsMsgpack (accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase())
    return type === MSGPACK_CONTENT_TYPE && !params.some((p) => /^q=0(?:\.0*)?$/.test(p))
  })
}

/** A Buffer view (no copy) of wire bytes, for fastify to send as-is. */
export function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
