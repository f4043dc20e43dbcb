/**
 * Every rule a proposal must pass before a member votes for it, in the order they are
 * applied (docs/PROTOCOL.md, "Proposals"). Each rule returns the code it refuses with, or
 * null. The driver applies the screen and the clock rule on receipt, before it fetches or
 * stores anything for the proposal, and the payload rules once the chunks are at hand; the
 * core applies the screen (answered from memory the second time), the certificate rules
 * and the parent rules. Certificates themselves are checked by the core (certificate-cache.ts).
 */
import type { BatchHeader, Proposal } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import type { CommittedTip } from './block-tree.js'
import type { BlockPayload } from './block-payload.js'
import type { VerifySignature } from './certificate.js'
import { isGenesisQc } from './genesis.js'
import { ConsensusRejectCode as C, type ConsensusRejectCode } from './reject-codes.js'
import { proposalMessage } from './signing.js'

export interface ProposalRules {
  chainId: string
  committeeKeys: Uint8Array[]
  verify: VerifySignature
  batchHash: (header: BatchHeader) => Uint8Array
  /** the leader of a round (leader-election.ts, from the committed chain) */
  leaderOf: (round: number) => number
}

export type Screened = { ok: true, hash: Uint8Array } | { ok: false, code: ConsensusRejectCode }

/** Proposals whose signature verified, remembered so the core does not verify them again. */
const MAX_REMEMBERED = 64

/** The sender, the chain and the signature: what must hold before anything else is done for a proposal. */
export class ProposalScreen {
  readonly #verified = new Map<string, Uint8Array>()

  constructor (readonly rules: ProposalRules) {}

  screen (from: number, proposal: Proposal): Screened {
    const { header } = proposal
    // [REJECT] the header's proposer is the member that sent it
    if (header.proposer !== from) return { ok: false, code: C.NOT_LEADER }
    const leader = this.rules.leaderOf(header.round)
    // [IGNORE] the sender is the leader of the round, by our committed chain (members whose
    // commits differ by a few heights can disagree on it for a moment: no penalty)
    if (from !== leader) return { ok: false, code: C.LEADER_UNKNOWN }
    // [REJECT] the header is of this chain
    if (header.chainId !== this.rules.chainId) return { ok: false, code: C.WRONG_CHAIN }
    const hash = this.rules.batchHash(header)
    const key = bytesToHex(hash)
    const known = this.#verified.get(key)
    if (known !== undefined && equalBytes(known, proposal.signature)) return { ok: true, hash }
    // [REJECT] signed by the leader (over the batch hash, which commits to the whole header)
    if (!this.rules.verify(this.rules.committeeKeys[leader]!, proposalMessage(this.rules.chainId, hash), proposal.signature)) {
      return { ok: false, code: C.BAD_SIGNATURE }
    }
    this.#remember(key, proposal.signature)
    return { ok: true, hash }
  }

  /** The leader's own proposal, signed here: nothing to verify. */
  rememberOwn (hash: Uint8Array, signature: Uint8Array): void {
    this.#remember(bytesToHex(hash), signature)
  }

  #remember (key: string, signature: Uint8Array): void {
    if (this.#verified.size >= MAX_REMEMBERED) this.#verified.delete(this.#verified.keys().next().value!)
    this.#verified.set(key, signature)
  }
}

export function checkProposalClock (header: BatchHeader, now: number, maxClockDriftMs: number): ConsensusRejectCode | null {
  // [IGNORE] the timestamp is not further ahead of our clock than the drift we allow
  if (header.timestamp > now + maxClockDriftMs) return C.FUTURE_TIMESTAMP
  return null
}

/** The proposal's QC and TC as the justification of its place (their signatures are checked apart). */
export function checkProposalJustification (proposal: Proposal): ConsensusRejectCode | null {
  const { header, justify } = proposal
  const round = header.round
  const expectedHeight = isGenesisQc(justify) ? 0 : justify.height + 1
  // [REJECT] extends the block its QC certifies, one height above it, in a later round
  if (!equalBytes(header.parentHash, justify.batchHash) || header.height !== expectedHeight || round <= justify.round) return C.NOT_EXTENDING_QC
  const tc = proposal.tc[0] ?? null
  // [REJECT] a TC it carries ended the previous round
  if (tc !== null && tc.round !== round - 1) return C.TC_NOT_PREVIOUS_ROUND
  // [REJECT] its round is the one right after its QC's, or after its TC's: no proposal for an unjustified future round
  if (tc === null && round !== justify.round + 1) return C.ROUND_NOT_JUSTIFIED
  return null
}

/** The parent as this member knows it (the committed tip or an uncommitted block; null: neither). */
export function checkProposalParent (header: BatchHeader, parent: CommittedTip | null): ConsensusRejectCode | null {
  // [IGNORE] extends the committed chain: a parent below the committed tip is pruned (or conflicts with it)
  if (parent === null) return C.BELOW_COMMITTED_TIP
  // [REJECT] the timestamp is not before its parent's
  if (header.timestamp < parent.timestamp) return C.TIMESTAMP_BEFORE_PARENT
  return null
}

/** The chunks the header lists, against the chunks this member holds. */
export function checkPayloadChunks (header: BatchHeader, held: (digestHex: string) => boolean): ConsensusRejectCode | null {
  const hexes = header.chunkDigests.map(bytesToHex)
  // [IGNORE] every chunk it lists is at hand (fetched from the leader if it was not)
  if (!hexes.every(held)) return C.MISSING_CHUNK
  // [REJECT] no chunk is listed twice
  if (new Set(hexes).size !== hexes.length) return C.DUPLICATE_CHUNK
  return null
}

/** Which field of the header disagrees with the payload its chunks make, or null. */
export function payloadMismatch (header: BatchHeader, payload: BlockPayload): string | null {
  if (header.chunkDigests.length !== payload.chunkDigestHexes.length) return 'chunk count'
  if (header.txCount !== payload.counted.length) return 'tx count'
  if (!equalBytes(header.payloadRoot, payload.payloadRoot)) return 'payload root'
  const ns = payload.namespaces
  if (ns.length !== header.namespaces.length || ns.some((n, i) => n.rollupId !== header.namespaces[i]!.rollupId || n.count !== header.namespaces[i]!.count)) return 'namespace table'
  return null
}

export function checkPayloadMatches (header: BatchHeader, payload: BlockPayload): ConsensusRejectCode | null {
  // [REJECT] the header's chunk count, tx count, payload root and namespace table are those of its chunks
  return payloadMismatch(header, payload) === null ? null : C.PAYLOAD_MISMATCH
}
