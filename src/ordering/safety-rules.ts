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

  constructor (restored: SafetyState | null) {
    this.#state = restored ?? { highestVoteRound: 0, highestQcRound: 0, lastProposedRound: 0, highQc: GENESIS_QC }
  }

  get state (): Readonly<SafetyState> { return this.#state }
  get highQc (): Certificate { return this.#state.highQc }

  /** Keeps the highest verified QC (persisted with the next vote or timeout). */
  observeQc (qc: Certificate): void {
    if (qc.round > this.#state.highQc.round) this.#state = { ...this.#state, highQc: qc }
  }

  mayPropose (round: number): boolean {
    return this.#state.lastProposedRound < round
  }

  /** Never two proposals in one round, even across a restart. */
  recordProposal (round: number): void {
    this.#state = { ...this.#state, lastProposedRound: round }
  }

  /** DiemBFT v4 safe_to_vote; when safe, records the vote (persist before it leaves). */
  voteFor (round: number, qcRound: number, tc: TimeoutCertificate | null): boolean {
    if (round <= Math.max(this.#state.highestVoteRound, qcRound)) return false
    const consecutive = round === qcRound + 1 || (tc !== null && round === tc.round + 1 && qcRound >= maxHighQcRound(tc))
    if (!consecutive) return false
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
    if (qcRound < this.#state.highestQcRound || round <= qcRound || !consecutive) return false
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
