/**
 * Domain-separated messages for rollup payloads. Same byte layout as the protocol's
 * `domainMessage` (src/crypto/domain.ts, docs/PROTOCOL.md): `len(tag) || tag ||
 * len(chainId) || chainId || body`; the tags here are the rollups' own, so a rollup
 * signature can never be replayed as a sequencer message or on another chain.
 */

export const RollupDomainTag = {
  tokenTransfer: 'rollup/token/transfer/v1'
} as const
export type RollupDomainTag = (typeof RollupDomainTag)[keyof typeof RollupDomainTag]

const utf8 = new TextEncoder()

export function rollupDomainMessage (tag: RollupDomainTag, chainId: string, body: Uint8Array): Uint8Array {
  const tagBytes = utf8.encode(tag)
  const chainBytes = utf8.encode(chainId)
  if (tagBytes.length > 255 || chainBytes.length > 255) throw new RangeError('tag and chain id must be at most 255 bytes')
  const out = new Uint8Array(2 + tagBytes.length + chainBytes.length + body.length)
  out[0] = tagBytes.length
  out.set(tagBytes, 1)
  out[1 + tagBytes.length] = chainBytes.length
  out.set(chainBytes, 2 + tagBytes.length)
  out.set(body, 2 + tagBytes.length + chainBytes.length)
  return out
}
