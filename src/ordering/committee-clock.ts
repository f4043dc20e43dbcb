/**
 * The committee's time as this member sees it: its own clock, corrected to the committee's
 * view of it when that view is far off (docs/PROTOCOL.md, "Time"). The future-timestamp
 * rule, this member's proposals, the packer's and the mempool's expiry use it, so a member
 * 10 s slow accepts the others' proposals and one 10 s fast has its own accepted.
 *
 * The view: each other member's offset is `timestamp - our clock at receipt` of its last
 * proposal (signature checked) whose timestamp is above its parent's; a timestamp the
 * leader had to copy from its parent says nothing of its clock, and counting it would pass
 * one fast leader's time on as the next leaders' clocks. The view is the median of these
 * offsets from the last `sampleMaxAgeMs` and our own 0, once there are a quorum of values
 * (q = n - f, ourselves included; before that it is 0). Of q or more values at most f are
 * Byzantine, so the median lies between two correct members' values: f members cannot move
 * it beyond what correct clocks say.
 *
 * The correction is the view when it is further than `followBeyondMs` from 0 either way,
 * capped at `maxOffsetMs`. A one-way sample also holds the network delay, the same for
 * everyone: if every member followed a view that is only delay, each would stamp earlier
 * and the others would see more delay, round after round; a view within `followBeyondMs`
 * (far above a committee's delays) is left alone. Offsets are measured against our own
 * clock, never the corrected one, so a correction does not feed back into the view.
 */

export interface CommitteeClockOptions {
  /** a view further than this from our clock is followed; within it, network delay and jitter */
  followBeyondMs: number
  /** the largest correction, either way (node config `consensus.maxClockOffsetMs`) */
  maxOffsetMs: number
  /** a member's offset older than this no longer counts (it stopped leading) */
  sampleMaxAgeMs: number
}

export const defaultCommitteeClockOptions: CommitteeClockOptions = {
  followBeyondMs: 2500, // half the 5 s drift a proposal may have; far above a committee's delays (0.6 s seen on a saturated machine)
  maxOffsetMs: 60_000, // a minute: NTP keeps hosts far closer; beyond it the host's time is broken and needs its operator
  sampleMaxAgeMs: 60_000 // a minute of proposals from every active leader
}

export class CommitteeClock {
  /** per other member: its clock's offset from ours at its last proposal that showed it, and when (our clock) */
  readonly #samples = new Map<number, { offsetMs: number, at: number }>()
  readonly #quorumValues: number
  readonly options: CommitteeClockOptions

  /** `base`: this member's own clock (the machine's, plus a test offset); injected by tests */
  constructor (
    readonly committeeSize: number,
    readonly self: number,
    readonly base: () => number,
    options: Partial<CommitteeClockOptions> = {}
  ) {
    this.options = { ...defaultCommitteeClockOptions, ...options }
    this.#quorumValues = committeeSize - Math.floor((committeeSize - 1) / 3)
  }

  /**
   * A proposal of `proposer` whose signature verified arrived now, stamped `timestamp`, on
   * a parent stamped `parentTimestamp` (the committed tip's time when the parent is not known here).
   */
  observe (proposer: number, timestamp: number, parentTimestamp: number): void {
    if (proposer === this.self || proposer < 0 || proposer >= this.committeeSize) return
    if (timestamp <= parentTimestamp) return
    const at = this.base()
    this.#samples.set(proposer, { offsetMs: timestamp - at, at })
  }

  /** The committee's median view of our clock, ms (positive: the others are ahead); 0 until a quorum of values is there. */
  viewMs (): number {
    const at = this.base()
    const values = [0]
    for (const [member, s] of this.#samples) {
      if (at - s.at > this.options.sampleMaxAgeMs) this.#samples.delete(member)
      else values.push(s.offsetMs)
    }
    if (values.length < this.#quorumValues) return 0
    values.sort((a, b) => a - b)
    const mid = values.length >> 1
    return values.length % 2 === 1 ? values[mid]! : Math.round((values[mid - 1]! + values[mid]!) / 2)
  }

  /** What this member adds to its clock now to follow the committee, ms. */
  correctionMs (): number {
    const view = this.viewMs()
    if (Math.abs(view) <= this.options.followBeyondMs) return 0
    return Math.max(-this.options.maxOffsetMs, Math.min(this.options.maxOffsetMs, view))
  }

  /** The committee's time: our clock plus the correction (unix ms). */
  now (): number {
    return this.base() + this.correctionMs()
  }
}
