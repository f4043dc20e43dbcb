/**
 * The safety invariants of a simulated run, checked as the run goes (fail fast):
 * - agreement: no two honest replicas commit different blocks at one height;
 * - each replica's committed log is gap-free and hash-linked (heights 0, 1, 2, ...);
 * - every commit carries a CommitProof that verifies against the committee and fits the
 *   wire format (at most FormatLimits.maxCommitProofHeaders headers);
 * - no tx id is committed twice (exactly-once ordering);
 * - an honest replica never sends two different votes in one round (nor, as leader, two
 *   different proposals), never votes in a round it has timed out of, and never lets a
 *   vote, timeout or proposal leave before the safety state covering it is durable
 *   (checked across crashes and restarts, including crashes in the middle of a step);
 * - persisted safety state never goes backwards;
 * - at most one block is certified per round (quorum intersection with honest voters).
 * Liveness (every submitted tx committed everywhere after the faults stop) is checked by
 * the simulation itself.
 */
import { FormatLimits, type BatchHeader, type Certificate, type Proposal, type Timeout, type Vote } from '../../src/codec/index.js'
import { bytesToHex, equalBytes } from '../../src/crypto/index.js'
import { verifyCertificate, type CommitteeView, type VerifySignature } from '../../src/ordering/certificate.js'
import { verifyCommitProof } from '../../src/ordering/commit-proof.js'
import { isGenesisQc, ZERO_HASH, type CoreBlock, type SafetyState } from '../../src/ordering/consensus-core.js'
import type { CommitProof } from '../../src/codec/index.js'

export class SimFailure extends Error {
  constructor (readonly invariant: string, message: string) {
    super(`${invariant}: ${message}`)
  }
}

export interface LogEntry {
  block: CoreBlock
  proof: CommitProof
  hashHex: string
}

const short = (hex: string): string => hex.slice(0, 10)

export class InvariantChecker {
  readonly #committedAt = new Map<number, { hashHex: string, by: number }>()
  readonly #txHeight = new Map<string, number>()
  readonly #votes = new Map<string, string>()
  readonly #timedOut = new Set<string>()
  readonly #proposals = new Map<string, string>()
  readonly #qcByRound = new Map<number, string>()
  readonly #qcSeen = new Set<string>()

  constructor (
    readonly committee: CommitteeView,
    readonly verify: VerifySignature,
    readonly batchHash: (h: BatchHeader) => Uint8Array
  ) {}

