/**
 * Rounds, round timers and leader choice (Jolteon's pacemaker). A round ends with a QC
 * of it (the next round follows at once) or with a TC when a quorum timed out; timeouts
 * back off exponentially while rounds keep timing out, and reset with the first QC. The
 * leaders come from the committed chain (leader-election.ts); a round that a member the
 * chain judges absent leads gets a short timer (it is a probe that is expected to fail),
 * and so does a round whose leader's own turn ended with a TC a few rounds ago. The base
 * follows the recent round latency (round-latency.ts), and timeouts in a row back off when
 * proposals come after their timer (the committee is slow) or after 4 (one dead leader ends
 * up to 4 rounds in a row, and waiting longer would not have saved them).
 */
import type { TimeoutCertificate } from '../codec/index.js'
import { LeaderElection, type CommittedLeader, type LeaderElectionOptions } from './leader-election.js'
import { RoundLatency } from './round-latency.js'
import { backoffDelay } from '../util/index.js'

/**
 * How far ahead of our round a vote or timeout may be and still be kept: honest members
 * are at most a few rounds apart (a TC or QC carries the laggard forward), while without
 * a bound a member could make us hold messages for any number of future rounds. 32
 * rounds are minutes of consecutive timeouts at the base timeout's back-off.
 */
export const FUTURE_ROUND_WINDOW = 32

export interface PacemakerOptions {
  /** first round timeout; doubles with each consecutive timed-out round */
  baseTimeoutMs: number
  maxTimeoutMs: number
  leaderElection?: LeaderElectionOptions
  /** a monotonic clock in ms (virtual in the simulator): with it the base adapts to the QC latency, without it stays fixed */
  now?: () => number
}

/**
 * A probe round's timer is this share of the base timeout: long enough for a member that is
 * back (it enters the round with everyone, from the votes sent to all, and proposes), short
 * for one still gone. With one member down a probe comes every 64 rounds, a second or two
 * under load, and at a quarter of the node's 1 s base it alone put p99 near 3x healthy
 * (bench member-down: 13 TCs in 706 rounds, 11 of them probes).
 */
const PROBE_TIMEOUT_DIVISOR = 8
/**
 * The round before a probe, led by a live member, keeps a quarter of the base: its votes go
 * to every member (consensus-core.ts #votesToAll), so it fails only for slowness, and an
 * eighth was too short for a live leader on the simulator's slower links (wipe-stall seed 12).
 */
const VOTES_TO_ABSENT_TIMEOUT_DIVISOR = 4

/**
 * Consecutive timed-out rounds that keep the base delay unless they failed for slowness.
 * One dead member ends up to 4 rounds in a row (its turns at the end of one shuffled cycle
 * and early in the next, and the rounds whose votes go to it); doubling there cost seconds
 * per dead turn (1, 2, 4, 8 s at a 1 s base), and a longer timer would not have saved one.
 * A round fails for slowness when its proposal comes after its timer fired, or comes in time
 * while the next round's leader is alive (its proposal comes): each such round doubles the
 * timer (without that an overloaded committee churned through timeouts: bench, 36 against
 * 81 tx/s).
 */
const BACKOFF_GRACE = 4

/**
 * A probe round whose leader we heard nothing from (no vote or timeout of its own) in this
 * many rounds gets the short timer too: with one member down a probe comes every 64 rounds,
 * a second or two under load, and even at an eighth of the base the probes alone kept the
 * member-down p99 at 2x healthy (bench: 19 TCs in 1002 rounds, 16 of them probes). A
 * member that is back votes (after a TC and before a probe, to every member) and times out
 * like the others, so the probe waits for it the usual probe time.
 *
 * A leader whose turn ended with a TC this few rounds ago gets a short timer on its next
 * turn (a local choice, like every timer): a dead member keeps its turns until the
 * committed chain leaves it out, a few rounds after its first failed one (leader-election.ts).
 * A round whose proposal came in time and still timed out is blamed on the next leader,
 * which its votes went to: so a member that dies costs one full timer (the round voting to
 * it) and a short one (its turn right after), not two full ones.
 */
const RECENT_FAILURE_ROUNDS = 16
/** Without a clock (no samples) that short timer is this share of the base. */
const SHORT_TIMEOUT_DIVISOR = 4

/** Rounds remembered per kind during a run of timeouts. */
const MAX_PROPOSAL_ROUNDS = 64

/** Rounds below ours that members told us (by their timeouts) they are stuck in, at the most. */
const MAX_LAGGING_ROUNDS = 16

export class Pacemaker {
  #round: number
  #lastRoundTc: TimeoutCertificate | null = null
  #consecutiveTimeouts = 0
  #timerRound = 0
  readonly #laggingRounds = new Set<number>()
  /** since the last QC: rounds that timed out for slowness (their proposal came after their timer fired, or came in time and the next leader, alive, proposed after them) */
  readonly #slowRounds = new Set<number>()
  /** since the last QC: rounds whose proposal came in time */
  readonly #inTimeRounds = new Set<number>()
  #firedRound = 0
  /** member -> the latest round it led that ended with a TC */
  readonly #failedTurns = new Map<number, number>()
  /** member -> our round when a vote or timeout of its own last arrived */
  readonly #heardFrom = new Map<number, number>()
  readonly #election: LeaderElection
  readonly #latency: RoundLatency | null

  constructor (readonly n: number, readonly options: PacemakerOptions, startRound: number) {
    this.#round = Math.max(startRound, 1)
    this.#election = new LeaderElection(n, options.leaderElection)
    this.#latency = options.now === undefined ? null : new RoundLatency(options.baseTimeoutMs, options.now)
  }

