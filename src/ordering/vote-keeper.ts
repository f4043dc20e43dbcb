/**
 * Collects signed votes into quorum certificates and signed timeouts into timeout
 * certificates, per round. Signatures are checked by the core before a message is
 * recorded here; this part counts, detects double votes and builds the certificates.
 *
 * Memory is bounded: rounds below `floor` are dropped (`prune`), and the core records
 * nothing for a round more than FUTURE_ROUND_WINDOW ahead of its own (pacemaker.ts), so
 * each sender holds at most one vote and one timeout in each of that many rounds.
 */
import type { Certificate, Timeout, TimeoutCertificate, Vote } from '../codec/index.js'
import { bytesToHex } from '../crypto/hex.js'
import { assembleCertificate } from './certificate.js'
import { assembleTimeoutCertificate } from './timeout-certificate.js'

interface ReceivedTimeout { highQcRound: number, signature: Uint8Array, timeout: Timeout }

export type VoteVerdict = 'new' | 'repeat' | 'equivocation'

export class VoteKeeper {
  /** round -> vote body key -> voter -> signature */
  readonly #votes = new Map<number, Map<string, Map<number, Uint8Array>>>()
  /** round -> voter -> the vote body key it signed */
  readonly #voters = new Map<number, Map<number, string>>()
  readonly #formedQc = new Set<number>()
  /** round -> voter -> its timeout */
  readonly #timeouts = new Map<number, Map<number, ReceivedTimeout>>()

  constructor (readonly n: number, readonly quorum: number) {}

  hasQc (round: number): boolean {
    return this.#formedQc.has(round)
  }

  /** Whether this is the voter's first vote in the round, the same again, or a second, different one. */
  classify (vote: Vote): VoteVerdict {
    const earlier = this.#voters.get(vote.round)?.get(vote.voter)
    if (earlier === undefined) return 'new'
    return earlier === bodyKey(vote) ? 'repeat' : 'equivocation'
  }

  /** Records a verified vote; returns the QC when this vote completes a quorum. */
  addVote (vote: Vote): Certificate | null {
    const { round, voter } = vote
    const key = bodyKey(vote)
    const voters = this.#voters.get(round) ?? new Map<number, string>()
    voters.set(voter, key)
    this.#voters.set(round, voters)
    const byBody = this.#votes.get(round) ?? new Map<string, Map<number, Uint8Array>>()
    const signatures = byBody.get(key) ?? new Map<number, Uint8Array>()
    signatures.set(voter, vote.signature)
    byBody.set(key, signatures)
    this.#votes.set(round, byBody)
    if (signatures.size < this.quorum) return null
    this.#formedQc.add(round)
    return assembleCertificate(this.n, { height: vote.height, round, batchHash: vote.batchHash }, signatures)
  }

  /** Records a verified timeout; returns how many voters timed out in its round, or null if this voter was counted already. */
  addTimeout (timeout: Timeout): number | null {
    const received = this.#timeouts.get(timeout.round) ?? new Map<number, ReceivedTimeout>()
    if (received.has(timeout.voter)) return null
    received.set(timeout.voter, { highQcRound: timeout.highQc.round, signature: timeout.signature, timeout })
    this.#timeouts.set(timeout.round, received)
    return received.size
  }

  hasTimeoutFrom (round: number, voter: number): boolean {
    return this.#timeouts.get(round)?.has(voter) === true
  }

  timeoutCertificate (round: number): TimeoutCertificate {
    return assembleTimeoutCertificate(this.n, round, this.#timeouts.get(round) ?? new Map())
  }

  /** The signed timeouts of a round (to relay them to members that missed its TC). */
  timeoutsOf (round: number): Timeout[] {
    return [...this.#timeouts.get(round)?.values() ?? []].map((t) => t.timeout)
  }

  /** Forgets every round below `floor`. */
  prune (floor: number): void {
    for (const map of [this.#votes, this.#voters, this.#timeouts]) {
      for (const r of map.keys()) if (r < floor) map.delete(r)
    }
    for (const r of this.#formedQc) if (r < floor) this.#formedQc.delete(r)
  }

  /** Votes and timeouts held now (for tests and diagnostics of the memory bound). */
  get retained (): number {
    let count = 0
    for (const voters of this.#voters.values()) count += voters.size
    for (const timeouts of this.#timeouts.values()) count += timeouts.size
    return count
  }
}

function bodyKey (vote: Vote): string {
  return `${bytesToHex(vote.batchHash)}/${vote.height}`
}
