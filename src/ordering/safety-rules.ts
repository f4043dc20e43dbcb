/**
 * The voting rules of DiemBFT v4 / Jolteon and the one writer of the safety state: what
 * must be on disk (sync: true) before any vote, timeout or proposal leaves the node. Every
 * change here is followed by a `persist` action of the core; rounds only grow.
 */
import type { Certificate, TimeoutCertificate } from '../codec/index.js'
import { GENESIS_QC } from './genesis.js'
import { maxHighQcRound } from './timeout-certificate.js'

export interface SafetyState {
  highestVoteRound: number
  highestQcRound: number
  lastProposedRound: number
  highQc: Certificate
}

export class SafetyRules {
  #state: SafetyState
  /**
   * Started without a stored state although its key may have signed before (a wiped data
   * folder): it signs nothing until it has seen what the committee is at (`endRecovery`).
   */
  #recovering: boolean
  /** the highest round this member could have signed in, by what it has seen since it started */
  #seenRound = 0
  /** round-timer time spent recovering since the member first saw the committee, and in all */
  #listenedMs = 0
  #recoveringMs = 0

  /**
   * `signedBefore`: the member's key has run before (it may have signed what the lost state
   * recorded); `listenMs`: how long such a member listens before it signs (the longest round timer)
   */
  constructor (restored: SafetyState | null, signedBefore: boolean, readonly listenMs: number) {
    this.#state = restored ?? { highestVoteRound: 0, highestQcRound: 0, lastProposedRound: 0, highQc: GENESIS_QC }
    this.#recovering = restored === null && signedBefore
  }

  get state (): Readonly<SafetyState> { return this.#state }
  get recovering (): boolean { return this.#recovering }

  /**
   * A round seen in a verified message: a certificate of round r (a proposal of r + 1 may
   * exist, which we may have voted for before a wipe), a timeout or vote of round r, a
   * proposal of round r.
   */
  noteRound (round: number): void {
    if (round > this.#seenRound) this.#seenRound = round
  }

  /** Whether this member may sign a vote, timeout or proposal now (not while recovering). */
  maySign (): boolean {
    return !this.#recovering
  }

  /**
   * On each round timer (of `elapsedMs`) while recovering after a start without state. The
   * recovery ends once the member has listened for `listenMs` since it first saw the
   * committee past its first round: members that time out re-send their timeouts at least
   * that often, and a progressing committee proposes every round, so by then it has seen
   * the round the committee is in, not one stale message. Then: no vote, timeout or
   * proposal in any round up to the highest seen, the rounds it could have signed in
   * before a wipe. Persist before anything is signed. True if the state moved.
   */
  endRecovery (elapsedMs: number): boolean {
    if (!this.#recovering) return false
    this.#recoveringMs += elapsedMs
    if (this.#seenRound > 0) this.#listenedMs += elapsedMs
    // Heard nothing at all for twice that: every member is silent (all restarted without
    // state at once): nobody can be behind anything it signed; waiting longer would stall for good.
    if (this.#listenedMs < this.listenMs && (this.#seenRound > 0 || this.#recoveringMs < 2 * this.listenMs)) return false
    this.#recovering = false
    const floor = this.#seenRound
    if (floor <= this.#state.highestVoteRound && floor <= this.#state.lastProposedRound) return false
    this.#state = {
      ...this.#state,
      highestVoteRound: Math.max(this.#state.highestVoteRound, floor),
      lastProposedRound: Math.max(this.#state.lastProposedRound, floor)
    }
    return true
  }
  get highQc (): Certificate { return this.#state.highQc }

  /** Keeps the highest verified QC (persisted with the next vote or timeout). */
  observeQc (qc: Certificate): void {
    if (qc.round > this.#state.highQc.round) this.#state = { ...this.#state, highQc: qc }
  }

  mayPropose (round: number): boolean {
    return this.#state.lastProposedRound < round && this.maySign()
  }

  /** Never two proposals in one round, even across a restart. */
  recordProposal (round: number): void {
    this.#state = { ...this.#state, lastProposedRound: round }
  }

  /** DiemBFT v4 safe_to_vote; when safe, records the vote (persist before it leaves). */
  voteFor (round: number, qcRound: number, tc: TimeoutCertificate | null): boolean {
    if (round <= Math.max(this.#state.highestVoteRound, qcRound)) return false
    const consecutive = round === qcRound + 1 || (tc !== null && round === tc.round + 1 && qcRound >= maxHighQcRound(tc))
    if (!consecutive || !this.maySign()) return false
    this.#state = { ...this.#state, highestVoteRound: round, highestQcRound: Math.max(this.#state.highestQcRound, qcRound) }
    return true
  }

  /**
   * DiemBFT v4 safe_to_timeout, without `round > highestVoteRound - 1`: the round only
   * falls behind the highest vote round after a restart (the TCs that carried us there
   * are not persisted), and unless we may sign its timeout again the committee can be
   * one timeout short for good. Safe: the timeout still reports a QC at least as high as
   * any we voted on, and highestVoteRound never decreases, so no later vote is affected.
   * When safe, records that we vote in this round no more.
   */
  timeoutFor (round: number, lastRoundTc: TimeoutCertificate | null): boolean {
    const qcRound = this.#state.highQc.round
    const consecutive = round === qcRound + 1 || (lastRoundTc !== null && round === lastRoundTc.round + 1)
    if (qcRound < this.#state.highestQcRound || round <= qcRound || !consecutive || !this.maySign()) return false
    this.abstainThrough(round)
    return true
  }

  /** No vote in any round up to `round` (a timeout for it was or will be signed); true if that raised the state. */
  abstainThrough (round: number): boolean {
    if (round <= this.#state.highestVoteRound) return false
    this.#state = { ...this.#state, highestVoteRound: round }
    return true
  }
}