  /** Highest height committed by any honest replica, -1 when none. */
  get maxCommittedHeight (): number { return this.#committedAt.size - 1 }

  committedHashAt (height: number): string | undefined {
    return this.#committedAt.get(height)?.hashHex
  }

  checkCommit (node: number, log: readonly LogEntry[], block: CoreBlock, proof: CommitProof, committedTxs: ReadonlySet<string>): string {
    const header = block.header
    const hashHex = bytesToHex(block.hash)
    if (!equalBytes(this.batchHash(header), block.hash)) throw new SimFailure('commit-hash', `r${node} committed a block whose hash does not match its header at height ${header.height}`)
    const expectedHeight = log.length
    if (header.height !== expectedHeight) {
      throw new SimFailure('gap-free', `r${node} committed height ${header.height} but its log ends at ${expectedHeight - 1}`)
    }
    const parent = log.length === 0 ? ZERO_HASH : log[log.length - 1]!.block.hash
    if (!equalBytes(header.parentHash, parent)) throw new SimFailure('gap-free', `r${node} committed height ${header.height} that does not extend its committed block ${header.height - 1}`)
    if (proof.headers.length < 1 || proof.headers.length > FormatLimits.maxCommitProofHeaders) {
      throw new SimFailure('commit-proof', `r${node} commit proof for height ${header.height} has ${proof.headers.length} headers (wire format allows 1..${FormatLimits.maxCommitProofHeaders})`)
    }
    const check = verifyCommitProof(this.committee, header, block.hash, proof, { batchHash: this.batchHash, verifySignature: this.verify })
    if (!check.ok) throw new SimFailure('commit-proof', `r${node} commit proof for height ${header.height} does not verify: ${check.reason}`)
    const earlier = this.#committedAt.get(header.height)
    if (earlier === undefined) this.#committedAt.set(header.height, { hashHex, by: node })
    else if (earlier.hashHex !== hashHex) {
      throw new SimFailure('agreement', `height ${header.height}: r${earlier.by} committed ${short(earlier.hashHex)}, r${node} committed ${short(hashHex)}`)
    }
    for (const digest of header.chunkDigests) {
      const tx = bytesToHex(digest)
      if (committedTxs.has(tx)) throw new SimFailure('exactly-once', `r${node} committed tx ${short(tx)} a second time at height ${header.height}`)
      const h = this.#txHeight.get(tx)
      if (h === undefined) this.#txHeight.set(tx, header.height)
      else if (h !== header.height) throw new SimFailure('exactly-once', `tx ${short(tx)} committed at heights ${h} and ${header.height}`)
    }
    this.checkCertificate(proof.certificate)
    return hashHex
  }

  checkPersist (node: number, before: SafetyState | null, after: SafetyState): void {
    if (before === null) return
    if (after.highestVoteRound < before.highestVoteRound || after.lastProposedRound < before.lastProposedRound || after.highestQcRound < before.highestQcRound) {
      throw new SimFailure('persist-monotonic', `r${node} persisted safety state going backwards: ${describeSafety(before)} -> ${describeSafety(after)}`)
    }
  }

  checkVote (node: number, vote: Vote, durable: SafetyState | null): void {
    if (durable === null || durable.highestVoteRound < vote.round) {
      throw new SimFailure('persist-before-send', `r${node} sent a vote for round ${vote.round} before persisting it (durable highestVoteRound ${durable?.highestVoteRound ?? 'none'})`)
    }
    const key = `${node}/${vote.round}`
    const hashHex = `${bytesToHex(vote.batchHash)}/${vote.height}`
    const earlier = this.#votes.get(key)
    if (earlier !== undefined && earlier !== hashHex) {
      throw new SimFailure('double-vote', `honest r${node} voted for ${short(earlier)} and ${short(hashHex)} in round ${vote.round}`)
    }
    if (this.#timedOut.has(key)) throw new SimFailure('vote-after-timeout', `honest r${node} voted in round ${vote.round} after timing out of it`)
    this.#votes.set(key, hashHex)
  }

  checkTimeout (node: number, timeout: Timeout, durable: SafetyState | null): void {
    if (durable === null || durable.highestVoteRound < timeout.round) {
      throw new SimFailure('persist-before-send', `r${node} sent a timeout for round ${timeout.round} before persisting it`)
    }
    this.#timedOut.add(`${node}/${timeout.round}`)
    this.checkCertificate(timeout.highQc)
  }

  checkProposal (node: number, proposal: Proposal, durable: SafetyState | null): void {
    const round = proposal.header.round
    if (proposal.header.proposer === node) {
      if (durable === null || durable.lastProposedRound < round) {
        throw new SimFailure('persist-before-send', `r${node} sent its proposal for round ${round} before persisting lastProposedRound`)
      }
      const key = `${node}/${round}`
      const hashHex = bytesToHex(this.batchHash(proposal.header))
      const earlier = this.#proposals.get(key)
      if (earlier !== undefined && earlier !== hashHex) throw new SimFailure('leader-equivocation', `honest r${node} proposed ${short(earlier)} and ${short(hashHex)} in round ${round}`)
      this.#proposals.set(key, hashHex)
    }
    this.checkCertificate(proposal.justify)
  }

  /** One certified block per round: two valid QCs of one round need an honest double vote. */
  checkCertificate (qc: Certificate): void {
    if (isGenesisQc(qc)) return
    const hashHex = bytesToHex(qc.batchHash)
    const key = `${qc.round}/${hashHex}`
    if (this.#qcSeen.has(key)) return
    if (!verifyCertificate(this.committee, qc, this.verify).ok) return
    this.#qcSeen.add(key)
    const earlier = this.#qcByRound.get(qc.round)
    if (earlier === undefined) this.#qcByRound.set(qc.round, hashHex)
    else if (earlier !== hashHex) throw new SimFailure('unique-qc', `two blocks certified in round ${qc.round}: ${short(earlier)} and ${short(hashHex)}`)
  }
}

export function describeSafety (s: SafetyState): string {
  return `{vote ${s.highestVoteRound}, qc ${s.highestQcRound}, proposed ${s.lastProposedRound}, highQc r${s.highQc.round}/h${s.highQc.height}}`
}
