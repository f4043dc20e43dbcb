/** The domain messages that consensus members sign (see docs/PROTOCOL.md). */
import { encode, TimeoutBodySchema } from '../codec/index.js'
import { DomainTag, domainMessage } from '../crypto/domain.js'

export function timeoutMessage (chainId: string, round: number, highQcRound: number): Uint8Array {
  return domainMessage(DomainTag.timeout, chainId, encode(TimeoutBodySchema, { version: 1, round, highQcRound }))
}

/** A proposal signature covers the batch hash, which commits to the whole header. */
export function proposalMessage (chainId: string, batchHash: Uint8Array): Uint8Array {
  return domainMessage(DomainTag.proposal, chainId, batchHash)
}

