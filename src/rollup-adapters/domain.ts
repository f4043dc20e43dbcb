/**
 * Domain-separated messages for rollup payloads. Same byte layout as the protocol's
 * `domainMessage` (src/crypto/domain.ts, docs/PROTOCOL.md): `len(tag) || tag ||
 * len(chainId) || chainId || body`; the tags here are the rollups' own, so a rollup
 * signature can never be replayed as a sequencer message or on another chain.
 */

import { taggedMessage } from '../crypto/domain.js'

export const RollupDomainTag = {
  tokenTransfer: 'rollup/token/transfer/v1'
} as const
export type RollupDomainTag = (typeof RollupDomainTag)[keyof typeof RollupDomainTag]

export function rollupDomainMessage (tag: RollupDomainTag, chainId: string, body: Uint8Array): Uint8Array {
  return taggedMessage(tag, chainId, body)
}

/**
 * Whether a payload can be a version-1 tuple of `fields` items: canonical msgpack starts it
 * with the fixarray header and the fixint 1. Checked before decoding so that random or
 * foreign payloads (the bench sends them by the thousand) are refused without building a
 * CodecError and its stack trace each time; the decoder still checks everything else.
 */
export function hasV1TupleHeader (payload: Uint8Array, fields: number): boolean {
  return payload.length >= 2 && payload[0] === (0x90 | fields) && payload[1] === 0x01
}