  get round (): number { return this.#round }
  get lastRoundTc (): TimeoutCertificate | null { return this.#lastRoundTc }

  leaderOf (round: number): number {
    return this.#election.leaderOf(round)
  }

  /** Members the committed chain judges absent at `round` (they lead only probe rounds). */
  excludedAt (round: number): readonly number[] {
    return this.#election.excludedAt(round)
  }

  /** Committed headers in height order: the leader choice learns from them. */
  noteCommitted (headers: readonly CommittedLeader[]): void {
    this.#election.noteCommitted(headers)
  }

  /** The TC a proposal of `round` carries: the one that ended the round before, if that is how we got here. */
  tcFor (round: number): TimeoutCertificate | null {
    const tc = this.#lastRoundTc
    return tc !== null && tc.round === round - 1 ? tc : null
  }

  /** A QC of `qcRound` ends every round up to it; true if that moved us. */
  advanceByQc (qcRound: number): boolean {
    this.#latency?.noteQc(qcRound)
    if (qcRound + 1 <= this.#round) return false
    this.#lastRoundTc = null
    this.#consecutiveTimeouts = 0
    this.#slowRounds.clear()
    this.#inTimeRounds.clear()
    this.#round = qcRound + 1
    return true
  }

  /** A valid proposal of `round` arrived (in time or late): the adaptive base learns from it. */
  noteProposal (round: number): void {
    this.#latency?.noteProposal(round)
    // Its leader is alive: its next turns get the full timer again.
    if (round === this.#round) this.#failedTurns.delete(this.leaderOf(round))
    if (round > this.#round || this.#slowRounds.size >= MAX_PROPOSAL_ROUNDS) return
    if (round < this.#round || round <= this.#firedRound) this.#slowRounds.add(round)
    else this.#inTimeRounds.add(round)
    // The round before had its proposal in time and failed although this leader is alive: not a dead leader's doing.
    if (this.#inTimeRounds.has(round - 1)) this.#slowRounds.add(round - 1)
  }

  /** The timer of `round` fired: a proposal of it from now on is late. */
  noteTimerFired (round: number): void {
    this.#firedRound = Math.max(this.#firedRound, round)
  }

  /** A TC ends its round; true if that moved us. */
  advanceByTc (tc: TimeoutCertificate): boolean {
    if (tc.round + 1 <= this.#round) return false
    // A round whose proposal came in time failed at the member its votes went to, the next leader.
    this.#failedTurns.set(this.leaderOf(this.#inTimeRounds.has(tc.round) ? tc.round + 1 : tc.round), tc.round)
    this.#lastRoundTc = tc
    this.#consecutiveTimeouts++
    this.#round = tc.round + 1
    return true
  }

  /** Catch-up put the committed tip at `tipRound`; true if that moved us. */
  advancePastTip (tipRound: number): boolean {
    if (tipRound + 1 <= this.#round) return false
    this.#round = tipRound + 1
    return true
  }

  /** Whether `round` is beyond the rounds we keep messages for. */
  isTooFarAhead (round: number): boolean {
    return round > this.#round + FUTURE_ROUND_WINDOW
  }

  timeoutDelay (): number {
    const { baseTimeoutMs, maxTimeoutMs } = this.options
    const adapted = this.#latency?.baseMs() ?? baseTimeoutMs
    let base = adapted
    if (this.#election.isProbe(this.#round)) {
      // A left-out member we have not heard from (no vote or timeout of its own) is still gone.
      const silent = !this.#heardRecently(this.leaderOf(this.#round))
      base = Math.min(adapted, Math.ceil(baseTimeoutMs / PROBE_TIMEOUT_DIVISOR), silent ? this.#shortMs() : Infinity)
    } else if (this.#election.votesToAbsent(this.#round)) {
      base = Math.min(adapted, Math.ceil(baseTimeoutMs / VOTES_TO_ABSENT_TIMEOUT_DIVISOR))
    }
    if (this.#failedRecently(this.leaderOf(this.#round))) base = Math.min(base, this.#shortMs())
    return backoffDelay(Math.max(this.#slowRounds.size, this.#consecutiveTimeouts - BACKOFF_GRACE), base, maxTimeoutMs, 16)
  }

  #shortMs (): number {
    return this.#latency?.shortMs() ?? Math.ceil(this.options.baseTimeoutMs / SHORT_TIMEOUT_DIVISOR)
  }

  /** A vote or timeout signed and sent by `member` arrived: it is alive. */
  noteHeardFrom (member: number): void {
    this.#heardFrom.set(member, this.#round)
  }

  #heardRecently (member: number): boolean {
    const heard = this.#heardFrom.get(member)
    return heard !== undefined && this.#round - heard <= RECENT_FAILURE_ROUNDS
  }

  #failedRecently (member: number): boolean {
    const failed = this.#failedTurns.get(member)
    return failed !== undefined && failed < this.#round && this.#round - failed <= RECENT_FAILURE_ROUNDS
  }

  /** The delay to arm the current round's timer with, or null when it is armed already. */
  armTimer (): number | null {
    if (this.#timerRound === this.#round) return null
    this.#timerRound = this.#round
    this.#latency?.noteArmed(this.#round)
    return this.timeoutDelay()
  }

  /** An idle chain needs no timer: armed again when work arrives. */
  disarmTimer (): void {
    this.#timerRound = 0
  }

  noteLaggingRound (round: number): void {
    if (this.#laggingRounds.size < MAX_LAGGING_ROUNDS) this.#laggingRounds.add(round)
  }

  /** The noted rounds still between our high QC's and ours (and forgets them all). */
  takeLaggingRounds (highQcRound: number): number[] {
    const rounds = [...this.#laggingRounds].filter((r) => r > highQcRound && r < this.#round)
    this.#laggingRounds.clear()
    return rounds
  }
}
