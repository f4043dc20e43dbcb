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
