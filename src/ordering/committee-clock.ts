/**
 * The committee's time as this member sees it: its own clock plus how far the committee's
 * clocks are ahead of it, learnt from the timestamps of the other members' proposals
 * (docs/PROTOCOL.md, "Time"). The future-timestamp rule and this member's own proposals
 * use it, so a member whose clock is slow still accepts proposals (it used to ignore all
 * of them once its clock was more than `maxClockDriftMs` behind) and stamps its own with
 * the committee's time.
 *
 * Why one member cannot move it: each member's offset is the last one its own proposals
 * showed (timestamp minus our clock at receipt; ours is 0, a member not heard from is 0),
 * and the estimate is the (n-f)-th smallest of the n offsets, so at least one correct
 * member's offset is at or above it: f Byzantine members cannot push it past every correct
 * member's clock. A proposal whose timestamp is not above its parent's (the leader had to
 * take the parent's time) says nothing about the leader's clock and is not counted, so a
 * timestamp pushed ahead by one leader is not passed on as the next correct leader's
 * clock. The estimate is never below 0 (a member with a fast clock keeps its own, as
 * before) and never above `maxOffsetMs`, the documented tolerance for a slow member.
 */
export class CommitteeClock {
  /** per member: ms its clock was ahead of ours at its last proposal that showed its clock */
  readonly #offsets: number[]
  readonly #rank: number

  constructor (
    readonly committeeSize: number,
    readonly self: number,
    private readonly maxOffsetMs: number,
    private readonly localNow: () => number
  ) {
    this.#offsets = new Array<number>(committeeSize).fill(0)
    const f = Math.floor((committeeSize - 1) / 3)
    this.#rank = committeeSize - f - 1
  }

  /**
   * A proposal of `proposer` whose signature verified, stamped `timestamp`, on a parent
   * stamped `parentTimestamp` (the committed tip's time when the parent is not known here).
   */
  observe (proposer: number, timestamp: number, parentTimestamp: number): void {
    if (proposer === this.self || proposer < 0 || proposer >= this.committeeSize) return
    if (timestamp <= parentTimestamp) return
    this.#offsets[proposer] = timestamp - this.localNow()
  }

  /** How far the committee's clocks are ahead of ours, in ms (0..maxOffsetMs). */
  offsetMs (): number {
    const sorted = [...this.#offsets].sort((a, b) => a - b)
    return Math.min(this.maxOffsetMs, Math.max(0, sorted[this.#rank]!))
  }

  /** Our clock plus the committee's offset (unix ms). */
  now (): number {
    return this.localNow() + this.offsetMs()
  }
}
